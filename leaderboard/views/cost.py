"""What a codec costs and gains in an observatory's units, from the measured numbers.

- **Core-hours per TB of raw data** = ``cores x 1e6 MB / throughput (MB/s) / 3600``,
  for encode and decode, from a record's measured throughput (raw MB per
  second of wall time, ``evaluator.core.metrics``) and the cores its profile was
  granted (the fingerprint's ``cores_granted``; else the profile's). A
  ``gpu-1`` record also held one GPU for those hours.
- **Per instrument-day** = core-hours per TB x the instrument's daily raw
  volume (``leaderboard.views.instruments``, each figure with its source).
- **Gain in data per fixed downlink versus RICE** = ``ratio / ratio_RICE - 1``:
  with the bits a downlink carries fixed, a codec of ratio *r* sends *r* raw
  bits per bit, so ``r / r_RICE - 1`` more data than RICE (the standard
  onboard choice). The RICE number is the RICE baseline's record on the same
  track and data label (the paper's RICE on paper rows); no RICE record, no
  gain.

Runtimes compare only within one hardware profile and machine: the cost
table groups rows like the runtime table does. Paper rows have no measured
machine and get no cost.
"""

from __future__ import annotations

import pandas as pd

from baselines.catalog import CATALOG_BY_NAME
from evaluator.sandbox.profiles import PROFILES
from leaderboard.views.cell_values import cell_number

TB_MB = 1e6  # MB per TB (decimal units, like the throughputs)
# The RICE baseline's row of the catalog (pure data: the Space ships neither imagecodecs nor torch).
RICE_CODEC = str(CATALOG_BY_NAME["rice"].paper_column)  # the paper's Table 1 column (seeded rows keep its names)
RICE_SUBMISSION = CATALOG_BY_NAME["rice"].submission


def core_hours_per_tb(mb_s: float | None, cores: float | None) -> float | None:
    """Core-hours to code one TB of raw data at ``mb_s`` on ``cores`` cores (None when unknown)."""
    if mb_s is None or cores is None or pd.isna(mb_s) or pd.isna(cores) or mb_s <= 0 or cores <= 0:
        return None
    return float(cores) * TB_MB / float(mb_s) / 3600.0


def profile_cores(profile: str, granted: object) -> float | None:
    """Cores a record ran on: the granted count, else its profile's; None for the paper's machine."""
    cores = cell_number(granted)
    if cores is not None and cores > 0:
        return cores
    return float(PROFILES[profile].cores) if profile in PROFILES else None


def rice_ratios(frame: pd.DataFrame, track: str) -> dict[str, float]:
    """The RICE baseline's mean ratio on ``track`` per data label (the paper's RICE for the paper's label)."""
    if frame.empty:
        return {}
    # ours by submission (its display name is the registry's, and older records say "RICE"); the paper's by name
    rows = frame[(frame["track"] == track) & (frame["status"] == "ok")
                 & ((frame["submission"] == RICE_SUBMISSION)
                    | ((frame["profile"] == "paper") & (frame["codec"] == RICE_CODEC)))]
    rows = rows.dropna(subset=["ratio_mean"]).sort_values("created_at")
    return {str(d): float(r) for d, r in zip(rows["data"], rows["ratio_mean"])}  # latest wins


def gain_vs_rice(ratio: float | None, rice: float | None) -> float | None:
    """Fraction more data per fixed downlink than RICE (0.1 = 10 % more); None when either is missing."""
    if ratio is None or rice is None or pd.isna(ratio) or pd.isna(rice) or rice <= 0:
        return None
    return float(ratio) / float(rice) - 1.0
