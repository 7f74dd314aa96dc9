"""The one way a command stops with an error: a red message on stderr and an exit code.

Exit codes (``evaluator.sdk.errors.FAMILIES``): 2 for bad input the user can fix
(options, files, names, URLs), 1 for a failure of the work itself (a build,
an engine, a store). A command either calls :func:`fail` or lets a
:class:`~evaluator.sdk.errors.ChallengeError` rise: :class:`MappedGroup`, the
app's group class, maps every exception once (:func:`report`), with a
traceback only under ``challenge --verbose`` or ``CHALLENGE_VERBOSE=1``.
"""

from __future__ import annotations

import os
import traceback
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from evaluator.sdk.errors import BadInput, ChallengeError, PlatformFault

USAGE_ERROR = BadInput.exit_code
WORK_FAILED = PlatformFault.exit_code
VERBOSE_ENV = "CHALLENGE_VERBOSE"
BUG_EXIT = 1
_verbose = [False]  # set by ``challenge --verbose`` (the root callback)

_stderr = Console(stderr=True)


def fail(message: str, *, code: int = USAGE_ERROR) -> NoReturn:
    """Print ``message`` (what went wrong and what to do) and exit with ``code``.

    The message is plain text (a ``[build]`` or a ``['x']`` in it is printed as
    is, not read as rich markup) and never wrapped by rich (``soft_wrap``): a
    path or an id in it stays on one line, to copy or to grep."""
    _stderr.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def set_verbose(on: bool) -> None:
    _verbose[0] = on


def verbose() -> bool:
    return _verbose[0] or os.environ.get(VERBOSE_ENV, "").strip().lower() in ("1", "true", "yes")


def report(exc: Exception) -> int:
    """Print ``exc`` for a user (``error:`` and ``fix:`` lines on stderr) and return the exit code.

    A :class:`ChallengeError` says what went wrong and what to do; anything
    else is a bug of the platform: one line naming it and how to see more."""
    if verbose():
        _stderr.print("".join(traceback.format_exception(exc)), markup=False, highlight=False, soft_wrap=True)
    if isinstance(exc, ChallengeError):
        _stderr.print(f"[red]error:[/red] {escape(exc.message)}", highlight=False, soft_wrap=True)
        if exc.fix:
            _stderr.print(f"[yellow]fix:[/yellow] {escape(exc.fix)}", highlight=False, soft_wrap=True)
        return exc.exit_code
    _stderr.print(f"[red]error:[/red] {escape(f'{type(exc).__name__}: {exc}')} is a bug of the platform, not of "
                  "your input: rerun with `challenge --verbose ...` and report the traceback",
                  highlight=False, soft_wrap=True)
    return BUG_EXIT


class MappedGroup(TyperGroup):
    """The app's root group: every exception a command lets rise is reported once, here."""

    # typer declares the parameter as its private vendored click Context; the public typer.Context it passes
    # is a subclass of that one.
    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # typer's own ways out: already said, or click says them
        except Exception as exc:  # noqa: BLE001  (the one place every error becomes an exit code)
            raise typer.Exit(report(exc)) from exc
