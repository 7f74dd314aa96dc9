"""``challenge test``: is the codec significantly better than JPEG-XL (max) on each track?

The participant's per-item ratios (kept in an in-memory store during the
run) are compared with the JPEG-XL (max) baseline's records on the same data
label, by the leaderboard's paired bootstrap (``leaderboard.data.ranking``): the
same seeded resamples of the shared items for both codecs, a 95 % interval
of the difference of mean ratios.
"""

from __future__ import annotations

import uuid
from typing import Any

from rich import box
from rich.table import Table

from baselines.registry import BASELINES, baseline_submission
from evaluator.results.records import ResultRecord, ResultStore
from leaderboard.data.ranking import Comparison, ItemRatios, compare, mean_interval

REFERENCE = "jpegxl-max"  # the best classical codec of the paper
VERDICTS = {"better": "[green]significantly better[/]", "worse": "[red]significantly worse[/]",
            "tied": "[yellow]not significantly different[/]"}


def scratch_store() -> ResultStore:
    """An in-memory store for one ``challenge test`` run (keeps the per-item rows for the comparison)."""
    return ResultStore(f"memory://challenge-test-{uuid.uuid4().hex}")


def _reference(store: ResultStore, track: str, label: str, profile: str) -> tuple[ResultStore, Any] | None:
    recs = [r for r in store.find(submission=baseline_submission(REFERENCE), track=track)
            if r.split == label and r.status == "ok"]
    if not recs:
        return None
    recs.sort(key=lambda r: (r.profile != profile, r.created_at))  # same profile first (ratios do not depend on it)
    return store, recs[0]


def comparisons(records: list[ResultRecord], mine: ResultStore, baseline_store_url: str, label: str,
                profile: str) -> list[tuple[ResultRecord, Comparison]]:
    """Each ok record's paired comparison with JPEG-XL (max) on its track (records without a reference skipped)."""
    try:
        store = ResultStore(baseline_store_url)
    except Exception:  # noqa: BLE001  (no store: nothing to compare with)
        return []
    out = []
    for rec in records:
        if rec.status != "ok":
            continue
        try:
            ref = _reference(store, rec.track, label, profile)
        except Exception:  # noqa: BLE001  (an unreadable store only means no comparison)
            ref = None
        if ref is None:
            continue
        base = ItemRatios.from_items(ref[0].items(ref[1].key))
        own = ItemRatios.from_items(mine.items(rec.key))
        out.append((rec, compare(base, own)))
    return out


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def significance_table(rows: list[tuple[ResultRecord, Comparison]], mine: ResultStore) -> Table:
    ref = BASELINES[REFERENCE].title
    table = Table(title=f"paired bootstrap against {ref} (95 %, seeded; mean of per-item ratios)",
                  box=box.SIMPLE_HEAD, padding=(0, 1))
    for name in ("track", "yours [95 % interval]", ref, "difference [95 % interval]", "items", "verdict"):
        table.add_column(name, no_wrap=True)
    for rec, c in rows:
        mean, lo, hi = mean_interval(ItemRatios.from_items(mine.items(rec.key)))
        table.add_row(rec.track, f"{_num(mean, '.3f')} [{_num(lo, '.3f')}, {_num(hi, '.3f')}]",
                      _num(c.mean_a, ".3f"),
                      f"{_num(c.diff, '+.3f')} [{_num(c.low, '+.3f')}, {_num(c.high, '+.3f')}]",
                      str(c.n_shared), VERDICTS[c.verdict])
    return table
