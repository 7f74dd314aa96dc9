"""The project's one error family: every error a user can meet says what went wrong and what to do.

:class:`ChallengeError` is the base of every exception class the project
defines. It carries ``message`` (what went wrong), ``fix`` (what the user
should do, or ``""``) and ``exit_code``. Two families divide it, and
:data:`FAMILIES` is the one table of them and their exit codes:

* :class:`BadInput` (exit 2): a value the user gave is wrong and is theirs to
  fix: an unknown track or dataset, a bad URL, a missing folder, a corrupt
  FITS file, a bad manifest, a data source that cannot be reached (offline Hub).
* :class:`PlatformFault` (exit 1): the platform could not do its work: Docker
  down, a build that failed, a store that cannot be written.

The CLI (``challenge/cli/__init__.py``) maps them once: ``error: <message>``
and ``fix: <fix>`` on stderr, then exit with ``exit_code``.

Imports nothing but the stdlib: it is copied into codec base images beside the
SDK (``evaluator/images/codec_base.py``), whose errors subclass it.
"""

from __future__ import annotations

from dataclasses import dataclass


class ChallengeError(Exception):
    """Base of every project exception: ``message``, ``fix`` and the process ``exit_code``.

    Subclasses keep their own constructors (``raise SomeError("text")`` works
    as before); ``fix`` is a class default a subclass may set, or a keyword
    of this constructor."""

    exit_code: int = 1
    fix: str = ""

    message: str

    def __init__(self, *args: object, fix: str | None = None) -> None:
        super().__init__(*args)
        # What went wrong (the first argument); a subclass may set its own after this.
        self.message = str(args[0]) if args else type(self).__name__
        if fix is not None:
            self.fix = fix


class BadInput(ChallengeError):
    """A value the user gave is wrong (a name, a path, a URL, a file): theirs to fix. Exit 2."""

    exit_code = 2
    fix = "correct the value the message names and run the command again (--help lists what each option takes)"


class PlatformFault(ChallengeError):
    """The platform could not do its work (an engine, a build, a store write). Exit 1."""

    exit_code = 1
    fix = "check the service named in the message, then rerun (add --verbose for the details)"


@dataclass(frozen=True)
class ErrorFamily:
    name: str
    base: type[ChallengeError]
    exit_code: int
    meaning: str


FAMILIES: tuple[ErrorFamily, ...] = (
    ErrorFamily("bad-input", BadInput, BadInput.exit_code,
                "a name, path, URL, file or data source the user gave is wrong or unreachable"),
    ErrorFamily("platform-fault", PlatformFault, PlatformFault.exit_code,
                "Docker, a build, a store or another service of the platform failed"),
)
UNEXPECTED_EXIT_CODE = 1  # an exception outside the family: a platform bug


def exit_code_of(exc: BaseException) -> int:
    """The process exit code for ``exc``: its family's, or 1 for anything unexpected."""
    return exc.exit_code if isinstance(exc, ChallengeError) else UNEXPECTED_EXIT_CODE
