"""The IDF and L3C baselines as real codecs: ``encode(uint16 array) -> bytes`` and back, bit-exact.

Bitstream: `evaluator.coding.StreamHeader` (shape, dtype, model id, weights sha256, the
float environment, and in ``extra`` the variant, frame handling, patch and chunk sizes),
then the raw side information of every patch of every plane, then one range-coded
stream. A frame is cut into 32x32 patches after reflect padding
(`evaluator.coding.to_patches`); patches go through the network in chunks of
``CHUNK`` (the same chunks in encoder and decoder), on CPU, float32, one thread.

Items: 2D as they are (the ``jwst-2d-res`` checkpoint first shifts the residual by
2^15); 3D and 4D items as frames: IDF (and any 1-plane model) codes the first frame
then the residuals of the following frames (`common.frames_to_planes`), each as a 2D
image; an L3C model trained with the frames as channels codes them together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from baselines.neural import common
from baselines.neural.checkpoints import Checkpoint, checkpoint_path, load_checkpoint
from baselines.neural.exact import make_exact
from baselines.neural.pixelcnn_stream import (
    pixelcnn_decode,
    pixelcnn_encode,
    real_pixels,
)
from baselines.neural.streams import (
    LATENT_MAX_SYMBOL,
    Tally,
    idf_decode,
    idf_encode,
    l3c_decode,
    l3c_encode,
)
from evaluator.coding import (
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

log = logging.getLogger(__name__)

PATCH = 32
CHUNK = 256
CHUNK_OF_KIND: dict[str, int] = {"pixelcnn": 1024}
"""Patches coded together: PixelCNN++ advances a chunk's patches together through 1,024 raster steps."""
TITLE_OF_KIND: dict[str, str] = {"idf": "IDF", "l3c": "L3C", "pixelcnn": "PixelCNN++"}


@dataclass
class NeuralCodec:
    """One trained model as a `evaluator.inprocess.PythonCodec` (``name``, ``title``, ``encode``, ``decode``)."""

    model: nn.Module
    kind: str
    variant: str = "direct"
    frames: int = 1
    """Planes the model takes at once (L3C with frames as channels: 3)."""
    residual_input: bool = False
    """2D items are residuals modulo 2^16 (jwst-2d-res): shift them by 2^15 first."""
    weights_sha256: str = ""
    label: str = ""
    last_ideal_bits: float = field(default=0.0, init=False)
    measure: bool = False

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.label}" if self.label else self.kind

    @property
    def title(self) -> str:
        return f"{TITLE_OF_KIND.get(self.kind, self.kind.upper())} ({self.label or 'untrained'}, {self.variant})"

    @property
    def chunk(self) -> int:
        return CHUNK_OF_KIND.get(self.kind, CHUNK)

    @property
    def model_id(self) -> str:
        return f"{self.kind}:{self.label}"

    def _max_symbol(self) -> int:
        return LATENT_MAX_SYMBOL if self.kind == "idf" else common.variant_max_symbol(self.variant)

    def _images(self, x: np.ndarray) -> list[np.ndarray]:
        return common.item_images(x, self.frames, self.residual_input)

    def _item(self, images: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
        return common.images_item(images, shape, self.frames, self.residual_input)

    def encode(self, x: np.ndarray) -> bytes:
        x = np.asarray(x)
        if x.dtype != np.uint16 or not 2 <= x.ndim <= 4:
            raise ValueError(f"{self.name} encodes uint16 arrays of 2 to 4 dims, got {x.dtype} {x.shape}")
        torch.set_num_threads(1)
        header = StreamHeader(
            shape=tuple(int(d) for d in x.shape), dtype="<u2", model_id=self.model_id, weights_sha256=self.weights_sha256,
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
        self.last_ideal_bits = tally.bits
        return pack_header(header) + b"".join(side_parts) + enc.finish()

    @property
    def dtype(self) -> torch.dtype:
        """The model's float type: float64 for an exact model (`baselines.neural.exact`), else float32.

        Encoder and decoder feed the network tensors of this one type, so every
        operation (a division by the patch scale, say) is the same on both sides.
        """
        return next(self.model.parameters(), next(self.model.buffers(), torch.zeros(()))).dtype

    def _tensors(self, info: common.SideInfo, start: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        s = torch.from_numpy(info.scales[start : start + n].copy()).to(self.dtype)
        off = torch.from_numpy(info.offsets[start : start + n].astype(np.float32)).to(self.dtype)
        return s, off

    def _encode_chunk(self, p: np.ndarray, info: common.SideInfo, start: int, real: np.ndarray, enc: MixtureRangeEncoder,
                      tally: Tally) -> None:
        s, off = self._tensors(info, start, p.shape[0])
        u = torch.from_numpy(p.astype(np.float32)).to(self.dtype) - off.view(*off.shape, 1, 1)
        if self.kind == "idf":
            idf_encode(self.model, u.contiguous(), s, enc, tally)  # type: ignore[arg-type]
        elif self.kind == "pixelcnn":
            n = p.shape[0]
            pixelcnn_encode(self.model, u.contiguous(), s, info.codes[start : start + n], off,  # type: ignore[arg-type]
                            real[start : start + n], enc, tally, self._max_symbol())
        else:
            l3c_encode(self.model, u.contiguous(), s, off, enc, tally, self._max_symbol())  # type: ignore[arg-type]

    def decode(self, data: bytes) -> np.ndarray:
        header, pos = unpack_header(data)
        self._check_header(header)
        shape = header.shape
        torch.set_num_threads(1)
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
        s, off = self._tensors(info, start, n)
        if self.kind == "idf":
            u = idf_decode(self.model, s, dec, n, PATCH)  # type: ignore[arg-type]
        elif self.kind == "pixelcnn":
            u = pixelcnn_decode(self.model, s, info.codes[start : start + n], off,  # type: ignore[arg-type]
                                real[start : start + n], dec, n, PATCH)
        else:
            u = l3c_decode(self.model, s, off, dec, n, PATCH)  # type: ignore[arg-type]
        x = (u + off.view(*off.shape, 1, 1)).numpy()
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


def codec_from_checkpoint(ckpt: Checkpoint) -> NeuralCodec:
    """The checkpoint's codec; PixelCNN++ always exact (its encoder's full pass and decoder's steps agree only then)."""
    m = ckpt.meta
    model = make_exact(ckpt.model) if m["model"] == "pixelcnn" else ckpt.model
    return NeuralCodec(model=model, kind=str(m["model"]), variant=str(m["variant"]), frames=int(m.get("frames", 1)),
                       residual_input=bool(m.get("residual_input", False)), weights_sha256=ckpt.sha256,
                       label=str(m["dataset"]))


def load_codec(model: str = "idf", track: str = "hubble", *, path: str | Path | None = None) -> NeuralCodec:
    """The codec of the committed checkpoint serving ``track`` (or the checkpoint at ``path``)."""
    ckpt = load_checkpoint(Path(path) if path else checkpoint_path(model, track))
    return codec_from_checkpoint(ckpt)
