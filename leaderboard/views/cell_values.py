"""Typed reads of one table cell: the values of a ``dict[str, object]`` row from a results frame.

A cell holds whatever its column held (a float, an int, a string, None, NaN, ``pd.NA``, ``NaT``);
these functions say whether it is missing and read it as a number, so the table builders need no casts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, SupportsFloat, cast

import pandas as pd

if TYPE_CHECKING:
    from pandas._typing import Scalar


def is_missing(value: object) -> bool:
    """``pd.isna`` of one cell: None, NaN, ``pd.NA`` or ``NaT`` (a list or array is not a missing cell)."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(cast("Scalar", value))))


def cell_number(value: object) -> float | None:
    """A cell as a float; None when it is missing. Raises TypeError/ValueError for a cell that is no number."""
    if is_missing(value):
        return None
    if isinstance(value, str):
        return float(value)
    if isinstance(value, SupportsFloat):  # Python and numpy numbers
        return float(value)
    raise TypeError(f"table cell {value!r} is not a number")


def cell_int(value: object) -> int | None:
    """A cell (a rank, a count) as an int; None when it is missing."""
    number = cell_number(value)
    return None if number is None else int(number)
