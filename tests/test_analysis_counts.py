"""Tests for analysis.counts: exact identities, a hand sandwich and R MASS::glm.nb values."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from analysis.counts import COUNT_COLUMNS, compare_counts, rate_ratio
from analysis.means import compare_ranks

TR = [0, 1, 1, 2, 3, 3, 4, 5, 7, 10, 0, 2]  # sum 38, n 12
CO = [0, 0, 1, 1, 1, 2, 2, 3, 0, 4, 1, 0, 6]  # sum 21, n 13
FRAME = pd.DataFrame({"y": TR + CO, "g": [1] * len(TR) + [0] * len(CO)})


def test_crude_poisson_ratio_of_means_and_sandwich():
    r = rate_ratio(FRAME, "y", "g").iloc[0]
    assert list(r.index) == COUNT_COLUMNS and r["method"] == "poisson_robust"
    assert r["rate_ratio"] == pytest.approx((38 / 12) / (21 / 13), rel=1e-10)  # exact identity
    # Closed form of the HC0 sandwich for a saturated two-group model:
    # Var(log RR) = sum((y1 - m1)²) / (n1 m1)² + sum((y0 - m0)²) / (n0 m0)²
    t, c = np.array(TR, float), np.array(CO, float)
    hand = np.sqrt(((t - t.mean()) ** 2).sum() / t.sum() ** 2
                   + ((c - c.mean()) ** 2).sum() / c.sum() ** 2)  # fmt: skip
    assert r["se_log_rr"] == pytest.approx(hand, rel=1e-8)
    # R: po <- glm(yy ~ gg, family = poisson); X <- model.matrix(po); mu <- fitted(po)
    #    B <- solve(t(X) %*% (X * mu)); M <- t(X) %*% (X * (yy - mu)^2)
    #    sqrt(diag(B %*% M %*% B))[2]   # 0.395279646114817
    assert r["se_log_rr"] == pytest.approx(0.395279646114817, rel=1e-8)
    z = 1.959963984540054
    b = np.log(r["rate_ratio"])
    assert r["ci_low"] == pytest.approx(np.exp(b - z * hand), rel=1e-8)
    assert r["converged"] and np.isnan(r["dispersion"])
    assert (r["n"], r["n_treated"], r["n_control"], r["n_dropped"]) == (25, 12, 13, 0)


def test_negative_binomial_against_r_glm_nb():
    # R: nb <- MASS::glm.nb(yy ~ gg); coef(nb)[2] 0.673106429676499,
    #    sqrt(diag(vcov(nb)))[2] 0.403301551797124, 1 / nb$theta 0.553595980662537
    r = rate_ratio(FRAME, "y", "g", model="negative_binomial").iloc[0]
    assert np.log(r["rate_ratio"]) == pytest.approx(0.673106429676499, rel=1e-6)
    assert r["rate_ratio"] == pytest.approx((38 / 12) / (21 / 13), rel=1e-5)  # saturated MLE
    assert r["se_log_rr"] == pytest.approx(0.403301551797124, rel=1e-5)
    assert r["dispersion"] == pytest.approx(0.553595980662537, rel=1e-5)
    assert r["converged"]


def test_adjusted_matches_formula_fit_and_counts_dropped():
    rng = np.random.default_rng(7)
    n = 300
    frame = pd.DataFrame({
        "g": rng.integers(0, 2, n), "age": rng.normal(40, 10, n), "edu": rng.integers(1, 4, n),
    })  # fmt: skip
    mu = np.exp(0.2 + 0.4 * frame["g"] + 0.01 * (frame["age"] - 40) + 0.1 * frame["edu"])
    frame["y"] = rng.poisson(mu)
    frame.loc[[0, 5, 9], "age"] = np.nan
    frame.loc[[9, 12], "y"] = np.nan
    r = rate_ratio(frame, "y", "g", covariates=["age", "edu"], categorical=["edu"]).iloc[0]
    ref = smf.glm("y ~ g + age + C(edu)", data=frame.dropna(),
                  family=sm.families.Poisson()).fit(cov_type="HC0")  # fmt: skip
    assert np.log(r["rate_ratio"]) == pytest.approx(ref.params["g"], rel=1e-8)
    assert r["se_log_rr"] == pytest.approx(ref.bse["g"], rel=1e-8)
    assert r["n"] == n - 4 and r["n_dropped"] == 4 and r["covariates"] == "age,edu"


def test_compare_counts_rows_and_mann_whitney():
    out = compare_counts(FRAME, "y", "g")
    assert out["method"].tolist() == ["poisson_robust", "negative_binomial", "mann_whitney"]
    mw = out.iloc[2]
    ref = compare_ranks(TR, CO).iloc[0]
    assert mw["statistic"] == ref["statistic"] and mw["p_val"] == pytest.approx(ref["p_val"])
    assert mw["rank_biserial"] == pytest.approx(ref["rank_biserial"])
    assert np.isnan(mw["rate_ratio"]) and np.isnan(out.iloc[0]["rank_biserial"])
    assert mw["mean_treated"] == pytest.approx(38 / 12)


def test_errors():
    with pytest.raises(ValueError):
        rate_ratio(FRAME.assign(y=FRAME["y"] - 1), "y", "g")  # negative counts
    with pytest.raises(ValueError):
        rate_ratio(FRAME.assign(y=FRAME["y"] + 0.5), "y", "g")  # not integer
    with pytest.raises(ValueError):
        rate_ratio(FRAME.assign(g=2), "y", "g")
    with pytest.raises(KeyError):
        rate_ratio(FRAME, "y", "g", covariates=["nope"])
    with pytest.raises(ValueError):
        rate_ratio(FRAME, "y", "g", model="zip")


def test_poisson_on_covariate_patterns_is_the_fit_on_every_row():
    """rate_ratio's Poisson fit on the distinct covariate patterns (sufficient statistics)
    against statsmodels' GLM with HC0 on every row, as rate_ratio fitted it before."""
    import statsmodels.api as sm

    from analysis.counts import _poisson_hc0_grouped

    rng = np.random.default_rng(5)
    n = 3000
    frame = pd.DataFrame({"g": rng.integers(0, 2, n), "unit": rng.integers(0, 4, n),
                          "age": rng.integers(20, 60, n)})  # fmt: skip
    mu = np.exp(0.2 + 0.3 * frame["g"] + 0.1 * frame["unit"] - 0.01 * frame["age"])
    frame["y"] = rng.negative_binomial(2, 2 / (2 + mu))  # overdispersed counts
    r = rate_ratio(frame, "y", "g", covariates=["unit", "age"], categorical=["unit"]).iloc[0]
    x = pd.get_dummies(frame["unit"], prefix="unit", drop_first=True, dtype="float64")
    x = pd.concat([pd.DataFrame({"const": 1.0, "treated": frame["g"].astype(float)}),
                   x, frame[["age"]].astype(float)], axis=1)  # fmt: skip
    full = sm.GLM(frame["y"].astype(float), x, family=sm.families.Poisson()).fit(cov_type="HC0")
    assert np.log(r["rate_ratio"]) == pytest.approx(full.params["treated"], abs=1e-8)
    assert r["se_log_rr"] == pytest.approx(full.bse["treated"], rel=1e-8)
    b, se, converged = _poisson_hc0_grouped(frame["y"].to_numpy(float), x)
    assert converged and b == pytest.approx(full.params["treated"], abs=1e-8)
