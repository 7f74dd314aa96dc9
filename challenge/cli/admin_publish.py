"""``challenge admin publish``: push results to a Hugging Face dataset and the leaderboard Space."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from challenge.cli.errors import USAGE_ERROR, WORK_FAILED, fail
from challenge.cli.options import queue_option, store_option
from evaluator.core.settings import default_store_url
from leaderboard.publish.publish import publish


def publish_cmd(
    repo: str = typer.Option(..., "--repo", help="Dataset repository for the results, ORG/NAME."),
    store: Annotated[str | None, store_option("Results store to publish (fsspec URL or folder).")] = None,
    space: str | None = typer.Option(None, "--space", help="Also publish the leaderboard Space, ORG/NAME."),
    to: str | None = typer.Option(None, "--to", help="Publish elsewhere than huggingface.co: a Hub endpoint "
                                     "(https://...) or an fsspec URL (file:///srv/hub) for a local stand-in."),
    queue: Annotated[Path | None, queue_option("Also publish this submission queue's snapshot "
                                               "(queue/snapshot.json: states, reasons, scores; never "
                                               "hidden-data logs), e.g. $CHALLENGE_HOME/submissions.")] = None,
) -> None:
    """Publish the results store (its files, the `records`/`items` tables, the card; changed files only, in
    commits of at most 99 files) and, with --space, the leaderboard Space."""

    store_url = store or default_store_url()
    try:
        report = publish(store_url, repo, space_id=space, hub_url=to, queue_dir=queue)
    except ValueError as exc:
        fail(str(exc), code=USAGE_ERROR)
    except Exception as exc:  # Hub errors: authentication, permissions, network
        fail(f"Publishing failed ({type(exc).__name__}): {exc}\n"
             "Check `huggingface-cli login` (a token with write access to the repositories) "
             "and the network. Each commit is atomic; commits made before the failure stay (the tables the "
             "Space reads go last, so it keeps showing the previous board) and the next publish sends only "
             "what is still missing.",
             code=WORK_FAILED)
    console = Console()
    for line in report.lines():
        console.print(line)


def register(app: typer.Typer, admin: typer.Typer) -> None:
    admin.command("publish")(publish_cmd)
