"""Per-participant submission limits.

A rolling 24-hour window, 5 submissions by default (Kaggle-style daily caps
keep the hidden test split from being probed by many near-identical
submissions). Organizers change the number with ``CHALLENGE_DAILY_LIMIT`` or
by passing a :class:`SubmissionLimits` to the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from evaluator.core import settings
from evaluator.sdk.errors import BadInput

DEFAULT_PER_DAY = 5
WINDOW_S = 24 * 3600


class LimitExceeded(BadInput, RuntimeError):
    """The participant has used all submissions of the current window."""


@dataclass(frozen=True)
class SubmissionLimits:
    per_day: int = DEFAULT_PER_DAY
    window_s: float = WINDOW_S

    @classmethod
    def from_env(cls) -> SubmissionLimits:
        value = settings.daily_limit()
        return cls() if value is None else cls(per_day=value)

    def check(self, participant: str, recent_created_ts: list[float], now: float) -> None:
        """Raise :class:`LimitExceeded` if one more submission would break the limit.

        ``recent_created_ts``: creation times (epoch seconds) of the
        participant's submissions inside the window.
        """
        if self.per_day <= 0 or len(recent_created_ts) < self.per_day:
            return
        oldest = min(recent_created_ts)
        free_at = datetime.fromtimestamp(oldest + self.window_s, tz=UTC)
        hours = self.window_s / 3600
        raise LimitExceeded(
            f"participant {participant!r} already has {len(recent_created_ts)} submissions in the last "
            f"{hours:g} h (limit {self.per_day}). The next slot opens at "
            f"{free_at.isoformat(timespec='minutes')}; meanwhile test locally with `challenge test`."
        )
