"""The track table: the one place a track is defined.

Each track names its source dataset (an ``AstroCompress/<dataset>`` repo on the
Hugging Face Hub), which rows of that dataset it uses, and how one test item
is cut from one *sample* (the array a dataset file yields, see
``evaluator.data.fits_reader``). The CLI, the evaluator, the store and the
leaderboard all read this table; nothing else defines a track.

Sources: paper Section 4.2 and Table 1; ``shared/DATA.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from evaluator.sdk.errors import BadInput

# Datasets (Hub repo names under the AstroCompress organisation).
LEGACY = "GBI-16-2D-Legacy"
KECK = "GBI-16-2D"
HUBBLE = "SBI-16-2D"
JWST = "SBI-16-3D"
SDSS = "GBI-16-4D"
DATASETS: tuple[str, ...] = (LEGACY, KECK, HUBBLE, JWST, SDSS)

# Shape of one *sample* per dataset, as the loader yields it (before a track cuts it).
SAMPLE_LAYOUT: dict[str, str] = {
    LEGACY: "(H, W) single frame",
    KECK: "(H, W) amplifiers pasted into one frame, overscan kept",
    HUBBLE: "(H, W) one ACS chip (HDU 1 or 4 of a *_raw.fits)",
    JWST: "(G, H, W) first integration of the SCI cube (groups up the ramp)",
    SDSS: "(T, 5, H, W) epochs sorted by TAI x bands u g r i z",
}

Cut = Callable[[np.ndarray], Iterator[tuple[str, np.ndarray]]]


def _whole(sample: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    yield "", sample


def _index(index: tuple[int | slice, ...], min_len: int = 0) -> Cut:
    def cut(sample: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
        if min_len and sample.shape[0] < min_len:
            return  # the paper drops cubes too short for this track
        yield "", np.ascontiguousarray(sample[index])

    return cut


def residual_forward(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``b - a`` modulo 2**16, as uint16 (the paper's int16-view difference).

    ``(b.view(int16) - a.view(int16)).view(uint16)`` wraps identically, so
    small negative steps become values near 65535. Invertible:
    ``residual_inverse(a, residual_forward(a, b)) == b`` for every uint16 pair.
    """
    out: np.ndarray = np.subtract(b, a, dtype=np.uint16)
    return out


def residual_inverse(a: np.ndarray, residual: np.ndarray) -> np.ndarray:
    """Recover frame ``b`` from frame ``a`` and ``residual_forward(a, b)``."""
    out: np.ndarray = np.add(a, residual, dtype=np.uint16)
    return out


def _consecutive_residuals(sample: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    for t in range(sample.shape[0] - 1):
        yield f"r{t}", residual_forward(sample[t], sample[t + 1])


@dataclass(frozen=True)
class Track:
    name: str
    dataset: str
    ndim: int
    title: str
    item: str  # how an item is cut, in words (exact slices)
    paper: bool  # one of the paper's Table 1 experiments
    correlated: bool  # multi-frame / residual (bottom half of Table 1)
    row_filter: dict[str, str] = field(default_factory=dict)
    uint16_mapping: str = "identity (raw uint16 counts)"
    cut: Cut = field(default=_whole, repr=False, compare=False)
    # Near-lossless variants (``ERROR_BOUNDS``): the per-pixel bound |decoded - original| <= delta in ADU.
    # 0: lossless (every bit). None: per item, floor(sigma / 2) of the item's measured background noise.
    max_abs_error: int | None = 0
    lossless_track: str | None = None  # a near-lossless variant: the lossless track it cuts its items like

    @property
    def near_lossless(self) -> bool:
        return self.max_abs_error != 0

    @property
    def bound(self) -> ErrorBound:
        """The error-bound row this track was made from (``LOSSLESS`` for the ten lossless tracks)."""
        return next(b for b in (LOSSLESS, *ERROR_BOUNDS) if b.delta == self.max_abs_error)

    def item_bound(self, noise_sigma: float | None) -> int:
        """The delta (ADU) one item is verified at: the track's, or floor(sigma / 2) of the item's noise."""
        if self.max_abs_error is not None:
            return self.max_abs_error
        if noise_sigma is None or not noise_sigma > 0:
            return 0  # no noise measured: the item is held to the lossless bound
        return int(noise_sigma // 2)

    def items_from_sample(self, sample: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
        """Yield ``(suffix, item)`` pairs; an empty suffix means one item per sample."""
        for suffix, item in self.cut(sample):
            if item.dtype != np.uint16:
                raise TypeError(f"track {self.name}: item dtype {item.dtype}, expected uint16")
            if item.ndim != self.ndim:
                raise ValueError(
                    f"track {self.name}: item has {item.ndim} dims {item.shape}, expected {self.ndim}"
                )
            yield suffix, item

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d.pop("cut", None)
        d["sample_layout"] = SAMPLE_LAYOUT[self.dataset]
        d["bound"] = self.bound.label
        return d


@dataclass(frozen=True)
class ErrorBound:
    """One row of the near-lossless table: the bound a variant of every paper track is verified at."""

    suffix: str  # appended to the lossless track's name ("" for lossless)
    delta: int | None  # ADU; None: floor(sigma / 2) per item (sigma: the item's measured background noise)
    label: str  # how the board and the CLI say it
    doc: str


LOSSLESS = ErrorBound("", 0, "lossless", "every bit equal (the paper's tracks)")
# Paper Section 6: near-lossless compression "ensures a strict user-defined upper bound on the error of every
# individual reconstructed pixel". Fixed bounds in ADU, and one tied to each item's own noise.
ERROR_BOUNDS: tuple[ErrorBound, ...] = (
    ErrorBound("-nl1", 1, "δ = 1", "|decoded - original| <= 1 ADU on every pixel"),
    ErrorBound("-nl2", 2, "δ = 2", "|decoded - original| <= 2 ADU on every pixel"),
    ErrorBound("-nl4", 4, "δ = 4", "|decoded - original| <= 4 ADU on every pixel"),
    ErrorBound("-nlsigma", None, "δ = ⌊σ/2⌋",
               "|decoded - original| <= floor(sigma / 2) ADU, sigma the item's measured background noise "
               "(written into each encode request)"),
)


TRACKS: dict[str, Track] = {
    t.name: t
    for t in [
        Track("lco", LEGACY, 2, "LCO", "the frame; rows with telescope == 'LCO' only", True, False,
              row_filter={"telescope": "LCO"}),
        Track("keck", KECK, 2, "Keck", "the pasted LRIS frame", True, False),
        Track("hubble", HUBBLE, 2, "Hubble", "one ACS chip (HDU 1 -> id .0, HDU 4 -> id .1)", True, False),
        Track("jwst-2d", JWST, 2, "JWST-2D", "cube[0] (group 0 of the first integration)", True, False,
              cut=_index((0,))),
        Track("jwst-2d-res", JWST, 2, "JWST-2D-Res",
              "cube[t+1] - cube[t] for every t (one item per consecutive pair)", True, True,
              uint16_mapping="(cube[t+1].view(int16) - cube[t].view(int16)).view(uint16): "
              "difference modulo 2**16; inverse cube[t+1] = cube[t] + r modulo 2**16",
              cut=_consecutive_residuals),
        Track("sdss-2d", SDSS, 2, "SDSS-2D", "cube[0, 2] (first epoch, r band)", True, False,
              cut=_index((0, 2))),
        Track("sdss-3d-lambda", SDSS, 3, "SDSS-3D\u03bb", "cube[0, 1:4] (first epoch, g r i)", True, True,
              cut=_index((0, slice(1, 4)))),
        Track("sdss-3d-time", SDSS, 3, "SDSS-3DT", "cube[0:3, 2] (first three epochs, r band); "
              "cubes with fewer than 3 epochs are dropped", True, True,
              cut=_index((slice(0, 3), 2), min_len=3)),
        Track("jwst-3d", JWST, 3, "JWST-3D", "the full up-the-ramp cube of the first integration "
              "(beyond the paper)", False, True),
        Track("sdss-4d", SDSS, 4, "SDSS-4D", "the full T x 5 x H x W cube (beyond the paper)", False, True),
    ]
}

PAPER_TRACKS: tuple[str, ...] = tuple(n for n, t in TRACKS.items() if t.paper)


def _variant(track: Track, bound: ErrorBound) -> Track:
    return replace(track, name=track.name + bound.suffix, title=f"{track.title} {bound.label}", paper=False,
                   max_abs_error=bound.delta, lossless_track=track.name)


# Near-lossless variants of every paper track, one per bound: derived from the two tables, no per-track code.
NEAR_LOSSLESS_TRACKS: dict[str, Track] = {
    v.name: v for v in (_variant(TRACKS[n], b) for n in PAPER_TRACKS for b in ERROR_BOUNDS)
}
ALL_TRACKS: dict[str, Track] = {**TRACKS, **NEAR_LOSSLESS_TRACKS}


class UnknownTrackError(BadInput, KeyError):
    fix = "`challenge tracks` lists the track names"

    def __str__(self) -> str:  # KeyError quotes its message otherwise
        return str(self.args[0])


def get_track(name: str) -> Track:
    try:
        return ALL_TRACKS[name]
    except KeyError:
        raise UnknownTrackError(
            f"unknown track {name!r}; choose one of: {', '.join(TRACKS)} (or 'all', 'paper', 'near-lossless', "
            f"or a near-lossless variant such as {next(iter(NEAR_LOSSLESS_TRACKS))!r}; `challenge tracks` lists them)"
        ) from None


# Track specs that name a group: what `--track` accepts besides names.
TRACK_GROUPS: dict[str, Callable[[], list[Track]]] = {
    "all": lambda: list(TRACKS.values()),  # the ten lossless tracks
    "paper": lambda: [TRACKS[n] for n in PAPER_TRACKS],
    "near-lossless": lambda: list(NEAR_LOSSLESS_TRACKS.values()),
}


def select_tracks(spec: str | list[str]) -> list[Track]:
    """``'all'`` (the lossless tracks), ``'paper'``, ``'near-lossless'``, one name, a comma list, or a list."""
    names = spec if isinstance(spec, list) else [s.strip() for s in spec.split(",") if s.strip()]
    if len(names) == 1 and names[0] in TRACK_GROUPS:
        return TRACK_GROUPS[names[0]]()
    return [get_track(n) for n in names]


def offered_tracks(tracks: list[Track], *, near_lossless: bool, add_variants: bool = False) -> list[Track]:
    """The tracks a codec is evaluated on: a lossless-only codec is never offered a near-lossless track.

    ``add_variants``: a codec that declares the near-lossless mode also gets the near-lossless variants of
    the paper tracks asked for (what a submission's default ``all`` means for it).
    """
    if not near_lossless:
        return [t for t in tracks if not t.near_lossless]
    out = list(tracks)
    if add_variants:
        names = {t.name for t in out}
        for t in tracks:
            out += [v for v in NEAR_LOSSLESS_TRACKS.values() if v.lossless_track == t.name and v.name not in names]
    return out


def tracks_json() -> str:
    return json.dumps([t.to_dict() for t in ALL_TRACKS.values()], indent=2)
