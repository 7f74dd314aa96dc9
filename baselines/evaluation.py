"""Evaluate the paper's classical baselines, sandboxed (their images) or in process.

Records use the submission ids ``baseline-<codec>`` (so the leaderboard and
``challenge test`` find them) and the registry's display names (``BaselineSpec.title``:
ours, with size and training data, never the paper's bare column name).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from baselines.baseline_images import ensure_baseline_images
from baselines.registry import BASELINES
from evaluator.core.tracks import Track
from evaluator.results.records import ResultRecord, ResultStore
from evaluator.run.evaluate import ImageRun, evaluate_image
from evaluator.run.inprocess import evaluate_inprocess
from evaluator.sandbox.profiles import Profile

log = logging.getLogger(__name__)

# progress_for(codec) -> a progress callback for that codec's run
ProgressFactory = Callable[[str], Callable[[str], None]]


def evaluate_baselines(
    names: Iterable[str],
    tracks: list[Track],
    source: Any,
    store: ResultStore | str,
    *,
    profile: str | Profile = "cpu-1",
    inprocess: bool = False,
    progress_for: ProgressFactory | None = None,
    image_progress: Callable[[str], None] | None = None,
) -> list[ResultRecord]:
    """One record per (baseline, track it codes); ``UnknownName`` (a ``KeyError``) for an unknown baseline.

    A track a baseline does not code (a neural one with no checkpoint for it: ``BaselineSpec.skip_reason``)
    is skipped, the reason logged and told to ``progress``, not run into a start-up failure.
    """
    specs = [BASELINES[n] for n in names]
    images = {} if inprocess else ensure_baseline_images([s.name for s in specs], progress=image_progress)
    records: list[ResultRecord] = []
    for spec in specs:
        progress = progress_for(spec.name) if progress_for else None
        # near-lossless tracks: the evaluator's offer rule (evaluator.core.tracks.offered_tracks) drops them for a
        # lossless codec
        skipped = {t.name: reason for t in tracks if not t.near_lossless and (reason := spec.skip_reason(t.name))}
        for name, reason in skipped.items():
            log.warning("%s: skipping track %s: %s", spec.name, name, reason)
            if progress:
                progress(f"skipping track {name}: {reason}")
        served = [t for t in tracks if t.name not in skipped]
        if not served:
            continue
        if inprocess:
            records += evaluate_inprocess(spec.factory(), served, source, store, submission=spec.submission,
                                          codec_name=spec.title, progress=progress, neural=spec.neural)
        else:
            built = images[spec.name]
            records += evaluate_image(ImageRun(built.identity(), served, source, profile, store,
                                               submission=spec.submission, codec_name=spec.title, progress=progress,
                                               neural=spec.neural))
    return records
