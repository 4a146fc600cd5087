"""The restricted wild cluster bootstrap (WCR) of one coefficient of a (weighted) linear
model with Webb's six-point weights: p-value and interval by test inversion, valid with
few clusters (e.g. five units).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["wild_cluster_bootstrap", "WEBB_WEIGHTS", "WILD_COLUMNS"]

#: Webb's (2023) six-point distribution: mean 0, variance 1, for few clusters.
WEBB_WEIGHTS = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])

WILD_COLUMNS = [
    "coef", "estimate", "se_cr1", "statistic", "p_val", "ci_low", "ci_high", "n_clusters",
    "n_boot", "enumerated", "weights", "alpha",
]  # fmt: skip


def _codes(values: Any) -> np.ndarray:
    codes, _ = pd.factorize(pd.Series(values), sort=True, use_na_sentinel=True)
    if (codes < 0).any():
        raise ValueError("clusters must not be missing")
    return codes


def _wild_draws(n_clusters: int, n_boot: int, seed: int) -> tuple[np.ndarray, bool]:
    """Webb weights (B, G): every one of the 6^G sign patterns when that is at most
    ``n_boot`` (no randomness), else ``n_boot`` random draws."""
    if 6**n_clusters <= n_boot:
        grid = np.array(np.meshgrid(*[np.arange(6)] * n_clusters, indexing="ij"))
        return WEBB_WEIGHTS[grid.reshape(n_clusters, -1).T], True
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    return WEBB_WEIGHTS[rng.integers(0, 6, (n_boot, n_clusters))], False


def wild_cluster_bootstrap(
    y: Any, X: Any, cluster: Any, *, coef: int = 1, weights: Any = None,
    n_boot: int = 9999, seed: int = 0, alpha: float = 0.05, null: float = 0.0,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Restricted wild cluster bootstrap (WCR) test and interval for one coefficient.

    Parameters
    ----------
    y : array-like (n,)
        Response (a 0/1 outcome gives a linear probability model: its coefficient is a
        risk difference).
    X : array-like (n, k)
        Design with intercept; the tested coefficient is column ``coef``.
    cluster : array-like (n,)
        Cluster labels (e.g. the unit).
    weights : array-like (n,), optional
        Analytic weights (weighted least squares), e.g. ATT weights, held fixed.
    n_boot : int, default 9999
        Draws; with ``6**G <= n_boot`` all 6^G Webb patterns are enumerated instead.
    seed : int, default 0
        Seed of the random draws (unused when enumerated).
    alpha : float, default 0.05
        Test level and interval level ``1 - alpha``.
    null : float, default 0.0
        Tested value of the coefficient.

    Returns
    -------
    pandas.DataFrame
        One row with :data:`WILD_COLUMNS`: the WLS estimate, its CR1 cluster-robust SE,
        the t statistic, the bootstrap p-value (symmetric: share of ``|t*| >= |t|``), the
        interval (all values not rejected at ``alpha``, found by bisection on the same
        draws), the number of clusters and draws, whether they were enumerated.

    Notes
    -----
    For a tested value ``b0``: fit the restricted model (coefficient fixed at ``b0``),
    keep its fitted values ``y~`` and residuals ``u~``; for each draw ``v`` (one Webb
    weight per cluster) form ``y* = y~ + v_g u~`` and compute the unrestricted WLS
    coefficient and its CR1 SE (``G/(G-1) (n-1)/(n-k)``, as Stata and
    ``statsmodels`` ``cov_type="cluster"``) and ``t* = (b* - b0) / se*``. Webb's six-point
    weights give more distinct draws than Rademacher's two when G is small (6^G).

    References
    ----------
    Cameron AC, Gelbach JB, Miller DL (2008). Bootstrap-based improvements for inference
    with clustered errors. Review of Economics and Statistics 90:414-427.
    MacKinnon JG, Webb MD (2017). Wild bootstrap inference for wildly different cluster
    sizes. Journal of Applied Econometrics 32:233-254.
    Webb MD (2023). Reworking wild bootstrap-based inference for clustered errors.
    Canadian Journal of Economics 56:839-858.
    Roodman D, Nielsen MO, MacKinnon JG, Webb MD (2019). Fast and wild: bootstrap
    inference in Stata using boottest. The Stata Journal 19:4-60.
    """
    y = np.asarray(y, dtype="float64")
    X = np.asarray(X, dtype="float64")
    n, k = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype="float64")
    g = _codes(cluster)
    G = int(g.max()) + 1
    if G < 2:
        raise ValueError("the wild cluster bootstrap needs at least two clusters")
    if len(y) != n or len(w) != n or len(g) != n:
        raise ValueError("y, X, weights and cluster must have the same length")
    member = np.zeros((G, n))
    member[g, np.arange(n)] = 1.0
    Xw = X * w[:, None]
    bread = np.linalg.inv(X.T @ Xw)
    a = bread[coef] @ Xw.T  # coefficient = a @ y; its score contributions a_i u_i
    c = G / (G - 1) * (n - 1) / (n - k)
    x = X[:, coef]
    Xr = np.delete(X, coef, axis=1)
    Xrw = Xr * w[:, None]
    bread_r = np.linalg.inv(Xr.T @ Xrw)
    member_a = member * a

    def residuals(Y: np.ndarray) -> np.ndarray:
        return Y - X @ (bread @ (Xw.T @ Y))

    est = float(a @ y)
    se = float(np.sqrt(c * ((member_a @ residuals(y)) ** 2).sum()))
    v, enumerated = _wild_draws(G, n_boot, seed)

    def p_value(b0: float) -> float:
        """Everything is linear in the draws (Roodman et al. 2019): with
        ``y* = y0 + sum_g v_g u~_g`` the coefficient is ``a y0 + d'v`` and the cluster
        scores are ``q0 + C v``, so each draw costs O(G^2)."""
        yr = y - b0 * x
        u_r = yr - Xr @ (bread_r @ (Xrw.T @ yr))
        y0 = y - u_r  # restricted fit plus b0 x
        d = member_a @ u_r  # d_g = sum over cluster g of a_i u~_i
        S = member @ (Xw * u_r[:, None])  # (G, k): X'W u~ of each cluster's part
        C = np.diag(d) - member_a @ (X @ (bread @ S.T))
        q = (member_a @ residuals(y0))[:, None] + C @ v.T  # (G, B)
        t_star = (a @ y0 + v @ d - b0) / np.sqrt(c * (q**2).sum(axis=0))
        return float(np.mean(np.abs(t_star) >= abs((est - b0) / se) - 1e-12))

    def bound(direction: float) -> float:
        inside, step = est, se
        outside = est + direction * step
        for _ in range(60):  # expand until rejected
            if p_value(outside) < alpha:
                break
            inside, step = outside, step * 2
            outside = est + direction * step
        else:
            return direction * float("inf")
        for _ in range(60):
            mid = (inside + outside) / 2
            if p_value(mid) < alpha:
                outside = mid
            else:
                inside = mid
            if abs(outside - inside) < 1e-7 * se:
                break
        return (inside + outside) / 2

    row = {
        "coef": names[coef] if names is not None else str(coef), "estimate": est,
        "se_cr1": float(se), "statistic": (est - null) / se, "p_val": p_value(null),
        "ci_low": bound(-1.0), "ci_high": bound(1.0), "n_clusters": G, "n_boot": len(v),
        "enumerated": enumerated, "weights": "webb", "alpha": alpha,
    }  # fmt: skip
    return pd.DataFrame([row], columns=WILD_COLUMNS)
