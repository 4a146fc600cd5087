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


def as_treatment(values: Any, name: str = "treatment") -> np.ndarray:
    """A treatment indicator as a float array of 0.0 / 1.0 (NaN where missing).

    Accepted codings, checked on the non-missing values:

    - numbers 0 and 1 (any numeric dtype, nullable ones included) and booleans
      (False = 0, True = 1);
    - text that reads as the numbers 0 and 1 (``"0"``, ``"1"``, ``"1.0"``, surrounding
      blanks ignored), as an export of a 0/1 column stored as text gives;
    - a two-level pandas Categorical: its first declared category is the control (0),
      the second the treated (1). A Categorical states which level is which; plain text
      such as ``"ja"`` / ``"nee"`` does not, so it is refused rather than guessed.

    Anything else (three levels, a one-level Categorical column, text that is not 0/1)
    raises ValueError naming the column and the values found. The input is not modified.
    """
    s = pd.Series(values, copy=False)
    if s.ndim != 1:
        raise ValueError(f"{name!r} must be one-dimensional")
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = list(s.cat.categories)
        if len(cats) != 2:
            raise ValueError(
                f"treatment {name!r}: a Categorical treatment needs exactly two categories "
                f"(first = control, second = treated), got {cats}")
        return np.where(s.isna(), np.nan, s.cat.codes.to_numpy()).astype("float64")
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        observed = s.dropna()
        text = observed.astype(str).str.strip()
        numeric = pd.to_numeric(text, errors="coerce")
        bools = observed.map(lambda v: isinstance(v, (bool, np.bool_)))
        numeric = numeric.where(~bools, observed.where(bools).astype("float64"))
        if numeric.isna().any() or not numeric.isin((0.0, 1.0)).all():
            found = sorted(map(str, observed.unique()))[:6]
            raise ValueError(
                f"treatment {name!r} must be coded 0/1 (numbers, booleans, text '0'/'1' or "
                f"a two-level Categorical: first category = control); found {found}")
        out = np.full(len(s), np.nan)
        out[s.notna().to_numpy()] = numeric.to_numpy(dtype="float64")
        return out
    try:
        arr = s.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"treatment {name!r} must be coded 0/1") from exc
    ok = ~np.isnan(arr)
    if not np.isin(arr[ok], (0.0, 1.0)).all():
        found = sorted(np.unique(arr[ok]).tolist())[:6]
        raise ValueError(
            f"treatment {name!r} must be coded 0/1 (numbers, booleans, text '0'/'1' or a "
            f"two-level Categorical: first category = control); found {found}")
    return arr
