"""Neural baselines: IDF, L3C and PixelCNN++ as real (bit-exact, range-coded) codecs; VDM as a likelihood bound.

Importing this package does not import torch (the classical images have none);
`load_codec` imports `baselines.neural.codec` when called. Each model's module owns its
network, loss and chunk coding (`model_api`) and exports ``SPEC``; the codec, trainer and
checkpoint loader are generic (`models.MODELS`, built from the catalog's neural rows).

==================  ==============================================================
module              what
==================  ==============================================================
``common``          side information, 16-bit variants, frame residuals, the loss
``model_api``       the model interface (`NeuralModel`, `Chunk`) and its table row (`ModelSpec`)
``models``          ``MODELS``: catalog name -> the ``SPEC`` of ``baselines/neural/<name>.py``
``idf``             Integer Discrete Flows and their latent coder (configs ``paper``, ``small``, ``tiny``)
``l3c``             L3C and its coder (configs ``paper``, ``paper-3d``, ``small``, ``tiny``)
``pixelcnn``        PixelCNN++ as a chunk coder (the network: ``pixelcnn_net``)
``pixelcnn_net``    PixelCNN++'s network (configs ``paper``, ``small``, ``tiny``)
``pixelcnn_step``   PixelCNN++'s cached incremental step (one position per patch)
``pixelcnn_stream`` PixelCNN++ chunks <-> the range-coded stream, raster step by step
``exact``           exact inference: the same bits on every CPU
``vdm``             Variational Diffusion Model: the likelihood bound (not a codec)
``vdm_train``       ``python -m baselines.neural.vdm_train``
``vdm_estimate``    per-item VDM bounds with their spread
``vdm_records``     the bounds as *estimate* records (no torch)
``streams``         what the chunk coders share: mixture rows, probabilities, the ideal-length tally
``codec``           `NeuralCodec` (encode / decode, header checks), `load_codec`: one for every model
``checkpoints``     checkpoint files, weights sha256, building a model from its ``SPEC``
``track_plan``      which checkpoint serves a track, from the track's fields (no torch)
``data``            training crops from a data source's training split
``train``           ``python -m baselines.neural.train``
``real_val``        bits per pixel on the real (packaged) frames beside RICE, JPEG-XL max (sidecar:
                    ``real_val_sidecar``, no torch)
==================  ==============================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from baselines.neural.codec import NeuralCodec

__all__ = ["load_codec"]


def load_codec(model: str = "idf", track: str = "hubble", *, path: str | None = None) -> NeuralCodec:
    """The codec of the committed checkpoint of ``model`` serving ``track`` (imports torch)."""
    from baselines.neural.codec import load_codec as _load  # noqa: PLC0415 - keeps torch out of the package import

    return _load(model, track, path=path)
