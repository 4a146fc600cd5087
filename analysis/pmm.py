"""Chained-equations imputation with predictive mean matching, on arrays (fast MICE).

The same algorithm as :func:`analysis.imputation.impute` (statsmodels ``MICEData`` with
gaussian parameter perturbation and PMM), without the per-update formula parsing that
makes ``MICEData`` take about a second per variable per cycle: each conditional model is
an OLS fit on a numpy design (normal equations, checked against statsmodels). Inputs are
never modified.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.imputation import imputation_block

__all__ = ["PMMChains", "impute_pmm"]


def _pmm_draw(
    pred_obs: np.ndarray, y_obs: np.ndarray, pred_mis: np.ndarray, k: int,
    rng: np.random.Generator,
) -> np.ndarray:  # fmt: skip
    """For each missing row, a random donor among the ``k`` nearest predicted means."""
    order = np.argsort(pred_obs, kind="stable")
    sorted_pred, sorted_y = pred_obs[order], y_obs[order]
    n = len(sorted_pred)
    k = max(1, min(k, n))
    pos = np.searchsorted(sorted_pred, pred_mis)
    # candidate window of 2k around the insertion point, then the k nearest of it
    offsets = np.arange(-k, k)
    idx = np.clip(pos[:, None] + offsets[None, :], 0, n - 1)
    dist = np.abs(sorted_pred[idx] - pred_mis[:, None])
    # duplicates from clipping at the edges get an infinite distance
    dup = np.zeros_like(dist, dtype=bool)
    dup[:, 1:] = idx[:, 1:] == idx[:, :-1]
    dist[dup] = np.inf
    nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
    valid = np.isfinite(np.take_along_axis(dist, nearest, axis=1))
    n_valid = valid.sum(axis=1)
    pick = np.floor(rng.random(len(pred_mis)) * n_valid).astype(int)
    chosen = np.take_along_axis(idx, np.take_along_axis(nearest, pick[:, None], axis=1),
                                axis=1)[:, 0]  # fmt: skip
    return sorted_y[chosen]


def _ols(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS parameters and their covariance, as ``sm.OLS(y, X).fit()`` gives them.

    Computed from the normal equations with a pseudo-inverse of the small p x p matrix
    X'X: the same minimum-norm solution and ``scale * pinv(X'X)`` covariance as
    statsmodels' default ``pinv`` method (a test checks it to 1e-10), without its three
    singular value decompositions of the n x p design per fit, which dominated the
    imputation's run time (thousands of fits per analysis).
    """
    xtx = X.T @ X
    inv = np.linalg.pinv(xtx, hermitian=True)
    b = inv @ (X.T @ y)
    resid = y - X @ b
    rank = np.linalg.matrix_rank(xtx, hermitian=True)
    scale = float(resid @ resid) / max(len(y) - rank, 1)
    return b, scale * inv


class PMMChains:
    """The ``m`` independent chains of :func:`impute_pmm`, computed one at a time.

    ``PMMChains(frame, columns, m=..., seed=...).completed(i)`` is the i-th completed
    frame of ``impute_pmm(frame, columns, m=..., seed=...)``, bit for bit, whatever
    order the chains are run in or whichever process runs them: chain ``i`` is seeded by
    ``SeedSequence(seed).spawn(m)[i]`` alone. Streaming the chains keeps one completed
    data set in memory instead of ``m`` (a million rows times m = 20 does not fit), and
    lets independent chains run in parallel.
    """

    def __init__(
        self, frame: pd.DataFrame, columns: Sequence[str], *, m: int = 20, seed: int,
        burn_in: int = 10, k_pmm: int = 20,
    ) -> None:  # fmt: skip
        self.frame = frame
        self.columns = list(columns)
        self.m, self.burn_in, self.k_pmm = m, burn_in, k_pmm
        self.data = imputation_block(frame, self.columns, m=m, burn_in=burn_in).to_numpy(copy=True)
        self.miss = np.isnan(self.data)
        self.todo = [j for j in np.argsort(self.miss.sum(axis=0), kind="stable")
                     if self.miss[:, j].any()]  # fmt: skip
        self.seeds = np.random.SeedSequence(seed).spawn(m)

    def completed_block(self, i: int) -> np.ndarray:
        """Chain ``i``'s completed imputation columns (n x len(columns), float64)."""
        if not 0 <= i < self.m:
            raise IndexError(f"chain {i} of {self.m}")
        miss, todo, k_pmm = self.miss, self.todo, self.k_pmm
        rng = np.random.default_rng(self.seeds[i])
        x = self.data.copy()
        for j in todo:
            obs = x[~miss[:, j], j]
            x[miss[:, j], j] = rng.choice(obs, size=int(miss[:, j].sum()))
        for _ in range(self.burn_in if todo else 0):
            for j in todo:
                mis = miss[:, j]
                design = np.column_stack([np.ones(len(x)), np.delete(x, j, axis=1)])
                b, cov = _ols(x[~mis, j], design[~mis])
                b_star = (rng.multivariate_normal(b, cov, method="eigh")
                          if np.isfinite(cov).all() else b)  # fmt: skip
                x[mis, j] = _pmm_draw(design[~mis] @ b, x[~mis, j], design[mis] @ b_star,
                                      k_pmm, rng)  # fmt: skip
        return x

    def completed(self, i: int) -> pd.DataFrame:
        """Chain ``i``'s completed copy of the frame (imputed columns are float64)."""
        x = self.completed_block(i)
        out = self.frame.copy()
        for c, col in enumerate(self.columns):
            out[col] = x[:, c]
        return out


def impute_pmm(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    m: int = 20,
    seed: int,
    burn_in: int = 10,
    k_pmm: int = 20,
) -> list[pd.DataFrame]:
    """Create ``m`` completed copies of ``frame`` by chained equations with PMM.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data; only ``columns`` are imputed, every other column is copied unchanged.
    columns : sequence of str
        Numeric columns of the imputation model; each incomplete one is imputed from all
        the others (main effects). Include the treatment and the analysis outcomes.
    m : int, default 20
        Number of imputations (at least 2).
    seed : int
        Seed; the same seed gives identical imputations.
    burn_in : int, default 10
        Full cycles over the incomplete columns per chain.
    k_pmm : int, default 20
        Donor pool size of predictive mean matching.

    Returns
    -------
    list of pandas.DataFrame
        ``m`` completed frames with the index and column order of ``frame``; imputed
        columns are float64.

    Notes
    -----
    One independent chain per imputation (see :class:`PMMChains`), seeded by
    ``numpy.random.SeedSequence(seed).spawn(m)``. Start: every missing value is a random
    draw from the column's observed values. Each cycle visits the incomplete columns in
    order of increasing missingness; for column ``j``: OLS of its observed values on an
    intercept and the current values of all other columns (normal equations: the
    estimates and covariance ``statsmodels.api.OLS`` gives, see ``_ols``); parameters
    drawn from ``N(b, cov_params)`` (the gaussian
    perturbation of ``MICEData``); predicted means for the observed rows from ``b`` and
    for the missing rows from the drawn parameters (van Buuren's type-1 matching); each
    missing value replaced by the observed value of a donor drawn at random from the
    ``k_pmm`` observed rows with the nearest predicted means. Imputed values are
    therefore always values observed in that column (codes stay valid codes).

    A column that is completely missing, non-numeric columns and rows with every
    column missing raise ``ValueError``.

    References
    ----------
    van Buuren S (2018). Flexible Imputation of Missing Data, 2nd ed., §3.4 (PMM,
    algorithm 3.3) and §4.5 (FCS). CRC Press.
    """
    chains = PMMChains(frame, columns, m=m, seed=seed, burn_in=burn_in, k_pmm=k_pmm)
    return [chains.completed(i) for i in range(m)]
