"""The near-lossless table the README's main command prints: ratio against the bound, beside the science errors.

One table per paper track: a row per codec and bound (δ = 0 is the codec's lossless record on the track
itself, then δ = 1, 2, 4 and ⌊σ/2⌋ from the near-lossless variants), with the mean ratio and the error
statistics every item was measured with (``evaluator.core.schema`` metric table: RMS error, bias, fraction of
pixels changed, the injected stars' aperture-flux change over their Poisson noise). Rows at different
bounds are listed, never ranked together. Narrow enough for an 80-column terminal.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table

from evaluator.core.schema import TrackSummary, metric
from evaluator.core.tracks import ALL_TRACKS, ERROR_BOUNDS, LOSSLESS, NEAR_LOSSLESS_TRACKS

# (summary field, column title): titles short enough for 80 columns; the caption says what each is.
ERROR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("err_rms", "rms"), ("err_mean", "bias"), ("changed_frac", "chg"),
    ("flux_dev_median", "dF/\u03c3\nmed"), ("flux_dev_worst", "dF/\u03c3\nmax"),
)


def _cell(summary: TrackSummary, name: str) -> str:
    value = summary.value(name)
    return "-" if value is None else format(value, metric(name).cli_format)


def _bound(summary: TrackSummary, delta: int | None) -> str:
    if delta is not None:
        return str(delta)
    lo, hi = summary.bound_min, summary.bound_max
    return "\u230a\u03c3/2\u230b" + ("" if lo is None else f" {lo}" if lo == hi else f" {lo}-{hi}")


def near_lossless_tables(records: list[Any], name_of: dict[str, str]) -> list[Table]:
    """One table per paper track with near-lossless records; ``name_of``: submission -> short codec name."""
    by_key = {(r.track, r.submission): r for r in records}
    subs = list(dict.fromkeys(r.submission for r in records if r.track in NEAR_LOSSLESS_TRACKS))
    tracks = list(dict.fromkeys(str(ALL_TRACKS[r.track].lossless_track) for r in records
                                if r.track in NEAR_LOSSLESS_TRACKS))
    tables = []
    for base in tracks:
        table = Table(title=f"{ALL_TRACKS[base].title}: ratio against the per-pixel bound \u03b4 (ADU)",
                      caption="rms, bias: decoded - original (ADU); chg: fraction of pixels changed; "
                              "dF/\u03c3: injected "
                              "stars' aperture-flux change over its Poisson noise (median, worst; synthetic data)",
                      padding=(0, 1))
        table.add_column("codec", no_wrap=True)
        table.add_column("\u03b4", no_wrap=True)
        table.add_column("ratio", justify="right")
        for _, title in ERROR_COLUMNS:
            table.add_column(title, justify="right")
        for sub in subs:
            for bound in (LOSSLESS, *ERROR_BOUNDS):
                rec = by_key.get((base + bound.suffix, sub))
                if rec is None:
                    continue
                label = _bound(rec.summary, bound.delta)
                if rec.status != "ok":
                    table.add_row(name_of.get(sub, sub), label, f"[red]{rec.failure.kind}[/red]",
                                  *("" for _ in ERROR_COLUMNS))
                    continue
                cells = [_cell(rec.summary, n) if bound.delta != 0 else "0" for n, _ in ERROR_COLUMNS]
                table.add_row(name_of.get(sub, sub), label, f"{rec.summary.ratio_mean:.2f}", *cells)
            table.add_section()
        tables.append(table)
    return tables
