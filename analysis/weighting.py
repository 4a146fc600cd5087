"""Propensity-score weighting for the average treatment effect on the treated (ATT).

Pipeline: :func:`propensity_scores` -> :func:`att_weights` -> diagnostics
(:func:`weight_summary`, :func:`balance_table`, :func:`overlap_bins`,
:func:`overlap_summary`) -> :func:`weighted_effect`. Inputs are never modified.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import special, stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from analysis.balance import standardized_mean_difference, variance_ratio
from analysis.estimability import NotEstimable
from analysis.models import _levels, _newton, _separated, _start, build_design

__all__ = [
    "propensity_scores", "att_weights", "weight_summary", "balance_table",
    "weighted_effect", "att_effect", "overlap_bins", "overlap_summary",
    "WEIGHT_SUMMARY_COLUMNS", "BALANCE_COLUMNS", "WEIGHTED_EFFECT_COLUMNS",
    "OVERLAP_BIN_COLUMNS", "OVERLAP_SUMMARY_COLUMNS",
]  # fmt: skip

WEIGHT_SUMMARY_COLUMNS = [
    "group", "n", "sum_weights", "ess", "design_effect", "mean", "min", "q25", "median",
    "q75", "q99", "max", "n_trimmed",
]  # fmt: skip
BALANCE_COLUMNS = [
    "covariate", "level", "type", "n_treated", "n_control",
    "mean_treated", "mean_control", "mean_treated_w", "mean_control_w",
    "smd_unweighted", "smd_weighted", "vr_unweighted", "vr_weighted",
    "balanced_smd", "balanced_vr",
]  # fmt: skip
WEIGHTED_EFFECT_COLUMNS = [
    "outcome", "treatment", "kind", "estimand", "estimate", "ci_low", "ci_high", "p_val",
    "se", "se_scale", "mean_treated_w", "mean_control_w", "n_used", "n_dropped_missing",
    "n_treated", "n_control", "ess_control", "converged", "warnings", "cov_type", "alpha",
]  # fmt: skip
OVERLAP_BIN_COLUMNS = [
    "bin", "bin_low", "bin_high", "n_treated", "n_control", "share_treated", "share_control",
]  # fmt: skip
OVERLAP_SUMMARY_COLUMNS = [
    "n_treated", "n_control", "ps_min_treated", "ps_max_treated", "ps_min_control",
    "ps_max_control", "n_control_outside", "share_control_outside", "n_treated_outside",
    "share_treated_outside",
]  # fmt: skip

SMD_THRESHOLD = 0.1
VR_BOUNDS = (0.5, 2.0)


def propensity_scores(
    frame: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    categorical: Sequence[str] = (),
    fixed_effects: Sequence[str] = ("unit",),
    *,
    start_params: Sequence[float] | np.ndarray | None = None,
) -> pd.Series:
    """Logistic-regression propensity scores P(treatment = 1 | covariates, unit).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per person; not modified.
    treatment : str
        0/1 treatment column.
    covariates : sequence of str
        Numeric covariates, or categorical ones listed in ``categorical`` (dummies with the
        first level as reference).
    categorical : sequence of str, default ()
        Categorical covariates.
    fixed_effects : sequence of str, default ("unit",)
        Columns entered as dummies (unit fixed effects).
    start_params : array-like of float, optional
        Starting values for the logit, e.g. ``attrs["params"]`` of the scores of the
        previous imputed data set (a warm start: fewer Newton iterations, the same
        maximum). Ignored when its length does not match the design.

    Returns
    -------
    pandas.Series
        Named ``"ps"``, aligned with ``frame.index``; NaN for rows with a missing
        treatment or covariate. ``Series.attrs`` holds ``converged`` (bool),
        ``separation`` (bool), ``warnings`` (str), ``n_dropped_missing`` (int) and
        ``params`` (tuple of the logit coefficients, for ``start_params``).

    Notes
    -----
    Main-effects logit fitted by maximum likelihood with Newton-Raphson (statsmodels
    ``Logit``, ``method="newton"``: analytic Hessian, no decomposition of the n x p
    design); when that fails, does not converge or separates, by IRLS (statsmodels GLM,
    Binomial, 100 iterations) as in earlier versions. Both give the same scores to about
    1e-12 relative. Complete-case rule for missing covariates (impute first to keep
    everyone). Separation (fitted scores within 1e-8 of 0 or 1, or a statsmodels
    separation warning) means some people have no comparable counterpart: it is
    reported in ``attrs``, not raised. Data that cannot support the model (too few
    rows, a constant covariate, collinearity) raise
    :class:`analysis.estimability.NotEstimable` (see
    :func:`analysis.models.build_design`).

    References
    ----------
    Rosenbaum PR, Rubin DB (1983). The central role of the propensity score in
    observational studies for causal effects. Biometrika 70:41-55.
    """
    d = build_design(frame, treatment, None, covariates, categorical, fixed_effects)
    if not np.isin(d.y, (0.0, 1.0)).all():
        raise ValueError(f"treatment {treatment!r} must be coded 0/1")
    notes: list[str] = []
    fast = _newton(d.X, d.y, "binary", _start(start_params, d.X.shape[1]))
    converged = True
    if fast is not None:
        params, caught = fast
        ps_used = special.expit(d.X @ params)
        if _separated(ps_used, caught):
            fast = None  # degenerate: the statsmodels IRLS path below, as before
    if fast is None:
        with warnings.catch_warnings(record=True) as caught, np.errstate(over="ignore"):
            warnings.simplefilter("always")
            res = sm.GLM(d.y, d.X, family=sm.families.Binomial()).fit(maxiter=100)
            ps_used = np.asarray(res.fittedvalues)
        params, converged = np.asarray(res.params), bool(res.converged)
    separation = any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
    flagged = (PerfectSeparationWarning, ConvergenceWarning)
    notes += [str(w.message).strip().splitlines()[0] for w in caught
              if issubclass(w.category, flagged)]  # fmt: skip
    if ((ps_used < 1e-8) | (ps_used > 1 - 1e-8)).any():
        separation = True
        notes.append("(quasi-)complete separation: some propensity scores are 0 or 1")
    if not converged:
        notes.append("IRLS did not converge in 100 iterations")
    if d.n_dropped == 0:
        ps = pd.Series(ps_used, index=frame.index, name="ps", dtype="float64")
    else:
        ps = pd.Series(np.nan, index=frame.index, name="ps", dtype="float64")
        ps.loc[d.used] = ps_used
    ps.attrs = {"converged": converged, "separation": separation,
                "warnings": "; ".join(dict.fromkeys(notes)),
                "n_dropped_missing": d.n_dropped,
                "params": tuple(float(v) for v in params)}  # fmt: skip
    return ps


def _as_array(values: Any, n: int | None = None, name: str = "values") -> np.ndarray:
    arr = np.asarray(pd.Series(values).astype("float64"), dtype="float64").copy()
    if n is not None and len(arr) != n:
        raise ValueError(f"{name} must have the same length as the other inputs")
    return arr


def att_weights(ps: Any, treated: Any, *, trim: float | None = 0.99) -> pd.DataFrame:
    """ATT odds weights: 1 for the treated, ``ps / (1 - ps)`` for controls.

    Parameters
    ----------
    ps : array-like of float
        Propensity scores in (0, 1); NaN allowed (weight NaN).
    treated : array-like of {0, 1}
        Treatment indicator, aligned with ``ps``; NaN allowed (weight NaN).
    trim : float or None, default 0.99
        Trimming rule: control propensity scores above ``trim`` are set to ``trim``
        before weighting, so no control weight exceeds ``trim / (1 - trim)`` (99 with the
        default). ``None`` disables trimming.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``ps`` (its index if it is a Series): ``ps``, ``treated``,
        ``weight`` and ``trimmed`` (True for controls whose score was capped). The
        number trimmed is ``frame["trimmed"].sum()`` (also in :func:`weight_summary`).

    Notes
    -----
    Only the upper tail matters for the ATT: a control's weight grows without bound as
    its score approaches 1, while small scores only give small weights, so no lower
    bound is applied; treated weights are 1 whatever their score. Capping (rather than
    dropping) keeps every person in the sample and changes the estimand only for the
    capped controls.

    References
    ----------
    Hirano K, Imbens GW, Ridder G (2003). Efficient estimation of average treatment
    effects using the estimated propensity score. Econometrica 71:1161-1189.
    Lee BK, Lessler J, Stuart EA (2011). Weight trimming and propensity score weighting.
    PLoS ONE 6:e18174.
    """
    index = ps.index if isinstance(ps, pd.Series) else None
    p = _as_array(ps, name="ps")
    t = _as_array(treated, len(p), "treated")
    ok = ~np.isnan(p) & ~np.isnan(t)
    if not np.isin(t[ok], (0.0, 1.0)).all():
        raise ValueError("treated must be coded 0/1")
    if ((p[ok] <= 0) | (p[ok] >= 1)).any():
        raise ValueError("propensity scores must lie strictly between 0 and 1")
    if trim is not None and not 0.5 < trim < 1:
        raise ValueError("trim must be in (0.5, 1) or None")
    trimmed = ok & (t == 0) & (p > trim) if trim is not None else np.zeros(len(p), bool)
    p_used = np.where(trimmed, trim if trim is not None else np.nan, p)
    with np.errstate(invalid="ignore"):
        w = np.where(t == 1, 1.0, p_used / (1.0 - p_used))
    w[~ok] = np.nan
    return pd.DataFrame({"ps": p, "treated": t, "weight": w, "trimmed": trimmed},
                        index=index)  # fmt: skip


def weight_summary(weights: Any, treated: Any, trimmed: Any | None = None) -> pd.DataFrame:
    """Distribution of the weights per group, with Kish's effective sample size.

    Parameters
    ----------
    weights : array-like of float
        Non-negative weights; NaN rows (and rows with missing ``treated``) are skipped.
    treated : array-like of {0, 1}
        Group indicator aligned with ``weights``.
    trimmed : array-like of bool, optional
        The ``trimmed`` column of :func:`att_weights`, to count trimmed weights.

    Returns
    -------
    pandas.DataFrame
        Rows "treated" and "control" with :data:`WEIGHT_SUMMARY_COLUMNS`: ``n``
        (unweighted), ``sum_weights``, ``ess`` (Kish), ``design_effect`` (``n / ess``),
        ``mean``, ``min``, quartiles, 99th percentile (linear interpolation, numpy
        default), ``max`` and ``n_trimmed`` (NaN when ``trimmed`` is not given).

    Notes
    -----
    Kish effective sample size ``ess = (sum w)^2 / sum(w^2)``; the design effect due to
    unequal weighting is ``n / ess = n sum(w^2) / (sum w)^2 = 1 + cv^2`` (cv with the
    population SD).

    References
    ----------
    Kish L (1965). Survey Sampling. New York: Wiley, section 11.7.
    """
    w = _as_array(weights, name="weights")
    t = _as_array(treated, len(w), "treated")
    tr = (np.asarray(trimmed, dtype=bool) if trimmed is not None else None)
    if tr is not None and len(tr) != len(w):
        raise ValueError("trimmed must have the same length as weights")
    ok = ~np.isnan(w) & ~np.isnan(t)
    if (w[ok] < 0).any():
        raise ValueError("weights must be non-negative")
    rows = []
    for label, code in (("treated", 1.0), ("control", 0.0)):
        sel = ok & (t == code)
        x = w[sel]
        if len(x) == 0:
            raise ValueError(f"{label} group has no weights")
        q = np.quantile(x, [0.25, 0.5, 0.75, 0.99])
        ess = float(x.sum() ** 2 / (x**2).sum())
        rows.append({
            "group": label, "n": int(len(x)), "sum_weights": float(x.sum()), "ess": ess,
            "design_effect": len(x) / ess, "mean": float(x.mean()), "min": float(x.min()),
            "q25": q[0], "median": q[1], "q75": q[2], "q99": q[3], "max": float(x.max()),
            "n_trimmed": int(tr[sel].sum()) if tr is not None else np.nan,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=WEIGHT_SUMMARY_COLUMNS)


def _weighted_var(x: np.ndarray, w: np.ndarray) -> float:
    """Unbiased weighted variance with reliability weights (cobalt's ``col_w_sd``).

    ``sum(w) / (sum(w)^2 - sum(w^2)) * sum(w (x - m_w)^2)``; equals the ddof=1 sample
    variance when all weights are equal. statsmodels' ``DescrStatsW.var`` treats weights
    as frequencies (denominator ``sum(w) - ddof``), which is wrong for IPW weights.
    """
    m = np.average(x, weights=w)
    sw, sw2 = w.sum(), (w**2).sum()
    return float(sw / (sw**2 - sw2) * (w * (x - m) ** 2).sum())


def _resolve(frame: pd.DataFrame, values: Any, name: str) -> np.ndarray:
    if isinstance(values, str):
        values = frame[values]
    return _as_array(values, len(frame), name)


def balance_table(
    frame: pd.DataFrame,
    covariates: Sequence[str],
    treated: Any,
    weights: Any,
    *,
    categorical: Sequence[str] = (),
) -> pd.DataFrame:
    """Covariate balance before and after weighting, cobalt's ATT conventions.

    Parameters
    ----------
    frame : pandas.DataFrame
        Holds the covariates; not modified.
    covariates : sequence of str
        Columns to check. A numeric column with only 0/1 values is "binary"; columns in
        ``categorical`` get one row per level; the rest are "continuous".
    treated : str or array-like of {0, 1}
        Column name or indicator aligned with ``frame``.
    weights : str or array-like of float
        Column name or weights aligned with ``frame`` (e.g. ``att_weights(...)["weight"]``).
    categorical : sequence of str, default ()
        Multi-category covariates.

    Returns
    -------
    pandas.DataFrame
        One row per covariate (per level for categorical ones) with
        :data:`BALANCE_COLUMNS`: unweighted and weighted means per group,
        ``smd_unweighted`` / ``smd_weighted`` (treated minus control),
        ``vr_unweighted`` / ``vr_weighted`` (treated over control; continuous only, NaN
        otherwise), ``balanced_smd`` (``|smd_weighted| < 0.1``) and ``balanced_vr``
        (``0.5 < vr_weighted < 2``; missing for non-continuous rows).

    Notes
    -----
    - SMD denominator: the UNWEIGHTED treated-group SD (cobalt's ``s.d.denom =
      "treated"`` for the ATT), the same before and after weighting, so the change in
      SMD reflects only the change in the mean difference. Binary variables and
      category levels use ``sqrt(p (1 - p))`` on the proportion scale; continuous ones
      the ddof=1 SD. Computed by :func:`analysis.balance.standardized_mean_difference`.
    - Weighted variance ratios use the reliability-weights unbiased variance (as cobalt).
    - Missing data: rows with a missing treatment or weight are excluded; covariate
      missing values are dropped per covariate (``n_treated`` / ``n_control`` count the
      rows used for that covariate).

    References
    ----------
    Austin PC (2009). Balance diagnostics for comparing the distribution of baseline
    covariates between treatment groups in propensity-score matched samples.
    Statistics in Medicine 28:3083-3107.
    Greifer N. cobalt: Covariate Balance Tables and Plots (R package), ``bal.tab``.
    """
    t = _resolve(frame, treated, "treated")
    w = _resolve(frame, weights, "weights")
    base = ~np.isnan(t) & ~np.isnan(w)
    if not np.isin(t[base], (0.0, 1.0)).all():
        raise ValueError("treated must be coded 0/1")
    rows: list[dict[str, Any]] = []

    def add(name: str, level: Any, kind: str, x: np.ndarray) -> None:
        sel = base & ~np.isnan(x)
        i1, i0 = sel & (t == 1), sel & (t == 0)
        x1, x0, w1, w0 = x[i1], x[i0], w[i1], w[i0]
        smd_kind = "continuous" if kind == "continuous" else "binary"
        smd_u = standardized_mean_difference(x1, x0, kind=smd_kind, estimand="ATT")
        smd_w = standardized_mean_difference(x1, x0, kind=smd_kind, estimand="ATT",
                                             weights_treated=w1, weights_control=w0)  # fmt: skip
        vr_u = vr_w = np.nan
        if kind == "continuous":
            vr_u = variance_ratio(x1, x0)
            with np.errstate(divide="ignore", invalid="ignore"):
                vr_w = _weighted_var(x1, w1) / _weighted_var(x0, w0)
        rows.append({
            "covariate": name, "level": level, "type": kind,
            "n_treated": int(i1.sum()), "n_control": int(i0.sum()),
            "mean_treated": float(x1.mean()), "mean_control": float(x0.mean()),
            "mean_treated_w": float(np.average(x1, weights=w1)),
            "mean_control_w": float(np.average(x0, weights=w0)),
            "smd_unweighted": smd_u, "smd_weighted": smd_w,
            "vr_unweighted": vr_u, "vr_weighted": vr_w,
            "balanced_smd": bool(abs(smd_w) < SMD_THRESHOLD),
            "balanced_vr": (bool(VR_BOUNDS[0] < vr_w < VR_BOUNDS[1])
                            if kind == "continuous" else pd.NA),
        })  # fmt: skip

    for name in covariates:
        col = frame[name]
        if name in categorical:
            for lv in _levels(col):
                ind = np.where(col.isna(), np.nan, (col == lv).astype("float64"))
                add(name, lv, "categorical", ind)
            continue
        x = _as_array(col, name=name)
        obs = x[~np.isnan(x)]
        kind = "binary" if np.isin(obs, (0.0, 1.0)).all() else "continuous"
        add(name, pd.NA, kind, x)
    out = pd.DataFrame(rows, columns=BALANCE_COLUMNS)
    out["balanced_vr"] = out["balanced_vr"].astype("boolean")
    return out


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
        Column names; treatment coded 0/1.
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
    sub = pd.DataFrame({"y": frame[outcome].to_numpy(), "t": frame[treatment].to_numpy(),
                        "w": w_all}).astype("float64")  # fmt: skip
    complete = sub.notna().all(axis=1)
    data = sub.loc[complete]
    y, t, w = (data[c].to_numpy() for c in ("y", "t", "w"))
    if not np.isin(t, (0.0, 1.0)).all():
        raise ValueError(f"treatment {treatment!r} must be coded 0/1")
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
    fixed_effects: Sequence[str] = ("unit",),
    trim: float | None = 0.99,
    alpha: float = 0.05,
    ps_adjusted: bool = True,
) -> pd.DataFrame:
    """PS-weighted ATT whose SE accounts for estimating the propensity score.

    Fits the logit propensity score (as :func:`propensity_scores`), forms ATT weights (as
    :func:`att_weights`) and compares the treated mean with the weighted control mean,
    with a stacked M-estimation sandwich covering both steps.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per person; not modified.
    outcome, treatment : str
        Column names; treatment coded 0/1.
    covariates, categorical, fixed_effects
        Propensity-score model, as in :func:`propensity_scores`.
    kind : {"binary", "continuous", "count"}
        ``"binary"``: rows ``att_rd`` and ``att_or``; ``"continuous"``: ``att_md``;
        ``"count"``: ``att_rr``.
    trim : float or None, default 0.99
        Cap on the control propensity score, as in :func:`att_weights`.
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
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught, np.errstate(over="ignore"):
        warnings.simplefilter("always")
        ps_fit = sm.GLM(t, Z, family=sm.families.Binomial()).fit(maxiter=100)
    flagged = (PerfectSeparationWarning, ConvergenceWarning)
    notes += [str(c.message).strip().splitlines()[0] for c in caught
              if issubclass(c.category, flagged)]  # fmt: skip
    mu1, mu0, v, w = _att_mestimation(y, t, Z, np.asarray(ps_fit.params), trim, ps_adjusted)
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
            "converged": bool(ps_fit.converged), "warnings": "; ".join(notes),
            "cov_type": "M-estimation" if ps_adjusted else "HC0", "alpha": alpha,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=WEIGHTED_EFFECT_COLUMNS)


def _ps_groups(ps: Any, treated: Any) -> tuple[np.ndarray, np.ndarray]:
    p = _as_array(ps, name="ps")
    t = _as_array(treated, len(p), "treated")
    ok = ~np.isnan(p) & ~np.isnan(t)
    if not np.isin(t[ok], (0.0, 1.0)).all():
        raise ValueError("treated must be coded 0/1")
    p1, p0 = p[ok & (t == 1)], p[ok & (t == 0)]
    if len(p1) == 0 or len(p0) == 0:
        raise ValueError("both groups need at least one propensity score")
    return p1, p0


def overlap_bins(ps: Any, treated: Any, *, bins: int = 20) -> pd.DataFrame:
    """Binned propensity-score distribution per group, for an overlap figure.

    Parameters
    ----------
    ps : array-like of float
        Propensity scores in [0, 1]; NaN rows are skipped.
    treated : array-like of {0, 1}
        Group indicator aligned with ``ps``.
    bins : int, default 20
        Number of equal-width bins on [0, 1].

    Returns
    -------
    pandas.DataFrame
        One row per bin with :data:`OVERLAP_BIN_COLUMNS`; bins are closed on the left
        except the last, which includes 1 (``numpy.histogram``); ``share_*`` is the
        count divided by the group's total (so each share column sums to 1).
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


def overlap_summary(ps: Any, treated: Any) -> pd.DataFrame:
    """Range of the propensity scores per group and who falls outside the other's range.

    Parameters
    ----------
    ps : array-like of float
        Propensity scores; NaN rows are skipped.
    treated : array-like of {0, 1}
        Group indicator aligned with ``ps``.

    Returns
    -------
    pandas.DataFrame
        One row with :data:`OVERLAP_SUMMARY_COLUMNS`. ``n_control_outside``: controls
        with a score below the treated minimum or above the treated maximum (they carry
        no information for the ATT); ``n_treated_outside``: treated with a score outside
        the control range (no comparable controls: the ATT extrapolates for them).
        Shares are over the group's size.
    """
    p1, p0 = _ps_groups(ps, treated)
    c_out = int(((p0 < p1.min()) | (p0 > p1.max())).sum())
    t_out = int(((p1 < p0.min()) | (p1 > p0.max())).sum())
    row = {
        "n_treated": len(p1), "n_control": len(p0),
        "ps_min_treated": float(p1.min()), "ps_max_treated": float(p1.max()),
        "ps_min_control": float(p0.min()), "ps_max_control": float(p0.max()),
        "n_control_outside": c_out, "share_control_outside": c_out / len(p0),
        "n_treated_outside": t_out, "share_treated_outside": t_out / len(p1),
    }  # fmt: skip
    return pd.DataFrame([row], columns=OVERLAP_SUMMARY_COLUMNS)
