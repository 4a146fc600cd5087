"""Tests for analysis.models: every number against a fit done another way or by hand."""

from __future__ import annotations

import warnings

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


# ---------------------------------------------------------------- fast paths (issue 10)
# Every fast path is checked against the computation it replaced: statsmodels' GLM IRLS
# (``sm.GLM(y, X, family=...).fit(maxiter=100)``) or OLS (``sm.OLS(y, X).fit(cov_type=
# "HC3")``) on the same design, the HC3 formula with the full hat matrix, and the design
# built by pandas concatenation.


def _design_by_concat(
    frame: pd.DataFrame, outcome: str, treatment: str | None, covariates: list[str],
    categorical: list[str], fixed_effects: list[str],
) -> tuple[np.ndarray, list[str], np.ndarray, pd.Index]:
    """The previous build_design: one DataFrame per column, pd.concat, drop duplicates."""
    cols = list(dict.fromkeys([outcome, *([treatment] if treatment else []), *covariates,
                               *fixed_effects]))  # fmt: skip
    sub = frame.loc[:, cols]
    data = sub.loc[sub.notna().all(axis=1)]
    parts = [pd.DataFrame({"Intercept": 1.0}, index=data.index)]
    if treatment:
        parts.append(data[treatment].astype("float64").to_frame(treatment))
    for name in [*covariates, *fixed_effects]:
        if name in categorical or name in fixed_effects:
            col = data[name]
            if isinstance(col.dtype, pd.CategoricalDtype):
                present = set(col.unique())
                levels = [c for c in col.cat.categories if c in present]
            else:
                levels = sorted(col.unique().tolist())
            parts.append(pd.DataFrame(
                {f"{name}[{lv}]": (col == lv).astype("float64") for lv in levels[1:]},
                index=data.index))  # fmt: skip
        else:
            parts.append(data[name].astype("float64").to_frame())
    Xf = pd.concat(parts, axis=1)
    Xf = Xf.loc[:, ~Xf.columns.duplicated()]
    y = data[outcome].astype("float64").to_numpy()
    return Xf.to_numpy(dtype="float64"), list(Xf.columns), y, data.index


def _messy_frame(seed: int) -> pd.DataFrame:
    df = _frame(n=400, seed=seed)
    rng = np.random.default_rng(seed + 100)
    df["town"] = pd.Series(rng.choice(["zaanstad", "hilversum", "mug"], 400), dtype="str")
    df["edu_f"] = df["edu"].astype("float64")
    df["cat"] = pd.Categorical(rng.choice(["b", "a", "c", "d"], 400, p=[0.4, 0.3, 0.3, 0]),
                               categories=["d", "c", "b", "a"])  # "d" declared, never seen
    df.loc[rng.choice(400, 25, replace=False), "age"] = np.nan
    df.loc[rng.choice(400, 10, replace=False), "town"] = None
    df.index = df.index * 3 + 5  # not a RangeIndex: `used` must carry the labels
    return df


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("spec", [
    ("y", "t", ["age", "edu", "town", "cat"], ["edu", "town", "cat"], ["unit"]),
    ("count", "t", ["age", "edu_f", "unit"], ["edu_f", "unit"], ["unit"]),  # unit twice
    ("t", None, ["age", "cat"], ["cat"], ["town"]),  # propensity-score design
    ("score", "t", ["age"], [], []),  # no dummies, nothing missing
])  # fmt: skip
def test_build_design_equals_concatenated_frames(seed, spec):
    df = _messy_frame(seed)
    outcome, treatment, covs, cats, fes = spec
    d = build_design(df, outcome, treatment, covs, cats, fes)
    X, names, y, used = _design_by_concat(df, outcome, treatment, covs, cats, fes)
    assert d.names == names
    np.testing.assert_array_equal(d.X, X)
    np.testing.assert_array_equal(d.y, y)
    assert d.used.equals(used) and d.n_dropped == len(df) - len(used)
    assert d.X.flags["C_CONTIGUOUS"] and d.X.dtype == np.float64


def _previous_fit(d, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """The previous computation: statsmodels GLM IRLS / OLS, HC3 by the full hat matrix."""
    if kind == "continuous":
        ols = sm.OLS(d.y, d.X).fit(cov_type="HC3")
        return np.asarray(ols.params), np.asarray(ols.cov_params())
    family = sm.families.Binomial() if kind == "binary" else sm.families.Poisson()
    res = sm.GLM(d.y, d.X, family=family).fit(maxiter=100)
    mu = np.asarray(res.fittedvalues)
    var = mu * (1 - mu) if kind == "binary" else mu
    return np.asarray(res.params), _hc3_by_hand(d.X, d.y, mu, var)


def _ame_by_copies(d, params: np.ndarray, cov: np.ndarray) -> tuple[float, float]:
    """The previous AME: X copied with the treatment set to 1 and to 0."""
    X1, X0 = d.X.copy(), d.X.copy()
    X1[:, 1], X0[:, 1] = 1.0, 0.0
    p1, p0 = stats.logistic.cdf(X1 @ params), stats.logistic.cdf(X0 @ params)
    grad = ((p1 * (1 - p1))[:, None] * X1 - (p0 * (1 - p0))[:, None] * X0).mean(axis=0)
    return float((p1 - p0).mean()), float(np.sqrt(grad @ cov @ grad))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("kind,outcome", [("binary", "y"), ("continuous", "score"),
                                          ("count", "count")])  # fmt: skip
def test_fits_equal_previous_statsmodels_computation(seed, kind, outcome):
    df = _messy_frame(seed)
    args = {"covariates": ["age", "edu", "town"], "categorical": ["edu", "town"],
            "fixed_effects": ["unit"]}  # fmt: skip
    r = effect_and_se(df, outcome, "t", kind=kind, **args)
    d = build_design(df, outcome, "t", **args)
    params, cov = _previous_fit(d, kind)
    np.testing.assert_allclose(r["params"], params, rtol=1e-9, atol=1e-12)
    assert r["estimate"] == pytest.approx(params[1], rel=1e-9)
    assert r["se"] == pytest.approx(np.sqrt(cov[1, 1]), rel=1e-9)
    assert r["converged"] and not r["separation"] and r["warnings"] == ""
    if kind == "binary":
        ame, ame_se = _ame_by_copies(d, params, cov)
        assert r["ame"] == pytest.approx(ame, rel=1e-9)
        assert r["ame_se"] == pytest.approx(ame_se, rel=1e-9)


def test_ols_normal_equations_on_a_badly_scaled_design():
    # A covariate around 2014 with a small spread makes X'X ill-conditioned (condition
    # number ~2e13): the refined normal equations still match statsmodels' OLS (pinv).
    df = _frame()
    df["year"] = 2014 + df["age"] / 10
    r = effect_and_se(df, "score", "t", ["year", "edu"], kind="continuous",
                      categorical=["edu"], fixed_effects=["unit"])  # fmt: skip
    d = build_design(df, "score", "t", ["year", "edu"], ["edu"], ["unit"])
    assert np.linalg.cond(d.X.T @ d.X) > 1e13
    ref = sm.OLS(d.y, d.X).fit(cov_type="HC3")
    assert r["estimate"] == pytest.approx(ref.params[1], rel=1e-8)
    assert r["se"] == pytest.approx(ref.bse[1], rel=1e-8)


def test_glm_hc3_in_blocks_equals_full_hat_matrix(monkeypatch):
    import analysis.models as models

    df = _frame()
    d = build_design(df, "count", "t", **ARGS)
    mu = sm.GLM(d.y, d.X, family=sm.families.Poisson()).fit().fittedvalues
    ref = _hc3_by_hand(d.X, d.y, mu, mu)
    for rows in (7, 64, 1 << 14):  # blocks that do not divide n = 300, and one block
        monkeypatch.setattr(models, "_BLOCK_ROWS", rows)
        np.testing.assert_allclose(glm_hc3(d.X, d.y, mu, mu), ref, rtol=1e-10)


@pytest.mark.parametrize("kind,outcome", [("binary", "y"), ("count", "count")])
def test_warm_start_gives_the_same_fit(kind, outcome):
    other, df = _frame(seed=11), _frame(seed=12)
    start = effect_and_se(other, outcome, "t", kind=kind, **ARGS)["params"]
    cold = effect_and_se(df, outcome, "t", kind=kind, **ARGS)
    warm = effect_and_se(df, outcome, "t", kind=kind, start_params=start, **ARGS)
    for key in ("estimate", "se", "ame", "ame_se"):
        np.testing.assert_allclose(warm[key], cold[key], rtol=1e-10)
    # a start vector of the wrong length (another design) is ignored, not an error
    odd = effect_and_se(df, outcome, "t", kind=kind, start_params=start[:-1], **ARGS)
    assert odd["estimate"] == cold["estimate"]


def test_complete_separation_uses_the_previous_irls_fit():
    # Newton diverges here; the result is statsmodels' GLM IRLS fit, as before.
    df = _frame(n=120)
    df["y"] = (df["age"] > 40).astype(int)
    r = effect_and_se(df, "y", "t", ["age"], kind="binary", fixed_effects=[])
    d = build_design(df, "y", "t", ["age"], [], [])
    with pytest.warns(Warning):
        res = sm.GLM(d.y, d.X, family=sm.families.Binomial()).fit(maxiter=100)
    np.testing.assert_allclose(r["params"], res.params, rtol=1e-12)
    assert r["separation"] and r["converged"] == res.converged
    assert "Perfect separation" in r["warnings"]


def test_count_with_an_all_zero_unit_uses_the_previous_irls_fit():
    # No finite MLE for the unit-3 effect (all its counts are 0): Newton does not
    # converge, the statsmodels GLM IRLS fit of before is used (and flagged as before).
    df = _frame()
    df.loc[df["unit"] == 3, "count"] = 0
    r = effect_and_se(df, "count", "t", kind="count", **ARGS)
    d = build_design(df, "count", "t", **ARGS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.GLM(d.y, d.X, family=sm.families.Poisson()).fit(maxiter=100)
    np.testing.assert_allclose(r["params"], res.params, rtol=1e-12)
    assert r["converged"] == res.converged
    assert res.params[d.names.index("unit[3]")] < -15  # the divergent direction
    assert r["estimate"] == pytest.approx(res.params[1], rel=1e-12)
