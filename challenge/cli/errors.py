"""The one way a command stops with an error: a red message on stderr and an exit code.

Exit codes: 2 for bad input the user can fix (options, files, names),
1 for a failure of the work itself (a build, an engine, the Hub).
"""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

USAGE_ERROR = 2
WORK_FAILED = 1

_stderr = Console(stderr=True)


def fail(message: str, *, code: int = USAGE_ERROR) -> NoReturn:
    """Print ``message`` (what went wrong and what to do) and exit with ``code``.

    The message is plain text (a ``[build]`` or a ``['x']`` in it is printed as
    is, not read as rich markup) and never wrapped by rich (``soft_wrap``): a
    path or an id in it stays on one line, to copy or to grep."""
    _stderr.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
