"""``challenge admin publish``: push results to a Hugging Face dataset and the leaderboard Space."""

from __future__ import annotations

import typer
from rich.console import Console

from evaluator.settings import default_store_url
from leaderboard.publish import publish


def publish_cmd(
    repo: str = typer.Option(..., "--repo", help="Dataset repository for the results, ORG/NAME."),
    store: str | None = typer.Option(None, "--store", help="Results store to publish (fsspec URL or folder)."),
    space: str | None = typer.Option(None, "--space", help="Also publish the leaderboard Space, ORG/NAME."),
    to: str | None = typer.Option(None, "--to", help="Publish elsewhere than huggingface.co: a Hub endpoint "
                                     "(https://...) or an fsspec URL (file:///srv/hub) for a local stand-in."),
) -> None:
    """Publish the results store (one commit, changed files only) and, with --space, the leaderboard Space."""

    console = Console()
    store_url = store or default_store_url()
    try:
        report = publish(store_url, repo, space_id=space, hub_url=to)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    except Exception as exc:  # Hub errors: authentication, permissions, network
        name = type(exc).__name__
        console.print(f"[red]Publishing failed ({name}): {exc}[/red]\n"
                      "Check `huggingface-cli login` (a token with write access to the repositories) "
                      "and the network; nothing partial is committed (each repository gets one atomic commit).")
        raise typer.Exit(1) from exc
    for line in report.lines():
        console.print(line)


def register(app: typer.Typer, admin: typer.Typer) -> None:
    admin.command("publish")(publish_cmd)
