"""The leaderboard Space as a folder: its app.py, requirements, README and the code it imports.

Nothing here is a hand-kept list. The project modules the Space carries are
the import closure of its ``app.py`` (:func:`leaderboard.publish.import_closure.closure`
on the real source, function-level imports included); its
``requirements.txt`` is what those files import at module level from outside
the project, mapped to PyPI distributions
(``importlib.metadata.packages_distributions``) and pinned to the versions
installed where it is published. gradio is left out of the requirements: the
Space card's ``sdk_version`` pins it (the Hub installs that version itself),
and ``python_version`` pins the interpreter to the publisher's.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from evaluator.sdk.errors import PlatformFault
from leaderboard.publish.import_closure import Closure, closure

SPACE_DATASET_PLACEHOLDER = "__DATASET_REPO__"
PROJECT_PACKAGES: tuple[str, ...] = ("challenge", "leaderboard", "submissions", "baselines", "evaluator")
REPO_ROOT = Path(__file__).resolve().parents[2]
SPACE_TEMPLATE = Path(__file__).resolve().parents[1] / "space" / "app.py"
SPACE_MANAGED_PREFIXES: tuple[str, ...] = tuple(f"{p}/" for p in PROJECT_PACKAGES)  # publish may delete there

SDK_IMPORT = "gradio"  # pinned by the card's sdk_version, not by requirements.txt
# Packages the code reaches through another library, never by an import of its own:
# pandas reads the per-item Parquet files with pyarrow; fsspec opens hf:// with huggingface_hub.
READ_THROUGH: dict[str, tuple[str, ...]] = {"pandas": ("pyarrow",), "fsspec": ("huggingface_hub",)}


class SpaceRequirementError(PlatformFault, RuntimeError):
    """A package the Space imports is not installed here, so no version can be pinned."""


@lru_cache(maxsize=1)
def space_closure() -> Closure:
    """The project modules and third-party imports of the Space's ``app.py``."""
    return closure(REPO_ROOT, SPACE_TEMPLATE, PROJECT_PACKAGES)


def space_modules() -> tuple[str, ...]:
    """Every project module the Space needs, with the packages that hold them, sorted."""
    return space_closure().modules


@lru_cache(maxsize=1)
def _installed_packages() -> dict[str, list[str]]:
    """Import name -> distributions: a scan of every installed file (~0.5 s), so once per process."""
    return dict(metadata.packages_distributions())


def _distribution(import_name: str) -> str:
    dists = _installed_packages().get(import_name)
    if not dists:
        raise SpaceRequirementError(
            f"the leaderboard imports {import_name!r}, which is not installed here, so the Space's "
            f"requirements cannot pin it; install the project (`bash scripts/install.sh`) and publish again")
    return dists[0]


def space_requirements() -> list[tuple[str, str, str]]:
    """``(distribution, version, why)`` for every package the Space installs besides gradio, sorted."""
    why: dict[str, str] = {}
    for name, files in space_closure().required.items():
        if name == SDK_IMPORT:
            continue
        why.setdefault(name, f"imported by {files[0]}" + (f" (+{len(files) - 1})" if len(files) > 1 else ""))
        for extra in READ_THROUGH.get(name, ()):
            why.setdefault(extra, f"read through {name}")
    out: dict[str, tuple[str, str, str]] = {}
    for name, reason in why.items():
        dist = _distribution(name)
        out.setdefault(dist.lower(), (dist, metadata.version(dist), reason))
    return [out[k] for k in sorted(out)]


def requirements_txt() -> str:
    lines = ["# The Space's Python packages, computed by `challenge admin publish` (leaderboard.publish.space_bundle)",
             "# from the third-party imports of the files in this folder, pinned to the versions it was",
             "# published with. gradio is not listed: the Space card's sdk_version pins it."]
    lines += [f"{dist}=={version}  # {why}" for dist, version, why in space_requirements()]
    return "\n".join(lines) + "\n"


def sdk_version() -> str:
    """The gradio version the Space card pins (the one installed here)."""
    return metadata.version(SDK_IMPORT)


def space_readme(dataset_repo: str, title: str) -> str:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"""---
title: {title}
emoji: 🔭
colorFrom: indigo
colorTo: blue
sdk: gradio
sdk_version: {sdk_version()}
python_version: "{python}"
app_file: app.py
pinned: false
license: mit
short_description: Lossless compression of raw astronomical images
---

# {title} leaderboard

Reads the results dataset [`{dataset_repo}`](https://huggingface.co/datasets/{dataset_repo})
(`hf://datasets/{dataset_repo}`: its consolidated tables under `tables/`, a few files whatever
the number of submissions) and refreshes on a timer; its Queue tab shows the queue snapshot
published beside the results. Set the `RESULTS_STORE` variable to read another store.

**Organizer:** set `HF_TOKEN` as a secret of this Space (Settings → Variables and secrets → New
secret; a *read* token is enough, a fine-grained one limited to the results dataset is best).
Anonymous reads of the Hub are rate-limited; the app passes the token to every read.
"""


def space_files(dataset_repo: str, *, title: str = "AstroCompress Challenge") -> dict[str, bytes]:
    """The Space folder: app.py, requirements.txt, README with front matter, and the project code it imports."""
    app = SPACE_TEMPLATE.read_text(encoding="utf-8").replace(SPACE_DATASET_PLACEHOLDER, dataset_repo)
    files = {
        "app.py": app.encode(),
        "requirements.txt": requirements_txt().encode(),
        "README.md": space_readme(dataset_repo, title).encode(),
    }
    for rel, path in space_closure().files(REPO_ROOT).items():
        files[rel] = path.read_bytes()
    return files
