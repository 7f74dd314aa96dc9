"""A read-only table of named rows (tracks, metrics, failure kinds, ...): lookup with an error that helps.

``table["name"]`` returns the row or raises :class:`UnknownName` (a
``KeyError`` and a ``ValueError``), whose message lists the known names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Generic, Protocol, TypeVar

from evaluator.sdk.errors import BadInput


class Named(Protocol):
    @property
    def name(self) -> str: ...


Row = TypeVar("Row", bound=Named)


class UnknownName(BadInput, KeyError, ValueError):
    """A name that is not in its table; the message lists the names that are."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NamedTable(Mapping[str, Row], Generic[Row]):
    def __init__(self, what: str, rows: Iterable[Row]) -> None:
        self.what = what
        self._rows: dict[str, Row] = {}
        for row in rows:
            if row.name in self._rows:
                raise ValueError(f"{what} {row.name!r} is defined twice")
            self._rows[row.name] = row

    def __getitem__(self, name: str) -> Row:
        try:
            return self._rows[name]
        except KeyError:
            raise UnknownName(f"unknown {self.what} {name!r}; known: {', '.join(self._rows)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)
