"""Does the treatment effect differ between clusters (units)? A Wald test of the
cluster x treatment interactions of the adjusted model, with the per-cluster effects.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from analysis._lazy import lazy_import
from analysis.models import build_design

sm = lazy_import("statsmodels.api")
stats = lazy_import("scipy.stats")

__all__ = ["treatment_heterogeneity", "HETEROGENEITY_COLUMNS"]

HETEROGENEITY_COLUMNS = [
    "outcome", "treatment", "by", "kind", "scale", "statistic", "df", "p_val",
    "n_used", "n_groups", "effects", "cov_type", "converged", "warnings",
]  # fmt: skip

#: (scale, statsmodels family: a class of ``sm.families``, looked up when used) per kind
_FAMILIES = {"binary": ("log_or", "Binomial"), "continuous": ("mean_difference", "Gaussian"),
             "count": ("log_rr", "Poisson")}  # fmt: skip


def treatment_heterogeneity(
    frame: pd.DataFrame,
    outcome: str,
    treatment: str,
    by: str,
    covariates: Sequence[str],
    *,
    kind: Literal["binary", "continuous", "count"],
    categorical: Sequence[str] = (),
) -> pd.DataFrame:
    """Wald test that the treatment effect is the same in every level of ``by``.

    Fits the adjusted model (logit, linear or Poisson by ``kind``) of ``outcome`` on the
    treatment, the covariates, ``by`` as fixed effects and the ``by`` x treatment
    interactions (first level the reference), and tests all interactions = 0 with an
    HC0 sandwich covariance: ``W = b' V^-1 b ~ chi2(G - 1)``.

    Returns
    -------
    pandas.DataFrame
        One row with :data:`HETEROGENEITY_COLUMNS`; ``effects`` is a ``;``-separated
        list ``level=estimate`` of the effect per level on the model's scale (log-OR,
        mean difference, log-RR).

    Notes
    -----
    A sensitivity check: with few levels and few respondents per level the test has
    little power, and a rejection means the pooled effect averages different effects;
    it does not change the pooled estimate. Complete cases. Separation or
    non-convergence (a level where one group has all or none with the outcome) is
    reported in ``warnings``, not raised; the test is then not meaningful.
    """
    if kind not in _FAMILIES:
        raise ValueError("kind must be 'binary', 'continuous' or 'count'")
    d = build_design(frame, outcome, treatment, covariates, categorical, [by])
    t = d.X[:, d.treat_col]
    fe = [j for j, name in enumerate(d.names) if name.startswith(f"{by}[")]
    if not fe:
        raise ValueError(f"{by!r} has one level among the complete rows: nothing to compare")
    inter = d.X[:, fe] * t[:, None]
    X = np.column_stack([d.X, inter])
    scale, family_name = _FAMILIES[kind]
    family = getattr(sm.families, family_name)
    with warnings.catch_warnings(record=True) as caught, np.errstate(over="ignore"):
        warnings.simplefilter("always")
        res = sm.GLM(d.y, X, family=family()).fit(cov_type="HC0")
    notes = [str(w.message).strip().splitlines()[0] for w in caught
             if issubclass(w.category, (PerfectSeparationWarning, ConvergenceWarning))]
    k = d.X.shape[1]
    b = np.asarray(res.params)[k:]
    V = np.asarray(res.cov_params())[k:, k:]
    stat = float(b @ np.linalg.solve(V, b))
    df = len(b)
    base = float(res.params[d.treat_col])
    ref = sorted(set(pd.Series(frame.loc[d.used, by]).astype(str)) - {
        d.names[j][len(by) + 1 : -1] for j in fe})  # fmt: skip
    levels = [ref[0] if ref else "reference"] + [d.names[j][len(by) + 1 : -1] for j in fe]
    effects = [base] + [base + float(v) for v in b]
    return pd.DataFrame([{
        "outcome": outcome, "treatment": treatment, "by": by, "kind": kind, "scale": scale,
        "statistic": stat, "df": df, "p_val": float(stats.chi2.sf(stat, df)),
        "n_used": len(d.y), "n_groups": df + 1,
        "effects": "; ".join(f"{lv}={e:.6g}" for lv, e in zip(levels, effects, strict=True)),
        "cov_type": "HC0", "converged": bool(getattr(res, "converged", True)),
        "warnings": "; ".join(dict.fromkeys(notes)),
    }], columns=HETEROGENEITY_COLUMNS)  # fmt: skip
