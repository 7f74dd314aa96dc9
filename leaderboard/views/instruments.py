"""Daily raw data volume of a few instruments, each with its source (the cost columns' one table).

A figure the source gives as a range keeps the range (``low``..``high``);
``estimate`` says plainly when a figure is not a measured daily volume (a
pre-launch projection, a capacity, or a yearly total divided by 365). Where
the AstroCompress paper gives a figure, it is the paper's.
"""

from __future__ import annotations

from dataclasses import dataclass

from evaluator.sdk.named_table import NamedTable

PAPER = ("Truong, Sudharsan et al., \"AstroCompress: A benchmark dataset for multi-purpose compression of "
         "astronomical imagery\", ICLR 2025, arXiv:2506.08306")


@dataclass(frozen=True)
class Instrument:
    name: str  # identifier
    title: str
    low_gb_per_day: float  # raw GB (1e9 bytes) per day
    high_gb_per_day: float
    estimate: bool  # True: not a measured daily volume (see ``note``)
    source: str  # citation
    url: str
    note: str  # what the figure is, in words

    @property
    def gb_per_day(self) -> float:
        """The middle of the range (what the cost columns use)."""
        return (self.low_gb_per_day + self.high_gb_per_day) / 2

    @property
    def volume_text(self) -> str:
        lo, hi = self.low_gb_per_day, self.high_gb_per_day
        return f"{lo:,.0f} GB/day" if lo == hi else f"{lo:,.0f}-{hi:,.0f} GB/day"


INSTRUMENT_TABLE: tuple[Instrument, ...] = (
    Instrument("hubble", "Hubble", 15.0, 30.0, False, f"{PAPER}, Sec. 4.6 (citing NASA, 2014)",
               "https://arxiv.org/abs/2506.08306",
               "the paper: \"Hubble collects 15-30 GB of data per day\"; STScI's 2024 newsletter (below) gives "
               "an average of 2.7 GB/day sent to the ground, so this is the upper end"),
    Instrument("jwst", "JWST", 57.2, 57.2, True, "STScI, JWST User Documentation, \"JWST Solid State Recorder\"",
               "https://jwst-docs.stsci.edu/jwst-observatory-hardware/jwst-solid-state-recorder",
               "a capacity, not a measured volume: two 4-hour contacts a day, each transmitting at least 28.6 GB of "
               "recorded science data (STScI's 2024 newsletter: about 58 GB/day on average)"),
    Instrument("keck", "Keck", 11.0, 11.0, True,
               "Berriman et al., \"The Design and Operation of The Keck Observatory Archive\", SPIE 2014, "
               "arXiv:1408.0835", "https://arxiv.org/abs/1408.0835",
               "an estimate: the archive's anticipated ingest of 4 TB per year (all instruments, raw and "
               "reduced products) divided by 365"),
    Instrument("roman", "Roman", 1375.0, 1375.0, True,
               "STScI Newsletter 2024, Vol. 41, Issue 02, \"Preparing for Roman as a Big Data Survey Mission\"",
               "https://www.stsci.edu/contents/newsletters/2024-volume-41-issue-02/"
               "preparing-for-roman-as-a-big-data-survey-mission",
               "a pre-launch estimate of the average daily volume (Roman launches in 2026-2027); the paper's "
               "introduction cites NASA's 2024 audit (OIG IG-24-014) for its \"unprecedented\" data scale but "
               "gives no daily figure"),
    Instrument("rubin", "Rubin (per night)", 20000.0, 30000.0, False, f"{PAPER}, Sec. 1 (citing Kahn et al., 2010)",
               "https://arxiv.org/abs/2506.08306",
               "the paper: \"20-30 TB of raw imaging data per night with 5-second integrations\""),
)

INSTRUMENTS: NamedTable[Instrument] = NamedTable("instrument", INSTRUMENT_TABLE)


def sources_markdown() -> str:
    """The table's sources as Markdown (shown under the cost table)."""
    head = ("**Daily raw volumes used by the cost columns** (middle of a range; *estimate* = not a measured "
            "daily volume):")
    lines = [head]
    for ins in INSTRUMENT_TABLE:
        flag = " *estimate*" if ins.estimate else ""
        lines.append(f"- **{ins.title}**: {ins.volume_text}{flag}. {ins.note}. Source: {ins.source}, <{ins.url}>")
    return "\n".join(lines)
