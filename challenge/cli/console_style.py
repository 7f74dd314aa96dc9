"""What every command prints the same way: numbers in tables, progress bars."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


def fmt_number(value: Any, spec: str = ".3f") -> str:
    """``value`` formatted with ``spec``; ``-`` for a missing number."""
    if value is None:
        return "-"
    try:
        return format(float(value), spec)
    except (TypeError, ValueError):
        return str(value)


def task_progress(console: Console | None = None, *, transient: bool = False) -> Progress:
    """The progress bar of long work: spinner, description, bar, done/total, elapsed."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=transient)
