"""Two-group comparisons of continuous / ordinal outcomes.

Missing values are dropped per group and the n used is reported. Inputs are never
modified.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis._common import not_computable_note, to_float_array
from analysis._lazy import lazy_import

stats = lazy_import("scipy.stats")

__all__ = ["compare_means", "compare_ranks"]

MEANS_COLUMNS = [
    "n_treated", "mean_treated", "sd_treated", "n_control", "mean_control", "sd_control",
    "test", "statistic", "dof", "p_val", "mean_difference", "md_ci_low", "md_ci_high",
    "hedges_g", "g_ci_low", "g_ci_high", "note",
]  # fmt: skip
RANKS_COLUMNS = [
    "n_treated", "median_treated", "n_control", "median_control",
    "test", "statistic", "p_val", "rank_biserial", "note",
]  # fmt: skip


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if len(x) else float("nan")


def _sd(x: np.ndarray) -> float:
    return float(x.std(ddof=1)) if len(x) >= 2 else float("nan")


def _hedges_g(t: np.ndarray, c: np.ndarray, alpha: float) -> tuple[float, float, float]:
    """Hedges' g and its normal-approximation CI (Borenstein et al. 2009, ch. 4)."""
    n1, n0 = len(t), len(c)
    df = n1 + n0 - 2
    s_pooled = np.sqrt(((n1 - 1) * t.var(ddof=1) + (n0 - 1) * c.var(ddof=1)) / df)
    d = (t.mean() - c.mean()) / s_pooled
    j = 1.0 - 3.0 / (4.0 * df - 1.0)
    var_d = (n1 + n0) / (n1 * n0) + d**2 / (2.0 * (n1 + n0))
    se_g = np.sqrt(j**2 * var_d)
    g = j * d
    z = stats.norm.ppf(1.0 - alpha / 2.0)
    return float(g), float(g - z * se_g), float(g + z * se_g)


def compare_means(treated: Any, control: Any, *, alpha: float = 0.05) -> pd.DataFrame:
    """Welch two-sample t-test, mean difference and Hedges' g (treated minus control).

    Parameters
    ----------
    treated, control : array-like of float
        Outcome per person; missing values are dropped per group.
    alpha : float, default 0.05
        Intervals have level ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        One row: ``n_treated, mean_treated, sd_treated, n_control, mean_control,
        sd_control, test, statistic, dof, p_val, mean_difference, md_ci_low,
        md_ci_high, hedges_g, g_ci_low, g_ci_high, note``. ``test`` is ``"welch_t"``;
        SDs use ddof=1; ``dof`` is the Welch-Satterthwaite degrees of freedom.

        ``note`` is ``""``, or ``"not computable (n = k)"`` when a group has fewer than
        two non-missing observations (``k`` is the smaller n): then ``test`` is
        ``"none"`` and every statistic, interval and effect size is NaN; the means (and
        the SD for n >= 2) of what there is are still reported.

    Notes
    -----
    ``statistic``, ``p_val`` and the mean-difference CI come from
    ``scipy.stats.ttest_ind(equal_var=False)`` and its ``confidence_interval``.

    Hedges' g (Borenstein et al. 2009, eqs. 4.18-4.24; Hedges & Olkin 1985)::

        s_p   = sqrt(((n1-1) s1² + (n0-1) s0²) / (n1 + n0 - 2))
        d     = (mean1 - mean0) / s_p
        J     = 1 - 3 / (4 (n1 + n0 - 2) - 1)
        V_d   = (n1 + n0) / (n1 n0) + d² / (2 (n1 + n0))
        g     = J d,   V_g = J² V_d,   CI = g ± z_{1-alpha/2} sqrt(V_g)

    (``statsmodels.stats.meta_analysis.effectsize_smd`` gives the same g but a
    different variance approximation, so the variance is written out here.)
    Each group needs at least two observations; otherwise the row is returned with NaN
    statistics and a ``note`` instead of an error.

    References
    ----------
    Borenstein M, Hedges LV, Higgins JPT, Rothstein HR (2009). Introduction to
    Meta-Analysis, ch. 4. Wiley.
    """
    t = to_float_array(treated)
    c = to_float_array(control)
    note = not_computable_note(len(t), len(c), minimum=2)
    if note:
        row = dict.fromkeys(MEANS_COLUMNS, float("nan"))
        row.update(
            n_treated=len(t), mean_treated=_mean(t), sd_treated=_sd(t),
            n_control=len(c), mean_control=_mean(c), sd_control=_sd(c),
            test="none", note=note,
        )  # fmt: skip
        return pd.DataFrame([row], columns=MEANS_COLUMNS)
    res = stats.ttest_ind(t, c, equal_var=False)
    ci = res.confidence_interval(confidence_level=1.0 - alpha)
    g, g_low, g_high = _hedges_g(t, c, alpha)
    row = {
        "n_treated": len(t), "mean_treated": float(t.mean()), "sd_treated": float(t.std(ddof=1)),
        "n_control": len(c), "mean_control": float(c.mean()), "sd_control": float(c.std(ddof=1)),
        "test": "welch_t", "statistic": float(res.statistic), "dof": float(res.df),
        "p_val": float(res.pvalue), "mean_difference": float(t.mean() - c.mean()),
        "md_ci_low": float(ci.low), "md_ci_high": float(ci.high),
        "hedges_g": g, "g_ci_low": g_low, "g_ci_high": g_high, "note": "",
    }  # fmt: skip
    return pd.DataFrame([row], columns=MEANS_COLUMNS)


def compare_ranks(treated: Any, control: Any) -> pd.DataFrame:
    """Two-sided Mann-Whitney U test with the rank-biserial correlation.

    Parameters
    ----------
    treated, control : array-like of float
        Ordinal or continuous outcome; missing values are dropped per group.

    Returns
    -------
    pandas.DataFrame
        One row: ``n_treated, median_treated, n_control, median_control, test,
        statistic, p_val, rank_biserial, note``. ``note`` is ``""``, or
        ``"not computable (n = 0)"`` when a group has no non-missing observations: then
        ``test`` is ``"none"`` and the statistic, p-value, rank-biserial correlation and
        the empty group's median are NaN. ``test`` is ``"mann_whitney"`` and
        ``statistic`` is U of the treated group (number of (treated, control) pairs with
        treated > control, ties counting 1/2).

    Notes
    -----
    ``scipy.stats.mannwhitneyu(treated, control, alternative="two-sided")`` with its
    default ``method="auto"`` (exact distribution for small samples without ties,
    otherwise normal approximation with tie and continuity correction).
    ``rank_biserial = 2 U / (n1 n0) - 1`` lies in [-1, 1]; positive means the treated
    group tends to have higher values.

    References
    ----------
    Kerby DS (2014). The simple difference formula: an approach to teaching
    nonparametric correlation. Comprehensive Psychology 3:11.IT.3.1.
    """
    t = to_float_array(treated)
    c = to_float_array(control)
    note = not_computable_note(len(t), len(c))
    if note:
        row = dict.fromkeys(RANKS_COLUMNS, float("nan"))
        row.update(
            n_treated=len(t), median_treated=float(np.median(t)) if len(t) else float("nan"),
            n_control=len(c), median_control=float(np.median(c)) if len(c) else float("nan"),
            test="none", note=note,
        )  # fmt: skip
        return pd.DataFrame([row], columns=RANKS_COLUMNS)
    res = stats.mannwhitneyu(t, c, alternative="two-sided")
    u = float(res.statistic)
    row = {
        "n_treated": len(t), "median_treated": float(np.median(t)),
        "n_control": len(c), "median_control": float(np.median(c)),
        "test": "mann_whitney", "statistic": u, "p_val": float(res.pvalue),
        "rank_biserial": 2.0 * u / (len(t) * len(c)) - 1.0, "note": "",
    }  # fmt: skip
    return pd.DataFrame([row], columns=RANKS_COLUMNS)
