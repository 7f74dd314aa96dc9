"""What every synthetic dataset generator shares: the file record, the seeding, the generator record.

A generator (one per dataset, named in the dataset table ``evaluator.data.datasets``)
is a :class:`SkyGenerator`: a function making one :class:`SyntheticFile` from a
:class:`FileKey` and the caller's overrides, a function giving the sample
shapes without the pixels, the overrides it accepts, and how the corpus driver
(``evaluator.data.synthetic_corpus``) names and groups its files.

Determinism: every random stream is ``numpy.random.default_rng([seed,
dataset index, file index, stream, *extra])`` (:meth:`FileKey.rng`), so the
same arguments give the same bytes whatever was generated before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, TypeGuard

import numpy as np

Size = Literal["small", "full"]
SMALL_FACTOR = 8  # linear reduction of "small" frames (SDSS: 800 -> 160)
SIZE_CODE: dict[str, int] = {"small": 0, "full": 1}


def is_size(value: str) -> TypeGuard[Size]:
    """Whether ``value`` names a corpus size (a key of ``SIZE_CODE``)."""
    return value in SIZE_CODE


STREAM_PARAMS, STREAM_FIELD, STREAM_NOISE, STREAM_DETECTOR, STREAM_DATE = 1, 2, 3, 4, 5
DETECTOR_INDEX = 10_000_000  # file index of the per-detector streams (plus a detector code)

_MJD_ZERO = datetime(1858, 11, 17)


def iso_from_mjd(mjd: float) -> str:
    return (_MJD_ZERO + timedelta(days=mjd)).isoformat(timespec="seconds")


@dataclass
class SyntheticFile:
    """One synthetic dataset file: its samples (uint16 arrays) and header-like facts."""

    samples: list[np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FileKey:
    """Which file is made: seed, dataset index (in ``evaluator.core.tracks.DATASETS``), file index, size."""

    seed: int
    ds: int
    index: int
    size: Size

    @property
    def size_code(self) -> int:
        return SIZE_CODE[self.size]

    def rng(self, stream: int, *extra: int, index: int | None = None) -> np.random.Generator:
        """The random stream ``stream`` of this file (``index`` replaces the file index, e.g. per detector)."""
        return np.random.default_rng([self.seed, self.ds, self.index if index is None else index, stream, *extra])


Overrides = dict[str, Any]
MakeFile = Callable[[FileKey, Overrides], SyntheticFile]
SampleShapes = Callable[[FileKey, Overrides], list[tuple[int, ...]]]


def _single_group(meta: Mapping[str, Any]) -> str:
    return ""


@dataclass(frozen=True)
class SkyGenerator:
    """One dataset's synthetic generator and how the corpus driver uses it.

    ``make`` and ``shapes`` take the file key and validated overrides;
    ``overrides`` lists the keys a caller may force. ``mjd_range`` is the
    observing epoch range (MJD) a ``date_obs`` is drawn from; None when
    ``make`` sets ``date_obs`` itself (SDSS, from its TAI list). The driver
    names files ``syn-<tag>[-<meta[id_field]>]-s<seed>-<index>``, and wants
    ``n_test`` test files of each of ``groups`` (``group_of(meta)`` says which
    group a file is in; ``tiny_*`` takes the first file of each group).
    """

    make: MakeFile
    shapes: SampleShapes
    overrides: frozenset[str]
    tag: str
    mjd_range: tuple[float, float] | None = None
    id_field: str | None = None
    groups: tuple[str, ...] = ("",)
    group_of: Callable[[Mapping[str, Any]], str] = _single_group
