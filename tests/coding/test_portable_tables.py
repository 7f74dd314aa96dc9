"""The coder's tables are the same bits under every numpy SIMD dispatch (portable by construction).

numpy's own float32 exp/log differ in 39 % / 12 % of values below AVX2; the tables are built
from `portable_math` only. Checked by building the tables of a few thousand random mixtures
in subprocesses with numpy's AVX2 and AVX-512 dispatch groups disabled and with its default
dispatch, and by decoding there a stream encoded here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from evaluator.sdk.coding import decode_mixture, encode_mixture
from evaluator.sdk.coding.portable_math import exp2_f32, exp_f32, log_f64

ROOT = Path(__file__).resolve().parents[2]
NPY_BELOW_AVX2 = "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"  # numpy 2.x dispatch groups; X86_V2 is its baseline
NPY_NO_AVX512 = "X86_V4 AVX512_ICL AVX512_SPR"

_DIGEST = """
import hashlib, sys
import numpy as np
from evaluator.sdk.coding.logistic import MixtureParams, window_chunks
rng = np.random.default_rng(7)
h = hashlib.sha256()
for top in (65535, 255):
    n, k = 3000, 5
    means = rng.uniform(-50, top + 50, (n, 1)) + rng.normal(0, 20, (n, k))
    p = MixtureParams(means.astype(np.float32), rng.uniform(-3, 7, (n, k)).astype(np.float32),
                      rng.normal(0, 3, (n, k)).astype(np.float32))
    for c in window_chunks(p, max_symbol=top):
        for a in (c.rows, c.lo, c.probs, c.escape_scale):
            h.update(np.ascontiguousarray(a).tobytes())
print(h.hexdigest())
"""

_DECODE = """
import sys
import numpy as np
from evaluator.sdk.coding import MixtureParams, decode_mixture
z = np.load(sys.argv[1])
p = MixtureParams(z["means"], z["log_scales"], z["logits"])
x = decode_mixture(z["data"].tobytes(), p)
print("same" if np.array_equal(x, z["x"]) else "differ")
"""


def _run(script: str, npy_disable: str | None, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    if npy_disable is not None:
        env["NPY_DISABLE_CPU_FEATURES"] = npy_disable
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "-W", "error", "-c", script, *args], env=env, capture_output=True,
                         text=True, timeout=240, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.slow  # subprocesses under three numpy dispatch settings
@pytest.mark.timeout(600)
def test_tables_are_byte_identical_under_every_numpy_dispatch() -> None:
    digests = {name: _run(_DIGEST, value) for name, value in
               (("default", None), ("no-avx512", NPY_NO_AVX512), ("below-avx2", NPY_BELOW_AVX2))}
    assert len(set(digests.values())) == 1, digests


@pytest.mark.slow  # a subprocess with numpy below AVX2
@pytest.mark.timeout(300)
def test_stream_encoded_here_decodes_with_numpy_below_avx2(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n, k = 4000, 4
    means = (rng.uniform(100, 60000, (n, 1)) + rng.normal(0, 8, (n, k))).astype(np.float32)
    log_scales = rng.uniform(-1, 5, (n, k)).astype(np.float32)
    logits = rng.normal(0, 2, (n, k)).astype(np.float32)
    x = np.clip(np.rint(means[:, 0] + rng.logistic(0, 6, n)), 0, 65535).astype(np.int64)
    x[::97] = rng.integers(0, 65536, x[::97].size)  # outliers: the escape path too
    from evaluator.sdk.coding import MixtureParams  # noqa: PLC0415

    data = encode_mixture(x, MixtureParams(means, log_scales, logits))
    np.savez(tmp_path / "s.npz", means=means, log_scales=log_scales, logits=logits, x=x,
             data=np.frombuffer(data, np.uint8))
    assert _run(_DECODE, NPY_BELOW_AVX2, str(tmp_path / "s.npz")) == "same"
    assert np.array_equal(decode_mixture(data, MixtureParams(means, log_scales, logits)), x)


def test_portable_functions_are_accurate() -> None:
    t = np.linspace(-120, 120, 2_000_001, dtype=np.float32)
    rel = np.abs(exp2_f32(t).astype(np.float64) / np.exp2(t.astype(np.float64)) - 1)
    assert rel.max() < 3e-7
    x = np.linspace(-80, 80, 100_001, dtype=np.float32)
    assert np.abs(exp_f32(x).astype(np.float64) / np.exp(x.astype(np.float64)) - 1).max() < 2e-5  # x log2 e rounded
    y = np.exp(np.linspace(-700, 700, 100_001))
    assert np.abs(log_f64(y) - np.log(y)).max() < 1e-12
    with pytest.raises(ValueError, match="positive"):
        log_f64(np.array([1.0, 0.0]))
