"""Real baseline images through the sandbox: same bytes as in process, and the CLI end to end."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from baselines.classical import get_codec
from baselines.registry import BASELINES
from challenge.cli import app
from evaluator.core.tracks import TRACKS
from evaluator.results.records import ResultStore
from evaluator.run.evaluate import ImageRun, evaluate_image
from evaluator.run.inprocess import evaluate_inprocess

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def baseline_images(docker_client):
    from baselines.baseline_images import ensure_baseline_images  # noqa: PLC0415

    return ensure_baseline_images()


def test_sandboxed_rice_matches_inprocess_rice(baseline_images, tiny_source, test_profile):
    store = ResultStore("memory://baselines")
    tracks = [TRACKS["hubble"], TRACKS["sdss-3d-lambda"]]
    sbx = evaluate_image(ImageRun(baseline_images["rice"].tag, tracks, tiny_source, test_profile, store,
                                  submission="baseline-rice", codec_name="RICE", measure_image_size=False))
    inp = evaluate_inprocess(get_codec("rice"), tracks, tiny_source, store)
    for a, b in zip(sbx, inp, strict=True):
        assert a.status == b.status == "ok", (a.failure, b.failure)
        assert a.profile == "test-cpu-1" and b.profile == "inprocess"
        rows_a, rows_b = store.items(a.key), store.items(b.key)
        assert list(rows_a["compressed_bytes"]) == list(rows_b["compressed_bytes"])
        assert a.summary.ratio_mean == pytest.approx(b.summary.ratio_mean)
        assert a.summary.ratio_mean > 1.2  # Poisson sky compresses
        assert rows_a["noise_bpp"].notna().all() and (rows_a["encode_s"] > 0).all()
        assert a.startup_s is not None and a.startup_s > 0


def test_admin_evaluate_cli_json(baseline_images, tmp_path, monkeypatch):
    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["admin", "evaluate", baseline_images["jpegls"].tag, "--track", "hubble,sdss-2d",
                                      "--data", "synthetic", "--split", "tiny_test", "--store", str(store),
                                      "--json", "--name", "JPEG-LS"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout[result.stdout.index("{"):])
    assert set(out) == {"hubble", "sdss-2d"}
    assert out["hubble"]["status"] == "ok" and out["hubble"]["ratio_mean"] > 1.0 and out["hubble"]["failure"] is None
    assert len(ResultStore(str(store)).keys()) == 2


def test_evaluate_baselines_inprocess_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["admin", "evaluate-baselines", "--inprocess", "--codec", "rice,jpegls",
                                      "--track", "sdss-2d", "--data", "synthetic", "--split", "tiny_test",
                                      "--store", str(store)])
    assert result.exit_code == 0, result.output
    keys = ResultStore(str(store)).keys()
    assert sorted(k.split("/")[0] for k in keys) == ["baseline-jpegls", "baseline-rice"]
    rec = ResultStore(str(store)).read(keys[0])
    titles = {BASELINES["jpegls"].title, BASELINES["rice"].title}  # the registry names the records
    assert rec.codec in titles and rec.profile == "inprocess" and rec.provenance == "verified"
