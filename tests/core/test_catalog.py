"""The baseline catalog is plain data: importable without imagecodecs or torch, and the leaderboard reads it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from baselines.archive import get_archive_codec
from baselines.catalog import CATALOG, NEURAL_BASELINES, PAPER_COLUMNS
from baselines.classical import get_codec
from baselines.model_names import OUR_MODELS
from baselines.registry import BASELINE_TABLE

REPO = Path(__file__).resolve().parents[2]

BLOCKED = """
import json, sys
for name in ("torch", "imagecodecs"):
    sys.modules[name] = None  # any import of them raises ImportError
import baselines.catalog as catalog
import leaderboard.views.tables as tables
import leaderboard.views.cost as cost
print(json.dumps({"catalog": list(catalog.PAPER_COLUMNS), "leaderboard": list(tables.PAPER_COLUMNS),
                  "archive": sorted(tables.ARCHIVE_SUBMISSIONS), "rice": [cost.RICE_CODEC, cost.RICE_SUBMISSION],
                  "names": [r.name for r in catalog.CATALOG]}))
"""


def test_catalog_and_leaderboard_import_without_imagecodecs_or_torch() -> None:
    out = subprocess.run([sys.executable, "-c", BLOCKED], cwd=REPO, capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["leaderboard"] == got["catalog"] == list(PAPER_COLUMNS)
    assert got["catalog"] == ["IDF", "L3C", "PixelCNN++", "VDM", "JPEG-XL (max)", "JPEG-XL", "JPEG-LS", "JPEG-2000",
                              "RICE"]  # the paper's Table 1, in its order
    assert got["archive"] == sorted(r.submission for r in CATALOG if r.kind == "archive")
    assert got["rice"] == ["RICE", "baseline-rice"]
    assert got["names"] == [b.name for b in BASELINE_TABLE]


def test_the_catalog_literals_are_the_codecs_own_labels() -> None:
    """Paper columns and archive titles are written in the catalog (no imagecodecs there): they must agree."""
    for row in CATALOG:
        if row.kind == "classical" and not row.near_lossless:
            assert row.paper_column == get_codec(row.name).title, row.name
        if row.kind == "archive":
            assert row.title == get_archive_codec(row.name).title, row.name
        if row.kind == "neural":
            assert (row.title, row.paper_column) == (OUR_MODELS[row.name].title, OUR_MODELS[row.name].paper_column)
    assert NEURAL_BASELINES == ("idf", "l3c", "pixelcnn")


def test_the_registry_binds_every_catalog_row_unchanged() -> None:
    assert [(b.name, b.title, b.kind, b.paper_column, b.profile, b.demo_tracks, b.near_lossless)
            for b in BASELINE_TABLE] == \
        [(r.name, r.title, r.kind, r.paper_column, r.profile, r.demo_tracks, r.near_lossless) for r in CATALOG]
    assert all(b.weights for b in BASELINE_TABLE if b.neural) and not any(b.weights for b in BASELINE_TABLE
                                                                         if not b.neural)
