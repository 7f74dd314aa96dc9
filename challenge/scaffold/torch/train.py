"""Train the checkerboard network (``model.py``) and write ``weights.pt``.

    python train.py                       # synthetic Hubble frames, 3 minutes on one core
    python train.py --track sdss-2d --data ./my_corpus --minutes 10

``--data`` is what ``challenge test --data`` takes (``synthetic``, a folder in
the Hub layout, ``hub@REV``); training uses its training split, so the test
items the evaluator measures are never seen. Loss: bits per white pixel of
the discretized logistic mixture (what the range coder will spend).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch
from model import PATCH, CheckerboardNet

from evaluator.core.tracks import get_track
from evaluator.data.data_source import resolve_source

HERE = Path(__file__).resolve().parent
BLACK = torch.from_numpy(np.add.outer(np.arange(PATCH), np.arange(PATCH)) % 2 == 0)


def frames(track: str, data: str) -> list[np.ndarray]:
    source = resolve_source(data, split="full_train")
    out = []
    for item in source.iter_items(get_track(track)):
        out += list(item.data.reshape((-1,) + item.data.shape[-2:]))
    if not out:
        raise SystemExit(f"no training items for {track} in {data}")
    return out


def batch(pool: list[np.ndarray], rng: np.random.Generator, n: int) -> torch.Tensor:
    crops = []
    for _ in range(n):
        f = pool[rng.integers(len(pool))]
        i, j = rng.integers(0, f.shape[0] - PATCH + 1), rng.integers(0, f.shape[1] - PATCH + 1)
        c = f[i:i + PATCH, j:j + PATCH]
        crops.append(c[:, ::-1] if rng.random() < 0.5 else c)
    return torch.from_numpy(np.stack(crops).astype(np.float32))


def white_bits(net: CheckerboardNet, x: torch.Tensor) -> torch.Tensor:
    """Mean bits per white pixel (same normalisation as codec.py)."""
    black = x[:, BLACK]
    med = black.median(dim=1).values
    scale = torch.clamp(1.4826 * (black - med[:, None]).abs().median(dim=1).values, min=1.0)
    norm = torch.where(BLACK, (x - med[:, None, None]) / scale[:, None, None], torch.zeros(()))
    out = net(torch.stack([norm, BLACK.expand_as(norm).float()], 1))
    k = out.shape[1] // 3
    mu = out[:, :k] * scale[:, None, None, None] + med[:, None, None, None]
    log_s = torch.clamp(out[:, k:2 * k] + torch.log(scale)[:, None, None, None], -7.0, 30.0)
    logw = torch.log_softmax(out[:, 2 * k:], dim=1)
    v = x[:, None]
    inv_s = torch.exp(-log_s)
    upper = torch.where(v >= 65535, torch.full_like(v, 1e30), v + 0.5)
    lower = torch.where(v <= 0, torch.full_like(v, -1e30), v - 0.5)
    p = torch.sigmoid((upper - mu) * inv_s) - torch.sigmoid((lower - mu) * inv_s)
    logp = torch.logsumexp(logw + torch.log(torch.clamp(p, min=1e-12)), dim=1)
    return -(logp[:, ~BLACK]).mean() / math.log(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--track", default="hubble")
    parser.add_argument("--data", default="synthetic")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    pool = frames(args.track, args.data)
    net = CheckerboardNet()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    deadline, step = time.monotonic() + 60 * args.minutes, 0
    while time.monotonic() < deadline:
        loss = white_bits(net, batch(pool, rng, args.batch))
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 50 == 0:
            print(f"step {step}: {loss.item():.3f} bits per white pixel", flush=True)
    torch.save(net.state_dict(), HERE / "weights.pt")
    print(f"wrote {HERE / 'weights.pt'} after {step} steps")


if __name__ == "__main__":
    main()
