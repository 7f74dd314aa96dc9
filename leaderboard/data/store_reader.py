"""Read a results store into pandas tables, with caching and cheap refresh.

The store is ``evaluator.results.records.ResultStore`` at any fsspec URL (a local
folder by default, ``hf://datasets/ORG/NAME`` when hosted). ``refresh()``
re-lists the record files with their metadata (size plus mtime, etag or blob
id, whatever the filesystem reports) and reloads only records that are new or
changed, so a running app picks up new results without a restart.

Per-item tables (Parquet) are loaded lazily, on first use, and cached with
the same change signature.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evaluator.core.schema import ITEM_COLUMNS
from evaluator.results.records import ResultRecord, ResultStore
from evaluator.results.store_changes import JournalCursor
from leaderboard.data.item_signatures import ItemSignatures
from leaderboard.data.ranking import ItemRatios
from leaderboard.data.record_rows import RECORD_COLUMNS, record_row

log = logging.getLogger(__name__)

# Metadata fields that change when a file changes, across fsspec backends
# (local: mtime; memory: created; s3/gcs: ETag/etag/md5; hf: blob_id / lfs).
_SIGNATURE_FIELDS = ("mtime", "created", "LastModified", "last_modified", "etag", "ETag",
                     "md5Hash", "blob_id", "lfs")

FULL_LISTING_S = 60.0  # with a change journal, list the whole store at most this often (files copied in)
PARALLEL_READ_MIN = 32  # records to (re)load before reading them on a thread pool
READ_THREADS = 8


def file_signature(info: dict[str, Any]) -> str:
    parts = [str(info.get("size"))]
    for name in _SIGNATURE_FIELDS:
        if info.get(name) is not None:
            parts.append(f"{name}={info[name]}")
    return "|".join(parts)


def _signatures(infos: dict[str, dict[str, Any]], memo: dict[str, tuple[dict[str, Any], str]]) -> dict[str, str]:
    """``file_signature`` of each listed file, re-using the last one while the listing hands back the same
    metadata object (``evaluator.results.store_changes.LocalListing`` does for an unchanged folder)."""
    out: dict[str, str] = {}
    for key, info in infos.items():
        hit = memo.get(key)
        if hit is None or hit[0] is not info:
            hit = memo[key] = (info, file_signature(info))
        out[key] = hit[1]
    if len(memo) > len(out):
        for gone in [k for k in memo if k not in out]:
            del memo[gone]
    return out


@dataclass
class _Cached:
    signature: str
    record: ResultRecord
    row: dict[str, Any]


class StoreReader(ItemSignatures):
    """Cached view of a ``ResultStore``; thread-safe; ``refresh()`` to pick up changes."""

    def __init__(self, url: str, **storage_options: Any) -> None:
        self.store = ResultStore(url, **storage_options)
        self.url = self.store.url
        self._lock = threading.RLock()
        self._refresh_lock = threading.Lock()  # one refresh at a time; readers only wait for its last step
        self._json_memo: dict[str, tuple[dict[str, Any], str]] = {}
        self._parquet_memo: dict[str, tuple[dict[str, Any], str]] = {}
        self.reads = 0  # record files read since the start (a refresh reads only new or changed ones)
        self._records: dict[str, _Cached] = {}
        self._items: dict[str, tuple[str, pd.DataFrame]] = {}
        self._item_sigs: dict[str, str] = {}
        self._json_sigs: dict[str, str] = {}  # what the last listing found
        self._cursor: JournalCursor | None = None  # where this reader stopped in the store's change journal
        self._listed_at: float | None = None  # monotonic time of the last full listing
        self.full_listings = 0  # how often the whole store was listed (the journal makes it rare)
        self._ratios: dict[str, tuple[str, ItemRatios]] = {}  # per-item ratios only (intervals, ranks)
        self._track_versions: dict[str, int] = {}  # bumps when a record of that track changes
        self._frame: pd.DataFrame | None = None
        self._pending: set[str] = set()  # keys new, changed or removed since the frame was built
        self.version = 0  # bumps whenever the set or content of records changes
        self.last_error: str | None = None

    # -- listing -------------------------------------------------------------

    def _list(self) -> tuple[dict[str, str], dict[str, str]] | None:
        """Signatures of record JSONs and item Parquets, by key; None when the journal noted nothing.

        From the store's change journal when it has one and a full listing
        was made less than ``FULL_LISTING_S`` ago: only the keys noted since
        are stat'ed. Otherwise (hosted stores, the first time, a replaced
        journal, files copied in by hand) the whole store is listed.
        """
        now = time.monotonic()
        if self._listed_at is not None and now - self._listed_at < FULL_LISTING_S:
            delta = self.store.changes_since(self._cursor)
            if delta is not None:
                keys, self._cursor = delta
                if not keys:
                    return None
                jsons, parquets = dict(self._json_sigs), dict(self._item_sigs)
                found_jsons, found_parquets = self.store.file_infos(keys)
                for key in keys:
                    for sigs, found in ((jsons, found_jsons), (parquets, found_parquets)):
                        if key in found:
                            sigs[key] = file_signature(found[key])
                        else:
                            sigs.pop(key, None)
                self._json_sigs = jsons
                return jsons, parquets
        cursor = self.store.journal_cursor()  # before listing: a write during the listing is read next time
        found_jsons, found_parquets = self.store.listing()
        self._cursor, self._listed_at = cursor, now
        self.full_listings += 1
        self._json_sigs = _signatures(found_jsons, self._json_memo)
        return self._json_sigs, _signatures(found_parquets, self._parquet_memo)

    def refresh(self) -> bool:
        """Re-list the store; reload new or changed records. True when anything changed.

        The listing and the reads run outside the data lock (readers keep
        serving the previous state meanwhile); the changes apply at once.
        """
        with self._refresh_lock:
            try:
                listed = self._list()
            except Exception as exc:  # network stores fail transiently; keep serving the cache
                self.last_error = f"could not list {self.url}: {exc}"
                log.warning(self.last_error)
                return False
            if listed is None:
                self.last_error = None
                return False  # the journal noted nothing since the last refresh
            jsons, parquets = listed
            with self._lock:
                todo = [(k, sig) for k, sig in jsons.items()
                        if k not in self._records or self._records[k].signature != sig]
            self.reads += len(todo)
            loaded = self._read_many(todo)
            return self._apply(jsons, parquets, loaded)

    def _apply(self, jsons: dict[str, str], parquets: dict[str, str],
               loaded: list[tuple[str, str, ResultRecord | None]]) -> bool:
        with self._lock:
            self.last_error = None
            changed = False
            for key in [k for k in self._records if k not in jsons]:
                self._bump_track(key)
                del self._records[key]
                self._items.pop(key, None)
                self._pending.add(key)
                changed = True
            for key, sig, rec in loaded:
                if rec is None:
                    continue
                self._records[key] = _Cached(sig, rec, record_row(key, rec))
                self._items.pop(key, None)
                self._bump_track(key)
                changed = True
            if parquets != self._item_sigs:
                for key, sig in parquets.items():
                    if self._item_sigs.get(key) != sig:
                        self._items.pop(key, None)
                        self._bump_track(key)
                        changed = True
                self._item_sigs = parquets
            if changed or self._frame is None:
                self._pending.update(k for k, _, rec in loaded if rec is not None)
                self.version += 1
            return changed

    def _bump_track(self, key: str) -> None:
        track = key.split("/")[1] if key.count("/") == 3 else ""
        self._track_versions[track] = self._track_versions.get(track, 0) + 1

    def track_version(self, track: str) -> int:
        """Changes whenever a record (or its items) of ``track`` changes: per-track caches key on it."""
        with self._lock:
            return self._track_versions.get(track, 0)

    def _read_one(self, key: str) -> ResultRecord | None:
        try:
            return self.store.read(key)
        except Exception as exc:  # one bad record must not hide the others
            log.warning("skipping unreadable record %s: %s", key, exc)
            return None

    def _read_many(self, todo: list[tuple[str, str]]) -> list[tuple[str, str, ResultRecord | None]]:
        """Read records; in parallel when there are many (a hosted store answers one HTTP request each)."""
        if len(todo) < PARALLEL_READ_MIN:
            return [(k, sig, self._read_one(k)) for k, sig in todo]
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            recs = list(pool.map(self._read_one, [k for k, _ in todo]))
        return [(k, sig, rec) for (k, sig), rec in zip(todo, recs)]

    # -- tables --------------------------------------------------------------

    def records_frame(self) -> pd.DataFrame:
        """One row per record (see ``RECORD_COLUMNS``)."""
        with self._lock:
            if self._frame is not None and self._pending:
                self._frame = _patched(self._frame, self._pending, self._records)
            if self._frame is None:
                rows = [c.row for c in self._records.values()]
                self._frame = pd.DataFrame(rows, columns=list(RECORD_COLUMNS))
            self._pending.clear()
            return self._frame

    def record(self, key: str) -> ResultRecord:
        with self._lock:
            return self._records[key].record

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._records)

    def items(self, key: str) -> pd.DataFrame:
        """Per-item rows of one record (empty table when it has none)."""
        with self._lock:
            sig = self._item_sigs.get(key)
            if sig is None:
                return pd.DataFrame(columns=list(ITEM_COLUMNS))
            cached = self._items.get(key)
            if cached is not None and cached[0] == sig:
                return cached[1]
        frame = self.store.items(key)
        with self._lock:
            self._items[key] = (sig, frame)
        return frame

    def item_ratios(self, key: str) -> ItemRatios:
        """The ok per-item ratios of one record, cached per (record, items file) signature.

        Read from the record itself (``ResultRecord.item_ratios``, written with
        it); for older records, from two columns of its items table.
        """
        with self._lock:
            sig = self._item_sigs.get(key)
            if sig is None:
                return ItemRatios((), np.empty(0))
            rec = self._records.get(key)
            sig = f"{sig}|{rec.signature if rec else ''}"
            cached = self._ratios.get(key)
            if cached is not None and cached[0] == sig:
                return cached[1]
            full = self._items.get(key)
        if rec is not None and rec.record.item_ratios:  # written with the record: no Parquet to open
            ratios = ItemRatios.of(list(rec.record.item_ratios), list(rec.record.item_ratios.values()))
        elif full is not None and sig.startswith(f"{full[0]}|"):
            ratios = ItemRatios.from_items(full[1])
        else:
            try:
                table = self.store.item_columns(key, ["item_id", "ratio", "status"])
            except Exception as exc:  # one unreadable items file must not hide the others
                log.warning("skipping unreadable items of %s: %s", key, exc)
                table = pd.DataFrame(columns=["item_id", "ratio", "status"])
            ratios = ItemRatios.from_items(table)
        with self._lock:
            self._ratios[key] = (sig, ratios)
        return ratios

    def items_for(self, keys: list[str]) -> pd.DataFrame:
        """Per-item rows of several records, with ``key`` and ``codec`` columns added."""
        frames = []
        for key in keys:
            df = self.items(key)
            if df.empty:
                continue
            df = df.copy()
            df["key"] = key
            with self._lock:
                cached = self._records.get(key)
            df["codec"] = cached.record.codec if cached else key
            df["profile"] = cached.record.profile if cached else ""
            frames.append(df)
        if not frames:
            return pd.DataFrame(columns=[*ITEM_COLUMNS, "key", "codec", "profile"])
        return pd.concat(frames, ignore_index=True)


PATCH_MAX = 256  # changed records up to which the records table is patched rather than rebuilt


def _patched(frame: pd.DataFrame, keys: set[str], records: dict[str, _Cached]) -> pd.DataFrame | None:
    """``frame`` with the rows of ``keys`` replaced by their current records (gone ones dropped).

    A new record costs its own row, not a rebuild of 20,000. None (rebuild)
    when many changed, or when a new row's types would change a column's
    type (what a rebuild would infer then differs from the old column's).
    """
    if len(keys) > PATCH_MAX:
        return None
    keep = frame[~frame["key"].isin(list(keys))]
    rows = [records[k].row for k in keys if k in records]
    if not rows:
        return keep.reset_index(drop=True)
    new = pd.DataFrame(rows, columns=list(RECORD_COLUMNS))
    for col in RECORD_COLUMNS:
        old_type, new_type = frame[col].dtype, new[col].dtype
        if new_type == old_type:
            continue
        if new[col].isna().all() and (pd.api.types.is_float_dtype(old_type) or pd.api.types.is_string_dtype(old_type)
                                      and old_type != np.dtype(object)):
            new[col] = new[col].astype(old_type)  # a missing number or text: what the old column holds already
            continue
        return None
    return pd.concat([keep, new], ignore_index=True)
