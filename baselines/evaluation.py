"""Evaluate the paper's classical baselines, sandboxed (their images) or in process.

Records use the submission ids ``baseline-<codec>`` and the paper's column
titles as codec names, so the leaderboard and ``challenge test`` find them.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from baselines.baseline_images import ensure_baseline_images
from baselines.classical import CODECS
from evaluator.evaluate import evaluate_image
from evaluator.inprocess import evaluate_inprocess
from evaluator.records import ResultRecord, ResultStore
from evaluator.tracks import Track

# progress_for(codec) -> a progress callback for that codec's run
ProgressFactory = Callable[[str], Callable[[str], None]]


def baseline_submission(codec: str) -> str:
    return f"baseline-{codec}"


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
    """One record per (baseline, track); raises ``KeyError`` for an unknown baseline name."""
    names = list(names)
    unknown = [n for n in names if n not in CODECS]
    if unknown:
        raise KeyError(f"unknown baseline(s) {unknown}; choose from {', '.join(CODECS)}")
    images: dict[str, Any] = {}
    if not inprocess:
        images = ensure_baseline_images(progress=image_progress)
    records: list[ResultRecord] = []
    for name in names:
        codec = CODECS[name]
        progress = progress_for(name) if progress_for else None
        if inprocess:
            records += evaluate_inprocess(codec, tracks, source, store, submission=baseline_submission(name),
                                          codec_name=codec.title, progress=progress)
        else:
            built = images[name]
            records += evaluate_image(built.tag, tracks, source, profile, store,
                                      submission=baseline_submission(name), codec_name=codec.title,
                                      progress=progress, image_compressed_size=built.compressed_size_bytes)
    return records
