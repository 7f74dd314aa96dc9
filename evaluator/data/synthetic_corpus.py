"""The offline synthetic corpus: ``evaluator.data.synthetic_sky`` frames written in the Hub layout.

DESIGN "Data": with no network, a deterministic generator produces realistic
frames for every track, in the real shapes (``size="full"``) or reduced
(``size="small"``, the embedded default for demos and tests). This module is
the driver: it asks :func:`evaluator.data.synthetic_sky.make_file` for each file
and writes it with :mod:`evaluator.data.hub_layout`, so the synthetic corpus goes
through exactly the reader the real corpus goes through.

Per dataset it writes ``n_test`` test files of each of the generator's groups
(``SkyGenerator.groups`` in the dataset's record, ``evaluator.data.datasets``;
GBI-16-2D-Legacy: ``n_test`` LCO files plus ``n_test`` from the other
telescopes, so the ``lco`` track's row filter matters) and ``n_train``
training files. ``tiny_*`` splits are the first file of each group of each
``full_*`` split, so Legacy's ``tiny_test`` holds its first LCO file and its
first file from another telescope, and every track has a tiny item. Beside
each file the generator's truth about its injected stars is written to
``<DATASET>/truth/<image_id>.json`` (:mod:`evaluator.data.synthetic_truth`). The
output is byte-identical for the same (size, seed, counts, generator
version); a completed folder carries a marker and is not regenerated.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evaluator.core.settings import synthetic_data_dir
from evaluator.core.tracks import DATASETS
from evaluator.data.datasets import get_dataset
from evaluator.data.hub_layout import HubDatasetWriter
from evaluator.data.synthetic.common import Size, SyntheticFile
from evaluator.data.synthetic_sky import make_file
from evaluator.data.synthetic_truth import write_truth

log = logging.getLogger(__name__)

GENERATOR_VERSION = "2"  # bump when the driver's output layout changes (2: truth/ sidecars)
MARKER = "SYNTHETIC_COMPLETE.json"

# Default counts: small enough that 5 classical codecs on all 10 tracks stay fast.
DEFAULT_COUNTS: dict[str, tuple[int, int]] = {"small": (3, 2), "full": (3, 2)}
# Index offset of training files (test files use 0..n_test-1, so seeds never overlap).
TRAIN_OFFSET = 1000
MAX_TRIES = 40  # test file indices tried per wanted file of one group (Legacy: LCO / non-LCO)

Progress = Callable[[str, int, int], None]  # (dataset, files done, files total)


def default_synthetic_dir(size: str = "small", seed: int = 0) -> Path:
    return synthetic_data_dir() / f"{size}-s{seed}"


# the modules beside this driver that decide what the synthetic files hold (the generators are in synthetic/)
PHYSICS_MODULES = ("synthetic_sky.py", "synthetic_truth.py", "synthetic_calibration.py")


def sky_version() -> str:
    """Identity of the sky physics: a hash of the generator's sources (``evaluator/data/synthetic/*.py``
    and :data:`PHYSICS_MODULES` beside this driver), not of this driver.

    Any change to the generator changes it, so a cached corpus made by older
    physics is regenerated and results record which generator made their data.
    """

    here = Path(__file__).parent
    h = hashlib.sha256()
    for path in [*sorted((here / "synthetic").glob("*.py")), *(here / name for name in PHYSICS_MODULES)]:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def revision(size: str, seed: int) -> str:
    """The ``DataSource.revision`` of a synthetic corpus: driver version, physics hash, size, seed."""
    return f"synthetic-v{GENERATOR_VERSION}-{sky_version()}-{size}-s{seed}"


def parameters(size: str, seed: int, n_test: int, n_train: int) -> dict[str, Any]:
    return {"driver_version": GENERATOR_VERSION, "sky_version": sky_version(), "size": size, "seed": seed,
            "n_test": n_test, "n_train": n_train, "datasets": list(DATASETS)}


def is_complete(out_dir: str | Path, params: dict[str, Any]) -> bool:
    marker = Path(out_dir) / MARKER
    try:
        done: dict[str, Any] = json.loads(marker.read_text(encoding="utf-8"))
        return done == params
    except (OSError, ValueError):
        return False


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _image_id(dataset: str, seed: int, index: int, meta: dict[str, Any]) -> str:
    gen = get_dataset(dataset).synthetic
    field = f"-{str(meta.get(gen.id_field, 'X')).lower()}" if gen.id_field else ""
    return f"syn-{gen.tag}{field}-s{seed}-{index:04d}"


def _write_dataset(root: Path, dataset: str, size: Size, seed: int, n_test: int, n_train: int,
                   progress: Progress | None) -> None:

    gen = get_dataset(dataset).synthetic
    writer = HubDatasetWriter(root, dataset)
    total = n_test * len(gen.groups) + n_train
    done = 0

    firsts: set[tuple[str, str]] = set()

    def add(index: int, split: str, sf: SyntheticFile) -> None:
        nonlocal done
        meta = dict(sf.meta)
        meta.setdefault("synthetic", True)
        # tiny_* = the first file of each group of full_* (Legacy: the first LCO file and the first other one)
        group = gen.group_of(meta)
        first = (split, group) not in firsts
        firsts.add((split, group))
        splits = [f"full_{split}"] + ([f"tiny_{split}"] if first else [])
        image_id = _image_id(dataset, seed, index, meta)
        writer.add(image_id, sf.samples, meta, splits=splits)
        write_truth(writer.folder, image_id, dataset, sf.samples, meta)
        done += 1
        if progress:
            progress(dataset, done, total)

    want = {group: n_test for group in gen.groups}  # n_test files of each group, in index order
    for index in range(MAX_TRIES * max(1, n_test)):
        if not any(want.values()):
            break
        sf = make_file(dataset, seed, index, size)
        group = gen.group_of(sf.meta)
        if want.get(group):
            want[group] -= 1
            add(index, "test", sf)
    if any(want.values()):
        log.warning("synthetic %s: could not draw enough files per group (%s missing)", dataset, want)
    for index in range(TRAIN_OFFSET, TRAIN_OFFSET + n_train):
        add(index, "train", make_file(dataset, seed, index, size))
    writer.finish()


def generate(out_dir: str | Path, size: Size = "small", seed: int = 0, n_test: int | None = None,
             n_train: int | None = None, *, progress: Progress | None = None, force: bool = False) -> Path:
    """Generate (once) a Hub-layout synthetic corpus of all five datasets into ``out_dir``.

    Idempotent: returns at once when ``out_dir`` already holds a complete corpus
    with the same parameters. The corpus is built in a temporary sibling folder
    and moved into place, under a lock, so concurrent callers never see half of it.
    """
    if size not in ("small", "full"):
        raise ValueError(f"size {size!r}: use 'small' or 'full'")
    out = Path(out_dir).expanduser().resolve()
    n_test = DEFAULT_COUNTS[size][0] if n_test is None else int(n_test)
    n_train = DEFAULT_COUNTS[size][1] if n_train is None else int(n_train)
    if n_test < 1 or n_train < 0:
        raise ValueError("n_test must be >= 1 and n_train >= 0")
    params = parameters(size, seed, n_test, n_train)
    if not force and is_complete(out, params):
        return out
    with _lock(out.parent / f".{out.name}.lock"):
        if not force and is_complete(out, params):
            return out
        if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
            raise FileExistsError(f"{out} exists and is not a synthetic corpus made by this tool; "
                                  "choose an empty or new folder")
        tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        started = time.monotonic()
        try:
            for dataset in DATASETS:
                _write_dataset(tmp, dataset, size, seed, n_test, n_train, progress)
            (tmp / MARKER).write_text(json.dumps(params), encoding="utf-8")
            if out.exists():
                old = out.parent / f".{out.name}.old-{os.getpid()}"
                out.rename(old)
                shutil.rmtree(old, ignore_errors=True)
            tmp.rename(out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        log.info("synthetic corpus %s (%s, seed %d) written in %.1f s", out, size, seed, time.monotonic() - started)
    return out
