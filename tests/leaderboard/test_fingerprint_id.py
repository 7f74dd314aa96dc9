"""A stored record's machine id and labels do not change with how the record carries its fingerprint.

The ids below were computed from these stored fingerprints before records carried a typed
``Fingerprint``: a board built from old records groups its runtimes exactly as before.
"""

from __future__ import annotations

import json

import pytest

from evaluator.results.records import ResultRecord, ResultStore
from leaderboard.data.record_rows import fingerprint_id, record_row

STORED_FULL = {
    "profile": "cpu-4", "cpu_model": "Intel Xeon Gold 6338", "cores_granted": 4, "cpuset": "0-3",
    "memory_granted_bytes": 8589934592, "gpu_model": None, "gpu_driver": None, "docker_version": "24.0.7",
    "contract_version": "1", "evaluator_version": "0.3.0", "image_digest": "sha256:" + "ab" * 32,
    "image_compressed_bytes": 12345678, "data_label": "synthetic-small", "dataset_revision": "r1", "synthetic": True,
    "hostname": "node-7", "python": "3.11.9",
}
STORED_LEGACY = {"cpu": "AMD EPYC", "cores": 2, "image_digest": None, "note": "hand-written"}


@pytest.mark.parametrize(("stored", "machine_id", "hardware", "cores", "image_mb"), [
    (STORED_FULL, "cebb9dec", "Intel Xeon Gold 6338, 4 cores", 4, 12.345678),
    (STORED_LEGACY, "90b36731", "AMD EPYC, 2 cores", None, None),
    ({}, "", "", None, None),
])
def test_a_stored_fingerprint_keeps_its_machine_id(stored: dict[str, object], machine_id: str, hardware: str,
                                                    cores: int | None, image_mb: float | None) -> None:
    store = ResultStore("memory://fingerprint-id")
    record = ResultRecord(submission="s", codec="c", track="keck", profile="cpu-4", split="x", provenance="verified",
                          synthetic=True, status="ok")
    raw = {**json.loads(record.to_json()), "fingerprint": stored}
    store.fs.pipe_file(f"{store.root}/records/{record.key}.json", json.dumps(raw).encode())
    row = record_row(record.key, store.read(record.key))
    assert (row["fingerprint_id"], row["hardware"], row["cores"]) == (machine_id, hardware, cores)
    assert row["image_mb"] == (pytest.approx(image_mb) if image_mb is not None else None)
    assert fingerprint_id(stored) == machine_id  # the flat mapping itself, as before
