"""Which columns a track's ranking table shows: the column chooser of the Tracks tab.

Rank and Codec always show (pinned on the left); every other column of the
ranking table can be hidden by the visitor (a checkbox list whose handler
runs in the browser: ``hide_script``). Widths are looked up by header. The
CSV files always hold every column.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pandas as pd

from leaderboard.views import tables

ALWAYS: tuple[str, ...] = ("Rank", "Codec")  # pinned, never hidden
WIDTHS: dict[str, str] = {
    "Rank": "56px", "Codec": "160px", "Badges": "185px", **{c.title: "96px" for c in tables.METRIC_COLUMNS},
    tables.INTERVAL_TITLE: "120px", tables.GAIN_TITLE: "90px", "Profile": "76px", "Data": "235px",
    "Submission": "170px", "Status": "130px",
}


def optional_columns(headers: Iterable[str] = tables.TRACK_TABLE_HEADERS) -> list[str]:
    """The columns a visitor may hide (every column but ``ALWAYS``)."""
    return [h for h in headers if h not in ALWAYS]


def shown(frame: pd.DataFrame, chosen: Iterable[str] | None) -> tuple[pd.DataFrame, list[str], list[str]]:
    """``frame`` with only ``ALWAYS`` and the ``chosen`` columns (None: every column), its widths and
    cell kinds (``tables.TRACK_TABLE_DATATYPES``, by header)."""
    kinds = dict(zip(tables.TRACK_TABLE_HEADERS, tables.TRACK_TABLE_DATATYPES))
    keep = None if chosen is None else set(chosen) | set(ALWAYS)
    columns = [c for c in frame.columns if keep is None or c in keep]
    out = frame[columns]
    widths: list[str] = []
    for c in columns:  # widths of the leading columns that have one (the pinned ones first)
        if c not in WIDTHS:
            break
        widths.append(WIDTHS[c])
    return out, widths, [kinds.get(c, "str") for c in columns]


def hide_script(table_selector: str = "#ranking-track table", headers: Iterable[str] = tables.TRACK_TABLE_HEADERS
                ) -> str:
    """The chooser's client-side handler: a style rule hides the unticked columns of ``table_selector``.

    A rule, not a re-render: the table is replaced on every refresh, page and
    search, and the rule keeps applying to each new one.
    """
    columns = json.dumps(list(headers))
    always = json.dumps(list(ALWAYS))
    return f"""(chosen) => {{
  const all = {columns}, always = {always};
  const hide = all.map((h, i) => [h, i + 1]).filter(([h]) => !always.includes(h) && !(chosen || []).includes(h));
  let style = document.getElementById('lb-column-style');
  if (!style) {{
    style = document.createElement('style'); style.id = 'lb-column-style'; document.head.appendChild(style);
  }}
  style.textContent = hide.map(([, i]) => `{table_selector} tr > :nth-child(${{i}}) {{display: none;}}`).join('\\n');
  return chosen;
}}"""
