"""Covariate transforms for the design of every model: linear, log1p, restricted cubic
spline (rcs) or categorical, and the term columns they expand to.

One builder, :func:`covariate_terms`, turns a frame's covariates into the numeric term
columns the outcome model, the propensity-score model and the imputation model all use
(categorical covariates pass through and become dummies in
:func:`analysis.models.build_design`). Spline knots are computed once
(:func:`rcs_knots`, from the pooled data) and passed in, so every completed data set and
every model uses the same basis. Inputs are never modified; nothing here knows the study.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TRANSFORMS", "HARRELL_QUANTILES", "rcs_knots", "rcs_basis", "covariate_terms",
           "term_names"]

TRANSFORMS = ("linear", "log1p", "rcs", "categorical")
#: Knot locations as quantiles of the covariate, by number of knots (Harrell 2015,
#: Regression Modeling Strategies, table 2.3; R ``Hmisc::rcspline.eval``).
HARRELL_QUANTILES = {
    3: (0.10, 0.50, 0.90),
    4: (0.05, 0.35, 0.65, 0.95),
    5: (0.05, 0.275, 0.50, 0.725, 0.95),
    6: (0.05, 0.23, 0.41, 0.59, 0.77, 0.95),
    7: (0.025, 0.1833, 0.3417, 0.50, 0.6583, 0.8167, 0.975),
}


def rcs_knots(values: Any, k: int = 4) -> np.ndarray:
    """Knots of a restricted cubic spline: Harrell's quantiles of the observed values.

    Quantiles by linear interpolation (numpy's default, R's type 7, as
    ``Hmisc::rcspline.eval``). Ties can make knots coincide (a covariate with few distinct
    values): then ValueError, as the spline would not be defined.
    """
    if k not in HARRELL_QUANTILES:
        raise ValueError(f"a restricted cubic spline takes 3 to 7 knots, not {k}")
    x = np.asarray(pd.Series(values).astype("float64").dropna(), dtype="float64")
    if len(x) == 0:
        raise ValueError("no observed values to place knots")
    knots = np.quantile(x, HARRELL_QUANTILES[k])
    if (np.diff(knots) <= 0).any():
        raise ValueError(f"knots {knots.tolist()} are not distinct: too few distinct values "
                         f"for {k} knots")
    return knots


def rcs_basis(values: Any, knots: Sequence[float]) -> np.ndarray:
    """The ``k - 2`` nonlinear terms of a restricted cubic spline (Harrell's form).

    With knots ``t_1 < ... < t_k`` and ``u_+ = max(u, 0)``, term j (j = 1 .. k-2) is::

        [ (x - t_j)_+^3 - (x - t_{k-1})_+^3 (t_k - t_j) / (t_k - t_{k-1})
                        + (x - t_k)_+^3 (t_{k-1} - t_j) / (t_k - t_{k-1}) ] / (t_k - t_1)^2

    which is ``Hmisc::rcspline.eval(x, knots, norm = 2)``: linear below ``t_1`` and above
    ``t_k``; with ``x`` itself the terms span the natural cubic splines with these knots.
    NaN stays NaN (an n x (k - 2) array).
    """
    t = np.asarray(knots, dtype="float64")
    x = np.asarray(pd.Series(values).astype("float64"), dtype="float64")
    k = len(t)
    if k < 3 or (np.diff(t) <= 0).any():
        raise ValueError("knots must be at least 3 increasing values")

    def cube(u: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.where(u > 0, u, 0.0) ** 3

    last, prev = cube(x - t[-1]), cube(x - t[-2])
    span = t[-1] - t[-2]
    out = np.empty((len(x), k - 2))
    for j in range(k - 2):
        out[:, j] = (cube(x - t[j]) - prev * (t[-1] - t[j]) / span
                     + last * (t[-2] - t[j]) / span)  # fmt: skip
    out /= (t[-1] - t[0]) ** 2
    out[np.isnan(x)] = np.nan
    return out


def term_names(name: str, transform: str, knots: Sequence[float] | None = None) -> list[str]:
    """The design columns of one covariate: ``x``; ``x__log1p``; ``x``, ``x__rcs1`` ..."""
    if transform == "log1p":
        return [f"{name}__log1p"]
    if transform == "rcs":
        if knots is None:
            raise ValueError(f"{name}: an rcs transform needs its knots")
        return [name, *(f"{name}__rcs{j}" for j in range(1, len(knots) - 1))]
    return [name]


def covariate_terms(
    frame: pd.DataFrame,
    covariates: Sequence[str],
    transforms: Mapping[str, str] | None = None,
    knots: Mapping[str, Sequence[float]] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The term columns of ``covariates`` and their names, in covariate order.

    Parameters
    ----------
    frame : pandas.DataFrame
        Holds the covariates; not modified.
    covariates : sequence of str
        Covariate columns.
    transforms : mapping, optional
        Covariate -> "linear" (default), "log1p" (``log(1 + x)``, for x >= 0), "rcs"
        (x and its :func:`rcs_basis` terms) or "categorical" (passed through unchanged;
        the model makes dummies).
    knots : mapping, optional
        Covariate -> knots for every "rcs" covariate (:func:`rcs_knots`, computed once).

    Returns
    -------
    (pandas.DataFrame, list of str)
        A frame with only the new term columns (aligned with ``frame``; NaN where the
        covariate is missing) and the full list of term names to pass to the models
        (untransformed covariates under their own name).
    """
    transforms = dict(transforms or {})
    knots = dict(knots or {})
    unknown = {t for t in transforms.values() if t not in TRANSFORMS}
    if unknown:
        raise ValueError(f"unknown transform(s) {sorted(unknown)}; expected one of {TRANSFORMS}")
    new: dict[str, np.ndarray] = {}
    names: list[str] = []
    for name in covariates:
        kind = transforms.get(name, "linear")
        cols = term_names(name, kind, knots.get(name))
        names += cols
        if kind == "log1p":
            x = np.asarray(frame[name].astype("float64"), dtype="float64")
            if (x[~np.isnan(x)] <= -1).any():
                raise ValueError(f"{name}: log1p needs values above -1")
            new[cols[0]] = np.log1p(x)
        elif kind == "rcs":
            basis = rcs_basis(frame[name], knots[name])
            for j, col in enumerate(cols[1:]):
                new[col] = basis[:, j]
    return pd.DataFrame(new, index=frame.index), names
