"""What the board reads records from, and which reader a URL gets.

:class:`BoardReader` is what :class:`leaderboard.board.board_data.LeaderboardData`
uses. Two readers offer it: :class:`leaderboard.data.table_reader.TableReader`
for a published results dataset (``tables/records.parquet`` there: a few
files whatever the board's size; what the hosted Space reads) and
:class:`leaderboard.data.store_reader.StoreReader` for a results store (a file per
record: the organizer's own store, or a dataset published before the tables
existed).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

import pandas as pd

from evaluator.results.records import ResultRecord
from leaderboard.data.ranking import ItemRatios
from leaderboard.data.store_reader import StoreReader
from leaderboard.data.table_reader import TableReader, has_tables

log = logging.getLogger(__name__)


class BoardReader(Protocol):
    """A cached, refreshable view of the results (records table, whole records, per-item rows)."""

    url: str
    version: int  # bumps whenever the records (or their items) change
    reads: int  # files read since the start
    last_error: str | None

    def refresh(self) -> bool: ...

    def records_frame(self) -> pd.DataFrame: ...

    def record(self, key: str) -> ResultRecord: ...

    def keys(self) -> list[str]: ...

    def items(self, key: str) -> pd.DataFrame: ...

    def item_keys(self) -> set[str]: ...

    def item_signatures(self) -> dict[str, str]: ...

    def item_ratios(self, key: str) -> ItemRatios: ...

    def items_for(self, keys: list[str]) -> pd.DataFrame: ...

    def track_version(self, track: str) -> int: ...


CHECK_TRIES = 3  # a hosted store that cannot be reached is asked again before the per-file reader is chosen
CHECK_BACKOFF_S = 2.0


def open_reader(url: str, **storage_options: Any) -> BoardReader:
    """A :class:`TableReader` when ``url`` holds the published tables, else a :class:`StoreReader`."""
    tables = False
    for attempt in range(1, CHECK_TRIES + 1):
        try:
            tables = has_tables(url, **storage_options)
            break
        except Exception as exc:  # cannot tell (network): ask again, then the store reader reports what fails
            log.warning("could not check %s for published tables (try %d of %d): %s", url, attempt, CHECK_TRIES, exc)
            if attempt < CHECK_TRIES:
                time.sleep(CHECK_BACKOFF_S * attempt)
    if tables:
        log.info("reading the published tables of %s", url)
        return TableReader(url, **storage_options)
    return StoreReader(url, **storage_options)
