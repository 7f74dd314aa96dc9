"""The evaluation engine: one codec, some tracks, one data source -> result records.

Per track (DESIGN.md "Measurement"): start the encoder and decoder (startup
timed apart), stream the items one at a time, time every request from
outside, check every round trip bit for bit (``evaluator.run.track_run``), and
write one :class:`evaluator.results.records.ResultRecord` with its per-item rows.
Any failure on an item fails that track (paper Section 4.2); the record is
still written, with the reason and the rows so far, and the other tracks go
on. The same loop runs an in-process codec (``evaluator.run.inprocess``): only
the :class:`evaluator.run.track_run.CodecRunner` differs.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from evaluator.core.failures import CodecFailure
from evaluator.core.manifest import modes_near_lossless
from evaluator.core.metrics import track_summary
from evaluator.core.tracks import Track, offered_tracks
from evaluator.data.data_source import DataSource, resolve_source
from evaluator.data.items import Item
from evaluator.images import compressed_image_size
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import Failure, ResultRecord, ResultStore, utcnow
from evaluator.run.run_context import ImageRun, RecordSink, RunContext
from evaluator.run.track_run import CodecRunner, Progress, ProgressEvent, TrackOutcome, run_track
from evaluator.sandbox.codec_pair import SandboxedCodec
from evaluator.sandbox.docker_engine import docker_client
from evaluator.sandbox.image import ImageInfo, image_info
from evaluator.sandbox.profiles import Grant, Profile, fingerprint, get_profile, leased_grant

__all__ = ["CodecRunner", "ImageRun", "ItemsSource", "Progress", "ProgressEvent", "RecordSink", "RunContext",
           "evaluate_image", "evaluate_runner", "first_items", "offered", "resolve"]

log = logging.getLogger(__name__)


@dataclass
class ItemsSource:
    """Any items as a data source: ``ItemsSource({"hubble": [Item(...), ...]}, label="mine")``."""

    items: dict[str, list[Item]]
    label: str = "in-memory"
    synthetic: bool = True
    hidden: bool = False
    revision: str = "in-memory"

    def iter_items(self, track: Track) -> Iterator[Item]:
        return iter(self.items.get(track.name, []))


def resolve(source: DataSource | str, split: str = "full_test") -> DataSource:
    """A data source from a ``--data`` spec string (or the source itself)."""
    if isinstance(source, str):
        return resolve_source(source, split=split)
    return source


def _record(track: Track, source: DataSource, outcome: TrackOutcome, ctx: RunContext) -> ResultRecord:
    """The track's record; its items (``outcome.rows``) go to the store beside it."""
    return ResultRecord(
        submission=ctx.submission, codec=ctx.codec, track=track.name, profile=ctx.profile_name,
        split=str(getattr(source, "label", "unknown")), provenance="verified",
        synthetic=bool(getattr(source, "synthetic", False)),
        status="ok" if outcome.failure is None else "failed",
        summary=track_summary(outcome.rows, failed=outcome.failure is not None), failure=outcome.failure,
        fingerprint=ctx.fingerprint,
        neural=ctx.neural, startup_s=outcome.startup_s, codec_info=dict(outcome.codec_info),
        manifest=dict(ctx.manifest), portable=outcome.portable,
    )


def evaluate_runner(
    make_runner: Callable[[Track], CodecRunner],
    tracks: Sequence[Track],
    source: DataSource,
    ctx: RunContext,
    *,
    setup_failure: CodecFailure | None = None,
) -> list[ResultRecord]:
    """Run each of ``tracks`` of ``source`` through a codec from ``make_runner``; one record per track.

    The loop shared by the sandboxed and the in-process evaluators. ``ctx`` names the run and says
    where records and progress go; ``setup_failure`` (the image could not be inspected) fails every
    track without starting anything.
    """
    hidden = bool(getattr(source, "hidden", False))
    progress = ctx.progress
    records = []
    for track in tracks:
        if progress:
            progress(ProgressEvent.make(f"{track.name}: starting", track=track.name, kind="track_start"))
        if setup_failure is not None:
            outcome = TrackOutcome([], Failure(setup_failure.kind, setup_failure.message), None)
        else:
            stamp = utcnow().replace(":", "")
            outcome = run_track(make_runner(track), track, source.iter_items(track), source, hidden=hidden,
                                log_name=f"{ctx.submission}-{track.name}-{ctx.profile_name}-{stamp}",
                                progress=progress, show_logs=ctx.show_logs, repeats=ctx.repeats)
        record = _record(track, source, outcome, ctx)
        if ctx.store is not None:
            ctx.store.write(record, outcome.rows)  # the store turns the rows into its items table
        records.append(record)
        if record.failure:
            log.info("%s on %s failed: %s: %s", ctx.submission, track.name, record.failure.kind,
                        record.failure.message.splitlines()[0] if record.failure.message else "")
        if progress:
            progress(ProgressEvent.make(
                f"{track.name}: {record.status}" + (f" ({record.failure.kind})" if record.failure else ""),
                track=track.name, kind="track_end", done=sum(1 for r in outcome.rows if r.status == "ok"),
                ok=record.status == "ok", record=record))
    return records


def evaluate_image(run: ImageRun) -> list[ResultRecord]:
    """Evaluate a codec image in the sandbox (:class:`ImageRun` says which, on what, where to); one record per track.

    ``run.store`` receives every record, replacing an earlier run of the same (submission, track,
    profile, split). Raises ``ProfileUnavailable`` when the profile cannot run here (e.g. ``gpu-1``
    without a GPU); codec failures never raise, they are in the records.
    """
    prof = get_profile(run.profile)
    # ProfileUnavailable before anything starts; then cores no concurrent evaluation on this host holds
    with leased_grant(prof) as granted:
        return _evaluate_granted(run, prof, granted)


def _inspect(run: ImageRun, client: Any) -> tuple[ImageInfo | None, CodecFailure | None]:
    """The image's identity and user (with its compressed size, measured when asked), or why it has none."""
    frozen = run.image if isinstance(run.image, ImageIdentity) else None
    try:
        info = image_info(client, image_ref(run), frozen.compressed_size_bytes if frozen else None)
    except CodecFailure as exc:
        return None, exc
    if frozen is not None:
        if frozen.id and info.id != frozen.id:
            return None, CodecFailure(
                "image_error", f"the engine's image {frozen.run_ref[:80]!r} has id {info.id}, not the frozen "
                f"{frozen.id}: it was replaced after it was submitted; load the submission's own tar again")
        info = dataclasses.replace(info, identity=dataclasses.replace(info.identity, ref=frozen.ref or frozen.run_ref))
    if info.identity.compressed_size_bytes is None and run.measure_image_size:
        try:
            size = compressed_image_size(info.id)
            info = dataclasses.replace(info, identity=dataclasses.replace(info.identity, compressed_size_bytes=size))
        except Exception as exc:  # noqa: BLE001  (a size is provenance, not a reason to fail)
            log.warning("could not measure the compressed size of %s: %s", image_ref(run), exc)
    return info, None


def image_ref(run: ImageRun) -> str:
    """What Docker runs for ``run``: the frozen identity's id, or the name given."""
    return run.image.run_ref if isinstance(run.image, ImageIdentity) else run.image


def _evaluate_granted(run: ImageRun, prof: Profile, granted: Grant) -> list[ResultRecord]:
    src = resolve(run.source)
    client = docker_client()
    info, setup_failure = _inspect(run, client)
    identity = info.identity if info else None
    manifest = dict(run.manifest or {})
    declared = manifest.get("modes")
    near = modes_near_lossless(declared) if declared is not None else bool(identity and identity.near_lossless)
    tracks = offered(list(run.tracks), near, run.progress)
    ctx = RunContext(
        submission=run.submission or (f"image-{identity.short_id}" if identity else f"image-{image_ref(run)}"),
        codec=run.codec_name or image_ref(run), profile_name=prof.name,
        fingerprint=fingerprint(prof, identity, src, granted=granted, sandboxed=True), manifest=manifest,
        neural=bool(run.neural) if run.neural is not None else manifest.get("base") == "torch",
        store=ResultStore(run.store) if isinstance(run.store, str) else run.store, progress=run.progress,
        show_logs=bool(run.show_logs), repeats=prof.repeats_for,
    )

    def make_runner(track: Track) -> CodecRunner:
        return SandboxedCodec(image_ref(run), prof, info=info, client=client, granted=granted, track=track.name)

    return evaluate_runner(make_runner, tracks, src, ctx, setup_failure=setup_failure)


def offered(tracks: list[Track], near_lossless: bool, progress: Progress | None = None) -> list[Track]:
    """The tracks a codec takes: a lossless-only codec (no ``near-lossless`` mode) skips near-lossless ones, said so."""
    kept = offered_tracks(tracks, near_lossless=near_lossless)
    skipped = [t.name for t in tracks if t not in kept]
    if skipped:
        msg = (f"skipped {len(skipped)} near-lossless track(s) ({', '.join(skipped[:4])}"
               f"{', ...' if len(skipped) > 4 else ''}): the codec declares only the lossless mode "
               "(codec.toml: modes = [\"lossless\", \"near-lossless\"] offers them)")
        log.info("%s", msg)
        if progress:
            progress(msg)
    return kept


def first_items(source: DataSource | str, n: int) -> DataSource:
    """A view of ``source`` with only the first ``n`` items of each track (quick checks)."""
    src = resolve(source)

    class _First:
        label = f"{src.label}:first{n}"
        synthetic = bool(getattr(src, "synthetic", False))
        hidden = bool(getattr(src, "hidden", False))
        revision = str(getattr(src, "revision", ""))

        def iter_items(self, track: Track) -> Iterator[Item]:
            return itertools.islice(src.iter_items(track), n)

    return _First()
