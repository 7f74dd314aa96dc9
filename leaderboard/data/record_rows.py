"""One flat row per result record: what the board's tables are built from.

``record_row`` flattens a ``ResultRecord`` (summary, fingerprint, portable
check, codec info) into the ``RECORD_COLUMNS``, with the labels the board
filters and groups by (``leaderboard.data.record_labels.row_labels``) computed once, as
the record is loaded.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from evaluator.core.schema import SUMMARY_COLUMNS
from evaluator.results.records import BOUND_NOTE_KEY, TRAINED_ON_KEY, ResultRecord
from evaluator.sandbox.profiles import machine_fingerprint
from leaderboard.data.real_val_note import real_val_note
from leaderboard.data.record_labels import LABEL_COLUMNS, row_labels

RECORD_COLUMNS: tuple[str, ...] = (
    "key", "submission", "codec", "track", "profile", "split", "provenance", "synthetic", "status",
    "neural", "hardware", "fingerprint_id", "image_digest", "image_mb", "source", "created_at",
    "failure_kind", "failure_message", "portable", "portable_env", "portable_detail", "params_m", "weights_sha256",
    "cores", "trained_on", "bound_note", "real_val_note",
    # the summary's metrics, the codec's own report among them (coding_bpp, side_bpp, coding_overhead: labelled
    # "codec's report" in evaluator.core.schema.METRIC_TABLE, never ranked)
    *SUMMARY_COLUMNS, *LABEL_COLUMNS,
)


def hardware_label(fingerprint: dict[str, Any]) -> str:
    """A short, human label of the machine a record was measured on."""
    if not fingerprint:
        return ""
    cpu = fingerprint.get("cpu_model") or fingerprint.get("cpu") or ""
    cores = fingerprint.get("cores_granted") or fingerprint.get("cores") or fingerprint.get("cpus")
    gpu = fingerprint.get("gpu_model") or fingerprint.get("gpu")
    bits = [str(cpu).strip()] if cpu else []
    if cores:
        bits.append(f"{cores} cores")
    if gpu:
        bits.append(str(gpu))
    return ", ".join(bits)


def fingerprint_id(fingerprint: dict[str, Any]) -> str:
    """Stable short id of a fingerprint minus the per-submission fields.

    Runtimes are comparable only within one profile and one machine
    fingerprint (DESIGN.md "Measurement"); the image digest and dataset
    revision differ per submission/split and are left out of this id.
    """

    if not fingerprint:
        return ""
    machine = machine_fingerprint(fingerprint)
    blob = json.dumps(machine, sort_keys=True, default=str).encode()
    return hashlib.sha1(blob).hexdigest()[:8]


def _megabytes(n: Any) -> float | None:
    return float(n) / 1e6 if isinstance(n, (int, float)) and not isinstance(n, bool) and n > 0 else None


def record_row(key: str, rec: ResultRecord) -> dict[str, Any]:
    """One flat row of the records table."""
    fp = rec.fingerprint_json()  # flat, as stored: older records' keys (``cpu``, ``cores``) label them too
    row: dict[str, Any] = {
        "key": key,
        "submission": rec.submission,
        "codec": rec.codec,
        "track": rec.track,
        "profile": rec.profile,
        "split": rec.split,
        "provenance": rec.provenance,
        "synthetic": bool(rec.synthetic),
        "status": rec.status,
        "neural": bool(rec.neural),
        "hardware": hardware_label(fp),
        "fingerprint_id": fingerprint_id(fp),
        "image_digest": rec.image_digest or "",
        # DESIGN.md "Measurement": the codec image's compressed size is shown (a codec
        # could carry data inside itself).
        "image_mb": _megabytes(fp.get("image_compressed_bytes")),
        # a neural codec names the checkpoint that coded the items (its ready line's info)
        "params_m": _megabytes(rec.codec_info.get("params")),
        "weights_sha256": str(rec.codec_info.get("sha256") or rec.codec_info.get("weights_sha256") or ""),
        "source": rec.source or "",
        "created_at": rec.created_at,
        "failure_kind": rec.failure.kind if rec.failure else "",
        "failure_message": rec.failure.message if rec.failure else "",
        # DESIGN.md "Portable decode": True (passed every CPU environment) / False (broke), None when not checked
        # (in-process, failed) or checked under only some environments (a profile's choice, older records)
        "portable": rec.portable.shown_ok if rec.portable else None,
        "portable_env": rec.portable.environment if rec.portable else "",
        "portable_detail": (rec.portable.detail or "") if rec.portable else "",
        # cores the codec was granted (the cost columns' core-hours); None when not recorded
        "cores": fp.get("cores_granted"),
        # cross-track records (paper Table 2 and ours): the training set; "" for every other record
        "trained_on": str((rec.manifest or {}).get(TRAINED_ON_KEY) or ""),
        # an estimate whose training left the bound within 2 % of the untrained model's (``baselines.neural.vdm_curve``)
        "bound_note": str((rec.manifest or {}).get(BOUND_NOTE_KEY) or "") if rec.provenance == "estimate" else "",
        # a neural checkpoint worse than RICE on the real (packaged) frames (``leaderboard.data.real_val_note``)
        "real_val_note": real_val_note(rec.codec_info, bool(rec.neural)),
    }
    for col in SUMMARY_COLUMNS:
        row[col] = rec.summary.value(col)
    # what the board filters and groups by, computed once per record (``leaderboard.views.tables.with_labels``)
    row.update(row_labels(rec.split, rec.synthetic, rec.provenance, rec.neural, rec.submission,
                          row["encode_s_median"], row["encode_s_mean"]))
    return row
