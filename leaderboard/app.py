"""The AstroCompress Challenge leaderboard (Gradio).

``build_app(store_url, queue_dir)`` builds the Blocks; ``serve(...)`` runs it.
Tabs: an overview (mean ratio per codec x track), one tab per track of the
track table (``evaluator.tracks.TRACKS``: the one schema), a per-submission
page and the queue. The app re-reads the store on a timer (and on the
Refresh button), so new results appear without a restart.

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
import pandas as pd

from evaluator.tracks import TRACKS
from leaderboard import tables
from leaderboard.board_data import (
    OVERVIEW_LIMIT,
    SORT_CHOICES,
    Filters,
    LeaderboardData,
    filters_from,
)
from leaderboard.cost_table import COST_DATATYPES, COST_HEADERS, COST_LIMIT
from leaderboard.cross_track_view import CROSS_NOTE
from leaderboard.frontend_assets import asset_middleware
from leaderboard.html_table import TABLE_CSS, html_table
from leaderboard.instruments import sources_markdown
from leaderboard.store_reader import StoreReader
from leaderboard.track_pages import cost_view, track_view

log = logging.getLogger(__name__)

PAPER_COLUMNS = tables.PAPER_COLUMNS

APP_CSS = """
.gradio-container {max-width: 1400px !important; margin: auto;}
#lb-header h1 {margin-bottom: 0.2em;}
.lb-note {font-size: 0.92em; color: #374151;}
.lb-note p {margin: 0.2em 0;}
table td, table th {font-variant-numeric: tabular-nums;}
"""

INTRO = """
# AstroCompress Challenge: lossless compression of raw astronomical images

Headline: **compression ratio** = 16 bits / bits per pixel, **mean over test items** (paper Sec. 4.2); higher is better.
Badges: {paper} numbers reported by the AstroCompress paper (ICLR 2025, arXiv:2506.08306, Tables 1 and 3),
not re-measured here;
{verified} measured by this platform's evaluator (real bitstreams, decoded and checked bit for bit);
{estimate} a likelihood bound (VDM), not a working codec; {synthetic} measured on synthetic frames, not the real corpus.
{portable} (track tabs) a sample of the bitstreams also decoded under another thread count and generic CPU dispatch;
*not portable* names the environment that broke it (shown, not ranked).
Ranks compare rows **on the same data only**. Runtimes compare only **within one hardware profile and machine**.
An empty cell means the number does not exist (never zero).
""".strip()

RUNTIME_NOTE = (
    "Runtimes depend on the machine. They are grouped by hardware profile and machine fingerprint and ranked "
    "**inside each group only**; never compare a runtime across groups. Paper runtimes (Table 3) are the mean "
    "seconds per image on the paper's own hardware (for neural methods: likelihood evaluation without entropy coding)."
)


TRACK_COLUMN_WIDTHS: list[str] = [
    "56px", "160px", "185px", *("96px" for _ in tables.METRIC_COLUMNS), "120px", "90px",
    "76px", "235px", "170px", "130px",
]

UNCERTAINTY_NOTE = (
    "*Rank* counts only rows on the same data: rank = 1 + the number of codecs **significantly better** (a paired "
    "bootstrap over the items both codecs share, 1,000 seeded resamples, 95 %), so codecs whose difference is not "
    "significant share a rank. *95 % interval*: percentile bootstrap interval of the mean per-item ratio. Rows "
    "without per-item numbers (the paper's) are ranked by their mean. *Gain vs RICE*: how much more raw data a "
    "fixed downlink carries than with RICE (the standard onboard choice) on the same data: ratio / RICE ratio - 1."
)
COST_NOTE = (
    "**Cost** from the measured throughput: core-hours = cores granted x wall time (a `gpu-1` row also held a "
    "GPU). Per TB of raw data, and per day of the instruments below (encode only: it is what runs at the "
    "telescope; decoding happens on the ground). Compare within one profile and machine only."
)
RUNTIME_COLUMN_WIDTHS: list[str] = [
    "76px", "290px", "60px", "160px", "185px", *("92px" for _ in tables.RUNTIME_COLUMNS), "260px",
]
SUBMISSION_COLUMN_WIDTHS: list[str] = [
    "120px", "80px", "260px", "80px", *("100px" for _ in range(5)), "400px",
]


# The board's events serve its own page; its data is published as a dataset and as CSV files, not as an
# API. Undocumented events keep the page's embedded API description (rebuilt on every page load: 1.3 MB and
# 0.4 s of server time on a 2,000-submission board, mostly dropdown choices) empty.
UI_EVENT: dict[str, Any] = {"api_visibility": "undocumented"}
SUBMISSION_TAB = "@submission"  # what ``current`` holds while the Submission tab is open (never a track name)
QUEUE_TAB = "@queue"  # ... and while the Queue tab is open


def build_app(store_url: str, queue_dir: str | Path | None = None, *, refresh_s: float = 5.0,
              reader: StoreReader | None = None, board: LeaderboardData | None = None) -> gr.Blocks:
    """The leaderboard as a ``gr.Blocks`` reading ``store_url`` (any fsspec URL).

    The overview is rendered up front; a track tab is rendered when it is
    opened (and re-rendered on data or filter changes while it is open), so
    the page stays small however many submissions the store holds.
    """
    data = board or LeaderboardData(reader or StoreReader(store_url), queue_dir, min_refresh_s=min(1.0, refresh_s))
    data.refresh(force=True)
    data.prewarm()
    badges = {k: tables.badge(k) for k in ("paper", "verified", "estimate", "synthetic", "portable")}

    with gr.Blocks(title="AstroCompress Challenge leaderboard", analytics_enabled=False) as demo:
        version = gr.State(data.refresh())  # what update() compares: a fresh page re-sends nothing
        current = gr.State("")  # the track tab this session has open ("" = none)
        gr.Markdown(INTRO.format(**badges), elem_id="lb-header", sanitize_html=False)
        with gr.Row():
            f_profile = gr.CheckboxGroup(data.profiles(), value=[], label="Hardware profile (none ticked = all)",
                                         elem_id="filter-profile")
            f_prov = gr.CheckboxGroup(list(tables.PROVENANCES), value=list(tables.PROVENANCES), label="Provenance",
                                      elem_id="filter-provenance")
            f_kind = gr.CheckboxGroup(list(tables.KINDS), value=list(tables.KINDS), label="Method",
                                      elem_id="filter-kind")
            f_data = gr.CheckboxGroup(list(tables.DATA_KINDS), value=list(tables.DATA_KINDS),
                                      label="Data (real = paper or real corpus)", elem_id="filter-data")
            f_sort = gr.Dropdown(SORT_CHOICES, value="ratio_mean", label="Rank by", elem_id="filter-sort")
        with gr.Row():
            status = gr.Markdown(data.status_line(), elem_id="lb-status", elem_classes=["lb-note"])
            refresh_btn = gr.Button("Refresh now", size="sm", scale=0, elem_id="refresh-button")
        filter_inputs = [f_profile, f_prov, f_kind, f_data, f_sort]

        track_outputs: dict[str, list[Any]] = {}
        item_outputs: dict[str, list[Any]] = {}
        plot_inputs: dict[str, Any] = {}
        pager_inputs: dict[str, list[Any]] = {}
        tabs: dict[str, gr.Tab] = {}
        with gr.Tabs(elem_id="lb-tabs"):
            with gr.Tab("Overview", id="overview", elem_id="tab-overview") as overview_tab:
                gr.Markdown("Mean compression ratio per codec and track (higher is better). Rows on different data "
                            "are different experiments: compare within one *Data* value. "
                            f"At most {OVERVIEW_LIMIT} rows per data label here; each track tab lists every result.",
                            elem_classes=["lb-note"])
                overview = gr.HTML(overview_html(data.render_overview(Filters())), elem_id="table-overview",
                                   apply_default_css=False)
            for name, track in TRACKS.items():
                with gr.Tab(track.title, id=name, elem_id=f"tab-{name}") as tab:
                    tabs[name] = tab
                    gr.Markdown(
                        f"**{track.title}** (`{name}`): dataset `AstroCompress/{track.dataset}`; item: {track.item}."
                        + ("" if track.paper else " Beyond the paper: no paper numbers exist for this track.")
                        + " Ranks count only rows on the same data, estimates are not ranked. *Efficiency* = "
                        "noise-floor bits / achieved bits (paper Supplement D): 1 would mean pure noise is all that is "
                        "left. " + UNCERTAINTY_NOTE, elem_classes=["lb-note"])
                    with gr.Row(elem_id=f"pager-row-{name}"):
                        search = gr.Textbox(label="Find rows in the whole table (codec, submission, data, profile, "
                                            "status; every word must match)", elem_id=f"search-{name}", scale=4)
                        page = gr.Number(value=1, label="Page", precision=0, minimum=1, elem_id=f"page-{name}",
                                         scale=1, visible=False)
                    pager_md = gr.Markdown(elem_id=f"pager-{name}", elem_classes=["lb-note"])
                    # static HTML tables (leaderboard.html_table): a tab opens without measuring a virtual grid
                    table = gr.HTML(ranking_html(track.title, None), elem_id=f"table-{name}",
                                    apply_default_css=False)
                    gr.Markdown(RUNTIME_NOTE, elem_classes=["lb-note"])
                    runtime = gr.HTML(runtime_html(track.title, None), elem_id=f"runtime-{name}",
                                      apply_default_css=False)
                    runtime_note = gr.Markdown(elem_id=f"runtime-note-{name}", elem_classes=["lb-note"])
                    gr.Markdown(COST_NOTE, elem_classes=["lb-note"])
                    cost = gr.HTML(cost_html(track.title, None), elem_id=f"cost-{name}", apply_default_css=False)
                    cost_note = gr.Markdown(elem_id=f"cost-note-{name}", elem_classes=["lb-note"])
                    gr.Markdown(sources_markdown(), elem_id=f"cost-sources-{name}", elem_classes=["lb-note"])
                    csv = gr.File(label="Full tables of this tab (CSV: ranking, runtimes, cost; every row)",
                                  file_count="multiple", interactive=False, elem_id=f"csv-{name}", height=120)
                    plot_data = gr.Dropdown(label="Plots show the rows measured on (one data label at a time)",
                                            elem_id=f"plot-data-{name}", interactive=True)
                    pareto = gr.Plot(elem_id=f"pareto-{name}", label="Pareto front")
                    with gr.Row():
                        dist = gr.Plot(elem_id=f"dist-{name}", label="Per-item ratios")
                    with gr.Row():
                        expo = gr.Plot(elem_id=f"exptime-{name}", label="Ratio vs exposure time")
                        noise = gr.Plot(elem_id=f"noise-{name}", label="Bits per pixel vs noise")
                    # the ranking first; the cost table and the plots follow in a second step
                    track_outputs[name] = [table, runtime, runtime_note, page, pager_md, plot_data]
                    item_outputs[name] = [cost, cost_note, csv, pareto, dist, expo, noise]
                    plot_inputs[name] = plot_data
                    pager_inputs[name] = [search, page]
            with gr.Tab("Generalization", id="cross-track", elem_id="tab-cross-track") as cross_tab:
                gr.Markdown(CROSS_NOTE, elem_classes=["lb-note"])
                cross = gr.Dataframe(data.cross_track(), interactive=False, elem_id="table-cross-track", wrap=True,
                                     datatype="html")
            with gr.Tab("Submission", id="submission", elem_id="tab-submission") as submission_tab:
                sub_choice = gr.Dropdown([], label="Submission", elem_id="submission-choice")
                sub_md = gr.Markdown(elem_id="submission-details", sanitize_html=False)
                with gr.Row():
                    sub_tracks = gr.Dataframe(interactive=False, label="Results per track and profile",
                                              column_widths=SUBMISSION_COLUMN_WIDTHS,
                                              elem_id="submission-tracks", wrap=True)
                with gr.Row():
                    sub_fp = gr.JSON(label="Fingerprint (machine, versions, digest, dataset revision)",
                                     elem_id="submission-fingerprint", open=True)
                sub_key = gr.Dropdown(label="Per-item results of", elem_id="submission-record")
                sub_items = gr.Dataframe(interactive=False, label="Per-item results", elem_id="submission-items",
                                         max_height=500)
            with gr.Tab("Queue", id="queue", elem_id="tab-queue") as queue_tab:
                q_text, q_frame = data.queue_view()
                q_md = gr.Markdown(q_text, elem_id="queue-counts")
                q_table = gr.Dataframe(q_frame, interactive=False, elem_id="queue-table", wrap=True)

        flat_track_outputs = [c for name in TRACKS for c in track_outputs[name]]
        flat_item_outputs = [c for name in TRACKS for c in item_outputs[name]]

        flat_pager_inputs = [c for name in TRACKS for c in pager_inputs[name]]
        n_filters = len(filter_inputs)

        def pagers(args: tuple[Any, ...]) -> dict[str, tuple[str, Any]]:
            """(search, page) of each track from the flat pager inputs."""
            return {name: (args[2 * i], args[2 * i + 1]) for i, name in enumerate(TRACKS)}

        def view_of(name: str, f: Filters, query: str | None, page: Any) -> list[Any]:
            table, runtime = data.render_ranking(name, f)
            view = track_view(table, runtime, query, page)
            title = TRACKS[name].title
            return [ranking_html(title, view.table), runtime_html(title, view.runtime), view.runtime_note,
                    gr.update(value=view.page.page, visible=view.page.paged), view.caption]

        def tables_of(name: str, f: Filters, query: str | None = None, page: Any = 1) -> list[Any]:
            choices, default = data.plot_labels(name, f)
            return [*view_of(name, f, query, page), gr.update(choices=choices, value=default)]

        def cost_of(name: str, f: Filters, query: str | None) -> list[Any]:
            full = data.cost_full(name, f) if (query or "").strip() else data.render_cost(name, f)
            rows, note = cost_view(full, query)
            return [cost_html(TRACKS[name].title, rows), note]

        def second_step(name: str, f: Filters, label: str | None, query: str | None = None) -> list[Any]:
            return [*cost_of(name, f, query), data.track_csv(name, f), *data.item_plots(name, f, label)]

        def track_values(open_track: str, f: Filters, *, items: bool, labels: dict[str, str] | None = None,
                         pages: dict[str, tuple[str, Any]] | None = None) -> list[Any]:
            """Values for every track component: the open track's, ``gr.skip()`` for the others."""
            out: list[Any] = []
            for name in TRACKS:
                query, page = (pages or {}).get(name, ("", 1))
                if name == open_track:
                    out.extend(tables_of(name, f, query, page) if not items
                               else second_step(name, f, (labels or {}).get(name), query))
                else:
                    out.extend([gr.skip()] * len(item_outputs[name] if items else track_outputs[name]))
            return out

        timer_outputs = [version, overview, *flat_track_outputs, status, f_profile, sub_choice, q_md, q_table]

        def update(state_version: int, open_track: str, profiles: list[str], provs: list[str], kinds: list[str],
                   dks: list[str], sort_by: str, *pager_args: Any, force: bool = False) -> list[Any]:
            new_version = data.refresh(force=force)
            if new_version == state_version and not force:
                return [gr.skip()] * len(timer_outputs)
            f = filters_from(profiles, provs, kinds, dks, sort_by)
            profile_choices = data.profiles()
            # the hidden tabs' tables are sent when they open (their select events), not with every update
            q_text_now, q_frame_now = data.queue_view() if open_track == QUEUE_TAB else (gr.skip(), gr.skip())
            return [new_version, overview_html(data.render_overview(f)),
                    *track_values(open_track, f, items=False, pages=pagers(pager_args)), data.status_line(),
                    gr.update(choices=profile_choices, value=[p for p in (profiles or []) if p in profile_choices]),
                    gr.update(choices=data.submissions()) if open_track == SUBMISSION_TAB else gr.skip(),
                    q_text_now, q_frame_now]

        update_inputs = [version, current, *filter_inputs, *flat_pager_inputs]
        timer = gr.Timer(refresh_s)
        timer.tick(update, inputs=update_inputs, outputs=timer_outputs, show_progress="hidden", queue=False,
                   **UI_EVENT)
        demo.load(update, inputs=update_inputs, outputs=timer_outputs, show_progress="hidden", queue=False,
                  **UI_EVENT)
        refresh_btn.click(lambda *a: update(*a, force=True), inputs=update_inputs, outputs=timer_outputs,
                          show_progress="hidden", **UI_EVENT)

        def rerender(open_track: str, *args: Any) -> list[Any]:
            f = filters_from(*args[:n_filters])
            return [overview_html(data.render_overview(f)), *track_values(open_track, f, items=False,
                                                           pages=pagers(args[n_filters:]))]

        plot_list = [plot_inputs[name] for name in TRACKS]

        def rerender_items(open_track: str, *args: Any) -> list[Any]:
            labels = dict(zip(TRACKS, args[n_filters:n_filters + len(TRACKS)]))
            return track_values(open_track, filters_from(*args[:n_filters]), items=True, labels=labels,
                                pages=pagers(args[n_filters + len(TRACKS):]))

        for comp in filter_inputs:
            comp.input(rerender, inputs=[current, *filter_inputs, *flat_pager_inputs],
                       outputs=[overview, *flat_track_outputs], show_progress="hidden", **UI_EVENT).then(
                rerender_items, inputs=[current, *filter_inputs, *plot_list, *flat_pager_inputs],
                outputs=flat_item_outputs, show_progress="hidden", **UI_EVENT)

        def opener(track_name: str) -> Callable[..., list[Any]]:
            def open_tab(*args: Any) -> list[Any]:
                return [track_name, *tables_of(track_name, filters_from(*args[:n_filters]), *args[n_filters:])]
            return open_tab

        def item_opener(track_name: str) -> Callable[..., list[Any]]:
            def open_items(*args: Any) -> list[Any]:
                return second_step(track_name, filters_from(*args[:n_filters]), *args[n_filters:])
            return open_items

        def pager(track_name: str, *, new_search: bool) -> Callable[..., list[Any]]:
            def turn(*args: Any) -> list[Any]:
                f, (query, page) = filters_from(*args[:n_filters]), args[n_filters:]
                return [*view_of(track_name, f, query, 1 if new_search else page), *cost_of(track_name, f, query)]
            return turn

        for name, tab in tabs.items():
            search, page = pager_inputs[name]
            tab.select(opener(name), inputs=[*filter_inputs, search, page], outputs=[current, *track_outputs[name]],
                       show_progress="minimal", **UI_EVENT).then(
                item_opener(name), inputs=[*filter_inputs, plot_inputs[name], search], outputs=item_outputs[name],
                show_progress="minimal", **UI_EVENT)
            plot_inputs[name].input(item_opener(name), inputs=[*filter_inputs, plot_inputs[name], search],
                                    outputs=item_outputs[name], show_progress="minimal", **UI_EVENT)
            paged_outputs = [*track_outputs[name][:5], *item_outputs[name][:2]]
            for event, new_search in ((search.change, True), (search.submit, True), (page.input, False),
                                      (page.submit, False)):
                event(pager(name, new_search=new_search), inputs=[*filter_inputs, search, page],
                      outputs=paged_outputs, show_progress="hidden", trigger_mode="always_last", **UI_EVENT)
        cross_tab.select(data.cross_track, outputs=[cross], show_progress="hidden", **UI_EVENT)
        for other in (overview_tab, cross_tab):
            other.select(lambda: "", outputs=[current], show_progress="hidden", queue=False, **UI_EVENT)
        queue_tab.select(lambda: [QUEUE_TAB, *data.queue_view()], outputs=[current, q_md, q_table],
                         show_progress="hidden", **UI_EVENT)
        # the submission list (one choice per submission: 2,000 on a big board) is sent when its tab opens
        submission_tab.select(lambda: [SUBMISSION_TAB, gr.update(choices=data.submissions())],
                              outputs=[current, sub_choice], show_progress="hidden", **UI_EVENT)

        sub_choice.change(data.submission_page, inputs=[sub_choice], outputs=[sub_md, sub_fp, sub_tracks, sub_key],
                          **UI_EVENT)
        sub_key.change(data.record_items, inputs=[sub_key], outputs=[sub_items], **UI_EVENT)
    return demo


OVERVIEW_WIDTHS: tuple[str, ...] = ("160px", "185px", "230px", *("78px" for _ in TRACKS))


def overview_html(frame: pd.DataFrame) -> str:
    """The overview table as HTML (``leaderboard.html_table``)."""
    return html_table(frame, tables.OVERVIEW_DATATYPES, widths=OVERVIEW_WIDTHS, pinned=1, max_height=700)


def ranking_html(title: str, frame: pd.DataFrame | None) -> str:
    """A track's ranking table (one page of it) as HTML; headers only for ``None``."""
    rows = frame if frame is not None else pd.DataFrame(columns=list(tables.TRACK_TABLE_HEADERS))
    return html_table(rows, tables.TRACK_TABLE_DATATYPES, caption=f"{title}: compression",
                      widths=TRACK_COLUMN_WIDTHS, pinned=2, max_height=800)


RUNTIME_DATATYPES: tuple[str, ...] = ("str", "str", "number", "html", "html",
                                      *("number" for _ in tables.RUNTIME_COLUMNS), "str")


def runtime_html(title: str, frame: pd.DataFrame | None) -> str:
    rows = frame if frame is not None else pd.DataFrame(columns=list(tables.RUNTIME_TABLE_HEADERS))
    return html_table(rows, RUNTIME_DATATYPES, caption=f"{title}: runtimes by profile",
                      widths=RUNTIME_COLUMN_WIDTHS, max_height=600)


def cost_html(title: str, frame: pd.DataFrame | None) -> str:
    rows = frame if frame is not None else pd.DataFrame(columns=list(COST_HEADERS))
    return html_table(rows, COST_DATATYPES, caption=f"{title}: cost per volume of data (best {COST_LIMIT} by mean "
                      "ratio per machine)", max_height=500)


def launch_kwargs() -> dict[str, Any]:
    """Theme and CSS (Gradio 6 takes them at launch), and the front-end build served from memory."""
    return {"css": APP_CSS + tables.badge_css() + TABLE_CSS,
            "theme": gr.themes.Default(primary_hue="blue", neutral_hue="slate"),
            "app_kwargs": {"middleware": [asset_middleware()]}}


def serve(store_url: str, queue_dir: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 7860,
          refresh_s: float = 5.0, block: bool = True) -> tuple[gr.Blocks, str]:
    """Build and launch the leaderboard; with ``block=False`` returns ``(demo, url)`` while it runs."""
    demo = build_app(store_url, queue_dir, refresh_s=refresh_s)
    demo.queue(default_concurrency_limit=4)
    _, url, _ = demo.launch(server_name=host, server_port=port, prevent_thread_lock=True, quiet=True,
                            ssr_mode=False, show_error=True, footer_links=["settings"], **launch_kwargs())
    log.info("leaderboard at %s reading %s", url, store_url)
    if block:
        demo.block_thread()
    return demo, url


__all__ = ["Filters", "LeaderboardData", "build_app", "launch_kwargs", "serve"]
