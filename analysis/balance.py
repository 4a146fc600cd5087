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

from analysis._common import drop_missing, require_nonempty, to_float_array
from analysis._lazy import lazy_import

weightstats = lazy_import("statsmodels.stats.weightstats")

__all__ = ["standardized_mean_difference", "smd_categorical", "variance_ratio",
           "balance_table", "weighted_ks", "BALANCE_COLUMNS"]

BALANCE_COLUMNS = [
    "covariate", "level", "type", "n_treated", "n_control",
    "mean_treated", "mean_control", "mean_treated_w", "mean_control_w",
    "smd_unweighted", "smd_weighted", "vr_unweighted", "vr_weighted",
    "ks_unweighted", "ks_weighted", "balanced_smd", "balanced_vr",
]  # fmt: skip
#: |SMD| at or above this is "not balanced" (Austin 2009); variance ratios outside
#: VR_BOUNDS likewise (Rubin 2001).
SMD_THRESHOLD = 0.1
VR_BOUNDS = (0.5, 2.0)

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
    mean1 = weightstats.DescrStatsW(x1, weights=w1).mean
    diff = mean1 - weightstats.DescrStatsW(x0, weights=w0).mean
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


def weighted_ks(x1: np.ndarray, x0: np.ndarray, w1: np.ndarray | None = None,
                w0: np.ndarray | None = None) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between the two groups' (weighted)
    empirical distribution functions, ``max_x |F1(x) - F0(x)|`` (cobalt's ``ks.test``
    statistic with weights; without weights scipy's two-sample KS statistic)."""
    w1 = np.ones_like(x1) if w1 is None else w1
    w0 = np.ones_like(x0) if w0 is None else w0
    grid = np.unique(np.concatenate([x1, x0]))
    o1, o0 = np.argsort(x1, kind="stable"), np.argsort(x0, kind="stable")
    c1 = np.concatenate([[0.0], np.cumsum(w1[o1])]) / w1.sum()
    c0 = np.concatenate([[0.0], np.cumsum(w0[o0])]) / w0.sum()
    f1 = c1[np.searchsorted(x1[o1], grid, side="right")]
    f0 = c0[np.searchsorted(x0[o0], grid, side="right")]
    return float(np.abs(f1 - f0).max())


def _weighted_var(x: np.ndarray, w: np.ndarray) -> float:
    """Unbiased weighted variance with reliability weights (cobalt's ``col_w_sd``):
    ``sum(w) / (sum(w)^2 - sum(w^2)) * sum(w (x - m_w)^2)``."""
    m = np.average(x, weights=w)
    sw, sw2 = w.sum(), (w**2).sum()
    return float(sw / (sw**2 - sw2) * (w * (x - m) ** 2).sum())


def balance_table(
    frame: pd.DataFrame,
    covariates: Sequence[str],
    treated: Any,
    weights: Any,
    *,
    categorical: Sequence[str] = (),
) -> pd.DataFrame:
    """Covariate balance before and after weighting: SMD, variance ratio, KS.

    Parameters
    ----------
    frame : pandas.DataFrame
        Holds the covariates; not modified.
    covariates : sequence of str
        Columns to check (spline and other design terms included, as the models use
        them). A numeric column with only 0/1 values is "binary"; columns in
        ``categorical`` get one row per level; the rest are "continuous".
    treated : str or array-like
        Column name or indicator aligned with ``frame`` (0/1, booleans, text "0"/"1",
        two-level Categorical).
    weights : str or array-like of float
        Column name or weights aligned with ``frame`` (treated weights are used too).
    categorical : sequence of str, default ()
        Multi-category covariates.

    Returns
    -------
    pandas.DataFrame
        :data:`BALANCE_COLUMNS`; ``smd_*`` are Werktop (treated) minus control,
        ``vr_*`` treated over control (continuous only), ``ks_*`` the (weighted) KS
        statistic, ``balanced_smd`` ``|smd_weighted| < 0.1``, ``balanced_vr``
        ``0.5 < vr_weighted < 2`` (continuous only).

    Notes
    -----
    - ONE SMD definition, before and after weighting: the difference in (weighted) means,
      treated minus control, over the POOLED UNWEIGHTED SD ``sqrt((v1 + v0) / 2)``
      (cobalt's ``s.d.denom = "pooled"``; the same denominator as the baseline table),
      so the change after weighting reflects only the change in the mean difference.
      Binary variables and levels use ``p (1 - p)`` on the proportion scale, continuous
      ones the ddof=1 variance (:func:`standardized_mean_difference`, ``estimand="ATE"``).
    - Weighted variance ratios use the reliability-weights unbiased variance (cobalt).
    - Rows with a missing treatment or weight are excluded; covariate missing values
      are dropped per covariate.

    References
    ----------
    Austin PC (2009). Balance diagnostics for comparing the distribution of baseline
    covariates between treatment groups in propensity-score matched samples.
    Statistics in Medicine 28:3083-3107.
    Greifer N. cobalt: Covariate Balance Tables and Plots (R package), ``bal.tab``.
    """
    from analysis._common import as_treatment

    t = as_treatment(frame[treated] if isinstance(treated, str) else treated, "treated")
    w = np.asarray(pd.Series(frame[weights] if isinstance(weights, str) else weights)
                   .astype("float64"), dtype="float64")  # fmt: skip
    if len(t) != len(frame) or len(w) != len(frame):
        raise ValueError("treated and weights must be aligned with frame")
    base = ~np.isnan(t) & ~np.isnan(w)
    rows: list[dict[str, Any]] = []

    def add(name: str, level: Any, kind: str, x: np.ndarray) -> None:
        sel = base & ~np.isnan(x)
        i1, i0 = sel & (t == 1), sel & (t == 0)
        x1, x0, w1, w0 = x[i1], x[i0], w[i1], w[i0]
        smd_kind = "continuous" if kind == "continuous" else "binary"
        smd_u = standardized_mean_difference(x1, x0, kind=smd_kind, estimand="ATE")
        smd_w = standardized_mean_difference(x1, x0, kind=smd_kind, estimand="ATE",
                                             weights_treated=w1, weights_control=w0)  # fmt: skip
        vr_u = vr_w = np.nan
        if kind == "continuous":
            vr_u = variance_ratio(x1, x0)
            # numpy division: a control group without spread gives inf or NaN, not an error
            with np.errstate(divide="ignore", invalid="ignore"):
                vr_w = float(np.divide(_weighted_var(x1, w1), _weighted_var(x0, w0)))
        rows.append({
            "covariate": name, "level": level, "type": kind,
            "n_treated": int(i1.sum()), "n_control": int(i0.sum()),
            "mean_treated": float(x1.mean()), "mean_control": float(x0.mean()),
            "mean_treated_w": float(np.average(x1, weights=w1)),
            "mean_control_w": float(np.average(x0, weights=w0)),
            "smd_unweighted": smd_u, "smd_weighted": smd_w,
            "vr_unweighted": vr_u, "vr_weighted": vr_w,
            "ks_unweighted": weighted_ks(x1, x0), "ks_weighted": weighted_ks(x1, x0, w1, w0),
            "balanced_smd": bool(abs(smd_w) < SMD_THRESHOLD),
            "balanced_vr": (bool(VR_BOUNDS[0] < vr_w < VR_BOUNDS[1])
                            if kind == "continuous" else pd.NA),
        })  # fmt: skip

    from analysis.models import _levels

    for name in covariates:
        col = frame[name]
        if name in categorical:
            for lv in _levels(col):
                ind = np.where(col.isna(), np.nan, (col == lv).astype("float64"))
                add(name, lv, "categorical", ind)
            continue
        x = np.asarray(col.astype("float64"), dtype="float64")
        obs = x[~np.isnan(x)]
        kind = "binary" if np.isin(obs, (0.0, 1.0)).all() else "continuous"
        add(name, pd.NA, kind, x)
    out = pd.DataFrame(rows, columns=BALANCE_COLUMNS)
    out["balanced_vr"] = out["balanced_vr"].astype("boolean")
    return out
