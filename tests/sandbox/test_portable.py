"""The portable-decode check against real containers (DESIGN.md "Portable decode").

Classical baselines come out portable; a test codec whose decode depends on
its thread count (``hostile/threadsum``: a float32 parallel reduction keys
the bitstream) is flagged under ``threads`` only, its track still ranked; a
plain float32 torch conv network (the torch scaffold without its exact
forward) is flagged with the environments that broke it; a shipped neural
baseline passes every environment; the table runs in order, one container
per environment, every one of them; the numpy dispatch values are ones the
base image's numpy accepts.
"""

from __future__ import annotations

import json

import pytest

from evaluator.core.tracks import TRACKS
from evaluator.results.portability import NPY_AVX512_GROUPS, NPY_BELOW_AVX2, PORTABLE_ENVS, PortableEnv, portable_envs
from evaluator.results.records import ResultStore
from evaluator.run.evaluate import ImageRun, ItemsSource, evaluate_image
from evaluator.sandbox.container import CodecContainer
from evaluator.sandbox.policy import LABEL
from evaluator.sdk.named_table import NamedTable

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300), pytest.mark.every_portable_env]

HUBBLE = TRACKS["hubble"]
THREADS = PORTABLE_ENVS["threads"]
ENV_NAMES = [e.name for e in portable_envs(0)]  # a CPU run: cpu-decode needs a GPU profile


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
    for record in records:  # the first and the last item, under every environment
        assert record.status == "ok", record.failure
        check = record.portable
        assert check is not None and check.ok, check
        assert [(r.environment, r.ok, r.items_checked) for r in check.results] == [(n, True, 2) for n in ENV_NAMES]
        assert check.items_checked == 2 * len(ENV_NAMES) and check.detail is None
        assert check.results[-1].env == THREADS.variables(1) and check.results[-1].env["OMP_NUM_THREADS"] == "2"
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
    assert check.environment == "threads" and check.env["OMP_NUM_THREADS"] == "2"
    assert [(r.environment, r.ok) for r in check.results] == [(n, n != "threads") for n in ENV_NAMES]
    assert check.results[-1].items_checked == 1  # the first item failed: that environment stopped there
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
    assert len(logs) == 1 and "portable decode (threads): not_lossless on item tiny-0" in logs[0].read_text()


def test_every_environment_runs_in_order_in_its_own_container(threadsum, tiny_source, test_profile, monkeypatch):
    same = PortableEnv("same-threads", {}, lambda cores: cores, "the normal thread count: passes")
    after = PortableEnv("after", {}, lambda cores: cores, "after a break: still run")
    table = NamedTable("portable environment", (same, THREADS, after))
    monkeypatch.setattr("evaluator.results.portability.PORTABLE_ENVS", table)  # what a profile's selection reads
    monkeypatch.setattr("evaluator.sandbox.portable.PORTABLE_ENVS", table)
    started: list[str] = []
    real_start = CodecContainer.start

    def spy(self: CodecContainer) -> float:
        started.append(self.who)
        return real_start(self)

    monkeypatch.setattr(CodecContainer, "start", spy)
    (record,) = evaluate_image(ImageRun(threadsum, [HUBBLE], tiny_source, test_profile, None, measure_image_size=False))
    assert started == ["encoder", "decoder", "decoder (same-threads environment)", "decoder (threads environment)",
                       "decoder (after environment)"]
    check = record.portable
    assert check is not None and not check.ok and check.environment == "threads"
    assert [(r.environment, r.ok) for r in check.results] == [("same-threads", True), ("threads", False),
                                                               ("after", True)]


def test_npy_disable_value_is_accepted_by_the_base_image(docker_client):
    """numpy refuses to disable baseline features; the value must not raise (nor warn, under -W error)."""
    from evaluator.images import ensure_base_image  # noqa: PLC0415

    script = ("import json, numpy; from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__; "
              "print(json.dumps([__cpu_baseline__, __cpu_dispatch__]))")
    out = docker_client.containers.run(ensure_base_image(), ["python3", "-W", "error", "-c", script], remove=True,
                                       environment=dict(PORTABLE_ENVS["numpy-baseline"].dispatch), network_mode="none")
    baseline, dispatch = json.loads(out.decode().strip().splitlines()[-1])
    names = NPY_BELOW_AVX2.split()
    assert set(names) == set(dispatch) and not set(names) & set(baseline), (baseline, dispatch)
    assert set(NPY_AVX512_GROUPS.split()) < set(names) and "X86_V3" in names
    assert PORTABLE_ENVS["numpy-baseline"].dispatch["NPY_DISABLE_CPU_FEATURES"] == NPY_BELOW_AVX2


FLOAT32_FORWARD = "NET(torch.from_numpy(np.ascontiguousarray(x[i:i + BATCH]))).numpy()"


@pytest.fixture(scope="module")
def float32_conv(docker_client, tmp_path_factory) -> str:
    """The torch scaffold with its exact forward replaced by the plain float32 network: a float32 conv codec."""
    from challenge.scaffold import create_codec_folder  # noqa: PLC0415
    from evaluator.images import build_codec_image  # noqa: PLC0415

    folder = tmp_path_factory.mktemp("float32conv") / "float32conv"
    create_codec_folder(folder, lang="torch", name="float32conv")
    codec = folder / "codec.py"
    text = codec.read_text()
    exact = "exact_forward(NET, torch.from_numpy(np.ascontiguousarray(x[i:i + BATCH]))).numpy()"
    assert exact in text, "the torch scaffold's forward call changed: update this test"
    codec.write_text(text.replace(exact, FLOAT32_FORWARD).replace("\nimport torch\n", "\nimport torch\n"
                                                                   "torch.set_grad_enabled(False)\n"))
    return build_codec_image(folder, tag="astrocompress-test/float32conv:latest").tag


@pytest.mark.timeout(3600)
def test_float32_conv_network_is_not_portable(float32_conv, tiny_source, test_profile, docker_client):
    (record,) = evaluate_image(ImageRun(float32_conv, [HUBBLE], tiny_source, test_profile, None,
                                        measure_image_size=False))
    assert record.status == "ok", record.failure  # same machine, same environment: it round-trips
    check = record.portable
    assert check is not None and not check.ok, check
    broke = [r.environment for r in check.results if not r.ok]
    print("float32 conv codec broken by:", broke, [r.detail for r in check.results if not r.ok])
    assert [r.environment for r in check.results] == ENV_NAMES
    assert "onednn-sse41" in broke  # oneDNN runs the float32 convolutions: SSE4.1 sums in another order
    assert check.environment == ", ".join(broke)
    assert all((r.detail or "").split(" ")[0] in {"not_lossless", "crash"} for r in check.results if not r.ok)
    assert not _left_containers(docker_client, float32_conv)


@pytest.mark.timeout(3600)
def test_shipped_neural_baseline_is_portable_under_every_environment(tiny_source, test_profile, docker_client):
    from baselines.baseline_images import ensure_baseline_images  # noqa: PLC0415

    tag = ensure_baseline_images(["pixelcnn"])["pixelcnn"].tag
    store = ResultStore("memory://portable-pixelcnn")
    (record,) = evaluate_image(ImageRun(tag, [HUBBLE], tiny_source, test_profile, store, measure_image_size=False))
    assert record.status == "ok", record.failure
    check = record.portable
    assert check is not None and check.ok, check
    assert [(r.environment, r.ok, r.items_checked) for r in check.results] == [(n, True, 2) for n in ENV_NAMES]
