"""The dataset table: the one place a corpus (an ``AstroCompress/<name>`` Hub repo) is described.

Each :class:`Dataset` record names what the rest of the platform switches on
per dataset: the number of dimensions of one sample
(``evaluator.core.tracks.SAMPLE_LAYOUT``), the samples one file holds, how its files
are named and foldered in the Hub layout, the extra fields its split rows
carry, its reader and writer (``evaluator.data.layouts``), and its synthetic
generator (``evaluator.data.synthetic``). ``evaluator.data.fits_reader``,
``evaluator.data.hub_layout`` and ``evaluator.data.synthetic`` look records up here by
name; tracks (``evaluator.core.tracks``) name their dataset by name.

Adding a dataset: a name in ``evaluator.core.tracks`` (``DATASETS``,
``SAMPLE_LAYOUT``), a layout module with its reader and writer, a generator
module with its :class:`~evaluator.data.synthetic.common.SkyGenerator`, and one
record below. Sources: ``shared/DATA.md`` ("What a test item is", "Hub layout").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.io import fits

from evaluator.core.tracks import DATASETS, HUBBLE, JWST, KECK, LEGACY, SDSS
from evaluator.data.fits_io import Sample
from evaluator.data.layouts.hubble import read_hubble, write_hubble
from evaluator.data.layouts.jwst import read_jwst, write_jwst
from evaluator.data.layouts.keck import read_keck, write_keck
from evaluator.data.layouts.legacy import read_legacy, write_legacy
from evaluator.data.layouts.sdss import read_sdss, write_sdss
from evaluator.data.synthetic.ccd_files import HUBBLE_SKY, KECK_SKY, LEGACY_SKY
from evaluator.data.synthetic.common import SkyGenerator
from evaluator.data.synthetic.jwst_files import JWST_SKY
from evaluator.data.synthetic.sdss_files import SDSS_SKY

Reader = Callable[[fits.HDUList, str], Iterator[Sample]]
Writer = Callable[[Sequence[np.ndarray], Mapping[str, Any]], fits.HDUList]


@dataclass(frozen=True)
class Dataset:
    """One corpus: its samples, its files in the Hub layout, its reader, writer and synthetic generator.

    A file is ``./data/<sub>/<file_prefix><id><file_suffix>`` (the prefix is not
    doubled when the id already has it); ``<sub>`` is the meta field
    ``folder_field`` (``UNKNOWN`` when missing), or ``part0`` when the dataset
    has none. ``sample_names`` name the samples of one file in messages (their
    number is the number a file holds; ``holds`` says it in words).
    """

    name: str
    ndim: int
    read: Reader
    write: Writer
    synthetic: SkyGenerator
    row_fields: tuple[str, ...] = ()
    file_prefix: str = ""
    file_suffix: str = ".fits"
    folder_field: str | None = None
    sample_names: tuple[str, ...] = ("sample",)
    holds: str = "one sample"

    @property
    def samples_per_file(self) -> int:
        return len(self.sample_names)

    def file_name(self, image_id: str) -> str:
        """The file name of one image, as in the Hub repos (``/`` in the id becomes ``_``)."""
        safe = image_id.replace("/", "_")
        return (safe if safe.startswith(self.file_prefix) else self.file_prefix + safe) + self.file_suffix

    def folder(self, meta: Mapping[str, Any]) -> str:
        """The ``data/`` sub-folder of one file, from its meta."""
        return str(meta.get(self.folder_field, "UNKNOWN")) if self.folder_field else "part0"


DATASET_TABLE: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset(LEGACY, 2, read_legacy, write_legacy, LEGACY_SKY, row_fields=("telescope",),
                folder_field="telescope"),
        Dataset(KECK, 2, read_keck, write_keck, KECK_SKY, file_prefix="LR."),
        Dataset(HUBBLE, 2, read_hubble, write_hubble, HUBBLE_SKY, row_fields=("exptime",),
                file_suffix="_raw.fits", sample_names=("chip 1", "chip 2"), holds="2 chips (HDUs 1 and 4)"),
        Dataset(JWST, 3, read_jwst, write_jwst, JWST_SKY, row_fields=("ra", "dec", "pixscale", "ntimes"),
                file_suffix="_uncal.fits"),
        Dataset(SDSS, 4, read_sdss, write_sdss, SDSS_SKY),
    ]
}
if tuple(DATASET_TABLE) != DATASETS:
    raise RuntimeError(f"the dataset table {tuple(DATASET_TABLE)} must list evaluator.core.tracks.DATASETS {DATASETS}")


def get_dataset(name: str) -> Dataset:
    """The record of dataset ``name``; ValueError naming the known ones otherwise."""
    try:
        return DATASET_TABLE[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASET_TABLE)}") from None
