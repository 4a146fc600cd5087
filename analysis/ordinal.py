"""Two-group comparison of an ordinal item (e.g. satisfaction 1-5).

Three views of the same item: the top-two-box proportion, a proportional-odds
(ordinal logit) model and the Mann-Whitney test. Inputs are never modified.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis._common import drop_missing, require_nonempty
from analysis._lazy import lazy_import
from analysis.estimability import NotEstimable
from analysis.means import compare_ranks
from analysis.proportions import compare_proportions

stats = lazy_import("scipy.stats")

__all__ = ["top_box", "ordinal_logit", "compare_ordinal"]

ORDINAL_LOGIT_COLUMNS = [
    "n_treated", "n_control", "odds_ratio", "ci_low", "ci_high", "log_or", "se",
    "statistic", "p_val", "thresholds", "levels_used", "converged",
]  # fmt: skip
ORDINAL_COLUMNS = [
    "method", "effect", "estimate", "ci_low", "ci_high", "test", "statistic", "p_val",
    "n_treated", "n_control", "p_treated", "p_control",
]  # fmt: skip


def _checked(values: Any, levels: Sequence[Any], name: str) -> pd.Series:
    s = drop_missing(values)
    require_nonempty(name, s)
    unknown = s[~s.isin(list(levels))]
    if len(unknown):
        raise ValueError(f"{name} has values not among the levels: {sorted(set(unknown))!r}")
    return s


def top_box(
    treated: Any,
    control: Any,
    *,
    levels: Sequence[Any] = (1, 2, 3, 4, 5),
    top: Sequence[Any] = (4, 5),
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Proportion answering one of the ``top`` levels, treated vs control.

    Parameters
    ----------
    treated, control : array-like
        Ordinal codes; missing values are dropped (they are not in the denominator).
    levels : sequence, default (1, 2, 3, 4, 5)
        All valid codes; other values raise ``ValueError``.
    top : sequence, default (4, 5)
        The codes that count as a "yes" (e.g. satisfied or very satisfied).
    alpha : float, default 0.05
        Intervals have level ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        The one-row frame of :func:`analysis.proportions.compare_proportions`
        (risk difference with Newcombe hybrid score interval, OR, RR, chi-square or
        Fisher test chosen on expected counts).
    """
    if not set(top) <= set(levels):
        raise ValueError("top must be a subset of levels")
    t = _checked(treated, levels, "treated")
    c = _checked(control, levels, "control")
    return compare_proportions(t.isin(list(top)).astype("float64"),
                               c.isin(list(top)).astype("float64"), alpha=alpha)  # fmt: skip


@functools.cache
def _cell_ordered_model() -> type:
    """statsmodels' ``OrderedModel`` on grouped data: row ``i`` stands for ``freq[i]``
    identical observations, so the log-likelihood (and its numerical derivatives, from
    which statsmodels takes the score and the Hessian) is the one of the ungrouped data.
    (A class made on first use: statsmodels is imported only when a model is fitted.)"""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    class _CellOrderedModel(OrderedModel):
        def __init__(self, endog: Any, exog: Any, freq: Any, **kwargs: Any) -> None:
            super().__init__(endog, exog, **kwargs)
            self.freq = np.asarray(freq, dtype=np.float64)

        def loglikeobs(self, params: np.ndarray) -> np.ndarray:
            return self.freq * super().loglikeobs(params)

        def score_obs_(self, params: np.ndarray) -> np.ndarray:
            return self.freq[:, None] * super().score_obs_(params)

    return _CellOrderedModel


def ordinal_logit(
    treated: Any,
    control: Any,
    *,
    levels: Sequence[Any] = (1, 2, 3, 4, 5),
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Proportional-odds (cumulative logit) model with a group indicator.

    Parameters
    ----------
    treated, control : array-like
        Ordinal codes; missing values are dropped.
    levels : sequence, default (1, 2, 3, 4, 5)
        All codes from lowest to highest; other values raise ``ValueError``.
    alpha : float, default 0.05
        The interval has level ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        One row: ``n_treated, n_control, odds_ratio, ci_low, ci_high, log_or, se,
        statistic, p_val, thresholds, levels_used, converged``. ``thresholds`` is a
        tuple of the J - 1 cut-points (logit scale), ``levels_used`` the levels observed
        in at least one group.

    Notes
    -----
    ``statsmodels.miscmodels.ordinal_model.OrderedModel(y, treated_indicator,
    distr="logit")``, fitted by BFGS and then polished by Newton-Raphson from the BFGS
    solution (kept only if Newton converges), on the 2 x J table of answer counts (each
    cell weighted by its count: the same likelihood as the individual answers, so the
    same estimates, to 1e-8, and standard errors, to the precision of statsmodels'
    numerically differentiated Hessian, about 1e-6 relative; a test compares the two),
    i.e. ``logit P(Y <= j) = theta_j - beta x``
    (same parameterisation as R's ``MASS::polr``). ``odds_ratio = exp(beta)`` is the
    common odds of a *higher* answer for the treated group; Wald interval
    ``exp(beta ± z se)`` and z test with the Hessian-based SE. Levels observed in
    neither group are left out (their cut-points are not identified). The
    proportional-odds assumption is not tested here; compare with the top-box and
    Mann-Whitney results.

    Raises :class:`analysis.estimability.NotEstimable` when the data have no maximum
    likelihood estimate: ``no_variation`` when fewer than two levels are observed,
    ``too_few_respondents`` when there are no more answers than parameters (the
    cut-points and beta), ``separation`` when the groups' answers do not overlap (every
    treated answer at or above every control answer, or the other way round: beta
    grows without bound).

    References
    ----------
    McCullagh P (1980). Regression models for ordinal data. JRSS B 42:109-142.
    Agresti A (2010). Analysis of Ordinal Categorical Data, 2nd ed., ch. 3. Wiley.
    """
    t = _checked(treated, levels, "treated")
    c = _checked(control, levels, "control")
    present = set(t) | set(c)
    used = [lev for lev in levels if lev in present]
    if len(used) < 2:
        raise NotEstimable("no_variation", "fewer than two levels observed")
    if len(t) + len(c) <= len(used):
        raise NotEstimable("too_few_respondents",
                           f"{len(t) + len(c)} answers for {len(used)} parameters")
    if t.min() >= c.max() or c.min() >= t.max():
        raise NotEstimable("separation", "the groups' answers do not overlap")
    # the likelihood depends on the data only through the 2 x J table of counts: fit it
    # on the cells, each weighted by its count (the same function, a million times fewer
    # terms at a million answers)
    cells = pd.DataFrame({"y": pd.concat([t, c], ignore_index=True),
                          "treated": np.r_[np.ones(len(t)), np.zeros(len(c))]})
    cells = cells.value_counts().sort_index().reset_index()
    y = pd.Series(pd.Categorical(cells["y"], categories=used, ordered=True))
    model = _cell_ordered_model()(y, cells[["treated"]], cells["count"], distr="logit")
    res = model.fit(method="bfgs", disp=False, maxiter=500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is reported in the output instead
        refined = model.fit(method="newton", start_params=res.params.to_numpy(), disp=False,
                            maxiter=100)  # fmt: skip
    if refined.mle_retvals.get("converged", False) and np.isfinite(refined.bse).all():
        res = refined
    b, se = float(res.params["treated"]), float(res.bse["treated"])
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))
    thresholds = res.model.transform_threshold_params(res.params.to_numpy())[1:-1]
    row = {
        "n_treated": len(t), "n_control": len(c), "odds_ratio": float(np.exp(b)),
        "ci_low": float(np.exp(b - z * se)), "ci_high": float(np.exp(b + z * se)),
        "log_or": b, "se": se, "statistic": b / se,
        "p_val": float(2.0 * stats.norm.sf(abs(b / se))),
        "thresholds": tuple(float(v) for v in thresholds), "levels_used": tuple(used),
        "converged": bool(res.mle_retvals.get("converged", False)),
    }  # fmt: skip
    return pd.DataFrame([row], columns=ORDINAL_LOGIT_COLUMNS)


def compare_ordinal(
    treated: Any,
    control: Any,
    *,
    levels: Sequence[Any] = (1, 2, 3, 4, 5),
    top: Sequence[Any] = (4, 5),
    alpha: float = 0.05,
    proportional_odds: bool = True,
) -> pd.DataFrame:
    """Top-box difference, proportional-odds OR and Mann-Whitney test in one table.

    Parameters
    ----------
    treated, control, levels, top, alpha
        As in :func:`top_box` and :func:`ordinal_logit`.
    proportional_odds : bool, default True
        False leaves the model out: the ``ordinal_logit`` row is there with test
        ``"none"`` and no estimate (for data where :func:`ordinal_logit` raises
        :class:`~analysis.estimability.NotEstimable`, which this function passes on).

    Returns
    -------
    pandas.DataFrame
        Three rows with columns ``method, effect, estimate, ci_low, ci_high, test,
        statistic, p_val, n_treated, n_control, p_treated, p_control``:

        * ``top_box``: effect ``risk_difference`` (Newcombe CI), test ``chi2`` or
          ``fisher``; ``p_treated, p_control`` are the top-box proportions.
        * ``ordinal_logit``: effect ``odds_ratio`` (Wald CI), test ``wald_z``.
        * ``mann_whitney``: effect ``rank_biserial`` (no CI), statistic U.

    Notes
    -----
    Missing answers are dropped per group in every method.
    """
    tb = top_box(treated, control, levels=levels, top=top, alpha=alpha).iloc[0]
    nan = float("nan")
    if proportional_odds:
        ol = ordinal_logit(treated, control, levels=levels, alpha=alpha).iloc[0]
        test = "wald_z"
    else:
        ol = pd.Series({"odds_ratio": nan, "ci_low": nan, "ci_high": nan, "statistic": nan,
                        "p_val": nan, "n_treated": tb["n_treated"],
                        "n_control": tb["n_control"]})  # fmt: skip
        test = "none"
    mw = compare_ranks(_checked(treated, levels, "treated"),
                       _checked(control, levels, "control")).iloc[0]  # fmt: skip
    rows = [
        {"method": "top_box", "effect": "risk_difference",
         "estimate": tb["risk_difference"], "ci_low": tb["rd_ci_low"],
         "ci_high": tb["rd_ci_high"], "test": tb["test"], "statistic": tb["statistic"],
         "p_val": tb["p_val"], "n_treated": tb["n_treated"], "n_control": tb["n_control"],
         "p_treated": tb["p_treated"], "p_control": tb["p_control"]},
        {"method": "ordinal_logit", "effect": "odds_ratio", "estimate": ol["odds_ratio"],
         "ci_low": ol["ci_low"], "ci_high": ol["ci_high"], "test": test,
         "statistic": ol["statistic"], "p_val": ol["p_val"], "n_treated": ol["n_treated"],
         "n_control": ol["n_control"], "p_treated": nan, "p_control": nan},
        {"method": "mann_whitney", "effect": "rank_biserial", "estimate": mw["rank_biserial"],
         "ci_low": nan, "ci_high": nan, "test": "mann_whitney", "statistic": mw["statistic"],
         "p_val": mw["p_val"], "n_treated": mw["n_treated"], "n_control": mw["n_control"],
         "p_treated": nan, "p_control": nan},
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=ORDINAL_COLUMNS)
