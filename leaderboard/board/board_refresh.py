"""When the leaderboard re-lists the results store and the queue (a paced refresh), and the gc freeze.

:class:`RefreshPacer` is what ``LeaderboardData.refresh`` runs: a re-listing at
most every ``min_refresh_s``, or every ``REFRESH_DUTY`` times the last
listing's duration when that is longer, and never two at once.
"""

from __future__ import annotations

import gc
import threading
import time

from leaderboard.data.board_reader import BoardReader
from leaderboard.views.queue_view import QueueSource

REFRESH_DUTY = 10.0  # re-list at most every REFRESH_DUTY x the last listing's duration (<= 10 % of a core)
FREEZE_READS = 1000  # records loaded since the last gc.freeze() that make the next refresh freeze them


class RefreshPacer:
    """Re-lists ``reader`` and ``queue``, paced; the data version is the sum of theirs."""

    def __init__(self, reader: BoardReader, queue: QueueSource, min_refresh_s: float = 1.0) -> None:
        self.reader = reader
        self.queue = queue
        self.min_refresh_s = min_refresh_s
        self._last_refresh = 0.0
        self._refresh_cost = 0.0  # seconds the last re-listing took
        self._lock = threading.Lock()
        self._frozen_reads = 0

    def version(self) -> int:
        return self.reader.version + self.queue.version

    def refresh(self, force: bool = False) -> int:
        """Re-list the store and the queue at most every ``min_refresh_s``; returns the data version
        (it grows whenever the records or the queue snapshot change).

        A big store takes a while to list (20,000 records: ~0.3 s of stats), so the interval grows to
        ``REFRESH_DUTY`` times the last listing's duration, and a timer tick that finds a refresh under
        way answers with the current version instead of waiting (``force`` always re-lists).
        """
        if not self._lock.acquire(blocking=force):
            return self.version()
        try:
            start = time.monotonic()
            if force or start - self._last_refresh >= max(self.min_refresh_s, REFRESH_DUTY * self._refresh_cost):
                self.reader.refresh()
                self.queue.refresh(force=force)
                if self.reader.reads - self._frozen_reads >= FREEZE_READS:
                    self._freeze()
                self._last_refresh = time.monotonic()
                self._refresh_cost = self._last_refresh - start
        finally:
            self._lock.release()
        return self.version()

    def _freeze(self) -> None:
        """Move what is alive now (the cached records: ~20 objects each) out of the garbage collector's sight.

        The records stay for the life of the app; without this every full
        collection walks all of them (~0.4 s on a 20,000-record board, paid by
        whichever request is running then). ``gc.freeze`` is process-wide:
        the app owns its process.
        """
        gc.collect()
        gc.freeze()
        self._frozen_reads = self.reader.reads
