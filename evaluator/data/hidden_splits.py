"""Hidden test splits: a local directory of FITS or ``.npy`` files, registered by the organizer.

The data never leave the directory (DESIGN "Data": never uploaded, never
mounted into a decoder, checksummed). Registration writes a manifest into
``evaluator.core.settings.hidden_registry_dir()``: the dataset the files belong
to, and the size and SHA-256 of every file. Loading a split re-hashes every
file and refuses a split whose files changed, vanished or were added
(:class:`SplitChangedError`), so a result always refers to exactly the
registered bytes. The manifest's own SHA-256 is the split's revision.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evaluator.core.checksums import file_sha256
from evaluator.core.settings import hidden_registry_dir
from evaluator.core.tracks import DATASETS
from evaluator.data.fits_reader import FitsFormatError, is_sample_file, iter_samples
from evaluator.sdk.errors import BadInput

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class SplitChangedError(BadInput, ValueError):
    """The files of a registered hidden split differ from its manifest."""


class RegistrationError(BadInput, ValueError):
    """A split name, dataset or folder that cannot be registered; the message says which and why."""


class SplitFolderMissing(BadInput, FileNotFoundError):
    """The folder to register does not exist."""

    fix = "give --dir an existing folder of .fits / .fits.gz / .npy sample files"


class SplitExistsError(BadInput, FileExistsError):
    """A split of that name is registered already."""

    fix = "pass --overwrite to register it again, or choose another name"


class SplitFilesError(BadInput, ValueError):
    """Files of a folder to register that cannot be read; the message lists every one and why."""

    fix = ("replace each listed file with an unmodified raw file of the dataset, or remove it, "
           "then run register-split again")


class UnknownSplitError(BadInput, KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class ManifestFile:
    path: str  # relative to the split directory, POSIX separators
    size: int
    sha256: str
    fields: dict[str, Any] = field(default_factory=dict)  # extra row fields (e.g. telescope)

    @property
    def image_id(self) -> str:
        """The file's path without its sample suffix, '/' replaced by '_'."""
        name = self.path
        for suffix in (".fits.gz", ".fit.gz", ".fts.gz", ".fits", ".fit", ".fts", ".npy"):
            if name.lower().endswith(suffix):
                name = name[: -len(suffix)]
                break
        return name.replace("/", "_")


@dataclass(frozen=True)
class Manifest:
    name: str
    dataset: str
    directory: str
    created_at: str
    files: tuple[ManifestFile, ...]

    @property
    def sha256(self) -> str:
        """Revision of the split: hash of the dataset and every file's path, size and hash."""
        body = json.dumps({"dataset": self.dataset, "files": [[f.path, f.size, f.sha256] for f in self.files]},
                          sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()

    def to_json(self) -> str:
        d = asdict(self)
        d["files"] = [asdict(f) for f in self.files]
        d["sha256"] = self.sha256
        return json.dumps(d, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        d = json.loads(text)
        files = tuple(ManifestFile(f["path"], int(f["size"]), f["sha256"], dict(f.get("fields", {})))
                      for f in d["files"])
        m = cls(d["name"], d["dataset"], d["directory"], d["created_at"], files)
        if d.get("sha256") and d["sha256"] != m.sha256:
            raise SplitChangedError(f"manifest of hidden split {m.name!r} was edited (its sha256 does not match); "
                                    "register the split again")
        return m

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def _scan(directory: Path) -> list[str]:
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*")
                  if p.is_file() and not p.is_symlink() and is_sample_file(p.name))


def _registry(registry_dir: str | Path | None) -> Path:
    path = Path(registry_dir) if registry_dir else hidden_registry_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def register_split(name: str, dataset: str, directory: str | Path, registry_dir: str | Path | None = None, *,
                   fields: dict[str, Any] | None = None, overwrite: bool = False) -> Manifest:
    """Register ``directory`` (FITS or ``.npy`` sample files, searched recursively) as hidden split ``name``.

    ``fields`` become extra row fields of every file (e.g. ``{"telescope": "LCO"}``
    so the ``lco`` track's row filter applies). Call :func:`check_files` first
    to refuse a folder with unreadable files.
    """
    root, rels, target = _prepare(name, dataset, directory, registry_dir, overwrite)
    files = tuple(ManifestFile(rel, (root / rel).stat().st_size, file_sha256(root / rel), dict(fields or {}))
                  for rel in rels)
    manifest = Manifest(name, dataset, str(root), datetime.now(UTC).isoformat(timespec="seconds"), files)
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(manifest.to_json(), encoding="utf-8")
    tmp.replace(target)
    log.info("registered hidden split %s: %d files, %d bytes", name, len(files), manifest.total_bytes)
    return manifest


def check_files(name: str, dataset: str, directory: str | Path, registry_dir: str | Path | None = None, *,
                overwrite: bool = False) -> int:
    """Read every file ``register_split`` would register once; the number of samples in them.

    Raises :class:`SplitFilesError` listing every file that cannot be read (and
    why), so nothing is registered until all of them are fixed; the cheap
    checks of :func:`register_split` (name, dataset, folder) come first."""
    root, rels, _ = _prepare(name, dataset, directory, registry_dir, overwrite)
    samples, bad = 0, []
    for rel in rels:
        try:
            samples += sum(1 for _ in iter_samples(root / rel, dataset))
        except FitsFormatError as exc:
            bad.append(f"  {rel}: {exc.problem}")
    if bad:
        raise SplitFilesError(f"{len(bad)} of {len(rels)} files in {root} cannot be read as {dataset} samples; "
                              "nothing was registered:\n" + "\n".join(bad))
    return samples


def _prepare(name: str, dataset: str, directory: str | Path, registry_dir: str | Path | None,
             overwrite: bool) -> tuple[Path, list[str], Path]:
    """The folder, its sample files and the manifest path of a registration, after the cheap checks."""
    if not _NAME.match(name):
        raise RegistrationError(f"split name {name!r}: use letters, digits, '.', '_' or '-' (at most 64 characters)")
    if dataset not in DATASETS:
        raise RegistrationError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    root = Path(directory).expanduser().resolve()
    if not root.is_dir():
        raise SplitFolderMissing(f"{root} is not a directory")
    rels = _scan(root)
    if not rels:
        raise RegistrationError(f"{root} holds no .fits, .fits.gz, .fit.gz or .npy files")
    target = _registry(registry_dir) / f"{name}.json"
    if target.exists() and not overwrite:
        raise SplitExistsError(f"hidden split {name!r} is already registered ({target}); pass overwrite=True "
                              "(CLI: --overwrite) to register it again")
    return root, rels, target


def read_manifest(name: str, registry_dir: str | Path | None = None) -> Manifest:
    path = _registry(registry_dir) / f"{name}.json"
    if not _NAME.match(name) or not path.is_file():
        known = ", ".join(list_splits_names(registry_dir)) or "none"
        raise UnknownSplitError(f"no hidden split named {name!r} (registered: {known}); "
                                "register one with `challenge admin register-split NAME --dataset D --dir DIR`")
    return Manifest.from_json(path.read_text(encoding="utf-8"))


def verify(manifest: Manifest) -> None:
    """Re-hash every file; raise :class:`SplitChangedError` naming what differs."""
    root = Path(manifest.directory)
    if not root.is_dir():
        raise SplitChangedError(f"hidden split {manifest.name!r}: directory {root} is gone")
    present = set(_scan(root))
    listed = {f.path for f in manifest.files}
    problems = [f"missing file {p}" for p in sorted(listed - present)]
    problems += [f"added file {p}" for p in sorted(present - listed)]
    for f in manifest.files:
        if f.path not in present:
            continue
        path = root / f.path
        if path.stat().st_size != f.size or file_sha256(path) != f.sha256:
            problems.append(f"changed file {f.path}")
    if problems:
        raise SplitChangedError(
            f"hidden split {manifest.name!r} in {root} differs from its manifest: " + "; ".join(problems)
            + ". Evaluation refuses a changed split; restore the files or register the split again "
            "(challenge admin register-split --overwrite)"
        )


def count_samples(manifest: Manifest) -> int:
    """Read every file of the split once; the number of samples in it.

    Raises :class:`evaluator.data.fits_io.FitsFormatError` naming the first file that cannot be read."""
    root = Path(manifest.directory)
    return sum(sum(1 for _ in iter_samples(root / f.path, manifest.dataset)) for f in manifest.files)


def load_split(name: str, registry_dir: str | Path | None = None) -> Manifest:
    """The manifest of a registered split, after verifying every file against it."""
    manifest = read_manifest(name, registry_dir)
    verify(manifest)
    return manifest


def list_splits_names(registry_dir: str | Path | None = None) -> list[str]:
    return sorted(p.stem for p in _registry(registry_dir).glob("*.json"))


def list_splits(registry_dir: str | Path | None = None) -> list[Manifest]:
    out = []
    for name in list_splits_names(registry_dir):
        try:
            out.append(read_manifest(name, registry_dir))
        except (SplitChangedError, KeyError, ValueError, json.JSONDecodeError) as exc:
            log.warning("skipping unreadable manifest %s: %s", name, exc)
    return out
