"""Typed through a run: item rows reach the writer as ItemRow, the fingerprint and image identity as dataclasses.

JSON appears only at the storage boundary, with the keys every earlier record used.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

import numpy as np
import pytest

from baselines.classical.codecs import get_codec
from evaluator.core.schema import ItemRow
from evaluator.core.tracks import get_track
from evaluator.data.items import Item
from evaluator.results.fingerprints import Fingerprint
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ITEM_COLUMNS, ResultRecord, ResultStore, item_frame
from evaluator.run.evaluate import ItemsSource, RunContext, evaluate_runner
from evaluator.run.inprocess import InProcessCodec, inprocess_fingerprint

KECK = get_track("keck")


class _Sink:
    """A record sink that keeps what it was given."""

    def __init__(self) -> None:
        self.written: list[tuple[ResultRecord, Sequence[ItemRow]]] = []

    def write(self, record: ResultRecord, items: Sequence[ItemRow]) -> str:
        self.written.append((record, items))
        return record.key


def _source(n: int = 3) -> ItemsSource:
    rng = np.random.default_rng(1)
    return ItemsSource({"keck": [Item(f"k-{i}", rng.integers(900, 1100, size=(32, 32), dtype=np.uint16))
                                 for i in range(n)]})


def _context(source: ItemsSource, **kw: object) -> RunContext:
    base: dict[str, object] = dict(submission="sub-typed", codec="RICE", profile_name="inprocess",
                                   fingerprint=inprocess_fingerprint("rice", source))
    return RunContext(**{**base, **kw})  # type: ignore[arg-type]


def test_the_writer_gets_item_rows_and_the_record_its_json() -> None:
    source, sink = _source(), _Sink()
    (record,) = evaluate_runner(lambda t: InProcessCodec(get_codec("rice"), t.name), [KECK], source,
                                _context(source, store=sink))
    (written, rows), = sink.written
    assert written is record and len(rows) == 3 and all(isinstance(r, ItemRow) for r in rows)
    assert [r.item_id for r in rows] == ["k-0", "k-1", "k-2"] and {r.status for r in rows} == {"ok"}
    assert record.summary.n_items == 3 and record.summary.ratio_mean == pytest.approx(np.mean([r.ratio for r in rows]))
    assert isinstance(record.fingerprint, Fingerprint) and record.fingerprint.inprocess_codec == "rice"
    assert record.image_digest is None and record.fingerprint.image is None  # in-process: no image
    assert record.fingerprint_json()["image_digest"] is None  # stored with its key, as every earlier record


def test_a_store_writes_typed_rows_as_the_same_table() -> None:
    source = _source(2)
    store = ResultStore("memory://typed-rows")
    (record,) = evaluate_runner(lambda t: InProcessCodec(get_codec("rice"), t.name), [KECK], source,
                                _context(source, store=store))
    table = store.items(record.key)
    assert list(table.columns) == list(ITEM_COLUMNS) and list(table["item_id"]) == ["k-0", "k-1"]
    assert store.read(record.key).item_ratios == {i: float(r) for i, r in zip(table["item_id"], table["ratio"])}
    assert list(item_frame([]).columns) == list(ITEM_COLUMNS)  # a run with no rows: the columns only


def test_fingerprint_json_round_trips_and_keeps_unknown_keys() -> None:
    image = ImageIdentity("sha256:" + "ab" * 32, id="sha256:" + "cd" * 32, ref="mine:latest",
                          compressed_size_bytes=1234, modes="lossless,near-lossless")
    fp = Fingerprint(profile="cpu-1", cpu_model="Xeon", cores_granted=1, cpuset="3", image=image, synthetic=True)
    stored = fp.to_json()
    assert stored["image_digest"] == image.digest and stored["image_compressed_bytes"] == 1234
    assert "inprocess_codec" not in stored and "image" not in stored and "extra" not in stored
    assert "absent" not in stored and stored["gpu_model"] is None  # a new fingerprint writes every other key
    back = Fingerprint.from_json(stored)
    assert back.image == ImageIdentity(image.digest, compressed_size_bytes=1234)  # records keep digest and size
    assert back.to_json() == stored
    older = {"cpu_model": "Intel Xeon Gold 6338", "cores": 1, "memory_gb": 4, "image_digest": "sha256:ef"}
    assert Fingerprint.from_json(older).to_json() == older  # exactly: no key added
    assert Fingerprint.from_json(older).extra == {"cores": 1, "memory_gb": 4}


def test_a_record_gives_its_typed_fingerprint_and_old_records_still_read() -> None:
    source = _source(1)
    fp = dataclasses.replace(inprocess_fingerprint("rice", source), image=ImageIdentity("sha256:" + "1" * 64))
    rec = ResultRecord(submission="s", codec="c", track="keck", profile="cpu-1", split="x", provenance="verified",
                       synthetic=True, status="ok", fingerprint=fp)
    stored = json.loads(rec.to_json())
    assert "image_digest" not in stored and stored["fingerprint"]["image_digest"] == "sha256:" + "1" * 64  # once
    assert stored["fingerprint"] == fp.to_json()  # flat, the keys every earlier record used
    again = ResultRecord.from_dict(stored)
    assert again.fingerprint == fp and again == rec and again.to_json() == rec.to_json()
    # a mapping is still accepted (older call sites) and read as the typed value
    assert ResultRecord(**{**dataclasses.asdict(rec), "fingerprint": fp.to_json()}).fingerprint == fp
    assert again.image_digest == "sha256:" + "1" * 64
    # a record written before the identity was stored once: its top-level copy still reads
    legacy = {**stored, "image_digest": "sha256:" + "2" * 64,
              "fingerprint": {k: v for k, v in stored["fingerprint"].items() if k != "image_digest"}}
    assert ResultRecord.from_dict(legacy).image_digest == "sha256:" + "2" * 64
    paper = ResultRecord(submission="paper-x", codec="c", track="keck", profile="paper", split="x",
                         provenance="paper", synthetic=False, status="ok")
    assert paper.fingerprint is None and json.loads(paper.to_json())["fingerprint"] == {}  # stored as before
    assert ResultRecord.from_dict(json.loads(paper.to_json())) == paper
    assert ResultRecord.from_dict({**json.loads(paper.to_json()), "fingerprint": None}).fingerprint is None


class _FakeImage:
    id = "sha256:" + "a" * 64
    attrs = {"RepoDigests": ["reg.example/mine@sha256:" + "b" * 64],
             "Config": {"User": "1000:1000", "Labels": {"org.astrocompress.compressed-size": "4242"}}}


class _FakeImages:
    def __init__(self, present: bool) -> None:
        self.present = present

    def get(self, ref: str) -> _FakeImage:
        import docker  # noqa: PLC0415

        if not self.present:
            raise docker.errors.ImageNotFound(ref)
        return _FakeImage()


class _FakeClient:
    def __init__(self, present: bool) -> None:
        self.images = _FakeImages(present)


@pytest.mark.parametrize("present", [True, False])
def test_an_image_identity_reaches_the_record_once_measured(monkeypatch: pytest.MonkeyPatch, present: bool) -> None:
    """The sandboxed path without Docker: the image's identity (inspected once) names the record and its fingerprint."""
    import evaluator.run.evaluate as ev  # noqa: PLC0415

    monkeypatch.setattr(ev, "docker_client", lambda: _FakeClient(present))
    monkeypatch.setattr(ev, "SandboxedCodec", lambda image, prof, **kw: InProcessCodec(get_codec("rice"), kw["track"]))
    store = ResultStore(f"memory://identity-{present}")
    (record,) = ev.evaluate_image(ev.ImageRun("mine:latest", [KECK], _source(2), "cpu-1", store))
    fp = record.fingerprint
    assert fp is not None and fp.docker_version == record.fingerprint_json()["docker_version"]  # sandboxed: asked
    if present:
        digest = "reg.example/mine@sha256:" + "b" * 64  # the registry digest, not the local id
        assert record.status == "ok" and record.submission == "image-" + "a" * 12
        assert record.image_digest == record.fingerprint_json()["image_digest"] == digest
        assert fp.image is not None and fp.image.compressed_size_bytes == 4242  # the label's size, not measured
        stored = store.read(record.key).fingerprint  # a record keeps the digest and the size of the image
        assert stored is not None and stored.image == ImageIdentity(digest, compressed_size_bytes=4242)
        assert len(store.items(record.key)) == 2
    else:
        assert record.failure is not None and record.failure.kind == "image_error"
        assert record.image_digest is None and fp.image is None and record.submission == "image-mine:latest"


def test_a_frozen_identity_is_carried_to_the_record_and_a_replaced_image_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``ImageRun`` with the identity frozen at submit time: the record keeps its name and tar size; an engine
    image whose id is not the frozen one is refused (image_error), never measured in its place."""
    import evaluator.run.evaluate as ev  # noqa: PLC0415

    monkeypatch.setattr(ev, "docker_client", lambda: _FakeClient(True))
    monkeypatch.setattr(ev, "SandboxedCodec", lambda image, prof, **kw: InProcessCodec(get_codec("rice"), kw["track"]))
    frozen = ImageIdentity.frozen("sha256:" + "a" * 64, ref="team/codec:1", compressed_size_bytes=99)
    (record,) = ev.evaluate_image(ev.ImageRun(frozen, [KECK], _source(2), "cpu-1", None, submission="sub-1"))
    assert record.status == "ok" and record.fingerprint is not None and record.fingerprint.image is not None
    assert record.fingerprint.image.compressed_size_bytes == 99  # the submitted tar's size, not the label's 4242
    assert record.image_digest == "reg.example/mine@sha256:" + "b" * 64
    replaced = dataclasses.replace(frozen, id="sha256:" + "c" * 64)
    (record,) = ev.evaluate_image(ev.ImageRun(replaced, [KECK], _source(2), "cpu-1", None, submission="sub-1"))
    assert record.failure is not None and record.failure.kind == "image_error"
    assert "sha256:" + "c" * 64 in record.failure.message and record.image_digest is None
