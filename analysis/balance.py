"""Covariate balance diagnostics between a treated and a control group.

Conventions follow R's ``cobalt``: the numerator is the (optionally weighted)
difference in means, the denominator is always computed from the UNWEIGHTED samples.
Missing values are dropped per variable; inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from statsmodels.stats.weightstats import DescrStatsW

from analysis._common import drop_missing, require_nonempty, to_float_array

__all__ = ["standardized_mean_difference", "smd_categorical", "variance_ratio"]

SMD_CATEGORICAL_COLUMNS = ["category", "p_treated", "p_control", "smd"]


def _values_and_weights(values: Any, weights: Any | None) -> tuple[np.ndarray, np.ndarray]:
    """Drop rows where the value (or its weight) is missing; unit weights if None."""
    if weights is None:
        x = to_float_array(values)
        return x, np.ones_like(x)
    v = pd.Series(values, copy=True).reset_index(drop=True)
    w = pd.Series(weights, copy=True).reset_index(drop=True)
    if len(v) != len(w):
        raise ValueError("values and weights must have the same length")
    frame = pd.DataFrame({"x": v, "w": w}).dropna()
    x = frame["x"].astype("float64").to_numpy()
    wt = frame["w"].astype("float64").to_numpy()
    if (wt < 0).any() or wt.sum() <= 0:
        raise ValueError("weights must be non-negative with a positive sum")
    return x, wt


def _binary_variance(x: np.ndarray) -> float:
    p = x.mean()
    return float(p * (1.0 - p))


def standardized_mean_difference(
    treated: Any,
    control: Any,
    *,
    kind: Literal["continuous", "binary"],
    weights_treated: Any | None = None,
    weights_control: Any | None = None,
    estimand: Literal["ATE", "ATT", "ATC"] = "ATE",
) -> float:
    """Standardized mean difference (treated minus control) of one covariate.

    Parameters
    ----------
    treated, control : array-like
        Covariate values; for ``kind="binary"`` only 0/1 (or bool). Missing values (and
        rows whose weight is missing) are dropped.
    kind : {"continuous", "binary"}
        Scale of the covariate (determines the variance used in the denominator).
    weights_treated, weights_control : array-like, optional
        Balancing weights, aligned by position with the values; only the numerator
        (the weighted means / proportions) uses them.
    estimand : {"ATE", "ATT", "ATC"}, default "ATE"
        Which standard deviation standardizes the difference.

    Returns
    -------
    float
        ``(m1_w - m0_w) / s``; 0/0 gives NaN and a non-zero difference over a zero SD
        gives ±inf.

    Notes
    -----
    With unweighted variances ``v1, v0`` (continuous: sample variance, ddof=1;
    binary: ``p(1 - p)`` of the unweighted proportion)::

        ATE: s = sqrt((v1 + v0) / 2)     ATT: s = sqrt(v1)     ATC: s = sqrt(v0)

    This is cobalt's ``s.d.denom`` convention ("pooled" for ATE, "treated" for ATT).
    Weighted means use ``statsmodels.stats.weightstats.DescrStatsW``.

    References
    ----------
    Austin PC (2009). Balance diagnostics for comparing the distribution of baseline
    covariates between treatment groups in propensity-score matched samples.
    Statistics in Medicine 28:3083-3107.
    Greifer N. cobalt: Covariate Balance Tables and Plots (R package), ``bal.tab``.
    """
    if kind not in ("continuous", "binary"):
        raise ValueError("kind must be 'continuous' or 'binary'")
    if estimand not in ("ATE", "ATT", "ATC"):
        raise ValueError("estimand must be 'ATE', 'ATT' or 'ATC'")
    x1, w1 = _values_and_weights(treated, weights_treated)
    x0, w0 = _values_and_weights(control, weights_control)
    require_nonempty("treated", x1)
    require_nonempty("control", x0)
    if kind == "binary":
        if not (np.isin(x1, (0.0, 1.0)).all() and np.isin(x0, (0.0, 1.0)).all()):
            raise ValueError("binary covariate must only contain 0/1 (or bool)")
        v1, v0 = _binary_variance(x1), _binary_variance(x0)
    else:
        if len(x1) < 2 or len(x0) < 2:
            raise ValueError("continuous SMD needs at least two observations per group")
        v1, v0 = float(x1.var(ddof=1)), float(x0.var(ddof=1))
    var = {"ATE": (v1 + v0) / 2.0, "ATT": v1, "ATC": v0}[estimand]
    diff = DescrStatsW(x1, weights=w1).mean - DescrStatsW(x0, weights=w0).mean
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(diff) / np.sqrt(var))


def smd_categorical(
    treated: Any,
    control: Any,
    categories: Sequence[Any],
    *,
    estimand: Literal["ATE", "ATT", "ATC"] = "ATE",
) -> pd.DataFrame:
    """Per-level standardized differences of a categorical covariate.

    Parameters
    ----------
    treated, control : array-like
        Category codes; missing values are dropped; codes not in ``categories`` raise.
    categories : sequence
        All levels, in reporting order.
    estimand : {"ATE", "ATT", "ATC"}, default "ATE"
        Passed to :func:`standardized_mean_difference`.

    Returns
    -------
    pandas.DataFrame
        One row per level: ``category, p_treated, p_control, smd``, where each level is
        treated as a binary indicator (``kind="binary"``).

    Notes
    -----
    The balance summary for the whole variable is the largest absolute level SMD,
    ``frame["smd"].abs().max()`` (NaN levels, i.e. absent from both groups, are
    skipped by pandas).
    """
    cats = list(categories)
    t, c = drop_missing(treated), drop_missing(control)
    for name, s in (("treated", t), ("control", c)):
        require_nonempty(name, s)
        if (~s.isin(cats)).any():
            raise ValueError(f"{name} has values not in categories")
    rows = []
    for cat in cats:
        it = (t == cat).astype("float64").to_numpy()
        ic = (c == cat).astype("float64").to_numpy()
        smd = standardized_mean_difference(it, ic, kind="binary", estimand=estimand)
        rows.append({"category": cat, "p_treated": float(it.mean()),
                     "p_control": float(ic.mean()), "smd": smd})  # fmt: skip
    return pd.DataFrame(rows, columns=SMD_CATEGORICAL_COLUMNS)


def variance_ratio(treated: Any, control: Any) -> float:
    """Ratio of sample variances (ddof=1), treated over control.

    Parameters
    ----------
    treated, control : array-like of float
        Missing values are dropped; each group needs at least two observations.

    Returns
    -------
    float
        ``var(treated) / var(control)``; a zero control variance gives inf (or NaN if
        both are zero). Values near 1 indicate balance (Rubin 2001: 0.5-2).

    References
    ----------
    Rubin DB (2001). Using propensity scores to help design observational studies.
    Health Services & Outcomes Research Methodology 2:169-188.
    """
    x1, x0 = to_float_array(treated), to_float_array(control)
    if len(x1) < 2 or len(x0) < 2:
        raise ValueError("variance ratio needs at least two observations per group")
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(x1.var(ddof=1)) / np.float64(x0.var(ddof=1)))
