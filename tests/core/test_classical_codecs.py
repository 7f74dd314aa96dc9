import numpy as np
import pytest

from baselines.classical import CODECS, get_codec
from baselines.classical.bitstream_header import BitstreamError


def _sky(shape, seed=0):
    rng = np.random.default_rng(seed)
    base = 1000 + 30 * np.sin(np.linspace(0, 3, shape[-1]))[None, :]
    return (base + rng.normal(0, 8, shape)).clip(0, 65535).astype(np.uint16)


@pytest.mark.parametrize("name", list(CODECS))
@pytest.mark.parametrize("shape", [(37, 53), (3, 32, 40), (2, 5, 24, 16)])
def test_round_trip_is_bit_exact(name, shape):
    codec = CODECS[name]
    x = _sky(shape)
    x[0, 0] = 65535  # saturated pixel
    data = codec.encode(x)
    y = codec.decode(data)
    assert y.dtype == np.uint16 and y.shape == x.shape
    assert np.array_equal(x, y)
    assert len(data) < x.nbytes  # real compression of a noisy sky


def test_bitstream_is_self_describing_and_deterministic():
    x = _sky((40, 40))
    assert CODECS["rice"].encode(x) == CODECS["rice"].encode(x.copy())
    with pytest.raises(BitstreamError):
        CODECS["rice"].decode(b"garbage")


def test_rejects_wrong_dtype_and_names_the_fix():
    with pytest.raises(TypeError, match="uint16"):
        CODECS["jpegls"].encode(np.zeros((8, 8), np.float32))
    with pytest.raises(KeyError, match="choose one of"):
        get_codec("png")
