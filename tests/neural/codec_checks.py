"""What the neural codec tests share: a sky frame with every hard case, and checks every codec must pass."""

from __future__ import annotations

import numpy as np
import pytest

from evaluator.sdk.coding import BitstreamError


def sky_frame() -> np.ndarray:
    """37x53 (odd: padded patches) sky with a star, a cosmic ray, and the two end values."""
    rng = np.random.default_rng(0)
    sky = rng.normal(1200, 15, (37, 53))
    sky[10:14, 20:25] += 30000  # a star
    x = np.clip(sky, 0, 65535).astype(np.uint16)
    x[0, 0], x[5, 7], x[36, 52] = 0, 65535, 0
    x[20, 30] = 60000  # cosmic ray
    return x


def assert_other_weights_refused(codec, other, data: bytes) -> None:  # type: ignore[no-untyped-def]
    """A codec holding other weights refuses the stream by name; a truncated stream fails cleanly."""
    other.weights_sha256 = "0" * 64
    with pytest.raises(BitstreamError, match="weights sha256"):
        other.decode(data)
    with pytest.raises(BitstreamError):
        codec.decode(data[:-6])


def assert_checkpoint_round_trip(kind: str, track: str) -> None:
    """The committed checkpoint serving ``track`` codes a noisy crop with a saturated pixel bit-exactly."""
    from baselines.neural.checkpoints import checkpoint_path
    from baselines.neural.codec import load_codec

    if not checkpoint_path(kind, track).is_file():
        pytest.fail(f"committed checkpoint {checkpoint_path(kind, track).name} is missing")
    codec = load_codec(kind, track)
    rng = np.random.default_rng(3)
    shape = (3, 40, 45) if track.startswith("sdss-3d") else (40, 45)
    x = np.clip(rng.normal(1000, 8, shape), 0, 65535).astype(np.uint16)
    x[..., 3, 3] = 65535
    assert np.array_equal(codec.decode(codec.encode(x)), x)
