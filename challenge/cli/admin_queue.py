"""Organizer queue commands: ``challenge admin worker | queue | cancel | requeue | ingest``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from evaluator.settings import default_queue_dir, default_store_url
from evaluator.tracks import select_tracks
from submissions.ingest import ingest as run_ingest
from submissions.queue import SubmissionNotFound, SubmissionQueue
from submissions.states import PENDING, TransitionError
from submissions.submission_store import SubmissionStore, SubmissionStoreError
from submissions.worker import DataPlan, WorkerConfig, run_worker

console = Console()
err_console = Console(stderr=True)


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    raise typer.Exit(1)


def register(app: typer.Typer, admin: typer.Typer) -> None:
    @admin.command()
    def worker(
        once: bool = typer.Option(False, "--once", help="Drain the queue, then exit (waits for stale leases)."),
        data: str | None = typer.Option(None, "--data", help="One data spec for every track (synthetic, "
                                           "hidden:NAME, a folder). Default: each dataset's registered hidden "
                                           "split, else synthetic."),
        data_map: Path | None = typer.Option(None, "--data-map", help='JSON {"GBI-16-2D": "hidden:NAME", '
                                                '"*": "synthetic"}.'),
        store: str | None = typer.Option(None, "--store", help="Results store URL."),
        track: str = typer.Option("all", "--track", "-t", help="Tracks to evaluate (name, comma list, paper, all)."),
        profile: str | None = typer.Option(None, "--profile", help="Override the manifests' profile."),
        lease: float = typer.Option(120.0, "--lease", help="Lease seconds; a worker silent this long is presumed dead."),
        poll: float = typer.Option(2.0, "--poll", help="Seconds between polls of an empty queue."),
        inbox: str | None = typer.Option(None, "--inbox", help="Hosted inbox URL to ingest requests from."),
        queue_dir: Path | None = typer.Option(None, "--queue", help="Queue folder."),
        image_size: bool = typer.Option(True, "--image-size/--no-image-size",
                                        help="Measure each image's compressed size (docker save | gzip)."),
    ) -> None:
        """Take pending submissions, verify their image, evaluate every track, record results."""

        try:
            select_tracks(track)
            plan = DataPlan.from_file(data_map) if data_map else DataPlan()
        except (KeyError, ValueError, OSError) as exc:
            _fail(str(exc))
        if data:
            plan.default = data
        queue = SubmissionQueue(queue_dir or default_queue_dir())
        cfg = WorkerConfig(store=store or default_store_url(), data=plan, tracks=track, profile=profile,
                           lease_s=lease, poll_s=poll, measure_image_size=image_size)
        console.print(f"worker {cfg.worker_id}: queue {queue.db_path}, store {cfg.store}")
        try:
            done = run_worker(queue, cfg, once=once, inbox=SubmissionStore(inbox) if inbox else None,
                              notify=lambda m: console.print(m, markup=False, highlight=False))
        except KeyboardInterrupt:
            console.print("stopped; a submission in progress is retried after its lease expires")
            raise typer.Exit(130) from None
        console.print(f"processed {len(done)} submission(s); queue: {queue.counts()}")

    @admin.command("queue")
    def queue_cmd(
        state: str | None = typer.Option(None, "--state", help="Only this state."),
        participant: str | None = typer.Option(None, "--participant"),
        limit: int = typer.Option(100, "--limit"),
        as_json: bool = typer.Option(False, "--json"),
        queue_dir: Path | None = typer.Option(None, "--queue", help="Queue folder."),
    ) -> None:
        """List submissions with state, attempts and reason."""

        queue = SubmissionQueue(queue_dir or default_queue_dir())
        try:
            subs = queue.list(participant=participant, state=state, limit=limit)
        except ValueError as exc:
            _fail(str(exc))
        if as_json:
            typer.echo(json.dumps({"counts": queue.counts(), "submissions": [s.to_dict() for s in subs]},
                                  indent=2, default=str))
            return
        table = Table(title=f"queue {queue.db_path}  " + "  ".join(f"{k}={v}" for k, v in queue.counts().items()))
        for col in ("id", "participant", "codec", "state", "attempts", "created", "reason"):
            table.add_column(col)
        for s in subs:
            table.add_row(s.id, s.participant, s.name, s.state, str(s.attempts), s.created_at, s.reason)
        console.print(table)

    @admin.command()
    def cancel(
        submission_id: str = typer.Argument(..., help="Submission id."),
        reason: str = typer.Option("cancelled by the organizer", "--reason"),
        queue_dir: Path | None = typer.Option(None, "--queue", help="Queue folder."),
    ) -> None:
        """Cancel a pending or running submission."""

        try:
            sub = SubmissionQueue(queue_dir or default_queue_dir()).cancel(submission_id, reason)
        except (SubmissionNotFound, TransitionError) as exc:
            _fail(str(exc))
        console.print(f"{sub.id}: {sub.state} ({sub.reason})")

    @admin.command()
    def requeue(
        submission_id: str = typer.Argument(..., help="A failed submission to run again."),
        reason: str = typer.Option("requeued by the organizer", "--reason"),
        queue_dir: Path | None = typer.Option(None, "--queue", help="Queue folder."),
    ) -> None:
        """Put a failed submission back in the queue (e.g. after an infrastructure fault)."""

        try:
            sub = SubmissionQueue(queue_dir or default_queue_dir()).transition(submission_id, PENDING, reason)
        except (SubmissionNotFound, TransitionError) as exc:
            _fail(str(exc))
        console.print(f"{sub.id}: {sub.state} ({sub.reason})")

    @admin.command()
    def ingest(
        source: str = typer.Option(..., "--from", help="Hosted inbox URL (hf://datasets/ORG/NAME, folder, file://)."),
        queue_dir: Path | None = typer.Option(None, "--queue", help="Queue folder."),
    ) -> None:
        """Copy new submission requests from a hosted inbox into the local queue."""

        try:
            report = run_ingest(SubmissionStore(source), SubmissionQueue(queue_dir or default_queue_dir()))
        except SubmissionStoreError as exc:
            _fail(str(exc))
        for sid in report.accepted:
            console.print(f"[green]queued[/] {sid}")
        for rid, reason in report.rejected:
            console.print(f"[red]rejected[/] {rid}: {reason}", markup=True)
        console.print(f"{len(report.accepted)} queued, {len(report.rejected)} rejected")
