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
    """Raise ValueError when a group has no non-missing observations."""
    if len(arr) == 0:
        raise ValueError(f"{name} has no non-missing observations")
