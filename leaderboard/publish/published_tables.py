"""Build the published results tables (``records`` and one ``items`` file per track) from a store's files.

DESIGN.md "Results, queue, publishing". Input: the store's record files by
repository path (``ResultStore.files()``: ``records/<key>.json`` and
``records/<key>.items.parquet``); output: Parquet files by repository path,
with the schemas of :mod:`leaderboard.data.table_columns` whatever the records
hold (a value that does not fit its column is left empty). The bytes depend
only on the store's content (rows sorted by key, no timestamps), so an
unchanged store publishes the same bytes and publish commits nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from evaluator.results.records import ITEMS_SUFFIX, ResultRecord
from leaderboard.data.record_rows import record_row
from leaderboard.data.table_columns import (
    FINGERPRINT_FIELDS,
    ITEM_FIELDS,
    ITEM_SCHEMA,
    ITEM_TABLE,
    RECORD_JSON,
    RECORD_SCHEMA,
    RECORD_TABLE,
    RECORDS_TABLE_PATH,
    coerce,
    items_table_of,
)

log = logging.getLogger(__name__)

RECORDS_DIR = "records/"
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "row_group_size": 50_000}


def badges(row: Mapping[str, Any]) -> list[str]:
    """The board's badges of one record row (``leaderboard.views.cells``: provenance, untrained, archive, synthetic,
    failed, portable, worse than RICE on real frames)."""
    out = [str(row["provenance"])]
    if row.get("bound_note"):
        out.append("untrained")
    if row.get("kind") == "archive":
        out.append("archive")
    if row.get("synthetic"):
        out.append("synthetic")
    if row.get("status") != "ok":
        out.append("failed")
    if row.get("portable") is True:
        out.append("portable")
    elif row.get("portable") is False:
        out.append("not-portable")
    if row.get("real_val_note"):
        out.append("worse-than-rice")
    return out


def participant(rec: ResultRecord) -> str:
    for source in (rec.manifest or {}, rec.fingerprint_json()):
        if source.get("participant"):
            return str(source["participant"])
    return ""


def record_json(rec: ResultRecord) -> str:
    """The record as compact JSON, less ``item_ratios`` (the items table holds them)."""
    data = json.loads(rec.to_json())
    data.pop("item_ratios", None)
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def records_row(key: str, rec: ResultRecord, raw: bytes, items: bytes | None, n_items: int | None) -> dict[str, Any]:
    """One row of the records table, every value of its column's type."""
    row = record_row(key, rec)
    fp = rec.fingerprint_json()
    row.update({
        "participant": participant(rec),
        "badges": badges(row),
        "startup_s": rec.startup_s,
        "campaign": rec.campaign or "",
        **{f"fingerprint_{c.name}": fp.get(c.name) for c in FINGERPRINT_FIELDS},
        "item_rows": n_items,
        "items_sha256": hashlib.sha256(items).hexdigest() if items is not None else None,
        "record_sha256": hashlib.sha256(raw).hexdigest(),
        RECORD_JSON: record_json(rec),
    })
    return {c.name: coerce(row.get(c.name), c.type) for c in RECORD_TABLE}


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, **PARQUET_OPTIONS)
    return buf.getvalue()


def _item_columns(data: bytes) -> tuple[dict[str, list[Any]], int]:
    """The per-item columns of one record's items file, coerced to the items table's types."""
    table = pq.read_table(io.BytesIO(data))
    cols = table.to_pydict()
    n = table.num_rows
    return {c.name: [coerce(v, c.type) for v in cols.get(c.name, [None] * n)] for c in ITEM_FIELDS}, n


def table_files(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """``tables/records.parquet`` and ``tables/items/<track>.parquet`` for each track with items.

    A track without items has no file (``datasets`` cannot read a Parquet file without rows).
    """
    rows: list[dict[str, Any]] = []
    per_track: dict[str, dict[str, list[Any]]] = {}
    for path in sorted(p for p in files if p.startswith(RECORDS_DIR) and p.endswith(".json")):
        key = path[len(RECORDS_DIR):-len(".json")]
        raw = files[path]
        try:
            rec = ResultRecord.from_dict(json.loads(raw))
        except (ValueError, TypeError, KeyError) as exc:  # one bad record must not hide the others
            log.warning("not publishing unreadable record %s: %s", key, exc)
            continue
        items = files.get(f"{RECORDS_DIR}{key}{ITEMS_SUFFIX}")
        n_items: int | None = None
        if items is not None:
            try:
                columns, n_items = _item_columns(items)
            except (OSError, ValueError, pa.ArrowException) as exc:
                log.warning("not publishing the unreadable items of %s: %s", key, exc)
                items = None
            else:
                row = records_row(key, rec, raw, items, n_items)
                out = per_track.setdefault(items_table_of(key), {c.name: [] for c in ITEM_TABLE})
                for name in ("key", "submission", "codec", "track", "profile", "data"):
                    out[name].extend([row[name]] * n_items)
                for name, values in columns.items():
                    out[name].extend(values)
                rows.append(row)
                continue
        rows.append(records_row(key, rec, raw, None, None))
    tables = {RECORDS_TABLE_PATH: _parquet(pa.Table.from_pylist(rows, schema=RECORD_SCHEMA))}
    for path in sorted(p for p, cols in per_track.items() if cols["key"]):
        tables[path] = _parquet(pa.Table.from_pydict(per_track[path], schema=ITEM_SCHEMA))
    return tables
