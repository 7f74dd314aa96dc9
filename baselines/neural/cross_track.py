"""The paper's Table 2 for our IDF checkpoints: trained on one track's data, tested on another's.

Each committed IDF checkpoint (``checkpoints/idf-<dataset>.pt``) codes the
first items of every other single-frame track, in this process, through the
same evaluation loop the in-process baselines use
(``evaluator.run.inprocess.evaluate_inprocess``): real range-coded bitstreams of
the exact model (``baselines.neural.exact``), each decoded and compared bit
for bit. One record per (training track, tested track), provenance
*verified*, its data label the source's (synthetic by default), with the
training set in ``manifest["trained_on"]`` so the leaderboard shows it in the
cross-track table and not in the track rankings.

The paper's "all data" row has no checkpoint here (ours are trained per
dataset) and is left out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from baselines.model_names import OUR_MODELS
from baselines.neural.checkpoints import (
    CheckpointError,
    checkpoint_path,
    load_checkpoint,
)
from baselines.neural.codec import codec_from_checkpoint
from evaluator.core.tracks import TRACKS
from evaluator.data.data_source import DataSource
from evaluator.results.records import TRAINED_ON_KEY, ResultRecord, ResultStore
from evaluator.run.evaluate import first_items, resolve
from evaluator.run.inprocess import evaluate_inprocess

log = logging.getLogger(__name__)

TABLE2_TRACKS: tuple[str, ...] = ("lco", "keck", "hubble", "jwst-2d", "sdss-2d")  # the paper's columns, in order
SUBMISSION_PREFIX = "crosstrack-idf-trained-on-"


@dataclass(frozen=True)
class CrossTrackRun:
    records: list[ResultRecord]
    seconds: float


def cross_track_idf(source: DataSource | str, store: ResultStore, *, train: Sequence[str] = TABLE2_TRACKS,
                    test: Sequence[str] = TABLE2_TRACKS, n_items: int = 2,
                    progress: Callable[[str], None] | None = None) -> CrossTrackRun:
    """Code the first ``n_items`` of each ``test`` track with the IDF checkpoint of each ``train`` track.

    Writes one record (with its per-item rows) per pair into ``store`` and
    returns them. Unknown track names raise ``KeyError`` before any work.
    """
    for name in (*train, *test):
        TRACKS[name]  # UnknownName, listing the tracks, before anything runs
        try:
            checkpoint_path("idf", name)
        except CheckpointError as e:
            raise KeyError(str(e)) from e
    src = first_items(resolve(source), n_items)
    scratch = ResultStore("memory://cross-track-idf")
    start = time.perf_counter()
    out: list[ResultRecord] = []
    for trained in train:
        path = checkpoint_path("idf", trained)
        ckpt = load_checkpoint(path)
        codec = codec_from_checkpoint(ckpt)
        if progress:
            progress(f"IDF trained on {trained}: coding {', '.join(test)}")
        records = evaluate_inprocess(codec, [TRACKS[t] for t in test], src, scratch,
                                     submission=f"{SUBMISSION_PREFIX}{trained}",
                                     codec_name=OUR_MODELS["idf"].trained_on_title(trained), neural=True)
        for rec in records:
            rec.manifest = {"name": OUR_MODELS["idf"].label, TRAINED_ON_KEY: trained, "checkpoint": path.name,
                            "weights_sha256": ckpt.sha256, "checkpoint_data": ckpt.meta.get("data"),
                            "description": "our IDF checkpoint trained on one track's data, tested on another "
                                           "(the paper's Table 2 protocol)"}
            rec.source = "scripts/cross_track_idf.py (baselines.neural.cross_track)"
            store.write(rec, scratch.items(rec.key))
            scratch.delete(rec.key)
            out.append(rec)
    return CrossTrackRun(out, time.perf_counter() - start)


def ratio_matrix(records: Sequence[ResultRecord]) -> dict[str, dict[str, float | None]]:
    """Mean ratio by training track (rows) and tested track (columns); None where a run failed."""
    table: dict[str, dict[str, float | None]] = {}
    for rec in records:
        train = str(rec.manifest.get(TRAINED_ON_KEY, ""))
        table.setdefault(train, {})[rec.track] = rec.summary.ratio_mean if rec.status == "ok" else None
    return table
