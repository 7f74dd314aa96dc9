"""The cells of the board's tables: badges, the codec cell, rounded numbers, intervals, machine labels.

One table drives the badges (``BADGE_STYLE``: colours, ``BADGE_HELP``:
what each means); the cells are HTML built here, with every user-given text
(codec names, environments) escaped. Cells that repeat across thousands of
rows (a codec's name with its badges, an interval) are cached: a refresh of
a 2,000-submission board formats the same few cells over and over.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evaluator.results.portability import PORTABLE_ENVS, broken_label
from leaderboard.data.real_val_note import REAL_VAL_HELP, real_val_badge
from leaderboard.safe_text import html_text
from leaderboard.views.cell_values import cell_number

BADGE_STYLE: dict[str, tuple[str, str]] = {  # provenance -> (background, text colour)
    "verified": ("#d1fadf", "#05603a"),
    "paper": ("#dbeafe", "#1e40af"),
    "estimate": ("#fef3c7", "#92400e"),
    "synthetic": ("#ede9fe", "#5b21b6"),
    "failed": ("#fee2e2", "#991b1b"),
    "portable": ("#ccfbf1", "#115e59"),
    "not-portable": ("#ffedd5", "#9a3412"),
    "untrained": ("#fde68a", "#78350f"),
    "archive": ("#e5e7eb", "#374151"),
    "worse-than-rice": ("#fee2e2", "#991b1b"),
}

BADGE_HELP: dict[str, str] = {
    "paper": "number reported by the AstroCompress paper (Table 1/3), not re-measured here",
    "verified": "measured here: real bitstreams, decoded and checked bit for bit",
    "estimate": "likelihood bound (VDM), not a working codec",
    "synthetic": "measured on synthetic frames, not on the real corpus",
    "portable": "a sample of the bitstreams also decoded bit for bit under each of: "
                + "; ".join(env.doc for env in PORTABLE_ENVS.values()),
    "not-portable": "the named environments broke a decode (checked: "
                    + ", ".join(PORTABLE_ENVS) + "): these bitstreams may not decode on another machine "
                    "(not ranked); when only the GPU-to-CPU decode broke (cpu-decode), the badge says the bitstreams "
                    "decode only on the encoder's device class",
    "untrained": "an estimate whose training moved its validation bound by under 2 % from the untrained model's: "
                 "the number is close to VDM's analytic (Gaussian) preconditioner, not to a trained model",
    "archive": "what archives store data with today (fpack RICE_1/HCOMPRESS_1/GZIP_2, bzip2, zstd, xz) run on the "
               "item's FITS file: the gain over what we run today",
    "worse-than-rice": REAL_VAL_HELP,
}


def badge(kind: str, text: str | None = None) -> str:
    """HTML badge for a provenance (or ``synthetic`` / ``failed`` / ...), reading ``text`` (default: the kind)."""
    k = html.escape(kind)
    return f'<span class="badge badge-{k}">{k if text is None else html_text(text)}</span>'


def portable_badge(row: Mapping[str, Any]) -> str:
    """The *portable* badge, a *not portable (env)* one, or nothing when the record was not checked."""
    state = row.get("portable")
    if state is None or (isinstance(state, float) and pd.isna(state)):
        return ""
    if bool(state):
        return badge("portable")
    return badge("not-portable", broken_label(str(row.get("portable_env") or "")))


def badge_css() -> str:
    """CSS for the badges (kept out of the cells: a table of thousands of rows stays small)."""
    rules = [(".badge {border-radius: 9px; padding: 1px 8px; font-size: 0.85em; font-weight: 600; "
              "white-space: nowrap; font-family: ui-sans-serif, system-ui, sans-serif;}"),
             ".nn {color: #6b7280; font-size: 0.8em; margin-left: 0.3em;}"]
    for kind, (bg, fg) in BADGE_STYLE.items():
        rules.append(f".badge-{kind} {{background: {bg}; color: {fg};}}")
    return "\n".join(rules)


def _round(value: object, digits: int) -> float | None:
    """``value`` rounded to ``digits``; None for a missing number (None, NaN, NA)."""
    if value is None:
        return None
    try:
        number = cell_number(value)
    except (TypeError, ValueError):
        return None
    return None if number is None else round(number, digits)


def _rounded(rows: pd.DataFrame, field: str, digits: int) -> list[float | None]:
    """``_round`` of a whole column (one pass over a float array, not a call per cell)."""
    if field not in rows.columns:
        return [None] * len(rows)
    values = pd.to_numeric(rows[field], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return [None if v != v else round(v, digits) for v in values.tolist()]


def _state(value: object) -> bool | None:
    """A tri-state flag (True, False, None for missing) from a table cell."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    return bool(value)


def _codec_cell(row: Mapping[str, Any], *, portable: bool = True) -> str:
    """The codec's name, a *neural* marker and the portable badge (one cell)."""
    return _codec_html(str(row["codec"]), row.get("kind") == "neural",
                       _state(row.get("portable")) if portable else None, str(row.get("portable_env") or ""))


@functools.lru_cache(maxsize=65536)
def _codec_html(codec: str, neural: bool, portable: bool | None, portable_env: str) -> str:
    # cached: a board of 2,000 submissions formats the same few cells thousands of times per refresh
    extra = ['<span class="nn"> neural</span>'] if neural else []
    marker = portable_badge({"portable": portable, "portable_env": portable_env})
    if marker:
        extra.append(" " + marker)
    return html_text(codec) + "".join(extra)


def _badges_cell(row: Mapping[str, Any]) -> str:
    """Provenance, *untrained*, *archive*, *synthetic* and *failed* badges (one cell)."""
    note = row.get("bound_note")
    return _badges_html(str(row["provenance"]), row.get("kind") == "archive", bool(row["synthetic"]),
                        row["status"] != "ok", note if isinstance(note, str) else "") \
        + real_val_badge(row.get("real_val_note"))  # a neural baseline worse than RICE on real frames


@functools.lru_cache(maxsize=1024)
def _badges_html(provenance: str, archive: bool, synthetic: bool, failed: bool, bound_note: str = "") -> str:
    parts = [badge(provenance)]
    if bound_note:  # the record's own text, escaped: shown as the badge's tooltip
        parts.append(f'<span class="badge badge-untrained" title="{html_text(bound_note)}">'
                     "≈ untrained preconditioner</span>")
    if archive:
        parts.append(badge("archive"))
    if synthetic:
        parts.append(badge("synthetic"))
    if failed:
        parts.append(badge("failed"))
    return " ".join(parts)


def _interval_text(low: object, high: object) -> str:
    lo, hi = cell_number(low), cell_number(high)
    if lo is None or hi is None:
        return ""
    return _interval_of(lo, hi)


@functools.lru_cache(maxsize=65536)
def _interval_of(low: float, high: float) -> str:
    return f"{low:.2f} - {high:.2f}"  # cached: a refresh re-formats thousands of unchanged intervals


def _estimate_spread(row: dict[str, object]) -> str:
    """An estimate's (VDM) spread in the interval column: the bound's standard error over time samples."""
    se = cell_number(row.get("bpp_stderr"))
    if se is None:
        return ""
    return f"bound ± {se:.4f} bpp (s.e. over t)"


def _machine_label(hardware: object, profile: object, fingerprint_id: object) -> str:
    return ((str(hardware) if hardware else ("the paper's machine (not stated)" if profile == "paper" else "unknown"))
            + (f" [{fingerprint_id}]" if fingerprint_id else ""))
