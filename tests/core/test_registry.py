"""The baseline registry drives the image folders, the entrypoint and the paper columns."""

from __future__ import annotations

import pytest

from baselines.baseline_images import baseline_image_folders, dockerfile
from baselines.classical import CODECS
from baselines.classical.near_lossless import NEAR_LOSSLESS_CODECS
from baselines.paper_seeds import paper_codecs
from baselines.registry import BASELINES, select_baselines
from baselines.serve import main as serve_main
from evaluator.core.manifest import load_manifest
from evaluator.sdk.named_table import UnknownName


def test_every_baseline_has_its_folder_manifest_and_entrypoint() -> None:
    for name, folder in baseline_image_folders().items():
        spec = BASELINES[name]
        manifest = load_manifest(folder)
        assert manifest.name == name and folder.parent.name == spec.kind
        assert f'"baselines.serve", "{name}"]' in dockerfile(spec)


def test_classical_specs_make_the_paper_codecs_and_name_paper_columns() -> None:
    paper = {c.codec for c in paper_codecs()}
    for spec in BASELINES.values():
        if spec.kind == "classical":  # the paper's codecs, or ours beyond it (near-lossless, no paper column)
            assert spec.factory() is (NEAR_LOSSLESS_CODECS if spec.near_lossless else CODECS)[spec.name]
            assert spec.near_lossless == (spec.paper_column is None)
        assert spec.paper_column is None or spec.paper_column in paper
        assert spec.submission == f"baseline-{spec.name}"


def test_selection_and_unknown_names() -> None:
    assert [b.name for b in select_baselines("rice, jpegls")] == ["jpegls", "rice"]  # table order
    assert len(select_baselines(None)) == len(BASELINES)
    with pytest.raises(UnknownName, match="known: jpegxl-max"):
        select_baselines("webp")


def test_serve_refuses_an_unknown_baseline(capsys) -> None:
    assert serve_main(["webp", "encode"]) == 2
    assert "usage: python -m baselines.serve" in capsys.readouterr().err
