"""Benchmark the leaderboard on a large store (issue 13's speed goals).

Builds a store of N submissions x every track (default 200 x 10 = 2000
records, each with per-item rows) plus the paper's seeds, then times:

- the first full read of the store (cold ``StoreReader.refresh``),
- building the app and launching it,
- in headless Chromium, measured inside the page (``performance.now()``:
  the first animation frame after the table has rows, so Selenium's round
  trips are not counted): the first page load with an empty cache (a new
  Chromium each time, running for 2 s; also, not a target, right after its
  launch; median of 3), the
  switch to three tracks (Hubble from the overview: the Tracks tab opened
  and Hubble picked; then Keck and LCO picked; click to table painted), a
  new record shown by the Refresh button (click to its row painted),
  reloads with cached assets;
- with the browser closed, the server's work after one new record (what
  every open page's timer asks for): re-read what changed, re-render the
  open Hubble view (the overview is re-rendered when it is opened again;
  timed once); median of 5.

Timings depend on the machine and its load; the script prints them, it
asserts nothing.

Issue 13 targets at 2,000 submissions: tab switch < 1 s, refresh after one
new record < 0.5 s (only what changed is re-read and re-computed), cold
page < 1.5 s.

Usage: ``python scripts/bench_leaderboard.py [--submissions 200] [--items 8] [--keep DIR [--reuse]]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "leaderboard"))  # record factory and browser helpers

from browser_support import (
    browser_available,
    free_port,
    open_tab,
    start_chromium,
    stop_chromium,
    table_rows,
    wait_for,
)
from lb_factory import BASELINES, verified_record

from baselines.paper_seeds import seed_paper_results
from evaluator.core.tracks import TRACKS
from evaluator.results.records import ResultStore

# In-page timings (performance.now() in the page, not Selenium round trips): the first animation frame
# after the table has rows, from navigation start or from the click.
_PAINTED_JS = """
const [id, min, done] = arguments;
const count = () => {
  const t = document.getElementById(id); return t ? t.querySelectorAll('[role=row] [role=gridcell]').length : 0;
};
const finish = () => requestAnimationFrame(() => done(performance.now()));
if (count() > min) { finish(); return; }
const obs = new MutationObserver(() => { if (count() > min) { obs.disconnect(); finish(); } });
obs.observe(document.body, {childList: true, subtree: true});
"""
_SWITCH_JS = """
const [title, id, min, done] = arguments;
const count = () => {
  const t = document.getElementById(id); return t ? t.querySelectorAll('[role=row] [role=gridcell]').length : 0;
};
const pick = () => Array.from(document.querySelectorAll('#track-choice label'))
  .find(l => l.innerText.trim() === title && l.offsetParent);
const t0 = performance.now();
let picked = false;
const step = () => {
  if (!picked && pick()) { picked = true; pick().click(); }
  if (count() > min) { obs.disconnect(); requestAnimationFrame(() => done(performance.now() - t0)); }
};
const obs = new MutationObserver(step);
obs.observe(document.body, {childList: true, subtree: true});
if (!pick()) {
  Array.from(document.querySelectorAll('button[role=tab]')).find(b => b.innerText.trim() === 'Tracks').click();
}
step();
"""
_REFRESH_JS = """
const [id, text, done] = arguments;
const seen = () => {
  const t = document.getElementById(id);
  return t && Array.from(t.querySelectorAll('[role=gridcell]')).some(c => c.innerText.trim().startsWith(text));
};
const button = document.getElementById('refresh-button');
const t0 = performance.now();
const obs = new MutationObserver(() => {
  if (seen()) { obs.disconnect(); requestAnimationFrame(() => done(performance.now() - t0)); }
});
obs.observe(document.body, {childList: true, subtree: true, characterData: true});
(button.querySelector('button') || button).click();
"""


def build_store(url: str, n_submissions: int, n_items: int) -> int:
    store = ResultStore(url)
    seed_paper_results(store)
    codec_ids = list(BASELINES)
    n = 0
    for i in range(n_submissions):
        codec_id = codec_ids[i % len(codec_ids)]
        for track in TRACKS:
            rec, items = verified_record(codec_id, track, codec=f"codec-{i:03d}", submission=f"sub-{i:03d}",
                                         n_items=n_items, seed=i, profile="cpu-1" if i % 4 else "cpu-8",
                                         neural=(i % 7 == 0))
            store.write(rec, items)
            n += 1
    return n


# Chromium keeps starting up (processes, profile, GPU fallback) for about a second after its first page:
# on two cores a page loaded at once measures ~0.6 s of that. Both figures are printed.
BROWSER_SETTLE_S = 2.0


def board_in_new_chromium(app_url: str, settle_s: float) -> tuple[Any, str, float]:
    """A new Chromium (empty cache) on the board, ``settle_s`` after its start: (driver, profile, seconds from
    navigation to the overview table painted)."""
    driver, profile = start_chromium()
    driver.set_script_timeout(90)
    try:
        driver.get("data:text/html,<p>browser started</p>")
        time.sleep(settle_s)
        driver.get(app_url)
        return driver, profile, float(driver.execute_async_script(_PAINTED_JS, "table-overview", 5)) / 1000
    except BaseException:
        stop_chromium(driver, profile)
        raise


def cold_page(app_url: str, settle_s: float) -> float:
    driver, profile, seconds = board_in_new_chromium(app_url, settle_s)
    stop_chromium(driver, profile)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--items", type=int, default=8)
    parser.add_argument("--keep", type=Path, default=None, help="build the store here and keep it")
    parser.add_argument("--reuse", action="store_true", help="with --keep: use the store already there")
    args = parser.parse_args()
    console = Console()
    figures: list[tuple[str, float, str]] = []

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="lb-bench-"))
    url = str(workdir / "results")
    t0 = time.perf_counter()
    if args.reuse and (workdir / "results" / "records").is_dir():
        figures.append(("reuse the store in --keep", 0.0, "setup, not a target"))
    else:
        n = build_store(url, args.submissions, args.items)
        figures.append((f"build store ({n} records + 69 paper seeds, {args.items} items each)",
                        time.perf_counter() - t0, "setup, not a target"))

    from leaderboard.app.page import build_app, launch_kwargs
    from leaderboard.board.board_data import Filters, LeaderboardData
    from leaderboard.data.store_reader import StoreReader
    from leaderboard.views.track_pages import track_view

    t0 = time.perf_counter()
    reader = StoreReader(url)
    reader.refresh()
    reader.records_frame()
    figures.append(("first data load (cold read of every record)", time.perf_counter() - t0, ""))

    t0 = time.perf_counter()
    board = LeaderboardData(reader, min_refresh_s=1.0)
    # no timer tick during the run: the "Refresh now" figure is then that button's alone (the Space ticks every 5 s)
    demo = build_app(url, refresh_s=600.0, reader=reader, board=board)
    figures.append(("build app (overview table; the Tracks tab renders when opened)", time.perf_counter() - t0, ""))
    t0 = time.perf_counter()
    demo.queue(default_concurrency_limit=4)
    port = free_port()
    _, app_url, _ = demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                                ssr_mode=False, **launch_kwargs())
    figures.append(("launch server", time.perf_counter() - t0, ""))
    if board.prewarming is not None:  # what a visitor meets once the board is up (the Space runs for days)
        t0 = time.perf_counter()
        board.prewarming.join()
        figures.append(("background prewarm of every track (starts 10 s after the build), waited for",
                        time.perf_counter() - t0, "not a target"))

    written: list[str] = []  # the records this run adds (removed at the end: a kept store stays as built)
    if browser_available():
        launched = sorted(cold_page(app_url, 0.0) for _ in range(3))
        figures.append(("page load right after Chromium's launch (empty cache, in-page), median of 3", launched[1],
                        "not a target: Chromium's start-up still runs"))
        # a visitor's browser is running already: its start-up is not the page's
        running = sorted(cold_page(app_url, BROWSER_SETTLE_S) for _ in range(3))
        figures.append(("page load to overview table painted (running Chromium, empty cache, in-page), median of 3",
                        running[1], "target < 1.5 s"))
        figures.append(("  the slowest of the 3", running[-1], ""))
        driver, profile, _ = board_in_new_chromium(app_url, BROWSER_SETTLE_S)
        try:
            for title, name in (("Hubble", "hubble"), ("Keck", "keck"), ("LCO", "lco")):
                time.sleep(3)  # a visitor reads the page first (and the previous tab's plots settle)
                figures.append((f"switch to {title}: click to its table painted (in-page)",
                                driver.execute_async_script(_SWITCH_JS, title, f"table-{name}", 5) / 1000,
                                "target < 1 s"))
            time.sleep(3)
            open_tab(driver, "Hubble")
            wait_for(lambda: len(table_rows(driver, "table-hubble")) > 5, timeout=60, what="hubble rows")
            time.sleep(3)
            fresh = f"Fresh {uuid.uuid4().hex[:8]}"
            rec, items = verified_record("jpegxl", "hubble", codec=fresh, submission=f"sub-{fresh[6:]}", seed=12345,
                                         gain=1.5)  # compresses best: the first row of the open page
            written.append(ResultStore(url).write(rec, items))
            figures.append(("new record written -> Refresh now -> its row painted in the open Hubble view",
                            driver.execute_async_script(_REFRESH_JS, "table-hubble", fresh) / 1000,
                            "target < 0.5 s"))
            loads = []
            for _ in range(3):
                driver.get(app_url)
                loads.append(driver.execute_async_script(_PAINTED_JS, "table-overview", 5) / 1000)
            figures.append(("page load, cached assets, median of 3 (in-page)", sorted(loads)[1], "target < 1.5 s"))
        finally:
            stop_chromium(driver, profile)
    else:
        console.print("[yellow]chromium/chromedriver not found: browser timings skipped[/yellow]")
    # the server's part of a refresh, with the browser closed: what every open page's timer asks for
    store = ResultStore(url)
    runs = []
    for i in range(5):
        tag = uuid.uuid4().hex[:8]
        rec, items = verified_record("jpegxl", "hubble", codec=f"Fresh {tag}", submission=f"sub-{tag}",
                                     seed=54321 + i)
        written.append(store.write(rec, items))
        t0 = time.perf_counter()
        board.refresh(force=True)
        refreshed = time.perf_counter() - t0
        # what the timer's update() does for a page with the Hubble track open (the overview, hidden, is
        # re-rendered when it opens again)
        ranking, runtime = board.render_ranking("hubble", Filters())
        track_view(ranking, runtime)
        board.plot_labels("hubble", Filters())
        board.status_line(), board.profiles()
        runs.append((refreshed, time.perf_counter() - t0))
        time.sleep(0.2)
    runs.sort(key=lambda r: r[1])
    figures.append(("refresh after one new record: re-read what changed (median of 5)", runs[2][0], ""))
    figures.append(("  + re-render the open Hubble view (intervals, tied ranks): total, median of 5",
                    runs[2][1], "target < 0.5 s"))
    t0 = time.perf_counter()
    board.render_overview(Filters())
    figures.append(("  the overview, re-rendered when it opens again after the last new record",
                    time.perf_counter() - t0, ""))
    figures.append(("  the slowest of the 5", runs[-1][1], ""))
    demo.close()
    for key in written:
        ResultStore(url).delete(key)

    table = Table(title=f"Leaderboard benchmark ({args.submissions} submissions x {len(TRACKS)} tracks)")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    table.add_column("note")
    for step, seconds, note in figures:
        table.add_row(step, f"{seconds:.3f}", note)
    console.print(table)
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
