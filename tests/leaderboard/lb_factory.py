"""Realistic result records for leaderboard tests and the benchmark.

Records look like what the sandbox evaluator writes for the classical
baselines on the synthetic split (submission ids ``baseline-<codec>``, the
paper's column titles as codec names, ``synthetic=True``), with per-item rows
whose summary is computed by ``evaluator.core.metrics.summarize`` (not typed in).
The numbers are drawn at random around plausible values: test data only.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from evaluator.core.metrics import summarize
from evaluator.data.noise_floor import gaussian_entropy_bits
from evaluator.results.fingerprints import Fingerprint
from evaluator.results.records import Failure, ResultRecord, ResultStore

BASELINES: dict[str, str] = {
    "jpegxl-max": "JPEG-XL (max)", "jpegxl": "JPEG-XL", "jpegls": "JPEG-LS", "jpeg2000": "JPEG-2000", "rice": "RICE",
}
# Rough encode speed (MB/s) and ratio offset per classical codec, for plausible spreads.
_SPEED = {"jpegxl-max": 0.2, "jpegxl": 20.0, "jpegls": 60.0, "jpeg2000": 10.0, "rice": 150.0}
_GAIN = {"jpegxl-max": 1.10, "jpegxl": 1.02, "jpegls": 1.0, "jpeg2000": 0.98, "rice": 0.92}

FINGERPRINT_CPU1 = {"cpu_model": "Intel Xeon Gold 6338", "cores": 1, "memory_gb": 4, "docker": "26.1.5",
                    "evaluator": "0.1.0", "dataset_revision": "synthetic-v1"}


def items_frame(codec_id: str, track: str, *, n_items: int = 6, seed: int = 0, shape: tuple[int, ...] = (256, 256),
                exptime: bool = False, speed: float | None = None, gain: float | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(zlib.crc32(f"{codec_id}/{track}/{seed}".encode()))
    npix = int(np.prod(shape))
    sigma = rng.uniform(3.0, 40.0, n_items)
    noise_bpp = np.array([gaussian_entropy_bits(s) for s in sigma])
    # above the noise floor by a codec-dependent overhead (a lossless codec cannot beat pure noise)
    bpp = noise_bpp + rng.uniform(0.4, 1.2, n_items) / (gain if gain is not None else _GAIN.get(codec_id, 1.0)) ** 4
    cbytes = np.maximum(1, np.round(bpp * npix / 8)).astype(int)
    mbps = speed if speed is not None else _SPEED.get(codec_id, 5.0)
    enc = 2 * npix / 1e6 / (mbps * rng.uniform(0.8, 1.2, n_items))
    dec = enc * rng.uniform(0.5, 1.0, n_items)
    return pd.DataFrame({
        "item_id": [f"synthetic-{track}-{i:03d}" for i in range(n_items)],
        "shape": [list(shape)] * n_items,
        "npix": [npix] * n_items,
        "compressed_bytes": cbytes,
        "bpp": 8.0 * cbytes / npix,
        "ratio": 16.0 * npix / (8.0 * cbytes),
        "encode_s": enc,
        "decode_s": dec,
        "noise_sigma": sigma,
        "noise_bpp": noise_bpp,
        "exptime": rng.uniform(30, 2000, n_items) if exptime else [None] * n_items,
        "status": ["ok"] * n_items,
        "failure_kind": [None] * n_items,
        "failure_message": [None] * n_items,
    })


def verified_record(codec_id: str, track: str, *, codec: str | None = None, submission: str | None = None,
                    profile: str = "cpu-1", split: str = "synthetic-small-s0:full_test", n_items: int = 6,
                    seed: int = 0, neural: bool = False, speed: float | None = None,
                    gain: float | None = None) -> tuple[ResultRecord, pd.DataFrame]:
    items = items_frame(codec_id, track, n_items=n_items, seed=seed, exptime=(track == "hubble"),
                        speed=speed, gain=gain)
    s = summarize(list(items["npix"]), list(items["compressed_bytes"]), list(items["encode_s"]),
                  list(items["decode_s"]), list(items["noise_bpp"]))
    rec = ResultRecord(
        submission=submission or f"baseline-{codec_id}", codec=codec or BASELINES.get(codec_id, codec_id),
        track=track, profile=profile, split=split, provenance="verified", synthetic=split.startswith("synthetic"),
        status="ok", summary=s,
        fingerprint=Fingerprint.from_json(dict(FINGERPRINT_CPU1, image_digest=f"sha256:{seed:064x}")),
        neural=neural,
        manifest={"name": codec or codec_id, "authors": ["AstroCompress Challenge"], "license": "MIT",
                  "description": f"baseline {codec_id}", "link": "https://example.org/codec"},
    )
    return rec, items


def failed_record(submission: str, track: str, *, codec: str = "Broken codec") -> ResultRecord:
    return ResultRecord(
        submission=submission, codec=codec, track=track, profile="cpu-1", split="synthetic-small-s0:full_test",
        provenance="verified", synthetic=True, status="failed",
        failure=Failure("not_lossless", "decoded item differs from the original at 12 pixels; "
                        "check your decoder's byte order", item_id="synthetic-hubble-001"),
        fingerprint=Fingerprint.from_json({"image_digest": "sha256:" + "ab" * 32}),
        manifest={"name": codec, "authors": ["Jane Doe"], "license": "MIT"},
    )


def write_baselines(store: ResultStore, tracks: list[str], *, profile: str = "cpu-1") -> list[str]:
    keys = []
    for codec_id in BASELINES:
        for track in tracks:
            rec, items = verified_record(codec_id, track, profile=profile)
            keys.append(store.write(rec, items))
    return keys
