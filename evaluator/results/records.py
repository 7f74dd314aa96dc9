"""Result records and the results store.

One record per (submission, track, profile, split): a JSON file with the
track summary, status, failure and fingerprint, and beside it a Parquet file
with one row per item. The store lives at any fsspec URL: a local directory
by default, ``hf://datasets/ORG/NAME`` when hosted, ``memory://`` in tests.

Layout under the store root::

    records/<submission>/<track>/<profile>/<split>.json
    records/<submission>/<track>/<profile>/<split>.items.parquet

Writes go to a temporary name and are then moved into place, so a reader
never sees half a record and a rerun replaces, never duplicates.
"""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

import pandas as pd
from fsspec.implementations.local import LocalFileSystem

from evaluator.core.failures import failure_kind
from evaluator.core.fs_urls import url_filesystem
from evaluator.core.json_types import FileInfo, JsonObject, JsonValue
from evaluator.core.schema import ITEM_COLUMNS, OPTIONAL_ITEM_COLUMNS, ItemRow, TrackSummary
from evaluator.results.fingerprints import Fingerprint, FingerprintJson
from evaluator.results.portability import PortableCheck
from evaluator.results.store_changes import JOURNAL_NAME, ChangeJournal, JournalCursor, LocalListing

log = logging.getLogger(__name__)

Provenance = Literal["verified", "paper", "estimate"]
Status = Literal["ok", "failed"]

__all__ = ["ITEM_COLUMNS", "Failure", "PortableCheck", "Provenance", "RecordQuery", "ResultRecord", "ResultStore",
           "Status", "TrackSummary", "item_frame", "safe_component", "utcnow"]

_SAFE = re.compile(r"[^A-Za-z0-9._=-]+")
ITEMS_SUFFIX = ".items.parquet"


def safe_component(value: str) -> str:
    """A path component that is safe on every filesystem and on the Hub."""
    out = _SAFE.sub("_", value).strip("._")
    if not out:
        raise ValueError(f"cannot make a store path component from {value!r}")
    return out[:120]


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RecordQuery:
    """Which records: any field left None matches everything. Keys are ``submission/track/profile/split``."""

    submission: str | None = None
    track: str | None = None
    profile: str | None = None
    split: str | None = None

    def pattern(self) -> str:
        """The glob of the matching keys under ``records/``."""
        parts = (self.submission, self.track, self.profile, self.split)
        return "/".join("*" if p is None else safe_component(p) for p in parts)

    @classmethod
    def parse(cls, key: str) -> RecordQuery:
        """The (path-safe) fields of a record key."""
        parts = key.split("/")
        if len(parts) != 4:
            raise ValueError(f"not a record key (submission/track/profile/split): {key!r}")
        return cls(*parts)

@dataclass
class Failure:
    kind: str  # a name in evaluator.core.failures.FAILURE_KINDS
    message: str  # what went wrong and what to do, for a person
    item_id: str | None = None

    def __post_init__(self) -> None:
        failure_kind(self.kind)


def atomic_write(fs: Any, path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` on fsspec file system ``fs`` via a temporary file and a move:
    a reader sees the old file or the new one, never half of one."""
    parent = path.rsplit("/", 1)[0]
    fs.makedirs(parent, exist_ok=True)
    tmp = f"{parent}/.tmp-{uuid.uuid4().hex}"
    with fs.open(tmp, "wb") as fh:
        fh.write(data)
    fs.mv(tmp, path)


TRAINED_ON_KEY = "trained_on"
"""Manifest field of a cross-track record (paper Table 2): the training set it names (a track, or "all")."""

BOUND_NOTE_KEY = "bound_note"
"""Manifest field of an estimate record whose training left its bound within 2 % of the untrained model's
(``baselines.neural.vdm_curve.move_note``); the board shows it as a badge."""


@dataclass
class ResultRecord:
    submission: str  # submission id (or baseline id, e.g. "baseline-jpegxl-max")
    codec: str  # display name
    track: str
    profile: str  # hardware profile (cpu-1, cpu-8, gpu-1) or "paper"
    split: str  # e.g. "synthetic-small-s0-tiny_test", "hidden:<name>", "hub:<rev>:full_test"
    provenance: Provenance
    synthetic: bool
    status: Status
    summary: TrackSummary = field(default_factory=TrackSummary)  # a mapping is converted on creation
    failure: Failure | None = None
    # None: paper cells, estimates. Stored as Fingerprint.to_json() (paper cells: ``{}``); the image's identity is
    # stored there, once (``image_digest``). A mapping is converted on creation.
    fingerprint: Fingerprint | None = None
    neural: bool = False
    startup_s: float | None = None
    codec_info: JsonObject = field(default_factory=dict)  # the codec's own ready-line ``info`` (params, weights)
    manifest: JsonObject = field(default_factory=dict)  # codec.toml contents, if any
    portable: PortableCheck | None = None  # the portable-decode check (DESIGN.md); None: not checked
    source: str | None = None  # citation for paper records
    campaign: str | None = None  # the organizer campaign that measured it (submissions.campaign.campaign_history)
    created_at: str = field(default_factory=utcnow)
    # item id -> ratio of the ok items, filled by ResultStore.write from the items table: the leaderboard's
    # bootstrap reads them with the record instead of opening thousands of Parquet files
    item_ratios: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.summary, TrackSummary):
            self.summary = TrackSummary.from_dict(self.summary)
        if self.portable is not None and not isinstance(self.portable, PortableCheck):
            self.portable = PortableCheck.from_dict(self.portable)
        if self.fingerprint is not None and not isinstance(self.fingerprint, Fingerprint):
            if not isinstance(self.fingerprint, Mapping):
                raise ValueError(f"a record's fingerprint must be a JSON object, not {type(self.fingerprint).__name__}")
            self.fingerprint = Fingerprint.from_json(dict(self.fingerprint)) if self.fingerprint else None

    @property
    def key(self) -> str:
        return "/".join(safe_component(p) for p in (self.submission, self.track, self.profile, self.split))

    def to_json(self) -> str:
        data = asdict(replace(self, fingerprint=None))
        data["summary"] = self.summary.to_dict()
        data["fingerprint"] = self.fingerprint_json()
        return json.dumps(data, indent=2, sort_keys=True, default=str)

    @property
    def image_digest(self) -> str | None:
        """The digest of the codec image measured (the fingerprint's; None: in process, or a paper cell)."""
        image = self.fingerprint.image if self.fingerprint is not None else None
        return image.digest if image is not None and image.digest else None

    def fingerprint_json(self) -> FingerprintJson:
        """The fingerprint as the record stores it (``{}`` without one): flat, the keys readers of records use."""
        return self.fingerprint.to_json() if self.fingerprint is not None else {}

    @classmethod
    def from_dict(cls, d: Mapping[str, JsonValue]) -> ResultRecord:
        """A record from its stored JSON (fields it does not know are ignored)."""
        data: dict[str, Any] = dict(d)  # stored JSON: each field's shape is checked by the dataclass below
        if data.get("failure"):
            data["failure"] = Failure(**data["failure"])
        # records written before the identity was stored once kept a copy at the top level: into the fingerprint
        legacy_digest = data.pop("image_digest", None)
        if legacy_digest and isinstance(data.get("fingerprint"), dict) and not data["fingerprint"].get("image_digest"):
            data["fingerprint"] = {**data["fingerprint"], "image_digest": legacy_digest}
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def item_frame(rows: Sequence[ItemRow]) -> pd.DataFrame:
    """The items table of typed rows (the Parquet file's columns, in order; no rows: the columns only)."""
    return pd.DataFrame([r.to_dict() for r in rows], columns=list(ITEM_COLUMNS))


def _ok_ratios(items: pd.DataFrame) -> dict[str, float]:
    ok = items[(items["status"] == "ok") & items["ratio"].notna()]
    return {str(i): float(r) for i, r in zip(ok["item_id"], ok["ratio"])}


class ResultStore:
    """Records at an fsspec URL. ``ResultStore("results/")``, ``ResultStore("memory://r")``."""

    def __init__(self, url: str, **storage_options: Any) -> None:
        self.url = url.rstrip("/")
        self.fs, self.root = url_filesystem(self.url, what="results store", **storage_options)
        self.root = self.root.rstrip("/")
        # local folders list incrementally (LocalListing) and journal their writes (ChangeJournal,
        # evaluator.results.store_changes); other filesystems list through fsspec
        local = isinstance(self.fs, LocalFileSystem)
        self._local = LocalListing() if local else None
        self._journal = ChangeJournal(f"{self.root}/{JOURNAL_NAME}") if local else None

    def _path(self, key: str, suffix: str) -> str:
        return f"{self.root}/records/{key}{suffix}"

    def _atomic_write(self, path: str, data: bytes) -> None:
        atomic_write(self.fs, path, data)

    def write(self, record: ResultRecord, items: pd.DataFrame | Sequence[ItemRow] | None = None) -> str:
        """Write (or replace) one record and its per-item rows (typed rows or their table); returns the key."""
        key = record.key
        if items is not None and not isinstance(items, pd.DataFrame):
            items = item_frame(items)
        if items is not None:
            absent = [c for c in OPTIONAL_ITEM_COLUMNS if c not in items.columns]
            items = items.assign(**{c: None for c in absent}) if absent else items
            missing = [c for c in ITEM_COLUMNS if c not in items.columns]
            if missing:
                raise ValueError(f"item table lacks columns {missing}")
            record = replace(record, item_ratios=_ok_ratios(items))
            buf = io.BytesIO()
            items.loc[:, list(ITEM_COLUMNS)].to_parquet(buf, index=False)
            self._atomic_write(self._path(key, ITEMS_SUFFIX), buf.getvalue())
        # JSON last: a record is visible only once its items are in place; the journal after it.
        self._atomic_write(self._path(key, ".json"), record.to_json().encode())
        if self._journal is not None:
            self._journal.append(key)
        return key

    def seed(self, entries: Iterable[tuple[ResultRecord, pd.DataFrame | None]], what: str = "record") -> list[str]:
        """Write each record (with its items) unless the store holds it unchanged; returns all their keys.

        Idempotent seeding (the paper's records, shipped estimates): an unreadable copy is rewritten.
        """
        existing = set(self.keys())
        keys: list[str] = []
        for record, items in entries:
            keys.append(record.key)
            stored_form = record if items is None else replace(record, item_ratios=_ok_ratios(items))
            if record.key in existing:
                try:
                    if self.read(record.key).to_json() == stored_form.to_json():
                        continue
                except (OSError, ValueError, TypeError):
                    log.warning("%s %s unreadable; rewriting it", what, record.key)
            self.write(record, items)
        return keys

    def keys(self, query: RecordQuery | None = None) -> list[str]:
        """Record keys, sorted; only those matching ``query`` when given."""
        base = f"{self.root}/records"
        if not self.fs.exists(base):
            return []
        q = query or RecordQuery()
        paths = self.fs.glob(f"{base}/{q.pattern()}.json")
        return sorted(p[len(base) + 1 : -len(".json")] for p in paths)

    def find(
        self, *, submission: str | None = None, track: str | None = None, profile: str | None = None,
        split: str | None = None, prefix: str | None = None,
    ) -> list[ResultRecord]:
        """The records matching every given field (``prefix``: submission ids starting so)."""
        query = RecordQuery(submission=submission, track=track, profile=profile, split=split)
        keys = self.keys(query)
        if prefix is not None:
            keys = [k for k in keys if (RecordQuery.parse(k).submission or "").startswith(safe_component(prefix))]
        return [self.read(k) for k in keys]

    def listing(self) -> tuple[dict[str, FileInfo], dict[str, FileInfo]]:
        """File metadata of every record JSON and items Parquet, by key (one listing of the store).

        Half-written temporaries and foreign files are left out; readers use
        the metadata to reload only what changed.
        """
        base = f"{self.root}/records"
        invalidate = getattr(self.fs, "invalidate_cache", None)
        if callable(invalidate):
            invalidate()  # hosted stores cache listings; callers want the new ones
        if not self.fs.exists(base):
            return {}, {}
        jsons: dict[str, FileInfo] = {}
        parquets: dict[str, FileInfo] = {}
        prefix = base.rstrip("/") + "/"
        found = self._local.find(base) if self._local is not None else self.fs.find(base, detail=True)
        for path, info in found.items():
            rel = path.removeprefix(prefix)
            name = rel.rsplit("/", 1)[-1]
            if name.startswith(".tmp-") or rel.count("/") != 3:
                continue
            if rel.endswith(ITEMS_SUFFIX):
                parquets[rel[: -len(ITEMS_SUFFIX)]] = info
            elif rel.endswith(".json"):
                jsons[rel[: -len(".json")]] = info
        return jsons, parquets

    def files(self) -> dict[str, bytes]:
        """Every record file (JSON and Parquet) by its path in the store (``records/...``)."""
        jsons, parquets = self.listing()
        out = {}
        for keys, suffix in ((jsons, ".json"), (parquets, ITEMS_SUFFIX)):
            for key in keys:
                out[f"records/{key}{suffix}"] = self.fs.cat_file(self._path(key, suffix))
        return dict(sorted(out.items()))

    def read(self, key: str) -> ResultRecord:
        with self.fs.open(self._path(key, ".json"), "rb") as fh:
            return ResultRecord.from_dict(json.load(fh))

    def records(self) -> Iterator[ResultRecord]:
        for key in self.keys():
            yield self.read(key)

    def items(self, key: str) -> pd.DataFrame:
        path = self._path(key, ITEMS_SUFFIX)
        if not self.fs.exists(path):
            return pd.DataFrame(columns=list(ITEM_COLUMNS))
        with self.fs.open(path, "rb") as fh:
            return pd.read_parquet(fh)

    def item_columns(self, key: str, columns: list[str]) -> pd.DataFrame:
        """Some columns of a record's items table (cheaper than :meth:`items` on a large board)."""
        path = self._path(key, ITEMS_SUFFIX)
        if not self.fs.exists(path):
            return pd.DataFrame(columns=columns)
        with self.fs.open(path, "rb") as fh:
            return pd.read_parquet(fh, columns=columns)

    def delete(self, key: str) -> None:
        for suffix in (".json", ITEMS_SUFFIX):
            p = self._path(key, suffix)
            if self.fs.exists(p):
                self.fs.rm(p)
        if self._journal is not None:
            self._journal.append(key)

    # -- what changed (local stores; evaluator.results.store_changes) -------------------

    def journal_cursor(self) -> JournalCursor | None:
        """The change journal's end now; None for a store without one (hosted) or before any write."""
        return self._journal.cursor() if self._journal is not None else None

    def changes_since(self, cursor: JournalCursor | None) -> tuple[list[str], JournalCursor | None] | None:
        """Keys written or deleted after ``cursor`` and the new cursor; None when only a full
        :meth:`listing` can tell (no journal on this store, or the journal was replaced)."""
        return self._journal.since(cursor) if self._journal is not None else None

    def file_infos(self, keys: Iterable[str]) -> tuple[dict[str, FileInfo], dict[str, FileInfo]]:
        """:meth:`listing` restricted to ``keys`` (same metadata; a key without a file is left out)."""
        jsons: dict[str, FileInfo] = {}
        parquets: dict[str, FileInfo] = {}
        for key in keys:
            for suffix, out in ((".json", jsons), (ITEMS_SUFFIX, parquets)):
                try:
                    info = self.fs.info(self._path(key, suffix))
                except FileNotFoundError:
                    continue
                out[key] = {"size": info["size"], "mtime": info.get("mtime")} if self._local is not None else info
        return jsons, parquets
