"""Batched canonical GLMs: B weighted fits of one design, fitted together by Newton's
method (all Hessians in one matrix product), with step halving and R's log-likelihood
convergence criterion. The engine of the bootstraps in :mod:`analysis.bootstrap`, where
every replicate is a frequency-weight vector over the same rows.
"""

from __future__ import annotations

import numpy as np

from analysis._lazy import lazy_import

special = lazy_import("scipy.special")

__all__ = ["batched_glm", "batched_logit"]

#: Elements of the rows' outer-product block per matrix product: bounds memory (~32 MB).
_CHUNK_ELEMENTS = 4_000_000


#: A Hessian whose eigenvalues span less than this ratio is solved directly (Cholesky
#: check, LU solve): its inverse is then accurate to ~1e-8 and Newton converges to the
#: same fit. Flatter ones (near separation) keep the pseudo-inverse.
_WELL_CONDITIONED = 1e-8


def _newton_steps(hess: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """``pinv(hess[b]) @ grad[b]`` for every replicate ``b``.

    A Hessian with all eigenvalues within a factor 1e8 of the largest (eigenvalues only,
    ``eigvalsh``) is positive definite and well conditioned: its pseudo-inverse is its
    inverse, so its step is one batched LU solve, about three times cheaper than the
    eigendecomposition ``pinv(..., hermitian=True)`` does. The others (a dummy without
    weight, near separation, non-finite values) take the pseudo-inverse as before, so such
    a dummy keeps its value (the step halving of :func:`batched_glm` guards the rest)."""
    steps = np.empty_like(grad)
    finite = np.isfinite(hess).all(axis=(1, 2))
    regular = finite & (np.einsum("bii->bi", hess) > 0).all(axis=1)
    if regular.any():
        eig = np.linalg.eigvalsh(hess[regular])
        regular[regular] = eig[:, 0] > _WELL_CONDITIONED * eig[:, -1]
    if regular.any():
        steps[regular] = np.linalg.solve(hess[regular], grad[regular][..., None])[..., 0]
    rest = ~regular
    if rest.any():
        pinv = np.linalg.pinv(hess[rest], hermitian=True)
        steps[rest] = np.einsum("bij,bj->bi", pinv, grad[rest])
    return steps


def batched_glm(
    X: np.ndarray, y: np.ndarray, W: np.ndarray, start: np.ndarray, *,
    kind: str = "binary", tol: float = 1e-10, max_iter: int = 50,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Weighted maximum-likelihood GLMs of ``y`` on ``X`` with the canonical link, one per
    row of the weights ``W``: logit (``kind="binary"``), log-linear Poisson (``"count"``)
    or least squares (``"continuous"``).

    Parameters
    ----------
    X : ndarray (n, p)
        Design, first column the intercept.
    y : ndarray (n,)
        Response (0/1 for the logit, counts for Poisson).
    W : ndarray (B, n)
        Weights per replicate (bootstrap counts, or counts times analytic weights).
    start : ndarray (p,)
        Starting values (e.g. the full-sample fit) for every replicate.

    Returns
    -------
    (params, converged)
        ``params`` (B, p) and a boolean (B,): the largest Newton step fell below ``tol``
        (on columns scaled to max |x| = 1) within ``max_iter`` steps. Separation in a
        replicate shows as non-convergence.

    Notes
    -----
    Columns are scaled to max |x| = 1 before Newton (the fitted means do not change).
    The Hessians of all replicates are one matrix product: the (B, n) working weights
    times the (n, p(p+1)/2) upper triangles of the rows' outer products (in row blocks,
    bounding memory). Each step solves with the pseudo-inverse of the Hessian, so a
    dummy whose rows all have weight 0 in a replicate keeps its starting value instead
    of breaking the fit; those rows carry no weight in that fit.

    Steps are halved (up to :data:`_MAX_HALVINGS` times) in every replicate whose
    log-likelihood a full Newton step would lower, as IRLS implementations do (R's
    ``glm.fit``). Without it, Newton from the full-sample fit overshot in resamples
    with heavy weights and a sparse dummy: the fitted means ran to exactly 0 or 1, the
    Hessian to 0, the (pseudo-inverse) step to 0, and the diverged fit passed as
    converged (seen on the example study's doubly robust outcome model: bootstrap SD
    0.25 where re-fitting each resample with statsmodels gives 0.05). Convergence is
    judged on the full Newton step, never on a halved one.
    """
    if kind not in ("binary", "count", "continuous"):
        raise ValueError("kind must be 'binary', 'count' or 'continuous'")
    X = np.asarray(X, dtype="float64")
    scale = np.abs(X).max(axis=0)
    scale[scale == 0] = 1.0
    Xs = X / scale
    B, (n, p) = W.shape[0], Xs.shape
    iu = np.triu_indices(p)
    rows_per_block = max(1, _CHUNK_ELEMENTS // len(iu[0]))
    beta = np.tile(np.asarray(start, dtype="float64") * scale, (B, 1))
    active = np.ones(B, dtype=bool)
    converged = np.zeros(B, dtype=bool)
    ll_now = np.full(B, np.nan)  # log-likelihood at beta, carried from the last step
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if not len(idx):
            break
        eta = beta[idx] @ Xs.T
        mu, var = _mean_var(kind, eta)
        Ws = W[idx]
        grad = (Ws * (y - mu)) @ Xs
        work = Ws * var
        upper = np.zeros((len(idx), len(iu[0])))
        for lo in range(0, n, rows_per_block):
            blk = Xs[lo : lo + rows_per_block]
            upper += work[:, lo : lo + rows_per_block] @ (blk[:, iu[0]] * blk[:, iu[1]])
        hess = np.zeros((len(idx), p, p))
        hess[:, iu[0], iu[1]] = upper
        hess[:, iu[1], iu[0]] = upper
        step = _newton_steps(hess, grad)
        bad = ~np.isfinite(step).all(axis=1)
        small = np.abs(step).max(axis=1) < tol * np.maximum(1.0, np.abs(beta[idx]).max(axis=1))
        ll = ll_now[idx]
        fresh = np.isnan(ll)
        if fresh.any():
            ll[fresh] = _loglik(kind, y, eta[fresh], Ws[fresh])
        step, ll_new, halved = _halved(step, beta[idx], Xs, y, Ws, kind, ll)
        ll_now[idx] = ll_new
        beta[idx] += step
        # or the log-likelihood no longer moves under a full Newton step: R's glm.fit
        # criterion (|dev - dev_old| / (|dev| + 0.1) < eps), which also ends a fit under
        # (quasi-)separation, where the coefficients run off but the fitted means settle
        flat = ~halved & (np.abs(ll_new - ll) < _LL_TOL * (np.abs(ll_new) + 0.1))
        small |= flat
        converged[idx[small]] = True
        active[idx[small | bad]] = False
    return beta / scale, converged & np.isfinite(beta).all(axis=1)


#: Relative log-likelihood change below which a fit has converged (R's glm.fit: 1e-8
#: on the deviance; stricter here, so a regular fit still ends by its step size).
_LL_TOL = 1e-12
#: Step halvings per Newton iteration at most (2**-30: a step of ~1e-9 of the full one).
_MAX_HALVINGS = 30


def _mean_var(kind: str, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance function of the canonical GLM of ``kind`` at ``eta``."""
    with np.errstate(over="ignore"):
        if kind == "binary":
            mu = special.expit(eta)
            return mu, mu * (1 - mu)
        if kind == "count":
            mu = np.exp(eta)
            return mu, mu
    return eta, np.ones_like(eta)


def _loglik(kind: str, y: np.ndarray, eta: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Weighted log-likelihood of every row of ``eta`` (up to a constant in ``beta``)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if kind == "binary":
            b = np.logaddexp(0.0, eta)
        elif kind == "count":
            b = np.exp(eta)
        else:
            b = 0.5 * eta * eta
        return (W * (y * eta - b)).sum(axis=1)


def _halved(step: np.ndarray, beta: np.ndarray, Xs: np.ndarray, y: np.ndarray,
            W: np.ndarray, kind: str,
            ll: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """``step`` with the rows that would lower the log-likelihood ``ll`` halved until
    they do not (at most :data:`_MAX_HALVINGS` times; a row still worse then takes a
    zero step, and stays unconverged). Returns the steps, the log-likelihood after them
    and which rows were halved."""
    step = step.copy()
    after = ll.copy()
    halved = np.zeros(len(step), dtype=bool)
    rows = np.flatnonzero(np.isfinite(step).all(axis=1))
    slack = 1e-12 * np.maximum(1.0, np.abs(ll))
    for _ in range(_MAX_HALVINGS + 1):
        if not len(rows):
            return step, after, halved
        new = _loglik(kind, y, (beta[rows] + step[rows]) @ Xs.T, W[rows])
        worse = ~(new >= ll[rows] - slack[rows])
        after[rows[~worse]] = new[~worse]
        rows = rows[worse]
        halved[rows] = True
        step[rows] *= 0.5
    step[rows] = 0.0
    return step, after, halved


def batched_logit(
    X: np.ndarray, t: np.ndarray, F: np.ndarray, start: np.ndarray, *,
    tol: float = 1e-10, max_iter: int = 50,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """:func:`batched_glm` with ``kind="binary"``: B logits of ``t`` on ``X``, one per
    row of the frequency weights ``F`` (B, n)."""
    return batched_glm(X, t, F, start, kind="binary", tol=tol, max_iter=max_iter)
