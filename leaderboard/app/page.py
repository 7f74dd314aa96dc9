"""The AstroCompress Challenge leaderboard (Gradio).

``build_app(store_url, queue_dir)`` builds the Blocks; ``serve(...)`` runs it.
The page opens on a one-line header and the data selector
(``leaderboard.app.page_header``: one kind of data at a time, real data by
default, ``leaderboard.data.data_views``). Tabs: an overview that answers who leads
(``leaderboard.views.overview``), the tracks (one view with a selector over the
track table, ``evaluator.core.tracks.TRACKS``: the one schema, and a column
chooser), the generalization table, the near-lossless view
(``leaderboard.app.near_lossless_tab``: its records never enter the lossless
views), a per-submission page, the queue and the About pages. Table headers
sort in the browser (``leaderboard.app.table_sorter``);
a link names a view (``?tab=tracks&track=hubble&data=real``,
``?tab=submission&submission=ID``: ``leaderboard.app.url_state``) that the page
opens on load. The app re-reads the store on a timer (and on the Refresh
button), so new results appear without a restart.

Honesty rules shown in the UI (DESIGN.md "Measurement", "Results"):
provenance badges (*paper*, *verified*, *estimate*), a *synthetic* flag,
rankings only within one data label, runtimes only within one hardware
profile and machine fingerprint, missing numbers left empty. Logs of
hidden-split runs are never shown: records do not carry them.

This module imports neither torch nor docker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from evaluator.core.tracks import TRACKS
from leaderboard.app import column_choice
from leaderboard.app.about_pages import ABOUT_PAGES, about_tabs
from leaderboard.app.frontend_assets import asset_middleware
from leaderboard.app.near_lossless_tab import NL_TAB, NearLosslessView, build_tab, wire
from leaderboard.app.page_header import build_controls, filters_of, profile_choices
from leaderboard.app.table_sorter import SORTER_CSS, SORTER_HEAD
from leaderboard.app.url_state import TAB_LINK_JS, TABS, url_view
from leaderboard.app.view_html import cost_html, cross_html, overview_html, ranking_html, runtime_html
from leaderboard.board.board_data import OVERVIEW_LIMIT, Filters, LeaderboardData
from leaderboard.board.submission_page import items_html, submission_html
from leaderboard.data import data_views
from leaderboard.data.board_reader import BoardReader, open_reader
from leaderboard.views import tables
from leaderboard.views.cross_track_view import CROSS_NOTE
from leaderboard.views.html_table import TABLE_CSS, plain_table
from leaderboard.views.instruments import sources_markdown
from leaderboard.views.overview import OVERVIEW_RULE, best_css
from leaderboard.views.track_pages import cost_view, track_view

log = logging.getLogger(__name__)

PAPER_COLUMNS = tables.PAPER_COLUMNS

APP_CSS = """
.gradio-container {max-width: 1400px !important; margin: auto;}
#lb-header h1 {margin-bottom: 0.2em;}
.lb-note {font-size: 0.92em; color: #374151;}
.lb-note p {margin: 0.2em 0;}
table td, table th {font-variant-numeric: tabular-nums;}
.lb-json {max-height: 400px; overflow: auto; font-size: 0.85em; padding: 6px 8px;
  border: 1px solid var(--border-color-primary, #e5e7eb); border-radius: 6px;}
"""

RUNTIME_NOTE = (
    "Runtimes depend on the machine. They are grouped by hardware profile and machine fingerprint and ranked "
    "**inside each group only**; never compare a runtime across groups. Paper runtimes (Table 3) are the mean "
    "seconds per image on the paper's own hardware (for neural methods: likelihood evaluation without entropy coding)."
)


UNCERTAINTY_NOTE = (
    "*Rank* counts only rows on the same data. " + tables.RANK_NOTE + " Codecs whose difference is not "
    "significant share a rank. *95 % interval*: percentile bootstrap interval of the mean per-item ratio. Rows "
    "without per-item numbers (the paper's) are ranked by their mean. *Gain vs RICE*: how much more raw data a "
    "fixed downlink carries than with RICE (the standard onboard choice) on the same data: ratio / RICE ratio - 1."
)
COST_NOTE = (
    "**Cost** from the measured throughput: core-hours = cores granted x wall time (a `gpu-1` row also held a "
    "GPU). Per TB of raw data, and per day of the instruments below (encode only: it is what runs at the "
    "telescope; decoding happens on the ground). Compare within one profile and machine only."
)


# The board's events serve its own page; its data is published as a dataset and as CSV files, not as an
# API. Undocumented events keep the page's embedded API description (rebuilt on every page load: 1.3 MB and
# 0.4 s of server time on a 2,000-submission board, mostly dropdown choices) empty.
UI_EVENT: dict[str, Any] = {"api_visibility": "undocumented"}
OVERVIEW_TAB = ""  # what ``current`` holds while the Overview is open (never a track name; the page opens on it)
SUBMISSION_TAB = "@submission"  # ... while the Submission tab is open
QUEUE_TAB = "@queue"  # ... and the Queue tab
CROSS_TAB = "@cross-track"  # ... and the Generalization tab


FIRST_TRACK = next(iter(TRACKS))  # the track the Tracks tab shows first


def track_header(name: str) -> str:
    """What the Tracks tab says about the track it shows (its dataset, item, and how to read the ranks)."""
    track = TRACKS[name]
    return (f"**{track.title}** (`{name}`): dataset `AstroCompress/{track.dataset}`; item: {track.item}."
            + ("" if track.paper else " Beyond the paper: no paper numbers exist for this track.")
            + " Ranks count only rows on the same data, estimates are not ranked. *Efficiency* = noise-floor bits / "
            "achieved bits (paper Supplement D): 1 would mean pure noise is all that is left. " + UNCERTAINTY_NOTE)


def build_app(store_url: str, queue_dir: str | Path | None = None, *, refresh_s: float = 5.0,
              reader: BoardReader | None = None, board: LeaderboardData | None = None) -> gr.Blocks:
    """The leaderboard as a ``gr.Blocks`` reading ``store_url`` (any fsspec URL).

    The overview is rendered up front. The tracks share one view (the Tracks
    tab, a track selector over one set of tables and plots): a page of ten
    track tabs held ~220 components the browser set up on every cold load.
    The view is rendered when it opens or its track changes (and re-rendered
    on data or filter changes while it is open), so the page stays small
    however many submissions the store holds.
    """
    data = board or LeaderboardData(reader or open_reader(store_url), queue_dir, min_refresh_s=min(1.0, refresh_s))
    data.refresh(force=True)
    data.prewarm()

    def queue_of() -> tuple[str, str]:
        text, frame = data.queue_view()
        return text, plain_table(frame)

    with gr.Blocks(title="AstroCompress Challenge leaderboard", analytics_enabled=False) as demo:
        version = gr.State(data.refresh())  # what update() compares: a fresh page re-sends nothing
        current = gr.State(OVERVIEW_TAB)  # the open tab: a track name while the Tracks tab is open
        controls = build_controls(data)
        f_profile, status, refresh_btn, data_pick = (controls.profile, controls.status, controls.refresh,
                                                     controls.data_pick)
        filter_inputs = controls.inputs
        start = Filters(data=data.default_data())  # what the page opens on

        with gr.Tabs(elem_id="lb-tabs") as tabs:
            with gr.Tab("Overview", id="overview", elem_id="tab-overview") as overview_tab:
                gr.Markdown(f"{OVERVIEW_RULE} At most {OVERVIEW_LIMIT} rows per data label here; the Tracks tab "
                            "lists every result.", elem_id="overview-rule", elem_classes=["lb-note"])
                overview = gr.HTML(overview_html(data.render_overview(start)), elem_id="table-overview",
                                   apply_default_css=False)
            with gr.Tab("Tracks", id="tracks", elem_id="tab-tracks") as tracks_tab:
                track_pick = gr.Radio([(t.title, n) for n, t in TRACKS.items()], value=FIRST_TRACK, label="Track",
                                      elem_id="track-choice")
                header = gr.Markdown(track_header(FIRST_TRACK), elem_id="track-header", elem_classes=["lb-note"])
                with gr.Row(elem_id="pager-row"):
                    search = gr.Textbox(label="Find rows in the whole table (codec, submission, data, profile, "
                                        "status; every word must match)", elem_id="search-track", scale=4)
                    page = gr.Number(value=1, label="Page", precision=0, minimum=1, elem_id="page-track", scale=1,
                                     visible=False)
                with gr.Accordion("Columns shown (click a header to sort)", open=False, elem_id="columns-fold"):
                    columns = gr.CheckboxGroup(column_choice.optional_columns(),
                                               value=column_choice.optional_columns(),
                                               label="Rank and Codec always show", elem_id="columns-track")
                pager_md = gr.Markdown(elem_id="pager-track", elem_classes=["lb-note"])
                # static HTML tables (leaderboard.views.html_table) whose <table> ids name the track they show; empty
                # until the tab opens (its select event sends the chosen track's)
                table = gr.HTML("", elem_id="ranking-track", apply_default_css=False)
                gr.Markdown(RUNTIME_NOTE, elem_classes=["lb-note"])
                runtime = gr.HTML("", elem_id="runtime-track", apply_default_css=False)
                runtime_note = gr.Markdown(elem_id="runtime-note-track", elem_classes=["lb-note"])
                gr.Markdown(COST_NOTE, elem_classes=["lb-note"])
                cost = gr.HTML("", elem_id="cost-track", apply_default_css=False)
                cost_note = gr.Markdown(elem_id="cost-note-track", elem_classes=["lb-note"])
                gr.Markdown(sources_markdown(), elem_id="cost-sources", elem_classes=["lb-note"])
                csv = gr.File(label="Full tables of this track (CSV: ranking, runtimes, cost; every row)",
                              file_count="multiple", interactive=False, elem_id="csv-track", height=120)
                plot_data = gr.Dropdown(label="Plots show the rows measured on (one data label at a time)",
                                        elem_id="plot-data-track", interactive=True)
                pareto = gr.Plot(elem_id="pareto-track", label="Pareto front")
                with gr.Row():
                    dist = gr.Plot(elem_id="dist-track", label="Per-item ratios")
                with gr.Row():
                    expo = gr.Plot(elem_id="exptime-track", label="Ratio vs exposure time")
                    noise = gr.Plot(elem_id="noise-track", label="Bits per pixel vs noise")
            with gr.Tab("Generalization", id="cross-track", elem_id="tab-cross-track") as cross_tab:
                gr.Markdown(CROSS_NOTE, elem_classes=["lb-note"])
                cross = gr.HTML(cross_html(data.cross_track()), elem_id="table-cross-track", apply_default_css=False)
            near_lossless = build_tab()  # leaderboard.app.near_lossless_tab: rate-error plot, a ranking per bound
            with gr.Tab("Submission", id="submission", elem_id="tab-submission") as submission_tab:
                sub_choice = gr.Dropdown([], label="Submission", elem_id="submission-choice")
                # escaped where built (leaderboard.board.submission_page)
                sub_md = gr.HTML(elem_id="submission-details")
                sub_tracks = gr.HTML(elem_id="submission-tracks", apply_default_css=False)
                sub_fp = gr.HTML(elem_id="submission-fingerprint", apply_default_css=False)
                sub_key = gr.Dropdown(label="Per-item results of", elem_id="submission-record")
                sub_items = gr.HTML(elem_id="submission-items", apply_default_css=False)
            with gr.Tab("Queue", id="queue", elem_id="tab-queue") as queue_tab:
                q_text, q_html = queue_of()
                q_md = gr.Markdown(q_text, elem_id="queue-counts")
                q_table = gr.HTML(q_html, elem_id="queue-table", apply_default_css=False)
            about_tabs()  # About, How to submit, Rules, Citation (leaderboard.app.about_pages)

        # the ranking first; the cost table, the CSVs and the plots follow in a second step
        track_outputs = [table, runtime, runtime_note, page, pager_md, plot_data]
        item_outputs = [cost, cost_note, csv, pareto, dist, expo, noise]
        n_filters = len(filter_inputs)

        def view_of(name: str, f: Filters, query: str | None, page_no: Any) -> list[Any]:
            ranking, runtimes = data.render_ranking(name, f)
            view = track_view(ranking, runtimes, query, page_no)
            return [ranking_html(name, view.table), runtime_html(name, view.runtime), view.runtime_note,
                    gr.update(value=view.page.page, visible=view.page.paged), view.caption]

        def tables_of(name: str, f: Filters, query: str | None = None, page_no: Any = 1) -> list[Any]:
            choices, default = data.plot_labels(name, f)
            return [*view_of(name, f, query, page_no), gr.update(choices=choices, value=default)]

        def cost_of(name: str, f: Filters, query: str | None) -> list[Any]:
            full = data.cost_full(name, f) if (query or "").strip() else data.render_cost(name, f)
            rows, note = cost_view(full, query)
            return [cost_html(name, rows), note]

        def second_step(name: str, f: Filters, label: str | None, query: str | None = None) -> list[Any]:
            return [*cost_of(name, f, query), data.track_csv(name, f), *data.item_plots(name, f, label)]

        def open_track(name: str, *args: Any) -> list[Any]:
            """The Tracks tab opened, or its track changed: the chosen track's tables (and ``current``)."""
            return [name, track_header(name), *tables_of(name, filters_of(*args[:n_filters]), *args[n_filters:])]

        def track_items(name: str, *args: Any) -> list[Any]:
            return second_step(name, filters_of(*args[:n_filters]), *args[n_filters:])

        def open_tables(shown: str, f: Filters, query: str | None, page_no: Any) -> list[Any]:
            """Overview and track view values: re-rendered for the open tab only (the others when they open)."""
            track_now = tables_of(shown, f, query, page_no) if shown in TRACKS else [gr.skip()] * len(track_outputs)
            return [overview_html(data.render_overview(f)) if shown == OVERVIEW_TAB else gr.skip(), *track_now]

        timer_outputs = [version, overview, *track_outputs, status, f_profile, sub_choice, q_md, q_table]

        def update(state_version: int, shown: str, profiles: list[str], provs: list[str], kinds: list[str],
                   sort_by: str, data_key: str, query: str | None, page_no: Any, *, force: bool = False) -> list[Any]:
            new_version = data.refresh(force=force)
            if new_version == state_version and not force:
                return [gr.skip()] * len(timer_outputs)
            f = filters_of(profiles, provs, kinds, sort_by, data_key)
            choices = profile_choices(data)
            q_text_now, q_frame_now = queue_of() if shown == QUEUE_TAB else (gr.skip(), gr.skip())
            return [new_version, *open_tables(shown, f, query, page_no), data.status_line(),
                    gr.update(choices=choices, value=[p for p in (profiles or []) if p in {v for _, v in choices}]),
                    gr.update(choices=data.submissions()) if shown == SUBMISSION_TAB else gr.skip(),
                    q_text_now, q_frame_now]

        update_inputs = [version, current, *filter_inputs, search, page]
        timer = gr.Timer(refresh_s)
        timer.tick(update, inputs=update_inputs, outputs=timer_outputs, show_progress="hidden", queue=False,
                   **UI_EVENT)
        demo.load(update, inputs=update_inputs, outputs=timer_outputs, show_progress="hidden", queue=False,
                  **UI_EVENT)
        refresh_btn.click(lambda *a: update(*a, force=True), inputs=update_inputs, outputs=timer_outputs,
                          show_progress="hidden", **UI_EVENT)

        def rerender(shown: str, *args: Any) -> list[Any]:
            return open_tables(shown, filters_of(*args[:n_filters]), *args[n_filters:])

        def rerender_items(shown: str, *args: Any) -> list[Any]:
            return track_items(shown, *args) if shown in TRACKS else [gr.skip()] * len(item_outputs)

        for comp in filter_inputs:
            comp.input(rerender, inputs=[current, *filter_inputs, search, page], outputs=[overview, *track_outputs],
                       show_progress="hidden", **UI_EVENT).then(
                rerender_items, inputs=[current, *filter_inputs, plot_data, search], outputs=item_outputs,
                show_progress="hidden", **UI_EVENT)

        # One event for both triggers, "always_last": a track picked while the tab's first render still runs is
        # rendered after it, never before (two events could answer in either order). Each opens at page 1.
        gr.on([tracks_tab.select, track_pick.input], lambda name, *a: open_track(name, *a, 1),
              inputs=[track_pick, *filter_inputs, search], outputs=[current, header, *track_outputs],
              show_progress="minimal", trigger_mode="always_last", **UI_EVENT).then(
            track_items, inputs=[track_pick, *filter_inputs, plot_data, search], outputs=item_outputs,
            show_progress="minimal", trigger_mode="always_last", **UI_EVENT)
        plot_data.input(track_items, inputs=[track_pick, *filter_inputs, plot_data, search], outputs=item_outputs,
                        show_progress="minimal", **UI_EVENT)

        def pager(*, new_search: bool) -> Callable[..., list[Any]]:
            def turn(name: str, *args: Any) -> list[Any]:
                f, (query, page_no) = filters_of(*args[:n_filters]), args[n_filters:]
                return [*view_of(name, f, query, 1 if new_search else page_no), *cost_of(name, f, query)]
            return turn

        paged_outputs = [*track_outputs[:5], *item_outputs[:2]]
        for event, new_search in ((search.change, True), (search.submit, True), (page.input, False),
                                  (page.submit, False)):
            event(pager(new_search=new_search), inputs=[track_pick, *filter_inputs, search, page],
                  outputs=paged_outputs, show_progress="hidden", trigger_mode="always_last", **UI_EVENT)
        cross_tab.select(lambda: [CROSS_TAB, cross_html(data.cross_track())], outputs=[current, cross],
                         show_progress="hidden", **UI_EVENT)
        overview_tab.select(lambda *a: [OVERVIEW_TAB, overview_html(data.render_overview(filters_of(*a)))],
                            inputs=filter_inputs, outputs=[current, overview], show_progress="hidden", queue=False,
                            **UI_EVENT)
        queue_tab.select(lambda: [QUEUE_TAB, *queue_of()], outputs=[current, q_md, q_table],
                         show_progress="hidden", **UI_EVENT)
        # the submission list (one choice per submission: 2,000 on a big board) is sent when its tab opens
        submission_tab.select(lambda: [SUBMISSION_TAB, gr.update(choices=data.submissions())],
                              outputs=[current, sub_choice], show_progress="hidden", **UI_EVENT)

        sub_choice.change(lambda key: submission_html(*data.submission_page(key)), inputs=[sub_choice],
                          outputs=[sub_md, sub_fp, sub_tracks, sub_key], **UI_EVENT)
        sub_key.change(lambda key: items_html(data.record_items(key)), inputs=[sub_key], outputs=[sub_items],
                       **UI_EVENT)

        data_pick.input(data_views.note_line, inputs=[data_pick], outputs=[controls.data_note], show_progress="hidden",
                        queue=False, **UI_EVENT)
        columns.change(None, inputs=[columns], js=column_choice.hide_script(), **UI_EVENT)

        def open_from_url(request: gr.Request) -> list[Any]:
            """The view a link names (``leaderboard.app.url_state``): its tab, track, data and submission."""
            want = url_view(dict(request.query_params) if request is not None else {},
                            (*TABS, *(page.id for page in ABOUT_PAGES)))
            key = data_views.known(want.data, data.data_choices()) or data.default_data()
            f = Filters(data=key)
            track = want.track or FIRST_TRACK
            shown = {"tracks": track, "submission": SUBMISSION_TAB, "queue": QUEUE_TAB,
                     "cross-track": CROSS_TAB, "near-lossless": NL_TAB}.get(want.tab, OVERVIEW_TAB)
            opened = ([track, track_header(track), *tables_of(track, f)] if want.tab == "tracks"
                      else [gr.skip()] * (2 + len(track_outputs)))
            subs = data.submissions() if want.tab == "submission" else []
            sub = want.submission if want.submission in {v for _, v in subs} else None
            return [gr.Tabs(selected=want.tab), shown, key, data_views.note_line(key),
                    overview_html(data.render_overview(f)), *opened,
                    gr.update(choices=subs, value=sub) if want.tab == "submission" else gr.skip()]

        demo.load(open_from_url, outputs=[tabs, current, data_pick, controls.data_note, overview, track_pick, header,
                                          *track_outputs, sub_choice], show_progress="hidden", **UI_EVENT).then(
            rerender_items, inputs=[current, *filter_inputs, plot_data, search], outputs=item_outputs,
            show_progress="hidden", **UI_EVENT)
        wire(demo, near_lossless, NearLosslessView(data), current=current, filter_inputs=filter_inputs, timer=timer,
             refresh=refresh_btn, tabs=(*TABS, *(page.id for page in ABOUT_PAGES)))
    return demo


def launch_kwargs() -> dict[str, Any]:
    """Theme and CSS (Gradio 6 takes them at launch), and the front-end build served from memory."""
    return {"css": APP_CSS + tables.badge_css() + TABLE_CSS + SORTER_CSS + best_css(),
            "head": SORTER_HEAD + f"<script>{TAB_LINK_JS}</script>",
            "theme": gr.themes.Default(primary_hue="blue", neutral_hue="slate"),
            "app_kwargs": {"middleware": [asset_middleware()]}}


def serve(store_url: str, queue_dir: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 7860,
          refresh_s: float = 5.0, block: bool = True,
          storage_options: dict[str, Any] | None = None) -> tuple[gr.Blocks, str]:
    """Build and launch the leaderboard; with ``block=False`` returns ``(demo, url)`` while it runs.

    The published tables when ``store_url`` holds them (``leaderboard.data.table_reader``: the hosted Space),
    else the store's files. ``storage_options`` go to the filesystem (e.g. ``{"token": ...}`` for ``hf://``).
    """
    reader = open_reader(store_url, **(storage_options or {}))
    demo = build_app(store_url, queue_dir, refresh_s=refresh_s, reader=reader)
    demo.queue(default_concurrency_limit=4)
    _, url, _ = demo.launch(server_name=host, server_port=port, prevent_thread_lock=True, quiet=True,
                            ssr_mode=False, show_error=True, footer_links=["settings"], **launch_kwargs())
    log.info("leaderboard at %s reading %s (%s)", url, store_url, type(reader).__name__)
    if block:
        demo.block_thread()
    return demo, url


__all__ = ["Filters", "LeaderboardData", "build_app", "launch_kwargs", "serve"]
