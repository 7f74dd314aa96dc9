"""The labels every record row carries: what data it was measured on, the method kind, the encode seconds.

Computed once per record when its row is built (``leaderboard.data.record_rows``); the tables
filter and group by them (``leaderboard.views.tables.with_labels``).
"""

from __future__ import annotations

import pandas as pd

from baselines.catalog import ARCHIVE_SUBMISSIONS
from leaderboard.data.data_views import plain_split


def data_label(split: str, synthetic: bool, provenance: str) -> str:
    """What data a number was measured on, in words (``leaderboard.data.data_views.plain_split``)."""
    return plain_split(split, bool(synthetic))


LABEL_COLUMNS: tuple[str, ...] = ("data", "kind", "data_kind", "encode_s")  # what ``with_labels`` adds


def row_labels(split: str, synthetic: bool, provenance: str, neural: bool, submission: str,
               encode_s_median: float | None, encode_s_mean: float | None) -> dict[str, object]:
    """The ``LABEL_COLUMNS`` of one record: its data label, method kind, data kind and encode seconds
    (paper runtimes are a mean, Table 3; measured ones a median)."""
    return {"data": data_label(split, bool(synthetic), provenance),
            "kind": "neural" if neural else "archive" if submission in ARCHIVE_SUBMISSIONS else "classical",
            "data_kind": "synthetic" if synthetic else "real",
            "encode_s": encode_s_median if encode_s_median is not None and not pd.isna(encode_s_median)
            else encode_s_mean}
