"""StoreReader: loads records, picks up new/changed/removed ones on refresh, caches items."""

from __future__ import annotations

import time
import uuid

import pytest
from lb_factory import failed_record, verified_record

from evaluator.results.records import ResultStore
from leaderboard.data.store_reader import StoreReader


@pytest.fixture(params=["file", "memory"])
def store_url(request, tmp_path) -> str:
    if request.param == "file":
        return str(tmp_path / "results")
    return f"memory://lb-{uuid.uuid4().hex}"


def test_refresh_sees_new_changed_and_removed_records(store_url: str) -> None:
    store = ResultStore(store_url)
    reader = StoreReader(store_url)
    assert reader.refresh() is False or reader.records_frame().empty
    assert reader.records_frame().empty

    rec, items = verified_record("jpegls", "hubble")
    key = store.write(rec, items)
    assert reader.refresh() is True
    frame = reader.records_frame()
    assert list(frame["key"]) == [key]
    assert frame.loc[0, "ratio_mean"] == pytest.approx(rec.summary.ratio_mean)
    assert frame.loc[0, "hardware"].startswith("Intel Xeon")
    v = reader.version
    assert reader.refresh() is False and reader.version == v  # nothing changed: no reload

    time.sleep(0.01)
    rec2, items2 = verified_record("jpegls", "hubble", seed=7)  # same key, new numbers
    assert rec2.key == key
    store.write(rec2, items2)
    assert reader.refresh() is True and reader.version > v
    assert reader.records_frame().loc[0, "ratio_mean"] == pytest.approx(rec2.summary.ratio_mean)
    assert reader.items(key)["ratio"].tolist() == pytest.approx(items2["ratio"].tolist())

    store.write(failed_record("sub-42", "hubble"))
    assert reader.refresh() is True
    failed = reader.records_frame().set_index("submission").loc["sub-42"]
    assert failed["status"] == "failed" and failed["failure_kind"] == "not_lossless"
    assert reader.items(failed["key"]).empty  # no item file: empty table, no error

    store.delete(key)
    assert reader.refresh() is True
    assert list(reader.records_frame()["submission"]) == ["sub-42"]


def test_items_are_cached_until_they_change(tmp_path) -> None:
    url = str(tmp_path / "r")
    store = ResultStore(url)
    rec, items = verified_record("rice", "lco")
    key = store.write(rec, items)
    reader = StoreReader(url)
    reader.refresh()
    first = reader.items(key)
    assert reader.items(key) is first  # cached object
    both = reader.items_for([key])
    assert set(both["codec"]) == {"RICE"} and len(both) == len(items)


def test_half_written_temporaries_are_ignored(tmp_path) -> None:
    url = str(tmp_path / "r")
    store = ResultStore(url)
    rec, items = verified_record("rice", "lco")
    key = store.write(rec, items)
    parent = store._path(key, ".json").rsplit("/", 1)[0]
    store.fs.pipe_file(f"{parent}/.tmp-abc", b"{not json")
    reader = StoreReader(url)
    reader.refresh()
    assert reader.keys() == [key]


def test_unreachable_store_keeps_serving_the_cache(tmp_path, monkeypatch) -> None:
    url = str(tmp_path / "r")
    store = ResultStore(url)
    store.write(*verified_record("rice", "lco"))
    reader = StoreReader(url)
    reader.refresh()

    def broken(*a, **k):
        raise OSError("network down")

    for name in ("listing", "changes_since", "file_infos"):  # a local store lists without fs.find
        monkeypatch.setattr(reader.store, name, broken)
    assert reader.refresh() is False
    assert "network down" in (reader.last_error or "")
    assert len(reader.records_frame()) == 1
