"""The filters' choices in plain words: one table per filter, value -> what a visitor reads.

The values stay the records' own (``cpu-1``, ``inprocess``, ``paper``, ...):
the filters compare them; only the label a checkbox shows changes. A value
missing from a table (a new profile) shows as it is.
"""

from __future__ import annotations

from collections.abc import Iterable

PROFILE_WORDS: dict[str, str] = {
    "cpu-1": "1 CPU core (cpu-1)",
    "cpu-8": "8 CPU cores (cpu-8)",
    "gpu-1": "1 GPU + 8 cores (gpu-1)",
    "inprocess": "run in the platform's process (no container)",
    "paper": "the paper's own machines (Table 3)",
}
PROVENANCE_WORDS: dict[str, str] = {
    "verified": "measured here",
    "paper": "reported by the paper",
    "estimate": "estimates (likelihood bounds)",
}
KIND_WORDS: dict[str, str] = {
    "classical": "classical codecs",
    "neural": "neural codecs",
    "archive": "archive formats (fpack, bzip2, zstd, xz)",
}


def labelled(values: Iterable[str], words: dict[str, str]) -> list[tuple[str, str]]:
    """Checkbox choices ``(label, value)`` for ``values``."""
    return [(words.get(v, v), v) for v in values]
