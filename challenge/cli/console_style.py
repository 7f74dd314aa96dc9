"""What every command prints the same way: numbers in tables, progress bars."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from evaluator.results.portability import PORTABLE_ENVS, broken_label


def fmt_number(value: Any, spec: str = ".3f") -> str:
    """``value`` formatted with ``spec``; ``-`` for a missing number."""
    if value is None:
        return "-"
    try:
        return format(float(value), spec)
    except (TypeError, ValueError):
        return str(value)


def fmt_portable(record: Any) -> str:
    """A record's portable-decode check as rich markup: portable, not portable (env), or not checked."""
    check = getattr(record, "portable", None)
    if check is None:
        return "[dim]-[/dim]"
    if not check.ok:
        return f"[red]no ({escape(check.environment)})[/red]"
    return "[green]yes[/green]" if check.complete else f"[yellow]only {escape(check.environment)}[/yellow]"


def portable_notes(records: list[Any]) -> list[str]:
    """One line per record whose portable check failed (what broke, where), then what the check is."""
    lines = [f"[yellow]{escape(r.codec)} / {r.track}: {escape(broken_label(r.portable.environment))}[/yellow]: "
             f"{escape((r.portable.detail or '').splitlines()[0] if r.portable.detail else '')}"
             for r in records if getattr(r, "portable", None) is not None and not r.portable.ok]
    if any(getattr(r, "portable", None) is not None for r in records):
        lines.append("[dim]portable = a sample of bitstreams decoded again, a fresh decoder per environment: "
                     + ", ".join(PORTABLE_ENVS) + " (shown, not ranked; cpu-decode on GPU profiles only)[/dim]")
    return lines


def task_progress(console: Console | None = None, *, transient: bool = False) -> Progress:
    """The progress bar of long work: spinner, description, bar, done/total, elapsed."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=transient)
