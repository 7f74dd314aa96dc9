"""``challenge leaderboard``: run the leaderboard locally on a results store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from baselines.neural.vdm_records import seed_vdm_estimates
from baselines.paper_seeds import seed_paper_results, seed_paper_table2
from challenge.cli.errors import USAGE_ERROR, fail
from challenge.cli.options import host_option, port_option, queue_option, store_option
from evaluator.core.settings import default_queue_dir, default_store_url
from evaluator.results.records import ResultStore


def leaderboard(
    store: Annotated[str | None, store_option("Results store (fsspec URL or folder); "
                                              "default: $CHALLENGE_STORE or the local home's results/.")] = None,
    queue: Annotated[Path | None, queue_option("Submission queue folder to show "
                                               "(default: the local one, when it exists).")] = None,
    port: Annotated[int, port_option("Port to listen on.")] = 7860,
    host: Annotated[str, host_option("Address to bind; 0.0.0.0 to serve the network.")] = "127.0.0.1",
    seed: bool = typer.Option(True, "--seed/--no-seed",
                              help="Write the paper's Table 1/3 numbers and our shipped VDM estimates into the "
                              "store first (idempotent)."),
    refresh: float = typer.Option(5.0, "--refresh", help="Seconds between store re-reads."),
) -> None:
    """Serve the leaderboard (Gradio) reading a results store; new results appear without a restart."""
    console = Console(stderr=True)
    store_url = store or default_store_url()
    queue_dir = queue if queue is not None else default_queue_dir()
    if seed:
        try:
            keys = seed_paper_results(ResultStore(store_url))
            keys += seed_paper_table2(ResultStore(store_url))
            keys += seed_vdm_estimates(ResultStore(store_url))
        except OSError as exc:
            fail(f"Cannot write the paper's numbers into {store_url}: {exc}\n"
                 "Use --no-seed for a read-only store, or point --store at a writable folder.", code=USAGE_ERROR)
        console.print(f"[dim]Paper seeds: {len(keys)} records in {store_url}[/dim]")
    from leaderboard.app.page import serve

    console.print(f"Leaderboard on http://{host}:{port}/ reading [bold]{store_url}[/bold] (Ctrl-C to stop)")
    try:
        serve(store_url, queue_dir if queue_dir.exists() else None, host=host, port=port, refresh_s=refresh)
    except OSError as exc:
        fail(f"Cannot start the server on {host}:{port}: {exc}\nTry another --port.", code=USAGE_ERROR)


def register(app: typer.Typer, admin: typer.Typer) -> None:
    app.command("leaderboard")(leaderboard)
