"""``challenge tracks``: the track table."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from challenge.cli.options import json_option
from evaluator.tracks import SAMPLE_LAYOUT, TRACKS, tracks_json


def tracks(as_json: Annotated[bool, json_option("Print a JSON list instead of a table.")] = False) -> None:
    """List the challenge tracks (paper Table 1, plus jwst-3d and sdss-4d)."""
    if as_json:
        typer.echo(tracks_json())
        return
    table = Table(title="AstroCompress tracks")
    for col in ("track", "dataset", "ndim", "item", "paper"):
        table.add_column(col)
    for t in TRACKS.values():
        table.add_row(t.name, t.dataset, str(t.ndim), t.item, "yes" if t.paper else "beyond")
    Console().print(table)
    Console().print("[dim]Sample layouts: " + "; ".join(f"{k}: {v}" for k, v in SAMPLE_LAYOUT.items()) + "[/dim]")


def register(app: typer.Typer, admin: typer.Typer) -> None:
    app.command("tracks")(tracks)
