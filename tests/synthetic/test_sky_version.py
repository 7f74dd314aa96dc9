"""The synthetic corpus's revision follows the generator's sources, and only them."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluator.data import synthetic_corpus


def _copy_data_package(tmp_path: Path) -> Path:
    here = Path(synthetic_corpus.__file__).parent
    (tmp_path / "synthetic").mkdir()
    for p in here.glob("*.py"):
        (tmp_path / p.name).write_bytes(p.read_bytes())
    for p in (here / "synthetic").glob("*.py"):
        (tmp_path / "synthetic" / p.name).write_bytes(p.read_bytes())
    return tmp_path


@pytest.mark.parametrize(("changed", "moves"), [
    ("synthetic/detector.py", True),  # the physics
    ("synthetic_sky.py", True),  # what goes into each file
    ("synthetic_truth.py", True),  # the injected stars' sidecars
    ("datasets.py", False),  # the dataset table: not the generator
    ("synthetic_corpus.py", False),  # the driver: its version is GENERATOR_VERSION
])
def test_the_revision_moves_with_the_generator_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   changed: str, moves: bool) -> None:
    root = _copy_data_package(tmp_path)
    monkeypatch.setattr(synthetic_corpus, "__file__", str(root / "synthetic_corpus.py"))
    before = synthetic_corpus.sky_version()
    assert before == synthetic_corpus.sky_version()
    target = root / changed
    target.write_text(target.read_text() + "\n# an edit\n")
    assert (synthetic_corpus.sky_version() != before) is moves
