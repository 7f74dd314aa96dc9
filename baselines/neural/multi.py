"""One neural baseline image, every track: all checkpoints of a model behind one codec.

The image of ``idf`` (or ``l3c``) carries the checkpoint of every track. The
encoder picks the one serving its track (the evaluator names the track in
``$ASTROCOMPRESS_TRACK``: ``evaluator.sdk.server.current_track``; in process,
``for_track``); the decoder needs nothing but the bitstream: its header
records the weights sha256, which selects the checkpoint. Checkpoints load
lazily, each once, their hashes checked (``checkpoints.load_checkpoint``),
and run exactly (``baselines.neural.exact.make_exact``): a bitstream decodes
under any CPU dispatch, BLAS or thread count.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from baselines.model_names import OUR_MODELS
from baselines.neural.checkpoints import (
    CHECKPOINT_DIR,
    CheckpointError,
    checkpoint_path,
    load_checkpoint,
)
from baselines.neural.codec import NeuralCodec, codec_from_checkpoint
from baselines.neural.models import MODELS, frames_as_channels
from baselines.neural.real_val_sidecar import ready_info
from baselines.neural.track_plan import CheckpointPlan, plans
from evaluator.sdk.coding import BitstreamError, unpack_header
from evaluator.sdk.server import Encoded

# What a record names of the checkpoint that coded its items (from the checkpoint's metadata).
INFO_FIELDS: tuple[str, ...] = ("model", "config_name", "params", "variant", "sha256", "val_bpp", "steps", "minutes",
                                "data", "revision")


@dataclass(frozen=True)
class TrackCodec:
    """The codec of one track's checkpoint, with what the record should name (``info``)."""

    codec: NeuralCodec
    info: dict[str, Any]

    @property
    def name(self) -> str:
        return self.codec.name

    @property
    def title(self) -> str:
        return self.codec.title

    def encode(self, x: np.ndarray) -> Encoded:
        return self.codec.encode(x)  # with the codec's report (coding NLL, side bits), passed on as it is

    def decode(self, data: bytes) -> np.ndarray:
        return self.codec.decode(data)


class MultiTrackCodec:
    """Every checkpoint of ``model``; ``for_track`` gives the encoder of one track."""

    def __init__(self, model: str, folder: Path | None = None) -> None:
        if model not in MODELS:
            raise ValueError(f"unknown neural baseline {model!r}; choose one of {', '.join(MODELS)}")
        self.kind, self.folder = model, folder or CHECKPOINT_DIR
        self._by_path: dict[Path, NeuralCodec] = {}
        self._info: dict[Path, dict[str, Any]] = {}
        self._by_sha: dict[str, NeuralCodec] = {}

    @property
    def name(self) -> str:
        return self.kind

    @property
    def title(self) -> str:
        """The registry's display name (size and training data in it), never the paper's bare column name."""
        return OUR_MODELS[self.kind].title if self.kind in OUR_MODELS else MODELS[self.kind].title

    def preload(self) -> MultiTrackCodec:
        """Load (and hash-check) every checkpoint now: at image start-up, timed apart from the items."""
        served = plans(self.kind, frames_as_channels(self.kind)).values()
        for path in sorted({self.folder / p.filename for p in served if isinstance(p, CheckpointPlan)}):
            if path.is_file():
                self._codec(path)
        return self

    def _codec(self, path: Path) -> NeuralCodec:
        if path not in self._by_path:
            ckpt = load_checkpoint(path)
            codec = codec_from_checkpoint(ckpt, exact=True)  # the same bits on any CPU (baselines.neural.exact)
            self._info[path] = ({k: ckpt.meta.get(k) for k in INFO_FIELDS} | {"checkpoint": path.name}
                                | ready_info(path.with_suffix(".json")))  # its real-val bpp beside RICE's
            self._by_path[path] = codec
            self._by_sha[codec.weights_sha256] = codec
        return self._by_path[path]

    def for_track(self, track: str) -> TrackCodec:
        """The codec of the checkpoint serving ``track`` (``CheckpointError`` says why none does)."""
        path = checkpoint_path(self.kind, track, self.folder)
        return TrackCodec(self._codec(path), self._info[path])

    def encode(self, x: np.ndarray) -> bytes:
        raise CheckpointError(f"{self.kind}: no track given; the evaluator sets $ASTROCOMPRESS_TRACK, "
                              "in process use for_track(track).encode(x)")

    def decode(self, data: bytes) -> np.ndarray:
        header, _ = unpack_header(data)
        if header.weights_sha256 not in self._by_sha:
            self.preload()  # loads each checkpoint once (already done at an image's start-up)
        codec = self._by_sha.get(header.weights_sha256)
        if codec is None:
            raise BitstreamError(f"no {self.kind} checkpoint in this image has weights sha256 "
                                 f"{header.weights_sha256[:16]}...: the bitstream comes from another model")
        return codec.decode(data)
