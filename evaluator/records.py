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
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator, Literal

import fsspec
import pandas as pd

Provenance = Literal["verified", "paper", "estimate"]
Status = Literal["ok", "failed"]

# Columns of the per-item Parquet table (also what plots read).
ITEM_COLUMNS: tuple[str, ...] = (
    "item_id", "shape", "npix", "compressed_bytes", "bpp", "ratio",
    "encode_s", "decode_s", "noise_sigma", "noise_bpp", "exptime",
    "status", "failure_kind", "failure_message",
)

FAILURE_KINDS: tuple[str, ...] = (
    "timeout", "crash", "protocol", "not_lossless", "oom", "output_too_large",
    "extra_files", "startup_timeout", "startup_failed", "data_error", "image_error", "cancelled",
    "evaluator_error",  # the platform failed (a lost Dask task, ...): not a verdict on the codec
)

_SAFE = re.compile(r"[^A-Za-z0-9._=-]+")


def safe_component(value: str) -> str:
    """A path component that is safe on every filesystem and on the Hub."""
    out = _SAFE.sub("_", value).strip("._")
    if not out:
        raise ValueError(f"cannot make a store path component from {value!r}")
    return out[:120]


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Failure:
    kind: str  # one of FAILURE_KINDS
    message: str  # what went wrong and what to do, for a person
    item_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {self.kind!r}")


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
    summary: dict[str, Any] = field(default_factory=dict)  # metrics.TrackSummary.to_dict()
    failure: Failure | None = None
    fingerprint: dict[str, Any] = field(default_factory=dict)
    image_digest: str | None = None
    neural: bool = False
    startup_s: float | None = None
    manifest: dict[str, Any] = field(default_factory=dict)  # codec.toml contents, if any
    source: str | None = None  # citation for paper records
    created_at: str = field(default_factory=utcnow)

    @property
    def key(self) -> str:
        return "/".join(safe_component(p) for p in (self.submission, self.track, self.profile, self.split))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=str)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ResultRecord":
        d = dict(d)
        if d.get("failure"):
            d["failure"] = Failure(**d["failure"])
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})


class ResultStore:
    """Records at an fsspec URL. ``ResultStore("results/")``, ``ResultStore("memory://r")``."""

    def __init__(self, url: str, **storage_options: Any) -> None:
        self.url = url.rstrip("/")
        self.fs, self.root = fsspec.core.url_to_fs(self.url, **storage_options)
        self.root = self.root.rstrip("/")

    def _path(self, key: str, suffix: str) -> str:
        return f"{self.root}/records/{key}{suffix}"

    def _atomic_write(self, path: str, data: bytes) -> None:
        parent = path.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        tmp = f"{parent}/.tmp-{uuid.uuid4().hex}"
        with self.fs.open(tmp, "wb") as fh:
            fh.write(data)
        self.fs.mv(tmp, path)

    def write(self, record: ResultRecord, items: pd.DataFrame | None = None) -> str:
        """Write (or replace) one record and its per-item rows; returns the key."""
        key = record.key
        if items is not None:
            missing = [c for c in ITEM_COLUMNS if c not in items.columns]
            if missing:
                raise ValueError(f"item table lacks columns {missing}")
            buf = io.BytesIO()
            items.loc[:, list(ITEM_COLUMNS)].to_parquet(buf, index=False)
            self._atomic_write(self._path(key, ".items.parquet"), buf.getvalue())
        # JSON last: a record is visible only once its items are in place.
        self._atomic_write(self._path(key, ".json"), record.to_json().encode())
        return key

    def keys(self) -> list[str]:
        base = f"{self.root}/records"
        if not self.fs.exists(base):
            return []
        paths = self.fs.glob(f"{base}/*/*/*/*.json")
        return sorted(p[len(base) + 1 : -len(".json")] for p in paths)

    def read(self, key: str) -> ResultRecord:
        with self.fs.open(self._path(key, ".json"), "rb") as fh:
            return ResultRecord.from_dict(json.load(fh))

    def records(self) -> Iterator[ResultRecord]:
        for key in self.keys():
            yield self.read(key)

    def items(self, key: str) -> pd.DataFrame:
        path = self._path(key, ".items.parquet")
        if not self.fs.exists(path):
            return pd.DataFrame(columns=list(ITEM_COLUMNS))
        with self.fs.open(path, "rb") as fh:
            return pd.read_parquet(fh)

    def delete(self, key: str) -> None:
        for suffix in (".json", ".items.parquet"):
            p = self._path(key, suffix)
            if self.fs.exists(p):
                self.fs.rm(p)
