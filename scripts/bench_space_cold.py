"""Benchmark a cold start of the *published* Space (issue 21's target: <= 10 files, <= 5 s).

Builds a store of N submissions x every track (default 2,000 x 10 = 20,000
records with per-item rows, plus the paper's seeds; ``bench_leaderboard``'s
generator) and a small queue, publishes both with ``challenge admin publish``'s
code to a local stand-in of the Hub (``--to file://…``: the dataset and the
Space folder as the Hub would hold them), then starts the published Space's
``app.py`` from its own folder in a fresh Python process reading the
published dataset, and times, from that process's start:

- the server answering (Gradio's launch returned),
- headless Chromium (already running, so its own start-up is not counted)
  loading the page until the overview table has rows (the first animation
  frame after, ``performance.now()`` in the page),

and counts the files of the published dataset the Space process opened
(every ``open`` of a path under it, through ``builtins.open``, which
fsspec's local files use too) before the table was painted, and after its
background pre-render of every track (which reads each track's items).

Timings depend on the machine and its load; the script prints them and
asserts nothing. Usage: ``python scripts/bench_space_cold.py [--submissions
2000] [--items 8] [--keep DIR [--reuse]]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "leaderboard"))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_leaderboard import _PAINTED_JS, BROWSER_SETTLE_S, build_store
from browser_support import browser_available, free_port, start_chromium, stop_chromium

from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ResultStore
from leaderboard.publish.publish import publish
from submissions.queue.submission_queue import SubmissionQueue

# Runs the Space's app.py as ``python app.py`` would, logging every file opened under BENCH_ROOT (with the time).
LAUNCHER = """
import builtins, io, os, runpy, sys, time
root, log = os.environ["BENCH_ROOT"], open(os.environ["BENCH_LOG"], "a", buffering=1)
real = builtins.open
def counting(file, *args, **kw):
    if isinstance(file, (str, os.PathLike)) and os.path.abspath(os.fspath(file)).startswith(root):
        log.write(f"{time.time()} {os.path.relpath(os.fspath(file), root)}\\n")
    return real(file, *args, **kw)
builtins.open = io.open = counting
sys.argv = ["app.py"]
runpy.run_path("app.py", run_name="__main__")
"""
LAUNCHED = "leaderboard at "  # what leaderboard.app.page.serve logs once Gradio's launch returned


def make_queue(folder: Path, store: ResultStore) -> SubmissionQueue:
    queue = SubmissionQueue(folder)
    if not queue.submissions():
        for i in range(3):
            queue.enqueue(participant=f"participant-{i}", name=f"Codec {i}",
                          image=ImageIdentity.frozen("sha256:" + f"{i:x}" * 64))
    return queue


def opened(log: Path, until: float | None = None) -> list[str]:
    lines = [line.split(" ", 1) for line in log.read_text().splitlines() if line.strip()] if log.exists() else []
    return [path for t, path in lines if until is None or float(t) <= until]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--items", type=int, default=8)
    parser.add_argument("--keep", type=Path, default=None, help="build the store and the stand-in here and keep them")
    parser.add_argument("--reuse", action="store_true", help="with --keep: reuse the store and stand-in there")
    parser.add_argument("--prewarm-wait", type=float, default=60.0, help="seconds to wait for the background prewarm")
    args = parser.parse_args()
    console = Console()
    figures: list[tuple[str, str, str]] = []
    workdir = (args.keep or Path(tempfile.mkdtemp(prefix="space-cold-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    url, hub = str(workdir / "results"), workdir / "hub"
    store = ResultStore(url)
    if not (args.reuse and (workdir / "results" / "records").is_dir()):
        t0 = time.perf_counter()
        n = build_store(url, args.submissions, args.items)
        figures.append((f"build store ({n} records + paper seeds, {args.items} items each)",
                        f"{time.perf_counter() - t0:.1f} s", "setup"))
    queue = make_queue(workdir / "queue", store)
    t0 = time.perf_counter()
    report = publish(url, "org/results", space_id="org/board", hub_url=f"file://{hub}", queue_dir=queue.folder)
    figures.append((f"publish to the stand-in ({len(report.dataset.commits)} dataset commits, "
                    f"{len(report.dataset.added)} files sent)", f"{time.perf_counter() - t0:.1f} s", "setup"))
    dataset, space = hub / "datasets" / "org" / "results", hub / "spaces" / "org" / "board"
    n_files = sum(1 for p in dataset.rglob("*") if p.is_file() and ".hub" not in p.parts)
    figures.append(("files in the published dataset", str(n_files), ""))

    if not browser_available():
        console.print("[red]chromium/chromedriver not found: no browser timing[/red]")
        return
    driver, profile = start_chromium()
    driver.set_script_timeout(120)
    driver.get("data:text/html,<p>browser started</p>")
    time.sleep(BROWSER_SETTLE_S)  # a visitor's browser runs already: its start-up is not the Space's
    log_path, out_path = workdir / "opened.log", workdir / "space.log"
    log_path.unlink(missing_ok=True)
    port = free_port()
    env = {**os.environ, "RESULTS_STORE": f"file://{dataset}", "PORT": str(port), "REFRESH_S": "600",
           "BENCH_ROOT": str(dataset), "BENCH_LOG": str(log_path), "PYTHONPATH": ""}
    env.pop("HF_TOKEN", None)
    start = time.time()
    with open(out_path, "w") as out:
        proc = subprocess.Popen([sys.executable, "-c", LAUNCHER], cwd=space, stdout=out, stderr=subprocess.STDOUT,
                                env=env)
    try:
        while LAUNCHED not in out_path.read_text():
            if proc.poll() is not None or time.time() - start > 300:
                raise RuntimeError(f"the Space did not start:\n{out_path.read_text()[-3000:]}")
            time.sleep(0.05)
        served = navigation = time.time()  # the page's performance.now() counts from its navigation start
        driver.get(f"http://127.0.0.1:{port}/")
        in_page = float(driver.execute_async_script(_PAINTED_JS, "table-overview", 5)) / 1000
        painted = navigation + in_page
        first = opened(log_path, painted)
        figures.append(("Space process start -> server answering", f"{served - start:.2f} s", ""))
        figures.append(("page navigation -> overview table painted (in-page)", f"{in_page:.2f} s", ""))
        figures.append(("Space process start -> first table painted", f"{painted - start:.2f} s", "target <= 5 s"))
        figures.append(("files of the dataset read before the first table painted", str(len(first)),
                        "target <= 10: " + ", ".join(sorted(set(first)))))
        time.sleep(max(0.0, args.prewarm_wait - (time.time() - served)))
        every = opened(log_path)
        figures.append((f"files read {args.prewarm_wait:.0f} s after start (background prewarm of every track)",
                        str(len(every)), f"{len(set(every))} distinct; per-record files: "
                        f"{sum(p.startswith('records/') for p in every)}"))
    finally:
        stop_chromium(driver, profile)
        proc.terminate()
        proc.wait(timeout=30)
    table = Table(title=f"Cold start of the published Space ({args.submissions} submissions, stand-in Hub)")
    for col in ("step", "value", "note"):
        table.add_column(col)
    for row in figures:
        table.add_row(*row)
    console.print(table)
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
