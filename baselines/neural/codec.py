"""The neural baselines as real codecs: ``encode(uint16 array) -> bytes`` and back, bit-exact.

One codec for every model: each chunk goes to the model's own coder (`model_api.NeuralModel`:
``encode_chunk`` / ``decode_chunk``), its chunk size and title come from its row (`models.MODELS`).

Bitstream: `evaluator.sdk.coding.StreamHeader` (shape, dtype, model id, weights sha256, the
float environment, and in ``extra`` the variant, frame handling, patch and chunk sizes),
then the raw side information of every patch of every plane, then one range-coded
stream. A frame is cut into 32x32 patches after reflect padding
(`evaluator.sdk.coding.to_patches`); patches go through the network in chunks of
``CHUNK`` (the same chunks in encoder and decoder), on CPU, float32, one thread.

Items: 2D as they are (the ``jwst-2d-res`` checkpoint first shifts the residual by
2^15); 3D and 4D items as frames: IDF (and any 1-plane model) codes the first frame
then the residuals of the following frames (`common.frames_to_planes`), each as a 2D
image; a model trained with the frames as channels (L3C, PixelCNN++) codes them together.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import torch
from torch import nn

from baselines.neural import common
from baselines.neural.checkpoints import Checkpoint, checkpoint_path, load_checkpoint
from baselines.neural.exact import make_exact
from baselines.neural.model_api import Chunk, ModelSpec, NeuralModel
from baselines.neural.models import MODELS
from baselines.neural.pixelcnn_stream import real_pixels
from baselines.neural.streams import Tally
from evaluator.sdk.coding import (
    BitstreamError,
    MixtureRangeDecoder,
    MixtureRangeEncoder,
    StreamHeader,
    float_env_mismatches,
    float_environment,
    from_patches,
    pack_header,
    to_patches,
    unpack_header,
)
from evaluator.sdk.server import Encoded

log = logging.getLogger(__name__)

PATCH = 32


@dataclass
class NeuralCodec:
    """One trained model as a `evaluator.run.inprocess.PythonCodec` (``name``, ``title``, ``encode``, ``decode``)."""

    model: nn.Module
    kind: str
    variant: str = "direct"
    frames: int = 1
    """Planes the model takes at once (L3C with frames as channels: 3)."""
    residual_input: bool = False
    """2D items are residuals modulo 2^16 (jwst-2d-res): shift them by 2^15 first."""
    weights_sha256: str = ""
    label: str = ""
    last_ideal_bits: float = field(default=0.0, init=False)  # the last encode's model NLL (``measure``)
    last_coding_bits: float = field(default=0.0, init=False)  # ... and its NLL under the coder's distribution
    # (always: the encoder sums it as it codes, ``MixtureRangeEncoder.coding_bits``; the stream reports it too)
    measure: bool = False
    device: str = "cpu"
    """Where the network runs: ``"cpu"``, or ``"cuda"`` on a GPU profile (`codec_device`). The stream is the
    same on both for an exact model (`baselines.neural.exact`), so either side decodes the other's."""

    def __post_init__(self) -> None:
        if self.device != "cpu":
            exact_on_cuda()
        self.model = self.model.to(self.device)

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.label}" if self.label else self.kind

    @property
    def spec(self) -> ModelSpec:
        """The model's row (`baselines.neural.models.MODELS`): chunk size, title."""
        return MODELS[self.kind]

    @property
    def net(self) -> NeuralModel:
        """The model as a chunk coder (`baselines.neural.model_api.NeuralModel`)."""
        return cast(NeuralModel, self.model)  # every MODELS row builds an nn.Module that is one

    @property
    def title(self) -> str:
        return f"{self.spec.title} ({self.label or 'untrained'}, {self.variant})"

    @property
    def chunk(self) -> int:
        return self.spec.chunk

    @property
    def model_id(self) -> str:
        return f"{self.kind}:{self.label}"

    def _max_symbol(self) -> int:
        return self.net.max_symbol(self.variant)

    def _images(self, x: np.ndarray) -> list[np.ndarray]:
        return common.item_images(x, self.frames, self.residual_input)

    def _item(self, images: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
        return common.images_item(images, shape, self.frames, self.residual_input)

    def encode(self, x: np.ndarray) -> Encoded:
        x = np.asarray(x)
        if x.dtype != np.uint16 or not 2 <= x.ndim <= 4:
            raise ValueError(f"{self.name} encodes uint16 arrays of 2 to 4 dims, got {x.dtype} {x.shape}")
        header = StreamHeader(
            shape=tuple(int(d) for d in x.shape), dtype="<u2", model_id=self.model_id,
            weights_sha256=self.weights_sha256,
            float_env=float_environment(),
            extra={"variant": self.variant, "frames": self.frames, "residual_input": self.residual_input,
                   "patch": PATCH, "chunk": self.chunk, "kind": self.kind},
        )
        enc = MixtureRangeEncoder(max_symbol=self._max_symbol())
        tally = Tally(self.measure)
        side_parts = []
        with torch.no_grad():
            for image in self._images(x):
                patches, grid = to_patches(common.split_variant(image, self.variant), PATCH)
                info = common.side_info(patches)
                side_parts.append(info.to_bytes())
                real = real_pixels(grid)
                for start in range(0, patches.shape[0], self.chunk):
                    self._encode_chunk(patches[start : start + self.chunk], info, start, real, enc, tally)
        payload = enc.finish()
        self.last_ideal_bits, self.last_coding_bits = tally.bits, enc.coding_bits
        stream = pack_header(header) + b"".join(side_parts) + payload
        # the codec's own report beside the bytes (CONTRACT.md): the payload's coding NLL, header and side info apart
        return Encoded(stream, coding_bits=enc.coding_bits, side_bits=8 * (len(stream) - len(payload)))

    @property
    def dtype(self) -> torch.dtype:
        """The model's float type: float64 for an exact model (`baselines.neural.exact`), else float32.

        Encoder and decoder feed the network tensors of this one type, so every
        operation (a division by the patch scale, say) is the same on both sides.
        """
        return next(self.model.parameters(), next(self.model.buffers(), torch.zeros(()))).dtype

    def _chunk(self, info: common.SideInfo, start: int, n: int, real: np.ndarray) -> Chunk:
        s = torch.from_numpy(info.scales[start : start + n].copy()).to(self.device, self.dtype)
        off = torch.from_numpy(info.offsets[start : start + n].astype(np.float32)).to(self.device, self.dtype)
        return Chunk(s, off, info.codes[start : start + n], real[start : start + n], self._max_symbol(), PATCH)

    def _encode_chunk(self, p: np.ndarray, info: common.SideInfo, start: int, real: np.ndarray,
                      enc: MixtureRangeEncoder, tally: Tally) -> None:
        chunk = self._chunk(info, start, p.shape[0], real)
        u = (torch.from_numpy(p.astype(np.float32)).to(self.device, self.dtype)
             - chunk.offset.view(*chunk.offset.shape, 1, 1))
        self.net.encode_chunk(u.contiguous(), chunk, enc, tally)

    def decode(self, data: bytes) -> np.ndarray:
        header, pos = unpack_header(data)
        self._check_header(header)
        shape = header.shape
        template = np.zeros(shape, np.uint16)
        grids, infos = [], []
        for image in self._images(template):
            patches, grid = to_patches(common.split_variant(image, self.variant), PATCH)
            n, c = patches.shape[:2]
            try:
                infos.append(common.SideInfo.from_bytes(data[pos:], n, c))
            except ValueError as e:
                raise BitstreamError(f"{e}: the bitstream is truncated") from e
            grids.append(grid)
            pos += common.SideInfo.nbytes(n, c)
        dec = MixtureRangeDecoder(data[pos:], max_symbol=self._max_symbol())
        images = []
        try:
            with torch.no_grad():
                for grid, info in zip(grids, infos):
                    real = real_pixels(grid)
                    chunks = [self._decode_chunk(info, start, min(self.chunk, grid.count - start), real, dec)
                              for start in range(0, grid.count, self.chunk)]
                    ints = np.concatenate(chunks).astype(np.int64)
                    images.append(common.join_variant(from_patches(ints, grid), self.variant))
        except BitstreamError as e:
            diff = float_env_mismatches(header.float_env)
            hint = f"; float environment differs from the encoder's: {diff}" if diff else ""
            raise BitstreamError(f"{e}{hint}") from e
        return self._item(images, shape)

    def _decode_chunk(self, info: common.SideInfo, start: int, n: int, real: np.ndarray,
                      dec: MixtureRangeDecoder) -> np.ndarray:
        chunk = self._chunk(info, start, n, real)
        u = self.net.decode_chunk(chunk, dec)
        x = (u + chunk.offset.view(*chunk.offset.shape, 1, 1)).cpu().numpy()
        return np.rint(x).astype(np.int64)

    def _check_header(self, h: StreamHeader) -> None:
        if h.dtype != "<u2":
            raise BitstreamError(f"bitstream dtype {h.dtype!r}; {self.name} writes '<u2' only")
        if h.model_id != self.model_id:
            raise BitstreamError(f"bitstream was written by model {h.model_id!r}; this codec is {self.model_id!r}")
        if h.weights_sha256 != self.weights_sha256:
            raise BitstreamError(
                f"bitstream was written with weights sha256 {h.weights_sha256[:16]}..., this {self.name} codec holds "
                f"{self.weights_sha256[:16]}...: decode with the checkpoint that encoded it"
            )
        want = {"variant": self.variant, "frames": self.frames, "residual_input": self.residual_input,
                "patch": PATCH, "chunk": self.chunk, "kind": self.kind}
        got = {k: h.extra.get(k) for k in want}
        if got != want:
            raise BitstreamError(f"bitstream settings {got} differ from this codec's {want}")


def codec_device() -> str:
    """The device the evaluator granted (``ASTROCOMPRESS_GPUS``, CONTRACT.md §3): ``"cuda"`` when it is at least
    one and torch sees a GPU, else ``"cpu"`` (the variable absent, as outside the sandbox: the CPU). Every model's
    chunk coder runs on it (`baselines.neural.model_api.NeuralModel`)."""
    try:
        gpus = int(os.environ.get("ASTROCOMPRESS_GPUS", "0"))
    except ValueError:
        gpus = 0
    return "cuda" if gpus > 0 and torch.cuda.is_available() else "cpu"


def exact_on_cuda() -> None:
    """Exact convolutions on a GPU: sums of products only (no cuDNN: it may pick FFT or Winograd algorithms,
    which transform the inputs and are not exact; no TF32, which drops mantissa bits)."""
    torch.backends.cudnn.enabled = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def codec_from_checkpoint(ckpt: Checkpoint, *, exact: bool = False) -> NeuralCodec:
    """The checkpoint's codec; exact (``baselines.neural.exact``) as the images serve it when ``exact``, and
    always where its model asks (`ModelSpec.always_exact`: PixelCNN++, whose cached step agrees with its full
    pass, the likelihood it was validated with, only then)."""
    m = ckpt.meta
    model = make_exact(ckpt.model) if exact or MODELS[str(m["model"])].always_exact else ckpt.model
    return NeuralCodec(model=model, kind=str(m["model"]), variant=str(m["variant"]), frames=int(m.get("frames", 1)),
                       residual_input=bool(m.get("residual_input", False)), weights_sha256=ckpt.sha256,
                       label=str(m["dataset"]), device=codec_device())


def load_codec(model: str = "idf", track: str = "hubble", *, path: str | Path | None = None,
               exact: bool = False) -> NeuralCodec:
    """The codec of the committed checkpoint serving ``track`` (or the checkpoint at ``path``); ``exact``: as the
    images serve it (`baselines.neural.multi`)."""
    ckpt = load_checkpoint(Path(path) if path else checkpoint_path(model, track))
    return codec_from_checkpoint(ckpt, exact=exact)
