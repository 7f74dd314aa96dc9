"""The app module: import hygiene, building the Blocks, the CLI, the generated Space."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from lb_factory import write_baselines
from typer.testing import CliRunner

from baselines.paper_seeds import seed_paper_results
from evaluator.core.tracks import TRACKS
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ResultStore

REPO = Path(__file__).resolve().parents[2]


def test_import_pulls_in_neither_torch_nor_docker() -> None:
    code = ("import sys, leaderboard.app.page; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'docker'))))")
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True,
                         check=True, cwd=REPO)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_build_app_on_empty_and_seeded_store(store) -> None:
    import gradio as gr

    from leaderboard.app.page import build_app

    assert isinstance(build_app(store.url), gr.Blocks)  # empty store: no error
    seed_paper_results(store)
    demo = build_app(store.url, queue_dir=None)
    config = demo.get_config_file()
    text = json.dumps(config, default=str)
    assert "JPEG-XL (max)" in text and "pareto-track" in text
    picker = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "track-choice")
    assert [value for _, value in picker["props"]["choices"]] == list(TRACKS)  # every track, in the table's order


def test_the_page_holds_one_track_view_whatever_the_number_of_tracks(store) -> None:
    """A cold page sets up every component of its config: ten track tabs of ~22 each cost ~0.35 s of it."""
    from leaderboard.app.page import build_app

    seed_paper_results(store)
    components = build_app(store.url).get_config_file()["components"]
    ids = [c.get("props", {}).get("elem_id") or "" for c in components]
    assert sum(i.startswith("pareto-") for i in ids) == 1 and sum(i.startswith("search-") for i in ids) == 1
    assert len(components) < 80, f"{len(components)} components on the page (was 275 with a tab per track)"


def test_queue_view_without_queue(store, tmp_path: Path) -> None:
    from leaderboard.board.board_data import LeaderboardData
    from leaderboard.data.store_reader import StoreReader

    text, frame = LeaderboardData(StoreReader(store.url), None).queue_view()
    assert "No submission queue" in text and frame.empty
    text, _ = LeaderboardData(StoreReader(store.url), tmp_path / "missing").queue_view()
    assert "No submission queue" in text


def test_queue_view_with_a_queue(store, tmp_path: Path) -> None:
    queue_mod = pytest.importorskip("submissions.queue.submission_queue")
    from leaderboard.board.board_data import LeaderboardData
    from leaderboard.data.store_reader import StoreReader

    qdir = tmp_path / "queue"
    queue = queue_mod.SubmissionQueue(qdir)
    a = queue.enqueue(participant="alice", name="Nebula-LZ", image=ImageIdentity.frozen("sha256:" + "1" * 64))
    b = queue.enqueue(participant="bob", name="Quasar", image=ImageIdentity.frozen("sha256:" + "2" * 64))
    queue.cancel(b.id, "withdrawn by the participant")
    text, frame = LeaderboardData(StoreReader(store.url), qdir).queue_view()
    assert "**pending**: 1" in text and "**cancelled**: 1" in text
    rows = frame.set_index("Submission")
    assert rows.loc[a.id, "State"] == "pending" and rows.loc[a.id, "Participant"] == "alice"
    assert rows.loc[b.id, "State"] == "cancelled" and rows.loc[b.id, "Reason"] == "withdrawn by the participant"


def test_admin_publish_cli(store, tmp_path: Path) -> None:
    from challenge.cli import app

    write_baselines(store, ["lco"])
    hub = f"file://{tmp_path / 'hub'}"
    runner = CliRunner()
    res = runner.invoke(app, ["admin", "publish", "--store", store.url, "--repo", "org/results",
                              "--space", "org/board", "--to", hub])
    assert res.exit_code == 0, res.output
    assert "commit" in res.output
    # the same publish again (the dataset card links the Space it was given): nothing to commit
    again = runner.invoke(app, ["admin", "publish", "--store", store.url, "--repo", "org/results",
                                "--space", "org/board", "--to", hub])
    assert again.exit_code == 0 and "up to date" in again.output
    bad = runner.invoke(app, ["admin", "publish", "--store", store.url, "--repo", "nope", "--to", hub])
    assert bad.exit_code == 2 and "ORG/NAME" in bad.output


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read().decode()


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 90.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            return _get(url)
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


@pytest.mark.slow
def test_leaderboard_cli_seeds_and_serves(tmp_path: Path) -> None:
    from browser_support import free_port

    port = free_port()
    store_dir = tmp_path / "results"
    proc = subprocess.Popen([sys.executable, "-m", "challenge", "leaderboard", "--store", str(store_dir),
                             "--port", str(port),
                             "--queue", str(tmp_path / "no-queue")], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        config = _wait_http(f"http://127.0.0.1:{port}/config", proc)
        assert "JPEG-XL (max)" in config
        # Tables 1 and 3, Table 2 (30 cells), our shipped VDM estimates (8 paper tracks)
        assert len(ResultStore(str(store_dir)).keys()) == 69 + 30 + 8
    finally:
        proc.terminate()
        proc.wait(timeout=20)
