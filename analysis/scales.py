"""Scale construction and internal consistency for Likert-type items.

Inputs are never modified; missing values are NaN / None / pd.NA.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["reverse_code", "score_scale", "cronbach_alpha"]

CRONBACH_COLUMNS = ["n", "k", "cronbach_alpha", "ci_low", "ci_high"]


def _as_float(obj: Any) -> Any:
    """Copy ``obj`` to float64 (pd.NA -> NaN), keeping Series/DataFrame labels."""
    if isinstance(obj, (pd.Series, pd.DataFrame)):
        return obj.astype("Float64").astype("float64")
    return (
        pd.Series(np.asarray(obj, dtype=object).ravel())
        .astype("Float64")
        .to_numpy(dtype=np.float64, na_value=np.nan)
        .reshape(np.shape(obj))
    )


def reverse_code(values: Any, minimum: float, maximum: float) -> Any:
    """Reverse-code item scores: ``maximum + minimum - value``.

    Parameters
    ----------
    values : Series, DataFrame or array-like
        Item scores; missing values stay missing (returned as NaN).
    minimum, maximum : float
        Lowest and highest possible answer code (e.g. 1 and 5).

    Returns
    -------
    Series, DataFrame or numpy.ndarray
        Same shape (and index/columns for pandas input), dtype float64.

    Raises
    ------
    ValueError
        If ``minimum >= maximum`` or a non-missing value lies outside the range.
    """
    if not minimum < maximum:
        raise ValueError("minimum must be smaller than maximum")
    x = _as_float(values)
    arr = np.asarray(x, dtype=np.float64)
    observed = arr[~np.isnan(arr)]
    if ((observed < minimum) | (observed > maximum)).any():
        raise ValueError(f"values outside [{minimum}, {maximum}]")
    return maximum + minimum - x


def score_scale(items: pd.DataFrame, *, min_items: int) -> pd.Series:
    """Scale score per row: the mean of the answered items.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item (already reverse-coded where needed), one row per person.
    min_items : int
        Minimum number of answered items; rows with fewer get NaN.

    Returns
    -------
    pandas.Series
        float64, same index as ``items``.
    """
    k = items.shape[1]
    if not 1 <= min_items <= k:
        raise ValueError(f"min_items must be between 1 and the number of items ({k})")
    x = _as_float(items)
    answered = x.notna().sum(axis=1)
    return x.mean(axis=1, skipna=True).where(answered >= min_items)


def cronbach_alpha(items: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Cronbach's coefficient alpha with Feldt's F-based confidence interval.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item, one row per person. Rows with any missing item are
        dropped (complete cases).
    alpha : float, default 0.05
        The interval has level ``1 - alpha`` (not to be confused with the coefficient).

    Returns
    -------
    pandas.DataFrame
        One row: ``n`` (complete cases), ``k`` (items), ``cronbach_alpha``,
        ``ci_low``, ``ci_high``.

    Notes
    -----
    With item variances ``s_i²`` and total-score variance ``s_T²`` (ddof=1)::

        alpha_hat = k / (k - 1) * (1 - sum(s_i²) / s_T²)

    Feldt (1965) interval, ``F ~ F(n - 1, (n - 1)(k - 1))``::

        low  = 1 - (1 - alpha_hat) * F.ppf(1 - alpha/2)
        high = 1 - (1 - alpha_hat) * F.ppf(alpha/2)

    Alpha equals the consistency ICC(3, k) of Shrout & Fleiss (1979). Needs k >= 2
    and n >= 2 (else ValueError); a zero total variance gives NaN.

    References
    ----------
    Cronbach LJ (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika 16:297-334.
    Feldt LS (1965). The approximate sampling distribution of Kuder-Richardson
    reliability coefficient twenty. Psychometrika 30:357-370.
    """
    from scipy import stats  # heavy: imported only when alpha is computed (not by derive)

    k = items.shape[1]
    x = _as_float(items).dropna(axis=0, how="any").to_numpy()
    n = x.shape[0]
    if k < 2 or n < 2:
        raise ValueError("need at least 2 items and 2 complete cases")
    total_var = x.sum(axis=1).var(ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        a_hat = k / (k - 1) * (1.0 - x.var(axis=0, ddof=1).sum() / total_var)
    f = stats.f(n - 1, (n - 1) * (k - 1))
    row = {
        "n": n, "k": k, "cronbach_alpha": float(a_hat),
        "ci_low": float(1.0 - (1.0 - a_hat) * f.ppf(1.0 - alpha / 2.0)),
        "ci_high": float(1.0 - (1.0 - a_hat) * f.ppf(alpha / 2.0)),
    }  # fmt: skip
    return pd.DataFrame([row], columns=CRONBACH_COLUMNS)
