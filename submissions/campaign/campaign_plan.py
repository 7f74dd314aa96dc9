"""Planning an organizer campaign: what to re-evaluate, cut into (submission x track x shard) tasks.

:func:`finished_targets` (every finished submission of the queue) and
:func:`baseline_targets` (the baselines' images) say *what*; :func:`plan_campaign`
turns them into :class:`submissions.evaluation.evaluation_task.EvaluationTask` s for a data
spec and a profile; :func:`submissions.evaluation.evaluation_task.submit_kwargs` is how each task goes to
Dask (key, retries, GPU resource). Running them is ``submissions.campaign.campaign``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from baselines.baseline_images import ensure_baseline_images
from baselines.registry import select_baselines
from evaluator.core.tracks import select_tracks
from evaluator.data.data_source import resolve_source
from evaluator.images import compressed_image_size
from evaluator.results.image_identity import ImageIdentity
from evaluator.sandbox.profiles import get_profile
from submissions.evaluation.evaluation_task import EvaluationTask, needs_gpu
from submissions.queue import states
from submissions.service.worker import DataPlan, submission_tag

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CampaignTarget:
    """A codec image a campaign re-evaluates: a finished submission or a baseline."""

    submission: str
    codec_name: str
    image: ImageIdentity  # frozen: the queue's for a submission, the build's for a baseline
    manifest: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    tracks: tuple[str, ...] | None = None  # the submission's own track list; None: every track
    image_tar: str | None = None
    tar_sha256: str | None = None
    image_tag: str | None = None


def finished_targets(queue: Any) -> list[CampaignTarget]:
    """Every finished submission of ``queue`` (a :class:`~submissions.queue.submission_queue.SubmissionQueue`),
    oldest first.

    The image is the id frozen at queue time; workers whose engine lacks it
    load the submission's tar (checked, as the queue worker does).
    """

    out = []
    for sub in reversed(queue.submissions(state=states.FINISHED)):
        out.append(CampaignTarget(
            submission=sub.id, codec_name=sub.name, image=sub.image, manifest=dict(sub.manifest),
            tracks=tuple(sub.tracks) if sub.tracks else None,
            image_tar=sub.image_tar, tar_sha256=sub.tar_sha256,
            image_tag=submission_tag(sub.id),
        ))
    return out


def baseline_targets(names: Iterable[str] | None = None, progress: Callable[[str], None] | None = None
                     ) -> list[CampaignTarget]:
    """The registry's baselines as campaign targets, their images built or found first.

    ``UnknownName`` (a ``KeyError``) names the known baselines when one is not in the registry.
    """
    specs = select_baselines(list(names) if names is not None else None)
    images = ensure_baseline_images([s.name for s in specs], progress=progress)
    return [CampaignTarget(submission=s.submission, codec_name=s.title,
                           image=images[s.name].identity(),
                           manifest={"base": "torch"} if s.neural else {})
            for s in specs]


def plan_campaign(
    targets: list[CampaignTarget],
    tracks: str | list[str],
    source_spec: str | None,
    profile: str | None,
    shards_per_track: int = 1,
) -> list[EvaluationTask]:
    """One task per (target, track, shard), in that order.

    ``tracks``: ``"all"``, ``"paper"``, names (``evaluator.core.tracks.select_tracks``);
    a submission's own track list narrows it. ``source_spec``: one ``--data``
    spec for every track, or None for each dataset's registered hidden split
    (else synthetic), as the queue worker chooses (``submissions.service.worker.DataPlan``).
    ``profile``: the campaign's profile, or None for each submission's own
    (manifest ``profile``, default ``cpu-1``). Data specs are resolved here once,
    so a bad spec fails before anything is submitted (and the synthetic corpus
    is generated once, not by every worker).
    """

    if shards_per_track < 1:
        raise ValueError(f"shards per track must be at least 1, got {shards_per_track}")
    chosen = select_tracks(tracks)
    plan = DataPlan(default=source_spec)
    sources: dict[str, tuple[str, bool]] = {}
    tasks: list[EvaluationTask] = []
    for target in targets:
        prof = profile or str(target.manifest.get("profile") or "cpu-1")
        get_profile(prof)  # unknown profile: KeyError naming the choices
        for track in chosen:
            if target.tracks is not None and track.name not in target.tracks:
                continue
            spec = plan.spec_for(track.dataset)
            if spec not in sources:
                src = resolve_source(spec)
                sources[spec] = (str(src.label), bool(src.synthetic))
            label, synthetic = sources[spec]
            for shard in range(shards_per_track):
                tasks.append(EvaluationTask(
                    submission=target.submission, codec_name=target.codec_name, image=target.image,
                    track=track.name, shard_index=shard, shard_count=shards_per_track,
                    needs_gpu=needs_gpu(prof, target.manifest), profile=prof, data_spec=spec, split_label=label,
                    synthetic=synthetic, manifest=dict(target.manifest),
                    image_tar=target.image_tar,
                    tar_sha256=target.tar_sha256, image_tag=target.image_tag,
                ))
    return tasks


def with_image_sizes(tasks: list[EvaluationTask]) -> list[EvaluationTask]:
    """Fill unknown compressed image sizes, measured once per image on this machine (cached by image id)."""
    sizes: dict[str, int | None] = {}
    for ref in dict.fromkeys(t.image.run_ref for t in tasks if t.image.compressed_size_bytes is None):
        try:
            sizes[ref] = compressed_image_size(ref)
        except Exception as exc:  # noqa: BLE001  (a size is provenance; a missing image fails in its task)
            log.warning("could not measure the compressed size of %s here: %s", ref, exc)
            sizes[ref] = None

    def sized(t: EvaluationTask) -> EvaluationTask:
        if t.image.run_ref not in sizes:
            return t
        return dataclasses.replace(t, image=dataclasses.replace(t.image, compressed_size_bytes=sizes[t.image.run_ref]))

    return [sized(t) for t in tasks]
