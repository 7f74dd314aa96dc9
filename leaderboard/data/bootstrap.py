"""The seeded bootstrap behind every interval and rank of the board.

The headline of a track is the mean of per-item ratios over the test items
(paper Sec. 4.2). ``N_BOOT`` resamples of a record's items with replacement;
one resample is a row of multinomial counts over the items. The draws depend
only on the (sorted) item ids and :data:`SEED`, never on which other codecs
are on the board, so adding a submission changes no other interval.
``leaderboard.data.ranking`` turns these into verdicts and ranks.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

SEED = 20250122  # the paper's publication date; any fixed number would do
N_BOOT = 1000
CONFIDENCE = 0.95
Z_975 = 1.959963984540054  # normal quantile at 1 - (1 - CONFIDENCE) / 2


@dataclass(frozen=True)
class ItemRatios:
    """The ok per-item ratios of one record: ids (sorted, unique) and values aligned with them.

    ``n_failed``: items the record lists without an ok ratio (failed, or no
    number); such a record is *incomplete* (``leaderboard.data.ranking``).
    """

    ids: tuple[str, ...]
    values: np.ndarray
    n_failed: int = 0

    @classmethod
    def of(cls, item_ids: Sequence[str], ratios: Sequence[float] | np.ndarray, n_failed: int = 0) -> ItemRatios:
        ids = np.asarray([str(i) for i in item_ids], dtype=object)
        vals = np.asarray(ratios, dtype=float)
        keep = np.isfinite(vals)
        ids, vals = ids[keep][::-1], vals[keep][::-1]  # reversed: np.unique keeps the first, we want the last
        uniq, first = np.unique(ids, return_index=True) if len(ids) else (ids, np.zeros(0, dtype=int))
        return cls(tuple(uniq.tolist()), vals[first], int(n_failed))

    @classmethod
    def from_items(cls, items: pd.DataFrame) -> ItemRatios:
        """From a record's items table (rows with status ``ok`` and a ratio; the other items count as failed)."""
        if items.empty or "ratio" not in items.columns:
            return cls((), np.empty(0))
        ok = items[items["status"] == "ok"] if "status" in items.columns else items
        ratios = ok["ratio"].to_numpy(dtype=float)
        with_number = set(ok["item_id"].astype(str)[np.isfinite(ratios)])
        failed = len(set(items["item_id"].astype(str)) - with_number)
        return cls.of(list(ok["item_id"]), ratios, failed)


def _seed(ids: tuple[str, ...]) -> int:
    return zlib.crc32("\n".join(ids).encode(), SEED & 0xFFFFFFFF)


@lru_cache(maxsize=256)
def resample_weights(ids: tuple[str, ...], n_boot: int = N_BOOT) -> np.ndarray:
    """``n_boot x n`` resample weights (counts / n) for these items; seeded by the ids."""
    n = len(ids)
    if n == 0:
        return np.zeros((n_boot, 0))
    rng = np.random.default_rng(_seed(ids))
    w = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot) / n
    w.setflags(write=False)
    return w


@lru_cache(maxsize=256)
def weight_cov(ids: tuple[str, ...]) -> np.ndarray:
    """Covariance of the resample weights: ``r_a^T Σ r_b`` is the covariance of two resampled means."""
    w = resample_weights(ids)
    return np.cov(w, rowvar=False).reshape(len(ids), len(ids)) if len(ids) > 1 else np.zeros((len(ids), len(ids)))


def mean_interval(r: ItemRatios) -> tuple[float | None, float | None, float | None]:
    """(mean, low, high): the mean ratio and its 95 % percentile bootstrap interval."""
    if len(r.ids) == 0:
        return (None, None, None)
    means = resample_weights(r.ids) @ r.values
    alpha = (1 - CONFIDENCE) / 2 * 100
    lo, hi = np.percentile(means, [alpha, 100 - alpha])
    return (float(r.values.mean()), float(lo), float(hi))


def mean_variances(rows: np.ndarray, ids: tuple[str, ...]) -> np.ndarray:
    """Bootstrap variance of each row's mean over ``ids`` (rows x items; 0 with fewer than two items)."""
    if len(ids) < 2:
        return np.zeros(len(rows))
    return np.maximum(np.einsum("ij,jk,ik->i", rows, weight_cov(ids), rows), 0.0)
