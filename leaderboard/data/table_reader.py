"""Read the published results tables: what the hosted Space serves, a few files whatever the board's size.

The results dataset holds ``tables/records.parquet`` and one
``tables/items/<track>.parquet`` per track (:mod:`leaderboard.data.table_columns`,
written by ``challenge admin publish``). :class:`TableReader` offers what
:class:`leaderboard.data.store_reader.StoreReader` offers the board
(``records_frame``, ``record``, ``items``, ``item_ratios``, ...), from those
files: the records table at the start (without its ``record_json`` column,
read once a page asks for a whole record), a track's items table when a view
of that track first needs it. ``refresh()`` lists ``tables/`` once and re-reads
a file only when its metadata (size and mtime, etag, blob id, whatever the
filesystem reports) changed.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import fsspec
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from evaluator.core.schema import ITEM_COLUMNS
from evaluator.results.records import ResultRecord
from leaderboard.data.item_signatures import ItemSignatures
from leaderboard.data.ranking import ItemRatios
from leaderboard.data.record_rows import RECORD_COLUMNS
from leaderboard.data.store_reader import file_signature
from leaderboard.data.table_columns import (
    INT,
    RECORD_JSON,
    RECORD_TABLE,
    RECORDS_TABLE_PATH,
    TABLES_PREFIX,
    items_table_of,
)

log = logging.getLogger(__name__)

_TYPES = {c.name: c.type for c in RECORD_TABLE}
# read at the start: what the board shows, and what tells which records (and items) changed
_META = ("record_sha256", "items_sha256", "item_rows")
_FIRST_READ: tuple[str, ...] = (*RECORD_COLUMNS, *_META)
_NO_RATIOS = ItemRatios((), np.empty(0))


def has_tables(url: str, **storage_options: Any) -> bool:
    """Whether ``url`` holds the published tables (else it is a results store, or an older publish)."""
    fs, root = fsspec.core.url_to_fs(url.rstrip("/"), **storage_options)
    return bool(fs.exists(f"{root.rstrip('/')}/{RECORDS_TABLE_PATH}"))


@dataclass
class _TrackItems:
    """One track's items table, sorted by key, with each record's rows and ratios."""

    signature: str
    frame: pd.DataFrame
    spans: dict[str, tuple[int, int]]
    ratios: dict[str, ItemRatios] = field(default_factory=dict)


def _spans(keys: np.ndarray) -> dict[str, tuple[int, int]]:
    if not len(keys):
        return {}
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    stops = np.r_[starts[1:], len(keys)]
    return {str(keys[a]): (int(a), int(b)) for a, b in zip(starts, stops)}


class TableReader(ItemSignatures):
    """The published tables at an fsspec URL, cached; thread-safe; ``refresh()`` to pick up a new publish."""

    def __init__(self, url: str, **storage_options: Any) -> None:
        self.url = url.rstrip("/")
        self.fs, root = fsspec.core.url_to_fs(self.url, **storage_options)
        self.root = root.rstrip("/")
        self._lock = threading.RLock()
        self._refresh_lock = threading.Lock()
        self.reads = 0  # files read since the start
        self.opened: list[str] = []  # which ones (repository paths), in order
        self._sigs: dict[str, str] = {}  # what the last listing found under tables/, by repository path
        self._records_sig: str | None = None  # signature of the records table now loaded
        self._frame = pd.DataFrame(columns=list(RECORD_COLUMNS))
        self._meta: dict[str, tuple[str | None, str | None]] = {}  # key -> (record sha, items sha)
        self._item_sigs: dict[str, str] = {}
        self._jsons: tuple[str, dict[str, str]] | None = None  # (records signature, record_json by key)
        self._records: dict[str, ResultRecord] = {}  # parsed, for the loaded records table
        self._tracks: dict[str, _TrackItems] = {}
        self._track_versions: dict[str, int] = {}
        self.version = 0
        self.last_error: str | None = None

    # -- files ---------------------------------------------------------------

    def _read(self, rel: str, columns: Iterable[str] | None = None) -> pd.DataFrame:
        with self._lock:
            self.reads += 1
            self.opened.append(rel)
        with self.fs.open(f"{self.root}/{rel}", "rb") as fh:
            return pq.read_table(fh, columns=list(columns) if columns is not None else None).to_pandas()

    def _list(self) -> dict[str, str]:
        invalidate = getattr(self.fs, "invalidate_cache", None)
        if callable(invalidate):
            invalidate()  # hosted filesystems cache listings
        base = f"{self.root}/{TABLES_PREFIX.rstrip('/')}"
        found = self.fs.find(base, detail=True) if self.fs.exists(base) else {}
        return {f"{TABLES_PREFIX}{path[len(base) + 1:]}": file_signature(info) for path, info in found.items()}

    # -- refresh -------------------------------------------------------------

    def refresh(self) -> bool:
        """List ``tables/``; re-read the records table if it changed. True when anything changed.

        Items tables are re-read lazily: the next view of a track whose file changed reads it again.
        """
        with self._refresh_lock:
            what = f"{TABLES_PREFIX} (listing)"
            try:
                sigs = self._list()
                what = RECORDS_TABLE_PATH
                if RECORDS_TABLE_PATH not in sigs:
                    raise FileNotFoundError("not there (publish with `challenge admin publish`)")
                records_sig = sigs[RECORDS_TABLE_PATH]
                frame = None if records_sig == self._records_sig else self._read(RECORDS_TABLE_PATH, _FIRST_READ)
            except Exception as exc:  # network stores fail transiently; keep serving the cache
                self.last_error = f"could not read {what} in {self.url}: {exc}"
                log.warning(self.last_error)
                return False
            with self._lock:
                self.last_error = None
                changed = False
                for path in sigs.keys() | self._sigs.keys():
                    if path != RECORDS_TABLE_PATH and self._sigs.get(path) != sigs.get(path):
                        self._bump(path.rsplit("/", 1)[-1].removesuffix(".parquet"))
                        changed = True
                self._sigs = sigs
                if frame is not None:
                    changed = self._apply(frame, records_sig) or changed
                if changed:
                    self.version += 1
                return changed

    def _apply(self, frame: pd.DataFrame, sig: str) -> bool:
        keys = frame["key"].astype(str).tolist()
        meta = dict(zip(keys, zip(frame["record_sha256"].tolist(), frame["items_sha256"].tolist())))
        changed = {k for k in meta.keys() ^ self._meta.keys()}
        changed |= {k for k in meta.keys() & self._meta.keys() if meta[k] != self._meta[k]}
        for key in changed:
            self._bump(key.split("/")[1] if key.count("/") == 3 else "")
        self._meta = meta
        self._item_sigs = {k: str(s) for k, (_, s), rows in zip(keys, meta.values(), frame["item_rows"].tolist())
                           if rows == rows and rows is not None and s is not None}
        board = frame.loc[:, list(RECORD_COLUMNS)]
        for col in RECORD_COLUMNS:  # the store reader's numbers are floats (an empty cell is NaN)
            if _TYPES[col] == INT:
                board[col] = board[col].astype(float)
        self._frame = board.reset_index(drop=True)
        self._records_sig = sig
        self._records = {k: r for k, r in self._records.items() if k in meta and k not in changed}
        return bool(changed) or self.version == 0

    def _bump(self, track: str) -> None:
        self._track_versions[track] = self._track_versions.get(track, 0) + 1

    def track_version(self, track: str) -> int:
        """Changes whenever a record (or the items) of ``track`` changes: per-track caches key on it."""
        with self._lock:
            return self._track_versions.get(track, 0)

    # -- records -------------------------------------------------------------

    def records_frame(self) -> pd.DataFrame:
        """One row per record (``RECORD_COLUMNS``, as ``StoreReader.records_frame``)."""
        with self._lock:
            return self._frame

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._meta)

    def record(self, key: str) -> ResultRecord:
        """The whole record (its ``record_json``, with ``item_ratios`` from its items)."""
        with self._lock:
            if key not in self._meta:
                raise KeyError(key)
            cached = self._records.get(key)
            jsons = self._jsons if self._jsons is not None and self._jsons[0] == self._records_sig else None
            sig = self._records_sig
        if cached is not None:
            return cached
        if jsons is None:
            frame = self._read(RECORDS_TABLE_PATH, ["key", RECORD_JSON])
            jsons = (str(sig), dict(zip(frame["key"].astype(str), frame[RECORD_JSON].astype(str))))
            with self._lock:
                self._jsons = jsons
        rec = ResultRecord.from_dict(json.loads(jsons[1][key]))
        if key in self.item_keys():
            rows = self.items(key)
            ok = rows[(rows["status"] == "ok") & rows["ratio"].notna()]
            rec.item_ratios = {str(i): float(r) for i, r in zip(ok["item_id"], ok["ratio"])}
        with self._lock:
            self._records[key] = rec
        return rec

    # -- items ---------------------------------------------------------------

    def _track(self, path: str) -> _TrackItems | None:
        """The items table at ``path``, read on first use and again once its file changed."""
        with self._lock:
            sig = self._sigs.get(path)
            cached = self._tracks.get(path)
        if sig is None:
            return None
        if cached is not None and cached.signature == sig:
            return cached
        try:
            frame = self._read(path)
        except Exception as exc:  # one unreadable track must not hide the others
            log.warning("skipping unreadable items table %s: %s", path, exc)
            return None
        for column in ITEM_COLUMNS:  # a table published before a column existed: the column, empty
            if column not in frame.columns:
                frame[column] = None
        loaded = _TrackItems(sig, frame, _spans(frame["key"].to_numpy(dtype=object)))
        with self._lock:
            self._tracks[path] = loaded
        return loaded

    def items(self, key: str) -> pd.DataFrame:
        """Per-item rows of one record (``ITEM_COLUMNS``; an empty table when it has none)."""
        track = self._track(items_table_of(key)) if key in self.item_keys() else None
        span = track.spans.get(key) if track is not None else None
        if track is None or span is None:
            return pd.DataFrame(columns=list(ITEM_COLUMNS))
        return track.frame.iloc[span[0]:span[1]].loc[:, list(ITEM_COLUMNS)].reset_index(drop=True)

    def item_ratios(self, key: str) -> ItemRatios:
        """The ok per-item ratios of one record (from its track's items table, cached with it)."""
        track = self._track(items_table_of(key)) if key in self.item_keys() else None
        if track is None or key not in track.spans:
            return _NO_RATIOS
        with self._lock:
            cached = track.ratios.get(key)
        if cached is None:
            a, b = track.spans[key]
            cached = ItemRatios.from_items(track.frame.iloc[a:b])
            with self._lock:
                track.ratios[key] = cached
        return cached

    def items_for(self, keys: list[str]) -> pd.DataFrame:
        """Per-item rows of several records, with ``key``, ``codec`` and ``profile`` columns."""
        frames = []
        extra = ["key", "codec", "profile"]
        for key in keys:
            track = self._track(items_table_of(key)) if key in self.item_keys() else None
            span = track.spans.get(key) if track is not None else None
            if track is not None and span is not None:
                frames.append(track.frame.iloc[span[0]:span[1]].loc[:, [*ITEM_COLUMNS, *extra]])
        if not frames:
            return pd.DataFrame(columns=[*ITEM_COLUMNS, *extra])
        return pd.concat(frames, ignore_index=True)

