"""What the Tracks tab sends the browser for a track: a bounded slice of its tables, all reachable.

A board of 2,000 submissions has 2,000 rows per track table; a browser
renders a few hundred HTML rows quickly and thousands slowly. So a track gets

- the ranking table one page at a time (``PAGE_ROWS`` rows, ranks computed
  on every row before the slicing: a page never re-ranks),
- the runtime and cost tables bounded per (profile, machine) group
  (``GROUP_ROWS`` rows of each, in their ranked order),
- a search over the full tables (codec, submission, data, profile, status,
  badges): the matching rows, paged and bounded the same way,
- the full tables as CSV files (plain text: badges and markers as words).

A small board (every table within its bound) is shown exactly as before:
no pager, the tables whole.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

PAGE_ROWS = 50  # ranking rows per page (a page renders in the browser in a few tens of milliseconds)
GROUP_ROWS = 25  # runtime / cost rows per (profile, machine) group
SEARCH_COLUMNS: tuple[str, ...] = ("Codec", "Badges", "Profile", "Machine", "Data", "Submission", "Status")
_TAG = re.compile(r"<[^>]+>")


def plain(cell: object) -> str:
    """An HTML cell as the words it shows."""
    return html.unescape(_TAG.sub("", str(cell))) if isinstance(cell, str) else "" if cell is None else str(cell)


def _haystack(table: pd.DataFrame) -> pd.Series:
    cols = [c for c in SEARCH_COLUMNS if c in table.columns]
    if table.empty or not cols:
        return pd.Series([""] * len(table), index=table.index, dtype=object)
    text = table[cols[0]].map(plain)
    for col in cols[1:]:
        text = text + " " + table[col].map(plain)
    return text.str.lower()


class _Haystacks:
    """The lower-cased searchable text of each table, computed once per table object."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[int, tuple[pd.DataFrame, pd.Series]] = {}

    def of(self, table: pd.DataFrame) -> pd.Series:
        with self._lock:
            hit = self._by_id.get(id(table))
            if hit is not None and hit[0] is table:
                return hit[1]
        text = _haystack(table)
        with self._lock:
            if len(self._by_id) > 128:
                self._by_id.clear()
            self._by_id[id(table)] = (table, text)  # the table is kept: its id stays unique while cached
        return text


_HAYSTACKS = _Haystacks()


def matching(table: pd.DataFrame, query: str | None) -> pd.DataFrame:
    """Rows whose codec, submission, data, profile, status or badges contain every word of ``query``."""
    words = (query or "").lower().split()
    if not words or table.empty:
        return table
    text = _HAYSTACKS.of(table)
    keep = pd.Series(True, index=table.index)
    for word in words:
        keep &= text.str.contains(word, regex=False)
    return table[keep]


@dataclass(frozen=True)
class Page:
    """One page of a ranking table and what the pager says about it."""

    rows: pd.DataFrame
    page: int  # 1-based, clamped to the pages there are
    pages: int
    matched: int  # rows matching the search (all rows without one)
    total: int  # rows of the full table

    @property
    def paged(self) -> bool:
        """Whether the pager is needed (more rows than one page, or a search narrowing them)."""
        return self.total > PAGE_ROWS

    def caption(self, query: str | None) -> str:
        if self.matched == 0:
            return f"No row matches **{html.escape(query or '')}** (of {self.total:,} rows)."
        first = (self.page - 1) * PAGE_ROWS + 1
        last = min(self.page * PAGE_ROWS, self.matched)
        found = f" matching **{html.escape(query or '')}**" if (query or "").strip() else ""
        return (f"Rows {first:,}-{last:,} of {self.matched:,}{found} (page {self.page} of {self.pages}; "
                f"{self.total:,} rows in all, ranked on all of them). Change *Page* for more, search to find "
                "any row, or download the full tables as CSV below.")


def page_of(table: pd.DataFrame, query: str | None = None, page: float | None = 1,
            size: int = PAGE_ROWS) -> Page:
    """The ``page``-th slice of ``size`` rows of the rows matching ``query`` (order and ranks kept)."""
    rows = matching(table, query)
    pages = max(1, math.ceil(len(rows) / size))
    number = 1 if page is None or pd.isna(page) else min(max(1, int(page)), pages)
    start = (number - 1) * size
    return Page(rows.iloc[start:start + size].reset_index(drop=True), number, pages, len(rows), len(table))


def bounded(table: pd.DataFrame, query: str | None = None, limit: int = GROUP_ROWS,
            groups: tuple[str, ...] = ("Profile", "Machine")) -> pd.DataFrame:
    """The first ``limit`` rows (in table order: ranked) of each group among the rows matching ``query``."""
    rows = matching(table, query)
    cols = [g for g in groups if g in rows.columns]
    if rows.empty or not cols or len(rows) <= limit:
        return rows
    return rows[rows.groupby(cols, sort=False).cumcount() < limit]


def group_note(table: pd.DataFrame, shown: pd.DataFrame, what: str) -> str:
    """What a bounded table leaves out and how to reach it ("" when it shows every row)."""
    if len(shown) >= len(table):
        return ""
    return (f"{what}: {len(shown):,} of {len(table):,} rows shown (the first {GROUP_ROWS} of each profile and "
            "machine, in rank order); search to find any other row, or download the full table as CSV.")


class CsvFiles:
    """The full tables of a track as CSV files in one temporary folder, written once per key.

    The key is (track, track version, filters): a visitor downloads what the
    tab shows, every row of it. At most ``MAX_SETS`` sets are kept on disk.
    """

    MAX_SETS = 64

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="lb-csv-"))
        weakref.finalize(self, shutil.rmtree, self.root, ignore_errors=True)  # gone with the board (or at exit)
        self._lock = threading.Lock()
        self._written: dict[tuple[object, ...], list[str]] = {}

    def files(self, key: tuple[object, ...], tables: dict[str, pd.DataFrame]) -> list[str]:
        """Paths of ``tables`` (name -> table) as CSV files (``key[0]`` names the track)."""
        with self._lock:
            hit = self._written.get(key)
            if hit is not None:
                return hit
        tag = hashlib.sha1(repr(key).encode()).hexdigest()[:10]
        paths = []
        for name, table in tables.items():
            path = self.root / f"{key[0]}-{name}-{tag}.csv"
            out = table.copy()
            for col in out.columns:
                if not pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
                    out[col] = out[col].map(plain)
            try:
                out.to_csv(path, index=False)
            except OSError:
                if self.root.is_dir():
                    raise
                return []  # the folder is gone: removed at interpreter exit while a background render ran
            paths.append(str(path))
        with self._lock:
            stale = []
            if len(self._written) >= self.MAX_SETS:
                stale = [p for ps in self._written.values() for p in ps]
                self._written.clear()
            self._written[key] = paths
        for path_text in stale:
            if path_text not in paths:
                Path(path_text).unlink(missing_ok=True)
        return paths


@dataclass(frozen=True)
class TrackView:
    """A track's bounded tables: the ranking page, the runtime rows and what the pager shows."""

    table: pd.DataFrame
    runtime: pd.DataFrame
    runtime_note: str
    page: Page
    caption: str


def track_view(table: pd.DataFrame, runtime: pd.DataFrame, query: str | None = None,
               page: float | None = 1) -> TrackView:
    """The bounded view of a track's full ranking and runtime tables (``LeaderboardData.render_track``)."""
    shown = page_of(table, query, page)
    runtime_rows = bounded(runtime, query)
    return TrackView(shown.rows, runtime_rows, group_note(runtime, runtime_rows, "Runtimes"), shown,
                     shown.caption(query) if shown.paged else "")


def cost_view(cost: pd.DataFrame, query: str | None = None) -> tuple[pd.DataFrame, str]:
    """The bounded cost table (the rows matching ``query``) and its note."""
    rows = bounded(cost, query)
    return rows, group_note(cost, rows, "Cost")
