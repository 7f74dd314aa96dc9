"""A bounded memo of computed views, keyed by (data version, view key).

:class:`leaderboard.board.board_data.LeaderboardData` keeps two: the labelled and
filtered record frames (a few, big) and the tables, plots and choices built
from them (many, small). A full memo is emptied rather than evicted entry by
entry: a new data version makes every old entry stale anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class ViewCache(Generic[T]):
    """``compute()``'s result per key, forgotten all at once past ``limit`` entries."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._values: dict[tuple[Hashable, ...], T] = {}

    def get(self, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        value = self._values.get(key)
        if value is None:
            if len(self._values) > self.limit:
                self._values.clear()
            value = self._values[key] = compute()
        return value

    def clear(self) -> None:
        self._values.clear()
