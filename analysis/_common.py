"""Shared input-cleaning helpers (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def drop_missing(values: Any) -> pd.Series:
    """Return a new Series of ``values`` with NaN / None / pd.NA removed.

    The input is never modified; the result has a fresh RangeIndex.
    """
    s = pd.Series(values, copy=True)
    if s.ndim != 1:
        raise ValueError("expected a one-dimensional array-like")
    return s.dropna().reset_index(drop=True)


def to_float_array(values: Any) -> np.ndarray:
    """Drop missing values and return a 1-D float64 numpy array (a copy)."""
    s = drop_missing(values)
    try:
        return np.asarray(s.astype("float64"), dtype=np.float64).copy()
    except (TypeError, ValueError) as exc:
        raise TypeError("values must be numeric (or bool) apart from missing values") from exc


def to_binary_array(values: Any) -> np.ndarray:
    """Drop missing values and return a 0/1 float array; raise on other codes."""
    arr = to_float_array(values)
    if not np.isin(arr, (0.0, 1.0)).all():
        raise ValueError("binary variable must only contain 0/1 (or bool) and missing values")
    return arr


def require_nonempty(name: str, arr: Any) -> None:
    """Raise ValueError when a group has no non-missing observations.

    The two-group comparisons in ``proportions`` and ``means`` no longer use this: they
    return a row with NaN statistics and a ``note`` (:func:`not_computable_note`).
    """
    if len(arr) == 0:
        raise ValueError(f"{name} has no non-missing observations")


def not_computable_note(n_treated: int, n_control: int, minimum: int = 1) -> str:
    """The ``note`` of a comparison: ``""`` or ``"not computable (n = k)"``.

    Parameters
    ----------
    n_treated, n_control : int
        Non-missing observations per group.
    minimum : int, default 1
        Observations each group needs for the test (2 for a t-test).

    Returns
    -------
    str
        ``"not computable (n = k)"`` with ``k`` the smaller group's n when that is below
        ``minimum``, else ``""``. The comparison then returns its usual row with NaN
        statistics instead of raising, so one empty group (a unit without control
        respondents, an item nobody answered) does not stop a whole results table.
    """
    k = min(n_treated, n_control)
    return f"not computable (n = {k})" if k < minimum else ""
