"""The Space folder is computed: its modules from the import closure, its requirements from their imports."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import grimp

from leaderboard.publish.import_closure import closure
from leaderboard.publish.space_bundle import (
    PROJECT_PACKAGES,
    REPO_ROOT,
    space_closure,
    space_files,
    space_modules,
    space_requirements,
)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_closure_rules_on_a_small_project(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.py": "import os\nfrom app import top\n",
        "app/__init__.py": "",
        "app/top.py": ("from typing import TYPE_CHECKING\nimport numpy as np\nfrom . import sibling\n"
                       "if TYPE_CHECKING:\n    from app import typing_only\n"
                       "def lazy():\n    import docker\n    from app.deep.leaf import f\n    return f\n"),
        "app/sibling.py": "from .deep import leaf\n",
        "app/deep/__init__.py": "",
        "app/deep/leaf.py": "import pandas\ndef f(): pass\n",
        "app/typing_only.py": "import torch\n",
        "app/unused.py": "import scipy\n",
    })
    found = closure(tmp_path, tmp_path / "main.py", ["app"])
    assert found.modules == ("app", "app.deep", "app.deep.leaf", "app.sibling", "app.top")
    assert found.required == {"numpy": ["app/top.py"], "pandas": ["app/deep/leaf.py"]}
    assert found.optional == {"docker": ["app/top.py"]}  # inside a function: optional, not installed


def test_space_modules_are_grimps_import_closure() -> None:
    """An independent reading of the same source (grimp, as the layers test uses) finds the same modules."""
    sys.path.insert(0, str(REPO_ROOT))
    graph = grimp.build_graph(*PROJECT_PACKAGES, cache_dir=None, exclude_type_checking_imports=True)
    wanted = {"leaderboard.app.page"} | graph.find_upstream_modules("leaderboard.app.page")
    with_parents = {".".join(m.split(".")[:i]) for m in wanted for i in range(1, m.count(".") + 2)}
    assert set(space_modules()) == with_parents
    assert {"evaluator.sandbox.profiles", "submissions.service.queue_snapshot",
            "leaderboard.views.queue_view"} <= with_parents
    assert not any(m.startswith("challenge") for m in space_modules())  # above the leaderboard: never
    # of the baselines only the catalog (plain data: names, titles, paper columns), the archive codecs' names
    # and FITS layout (numpy only); no registry, no models, nothing that imports torch or imagecodecs
    assert {m for m in space_modules() if m.startswith("baselines")} <= {
        "baselines", "baselines.catalog", "baselines.model_names",
        "baselines.archive", "baselines.archive.codecs", "baselines.archive.fits_file"}


def test_requirements_are_the_imports_pinned_here() -> None:
    reqs = {dist.lower().replace("_", "-"): (version, why) for dist, version, why in space_requirements()}
    installed = metadata.packages_distributions()  # a scan of every installed file: once
    for imported in space_closure().required:
        if imported != "gradio":
            dist = installed[imported][0].lower().replace("_", "-")
            assert dist in reqs, f"{imported} is imported by {space_closure().required[imported]}"
    assert {"psutil", "platformdirs", "pyarrow", "huggingface-hub"} <= set(reqs)
    assert reqs["psutil"] == (metadata.version("psutil"), "imported by evaluator/sandbox/profiles.py")
    assert reqs["pyarrow"][1] == "read through pandas"
    assert "gradio" not in reqs and "docker" not in reqs  # gradio: the card; docker: function-level only
    files = space_files("org/results")
    text = files["requirements.txt"].decode()
    assert f"psutil=={metadata.version('psutil')}" in text and "\ngradio" not in text
    readme = files["README.md"].decode()
    assert f"\nsdk_version: {metadata.version('gradio')}\n" in readme
    assert f'\npython_version: "{sys.version_info.major}.{sys.version_info.minor}"\n' in readme
    assert {p for p in files if p.endswith(".py") and "/" in p} == {
        str(Path(*m.split(".")).with_suffix(".py")) if (REPO_ROOT / Path(*m.split(".")).with_suffix(".py")).exists()
        else f"{Path(*m.split('.'))}/__init__.py" for m in space_modules()}
