"""Participant commands: ``challenge init | build | test | submit | status``.

The journey (GitHub issue 4): ``init`` writes a working codec folder,
``build`` builds its image offline, ``test`` runs the very evaluator the
organizers run (same sandbox, same checks) on public or synthetic data and
shows the numbers beside the baselines', ``submit`` validates, self-checks,
freezes the image digest and queues it, ``status`` shows where each
submission stands.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from challenge.cli import status_view
from challenge.cli.console_style import (
    fmt_number,
    fmt_portable,
    portable_notes,
    task_progress,
)
from challenge.cli.errors import fail
from challenge.cli.options import (
    Profile,
    Track,
    data_option,
    json_option,
    limit_option,
    participant_option,
    queue_option,
    store_option,
    track_option,
)
from challenge.cli.significance import comparisons, scratch_store, significance_table
from challenge.scaffold import create_codec_folder, default_author
from evaluator.core import settings
from evaluator.core.manifest import Manifest
from evaluator.core.schema import TrackSummary, metric
from evaluator.core.settings import default_queue_dir, default_store_url
from evaluator.core.tracks import get_track, select_tracks
from evaluator.data.data_source import check_tracks, resolve_source
from evaluator.images import BuiltImage
from evaluator.results.records import ResultStore
from evaluator.run.evaluate import ImageRun, evaluate_image
from submissions.evaluation.intake import Progress, build
from submissions.inbox.inbox_url import parse_destination
from submissions.queue.submission_queue import SubmissionQueue
from submissions.submit import Phase, SubmitRequest, submit_codec

console = Console()


def _mb(n: int | None) -> str:
    return "?" if n is None else f"{n / 1e6:.1f} MB"


# -- build ------------------------------------------------------------------

@contextmanager
def _building(folder: Path) -> Iterator[Progress]:
    """The spinner of a build; the callable shows the build's latest log line on it."""
    with console.status(f"building {folder} ...") as status:
        yield lambda line: status.update(f"[dim]{line.strip()[:110]}")


def _build(folder: Path) -> tuple[Manifest, BuiltImage]:
    """Build ``folder``; its errors (a bad folder exits 2, a failed build 1) are the CLI's to report."""
    with _building(folder) as progress:
        return build(folder, progress=progress)


class _SubmitView:
    """What ``challenge submit`` shows during each long step of the workflow."""

    SPINNERS = {Phase.SELF_CHECK: "running the evaluator ...", Phase.EXPORT: "exporting the image (docker save) ...",
                Phase.UPLOAD: "encrypting the image for the organizers and uploading it ..."}

    def __init__(self, folder: Path, n_tracks: int, data: str) -> None:
        self.folder, self.n_tracks, self.data = folder, n_tracks, data

    @contextmanager
    def __call__(self, phase: Phase) -> Iterator[Progress]:
        if phase is Phase.BUILD:
            with _building(self.folder) as progress:
                yield progress
            return
        if phase is Phase.SELF_CHECK:
            console.print(f"self-check: one item per track ({self.n_tracks} tracks) on {self.data} ...")
        with console.status(self.SPINNERS[phase]):
            yield lambda _line: None


# -- evaluation display -------------------------------------------------------

class _EvalProgress:
    """Adapts the evaluator's progress callback to a rich progress bar."""

    def __init__(self, progress: Any, task: Any) -> None:
        self.progress, self.task = progress, task

    def __call__(self, event: str) -> None:
        # evaluator.run.evaluate.ProgressEvent: a str with .kind (track_start, item, track_end)
        kind = getattr(event, "kind", "")
        if kind == "item":
            self.progress.advance(self.task)
        self.progress.update(self.task, description=str(event)[:80])


def _evaluate_with_progress(image: str, tracks: list[Any], source: Any, profile: str, *, codec_name: str,
                            manifest: dict[str, Any], store: ResultStore | None = None) -> list[Any]:

    with task_progress(console, transient=True) as progress:
        task = progress.add_task("starting the sandbox ...", total=None)
        return evaluate_image(ImageRun(image, tracks, source, profile, store, submission=f"local-test-{codec_name}",
                                       codec_name=codec_name, manifest=manifest,
                                       progress=_EvalProgress(progress, task), show_logs=True,
                                       measure_image_size=False))


def _baseline_rows(store_url: str, label: str, profile: str, tracks: set[str]) -> dict[str, list[Any]]:
    """Baseline records on the same data label: track -> one record per baseline codec.

    Ratios do not depend on the hardware, so a baseline evaluated on another
    profile is shown too (its speeds are blanked in the table); a record of
    the same profile is preferred.
    """

    best: dict[tuple[str, str], Any] = {}
    try:
        for rec in ResultStore(store_url).find(prefix="baseline-", split=label):
            if rec.split != label or rec.track not in tracks or rec.status != "ok":
                continue
            slot = (rec.track, rec.submission)
            if slot not in best or (rec.profile == profile and best[slot].profile != profile):
                best[slot] = rec
    except Exception:  # noqa: BLE001  (a missing or unreadable store just means no comparison)
        return {}
    out: dict[str, list[Any]] = {}
    for (track, _), rec in sorted(best.items()):
        out.setdefault(track, []).append(rec)
    return out


# The columns of `challenge test`'s table (names from evaluator.core.schema.METRICS).
RATIO_METRICS: tuple[str, ...] = ("ratio_mean", "ratio_aggregate", "bpp_mean")
SPEED_METRICS: tuple[str, ...] = ("encode_mb_s", "decode_mb_s")
SPEED_FORMAT = ".1f"  # a terminal is narrower than the board


def _cells(summary: TrackSummary, names: tuple[str, ...]) -> list[str]:
    return [fmt_number(getattr(summary, n), SPEED_FORMAT if n in SPEED_METRICS else metric(n).cli_format)
            for n in names]


def _print_results(records: list[Any], baselines: dict[str, list[Any]], label: str, profile: str = "cpu-1") -> bool:
    table = Table(title=f"results on {label}", show_lines=False, box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("track", no_wrap=True)
    table.add_column("codec", overflow="fold", min_width=10)
    table.add_column("status", no_wrap=True)
    for name in (*RATIO_METRICS, *SPEED_METRICS):
        table.add_column(metric(name).short, justify="right", no_wrap=True)
    table.add_column("portable", no_wrap=True)
    ok = True
    other_profiles: set[str] = set()
    for rec in records:
        style = "green" if rec.status == "ok" else "red"
        table.add_row(rec.track, f"[bold]{rec.codec}[/]", f"[{style}]{rec.status}[/]",
                      *_cells(rec.summary, RATIO_METRICS), *_cells(rec.summary, SPEED_METRICS), fmt_portable(rec))
        for base in sorted(baselines.get(rec.track, []), key=lambda r: -(r.summary.ratio_mean or 0)):
            same = base.profile == profile
            other_profiles.update({} if same else {base.profile})
            speeds = _cells(base.summary, SPEED_METRICS) if same else ["-"] * len(SPEED_METRICS)
            table.add_row("", f"[dim]{base.codec}[/]", f"[dim]baseline{'' if same else '*'}[/]",
                          *_cells(base.summary, RATIO_METRICS), *speeds, fmt_portable(base))
        ok = ok and rec.status == "ok"
    console.print(table)
    for line in portable_notes(records):
        console.print(line, highlight=False)
    if other_profiles:
        console.print(f"[dim]* baseline measured on profile {', '.join(sorted(other_profiles))}: its speeds are not "
                      f"comparable with {profile} and are left out[/]")
    if not baselines:
        console.print(f"[dim]no baseline numbers for {label} in the results store; "
                      f"compute them once with `challenge admin evaluate-baselines --data ...` "
                      f"(the README's `scripts/demo.sh` does it for the synthetic default)[/]")
    for rec in records:
        if rec.status != "ok":
            f = rec.failure
            console.print(f"[bold red]{rec.track} failed[/] ({f.kind if f else '?'}"
                          + (f", item {f.item_id}" if f and f.item_id else "") + "):")
            # the evaluator appends the tail of the codec's stderr to public-data failures
            console.print(f.message if f else "no reason recorded", markup=False, highlight=False)
    return ok


# -- status -----------------------------------------------------------------------

def _scores(store_url: str, submission_id: str) -> list[dict[str, Any]]:
    """Per-track public numbers of a submission (never logs; hidden-split numbers only as summaries)."""

    out = []
    try:
        for rec in ResultStore(store_url).find(submission=submission_id):
            out.append({"track": rec.track, "profile": rec.profile, "split": rec.split, "status": rec.status,
                        **{n: getattr(rec.summary, n) for n in ("ratio_mean", "bpp_mean", *SPEED_METRICS)},
                        "failure": rec.failure.kind if rec.failure else None})
    except Exception:  # noqa: BLE001
        return []
    return out


def register(app: typer.Typer, admin: typer.Typer) -> None:
    @app.command()
    def init(
        folder: Path = typer.Argument(..., help="New codec folder to create."),
        lang: str = typer.Option("python", "--lang",
                                 help="Template language: python, c, shell or torch (a small neural codec)."),
        name: str | None = typer.Option(None, "--name", help="Codec name (default: the folder name)."),
        force: bool = typer.Option(False, "--force", help="Write into a non-empty folder."),
    ) -> None:
        """Create a working codec folder (Dockerfile, code, codec.toml, README)."""

        written = create_codec_folder(folder, lang=lang, name=name, authors=default_author(), force=force)
        console.print(f"[green]created[/] {folder} ({lang}):")
        for path in written:
            console.print(f"  {path}")
        console.print(f"next: [bold]challenge test {folder}[/]  (builds the image and runs the evaluator)")

    @app.command("build")
    def build_cmd(folder: Path = typer.Argument(..., help="Codec folder (with Dockerfile and codec.toml).")) -> None:
        """Build the codec image offline; prints its tag, digest and size."""
        manifest, built = _build(folder)
        console.print(f"[green]built[/] {manifest.name} {manifest.version}")
        console.print(f"  tag:    {built.tag}", soft_wrap=True)
        console.print(f"  image id (digest): {built.image_id}", soft_wrap=True)
        console.print(f"  size:   {_mb(built.size_bytes)} (uncompressed)")

    @app.command("test")
    def test_cmd(
        folder: Path = typer.Argument(..., help="Codec folder."),
        track: Track = "all",
        data: Annotated[str, data_option("synthetic, a Hub-layout folder, or hub.")] = "synthetic",
        profile: Profile = "cpu-1",
        store: Annotated[str | None, store_option("Results store with baseline numbers.")] = None,
    ) -> None:
        """Build if needed, then run the organizers' evaluator on public/synthetic data."""

        if data.startswith("hidden:"):
            fail("hidden splits are for the organizers' worker; test on synthetic, hub or a folder")
        tracks = select_tracks(track)  # an unknown track or data source is bad input (cli/errors.py maps it)
        source = resolve_source(data)
        check_tracks(source, tracks)  # e.g. --data packaged serves the 2D single-frame tracks only
        manifest, built = _build(folder)
        console.print(f"image {built.tag} ({built.image_id[:19]}...), data [bold]{source.label}[/]"
                      + (" [yellow](synthetic)[/]" if source.synthetic else "")
                      + (" [cyan](real, packaged)[/]" if source.label.startswith("real-packaged") else ""))
        scratch = scratch_store()  # keeps the per-item rows for the paired comparison below
        records = _evaluate_with_progress(built.image_id, tracks, source, profile, codec_name=manifest.name,
                                          manifest=manifest.to_dict(), store=scratch)
        baselines = _baseline_rows(store or default_store_url(), source.label, profile, {t.name for t in tracks})
        if not _print_results(records, baselines, source.label, profile):
            raise typer.Exit(1)
        paired = comparisons(records, scratch, store or default_store_url(), source.label, profile)
        if paired:
            console.print(significance_table(paired, scratch))
        near = sum(1 for r in records if get_track(r.track).near_lossless)
        console.print(f"[green]all {len(records)} tracks round-tripped"
                      + (" losslessly." if not near else f" ({len(records) - near} losslessly, {near} within their "
                         "per-pixel bound).") + f"[/] Submit with [bold]challenge submit {folder}[/]")

    @app.command()
    def submit(
        folder: Path = typer.Argument(..., help="Codec folder."),
        to: str | None = typer.Option(None, "--to", help="Hosted inbox URL (hf://datasets/ORG/NAME, a folder, "
                                         "file://, memory://); default: the local queue."),
        participant: Annotated[str | None, participant_option("Your name or team (default $USER).")] = None,
        image: str | None = typer.Option(None, "--image", help="Submit this already-built image (REF or "
                                            "REF@sha256:...) instead of building the folder."),
        track: Annotated[str, track_option("Tracks for the self-check (one item each).")] = "all",
        data: Annotated[str, data_option("Data for the self-check.")] = "synthetic",
        queue_dir: Annotated[Path | None, queue_option("Local queue folder (default: CHALLENGE_HOME).")] = None,
    ) -> None:
        """Validate, self-check on one item per track, freeze the image digest and queue it (or send it to --to)."""

        dest = parse_destination(to) if to is not None else None  # first: a wrong --to must not cost a build
        who = participant or settings.participant_name()
        tracks = select_tracks(track)
        if dest is not None and dest.hosted:
            console.print(f"hosted inbox {dest.url}: your Hugging Face account (the token's) is your identity; "
                          "the pull request and its request metadata are public, the image is encrypted for the "
                          "organizers", soft_wrap=True)
            if participant is not None:
                console.print(f"[yellow]warning:[/] --participant {escape(repr(participant))} is ignored for a Hub "
                              "inbox: the account that opens the pull request is the participant", soft_wrap=True,
                              markup=True, highlight=False)
        request = SubmitRequest(folder, who, tracks, data=data, image=image, inbox=dest.url if dest else None)
        result = submit_codec(request, SubmissionQueue(queue_dir or default_queue_dir()),
                              _SubmitView(folder, len(tracks), data))  # SubmitRefused: bad input, exit 2
        if result.request_id is not None:
            sealed = "encrypted, " if result.encrypted else ""
            console.print(f"[green]uploaded[/] request {result.request_id} to {request.inbox} as "
                          f"{escape(str(result.sender))} (image {result.image.digest[:19]}..., "
                          f"{sealed}{_mb(result.tar_bytes)})", soft_wrap=True, highlight=False)
            console.print(f"follow it at {result.request_url}", soft_wrap=True, markup=False, highlight=False)
            return
        console.print(f"[green]queued[/] {result.submission_id} ({who}/{result.codec}, "
                      f"image {result.image.digest[:19]}..., tar {_mb(result.tar_bytes)})", soft_wrap=True)
        console.print("follow it with [bold]challenge status[/]")

    @app.command()
    def status(
        participant: Annotated[str | None, participant_option("Only this participant's submissions.")] = None,
        as_json: Annotated[bool, json_option("Machine-readable output.")] = False,
        queue_dir: Annotated[Path | None, queue_option("Local queue folder.")] = None,
        store: Annotated[str | None, store_option("Results store URL.")] = None,
        limit: Annotated[int, limit_option("Show at most this many submissions.")] = 50,
        source: str | None = typer.Option(None, "--from", help="Read the queue snapshot an organizer published "
                                          "with the results (hf://datasets/ORG/results, file://, a folder) "
                                          "instead of a local queue."),
    ) -> None:
        """Your submissions: state, reason, and per-track scores once finished."""

        if source is not None:
            status_view.print_status(source, participant, as_json, limit, console)
            return
        queue = SubmissionQueue(queue_dir or default_queue_dir())
        subs = queue.submissions(participant=participant, limit=limit)
        store_url = store or default_store_url()
        rows = []
        for sub in subs:
            d: dict[str, Any] = {k: v for k, v in sub.to_dict().items() if k != "history"}
            d["scores"] = _scores(store_url, sub.id) if sub.state in ("finished", "failed") else []
            rows.append(d)
        if as_json:
            typer.echo(json.dumps(rows, indent=2, default=str))
            return
        if not rows:
            console.print("no submissions yet; submit with `challenge submit ./my_codec`")
            return
        table = Table(title="submissions")
        table.add_column("id", no_wrap=True)
        for col in ("participant", "codec", "state"):
            table.add_column(col, no_wrap=True, overflow="fold")
        table.add_column("reason / scores (ratio)")
        colors = {"finished": "green", "failed": "red", "cancelled": "dim", "running": "yellow", "loading": "yellow"}
        for d in rows:
            detail = d["reason"]
            if d["scores"]:
                detail = "\n".join(f"{s['track']}: {fmt_number(s['ratio_mean'])}x" if s["status"] == "ok"
                                   else f"{s['track']}: {s['failure'] or 'failed'}" for s in d["scores"])
                if d["state"] == "failed":
                    detail = f"{d['reason']}\n{detail}"
            c = colors.get(d["state"], "white")
            table.add_row(d["id"], d["participant"], d["name"], f"[{c}]{d['state']}[/]", detail)
        console.print(table)
