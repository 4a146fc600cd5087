"""Tests for analysis.models: every number against a fit done another way or by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.tools.numdiff import approx_fprime

from analysis.models import (
    MODEL_COLUMNS,
    _ame,
    _Fit,
    adjusted_effect,
    build_design,
    effect_and_se,
    glm_hc3,
)


def _frame(n: int = 300, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = rng.integers(1, 4, n)
    age = rng.normal(40, 10, n)
    edu = rng.integers(1, 4, n)
    t = (rng.random(n) < stats.logistic.cdf(-2 + 0.05 * age)).astype(int)
    eta = -1 + 0.8 * t - 0.03 * (age - 40) + 0.4 * (edu == 3) + 0.3 * (unit == 2)
    y = (rng.random(n) < stats.logistic.cdf(eta)).astype(int)
    score = 3 + 0.5 * t + 0.02 * age + rng.normal(0, 1 + 0.5 * t, n)
    count = rng.poisson(np.exp(1 + 0.3 * t - 0.01 * (age - 40)))
    return pd.DataFrame({"y": y, "t": t, "age": age, "edu": edu, "unit": unit,
                         "score": score, "count": count})  # fmt: skip


ARGS = {"covariates": ["age", "edu"], "categorical": ["edu"], "fixed_effects": ["unit"]}
FORMULA = " ~ t + age + C(edu) + C(unit)"


def _hc3_by_hand(X: np.ndarray, y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> np.ndarray:
    """HC3 from the full GLM hat matrix H = W^1/2 X (X'WX)^-1 X' W^1/2 (another code path)."""
    sw = np.diag(np.sqrt(w))
    xtwx_inv = np.linalg.inv(X.T @ np.diag(w) @ X)
    H = sw @ X @ xtwx_inv @ X.T @ sw
    h = np.diag(H)
    meat = X.T @ np.diag(((y - mu) / (1 - h)) ** 2) @ X
    return xtwx_inv @ meat @ xtwx_inv


def test_columns_and_counts():
    df = _frame()
    df.loc[[0, 5], "age"] = np.nan
    df.loc[[5, 9], "unit"] = np.nan
    df.loc[11, "y"] = np.nan
    out = adjusted_effect(df, "y", "t", kind="binary", **ARGS)
    assert list(out.columns) == MODEL_COLUMNS and len(out) == 1
    # rows 0, 5, 9, 11 are incomplete: 4 dropped, 296 used
    assert out.loc[0, "n_dropped_missing"] == 4 and out.loc[0, "n_used"] == 296
    assert out.loc[0, "n_treated"] + out.loc[0, "n_control"] == 296
    assert out.loc[0, "cov_type"] == "HC3" and out.loc[0, "estimand"] == "conditional_or"
    assert bool(out.loc[0, "converged"]) and not bool(out.loc[0, "separation"])
    assert df.loc[0, "age"] != df.loc[0, "age"]  # input untouched (still NaN)


def test_logit_or_matches_statsmodels_logit_and_formula_glm():
    df = _frame()
    out = adjusted_effect(df, "y", "t", kind="binary", **ARGS).iloc[0]
    # Another way 1: formula GLM (patsy dummies, treatment coding = first level reference)
    ref = smf.glm("y" + FORMULA, data=df, family=sm.families.Binomial()).fit()
    assert out["estimate"] == pytest.approx(np.exp(ref.params["t"]), rel=1e-8)
    # Another way 2: Newton-Raphson sm.Logit on the same design
    d = build_design(df, "y", "t", **ARGS)
    logit = sm.Logit(d.y, d.X).fit(disp=0, tol=1e-12)
    assert np.log(out["estimate"]) == pytest.approx(logit.params[1], rel=1e-7)
    # HC3 from the full hat matrix
    mu = logit.predict(d.X)
    v = _hc3_by_hand(d.X, d.y, mu, mu * (1 - mu))
    se = np.sqrt(v[1, 1])
    assert out["se"] == pytest.approx(se, rel=1e-6)
    z = stats.norm.ppf(0.975)
    assert out["ci_low"] == pytest.approx(np.exp(logit.params[1] - z * se), rel=1e-6)
    assert out["ci_high"] == pytest.approx(np.exp(logit.params[1] + z * se), rel=1e-6)
    assert out["p_val"] == pytest.approx(2 * stats.norm.sf(abs(logit.params[1] / se)), rel=1e-5)
    # HC3 is larger than statsmodels' HC0 (which is what it returns for cov_type="HC3")
    hc0 = sm.Logit(d.y, d.X).fit(disp=0, cov_type="HC0").bse[1]
    assert se > hc0


def test_glm_hc3_reduces_to_ols_hc3():
    # Gaussian/identity: var(mu) = 1 and the GLM hat values are the OLS ones, so the GLM HC3
    # helper must reproduce statsmodels' OLS HC3 (an independent implementation).
    df = _frame()
    d = build_design(df, "score", "t", **ARGS)
    ols = sm.OLS(d.y, d.X).fit(cov_type="HC3")
    v = glm_hc3(d.X, d.y, ols.fittedvalues, np.ones_like(d.y))
    np.testing.assert_allclose(v, ols.cov_params(), rtol=1e-10)


def test_continuous_md_matches_formula_ols_hc3():
    df = _frame()
    out = adjusted_effect(df, "score", "t", kind="continuous", **ARGS).iloc[0]
    ref = smf.ols("score" + FORMULA, data=df).fit(cov_type="HC3")
    assert out["estimate"] == pytest.approx(ref.params["t"], rel=1e-10)
    assert out["se"] == pytest.approx(ref.bse["t"], rel=1e-10)
    # t interval with the residual df (300 - 7 params)
    crit = stats.t.ppf(0.975, 293)
    assert out["ci_low"] == pytest.approx(ref.params["t"] - crit * ref.bse["t"], rel=1e-10)
    assert out["p_val"] == pytest.approx(2 * stats.t.sf(abs(ref.tvalues["t"]), 293), rel=1e-8)
    assert np.isnan(out["ame"]) and out["estimand"] == "mean_difference"


def test_count_rr_matches_formula_poisson_and_hand_hc3():
    df = _frame()
    out = adjusted_effect(df, "count", "t", kind="count", **ARGS).iloc[0]
    ref = smf.glm("count" + FORMULA, data=df, family=sm.families.Poisson()).fit(tol=1e-12)
    assert out["estimate"] == pytest.approx(np.exp(ref.params["t"]), rel=1e-7)
    d = build_design(df, "count", "t", **ARGS)
    mu = ref.fittedvalues.to_numpy()
    v = _hc3_by_hand(d.X, d.y, mu, mu)
    assert out["se"] == pytest.approx(np.sqrt(v[1, 1]), rel=1e-6)
    assert out["estimand"] == "rate_ratio" and out["se_scale"] == "log_rr"


def test_ame_gradient_against_numeric_derivative():
    df = _frame()
    d = build_design(df, "y", "t", **ARGS)
    r = effect_and_se(df, "y", "t", kind="binary", **ARGS)
    logit = sm.Logit(d.y, d.X).fit(disp=0, tol=1e-12)
    mu = logit.predict(d.X)
    cov = _hc3_by_hand(d.X, d.y, mu, mu * (1 - mu))

    def ame(b: np.ndarray) -> float:
        X1, X0 = d.X.copy(), d.X.copy()
        X1[:, 1], X0[:, 1] = 1.0, 0.0
        return float((stats.logistic.cdf(X1 @ b) - stats.logistic.cdf(X0 @ b)).mean())

    g = approx_fprime(logit.params, ame, centered=True)
    assert r["ame"] == pytest.approx(ame(logit.params), rel=1e-7)
    assert r["ame_se"] == pytest.approx(np.sqrt(g @ cov @ g), rel=1e-5)


def test_ame_matches_statsmodels_get_margeff_under_same_covariance():
    # get_margeff(dummy=True) computes the discrete change for a 0/1 regressor with a
    # numeric-derivative delta method using the model covariance; feed both HC0.
    df = _frame()
    d = build_design(df, "y", "t", **ARGS)
    logit = sm.Logit(d.y, d.X).fit(disp=0, tol=1e-12, cov_type="HC0")
    me = logit.get_margeff(at="overall", dummy=True).summary_frame()
    fit = _Fit(np.asarray(logit.params), np.asarray(logit.cov_params()), False, 0.0,
               True, False, [], np.asarray(logit.predict(d.X)))  # fmt: skip
    est, se = _ame(d, fit)
    assert est == pytest.approx(me.iloc[0]["dy/dx"], rel=1e-8)
    assert se == pytest.approx(me.iloc[0]["Std. Err."], rel=1e-4)


def test_effect_and_se_scales():
    df = _frame()
    b = effect_and_se(df, "y", "t", kind="binary", **ARGS)
    a = adjusted_effect(df, "y", "t", kind="binary", **ARGS).iloc[0]
    assert b["scale"] == "log_or" and np.exp(b["estimate"]) == pytest.approx(a["estimate"])
    assert b["se"] == a["se"] and b["ame"] == a["ame"] and b["ame_se"] == a["ame_se"]
    c = effect_and_se(df, "count", "t", kind="count", **ARGS)
    assert c["scale"] == "log_rr" and c["use_t"] is False
    m = effect_and_se(df, "score", "t", kind="continuous", **ARGS)
    assert m["scale"] == "mean_difference" and m["use_t"] is True and m["df_resid"] == 293


def test_separation_is_reported_not_swallowed():
    df = _frame(n=120)
    df["y"] = (df["age"] > 40).astype(int)  # age separates the outcome completely
    out = adjusted_effect(df, "y", "t", kind="binary", covariates=["age"], fixed_effects=[])
    assert bool(out.loc[0, "separation"])
    assert "separation" in out.loc[0, "warnings"]


def test_quasi_separation_in_treatment_flagged():
    df = _frame(n=200)
    df.loc[df["t"] == 1, "y"] = 1  # every treated person has the outcome
    out = adjusted_effect(df, "y", "t", kind="binary", covariates=["age"], fixed_effects=[])
    assert bool(out.loc[0, "separation"])


def test_invalid_inputs():
    df = _frame()
    with pytest.raises(ValueError, match="kind"):
        adjusted_effect(df, "y", "t", ["age"], kind="ordinal")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="0/1"):
        adjusted_effect(df.assign(t=df["t"] + 1), "y", "t", ["age"], kind="binary")
    with pytest.raises(ValueError, match="rank deficient"):
        adjusted_effect(df.assign(age2=df["age"] * 2), "y", "t", ["age", "age2"], kind="binary")
    with pytest.raises(ValueError, match="not in frame"):
        adjusted_effect(df, "y", "t", ["nope"], kind="binary")
    with pytest.raises(ValueError, match="0/1"):
        adjusted_effect(df, "score", "t", ["age"], kind="binary")


def test_categorical_reference_is_first_declared_level():
    df = _frame()
    df["edu"] = pd.Categorical(df["edu"], categories=[3, 1, 2])
    d = build_design(df, "y", "t", **ARGS)
    assert "edu[3]" not in d.names and "edu[1]" in d.names and "edu[2]" in d.names
