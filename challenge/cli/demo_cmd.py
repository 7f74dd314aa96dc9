"""``challenge demo``: the README's main job on the embedded default.

Generates the synthetic default corpus, builds the offline base image and
the baseline images, evaluates each in the sandbox on every track (the
near-lossless baselines on three paper tracks at every bound), prints the
per-track ratio table beside the paper's Table 1 and the near-lossless
tables (ratio against the bound beside the error statistics), seeds the
paper's numbers and our shipped VDM estimates (likelihood bounds, computed by
``scripts/vdm_estimates.py``: minutes of CPU, too slow for the demo) into the
results store and serves the leaderboard.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import TaskID
from rich.table import Table

from baselines.evaluation import evaluate_baselines
from baselines.neural.vdm_records import seed_vdm_estimates
from baselines.paper_seeds import paper_results, seed_paper_results, seed_paper_table2
from baselines.registry import BASELINES
from challenge.cli.console_style import task_progress
from challenge.cli.near_lossless_table import near_lossless_tables
from challenge.cli.options import (
    Store,
    data_option,
    host_option,
    inprocess_option,
    port_option,
    profile_option,
    track_option,
)
from evaluator.core.settings import default_queue_dir, default_store_url
from evaluator.core.tracks import TRACKS, offered_tracks, select_tracks
from evaluator.data.data_source import resolve_source
from evaluator.results.records import ResultStore

console = Console()
TABLE_COLUMNS = 5  # baselines per ratio table: track + 5 codecs fit an 80-column terminal, nothing truncated


def short_label(title: str) -> str:
    """A registry name before its parenthesis: "IDF-small (ours, 0.22 M, ...)" -> "IDF-small"."""
    return title.split(" (", 1)[0]


def ratio_tables(records: list[Any], paper: dict[str, dict[str, float | None]], title: str,
                 kinds: tuple[str, ...] = ("classical", "neural"), columns: int = TABLE_COLUMNS) -> list[Table]:
    """The baselines of ``kinds`` that were evaluated, :data:`TABLE_COLUMNS` per table (80 columns wide at most)."""
    # the lossless comparison: a near-lossless baseline's lossless runs stand in its own table (near_lossless_table)
    ran = {r.submission.removeprefix("baseline-") for r in records}
    names = [n for n, spec in BASELINES.items() if spec.kind in kinds and not spec.near_lossless and n in ran]
    chunks = [names[i:i + columns] for i in range(0, len(names), columns)]
    return [ratio_table(records, paper, title + (f" ({k + 1}/{len(chunks)})" if len(chunks) > 1 else ""), chunk)
            for k, chunk in enumerate(chunks)]


def ratio_table(records: list[Any], paper: dict[str, dict[str, float | None]], title: str,
                names: list[str]) -> Table:
    """Tracks as rows, the baselines ``names`` as columns: our mean ratio, the paper's beside it."""

    cell: dict[tuple[str, str], Any] = {(r.track, r.submission.removeprefix("baseline-")): r for r in records}
    specs = {name: BASELINES[name] for name in names}
    caption = ("each cell: ours, below it (the paper's Table 1)" if any(s.paper_column for s in specs.values())
               else "ours (the paper did not measure these codecs)")
    # columns headed by the short label (an 80-column terminal truncates the full names, and the numbers with
    # them); the registry's full names, which say what was measured, stand in the caption
    legend = "; ".join(f"{short_label(spec.title)} = {spec.title}" for spec in specs.values())
    table = Table(title=title, caption=f"{caption}\n{legend}", padding=(0, 1))
    table.add_column("track", no_wrap=True)
    for spec in specs.values():
        table.add_column(short_label(spec.title).replace(" ", "\n", 1), justify="right")
    evaluated = {r.track for r in records if r.submission.removeprefix("baseline-") in specs}
    for track in (t for t in TRACKS if t in evaluated):
        row = [track]
        for name, spec in specs.items():
            rec = cell.get((track, name))
            ours = "-"
            if rec is not None:
                ours = f"{rec.summary.ratio_mean:.2f}" if rec.status == "ok" else f"[red]{rec.failure.kind}[/red]"
            ref = paper.get(track, {}).get(spec.paper_column) if spec.paper_column else None
            row.append(f"{ours}\n[dim]({ref:.2f})[/dim]" if ref is not None else ours)
        table.add_row(*row)
    return table


def demo(
    data: Annotated[str, data_option("Data to evaluate on (default: the synthetic corpus).")] = "synthetic",
    track: Annotated[str, track_option("Tracks: 'all', 'paper' or a comma list.")] = "all",
    profile: Annotated[str, profile_option("Hardware profile for the sandboxed runs.")] = "cpu-1",
    store: Store = None,
    inprocess: Annotated[bool, inprocess_option("Run the codecs in this process (no Docker).")] = False,
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the leaderboard at the end."),
    host: Annotated[str, host_option("Leaderboard host.")] = "0.0.0.0",
    port: Annotated[int, port_option("Leaderboard port.")] = 7860,
) -> None:
    """Build the baseline images, evaluate them in the sandbox, seed the paper, serve the leaderboard."""

    url = store or default_store_url()
    results = ResultStore(url)
    tracks = select_tracks(track)
    console.rule("[bold]1/4  data")
    source = resolve_source(data)
    console.print(f"data: [bold]{source.label}[/bold]" + ("  [yellow](synthetic)[/yellow]" if source.synthetic else ""))

    console.rule("[bold]2/4  baseline codec images" if not inprocess else "[bold]2/4  in-process codecs")
    with task_progress(console) as progress:
        tasks: dict[str, Any] = {}

        def progress_for(codec: str) -> Any:
            def on_event(event: str) -> None:
                kind = getattr(event, "kind", None)
                name = getattr(event, "track", None)
                if name is None:
                    return
                key = f"{codec}/{name}"
                if kind == "track_start":
                    tasks[key] = progress.add_task(f"{codec:<11} {name}", total=None)
                elif kind == "item" and key in tasks:
                    progress.update(tasks[key], completed=getattr(event, "done", 0))
                elif kind == "track_end" and key in tasks:
                    done = max(getattr(event, "done", 0), 1)
                    ok = getattr(event, "ok", True)
                    progress.update(tasks[key], total=done, completed=done,
                                    description=f"{codec:<11} {name} " + ("[green]ok" if ok else "[red]failed"))
            return on_event

        image_task: TaskID | None = None

        def image_progress(message: str) -> None:
            # one line per image in the scrollback ("built ..." or "... is up to date", full build
            # output in $CHALLENGE_HOME/logs/builds); every other step only updates a status line
            nonlocal image_task
            if message.startswith("built ") or message.endswith(" is up to date"):
                progress.console.print(message, highlight=False)
                if image_task is not None:
                    progress.remove_task(image_task)
                    image_task = None
            elif image_task is None:
                image_task = progress.add_task(message[:100], total=None)
            else:
                progress.update(image_task, description=message[:100])

        if not inprocess:
            console.print(f"building (or reusing) the offline base images and the {len(BASELINES)} baseline images ...")
        console.rule("[bold]3/4  evaluation" + ("" if inprocess else f" in the sandbox ({profile})"))
        records = []
        for spec in BASELINES.values():
            # near-lossless baselines: the variants of the demo tracks too (a lossless image is never offered them)
            offered = offered_tracks(tracks, near_lossless=True, add_variants=True)
            wanted = [t for t in offered if (spec.demo_tracks is None and not t.near_lossless)
                      or (spec.demo_tracks is not None and t.name in spec.demo_tracks)]
            if wanted:
                records += evaluate_baselines([spec.name], wanted, source, results, profile=profile,
                                              inprocess=inprocess, progress_for=progress_for,
                                              image_progress=image_progress)

    paper = paper_results()["table1_ratio"]
    for table in ratio_tables(records, paper, f"Mean compression ratio per track: {source.label}"
                                              f" ({'in-process' if inprocess else profile})"):
        console.print(table)
    for table in ratio_tables(records, paper, "What archives run today (fpack, bzip2, zstd, xz on the item's "
                                              "FITS file), same data", kinds=("archive",)):
        console.print(table)
    short = {r.submission: short_label(BASELINES[r.submission.removeprefix("baseline-")].title) for r in records}
    for table in near_lossless_tables(records, short):
        console.print(table)
    if source.synthetic:
        console.print("[yellow]Synthetic data: these ratios describe the generator, not the real corpus; "
                      "the paper's numbers (in brackets) are on the real test splits.[/yellow]")
    failed = [r for r in records if r.status != "ok"]
    for r in failed:
        why = f"{r.failure.kind}: {r.failure.message}" if r.failure is not None else "failed"
        console.print(f"[red]{r.codec} on {r.track}: {why}[/red]")

    console.rule("[bold]4/4  leaderboard")
    seed_paper_results(results)
    seed_paper_table2(results)
    vdm = seed_vdm_estimates(results)  # shipped likelihood bounds (scripts/vdm_estimates.py --ship regenerates them)
    console.print(f"VDM estimates: {len(vdm)} records (likelihood bounds on the synthetic default, never ranked)")
    console.print(f"results store: {url} ({len(results.keys())} records, the paper's included)")
    if not serve:
        raise typer.Exit(1 if failed else 0)
    from leaderboard.app.page import serve as serve_leaderboard  # noqa: PLC0415

    console.print(f"serving the leaderboard on http://{'localhost' if host == '0.0.0.0' else host}:{port} "
                  "(Ctrl-C to stop)")
    serve_leaderboard(url, default_queue_dir(), host=host, port=port)


def register(app: typer.Typer, admin: typer.Typer) -> None:
    app.command("demo")(demo)
