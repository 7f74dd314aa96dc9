"""The Near-lossless tab of the board: a paper track's rate-error plot and one ranking per error bound.

:class:`NearLosslessView` computes the view from a
:class:`leaderboard.board.board_data.LeaderboardData` (cached per store version,
track and filters); :func:`build_tab` lays it out inside the app's
``gr.Tabs`` and :func:`wire` connects its events: the tab's select and its
track pick render it, and a refresh or a filter change re-renders it only
while it is open (``current`` holds :data:`NL_TAB` then), like every tab.
A link opens it: ``?tab=near-lossless&track=keck`` (``leaderboard.app.url_state``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from leaderboard.app.page_header import filters_of
from leaderboard.app.url_state import url_view
from leaderboard.board.board_data import Filters, LeaderboardData
from leaderboard.data import data_views
from leaderboard.views.near_lossless import (
    NL_NOTE,
    NL_SHORT,
    bound_tables,
    bound_tables_html,
    parent_choices,
    view_rows,
)
from leaderboard.views.near_lossless_plot import rate_error_figure

NL_TAB = "@near-lossless"  # what the app's ``current`` holds while this tab is open
NL_TAB_ID = "near-lossless"  # the tab's id (``?tab=near-lossless``)
UI_EVENT: dict[str, Any] = {"api_visibility": "undocumented"}
SEEN_SESSIONS = 10_000  # sessions whose shown version is remembered (forgotten all at once beyond: one re-send)


class NearLosslessView:
    """The view's values from the board's records (every near-lossless record, whatever the lossless views show)."""

    def __init__(self, data: LeaderboardData) -> None:
        self.data = data
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._seen: dict[str, int] = {}  # session -> the data version its open view shows

    def _cached(self, key: tuple[Any, ...], compute: Any) -> Any:
        full = (self.data.reader.version, *key)
        if full not in self._cache:
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[full] = compute()
        return self._cache[full]

    def choices(self) -> list[tuple[str, str]]:
        """The paper tracks with near-lossless records in the store (the view's track choices)."""
        return list(self._cached(("choices",), lambda: parent_choices(self.data.frame())))

    def rows(self, parent: str, f: Filters) -> pd.DataFrame:
        """The filtered records of ``parent`` and its near-lossless variants."""
        return self._cached(("rows", parent, f.key()), lambda: view_rows(self.data.in_view(self.data.frame(), f),
                                                                          parent))

    def render(self, parent: str | None, f: Filters) -> tuple[str | None, str, Any]:
        """(track shown, note and tables HTML, figure) for ``parent`` (default: the first track with records)."""
        names = [v for _, v in self.choices()]
        if parent not in names:
            parent = names[0] if names else None
        if parent is None:
            return None, bound_tables_html([], "", "No near-lossless results in the store yet."), None

        def compute() -> tuple[str | None, str, Any]:
            rows = self.rows(parent, f)
            tables = bound_tables(rows, parent)
            caption = ("" if (not rows.empty and (rows["track"] != parent).any()) else
                       "No near-lossless results for this track on the data chosen above: pick other data "
                       "in the selector at the top.")
            return parent, bound_tables_html(tables, parent, caption), rate_error_figure(rows, parent)
        return self._cached(("render", parent, f.key()), compute)

    def version(self) -> int:
        """The board's data version as ``LeaderboardData.refresh`` counts it (records and queue)."""
        return int(self.data.reader.version + self.data.queue.version)

    def outputs_of(self, parent: str | None, f: Filters) -> list[Any]:
        shown, tables_html, figure = self.render(parent, f)
        return [gr.update(choices=self.choices(), value=shown), tables_html, figure]

    def changed(self, request: gr.Request | None) -> bool:
        """Whether the data changed since this page's view was sent (kept per session: no component for it)."""
        session = getattr(request, "session_hash", None) or ""
        now = self.version()
        if self._seen.get(session) == now:
            return False
        if len(self._seen) > SEEN_SESSIONS:
            self._seen.clear()
        self._seen[session] = now
        return True


@dataclass
class NearLosslessTab:
    tab: gr.Tab
    pick: gr.Dropdown
    tables: gr.HTML
    plot: gr.Plot

    @property
    def outputs(self) -> list[Any]:
        return [self.pick, self.tables, self.plot]


def build_tab() -> NearLosslessTab:
    """The tab's four components (inside the app's ``gr.Tabs``): the track pick (with a one-line note), the plot,
    and one HTML component holding the full note and the tables; filled when the tab opens."""
    with gr.Tab("Near-lossless", id=NL_TAB_ID, elem_id="tab-near-lossless") as tab:
        pick = gr.Dropdown([], label="Track (paper tracks with near-lossless results)", info=NL_SHORT,
                           elem_id="nl-track", interactive=True)
        plot = gr.Plot(elem_id="nl-plot", label="Compression ratio vs error bound")
        tables = gr.HTML(f'<div class="lb-note">{NL_NOTE}</div>', elem_id="nl-tables", apply_default_css=False)
    return NearLosslessTab(tab, pick, tables, plot)


def wire(demo: gr.Blocks, ui: NearLosslessTab, view: NearLosslessView, *, current: gr.State,
         filter_inputs: list[Any], timer: gr.Timer, refresh: gr.Button, tabs: tuple[str, ...]) -> None:
    """The tab's events: open, pick, filter change, refresh (only while open) and the page's link."""
    n = len(filter_inputs)

    def open_view(request: gr.Request, parent: str | None, *args: Any) -> list[Any]:
        view.changed(request)
        return [NL_TAB, *view.outputs_of(parent, filters_of(*args[:n]))]

    gr.on([ui.tab.select, ui.pick.input], open_view, inputs=[ui.pick, *filter_inputs],
          outputs=[current, *ui.outputs], show_progress="minimal", trigger_mode="always_last", **UI_EVENT)

    def rerender(shown: str, parent: str | None, *args: Any) -> list[Any]:
        if shown != NL_TAB:
            return [gr.skip()] * len(ui.outputs)
        return view.outputs_of(parent, filters_of(*args[:n]))

    for comp in filter_inputs:
        comp.input(rerender, inputs=[current, ui.pick, *filter_inputs], outputs=ui.outputs,
                   show_progress="hidden", **UI_EVENT)

    def ticker(force: bool) -> Any:
        def tick(request: gr.Request, shown: str, parent: str | None, *args: Any) -> list[Any]:
            if shown != NL_TAB:
                return [gr.skip()] * len(ui.outputs)
            view.data.refresh(force=force)  # the button waits for a re-listing under way: it sees the new records
            if not view.changed(request):
                return [gr.skip()] * len(ui.outputs)
            return view.outputs_of(parent, filters_of(*args[:n]))
        return tick

    for event, force in ((timer.tick, False), (refresh.click, True)):
        event(ticker(force), inputs=[current, ui.pick, *filter_inputs], outputs=ui.outputs,
              show_progress="hidden", queue=False, **UI_EVENT)

    def from_url(request: gr.Request) -> list[Any]:
        want = url_view(dict(request.query_params) if request is not None else {}, tabs)
        if want.tab != NL_TAB_ID:
            return [gr.skip()] * len(ui.outputs)
        key = data_views.known(want.data, view.data.data_choices()) or view.data.default_data()
        view.changed(request)
        return view.outputs_of(want.track, Filters(data=key))

    demo.load(from_url, outputs=ui.outputs, show_progress="hidden", **UI_EVENT)
