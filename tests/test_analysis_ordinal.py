"""Tests for analysis.ordinal against R MASS::polr, hand counts and a likelihood check."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from analysis.means import compare_ranks
from analysis.ordinal import ORDINAL_COLUMNS, compare_ordinal, ordinal_logit, top_box

CONTROL_COUNTS = np.array([16, 57, 79, 128, 40])  # answers 1..5
TREATED_COUNTS = np.array([7, 40, 84, 136, 108])
LEVELS = np.arange(1, 6)
T = np.repeat(LEVELS, TREATED_COUNTS)
C = np.repeat(LEVELS, CONTROL_COUNTS)

# R 4.2.2:
#   y <- factor(c(rep(1:5, ct), rep(1:5, tt)), levels = 1:5, ordered = TRUE)
#   g <- c(rep(0, sum(ct)), rep(1, sum(tt)))
#   fit <- MASS::polr(y ~ g, Hess = TRUE, method = "logistic")
#   coef(fit); fit$zeta; sqrt(diag(vcov(fit)))
POLR_COEF = 0.718167088903207
POLR_SE = 0.139606080256584
POLR_ZETA = [-3.04553356712690482, -1.21941319881134280, -0.00663916616790505,
             1.72118741818614418]  # fmt: skip


def _loglik(beta: float, zeta) -> float:
    """Proportional-odds log-likelihood, logit P(Y <= j) = zeta_j - beta x, by hand."""
    total = 0.0
    for x, counts in ((0.0, CONTROL_COUNTS), (1.0, TREATED_COUNTS)):
        cum = np.r_[0.0, expit(np.asarray(zeta) - beta * x), 1.0]
        total += float((counts * np.log(np.diff(cum))).sum())
    return total


def test_ordinal_logit_matches_polr():
    r = ordinal_logit(T, C).iloc[0]
    assert r["log_or"] == pytest.approx(POLR_COEF, rel=1e-5)
    assert r["odds_ratio"] == pytest.approx(np.exp(POLR_COEF), rel=1e-5)
    assert r["se"] == pytest.approx(POLR_SE, rel=1e-5)
    # polr's optim stops a little earlier; the cut-points agree to 1e-4
    assert list(r["thresholds"]) == pytest.approx(POLR_ZETA, abs=2e-4)
    # ... and ours are at least as good a maximum of the hand-written likelihood
    assert _loglik(r["log_or"], r["thresholds"]) >= _loglik(POLR_COEF, POLR_ZETA) - 1e-9
    z = 1.959963984540054
    assert r["ci_low"] == pytest.approx(np.exp(r["log_or"] - z * r["se"]), rel=1e-10)
    assert r["p_val"] < 1e-6 and r["converged"]
    assert (r["n_treated"], r["n_control"]) == (375, 320)


def test_ordinal_logit_drops_unused_levels_and_checks_codes():
    t = [2, 3, 3, 4, 4, 4, np.nan]
    c = [2, 2, 3, 3, 4]
    r = ordinal_logit(t, c).iloc[0]
    assert r["levels_used"] == (2, 3, 4) and len(r["thresholds"]) == 2
    assert r["n_treated"] == 6
    with pytest.raises(ValueError):
        ordinal_logit([1, 6], c)


def test_top_box_hand():
    r = top_box(T, C).iloc[0]
    assert r["events_treated"] == 244 and r["n_treated"] == 375
    assert r["p_control"] == pytest.approx(168 / 320)
    assert r["risk_difference"] == pytest.approx(244 / 375 - 168 / 320)
    assert r["test"] == "chi2"
    # missing answers leave the denominator
    r2 = top_box([5, 4, 1, np.nan], [1, 2, np.nan]).iloc[0]
    assert (r2["n_treated"], r2["events_treated"], r2["n_control"]) == (3, 2, 2)
    with pytest.raises(ValueError):
        top_box(T, C, top=(6,))


def test_compare_ordinal_table():
    out = compare_ordinal(T, C)
    assert list(out.columns) == ORDINAL_COLUMNS
    assert out["method"].tolist() == ["top_box", "ordinal_logit", "mann_whitney"]
    assert out.loc[1, "estimate"] == pytest.approx(np.exp(POLR_COEF), rel=1e-5)
    mw = compare_ranks(T, C).iloc[0]
    assert out.loc[2, "statistic"] == mw["statistic"]
    assert out.loc[2, "estimate"] == pytest.approx(mw["rank_biserial"])
    assert out.loc[0, "p_treated"] == pytest.approx(244 / 375)
    assert pd.isna(out.loc[2, "ci_low"])


def test_simulated_proportional_odds_truth():
    # Latent logistic model with true log-OR 0.8: Y = 1 + #(cut-points below eta + e).
    rng = np.random.default_rng(42)
    n = 4000
    x = np.r_[np.ones(n), np.zeros(n)]
    latent = 0.8 * x + rng.logistic(size=2 * n)
    y = 1 + (latent[:, None] > np.array([-2.0, -0.5, 0.5, 2.0])).sum(axis=1)
    r = ordinal_logit(y[:n], y[n:]).iloc[0]
    assert abs(r["log_or"] - 0.8) < 3 * r["se"]
    assert list(r["thresholds"]) == pytest.approx([-2.0, -0.5, 0.5, 2.0], abs=0.15)


def test_ordinal_logit_on_the_cells_is_the_fit_on_the_individual_answers():
    """The fit on the 2 x J table (cells weighted by their counts) against statsmodels'
    OrderedModel on every answer, fitted the way ordinal_logit did before (BFGS, then
    Newton from there): estimates to 1e-8; standard errors to 1e-5 relative (statsmodels
    differentiates the log-likelihood numerically, so two evaluations of the same
    likelihood agree to about 1e-6)."""
    import warnings

    from statsmodels.miscmodels.ordinal_model import OrderedModel

    rng = np.random.default_rng(12)
    t = rng.choice(LEVELS, size=900, p=[0.05, 0.1, 0.25, 0.35, 0.25])
    c = rng.choice(LEVELS[:4], size=700, p=[0.1, 0.2, 0.4, 0.3])  # level 5 only treated
    y = pd.Series(pd.Categorical(np.r_[t, c], categories=list(LEVELS), ordered=True))
    x = pd.DataFrame({"treated": np.r_[np.ones(len(t)), np.zeros(len(c))]})
    model = OrderedModel(y, x, distr="logit")
    res = model.fit(method="bfgs", disp=False, maxiter=500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(method="newton", start_params=res.params.to_numpy(), disp=False,
                        maxiter=100)  # fmt: skip
    r = ordinal_logit(t, c).iloc[0]
    assert r["log_or"] == pytest.approx(res.params["treated"], abs=1e-8)
    thresholds = model.transform_threshold_params(res.params.to_numpy())[1:-1]
    assert list(r["thresholds"]) == pytest.approx(list(thresholds), abs=1e-8)
    assert r["se"] == pytest.approx(res.bse["treated"], rel=1e-5)
    assert r["converged"]
