"""Time the paper-size neural codecs on this machine's CPU: exact encode and decode per megapixel.

    PYTHONPATH=. python scripts/bench_paper_size.py [--models pixelcnn,idf,l3c] [--crop 128] [--threads 1]

Each model in the paper's configuration (IDF with upstream's dense block, 54 M parameters; L3C 4 M;
PixelCNN++ 53.6 M at three resolutions) is built with random weights, made exact as the images serve it
(``baselines.neural.exact``) and codes one sky-like ``--crop`` x ``--crop`` frame on the CPU; the round
trip is checked bit for bit. Seconds hardly depend on the weights (the bits per pixel do: untrained, so they
are not printed). Also printed per model, from the decode of one 32x32 patch: the FLOPs its decoder runs per
pixel (torch's FLOP counter), the work a megapixel costs whatever runs it, and the torch operations it
dispatches (on a GPU each is at least one kernel launch, a fixed cost per operation whatever the batch).
PixelCNN++ decodes by the cached step (``baselines.neural.pixelcnn_step``): about one forward pass per pixel
in all, in 1,024 raster steps, so small crops pay more per pixel in step overhead than a full chunk of 1,024
patches does.
Prints numbers; it is not a test. The GPU's figures come from ``scripts/gpu_check.sh`` on a GPU machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gpu_check import sky_crop  # noqa: E402  (scripts/: the same test frame as the GPU check)

from baselines.neural import common  # noqa: E402
from baselines.neural.checkpoints import named_config  # noqa: E402
from baselines.neural.codec import NeuralCodec  # noqa: E402
from baselines.neural.exact import make_exact  # noqa: E402
from baselines.neural.models import MODELS  # noqa: E402


class _OpCounter(TorchDispatchMode):
    """Counts the torch operations dispatched inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.ops = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        self.ops += 1
        return func(*args, **(kwargs or {}))


def decode_work(codec: NeuralCodec) -> tuple[float, int]:
    """Decoding one 32x32 patch: FLOPs per pixel (torch's counter) and torch operations dispatched."""
    patch = sky_crop(32, seed=1)
    data = codec.encode(patch)
    with FlopCounterMode(display=False) as counter:
        codec.decode(data)
    with _OpCounter() as ops:
        codec.decode(data)
    return counter.get_total_flops() / patch.size, ops.ops


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="pixelcnn,idf,l3c")
    ap.add_argument("--crop", type=int, default=128, help="side of the frame coded")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    frame = sky_crop(a.crop)
    mp = frame.size / 1e6
    print(f"paper-size codecs on the CPU, exact float64, {a.threads} thread(s), a {a.crop}x{a.crop} frame "
          f"({frame.size // 1024} patches of 32x32)")
    print(f"{'model':<10} {'params':>8} {'dec MFLOP/px':>12} {'dec ops/patch':>13} {'encode s/MP':>12} "
          f"{'decode s/MP':>12}  round trip")
    for kind in [m.strip() for m in a.models.split(",") if m.strip()]:
        torch.manual_seed(0)
        model = MODELS[kind].build(named_config(kind, "paper"), 1)
        assert isinstance(model, torch.nn.Module)
        with torch.no_grad():  # IDF's output convolutions start at zero (an identity flow): draw them
            for conv in model.modules():
                if isinstance(conv, torch.nn.Conv2d) and not bool(conv.weight.any()):
                    conv.weight.normal_(0.0, 0.02)
        codec = NeuralCodec(make_exact(model), kind, "direct", label="paper-random")
        fpp, ops = decode_work(codec)
        t0 = time.perf_counter()
        data = codec.encode(frame)
        t1 = time.perf_counter()
        ok = bool(np.array_equal(codec.decode(data), frame))
        t2 = time.perf_counter()
        print(f"{kind:<10} {common.count_params(model) / 1e6:>7.1f}M {fpp / 1e6:>12.1f} {ops:>13} "
              f"{(t1 - t0) / mp:>12.0f} {(t2 - t1) / mp:>12.0f}  {'exact' if ok else 'MISMATCH'}", flush=True)


if __name__ == "__main__":
    main()
