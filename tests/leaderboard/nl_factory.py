"""Near-lossless result records for the leaderboard's tests: two codecs on Keck, lossless and at every bound.

``write_near_lossless(store)`` writes, for each codec, a lossless record on
``keck`` (its δ = 0 point) and one record per variant (``keck-nl1``,
``keck-nl2``, ``keck-nl4``, ``keck-nlsigma``) whose ratio grows with the
bound, with the error statistics an evaluation writes; plus a failed
``bound_exceeded`` record of a third codec on ``keck-nl2``. Test data only.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from lb_factory import verified_record

from evaluator.core.metrics import summarize
from evaluator.core.tracks import NEAR_LOSSLESS_TRACKS
from evaluator.results.fingerprints import Fingerprint
from evaluator.results.records import Failure, ResultRecord, ResultStore

# codec id -> (display name, ratio factor over its lossless ratio per bound delta; None = the sigma bound)
CODECS: dict[str, str] = {"nlcodec-a": "Alpha NL", "nlcodec-b": "Beta NL"}
FACTORS: dict[str, dict[int | None, float]] = {
    "nlcodec-a": {1: 1.30, 2: 1.60, 4: 2.10, None: 2.60},
    "nlcodec-b": {1: 1.20, 2: 1.70, 4: 2.00, None: 2.90},
}
SIGMA_BOUNDS = (3, 7)  # bound_min, bound_max of the sigma-track records
FAILED = "nlcodec-broken"


def near_lossless_record(codec_id: str, track: str, factor: float, *, codec: str | None = None,
                         seed: int = 0) -> tuple[ResultRecord, pd.DataFrame]:
    """A verified record of ``codec_id`` on ``track`` whose items are ``factor`` times smaller than lossless."""
    parent = NEAR_LOSSLESS_TRACKS[track].lossless_track if track in NEAR_LOSSLESS_TRACKS else track
    rec, items = verified_record(codec_id, parent, codec=codec or CODECS.get(codec_id), seed=seed)
    if track == parent:
        return rec, items
    delta = NEAR_LOSSLESS_TRACKS[track].max_abs_error
    items = items.copy()
    items["compressed_bytes"] = (items["compressed_bytes"] / factor).round().astype(int)
    items["bpp"] = 8.0 * items["compressed_bytes"] / items["npix"]
    items["ratio"] = 16.0 * items["npix"] / (8.0 * items["compressed_bytes"])
    s = summarize(list(items["npix"]), list(items["compressed_bytes"]), list(items["encode_s"]),
                  list(items["decode_s"]), list(items["noise_bpp"]))
    lo, hi = (delta, delta) if delta is not None else SIGMA_BOUNDS
    s = replace(s, bound_max=hi, bound_min=lo, err_abs_max=hi, err_rms=0.4 * hi, err_mean=0.001 * factor,
                changed_frac=min(0.9, 0.2 * hi), flux_dev_median=0.05 * hi, flux_dev_worst=0.3 * hi,
                flux_bias=-0.01 * hi, n_sources=120)
    return replace(rec, track=track, summary=s), items


def write_near_lossless(store: ResultStore, parent: str = "keck") -> list[str]:
    keys = []
    variants = {t.max_abs_error: name for name, t in NEAR_LOSSLESS_TRACKS.items() if t.lossless_track == parent}
    for codec_id in CODECS:
        keys.append(store.write(*near_lossless_record(codec_id, parent, 1.0)))
        for delta, factor in FACTORS[codec_id].items():
            keys.append(store.write(*near_lossless_record(codec_id, variants[delta], factor)))
    keys.append(store.write(failed_near_lossless(f"baseline-{FAILED}", variants[2])))
    return keys


def failed_near_lossless(submission: str, track: str, *, codec: str = "Broken NL") -> ResultRecord:
    return ResultRecord(
        submission=submission, codec=codec, track=track, profile="cpu-1", split="synthetic-small-s0:full_test",
        provenance="verified", synthetic=True, status="failed",
        failure=Failure("bound_exceeded", "|decoded - original| = 3 > 2 ADU at 40 pixels",
                        item_id="synthetic-keck-001"),
        fingerprint=Fingerprint.from_json({"image_digest": "sha256:" + "cd" * 32}),
        manifest={"name": codec, "authors": ["Jane Doe"], "license": "MIT"},
    )
