"""The evaluation engine: one codec, some tracks, one data source -> result records.

Per track (DESIGN.md "Measurement"): start the encoder and decoder (startup
timed apart), stream the items one at a time, time every request from
outside, check every round trip bit for bit (``evaluator.track_run``), and
write one :class:`evaluator.records.ResultRecord` with its per-item rows.
Any failure on an item fails that track (paper Section 4.2); the record is
still written, with the reason and the rows so far, and the other tracks go
on. The same loop runs an in-process codec (``evaluator.inprocess``): only
the :class:`evaluator.track_run.CodecRunner` differs.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pandas as pd

from evaluator.data_source import DataSource, resolve_source
from evaluator.docker_engine import docker_client
from evaluator.failures import CodecFailure
from evaluator.images import compressed_image_size
from evaluator.items import Item
from evaluator.metrics import track_summary
from evaluator.profiles import Grant, Profile, fingerprint, get_profile, leased_grant
from evaluator.records import Failure, ResultRecord, ResultStore, utcnow
from evaluator.sandbox import SandboxedCodec, image_info
from evaluator.schema import ITEM_COLUMNS
from evaluator.track_run import CodecRunner, Progress, ProgressEvent, TrackOutcome, run_track
from evaluator.manifest import modes_near_lossless
from evaluator.tracks import Track, offered_tracks

__all__ = ["CodecRunner", "ItemsSource", "Progress", "ProgressEvent", "evaluate_image", "evaluate_runner",
           "first_items", "offered", "resolve"]

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


def _record(
    *, submission: str, codec: str, track: Track, profile_name: str, source: DataSource, outcome: TrackOutcome,
    fp: dict[str, Any], digest: str | None, manifest: dict[str, Any] | None,
) -> tuple[ResultRecord, pd.DataFrame]:
    record = ResultRecord(
        submission=submission, codec=codec, track=track.name, profile=profile_name,
        split=str(getattr(source, "label", "unknown")), provenance="verified",
        synthetic=bool(getattr(source, "synthetic", False)),
        status="ok" if outcome.failure is None else "failed",
        summary=track_summary(outcome.rows, failed=outcome.failure is not None), failure=outcome.failure,
        fingerprint=fp, image_digest=digest, startup_s=outcome.startup_s, codec_info=dict(outcome.codec_info),
        manifest=dict(manifest or {}),
        portable=outcome.portable,
    )
    return record, pd.DataFrame(outcome.rows, columns=list(ITEM_COLUMNS))


def evaluate_runner(
    make_runner: Callable[[Track], CodecRunner],
    tracks: list[Track],
    source: DataSource,
    *,
    profile_name: str,
    submission: str,
    codec: str,
    fp: dict[str, Any],
    digest: str | None,
    store: ResultStore | str | None = None,
    manifest: dict[str, Any] | None = None,
    progress: Progress | None = None,
    show_logs: bool | None = None,
    setup_failure: CodecFailure | None = None,
    neural: bool = False,
    repeats: Callable[[float], int] | None = None,
) -> list[ResultRecord]:
    """The loop shared by the sandboxed and the in-process evaluators (``repeats``: the timing policy)."""
    st = ResultStore(store) if isinstance(store, str) else store
    hidden = bool(getattr(source, "hidden", False))
    records = []
    for track in tracks:
        if progress:
            progress(ProgressEvent.make(f"{track.name}: starting", track=track.name, kind="track_start"))
        if setup_failure is not None:
            outcome = TrackOutcome([], Failure(setup_failure.kind, setup_failure.message), None)
        else:
            stamp = utcnow().replace(":", "")
            outcome = run_track(make_runner(track), track, source.iter_items(track), source, hidden=hidden,
                                log_name=f"{submission}-{track.name}-{profile_name}-{stamp}", progress=progress,
                                show_logs=bool(show_logs) if show_logs is not None else False, repeats=repeats)
        record, rows = _record(submission=submission, codec=codec, track=track, profile_name=profile_name,
                               source=source, outcome=outcome, fp=fp, digest=digest, manifest=manifest)
        record.neural = neural
        if st is not None:
            st.write(record, rows)
        records.append(record)
        if record.failure:
            log.info("%s on %s failed: %s: %s", submission, track.name, record.failure.kind,
                        record.failure.message.splitlines()[0] if record.failure.message else "")
        if progress:
            progress(ProgressEvent.make(
                f"{track.name}: {record.status}" + (f" ({record.failure.kind})" if record.failure else ""),
                track=track.name, kind="track_end", done=sum(1 for r in outcome.rows if r["status"] == "ok"),
                ok=record.status == "ok", record=record))
    return records


def evaluate_image(
    image: str,
    tracks: list[Track],
    source: DataSource | str,
    profile: str | Profile = "cpu-1",
    store: ResultStore | str | None = None,
    *,
    submission: str | None = None,
    codec_name: str | None = None,
    manifest: dict[str, Any] | None = None,
    progress: Progress | None = None,
    show_logs: bool | None = None,
    image_compressed_size: int | None = None,
    measure_image_size: bool = True,
    neural: bool | None = None,
) -> list[ResultRecord]:
    """Evaluate a codec image on ``tracks`` of ``source`` in the sandbox; one record per track.

    ``source`` is a data source (``evaluator.data_source``), a ``--data``
    spec string, or an :class:`ItemsSource`. ``store`` (a
    :class:`ResultStore` or its URL) receives every record, replacing an
    earlier run of the same (submission, track, profile, split); None stores
    nothing. The image's compressed size (``docker save | gzip``, cached by
    image id) is measured unless given or ``measure_image_size`` is False.
    ``neural`` marks the records as a neural codec (default: the manifest's
    ``base = "torch"``). Raises ``ProfileUnavailable`` when the profile cannot run here
    (e.g. ``gpu-1`` without a GPU); codec failures never raise, they are in
    the records.
    """
    prof = get_profile(profile)
    # ProfileUnavailable before anything starts; then cores no concurrent evaluation on this host holds
    with leased_grant(prof) as granted:
        return _evaluate_granted(image, tracks, source, prof, granted, store, submission=submission,
                                 codec_name=codec_name, manifest=manifest, progress=progress, show_logs=show_logs,
                                 image_compressed_size=image_compressed_size,
                                 measure_image_size=measure_image_size, neural=neural)


def _evaluate_granted(
    image: str, tracks: list[Track], source: DataSource | str, prof: Profile, granted: Grant,
    store: ResultStore | str | None, *, submission: str | None, codec_name: str | None,
    manifest: dict[str, Any] | None, progress: Progress | None, show_logs: bool | None,
    image_compressed_size: int | None, measure_image_size: bool, neural: bool | None,
) -> list[ResultRecord]:
    src = resolve(source)
    client = docker_client()
    setup_failure: CodecFailure | None = None
    info = None
    try:
        info = image_info(client, image, image_compressed_size)
    except CodecFailure as exc:
        setup_failure = exc
    if info is not None and info.compressed_size_bytes is None and measure_image_size:
        try:
            info = dataclasses.replace(info, compressed_size_bytes=compressed_image_size(info.id))
        except Exception as exc:  # noqa: BLE001  (a size is provenance, not a reason to fail)
            log.warning("could not measure the compressed size of %s: %s", image, exc)
    fp = fingerprint(prof, info.to_dict() if info else {"digest": None}, src, granted=granted)
    declared = (manifest or {}).get("modes")
    tracks = offered(tracks, modes_near_lossless(declared) if declared is not None else bool(info and info.near_lossless),
                     progress)
    sub = submission or (f"image-{info.id.split(':')[-1][:12]}" if info else f"image-{image}")

    def make_runner(track: Track) -> CodecRunner:
        return SandboxedCodec(image, prof, info=info, client=client, granted=granted, track=track.name)

    return evaluate_runner(
        make_runner, tracks, src, profile_name=prof.name, submission=sub, codec=codec_name or image, fp=fp,
        digest=info.digest if info else None, store=store, manifest=manifest, progress=progress,
        show_logs=show_logs, setup_failure=setup_failure, repeats=prof.repeats_for,
        neural=bool(neural) if neural is not None else (manifest or {}).get("base") == "torch",
    )


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
