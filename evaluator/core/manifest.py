"""``codec.toml``: what a codec says about itself, and its validation.

Example::
    name = "my-codec"            # lowercase letters, digits, - and _ (shown on the leaderboard)
    version = "0.1.0"
    authors = ["Ada Lovelace"]
    license = "MIT"               # SPDX identifier
    description = "delta + zlib"
    url = "https://github.com/me/my-codec"   # optional
    paper = ""                    # optional: arXiv / DOI
    gpu = false                   # the codec needs a GPU (profile gpu-1)
    profile = "cpu-1"             # hardware profile it is ranked on (DESIGN.md "Measurement")
    base = "python"               # optional: "torch" (base image with CPU torch), "archive" (fpack/bzip2/zstd/xz)
    modes = ["lossless"]          # optional: add "near-lossless" when encode honours max_abs_error (CONTRACT.md §2)

    [build]                       # optional: a step run on YOUR machine before `docker build`
    prepare = "make"              # e.g. compile a static binary the Dockerfile copies

The manifest travels with a submission and is shown on the leaderboard, so
its public text follows :mod:`evaluator.core.public_text` (a cap per field, no
control characters or bidi overrides, ``url`` an absolute http(s) link);
errors name the field and the fix.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evaluator.core.public_text import field_problem
from evaluator.sdk.errors import BadInput

MANIFEST_NAME = "codec.toml"
PROFILES: tuple[str, ...] = ("cpu-1", "cpu-8", "gpu-1")  # DESIGN.md "Measurement"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$")
_KNOWN = {"name", "version", "authors", "license", "description", "url", "paper", "gpu", "profile", "build", "base",
          "modes"}
BASES: tuple[str, ...] = ("python", "torch", "archive")  # codec base image variant (evaluator.images)
# Error-bound modes (CONTRACT.md §2): "lossless" (max_abs_error 0, every codec) and "near-lossless" (any integer
# max_abs_error >= 0 in an encode request). A codec that declares none is lossless-only (contract version 1).
MODES: tuple[str, ...] = ("lossless", "near-lossless")
NEAR_LOSSLESS = "near-lossless"
LABEL_MODES = "org.astrocompress.modes"  # image label: the manifest's modes, comma-separated


def modes_near_lossless(modes: object) -> bool:
    """Whether declared modes (a list, or an image label's comma-separated text) include near-lossless."""
    if isinstance(modes, str):
        modes = [m.strip() for m in modes.split(",")]
    return isinstance(modes, (list, tuple)) and NEAR_LOSSLESS in modes


class ManifestError(BadInput, ValueError):
    """codec.toml is missing or invalid; the message lists every problem."""


@dataclass
class Manifest:
    name: str
    version: str
    authors: list[str]
    license: str
    description: str
    url: str = ""
    paper: str = ""
    gpu: bool = False
    profile: str = "cpu-1"
    build: dict[str, str] = field(default_factory=dict)
    base: str = "python"
    modes: list[str] = field(default_factory=lambda: ["lossless"])

    @property
    def near_lossless(self) -> bool:
        return modes_near_lossless(self.modes)

    @property
    def prepare_command(self) -> str | None:
        return self.build.get("prepare") or None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def validate_manifest(data: dict[str, Any], *, source: str = MANIFEST_NAME) -> Manifest:
    """Check a parsed codec.toml; raise :class:`ManifestError` listing all problems."""
    problems: list[str] = []

    def text(key: str, required: bool = True) -> str:
        value = data.get(key, "")
        if not isinstance(value, str):
            problems.append(f"{key} must be a string, got {type(value).__name__}")
            return ""
        if required and not value.strip():
            problems.append(f"{key} is required")
        problem = field_problem(key, value.strip())  # caps, control characters, links (evaluator.core.public_text)
        if problem:
            problems.append(problem)
        return value.strip()

    name = text("name")
    if name and not _NAME.match(name):
        problems.append(f"name {name!r} must be lowercase letters, digits, '-' or '_' (e.g. 'delta-zlib')")
    version = text("version")
    if version and not _VERSION.match(version):
        problems.append(f"version {version!r} must look like 1.0.0")
    authors = data.get("authors", [])
    if isinstance(authors, str):
        authors = [authors]
    if not isinstance(authors, list) or not authors or not all(isinstance(a, str) and a.strip() for a in authors):
        problems.append('authors must be a non-empty list of names, e.g. authors = ["Ada Lovelace"]')
        authors = []
    elif problem := field_problem("authors", [a.strip() for a in authors]):
        problems.append(problem)
    lic = text("license")
    description = text("description")
    url = text("url", required=False)
    paper = text("paper", required=False)
    gpu = data.get("gpu", False)
    if not isinstance(gpu, bool):
        problems.append("gpu must be true or false")
        gpu = False
    profile = data.get("profile", "gpu-1" if gpu else "cpu-1")
    if profile not in PROFILES:
        problems.append(f"profile {profile!r} is not one of {', '.join(PROFILES)}")
    elif gpu and profile != "gpu-1":
        problems.append("gpu = true needs profile = \"gpu-1\"")
    build = data.get("build", {})
    if not isinstance(build, dict) or not all(isinstance(v, str) for v in build.values()):
        problems.append('[build] must be a table of strings, e.g. prepare = "make"')
        build = {}
    elif set(build) - {"prepare"}:
        problems.append(f"[build] knows only 'prepare', not {sorted(set(build) - {'prepare'})}")
    base = data.get("base", "python")
    if base not in BASES:
        problems.append(f"base {base!r} must be one of {', '.join(BASES)} (the codec base image variant)")
    modes = data.get("modes", ["lossless"])
    if not isinstance(modes, list) or not all(isinstance(m, str) for m in modes) or "lossless" not in modes:
        problems.append('modes must be a list that includes "lossless", e.g. modes = ["lossless", "near-lossless"]')
        modes = ["lossless"]
    elif bad := sorted(set(modes) - set(MODES)):
        problems.append(f"modes {bad} unknown; known modes: {', '.join(MODES)}")
        modes = ["lossless"]
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        problems.append(f"unknown keys {unknown}; known keys: {', '.join(sorted(_KNOWN))}")
    if problems:
        raise ManifestError(f"{source} is invalid:\n" + "\n".join(f"  - {p}" for p in problems))
    return Manifest(name=name, version=version, authors=[a.strip() for a in authors], license=lic,
                    description=description, url=url, paper=paper, gpu=bool(gpu), profile=str(profile),
                    build=dict(build), base=str(base), modes=[m for m in MODES if m in modes])


def load_manifest(folder: Path) -> Manifest:
    """Read and validate ``folder/codec.toml``."""
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        raise ManifestError(f"{path} not found: every codec folder needs a codec.toml "
                            f"(run `challenge init` to get a template)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path} is not valid TOML: {exc}") from None
    return validate_manifest(data, source=str(path))


def render_manifest(*, name: str, description: str, authors: list[str] | None = None,
                    prepare: str | None = None, base: str | None = None, near_lossless: bool = False) -> str:
    """The codec.toml text ``challenge init`` writes."""
    author_list = ", ".join(f'"{a}"' for a in (authors or ["Your Name"]))
    out = (
        f'name = "{name}"\n'
        'version = "0.1.0"\n'
        f"authors = [{author_list}]\n"
        'license = "MIT"\n'
        f'description = "{description}"\n'
        'url = ""          # e.g. https://github.com/you/your-codec\n'
        'paper = ""        # e.g. arXiv:2506.08306\n'
        "gpu = false\n"
        'profile = "cpu-1"  # cpu-1, cpu-8 or gpu-1\n'
        + ('modes = ["lossless", "near-lossless"]  # encode honours max_abs_error (challenge/CONTRACT.md §2)\n'
           if near_lossless else
           'modes = ["lossless"]  # add "near-lossless" once encode honours max_abs_error (CONTRACT.md §2)\n')
    )
    if base:
        out += f'base = "{base}"     # the codec base image with CPU torch and the SDK\'s coding layer\n'
    if prepare:
        out += f'\n[build]\nprepare = "{prepare}"  # runs on your machine before docker build\n'
    return out
