"""The submission state machine: the fixed set of states and the allowed moves.

DESIGN.md "Results, queue, publishing": ``pending -> loading -> running ->
finished | failed | cancelled``, each move with a timestamp and a reason a
person can read. STYLE.md (Codabench): a fixed set of statuses and one
function that refuses any other transition. Nothing else in the project
decides whether a move is legal.

``loading`` is the worker loading the frozen image tar (``docker load`` plus
digest check); ``running`` is the evaluator at work. A worker that dies
leaves a stale lease; the queue moves such a submission back to ``pending``
(``loading|running -> pending``) with the reason, and counts the attempt.
"""

from __future__ import annotations

from typing import Final, Literal

from evaluator.sdk.errors import BadInput

State = Literal["pending", "loading", "running", "finished", "failed", "cancelled"]

PENDING: Final = "pending"
LOADING: Final = "loading"
RUNNING: Final = "running"
FINISHED: Final = "finished"
FAILED: Final = "failed"
CANCELLED: Final = "cancelled"

STATES: tuple[str, ...] = (PENDING, LOADING, RUNNING, FINISHED, FAILED, CANCELLED)
TERMINAL: frozenset[str] = frozenset({FINISHED, FAILED, CANCELLED})
ACTIVE: frozenset[str] = frozenset({LOADING, RUNNING})

TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({LOADING, FAILED, CANCELLED}),  # failed: rejected at intake/ingest
    LOADING: frozenset({RUNNING, FAILED, CANCELLED, PENDING}),  # pending: stale lease, retry
    RUNNING: frozenset({FINISHED, FAILED, CANCELLED, PENDING}),
    FINISHED: frozenset(),
    FAILED: frozenset({PENDING}),  # an organizer may requeue (``challenge admin requeue``)
    CANCELLED: frozenset(),
}


class TransitionError(BadInput, ValueError):
    """A state change the state machine does not allow."""


def check_transition(current: str, new: str) -> None:
    """Raise :class:`TransitionError` unless ``current -> new`` is allowed."""
    if current not in TRANSITIONS:
        raise TransitionError(f"unknown state {current!r}; states are {', '.join(STATES)}")
    if new not in TRANSITIONS:
        raise TransitionError(f"unknown state {new!r}; states are {', '.join(STATES)}")
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final state)"
        raise TransitionError(f"cannot move a submission from {current} to {new}; allowed from {current}: {allowed}")


def is_terminal(state: str) -> bool:
    return state in TERMINAL
