"""One track through one codec: the streaming loop, item rows, noise floor, hidden-data logs.

:func:`run_track` starts the codec (a :class:`CodecRunner`: sandboxed
containers or an in-process codec), streams the items one at a time, checks
every round trip (on a near-lossless track: every pixel within the item's bound,
and the error statistics of ``evaluator.run.error_stats`` on its row), and stops
at the first failure (paper Section 4.2: a mismatch fails the submission on that track). Which failures belong to an
item and what participants may read of them on hidden data come from
``evaluator.core.failures.FAILURE_KINDS``. When every item passed, a sample of the
bitstreams is decoded again under other environments (``evaluator.results.portability``,
DESIGN.md "Portable decode"); its result is the outcome's ``portable``, and a
failure there never fails the track.

Logs (DESIGN.md "Sandbox"): on hidden data the codec's stderr and any text it
chose (error strings, stray stdout) go only to an organizer log file under
``evaluator.core.settings.organizer_log_dir()``; on public data the tail of
stderr is attached to the failure message.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from evaluator.core.failures import CodecFailure, failure_kind
from evaluator.core.json_types import JsonObject
from evaluator.core.metrics import bits_per_pixel, compression_ratio, relative_spread
from evaluator.core.schema import ItemRow
from evaluator.core.settings import organizer_log_dir
from evaluator.core.tracks import Track
from evaluator.data.data_source import DataSource
from evaluator.data.items import Item
from evaluator.data.noise_floor import noise_floor
from evaluator.results.portability import EnvResult, PortableCheck, PortableRun, Sample, SampleKeeper
from evaluator.results.records import Failure, ResultRecord
from evaluator.run.error_stats import ErrorStats, error_stats, item_gain
from evaluator.sandbox.protocol import CodecReport
from evaluator.sandbox.round_trip import RoundTrip

log = logging.getLogger("evaluator.run.evaluate")
codec_log = logging.getLogger("evaluator.codec_stderr")  # public runs: the codec's stderr, when shown


class CodecRunner(Protocol):
    """What the loop needs from a codec: sandboxed (containers) or in-process."""

    def open(self, first_raw_bytes: int) -> float: ...
    def round_trip(self, array: np.ndarray, max_abs_error: int = 0) -> RoundTrip: ...  # 0: lossless
    def close(self) -> None: ...
    def check_portable(self, samples: Sequence[Sample]) -> PortableRun | None: ...  # None: not checked
    def stderr_tail(self, n: int = 2000) -> str: ...
    def stderr_text(self) -> dict[str, str]: ...
    def codec_info(self) -> JsonObject: ...  # what the codec says of itself (parameters, weights hash)


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
             ok: bool = True, record: ResultRecord | None = None) -> ProgressEvent:
        ev = cls(text)
        ev.track, ev.kind, ev.item_id, ev.done, ev.ok, ev.record = track, kind, item_id, done, ok, record
        return ev


Progress = Callable[[str], None]



# -- noise floor cache (independent of the codec) --------------------------------------------

_NOISE_CACHE: OrderedDict[tuple[str, str, str, str], tuple[float, float]] = OrderedDict()
_NOISE_CACHE_MAX = 20000


def _noise(source: DataSource, track: Track, item: Item) -> tuple[float | None, float | None]:
    cut = track.lossless_track or track.name  # a near-lossless variant cuts the same items as its lossless track
    key = (str(getattr(source, "label", "")), str(getattr(source, "revision", "")), cut, item.id)
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


def _write_organizer_log(name: str, stderr: dict[str, str], failure: CodecFailure | None,
                         portable: PortableRun | None = None) -> Path:
    path = organizer_log_dir() / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', name)}.log"
    with open(path, "w", encoding="utf-8") as fh:
        if failure is not None:
            fh.write(f"failure: {failure.kind} on item {failure.item_id}: {failure.message}\n")
        for run in portable.runs if portable is not None else []:
            if (f := run.failure) is not None:
                fh.write(f"portable decode ({run.environment}): {f.kind} on item {f.item_id}: {f.message}\n")
        for role, text in stderr.items():
            fh.write(f"\n--- {role} stderr ---\n{text}\n")
    return path


def _shown_failure(failure: CodecFailure, *, hidden: bool, tail: str) -> Failure:
    """The failure as participants see it: on hidden data never the codec's own text."""
    kind = failure_kind(failure.kind)
    if hidden:
        msg = failure.message
        if kind.hidden_message is not None:
            msg = f"{kind.hidden_message} (details are in the organizer log; hidden data)"
        return Failure(failure.kind, msg, failure.item_id)
    msg = failure.message
    if tail and kind.hidden_message is not None:  # the codec ran: its stderr explains the failure
        msg += "\n" + tail
    return Failure(failure.kind, msg, failure.item_id)


def _portable_check(runner: CodecRunner, samples: list[Sample], track: Track) -> PortableRun | None:
    """The runner's portable-decode run; an error of the platform there is logged, never a verdict."""
    try:
        return runner.check_portable(samples)
    except Exception as exc:  # noqa: BLE001  (the check is shown, not ranked: it must not fail the track)
        log.warning("portable-decode check of %s could not run: %s", track.name, exc)
        return None


def _shown_portable(run: PortableRun | None, *, hidden: bool) -> PortableCheck | None:
    """The check as the record shows it: per environment the failure kind and message, never the codec's text
    on hidden data."""
    if run is None or not run.runs:
        return None
    results = []
    for r in run.runs:
        detail = None
        if r.failure is not None:
            shown = _shown_failure(r.failure, hidden=hidden, tail="" if hidden else r.stderr_tail)
            where = f" on item {shown.item_id}" if shown.item_id else ""
            detail = f"{shown.kind}{where}: {shown.message}"
        results.append(EnvResult(r.environment, dict(r.env), r.failure is None, r.items_checked, detail))
    return PortableCheck.of(results, round(run.seconds, 3))


# -- the loop ----------------------------------------------------------------------------------


def _timed(runner: CodecRunner, array: np.ndarray, repeats: Callable[[float], int] | None, bound: int = 0
           ) -> tuple[RoundTrip, list[float], list[float]]:
    """The first round trip (its bitstream is the one counted) and every encode / decode time measured.

    ``repeats(first_s)``: how many round trips in all (the profile's timing policy); each is
    checked bit for bit (near-lossless: within ``bound``) like the first.
    """
    rt = runner.round_trip(array, bound)
    enc, dec = [rt.encode_s], [rt.decode_s]
    for _ in range(1, repeats(rt.encode_s + rt.decode_s) if repeats else 1):
        again = runner.round_trip(array, bound)
        enc.append(again.encode_s)
        dec.append(again.decode_s)
    return rt, enc, dec


def _errors(track: Track, item: Item, bound: int, rt: RoundTrip, sigma: float | None) -> ErrorCells | None:
    """A near-lossless item's bound and error statistics (``evaluator.run.error_stats``); lossless tracks: none."""
    if not track.near_lossless:
        return None
    decoded = rt.decoded if rt.decoded is not None else item.data  # bound 0 (a quiet item): checked bit for bit
    meta = item.meta or {}
    stats = error_stats(item.data, decoded, sources=meta.get("true_sources"), gain=item_gain(meta), sigma=sigma)
    return ErrorCells(bound, stats)


REPORT_DIGITS = 4  # significant digits of a codec's report kept on hidden data


def _shown_report(report: CodecReport, *, hidden: bool) -> CodecReport:
    """The codec's report as the row keeps it: on hidden data rounded to `REPORT_DIGITS` significant digits, so
    numbers the codec chose carry no more of the data out than its byte counts do (the overhead stays to ~0.05 %)."""
    if not hidden:
        return report
    c, s = report.coding_bits, report.side_bits
    return CodecReport(None if c is None else float(f"{c:.{REPORT_DIGITS}g}"),
                       None if s is None else round(s, REPORT_DIGITS - len(str(s))))  # s >= 0 (checked)


def _row(item: Item, *, nbytes: int | None = None, enc: float | None = None, dec: float | None = None,
         noise: tuple[float | None, float | None] = (None, None), failure: Failure | None = None,
         times: tuple[list[float], list[float]] | None = None, errors: ErrorCells | None = None,
         report: CodecReport | None = None) -> ItemRow:
    """One items-table row (``times``: every repeat; ``errors``: a near-lossless item's cells; ``report``: what the
    codec said of its bitstream)."""
    exptime = item.meta.get("exptime") if item.meta else None
    try:
        exptime = float(exptime) if exptime is not None else None
    except (TypeError, ValueError):
        exptime = None
    row = ItemRow(
        item_id=item.id,
        shape="x".join(str(s) for s in item.data.shape),
        npix=item.npix,
        compressed_bytes=nbytes,
        bpp=bits_per_pixel(nbytes, item.npix) if nbytes else None,
        ratio=compression_ratio(nbytes, item.npix) if nbytes else None,
        encode_s=enc,
        decode_s=dec,
        noise_sigma=noise[0],
        noise_bpp=noise[1],
        exptime=exptime,
        status="failed" if failure else "ok",
        failure_kind=failure.kind if failure else None,
        failure_message=failure.message if failure else None,
        timing_repeats=len(times[0]) if times else None,
        encode_s_spread=relative_spread(times[0]) if times else None,
        decode_s_spread=relative_spread(times[1]) if times else None,
        coding_bits=report.coding_bits if report else None,
        side_bits=report.side_bits if report else None,
    )
    return errors.on(row) if errors is not None else row


@dataclass(frozen=True)
class ErrorCells:
    """A near-lossless item's bound and error statistics: the ``ItemRow`` cells a lossless row leaves empty."""

    bound: int
    stats: ErrorStats

    def on(self, row: ItemRow) -> ItemRow:
        """``row`` with these cells filled."""
        st = self.stats
        return replace(row, max_abs_error=self.bound, err_abs_max=st.err_abs_max, err_rms=st.err_rms,
                       err_mean=st.err_mean, changed_frac=st.changed_frac, flux_dev_median=st.flux_dev_median,
                       flux_dev_worst=st.flux_dev_worst, flux_bias=st.flux_bias, n_sources=st.n_sources)


@dataclass
class TrackOutcome:
    rows: list[ItemRow]  # typed to the store, which writes them as the items table
    failure: Failure | None
    startup_s: float | None
    portable: PortableCheck | None = None
    codec_info: JsonObject = field(default_factory=dict)


def run_track(
    runner: CodecRunner,
    track: Track,
    items: Iterable[Item],
    source: DataSource,
    *,
    hidden: bool,
    log_name: str,
    progress: Progress | None = None,
    show_logs: bool = False,
    repeats: Callable[[float], int] | None = None,
) -> TrackOutcome:
    """Stream ``items`` through ``runner``; stop at the first failure.

    ``repeats`` (``Profile.repeats_for``): short items are timed several times, the row keeps the
    median times and their spread; None times each item once.
    """
    rows: list[ItemRow] = []
    failure: CodecFailure | None = None
    startup_s: float | None = None
    portable: PortableRun | None = None
    codec_info: JsonObject = {}
    keeper = SampleKeeper()
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
        codec_info = runner.codec_info()
        while current is not None:
            noise = _noise(source, track, current)
            bound = track.item_bound(noise[0])  # near-lossless: the bound this item's encode request carries
            rt, enc, dec = _timed(runner, current.data, repeats, bound)
            # the portable check decodes again and compares with this decode (near-lossless: not the original)
            keeper.offer(Sample(current.id, rt.decoded if rt.decoded is not None else current.data, rt.bitstream))
            rows.append(_row(current, nbytes=len(rt.bitstream), enc=statistics.median(enc),
                             dec=statistics.median(dec), noise=noise, times=(enc, dec),
                             errors=_errors(track, current, bound, rt, noise[0]),
                             report=_shown_report(rt.report, hidden=hidden)))
            if progress:
                progress(ProgressEvent.make(f"{track.name}: {current.id} ok", track=track.name, kind="item",
                                            item_id=current.id, done=len(rows)))
            current = next_item()
        portable = _portable_check(runner, keeper.samples(), track)
    except CodecFailure as exc:
        failure = exc
        item_scoped = failure_kind(exc.kind).scope == "item"
        failure.item_id = current.id if current is not None and item_scoped else None
    finally:
        runner.close()  # containers and folders go, whatever happened (also on Ctrl-C)
    stderr = runner.stderr_text()  # complete now: the containers have exited
    tail = runner.stderr_tail() if not hidden else ""

    portable_failed = portable is not None and any(r.failure is not None for r in portable.runs)
    if hidden and (failure is not None or portable_failed or any(stderr.values())):
        path = _write_organizer_log(log_name, stderr, failure, portable)
        log.info("codec logs of a hidden-data run written to %s (never shown to participants)", path)
    if not hidden and show_logs:
        for role, text in stderr.items():
            if text:
                codec_log.info("%s %s stderr:\n%s", track.name, role, text)
    out_failure = None if failure is None else _shown_failure(failure, hidden=hidden, tail=tail)
    if out_failure is not None and out_failure.item_id is not None and current is not None:
        rows.append(_row(current, failure=out_failure))
    return TrackOutcome(rows, out_failure, startup_s, _shown_portable(portable, hidden=hidden), codec_info)


