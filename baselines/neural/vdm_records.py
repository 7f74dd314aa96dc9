"""VDM estimates as result records (provenance *estimate*), and the shipped set the demo seeds.

No torch here: the demo and the leaderboard command seed the committed estimates
(``vdm_estimates.json`` beside this module, written by ``scripts/vdm_estimates.py``)
without loading a model. Each record is a *likelihood bound*, not a codec: no bitstream
was written or decoded. Its summary holds

- ``bpp_mean``: the mean over items of the bound in bits per raw 16-bit pixel
  (side information included, `baselines.neural.vdm_estimate`);
- ``ratio_mean``: the mean over items of the **implied** ratio ``16 / bpp`` (the paper's
  Table 1 convention for likelihood models); ``ratio_aggregate`` likewise over all pixels;
- ``bpp_stderr``: the spread, the standard error of ``bpp_mean`` over the time samples
  (``sqrt(sum se_i^2) / n`` of the items' standard errors).

The leaderboard shows these rows with the *estimate* badge and never ranks them. What
training did to the bound travels with each record (``manifest``: ``bound_moved``,
``bound_moved_relative``, the initial and best validation bounds, the curve, why training
stopped; ``codec_info``: the flag and the move); a bound that stayed within 2 % of the
untrained model's carries ``manifest["bound_note"]`` ("≈ untrained preconditioner ..."),
which the board shows as a badge beside *estimate*.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import pandas as pd

from baselines.model_names import OUR_MODELS
from baselines.neural.vdm_curve import move_note
from evaluator.core.metrics import RAW_BITS
from evaluator.core.schema import ITEM_COLUMNS, TrackSummary
from evaluator.results.records import BOUND_NOTE_KEY, ResultRecord, ResultStore

log = logging.getLogger(__name__)

SUBMISSION = "estimate-vdm-small"
CODEC = OUR_MODELS["vdm"].title  # "VDM-small (ours, 0.16 M, synthetic-trained)": the registry names it
PROFILE = "inprocess"
SOURCE = "scripts/vdm_estimates.py (baselines.neural.vdm_estimate)"
SHIPPED = Path(__file__).resolve().parent / "vdm_estimates.json"
DESCRIPTION = ("Variational bound (Kingma et al. 2021) of our small VDM on each test item: an estimate of "
               "-log2 p(x), not a codec. No bitstream was written or decoded; the ratio is the implied "
               "16 / bound bits per pixel. Spread: standard error over diffusion-time samples.")


def estimate_record(entry: dict[str, Any]) -> tuple[ResultRecord, pd.DataFrame]:
    """The record and items table of one shipped (or freshly computed) entry.

    ``entry``: ``track, split, synthetic, created_at, info`` (checkpoint facts) and ``items``
    (``item_id, shape, npix, bpp, stderr, samples, seconds``).
    """
    items = entry["items"]
    bpps = [float(i["bpp"]) for i in items]
    ratios = [RAW_BITS / b for b in bpps]
    npix = sum(int(i["npix"]) for i in items)
    total_bits = sum(float(i["bpp"]) * int(i["npix"]) for i in items)
    n = len(items)
    summary = TrackSummary(
        n_items=n, ratio_mean=sum(ratios) / n, ratio_aggregate=RAW_BITS * npix / total_bits, bpp_mean=sum(bpps) / n,
        bpp_stderr=math.sqrt(sum(float(i["stderr"]) ** 2 for i in items)) / n)
    info = dict(entry["info"])
    manifest = {
        "name": CODEC, "description": DESCRIPTION, "kind": "likelihood bound (estimate), not a codec",
        "bitstream": "none: nothing was encoded or decoded", "ratio": "implied: 16 / bound bits per pixel",
        "spread": "bpp_stderr: standard error of the mean bound over the diffusion-time samples",
        "samples": info.get("samples"), "seed": info.get("seed"), "checkpoint": info.get("checkpoint"),
        "weights_sha256": info.get("weights_sha256"), "config": info.get("config"),
        "train_steps": info.get("steps"), "train_minutes": info.get("minutes"), "checkpoint_data": info.get("data"),
        "seconds_per_item": round(sum(float(i["seconds"]) for i in items) / n, 2),
        # what training did to the bound (`baselines.neural.vdm_curve`): moved = (initial - best) / initial
        "bound_moved": info.get("bound_moved"), "bound_moved_relative": info.get("moved"),
        "val_bpp_initial": info.get("val_bpp_initial"), "val_bpp_best": info.get("val_bpp_best", info.get("val_bpp")),
        "train_stopped": info.get("stopped"), "train_total_minutes": info.get("total_minutes"),
        "train_curve": info.get("curve"),
    }
    note = move_note(info.get("moved"), info.get("bound_moved"))
    if note:
        manifest[BOUND_NOTE_KEY] = note
    record = ResultRecord(
        submission=SUBMISSION, codec=CODEC, track=entry["track"], profile=PROFILE, split=entry["split"],
        provenance="estimate", synthetic=bool(entry["synthetic"]), status="ok", summary=summary, neural=True,
        codec_info={"params": info.get("params"), "sha256": info.get("weights_sha256"),
                    "bound_moved": info.get("bound_moved"), "bound_moved_relative": info.get("moved")},
        manifest=manifest,
        source=SOURCE, created_at=entry["created_at"],
        item_ratios={str(i["item_id"]): RAW_BITS / float(i["bpp"]) for i in items})
    rows = [{"item_id": str(i["item_id"]), "shape": "x".join(str(d) for d in i["shape"]), "npix": int(i["npix"]),
             "compressed_bytes": None, "bpp": float(i["bpp"]), "ratio": RAW_BITS / float(i["bpp"]), "encode_s": None,
             "decode_s": None, "noise_sigma": None, "noise_bpp": None, "exptime": None, "status": "ok",
             "failure_kind": None, "failure_message": None} for i in items]
    return record, pd.DataFrame(rows).reindex(columns=list(ITEM_COLUMNS))


def shipped_entries(path: Path = SHIPPED) -> list[dict[str, Any]]:
    """The committed estimates (empty when the file is absent)."""
    if not path.is_file():
        return []
    return list(json.loads(path.read_text(encoding="utf-8"))["entries"])


def write_shipped(entries: list[dict[str, Any]], path: Path = SHIPPED) -> None:
    blob = {"about": "VDM likelihood-bound estimates shipped with the repository; regenerate with "
                     "python scripts/vdm_estimates.py --ship", "entries": entries}
    path.write_text(json.dumps(blob, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def seed_vdm_estimates(store: ResultStore, path: Path = SHIPPED) -> list[str]:
    """Write the shipped estimates into ``store`` (idempotent: unchanged records are not rewritten)."""
    return store.seed((estimate_record(entry) for entry in shipped_entries(path)), "VDM estimate")
