"""The portable-decode check's record field, table and sample (no Docker; the sandbox side is
tests/sandbox/test_portable.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from baselines.classical import get_codec
from evaluator.core.failures import CodecFailure
from evaluator.core.tracks import TRACKS
from evaluator.data.items import Item
from evaluator.results.portability import (
    GPU_ENV,
    PORTABLE_ENVS,
    THREAD_ENV,
    EnvResult,
    EnvRun,
    PortableCheck,
    PortableRun,
    Sample,
    SampleKeeper,
    device_env,
    merge_checks,
    portable_envs,
    thread_env,
)
from evaluator.results.records import ResultRecord, ResultStore
from evaluator.run.evaluate import ItemsSource
from evaluator.run.inprocess import evaluate_inprocess
from evaluator.run.track_run import _shown_portable

CONTRACT = Path(__file__).resolve().parents[2] / "challenge" / "CONTRACT.md"
BROKE = EnvResult("onednn-sse41", PORTABLE_ENVS["onednn-sse41"].variables(1), False, 1,
                  "not_lossless on item a: 4096 of 4096 pixels differ")
CHECK = PortableCheck.of([EnvResult("aten-default", PORTABLE_ENVS["aten-default"].variables(1), True, 2), BROKE,
                          EnvResult("threads", PORTABLE_ENVS["threads"].variables(1), True, 2)], 0.5)


def _record(**kw):
    base = {"submission": "sub", "codec": "C", "track": "hubble", "profile": "cpu-1", "split": "tiny",
            "provenance": "verified", "synthetic": True, "status": "ok", "summary": {"ratio_mean": 2.0}}
    return ResultRecord(**(base | kw))


def test_record_field_round_trips_through_a_store():
    store = ResultStore("memory://portable-field")
    key = store.write(_record(portable=CHECK))
    assert store.read(key).portable == CHECK
    stored = json.loads(_record(portable=CHECK).to_json())["portable"]
    assert stored["environment"] == "onednn-sse41" and not stored["ok"] and stored["items_checked"] == 5
    assert [r["environment"] for r in stored["results"]] == ["aten-default", "onednn-sse41", "threads"]
    assert stored["detail"] == BROKE.detail and stored["env"]["ONEDNN_MAX_CPU_ISA"] == "SSE41"


def test_old_records_load_as_not_checked():
    old = json.loads(_record().to_json())
    del old["portable"]  # written before the field existed
    assert ResultRecord.from_dict(old).portable is None
    assert ResultRecord.from_dict(old | {"portable": None}).portable is None
    future = CHECK.to_dict() | {"a_later_field": 1}  # fields a later evaluator adds are ignored
    assert ResultRecord.from_dict(old | {"portable": future}).portable == CHECK
    one_env = {"ok": False, "environment": "generic", "env": {"OMP_NUM_THREADS": "2"}, "items_checked": 1,
               "detail": "not_lossless on item a: differ", "seconds": 0.5}  # the shape before per-environment results
    check = ResultRecord.from_dict(old | {"portable": one_env}).portable
    assert check == PortableCheck(False, "generic", {"OMP_NUM_THREADS": "2"}, 1, "not_lossless on item a: differ", 0.5)
    assert check.results == ()


def test_each_environment_changes_one_thing():
    for cores in (1, 8):
        normal = thread_env(cores)
        assert set(normal) == set(THREAD_ENV)
        for env in PORTABLE_ENVS.values():
            changed = {k: v for k, v in env.variables(cores).items() if normal.get(k) != v}
            if env.name == "threads":
                assert set(changed) == set(THREAD_ENV), cores
            elif env.gpu_only:  # hide the GPU: the device variable and CUDA's own
                assert set(changed) == {GPU_ENV, "CUDA_VISIBLE_DEVICES"} and env.dispatch[GPU_ENV] == "0"
            else:
                assert len(changed) == 1 and set(changed) == set(env.dispatch), (env.name, cores)
    assert list(PORTABLE_ENVS) == ["aten-default", "mkl-compatible", "onednn-sse41", "numpy-baseline", "threads",
                                   "cpu-decode"]
    # a CPU run is checked under the five CPU environments; a GPU run also decodes on the CPU
    assert [e.name for e in portable_envs(0)] == list(PORTABLE_ENVS)[:5]
    assert [e.name for e in portable_envs(1)] == list(PORTABLE_ENVS)
    assert device_env(1) == {GPU_ENV: "1"}
    assert PORTABLE_ENVS["numpy-baseline"].dispatch["NPY_DISABLE_CPU_FEATURES"].split()[0] == "X86_V3"


def test_contract_names_every_environment():
    text = CONTRACT.read_text()
    for name in THREAD_ENV:
        assert f"`{name}`" in text
    for env in PORTABLE_ENVS.values():
        assert f"({env.name}" in text, env.name
        for name, value in env.dispatch.items():
            assert re.search(rf"`{name}=\"?{re.escape(value)}\"?`", text), name


def _sample(i: str, npix: int) -> Sample:
    return Sample(i, np.zeros(npix, np.uint16), b"x")


@pytest.mark.parametrize(("sizes", "kept"), [
    ([4], ["0"]), ([4, 4], ["0", "1"]), ([4, 9, 5, 4], ["0", "3"]), ([4, 5, 9, 4, 4], ["0", "4"]),
])
def test_sample_is_first_and_last(sizes, kept):
    keeper = SampleKeeper()
    for i, n in enumerate(sizes):
        keeper.offer(_sample(str(i), n))
    assert [s.item_id for s in keeper.samples()] == kept


def test_hidden_detail_never_carries_the_codec_text():
    run = PortableRun([EnvRun("aten-default", {"ATEN_CPU_CAPABILITY": "default"}, 2, None, 0.5),
                       EnvRun("threads", {"OMP_NUM_THREADS": "2"}, 1,
                              CodecFailure("crash", "ValueError: pixel 4242 at (1, 2)", "a"), 1.0,
                              "stderr: pixel 4242")], 1.5)
    shown = _shown_portable(run, hidden=True)
    assert shown is not None and shown.environment == "threads" and shown.items_checked == 3
    assert [(r.environment, r.ok) for r in shown.results] == [("aten-default", True), ("threads", False)]
    assert shown is not None and not shown.ok and "4242" not in (shown.detail or "")
    assert shown.detail == ("crash on item a: the codec exited or reported an error "
                            "(details are in the organizer log; hidden data)")
    public = _shown_portable(run, hidden=False)
    assert public is not None and "pixel 4242 at (1, 2)" in (public.detail or "")
    assert "stderr: pixel 4242" in (public.detail or "")
    assert _shown_portable(None, hidden=False) is None


def test_inprocess_records_are_not_checked():
    items = [Item(f"i{k}", np.full((16, 16), 1000 + k, np.uint16), {}) for k in range(2)]
    (record,) = evaluate_inprocess(get_codec("rice"), [TRACKS["hubble"]], ItemsSource({"hubble": items}))
    assert record.status == "ok" and record.portable is None


def test_shard_checks_merge_per_environment():
    def check(*oks: bool) -> PortableCheck:
        names = list(PORTABLE_ENVS)[:len(oks)]
        return PortableCheck.of([EnvResult(n, {}, ok, 1, None if ok else f"not_lossless on item {n}")
                                 for n, ok in zip(names, oks)], 0.5)

    assert merge_checks([None, None]) is None
    merged = merge_checks([check(True, True), None, check(True, False), check(False, False)])
    assert merged is not None and not merged.ok and merged.seconds == 1.5
    assert merged.environment == "aten-default, mkl-compatible" and merged.items_checked == 5
    assert [(r.ok, r.items_checked, r.detail) for r in merged.results] == [
        (False, 3, "not_lossless on item aten-default"), (False, 2, "not_lossless on item mkl-compatible")]
    ok = merge_checks([check(True, True), check(True, True)])
    assert ok is not None and ok.ok and ok.items_checked == 4 and ok.environment == "aten-default, mkl-compatible"
    old_ok = PortableCheck(True, "generic", {"OMP_NUM_THREADS": "2"}, 2, seconds=0.5)  # shards of an older evaluator
    old_broke = PortableCheck(False, "generic", {}, 1, "x", 0.5)
    assert merge_checks([old_ok, old_broke, old_ok]) == old_broke
    merged_old = merge_checks([old_ok, None, old_ok])
    assert merged_old is not None and merged_old.ok and merged_old.items_checked == 4 and merged_old.seconds == 1.0


def test_cpu_decode_runs_only_for_a_run_granted_a_gpu(monkeypatch) -> None:
    """run_portable_check skips ``gpu_only`` environments (cpu-decode) unless the run had a GPU."""
    from evaluator.sandbox import portable  # noqa: PLC0415

    class _Stderr:
        total = 0

        def last(self, n: int) -> str:
            return ""

    class _Decoder:
        stderr = _Stderr()

        def start(self) -> None: ...
        def stop(self) -> None: ...
        def remove(self) -> None: ...

    monkeypatch.setattr(portable, "decode_item", lambda *a: 0.0)
    sample = Sample("it", np.zeros((2, 2), np.uint16), b"x")
    seen: list[dict[str, str]] = []

    def make(env):  # type: ignore[no-untyped-def]
        seen.append(env.variables(1))
        return _Decoder()

    cpu = portable.run_portable_check(make, [sample], lambda: "r", cores=1, gpus=0)
    gpu = portable.run_portable_check(make, [sample], lambda: "r", cores=1, gpus=1)
    assert cpu is not None and gpu is not None
    assert [r.environment for r in cpu.runs] == list(PORTABLE_ENVS)[:5]
    assert [r.environment for r in gpu.runs] == list(PORTABLE_ENVS)
    assert seen[-1][GPU_ENV] == "0" and seen[-1]["CUDA_VISIBLE_DEVICES"] == ""


def test_cli_note_names_the_environments_checked() -> None:
    """`challenge test`'s footnote says which environments the check ran, from the table (not a stale sentence)."""
    from types import SimpleNamespace  # noqa: PLC0415

    from challenge.cli.console_style import portable_notes  # noqa: PLC0415

    ok = SimpleNamespace(codec="c", track="hubble", portable=PortableCheck.from_dict(
        {"ok": True, "environment": "", "env": {}, "items_checked": 2, "detail": None}))
    (note,) = portable_notes([ok])
    assert all(name in note for name in PORTABLE_ENVS)


def test_a_pass_under_some_environments_is_not_called_portable() -> None:
    """`PortableCheck.complete`: every CPU environment checked; the CLI and the board say *portable* only then."""
    from types import SimpleNamespace  # noqa: PLC0415

    from challenge.cli.console_style import fmt_portable  # noqa: PLC0415

    every = [EnvResult(env.name, {}, True, 2) for env in PORTABLE_ENVS.values() if not env.gpu_only]
    full, one = PortableCheck.of(every, 1.0), PortableCheck.of(every[-1:], 1.0)
    broke = PortableCheck.of([EnvResult("threads", {}, False, 1, "not_lossless on item a: differ")], 1.0)
    assert (full.complete, full.shown_ok) == (True, True)
    assert (one.complete, one.shown_ok) == (False, None)
    assert broke.shown_ok is False  # a break is news under any number of environments
    assert fmt_portable(SimpleNamespace(portable=full)) == "[green]yes[/green]"
    assert fmt_portable(SimpleNamespace(portable=one)) == "[yellow]only threads[/yellow]"
    assert fmt_portable(SimpleNamespace(portable=broke)) == "[red]no (threads)[/red]"


def test_a_gpu_stream_the_cpu_cannot_decode_is_called_what_the_policy_says() -> None:
    """GPU -> CPU: a record broken under ``cpu-decode`` alone decodes only on the encoder's device class, and says
    so on the board and in the CLI; any CPU environment among the breaks keeps *not portable* (and names them)."""
    from types import SimpleNamespace  # noqa: PLC0415

    from challenge.cli.console_style import portable_notes  # noqa: PLC0415
    from evaluator.results.portability import broken_label  # noqa: PLC0415
    from leaderboard.views.cells import portable_badge  # noqa: PLC0415

    assert broken_label("cpu-decode") == "decodes only on the encoder's device class (cpu-decode)"
    assert broken_label("threads, cpu-decode") == "not portable (threads, cpu-decode)"
    assert broken_label("threads") == "not portable (threads)"
    assert broken_label("gone-env") == "not portable (gone-env)"  # a name from an older table
    assert broken_label("") == "not portable (?)"
    every = [EnvResult(env.name, {}, env.name != "cpu-decode", 2, None if env.name != "cpu-decode" else "x")
             for env in PORTABLE_ENVS.values()]
    check = PortableCheck.of(every, 1.0)
    assert (check.ok, check.environment) == (False, "cpu-decode")
    cell = portable_badge({"portable": False, "portable_env": check.environment})
    assert ">decodes only on the encoder&#x27;s device class (cpu-decode)<" in cell, cell
    (note, _) = portable_notes([SimpleNamespace(codec="c", track="hubble", portable=check)])
    assert "c / hubble: decodes only on the encoder's device class (cpu-decode)" in note
