"""Corpora laid out like the ``AstroCompress/*`` Hub repos: local folder, fsspec URL, the Hub.

Every corpus answers two questions for a dataset and a split
(``{tiny,full}_{train,test}``, ``shared/DATA.md`` "Hub layout"):

* :meth:`Corpus.rows` — the split file's rows (image id, relative path, extra fields);
* :meth:`Corpus.local_path` — a local file for one row (downloaded and cached when remote).

``LocalCorpus(root)`` reads ``root/<DATASET>/...`` in place. ``FsspecCorpus(url)``
reads any fsspec URL (``file://``, ``memory://``, ``hf://datasets/AstroCompress``),
copying the files a split needs into a local cache. ``HubCorpus`` uses
``huggingface_hub.hf_hub_download`` with a pinned revision: the split file
first, then only the FITS files that split lists. The datasets' own loading
scripts are never run (current ``datasets`` refuses them; DESIGN "Data").
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from evaluator.core.fs_urls import OFFLINE_FIX, unreachable_errors, url_filesystem
from evaluator.core.settings import cache_dir as default_cache_dir
from evaluator.data.hub_layout import SPLITS
from evaluator.sdk.errors import BadInput

log = logging.getLogger(__name__)

HUB_ORG = "AstroCompress"


class CorpusError(BadInput, ValueError):
    """A corpus that cannot serve a split (missing split file, bad row, unreachable Hub)."""


@dataclass(frozen=True)
class Row:
    """One row of a split file."""

    image_id: str
    path: str  # relative to the dataset folder, e.g. "data/LCO/x.fits" (no leading ./)
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise CorpusError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    return split


def clean_relative(path: str, where: str) -> str:
    """Normalise a row's image path; refuse absolute paths and ``..`` (a split file must not escape its folder)."""
    p = PurePosixPath(path.replace("\\", "/"))
    parts = [x for x in p.parts if x not in (".", "")]
    if p.is_absolute() or not parts or any(x == ".." for x in parts):
        raise CorpusError(f"{where}: image path {path!r} must be relative and stay inside the dataset folder")
    return "/".join(parts)


def parse_rows(text: str, where: str) -> list[Row]:
    """Rows of a split ``.jsonl`` file."""
    rows: list[Row] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{where} line {n}: not JSON ({exc})") from exc
        if not isinstance(obj, dict) or "image_id" not in obj or "image" not in obj:
            raise CorpusError(f"{where} line {n}: each row needs 'image_id' and 'image'")
        extra = {k: v for k, v in obj.items() if k not in ("image_id", "image")}
        rows.append(Row(str(obj["image_id"]), clean_relative(str(obj["image"]), f"{where} line {n}"), extra))
    return rows


class Corpus(ABC):
    """Common interface of every corpus."""

    label: str  # short, for split labels ("dir:NAME", "hub@REV", ...)

    @abstractmethod
    def split_text(self, dataset: str, split: str) -> str:
        """The raw split file."""

    @abstractmethod
    def local_path(self, dataset: str, row: Row) -> Path:
        """A local file holding this row's data (downloaded and cached when remote)."""

    def open(self, dataset: str, row: Row) -> BinaryIO:
        """This row's file, opened for binary reading (caller closes it)."""
        return self.local_path(dataset, row).open("rb")

    def rows(self, dataset: str, split: str) -> list[Row]:
        return parse_rows(self.split_text(dataset, check_split(split)), f"{self.label}/{dataset}/splits/{split}.jsonl")

    def revision(self, dataset: str, split: str) -> str:
        """A content revision: the pinned Hub revision, else a hash of the split file."""
        return "sha256-" + hashlib.sha256(self.split_text(dataset, split).encode()).hexdigest()[:16]


class LocalCorpus(Corpus):
    """A folder laid out like the Hub repos: ``root/<DATASET>/splits/*.jsonl`` and ``root/<DATASET>/data/...``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.label = f"dir:{self.root.name}"

    def split_text(self, dataset: str, split: str) -> str:
        path = self.root / dataset / "splits" / f"{split}.jsonl"
        if not path.is_file():
            raise CorpusError(f"{path} not found; a corpus folder holds <DATASET>/splits/{split}.jsonl "
                              "(generate one with `challenge data synth --out DIR`)")
        return path.read_text(encoding="utf-8")

    def local_path(self, dataset: str, row: Row) -> Path:
        path = (self.root / dataset / row.path).resolve()
        if not path.is_relative_to(self.root / dataset):
            raise CorpusError(f"{row.path} leaves the dataset folder {self.root / dataset}")
        if not path.is_file():
            raise CorpusError(f"{path} listed in the split of {dataset} but missing")
        return path


class FsspecCorpus(Corpus):
    """A corpus at any fsspec URL whose children are dataset folders (``<url>/<DATASET>/...``).

    For ``hf://`` URLs a ``revision`` is pinned per dataset repo (``<url>/<DATASET>@<rev>``).
    Remote files are copied once into ``cache_dir`` (default: the platform cache, keyed by URL and revision).
    """

    def __init__(self, url: str, *, revision: str | None = None, cache_dir: str | Path | None = None) -> None:
        self.url = url.rstrip("/")
        self.fs, self.base = url_filesystem(self.url, what="data source")
        self.revision_pin = revision
        self.local = type(self.fs).__name__ == "LocalFileSystem"
        key = hashlib.sha256(f"{self.url}@{revision}".encode()).hexdigest()[:16]
        self.cache = Path(cache_dir) if cache_dir else default_cache_dir() / "corpus" / key
        self.label = f"url:{self.url}" + (f"@{revision}" if revision else "")

    def _dataset_root(self, dataset: str) -> str:
        pin = f"@{self.revision_pin}" if self.revision_pin and self.url.startswith("hf://") else ""
        return f"{self.base}/{dataset}{pin}"

    def split_text(self, dataset: str, split: str) -> str:
        path = f"{self._dataset_root(dataset)}/splits/{split}.jsonl"
        try:
            with self.fs.open(path, "rb") as f:
                data: bytes = f.read()
                return data.decode("utf-8")
        except FileNotFoundError:
            raise CorpusError(f"{self.url}/{dataset}/splits/{split}.jsonl not found") from None
        except unreachable_errors() as exc:
            raise CorpusError(f"cannot read {self.url}/{dataset}/splits/{split}.jsonl "
                              f"({type(exc).__name__}: {exc})", fix=OFFLINE_FIX) from exc

    def revision(self, dataset: str, split: str) -> str:
        return self.revision_pin or super().revision(dataset, split)

    def local_path(self, dataset: str, row: Row) -> Path:
        remote = f"{self._dataset_root(dataset)}/{row.path}"
        if self.local:
            return Path(remote)
        target = self.cache / dataset / row.path
        try:
            size = self.fs.size(remote)
        except FileNotFoundError:
            raise CorpusError(f"{self.url}/{dataset}/{row.path} listed in the split but missing") from None
        except unreachable_errors() as exc:
            raise CorpusError(f"cannot reach {self.url}/{dataset}/{row.path} ({type(exc).__name__}: {exc})",
                              fix=OFFLINE_FIX) from exc
        if target.is_file() and (size is None or target.stat().st_size == size):
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out, self.fs.open(remote, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target


class HubCorpus(Corpus):
    """The public corpus on the Hugging Face Hub (``<org>/<DATASET>`` dataset repos), revision pinned."""

    def __init__(self, org: str = HUB_ORG, *, revision: str = "main", cache_dir: str | Path | None = None) -> None:
        self.org = org
        self.revision_pin = revision
        self.cache = Path(cache_dir) if cache_dir else default_cache_dir() / "hub"
        self.label = f"hub@{revision}"

    def _download(self, dataset: str, filename: str) -> Path:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

        offline: tuple[type[BaseException], ...] = (HfHubHTTPError, LocalEntryNotFoundError, *unreachable_errors())
        try:
            return Path(hf_hub_download(repo_id=f"{self.org}/{dataset}", filename=filename, repo_type="dataset",
                                        revision=self.revision_pin, cache_dir=str(self.cache)))
        except offline as exc:
            raise CorpusError(
                f"cannot download {filename} of {self.org}/{dataset}@{self.revision_pin} ({exc}); check the network "
                "and the revision, or use the offline synthetic corpus (--data synthetic)"
            ) from exc

    def split_text(self, dataset: str, split: str) -> str:
        return self._download(dataset, f"splits/{split}.jsonl").read_text(encoding="utf-8")

    def revision(self, dataset: str, split: str) -> str:
        return self.revision_pin

    def local_path(self, dataset: str, row: Row) -> Path:
        return self._download(dataset, row.path)


def open_corpus(spec: str | Path, *, revision: str | None = None) -> Corpus:
    """A corpus from a folder path or an fsspec URL."""
    text = str(spec)
    if "://" in text and not text.startswith("file://"):
        return FsspecCorpus(text, revision=revision)
    if text.startswith("file://"):
        return FsspecCorpus(text)
    return LocalCorpus(text)
