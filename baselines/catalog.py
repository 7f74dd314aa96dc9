"""The baseline catalog: every baseline's name, title, kind and paper column, as plain data.

One :class:`CatalogRow` per baseline says what it is (classical, neural or archive), which column of
the paper's Table 1 it verifies, which image folder builds it (``baselines/images/<kind>/<name>/``),
the hardware profile it is ranked on and what the demo runs it on. Imports neither imagecodecs nor
torch, so the leaderboard (whose Space has neither) reads names and paper columns here;
`baselines.registry` binds each row to its implementation (the in-process codec, the weights).

Tests check the literal paper columns and archive titles against the codecs' own labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from baselines.model_names import OUR_MODEL_TABLE, OUR_MODELS
from evaluator.sdk.named_table import NamedTable

if TYPE_CHECKING:
    from evaluator.core.tracks import Track

try:  # the host's track table; an image carries only the SDK (it serves a codec and never reads demo_tracks)
    from evaluator.core.tracks import NEAR_LOSSLESS_TRACKS
except ImportError:  # pragma: no cover  (inside a baseline image)
    NEAR_LOSSLESS_TRACKS: dict[str, Track] = {}  # type: ignore[no-redef]

Kind = Literal["classical", "neural", "archive"]


@dataclass(frozen=True)
class CatalogRow:
    name: str  # identifier: image name suffix, submission id ``baseline-<name>``; a neural model's module name
    title: str  # display name (records, board, CLI, dataset): ours, never a bare paper column name
    kind: Kind
    paper_column: str | None  # the Table 1 column this baseline re-measures (None: not in the paper)
    profile: str = "cpu-1"  # hardware profile it is ranked on
    demo_tracks: tuple[str, ...] | None = None  # what `challenge demo` evaluates it on (None: every track asked for)
    near_lossless: bool = False  # encode takes max_abs_error (its codec.toml declares the near-lossless mode)

    @property
    def submission(self) -> str:
        return f"baseline-{self.name}"

    @property
    def image_folder(self) -> str:
        """The folder under ``baselines/images/`` with its ``codec.toml``."""
        return f"{self.kind}/{self.name}"

    @property
    def neural(self) -> bool:
        return self.kind == "neural"


# The neural baselines code ~5 s per synthetic frame each way on one core: the README's main command runs them on
# three paper tracks (every paper track is covered by the tests and scripts/bench_neural.py).
NEURAL_DEMO_TRACKS: tuple[str, ...] = ("keck", "hubble", "sdss-2d")
# What archives run today (baselines.archive): real tools on the item's FITS file; not in the paper's Table 1.
# Each sandboxed track costs seconds of container starts, so the README's main command runs the seven on
# the neural baselines' three paper tracks (every track: the tests, `admin evaluate-baselines`).
ARCHIVE_DEMO_TRACKS: tuple[str, ...] = NEURAL_DEMO_TRACKS
# The near-lossless baselines (ours, not in the paper): the neural baselines' three paper tracks and their
# near-lossless variants (every variant of every paper track: `--track near-lossless`, the tests).
NEAR_LOSSLESS_DEMO_TRACKS: tuple[str, ...] = NEURAL_DEMO_TRACKS + tuple(
    v.name for v in NEAR_LOSSLESS_TRACKS.values() if v.lossless_track in NEURAL_DEMO_TRACKS)


def _classical(name: str, title: str, paper_column: str) -> CatalogRow:
    """``title``: our run of the paper's codec, named with the library and settings we ran; ``paper_column``:
    the codec's own label (``baselines.classical``), the Table 1 column."""
    return CatalogRow(name, title, "classical", paper_column)


def _near_lossless(name: str, title: str) -> CatalogRow:
    """A near-lossless baseline of ``baselines.classical.near_lossless`` (its ``encode`` takes ``max_abs_error``)."""
    return CatalogRow(name, title, "classical", None, demo_tracks=NEAR_LOSSLESS_DEMO_TRACKS, near_lossless=True)


def _neural(name: str) -> CatalogRow:
    """A neural baseline: ``baselines/neural/<name>.py`` holds its model (`baselines.neural.model_api`)."""
    ours = OUR_MODELS[name]
    return CatalogRow(name, ours.title, "neural", ours.paper_column, demo_tracks=NEURAL_DEMO_TRACKS)


def _archive(name: str, title: str) -> CatalogRow:
    return CatalogRow(name, title, "archive", None, demo_tracks=ARCHIVE_DEMO_TRACKS)


CATALOG: tuple[CatalogRow, ...] = (
    _classical("jpegxl-max", "JPEG-XL max (ours, libjxl effort 9)", "JPEG-XL (max)"),
    _classical("jpegxl", "JPEG-XL (ours, libjxl effort 5)", "JPEG-XL"),
    _classical("jpegls", "JPEG-LS (ours, CharLS)", "JPEG-LS"),
    _classical("jpeg2000", "JPEG-2000 (ours, OpenJPEG)", "JPEG-2000"),
    _classical("rice", "RICE (ours, cfitsio rcomp, block 32)", "RICE"),
    _near_lossless("jpegls-near", "JPEG-LS near-lossless (ours, CharLS NEAR = δ)"),
    _near_lossless("quantize-rice", "Quantise 2δ+1 + RICE (ours)"),
    _near_lossless("quantize-jpegxl", "Quantise 2δ+1 + JPEG-XL (ours, effort 5)"),
    *(_neural(m.name) for m in OUR_MODEL_TABLE if m.codec),  # one row of baselines.model_names each
    _archive("fpack-rice", "fpack RICE_1"),
    _archive("fpack-hcompress", "fpack HCOMPRESS_1"),
    _archive("fpack-gzip2", "fpack GZIP_2"),
    _archive("bzip2", "bzip2 -9"),
    _archive("zstd", "zstd -19"),
    _archive("zstd-long", "zstd -19 --long"),
    _archive("xz", "xz -9"),
)

CATALOG_BY_NAME: NamedTable[CatalogRow] = NamedTable("baseline", CATALOG)

NEURAL_BASELINES: tuple[str, ...] = tuple(r.name for r in CATALOG if r.neural)
"""The neural baselines' names: each a module ``baselines/neural/<name>.py`` exporting ``SPEC``."""

# The paper's Table 1 columns, in its order: the neural models (VDM, a likelihood bound, among them), then the
# classical codecs.
PAPER_COLUMNS: tuple[str, ...] = (
    *(m.paper_column for m in OUR_MODEL_TABLE),
    *(r.paper_column for r in CATALOG if r.kind == "classical" and r.paper_column),
)
ARCHIVE_SUBMISSIONS: frozenset[str] = frozenset(r.submission for r in CATALOG if r.kind == "archive")
