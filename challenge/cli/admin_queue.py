"""Organizer queue commands: ``challenge admin worker | queue | cancel | requeue | ingest``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from challenge.cli.errors import fail
from challenge.cli.options import (
    QueueDir,
    data_option,
    json_option,
    limit_option,
    participant_option,
    profile_option,
    reason_option,
    store_option,
    track_option,
)
from evaluator.core.settings import default_queue_dir, default_store_url
from evaluator.core.tracks import select_tracks
from submissions.inbox.inbox import SubmissionStoreError
from submissions.inbox.inbox_url import open_inbox
from submissions.inbox.ingest import answer
from submissions.inbox.ingest import ingest as run_ingest
from submissions.queue.states import PENDING
from submissions.queue.submission_queue import SubmissionQueue
from submissions.service.worker import DataPlan, WorkerConfig, run_worker

console = Console()


def register(app: typer.Typer, admin: typer.Typer) -> None:
    @admin.command()
    def worker(
        once: bool = typer.Option(False, "--once", help="Drain the queue, then exit (waits for stale leases)."),
        data: Annotated[str | None, data_option("One data spec for every track (synthetic, "
                                                "hidden:NAME, a folder). Default: each dataset's registered hidden "
                                                "split, else synthetic.")] = None,
        data_map: Path | None = typer.Option(None, "--data-map", help='JSON {"GBI-16-2D": "hidden:NAME", '
                                                '"*": "synthetic"}.'),
        store: Annotated[str | None, store_option("Results store URL.")] = None,
        track: Annotated[str, track_option("Tracks to evaluate (name, comma list, paper, all).")] = "all",
        profile: Annotated[str | None, profile_option("Override the manifests' profile.")] = None,
        lease: float = typer.Option(120.0, "--lease",
                                    help="Lease seconds; a worker silent this long is presumed dead."),
        poll: float = typer.Option(2.0, "--poll", help="Seconds between polls of an empty queue."),
        inbox: str | None = typer.Option(None, "--inbox", help="Hosted inbox URL to ingest requests from."),
        queue_dir: QueueDir = None,
        image_size: bool = typer.Option(True, "--image-size/--no-image-size",
                                        help="Measure each image's compressed size (docker save | gzip)."),
    ) -> None:
        """Take pending submissions, verify their image, evaluate every track, record results."""

        try:
            select_tracks(track)
            plan = DataPlan.from_file(data_map) if data_map else DataPlan()
        except (KeyError, ValueError, OSError) as exc:  # a bad --track or --data-map
            fail(str(exc))
        if data:
            plan.default = data
        queue = SubmissionQueue(queue_dir or default_queue_dir())
        cfg = WorkerConfig(store=store or default_store_url(), data=plan, tracks=track, profile=profile,
                           lease_s=lease, poll_s=poll, measure_image_size=image_size)
        try:
            inbox_ = open_inbox(inbox) if inbox else None
        except SubmissionStoreError as exc:
            fail(str(exc))  # a URL that names no inbox: the message shows the right form
        console.print(f"worker {cfg.worker_id}: queue {queue.db_path}, store {cfg.store}")
        try:  # SubmissionStoreError (inbox unreadable: exit 1; organizer's key missing: 2) is reported centrally
            done = run_worker(queue, cfg, once=once, inbox=inbox_,
                              notify=lambda m: console.print(m, markup=False, highlight=False))
        except KeyboardInterrupt:
            console.print("stopped; a submission in progress is retried after its lease expires")
            raise typer.Exit(130) from None
        console.print(f"processed {len(done)} submission(s); queue: {queue.counts()}")

    @admin.command("queue")
    def queue_cmd(
        state: str | None = typer.Option(None, "--state", help="Only this state."),
        participant: Annotated[str | None, participant_option()] = None,
        limit: Annotated[int, limit_option()] = 100,
        as_json: Annotated[bool, json_option()] = False,
        queue_dir: QueueDir = None,
    ) -> None:
        """List submissions with state, attempts and reason."""

        queue = SubmissionQueue(queue_dir or default_queue_dir())
        try:
            subs = queue.submissions(participant=participant, state=state, limit=limit)
        except ValueError as exc:  # a bad --state
            fail(str(exc))
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
        reason: Annotated[str, reason_option()] = "cancelled by the organizer",
        queue_dir: QueueDir = None,
    ) -> None:
        """Cancel a pending or running submission."""

        sub = SubmissionQueue(queue_dir or default_queue_dir()).cancel(submission_id, reason)  # errors: exit 2
        console.print(f"{sub.id}: {sub.state} ({sub.reason})")

    @admin.command()
    def requeue(
        submission_id: str = typer.Argument(..., help="A failed submission to run again."),
        reason: Annotated[str, reason_option()] = "requeued by the organizer",
        queue_dir: QueueDir = None,
    ) -> None:
        """Put a failed submission back in the queue (e.g. after an infrastructure fault)."""

        sub = SubmissionQueue(queue_dir or default_queue_dir()).transition(submission_id, PENDING, reason)
        console.print(f"{sub.id}: {sub.state} ({sub.reason})")

    @admin.command()
    def ingest(
        source: str = typer.Option(..., "--from", help="Hosted inbox URL (hf://datasets/ORG/NAME, folder, file://)."),
        store: Annotated[str | None, store_option("Results store (for the scores in the answers).")] = None,
        queue_dir: QueueDir = None,
    ) -> None:
        """Queue the inbox's new requests (answering each), close those whose evaluation ended."""

        queue = SubmissionQueue(queue_dir or default_queue_dir())
        inbox_ = open_inbox(source)  # SubmissionStoreError: reported by challenge/cli/errors.py
        report = answer(inbox_, queue, store or default_store_url(), run_ingest(inbox_, queue))
        for sid in report.accepted:
            console.print(f"[green]queued[/] {sid}")
        for rid, reason in report.rejected:
            console.print(f"[red]rejected[/] {escape(rid)}: {escape(reason)}")
        for rid, state in report.answered:
            console.print(f"answered {rid}: {state}")
        console.print(f"{len(report.accepted)} queued, {len(report.rejected)} rejected, "
                      f"{len(report.answered)} answered and closed")
