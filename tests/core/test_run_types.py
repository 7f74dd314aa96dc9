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
    assert isinstance(record.fingerprint, dict) and record.fingerprint["inprocess_codec"] == "rice"
    assert record.image_digest is None and record.fingerprint["image_digest"] is None  # in-process: no image


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
    back = Fingerprint.from_json(stored)
    assert back.image == ImageIdentity(image.digest, compressed_size_bytes=1234)  # records keep digest and size
    assert back.to_json() == stored
    older = {"cpu_model": "Intel Xeon Gold 6338", "cores": 1, "memory_gb": 4, "image_digest": "sha256:ef"}
    assert Fingerprint.from_json(older).to_json() == {**Fingerprint(profile="").to_json(), **older}
    assert Fingerprint.from_json(older).extra == {"cores": 1, "memory_gb": 4}


def test_a_record_gives_its_typed_fingerprint_and_old_records_still_read() -> None:
    source = _source(1)
    fp = dataclasses.replace(inprocess_fingerprint("rice", source), image=ImageIdentity("sha256:" + "1" * 64))
    rec = ResultRecord(submission="s", codec="c", track="keck", profile="cpu-1", split="x", provenance="verified",
                       synthetic=True, status="ok", fingerprint=fp.to_json())
    stored = json.loads(rec.to_json())
    assert "image_digest" not in stored and stored["fingerprint"]["image_digest"] == "sha256:" + "1" * 64  # once
    again = ResultRecord.from_dict(stored)
    assert again.run_fingerprint() == fp and again.fingerprint == rec.fingerprint
    assert again.image_digest == "sha256:" + "1" * 64
    # a record written before the identity was stored once: its top-level copy still reads
    legacy = {**stored, "image_digest": "sha256:" + "2" * 64,
              "fingerprint": {k: v for k, v in stored["fingerprint"].items() if k != "image_digest"}}
    assert ResultRecord.from_dict(legacy).image_digest == "sha256:" + "2" * 64
    paper = ResultRecord(submission="paper-x", codec="c", track="keck", profile="paper", split="x",
                         provenance="paper", synthetic=False, status="ok")
    assert paper.run_fingerprint() is None and ResultRecord.from_dict(json.loads(paper.to_json())) == paper


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
    fp = record.run_fingerprint()
    assert fp is not None and fp.docker_version == record.fingerprint["docker_version"]  # sandboxed: asked
    if present:
        digest = "reg.example/mine@sha256:" + "b" * 64  # the registry digest, not the local id
        assert record.status == "ok" and record.submission == "image-" + "a" * 12
        assert record.image_digest == record.fingerprint["image_digest"] == digest
        assert fp.image == ImageIdentity(digest, compressed_size_bytes=4242)  # the label's size, not measured
        assert len(store.items(record.key)) == 2
    else:
        assert record.failure is not None and record.failure.kind == "image_error"
        assert record.image_digest is None and fp.image is None and record.submission == "image-mine:latest"
