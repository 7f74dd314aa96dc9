"""``challenge admin campaign``: re-evaluate every finished submission (and the baselines) on Dask.

DESIGN.md "Results, queue, publishing": a campaign fans out (submission x
track x shard) tasks (:mod:`submissions.campaign.campaign`) on a local Dask cluster, or
on any Dask scheduler given by address (dask-jobqueue on Slurm, Kubernetes).
Shows a progress bar over tasks and a table of the merged (submission, track)
records at the end; ``--dry-run`` prints the plan only.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from challenge.cli.console_style import task_progress
from challenge.cli.errors import WORK_FAILED, fail
from challenge.cli.options import Store, Track, data_option, profile_option, queue_option
from evaluator.core.settings import default_queue_dir, default_store_url
from submissions.queue.submission_queue import SubmissionQueue

err = Console(stderr=True)
out = Console()


def _plan_table(tasks: list[Any]) -> Table:
    table = Table(title=f"campaign plan: {len(tasks)} tasks")
    for col in ("submission", "codec", "track", "shards", "profile", "GPU", "data"):
        table.add_column(col, overflow="fold" if col in ("submission", "data") else "ellipsis")
    seen: dict[tuple[str, str], Any] = {}
    for t in tasks:
        seen.setdefault(t.group, t)
    for t in seen.values():
        table.add_row(t.submission, t.codec_name, t.track, str(t.shard_count), t.profile,
                      "yes" if t.needs_gpu else "-", t.split_label)
    return table


def _report_table(report: Any) -> Table:
    table = Table(title=f"campaign: {report.tasks_done} tasks ok, {report.tasks_failed} failed, "
                        f"{report.wall_s:.1f} s on {report.scheduler}")
    for col in ("submission", "codec", "track", "status", "n", "ratio", "shards"):
        table.add_column(col, overflow="fold" if col == "submission" else "ellipsis")
    for o in report.outcomes:
        status = "[green]ok[/green]" if o.status == "ok" else f"[red]{o.failure_kind or 'failed'}[/red]"
        ratio = "-" if o.ratio_mean is None else f"{o.ratio_mean:.3f}"
        table.add_row(o.submission, o.codec, o.track, status, str(o.n_items), ratio, str(o.shards))
    return table


def register(app: typer.Typer, admin: typer.Typer) -> None:
    @admin.command("campaign")
    def campaign_cmd(
        profile: Annotated[str | None, profile_option(
            "Hardware profile for every run (cpu-1, cpu-8, gpu-1); default: each "
            "submission's own (manifest), cpu-1 for baselines.")] = None,
        data: Annotated[str | None, data_option(
            "Data spec for every track (synthetic, hub, hidden:NAME, a folder); default: each "
            "dataset's registered hidden split, else synthetic.")] = None,
        track: Track = "all",
        shards: int = typer.Option(1, "--shards", min=1, help="Shards per track (items i with i % N == k)."),
        scheduler: str | None = typer.Option(
            None, "--scheduler", help="Dask scheduler address (tcp://host:8786); default: a local cluster."),
        workers: int | None = typer.Option(
            None, "--workers", min=1, help="Local cluster workers (default: cores / profile cores)."),
        include_baselines: bool = typer.Option(
            True, "--include-baselines/--no-baselines", help="Also re-evaluate the classical baselines."),
        queue_dir: Annotated[Path | None, queue_option("Queue folder (default: the local one).")] = None,
        store: Store = None,
        dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan and exit."),
        resume: str | None = typer.Option(
            None, "--resume", metavar="ID", help="Resume campaign ID (`challenge admin campaigns`): run only its "
            "tasks without a finished shard record; its own plan, the other options are ignored."),
    ) -> None:
        """Re-evaluate every finished submission (and the baselines) on Dask; one record per track."""

        if not logging.getLogger().isEnabledFor(logging.DEBUG):  # quiet Dask unless --verbose (workers too)
            os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
        from submissions.campaign.campaign import (  # noqa: PLC0415
            baseline_targets,
            finished_targets,
            plan_campaign,
        )
        from submissions.campaign.campaign_history import load_campaign  # noqa: PLC0415

        if scheduler and workers:
            fail("--workers sizes the local cluster; with --scheduler the cluster's own workers run the tasks",
                 code=WORK_FAILED)
        url = store or default_store_url()
        resumed = None
        if resume:
            resumed = load_campaign(url, resume).log  # UnknownCampaign: bad input, exit 2 (cli/errors.py)
            _run(resumed.campaign_tasks(), url, scheduler, workers, resumed)
            return
        targets = finished_targets(SubmissionQueue(queue_dir or default_queue_dir()))
        if include_baselines:
            try:
                with err.status("building or finding the baseline images..."):
                    targets += baseline_targets()
            except Exception as exc:  # noqa: BLE001  (Docker missing or a build failed: say what to do)
                fail(f"cannot prepare the baseline images: {exc} (is Docker running? `docker info`; "
                     "or use --no-baselines)", code=WORK_FAILED)
        if not targets:
            fail("nothing to evaluate: no finished submission in the queue (and --no-baselines)", code=WORK_FAILED)
        try:
            tasks = plan_campaign(targets, track, data, profile, shards)
        except (KeyError, ValueError) as exc:  # a bad --track, --data, --profile or --shards
            fail(str(exc).strip("'\""))
        if not tasks:
            fail(f"no task: no target is evaluated on the tracks {track!r}", code=WORK_FAILED)
        if dry_run:
            out.print(_plan_table(tasks))
            gpu = sum(t.needs_gpu for t in tasks)
            out.print(f"{len(tasks)} tasks ({gpu} need a GPU worker); nothing was run (--dry-run)")
            return
        _run(tasks, url, scheduler, workers, resumed)


def _run(tasks: list[Any], url: str, scheduler: str | None, workers: int | None, campaign: Any) -> None:
    from submissions.campaign.campaign import run_campaign  # noqa: PLC0415

    with task_progress(err) as bar:
        job = bar.add_task("campaign tasks", total=len(tasks))
        failed = 0

        def on_task(ev: Any) -> None:
            nonlocal failed
            if not ev.ok:
                failed += 1
                bar.console.print(f"[red]{ev}[/red]", highlight=False)
            bar.update(job, completed=ev.done,
                       description="campaign tasks" + (f" [red]({failed} failed)[/red]" if failed else ""))

        try:
            report = run_campaign(tasks, url, scheduler=scheduler, n_workers=workers, progress=on_task,
                                  campaign=campaign)
        except OSError as exc:
            fail(f"cannot reach the Dask scheduler {scheduler}: {exc}; check the address and that "
                 "`dask scheduler` is running there", code=WORK_FAILED)
    out.print(_report_table(report))
    kept = f" ({report.tasks_kept} shards kept from before)" if report.tasks_kept else ""
    out.print(f"campaign {report.campaign_id}{kept}: records written to {url}")
    for o in report.outcomes:
        if o.status != "ok":
            err.print(f"[red]{o.submission} / {o.track}: {o.failure_kind}[/red]\n{o.reason}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)
