"""Ranks that say which differences are real (DESIGN.md "Measurement", "Uncertainty").

The bootstrap itself (seeded resamples, intervals) is ``leaderboard.data.bootstrap``;
this module turns it into verdicts and ranks. Everything is reproducible.

The rule (:data:`RANK_NOTE` says it in one line beside the rank column):

- **Interval** of a row: the 2.5 % and 97.5 % percentiles of the resampled
  mean ratio over its own ok items (a 95 % percentile bootstrap interval).
- **Verdict** "b is significantly better than a":

  * *paired*, when the two rows share at least :data:`MIN_PAIRED` items: on
    the shared items the same resamples are applied to both, the variance of
    the resampled mean difference is ``var_a + var_b - 2 cov_ab`` (computed
    exactly as ``r_a^T Σ r_b``, ``Σ`` the covariance of the resample weights),
    and b is better when its mean on the shared items exceeds a's by more
    than ``Z_975 * sd`` (a 95 % normal bootstrap interval of the difference
    that excludes 0);
  * *unpaired*, when they share fewer: each mean over the row's own items is
    bootstrapped independently (variance ``var_a + var_b``), and b is better
    when its mean exceeds a's by more than ``Z_975 * sd``. A row with fewer
    than :data:`MIN_ITEMS` items has no spread and is never told apart this way.

  With an ``sd`` of 0, any positive difference is significant.
- **Complete**: a row whose ok items cover every item of the group (the
  union of the items the rows of that data label list) and that has no
  failed item. Incomplete rows rank after every complete row.
- **Rank** = 1 + the number of rows significantly better among the rows of
  the same completeness, plus the number of complete rows for an incomplete
  row (the rule LMArena uses, with completeness as the first key).
  Differences that are not significant share a rank. Finally, among rows of
  the same completeness a row never ranks above a row with a higher mean: a
  rank is raised to the largest rank of the rows whose mean is at least as
  high (a row ranked strictly better never has a lower mean).

Vectorised: rows with the same item set form one block, and one block pair of
``C`` rows over ``n`` items costs ``O(C^2 n)`` (rows in chunks), so a board of
2,000 submissions ranks in well under a second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from leaderboard.data.bootstrap import (  # re-exported: the board's readers import ItemRatios from here
    CONFIDENCE,
    N_BOOT,  # noqa: F401
    SEED,  # noqa: F401
    Z_975,
    ItemRatios,
    mean_interval,  # noqa: F401
    mean_variances,
    resample_weights,
    weight_cov,
)

MIN_PAIRED = 10  # shared items from which two rows are compared paired; with fewer, unpaired
MIN_ITEMS = 2  # own items a row needs for an unpaired comparison (one item has no spread)
MIN_SHARED = 2  # items a paired comparison (``compare``) needs at all
_CHUNK = 512  # rows of the pairwise matrices at a time (bounded memory at 2,000 codecs)

RANK_NOTE = (f"Rank = 1 + rows significantly better (95 % bootstrap: paired on ≥ {MIN_PAIRED} shared items, "
             "else unpaired); rows with a missing or failed item are marked incomplete and ranked after complete ones.")
RANK_COLUMNS: tuple[str, ...] = ("key", "n_items", "mean", "low", "high", "rank", "complete", "expected", "better")


@dataclass(frozen=True)
class Comparison:
    """Paired comparison of ``b`` against ``a`` on their shared items (the CLI's significance table)."""

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


def compare(a: ItemRatios, b: ItemRatios) -> Comparison:
    """Paired bootstrap of ``b`` minus ``a`` on the items both have."""
    shared = tuple(sorted(set(a.ids) & set(b.ids)))
    if not shared:
        return Comparison(0, None, None, None, None, None)
    va = pd.Series(a.values, index=a.ids).loc[list(shared)].to_numpy()
    vb = pd.Series(b.values, index=b.ids).loc[list(shared)].to_numpy()
    d = vb - va
    sd = float(np.sqrt(max(d @ weight_cov(shared) @ d, 0.0)))
    diff = float(d.mean())
    return Comparison(len(shared), float(va.mean()), float(vb.mean()), diff, diff - Z_975 * sd, diff + Z_975 * sd)


def _significant(diff: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Where a mean difference (b - a) exceeds ``Z_975`` standard deviations."""
    return diff > Z_975 * np.sqrt(np.maximum(var, 0.0))


@dataclass(frozen=True)
class _Side:
    """The rows of one block, as a comparison needs them."""

    rows: np.ndarray  # ratios on the compared items (rows x items), or own means as a column for unpaired
    mean: np.ndarray
    var: np.ndarray
    tier: np.ndarray  # completeness (bool): only rows of the same tier count for each other's rank
    usable: np.ndarray  # rows that can be told apart at all


def _paired_side(r: np.ndarray, cov: np.ndarray, tier: np.ndarray) -> _Side:
    return _Side(r, r.mean(axis=1), np.einsum("ij,jk,ik->i", r, cov, r), tier, np.ones(len(r), dtype=bool))


def _unpaired_side(mean: np.ndarray, var: np.ndarray, n: np.ndarray, tier: np.ndarray) -> _Side:
    return _Side(np.empty((len(mean), 0)), mean, var, tier, n >= MIN_ITEMS)


def _better_matrix(a: _Side, b: _Side, sl: slice, cov: np.ndarray | None) -> np.ndarray:
    """``chunk x len(b)``: b significantly better than each row of ``a[sl]`` (paired when ``cov`` is given)."""
    var = a.var[sl, None] + b.var[None, :]
    if cov is not None:
        var = var - 2 * (a.rows[sl] @ (b.rows @ cov).T)
    better = _significant(b.mean[None, :] - a.mean[sl, None], var)
    return better & a.usable[sl, None] & b.usable[None, :]


def _better_counts(a: _Side, b: _Side, cov: np.ndarray | None, *, same: bool) -> np.ndarray:
    """For each row of ``a``: how many rows of ``b`` of its own tier are significantly better."""
    counts = np.zeros(len(a.mean), dtype=np.int64)
    for start in range(0, len(a.mean), _CHUNK):
        sl = slice(start, min(start + _CHUNK, len(a.mean)))
        better = _better_matrix(a, b, sl, cov) & (a.tier[sl, None] == b.tier[None, :])
        if same:  # a row is never better than itself (diff 0 anyway; kept explicit)
            better[np.arange(sl.stop - sl.start), np.arange(sl.start, sl.stop)] = False
        counts[sl] = better.sum(axis=1)
    return counts


def expected_items(ratios: Mapping[str, ItemRatios]) -> int:
    """The group's item count: the union of the items its rows list (ok ones; failed ones count per row)."""
    return len(set().union(*{r.ids for r in ratios.values()})) if ratios else 0


def is_complete(r: ItemRatios, expected: int) -> bool:
    """Every item of the group has an ok ratio, and none failed."""
    return bool(r.ids) and len(r.ids) >= expected and r.n_failed == 0


def paired_ranks(ratios: Mapping[str, ItemRatios]) -> pd.DataFrame:
    """Interval, completeness and rank of each row (keys: any id, e.g. record keys) on one data label.

    Returns one row per key: :data:`RANK_COLUMNS` (``better``: rows of the
    same completeness significantly better, what an incremental update
    adjusts). Keys with no items get empty numbers and no rank. The rule is
    the module docstring's.
    """
    keys = list(ratios)
    n_items = np.array([len(ratios[k].ids) for k in keys], dtype=np.int64)
    expected = expected_items(ratios)
    tier = np.array([is_complete(ratios[k], expected) for k in keys], dtype=bool)
    blocks: dict[tuple[str, ...], list[int]] = {}
    for i, k in enumerate(keys):
        if ratios[k].ids:
            blocks.setdefault(ratios[k].ids, []).append(i)
    mean, low, high, var = (np.full(len(keys), np.nan) for _ in range(4))
    alpha = (1 - CONFIDENCE) / 2 * 100
    for ids, members in blocks.items():  # one matrix product and one percentile call per item set
        r = _matrix(ratios, keys, members, ids)
        means = resample_weights(ids) @ r.T  # N_BOOT x rows
        mean[members] = r.mean(axis=1)
        low[members], high[members] = np.percentile(means, [alpha, 100 - alpha], axis=0)
        var[members] = mean_variances(r, ids)
    better = np.zeros(len(keys), dtype=np.int64)
    block_list = list(blocks.items())
    for ia, (ids_a, members_a) in enumerate(block_list):
        for ids_b, members_b in block_list[ia:]:
            same = ids_a == ids_b
            shared = ids_a if same else tuple(sorted(set(ids_a) & set(ids_b)))
            cov = weight_cov(shared) if len(shared) >= MIN_PAIRED else None

            def side(members: list[int], cov: np.ndarray | None = cov, shared: tuple[str, ...] = shared) -> _Side:
                if cov is not None:
                    return _paired_side(_matrix(ratios, keys, members, shared), cov, tier[members])
                return _unpaired_side(mean[members], var[members], n_items[members], tier[members])

            sa = side(members_a)
            sb = sa if same else side(members_b)
            better[members_a] += _better_counts(sa, sb, cov, same=same)
            if not same:
                better[members_b] += _better_counts(sb, sa, cov, same=False)
    out = pd.DataFrame({"key": keys, "n_items": n_items, "mean": mean, "low": low, "high": high})
    out["complete"], out["expected"], out["better"] = tier, expected, better
    return final_ranks(out)


def final_ranks(stats: pd.DataFrame) -> pd.DataFrame:
    """``stats`` (key, n_items, mean, complete, better, ...) with its ``rank``: completeness first, then
    1 + ``better``, then raised so that no row outranks a row of its tier with a higher mean."""
    out = stats.copy()
    ranked = out["n_items"].to_numpy() > 0
    tier = out["complete"].to_numpy(dtype=bool)
    raw = 1 + out["better"].to_numpy(dtype=np.int64) + np.where(tier, 0, int((tier & ranked).sum()))
    rank = np.zeros(len(out), dtype=np.int64)
    mean = out["mean"].to_numpy(dtype=float)
    for t in (True, False):
        idx = np.flatnonzero(ranked & (tier == t))
        if not len(idx):
            continue
        order = idx[np.argsort(-mean[idx], kind="stable")]
        lifted = np.maximum.accumulate(raw[order])
        ties = pd.Series(lifted).groupby(mean[order]).transform("max").to_numpy()  # equal means: equal rank
        rank[order] = ties
    out["rank"] = pd.array(rank, dtype="Int64")
    out.loc[~ranked, "rank"] = pd.NA
    return out[list(RANK_COLUMNS)]


def _matrix(ratios: Mapping[str, ItemRatios], keys: list[str], members: list[int],
            shared: tuple[str, ...]) -> np.ndarray:
    """Rows x shared items (columns) of ratios."""
    first = ratios[keys[members[0]]]
    if first.ids == shared:
        return np.vstack([ratios[keys[m]].values for m in members])
    pos = pd.Index(first.ids).get_indexer(pd.Index(shared))  # every member of a block has the same ids
    return np.vstack([ratios[keys[m]].values[pos] for m in members])


def versus(one: ItemRatios, others: Sequence[ItemRatios]) -> tuple[np.ndarray, np.ndarray]:
    """Verdicts of one row against each of ``others`` (the rule of :func:`paired_ranks`, tiers aside).

    Returns ``(one_better, other_better)``: boolean arrays over ``others``,
    True where ``one`` is significantly better than that row, and where that
    row is significantly better than ``one``. What a board needs to update
    its ranks when one row comes or goes, without re-comparing every pair.
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
    flat = np.ones(1, dtype=bool)
    own = _unpaired_side(one.values[None, :].mean(axis=1), mean_variances(one.values[None, :], one.ids),
                         np.array([len(one.ids)]), flat)
    for ids, members in blocks.items():
        shared = ids if ids == one.ids else tuple(sorted(set(ids) & set(one.ids)))
        cov: np.ndarray | None = None
        if len(shared) >= MIN_PAIRED:
            cov = weight_cov(shared)
            sa = _paired_side(_matrix({"one": one}, ["one"], [0], shared), cov, flat)
            sb = _paired_side(_matrix(by_key, keys, members, shared), cov, np.ones(len(members), dtype=bool))
        else:
            sa = own
            block = _matrix(by_key, keys, members, ids)
            sb = _unpaired_side(block.mean(axis=1), mean_variances(block, ids), np.full(len(members), len(ids)),
                                np.ones(len(members), dtype=bool))
        other_better[members] = _better_matrix(sa, sb, slice(0, 1), cov)[0]
        one_better[members] = _better_matrix(sb, sa, slice(0, len(members)), cov)[:, 0]
    return one_better, other_better

