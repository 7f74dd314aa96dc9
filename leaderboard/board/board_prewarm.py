"""Rendering every track in the background once the app is up, so that the first tab switches are fast.

``LeaderboardData.prewarm`` starts :func:`start_prewarm` on itself; the board's
own methods (and any override of them) do the rendering, which fills its caches.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

from evaluator.core.tracks import TRACKS
from leaderboard.board.board_filters import Filters

log = logging.getLogger(__name__)

PREWARM_DELAY_S = 10.0  # seconds between building the app and rendering every track in the background


class Prewarmable(Protocol):
    """What a prewarm renders: the views a tab shows, for the filters the page opens on."""

    def default_data(self) -> str: ...

    def render_track(self, track: str, f: Filters) -> list[Any]: ...

    def plot_labels(self, track: str, f: Filters) -> tuple[list[tuple[str, str]], str | None]: ...

    def track_csv(self, track: str, f: Filters) -> list[str]: ...

    def item_plots(self, track: str, f: Filters, label: str | None = None) -> list[Any]: ...


def start_prewarm(board: Prewarmable, delay_s: float = PREWARM_DELAY_S) -> threading.Thread:
    """Render every track of ``board`` with the default filters in a daemon thread, after ``delay_s``.

    The delay lets the server's start come first (Gradio's launch checks that
    localhost answers within 3 s, and gives up on a busy two-core machine otherwise).
    """
    def work() -> None:
        time.sleep(delay_s)
        start = Filters(data=board.default_data())  # what the page opens on
        for name in TRACKS:
            try:
                board.render_track(name, start)
                board.plot_labels(name, start)
            except Exception:  # a failure here only costs speed; the tab renders on open
                log.exception("prewarming %s failed", name)
        for name in TRACKS:  # then what the second step of a tab switch shows
            try:
                board.track_csv(name, start)
                board.item_plots(name, start)
            except Exception:
                log.exception("prewarming the plots of %s failed", name)
    thread = threading.Thread(target=work, name="leaderboard-prewarm", daemon=True)
    thread.start()
    return thread
