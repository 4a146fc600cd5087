"""Sensitivity of an observed association to unmeasured confounding: E-values.

The E-value is the minimum strength of association, on the risk-ratio scale, that an
unmeasured confounder would need with both the treatment and the outcome (conditional on
the measured covariates) to explain away the observed association.
"""

from __future__ import annotations

import math
from typing import Literal

import pandas as pd

__all__ = ["evalue", "evalue_rr", "evalue_or", "evalue_smd", "covariate_benchmark",
           "EVALUE_COLUMNS", "BENCHMARK_COLUMNS"]

EVALUE_COLUMNS = [
    "measure", "estimate", "ci_low", "ci_high", "transformation",
    "rr", "rr_ci_low", "rr_ci_high", "evalue_estimate", "evalue_ci",
]  # fmt: skip

_SMD_FACTOR = 0.91


def _evalue_of_rr(rr: float) -> float:
    """Closed form ``RR* + sqrt(RR* (RR* - 1))`` with ``RR* = max(RR, 1/RR)``."""
    if not rr > 0 or math.isinf(rr):
        raise ValueError("risk ratio must be positive and finite")
    r = rr if rr >= 1 else 1.0 / rr
    return r + math.sqrt(r * (r - 1.0))


def _evalue_ci(rr: float, lo: float | None, hi: float | None) -> float:
    """E-value of the CI bound closest to 1; 1 when the interval includes 1."""
    if rr >= 1:
        if lo is None:
            return float("nan")
        return 1.0 if lo <= 1 else _evalue_of_rr(lo)
    if hi is None:
        return float("nan")
    return 1.0 if hi >= 1 else _evalue_of_rr(hi)


def _check_ci(est: float, lo: float | None, hi: float | None) -> None:
    if lo is not None and hi is not None and not lo <= est <= hi:
        raise ValueError("the estimate must lie within its confidence interval")


def _row(measure: str, est: float, lo: float | None, hi: float | None, transformation: str,
         rr: float, rr_lo: float | None, rr_hi: float | None) -> pd.DataFrame:  # fmt: skip
    nan = float("nan")
    row = {
        "measure": measure, "estimate": est,
        "ci_low": nan if lo is None else lo, "ci_high": nan if hi is None else hi,
        "transformation": transformation, "rr": rr,
        "rr_ci_low": nan if rr_lo is None else rr_lo,
        "rr_ci_high": nan if rr_hi is None else rr_hi,
        "evalue_estimate": _evalue_of_rr(rr), "evalue_ci": _evalue_ci(rr, rr_lo, rr_hi),
    }  # fmt: skip
    return pd.DataFrame([row], columns=EVALUE_COLUMNS)


def evalue_rr(rr: float, ci_low: float | None = None, ci_high: float | None = None) -> pd.DataFrame:
    """E-value for a risk ratio (or a rate ratio / hazard ratio of a rare outcome).

    Parameters
    ----------
    rr : float
        Observed risk ratio (> 0).
    ci_low, ci_high : float, optional
        Confidence limits; the E-value of the limit closest to 1 is reported.

    Returns
    -------
    pandas.DataFrame
        One row with :data:`EVALUE_COLUMNS`: the input, ``transformation`` ("none"), the
        risk ratio used (``rr, rr_ci_low, rr_ci_high``), ``evalue_estimate`` and
        ``evalue_ci`` (1 when the interval includes 1; NaN when the needed limit was not
        given).

    Notes
    -----
    ``E = RR + sqrt(RR (RR - 1))`` for ``RR >= 1``; a protective ``RR < 1`` is inverted
    first (and the upper limit is the one closest to 1).

    References
    ----------
    VanderWeele TJ, Ding P (2017). Sensitivity analysis in observational research:
    introducing the E-value. Annals of Internal Medicine 167:268-274.
    """
    _check_ci(rr, ci_low, ci_high)
    return _row("rr", rr, ci_low, ci_high, "none", rr, ci_low, ci_high)


def evalue_or(
    odds_ratio: float,
    ci_low: float | None = None,
    ci_high: float | None = None,
    *,
    common_outcome: bool = True,
) -> pd.DataFrame:
    """E-value for an odds ratio.

    Parameters
    ----------
    odds_ratio : float
        Observed (conditional or marginal) odds ratio.
    ci_low, ci_high : float, optional
        Confidence limits.
    common_outcome : bool, default True
        True when the outcome is common (prevalence above about 15% in a group): the OR
        is first converted with ``RR ~ sqrt(OR)``. False: the OR approximates the RR.

    Returns
    -------
    pandas.DataFrame
        One row with :data:`EVALUE_COLUMNS`; ``transformation`` is "sqrt" or "none".

    Notes
    -----
    The square-root transformation (VanderWeele 2017) is an approximation meant for
    outcomes that are common (prevalence above about 15%); the E-values are then computed
    from the approximate RR and its transformed limits as in :func:`evalue_rr`.

    References
    ----------
    VanderWeele TJ, Ding P (2017). Sensitivity analysis in observational research:
    introducing the E-value. Annals of Internal Medicine 167:268-274.
    VanderWeele TJ (2017). On a square-root transformation of the odds ratio for a common
    outcome. Epidemiology 28:e58-e60.
    """
    _check_ci(odds_ratio, ci_low, ci_high)
    if common_outcome:
        f = math.sqrt
        trans = "sqrt"
    else:
        def f(x: float) -> float:
            return x
        trans = "none"
    rr_lo = None if ci_low is None else f(ci_low)
    rr_hi = None if ci_high is None else f(ci_high)
    return _row("or", odds_ratio, ci_low, ci_high, trans, f(odds_ratio), rr_lo, rr_hi)


def evalue_smd(d: float, ci_low: float | None = None, ci_high: float | None = None) -> pd.DataFrame:
    """E-value for a standardized mean difference (continuous outcome).

    Parameters
    ----------
    d : float
        Standardized mean difference (mean difference / outcome SD).
    ci_low, ci_high : float, optional
        Confidence limits of ``d``.

    Returns
    -------
    pandas.DataFrame
        One row with :data:`EVALUE_COLUMNS`; ``transformation`` is "exp(0.91*d)".

    Notes
    -----
    ``RR ~ exp(0.91 d)`` (Chinn 2000 / VanderWeele 2017), applied to the estimate and to
    each limit; with a Wald interval ``d +/- 1.96 se`` this equals the EValue R package's
    ``evalues.MD(est, se)`` limits ``exp(0.91 d +/- 1.78 se)``.

    References
    ----------
    VanderWeele TJ, Ding P (2017). Sensitivity analysis in observational research:
    introducing the E-value. Annals of Internal Medicine 167:268-274.
    Chinn S (2000). A simple method for converting an odds ratio to effect size for use in
    meta-analysis. Statistics in Medicine 19:3127-3131.
    """
    _check_ci(d, ci_low, ci_high)

    def f(x: float) -> float:
        return math.exp(_SMD_FACTOR * x)

    rr_lo = None if ci_low is None else f(ci_low)
    rr_hi = None if ci_high is None else f(ci_high)
    return _row("smd", d, ci_low, ci_high, "exp(0.91*d)", f(d), rr_lo, rr_hi)


def evalue(
    estimate: float,
    ci_low: float | None = None,
    ci_high: float | None = None,
    *,
    measure: Literal["rr", "or", "smd"],
    common_outcome: bool = True,
) -> pd.DataFrame:
    """Dispatch to :func:`evalue_rr`, :func:`evalue_or` or :func:`evalue_smd`.

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        Estimate and optional confidence limits on the measure's natural scale.
    measure : {"rr", "or", "smd"}
        Effect measure (a rate ratio counts as "rr").
    common_outcome : bool, default True
        Only for ``measure="or"``; see :func:`evalue_or`.

    Returns
    -------
    pandas.DataFrame
        One row with :data:`EVALUE_COLUMNS`.
    """
    if measure == "rr":
        return evalue_rr(estimate, ci_low, ci_high)
    if measure == "or":
        return evalue_or(estimate, ci_low, ci_high, common_outcome=common_outcome)
    if measure == "smd":
        return evalue_smd(estimate, ci_low, ci_high)
    raise ValueError("measure must be 'rr', 'or' or 'smd'")


BENCHMARK_COLUMNS = ["covariate", "low", "high", "target", "kind", "contrast", "rr"]


def covariate_benchmark(
    frame: pd.DataFrame,
    target: str,
    terms: list[str],
    contrasts: dict[str, dict[str, float]],
    *,
    kind: Literal["binary", "continuous", "count"],
    categorical: tuple[str, ...] | list[str] = (),
    fixed_effects: tuple[str, ...] | list[str] = (),
    common_outcome: bool = False,
    lows_highs: dict[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """How strongly observed covariates go with ``target``, on the risk-ratio scale of an
    E-value (a benchmark for it: VanderWeele & Ding 2017, section 6).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per person (complete cases over ``target`` and ``terms`` are used).
    target : str
        The outcome, or the treatment (a 0/1 column, ``kind="binary"``).
    terms : list of str
        The model's terms (all covariates, spline terms included), adjusted for each other.
    contrasts : dict
        Covariate label -> {term: change in that term} for the comparison, e.g. age at
        its 75th versus its 25th percentile: the change of ``leeftijd`` and of each of its
        spline terms between the two ages.
    kind : {"binary", "continuous", "count"}
        Logit, linear or Poisson model of ``target``.
    categorical, fixed_effects
        As :func:`analysis.models.build_design`.
    common_outcome : bool
        Binary target with prevalence above about 15%: the odds ratio is converted with
        ``sqrt(OR)`` (as :func:`evalue_or`), else taken as a risk ratio.
    lows_highs : dict, optional
        Covariate label -> (low, high) values compared, for the ``low``/``high`` columns.

    Returns
    -------
    pandas.DataFrame
        :data:`BENCHMARK_COLUMNS`, one row per contrast: ``contrast`` the change of the
        linear predictor (log-OR, log-RR or mean difference), ``rr`` its risk ratio,
        oriented away from 1 (``max(RR, 1 / RR)``): binary OR -> ``sqrt(OR)`` if common;
        count ``exp``; continuous ``exp(0.91 d)`` with ``d`` the change over the SD of
        ``target`` (as :func:`evalue_smd`).
    """
    from analysis.models import _fit, build_design

    d = build_design(frame, target, None, terms, list(categorical), list(fixed_effects))
    fit = _fit(d, kind)
    coef = dict(zip(d.names, fit.params, strict=True))
    rows = []
    for label, change in contrasts.items():
        missing = [t for t in change if t not in coef]
        if missing:
            raise ValueError(f"contrast {label!r}: terms {missing} are not in the model")
        lp = float(sum(coef[t] * v for t, v in change.items()))
        if kind == "binary":
            rr = math.exp(lp / 2) if common_outcome else math.exp(lp)
        elif kind == "count":
            rr = math.exp(lp)
        else:
            rr = math.exp(_SMD_FACTOR * lp / float(d.y.std(ddof=1)))
        low, high = (lows_highs or {}).get(label, (float("nan"), float("nan")))
        rows.append({"covariate": label, "low": low, "high": high, "target": target,
                     "kind": kind, "contrast": lp, "rr": max(rr, 1 / rr)})  # fmt: skip
    return pd.DataFrame(rows, columns=BENCHMARK_COLUMNS)
