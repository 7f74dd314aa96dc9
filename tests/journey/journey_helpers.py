"""Helpers for the journey tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def docker_ready() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False).returncode == 0


def python_variant(folder: Path, name: str, *, replace: tuple[str, str] | None = None,
                   near_lossless: bool = False) -> Path:
    """A python-template codec with one edit (lossy, crashing, slow ...).

    Lossless-only unless ``near_lossless``: the template declares the near-lossless mode, which would add four
    variants of every paper track to each worker run; these tests are about the queue, not the bound.
    """
    from challenge.scaffold import create_codec_folder

    create_codec_folder(folder, lang="python", name=name)
    if not near_lossless:
        toml = (folder / "codec.toml").read_text()
        declared = 'modes = ["lossless", "near-lossless"]'
        assert declared in toml, "the template changed; update the helper"
        (folder / "codec.toml").write_text(toml.replace(declared, 'modes = ["lossless"]', 1))
    if replace is not None:
        code = (folder / "codec.py").read_text()
        assert replace[0] in code, "the template changed; update the test's edit"
        (folder / "codec.py").write_text(code.replace(replace[0], replace[1], 1))
    return folder


def c_example(tmp: Path) -> Path:
    dest = tmp / "c-rice-codec"
    shutil.copytree(REPO / "examples" / "c-rice-codec", dest, ignore=shutil.ignore_patterns("codec"))
    return dest
