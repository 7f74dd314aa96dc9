"""The portable-decode check against real containers (DESIGN.md "Portable decode").

Classical baselines come out portable; a test codec whose decode depends on
its thread count (``hostile/threadsum``: a float32 parallel reduction keys
the bitstream) is flagged, its track still ranked; the check's environment
table runs in order, one container per environment, and stops at the first
that breaks; the numpy dispatch value is one the base image's numpy accepts.
"""

from __future__ import annotations

import json

import pytest

from evaluator.core.tracks import TRACKS
from evaluator.results.portability import NPY_AVX512_GROUPS, PORTABLE_ENVS, PortableEnv
from evaluator.results.records import ResultStore
from evaluator.run.evaluate import ImageRun, ItemsSource, evaluate_image
from evaluator.sandbox.container import CodecContainer
from evaluator.sandbox.policy import LABEL
from evaluator.sdk.named_table import NamedTable

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]

HUBBLE = TRACKS["hubble"]
GENERIC = PORTABLE_ENVS["generic"]


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="module")
def baseline_images(docker_client):
    from baselines.baseline_images import ensure_baseline_images  # noqa: PLC0415

    return ensure_baseline_images()


@pytest.fixture(scope="module")
def threadsum(test_codec) -> str:
    return test_codec("threadsum")


def _left_containers(docker_client, tag: str) -> list[str]:
    image_id = docker_client.images.get(tag).id
    return [c["Id"][:12] for c in docker_client.api.containers(all=True, filters={"label": LABEL})
            if c["ImageID"] == image_id]


@pytest.mark.parametrize("codec", ["rice", "jpegxl"])
def test_classical_baselines_are_portable(codec, baseline_images, tiny_source, test_profile, docker_client):
    store = ResultStore(f"memory://portable-{codec}")
    records = evaluate_image(ImageRun(baseline_images[codec].tag, [HUBBLE, TRACKS["sdss-3d-lambda"]], tiny_source,
                                      test_profile, store, measure_image_size=False))
    for record, n_sampled in zip(records, (3, 2), strict=True):  # 4 items: first, largest, last; 2 items: both
        assert record.status == "ok", record.failure
        check = record.portable
        assert check is not None and check.ok, check
        assert check.environment == "generic" and check.items_checked == n_sampled and check.detail is None
        assert check.env == GENERIC.variables(1) and check.env["OMP_NUM_THREADS"] == "2"
        assert store.read(record.key).portable == check  # stored and read back
    assert not _left_containers(docker_client, baseline_images[codec].tag)


def test_thread_dependent_codec_is_flagged_not_failed(threadsum, tiny_source, test_profile, docker_client):
    store = ResultStore("memory://portable-threadsum")
    (record,) = evaluate_image(ImageRun(threadsum, [HUBBLE], tiny_source, test_profile, store,
                                        measure_image_size=False))
    assert record.status == "ok" and record.failure is None  # the normal round trips pass: ranked as usual
    assert record.summary.ratio_mean is not None and record.summary.n_items == 4
    check = record.portable
    assert check is not None and not check.ok
    assert check.environment == "generic" and check.items_checked == 1
    assert check.env["OMP_NUM_THREADS"] == "2" and check.env["ATEN_CPU_CAPABILITY"] == "default"
    assert check.detail is not None and check.detail.startswith("not_lossless on item tiny-0: ")
    assert "pixels differ" in check.detail
    assert not _left_containers(docker_client, threadsum)


def test_hidden_data_detail_is_the_failure_tables_message(threadsum, tiny_source, test_profile, tmp_path):
    hidden = ItemsSource({"hubble": tiny_source.items["hubble"][:2]}, label="hidden:tiny", synthetic=False,
                         hidden=True)
    (record,) = evaluate_image(ImageRun(threadsum, [HUBBLE], hidden, test_profile, None, measure_image_size=False))
    assert record.status == "ok" and record.portable is not None and not record.portable.ok
    assert record.portable.detail == ("not_lossless on item tiny-0: the decoded item differs from the original "
                                      "(details are in the organizer log; hidden data)")
    logs = list((tmp_path / "home" / "organizer-logs").glob("*.log"))
    assert len(logs) == 1 and "portable decode (generic): not_lossless on item tiny-0" in logs[0].read_text()


def test_environments_run_in_order_and_stop_at_the_first_break(threadsum, tiny_source, test_profile, monkeypatch):
    same = PortableEnv("same-threads", {}, lambda cores: cores, "the normal thread count: passes")
    never = PortableEnv("never", {}, lambda cores: cores, "after a break: never started")
    monkeypatch.setattr("evaluator.sandbox.portable.PORTABLE_ENVS",
                        NamedTable("portable environment", (same, GENERIC, never)))
    started: list[str] = []
    real_start = CodecContainer.start

    def spy(self: CodecContainer) -> float:
        started.append(self.who)
        return real_start(self)

    monkeypatch.setattr(CodecContainer, "start", spy)
    (record,) = evaluate_image(ImageRun(threadsum, [HUBBLE], tiny_source, test_profile, None, measure_image_size=False))
    assert started == ["encoder", "decoder", "decoder (same-threads environment)", "decoder (generic environment)"]
    assert record.portable is not None and record.portable.environment == "generic" and not record.portable.ok


def test_npy_disable_value_is_accepted_by_the_base_image(docker_client):
    """numpy refuses to disable baseline features; the value must not raise (nor warn, under -W error)."""
    from evaluator.images import ensure_base_image  # noqa: PLC0415

    script = ("import json, numpy; from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__; "
              "print(json.dumps([__cpu_baseline__, __cpu_dispatch__]))")
    out = docker_client.containers.run(ensure_base_image(), ["python3", "-W", "error", "-c", script], remove=True,
                                       environment=dict(GENERIC.dispatch), network_mode="none")
    baseline, dispatch = json.loads(out.decode().strip().splitlines()[-1])
    names = NPY_AVX512_GROUPS.split()
    assert set(names) <= set(dispatch) and not set(names) & set(baseline), (baseline, dispatch)
    assert GENERIC.dispatch["NPY_DISABLE_CPU_FEATURES"] == NPY_AVX512_GROUPS
