"""Codec templates for ``challenge init`` (python, c, shell, torch).

Each language folder holds a working lossless codec that passes
``challenge test`` as generated: the Python one uses ``challenge.sdk``; the
C and shell ones speak the JSON-lines contract themselves, proof that the
contract needs no Python (DESIGN.md "The codec contract").
"""

from __future__ import annotations

import re
import stat
from importlib import resources
from pathlib import Path

from evaluator.core.manifest import MANIFEST_NAME, render_manifest
from evaluator.core.settings import author_name
from evaluator.sdk.errors import BadInput

LANGUAGES: dict[str, str] = {
    "python": "Python with challenge.sdk: delta filter + zigzag + byte planes + zlib",
    "c": "C speaking the contract directly: left-neighbour prediction + Rice coding",
    "shell": "bash speaking the contract directly: gzip -9 of the .npy",
    "torch": "torch: checkerboard CNN context model + logistic mixture + the SDK's range coder",
}
FILES: dict[str, str] = {
    "python": "- `codec.py`: `encode(array, max_abs_error=0) -> bytes` and `decode(bytes) -> array`; `serve()` does\n"
              "  the protocol. It also serves the near-lossless tracks (`challenge tracks`): it quantises to\n"
              "  bins of width 2*max_abs_error+1 (`modes` in codec.toml says so).\n"
              "- `Dockerfile`: copies `codec.py` onto the base image (Python, numpy, imagecodecs).",
    "c": "- `codec.c`: the protocol, `.npy` reading/writing and the codec, in one file.\n"
         "- `Makefile`: compiles a static binary on your machine (`make`); `challenge build` runs it\n"
         "  first (`[build] prepare` in codec.toml) because the base image has no compiler.\n"
         "- `Dockerfile`: copies the binary onto the base image.",
    "shell": "- `codec.sh`: the protocol in bash; encode/decode are two `gzip` calls to replace.\n"
             "- `Dockerfile`: copies `codec.sh` onto the base image (bash and gzip are in Debian).",
    "torch": "- `model.py`: the network (a small CNN: convolutions and ReLU only, so its float32 numbers do\n"
             "  not depend on the CPU's vector width).\n"
             "- `codec.py`: checkerboard context model; `challenge.sdk.coding` codes the mixtures.\n"
             "- `train.py`: trains the network on synthetic (or your) data and writes `weights.pt`\n"
             "  (`python train.py --minutes 3`); a trained `weights.pt` ships with the template.\n"
             "- `Dockerfile`: the torch base image, weights copied in, CPU dispatch pinned.",
}
PREPARE: dict[str, str | None] = {"python": None, "c": "make", "shell": None, "torch": None}
BASE: dict[str, str | None] = {"python": None, "c": None, "shell": None, "torch": "torch"}
NEAR_LOSSLESS: dict[str, bool] = {"python": True, "c": False, "shell": False, "torch": False}  # encode takes the bound
BINARY_SUFFIXES = (".pt",)  # copied as they are (no {{name}} substitution)
_NAME = re.compile(r"[^a-z0-9_-]+")


class ScaffoldError(BadInput, ValueError):
    """The target folder or options cannot be used."""


def codec_name_for(folder: Path) -> str:
    name = _NAME.sub("-", folder.resolve().name.lower()).strip("-_") or "my-codec"
    return name[:63] if name[0].isalnum() else f"codec-{name}"[:63]


def template_files(lang: str) -> dict[str, bytes]:
    """Relative path -> content of the template for ``lang`` (without codec.toml/README)."""
    if lang not in LANGUAGES:
        raise ScaffoldError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    root = resources.files(__name__).joinpath(lang)
    out: dict[str, bytes] = {}
    for entry in root.iterdir():
        if entry.is_file() and entry.name not in {"codec", "__pycache__"}:
            out[entry.name] = entry.read_bytes()
    return out


def create_codec_folder(folder: Path, *, lang: str = "python", name: str | None = None,
                        authors: list[str] | None = None, force: bool = False) -> list[Path]:
    """Write a working codec folder; returns the files written."""
    folder = Path(folder).expanduser()
    if folder.exists() and any(folder.iterdir()) and not force:
        raise ScaffoldError(f"{folder} exists and is not empty; pick a new folder or pass --force")
    name = name or codec_name_for(folder)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,62}", name):
        raise ScaffoldError(f"codec name {name!r} must be lowercase letters, digits, '-' or '_'")
    files = template_files(lang)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for rel, content in sorted(files.items()):
        path = folder / rel
        path.write_bytes(content if rel.endswith(BINARY_SUFFIXES) else content.replace(b"{{name}}", name.encode()))
        if rel.endswith(".sh"):
            path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        written.append(path)
    manifest = folder / MANIFEST_NAME
    manifest.write_text(render_manifest(name=name, description=LANGUAGES[lang], authors=authors,
                                        prepare=PREPARE[lang], base=BASE[lang], near_lossless=NEAR_LOSSLESS[lang]),
                        encoding="utf-8")
    written.append(manifest)
    readme = resources.files(__name__).joinpath("README.md.tmpl").read_text(encoding="utf-8")
    readme = readme.replace("{{name}}", name).replace("{{lang}}", lang).replace("{{files}}", FILES[lang])
    (folder / "README.md").write_text(readme, encoding="utf-8")
    written.append(folder / "README.md")
    return written


def default_author() -> list[str] | None:
    user = author_name()
    return [user] if user else None
