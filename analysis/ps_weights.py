"""Weights from propensity scores: ATT odds weights, overlap (ATO) weights, their
distribution (Kish's effective sample size) and the warnings a weighted analysis owes
its reader (poor overlap, a tiny effective control sample, covariates still unbalanced).

Inputs are never modified. Treatment indicators are read by
:func:`analysis._common.as_treatment` (0/1, booleans, text "0"/"1", two-level
Categorical).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis._common import as_treatment
from analysis.balance import SMD_THRESHOLD, VR_BOUNDS

__all__ = [
    "att_weights", "ato_weights", "weight_summary", "weighting_warnings",
    "WEIGHT_SUMMARY_COLUMNS", "WARNING_COLUMNS", "ESS_SHARE_MIN", "SMD_THRESHOLD",
    "VR_BOUNDS", "OVERLAP_SHARE_MAX",
]  # fmt: skip

WEIGHT_SUMMARY_COLUMNS = [
    "group", "n", "sum_weights", "ess", "design_effect", "mean", "min", "q25", "median",
    "q75", "q99", "max", "n_trimmed",
]  # fmt: skip
WARNING_COLUMNS = ["check", "value", "threshold", "message"]

#: The control group's Kish ESS below this share of its size earns a warning.
ESS_SHARE_MIN = 0.10
#: More than this share of the treated outside the control range earns a warning.
OVERLAP_SHARE_MAX = 0.05


def _as_array(values: Any, n: int | None = None, name: str = "values") -> np.ndarray:
    arr = np.asarray(pd.Series(values).astype("float64"), dtype="float64").copy()
    if n is not None and len(arr) != n:
        raise ValueError(f"{name} must have the same length as the other inputs")
    return arr


def _scores_and_groups(ps: Any, treated: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = _as_array(ps, name="ps")
    t = as_treatment(treated, "treated")
    if len(t) != len(p):
        raise ValueError("treated must have the same length as ps")
    ok = ~np.isnan(p) & ~np.isnan(t)
    if ((p[ok] < 0) | (p[ok] > 1)).any():
        raise ValueError("propensity scores must lie in [0, 1]")
    return p, t, ok


def att_weights(ps: Any, treated: Any, *, trim: float | None = 0.99) -> pd.DataFrame:
    """ATT odds weights: 1 for the treated, ``ps / (1 - ps)`` for controls.

    Parameters
    ----------
    ps : array-like of float
        Propensity scores in [0, 1]; NaN allowed (weight NaN).
    treated : array-like
        Treatment indicator aligned with ``ps`` (see the module docstring); NaN allowed.
    trim : float or None, default 0.99
        Control scores above ``trim`` are set to ``trim`` before weighting, so no control
        weight exceeds ``trim / (1 - trim)`` (99 with the default). ``None``: no cap.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``ps``: ``ps``, ``treated``, ``weight``, ``trimmed`` (controls
        whose score was capped).

    Notes
    -----
    A control with a score of exactly 0 gets weight 0 (it resembles no treated person;
    its odds weight is 0, not an error). A control with a score of exactly 1 has an
    infinite odds weight: capped by ``trim``, else ValueError. Treated weights are 1
    whatever their score. Only the upper tail is capped (Lee, Lessler & Stuart 2011).

    References
    ----------
    Hirano K, Imbens GW, Ridder G (2003). Efficient estimation of average treatment
    effects using the estimated propensity score. Econometrica 71:1161-1189.
    Lee BK, Lessler J, Stuart EA (2011). Weight trimming and propensity score weighting.
    PLoS ONE 6:e18174.
    """
    index = ps.index if isinstance(ps, pd.Series) else None
    p, t, ok = _scores_and_groups(ps, treated)
    if trim is not None and not 0.5 < trim < 1:
        raise ValueError("trim must be in (0.5, 1) or None")
    control = ok & (t == 0)
    if trim is None and (p[control] >= 1).any():
        raise ValueError("a control has a propensity score of 1 (infinite ATT weight); "
                         "cap it with trim or leave it out")
    trimmed = control & (p > trim) if trim is not None else np.zeros(len(p), bool)
    p_used = np.where(trimmed, trim if trim is not None else np.nan, p)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(t == 1, 1.0, p_used / (1.0 - p_used))
    w[~ok] = np.nan
    return pd.DataFrame({"ps": p, "treated": t, "weight": w, "trimmed": trimmed},
                        index=index)  # fmt: skip


def ato_weights(ps: Any, treated: Any) -> pd.DataFrame:
    """Overlap weights (ATO): ``1 - ps`` for the treated, ``ps`` for controls.

    The estimand is the effect in the overlap population, weighted by ``e (1 - e)``:
    people who could have been in either group count most, and scores near 0 or 1 get
    weights near 0, so no trimming is needed (Li, Morgan & Zaslavsky 2018). Same columns
    as :func:`att_weights` (``trimmed`` all False).

    References
    ----------
    Li F, Morgan KL, Zaslavsky AM (2018). Balancing covariates via propensity score
    weighting. Journal of the American Statistical Association 113:390-400.
    """
    index = ps.index if isinstance(ps, pd.Series) else None
    p, t, ok = _scores_and_groups(ps, treated)
    w = np.where(t == 1, 1.0 - p, p)
    w[~ok] = np.nan
    return pd.DataFrame({"ps": p, "treated": t, "weight": w,
                         "trimmed": np.zeros(len(p), bool)}, index=index)  # fmt: skip


def weight_summary(weights: Any, treated: Any, trimmed: Any | None = None) -> pd.DataFrame:
    """Distribution of the weights per group, with Kish's effective sample size.

    Rows "treated" and "control" with :data:`WEIGHT_SUMMARY_COLUMNS`: ``n`` (unweighted),
    ``sum_weights``, ``ess`` (Kish ``(sum w)^2 / sum w^2``), ``design_effect``
    (``n / ess = 1 + cv^2``), ``mean``, ``min``, quartiles, 99th percentile (linear
    interpolation), ``max``, ``n_trimmed`` (NaN without ``trimmed``). NaN rows skipped.

    References
    ----------
    Kish L (1965). Survey Sampling. New York: Wiley, section 11.7.
    """
    w = _as_array(weights, name="weights")
    t = as_treatment(treated, "treated")
    if len(t) != len(w):
        raise ValueError("treated must have the same length as weights")
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
        ess = float(x.sum() ** 2 / (x**2).sum()) if (x > 0).any() else 0.0
        rows.append({
            "group": label, "n": int(len(x)), "sum_weights": float(x.sum()), "ess": ess,
            "design_effect": len(x) / ess if ess > 0 else np.inf, "mean": float(x.mean()),
            "min": float(x.min()), "q25": q[0], "median": q[1], "q75": q[2], "q99": q[3],
            "max": float(x.max()),
            "n_trimmed": int(tr[sel].sum()) if tr is not None else np.nan,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=WEIGHT_SUMMARY_COLUMNS)


def weighting_warnings(
    overlap: pd.DataFrame | None = None,
    weights: pd.DataFrame | None = None,
    balance: pd.DataFrame | None = None,
    *,
    separation: bool = False,
) -> pd.DataFrame:
    """The warnings a weighted analysis must show, as data (one row each).

    Parameters
    ----------
    overlap : DataFrame, optional
        :func:`analysis.propensity.overlap_summary`: ``poor_overlap`` when more than
        5% of the treated lie outside the control group's score range.
    weights : DataFrame, optional
        :func:`weight_summary`: ``small_ess`` when the control group's Kish ESS is below
        10% of its size.
    balance : DataFrame, optional
        :func:`analysis.balance.balance_table`: ``imbalance`` when any ``|smd_weighted|``
        is 0.1 or more (one row naming the covariates).
    separation : bool
        ``separation`` when the propensity model has no finite maximum.

    Returns
    -------
    pandas.DataFrame
        :data:`WARNING_COLUMNS`: ``check``, ``value`` (the statistic), ``threshold`` and
        an English ``message``; no rows when nothing is wrong.
    """
    rows: list[dict[str, Any]] = []
    if separation:
        rows.append({"check": "separation", "value": 1.0, "threshold": 0.0,
                     "message": "the propensity model separates the groups"})  # fmt: skip
    if overlap is not None and len(overlap):
        share = float(overlap["share_treated_outside"].iloc[0])
        if share > OVERLAP_SHARE_MAX:
            rows.append({"check": "poor_overlap", "value": share,
                         "threshold": OVERLAP_SHARE_MAX,
                         "message": f"{share:.1%} of the treated have a propensity score "
                         "outside the control group's range"})  # fmt: skip
    if weights is not None and len(weights):
        control = weights[weights["group"] == "control"].iloc[0]
        share = float(control["ess"]) / float(control["n"])
        if share < ESS_SHARE_MIN:
            rows.append({"check": "small_ess", "value": share, "threshold": ESS_SHARE_MIN,
                         "message": f"the control group's effective sample size is "
                         f"{float(control['ess']):.0f} of {int(control['n'])} "
                         f"({share:.1%})"})  # fmt: skip
    if balance is not None and len(balance):
        smd = balance["smd_weighted"].abs()
        bad = balance.loc[smd >= SMD_THRESHOLD, "covariate"].drop_duplicates().tolist()
        if bad:
            rows.append({"check": "imbalance", "value": float(smd.max()),
                         "threshold": SMD_THRESHOLD,
                         "message": "|SMD| after weighting of 0.1 or more: "
                         + ", ".join(map(str, bad))})  # fmt: skip
    return pd.DataFrame(rows, columns=WARNING_COLUMNS)
