"""``challenge test``'s paired comparison with JPEG-XL (max) (challenge.cli.significance), on real stores."""

from __future__ import annotations

import numpy as np
from lb_factory import verified_record
from rich.console import Console

from baselines.registry import BASELINES
from challenge.cli.significance import comparisons, scratch_store, significance_table
from evaluator.results.records import ResultStore

LABEL = "synthetic-small-s0:full_test"


def _scaled(items, factor):
    out = items.copy()
    out["compressed_bytes"] = np.maximum(1, (out["compressed_bytes"] / factor).round()).astype(int)
    out["ratio"] = 16.0 * out["npix"] / (8.0 * out["compressed_bytes"])
    return out


def test_challenge_test_says_whether_the_codec_beats_jpegxl_max(tmp_path) -> None:
    baselines = ResultStore(str(tmp_path / "results"))
    ref, ref_items = verified_record("jpegxl-max", "hubble", n_items=10, seed=3)  # submission baseline-jpegxl-max
    baselines.write(ref, ref_items)
    ref_k, ref_k_items = verified_record("jpegxl-max", "keck", n_items=10, seed=3)
    baselines.write(ref_k, ref_k_items)

    mine = scratch_store()
    better, _ = verified_record("jpegxl-max", "hubble", codec="Mine", submission="local-test-Mine", n_items=10, seed=3)
    mine.write(better, _scaled(ref_items, 1.05))  # 5 % smaller on every item: significantly better
    same, _ = verified_record("jpegxl-max", "keck", codec="Mine", submission="local-test-Mine", n_items=10, seed=3)
    jitter = ref_k_items.copy()
    jitter["compressed_bytes"] = jitter["compressed_bytes"] + np.resize([2, -2], len(jitter))
    jitter["ratio"] = 16.0 * jitter["npix"] / (8.0 * jitter["compressed_bytes"])
    mine.write(same, jitter)  # a couple of bytes either way: not significantly different

    rows = comparisons([better, same], mine, baselines.url, LABEL, "cpu-1")
    verdicts = {rec.track: c.verdict for rec, c in rows}
    assert verdicts == {"hubble": "better", "keck": "tied"}
    hubble = next(c for rec, c in rows if rec.track == "hubble")
    assert hubble.n_shared == 10 and hubble.low > 0

    console = Console(record=True, width=160)
    console.print(significance_table(rows, mine))
    text = console.export_text()
    assert "significantly better" in text and "not significantly different" in text
    assert BASELINES["jpegxl-max"].title in text  # the registry's name of our run, not the paper's column
    # no baseline on the data label: nothing to compare, no error
    assert comparisons([better], mine, baselines.url, "another-label", "cpu-1") == []
