"""The published results tables' columns: one table per table (name, Arrow type, description).

DESIGN.md "Results, queue, publishing": the results dataset holds two
consolidated tables, ``records`` (one row per result record) and ``items``
(one row per test item, one Parquet file per track), with one stable schema
whatever the data. :data:`RECORD_TABLE` and :data:`ITEM_TABLE` drive the
Parquet schema (:func:`schema`), the dataset card's column docs
(:func:`column_docs`, ``leaderboard.publish.dataset_card``), the values written
(:func:`coerce`: a value that does not fit its column's type is left empty)
and what the Space's reader (``leaderboard.data.table_reader``) selects.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from evaluator.core.schema import ITEM_COLUMNS, METRIC_TABLE
from evaluator.results.records import safe_component
from leaderboard.data.record_rows import RECORD_COLUMNS

TABLES_PREFIX = "tables/"
RECORDS_TABLE_PATH = "tables/records.parquet"
ITEMS_TABLES_DIR = "tables/items"
ITEMS_TABLES_GLOB = f"{ITEMS_TABLES_DIR}/*.parquet"
RECORD_JSON = "record_json"  # the full record (leaderboard.data.table_reader rebuilds ResultRecord from it)


def items_table_path(track: str) -> str:
    """Where the items of one track are published (a track view reads only its own file)."""
    return f"{ITEMS_TABLES_DIR}/{safe_component(track)}.parquet"


def items_table_of(key: str) -> str:
    """The items file holding the rows of record ``key`` (``submission/track/profile/split``)."""
    return items_table_path(key.split("/")[1])


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    doc: str


STRING, FLOAT, INT, BOOL = pa.string(), pa.float64(), pa.int64(), pa.bool_()
STRINGS = pa.list_(pa.string())

# Fingerprint fields (evaluator.sandbox.profiles.fingerprint) flattened as ``fingerprint_<name>``.
FINGERPRINT_FIELDS: tuple[Column, ...] = (
    Column("cpu_model", STRING, "CPU model of the machine that measured the record"),
    Column("cores_granted", INT, "CPU cores the codec container was granted"),
    Column("memory_granted_bytes", INT, "memory the codec container was granted, bytes"),
    Column("gpu_model", STRING, "GPU model, when the profile grants one"),
    Column("gpu_driver", STRING, "GPU driver version"),
    Column("docker_version", STRING, "Docker engine version (container runs)"),
    Column("contract_version", STRING, "codec contract version the evaluator spoke"),
    Column("evaluator_version", STRING, "evaluator version"),
    Column("python", STRING, "Python version of the evaluator"),
    Column("data_label", STRING, "data source label"),
    Column("dataset_revision", STRING, "dataset revision measured on"),
    Column("image_compressed_bytes", INT, "codec image size (`docker save | gzip`), bytes"),
)

_SUMMARY = tuple(Column(m.name, INT if m.name == "n_items" else FLOAT,
                        f"{m.doc}" + (f" ({m.unit})" if m.unit else "")) for m in METRIC_TABLE if m.scope == "track")
_RECORD_LEVEL = {m.name: m for m in METRIC_TABLE if m.scope == "record"}

RECORD_TABLE: tuple[Column, ...] = (
    Column("key", STRING, "record key `submission/track/profile/split` (path-safe; unique)"),
    Column("submission", STRING, "submission id (or baseline id, e.g. `baseline-jpegxl`)"),
    Column("codec", STRING, "codec display name (the participant's manifest name)"),
    Column("participant", STRING, "participant (from the record's manifest or fingerprint; empty when unknown)"),
    Column("track", STRING, "track (telescope/data set)"),
    Column("profile", STRING, "hardware profile (`cpu-1`, `cpu-8`, `gpu-1`) or `paper`"),
    Column("data", STRING, "the board's data label: the data a number was measured on (rows compare within it)"),
    Column("split", STRING, "split measured on"),
    Column("provenance", STRING, "`verified` (measured here), `paper` (reported by the paper), `estimate` (VDM bound)"),
    Column("badges", STRINGS, "the board's badges: provenance, `synthetic`, `archive`, `failed`, `portable`, "
                              "`not-portable`"),
    Column("synthetic", BOOL, "measured on synthetic frames"),
    Column("neural", BOOL, "a neural codec"),
    Column("kind", STRING, "method kind: `classical`, `neural` or `archive`"),
    Column("data_kind", STRING, "`real` or `synthetic`"),
    Column("status", STRING, "`ok` or `failed`"),
    Column("failure_kind", STRING, "failure kind (evaluator.core.failures), empty when ok"),
    Column("failure_message", STRING, "what went wrong, for a person; empty when ok"),
    *_SUMMARY,
    Column("encode_s", FLOAT, _RECORD_LEVEL["encode_s"].doc + " (s)"),
    Column("image_mb", FLOAT, _RECORD_LEVEL["image_mb"].doc + " (MB)"),
    Column("startup_s", FLOAT, _RECORD_LEVEL["startup_s"].doc + " (s)"),
    Column("params_m", FLOAT, _RECORD_LEVEL["params_m"].doc + " (millions)"),
    Column("weights_sha256", STRING, "SHA-256 of the weights a neural codec reported"),
    Column("portable", BOOL, "portable-decode check passed (empty: not checked)"),
    Column("portable_env", STRING, "environment the portable-decode check ran in"),
    Column("bound_note", STRING, "an estimate whose training moved its bound by under 2 % from the untrained model's "
                                 "says so (the board's `untrained` badge); empty otherwise"),
    Column("real_val_note", STRING, "a neural checkpoint that codes the real (packaged) frames in more bits per pixel "
                                    "than RICE says so (the board's `worse-than-rice` badge); empty otherwise"),
    Column("portable_detail", STRING, "what the portable-decode check found"),
    Column("hardware", STRING, "short label of the measuring machine"),
    Column("fingerprint_id", STRING, "short id of the machine fingerprint (runtimes compare within one id)"),
    Column("cores", INT, "cores granted (the cost columns' core-hours)"),
    *(Column(f"fingerprint_{c.name}", c.type, c.doc) for c in FINGERPRINT_FIELDS),
    Column("image_digest", STRING, "digest of the codec image that was measured"),
    Column("source", STRING, "citation (paper records)"),
    Column("trained_on", STRING, "cross-track records: the training set (empty otherwise)"),
    Column("campaign", STRING, "organizer campaign that measured it (empty: none)"),
    Column("created_at", STRING, "when the record was written (ISO 8601, UTC)"),
    Column("item_rows", INT, "rows of this record in the `items` table (empty: the record has no per-item table)"),
    Column("items_sha256", STRING, "SHA-256 of the record's per-item file in the results store (changes with it)"),
    Column("record_sha256", STRING, "SHA-256 of the record's JSON in the results store (changes with it)"),
    Column(RECORD_JSON, STRING, "the whole record as JSON "
           "(`evaluator.results.records.ResultRecord.from_dict`), without "
                                "`item_ratios` (the `ok` rows of the `items` table)"),
)

# The per-item columns (evaluator.core.schema.ItemRow), one type each (the store's per-record files disagree).
ITEM_FIELDS: tuple[Column, ...] = (
    Column("item_id", STRING, "test item id"),
    Column("shape", STRING, "item shape, `HxW` or `TxHxW`"),
    Column("npix", INT, "pixels in the item"),
    Column("compressed_bytes", INT, "size of the codec's bitstream, bytes"),
    Column("bpp", FLOAT, "bits per pixel of the bitstream"),
    Column("ratio", FLOAT, "compression ratio 16*npix/(8*bytes)"),
    Column("encode_s", FLOAT, "encode wall time (median of the timed repeats), s"),
    Column("decode_s", FLOAT, "decode wall time (median of the timed repeats), s"),
    Column("noise_sigma", FLOAT, "estimated read-noise sigma of the item"),
    Column("noise_bpp", FLOAT, "noise-floor bits per pixel of the item"),
    Column("exptime", FLOAT, "exposure time from the FITS header, s (empty: unknown)"),
    Column("status", STRING, "`ok` or `failed`"),
    Column("failure_kind", STRING, "failure kind of the item (empty when ok)"),
    Column("failure_message", STRING, "what went wrong with the item (empty when ok)"),
    Column("timing_repeats", INT, "round trips timed"),
    Column("encode_s_spread", FLOAT, "(max - min) / median of the repeated encode times"),
    Column("decode_s_spread", FLOAT, "(max - min) / median of the repeated decode times"),
    Column("max_abs_error", INT, "near-lossless tracks: the bound the item was verified at, ADU (empty: lossless)"),
    Column("err_abs_max", INT, "near-lossless: largest |decoded - original| of the item, ADU"),
    Column("err_rms", FLOAT, "near-lossless: RMS of decoded - original, ADU"),
    Column("err_mean", FLOAT, "near-lossless: mean of decoded - original (bias), ADU"),
    Column("changed_frac", FLOAT, "near-lossless: fraction of pixels changed"),
    Column("flux_dev_median", FLOAT, "near-lossless, synthetic: median |star aperture flux change| / Poisson noise"),
    Column("flux_dev_worst", FLOAT, "near-lossless, synthetic: largest |star aperture flux change| / Poisson noise"),
    Column("flux_bias", FLOAT, "near-lossless, synthetic: median signed star flux change / Poisson noise"),
    Column("n_sources", INT, "near-lossless, synthetic: injected stars checked"),
    Column("coding_bits", FLOAT, "reported by the codec, not verified: its payload's coding NLL, bits (empty: none)"),
    Column("side_bits", INT, "reported by the codec, not verified: header and side-information bits (empty: none)"),
)
ITEM_TABLE: tuple[Column, ...] = (
    Column("key", STRING, "record key (`records` table)"),
    Column("submission", STRING, "submission id"),
    Column("codec", STRING, "codec display name"),
    Column("track", STRING, "track"),
    Column("profile", STRING, "hardware profile"),
    Column("data", STRING, "the board's data label"),
    *ITEM_FIELDS,
)


def schema(columns: Iterable[Column]) -> pa.Schema:
    return pa.schema([pa.field(c.name, c.type, nullable=True) for c in columns])


RECORD_SCHEMA = schema(RECORD_TABLE)
ITEM_SCHEMA = schema(ITEM_TABLE)


def column_docs(columns: Iterable[Column]) -> list[tuple[str, str, str]]:
    """``(name, type, description)`` of each column, for the dataset card."""
    return [(c.name, str(c.type), c.doc) for c in columns]


def coerce(value: Any, kind: pa.DataType) -> Any:
    """``value`` as a Python value of Arrow type ``kind``, or None when it does not fit (never raises)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind == STRING:
        if isinstance(value, (list, tuple)):  # a shape written as a list
            return "x".join(str(v) for v in value)
        return str(value)
    if kind == BOOL:
        return bool(value) if isinstance(value, (bool, int, np.bool_)) else None
    if kind == INT:
        if isinstance(value, bool):
            return None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return int(value) if isinstance(value, int) or hasattr(value, "__index__") else None
    if kind == FLOAT:
        if isinstance(value, bool):
            return None
        try:
            out = float(value)
        except (TypeError, ValueError):
            return None
        return out if math.isfinite(out) else None
    if kind == STRINGS:
        return [str(v) for v in value] if isinstance(value, (list, tuple)) else None
    raise TypeError(f"no conversion to {kind}")


def _check() -> None:
    """The tables cover what the board reads (``RECORD_COLUMNS``) and every per-item field, once each."""
    names = [c.name for c in RECORD_TABLE]
    missing = [c for c in RECORD_COLUMNS if c not in names]
    if missing or len(set(names)) != len(names):
        raise RuntimeError(f"the records table lacks board columns {missing} or repeats a name")
    if tuple(c.name for c in ITEM_FIELDS) != ITEM_COLUMNS:
        raise RuntimeError("the items table's columns are not evaluator.core.schema.ITEM_COLUMNS")


_check()
