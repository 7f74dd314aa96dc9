"""Exact inference gives the same bits whatever the BLAS, dispatch and thread settings."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROBE = r"""
import hashlib, sys, torch
from torch import nn
from baselines.neural.exact import make_exact
torch.manual_seed(0)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Sequential(nn.Conv2d(2, 48, 3, padding=1), nn.ReLU(), nn.Conv2d(48, 48, 3, padding=1), nn.ReLU())
        self.b = nn.Conv2d(50, 6, 1)
    def forward(self, x):
        return self.b(torch.cat([x, self.a(x)], 1)) * 3.0 + 0.5

import numpy as np
rng = np.random.default_rng(1)  # integers, then IEEE division: the same inputs in every environment
x = torch.from_numpy((rng.integers(-90000, 90000, (64, 2, 32, 32)) / 300.0).astype(np.float32))
torch.set_num_threads(int(sys.argv[1]))
net = Net().eval()
with torch.no_grad():
    for p in net.parameters():
        p.copy_(torch.from_numpy((rng.integers(-3000, 3000, tuple(p.shape)) / 9000.0).astype(np.float32)))
exact = make_exact(net)
with torch.no_grad():
    out = exact(x)
    raw = net(x)
print(hashlib.sha256(out.numpy().tobytes()).hexdigest(), hashlib.sha256(raw.numpy().tobytes()).hexdigest())
"""

ENVS = {
    "pinned": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "generic": {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"},
    "sse": {"ONEDNN_MAX_CPU_ISA": "SSE41", "MKL_CBWR": "SSE4_2"},
}


def _run(env: dict[str, str], threads: int) -> tuple[str, str]:
    full = {**os.environ, "PYTHONPATH": str(REPO), **env}
    proc = subprocess.run([sys.executable, "-c", PROBE, str(threads)], capture_output=True, text=True, env=full,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    exact, raw = proc.stdout.split()
    return exact, raw


@pytest.mark.slow
def test_exact_network_is_bit_identical_across_environments() -> None:
    results = {(name, t): _run(env, t) for name, env in ENVS.items() for t in (1, 2)}
    exact = {r[0] for r in results.values()}
    assert len(exact) == 1, results
    raw = {r[1] for r in results.values()}
    # the float32 network is not (this is why the codecs run the exact one); report, do not require
    print(f"float32 network: {len(raw)} distinct results over {len(results)} environments")


def test_exact_conv_refuses_what_it_cannot_make_exact() -> None:
    import torch  # noqa: PLC0415  (torch only for the neural tests)
    from torch import nn  # noqa: PLC0415

    from baselines.neural.exact import make_exact  # noqa: PLC0415

    with pytest.raises(TypeError, match="no exact form"):
        make_exact(nn.Sequential(nn.Conv2d(1, 1, 3), nn.BatchNorm2d(1)))
    up = make_exact(nn.ConvTranspose2d(2, 3, 2, stride=2))
    assert up(torch.ones(1, 2, 4, 4)).shape == (1, 3, 8, 8)
    with pytest.raises(ValueError, match="fan-in"):
        make_exact(nn.Conv2d(4096, 4, 5))  # 102400 > 65536
    m = make_exact(nn.Conv2d(1, 2, 3, padding=1))
    assert next(m.buffers()).dtype == torch.float64
    x = torch.full((1, 1, 4, 4), 1.0 / 3.0)
    assert torch.equal(m(x), m(x.clone()))
    assert hashlib.sha256(m(x).numpy().tobytes()).hexdigest()
