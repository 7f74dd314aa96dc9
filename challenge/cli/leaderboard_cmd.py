"""``challenge leaderboard``: run the leaderboard locally on a results store."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from baselines.paper_seeds import seed_paper_results
from evaluator.records import ResultStore
from evaluator.settings import default_queue_dir, default_store_url


def leaderboard(
    store: str | None = typer.Option(None, "--store", help="Results store (fsspec URL or folder); "
                                        "default: $CHALLENGE_STORE or the local home's results/."),
    queue: Path | None = typer.Option(None, "--queue", help="Submission queue folder to show "
                                         "(default: the local one, when it exists)."),
    port: int = typer.Option(7860, "--port", help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; 0.0.0.0 to serve the network."),
    seed: bool = typer.Option(True, "--seed/--no-seed", help="Write the paper's Table 1/3 numbers into the "
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
        except OSError as exc:
            console.print(f"[red]Cannot write the paper's numbers into {store_url}: {exc}[/red]\n"
                          "Use --no-seed for a read-only store, or point --store at a writable folder.")
            raise typer.Exit(2) from exc
        console.print(f"[dim]Paper seeds: {len(keys)} records in {store_url}[/dim]")
    from leaderboard.app import serve

    console.print(f"Leaderboard on http://{host}:{port}/ reading [bold]{store_url}[/bold] (Ctrl-C to stop)")
    try:
        serve(store_url, queue_dir if queue_dir.exists() else None, host=host, port=port, refresh_s=refresh)
    except OSError as exc:
        console.print(f"[red]Cannot start the server on {host}:{port}: {exc}[/red]\nTry another --port.")
        raise typer.Exit(2) from exc


def register(app: typer.Typer, admin: typer.Typer) -> None:
    app.command("leaderboard")(leaderboard)
