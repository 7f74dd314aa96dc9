"""A track tab's tables as plain HTML: what a browser renders in milliseconds.

Gradio's interactive Dataframe measures every row it renders (a virtual
list with wrapped cells): on a two-core machine a track tab with its three
tables took ~0.9 s of browser time to open, most of the tab switch. These
tables are read-only, paged on the server (``leaderboard.views.track_pages``) and
ranked on the server (a header click would only re-sort one page), so a
static table loses nothing: a sticky header, the first columns pinned, and
the same ARIA grid roles (``row``, ``columnheader``, ``gridcell``) that
assistive tools and our browser tests read.

Cells by column type (the tables' ``*_DATATYPES``): ``html`` cells are the
board's own markup (badges; user text inside them is escaped where it is
built, ``leaderboard.views.tables``), ``str`` cells are escaped here
(``leaderboard.safe_text.html_text``: participant text never becomes markup), ``number``
cells print as Python prints them (integers without ``.0``), and a missing
number is an empty cell, never zero.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import pandas as pd

from leaderboard.safe_text import html_text

TABLE_CSS = """
.lb-table {overflow: auto; border: 1px solid var(--border-color-primary, #e5e7eb); border-radius: 6px;}
.lb-table table {border-collapse: separate; border-spacing: 0; width: max-content; min-width: 100%;
  font-size: 0.9em;}
.lb-table th, .lb-table td {padding: 4px 8px; border-bottom: 1px solid var(--border-color-primary, #e5e7eb);
  text-align: left; vertical-align: top; background: var(--table-even-background-fill, #fff);}
.lb-table th {position: sticky; top: 0; z-index: 2; font-weight: 600;
  background: var(--table-odd-background-fill, #f9fafb);}
.lb-table td.num {text-align: right;}
.lb-table .pin {position: sticky; z-index: 1;}
.lb-table th.pin {z-index: 3;}
.lb-caption {font-weight: 600; margin: 0.4em 0 0.2em 0; font-size: 0.92em;}
"""


def _cell(value: object, kind: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind in ("html", "html-num"):
        return str(value)
    if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    return html_text(value)


def html_table(frame: pd.DataFrame, datatypes: Sequence[str], *, caption: str = "",
               widths: Sequence[str] = (), pinned: int = 0, max_height: int = 800, table_id: str = "") -> str:
    """``frame`` as an HTML table (``datatypes`` per column: ``html``, ``str`` or ``number``).

    ``widths`` are CSS widths of the first columns; the first ``pinned``
    columns stay in view when the table scrolls sideways (they need widths).
    """
    kinds = [datatypes[i] if i < len(datatypes) else "str" for i in range(len(frame.columns))]
    offsets: list[str] = []
    left = "0px"
    for i in range(min(pinned, len(widths))):
        offsets.append(left)
        left = f"calc({left} + {widths[i]})"

    def attrs(i: int) -> str:
        classes = ["num"] if kinds[i] in ("number", "html-num") else []
        style = [f"min-width: {widths[i]}; max-width: {widths[i]}"] if i < len(widths) else []
        if i < len(offsets):
            classes.append("pin")
            style.append(f"left: {offsets[i]}")
        return (f' class="{" ".join(classes)}"' if classes else "") + (f' style="{"; ".join(style)}"' if style else "")

    cell_attrs = [attrs(i) for i in range(len(kinds))]
    head = "".join(f'<th role="columnheader"{a}>{html.escape(str(c))}</th>' for c, a in zip(frame.columns, cell_attrs))
    body = []
    for index, row in enumerate(frame.itertuples(index=False, name=None)):
        cells = "".join(f'<td role="gridcell"{a}>{_cell(v, k)}</td>' for v, k, a in zip(row, kinds, cell_attrs))
        body.append(f'<tr role="row" data-index="{index}">{cells}</tr>')
    title = f'<div class="lb-caption">{html.escape(caption)}</div>' if caption else ""
    ident = f' id="{html.escape(table_id)}"' if table_id else ""
    return (f'{title}<div class="lb-table" style="max-height: {max_height}px"><table role="grid"{ident}>'
            f'<thead><tr role="row">{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>')


def plain_table(frame: pd.DataFrame, *, caption: str = "", widths: Sequence[str] = (), max_height: int = 600,
                markup: bool = False) -> str:
    """``frame`` as an HTML table with cell types read from its dtypes (numbers right-aligned, text escaped);
    ``markup=True``: text cells are the board's own markup (badges), put in as they are."""
    text = "html" if markup else "str"
    kinds = ["number" if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
             else text for c in frame.columns]
    return html_table(frame, kinds, caption=caption, widths=widths, max_height=max_height)
