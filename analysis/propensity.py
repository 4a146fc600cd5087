"""Propensity scores: the logit fit, overlap diagnostics and trimming rules.

:func:`propensity_scores` fits P(treatment = 1 | covariates, fixed effects);
:func:`overlap_bins` and :func:`overlap_summary` describe how the two groups' scores
overlap; :func:`trim_rule` says which rows a trimmed analysis keeps (Crump et al. 2009,
or a fixed interval). Weights built from the scores are in :mod:`analysis.ps_weights`.
Inputs are never modified; nothing here knows the study (fixed effects are named by the
caller).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from analysis._common import as_treatment
from analysis._lazy import lazy_import
from analysis.models import _newton, _start, build_design

sm = lazy_import("statsmodels.api")
optimize = lazy_import("scipy.optimize")
special = lazy_import("scipy.special")

__all__ = [
    "propensity_scores", "overlap_bins", "overlap_summary", "trim_rule", "crump_alpha",
    "fit_logit_scaled", "OVERLAP_BIN_COLUMNS", "OVERLAP_SUMMARY_COLUMNS",
]  # fmt: skip

OVERLAP_BIN_COLUMNS = [
    "bin", "bin_low", "bin_high", "n_treated", "n_control", "share_treated", "share_control",
]  # fmt: skip
OVERLAP_SUMMARY_COLUMNS = [
    "n_treated", "n_control", "ps_min_treated", "ps_max_treated", "ps_min_control",
    "ps_max_control", "n_control_outside", "share_control_outside", "n_treated_outside",
    "share_treated_outside", "n_treated_above_0_9", "n_control_above_0_9",
    "n_treated_below_0_1", "n_control_below_0_1", "crump_alpha", "n_outside_crump",
]  # fmt: skip

#: Scores this close to 0 or 1 trigger the separation check (a linear program).
_EXTREME = 1e-8


def _as_array(values: Any, n: int | None = None, name: str = "values") -> np.ndarray:
    arr = np.asarray(pd.Series(values).astype("float64"), dtype="float64").copy()
    if n is not None and len(arr) != n:
        raise ValueError(f"{name} must have the same length as the other inputs")
    return arr


def _scaling(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre and scale of each design column (intercept and constant columns: 0, 1)."""
    center = X.mean(axis=0)
    scale = X.std(axis=0)
    fixed = scale == 0
    center[fixed], scale[fixed] = 0.0, 1.0
    return center, scale


def separable(X: np.ndarray, t: np.ndarray) -> bool:
    """True when the 0/1 outcome ``t`` is (quasi-)completely separated by the columns of X.

    Konis's linear program (Konis 2007; R ``detectseparation``): separation exists iff
    some ``b != 0`` has ``s_i x_i'b >= 0`` for every row (``s = 2 t - 1``); maximise
    ``sum_i s_i x_i'b`` under those constraints and ``-1 <= b <= 1`` (HiGHS). A positive
    maximum means the likelihood has no finite maximum; scores near 0 or 1 whose
    likelihood does have one are NOT separation. Columns are standardised first, so the
    tolerance (1e-7 per row) does not depend on the covariates' units.
    """
    center, scale = _scaling(X)
    Xs = (X - center) / scale
    Xs[:, scale == 1.0] = X[:, scale == 1.0]  # keep the intercept column of ones
    s = 2.0 * t - 1.0
    A = Xs * s[:, None]
    res = optimize.linprog(-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(t)),
                           bounds=[(-1.0, 1.0)] * X.shape[1], method="highs")  # fmt: skip
    return bool(res.status == 0 and -res.fun > 1e-7 * len(t))


def fit_logit_scaled(
    X: np.ndarray, t: np.ndarray, start: np.ndarray | None = None
) -> tuple[np.ndarray, bool, bool, list[str]]:
    """Logit ML fit of ``t`` on ``X`` with standardised columns: params, converged,
    separation, notes.

    The columns (all but the intercept) are centred and scaled before Newton-Raphson and
    the coefficients mapped back, so covariates in large units (age in years, income in
    euros) do not slow or stop Newton. When Newton fails or separates, statsmodels' GLM
    IRLS (100 iterations) is used and a note SAYS so (no silent fallback). Separation is
    decided by :func:`separable` (a linear program), run only when some fitted score is
    within 1e-8 of 0 or 1 or Newton failed.
    """
    center, scale = _scaling(X)
    icol = np.flatnonzero((X == 1.0).all(axis=0))
    if len(icol):
        center[icol], scale[icol] = 0.0, 1.0
    Xs = (X - center) / scale
    j0 = int(icol[0]) if len(icol) else None
    s_start = None
    if start is not None:
        s_start = start * scale
        if j0 is not None:
            s_start[j0] = start[j0] + float(start @ center)

    def back(bs: np.ndarray) -> np.ndarray:
        b = bs / scale
        if j0 is not None:
            b[j0] = bs[j0] - float((bs / scale) @ center)
        return b

    notes: list[str] = []
    fast = _newton(Xs, t, "binary", s_start)
    if fast is not None:
        bs, caught = fast
        b = back(bs)
        with np.errstate(over="ignore"):
            ps = special.expit(X @ b)
        extreme = bool(((ps < _EXTREME) | (ps > 1 - _EXTREME)).any())
        warned = any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
        if not (extreme or warned) or not separable(X, t):
            return b, True, False, notes
        return b, True, True, ["(quasi-)complete separation: the covariates predict the "
                               "treatment perfectly for some rows (no finite maximum)"]
    separation = separable(X, t)
    with warnings.catch_warnings(record=True) as caught, np.errstate(over="ignore"):
        warnings.simplefilter("always")
        res = sm.GLM(t, X, family=sm.families.Binomial()).fit(maxiter=100)
    notes.append("Newton-Raphson did not converge on the scaled design; fitted by IRLS "
                 "(statsmodels GLM)")
    notes += [str(w.message).strip().splitlines()[0] for w in caught
              if issubclass(w.category, (PerfectSeparationWarning, ConvergenceWarning))]
    if separation:
        notes.append("(quasi-)complete separation: the covariates predict the treatment "
                     "perfectly for some rows (no finite maximum)")
    if not res.converged:
        notes.append("IRLS did not converge in 100 iterations")
    return np.asarray(res.params), bool(res.converged), separation, notes


def propensity_scores(
    frame: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    categorical: Sequence[str] = (),
    fixed_effects: Sequence[str] = (),
    *,
    start_params: Sequence[float] | np.ndarray | None = None,
) -> pd.Series:
    """Logistic-regression propensity scores P(treatment = 1 | covariates, fixed effects).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per person; not modified.
    treatment : str
        Treatment column: 0/1, booleans, text "0"/"1" or a two-level Categorical
        (:func:`analysis._common.as_treatment`); anything else raises ValueError.
    covariates : sequence of str
        Numeric covariates (design columns such as spline terms included), or
        categorical ones listed in ``categorical`` (dummies, first level reference).
    categorical : sequence of str, default ()
        Categorical covariates.
    fixed_effects : sequence of str, default ()
        Columns entered as dummies (e.g. a unit); none unless the caller names them.
    start_params : array-like of float, optional
        Starting values (``attrs["params"]`` of an earlier fit); ignored when its length
        does not match the design.

    Returns
    -------
    pandas.Series
        Named ``"ps"``, aligned with ``frame.index``; NaN for rows with a missing
        treatment or covariate. ``Series.attrs``: ``converged``, ``separation`` (bool),
        ``warnings`` (str), ``n_dropped_missing`` (int), ``params`` (tuple),
        ``design_names`` (tuple of the design's column names).

    Notes
    -----
    Main-effects logit by maximum likelihood (:func:`fit_logit_scaled`: Newton-Raphson
    on standardised columns, coefficients mapped back). Separation is reported in
    ``attrs`` only when the likelihood has no finite maximum (a linear program decides,
    Konis 2007), not merely because some scores are near 0 or 1. Complete-case rule for
    missing covariates. Data that cannot support the model raise
    :class:`analysis.estimability.NotEstimable` (:func:`analysis.models.build_design`).

    References
    ----------
    Rosenbaum PR, Rubin DB (1983). The central role of the propensity score in
    observational studies for causal effects. Biometrika 70:41-55.
    Konis K (2007). Linear programming algorithms for detecting separated data in binary
    logistic regression models. DPhil thesis, University of Oxford.
    """
    # the treatment enters as the logit's outcome: read its coding first (only the model's
    # columns are copied)
    cols = list(dict.fromkeys([treatment, *covariates, *fixed_effects]))
    model = frame[cols].copy()
    model[treatment] = as_treatment(frame[treatment], treatment)
    d = build_design(model, treatment, None, covariates, categorical, fixed_effects)
    params, converged, separation, notes = fit_logit_scaled(
        d.X, d.y, _start(start_params, d.X.shape[1]))
    with np.errstate(over="ignore"):
        ps_used = special.expit(d.X @ params)
    if d.n_dropped == 0:
        ps = pd.Series(ps_used, index=frame.index, name="ps", dtype="float64")
    else:
        ps = pd.Series(np.nan, index=frame.index, name="ps", dtype="float64")
        ps.loc[d.used] = ps_used
    ps.attrs = {"converged": converged, "separation": separation,
                "warnings": "; ".join(dict.fromkeys(notes)),
                "n_dropped_missing": d.n_dropped,
                "params": tuple(float(v) for v in params),
                "design_names": tuple(d.names)}  # fmt: skip
    return ps


def _ps_groups(ps: Any, treated: Any) -> tuple[np.ndarray, np.ndarray]:
    p = _as_array(ps, name="ps")
    t = as_treatment(treated, "treated")
    if len(t) != len(p):
        raise ValueError("treated must have the same length as ps")
    ok = ~np.isnan(p) & ~np.isnan(t)
    p1, p0 = p[ok & (t == 1)], p[ok & (t == 0)]
    if len(p1) == 0 or len(p0) == 0:
        raise ValueError("both groups need at least one propensity score")
    return p1, p0


def overlap_bins(ps: Any, treated: Any, *, bins: int = 20) -> pd.DataFrame:
    """Binned propensity-score distribution per group, for an overlap figure.

    One row per equal-width bin on [0, 1] with :data:`OVERLAP_BIN_COLUMNS`; bins are
    closed on the left except the last, which includes 1 (``numpy.histogram``);
    ``share_*`` is the count over the group's total (each share column sums to 1).
    """
    p1, p0 = _ps_groups(ps, treated)
    edges = np.linspace(0.0, 1.0, bins + 1)
    c1, _ = np.histogram(p1, bins=edges)
    c0, _ = np.histogram(p0, bins=edges)
    return pd.DataFrame({
        "bin": np.arange(1, bins + 1), "bin_low": edges[:-1], "bin_high": edges[1:],
        "n_treated": c1, "n_control": c0,
        "share_treated": c1 / len(p1), "share_control": c0 / len(p0),
    }, columns=OVERLAP_BIN_COLUMNS)  # fmt: skip


def crump_alpha(ps: Any, weights: Any | None = None) -> float:
    """Crump et al.'s (2009) optimal trimming threshold alpha for the scores ``ps``.

    Keep rows with ``alpha <= e <= 1 - alpha``. With ``g = 1 / (e (1 - e))``: alpha = 0
    when ``max g <= 2 mean g``; else ``alpha = 1/2 - sqrt(1/4 - 1/gamma)`` where gamma
    solves ``gamma = 2 mean(g | g <= gamma)``: with g sorted and ``r_k`` the mean of its
    first k values, ``gamma = 2 r_k`` for the first k with ``g_(k+1) > 2 r_k`` (between
    two sorted values the conditional mean is constant, so that is where the two sides
    meet first).

    ``weights`` (optional, >= 0): frequency weights, e.g. the counts of a bootstrap
    resample; the result equals that of the scores repeated that many times. (Within a
    run of equal scores the running mean only moves towards their g, so the condition
    needs checking only where the score changes: at the end of each weighted row.)
    """
    e = _as_array(ps, name="ps")
    f = np.ones(len(e)) if weights is None else np.asarray(weights, dtype="float64")
    ok = ~np.isnan(e) & (e > 0) & (e < 1) & (f > 0)
    g = 1.0 / (e[ok] * (1.0 - e[ok]))
    order = np.argsort(g, kind="stable")
    g, f = g[order], f[ok][order]
    if len(g) == 0:
        return 0.0
    mean = g.mean() if weights is None else (f @ g) / f.sum()
    if g[-1] <= 2 * mean:
        return 0.0
    running = np.cumsum(f * g) / np.cumsum(f)
    k = int(np.flatnonzero(g[1:] > 2 * running[:-1])[0])
    gamma = float(2 * running[k])
    return float(0.5 - np.sqrt(max(0.25 - 1.0 / gamma, 0.0)))


def trim_rule(ps: Any, *, rule: str = "crump", bounds: tuple[float, float] = (0.1, 0.9)
              ) -> tuple[np.ndarray, float, float]:  # fmt: skip
    """Rows a trimmed analysis keeps: (mask, lower bound, upper bound).

    ``rule="crump"``: ``alpha <= e <= 1 - alpha`` with :func:`crump_alpha`;
    ``rule="fixed"``: ``bounds[0] <= e <= bounds[1]`` (the common 0.1 / 0.9 rule).
    Rows with a missing score are not kept. Trimming changes the estimand to the
    treated (or everyone) within the kept score range.
    """
    e = _as_array(ps, name="ps")
    if rule == "crump":
        a = crump_alpha(e)
        lo, hi = a, 1.0 - a
    elif rule == "fixed":
        lo, hi = bounds
        if not 0 <= lo < hi <= 1:
            raise ValueError("bounds must satisfy 0 <= low < high <= 1")
    else:
        raise ValueError("rule must be 'crump' or 'fixed'")
    with np.errstate(invalid="ignore"):
        keep = (e >= lo) & (e <= hi)
    return keep, float(lo), float(hi)


def overlap_summary(ps: Any, treated: Any) -> pd.DataFrame:
    """Range of the scores per group, who falls outside the other's range, the tails.

    One row with :data:`OVERLAP_SUMMARY_COLUMNS`. ``n_control_outside``: controls with
    a score outside the treated range (they carry no information for the ATT);
    ``n_treated_outside``: treated outside the control range (the ATT extrapolates for
    them); shares over the group's size. ``n_*_above_0_9`` / ``n_*_below_0_1``: scores
    in the tails of the 0.1 / 0.9 rule; ``crump_alpha`` (:func:`crump_alpha` on both
    groups' scores) and ``n_outside_crump`` (rows that rule would drop).
    """
    p1, p0 = _ps_groups(ps, treated)
    c_out = int(((p0 < p1.min()) | (p0 > p1.max())).sum())
    t_out = int(((p1 < p0.min()) | (p1 > p0.max())).sum())
    both = np.concatenate([p1, p0])
    a = crump_alpha(both)
    row = {
        "n_treated": len(p1), "n_control": len(p0),
        "ps_min_treated": float(p1.min()), "ps_max_treated": float(p1.max()),
        "ps_min_control": float(p0.min()), "ps_max_control": float(p0.max()),
        "n_control_outside": c_out, "share_control_outside": c_out / len(p0),
        "n_treated_outside": t_out, "share_treated_outside": t_out / len(p1),
        "n_treated_above_0_9": int((p1 > 0.9).sum()),
        "n_control_above_0_9": int((p0 > 0.9).sum()),
        "n_treated_below_0_1": int((p1 < 0.1).sum()),
        "n_control_below_0_1": int((p0 < 0.1).sum()),
        "crump_alpha": a, "n_outside_crump": int(((both < a) | (both > 1 - a)).sum()),
    }  # fmt: skip
    return pd.DataFrame([row], columns=OVERLAP_SUMMARY_COLUMNS)
