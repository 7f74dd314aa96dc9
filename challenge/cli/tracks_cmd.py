"""``challenge tracks``: the track table."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from challenge.cli.options import json_option
from evaluator.core.tracks import ERROR_BOUNDS, NEAR_LOSSLESS_TRACKS, SAMPLE_LAYOUT, TRACKS, tracks_json


def tracks(as_json: Annotated[bool, json_option("Print a JSON list instead of a table.")] = False) -> None:
    """List the challenge tracks.

    The ten lossless ones (paper Table 1, jwst-3d, sdss-4d), then the near-lossless ones.
    """
    if as_json:
        typer.echo(tracks_json())
        return
    table = Table(title="AstroCompress tracks")
    for col in ("track", "dataset", "ndim", "item", "paper"):
        table.add_column(col)
    for t in TRACKS.values():
        table.add_row(t.name, t.dataset, str(t.ndim), t.item, "yes" if t.paper else "beyond")
    console = Console()
    console.print(table)
    console.print("[dim]Sample layouts: " + "; ".join(f"{k}: {v}" for k, v in SAMPLE_LAYOUT.items()) + "[/dim]")
    near = Table(title="Near-lossless tracks (beyond the paper): <paper track><suffix>, e.g. keck-nl2")
    for col in ("suffix", "bound", "every pixel of every item"):
        near.add_column(col)
    for b in ERROR_BOUNDS:
        near.add_row(b.suffix, b.label, b.doc)
    console.print(near)
    papers = dict.fromkeys(str(t.lossless_track) for t in NEAR_LOSSLESS_TRACKS.values())
    console.print(f"[dim]{len(NEAR_LOSSLESS_TRACKS)} tracks: each suffix on each paper track ({', '.join(papers)}), "
                  "items cut as on the lossless track; checked in exact integer arithmetic. Offered only to codecs "
                  'whose codec.toml declares modes = ["lossless", "near-lossless"] (challenge/CONTRACT.md).[/dim]')


def register(app: typer.Typer, admin: typer.Typer) -> None:
    app.command("tracks")(tracks)
