"""The board's filters: what a visitor picked (profiles, provenances, methods, data kinds, ranking key, data view).

:class:`Filters` keys every cached view of :class:`leaderboard.board.board_data.LeaderboardData`;
:func:`filters_from` builds one from the UI's values; :data:`SORT_CHOICES` are
the ranking keys offered, from the metric table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evaluator.core.schema import metric
from leaderboard.views import tables


@dataclass
class Filters:
    profiles: list[str] = field(default_factory=list)
    provenances: list[str] = field(default_factory=lambda: list(tables.PROVENANCES))
    kinds: list[str] = field(default_factory=lambda: list(tables.KINDS))
    data_kinds: list[str] = field(default_factory=lambda: list(tables.DATA_KINDS))
    sort_by: str = "ratio_mean"
    data: str = ""  # the data view (leaderboard.data.data_views: "real", "synthetic", "hidden:<name>"); "" = all

    def key(self) -> tuple[Any, ...]:
        return (tuple(sorted(self.profiles)), tuple(sorted(self.provenances)), tuple(sorted(self.kinds)),
                tuple(sorted(self.data_kinds)), self.sort_by, self.data)


SORT_CHOICES: list[tuple[str, str]] = [
    (metric(m).label + ("" if metric(m).higher_is_better else " (lower first)"), m) for m in tables.RANK_METRICS
]


def filters_from(profiles: list[str] | None, provenances: list[str] | None, kinds: list[str] | None,
             data_kinds: list[str] | None, sort_by: str | None, data: str | None = "") -> Filters:
    return Filters(list(profiles or []), list(provenances or []), list(kinds or []), list(data_kinds or []),
                   sort_by or "ratio_mean", data or "")
