"""Hostile codecs against the real sandbox (DESIGN.md "Sandbox": each line is a known escape or DoS).

Every case checks the verdict *and* that nothing leaked: no container, no
mount, no run folder, no process of the codec's uid is left on the host. The
last tests evaluate a good codec and a real baseline right after, in the same
process, to show the evaluator is unaffected.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import psutil
import pytest

from evaluator.core.tracks import TRACKS
from evaluator.results.records import ResultStore
from evaluator.run.evaluate import ImageRun, evaluate_image
from evaluator.sandbox.policy import LABEL

pytestmark = [pytest.mark.docker, pytest.mark.timeout(180)]

HUBBLE = TRACKS["hubble"]
SECRET = Path("/tmp/astrocompress-hostile-secret.txt")


@pytest.fixture(autouse=True)
def run_dir(tmp_path, monkeypatch):
    d = tmp_path / "runs"
    d.mkdir()
    monkeypatch.setenv("CHALLENGE_RUN_DIR", str(d))
    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))
    return d


def assert_clean(docker_client, run_dir: Path) -> None:
    """Nothing of *this* test is left (other people may run the evaluator on this engine meanwhile)."""
    ours = {docker_client.images.get(t).id for t in _TAGS}
    left = [c["Id"][:12] for c in docker_client.api.containers(all=True, filters={"label": LABEL})
            if c["ImageID"] in ours]
    assert not left, f"containers left behind: {left}"
    assert list(run_dir.iterdir()) == [], "run folders left behind"
    with open("/proc/mounts") as fh:
        assert str(run_dir) not in fh.read(), "tmpfs mounts left behind"


_TAGS: list[str] = []


@pytest.fixture(autouse=True)
def _remember_tags(hostile_images):
    _TAGS[:] = list(hostile_images.values())


def evaluate(tag: str, source, profile, store=None, **kw):
    store = store or ResultStore("memory://hostile")
    (record,) = evaluate_image(ImageRun(tag, [HUBBLE], source, profile, store, measure_image_size=False,
                                        submission="hostile", **kw))
    return record, store.items(record.key)


# name -> (failure kind or None for ok, substring of the failure message)
CASES = {
    "network": (None, ""),
    "rootfs": (None, ""),
    "forkbomb": ("timeout", "no answer"),
    "membomb": ("oom", "out of memory"),
    "outfill": ("output_too_large", "over the cap"),
    "sparse": ("output_too_large", "over the cap"),
    "tmpfill": ("crash", "No space left on device"),
    "stdoutflood": ("protocol", "longer than"),
    "floodafterready": ("protocol", "non-JSON stdout line"),
    "hang": ("timeout", "no answer"),
    "offbyone": ("not_lossless", "1 of 4096 pixels differ; first at index (1, 2)"),
    "wrongshape": ("not_lossless", "decoded shape (64, 63), expected (64, 64)"),
    "wrongdtype": ("not_lossless", "decoded dtype <i4"),
    "extrafiles": ("extra_files", "side-channel.txt"),
    "readorig": ("crash", "no original anywhere"),
    "symlink": ("protocol", "symlink"),
    "traversal": ("protocol", "symlink"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_codec_is_contained(name, hostile_images, tiny_source, docker_client, run_dir, caplog, test_profile):
    kind, text = CASES[name]
    SECRET.write_text("HOST SECRET 7f3a")
    rss_before = psutil.Process().memory_info().rss
    with caplog.at_level(logging.INFO, logger="evaluator.codec_stderr"):
        record, rows = evaluate(hostile_images[name], tiny_source, test_profile, show_logs=True)
    if kind is None:
        assert record.status == "ok", record.failure
        assert len(rows) == 4 and (rows["status"] == "ok").all()
    else:
        assert record.status == "failed"
        assert record.failure is not None
        assert record.failure.kind == kind, record.failure
        assert text in record.failure.message, record.failure.message
        assert record.failure.item_id == "tiny-0"
        assert rows.iloc[-1]["failure_kind"] == kind
    assert "HOST SECRET" not in str(record.failure) + caplog.text
    assert psutil.Process().memory_info().rss - rss_before < 100 * 2**20, "evaluator memory grew"
    if name == "network":
        assert "connect 8.8.8.8:53 blocked" in caplog.text and "dns blocked" in caplog.text
    if name == "rootfs":  # image says USER root: it ran as nobody, every write and exec was refused
        assert "write /etc/astrocompress-escape refused" in caplog.text
        assert "exec from /tmp refused" in caplog.text
    if name == "traversal":
        assert "hard link refused" in caplog.text and "../in write refused" in caplog.text
    assert_clean(docker_client, run_dir)


def test_crash_mid_track_keeps_earlier_rows(hostile_images, tiny_source, docker_client, run_dir, test_profile):
    record, rows = evaluate(hostile_images["crashmid"], tiny_source, test_profile)
    assert record.status == "failed" and record.failure.kind == "crash"
    assert record.failure.item_id == "tiny-2"
    assert "crashing on purpose" in record.failure.message  # public data: stderr tail attached
    assert list(rows["status"]) == ["ok", "ok", "failed"]
    assert rows["compressed_bytes"].iloc[:2].notna().all()
    assert_clean(docker_client, run_dir)


def test_never_ready_is_a_startup_timeout(hostile_images, tiny_source, docker_client, run_dir, test_profile):
    record, _ = evaluate(hostile_images["neverready"], tiny_source, test_profile.replace(startup_timeout_s=3))
    assert record.failure is not None and record.failure.kind == "startup_timeout"
    assert record.startup_s is None and record.failure.item_id is None
    assert_clean(docker_client, run_dir)


def test_outer_deadline_kills_a_hung_request(hostile_images, tiny_source, docker_client, run_dir, test_profile):
    # the hard deadline fires before the protocol timeout: the watchdog alone ends the request
    prof = test_profile.replace(request_base_s=30.0, kill_grace_s=-27.0, startup_timeout_s=40.0)
    record, _ = evaluate(hostile_images["hang"], tiny_source, prof)
    assert record.failure is not None and record.failure.kind == "timeout"
    assert "hard deadline" in record.failure.message
    assert_clean(docker_client, run_dir)


def test_hidden_data_logs_go_to_the_organizer_only(hostile_images, tiny_source, docker_client, run_dir,
                                                   tmp_path, caplog, test_profile):
    tiny_source.hidden = True
    tiny_source.label = "hidden:tiny"
    with caplog.at_level(logging.INFO, logger="evaluator.codec_stderr"):
        record, _ = evaluate(hostile_images["crashmid"], tiny_source, test_profile, show_logs=True)
    assert record.failure.kind == "crash"
    assert "crashing on purpose" not in record.failure.message
    assert "crashing on purpose" not in caplog.text
    logs = list((tmp_path / "home" / "organizer-logs").glob("*.log"))
    assert len(logs) == 1 and "crashing on purpose" in logs[0].read_text()
    assert_clean(docker_client, run_dir)


def test_missing_image_is_an_image_error(tiny_source, docker_client, run_dir, test_profile):
    record, _ = evaluate("astrocompress-test/does-not-exist:nope", tiny_source, test_profile)
    assert record.failure.kind == "image_error" and "build it" in record.failure.message


def test_host_still_healthy_after_bombs():
    # forking and allocating still work on the host after the fork and memory bombs
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    assert psutil.virtual_memory().available > 256 * 2**20


def test_good_codec_after_hostile_ones(hostile_images, tiny_source, docker_client, run_dir, test_profile):
    store = ResultStore("memory://after")
    records = evaluate_image(ImageRun(hostile_images["good"], [HUBBLE, TRACKS["sdss-3d-lambda"]], tiny_source,
                                      test_profile, store, measure_image_size=False, submission="good"))
    assert [r.status for r in records] == ["ok", "ok"]
    rec = records[0]
    assert rec.provenance == "verified" and rec.synthetic and rec.summary.n_items == 4
    assert 0.9 < rec.summary.ratio_mean < 1.0  # raw bytes + a small header
    assert rec.fingerprint is not None
    assert rec.fingerprint.cores_granted == 1 and rec.fingerprint.dataset_revision == "tiny-v1"
    assert rec.image_digest and rec.image_digest.startswith("sha256:")
    assert len(store.keys()) == 2
    assert_clean(docker_client, run_dir)


def test_ctrl_c_mid_track_leaves_nothing_behind(hostile_images, tiny_source, docker_client, run_dir, test_profile):
    def interrupt(event):
        if getattr(event, "kind", None) == "item":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        evaluate_image(ImageRun(hostile_images["good"], [HUBBLE], tiny_source, test_profile, None,
                                measure_image_size=False, progress=interrupt))
    assert_clean(docker_client, run_dir)


def test_bigger_item_restarts_codec_with_a_bigger_cap(hostile_images, docker_client, run_dir, test_profile):
    from evaluator.data.items import Item  # noqa: PLC0415
    from evaluator.run.evaluate import ItemsSource  # noqa: PLC0415

    small = np.full((64, 64), 7, np.uint16)
    big = np.arange(512 * 1024, dtype=np.uint32).astype(np.uint16).reshape(512, 1024)  # 1 MiB raw: cap 4 MiB
    src = ItemsSource({"hubble": [Item("s0", small), Item("b1", big), Item("s2", small)]})
    record, rows = evaluate(hostile_images["good"], src, test_profile)
    assert record.status == "ok", record.failure
    assert list(rows["compressed_bytes"]) == [small.nbytes + 17, big.nbytes + 17, small.nbytes + 17]
    assert_clean(docker_client, run_dir)
