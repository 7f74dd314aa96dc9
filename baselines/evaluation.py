"""Evaluate the paper's classical baselines, sandboxed (their images) or in process.

Records use the submission ids ``baseline-<codec>`` (so the leaderboard and
``challenge test`` find them) and the registry's display names (``BaselineSpec.title``:
ours, with size and training data, never the paper's bare column name).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from baselines.baseline_images import ensure_baseline_images
from baselines.registry import BASELINES
from evaluator.evaluate import evaluate_image
from evaluator.inprocess import evaluate_inprocess
from evaluator.records import ResultRecord, ResultStore
from evaluator.tracks import Track

# progress_for(codec) -> a progress callback for that codec's run
ProgressFactory = Callable[[str], Callable[[str], None]]


def evaluate_baselines(
    names: Iterable[str],
    tracks: list[Track],
    source: Any,
    store: ResultStore | str,
    *,
    profile: str = "cpu-1",
    inprocess: bool = False,
    progress_for: ProgressFactory | None = None,
    image_progress: Callable[[str], None] | None = None,
) -> list[ResultRecord]:
    """One record per (baseline, track); ``UnknownName`` (a ``KeyError``) for an unknown baseline."""
    specs = [BASELINES[n] for n in names]
    images = {} if inprocess else ensure_baseline_images([s.name for s in specs], progress=image_progress)
    records: list[ResultRecord] = []
    for spec in specs:
        progress = progress_for(spec.name) if progress_for else None
        if inprocess:
            records += evaluate_inprocess(spec.factory(), tracks, source, store, submission=spec.submission,
                                          codec_name=spec.title, progress=progress, neural=spec.neural)
        else:
            built = images[spec.name]
            records += evaluate_image(built.tag, tracks, source, profile, store, submission=spec.submission,
                                      codec_name=spec.title, progress=progress,
                                      image_compressed_size=built.compressed_size_bytes, neural=spec.neural)
    return records
