"""PixelCNN++: causal, its cached steps equal its full pass bit for bit (one resolution or the paper's three),
and it codes bit-exactly."""

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
    checkpoint_path,
    load_checkpoint,
    weights_sha256,
)
from baselines.neural.codec import NeuralCodec, load_codec
from baselines.neural.exact import make_exact
from baselines.neural.pixelcnn import (
    PIXELCNN_CONFIGS,
    PixelCNN,
    PixelCNNConfig,
    coupling_pairs,
)
from baselines.neural.pixelcnn_step import CachedPixelCNN
from baselines.neural.pixelcnn_stream import real_pixels
from evaluator.sdk.coding import to_patches

PAPER_TRACKS = ("lco", "keck", "hubble", "jwst-2d", "jwst-2d-res", "sdss-2d", "sdss-3d-lambda", "sdss-3d-time")


# The paper's structure (3 resolutions, 5 resnets) at a width a test can afford.
PIXELCNN_CONFIGS_FOR_TESTS = {**PIXELCNN_CONFIGS,
                              "paper-narrow": PixelCNNConfig(filters=8, resnets=5, levels=3, mixtures=3)}


def _model(config: str, channels: int, seed: int = 1) -> PixelCNN:
    torch.manual_seed(seed)
    m = PixelCNN(PIXELCNN_CONFIGS_FOR_TESTS[config], channels)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.05 * torch.randn_like(p))  # off the initialisation: every weight matters
    return m.eval()


def _codec(variant: str = "direct", frames: int = 1, config: str = "tiny") -> NeuralCodec:
    model = _model(config, frames * common.variant_channels(variant))
    return NeuralCodec(make_exact(model), "pixelcnn", variant, frames=frames,
                       weights_sha256=weights_sha256(model.state_dict()), label=config)


@pytest.mark.parametrize("config,channels", [("tiny", 1), ("small", 3), ("paper-narrow", 1)])
def test_each_output_sees_only_the_pixels_before_it(config: str, channels: int) -> None:
    m = _model(config, channels)
    x = torch.randn(1, channels, 32, 32, requires_grad=True)
    head = m(x)
    for i, j in ((0, 0), (13, 17), (31, 31), (5, 0)):
        (g,) = torch.autograd.grad(head[0, :, i, j].sum(), x, retain_graph=True)
        seen = g[0].abs().sum(0) > 0
        allowed = torch.zeros_like(seen)
        allowed[:i] = True
        allowed[i, :j] = True
        assert not bool((seen & ~allowed).any()), f"{config}: output ({i}, {j}) sees a later pixel"
        if (i, j) == (13, 17):
            assert int(seen.sum()) > 40  # and a real context, not nothing


def test_the_paper_configuration_has_the_papers_size() -> None:
    n_params = sum(p.numel() for p in PixelCNN(PIXELCNN_CONFIGS["paper"], 1).parameters())
    assert n_params == pytest.approx(53.6e6, rel=0.01)


def test_channels_are_coupled_within_groups_of_three() -> None:
    assert coupling_pairs(3) == [[], [0], [0, 1]]
    assert coupling_pairs(6) == [[], [0], [0, 1], [], [3], [3, 4]]  # 3 LSB then 3 MSB channels, separately (C.1)
    assert coupling_pairs(2) == [[], [0]]


@pytest.mark.parametrize("config,channels", [("tiny", 1), ("small", 3), ("paper-narrow", 3)])
def test_cached_steps_equal_the_full_pass_bit_for_bit_on_the_exact_network(config: str, channels: int) -> None:
    exact = make_exact(_model(config, channels))
    n, size = 3, 32
    xn = torch.randn(n, channels, size, size, dtype=torch.float64) * 3
    xn[0, :, 4, 4] = 4000.0  # a star: far off the grid's usual range
    with torch.no_grad():
        full = exact(xn)
        cache = CachedPixelCNN(exact, n, size)
        for i in range(size):
            cache.start_row(i)
            for j in range(size):
                assert torch.equal(cache.head(i, j), full[:, :, i, j]), f"step ({i}, {j}) differs from the full pass"
                cache.put(j, xn[:, :, i, j])


@pytest.mark.parametrize("config", ["tiny", pytest.param("paper-narrow", marks=pytest.mark.slow)])
def test_cached_steps_approximate_the_float_network(config: str) -> None:
    m = _model(config, 1)
    xn = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        full = m(xn)
        cache = CachedPixelCNN(m, 2, 32)
        worst = 0.0
        for i in range(32):
            cache.start_row(i)
            for j in range(32):
                worst = max(worst, float((cache.head(i, j) - full[:, :, i, j]).abs().max()))
                cache.put(j, xn[:, :, i, j])
    assert worst < 1e-4


def test_the_cached_decoder_refuses_what_it_cannot_run() -> None:
    with pytest.raises(ValueError, match="3 resolutions needs patches whose side divides by 4, not 30"):
        CachedPixelCNN(_model("paper-narrow", 1), 1, 30)
    with pytest.raises(ValueError, match="eval"):
        CachedPixelCNN(PixelCNN(PIXELCNN_CONFIGS["tiny"], 1).train(), 1, 32)
    cache = CachedPixelCNN(_model("tiny", 1), 1, 32)
    with pytest.raises(ValueError, match="rows go in order"):
        cache.start_row(1)


def _items() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"odd-2d": sky_frame(), "random": rng.integers(0, 65536, (20, 31), dtype=np.uint16),
            "flat": np.full((5, 32), 65535, np.uint16), "one-pixel": np.array([[7]], np.uint16)}


@pytest.mark.parametrize("variant", ["direct", pytest.param("msb-lsb", marks=pytest.mark.slow)])  # msb-lsb: 13 s
def test_round_trips_of_a_tiny_model(variant: str) -> None:
    codec = _codec(variant)
    for name, x in _items().items():
        data = codec.encode(x)
        if name == "odd-2d":
            assert codec.encode(x) == data, f"{name}: encoding is not deterministic"
        y = codec.decode(data)
        assert y.dtype == np.uint16 and np.array_equal(y, x), name


def test_the_papers_three_resolutions_round_trip_by_cached_steps() -> None:
    """levels=3 (the paper's structure, narrow): encoder and decoder run the cached step at all three
    resolutions, so the stream decodes bit for bit; the last coded pixel is in the stream."""
    codec = _codec(config="paper-narrow")
    x = sky_frame()[:12, :40].copy()  # two patches, cut by the frame's edges: 384 steps, every resolution's rows
    data = codec.encode(x)
    assert np.array_equal(codec.decode(data), x)
    x[11, 39] += 1
    assert codec.encode(x) != data


def test_frames_as_channels_and_a_wrong_model_refused() -> None:
    x2 = _items()["odd-2d"]
    x = np.stack([x2, x2 + np.uint16(3), x2[::-1].copy()])
    codec = _codec(frames=3)
    data = codec.encode(x)
    assert np.array_equal(codec.decode(data), x)
    assert_other_weights_refused(codec, _codec(frames=3), data)


def test_padding_is_not_coded() -> None:
    _, grid = to_patches(np.zeros((37, 53), np.uint16), 32)
    real = real_pixels(grid)
    assert real.shape == (4, 32, 32) and int(real.sum()) == 37 * 53
    assert real[0].all() and not real[3, 5:, :].any() and not real[1, :, 21:].any()
    codec = _codec()
    x = _items()["odd-2d"]
    codec.measure = True
    small = len(codec.encode(x))
    padded = np.pad(x, ((0, 64 - 37), (0, 64 - 53)), mode="reflect")
    assert small < 0.8 * len(codec.encode(padded))  # 37x53 of 64x64 pixels: the padding costs nothing


def test_committed_checkpoints_serve_every_paper_track() -> None:
    for track in PAPER_TRACKS:
        path = checkpoint_path("pixelcnn", track)
        assert path.is_file(), f"committed checkpoint {path.name} is missing"
        meta = load_checkpoint(path).meta
        assert meta["model"] == "pixelcnn" and meta["config"]["levels"] == 1 and meta["steps"] > 100
        assert meta["in_channels"] == (3 if track.startswith("sdss-3d") else 1)


@pytest.mark.parametrize("track", ["sdss-2d", pytest.param("sdss-3d-time", marks=pytest.mark.slow)])  # 3D: 12 s
def test_committed_checkpoint_round_trip(track: str) -> None:
    assert_checkpoint_round_trip("pixelcnn", track)


@pytest.mark.slow  # a training run, validated on the real (packaged) frames too (~6 s)
def test_training_writes_a_checkpoint_that_codes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from baselines.neural.train import main

    # 1.2 s of training: ~50 steps of the tiny model here (the point is a checkpoint that codes, not a good one)
    path = main(["--model", "pixelcnn", "--track", "keck", "--minutes", "0.02", "--config", "tiny",
                 "--variant", "direct", "--batch", "8", "--lr", "2e-3", "--out", str(tmp_path / "pixelcnn-keck.pt")])
    ckpt = load_checkpoint(path)
    assert ckpt.meta["steps"] >= 3 and np.isfinite(ckpt.meta["val_bpp"]) and 0 < ckpt.meta["val_bpp"] < 16
    real = ckpt.meta["validation"]["real_packaged"]  # measured, or why not (frames not fetched in this cache)
    assert (real["bpp"] is None and "fetch-packaged" in real["reason"]) or real["rice_bpp"] > 0, real
    codec = load_codec("pixelcnn", "keck", path=path)
    x = _items()["odd-2d"]
    assert np.array_equal(codec.decode(codec.encode(x)), x)


def test_the_image_describes_the_checkpoints_it_serves() -> None:
    """The board shows the image's description: its filters, resnets and components are the checkpoints'."""
    import re  # noqa: PLC0415
    import tomllib  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    toml = Path(__file__).resolve().parents[2] / "baselines" / "images" / "neural" / "pixelcnn" / "codec.toml"
    text = tomllib.loads(toml.read_text(encoding="utf-8"))["description"].replace("one resolution", "1 resolution")
    patterns = {"filters": r"(\d+) filters", "resnets": r"(\d+) gated resnet", "mixtures": r"(\d+) logistic",
                "levels": r"(\d+) resolution"}
    said = {}
    for key, pattern in patterns.items():
        m = re.search(pattern, text)
        assert m, f"the description does not give its {key}"
        said[key] = int(m.group(1))
    for track in PAPER_TRACKS:
        config = load_checkpoint(checkpoint_path("pixelcnn", track)).meta["config"]
        assert {k: config[k] for k in said} == said, track
