"""Propensity-score weighted effects on the treated (ATT).

:func:`weighted_effect` compares weighted group means with a sandwich SE that treats the
weights as known; :func:`att_effect` fits the propensity score itself and stacks its
score equations with the weighted means (M-estimation), so the SE accounts for both
steps. The pieces live beside it: :mod:`analysis.propensity` (scores, overlap,
trimming rules), :mod:`analysis.ps_weights` (ATT / ATO weights, ESS, warnings),
:mod:`analysis.balance` (balance tables) and :mod:`analysis.doubly_robust` (the doubly
robust ATT). Inputs are never modified; fixed effects are named by the caller.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from analysis._common import as_treatment
from analysis._lazy import lazy_import
from analysis.estimability import NotEstimable
from analysis.models import build_design
from analysis.propensity import fit_logit_scaled

sm = lazy_import("statsmodels.api")
special = lazy_import("scipy.special")
stats = lazy_import("scipy.stats")

__all__ = ["weighted_effect", "att_effect", "WEIGHTED_EFFECT_COLUMNS"]

WEIGHTED_EFFECT_COLUMNS = [
    "outcome", "treatment", "kind", "estimand", "estimate", "ci_low", "ci_high", "p_val",
    "se", "se_scale", "mean_treated_w", "mean_control_w", "n_used", "n_dropped_missing",
    "n_treated", "n_control", "ess_control", "converged", "warnings", "cov_type", "alpha",
]  # fmt: skip


def _resolve(frame: pd.DataFrame, values: Any, name: str) -> np.ndarray:
    if isinstance(values, str):
        values = frame[values]
    arr = np.asarray(pd.Series(values).astype("float64"), dtype="float64")
    if len(arr) != len(frame):
        raise ValueError(f"{name} must have the same length as the other inputs")
    return arr


def _saturated_fit(
    y: np.ndarray, t: np.ndarray, w: np.ndarray, family: sm.families.Family
) -> tuple[float, float] | None:
    """Closed form of :func:`_weighted_fit` (treatment coefficient and HC0 SE), or None.

    The model (intercept + 0/1 treatment, canonical link, ``var_weights`` w) is
    saturated in the two groups, so its ML fit reproduces the weighted group means
    ``m_g = sum_g w y / sum_g w``: the coefficient is ``g(m_1) - g(m_0)`` with the link
    g (identity, logit, log). The HC0 sandwich ``B M B`` with ``B = (X' diag(w v(mu))
    X)^-1`` and ``M = X' diag(w^2 (y - mu)^2) X`` then has the closed form
    ``var = sum_g M_g / (v(m_g) W_g)^2`` with ``W_g = sum_g w``, ``M_g = sum_g w^2 (y -
    m_g)^2`` and the variance function v (1, m (1 - m), m). None when a mean is on the
    boundary of the family (no finite ML estimate): the caller then fits by statsmodels.
    """
    stats_g = []
    for g in (1.0, 0.0):
        sel = t == g
        wg, yg = w[sel], y[sel]
        total = wg.sum()
        if not total > 0:
            return None
        m = float((wg * yg).sum() / total)
        stats_g.append((m, total, float((wg**2 * (yg - m) ** 2).sum())))
    (m1, w1, s1), (m0, w0, s0) = stats_g
    if isinstance(family, sm.families.Gaussian):
        b, v1, v0 = m1 - m0, 1.0, 1.0
    elif isinstance(family, sm.families.Binomial):
        if not (0 < m1 < 1 and 0 < m0 < 1):
            return None
        b = float(special.logit(m1) - special.logit(m0))
        v1, v0 = m1 * (1 - m1), m0 * (1 - m0)
    elif isinstance(family, sm.families.Poisson):
        if not (m1 > 0 and m0 > 0):
            return None
        b, v1, v0 = float(np.log(m1) - np.log(m0)), m1, m0
    else:
        return None
    return b, float(np.sqrt(s1 / (v1 * w1) ** 2 + s0 / (v0 * w0) ** 2))


def _weighted_fit(
    y: np.ndarray, t: np.ndarray, w: np.ndarray, family: sm.families.Family
) -> tuple[float, float, bool, list[str]]:
    """Treatment coefficient, HC0 SE, converged, notes: closed form, else statsmodels."""
    closed = _saturated_fit(y, t, w, family)
    if closed is not None:
        return closed[0], closed[1], True, []
    return _weighted_glm(y, t, w, family)


def _weighted_glm(
    y: np.ndarray, t: np.ndarray, w: np.ndarray, family: sm.families.Family
) -> tuple[float, float, bool, list[str]]:
    """statsmodels GLM of y on an intercept and t with ``var_weights``; HC0 SE."""
    X = np.column_stack([np.ones_like(t), t])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sm.GLM(y, X, family=family, var_weights=w).fit(cov_type="HC0", maxiter=100)
    notes = [str(c.message).strip().splitlines()[0] for c in caught
             if issubclass(c.category, (PerfectSeparationWarning, ConvergenceWarning))]  # fmt: skip
    return float(res.params[1]), float(res.bse[1]), bool(res.converged), notes


def weighted_effect(
    frame: pd.DataFrame,
    outcome: str,
    treatment: str,
    weights: Any,
    *,
    kind: Literal["binary", "continuous", "count"],
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Weighted (e.g. ATT) outcome comparison with a robust sandwich standard error.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per person; not modified.
    outcome, treatment : str
        Column names; the treatment as :func:`analysis._common.as_treatment` reads it.
    weights : str or array-like of float
        Column name or weights aligned with ``frame`` (ATT weights: 1 for treated).
    kind : {"binary", "continuous", "count"}
        ``"binary"`` gives two rows: ``att_rd`` (risk difference) and ``att_or``
        (marginal odds ratio); ``"continuous"``: ``att_md``; ``"count"``: ``att_rr``.
    alpha : float, default 0.05
        Confidence level ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        One row per estimand with :data:`WEIGHTED_EFFECT_COLUMNS`: ``estimate, ci_low,
        ci_high, p_val`` on the natural scale; ``se`` on ``se_scale`` ("rd", "log_or",
        "mean_difference", "log_rr"); the weighted group means; ``n_used``,
        ``n_dropped_missing``, group sizes, ``ess_control`` (Kish), ``converged``,
        ``warnings``, ``cov_type`` ("HC0"), ``alpha``.

    Notes
    -----
    - Model: GLM of the outcome on an intercept and the treatment with the weights as
      ``var_weights`` (identity link Gaussian for the RD / MD, i.e. the difference of
      weighted means; logit link Binomial for the marginal OR; log link Poisson for the
      RR). Weights are never passed as ``freq_weights``, which would treat them as
      replicated rows and shrink the SEs (statsmodels issues #2848, #8891).
    - Computation: the model is saturated in the two groups, so the fit is the pair of
      weighted group means ``m_1, m_0`` (estimate ``g(m_1) - g(m_0)`` with the link g)
      and its HC0 sandwich has a closed form, ``sum_g sum_{i in g} w_i^2 (y_i -
      m_g)^2 / (v(m_g) sum_{i in g} w_i)^2`` (v the variance function); both are
      computed so, which equals statsmodels' GLM fit to about 1e-12 relative. When a
      mean is 0 (or 1 for the OR) there is no finite estimate and statsmodels' GLM is
      fitted as in earlier versions, reporting its warnings and convergence.
    - SE: HC0 sandwich (as WeightIt / ``survey::svyglm`` without the n/(n-1) factor),
      normal-theory Wald intervals (log scale for OR and RR). It treats the weights as
      known: the uncertainty from estimating the propensity score is ignored. For the
      ATT this can go either way (Reifeis & Hudgens 2022); see the simulation study in
      ``docs/method_validation.md`` for its coverage here.
    - Missing data: rows with a missing outcome, treatment or weight are dropped and
      counted. A group left without complete rows raises
      :class:`analysis.estimability.NotEstimable` (``outcome_missing`` when its outcome
      is missing throughout, else ``too_few_respondents``).

    References
    ----------
    Lumley T (2010). Complex Surveys: A Guide to Analysis Using R. Wiley.
    Reifeis SA, Hudgens MG (2022). On variance of the treatment effect in the treated
    when estimated by inverse probability weighting. American Journal of Epidemiology
    191:1092-1097.
    """
    if kind not in ("binary", "continuous", "count"):
        raise ValueError("kind must be 'binary', 'continuous' or 'count'")
    w_all = _resolve(frame, weights, "weights")
    sub = pd.DataFrame({"y": frame[outcome].to_numpy(dtype="float64", na_value=np.nan),
                        "t": as_treatment(frame[treatment], treatment),
                        "w": w_all})  # fmt: skip
    complete = sub.notna().all(axis=1)
    data = sub.loc[complete]
    y, t, w = (data[c].to_numpy() for c in ("y", "t", "w"))
    if (w < 0).any():
        raise ValueError("weights must be non-negative")
    if kind == "binary" and not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("binary outcome must be coded 0/1")
    if kind == "count" and ((y < 0).any() or not np.allclose(y, np.round(y))):
        raise ValueError("count outcome must be non-negative integers")
    for code in (1.0, 0.0):
        if (t == code).any():
            continue
        in_group = sub["t"] == code
        if not sub.loc[in_group, "y"].notna().any():
            raise NotEstimable("outcome_missing",
                               f"{outcome} has no values where {treatment} = {code:g}")
        raise NotEstimable("too_few_respondents", f"no complete rows where {treatment} = {code:g}")
    m1 = float(np.average(y[t == 1], weights=w[t == 1]))
    m0 = float(np.average(y[t == 0], weights=w[t == 0]))
    w0 = w[t == 0]
    specs = {
        "binary": [("att_rd", "rd", sm.families.Gaussian()),
                   ("att_or", "log_or", sm.families.Binomial())],
        "continuous": [("att_md", "mean_difference", sm.families.Gaussian())],
        "count": [("att_rr", "log_rr", sm.families.Poisson())],
    }[kind]  # fmt: skip
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for estimand, scale, family in specs:
        b, se, converged, notes = _weighted_fit(y, t, w, family)
        lo, hi = b - z * se, b + z * se
        with np.errstate(divide="ignore", invalid="ignore"):
            p = float(2 * stats.norm.sf(abs(b / se)))
        if scale.startswith("log"):
            b, lo, hi = np.exp(b), np.exp(lo), np.exp(hi)
        rows.append({
            "outcome": outcome, "treatment": treatment, "kind": kind, "estimand": estimand,
            "estimate": float(b), "ci_low": float(lo), "ci_high": float(hi), "p_val": p,
            "se": se, "se_scale": scale, "mean_treated_w": m1, "mean_control_w": m0,
            "n_used": len(y), "n_dropped_missing": int((~complete).sum()),
            "n_treated": int(t.sum()), "n_control": int((t == 0).sum()),
            "ess_control": float(w0.sum() ** 2 / (w0**2).sum()),
            "converged": converged, "warnings": "; ".join(notes), "cov_type": "HC0",
            "alpha": alpha,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=WEIGHTED_EFFECT_COLUMNS)


def _att_mestimation(
    y: np.ndarray, t: np.ndarray, Z: np.ndarray, beta: np.ndarray, trim: float | None,
    ps_adjusted: bool,
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Weighted means and their stacked M-estimation covariance.

    Estimating functions per row (``e = expit(z'b)``, ``w = e / (1 - e)`` capped by
    ``trim``)::

        psi_b  = z (t - e)                  (logit PS score)
        psi_1  = t (y - mu1)                (treated mean)
        psi_0  = (1 - t) w (y - mu0)        (weighted control mean)

    ``V = A^-1 B A^-T / n`` with ``A = -mean(d psi / d theta)``, ``B = mean(psi psi')``.
    ``ps_adjusted=False`` drops the PS block (weights treated as known), which reproduces
    the HC0 sandwich of :func:`weighted_effect`.
    """
    n = len(y)
    e = stats.logistic.cdf(Z @ beta)
    capped = (t == 0) & (e > trim) if trim is not None else np.zeros(n, bool)
    e_w = np.where(capped, trim if trim is not None else 0.0, e)
    w = np.where(t == 1, 1.0, e_w / (1 - e_w))
    c = (1 - t) * w
    mu1 = float((t * y).sum() / t.sum())
    mu0 = float((c * y).sum() / c.sum())
    psi_m = np.column_stack([t * (y - mu1), c * (y - mu0)])
    a_mm = np.diag([t.mean(), c.mean()])
    if not ps_adjusted:
        a_inv = np.linalg.inv(a_mm)
        v = a_inv @ (psi_m.T @ psi_m / n) @ a_inv.T / n
        return mu1, mu0, v, w
    k = Z.shape[1]
    psi = np.column_stack([Z * (t - e)[:, None], psi_m])
    A = np.zeros((k + 2, k + 2))
    A[:k, :k] = (Z * (e * (1 - e))[:, None]).T @ Z / n
    dw = np.where(capped, 0.0, c)  # d w / d b = w z for uncapped controls
    A[k + 1, :k] = -(Z * (dw * (y - mu0))[:, None]).mean(axis=0)
    A[k:, k:] = a_mm
    a_inv = np.linalg.inv(A)
    v = (a_inv @ (psi.T @ psi / n) @ a_inv.T / n)[k:, k:]
    return mu1, mu0, v, w


def att_effect(
    frame: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    *,
    kind: Literal["binary", "continuous", "count"],
    categorical: Sequence[str] = (),
    fixed_effects: Sequence[str] = (),
    trim: float | None = 0.99,
    alpha: float = 0.05,
    ps_adjusted: bool = True,
) -> pd.DataFrame:
    """PS-weighted ATT whose SE accounts for estimating the propensity score.

    Fits the logit propensity score (as :func:`analysis.propensity.propensity_scores`),
    forms ATT weights (as :func:`analysis.ps_weights.att_weights`) and compares the
    treated mean with the weighted control mean, with a stacked M-estimation sandwich
    covering both steps.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per person; not modified.
    outcome, treatment : str
        Column names; the treatment as :func:`analysis._common.as_treatment` reads it.
    covariates, categorical, fixed_effects
        Propensity-score model, as in :func:`analysis.propensity.propensity_scores`
        (fixed effects: none unless named).
    kind : {"binary", "continuous", "count"}
        ``"binary"``: rows ``att_rd`` and ``att_or``; ``"continuous"``: ``att_md``;
        ``"count"``: ``att_rr``.
    trim : float or None, default 0.99
        Cap on the control propensity score, as in :func:`analysis.ps_weights.att_weights`.
    alpha : float, default 0.05
        Confidence level ``1 - alpha``.
    ps_adjusted : bool, default True
        False treats the weights as known (then the SE equals :func:`weighted_effect`'s
        HC0 sandwich); for comparison only.

    Returns
    -------
    pandas.DataFrame
        :data:`WEIGHTED_EFFECT_COLUMNS`, as :func:`weighted_effect`; ``cov_type`` is
        "M-estimation" (or "HC0" with ``ps_adjusted=False``).

    Notes
    -----
    - Estimands are functions of the treated mean ``mu1`` and the ATT-weighted control
      mean ``mu0``: RD / MD ``mu1 - mu0``, marginal log-OR ``logit(mu1) - logit(mu0)``,
      log-RR ``log(mu1) - log(mu0)``; SEs by the delta method from the stacked
      covariance of (PS coefficients, mu1, mu0), Wald intervals (log scale for OR, RR).
    - The PS-estimation term matters for the ATT and can raise or lower the SE (Reifeis &
      Hudgens 2022); the simple sandwich was anti-conservative in this project's
      simulation study (``docs/method_validation.md``).
    - Capped weights are constants (zero derivative in the PS coefficients).
    - Missing data: complete cases over outcome, treatment, covariates and fixed
      effects (the PS is fitted on those rows).

    References
    ----------
    Lunceford JK, Davidian M (2004). Stratification and weighting via the propensity
    score in estimation of causal treatment effects. Statistics in Medicine 23:2937-2960.
    Reifeis SA, Hudgens MG (2022). On variance of the treatment effect in the treated when
    estimated by inverse probability weighting. American Journal of Epidemiology
    191:1092-1097.
    Stefanski LA, Boos DD (2002). The calculus of M-estimation. The American
    Statistician 56:29-38.
    """
    if kind not in ("binary", "continuous", "count"):
        raise ValueError("kind must be 'binary', 'continuous' or 'count'")
    d = build_design(frame, outcome, treatment, covariates, categorical, fixed_effects)
    t = d.X[:, d.treat_col]
    Z = np.delete(d.X, d.treat_col, axis=1)
    y = d.y
    if kind == "binary" and not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("binary outcome must be coded 0/1")
    if kind == "count" and ((y < 0).any() or not np.allclose(y, np.round(y))):
        raise ValueError("count outcome must be non-negative integers")
    gamma, ps_converged, _, notes = fit_logit_scaled(Z, t)
    mu1, mu0, v, w = _att_mestimation(y, t, Z, gamma, trim, ps_adjusted)
    specs = {
        "binary": [("att_rd", "rd"), ("att_or", "log_or")],
        "continuous": [("att_md", "mean_difference")],
        "count": [("att_rr", "log_rr")],
    }[kind]  # fmt: skip
    z = stats.norm.ppf(1 - alpha / 2)
    w0 = w[t == 0]
    rows = []
    for estimand, scale in specs:
        if scale == "log_or":
            b = np.log(mu1 / (1 - mu1)) - np.log(mu0 / (1 - mu0))
            g = np.array([1 / (mu1 * (1 - mu1)), -1 / (mu0 * (1 - mu0))])
        elif scale == "log_rr":
            b, g = np.log(mu1 / mu0), np.array([1 / mu1, -1 / mu0])
        else:
            b, g = mu1 - mu0, np.array([1.0, -1.0])
        with np.errstate(invalid="ignore"):  # NaN under separation: reported, not warned
            se = float(np.sqrt(g @ v @ g))
        lo, hi = b - z * se, b + z * se
        with np.errstate(divide="ignore", invalid="ignore"):
            p = float(2 * stats.norm.sf(abs(b / se)))
        if scale.startswith("log"):
            b, lo, hi = np.exp(b), np.exp(lo), np.exp(hi)
        rows.append({
            "outcome": outcome, "treatment": treatment, "kind": kind, "estimand": estimand,
            "estimate": float(b), "ci_low": float(lo), "ci_high": float(hi), "p_val": p,
            "se": se, "se_scale": scale, "mean_treated_w": mu1, "mean_control_w": mu0,
            "n_used": len(y), "n_dropped_missing": d.n_dropped,
            "n_treated": int(t.sum()), "n_control": int((t == 0).sum()),
            "ess_control": float(w0.sum() ** 2 / (w0**2).sum()),
            "converged": ps_converged, "warnings": "; ".join(notes),
            "cov_type": "M-estimation" if ps_adjusted else "HC0", "alpha": alpha,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=WEIGHTED_EFFECT_COLUMNS)
