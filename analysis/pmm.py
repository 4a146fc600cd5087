"""Chained-equations imputation with predictive mean matching, on arrays (fast MICE).

Fully conditional specification as R's ``mice`` does it with ``method = "pmm"`` (type-1
matching): each incomplete variable in turn is regressed by OLS on all the others, the
coefficients are drawn from their posterior (gaussian perturbation), observed rows get
fitted values from the estimated coefficients and missing rows from the drawn ones, and
each missing value is taken from one of the k nearest observed donors; a chain starts
from a random draw of observed values. Inputs are never modified.

How one chain is computed (the statistics are those of :func:`impute_pmm`'s Notes; the
tests check each step against an independent reference):

* the variables are centred once (by their observed means) and kept, with an intercept
  column, in one n x (p + 1) array ``z`` updated in place; its Gram matrix ``z'z`` is
  updated after each imputation from the changed rows only, in O(n_mis p);
* each conditional OLS fit takes the observed rows' cross-products as ``z'z`` minus the
  missing rows' part (no n x p design is built or copied), solves the normal equations
  with a pseudo-inverse (statsmodels' ``pinv`` solution, to 1e-8 in the tests), and
  computes the residual sum of squares directly from the residuals (no cancellation);
* the fitted values are one matrix-vector product; they are ordered with a radix pass
  plus a stable sort of the nearly sorted result (exactly ``argsort(kind="stable")``);
  each missing row's k nearest observed fitted values form a contiguous window of the
  sorted values, found by a vectorised binary search instead of sorting distances.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["PMMChains", "impute_pmm"]


def imputation_block(
    frame: pd.DataFrame, columns: Sequence[str], *, m: int, burn_in: int
) -> pd.DataFrame:
    """The checked imputation columns as float64 (index reset): at least two distinct
    numeric columns, ``m >= 2``, ``burn_in >= 1``, no row missing on every column."""
    cols = list(columns)
    if m < 2:
        raise ValueError("m must be at least 2")
    if burn_in < 1:
        raise ValueError("burn_in must be at least 1")
    if len(cols) < 2 or len(set(cols)) != len(cols):
        raise ValueError("columns must name at least two distinct columns")
    absent = [c for c in cols if c not in frame.columns]
    if absent:
        raise KeyError(f"columns not in frame: {absent}")
    try:
        data = frame[cols].astype("Float64").astype("float64").reset_index(drop=True)
    except (TypeError, ValueError) as exc:
        raise TypeError("imputation columns must be numeric") from exc
    all_missing = data.isna().all(axis=1)
    if all_missing.any():
        raise ValueError(
            f"{int(all_missing.sum())} row(s) have every imputation column missing; "
            "drop them or add a fully observed predictor"
        )
    if data.notna().sum().min() == 0:
        raise ValueError("a column has no observed values")
    return data


def _sort_order(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``order = np.argsort(values, kind="stable")`` and ``values[order]``, faster.

    numpy sorts 8- and 16-bit keys with a linear-time radix sort; two such stable passes
    (low 8 bits, then high 16 bits) order the values by a 24-bit quantisation of them,
    and a final stable timsort orders the nearly sorted result exactly (it only has to
    swap values that share a key). Equal values have equal keys and keep their original
    order in every pass, so ``order`` is exactly the stable argsort whatever the
    quantisation (a test checks it); on a million values this takes about a quarter of
    the time of ``np.argsort``.
    """
    n = len(values)
    lo, hi = (float(values.min()), float(values.max())) if n else (0.0, 0.0)
    if not hi > lo:  # constant (or empty): already sorted; NaN never reaches here
        return np.arange(n), values.copy()
    # below 2**24 with a margin, so rounding never leaves the 24 bits
    key = ((values - lo) * (16777200.0 / (hi - lo))).astype(np.uint32)
    # int32 positions where they fit: less memory traffic in the gathers
    order = np.argsort(key.astype(np.uint8), kind="stable")
    order = order.astype(np.int32) if n < 2**31 else order
    order = order[np.argsort((key >> 8).astype(np.uint16)[order], kind="stable")]
    nearly = values[order]
    fine = np.argsort(nearly, kind="stable")
    return order[fine].astype(np.intp), nearly[fine]


def _nearest_window(sorted_pred: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """Start of the ``k`` nearest neighbours of each query in a sorted array.

    The ``k`` values of ``sorted_pred`` nearest to a query are a contiguous window
    ``[lo, lo + k)`` with ``lo`` between ``pos - k`` and ``pos`` (``pos``: the query's
    insertion point). ``lo`` is the first start whose left end is not farther from the
    query than the value just past its right end, found by a binary search over the
    ``k + 1`` candidates for all queries at once (``ceil(log2(k + 1))`` steps). Ties
    go to the left (smaller) value. Requires ``1 <= k <= len(sorted_pred)``.
    """
    n = len(sorted_pred)
    by_value = np.argsort(query, kind="stable")  # sorted queries: cache-friendly look-ups
    q = query[by_value]
    pos = np.searchsorted(sorted_pred, q)
    lo = np.clip(pos - k, 0, n - k)
    hi = np.clip(pos, 0, n - k)
    while (open_ := lo < hi).any():
        mid = (lo + hi) // 2
        # mid < hi <= n - k where open, so mid + k is a valid index there
        farther = q - sorted_pred[mid] > sorted_pred[np.minimum(mid + k, n - 1)] - q
        lo = np.where(open_ & farther, mid + 1, lo)
        hi = np.where(open_ & ~farther, mid, hi)
    out = np.empty_like(lo)
    out[by_value] = lo
    return out


def _ols_gram(gram: np.ndarray, target: int) -> tuple[np.ndarray, np.ndarray, int]:
    """OLS of column ``target`` of a design on all its other columns, from their Gram matrix.

    ``gram`` is ``Z'Z`` for the rows used (Z holding the intercept and every variable);
    the regression uses ``X = Z`` without column ``target`` and ``y = Z[:, target]``.
    Returns the estimates (over the columns of X, in order), ``pinv(X'X)`` and the rank of
    ``X'X``: the minimum-norm solution of statsmodels' default ``pinv`` method. The
    covariance is ``scale * pinv(X'X)`` with ``scale = RSS / (n - rank)``; the caller
    computes the residual sum of squares directly from its residuals (no cancellation),
    since it needs the fitted values anyway.
    """
    keep = np.arange(len(gram)) != target
    xtx = gram[np.ix_(keep, keep)]
    inv = np.linalg.pinv(xtx, hermitian=True)
    b = inv @ gram[keep, target]
    rank = int(np.linalg.matrix_rank(xtx, hermitian=True))
    return b, inv, rank


class _Chain:
    """One chain's working state: the centred design, its Gram matrix and the donors.

    ``z`` is ``[1, x - shift]`` (n x (p + 1), column order) with the current imputations,
    ``gram`` is ``z'z`` over all rows, kept up to date after each update from the
    changed rows only. Imputed values are written as donor positions (into the column's
    observed values), so the completed block holds observed values bit for bit.
    """

    def __init__(self, chains: PMMChains, rng: np.random.Generator) -> None:
        self.c, self.rng = chains, rng
        data, shift = chains.data, chains.shift
        n, p = data.shape
        z = np.empty((n, p + 1), order="F")  # F: BLAS's matrix-vector product is fast
        z[:, 0] = 1.0
        np.subtract(data, shift, out=z[:, 1:])
        self.z = z
        self.donor: dict[int, np.ndarray] = {}
        for j in chains.todo:  # start: random draws from the column's observed values
            donor = rng.integers(0, chains.n_obs[j], size=len(chains.mis_idx[j]))
            z[chains.mis_idx[j], j + 1] = self.observed(j)[donor]
            self.donor[j] = donor
        self.gram = z.T @ z

    def observed(self, j: int) -> np.ndarray:
        """Column ``j``'s observed values, centred (the regression's y, the donors)."""
        c = self.c
        return c.data[:, j][c.obs_mask[:, j]] - c.shift[j]

    def fit(self, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """OLS of column ``j``'s observed values on the intercept and all other columns.

        Returns the estimates and covariance (over ``z`` without column ``j + 1``), the
        fitted values of the observed rows and the missing rows of ``z``.
        """
        c, z, q = self.c, self.z, j + 1
        zm = z[c.mis_idx[j]]
        b, inv, rank = _ols_gram(self.gram - zm.T @ zm, q)
        fitted = (z @ np.insert(b, q, 0.0))[c.obs_mask[:, j]]
        resid = self.observed(j) - fitted
        scale = float(resid @ resid) / max(c.n_obs[j] - rank, 1)
        return b, scale * inv, fitted, zm

    def update(self, j: int, k_pmm: int) -> None:
        """One FCS step for column ``j``: fit, perturb, match, impute, update the Gram."""
        q, rng = j + 1, self.rng
        b, cov, fitted, zm = self.fit(j)
        b_star = (rng.multivariate_normal(b, cov, method="eigh")
                  if np.isfinite(cov).all() else b)  # fmt: skip
        query = zm @ np.insert(b_star, q, 0.0)
        order, sorted_fitted = _sort_order(fitted)
        k = max(1, min(k_pmm, len(order)))
        lo = _nearest_window(sorted_fitted, query, k)
        donor = order[lo + rng.integers(0, k, size=len(query))]
        new = self.observed(j)[donor]
        delta = new - zm[:, q]
        change = zm.T @ delta  # z'z changes in row and column q only
        change[q] = 2.0 * change[q] + delta @ delta
        self.gram[:, q] += change
        self.gram[q, :] = self.gram[:, q]
        self.z[self.c.mis_idx[j], q] = new
        self.donor[j] = donor

    def block(self) -> np.ndarray:
        """The completed columns in the original units, observed values bit for bit."""
        c = self.c
        x = c.data.copy(order="F")
        for j, donor in self.donor.items():
            x[c.mis_idx[j], j] = c.data[:, j][c.obs_mask[:, j]][donor]
        return x


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
        block = imputation_block(frame, self.columns, m=m, burn_in=burn_in)
        # column order: each column's values (and observed values) are contiguous
        self.data = np.asfortranarray(block.to_numpy(dtype="float64"))
        self.miss = np.isnan(self.data)
        self.obs_mask = ~self.miss
        self.n_obs = self.obs_mask.sum(axis=0)
        # centring by the observed means keeps the Gram matrix well conditioned
        self.shift = np.nanmean(self.data, axis=0)
        self.todo = [int(j) for j in np.argsort(self.miss.sum(axis=0), kind="stable")
                     if self.miss[:, j].any()]  # fmt: skip
        self.mis_idx = {j: np.flatnonzero(self.miss[:, j]) for j in self.todo}
        self.seeds = np.random.SeedSequence(seed).spawn(m)

    def chain(self, i: int) -> _Chain:
        """Chain ``i`` at its start (missing values drawn from the observed ones)."""
        if not 0 <= i < self.m:
            raise IndexError(f"chain {i} of {self.m}")
        return _Chain(self, np.random.default_rng(self.seeds[i]))

    def completed_block(self, i: int, burn_in: int | None = None) -> np.ndarray:
        """Chain ``i``'s completed imputation columns (n x len(columns), float64, in
        column order: each column is contiguous) after ``burn_in`` cycles (default: the
        chains' ``burn_in``)."""
        state = self.chain(i)
        for _ in range(self.burn_in if burn_in is None else burn_in) if self.todo else ():
            for j in self.todo:
                state.update(j, self.k_pmm)
        return state.block()

    def traced_block(self, i: int, cycles: int) -> tuple[np.ndarray, np.ndarray]:
        """Chain ``i`` run for ``cycles`` cycles: its trace and its completed block.

        The trace holds, after each cycle, the mean and the standard deviation of every
        incomplete column's imputed values (what mice's trace plots show), as a
        (cycles, 2 * len(todo)) array (means, then SDs, in ``todo`` order). The block is
        ``completed_block(i, cycles)``, bit for bit (tracing only reads the state).
        """
        state = self.chain(i)
        out = np.empty((cycles, 2 * len(self.todo)))
        for t in range(cycles):
            for j in self.todo:
                state.update(j, self.k_pmm)
            for col, j in enumerate(self.todo):
                values = state.z[self.mis_idx[j], j + 1]
                out[t, col] = values.mean()
                out[t, len(self.todo) + col] = values.std()
        return out, state.block()

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
    intercept and the current values of all other columns (the estimates ``b`` and
    covariance ``scale * pinv(X'X)``, ``scale = RSS / (n_obs - rank)``, that
    ``statsmodels.api.OLS(y, X).fit()`` gives; computed from Gram matrices of the
    centred variables, see the module docstring); parameters drawn from
    ``N(b, cov_params)`` (the gaussian perturbation of ``MICEData``); predicted means
    for the observed rows from ``b`` and for the missing rows from the drawn parameters
    (van Buuren's type-1 matching); each missing value replaced by the observed value
    of a donor drawn uniformly from the ``min(k_pmm, n_obs)`` observed rows with the
    nearest predicted means (equal distances: the smaller predicted mean is nearer; equal
    predicted means: the earlier row). Imputed values are therefore always values
    observed in that column, bit for bit (codes stay valid codes). Centring changes the
    parametrisation, not the model: fitted values and the distribution of the drawn
    predictions are the same as without it.

    A column that is completely missing, non-numeric columns and rows with every
    column missing raise ``ValueError``.

    References
    ----------
    van Buuren S (2018). Flexible Imputation of Missing Data, 2nd ed., §3.4 (PMM,
    algorithm 3.3) and §4.5 (FCS). CRC Press.
    """
    chains = PMMChains(frame, columns, m=m, seed=seed, burn_in=burn_in, k_pmm=k_pmm)
    return [chains.completed(i) for i in range(m)]
