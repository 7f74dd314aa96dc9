"""The change journal: a refresh of a local store stats only the keys written since the last one, and a
full listing still finds what the journal cannot know (files copied in, a replaced journal)."""

from __future__ import annotations

import shutil
import threading

from lb_factory import verified_record

from evaluator.results.records import ResultStore
from evaluator.results.store_changes import JOURNAL_NAME, ChangeJournal
from leaderboard.data import store_reader
from leaderboard.data.store_reader import StoreReader


def _write(store: ResultStore, i: int) -> str:
    rec, items = verified_record("jpegls", "hubble", codec=f"codec-{i:03d}", submission=f"sub-{i:03d}", seed=i)
    return store.write(rec, items)


def test_journal_notes_writes_and_deletes_once_each(tmp_path) -> None:
    store = ResultStore(str(tmp_path / "results"))
    assert store.changes_since(None) == ([], None)  # no journal yet: nothing noted
    a, b = _write(store, 1), _write(store, 2)
    keys, cursor = store.changes_since(None)
    assert keys == [a, b]
    assert store.changes_since(cursor) == ([], cursor)
    _write(store, 1)
    store.delete(b)
    keys, later = store.changes_since(cursor)
    assert keys == [a, b] and later.offset > cursor.offset
    jsons, parquets = store.file_infos([a, b])
    assert set(jsons) == set(parquets) == {a}  # a deleted key has no files
    assert jsons[a] == store.listing()[0][a]  # the same metadata a full listing reports


def test_a_half_written_line_waits_and_a_replaced_journal_says_so(tmp_path) -> None:
    journal = ChangeJournal(str(tmp_path / JOURNAL_NAME))
    journal.append("s/t/p/x")
    with open(journal.path, "ab") as fh:
        fh.write(b"s/t/p/y")  # a writer in the middle of its line
    keys, cursor = journal.since(None)
    assert keys == ["s/t/p/x"]
    with open(journal.path, "ab") as fh:
        fh.write(b"\n")
    assert journal.since(cursor)[0] == ["s/t/p/y"]
    (tmp_path / JOURNAL_NAME).unlink()
    journal.append("s/t/p/z")  # a new file: the old cursor cannot be trusted
    assert journal.since(cursor) is None


def test_concurrent_writers_never_interleave_lines(tmp_path) -> None:
    journal = ChangeJournal(str(tmp_path / JOURNAL_NAME))
    keys = [f"sub-{w}/hubble/cpu-1/split-{i:04d}" for w in range(4) for i in range(300)]
    threads = [threading.Thread(target=lambda w=w: [journal.append(k) for k in keys if k.startswith(f"sub-{w}/")])
               for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    noted, _ = journal.since(None)
    assert sorted(noted) == sorted(keys)


def test_refresh_uses_the_journal_and_lists_the_store_now_and_then(tmp_path, monkeypatch) -> None:
    store = ResultStore(str(tmp_path / "results"))
    for i in range(5):
        _write(store, i)
    reader = StoreReader(store.url)
    reader.refresh()
    assert reader.full_listings == 1 and len(reader.keys()) == 5

    def no_listing(*a, **k):
        raise AssertionError("listed the whole store although the journal knows what changed")

    monkeypatch.setattr(reader.store, "listing", no_listing)
    new = _write(store, 10)
    assert reader.refresh() is True and new in reader.keys()
    assert reader.refresh() is False  # nothing noted since
    store.delete(new)
    assert reader.refresh() is True and new not in reader.keys()
    monkeypatch.undo()

    # a record copied in by hand is not in the journal: the next full listing finds it
    other = ResultStore(str(tmp_path / "elsewhere"))
    copied = _write(other, 20)
    shutil.copytree(tmp_path / "elsewhere" / "records" / "sub-020", tmp_path / "results" / "records" / "sub-020")
    assert reader.refresh() is False and copied not in reader.keys()
    monkeypatch.setattr(store_reader, "FULL_LISTING_S", 0.0)
    assert reader.refresh() is True and copied in reader.keys()
    assert reader.full_listings == 2


def test_a_replaced_journal_falls_back_to_a_full_listing(tmp_path) -> None:
    store = ResultStore(str(tmp_path / "results"))
    _write(store, 1)
    reader = StoreReader(store.url)
    reader.refresh()
    (tmp_path / "results" / JOURNAL_NAME).unlink()
    new = _write(store, 2)  # a fresh journal file: the reader's cursor points into the old one
    assert reader.refresh() is True and new in reader.keys() and reader.full_listings == 2
