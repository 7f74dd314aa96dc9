"""The README's main job, in its in-process form (the sandboxed form is covered
by the sandbox tests, which evaluate the same baseline images)."""

import pytest
from typer.testing import CliRunner

from baselines.registry import BASELINES
from challenge.cli import app
from evaluator.results.records import ResultStore
from leaderboard.views.tables import PAPER_COLUMNS


# The whole README job end to end (every classical, archive and neural baseline on two tracks,
# ~30 s): integration-sized, so the full tier runs it and `scripts/test.sh --fast` leaves it out.
@pytest.mark.slow
def test_demo_inprocess_prints_the_ratio_table_and_seeds_the_paper(tmp_path, monkeypatch):
    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))
    store = tmp_path / "results"
    result = CliRunner().invoke(app, ["demo", "--inprocess", "--no-serve", "--track", "keck,sdss-3d-lambda",
                                      "--store", str(store)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "Mean compression ratio per track" in result.output
    assert "(1.97)" in result.output  # the paper's JPEG-LS on Keck beside ours
    assert "Synthetic data" in result.output
    records = list(ResultStore(str(store)).records())
    verified = [r for r in records if r.provenance == "verified"]
    near = {r.submission for r in verified if BASELINES[r.submission.removeprefix("baseline-")].near_lossless}
    assert {r.track for r in verified if r.submission not in near} == {"keck", "sdss-3d-lambda"}
    assert all(r.synthetic for r in verified)
    # the near-lossless baselines: keck at every bound (sdss-3d-lambda is not one of their demo tracks)
    assert {(r.submission, r.track) for r in verified if r.submission in near} == {
        (s, t) for s in near for t in ("keck", "keck-nl1", "keck-nl2", "keck-nl4", "keck-nlsigma")}
    assert all(r.status == "ok" for r in verified if r.submission in near) and len(near) == 3
    assert "Keck: ratio against the per-pixel bound" in result.output and "⌊σ/2⌋" in result.output
    verified = [r for r in verified if r.submission not in near]
    kind = {r.key: BASELINES[r.submission.removeprefix("baseline-")].kind for r in verified}
    classical = [r for r in verified if kind[r.key] == "classical"]
    assert len(classical) == 10 and all(r.status == "ok" for r in classical)
    assert any(r.provenance == "paper" and r.track == "hubble" for r in records)
    # our VDM likelihood bounds, shipped and seeded, on every paper track
    vdm = [r for r in records if r.submission == "estimate-vdm-small"]
    assert len(vdm) == 8 and all(r.provenance == "estimate" and r.summary.bpp_stderr for r in vdm)
    assert all(1.2 < r.summary.ratio_mean < 3.7 for r in classical)
    # the neural baselines run on their demo tracks only (keck here), and round-trip there
    neural = [r for r in verified if r.neural]
    assert {(r.submission, r.track) for r in neural} == {("baseline-idf", "keck"), ("baseline-l3c", "keck"),
                                                         ("baseline-pixelcnn", "keck")}
    assert all(r.status == "ok" and r.codec_info.get("sha256") for r in neural)
    # every codec of the paper's Table 1 (VDM aside: a bound, not a codec) has a verified row beside its paper row
    spec = {r.key: BASELINES[r.submission.removeprefix("baseline-")] for r in verified}
    keck = {spec[r.key].paper_column for r in verified if r.track == "keck" and r.status == "ok"}
    assert set(PAPER_COLUMNS) - {"VDM"} <= keck, set(PAPER_COLUMNS) - keck
    # ... under the registry's names, never the paper's (the paper's rows keep those)
    assert all(r.codec == spec[r.key].title and r.codec not in PAPER_COLUMNS for r in verified)
    # the archive codecs too (keck is one of their demo tracks), in a table of their own
    archive = [r for r in verified if kind[r.key] == "archive"]
    assert {(r.submission, r.track) for r in archive} == {(b.submission, "keck") for b in BASELINES.values()
                                                          if b.kind == "archive"}
    assert all(r.status == "ok" and not r.neural for r in archive)
    assert "What archives run today" in result.output and "xz -9" in result.output
