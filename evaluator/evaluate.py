"""The evaluation engine: one codec, some tracks, one data source -> result records.

Per track (DESIGN.md "Measurement"): start the encoder and decoder (startup
timed apart), stream the items one at a time, time every request from
outside, check every round trip bit for bit, and write one
:class:`evaluator.records.ResultRecord` with its per-item rows. Any failure
on an item fails that track (paper Section 4.2: a mismatch fails the
submission on that track); the record is still written, with the reason and
the rows so far, and the other tracks go on.

Logs (DESIGN.md "Sandbox"): on hidden data the codec's stderr and any text it
chose (error strings, stray stdout) go only to an organizer log file under
``evaluator.settings.home()/organizer-logs/``; on public data the tail of
stderr is attached to the failure message.

The same loop runs an in-process codec (``evaluator.inprocess``): only the
:class:`CodecRunner` differs.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol

import pandas as pd

from evaluator.data_source import resolve_source
from evaluator.docker_engine import docker_client
from evaluator.failures import CodecFailure
from evaluator.items import Item
from evaluator.metrics import bits_per_pixel, compression_ratio, summarize
from evaluator.noise_floor import noise_floor
from evaluator.profiles import Profile, fingerprint, get_profile, grant
from evaluator.records import ITEM_COLUMNS, Failure, ResultRecord, ResultStore, utcnow
from evaluator.sandbox import RoundTrip, SandboxedCodec, image_info
from evaluator.settings import home
from evaluator.tracks import Track

log = logging.getLogger(__name__)
codec_log = logging.getLogger("evaluator.codec_stderr")  # public runs: the codec's stderr, when shown


class CodecRunner(Protocol):
    """What the loop needs from a codec: sandboxed (containers) or in-process."""

    def open(self, first_raw_bytes: int) -> float: ...
    def round_trip(self, array: Any) -> RoundTrip: ...
    def close(self) -> None: ...
    def stderr_tail(self, n: int = 2000) -> str: ...
    def stderr_text(self) -> dict[str, str]: ...


class ProgressEvent(str):
    """A progress line (a ``str``, for callbacks that print) with structured fields.

    ``kind`` is ``track_start``, ``item`` or ``track_end``; ``record`` is set on ``track_end``.
    """

    track: str
    kind: str
    item_id: str | None
    done: int
    ok: bool
    record: ResultRecord | None

    @classmethod
    def make(cls, text: str, *, track: str, kind: str, item_id: str | None = None, done: int = 0,
             ok: bool = True, record: ResultRecord | None = None) -> "ProgressEvent":
        ev = cls(text)
        ev.track, ev.kind, ev.item_id, ev.done, ev.ok, ev.record = track, kind, item_id, done, ok, record
        return ev


Progress = Callable[[str], None]


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


def resolve(source: Any, split: str = "full_test") -> Any:
    if isinstance(source, str):
        return resolve_source(source, split=split)
    return source


# -- noise floor cache (independent of the codec) --------------------------------------------

_NOISE_CACHE: "OrderedDict[tuple[str, str, str, str], tuple[float, float]]" = OrderedDict()
_NOISE_CACHE_MAX = 20000


def _noise(source: Any, track: Track, item: Item) -> tuple[float | None, float | None]:
    key = (str(getattr(source, "label", "")), str(getattr(source, "revision", "")), track.name, item.id)
    hit = _NOISE_CACHE.get(key)
    if hit is None:
        try:
            nf = noise_floor(item.data)
            hit = (nf.sigma, nf.bits_per_pixel)
        except Exception as exc:  # noqa: BLE001  (a statistic must never fail an evaluation)
            log.warning("noise floor of %s failed: %s", item.id, exc)
            return None, None
        _NOISE_CACHE[key] = hit
        if len(_NOISE_CACHE) > _NOISE_CACHE_MAX:
            _NOISE_CACHE.popitem(last=False)
    return hit


# -- hidden-data logs ------------------------------------------------------------------------


def organizer_log_dir() -> Path:
    d = home() / "organizer-logs"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _write_organizer_log(name: str, stderr: dict[str, str], failure: CodecFailure | None) -> Path:
    path = organizer_log_dir() / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', name)}.log"
    with open(path, "w", encoding="utf-8") as fh:
        if failure is not None:
            fh.write(f"failure: {failure.kind} on item {failure.item_id}: {failure.message}\n")
        for role, text in stderr.items():
            fh.write(f"\n--- {role} stderr ---\n{text}\n")
    return path


_HIDDEN_MESSAGES = {
    "timeout": "a request took longer than its time limit",
    "crash": "the codec exited or reported an error",
    "protocol": "the codec broke the JSON-lines protocol",
    "not_lossless": "the decoded item differs from the original",
    "oom": "the codec ran out of memory",
    "output_too_large": "an output exceeded the size cap",
    "extra_files": "the codec wrote files besides the requested output",
    "startup_timeout": "the codec did not become ready in time",
    "startup_failed": "the codec exited during startup",
}


# failures that belong to the run, not to one item (no item row is written for them)
_NOT_ITEM_KINDS = ("data_error", "image_error", "startup_timeout", "startup_failed")


# -- the loop ----------------------------------------------------------------------------------


def _row(item: Item, *, nbytes: int | None = None, enc: float | None = None, dec: float | None = None,
         noise: tuple[float | None, float | None] = (None, None), failure: Failure | None = None) -> dict[str, Any]:
    exptime = item.meta.get("exptime") if item.meta else None
    try:
        exptime = float(exptime) if exptime is not None else None
    except (TypeError, ValueError):
        exptime = None
    return {
        "item_id": item.id,
        "shape": "x".join(str(s) for s in item.data.shape),
        "npix": item.npix,
        "compressed_bytes": nbytes,
        "bpp": bits_per_pixel(nbytes, item.npix) if nbytes else None,
        "ratio": compression_ratio(nbytes, item.npix) if nbytes else None,
        "encode_s": enc,
        "decode_s": dec,
        "noise_sigma": noise[0],
        "noise_bpp": noise[1],
        "exptime": exptime,
        "status": "failed" if failure else "ok",
        "failure_kind": failure.kind if failure else None,
        "failure_message": failure.message if failure else None,
    }


@dataclass
class TrackOutcome:
    rows: list[dict[str, Any]]
    failure: Failure | None
    startup_s: float | None


def run_track(
    runner: CodecRunner,
    track: Track,
    items: Iterable[Item],
    source: Any,
    *,
    hidden: bool,
    log_name: str,
    progress: Progress | None = None,
    show_logs: bool = False,
) -> TrackOutcome:
    """Stream ``items`` through ``runner``; stop at the first failure."""
    rows: list[dict[str, Any]] = []
    failure: CodecFailure | None = None
    startup_s: float | None = None
    it = iter(items)
    current: Item | None = None

    def next_item() -> Item | None:
        try:
            return next(it)
        except StopIteration:
            return None
        except Exception as exc:  # noqa: BLE001  (unreadable data is the data's fault, said so)
            raise CodecFailure("data_error", f"could not read the next item of track {track.name}: {exc}") from exc

    try:
        current = next_item()
        if current is None:
            raise CodecFailure("data_error", f"the data source has no items for track {track.name}")
        startup_s = runner.open(current.data.nbytes)
        while current is not None:
            rt = runner.round_trip(current.data)
            rows.append(_row(current, nbytes=len(rt.bitstream), enc=rt.encode_s, dec=rt.decode_s,
                             noise=_noise(source, track, current)))
            if progress:
                progress(ProgressEvent.make(f"{track.name}: {current.id} ok", track=track.name, kind="item",
                                            item_id=current.id, done=len(rows)))
            current = next_item()
    except CodecFailure as exc:
        failure = exc
        failure.item_id = current.id if current is not None and exc.kind not in _NOT_ITEM_KINDS else None
    finally:
        runner.close()  # containers and folders go, whatever happened (also on Ctrl-C)
    stderr = runner.stderr_text()  # complete now: the containers have exited
    tail = runner.stderr_tail() if not hidden else ""

    out_failure: Failure | None = None
    if hidden:
        if failure is not None or any(stderr.values()):
            path = _write_organizer_log(log_name, stderr, failure)
            log.info("codec logs of a hidden-data run written to %s (never shown to participants)", path)
        if failure is not None:
            if failure.kind in _HIDDEN_MESSAGES:
                msg = f"{_HIDDEN_MESSAGES[failure.kind]} (details are in the organizer log; hidden data)"
            else:
                msg = failure.message
            out_failure = Failure(failure.kind, msg, failure.item_id)
    else:
        if show_logs:
            for role, text in stderr.items():
                if text:
                    codec_log.info("%s %s stderr:\n%s", track.name, role, text)
        if failure is not None:
            msg = failure.message
            if tail and failure.kind not in ("data_error", "image_error"):
                msg += "\n" + tail
            out_failure = Failure(failure.kind, msg, failure.item_id)
    if out_failure is not None and out_failure.item_id is not None and current is not None:
        rows.append(_row(current, failure=out_failure))
    return TrackOutcome(rows, out_failure, startup_s)


def _record(
    *, submission: str, codec: str, track: Track, profile_name: str, source: Any, outcome: TrackOutcome,
    fp: dict[str, Any], digest: str | None, manifest: dict[str, Any] | None,
) -> tuple[ResultRecord, pd.DataFrame]:
    ok_rows = [r for r in outcome.rows if r["status"] == "ok"]
    summary: dict[str, Any] = {}
    if outcome.failure is None and ok_rows:
        summary = summarize(
            [r["npix"] for r in ok_rows], [r["compressed_bytes"] for r in ok_rows],
            [r["encode_s"] for r in ok_rows], [r["decode_s"] for r in ok_rows],
            [r["noise_bpp"] for r in ok_rows],
        ).to_dict()
        summary = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in summary.items()}
    else:
        summary = {"n_items": len(ok_rows), "n_items_ok_before_failure": len(ok_rows)}
    record = ResultRecord(
        submission=submission, codec=codec, track=track.name, profile=profile_name,
        split=str(getattr(source, "label", "unknown")), provenance="verified",
        synthetic=bool(getattr(source, "synthetic", False)),
        status="ok" if outcome.failure is None else "failed", summary=summary, failure=outcome.failure,
        fingerprint=fp, image_digest=digest, startup_s=outcome.startup_s, manifest=dict(manifest or {}),
    )
    return record, pd.DataFrame(outcome.rows, columns=list(ITEM_COLUMNS))


def evaluate_runner(
    make_runner: Callable[[], CodecRunner],
    tracks: list[Track],
    source: Any,
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
) -> list[ResultRecord]:
    """The loop shared by the sandboxed and the in-process evaluators."""
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
            outcome = run_track(make_runner(), track, source.iter_items(track), source, hidden=hidden,
                                log_name=f"{submission}-{track.name}-{profile_name}-{stamp}", progress=progress,
                                show_logs=bool(show_logs) if show_logs is not None else False)
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
    source: Any,
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
    granted = grant(prof)  # ProfileUnavailable before anything starts
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
            from evaluator.images import compressed_image_size  # noqa: PLC0415

            info = type(info)(**{**info.to_dict(), "compressed_size_bytes": compressed_image_size(info.id)})
        except Exception as exc:  # noqa: BLE001  (a size is provenance, not a reason to fail)
            log.warning("could not measure the compressed size of %s: %s", image, exc)
    fp = fingerprint(prof, info.to_dict() if info else {"digest": None}, src, granted=granted)
    sub = submission or (f"image-{info.id.split(':')[-1][:12]}" if info else f"image-{image}")

    def make_runner() -> CodecRunner:
        return SandboxedCodec(image, prof, info=info, client=client, granted=granted)

    return evaluate_runner(
        make_runner, tracks, src, profile_name=prof.name, submission=sub, codec=codec_name or image, fp=fp,
        digest=info.digest if info else None, store=store, manifest=manifest, progress=progress,
        show_logs=show_logs, setup_failure=setup_failure,
        neural=bool(neural) if neural is not None else (manifest or {}).get("base") == "torch",
    )


def first_items(source: Any, n: int) -> Any:
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
