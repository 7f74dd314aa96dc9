"""Issue 23 item 6: runtime groups keyed by the machine records share; Pareto points named (escaped)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from evaluator.run.inprocess import inprocess_fingerprint
from leaderboard.data.record_rows import fingerprint_id, hardware_label
from leaderboard.safe_text import plot_text
from leaderboard.views import plots, tables

SOURCE = SimpleNamespace(label="synthetic-small-s0:full_test", revision="synthetic-v1", synthetic=True)


def _runtime_rows(fingerprints: dict[str, dict[str, object]]) -> pd.DataFrame:
    """One in-process record per codec, each measured with its own fingerprint."""
    rows = []
    for i, (codec, fp) in enumerate(fingerprints.items()):
        rows.append({"track": "keck", "split": SOURCE.label, "created_at": f"2025-01-0{i + 1}T00:00:00",
                     "key": f"k{i}", "codec": codec, "kind": "classical", "portable": None, "portable_env": "",
                     "provenance": "verified", "synthetic": True, "status": "ok", "failure_kind": "",
                     "profile": "inprocess", "data": "synthetic", "submission": f"baseline-{codec}",
                     "ratio_mean": 2.0, "hardware": hardware_label(fp), "fingerprint_id": fingerprint_id(fp),
                     "encode_mb_s": 10.0 * (i + 1), "decode_mb_s": 12.0, "encode_s": 0.1, "encode_s_spread": 0.0,
                     "decode_s_median": 0.1, "decode_s_spread": 0.0})
    return pd.DataFrame(rows)


def test_in_process_runs_of_one_machine_are_one_runtime_group() -> None:
    fps = {codec: inprocess_fingerprint(codec, SOURCE).to_json() for codec in ("rice", "jpegls", "zstd")}
    assert len({fp["inprocess_codec"] for fp in fps.values()}) == 3  # the fingerprints do differ per run
    assert len({fingerprint_id(fp) for fp in fps.values()}) == 1
    table = tables.runtime_table(_runtime_rows(fps), "keck")
    assert table["Machine"].nunique() == 1
    assert sorted(table["Rank"]) == [1, 2, 3]  # ranked against each other, not each "rank 1" of its own group


def test_another_machine_is_another_runtime_group() -> None:
    here = inprocess_fingerprint("rice", SOURCE).to_json()
    there = dict(inprocess_fingerprint("jpegls", SOURCE).to_json(), cpu_model="Another CPU", hostname="elsewhere")
    assert fingerprint_id(here) != fingerprint_id(there)
    table = tables.runtime_table(_runtime_rows({"rice": here, "jpegls": there}), "keck")
    assert table["Machine"].nunique() == 2 and list(table["Rank"]) == [1, 1]


HOSTILE = 'Fast <b>"bold"</b> & <a href="javascript:x">co</a>'


def test_pareto_points_are_named_on_hover_and_the_front_is_labelled() -> None:
    frame = pd.DataFrame({"track": "hubble", "status": "ok", "profile": "cpu-1", "provenance": "verified",
                          "data": "synthetic",
                          "codec": [HOSTILE, "Slow but strong", "Dominated", "Middle"],
                          "encode_mb_s": [100.0, 1.0, 5.0, 20.0],
                          "ratio_mean": [2.0, 3.0, 1.5, 2.5]})
    fig = plots.pareto_figure(frame, "hubble")
    markers = next(t for t in fig.data if t.mode == "markers")
    assert "%{text}" in markers.hovertemplate
    assert any(t.startswith(plot_text(HOSTILE)) for t in markers.text) and HOSTILE not in " ".join(markers.text)
    front = next(t for t in fig.data if t.name == "cpu-1 Pareto front")
    assert "text" in front.mode
    assert set(front.text) == {plot_text(HOSTILE), "Slow but strong", "Middle"}  # the dominated point: no label
    assert "<b>" not in "".join(front.text) and "&lt;b&gt;" in "".join(front.text)


def test_a_front_of_one_point_is_labelled_too() -> None:
    frame = pd.DataFrame({"track": "hubble", "status": "ok", "profile": "gpu-1", "provenance": "verified",
                          "data": "synthetic", "codec": ["Best", "Worse"], "encode_mb_s": [10.0, 5.0],
                          "ratio_mean": [3.0, 2.0]})
    front = next(t for t in plots.pareto_figure(frame, "hubble").data if t.name == "gpu-1 Pareto front")
    assert list(front.text) == ["Best"] and front.mode == "text"
