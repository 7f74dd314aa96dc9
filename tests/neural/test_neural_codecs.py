"""Bit-exact round trips of the IDF and L3C codecs (tiny random models and the committed checkpoints)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from codec_checks import (
    assert_checkpoint_round_trip,
    assert_other_weights_refused,
    sky_frame,
)

from baselines.neural import common
from baselines.neural.checkpoints import (
    CheckpointError,
    load_checkpoint,
    weights_sha256,
)
from baselines.neural.codec import NeuralCodec
from baselines.neural.idf import IDF, IDF_CONFIGS
from baselines.neural.l3c import L3C, L3C_CONFIGS
from evaluator.sdk.coding import unpack_header


def _tiny(kind: str, variant: str = "direct", frames: int = 1, residual: bool = False) -> NeuralCodec:
    torch.manual_seed(1)
    c = frames * common.variant_channels(variant)
    model = IDF(IDF_CONFIGS["tiny"], c) if kind == "idf" else L3C(L3C_CONFIGS["tiny"], c)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))  # leave the identity initialisation: real translations
    model.eval()
    sha = weights_sha256(model.state_dict())
    return NeuralCodec(model, kind, variant, frames=frames, residual_input=residual, weights_sha256=sha, label="tiny")


def _items() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    x = sky_frame()
    return {
        "odd-2d": x,
        "random": rng.integers(0, 65536, (33, 31), dtype=np.uint16),
        "flat": np.full((32, 32), 65535, np.uint16),
        "tiny": np.array([[7]], np.uint16),
        "3d": np.stack([x, x + rng.integers(0, 20, x.shape, dtype=np.uint16), x[::-1].copy()]),
    }


@pytest.mark.parametrize("kind,variant", [("idf", "direct"), ("idf", "msb-lsb"), ("l3c", "direct"), ("l3c", "msb-lsb")])
def test_round_trip_tiny_models(kind: str, variant: str) -> None:
    codec = _tiny(kind, variant)
    for name, x in _items().items():
        data = codec.encode(x)
        assert codec.encode(x) == data, f"{name}: encoding is not deterministic"
        y = codec.decode(data)
        assert y.dtype == np.uint16 and y.shape == x.shape and np.array_equal(y, x), name


def test_l3c_frames_as_channels_and_residual_input() -> None:
    x = _items()["3d"]
    codec = _tiny("l3c", frames=3)
    assert np.array_equal(codec.decode(codec.encode(x)), x)
    with pytest.raises(ValueError, match="frames as channels"):
        codec.encode(x[0])
    res = _tiny("idf", residual=True)
    r = ((x[1].astype(np.int64) - x[0]) & 0xFFFF).astype(np.uint16)
    assert np.array_equal(res.decode(res.encode(r)), r)


def test_header_describes_the_stream() -> None:
    codec = _tiny("idf")
    x = _items()["odd-2d"]
    h, _ = unpack_header(codec.encode(x))
    assert h.shape == x.shape and h.dtype == "<u2" and h.model_id == "idf:tiny"
    assert h.weights_sha256 == codec.weights_sha256 and "torch" in h.float_env
    assert h.extra["variant"] == "direct" and h.extra["patch"] == 32


def test_other_weights_are_refused() -> None:
    codec = _tiny("l3c")
    data = codec.encode(_items()["odd-2d"])
    assert_other_weights_refused(codec, _tiny("l3c"), data)


def test_side_info_and_frames_invert() -> None:
    x = _items()["3d"]
    assert np.array_equal(common.planes_to_frames(common.frames_to_planes(x)), x)
    assert np.array_equal(common.join_variant(common.split_variant(x, "msb-lsb"), "msb-lsb"), x)
    info = common.side_info(common.split_variant(x, "direct")[None, :, :32, :32].reshape(3, 1, 32, 32))
    back = common.SideInfo.from_bytes(info.to_bytes(), 3, 1)
    assert np.array_equal(back.offsets, info.offsets) and np.array_equal(back.codes, info.codes)


@pytest.mark.parametrize("kind,track", [("idf", "sdss-2d"), ("l3c", "sdss-2d"), ("idf", "sdss-3d-time")])
def test_committed_checkpoint_round_trip(kind: str, track: str) -> None:
    assert_checkpoint_round_trip(kind, track)


def test_tampered_checkpoint_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from baselines.neural.checkpoints import save_checkpoint

    codec = _tiny("idf")
    path = tmp_path / "idf-x.pt"
    meta = save_checkpoint(path, codec.model, {"model": "idf", "config": IDF_CONFIGS["tiny"].to_dict(),
                                               "in_channels": 1, "variant": "direct", "dataset": "x"})
    assert load_checkpoint(path).sha256 == meta["sha256"]
    blob = torch.load(path, weights_only=True)
    blob["meta"]["sha256"] = "f" * 64
    torch.save(blob, path)
    with pytest.raises(CheckpointError, match="weights hash"):
        load_checkpoint(path)
