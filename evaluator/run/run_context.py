"""What one evaluation is, as two frozen objects instead of long parameter lists.

- :class:`ImageRun`: the request to evaluate a codec image (``evaluator.run.evaluate.evaluate_image``):
  the image, the tracks, the data, the hardware profile, where records go and how the run is named.
- :class:`RunContext`: what the shared loop (``evaluator.run.evaluate.evaluate_runner``) needs besides the
  codec, the tracks and the data: the names a record carries, the run's
  :class:`~evaluator.results.fingerprints.Fingerprint` (which holds the image's
  :class:`~evaluator.results.image_identity.ImageIdentity`, the one copy of it), the manifest,
  the timing policy and where results and progress go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from evaluator.core.json_types import JsonObject
from evaluator.core.schema import ItemRow
from evaluator.core.tracks import Track
from evaluator.data.data_source import DataSource
from evaluator.results.fingerprints import Fingerprint
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ResultRecord
from evaluator.run.track_run import Progress
from evaluator.sandbox.profiles import Profile


class RecordSink(Protocol):
    """Where a run's records go: a :class:`ResultStore`, or a stand-in that keeps them (a campaign shard).

    ``items`` are the track's typed rows; a sink that needs the table makes it with
    :func:`evaluator.results.records.item_frame`.
    """

    def write(self, record: ResultRecord, items: Sequence[ItemRow]) -> str: ...


@dataclass(frozen=True)
class RunContext:
    """One evaluation's identity, policy and sinks (the codec, tracks and data are passed beside it)."""

    submission: str  # submission id (or baseline id)
    codec: str  # display name
    profile_name: str  # a hardware profile (cpu-1, ...) or "inprocess"
    fingerprint: Fingerprint  # carries the image identity (None in-process)
    manifest: JsonObject = field(default_factory=dict)  # codec.toml contents, if any
    neural: bool = False
    store: RecordSink | None = None  # receives every record with its rows; None stores nothing
    progress: Progress | None = None
    show_logs: bool = False  # public data: log the codec's stderr
    repeats: Callable[[float], int] | None = None  # the profile's timing policy; None times each item once

    @property
    def image(self) -> ImageIdentity | None:
        """The codec image measured (the fingerprint's; None for an in-process codec)."""
        return self.fingerprint.image


@dataclass(frozen=True)
class ImageRun:
    """A codec image to evaluate on ``tracks`` of ``source`` in the sandbox (see ``evaluate_image``).

    ``source`` is a data source, a ``--data`` spec string or an ``ItemsSource``; ``store`` a
    :class:`~evaluator.results.records.ResultStore`, its URL or another :class:`RecordSink` (None: nothing
    stored). ``image`` is the frozen :class:`~evaluator.results.image_identity.ImageIdentity` of a
    submission or baseline (the run refuses an engine image whose id differs, and keeps its ref and
    compressed size), or a plain name or id to inspect (``challenge test``). The compressed size is
    measured unless the identity holds it or ``measure_image_size`` is False; ``neural`` defaults to the
    manifest's ``base = "torch"``.
    """

    image: ImageIdentity | str
    tracks: Sequence[Track]
    source: DataSource | str
    profile: str | Profile = "cpu-1"
    store: RecordSink | str | None = None  # a store, its URL, or a stand-in
    submission: str | None = None
    codec_name: str | None = None
    manifest: JsonObject | None = None
    progress: Progress | None = None
    show_logs: bool | None = None
    measure_image_size: bool = True
    neural: bool | None = None


__all__ = ["ImageRun", "RecordSink", "RunContext"]
