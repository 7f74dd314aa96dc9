"""The board's tables as the HTML its components show (``leaderboard.views.html_table``), one helper per table.

The overview, a track's ranking (one page of it), runtime and cost tables,
and the cross-track table; the app (``leaderboard.app.page``) puts them in its
``gr.HTML`` components. Cells are escaped where they are built.
"""

from __future__ import annotations

import pandas as pd

from evaluator.core.tracks import TRACKS
from leaderboard.app import column_choice
from leaderboard.views import tables
from leaderboard.views.cost_table import COST_DATATYPES, COST_LIMIT
from leaderboard.views.html_table import html_table, plain_table
from leaderboard.views.overview import OVERVIEW_DATATYPES, OVERVIEW_WIDTHS

RUNTIME_COLUMN_WIDTHS: list[str] = [
    "76px", "290px", "60px", "160px", "185px", *("92px" for _ in tables.RUNTIME_COLUMNS), "260px",
]


def overview_html(frame: pd.DataFrame) -> str:
    """The overview table as HTML (``leaderboard.views.html_table``)."""
    return html_table(frame, OVERVIEW_DATATYPES, widths=OVERVIEW_WIDTHS, pinned=1, max_height=700,
                      table_id="overview")


def ranking_html(name: str, rows: pd.DataFrame) -> str:
    """A track's ranking table (one page of it) as HTML, ``<table id="table-{name}">``."""
    rows, widths, kinds = column_choice.shown(rows, None)
    return html_table(rows, kinds, caption=f"{TRACKS[name].title}: compression",
                      widths=widths, pinned=2, max_height=800, table_id=f"table-{name}")


RUNTIME_DATATYPES: tuple[str, ...] = ("str", "str", "number", "html", "html",
                                      *("number" for _ in tables.RUNTIME_COLUMNS), "str")


def runtime_html(name: str, rows: pd.DataFrame) -> str:
    return html_table(rows, RUNTIME_DATATYPES, caption=f"{TRACKS[name].title}: runtimes by profile",
                      widths=RUNTIME_COLUMN_WIDTHS, max_height=600, table_id=f"runtime-{name}")


def cost_html(name: str, rows: pd.DataFrame) -> str:
    return html_table(rows, COST_DATATYPES, caption=f"{TRACKS[name].title}: cost per volume of data (best "
                      f"{COST_LIMIT} by mean ratio per machine)", max_height=500, table_id=f"cost-{name}")


def cross_html(frame: pd.DataFrame) -> str:
    """The cross-track table (its cells are the board's markup: escaped where built)."""
    return plain_table(frame, markup=True, caption="Mean ratio by training set (rows) and tested track (columns)")
