"""Keck LRIS amplifier geometry: pasting amplifier HDUs into one frame, and splitting a frame back.

Reading (:func:`paste_lris_amplifiers`) follows pypeit's ``keck_lris.read_lris``
(non-trimmed) as adapted by the AstroCompress authors: all prescans, then all
data, then all overscans, left to right. Writing splits a pasted frame
(:func:`split_lris_frame`) or a frame whose amplifiers sit side by side
(:func:`split_lris_by_sections`, the synthetic generator's layout) into
amplifier HDUs with PRECOL, POSTPIX, PRELINE, POSTLINE, BINNING, DETSEC and
DATASEC, so that reading gives the frame back (or a column permutation of it,
:func:`lris_paste_order`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.io import fits

from evaluator.data.fits_io import FitsFormatError


@dataclass(frozen=True)
class AmpGeometry:
    """How LRIS amplifiers sit in one pasted frame (binned pixels; header keys in parentheses).

    ``precol`` (PRECOL) prescan and ``postpix`` (POSTPIX) overscan columns per
    amplifier, ``preline``/``postline`` (PRELINE/POSTLINE) rows, ``xbin``/``ybin``
    (BINNING "x,y"). The header stores PRECOL and POSTPIX unbinned.
    """

    n_amps: int
    precol: int
    postpix: int
    preline: int = 0
    postline: int = 0
    xbin: int = 1
    ybin: int = 1


# LRIS red readout (pypeit keck_lris: POSTLINE 20, POSTPIX 80, PRELINE 0, PRECOL 12, 4 amplifiers).
LRIS_DEFAULT = AmpGeometry(n_amps=4, precol=12, postpix=80, preline=0, postline=20)


def parse_section(section: str) -> tuple[int, int, int, int]:
    """``'[x1:x2,y1:y2]'`` (FITS/IRAF, 1-indexed, inclusive, may run backwards) -> (x1, x2, y1, y2)."""
    try:
        xs, ys = section.strip().strip("[]()").split(",")
        x1, x2 = (int(v) for v in xs.split(":"))
        y1, y2 = (int(v) for v in ys.split(":"))
    except ValueError:
        raise ValueError(f"cannot parse section {section!r}; expected '[x1:x2,y1:y2]'") from None
    return x1, x2, y1, y2


def lris_geometry(header: fits.Header, n_amps: int) -> AmpGeometry:
    """The amplifier geometry an LRIS primary header gives (PRECOL and POSTPIX divided by the x binning)."""
    binning = str(header.get("BINNING", "1,1"))
    try:
        xbin, ybin = (int(b) for b in binning.split(","))
    except ValueError:
        raise ValueError(f"BINNING {binning!r} is not 'x,y'") from None
    return AmpGeometry(
        n_amps=n_amps,
        precol=int(header["PRECOL"]) // xbin,
        postpix=int(header["POSTPIX"]) // xbin,
        preline=int(header.get("PRELINE", 0)),
        postline=int(header.get("POSTLINE", 0)),
        xbin=xbin,
        ybin=ybin,
    )


def paste_lris_amplifiers(primary: fits.Header, amps: list[tuple[fits.Header, np.ndarray]], source: str) -> np.ndarray:
    """Paste LRIS amplifier HDUs into one frame, prescan and overscan kept.

    The layout of pypeit's ``keck_lris.read_lris`` (non-trimmed), as used by the
    AstroCompress authors: amplifiers sorted by the left edge of DETSEC; the
    frame holds, left to right, every amplifier's prescan (PRECOL columns),
    then every amplifier's data (flipped in x when DETSEC runs backwards), then
    every amplifier's overscan (POSTPIX columns); all rows, including PRELINE
    and POSTLINE, are kept; DETSEC running backwards in y flips the whole
    amplifier. Each amplifier HDU is (rows, PRECOL + data + POSTPIX).
    """
    try:
        geo = lris_geometry(primary, len(amps))
    except (KeyError, ValueError) as exc:
        raise FitsFormatError(source, f"LRIS primary header lacks amplifier geometry ({exc})",
                              "the primary HDU needs PRECOL, POSTPIX, PRELINE, POSTLINE and BINNING") from exc
    parsed = []
    for k, (header, data) in enumerate(amps):
        try:
            x1, x2, y1, y2 = parse_section(str(header["DETSEC"]))
            dx1, _dx2, _dy1, _dy2 = parse_section(str(header["DATASEC"]))
        except (KeyError, ValueError) as exc:
            raise FitsFormatError(source, f"amplifier HDU {k + 1} has no valid DETSEC/DATASEC ({exc})",
                                  "use the unmodified LRIS raw file") from exc
        if dx1 - 1 != geo.precol:
            raise FitsFormatError(source, f"amplifier HDU {k + 1}: DATASEC starts at column {dx1}, "
                                  f"but PRECOL/xbin is {geo.precol}", "use the unmodified LRIS raw file")
        parsed.append((min(x1, x2), x1 > x2, y1 > y2, min(y1, y2), max(y1, y2), data))
    parsed.sort(key=lambda p: p[0])
    height = amps[0][1].shape[0]
    ymin = min(p[3] for p in parsed)
    ymax = max(p[4] for p in parsed)
    if (ymax - ymin + 1) // geo.ybin + geo.preline + geo.postline != height:
        raise FitsFormatError(source, f"amplifier rows ({height}) disagree with DETSEC y range {ymin}:{ymax}, "
                              f"PRELINE {geo.preline} and POSTLINE {geo.postline}", "use the unmodified LRIS raw file")
    widths = []
    for _, _, _, _, _, data in parsed:
        if data.shape[0] != height:
            raise FitsFormatError(source, f"amplifiers have different heights ({data.shape[0]} vs {height})",
                                  "use the unmodified LRIS raw file")
        w = data.shape[1] - geo.precol - geo.postpix
        if w <= 0:
            raise FitsFormatError(source, f"amplifier width {data.shape[1]} leaves no data columns after "
                                  f"PRECOL {geo.precol} and POSTPIX {geo.postpix}", "check BINNING")
        widths.append(w)
    n = len(parsed)
    width = sum(widths) + n * (geo.precol + geo.postpix)
    frame = np.empty((height, width), dtype=np.uint16)
    x_data = n * geo.precol
    for k, ((_, flip_x, flip_y, _, _, data), w) in enumerate(zip(parsed, widths)):
        pre = data[:, : geo.precol]
        body = data[:, geo.precol : geo.precol + w]
        post = data[:, geo.precol + w :]
        if flip_x:
            body = body[:, ::-1]
        if flip_y:
            pre, body, post = pre[::-1], body[::-1], post[::-1]
        frame[:, k * geo.precol : (k + 1) * geo.precol] = pre
        frame[:, x_data : x_data + w] = body
        x_data += w
        x_post = width - n * geo.postpix + k * geo.postpix
        frame[:, x_post : x_post + geo.postpix] = post
    return frame


# --- writing -------------------------------------------------------------------------------


def default_lris_geometry(width: int, height: int) -> AmpGeometry:
    """An LRIS-like amplifier geometry that fits a pasted frame of this size."""
    for n, pre, post, postline in ((4, 12, 80, 20), (4, 4, 16, 4), (2, 4, 16, 4), (2, 1, 2, 0), (1, 1, 1, 0)):
        if width - n * (pre + post) >= n and height > postline:
            return AmpGeometry(n_amps=n, precol=pre, postpix=post, preline=0, postline=postline)
    return AmpGeometry(n_amps=1, precol=0, postpix=0, preline=0, postline=0)


def lris_geometry_from_meta(meta: Mapping[str, Any], width: int, height: int) -> AmpGeometry:
    """Amplifier geometry given by the generator's meta (``amp_geometry`` dict or flat keys), else a default."""
    given = meta.get("amp_geometry")
    src: Mapping[str, Any] = given if isinstance(given, Mapping) else meta
    keys = ("precol", "postpix")
    if all(k in src for k in keys):
        n = int(src.get("n_amps", src.get("namps", 4)))
        xbin, ybin = 1, 1
        if "binning" in src:
            b = src["binning"]
            xbin, ybin = (int(v) for v in (b.split(",") if isinstance(b, str) else b))
        return AmpGeometry(n_amps=n, precol=int(src["precol"]), postpix=int(src["postpix"]),
                           preline=int(src.get("preline", 0)), postline=int(src.get("postline", 0)),
                           xbin=int(src.get("xbin", xbin)), ybin=int(src.get("ybin", ybin)))
    return default_lris_geometry(width, height)


def _amp_primary(geo: AmpGeometry) -> fits.Header:
    """The LRIS primary-header cards that describe the amplifier geometry."""
    primary = fits.Header()
    primary["INSTRUME"] = "LRIS"
    primary["PRECOL"] = (geo.precol * geo.xbin, "prescan columns per amplifier (unbinned)")
    primary["POSTPIX"] = (geo.postpix * geo.xbin, "overscan columns per amplifier (unbinned)")
    primary["PRELINE"] = (geo.preline, "prescan rows")
    primary["POSTLINE"] = (geo.postline, "overscan rows")
    primary["BINNING"] = (f"{geo.xbin},{geo.ybin}", "x,y binning")
    primary["NUMAMPS"] = geo.n_amps
    return primary


def _amp_hdu(k: int, amp: np.ndarray, geo: AmpGeometry, det: tuple[int, int], reverse: bool, data_width: int,
             height: int) -> fits.ImageHDU:
    """Amplifier HDU ``k`` (0-based): ``amp`` in readout order, DETSEC backwards when read from the right."""
    lo, hi = det
    y1, y2 = 1, (height - geo.preline - geo.postline) * geo.ybin
    h = fits.Header()
    h["EXTNAME"] = f"VIDINP{k + 1}"
    h["DETSEC"] = f"[{hi}:{lo},{y1}:{y2}]" if reverse else f"[{lo}:{hi},{y1}:{y2}]"
    h["DATASEC"] = f"[{geo.precol + 1}:{geo.precol + data_width},{geo.preline + 1}:{height - geo.postline}]"
    return fits.ImageHDU(data=np.ascontiguousarray(amp), header=h)


def split_lris_frame(frame: np.ndarray, geo: AmpGeometry) -> tuple[fits.Header, list[fits.ImageHDU]]:
    """Split a pasted frame into amplifier HDUs (the inverse of ``paste_lris_amplifiers``)."""
    height, width = frame.shape
    n = geo.n_amps
    data_width = width - n * (geo.precol + geo.postpix)
    if data_width < n or height <= geo.preline + geo.postline:
        raise ValueError(f"frame {frame.shape} too small for amplifier geometry {geo}")
    widths = [data_width // n] * n
    widths[-1] += data_width - sum(widths)
    hdus = []
    x_data = n * geo.precol
    x_det = 1
    for k, w in enumerate(widths):
        pre = frame[:, k * geo.precol : (k + 1) * geo.precol]
        body = frame[:, x_data : x_data + w]
        x_post = width - n * geo.postpix + k * geo.postpix
        post = frame[:, x_post : x_post + geo.postpix]
        x_data += w
        reverse = k % 2 == 1  # every other amplifier reads out right to left
        det_lo, det_hi = x_det, x_det + w * geo.xbin - 1
        x_det = det_hi + 1
        if reverse:
            body = body[:, ::-1]
        amp = np.concatenate([pre, body, post], axis=1)
        hdus.append(_amp_hdu(k, amp, geo, (det_lo, det_hi), reverse, w, height))
    return _amp_primary(geo), hdus


def split_lris_by_sections(frame: np.ndarray,
                           layout: Mapping[str, Any]) -> tuple[fits.Header, list[fits.ImageHDU]] | None:
    """Split a frame whose amplifiers sit side by side into physical LRIS amplifier HDUs.

    ``layout`` is the synthetic generator's description (``meta["amplifiers"]``:
    ``sections`` with 0-based, end-exclusive ``prescan``/``data``/``overscan``
    columns, ``data_rows``, ``readout_side``; ``binning``). Each HDU holds one
    amplifier in readout order, ``prescan | data | overscan``: an amplifier read
    from the right is stored column-reversed with a backwards DETSEC, as on the
    detector. Reading pastes the amplifiers in the corpus authors' layout (all
    prescans, all data, all overscans), so the item is a column permutation of
    ``frame`` with every pixel kept. Returns None when the amplifiers do not share
    one prescan and one overscan width (LRIS headers have a single PRECOL/POSTPIX).
    """
    sections = list(layout.get("sections", []))
    if not sections:
        return None
    def width(sec: Mapping[str, Sequence[Any]], key: str) -> int:
        return int(sec[key][1]) - int(sec[key][0])

    pres = {width(s, "prescan") for s in sections}
    posts = {width(s, "overscan") for s in sections}
    if len(pres) != 1 or len(posts) != 1:
        return None
    xbin, ybin = (int(v) for v in layout.get("binning", (1, 1)))
    height = frame.shape[0]
    d0, d1 = (int(v) for v in sections[0]["data_rows"])
    geo = AmpGeometry(n_amps=len(sections), precol=pres.pop(), postpix=posts.pop(), preline=d0,
                      postline=height - d1, xbin=xbin, ybin=ybin)
    hdus = []
    x_det = 1
    for k, sec in enumerate(sorted(sections, key=lambda s: int(s["columns"][0]))):
        c0, c1 = (int(v) for v in sec["columns"])
        amp = frame[:, c0:c1]
        w = width(sec, "data")
        lo, hi = x_det, x_det + w * xbin - 1
        x_det = hi + 1
        right = sec.get("readout_side") == "right"
        if right:
            amp = amp[:, ::-1]
        hdus.append(_amp_hdu(k, amp, geo, (lo, hi), right, w, height))
    return _amp_primary(geo), hdus


def lris_paste_order(layout: Mapping[str, Any]) -> np.ndarray:
    """Column index map: ``pasted = frame[:, lris_paste_order(layout)]`` for :func:`split_lris_by_sections`."""
    secs = sorted(layout["sections"], key=lambda s: int(s["columns"][0]))
    def cols(sec: Mapping[str, Any], key: str, readout: bool) -> list[int]:
        c = list(range(int(sec[key][0]), int(sec[key][1])))
        return c[::-1] if readout and sec.get("readout_side") == "right" else c
    order = [c for s in secs for c in cols(s, "prescan", True)]
    order += [c for s in secs for c in cols(s, "data", False)]
    order += [c for s in secs for c in cols(s, "overscan", True)]
    return np.array(order, dtype=np.intp)
