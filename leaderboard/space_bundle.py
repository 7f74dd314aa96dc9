"""The leaderboard Space as a folder: its app.py, requirements, README and the code it imports.

The modules it carries are not a hand-kept list: :func:`space_modules` walks
the imports of ``leaderboard.app`` (module level, project packages only)
transitively, so a new module the leaderboard starts to use is shipped
with it.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from importlib import resources
from pathlib import Path

SPACE_DATASET_PLACEHOLDER = "__DATASET_REPO__"
SPACE_ENTRY = "leaderboard.app"
PROJECT_PACKAGES: tuple[str, ...] = ("challenge", "leaderboard", "submissions", "baselines", "evaluator")
REPO_ROOT = Path(__file__).resolve().parents[1]


def _module_path(module: str) -> Path | None:
    """The source file of a project module (package ``__init__`` included), or None."""
    base = REPO_ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path) -> set[str]:
    """Project modules ``path`` imports at module level (not inside functions: those are optional)."""
    out: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            if name.split(".")[0] in PROJECT_PACKAGES and _module_path(name) is not None:
                out.add(name)
    return out


@lru_cache(maxsize=1)
def space_modules() -> tuple[str, ...]:
    """Every project module ``leaderboard.app`` needs, with the packages that hold them, sorted."""
    seen: set[str] = set()
    todo = [SPACE_ENTRY]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages run first
        path = _module_path(module)
        if path is not None:
            todo += sorted(_imports(path) - seen)
    return tuple(sorted(seen))


def _package_file(package: str, name: str) -> bytes:
    return resources.files(package).joinpath(name).read_bytes()


def space_files(dataset_repo: str, *, title: str = "AstroCompress Challenge") -> dict[str, bytes]:
    """The Space folder: app.py, requirements.txt, README with front matter, and the leaderboard code."""
    import gradio

    app = _package_file("leaderboard", "space/app.py").decode().replace(SPACE_DATASET_PLACEHOLDER, dataset_repo)
    readme = f"""---
title: {title}
emoji: 🔭
colorFrom: indigo
colorTo: blue
sdk: gradio
sdk_version: {gradio.__version__}
app_file: app.py
pinned: false
license: mit
short_description: Lossless compression of raw astronomical images
---

# {title} leaderboard

Reads the results dataset [`{dataset_repo}`](https://huggingface.co/datasets/{dataset_repo})
(`hf://datasets/{dataset_repo}`) and refreshes on a timer. Set the `RESULTS_STORE` variable
to read another store.
"""
    files = {
        "app.py": app.encode(),
        "requirements.txt": _package_file("leaderboard", "space/requirements.txt"),
        "README.md": readme.encode(),
    }
    for module in space_modules():
        path = _module_path(module)
        if path is not None:
            files[path.relative_to(REPO_ROOT).as_posix()] = path.read_bytes()
    return files
