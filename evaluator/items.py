"""A test item: one uint16 array cut from one dataset file by a track."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from evaluator.data_source import DataSource
    from evaluator.tracks import Track


@dataclass
class Item:
    id: str  # unique within a (track, split): "<image_id>[.<sample>][.<cut>]"
    data: np.ndarray  # uint16, 2-4 dims, C-contiguous
    meta: dict[str, Any] = field(default_factory=dict)  # exptime, telescope, source file, ...

    @property
    def npix(self) -> int:
        return int(self.data.size)


def iter_items(track: Track, source: DataSource | str, *, split: str = "full_test") -> Iterator[Item]:
    """The test items of ``track`` from a data source (or a ``--data`` spec; see ``evaluator.data_source``)."""
    from evaluator.data_source import resolve_source

    resolved = resolve_source(source, split=split) if isinstance(source, str) else source
    return resolved.iter_items(track)
