"""Doubly robust effect on the treated (ATT): an ATT-weighted outcome regression among the
controls, averaged over the treated (g-computation), with a stacked M-estimation SE
that accounts for both the propensity model and the outcome model.

One public function, :func:`dr_att`, returning one tidy row per estimand. Inputs are
never modified; nothing here knows the study (fixed effects are named by the caller).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from analysis._lazy import lazy_import
from analysis.estimability import NotEstimable
from analysis.models import _start, build_design
from analysis.propensity import fit_logit_scaled

sm = lazy_import("statsmodels.api")
special = lazy_import("scipy.special")
stats = lazy_import("scipy.stats")

__all__ = ["dr_att", "DR_COLUMNS"]

DR_COLUMNS = [
    "outcome", "treatment", "kind", "estimand", "estimate", "ci_low", "ci_high", "p_val",
    "se", "se_scale", "mean_treated", "mean_control_dr", "n_used", "n_dropped_missing",
    "n_treated", "n_control", "ess_control", "converged", "separation", "warnings",
    "cov_type", "alpha",
]  # fmt: skip

Kind = Literal["binary", "continuous", "count"]
#: statsmodels family (a class of ``sm.families``, looked up when used) per kind
_FAMILY = {"binary": "Binomial", "continuous": "Gaussian", "count": "Poisson"}
#: estimands per kind: (name, scale of the SE)
_SPECS = {
    "binary": [("att_rd", "rd"), ("att_or", "log_or"), ("att_rr", "log_rr")],
    "continuous": [("att_md", "mean_difference")],
    "count": [("att_rr", "log_rr")],
}


def _inverse_link(kind: str, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and its derivative d mu / d eta for the canonical link of ``kind``."""
    with np.errstate(over="ignore"):
        if kind == "binary":
            mu = special.expit(eta)
            return mu, mu * (1 - mu)
        if kind == "count":
            mu = np.exp(eta)
            return mu, mu
    return eta, np.ones_like(eta)


def _outcome_fit(Z0: np.ndarray, y0: np.ndarray, w0: np.ndarray, kind: str,
                 start: np.ndarray | None) -> tuple[np.ndarray, bool, list[str]]:  # fmt: skip
    """Weighted canonical GLM of the controls' outcome (statsmodels GLM, ``var_weights``)."""
    keep = w0 > 0
    Zk, yk, wk = Z0[keep], y0[keep], w0[keep]
    if np.linalg.matrix_rank(Zk.T @ (Zk * wk[:, None]), hermitian=True) < Zk.shape[1]:
        raise NotEstimable("collinear", "the outcome model among the weighted controls is "
                           "rank deficient (a level or unit without weighted controls)")
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        res = sm.GLM(yk, Zk, family=getattr(sm.families, _FAMILY[kind])(), var_weights=wk).fit(
            start_params=start, maxiter=100)
    notes = [str(c.message).strip().splitlines()[0] for c in caught
             if issubclass(c.category, (PerfectSeparationWarning, ConvergenceWarning))]
    return np.asarray(res.params), bool(res.converged), notes


def _stacked_cov(
    Z: np.ndarray, y: np.ndarray, t: np.ndarray, e: np.ndarray, w: np.ndarray,
    capped: np.ndarray, m: np.ndarray, dm: np.ndarray, mu1: float, mu0: float,
) -> np.ndarray:  # fmt: skip
    """Covariance of (mu1, mu0) from the stacked estimating equations (see dr_att)."""
    n, k = Z.shape
    c = 1.0 - t
    psi = np.column_stack([
        Z * (t - e)[:, None],
        Z * (c * w * (y - m))[:, None],
        t * (y - mu1),
        t * (m - mu0),
    ])  # fmt: skip
    p = 2 * k + 2
    A = np.zeros((p, p))
    g, b, i1, i0 = slice(0, k), slice(k, 2 * k), 2 * k, 2 * k + 1
    A[g, g] = (Z * (e * (1 - e))[:, None]).T @ Z / n
    dw = np.where(capped, 0.0, c * w)  # d w / d gamma = w z for uncapped controls
    A[b, g] = -(Z * (dw * (y - m))[:, None]).T @ Z / n
    A[b, b] = (Z * (c * w * dm)[:, None]).T @ Z / n
    A[i1, i1] = t.mean()
    A[i0, b] = -(t * dm) @ Z / n
    A[i0, i0] = t.mean()
    a_inv = np.linalg.inv(A)
    V = a_inv @ (psi.T @ psi / n) @ a_inv.T / n
    return V[2 * k:, 2 * k:]


def dr_att(
    frame: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    *,
    kind: Kind,
    categorical: Sequence[str] = (),
    fixed_effects: Sequence[str] = (),
    trim: float | None = 0.99,
    alpha: float = 0.05,
    ps_start: Sequence[float] | np.ndarray | None = None,
    outcome_start: Sequence[float] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Doubly robust ATT: weighted outcome regression among controls, g-computation over
    the treated, stacked M-estimation SE.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per person; not modified.
    outcome, treatment : str
        Column names; the treatment as :func:`analysis._common.as_treatment` reads it
        (0/1, booleans, text "0"/"1", two-level Categorical).
    covariates, categorical, fixed_effects
        The terms of BOTH models (propensity and outcome), as in
        :func:`analysis.models.build_design`; fixed effects none unless named.
    kind : {"binary", "continuous", "count"}
        Outcome model: logit, linear or Poisson (log link). Binary gives ``att_rd``,
        ``att_or`` (marginal odds ratio) and ``att_rr``; continuous ``att_md``; count
        ``att_rr``.
    trim : float or None, default 0.99
        Cap on the control propensity score (as :func:`analysis.ps_weights.att_weights`).
    alpha : float, default 0.05
        Confidence level ``1 - alpha``.
    ps_start, outcome_start : array-like, optional
        Warm starts (the same maxima).

    Returns
    -------
    pandas.DataFrame
        One row per estimand with :data:`DR_COLUMNS`: ``estimate, ci_low, ci_high,
        p_val`` on the natural scale; ``se`` on ``se_scale`` ("rd", "log_or", "log_rr",
        "mean_difference"); ``mean_treated`` (``mu1``), ``mean_control_dr`` (``mu0``);
        ``ess_control`` (Kish, ATT weights); ``converged``, ``separation`` (of the PS
        model), ``warnings``; ``cov_type`` "M-estimation (PS + outcome model)".

    Notes
    -----
    - Estimator. PS ``e = expit(z'g)`` by ML (:func:`analysis.propensity.fit_logit_scaled`);
      control weights ``w = e / (1 - e)`` (capped at ``trim``); the outcome model
      ``h(z'b)`` (canonical link) is fitted to the controls with weights ``w``; then
      ``mu1`` = mean outcome of the treated and ``mu0`` = mean of ``h(z_i'b)`` over the
      treated. With an intercept the weighted score equations make the AIPW
      augmentation ``sum_controls w (y - h)`` exactly zero, so this IS the normalised
      AIPW estimator of the ATT (Kang & Schafer 2007, weighted regression estimator;
      Moodie et al. 2018): consistent when either the PS or the outcome model is right,
      and ``mu0`` stays in [0, 1] for binary outcomes.
    - SE. Stacked estimating equations, one row each::

          z (t - e)                    (PS logit score)
          (1 - t) w z (y - h(z'b))     (weighted outcome model among controls)
          t (y - mu1)                  (treated mean)
          t (h(z'b) - mu0)             (g-computation over the treated)

      ``V = A^-1 B A^-T / n`` (Stefanski & Boos 2002) with the analytic Jacobian ``A``
      (capped weights have zero derivative); RD / MD ``mu1 - mu0``, marginal log-OR
      ``logit(mu1) - logit(mu0)``, log-RR ``log(mu1 / mu0)`` by the delta method;
      Wald intervals (log scale for OR and RR).
    - Both models use the same terms (covariates, spline terms, fixed effects). Missing
      data: complete cases over outcome, treatment, covariates and fixed effects.

    References
    ----------
    Kang JDY, Schafer JL (2007). Demystifying double robustness. Statistical Science
    22:523-539.
    Moodie EEM, Saarela O, Stephens DA (2018). A doubly robust weighting estimator of the
    average treatment effect on the treated. Stat 7:e205.
    Stefanski LA, Boos DD (2002). The calculus of M-estimation. The American
    Statistician 56:29-38.
    """
    if kind not in _SPECS:
        raise ValueError("kind must be 'binary', 'continuous' or 'count'")
    d = build_design(frame, outcome, treatment, covariates, categorical, fixed_effects)
    t = d.X[:, d.treat_col]
    Z = np.delete(d.X, d.treat_col, axis=1)
    y = d.y
    if kind == "binary" and not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("binary outcome must be coded 0/1")
    if kind == "count" and ((y < 0).any() or not np.allclose(y, np.round(y))):
        raise ValueError("count outcome must be non-negative integers")
    if trim is not None and not 0.5 < trim < 1:
        raise ValueError("trim must be in (0.5, 1) or None")
    gamma, ps_converged, separation, notes = fit_logit_scaled(
        Z, t, _start(ps_start, Z.shape[1]))
    with np.errstate(over="ignore"):
        e = special.expit(Z @ gamma)
    control = t == 0
    capped = control & (e > trim) if trim is not None else np.zeros(len(t), bool)
    e_w = np.where(capped, trim if trim is not None else 0.0, e)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(control, e_w / (1 - e_w), 0.0)
    if not np.isfinite(w).all():
        raise NotEstimable("separation", "a control has a propensity score of 1")
    if not (w[control] > 0).any():
        raise NotEstimable("too_few_respondents", "no control has a positive weight")
    beta, out_converged, out_notes = _outcome_fit(Z[control], y[control], w[control], kind,
                                                  _start(outcome_start, Z.shape[1]))
    notes += out_notes
    m, dm = _inverse_link(kind, Z @ beta)
    treated = t == 1
    mu1, mu0 = float(y[treated].mean()), float(m[treated].mean())
    V = _stacked_cov(Z, y, t, e, w, capped, m, dm, mu1, mu0)
    z = stats.norm.ppf(1 - alpha / 2)
    w0 = w[control]
    rows = []
    for estimand, scale in _SPECS[kind]:
        with np.errstate(divide="ignore", invalid="ignore"):
            if scale == "log_or":
                b = float(special.logit(mu1) - special.logit(mu0))
                grad = np.array([1 / (mu1 * (1 - mu1)), -1 / (mu0 * (1 - mu0))])
            elif scale == "log_rr":
                b, grad = float(np.log(mu1 / mu0)), np.array([1 / mu1, -1 / mu0])
            else:
                b, grad = mu1 - mu0, np.array([1.0, -1.0])
            se = float(np.sqrt(grad @ V @ grad))
            p = float(2 * stats.norm.sf(abs(b / se)))
        lo, hi = b - z * se, b + z * se
        if scale.startswith("log"):
            b, lo, hi = np.exp(b), np.exp(lo), np.exp(hi)
        rows.append({
            "outcome": outcome, "treatment": treatment, "kind": kind, "estimand": estimand,
            "estimate": float(b), "ci_low": float(lo), "ci_high": float(hi), "p_val": p,
            "se": se, "se_scale": scale, "mean_treated": mu1, "mean_control_dr": mu0,
            "n_used": len(y), "n_dropped_missing": d.n_dropped,
            "n_treated": int(treated.sum()), "n_control": int(control.sum()),
            "ess_control": float(w0.sum() ** 2 / (w0**2).sum()),
            "converged": ps_converged and out_converged, "separation": separation,
            "warnings": "; ".join(dict.fromkeys(notes)),
            "cov_type": "M-estimation (PS + outcome model)", "alpha": alpha,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=DR_COLUMNS)
