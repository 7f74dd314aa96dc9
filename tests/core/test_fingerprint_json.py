"""A record carries its fingerprint typed; the stored mapping survives a read and a write unchanged, key for key."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from evaluator.core.json_types import JsonObject
from evaluator.results.fingerprints import Fingerprint
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ResultRecord, ResultStore

DIGEST = "sha256:" + "ab" * 32
FULL: JsonObject = {
    "profile": "cpu-4", "cpu_model": "Intel Xeon Gold 6338", "cores_granted": 4, "cpuset": "0-3",
    "memory_granted_bytes": 8_589_934_592, "gpu_model": None, "gpu_driver": None, "docker_version": "24.0.7",
    "contract_version": "1", "evaluator_version": "0.3.0", "image_digest": DIGEST,
    "image_compressed_bytes": 12_345_678, "data_label": "synthetic-small", "dataset_revision": "r1",
    "synthetic": True, "hostname": "node-7", "python": "3.11.9",
}
SHAPES: dict[str, JsonObject] = {
    "full": FULL,
    "in-process": {**FULL, "image_digest": None, "image_compressed_bytes": None, "cpuset": None,
                   "docker_version": None, "inprocess_codec": "rice"},
    "legacy": {"cpu": "AMD EPYC 7763", "cores": 2, "memory_gb": 4, "image_digest": DIGEST},
    "partial": {"profile": "cpu-1", "cpu_model": "Xeon", "cores_granted": 1},
    "digest null, size kept": {"profile": "cpu-1", "image_digest": None, "image_compressed_bytes": 102_400_000},
    "digest without size": {"profile": "cpu-1", "image_digest": DIGEST},
    "unreadable image keys": {"image_digest": "", "image_compressed_bytes": "12"},
    "codec key null": {"profile": "inprocess", "inprocess_codec": None},
    "odd values": {"profile": None, "cores_granted": "4", "synthetic": 1, "hostname": ["a", {"b": None}]},
    "keys named like attributes": {"extra": {"x": 1}, "image": "mine:latest", "absent": ["profile"]},
    "empty": {},
}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_a_stored_fingerprint_reads_and_writes_back_exactly(shape: JsonObject) -> None:
    stored = copy.deepcopy(shape)
    fp = Fingerprint.from_json(stored)
    assert fp.to_json() == shape and stored == shape  # same keys, same values; the input untouched
    assert Fingerprint.from_json(fp.to_json()) == fp


def test_the_typed_fields_read_the_stored_values() -> None:
    full = Fingerprint.from_json(FULL)
    assert (full.profile, full.cores_granted, full.cpuset, full.synthetic) == ("cpu-4", 4, "0-3", True)
    assert full.image == ImageIdentity(DIGEST, compressed_size_bytes=12_345_678) and full.extra == {}
    legacy = Fingerprint.from_json(SHAPES["legacy"])
    assert legacy.profile == "" and legacy.cpu_model is None and legacy.image == ImageIdentity(DIGEST)
    assert legacy.extra == {"cpu": "AMD EPYC 7763", "cores": 2, "memory_gb": 4}
    assert Fingerprint.from_json(SHAPES["digest null, size kept"]).image is None


def test_a_value_set_on_a_read_fingerprint_is_written() -> None:
    partial = Fingerprint.from_json(SHAPES["partial"])
    image = ImageIdentity(DIGEST, compressed_size_bytes=5)
    changed = dataclasses.replace(partial, gpu_model="H100", image=image, synthetic=True)
    assert changed.to_json() == {**SHAPES["partial"], "gpu_model": "H100", "image_digest": DIGEST,
                                 "image_compressed_bytes": 5, "synthetic": True}
    # equal values, equal fingerprints: what was absent and is set again no longer counts
    set_again = dataclasses.replace(Fingerprint.from_json({}), profile="cpu-1")
    assert set_again == Fingerprint.from_json({"profile": "cpu-1"}) and set_again.to_json() == {"profile": "cpu-1"}


def test_a_new_fingerprint_writes_every_key_and_the_codec_only_when_set() -> None:
    new = Fingerprint(profile="cpu-1", image=ImageIdentity(DIGEST))
    stored = new.to_json()
    assert "inprocess_codec" not in stored and stored["image_compressed_bytes"] is None and stored["cpuset"] is None
    assert set(stored) == set(FULL)
    assert dataclasses.replace(new, inprocess_codec="rice").to_json()["inprocess_codec"] == "rice"
    assert Fingerprint.from_json(stored) == new


def _record(fingerprint: JsonObject) -> ResultRecord:
    return ResultRecord(submission="s", codec="c", track="keck", profile="cpu-1", split="x",
                        provenance="verified", synthetic=True, status="ok",
                        fingerprint=Fingerprint.from_json(fingerprint) if fingerprint else None)


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_a_record_read_and_written_back_stores_the_same_bytes(shape: JsonObject) -> None:
    store = ResultStore("memory://fingerprint-bytes")
    key = store.write(_record(shape))
    first = store.fs.cat_file(f"{store.root}/records/{key}.json")
    record = store.read(key)
    assert record.fingerprint is None if not shape else isinstance(record.fingerprint, Fingerprint)
    assert record.fingerprint_json() == shape and json.loads(first)["fingerprint"] == shape
    store.write(record)
    assert store.fs.cat_file(f"{store.root}/records/{key}.json") == first


def test_the_image_digest_comes_from_the_typed_fingerprint() -> None:
    assert _record(FULL).image_digest == DIGEST
    assert _record(SHAPES["in-process"]).image_digest is None and _record({}).image_digest is None
    # records from before the identity was stored once: the top-level copy moves into the fingerprint
    legacy = {**json.loads(_record(SHAPES["partial"]).to_json()), "image_digest": DIGEST}
    moved = ResultRecord.from_dict(legacy)
    assert moved.image_digest == DIGEST and moved.fingerprint_json() == {**SHAPES["partial"], "image_digest": DIGEST}


def test_a_fingerprint_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        ResultRecord.from_dict({**json.loads(_record({}).to_json()), "fingerprint": ["cpu-1"]})
