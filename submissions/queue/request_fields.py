"""The public fields of a submission, checked before it enters the queue (:mod:`evaluator.core.public_text`).

A hosted request is written by whoever opened the pull request, not
necessarily by ``challenge submit``: its ``name``, its ``manifest`` (the
codec.toml as a dict) and its author (the participant) are checked here
with the same rules ``codec.toml`` follows, before its image is downloaded.
The queue checks the participant and the name of every submission it takes
(:meth:`submissions.queue.submission_queue.SubmissionQueue.enqueue`) with :func:`queue_field_problems`.
"""

from __future__ import annotations

from collections.abc import Mapping

from evaluator.core.public_text import field_problem, public_text_problems


def queue_field_problems(participant: str, name: object) -> list[str]:
    """The problems of a submission's participant name and codec name as the queue (and the board) show them."""
    return [p for key, value in (("participant", participant), ("name", name)) if (p := field_problem(key, value))]


def request_refusal(author: str, fields: Mapping[str, object]) -> str | None:
    """Why a hosted request's public fields cannot be queued (None: they can), one line per problem."""
    problems = queue_field_problems(author, fields.get("name", "codec"))
    manifest = fields.get("manifest") or {}
    if isinstance(manifest, Mapping):
        problems += [f"manifest: {p}" for p in public_text_problems(manifest)]
    else:
        problems.append(f"manifest must be an object (codec.toml as `challenge submit` sends it), "
                        f"not {type(manifest).__name__}")
    if not problems:
        return None
    return ("the request's public fields break the rules of codec.toml: " + "; ".join(problems)
            + ". Fix codec.toml (or the request) and submit again.")
