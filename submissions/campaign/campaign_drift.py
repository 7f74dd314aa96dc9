"""Drift between two campaigns: sizes must match exactly, times are compared as ratios.

DESIGN.md "Results, queue, publishing": two campaigns over the same
(submission, track) pairs are compared item by item. A lossless codec run on
the same item by the same image must write the same number of bytes; any
difference is a *reproducibility failure* of that codec on that item
(nondeterministic encoder, a dependence on threads or CPU). Runtimes are
compared as per-item ratios B / A (median and the 10th-90th percentile spread)
and as the ratio of the track's mean times. The report is a table for the
terminal and a Markdown + JSON file under ``campaigns/drift/`` in the store.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from evaluator.results.records import safe_component, utcnow
from submissions.campaign.campaign_history import CampaignArchive


@dataclass
class SizeMismatch:
    item_id: str
    bytes_a: int
    bytes_b: int


@dataclass
class TimeRatio:
    """Per-item ratios B / A of one timing: median and the 10th-90th percentile spread."""

    median: float | None
    p10: float | None
    p90: float | None
    ratio_of_means: float | None  # mean time in B / mean time in A


@dataclass
class PairDrift:
    """One (submission, track) in both campaigns."""

    submission: str
    codec: str
    track: str
    items_compared: int
    items_only_in_one: int
    same_image: bool
    size_mismatches: list[SizeMismatch] = field(default_factory=list)
    encode: TimeRatio | None = None
    decode: TimeRatio | None = None
    status_a: str = ""
    status_b: str = ""

    @property
    def reproducible(self) -> bool:
        return not self.size_mismatches


@dataclass
class DriftReport:
    campaign_a: str
    campaign_b: str
    created_at: str
    pairs: list[PairDrift]
    only_in_a: list[str]  # "submission/track" without a counterpart
    only_in_b: list[str]

    @property
    def failures(self) -> list[PairDrift]:
        return [p for p in self.pairs if not p.reproducible]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reproducibility_failures"] = [f"{p.submission}/{p.track}" for p in self.failures]
        return d


def _quantile(values: list[float], q: float) -> float | None:
    return float(pd.Series(values).quantile(q)) if values else None


def _ratios(a: pd.Series, b: pd.Series) -> TimeRatio | None:
    both = pd.DataFrame({"a": pd.to_numeric(a, errors="coerce"), "b": pd.to_numeric(b, errors="coerce")}).dropna()
    both = both[both["a"] > 0]
    if both.empty:
        return None
    r = (both["b"] / both["a"]).tolist()
    return TimeRatio(statistics.median(r), _quantile(r, 0.1), _quantile(r, 0.9), float(both["b"].mean() /
                                                                                     both["a"].mean()))


def _pair(arch_a: CampaignArchive, arch_b: CampaignArchive, key: str) -> PairDrift:
    ra, rb = arch_a.records.read(key), arch_b.records.read(key)
    ia, ib = arch_a.records.items(key), arch_b.records.items(key)
    ia, ib = ia[ia["status"] == "ok"], ib[ib["status"] == "ok"]
    joined = ia.merge(ib, on="item_id", suffixes=("_a", "_b"))
    pairs = zip(joined["item_id"].tolist(), joined["compressed_bytes_a"].tolist(),
                joined["compressed_bytes_b"].tolist())
    mismatches = [SizeMismatch(str(item), int(a), int(b)) for item, a, b in pairs if int(a) != int(b)]
    only = len(set(ia["item_id"]) ^ set(ib["item_id"]))
    return PairDrift(
        submission=ra.submission, codec=ra.codec, track=ra.track, items_compared=len(joined),
        items_only_in_one=only, same_image=ra.image_digest == rb.image_digest, size_mismatches=mismatches,
        encode=_ratios(joined["encode_s_a"], joined["encode_s_b"]),
        decode=_ratios(joined["decode_s_a"], joined["decode_s_b"]), status_a=ra.status, status_b=rb.status,
    )


def compare_campaigns(arch_a: CampaignArchive, arch_b: CampaignArchive) -> DriftReport:
    """Item-by-item drift of every (submission, track, profile, split) both campaigns have a record of."""
    keys_a, keys_b = set(arch_a.records.keys()), set(arch_b.records.keys())
    pairs = [_pair(arch_a, arch_b, k) for k in sorted(keys_a & keys_b)]
    return DriftReport(arch_a.log.id, arch_b.log.id, utcnow(), pairs, sorted(keys_a - keys_b),
                       sorted(keys_b - keys_a))


def _fmt(v: float | None, spec: str = ".3f") -> str:
    return "-" if v is None else format(v, spec)


def ratio_cell(t: TimeRatio | None) -> str:
    """``1.02 [0.97-1.10]`` (median ratio and its 10-90 % spread)."""
    return "-" if t is None else f"{_fmt(t.median)} [{_fmt(t.p10)}-{_fmt(t.p90)}]"


def to_markdown(report: DriftReport) -> str:
    lines = [f"# Drift: campaign {report.campaign_a} -> {report.campaign_b}", "",
             (f"Generated {report.created_at}. Sizes must be identical per item (a difference is a "
              "reproducibility failure); times are ratios B / A: per-item median [10th-90th percentile] "
              "and the ratio of the mean times."), "",
             ("| submission | codec | track | items | size drift | encode ratio | encode ratio of means "
              "| decode ratio | decode ratio of means |"),
             "|---|---|---|---|---|---|---|---|---|"]
    for p in report.pairs:
        drift = "none" if p.reproducible else f"**{len(p.size_mismatches)} items differ**"
        lines.append(f"| {p.submission} | {p.codec} | {p.track} | {p.items_compared} | {drift} | "
                     f"{ratio_cell(p.encode)} | {_fmt(p.encode.ratio_of_means if p.encode else None)} | "
                     f"{ratio_cell(p.decode)} | {_fmt(p.decode.ratio_of_means if p.decode else None)} |")
    if report.failures:
        lines += ["", "## Reproducibility failures", ""]
        for p in report.failures:
            for m in p.size_mismatches:
                lines.append(f"- {p.codec} ({p.submission}) on {p.track}, item {m.item_id}: "
                             f"{m.bytes_a} bytes in A, {m.bytes_b} in B")
    for name, keys in (("A", report.only_in_a), ("B", report.only_in_b)):
        if keys:
            lines += ["", f"Only in {name}: " + ", ".join(keys)]
    return "\n".join(lines) + "\n"


def write_report(arch: CampaignArchive, report: DriftReport) -> tuple[str, str]:
    """Write the report as Markdown and JSON under ``campaigns/drift/`` of ``arch``'s store; both paths."""
    base = f"{arch.dir.rsplit('/', 1)[0]}/drift/{safe_component(report.campaign_a)}__" \
           f"{safe_component(report.campaign_b)}"
    md, js = f"{base}.md", f"{base}.json"
    arch.put(md, to_markdown(report).encode())
    arch.put(js, json.dumps(report.to_dict(), indent=2, sort_keys=True).encode())
    return md, js
