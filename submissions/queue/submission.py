"""What the queue holds and what it raises: :class:`Submission`, its :class:`Transition` history, the errors.

:mod:`submissions.queue.submission_queue` re-exports every name here; import them from there.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypedDict

from evaluator.core.json_types import JsonObject
from evaluator.results.image_identity import ImageIdentity
from evaluator.sdk.errors import BadInput, PlatformFault
from submissions.queue import states


class SubmissionNotFound(BadInput, KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class DuplicateSubmission(BadInput, RuntimeError):
    """The same image digest is already queued or finished."""

    def __init__(self, message: str, existing_id: str) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class LeaseLost(PlatformFault, RuntimeError):
    """The worker no longer holds the submission (lease expired and taken back)."""


def iso_time(ts: float) -> str:
    """``ts`` (seconds since the epoch) as an ISO-8601 UTC time, to the second."""
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="seconds")


# A Transition as ``challenge status --json`` shows it ("from" is a Python keyword: the functional form).
TransitionJson = TypedDict("TransitionJson", {"at": str, "from": str | None, "to": str, "reason": str})


class SubmissionJson(TypedDict):
    """A :class:`Submission` as ``challenge status --json`` shows it (no tar path, no lease)."""

    id: str
    participant: str
    name: str
    image_digest: str
    state: str
    reason: str
    created_at: str
    updated_at: str
    attempts: int
    manifest: JsonObject
    tracks: list[str] | None
    image_size_bytes: int | None
    history: list[TransitionJson]


@dataclass
class Transition:
    at: str
    from_state: str | None
    to_state: str
    reason: str

    def to_dict(self) -> TransitionJson:
        return {"at": self.at, "from": self.from_state, "to": self.to_state, "reason": self.reason}


@dataclass
class Submission:
    id: str
    participant: str
    name: str
    image: ImageIdentity  # frozen at queue time (id, the name it was built as, compressed tar size)
    state: str
    reason: str
    created_at: str
    updated_at: str
    attempts: int
    manifest: JsonObject = field(default_factory=dict)
    history: list[Transition] = field(default_factory=list)
    tracks: list[str] | None = None  # None: every track
    image_tar: str | None = None
    tar_sha256: str | None = None
    image_size_bytes: int | None = None  # uncompressed, as built (None: an already-built image)
    request_id: str | None = None
    lease_owner: str | None = None
    lease_expires: float | None = None

    @property
    def terminal(self) -> bool:
        return states.is_terminal(self.state)

    @property
    def image_digest(self) -> str:
        """The frozen image's digest (its id for a locally built image)."""
        return self.image.digest

    def to_dict(self) -> SubmissionJson:
        return {
            "id": self.id, "participant": self.participant, "name": self.name,
            "image_digest": self.image.digest, "state": self.state, "reason": self.reason,
            "created_at": self.created_at, "updated_at": self.updated_at, "attempts": self.attempts,
            "manifest": self.manifest, "tracks": self.tracks, "image_size_bytes": self.image_size_bytes,
            "history": [t.to_dict() for t in self.history],
        }


def new_submission_id(now: float | None = None) -> str:
    ts = datetime.fromtimestamp(now if now is not None else time.time(), tz=UTC)
    return f"sub-{ts:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
