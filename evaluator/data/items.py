"""A test item: one uint16 array cut from one dataset file by a track."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Item:
    id: str  # unique within a (track, split): "<image_id>[.<sample>][.<cut>]"
    data: np.ndarray  # uint16, 2-4 dims, C-contiguous
    meta: dict[str, Any] = field(default_factory=dict)  # exptime, telescope, source file, ...

    @property
    def npix(self) -> int:
        return int(self.data.size)
