"""Every neural model serves the one generic codec, trainer and checkpoint loader through its ``SPEC``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from baselines.catalog import NEURAL_BASELINES  # noqa: E402
from baselines.neural import models  # noqa: E402
from baselines.neural.checkpoints import build_model  # noqa: E402
from baselines.neural.codec import NeuralCodec  # noqa: E402
from baselines.neural.data import make_batch  # noqa: E402
from baselines.neural.exact import make_exact  # noqa: E402
from baselines.neural.models import MODELS  # noqa: E402

CODER_METHODS = ("batch_bits", "max_symbol", "encode_chunk", "decode_chunk")


def test_the_model_table_is_the_catalogs_neural_rows() -> None:
    assert tuple(MODELS) == NEURAL_BASELINES
    assert all(MODELS[name].name == name for name in MODELS)


def test_a_module_without_a_spec_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match=r"baselines/neural/common\.py must export SPEC"):
        models._spec("common")


@pytest.mark.parametrize("name", NEURAL_BASELINES)
def test_each_model_trains_and_codes_through_the_generic_code(name: str) -> None:
    spec = MODELS[name]
    torch.manual_seed(0)
    net = build_model(name, spec.config("tiny"), 1)
    assert all(callable(getattr(net, m, None)) for m in CODER_METHODS)
    rng = np.random.default_rng(3)
    x = (1000 + rng.integers(0, 40, (40, 36))).astype(np.uint16)
    patches = x[:32, :32].reshape(1, 1, 32, 32).astype(np.int64)
    bits = net.batch_bits(make_batch(patches, "direct"), torch.device("cpu"))  # type: ignore[operator]
    assert bits.shape == (1,) and bool(torch.isfinite(bits).all()) and float(bits.detach().sum()) > 0
    net.eval()
    codec = NeuralCodec(make_exact(net) if spec.always_exact else net, name, "direct", label="tiny")
    assert codec.chunk == spec.chunk and codec.title.startswith(spec.title)
    data = codec.encode(x)
    assert np.array_equal(codec.decode(data), x)
