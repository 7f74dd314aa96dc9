"""Per-telescope constants for the synthetic sky (detector, sky, seeing, sources, layout).

Values are typical published figures, rounded; where the paper's Table 1
ratios constrain a number that instrument documents leave open (sky rate
spread, JWST superbias scatter), the value was tuned with
``scripts/calibrate_synthetic.py`` and says so.

Sources:
- LCO 0.4 m + SBIG STX-6303 (KAF-6303E, 9 µm pixels): LCO instrument pages;
  gain ~1.5 e-/ADU, read noise ~14 e-, full well 100 ke-, 0.571"/pix.
- INT WFC, JKT, TJO, WHT: Isaac Newton Group and OAdM instrument pages;
  the Legacy corpus of Maireles-González et al. (2023).
- Keck LRIS (Oke et al. 1995; Rockosi et al. 2010): 0.135"/pix, gain
  ~1.2-1.7 e-/ADU per amplifier, read noise ~4-6 e-, two or four
  amplifiers, prescan/overscan kept (paper App. A.3.2, exposures 30 s to
  >10 min).
- HST ACS/WFC (ACS Instrument Handbook; Sirianni et al. 2005): 0.05"/pix,
  gain 2 e-/ADU, read noise ~4 e-, full well ~84 ke-, bias ~2200-2500 ADU,
  24 prescan columns per amplifier and 20 virtual overscan rows per chip,
  cosmic rays ~1.5 /cm²/s on 15 µm pixels (≈2 % of pixels in 1000 s),
  CTE trails (paper App. A.3.3, Fig. 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AmpLayout:
    """One amplifier's columns in a pasted frame: ``prescan | data | overscan`` (or mirrored)."""

    prescan: int
    data: int
    overscan: int
    mirrored: bool = False  # True: overscan | data | prescan (amplifier on the right)

    @property
    def width(self) -> int:
        return self.prescan + self.data + self.overscan


@dataclass(frozen=True)
class FrameLayout:
    """Pasted frame: amplifiers side by side, ``data_rows`` light rows plus virtual overscan rows."""

    amps: tuple[AmpLayout, ...]
    data_rows: int
    overscan_rows: int = 0
    overscan_rows_at_top: bool = True
    binning: tuple[int, int] = (1, 1)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.data_rows + self.overscan_rows, sum(a.width for a in self.amps))

    def scaled(self, factor: int) -> FrameLayout:
        """The same layout about ``1/factor`` the linear size (thin strips keep ≥ 1-2 pixels)."""

        def s(n: int, floor: int) -> int:
            return 0 if n == 0 else max(floor, round(n / factor))

        return FrameLayout(
            amps=tuple(AmpLayout(s(a.prescan, 1), s(a.data, 8), s(a.overscan, 2), a.mirrored) for a in self.amps),
            data_rows=s(self.data_rows, 8),
            overscan_rows=s(self.overscan_rows, 2),
            overscan_rows_at_top=self.overscan_rows_at_top,
            binning=self.binning,
        )

    def describe(self) -> dict[str, object]:
        """Column/row sections (0-based, end-exclusive) a FITS writer can split amplifiers by."""
        out: list[dict[str, object]] = []
        x = 0
        rows = self.shape[0]
        d0 = self.overscan_rows if not self.overscan_rows_at_top else 0
        for i, a in enumerate(self.amps):
            parts = [("overscan", a.overscan), ("data", a.data), ("prescan", a.prescan)] if a.mirrored \
                else [("prescan", a.prescan), ("data", a.data), ("overscan", a.overscan)]
            sec: dict[str, object] = {"amp": i + 1, "columns": [x, x + a.width],
                                      "readout_side": "right" if a.mirrored else "left"}
            for name, n in parts:
                sec[name] = [x, x + n]
                x += n
            sec["data_rows"] = [d0, d0 + self.data_rows]
            sec["rows"] = [0, rows]
            out.append(sec)
        return {
            "n_amps": len(self.amps),
            "binning": list(self.binning),
            "overscan_rows": self.overscan_rows,
            "overscan_rows_at_top": self.overscan_rows_at_top,
            "sections": out,
        }


@dataclass(frozen=True)
class CcdProfile:
    telescope: str
    instrument: str
    layouts: tuple[FrameLayout, ...]  # full-size layouts; one is drawn per file
    pixscale: float  # arcsec / pixel
    gain: float  # e-/ADU (per-amplifier values scatter ~5 % around it)
    readnoise: float  # e- rms
    bias: float  # ADU
    full_well: float  # e-
    dark: float  # e-/s/pixel
    exptime: tuple[float, float]  # seconds, drawn log-uniform
    sky_rate: dict[str, float]  # filter -> e-/s/pixel, dark sky
    sky_spread: float  # log-normal sigma of sky rate between nights / moon phases
    seeing: tuple[float, float]  # arcsec FWHM, uniform
    psf_beta: float
    star_density: float  # stars per 10^6 pixels above rate_min
    galaxy_density: float
    rate_min: float  # e-/s of the faintest objects
    galaxy_re: tuple[float, float]  # pixels
    cr_rate: float  # events / pixel / s
    cr_median_e: float
    cr_length: float  # mean track length, pixels
    hot_fraction: float
    hot_median: float  # e-/s
    hot_columns: int
    col_sigma: float  # ADU, fixed bias column pattern
    row_sigma: float  # ADU, per-exposure row (pickup) noise
    cte: float = 0.0  # fraction of charge trailing (space CCDs)
    space: bool = False
    extra: dict[str, float] = field(default_factory=dict)


def _single(data_w: int, data_h: int, *, pre: int = 0, over: int = 0, over_rows: int = 0) -> tuple[FrameLayout, ...]:
    return (FrameLayout((AmpLayout(pre, data_w, over),), data_h, over_rows),)


# Ground CCDs: cosmic rays ~1 per cm² per minute at sea level to mountain altitude
# (muons plus radioactivity in the dewar window): 0.017 /cm²/s × pixel area.
def _ground_cr(pixel_um: float) -> float:
    return 0.017 * (pixel_um * 1e-4) ** 2


LCO = CcdProfile(
    telescope="LCO", instrument="SBIG STX-6303 (0.4 m)",
    layouts=_single(3072, 2048, over=64, over_rows=64),  # 3136 x 2112 (DATA.md)
    pixscale=0.571, gain=1.6, readnoise=14.0, bias=1000.0, full_well=100_000.0, dark=0.02,
    exptime=(10.0, 200.0),
    sky_rate={"rp": 1.5, "gp": 0.8, "ip": 2.0, "V": 1.1, "B": 0.5},
    sky_spread=0.45, seeing=(1.6, 3.0), psf_beta=3.0,
    star_density=900.0, galaxy_density=300.0, rate_min=3.0, galaxy_re=(0.8, 3.0),
    cr_rate=_ground_cr(9.0), cr_median_e=1500.0, cr_length=4.0,
    hot_fraction=2e-4, hot_median=2.0, hot_columns=3, col_sigma=1.5, row_sigma=1.0,
)

INT = CcdProfile(
    telescope="INT", instrument="WFC (2.5 m Isaac Newton)",
    layouts=_single(2048, 4100, pre=54, over=52, over_rows=100),  # 2154 x 4200
    pixscale=0.33, gain=2.9, readnoise=6.0, bias=1700.0, full_well=150_000.0, dark=0.003,
    exptime=(30.0, 600.0), sky_rate={"r": 9.0, "g": 4.5, "i": 14.0}, sky_spread=0.5,
    seeing=(1.0, 2.0), psf_beta=3.0, star_density=700.0, galaxy_density=500.0, rate_min=4.0,
    galaxy_re=(1.0, 5.0), cr_rate=_ground_cr(13.5), cr_median_e=1500.0, cr_length=5.0,
    hot_fraction=1e-4, hot_median=1.0, hot_columns=2, col_sigma=1.0, row_sigma=0.6,
)

JKT = CcdProfile(
    telescope="JKT", instrument="SITe2 (1.0 m Jacobus Kapteyn)",
    layouts=_single(2048, 2048, over=40),
    pixscale=0.33, gain=1.9, readnoise=7.0, bias=600.0, full_well=180_000.0, dark=0.005,
    exptime=(30.0, 900.0), sky_rate={"R": 2.5, "V": 1.4, "B": 0.6}, sky_spread=0.5,
    seeing=(1.0, 2.2), psf_beta=3.0, star_density=600.0, galaxy_density=300.0, rate_min=1.5,
    galaxy_re=(1.0, 4.0), cr_rate=_ground_cr(24.0), cr_median_e=2500.0, cr_length=5.0,
    hot_fraction=1e-4, hot_median=1.0, hot_columns=2, col_sigma=1.0, row_sigma=0.6,
)

TJO = CcdProfile(
    telescope="TJO", instrument="MEIA (0.8 m Joan Oró)",
    layouts=_single(2048, 2048),
    pixscale=0.36, gain=1.4, readnoise=9.0, bias=300.0, full_well=100_000.0, dark=0.01,
    exptime=(10.0, 300.0), sky_rate={"R": 1.5, "V": 0.9, "I": 2.5}, sky_spread=0.5,
    seeing=(1.5, 3.0), psf_beta=3.0, star_density=700.0, galaxy_density=200.0, rate_min=1.0,
    galaxy_re=(1.0, 3.0), cr_rate=_ground_cr(13.5), cr_median_e=1500.0, cr_length=4.0,
    hot_fraction=3e-4, hot_median=2.0, hot_columns=3, col_sigma=1.5, row_sigma=0.8,
)

WHT = CcdProfile(
    telescope="WHT", instrument="ACAM (4.2 m William Herschel)",
    layouts=_single(2048, 2500, pre=50, over=50),
    pixscale=0.25, gain=1.9, readnoise=6.0, bias=1800.0, full_well=200_000.0, dark=0.003,
    exptime=(20.0, 600.0), sky_rate={"r": 15.0, "g": 7.0, "i": 22.0}, sky_spread=0.5,
    seeing=(0.7, 1.6), psf_beta=3.0, star_density=600.0, galaxy_density=700.0, rate_min=8.0,
    galaxy_re=(1.0, 6.0), cr_rate=_ground_cr(15.0), cr_median_e=1500.0, cr_length=5.0,
    hot_fraction=1e-4, hot_median=1.0, hot_columns=2, col_sigma=1.0, row_sigma=0.6,
)

LEGACY_PROFILES: dict[str, CcdProfile] = {p.telescope: p for p in (LCO, INT, JKT, TJO, WHT)}
LEGACY_CYCLE: tuple[str, ...] = ("INT", "JKT", "TJO", "WHT")  # odd indices; even indices are LCO

KECK = CcdProfile(
    telescope="Keck", instrument="LRIS",
    layouts=(
        # 2248 x 2048: two amplifiers of 1024 data columns, 20 prescan + 80 overscan each
        FrameLayout((AmpLayout(20, 1024, 80), AmpLayout(20, 1024, 80, mirrored=True)), 2048),
        # 3768 x 2520: four amplifiers (two CCDs), 12 prescan + 850 data + 80 overscan each
        FrameLayout((AmpLayout(12, 850, 80), AmpLayout(12, 850, 80, mirrored=True),
                     AmpLayout(12, 850, 80), AmpLayout(12, 850, 80, mirrored=True)), 2480, 40),
    ),
    pixscale=0.135, gain=1.25, readnoise=4.5, bias=1100.0, full_well=150_000.0, dark=0.002,
    exptime=(30.0, 900.0),
    # Dark-sky rates on a 10 m aperture at 0.135"/pix (R ≈ 20.9 mag/arcsec²,
    # zero point ≈ 28.9 mag for 1 e-/s with the red-sensitive CCDs).
    sky_rate={"B": 6.0, "V": 14.0, "R": 30.0, "I": 50.0, "g": 11.0, "Rs": 32.0},
    sky_spread=0.5, seeing=(0.6, 1.3), psf_beta=3.5,
    star_density=250.0, galaxy_density=700.0, rate_min=10.0, galaxy_re=(1.5, 12.0),
    cr_rate=_ground_cr(15.0), cr_median_e=1500.0, cr_length=6.0,
    hot_fraction=1e-4, hot_median=1.0, hot_columns=3, col_sigma=2.0, row_sigma=1.0,
)

HUBBLE = CcdProfile(
    telescope="HST", instrument="ACS/WFC",
    layouts=(
        # numpy (2068, 4144): amplifiers side by side, 24 prescan columns at each outer edge,
        # 20 virtual overscan rows (top for HDU 1 = WFC2, bottom for HDU 4 = WFC1)
        FrameLayout((AmpLayout(24, 2048, 0), AmpLayout(24, 2048, 0, mirrored=True)), 2048, 20),
    ),
    pixscale=0.05, gain=2.0, readnoise=4.2, bias=2300.0, full_well=84_000.0, dark=0.015,
    exptime=(60.0, 2400.0),
    sky_rate={"F606W": 0.12}, sky_spread=0.35, seeing=(0.085, 0.1), psf_beta=2.5,
    star_density=400.0, galaxy_density=500.0, rate_min=0.3, galaxy_re=(2.0, 25.0),
    cr_rate=1.5 * (15e-4) ** 2, cr_median_e=2500.0, cr_length=3.0,
    hot_fraction=8e-3, hot_median=0.1, hot_columns=6, col_sigma=1.0, row_sigma=0.5,
    cte=0.04, space=True,
)
