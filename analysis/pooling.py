"""Rubin's rules: pool one estimate over multiply imputed data sets.

Pooling follows Rubin (1987) with the Barnard-Rubin (1999) small-sample degrees of
freedom, as in R's ``mice::pool``. The imputation itself is :mod:`analysis.pmm`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis._lazy import lazy_import

stats = lazy_import("scipy.stats")

__all__ = ["rubin_combine", "pooled_effect"]

RUBIN_COLUMNS = [
    "m", "estimate", "se", "within_var", "between_var", "total_var", "riv", "lambda",
    "fmi", "df", "df_com", "statistic", "p_val", "ci_low", "ci_high",
]  # fmt: skip


def rubin_combine(
    estimates: Sequence[float],
    variances: Sequence[float],
    *,
    n: int | None = None,
    k: int | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Pool one scalar estimate over ``m`` imputations with Rubin's rules.

    Parameters
    ----------
    estimates : sequence of float
        The estimate from each completed data set (length m >= 2).
    variances : sequence of float
        Its squared standard error in each completed data set.
    n : int, optional
        Sample size of the complete-data analysis; when given, the Barnard-Rubin
        small-sample degrees of freedom are used with ``df_com = n - k``.
    k : int, optional
        Number of parameters of the complete-data model (default 1; only with ``n``).
    alpha : float, default 0.05
        The interval has level ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        One row: ``m, estimate, se, within_var, between_var, total_var, riv, lambda,
        fmi, df, df_com, statistic, p_val, ci_low, ci_high``.

    Notes
    -----
    With ``Q_i`` and ``U_i`` the estimates and variances (van Buuren 2018, §2.3)::

        Qbar = mean(Q_i)                   within  Ubar = mean(U_i)
        B    = var(Q_i, ddof=1)            total   T    = Ubar + (1 + 1/m) B
        riv  = (1 + 1/m) B / Ubar          lambda  = (1 + 1/m) B / T
        df_old = (m - 1) / lambda²                               (Rubin 1987)
        df_obs = (df_com + 1) / (df_com + 3) * df_com * (1 - lambda)
        df     = df_old * df_obs / (df_old + df_obs)      (Barnard & Rubin 1999)
        fmi    = (riv + 2 / (df + 3)) / (1 + riv)

    Without ``n``, ``df_com`` is infinite and ``df = df_old``. As in ``mice::pool``,
    lambda is floored at 1e-4 in the df formulas (so ``B = 0`` gives a large finite
    df). ``statistic = Qbar / sqrt(T)``; p-value (two-sided) and interval
    ``Qbar ± t_{df, 1 - alpha/2} sqrt(T)`` use Student's t with ``df``.

    References
    ----------
    Rubin DB (1987). Multiple Imputation for Nonresponse in Surveys. Wiley.
    Barnard J, Rubin DB (1999). Small-sample degrees of freedom with multiple
    imputation. Biometrika 86:948-955.
    van Buuren S (2018). Flexible Imputation of Missing Data, 2nd ed., §2.3-2.4 and
    §5.2. CRC Press.
    """
    q = np.asarray(estimates, dtype=np.float64)
    u = np.asarray(variances, dtype=np.float64)
    if q.ndim != 1 or q.shape != u.shape:
        raise ValueError("estimates and variances must be 1-D and of equal length")
    mm = len(q)
    if mm < 2:
        raise ValueError("need at least two imputations")
    if not (np.isfinite(q).all() and np.isfinite(u).all()) or (u < 0).any():
        raise ValueError("estimates must be finite and variances finite and >= 0")
    if k is not None and n is None:
        raise ValueError("k is only used together with n")
    qbar, ubar, b = float(q.mean()), float(u.mean()), float(q.var(ddof=1))
    t = ubar + (1.0 + 1.0 / mm) * b
    if t <= 0:
        raise ValueError("total variance is zero")
    with np.errstate(divide="ignore"):
        riv = (1.0 + 1.0 / mm) * b / ubar if ubar > 0 else np.inf
    lam = (1.0 + 1.0 / mm) * b / t
    lam_df = max(lam, 1e-4)
    df_old = (mm - 1) / lam_df**2
    if n is None:
        df_com = np.inf
        df = df_old
    else:
        df_com = float(n - (1 if k is None else k))
        if df_com <= 0:
            raise ValueError("n - k must be positive")
        df_obs = (df_com + 1.0) / (df_com + 3.0) * df_com * (1.0 - lam_df)
        df = df_old * df_obs / (df_old + df_obs)
    fmi = (riv + 2.0 / (df + 3.0)) / (1.0 + riv) if np.isfinite(riv) else 1.0
    se = float(np.sqrt(t))
    crit = float(stats.t.ppf(1.0 - alpha / 2.0, df))
    statistic = qbar / se
    row = {
        "m": mm, "estimate": qbar, "se": se, "within_var": ubar, "between_var": b,
        "total_var": t, "riv": float(riv), "lambda": lam, "fmi": float(fmi),
        "df": float(df), "df_com": float(df_com), "statistic": statistic,
        "p_val": float(2.0 * stats.t.sf(abs(statistic), df)),
        "ci_low": qbar - crit * se, "ci_high": qbar + crit * se,
    }  # fmt: skip
    return pd.DataFrame([row], columns=RUBIN_COLUMNS)


def pooled_effect(
    frames: Sequence[pd.DataFrame],
    estimate_fn: Callable[[pd.DataFrame], tuple[float, float]],
    alpha: float = 0.05,
    *,
    n: int | None = None,
    k: int | None = None,
) -> pd.DataFrame:
    """Analyse each completed data set and pool the results with Rubin's rules.

    Parameters
    ----------
    frames : sequence of pandas.DataFrame
        Completed data sets, e.g. from :func:`impute`.
    estimate_fn : callable
        ``estimate_fn(frame) -> (estimate, se)`` for one completed data set (e.g. a
        regression coefficient and its standard error). Pool on a scale where the
        estimate is approximately normal (log odds ratio, not odds ratio).
    alpha : float, default 0.05
        The interval has level ``1 - alpha``.
    n, k : int, optional
        Passed to :func:`rubin_combine` (Barnard-Rubin degrees of freedom).

    Returns
    -------
    pandas.DataFrame
        The one-row frame of :func:`rubin_combine`.

    Notes
    -----
    The variance of each estimate is ``se**2``; see :func:`rubin_combine` for the
    pooling formulas.
    """
    results: list[Any] = [estimate_fn(f) for f in frames]
    est = [float(r[0]) for r in results]
    var = [float(r[1]) ** 2 for r in results]
    return rubin_combine(est, var, n=n, k=k, alpha=alpha)
