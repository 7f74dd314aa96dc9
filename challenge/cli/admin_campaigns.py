"""``challenge admin campaigns`` (the history) and ``challenge admin drift A B`` (compare two campaigns).

Campaigns and their records are kept in the results store
(``submissions.campaign.campaign_history``); the drift report
(``submissions.campaign.campaign_drift``) is printed and written beside them as
Markdown and JSON.
"""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from challenge.cli.errors import WORK_FAILED, fail
from challenge.cli.options import Store
from evaluator.core.settings import default_store_url
from submissions.campaign.campaign_drift import (
    DriftReport,
    compare_campaigns,
    ratio_cell,
    write_report,
)
from submissions.campaign.campaign_history import (
    CampaignLog,
    list_campaigns,
    load_campaign,
)

out = Console()
err = Console(stderr=True)


def campaigns_table(logs: list[CampaignLog]) -> Table:
    table = Table(title=f"{len(logs)} campaigns")
    for col in ("id", "started", "finished", "status", "profiles", "data", "tracks", "subs", "shards",
                "tasks ok/failed/kept", "code", "evaluator", "machines"):
        table.add_column(col, overflow="fold" if col in ("id", "data", "tracks") else "ellipsis")
    for c in logs:
        p, n = c.plan, c.counts
        counts = (f"{n.get('tasks_done', 0)}/{n.get('tasks_failed', 0)}/{n.get('tasks_kept', 0)} of "
                  f"{p.get('tasks', len(c.tasks))}" if n else f"- of {p.get('tasks', len(c.tasks))}")
        status = "[green]finished[/green]" if c.finished_at else "[yellow]unfinished[/yellow]"
        table.add_row(c.id, c.started_at, c.finished_at or "-", status, ",".join(p.get("profiles", [])),
                      ",".join(p.get("splits", [])), ",".join(p.get("tracks", [])),
                      str(len(p.get("submissions", []))), str(p.get("shards", "")), counts,
                      c.versions.get("code", ""), c.versions.get("evaluator", ""), str(len(c.machines)))
    return table


def drift_table(report: DriftReport) -> Table:
    table = Table(title=f"drift {report.campaign_a} -> {report.campaign_b}: sizes must match; "
                        "times B/A, median [p10-p90]")
    for col in ("submission", "codec", "track", "items", "size drift", "encode B/A", "enc means",
                "decode B/A", "dec means"):
        table.add_column(col, overflow="fold" if col == "submission" else "ellipsis")
    for p in report.pairs:
        drift = "[green]none[/green]" if p.reproducible else f"[red]{len(p.size_mismatches)} differ[/red]"
        enc_m = "-" if p.encode is None or p.encode.ratio_of_means is None else f"{p.encode.ratio_of_means:.3f}"
        dec_m = "-" if p.decode is None or p.decode.ratio_of_means is None else f"{p.decode.ratio_of_means:.3f}"
        table.add_row(p.submission, p.codec, p.track, str(p.items_compared), drift, ratio_cell(p.encode), enc_m,
                      ratio_cell(p.decode), dec_m)
    return table


def register(app: typer.Typer, admin: typer.Typer) -> None:
    @admin.command("campaigns")
    def campaigns_cmd(
        store: Store = None,
        as_json: bool = typer.Option(False, "--json", help="Print the campaign logs as JSON (without task lists)."),
    ) -> None:
        """List the campaigns kept in the results store (id, times, plan, versions, machines)."""
        logs = list_campaigns(store or default_store_url())
        if as_json:
            typer.echo(json.dumps([{k: v for k, v in vars(c).items() if k != "tasks"} for c in logs], indent=2,
                                  default=str))
            return
        if not logs:
            out.print(f"no campaign in {store or default_store_url()} yet (`challenge admin campaign` runs one)")
            return
        out.print(campaigns_table(logs))

    @admin.command("drift")
    def drift_cmd(
        campaign_a: str = typer.Argument(..., metavar="A", help="The earlier campaign id."),
        campaign_b: str = typer.Argument(..., metavar="B", help="The later campaign id."),
        store: Store = None,
    ) -> None:
        """Compare two campaigns: compressed sizes must be identical, runtimes as ratios B/A with their spread.

        Exits 1 when any codec wrote a different size for an item (a reproducibility failure).
        """
        url = store or default_store_url()
        arch_a, arch_b = load_campaign(url, campaign_a), load_campaign(url, campaign_b)  # UnknownCampaign: exit 2
        report = compare_campaigns(arch_a, arch_b)
        if not report.pairs:
            fail(f"campaigns {campaign_a} and {campaign_b} have no (submission, track) record in common",
                 code=WORK_FAILED)
        out.print(drift_table(report))
        md, js = write_report(arch_a, report)
        for p in report.failures:
            items = ", ".join(f"{m.item_id} ({m.bytes_a} -> {m.bytes_b} bytes)" for m in p.size_mismatches[:5])
            err.print(f"[red]reproducibility failure: {p.codec} ({p.submission}) on {p.track}: {items}[/red]",
                      highlight=False)
        out.print(f"drift report written to {md} and {js}")
        if report.failures:
            raise typer.Exit(1)
