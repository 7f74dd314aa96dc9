"""Names that say what was measured: no row of ours carries a bare paper name (issue 23, item 4).

Every display name of ours is read from the registry (``baselines.registry``: ``BASELINES`` and
``OUR_MODELS``); the paper's names are read from the paper's seeded records. Checked where the names
go: the records the baseline evaluation writes, the published dataset's ``codec`` column, the CLI's
ratio table, the VDM estimates and the cross-track records.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from rich.console import Console

from baselines.evaluation import evaluate_baselines
from baselines.neural.vdm_records import CODEC as VDM_CODEC
from baselines.neural.vdm_records import shipped_entries
from baselines.paper_seeds import paper_codecs, paper_results, seed_paper_results, seed_paper_table2
from baselines.registry import BASELINES, CHECKPOINTS, OUR_MODELS, param_text
from challenge.cli.demo_cmd import TABLE_COLUMNS, ratio_tables, short_label
from evaluator.core.tracks import TRACKS
from evaluator.results.records import ResultStore
from evaluator.run.evaluate import first_items
from leaderboard.data.table_columns import RECORDS_TABLE_PATH
from leaderboard.publish.published_tables import table_files
from leaderboard.views.cost import rice_ratios
from leaderboard.views.tables import PAPER_COLUMNS


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def _paper_names() -> set[str]:
    """Every codec name the paper's rows carry (Table 1 columns and the Table 2 rows), normalized."""
    store = ResultStore("memory://paper-names")
    seed_paper_results(store)
    seed_paper_table2(store)
    names = {r.codec for r in store.records()} | {c.codec for c in paper_codecs()} | set(PAPER_COLUMNS)
    return {_norm(n) for n in names}


def _our_titles() -> dict[str, str]:
    titles = {f"baseline {s.name}": s.title for s in BASELINES.values()}
    titles.update({f"model {m.name}": m.title for m in OUR_MODELS.values()})
    titles.update({f"cross-track idf {t}": OUR_MODELS["idf"].trained_on_title(t) for t in ("keck", "hubble")})
    return titles


def test_the_paper_names_are_read_not_empty() -> None:
    assert {"idf", "l3c", "pixelcnn++", "vdm", "jpeg-xl (max)", "rice"} <= _paper_names()


def test_no_name_of_ours_is_a_paper_name() -> None:
    paper = _paper_names()
    titles = _our_titles()
    clashes = {k: t for k, t in titles.items() if _norm(t) in paper}
    assert not clashes, clashes
    named = [s.title for s in BASELINES.values()] + [OUR_MODELS["vdm"].title]
    assert len({_norm(t) for t in named}) == len(named)  # and no two rows of ours share one


def test_our_neural_names_say_size_and_training_data() -> None:
    for spec in BASELINES.values():
        if spec.neural:
            model = OUR_MODELS[spec.name]
            assert spec.title == model.title and spec.paper_column == model.paper_column
            assert "(ours, " in spec.title and "synthetic-trained" in spec.title
            assert param_text(model.params) in spec.title
    assert BASELINES["idf"].title == "IDF-small (ours, 0.22 M, synthetic-trained)"
    assert BASELINES["pixelcnn"].title == "PixelCNN-lite (ours, 34–36 k, synthetic-trained)"
    assert VDM_CODEC == OUR_MODELS["vdm"].title == "VDM-small (ours, 0.16 M, synthetic-trained)"


def test_param_text() -> None:
    assert param_text((220_435,)) == "0.22 M"
    assert param_text((33_903, 35_740)) == "34–36 k"
    assert param_text((563_364, 567_934)) == "0.56–0.57 M"
    assert param_text((159_237, 162_695)) == "0.16 M"
    assert param_text((33_903, 220_435)) == "34 k / 0.22 M"
    with pytest.raises(ValueError):
        param_text(())


@pytest.mark.parametrize("model", list(OUR_MODELS))
def test_parameter_counts_are_the_shipped_checkpoints(model: str) -> None:
    """The registry's counts are the checkpoints' own (their metadata's trainable ``params``)."""
    metas = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(CHECKPOINTS.glob(f"{model}-*.json"))]
    assert metas, f"no shipped checkpoint of {model}"
    assert {int(m["params"]) for m in metas} == set(OUR_MODELS[model].params)
    assert {m["data"].split(":")[0].split("-")[0] for m in metas} == {"synthetic"}  # "synthetic-trained"


@pytest.mark.slow  # evaluates every baseline in process and publishes (~13 s)
def test_records_and_the_published_dataset_carry_the_registry_names(tmp_path: Path) -> None:
    store = ResultStore(str(tmp_path / "results"))
    seed_paper_results(store)
    records = evaluate_baselines(["rice", "jpegls", "idf", "xz"], [TRACKS["keck"]], first_items("synthetic", 1),
                                 store, inprocess=True)
    assert [r.status for r in records] == ["ok"] * 4
    assert {r.submission: r.codec for r in records} == {
        BASELINES[n].submission: BASELINES[n].title for n in ("rice", "jpegls", "idf", "xz")}

    table = pq.read_table(io.BytesIO(table_files(store.files())[RECORDS_TABLE_PATH]))
    rows = list(zip(table.column("submission").to_pylist(), table.column("profile").to_pylist(),
                    table.column("codec").to_pylist()))
    published = {s: c for s, _, c in rows}
    for rec in records:
        assert published[rec.submission] == BASELINES[rec.submission.removeprefix("baseline-")].title
    paper_names = {c for _, profile, c in rows if profile == "paper"}
    assert {"RICE", "IDF", "JPEG-XL (max)"} <= paper_names  # the paper's rows keep the paper's names
    # the gain-vs-RICE reference still finds our RICE under its new name (and the paper's under the paper's)
    frame = table.to_pandas()
    ours = next(r for r in records if r.submission == BASELINES["rice"].submission)
    assert rice_ratios(frame, "keck")[frame.loc[frame["submission"] == ours.submission, "data"].iloc[0]] == \
        pytest.approx(ours.summary.ratio_mean)
    assert len(rice_ratios(frame, "keck")) == 2

    # the CLI's tables beside the paper's: one column per baseline, headed by its registry name, 5 per table
    tables = ratio_tables(records, paper_results()["table1_ratio"], "t")
    ran = {r.submission.removeprefix("baseline-") for r in records}
    titles = [s.title for n, s in BASELINES.items()
              if s.kind in ("classical", "neural") and not s.near_lossless and n in ran]
    headers = [str(c.header).replace("\n", " ") for cli in tables for c in cli.columns[1:]]
    assert headers == [short_label(t) for t in titles]  # the registry names, before their parenthesis
    assert all(len(cli.columns) <= TABLE_COLUMNS + 1 for cli in tables)
    neural = [short_label(s.title) for s in BASELINES.values() if s.kind == "neural"]
    assert not {_norm(h) for h in neural} & {_norm(n) for n in _paper_names()}  # our models: never a paper name
    captions = " ".join(str(cli.caption) for cli in tables)
    assert all(f"{short_label(t)} = {t}" in captions for t in titles)  # the full names stand below
    # how demo prints them on an 80-column terminal: every number whole, no line wider than the terminal
    console = Console(width=80, record=True, file=io.StringIO())
    for cli in tables:
        console.print(cli)
    text = console.export_text()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    shown = {n for n in ran if BASELINES[n].kind in ("classical", "neural")}
    assert all(f"{r.summary.ratio_mean:.2f}" in text
               for r in records if r.submission.removeprefix("baseline-") in shown)


def test_the_shipped_vdm_estimates_carry_the_registry_name() -> None:
    from baselines.neural.vdm_records import estimate_record  # noqa: PLC0415

    entries = shipped_entries()
    assert entries
    record, _ = estimate_record(entries[0])
    assert record.codec == OUR_MODELS["vdm"].title and record.manifest["name"] == record.codec
