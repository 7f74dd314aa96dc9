"""The floating-point environment a neural codec's numbers depend on, and the one neural images pin.

A model's float32 outputs must be bit-identical in encoder and decoder; they depend
on the torch build and its CPU dispatch, the math libraries' settings and thread
counts, and numpy's SIMD dispatch (which the coder's tables use). A codec writes
`float_environment()` into its `StreamHeader`; a decoder compares it with its own
(`float_env_mismatches`) to explain a failure instead of producing garbage silently.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys

import numpy as np

PINNED_ENV: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "AVX2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
}
"""What neural codec images set, so that CPUs with and without AVX-512 compute the same floats. Thread counts
are not pinned: the evaluator sets them (``evaluator.results.portability.thread_env``), and the portable-decode
check changes them."""

ENV_VARS: tuple[str, ...] = (
    "ATEN_CPU_CAPABILITY",
    "MKL_CBWR",
    "ONEDNN_MAX_CPU_ISA",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NPY_DISABLE_CPU_FEATURES",
)
"""Environment variables recorded (``"unset"`` when absent)."""

UNSET = "unset"


def _numpy_simd() -> str:
    """numpy's SIMD targets found on this CPU (its private table; ``"unknown"`` if it moved)."""
    try:
        from numpy._core import _multiarray_umath as umath  # type: ignore[attr-defined]  # numpy >= 2, private
    except ImportError:  # pragma: no cover - numpy 1.x
        try:
            from numpy.core import _multiarray_umath as umath
        except ImportError:
            return "unknown"
    features = getattr(umath, "__cpu_features__", None)
    dispatch = getattr(umath, "__cpu_dispatch__", None)
    if not isinstance(features, dict) or dispatch is None:
        return "unknown"
    return ",".join(sorted(f for f in dispatch if features.get(f)))


def _torch_info() -> dict[str, str]:
    """torch's version and CPU dispatch, importing torch only if it is installed (a heavy, optional dependency)."""
    torch = sys.modules.get("torch")
    if torch is None:
        if importlib.util.find_spec("torch") is None:
            return {"torch": UNSET, "torch_cpu_capability": UNSET}
        torch = importlib.import_module("torch")  # optional and slow to import: only when asked

    get_capability = getattr(getattr(torch.backends, "cpu", None), "get_cpu_capability", None)
    capability = str(get_capability()) if callable(get_capability) else UNSET
    return {"torch": str(torch.__version__), "torch_cpu_capability": capability}


def float_environment() -> dict[str, str]:
    """What this process's floating point depends on, as strings (for `StreamHeader.float_env`)."""
    env = {name: os.environ.get(name, UNSET) for name in ENV_VARS}
    return {
        **_torch_info(),
        **env,
        "numpy": np.__version__,
        "numpy_simd": _numpy_simd(),
        "machine": platform.machine(),
    }


def float_env_mismatches(recorded: dict[str, str], current: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """Keys whose value differs between a header's environment and this one: ``{key: (recorded, current)}``."""
    now = float_environment() if current is None else current
    keys = sorted(set(recorded) | set(now))
    return {k: (recorded.get(k, UNSET), now.get(k, UNSET)) for k in keys if recorded.get(k, UNSET) != now.get(k, UNSET)}
