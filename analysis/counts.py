"""Two-group comparison of a count outcome (e.g. job applications in the last 4 weeks).

Rate ratios from a Poisson GLM with robust (sandwich) standard errors and from a
negative binomial (NB2) model, plus the Mann-Whitney test. Inputs are never modified.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from analysis._lazy import lazy_import
from analysis.estimability import NotEstimable
from analysis.means import compare_ranks

sm = lazy_import("statsmodels.api")
stats = lazy_import("scipy.stats")

__all__ = ["rate_ratio", "compare_counts"]

COUNT_COLUMNS = [
    "method", "covariates", "n", "n_dropped", "n_treated", "n_control",
    "mean_treated", "mean_control", "rate_ratio", "ci_low", "ci_high", "se_log_rr",
    "statistic", "p_val", "dispersion", "converged", "rank_biserial",
]  # fmt: skip


def _design(
    frame: pd.DataFrame,
    outcome: str,
    group: str,
    order: tuple[Any, Any],
    covariates: Sequence[str],
    categorical: Sequence[str],
) -> tuple[np.ndarray, pd.DataFrame, int]:
    cols = [outcome, group, *covariates]
    absent = [c for c in cols if c not in frame.columns]
    if absent:
        raise KeyError(f"columns not in frame: {absent}")
    if not set(categorical) <= set(covariates):
        raise ValueError("categorical must be a subset of covariates")
    data = frame[cols].dropna()
    n_dropped = len(frame) - len(data)
    g = data[group]
    if (~g.isin(list(order))).any():
        raise ValueError(f"group has values outside order {order!r}")
    y = data[outcome].astype("float64").to_numpy()
    if (y < 0).any() or (y != np.floor(y)).any():
        raise ValueError("the outcome must be a non-negative integer count")
    x = pd.DataFrame({"const": 1.0, "treated": (g == order[0]).astype("float64")},
                     index=data.index)  # fmt: skip
    for cov in covariates:
        if cov in categorical:
            dummies = pd.get_dummies(data[cov], prefix=cov, drop_first=True, dtype="float64")
            x = pd.concat([x, dummies], axis=1)
        else:
            x[cov] = data[cov].astype("float64")
    for code in order:
        if (g == code).any():
            continue
        if not frame.loc[frame[group] == code, outcome].notna().any():
            raise NotEstimable("outcome_missing", f"{outcome} has no values where {group} = {code}")
        raise NotEstimable("too_few_respondents", f"no complete rows where {group} = {code}")
    if len(y) <= x.shape[1]:
        raise NotEstimable("too_few_respondents",
                           f"{len(y)} complete rows for {x.shape[1]} parameters")
    constant = [c for c in covariates if c not in categorical and data[c].nunique() < 2]
    if constant:
        raise NotEstimable("constant_covariate", ", ".join(constant))
    if np.linalg.matrix_rank(x.to_numpy()) < x.shape[1]:
        raise NotEstimable("collinear", "the design matrix is rank deficient")
    return y, x, n_dropped


def _poisson_hc0_grouped(y: np.ndarray, x: pd.DataFrame) -> tuple[float, float, bool]:
    """The treatment coefficient of the Poisson GLM of ``y`` on ``x`` and its HC0 SE,
    computed on the distinct rows of ``x`` (sufficient statistics).

    Rows with the same covariate pattern share ``mu``: the Poisson likelihood depends on
    them only through ``n_g`` and ``sum y`` (a GLM on the patterns with exposure
    ``n_g`` has the same estimates), and the sandwich's meat only through ``sum y`` and
    ``sum y²`` (``sum (y - mu)² = sum y² - 2 mu sum y + n mu²``). Same numbers as
    ``sm.GLM(y, x, family=Poisson()).fit(cov_type="HC0")`` (to 1e-8, tested), without
    the fit's copies and SVD of the n x p design: at a million respondents the patterns
    are a few thousand.
    """
    design = x.to_numpy(dtype=np.float64)
    patterns, inverse = np.unique(design, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    n_g = np.bincount(inverse).astype(np.float64)
    sy = np.bincount(inverse, weights=y)
    syy = np.bincount(inverse, weights=y * y)
    with warnings.catch_warnings():
        # a saturated pattern model (e.g. the crude one: two patterns, two parameters)
        # fits the pattern totals exactly, which statsmodels flags as "perfect
        # prediction"; the respondents' counts are not fitted exactly
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        # ... and its IRLS step divides the (unused: Poisson's scale is 1) residual
        # variance by zero residual degrees of freedom
        warnings.filterwarnings("ignore", "divide by zero encountered", RuntimeWarning)
        res = sm.GLM(sy, patterns, family=sm.families.Poisson(), exposure=n_g).fit()
    beta = np.asarray(res.params)
    mu = np.exp(patterns @ beta)  # per respondent
    bread = np.linalg.inv(patterns.T @ (patterns * (n_g * mu)[:, None]))
    meat_w = syy - 2.0 * mu * sy + n_g * mu * mu
    meat = patterns.T @ (patterns * meat_w[:, None])
    cov = bread @ meat @ bread
    j = list(x.columns).index("treated")
    return float(beta[j]), float(np.sqrt(cov[j, j])), bool(res.converged)


def rate_ratio(
    frame: pd.DataFrame,
    outcome: str,
    group: str,
    *,
    order: tuple[Any, Any] = (1, 0),
    covariates: Sequence[str] = (),
    categorical: Sequence[str] = (),
    model: Literal["poisson", "negative_binomial"] = "poisson",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Rate ratio (treated vs control) of a count outcome from a log-linear model.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per person.
    outcome : str
        Count column (non-negative integers).
    group : str
        Group column; ``order = (treated, control)`` gives its two values.
    order : tuple, default (1, 0)
        Treated and control value of ``group``.
    covariates : sequence of str, optional
        Adjustment covariates (numeric columns entered linearly, except those listed in
        ``categorical``, which are dummy-coded with the first sorted level as reference).
    categorical : sequence of str, optional
        Subset of ``covariates`` to dummy-code.
    model : {"poisson", "negative_binomial"}, default "poisson"
        ``"poisson"``: Poisson GLM (log link) with robust sandwich SE;
        ``"negative_binomial"``: NB2 model with model-based SE.
    alpha : float, default 0.05
        The interval has level ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        One row with :data:`COUNT_COLUMNS`: ``method`` (``"poisson_robust"`` or
        ``"negative_binomial"``), ``covariates`` (comma-separated, "" if crude), ``n``
        (rows used), ``n_dropped`` (rows with a missing outcome, group or covariate),
        group sizes and crude means, ``rate_ratio`` with Wald interval ``ci_low,
        ci_high``, ``se_log_rr``, ``statistic`` (z), ``p_val``, ``dispersion`` (NB2
        alpha; NaN for Poisson), ``converged``; ``rank_biserial`` is NaN.

    Notes
    -----
    * Poisson: ``statsmodels.api.GLM(y, X, family=Poisson()).fit(cov_type="HC0")``,
      computed on the distinct covariate patterns (:func:`_poisson_hc0_grouped`), the
      sandwich ``(X'WX)^-1 X' diag((y - mu)²) X (X'WX)^-1`` without small-sample
      factor (Zou 2004's "modified Poisson"; Stata's ``vce(robust)`` multiplies by
      n/(n-1)). The robust SE is valid under over- or underdispersion. Crude model:
      the rate ratio equals the ratio of the group means exactly.
    * Negative binomial: ``statsmodels.api.NegativeBinomial(y, X,
      loglike_method="nb2").fit()`` (variance ``mu + alpha mu²``, alpha by maximum
      likelihood; R's ``MASS::glm.nb`` reports ``theta = 1 / alpha``).
    * Interval and test: ``exp(b ± z_{1-alpha/2} se)``, ``z = b / se`` (normal).
    * Non-convergence is reported in ``converged``, not raised.
    * Raises :class:`analysis.estimability.NotEstimable` when a group has no complete
      row (``outcome_missing`` if its outcome is missing throughout, else
      ``too_few_respondents``), when there are no more complete rows than parameters,
      a numeric covariate is constant or the design is otherwise rank deficient.

    References
    ----------
    Zou G (2004). A modified Poisson regression approach to prospective studies with
    binary data. American Journal of Epidemiology 159:702-706.
    Cameron AC, Trivedi PK (2013). Regression Analysis of Count Data, 2nd ed.,
    ch. 3. Cambridge University Press.
    """
    if model not in ("poisson", "negative_binomial"):
        raise ValueError("model must be 'poisson' or 'negative_binomial'")
    y, x, n_dropped = _design(frame, outcome, group, order, covariates, categorical)
    is_t = x["treated"].to_numpy() == 1.0
    if model == "poisson":
        b, se, converged = _poisson_hc0_grouped(y, x)
        dispersion = float("nan")
        method = "poisson_robust"
    else:
        res = sm.NegativeBinomial(y, x, loglike_method="nb2").fit(
            disp=0, maxiter=200, method="bfgs"
        )
        converged = bool(res.mle_retvals.get("converged", False))
        dispersion = float(res.params["alpha"])
        method = "negative_binomial"
        b, se = float(res.params["treated"]), float(res.bse["treated"])
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))
    row = {
        "method": method, "covariates": ",".join(covariates), "n": len(y),
        "n_dropped": n_dropped, "n_treated": int(is_t.sum()),
        "n_control": int((~is_t).sum()), "mean_treated": float(y[is_t].mean()),
        "mean_control": float(y[~is_t].mean()), "rate_ratio": float(np.exp(b)),
        "ci_low": float(np.exp(b - z * se)), "ci_high": float(np.exp(b + z * se)),
        "se_log_rr": se, "statistic": b / se,
        "p_val": float(2.0 * stats.norm.sf(abs(b / se))),
        "dispersion": dispersion, "converged": converged, "rank_biserial": float("nan"),
    }  # fmt: skip
    return pd.DataFrame([row], columns=COUNT_COLUMNS)


def compare_counts(
    frame: pd.DataFrame,
    outcome: str,
    group: str,
    *,
    order: tuple[Any, Any] = (1, 0),
    covariates: Sequence[str] = (),
    categorical: Sequence[str] = (),
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Poisson (robust), negative binomial and Mann-Whitney comparison of a count.

    Parameters
    ----------
    frame, outcome, group, order, covariates, categorical, alpha
        As in :func:`rate_ratio`.

    Returns
    -------
    pandas.DataFrame
        Three rows with :data:`COUNT_COLUMNS`, ``method`` = ``"poisson_robust"``,
        ``"negative_binomial"``, ``"mann_whitney"``. The Mann-Whitney row is always
        crude (``covariates`` ""; rows with a missing outcome or group dropped) and has
        ``statistic`` = U of the treated group, ``p_val`` and ``rank_biserial``; its
        rate-ratio columns are NaN.

    Notes
    -----
    See :func:`rate_ratio` and :func:`analysis.means.compare_ranks` (two-sided,
    normal approximation with tie correction when there are ties). Raises
    :class:`analysis.estimability.NotEstimable` as :func:`rate_ratio` does.
    """
    rows = [
        rate_ratio(frame, outcome, group, order=order, covariates=covariates,
                   categorical=categorical, model=m, alpha=alpha)  # fmt: skip
        for m in ("poisson", "negative_binomial")
    ]
    data = frame[[outcome, group]].dropna()
    y_t = data.loc[data[group] == order[0], outcome]
    y_c = data.loc[data[group] == order[1], outcome]
    mw = compare_ranks(y_t, y_c).iloc[0]
    nan = float("nan")
    rows.append(pd.DataFrame([{
        "method": "mann_whitney", "covariates": "", "n": len(y_t) + len(y_c),
        "n_dropped": len(frame) - len(data), "n_treated": len(y_t), "n_control": len(y_c),
        "mean_treated": float(y_t.mean()), "mean_control": float(y_c.mean()),
        "rate_ratio": nan, "ci_low": nan, "ci_high": nan, "se_log_rr": nan,
        "statistic": float(mw["statistic"]), "p_val": float(mw["p_val"]),
        "dispersion": nan, "converged": True, "rank_biserial": float(mw["rank_biserial"]),
    }], columns=COUNT_COLUMNS))  # fmt: skip
    return pd.concat(rows, ignore_index=True)
