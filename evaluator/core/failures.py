"""Failure kinds: the one table, and the one exception the sandbox raises.

Every way an evaluation can fail is one :class:`FailureKind` row: whether it
belongs to one item (a failed item row is written) or to the whole run,
whose fault it is, what participants may read of it when the data is hidden
(DESIGN.md "Sandbox": logs of hidden-data runs are never shown, and a
codec's own error text could carry hidden pixels), and one sentence for the
person reading it. Records, the evaluation loop, campaigns and the CLI all
read this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from evaluator.sdk.errors import PlatformFault
from evaluator.sdk.named_table import NamedTable

Scope = Literal["item", "track"]
Fault = Literal["codec", "data", "platform", "organizer"]


@dataclass(frozen=True)
class FailureKind:
    name: str
    scope: Scope  # "item": the failure belongs to the item being processed; "track": to the whole run
    fault: Fault  # whose fault: the codec's (a verdict), the data's, the platform's, or an organizer's decision
    hidden_message: str | None  # shown instead of the codec's text on hidden data; None: the text is ours, safe
    sentence: str  # what it means and what to do, for the person who reads the failure


FAILURE_KIND_TABLE: tuple[FailureKind, ...] = (
    FailureKind("timeout", "item", "codec", "a request took longer than its time limit",
                "a request ran past its time limit (10 s + 60 s per megapixel on cpu-1); make the codec faster"),
    FailureKind("crash", "item", "codec", "the codec exited or reported an error",
                "the codec exited or answered ok=false; its stderr says why"),
    FailureKind("protocol", "item", "codec", "the codec broke the JSON-lines protocol",
                "the codec broke the JSON-lines protocol of challenge/CONTRACT.md"),
    FailureKind("not_lossless", "item", "codec", "the decoded item differs from the original",
                "the decoded array differs from the original in shape, dtype or bits"),
    FailureKind("bound_exceeded", "item", "codec", "a decoded pixel exceeds the track's error bound",
                "on a near-lossless track a decoded pixel differs from the original by more than the bound "
                "(the message names the worst pixel, its error and the bound); honour max_abs_error in the request"),
    FailureKind("oom", "item", "codec", "the codec ran out of memory",
                "the codec exceeded the profile's memory limit"),
    FailureKind("output_too_large", "item", "codec", "an output exceeded the size cap",
                "an output file exceeded its size cap"),
    FailureKind("extra_files", "item", "codec", "the codec wrote files besides the requested output",
                "the codec wrote files besides the requested output"),
    FailureKind("startup_timeout", "track", "codec", "the codec did not become ready in time",
                "the codec did not print its ready line within the startup limit"),
    FailureKind("startup_failed", "track", "codec", "the codec exited during startup",
                "the codec exited before it was ready"),
    FailureKind("data_error", "track", "data", None,
                "the data could not be read; the message names the file (not a verdict on the codec)"),
    FailureKind("image_error", "track", "codec", None,
                "the codec image could not be used (missing, unreadable, or runs as root)"),
    FailureKind("cancelled", "item", "organizer", None, "an organizer cancelled the run"),
    FailureKind("evaluator_error", "track", "platform", None,
                "the platform failed (a lost Dask task, an engine error): not a verdict on the codec; re-run"),
)

FAILURE_KINDS: NamedTable[FailureKind] = NamedTable("failure kind", FAILURE_KIND_TABLE)


def failure_kind(name: str) -> FailureKind:
    """The table row for ``name``; ``UnknownName`` (a ``ValueError``) naming the known kinds otherwise."""
    return FAILURE_KINDS[name]


class CodecFailure(PlatformFault):
    """A codec (or its image) failed: ``kind`` says how, ``message`` says what to do."""

    def __init__(self, kind: str, message: str, item_id: str | None = None, *, exited: bool = False) -> None:
        failure_kind(kind)
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.item_id = item_id
        self.exited = exited  # the codec closed its stdout (it exited or is exiting)
