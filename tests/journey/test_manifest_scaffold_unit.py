"""codec.toml validation, the scaffold, the hosted inbox on fsspec (no Docker)."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from challenge.scaffold import LANGUAGES, ScaffoldError, create_codec_folder
from evaluator.core.manifest import ManifestError, load_manifest, validate_manifest
from submissions.inbox.ingest import ingest
from submissions.inbox.submission_store import SubmissionStore
from submissions.queue.submission_queue import SubmissionQueue

REPO = Path(__file__).resolve().parents[2]
GOOD = {"name": "delta-zlib", "version": "1.0.0", "authors": ["Ada"], "license": "MIT", "description": "d"}


def test_manifest_accepts_good_and_lists_every_problem() -> None:
    m = validate_manifest(GOOD)
    assert m.profile == "cpu-1" and m.gpu is False and m.prepare_command is None
    with pytest.raises(ManifestError) as info:
        validate_manifest({"name": "Bad Name", "authors": [], "gpu": "yes", "profile": "tpu", "colour": 1})
    text = str(info.value)
    for needle in ("name 'Bad Name'", "version is required", "authors", "license is required",
                   "gpu must be true or false", "profile 'tpu'", "unknown keys ['colour']"):
        assert needle in text
    with pytest.raises(ManifestError, match="gpu-1"):
        validate_manifest({**GOOD, "gpu": True, "profile": "cpu-1"})


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_init_writes_a_valid_folder(tmp_path: Path, lang: str) -> None:
    folder = tmp_path / "My Codec"
    create_codec_folder(folder, lang=lang)
    manifest = load_manifest(folder)
    assert manifest.name == "my-codec"
    dockerfile = (folder / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE" in dockerfile and "FROM ${BASE_IMAGE}" in dockerfile
    assert "{{name}}" not in "".join(p.read_text() for p in folder.iterdir() if p.is_file() and p.suffix != ".pt")
    assert (load_manifest(folder).base == "torch") == (lang == "torch")
    assert (manifest.prepare_command == "make") == (lang == "c")
    with pytest.raises(ScaffoldError, match="not empty"):
        create_codec_folder(folder, lang=lang)


def test_python_template_codec_round_trips(tmp_path: Path) -> None:
    create_codec_folder(tmp_path / "c", lang="python")
    ns: dict[str, object] = {"__name__": "template"}
    exec(compile((tmp_path / "c" / "codec.py").read_text(), "codec.py", "exec"), ns)
    rng = np.random.default_rng(1)
    for a in (rng.poisson(900, (64, 65)).astype(np.uint16), rng.integers(0, 65536, (3, 8, 9), dtype=np.uint16),
              np.full((2, 2, 3, 4), 65535, np.uint16)):
        stream = ns["encode"](a)  # type: ignore[operator]
        back = ns["decode"](stream)  # type: ignore[operator]
        assert back.dtype == np.uint16 and back.shape == a.shape and np.array_equal(back, a)


def test_torch_template_codec_round_trips_and_beats_raw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The torch template as generated: trained weights shipped, bit-exact on odd shapes and outliers."""
    folder = tmp_path / "nn"
    create_codec_folder(folder, lang="torch")
    monkeypatch.syspath_prepend(str(folder))
    for mod in ("codec", "model"):
        sys.modules.pop(mod, None)
    codec = importlib.import_module("codec")
    rng = np.random.default_rng(2)
    sky = rng.poisson(900, (100, 131)).astype(np.uint16)
    sky[40, 50] = 65535  # a saturated pixel
    for a in (sky, rng.integers(0, 65536, (3, 9, 8), dtype=np.uint16), np.zeros((1, 1), np.uint16),
              np.full((2, 2, 3, 4), 65535, np.uint16)):
        back = codec.decode(codec.encode(a))
        assert back.dtype == np.uint16 and back.shape == a.shape and np.array_equal(back, a)
    assert len(codec.encode(sky)) < 0.75 * sky.nbytes  # a Poisson sky compresses
    with pytest.raises(ValueError, match="other weights"):
        stream = bytearray(codec.encode(sky))
        codec.WEIGHTS_SHA256 = "0" * 64
        codec.decode(bytes(stream))


def _speak(cmd: list[str], mode: str, requests: list[dict[str, str]], cwd: Path) -> list[dict[str, object]]:
    lines = "".join(json.dumps(r) + "\n" for r in requests)
    proc = subprocess.run([*cmd, mode], input=lines, capture_output=True, text=True, cwd=cwd, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(x) for x in proc.stdout.splitlines()]


@pytest.mark.parametrize("lang", ["c", "shell"])
def test_non_python_templates_speak_the_contract_on_the_host(tmp_path: Path, lang: str) -> None:
    if lang == "c" and not shutil.which("make"):
        pytest.skip("no make/gcc on this machine")
    folder = tmp_path / "codec"
    create_codec_folder(folder, lang=lang)
    if lang == "c":
        subprocess.run(["make"], cwd=folder, check=True, capture_output=True)
        cmd = [str(folder / "codec")]
    else:
        cmd = ["bash", str(folder / "codec.sh")]
    rng = np.random.default_rng(2)
    arrays = {"a": rng.poisson(500, (40, 33)).astype(np.uint16), "b": rng.integers(0, 65536, (2, 5, 7), np.uint16)}
    for k, a in arrays.items():
        np.save(tmp_path / f"{k}.npy", a)
    enc = _speak(cmd, "encode", [{"input": str(tmp_path / f"{k}.npy"), "id": k, "output": str(tmp_path / f"{k}.bin")}
                                 for k in arrays], tmp_path)
    assert enc[0]["ready"] is True and [r["ok"] for r in enc[1:]] == [True, True]
    requests = [{"id": k, "input": str(tmp_path / f"{k}.bin"), "output": str(tmp_path / f"{k}.out.npy")}
                for k in arrays]
    requests.append({"id": "x", "input": str(tmp_path / "missing"), "output": str(tmp_path / "x.npy")})
    dec = _speak(cmd, "decode", requests, tmp_path)
    assert [r["ok"] for r in dec[1:]] == [True, True, False] and dec[-1]["id"] == "x"
    for k, a in arrays.items():
        assert np.array_equal(np.load(tmp_path / f"{k}.out.npy", allow_pickle=False), a)


def test_example_c_codec_is_the_c_template() -> None:
    ex = REPO / "examples" / "c-rice-codec"
    tpl = REPO / "challenge" / "scaffold" / "c"
    for name in ("codec.c", "Makefile", "Dockerfile"):
        assert (ex / name).read_bytes() == (tpl / name).read_bytes(), f"examples/c-rice-codec/{name} drifted"
    assert tomllib.loads((ex / "codec.toml").read_text())["build"]["prepare"] == "make"


def test_hosted_inbox_round_trip_on_fsspec(tmp_path: Path) -> None:
    store = SubmissionStore("memory://inbox-test")
    tar = tmp_path / "image.tar"
    tar.write_bytes(b"not really a tar")
    rid = store.put_request({"participant": "ada", "name": "c", "image_digest": "sha256:" + "a" * 64,
                             "tar_sha256": "x", "manifest": {"name": "c"}}, tar)
    rid2 = store.put_request({"participant": "bob", "name": "c", "image_digest": "sha256:" + "a" * 64}, tar)
    assert store.request_ids() == sorted([rid, rid2])
    q = SubmissionQueue(tmp_path / "q")
    rep = ingest(store, q)
    assert len(rep.accepted) == 1 and len(rep.rejected) == 1 and "already submitted" in rep.rejected[0][1]
    sub = q.get(rep.accepted[0])
    assert sub.request_id == rid and Path(sub.image_tar or "").read_bytes() == b"not really a tar"
    again = ingest(store, q)  # each request is handled once
    assert again.accepted == [] and again.rejected == []


def test_test_table_shows_baselines_on_the_same_data_only(capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    from challenge.cli import participant
    from evaluator.results.records import Failure, ResultRecord, ResultStore

    url = "memory://journey-baselines"
    store = ResultStore(url)

    def rec(sub: str, codec: str, split: str, ratio: float, status: str = "ok", profile: str = "cpu-1") -> ResultRecord:
        return ResultRecord(submission=sub, codec=codec, track="keck", profile=profile, split=split,
                            provenance="verified", synthetic=True, status=status,  # type: ignore[arg-type]
                            summary={"ratio_mean": ratio, "bpp_mean": 16 / ratio},
                            failure=None if status == "ok" else Failure("crash", "boom\ncodec said: oops"))

    store.write(rec("baseline-jpegxl-max", "JPEG-XL max", "synthetic-small-s0:full_test", 2.5))
    store.write(rec("baseline-rice", "RICE", "hub@main:full_test", 2.1))  # other data: not shown
    store.write(rec("sub-x", "someone", "synthetic-small-s0:full_test", 9.9))  # not a baseline
    store.write(rec("baseline-jpegls", "JPEG-LS", "synthetic-small-s0:full_test", 2.3, profile="inprocess"))
    store.write(rec("baseline-jpegxl-max", "JPEG-XL max", "synthetic-small-s0:full_test", 2.4, profile="inprocess"))
    rows = participant._baseline_rows(url, "synthetic-small-s0:full_test", "cpu-1", {"keck"})
    # one row per baseline, the same profile preferred; other profiles still give their ratio
    assert sorted((r.codec, r.profile) for r in rows["keck"]) == [("JPEG-LS", "inprocess"), ("JPEG-XL max", "cpu-1")]
    mine = rec("local-test-me", "me", "synthetic-small-s0:full_test", 2.2, status="failed")
    assert participant._print_results([mine], rows, "synthetic-small-s0:full_test") is False
    out = capsys.readouterr().out
    assert "JPEG-XL max" in out and "2.500" in out and "RICE" not in out and "someone" not in out
    assert "keck failed" in out and "codec said: oops" in out
    assert "baseline*" in out and "profile inprocess" in out and "not comparable" in out
