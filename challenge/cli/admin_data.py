"""``challenge admin register-split`` and ``challenge admin splits``: hidden test splits."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from challenge.cli.errors import fail
from evaluator.data.hidden_splits import SplitChangedError, check_files, list_splits, register_split
from evaluator.data.hidden_splits import verify as verify_split


def register_split_cmd(
    name: str = typer.Argument(..., help="Split name; evaluate it with --data hidden:NAME."),
    dataset: str = typer.Option(..., "--dataset", help="Dataset the files belong to, e.g. SBI-16-2D."),
    directory: Path = typer.Option(..., "--dir", help="Folder of .fits / .fits.gz / .npy sample files."),
    field: list[str] = typer.Option([], "--field", help="Extra row field for every file, KEY=VALUE "
                                    "(e.g. telescope=LCO); repeatable."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing registration."),
    check: bool = typer.Option(True, "--check/--no-check", help="Read every file once first; any file that "
                               "cannot be read is listed and nothing is registered."),
) -> None:
    """Register a local folder as a hidden test split (checksums recorded; data stay in place)."""

    fields: dict[str, str] = {}
    for spec in field:
        key, sep, value = spec.partition("=")
        if not sep or not key:
            fail(f"--field {spec!r}: use KEY=VALUE")
        fields[key] = value
    # errors (a bad name, folder or file: every unreadable file listed) are bad input, exit 2 (cli/errors.py)
    n_samples = check_files(name, dataset, directory, overwrite=overwrite) if check else 0
    manifest = register_split(name, dataset, directory, fields=fields, overwrite=overwrite)
    Console().print(f"hidden split [bold]{name}[/bold]: {len(manifest.files)} files"
                    + (f", {n_samples} samples" if check else "")
                    + f", {manifest.total_bytes / 1e6:.1f} MB of {dataset}; revision {manifest.sha256[:16]}")


def splits_cmd(verify: bool = typer.Option(False, "--verify", help="Re-hash every file of every split.")) -> None:
    """List the registered hidden splits."""

    table = Table(title="Hidden splits")
    for col in ("name", "dataset", "files", "MB", "revision", "registered", "directory", "state"):
        table.add_column(col)
    problems: list[str] = []
    for m in list_splits():
        state = "-"
        if verify:
            try:
                verify_split(m)
                state = "ok"
            except SplitChangedError as exc:
                state = "[red]changed[/red]"
                problems.append(str(exc))
        table.add_row(m.name, m.dataset, str(len(m.files)), f"{m.total_bytes / 1e6:.1f}", m.sha256[:16],
                      m.created_at, m.directory, state)
    console = Console()
    console.print(table)
    for text in problems:
        console.print(f"[red]changed:[/red] {text}")
    if problems:
        raise typer.Exit(1)


def register(app: typer.Typer, admin: typer.Typer) -> None:
    admin.command("register-split")(register_split_cmd)
    admin.command("splits")(splits_cmd)
