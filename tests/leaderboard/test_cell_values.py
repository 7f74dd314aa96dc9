"""leaderboard.views.cell_values: one table cell read as missing / a number, whatever its column's type."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from leaderboard.views.cell_values import cell_int, cell_number, is_missing


@pytest.mark.parametrize("value", [None, float("nan"), np.float32("nan"), pd.NA, pd.NaT])
def test_every_kind_of_missing_cell_is_missing(value: object) -> None:
    assert is_missing(value)
    assert cell_number(value) is None and cell_int(value) is None


@pytest.mark.parametrize("value", [0, 0.0, "", "x", False, [float("nan")], np.array([np.nan])])
def test_present_cells_and_containers_are_not_missing(value: object) -> None:
    assert not is_missing(value)


@pytest.mark.parametrize(("value", "number"), [(2, 2.0), (2.5, 2.5), (np.int64(7), 7.0), (np.float32(0.25), 0.25),
                                               (True, 1.0), (np.bool_(True), 1.0), ("1.5", 1.5)])
def test_numbers_of_any_numeric_type_read_as_floats(value: object, number: float) -> None:
    got = cell_number(value)
    assert isinstance(got, float) and math.isclose(got, number)


def test_a_rank_reads_as_an_int() -> None:
    assert cell_int(3.0) == 3 and cell_int(np.float64(12.0)) == 12


def test_a_cell_that_is_no_number_raises_as_float_would() -> None:
    with pytest.raises(ValueError):
        cell_number("not a number")
    with pytest.raises(TypeError, match="is not a number"):
        cell_number({"a": 1})
