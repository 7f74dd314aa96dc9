"""``challenge admin evaluate`` and ``challenge admin evaluate-baselines``: the organizer's evaluator.

Runs ``evaluator.run.evaluate.evaluate_image`` (sandboxed, DESIGN.md "Sandbox")
with a rich progress bar (items x tracks) and prints a summary table, or a
JSON object keyed by track with ``--json``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from baselines.evaluation import evaluate_baselines
from baselines.registry import select_baselines
from challenge.cli.console_style import fmt_number, fmt_portable, portable_notes, task_progress
from challenge.cli.options import Data, Profile, Split, Store, Track, inprocess_option, json_option, profile_option
from evaluator.core.schema import metric
from evaluator.core.settings import default_store_url
from evaluator.core.tracks import select_tracks
from evaluator.data.data_source import check_tracks, resolve_source
from evaluator.run.evaluate import ImageRun, ProgressEvent, evaluate_image

err = Console(stderr=True)


# The per-track numbers `admin evaluate` prints and writes as JSON (names from evaluator.core.schema.METRICS).
TABLE_METRICS: tuple[str, ...] = ("ratio_mean", "ratio_aggregate", "bpp_mean", "encode_s_median", "decode_s_median")
JSON_METRICS: tuple[str, ...] = (*TABLE_METRICS, "n_items")


def record_json(record: Any) -> dict[str, Any]:
    s = record.summary
    return {
        "status": record.status,
        **{name: getattr(s, name) for name in JSON_METRICS},
        "startup_s": record.startup_s,
        "failure": ({"kind": record.failure.kind, "message": record.failure.message, "item_id": record.failure.item_id}
                    if record.failure else None),
        "portable": record.portable.to_dict() if record.portable else None,  # None: not checked
    }


def print_summary(records: list[Any], console: Console, title: str) -> None:
    table = Table(title=title)
    for col in ("codec", "track", "status", "n", *(metric(m).short for m in TABLE_METRICS), metric("startup_s").short,
                "portable"):
        table.add_column(col, overflow="ellipsis", no_wrap=col in ("codec", "track"),
                         max_width=16 if col == "codec" else None)
    for r in records:
        status = "[green]ok[/green]" if r.status == "ok" else f"[red]{r.failure.kind if r.failure else 'failed'}[/red]"
        n = "-" if r.summary.n_items is None else str(r.summary.n_items)
        table.add_row(r.codec, r.track, status, n,
                      *(fmt_number(getattr(r.summary, m), metric(m).cli_format) for m in TABLE_METRICS),
                      fmt_number(r.startup_s, metric("startup_s").cli_format), fmt_portable(r))
    console.print(table)
    console.print("[dim]ratio = mean of per-item ratios (the paper's headline); aggr. = total raw / total "
                  "compressed; enc/dec s = per-item medians[/dim]")
    for line in portable_notes(records):
        console.print(line, highlight=False)
    for r in records:
        if r.failure:
            where = f" on item {r.failure.item_id}" if r.failure.item_id else ""
            console.print(f"[red]{r.codec} / {r.track}: {r.failure.kind}{where}[/red]\n{r.failure.message}",
                          markup=True, highlight=False)
    if records and records[0].synthetic:
        console.print("[yellow]synthetic data: these numbers describe the generator, not the real corpus[/yellow]")


class _Bar:
    """Turns evaluator progress events into one rich task per track (items done)."""

    def __init__(self, progress: Progress, prefix: str = "") -> None:
        self.progress = progress
        self.prefix = prefix
        self.tasks: dict[str, Any] = {}

    def __call__(self, event: str) -> None:
        if not isinstance(event, ProgressEvent):  # a plain line: printed as it is
            self.progress.console.log(str(event))
            return
        track, kind = event.track, event.kind
        if kind == "track_start":
            self.tasks[track] = self.progress.add_task(f"{self.prefix}{track}", total=None)
        elif kind == "item":
            self.progress.update(self.tasks[track], completed=event.done)
        elif kind == "track_end":
            done, ok = event.done, event.ok
            self.progress.update(self.tasks[track], total=max(done, 1), completed=max(done, 1) if ok else done,
                                 description=f"{self.prefix}{track} " + ("[green]ok" if ok else "[red]failed"))


class _Prefixed:
    """Routes one codec's events to a shared bar, its tasks named ``<codec> <track>``."""

    def __init__(self, bar: Callable[[str], None], prefix: str) -> None:
        self.bar = bar
        self.prefix = prefix

    def __call__(self, event: str) -> None:
        if isinstance(self.bar, _Bar):
            self.bar.prefix = self.prefix
        self.bar(event)


def _progress() -> Progress:
    return task_progress(err)


# A bad --data, --track, --codec or --profile raises evaluator.sdk.errors.BadInput (a corpus error, an unknown
# name, ProfileUnavailable): challenge/cli/errors.py reports it once, exit 2.
def _source(data: str, split: str) -> Any:
    return resolve_source(data, split=split)


def _tracks(track: str) -> list[Any]:
    return select_tracks(track)


def _run(fn: Callable[[Callable[[str], None]], list[Any]], quiet: bool, prefix: str = "") -> list[Any]:
    if quiet:
        return fn(lambda _e: None)
    with _progress() as progress:
        return fn(_Bar(progress, prefix))


def _echo_codec_logs() -> None:
    """Send the codec's stderr (public data only; the evaluator never logs it for hidden data) to our stderr."""
    codec_log = logging.getLogger("evaluator.codec_stderr")
    codec_log.setLevel(logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    codec_log.addHandler(handler)
    codec_log.propagate = False


def register(app: typer.Typer, admin: typer.Typer) -> None:
    @admin.command("evaluate")
    def evaluate_cmd(
        image: str = typer.Argument(..., help="Codec image reference (tag or sha256 id) on this Docker engine."),
        track: Track = "all",
        data: Data = "synthetic",
        split: Split = "full_test",
        profile: Profile = "cpu-1",
        store: Store = None,
        name: str | None = typer.Option(None, "--name", help="Codec display name (default: the image)."),
        submission: str | None = typer.Option(None, "--submission", help="Submission id for the records."),
        as_json: Annotated[bool, json_option("Print a JSON object keyed by track.")] = False,
        show_logs: bool = typer.Option(False, "--show-logs", help="Log the codec's stderr (never for hidden data)."),
    ) -> None:
        """Evaluate a codec image in the sandbox and store one record per track."""

        tracks = _tracks(track)
        source = _source(data, split)
        check_tracks(source, tracks)
        url = store or default_store_url()
        if show_logs:
            _echo_codec_logs()
        records = _run(lambda progress: evaluate_image(ImageRun(
            image, tracks, source, profile, url, submission=submission, codec_name=name, progress=progress,
            show_logs=show_logs)), quiet=False)
        if as_json:
            typer.echo(json.dumps({r.track: record_json(r) for r in records}, indent=2))
        else:
            print_summary(records, Console(), f"{name or image} on {source.label} ({profile})")
            err.print(f"records written to {url}")
        if any(r.status != "ok" for r in records):
            raise typer.Exit(1)

    @admin.command("evaluate-baselines")
    def evaluate_baselines_cmd(
        track: Track = "all",
        data: Data = "synthetic",
        split: Split = "full_test",
        profile: Annotated[str, profile_option("Hardware profile (sandboxed runs).")] = "cpu-1",
        store: Store = None,
        codec: str | None = typer.Option(None, "--codec",
                                         help="Comma list of baselines (default: all of the registry)."),
        inprocess: Annotated[bool, inprocess_option("Run in this process (no Docker).")] = False,
        as_json: Annotated[bool, json_option("Print JSON keyed by codec, then track.")] = False,
    ) -> None:
        """Evaluate the registry's baselines (ids baseline-<name>)."""

        names = [b.name for b in select_baselines(codec)]
        tracks = _tracks(track)
        source = _source(data, split)
        check_tracks(source, tracks)
        url = store or default_store_url()
        if not inprocess:
            err.print("building / checking the baseline images ...")
        all_records = _run(lambda progress: evaluate_baselines(
            names, tracks, source, url, profile=profile, inprocess=inprocess,
            progress_for=lambda name: _Prefixed(progress, f"{name} "),
            image_progress=lambda m: err.log(m)), quiet=False)
        if as_json:
            out: dict[str, dict[str, Any]] = {}
            for r in all_records:
                out.setdefault(r.submission, {})[r.track] = record_json(r)
            typer.echo(json.dumps(out, indent=2))
        else:
            print_summary(all_records, Console(), f"classical baselines on {source.label} "
                          f"({'inprocess' if inprocess else profile})")
            err.print(f"records written to {url}")
        if any(r.status != "ok" for r in all_records):
            raise typer.Exit(1)
