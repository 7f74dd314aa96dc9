import pandas as pd
import pytest

from evaluator.results.records import ITEM_COLUMNS, Failure, ResultRecord, ResultStore


def _record(**kw):
    base = dict(submission="baseline-rice", codec="RICE", track="hubble", profile="cpu-1",
                split="synthetic-small-s0:full_test", provenance="verified", synthetic=True, status="ok",
                summary={"ratio_mean": 2.5})
    base.update(kw)
    return ResultRecord(**base)


def _items(n=2):
    return pd.DataFrame([{c: None for c in ITEM_COLUMNS} | {"item_id": f"i{k}", "npix": 100} for k in range(n)])


@pytest.mark.parametrize("url", ["memory://store-a", "LOCAL"])
def test_write_read_replace(url, tmp_path):
    store = ResultStore(str(tmp_path / "s") if url == "LOCAL" else url)
    key = store.write(_record(), _items())
    store.write(_record(summary={"ratio_mean": 3.0}), _items(3))  # rerun replaces
    assert store.keys() == [key]
    assert store.read(key).summary.ratio_mean == 3.0
    assert len(store.items(key)) == 3


def test_failure_round_trips_and_unknown_kinds_are_refused(tmp_path):
    store = ResultStore(str(tmp_path))
    rec = _record(status="failed", failure=Failure("not_lossless", "pixel (3, 4) differs", "x.0"))
    key = store.write(rec)
    assert store.read(key).failure == rec.failure
    with pytest.raises(ValueError):
        Failure("weird", "x")


def test_keys_are_safe_paths():
    rec = _record(submission="../../etc/passwd", split="hidden:my split")
    assert ".." not in rec.key and " " not in rec.key
