"""The astrophysical part of the synthetic sky: a star and galaxy catalogue and its image.

A :class:`Catalog` is drawn once per field (so the SDSS cube shows the same
objects in every epoch and band, and an exposure-time sweep shows the same
field); :func:`render` turns it into expected electrons for one exposure:
point sources and Sérsic galaxies placed on the pixel grid and convolved with
a Moffat PSF (Moffat 1969; beta 2.5-4.5 fits ground-based seeing profiles,
Trujillo et al. 2001).

Star fluxes follow a power law, N(>F) ∝ F^-alpha with alpha ≈ 0.6-0.8, the
slope of Galactic star counts at high latitude (d log N / dm ≈ 0.25-0.3,
Bahcall & Soneira 1980), so there are many faint stars and few bright ones;
galaxy profiles are Sérsic (Sérsic 1963) with n between 0.5 and 4, axis ratio
0.2-1 and random position angle. Units here are electrons; the detector
modules add sky, noise and readout. :func:`star_positions` gives the truth
list of injected stars each generator reports (``facts["stars"]``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve

# Truth lists of injected stars (``facts["stars"]``): keep stars above this S/N in an aperture of this radius.
TRUTH_N_SIGMA = 5.0
TRUTH_RADIUS = 3.0  # pixels


@dataclass(frozen=True)
class Catalog:
    """Objects of one field, positions in pixels of the (sample) frame."""

    star_x: np.ndarray
    star_y: np.ndarray
    star_rate: np.ndarray  # e-/s in the reference band
    star_slope: np.ndarray  # spectral slope: rate_band = rate * (lambda/lambda_ref)**slope
    gal_x: np.ndarray
    gal_y: np.ndarray
    gal_rate: np.ndarray
    gal_slope: np.ndarray
    gal_re: np.ndarray  # effective radius, pixels
    gal_n: np.ndarray  # Sérsic index
    gal_q: np.ndarray  # axis ratio b/a
    gal_theta: np.ndarray  # position angle, radians

    @property
    def n_stars(self) -> int:
        return int(self.star_x.size)


def make_catalog(
    rng: np.random.Generator,
    height: int,
    width: int,
    *,
    star_density: float,
    galaxy_density: float,
    rate_min: float,
    alpha: float = 0.7,
    dynamic_range: float = 3e4,
    galaxy_re: tuple[float, float] = (1.0, 6.0),
) -> Catalog:
    """Draw a field: densities are objects per 10^6 pixels (above ``rate_min`` e-/s).

    Star rates are Pareto distributed from ``rate_min`` with index ``alpha``,
    truncated at ``rate_min * dynamic_range``; galaxies are fainter on average
    (alpha + 0.2) and extended.
    """
    area = height * width / 1e6
    n_star = int(rng.poisson(star_density * area))
    n_gal = int(rng.poisson(galaxy_density * area))
    pad = 8.0  # objects just outside the frame still spill light into it
    u = rng.random(n_star)
    cap = dynamic_range ** (-alpha)
    star_rate = rate_min * (1.0 - u * (1.0 - cap)) ** (-1.0 / alpha)
    ug = rng.random(n_gal)
    gal_rate = 2.0 * rate_min * (1.0 - ug * (1.0 - cap)) ** (-1.0 / (alpha + 0.2))
    lo, hi = np.log(galaxy_re[0]), np.log(galaxy_re[1])
    return Catalog(
        star_x=rng.uniform(-pad, width + pad, n_star),
        star_y=rng.uniform(-pad, height + pad, n_star),
        star_rate=star_rate,
        star_slope=rng.normal(0.5, 1.0, n_star),
        gal_x=rng.uniform(-pad, width + pad, n_gal),
        gal_y=rng.uniform(-pad, height + pad, n_gal),
        gal_rate=gal_rate,
        gal_slope=rng.normal(1.0, 0.8, n_gal),
        gal_re=np.exp(rng.uniform(lo, hi, n_gal)),
        gal_n=rng.choice(np.array([0.5, 1.0, 1.0, 1.5, 2.5, 4.0]), n_gal),
        gal_q=rng.uniform(0.2, 1.0, n_gal),
        gal_theta=rng.uniform(0.0, np.pi, n_gal),
    )


def moffat_kernel(fwhm: float, beta: float = 3.0, radius: int | None = None) -> np.ndarray:
    """Normalised Moffat PSF, ``(1 + (r/a)^2)^-beta`` with ``a = fwhm / (2 sqrt(2^(1/beta) - 1))``."""
    a = fwhm / (2.0 * np.sqrt(2.0 ** (1.0 / beta) - 1.0))
    r = radius if radius is not None else int(np.ceil(max(4.0 * fwhm, 4.0)))
    y, x = np.mgrid[-r : r + 1, -r : r + 1]
    k: np.ndarray = (1.0 + (x * x + y * y) / (a * a)) ** (-beta)
    out: np.ndarray = k / k.sum()
    return out


def moffat_peak_fraction(fwhm: float, beta: float = 3.0) -> float:
    """Fraction of a centred star's flux that falls in its brightest pixel."""
    return float(moffat_kernel(fwhm, beta).max())


def _deposit_points(img: np.ndarray, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> None:
    """Add weights at sub-pixel positions, split bilinearly over four pixels."""
    h, wd = img.shape
    x0 = np.floor(x).astype(np.int64)
    y0 = np.floor(y).astype(np.int64)
    fx = x - x0
    fy = y - y0
    flat = img.reshape(-1)
    for dy, dx, frac in ((0, 0, (1 - fx) * (1 - fy)), (0, 1, fx * (1 - fy)),
                         (1, 0, (1 - fx) * fy), (1, 1, fx * fy)):
        yy = y0 + dy
        xx = x0 + dx
        ok = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < wd)
        if ok.any():
            flat += np.bincount(yy[ok] * wd + xx[ok], weights=(w * frac)[ok], minlength=flat.size)


def _sersic_b(n: float) -> float:
    return 2.0 * n - 1.0 / 3.0 + 4.0 / (405.0 * n)  # Ciotti & Bertin (1999)


def _add_galaxies(img: np.ndarray, cat: Catalog, scale: np.ndarray, dx: float, dy: float) -> None:
    h, w = img.shape
    for i in range(cat.gal_x.size):
        flux = float(scale[i])
        if flux <= 0:
            continue
        re, n, q, th = float(cat.gal_re[i]), float(cat.gal_n[i]), float(cat.gal_q[i]), float(cat.gal_theta[i])
        half = int(min(np.ceil(4.0 * re + 2), 64))
        cx, cy = cat.gal_x[i] + dx, cat.gal_y[i] + dy
        x0, y0 = int(np.floor(cx)) - half, int(np.floor(cy)) - half
        xs0, ys0 = max(x0, 0), max(y0, 0)
        xs1, ys1 = min(x0 + 2 * half + 1, w), min(y0 + 2 * half + 1, h)
        if xs0 >= xs1 or ys0 >= ys1:
            continue
        yy, xx = np.mgrid[y0 : y0 + 2 * half + 1, x0 : x0 + 2 * half + 1]
        u = (xx - cx) * np.cos(th) + (yy - cy) * np.sin(th)
        v = -(xx - cx) * np.sin(th) + (yy - cy) * np.cos(th)
        r = np.sqrt(u * u + (v / q) ** 2)
        prof = np.exp(-_sersic_b(n) * ((r / re) ** (1.0 / n) - 1.0))
        prof *= flux / prof.sum()
        img[ys0:ys1, xs0:xs1] += prof[ys0 - y0 : ys1 - y0, xs0 - x0 : xs1 - x0]


def render(
    cat: Catalog,
    shape: tuple[int, int],
    *,
    fwhm: float,
    exptime: float,
    band_factor: float = 1.0,
    wavelength_ratio: float = 1.0,
    beta: float = 3.0,
    offset: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """Expected source electrons per pixel for one exposure (no sky, no noise).

    ``band_factor`` scales every object (throughput × zero point of the band);
    ``wavelength_ratio`` (lambda / lambda_ref) applies each object's colour;
    ``offset`` (dy, dx) shifts the field (pointing jitter between epochs).
    """
    img = np.zeros(shape, dtype=np.float64)
    dy, dx = offset
    colour = wavelength_ratio ** cat.star_slope
    _deposit_points(img, cat.star_x + dx, cat.star_y + dy, cat.star_rate * colour * band_factor * exptime)
    gscale = cat.gal_rate * wavelength_ratio ** cat.gal_slope * band_factor * exptime
    _add_galaxies(img, cat, gscale, dx, dy)
    out = fftconvolve(img, moffat_kernel(fwhm, beta), mode="same")
    np.maximum(out, 0.0, out=out)  # FFT round-off can leave -1e-12
    return out


def bright_sources(cat: Catalog, *, fwhm: float, exptime: float, full_well: float,
                   band_factor: float = 1.0, beta: float = 3.0, margin: float = 0.7) -> tuple[np.ndarray, np.ndarray]:
    """``(y, x)`` of objects that may saturate: peak above ``margin × full_well`` electrons.

    A galaxy is never more peaked than a point source of the same flux, so the
    point-source peak is a safe upper bound for both kinds; ``margin`` leaves
    room for sky, flat field and noise (the list is a superset).
    """
    frac = moffat_peak_fraction(fwhm, beta) * band_factor * exptime / margin
    s = cat.star_rate * frac > full_well
    g = cat.gal_rate * frac > full_well
    return np.concatenate([cat.star_y[s], cat.gal_y[g]]), np.concatenate([cat.star_x[s], cat.gal_x[g]])


def aperture_fraction(fwhm: float, beta: float = 3.0, radius: float = TRUTH_RADIUS) -> tuple[float, int]:
    """``(fraction of a centred star's flux, number of pixels)`` within ``radius`` px of its pixel centre."""
    k = moffat_kernel(fwhm, beta, radius=max(int(np.ceil(4.0 * fwhm)), int(np.ceil(radius)), 4))
    c = k.shape[0] // 2
    y, x = np.mgrid[-c : c + 1, -c : c + 1]
    inside = y * y + x * x <= radius * radius
    return float(k[inside].sum()), int(inside.sum())


def star_positions(cat: Catalog, shape: tuple[int, int], *, flux_e: np.ndarray, noise_e: float, fwhm: float,
                   beta: float = 3.0, offset: tuple[float, float] = (0.0, 0.0), n_sigma: float = TRUTH_N_SIGMA,
                   radius: float = TRUTH_RADIUS) -> tuple[np.ndarray, np.ndarray]:
    """``(y, x)`` of the stars (not galaxies) a truth list keeps, in pixels of the rendered frame.

    A star is kept when its centre (shifted by ``offset`` = (dy, dx), as in
    :func:`render`) lies on the frame and it stands ``n_sigma`` above the
    background in a circular aperture of ``radius`` pixels: the part of its
    flux ``flux_e`` (electrons, one value per star) the Moffat PSF puts in the
    aperture exceeds ``n_sigma * noise_e * sqrt(n_pixels)``, with ``noise_e``
    the background noise (electrons per pixel). Pixel centres are at integer
    coordinates (:func:`_deposit_points` puts a star at ``x = 10.0`` entirely
    on column 10). Draws no random numbers.
    """
    frac, n_pix = aperture_fraction(fwhm, beta, radius)
    dy, dx = offset
    y = cat.star_y + dy
    x = cat.star_x + dx
    h, w = shape
    inside = (y >= 0) & (y <= h - 1) & (x >= 0) & (x <= w - 1)
    bright = np.asarray(flux_e, dtype=np.float64) * frac > n_sigma * noise_e * np.sqrt(n_pix)
    keep = inside & bright
    return y[keep], x[keep]


def truth_list(y: np.ndarray, x: np.ndarray) -> list[list[float]]:
    """``[[y, x], ...]`` as JSON-friendly floats (3 decimals: a thousandth of a pixel)."""
    return [[round(float(a), 3), round(float(b), 3)] for a, b in zip(y, x)]
