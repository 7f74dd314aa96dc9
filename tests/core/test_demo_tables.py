"""The demo's ratio tables stay whole in an 80-column terminal, however many baselines ran."""

from __future__ import annotations

import io
from types import SimpleNamespace

from rich.console import Console

from baselines.paper_seeds import paper_results
from baselines.registry import BASELINES
from challenge.cli.demo_cmd import TABLE_COLUMNS, ratio_tables, short_label
from evaluator.core.tracks import TRACKS


def _records(kinds: tuple[str, ...]) -> list[SimpleNamespace]:
    """One ok record per (baseline of ``kinds``, track), ratios that differ in every cell."""
    names = [n for n, s in BASELINES.items() if s.kind in kinds and not s.near_lossless]
    return [SimpleNamespace(track=t, submission=f"baseline-{n}", status="ok", failure=None,
                            summary=SimpleNamespace(ratio_mean=1.0 + 0.37 * i + 0.011 * j))
            for i, n in enumerate(names) for j, t in enumerate(TRACKS)]


def _render(tables: list) -> str:
    console = Console(width=80, record=True, file=io.StringIO())
    for table in tables:
        console.print(table)
    return console.export_text()


def test_every_baseline_and_every_ratio_is_printed_whole_in_80_columns() -> None:
    for kinds in (("classical", "neural"), ("archive",)):
        records = _records(kinds)
        tables = ratio_tables(records, paper_results()["table1_ratio"], "Mean compression ratio per track", kinds)
        names = [r.submission.removeprefix("baseline-") for r in records[:: len(TRACKS)]]
        assert len(tables) == -(-len(names) // TABLE_COLUMNS)  # ceil: every baseline in exactly one table
        headers = [str(c.header).replace("\n", " ") for t in tables for c in t.columns[1:]]
        assert headers == [short_label(BASELINES[n].title) for n in names]
        text = _render(tables)
        assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
        for r in records:
            assert f"{r.summary.ratio_mean:.2f}" in text
        for t in TRACKS:
            assert t in text


def test_a_failed_cell_names_its_failure_kind() -> None:
    records = _records(("classical",))
    records[0].status, records[0].failure = "failed", SimpleNamespace(kind="not_lossless")
    text = _render(ratio_tables(records, paper_results()["table1_ratio"], "t", ("classical",)))
    assert "not_lossless" in text
