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
    PORTABLE_ENVS,
    THREAD_ENV,
    PortableCheck,
    PortableRun,
    Sample,
    SampleKeeper,
    merge_checks,
    thread_env,
)
from evaluator.results.records import ResultRecord, ResultStore
from evaluator.run.evaluate import ItemsSource
from evaluator.run.inprocess import evaluate_inprocess
from evaluator.run.track_run import _shown_portable

CONTRACT = Path(__file__).resolve().parents[2] / "challenge" / "CONTRACT.md"
CHECK = PortableCheck(ok=False, environment="generic", env=PORTABLE_ENVS["generic"].variables(1), items_checked=1,
                      detail="not_lossless on item a: 4096 of 4096 pixels differ", seconds=0.5)


def _record(**kw):
    base = {"submission": "sub", "codec": "C", "track": "hubble", "profile": "cpu-1", "split": "tiny",
            "provenance": "verified", "synthetic": True, "status": "ok", "summary": {"ratio_mean": 2.0}}
    return ResultRecord(**(base | kw))


def test_record_field_round_trips_through_a_store():
    store = ResultStore("memory://portable-field")
    key = store.write(_record(portable=CHECK))
    assert store.read(key).portable == CHECK
    assert json.loads(_record(portable=CHECK).to_json())["portable"]["environment"] == "generic"


def test_old_records_load_as_not_checked():
    old = json.loads(_record().to_json())
    del old["portable"]  # written before the field existed
    assert ResultRecord.from_dict(old).portable is None
    assert ResultRecord.from_dict(old | {"portable": None}).portable is None
    future = CHECK.to_dict() | {"a_later_field": 1}  # fields a later evaluator adds are ignored
    assert ResultRecord.from_dict(old | {"portable": future}).portable == CHECK


def test_every_environment_changes_every_thread_variable():
    for cores in (1, 8):
        normal = thread_env(cores)
        assert set(normal) == set(THREAD_ENV)
        for env in PORTABLE_ENVS.values():
            changed = env.variables(cores)
            assert all(changed[k] != normal[k] for k in THREAD_ENV), (env.name, cores)


def test_contract_names_the_generic_environment():
    text = CONTRACT.read_text()
    generic = PORTABLE_ENVS["generic"]
    for name in THREAD_ENV:
        assert f"`{name}`" in text
    for name, value in generic.dispatch.items():
        assert re.search(rf"`{name}=\"?{re.escape(value)}\"?`", text), name


def _sample(i: str, npix: int) -> Sample:
    return Sample(i, np.zeros(npix, np.uint16), b"x")


@pytest.mark.parametrize(("sizes", "kept"), [
    ([4], ["0"]), ([4, 4], ["0", "1"]), ([4, 9, 5, 4], ["0", "1", "3"]), ([4, 5, 9, 4, 4], ["0", "2", "4"]),
])
def test_sample_is_first_largest_last(sizes, kept):
    keeper = SampleKeeper()
    for i, n in enumerate(sizes):
        keeper.offer(_sample(str(i), n))
    assert [s.item_id for s in keeper.samples()] == kept


def test_hidden_detail_never_carries_the_codec_text():
    run = PortableRun("generic", {"OMP_NUM_THREADS": "2"}, 2,
                      CodecFailure("crash", "ValueError: pixel 4242 at (1, 2)", "a"), 1.0, "stderr: pixel 4242")
    shown = _shown_portable(run, hidden=True)
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


def test_shard_checks_merge_to_the_first_break_or_all_passed():
    ok = PortableCheck(True, "generic", {"OMP_NUM_THREADS": "2"}, 2, seconds=0.5)
    assert merge_checks([None, None]) is None
    assert merge_checks([ok, CHECK, ok]) == CHECK
    merged = merge_checks([ok, None, ok])
    assert merged is not None and merged.ok and merged.items_checked == 4 and merged.seconds == 1.0
