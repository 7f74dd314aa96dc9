"""``challenge admin serve``: the organizer's unattended service (``submissions.service.service``).

Ingest the hosted inbox, run N workers, publish the results on an interval,
log a health line each cycle (``--scheduler ADDRESS``: the evaluations run on
that Dask cluster, as campaigns do); SIGTERM (``systemctl stop``) stops it cleanly:
in-flight submissions go back to the queue, nothing is lost or counted twice.
The README's "Running the organizer service" has a systemd unit.
"""

from __future__ import annotations

import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from challenge.cli.errors import WORK_FAILED, fail
from challenge.cli.options import (
    QueueDir,
    data_option,
    profile_option,
    store_option,
    track_option,
)
from evaluator.core.settings import default_queue_dir, default_store_url
from evaluator.core.tracks import select_tracks
from leaderboard.publish.publish import publish
from submissions.evaluation.task_dispatch import SchedulerUnreachable
from submissions.inbox.inbox import SubmissionStoreError
from submissions.inbox.inbox_url import open_inbox
from submissions.queue.submission_queue import SubmissionQueue
from submissions.service.service import Service, ServiceConfig
from submissions.service.worker import DataPlan, WorkerConfig


def _say(message: str) -> None:
    """One log line with its UTC time (journald / a log file keep it as is)."""
    print(f"{datetime.now(UTC).isoformat(timespec='seconds')} {message}", flush=True)
    sys.stdout.flush()


def serve_cmd(
    workers: int = typer.Option(1, "--workers", "-n", min=1, help="Worker threads; each evaluation gets its own "
                                "cores (a worker waits while too few are free)."),
    inbox: str | None = typer.Option(None, "--inbox", help="Hosted inbox to ingest and answer "
                                     "(hf://datasets/ORG/submissions, or a folder / file:// URL)."),
    repo: str | None = typer.Option(None, "--repo", help="Publish the results to this dataset, ORG/NAME "
                                    "(without it nothing is published)."),
    space: str | None = typer.Option(None, "--space", help="Also publish the leaderboard Space, ORG/NAME."),
    to: str | None = typer.Option(None, "--to", help="Publish elsewhere than huggingface.co: a Hub endpoint "
                                  "(https://...) or an fsspec URL (file:///srv/hub)."),
    publish_every: float = typer.Option(600.0, "--publish-every", min=1.0, help="Seconds between publishes."),
    cycle: float = typer.Option(10.0, "--cycle", min=0.1, help="Seconds between ingests and health lines."),
    store: Annotated[str | None, store_option("Results store URL.")] = None,
    data: Annotated[str | None, data_option("One data spec for every track (default: each dataset's "
                                            "registered hidden split, else synthetic).")] = None,
    data_map: Annotated[Path | None, typer.Option("--data-map", help='JSON {"GBI-16-2D": "hidden:NAME", '
                                                  '"*": "synthetic"}.')] = None,
    track: Annotated[str, track_option("Tracks to evaluate (name, comma list, paper, all).")] = "all",
    profile: Annotated[str | None, profile_option("Override the manifests' profile.")] = None,
    lease: float = typer.Option(120.0, "--lease", help="Lease seconds; a worker silent this long is presumed dead."),
    poll: float = typer.Option(2.0, "--poll", help="Seconds between a worker's polls of an empty queue."),
    max_attempts: int = typer.Option(3, "--max-attempts", min=1, help="Runs of a submission whose worker died "
                                     "before it is failed."),
    stop_timeout: float = typer.Option(60.0, "--stop-timeout", help="Seconds in-flight work may take to hand "
                                       "itself back after SIGTERM."),
    prune: bool = typer.Option(True, "--prune/--no-prune", help="Remove the images of finished submissions "
                               "from the engine (their saved tar stays)."),
    image_size: bool = typer.Option(True, "--image-size/--no-image-size",
                                    help="Measure each image's compressed size (docker save | gzip)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Evaluate on the Dask cluster of this scheduler "
                                         "(tcp://HOST:8786), as campaigns do; --workers is then how many "
                                         "submissions are in flight. Without it: in this process."),
    queue_dir: QueueDir = None,
) -> None:
    """Run the organizer's service: ingest, N workers, publish on an interval, a health line each cycle."""

    try:
        select_tracks(track)
        plan = DataPlan.from_file(data_map) if data_map else DataPlan()
        box = open_inbox(inbox) if inbox else None
    except (KeyError, ValueError, OSError, SubmissionStoreError) as exc:  # a bad --track, --data-map or --inbox
        fail(str(exc))
    if data:
        plan.default = data
    store_url = store or default_store_url()
    queue_root = queue_dir or default_queue_dir()
    queue = SubmissionQueue(queue_root, max_attempts=max_attempts)
    worker = WorkerConfig(store=store_url, data=plan, tracks=track, profile=profile, lease_s=lease, poll_s=poll,
                          measure_image_size=image_size)

    def publish_results() -> str:
        assert repo is not None
        return "; ".join(publish(store_url, repo, space_id=space, hub_url=to, queue_dir=queue_root).lines())

    svc = Service(queue, worker, ServiceConfig(workers=workers, cycle_s=cycle, publish_every_s=publish_every,
                                               prune_images=prune, stop_timeout_s=stop_timeout,
                                               scheduler=scheduler),
                  inbox=box, publish=publish_results if repo else None, say=_say)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        _say(f"got {signal.Signals(signum).name}")
        svc.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        svc.run()
    except SchedulerUnreachable as exc:
        fail(f"{exc}; {exc.fix}", code=WORK_FAILED)


def register(app: typer.Typer, admin: typer.Typer) -> None:
    admin.command("serve")(serve_cmd)
