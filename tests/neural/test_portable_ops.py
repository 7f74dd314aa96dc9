"""`baselines.neural.portable_ops`: torch's values to ~1e-15, and the same bits under every dispatch and thread."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from baselines.neural import common, portable_ops  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def _rel(a: Any, b: Any) -> float:  # torch tensors
    return float(((a - b).abs() / b.abs().clamp(min=1e-300)).max())


def test_exp_log_tanh_softmax_match_torch_on_wide_ranges() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.linspace(-700, 700, 100001, dtype=torch.float64),
                   (torch.rand(50000, generator=g, dtype=torch.float64) - 0.5) * 40,
                   torch.randn(20000, generator=g, dtype=torch.float64) * 1e-6])
    assert _rel(portable_ops.exp(x), torch.exp(x)) < 1e-15
    y = torch.cat([torch.exp(torch.linspace(-700, 700, 100001, dtype=torch.float64)),
                   1.0 + (torch.rand(20000, generator=g, dtype=torch.float64) - 0.5) * 1e-6,
                   torch.tensor([2.0**-1022, 1.0, 2.0, 1.7976931348623157e308], dtype=torch.float64)])
    assert float((portable_ops.log(y) - torch.log(y)).abs().max()) < 2e-15
    assert _rel(portable_ops.log(y), torch.log(y)) < 1e-15
    t = torch.cat([torch.linspace(-60, 60, 200001, dtype=torch.float64),
                   torch.randn(20000, generator=g, dtype=torch.float64) * 1e-5,
                   torch.tensor([0.0, -0.0, 1e-300, -1e-300, 0.625, -0.625], dtype=torch.float64)])
    assert _rel(portable_ops.tanh(t), torch.tanh(t)) < 2e-15
    assert torch.equal(torch.signbit(portable_ops.tanh(t)), torch.signbit(torch.tanh(t)))
    for shape, dim, spread in (((5000, 25), -1, 10.0), ((6, 5, 3, 4), 1, 300.0), ((100, 2), 1, 1e4)):
        lg = torch.randn(*shape, generator=g, dtype=torch.float64) * spread
        assert float((portable_ops.softmax(lg, dim) - torch.softmax(lg, dim)).abs().max()) < 1e-14


def test_guards_float32_and_gradient() -> None:
    assert float(portable_ops.exp(torch.tensor([-1e4], dtype=torch.float64))) == pytest.approx(np.exp(-700.0))
    assert float(portable_ops.exp(torch.tensor([1e4], dtype=torch.float64))) == pytest.approx(np.exp(700.0))
    assert float(portable_ops.log(torch.tensor([0.0], dtype=torch.float64))) == pytest.approx(-1022 * np.log(2.0))
    assert torch.equal(portable_ops.tanh(torch.tensor([-1e9, 1e9])), torch.tensor([-1.0, 1.0]))
    x32 = torch.linspace(-20, 20, 4001)  # float32: computed in float64, rounded once (torch's float64, rounded)
    x64 = x32.to(torch.float64)
    for ours, theirs in ((portable_ops.exp(x32), torch.exp(x64)), (portable_ops.tanh(x32), torch.tanh(x64)),
                         (portable_ops.softmax(x32.view(-1, 1), 0), torch.softmax(x64.view(-1, 1), 0))):
        assert ours.dtype == torch.float32
        assert torch.allclose(ours.to(torch.float64), theirs, rtol=6e-8, atol=1e-30)
    z = torch.linspace(-5, 5, 101, dtype=torch.float64, requires_grad=True)
    portable_ops.tanh(z).sum().backward()
    assert z.grad is not None
    assert float((z.grad - (1 - torch.tanh(z.detach()) ** 2)).abs().max()) < 1e-15
    tiny = portable_ops.to_float32(torch.tensor([1e-300, -1e-300, 0.0, 0.5], dtype=torch.float64))
    assert tiny.tolist() == [portable_ops.FLOAT32_TINY, -portable_ops.FLOAT32_TINY, 0.0, 0.5]


def test_sequential_sum_adds_in_index_order() -> None:
    rows = np.array([[1e16, 1.0, -1e16, 1.0], [1.0, 1e16, 1.0, -1e16]])
    got = portable_ops.sequential_sum(torch.from_numpy(rows), 1).tolist()
    want = [((r[0] + r[1]) + r[2]) + r[3] for r in rows.tolist()]
    assert got == want == [1.0, 0.0]


def test_scales_come_from_a_correctly_rounded_table() -> None:
    ulp = Fraction(2) ** -23
    for k, v in enumerate(common.QUARTER_OCTAVES.tolist()):
        f = Fraction(v)  # 2**(k/4) lies within half an ulp: compare fourth powers, exactly
        assert (f - ulp / 2) ** 4 < 2**k < (f + ulp / 2) ** 4
    codes = np.arange(common.MAX_SCALE_CODE + 1)
    scales = common.SideInfo(np.zeros((codes.size, 1), np.int64), codes).scales
    assert scales.dtype == np.float32
    assert np.array_equal(scales, np.exp2(codes / 4.0).astype(np.float32))


PROBE = r"""
import hashlib, sys
import numpy as np, torch
torch.set_num_threads(int(sys.argv[1]))
from baselines.neural import codec as codec_mod, portable_ops as P
from baselines.neural.codec import load_codec
from baselines.neural.exact import make_exact
from evaluator.sdk.coding import MixtureRangeEncoder, unpack_header

ours, theirs = hashlib.sha256(), hashlib.sha256()
rng = np.random.default_rng(5)  # integers, then IEEE division: the same inputs everywhere
x = torch.from_numpy(rng.integers(-2**40, 2**40, 20000) / 2.0**33)
for f, t in ((P.exp, torch.exp), (P.tanh, torch.tanh)):
    ours.update(f(x).numpy().tobytes()); theirs.update(t(x).numpy().tobytes())
ours.update(P.log(x.abs() + 1e-3).numpy().tobytes()); theirs.update(torch.log(x.abs() + 1e-3).numpy().tobytes())
lg = x.view(-1, 25)
ours.update(P.softmax(lg, -1).numpy().tobytes()); theirs.update(torch.softmax(lg, -1).numpy().tobytes())

coded = hashlib.sha256()
class Recording(MixtureRangeEncoder):
    def encode(self, symbols, params):
        for a in (symbols, params.means, params.log_scales, params.logit_weights):
            coded.update(np.ascontiguousarray(a).tobytes())
        super().encode(symbols, params)
    def encode_categorical(self, symbols, probs):
        coded.update(np.ascontiguousarray(symbols).tobytes()); coded.update(np.ascontiguousarray(probs).tobytes())
        super().encode_categorical(symbols, probs)
codec_mod.MixtureRangeEncoder = Recording

sky = rng.integers(900, 1100, (3, 64, 64)).astype(np.uint16)
sky[:, 20:24, 30:35] += np.uint16(20000)
streams = []
for kind, track, item in (("idf", "sdss-2d", sky[0]), ("l3c", "sdss-3d-time", sky)):
    c = load_codec(kind, track)
    c.model = make_exact(c.model)
    data = c.encode(item)
    assert np.array_equal(c.decode(data), item), kind
    streams.append(hashlib.sha256(data[unpack_header(data)[1]:]).hexdigest())  # the header names the env
print(ours.hexdigest(), coded.hexdigest(), *streams, theirs.hexdigest())
"""

ENVS = {
    "native": {},
    "aten-default": {"ATEN_CPU_CAPABILITY": "default"},
    "aten-avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
}


def _probe(env: dict[str, str], threads: int) -> list[str]:
    full = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"}
    full |= {"PYTHONPATH": str(REPO), **env}
    proc = subprocess.run([sys.executable, "-c", PROBE, str(threads)], capture_output=True, text=True, env=full,
                          timeout=300, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.split()


@pytest.mark.slow  # six subprocesses loading torch and two checkpoints: ~30 s
def test_ops_and_coded_tables_are_bit_identical_across_dispatch_and_threads() -> None:
    for kind, track in (("idf", "sdss-2d"), ("l3c", "sdss-3d-time")):
        from baselines.neural.checkpoints import checkpoint_path  # noqa: PLC0415

        if not checkpoint_path(kind, track).is_file():
            pytest.fail(f"committed checkpoint {checkpoint_path(kind, track).name} is missing")
    results = {(name, t): _probe(env, t) for name, env in ENVS.items() for t in (1, 2)}
    portable = {tuple(r[:4]) for r in results.values()}  # the ops, the coded arrays, the two streams
    assert len(portable) == 1, results
    theirs = {r[4] for r in results.values()}  # torch's own functions: reported, not required
    print(f"torch exp/log/tanh/softmax: {len(theirs)} distinct results over {len(results)} environments")
