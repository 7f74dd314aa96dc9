"""Issue 24 item 2: a neural baseline reports its coding NLL beside the bytes, and the record carries it.

In process (``evaluate_inprocess``, as the baselines run with ``inprocess=True``): the record's ``coding_bpp``,
``side_bpp`` and ``coding_overhead`` come from the codec's ``Encoded`` report, and the bytes sit within a
fraction of a percent above the coding NLL (header and side information counted apart).
"""

from __future__ import annotations

import numpy as np
import pytest

from baselines.neural.checkpoints import checkpoint_path
from baselines.neural.multi import MultiTrackCodec
from evaluator.core.tracks import TRACKS
from evaluator.data.data_source import resolve_source
from evaluator.data.items import Item
from evaluator.results.records import ResultStore
from evaluator.run.evaluate import ItemsSource
from evaluator.run.inprocess import evaluate_inprocess
from evaluator.sdk.server import Encoded


def _crop() -> Item:
    """A 64x96 crop of the first synthetic Hubble frame (stars, cosmic rays and all)."""
    item = next(iter(resolve_source("synthetic", split="full_test").iter_items(TRACKS["hubble"])))
    return Item(id="crop", data=np.ascontiguousarray(item.data[:64, :96]), meta={})


@pytest.mark.slow
def test_inprocess_neural_record_carries_the_coding_nll() -> None:
    if not checkpoint_path("idf", "hubble").is_file():
        pytest.fail("committed checkpoint idf-hubble is missing")
    item = _crop()
    codec = MultiTrackCodec("idf")
    encoded = codec.for_track("hubble").encode(item.data)
    assert isinstance(encoded, Encoded) and encoded.coding_bits and encoded.side_bits  # passed through by multi.py
    store = ResultStore("memory://coding-report")
    (rec,) = evaluate_inprocess(codec, [TRACKS["hubble"]], ItemsSource({"hubble": [item]}), store, neural=True)
    assert rec.status == "ok", rec.failure
    row = store.items(rec.key).iloc[0]
    assert row["coding_bits"] == encoded.coding_bits and row["side_bits"] == encoded.side_bits  # both paths agree
    s, coding, side = rec.summary, encoded.coding_bits, encoded.side_bits
    assert s.coding_bpp == pytest.approx(coding / item.npix)
    assert s.side_bpp == pytest.approx(side / item.npix)
    payload = 8 * len(encoded) - side
    assert s.coding_overhead is not None and s.coding_overhead == pytest.approx(payload / coding - 1)
    print(f"IDF hubble 64x96: coding {s.coding_bpp:.4f} bpp, side {s.side_bpp:.4f} bpp, "
          f"bytes over coding NLL {100 * s.coding_overhead:+.3f} %")
    assert -0.01 <= s.coding_overhead <= 0.005
    assert store.read(rec.key).summary == s  # the JSON round trip keeps the fields exactly
