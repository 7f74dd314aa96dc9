"""The baseline registry: the one table of every baseline codec the platform ships.

One :class:`BaselineSpec` per baseline says what it is (classical, neural or archive),
which column of the paper's Table 1 it verifies, which image folder builds it
(``baselines/images/<kind>/<name>/``, whose ``codec.toml`` is its manifest),
the hardware profile it is ranked on, how to make it in this process, and the
weights it needs. Everything else reads this table: the image entrypoint
(``python -m baselines.serve <name>``), the image builds
(``baselines.baseline_images``), ``challenge admin evaluate-baselines``, the
demo, campaigns, and the leaderboard's neural flag and *archive* badge.

Imports nothing heavy: the neural factories import torch only when called,
so classical images (no torch) load this module too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from baselines.archive import get_archive_codec
from baselines.classical import get_codec
from baselines.classical.near_lossless import get_near_lossless_codec
from baselines.model_names import OUR_MODELS, OurModel, param_text  # noqa: F401  (the registry's names)
from evaluator.named_table import NamedTable

if TYPE_CHECKING:  # the images carry the SDK, not the evaluator: a type only
    from evaluator.inprocess import PythonCodec
    from evaluator.tracks import Track

try:  # the host's track table; an image carries only the SDK (it serves a codec and never reads demo_tracks)
    from evaluator.tracks import NEAR_LOSSLESS_TRACKS
except ImportError:  # pragma: no cover  (inside a baseline image)
    NEAR_LOSSLESS_TRACKS: dict[str, Track] = {}  # type: ignore[no-redef]

Kind = Literal["classical", "neural", "archive"]


@dataclass(frozen=True)
class BaselineSpec:
    name: str  # identifier: image name suffix, submission id ``baseline-<name>``
    title: str  # display name (records, board, CLI, dataset): ours, never a bare paper column name
    kind: Kind
    paper_column: str | None  # the Table 1 column this baseline re-measures (None: not in the paper)
    factory: Callable[[], PythonCodec]  # the in-process codec (name, title, encode, decode)
    profile: str = "cpu-1"  # hardware profile it is ranked on
    weights: tuple[str, ...] = ()  # checkpoint files (under baselines/neural/checkpoints/) the image carries
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


def _classical(name: str, title: str) -> BaselineSpec:
    """``title``: our run of the paper's codec, named with the library and settings we ran; the Table 1 column
    is the codec's own label (``baselines.classical``)."""
    return BaselineSpec(name, title, "classical", get_codec(name).title, lambda: get_codec(name))


CHECKPOINTS = Path(__file__).resolve().parent / "neural" / "checkpoints"
# The neural baselines code ~5 s per synthetic frame each way on one core: the README's main command runs them on
# three paper tracks (every paper track is covered by the tests and scripts/bench_neural.py).
NEURAL_DEMO_TRACKS: tuple[str, ...] = ("keck", "hubble", "sdss-2d")




def _neural(model: str) -> BaselineSpec:
    ours = OUR_MODELS[model]

    def make() -> PythonCodec:
        from baselines.neural.multi import MultiTrackCodec  # noqa: PLC0415  (heavy optional: torch)

        return MultiTrackCodec(model).preload()

    weights = tuple(sorted(p.name for p in CHECKPOINTS.glob(f"{model}-*") if p.suffix in (".pt", ".json")))
    return BaselineSpec(model, ours.title, "neural", ours.paper_column, make, weights=weights,
                        demo_tracks=NEURAL_DEMO_TRACKS)


# What archives run today (baselines.archive): real tools on the item's FITS file; not in the paper's Table 1.
# Each sandboxed track costs seconds of container starts, so the README's main command runs the seven on
# the neural baselines' three paper tracks (every track: the tests, `admin evaluate-baselines`).
ARCHIVE_DEMO_TRACKS: tuple[str, ...] = NEURAL_DEMO_TRACKS


# The near-lossless baselines (ours, not in the paper): the neural baselines' three paper tracks and their
# near-lossless variants (every variant of every paper track: `--track near-lossless`, the tests).
NEAR_LOSSLESS_DEMO_TRACKS: tuple[str, ...] = NEURAL_DEMO_TRACKS + tuple(
    v.name for v in NEAR_LOSSLESS_TRACKS.values() if v.lossless_track in NEURAL_DEMO_TRACKS)


def _near_lossless(name: str, title: str) -> BaselineSpec:
    """A near-lossless baseline of ``baselines.classical.near_lossless`` (its ``encode`` takes ``max_abs_error``)."""
    return BaselineSpec(name, title, "classical", None, lambda: get_near_lossless_codec(name),
                        demo_tracks=NEAR_LOSSLESS_DEMO_TRACKS, near_lossless=True)


def _archive(name: str) -> BaselineSpec:
    return BaselineSpec(name, get_archive_codec(name).title, "archive", None, lambda: get_archive_codec(name),
                        demo_tracks=ARCHIVE_DEMO_TRACKS)


BASELINE_TABLE: tuple[BaselineSpec, ...] = (
    _classical("jpegxl-max", "JPEG-XL max (ours, libjxl effort 9)"),
    _classical("jpegxl", "JPEG-XL (ours, libjxl effort 5)"),
    _classical("jpegls", "JPEG-LS (ours, CharLS)"),
    _classical("jpeg2000", "JPEG-2000 (ours, OpenJPEG)"),
    _classical("rice", "RICE (ours, cfitsio rcomp, block 32)"),
    _near_lossless("jpegls-near", "JPEG-LS near-lossless (ours, CharLS NEAR = δ)"),
    _near_lossless("quantize-rice", "Quantise 2δ+1 + RICE (ours)"),
    _near_lossless("quantize-jpegxl", "Quantise 2δ+1 + JPEG-XL (ours, effort 5)"),
    _neural("idf"),
    _neural("l3c"),
    _neural("pixelcnn"),
    _archive("fpack-rice"),
    _archive("fpack-hcompress"),
    _archive("fpack-gzip2"),
    _archive("bzip2"),
    _archive("zstd"),
    _archive("zstd-long"),
    _archive("xz"),
)

BASELINES: NamedTable[BaselineSpec] = NamedTable("baseline", BASELINE_TABLE)


def baseline_submission(name: str) -> str:
    """The submission id of a baseline's records."""
    return BASELINES[name].submission


def select_baselines(names: str | list[str] | None) -> list[BaselineSpec]:
    """``None``/``"all"``: every baseline; else a comma list (or list) of names, in table order."""
    if names is None or names == "all":
        return list(BASELINE_TABLE)
    wanted = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
    chosen = {BASELINES[n].name for n in wanted if n}  # UnknownName lists the known ones
    return [b for b in BASELINE_TABLE if b.name in chosen]
