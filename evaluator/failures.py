"""The one exception the sandbox raises when a codec breaks a rule.

Its ``kind`` is one of ``evaluator.records.FAILURE_KINDS``; the evaluation
engine turns it into a :class:`evaluator.records.Failure` on the item and the
track (paper: any mismatch fails the submission on that track).
"""

from __future__ import annotations

from evaluator.records import FAILURE_KINDS


class CodecFailure(Exception):
    """A codec (or its image) failed: ``kind`` says how, ``message`` says what to do."""

    def __init__(self, kind: str, message: str, item_id: str | None = None, *, exited: bool = False) -> None:
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}")
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.item_id = item_id
        self.exited = exited  # the codec closed its stdout (it exited or is exiting)
