"""Uncertainty of the headline and ranks that say which differences are real.

The headline of a track is the mean of per-item ratios over the test items
(paper Sec. 4.2). Two codecs on the same data see the same items, so they are
compared *paired*, item by item. Everything here is seeded and reproducible.

Definitions (DESIGN.md "Measurement", "Uncertainty"):

- **Bootstrap.** ``N_BOOT`` resamples of the items with replacement; one
  resample is a row of multinomial counts over the items. The draws depend
  only on the (sorted) item ids and :data:`SEED`, never on which other codecs
  are on the board, so adding a submission changes no other interval.
- **Interval** of a codec: the 2.5 % and 97.5 % percentiles of the resampled
  mean ratio over its own ok items (a 95 % percentile bootstrap interval).
- **Paired difference** of codecs *a* and *b*: on the items both have (at least
  :data:`MIN_SHARED`), the same resamples are applied to both codecs, and the
  variance of the resampled mean difference is
  ``var_a + var_b - 2 cov_ab`` (computed exactly as ``r_a^T Σ r_b`` with ``Σ``
  the covariance of the resample weights, which equals the covariance of the
  resampled means and costs ``n`` instead of ``N_BOOT`` per pair). *b* is
  **significantly better** than *a* when its mean on the shared items exceeds
  *a*'s by more than ``z * sd`` with ``z`` the 97.5 % normal quantile (a 95 %
  normal bootstrap interval of the difference that excludes 0). With an ``sd``
  of 0, any positive difference is significant. Fewer shared items: never
  significant.
- **Rank** of a codec = 1 + the number of codecs (on the same data label)
  that are significantly better than it (the rule LMArena uses). Codecs whose
  differences are not significant therefore share a rank; the relation need
  not be transitive (A above B significantly, C tied with both: A 1, C 1, B 2).

Vectorised: codecs with the same item set form one block, and one block of
``C`` codecs over ``n`` items costs ``O(C^2 n)`` (rows in chunks), so a board
of 2,000 submissions ranks in well under a second.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

SEED = 20250122  # the paper's publication date; any fixed number would do
N_BOOT = 1000
CONFIDENCE = 0.95
Z_975 = 1.959963984540054  # normal quantile at 1 - (1 - CONFIDENCE) / 2
MIN_SHARED = 2  # items two codecs must share to be told apart
_CHUNK = 512  # rows of the pairwise matrices at a time (bounded memory at 2,000 codecs)


@dataclass(frozen=True)
class ItemRatios:
    """The ok per-item ratios of one record: ids (sorted, unique) and values aligned with them."""

    ids: tuple[str, ...]
    values: np.ndarray

    @classmethod
    def of(cls, item_ids: Sequence[str], ratios: Sequence[float] | np.ndarray) -> ItemRatios:
        ids = np.asarray([str(i) for i in item_ids], dtype=object)
        vals = np.asarray(ratios, dtype=float)
        keep = np.isfinite(vals)
        ids, vals = ids[keep][::-1], vals[keep][::-1]  # reversed: np.unique keeps the first, we want the last
        uniq, first = np.unique(ids, return_index=True) if len(ids) else (ids, np.zeros(0, dtype=int))
        return cls(tuple(uniq.tolist()), vals[first])

    @classmethod
    def from_items(cls, items: pd.DataFrame) -> ItemRatios:
        """From a record's items table (rows with status ``ok`` and a ratio)."""
        if items.empty or "ratio" not in items.columns:
            return cls((), np.empty(0))
        ok = items[items["status"] == "ok"] if "status" in items.columns else items
        return cls.of(list(ok["item_id"]), ok["ratio"].to_numpy(dtype=float))


@dataclass(frozen=True)
class Comparison:
    """Paired comparison of ``b`` against ``a`` on their shared items."""

    n_shared: int
    mean_a: float | None
    mean_b: float | None
    diff: float | None  # mean_b - mean_a
    low: float | None  # 95 % interval of the difference (normal bootstrap)
    high: float | None

    @property
    def verdict(self) -> str:
        """``better`` (b significantly above a), ``worse``, or ``tied`` (not significant, or too few items)."""
        if self.diff is None or self.low is None or self.high is None or self.n_shared < MIN_SHARED:
            return "tied"
        if self.low > 0:
            return "better"
        if self.high < 0:
            return "worse"
        return "tied"


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
def _weight_cov(ids: tuple[str, ...]) -> np.ndarray:
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


def compare(a: ItemRatios, b: ItemRatios) -> Comparison:
    """Paired bootstrap of ``b`` minus ``a`` on the items both have."""
    shared = tuple(sorted(set(a.ids) & set(b.ids)))
    if not shared:
        return Comparison(0, None, None, None, None, None)
    va = pd.Series(a.values, index=a.ids).loc[list(shared)].to_numpy()
    vb = pd.Series(b.values, index=b.ids).loc[list(shared)].to_numpy()
    d = vb - va
    sd = float(np.sqrt(max(d @ _weight_cov(shared) @ d, 0.0)))
    diff = float(d.mean())
    return Comparison(len(shared), float(va.mean()), float(vb.mean()), diff, diff - Z_975 * sd, diff + Z_975 * sd)


def _better_counts(ra: np.ndarray, rb: np.ndarray, cov: np.ndarray, *, same: bool,
                   per_pair: bool = False) -> np.ndarray:
    """For each codec of block a: how many codecs of block b are significantly better (paired).

    ``per_pair``: the verdicts themselves (a x b booleans; for small ``a``) instead of their counts.
    """
    ma, mb = ra.mean(axis=1), rb.mean(axis=1)
    va = np.einsum("ij,jk,ik->i", ra, cov, ra)
    vb = np.einsum("ij,jk,ik->i", rb, cov, rb)
    if per_pair:
        var = np.maximum(va[:, None] + vb[None, :] - 2 * (ra @ (rb @ cov).T), 0.0)
        return (mb[None, :] - ma[:, None]) > Z_975 * np.sqrt(var)
    counts = np.zeros(len(ra), dtype=np.int64)
    rb_cov = rb @ cov  # C_b x n
    for start in range(0, len(ra), _CHUNK):
        sl = slice(start, start + _CHUNK)
        cab = ra[sl] @ rb_cov.T  # chunk x C_b
        var = np.maximum(va[sl, None] + vb[None, :] - 2 * cab, 0.0)
        diff = mb[None, :] - ma[sl, None]
        better = diff > Z_975 * np.sqrt(var)
        if same:  # a codec is never better than itself (diff 0 anyway; kept explicit)
            idx = np.arange(sl.start, min(sl.start + _CHUNK, len(ra)))
            better[np.arange(len(idx)), idx] = False
        counts[sl] = better.sum(axis=1)
    return counts


def paired_ranks(ratios: Mapping[str, ItemRatios]) -> pd.DataFrame:
    """Interval and tied rank of each codec (keys: any id, e.g. record keys) on one data label.

    Returns one row per key: ``key, n_items, mean, low, high, rank``. Keys
    with no items get empty numbers and no rank. See the module docstring
    for the exact rule.
    """
    keys = list(ratios)
    out = pd.DataFrame({"key": keys, "n_items": [len(ratios[k].ids) for k in keys]})
    blocks: dict[tuple[str, ...], list[int]] = {}
    for i, k in enumerate(keys):
        if ratios[k].ids:
            blocks.setdefault(ratios[k].ids, []).append(i)
    mean, low, high = (np.full(len(keys), np.nan) for _ in range(3))
    alpha = (1 - CONFIDENCE) / 2 * 100
    for ids, members in blocks.items():  # one matrix product and one percentile call per item set
        r = _matrix(ratios, keys, members, ids)
        means = resample_weights(ids) @ r.T  # N_BOOT x codecs
        mean[members] = r.mean(axis=1)
        low[members], high[members] = np.percentile(means, [alpha, 100 - alpha], axis=0)
    out["mean"], out["low"], out["high"] = mean, low, high
    better = np.zeros(len(keys), dtype=np.int64)
    block_list = list(blocks.items())
    for ia, (ids_a, members_a) in enumerate(block_list):
        for ids_b, members_b in block_list[ia:]:
            same = ids_a == ids_b
            shared = ids_a if same else tuple(sorted(set(ids_a) & set(ids_b)))
            if len(shared) < MIN_SHARED:
                continue
            cov = _weight_cov(shared)
            ra = _matrix(ratios, keys, members_a, shared)
            rb = ra if same else _matrix(ratios, keys, members_b, shared)
            better[members_a] += _better_counts(ra, rb, cov, same=same)
            if not same:
                better[members_b] += _better_counts(rb, ra, cov, same=False)
    ranked = out["n_items"].to_numpy() > 0
    out["rank"] = pd.array(np.where(ranked, 1 + better, 0), dtype="Int64")
    out.loc[~ranked, "rank"] = pd.NA
    return out


def _matrix(ratios: Mapping[str, ItemRatios], keys: list[str], members: list[int],
            shared: tuple[str, ...]) -> np.ndarray:
    """Codecs (rows) x shared items (columns) of ratios."""
    first = ratios[keys[members[0]]]
    if first.ids == shared:
        return np.vstack([ratios[keys[m]].values for m in members])
    pos = pd.Index(first.ids).get_indexer(list(shared))  # every member of a block has the same ids
    return np.vstack([ratios[keys[m]].values[pos] for m in members])


def versus(one: ItemRatios, others: Sequence[ItemRatios]) -> tuple[np.ndarray, np.ndarray]:
    """Paired verdicts of one codec against each of ``others`` (the rule of :func:`paired_ranks`).

    Returns ``(one_better, other_better)``: boolean arrays over ``others``,
    True where ``one`` is significantly better than that codec, and where that
    codec is significantly better than ``one``. What a board needs to update
    its ranks when one codec comes or goes, without re-comparing every pair.
    """
    one_better = np.zeros(len(others), dtype=bool)
    other_better = np.zeros(len(others), dtype=bool)
    if not one.ids:
        return one_better, other_better
    blocks: dict[tuple[str, ...], list[int]] = {}
    for i, r in enumerate(others):
        if r.ids:
            blocks.setdefault(r.ids, []).append(i)
    keys = [str(i) for i in range(len(others))]
    by_key = dict(zip(keys, others))
    for ids, members in blocks.items():
        shared = ids if ids == one.ids else tuple(sorted(set(ids) & set(one.ids)))
        if len(shared) < MIN_SHARED:
            continue
        cov = _weight_cov(shared)
        rb = _matrix(by_key, keys, members, shared)
        ra = _matrix({"one": one}, ["one"], [0], shared)
        other_better[members] = _better_counts(ra, rb, cov, same=False, per_pair=True)[0]
        one_better[members] = _better_counts(rb, ra, cov, same=False, per_pair=True)[:, 0]
    return one_better, other_better
