"""The evaluation loop for a Python codec run in this process (no Docker).

Any object with ``name``, ``title``, ``encode(ndarray) -> bytes`` and
``decode(bytes) -> ndarray`` (:class:`PythonCodec`; the baselines'
classical codecs are such objects) runs through the same loop as a
container.

Used by the demo before any image is built and by the sandbox-overhead
benchmark. It times the same work a codec container does per request, so the
numbers compare with sandboxed ones (``scripts/bench_sandbox_overhead.py``):

- encode: ``np.load`` the item's ``.npy`` (written beforehand, untimed, as
  the sandbox does), encode, write the bitstream file;
- decode: read the bitstream file, decode, ``np.save`` the ``.npy``.

The decoded ``.npy`` then goes through the very same checks as a
container's output (``evaluator.sandbox.verify``). Records get profile
``inprocess`` and provenance ``verified`` (real bitstreams, round trip checked).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import numpy as np

from evaluator.core.failures import CodecFailure
from evaluator.core.json_types import JsonObject
from evaluator.core.tracks import Track
from evaluator.data.data_source import DataSource
from evaluator.results.fingerprints import Fingerprint
from evaluator.results.portability import PortableRun, Sample
from evaluator.results.records import ResultRecord, ResultStore
from evaluator.run.evaluate import CodecRunner, Progress, RunContext, evaluate_runner, offered, resolve
from evaluator.sandbox.profiles import PROFILES, fingerprint, grant
from evaluator.sandbox.protocol import Answer, CodecReport
from evaluator.sandbox.round_trip import RoundTrip
from evaluator.sandbox.verify import check_bound, load_decoded
from evaluator.sdk.server import TrackSpecific, call_encode, encode_report, supports_bound

PROFILE_NAME = "inprocess"


class PythonCodec(Protocol):
    """What the in-process loop needs of a codec."""

    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    def encode(self, x: np.ndarray) -> bytes: ...  # near-lossless: encode(x, max_abs_error=0)
    def decode(self, data: bytes) -> np.ndarray: ...


class InProcessCodec:
    """One :class:`PythonCodec` behind the :class:`CodecRunner` interface (for ``track``, when it cares)."""

    def __init__(self, codec: PythonCodec, track: str | None = None) -> None:
        self.codec, self.track = codec, track
        self.dir: Path | None = None
        self._seq = 0

    def open(self, first_raw_bytes: int) -> float:
        """Start-up: pick the track's model (as an image would at start), make the work folder."""
        t0 = time.perf_counter()
        if self.track and isinstance(self.codec, TrackSpecific):
            try:
                self.codec = self.codec.for_track(self.track)
            except Exception as exc:  # noqa: BLE001  (like an image that exits during start-up)
                raise CodecFailure("startup_failed", f"{type(exc).__name__}: {exc}") from exc
        self.dir = Path(tempfile.mkdtemp(prefix="astrocompress-inproc-"))
        return time.perf_counter() - t0

    def codec_info(self) -> JsonObject:
        """What the codec says of itself (its ``info`` mapping, as an image's ready line carries it)."""
        info = getattr(self.codec, "info", None)
        return dict(info) if isinstance(info, dict) else {}

    def encode_file(self, src: Path, dst: Path, max_abs_error: int = 0) -> Answer:
        """Encode as a container does; the seconds and the codec's report (read off an ``Encoded`` result as
        ``serve`` reads it for the ``ok`` answer, and checked the same way: both paths record the same)."""
        t0 = time.perf_counter()
        x = np.load(src, allow_pickle=False)
        data = call_encode(self.codec.encode, x, max_abs_error)
        with open(dst, "wb") as fh:
            fh.write(data)
        seconds = time.perf_counter() - t0
        report = CodecReport.parse(encode_report(data)).check_size(len(data))
        return Answer(seconds, report)

    def decode_file(self, src: Path, dst: Path) -> float:
        t0 = time.perf_counter()
        with open(src, "rb") as fh:
            data = fh.read()
        y = self.codec.decode(data)
        with open(dst, "wb") as fh:
            np.save(fh, y, allow_pickle=False)
        return time.perf_counter() - t0

    def round_trip(self, array: np.ndarray, max_abs_error: int = 0) -> RoundTrip:
        assert self.dir is not None, "open() first"
        self._seq += 1
        stem = self.dir / f"{self._seq:06d}"
        src, bit, out = stem.with_suffix(".npy"), stem.with_suffix(".bin"), stem.with_suffix(".out.npy")
        with open(src, "wb") as fh:
            np.save(fh, array, allow_pickle=False)
        try:
            answer = self.encode_file(src, bit, max_abs_error)
            bitstream = bit.read_bytes()
            dec_s = self.decode_file(bit, out)
            decoded = load_decoded(out.read_bytes(), array).copy()
            check_bound(decoded, array, max_abs_error)
        finally:
            for p in (src, bit, out):
                try:
                    os.unlink(p)
                except FileNotFoundError:
                    pass
        return RoundTrip(bitstream, answer.seconds, dec_s, decoded if max_abs_error else None, answer.report)

    def close(self) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def check_portable(self, samples: Sequence[Sample]) -> PortableRun | None:
        return None  # one process, one environment: records say "not checked"

    def stderr_tail(self, n: int = 2000) -> str:
        return ""

    def stderr_text(self) -> dict[str, str]:
        return {}


def inprocess_fingerprint(codec_name: str, src: DataSource) -> Fingerprint:
    """The fingerprint of an in-process run: this machine, no grant, and the codec it ran.

    ``inprocess_codec`` is per run (``evaluator.sandbox.profiles.PER_RUN_FIELDS``): the
    in-process runs of one machine share one machine fingerprint.
    """
    # In-process runs use whatever cores the process has; cpu-1 is the closest description.
    fp = fingerprint(PROFILES["cpu-1"], None, src, granted=grant(PROFILES["cpu-1"]))
    return replace(fp, profile=PROFILE_NAME, cores_granted=None, cpuset=None, memory_granted_bytes=None,
                   inprocess_codec=codec_name)


def evaluate_inprocess(
    codec: PythonCodec,
    tracks: list[Track],
    source: DataSource | str,
    store: ResultStore | str | None = None,
    *,
    submission: str | None = None,
    codec_name: str | None = None,
    progress: Progress | None = None,
    neural: bool = False,
) -> list[ResultRecord]:
    """Evaluate ``codec`` in this process; one record per track (``neural`` marks the records)."""
    src = resolve(source)
    ctx = RunContext(
        submission=submission or f"baseline-{codec.name}", codec=codec_name or codec.title,
        profile_name=PROFILE_NAME, fingerprint=inprocess_fingerprint(codec.name, src), neural=neural,
        store=ResultStore(store) if isinstance(store, str) else store, progress=progress,
    )

    def make_runner(track: Track) -> CodecRunner:
        return InProcessCodec(codec, track.name)

    tracks = offered(tracks, supports_bound(codec.encode), progress)  # lossless-only: no near-lossless track
    return evaluate_runner(make_runner, tracks, src, ctx)
