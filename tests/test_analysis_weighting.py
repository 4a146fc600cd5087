"""Tests for analysis.weighting: hand arithmetic on tiny data sets and statsmodels fits."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.tools.numdiff import approx_fprime
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from analysis.balance import BALANCE_COLUMNS, balance_table
from analysis.models import build_design
from analysis.propensity import (
    OVERLAP_BIN_COLUMNS,
    OVERLAP_SUMMARY_COLUMNS,
    overlap_bins,
    overlap_summary,
    propensity_scores,
)
from analysis.ps_weights import WEIGHT_SUMMARY_COLUMNS, att_weights, weight_summary
from analysis.weighting import WEIGHTED_EFFECT_COLUMNS, att_effect, weighted_effect

# Tiny data set: 3 treated (weight 1), 4 controls with weights 0.5, 1, 2, 0.5.
TINY = pd.DataFrame({
    "t": [1, 1, 1, 0, 0, 0, 0],
    "y": [1, 0, 1, 1, 0, 0, 1],
    "n": [2, 0, 4, 1, 3, 0, 0],
    "x": [1.0, 2.0, 6.0, 2.0, 4.0, 6.0, 8.0],
    "w": [1, 1, 1, 0.5, 1, 2, 0.5],
})  # fmt: skip


def test_weighted_rd_and_or_by_hand():
    out = weighted_effect(TINY, "y", "t", "w", kind="binary")
    assert list(out.columns) == WEIGHTED_EFFECT_COLUMNS
    rd, or_ = out.iloc[0], out.iloc[1]
    # m1 = 2/3; m0 = (0.5*1 + 0.5*1) / 4 = 1/4 -> RD = 5/12
    assert rd["estimand"] == "att_rd" and rd["estimate"] == pytest.approx(5 / 12, rel=1e-12)
    assert rd["mean_treated_w"] == pytest.approx(2 / 3) and rd["mean_control_w"] == 0.25
    # HC0 sandwich = sum over groups of sum(w^2 (y - m)^2) / (sum w)^2:
    # treated: (1/9 + 4/9 + 1/9) / 9 = 2/27
    # control: (0.25*0.5625 + 1*0.0625 + 4*0.0625 + 0.25*0.5625) / 16 = 0.59375/16
    var_rd = 2 / 27 + 0.59375 / 16
    assert rd["se"] == pytest.approx(np.sqrt(var_rd), rel=1e-8)
    z = stats.norm.ppf(0.975)
    assert rd["ci_low"] == pytest.approx(5 / 12 - z * np.sqrt(var_rd), rel=1e-8)
    assert rd["p_val"] == pytest.approx(2 * stats.norm.sf(5 / 12 / np.sqrt(var_rd)), rel=1e-8)
    # marginal OR = (2/3 / (1/3)) / (1/4 / (3/4)) = 6; delta method on the logit of each
    # weighted mean: var = (2/27) / (2/9)^2 + (0.59375/16) / (3/16)^2 = 1.5 + 1.0555...
    assert or_["estimand"] == "att_or" and or_["estimate"] == pytest.approx(6.0, rel=1e-8)
    var_lor = (2 / 27) / (2 / 9) ** 2 + (0.59375 / 16) / (3 / 16) ** 2
    assert or_["se"] == pytest.approx(np.sqrt(var_lor), rel=1e-6)
    assert or_["ci_high"] == pytest.approx(np.exp(np.log(6) + z * np.sqrt(var_lor)), rel=1e-6)
    # Kish ESS of the controls: 4^2 / (0.25 + 1 + 4 + 0.25) = 16 / 5.5
    assert rd["ess_control"] == pytest.approx(16 / 5.5)
    assert rd["n_used"] == 7 and rd["n_treated"] == 3 and rd["cov_type"] == "HC0"


def test_freq_weights_would_differ():
    # Guard for the reason var_weights are used: freq_weights treat w as replicated rows.
    X = sm.add_constant(TINY["t"].to_numpy(float))
    fw = sm.GLM(TINY["y"].to_numpy(float), X, freq_weights=TINY["w"].to_numpy()).fit(
        cov_type="HC0"
    )
    ours = weighted_effect(TINY, "y", "t", "w", kind="binary").iloc[0]
    assert ours["estimate"] == pytest.approx(fw.params[1])
    assert abs(ours["se"] - fw.bse[1]) > 1e-3


def test_weighted_rr_and_md_by_hand():
    rr = weighted_effect(TINY, "n", "t", "w", kind="count").iloc[0]
    # m1 = 6/3 = 2; m0 = (0.5*1 + 1*3) / 4 = 0.875
    assert rr["estimand"] == "att_rr" and rr["estimate"] == pytest.approx(2 / 0.875, rel=1e-8)
    v1 = ((0 ** 2 + 2**2 + 2**2) / 9) / 2**2
    r0 = np.array([1, 3, 0, 0]) - 0.875
    w0 = np.array([0.5, 1, 2, 0.5])
    v0 = ((w0**2 * r0**2).sum() / 16) / 0.875**2
    assert rr["se"] == pytest.approx(np.sqrt(v1 + v0), rel=1e-6)
    md = weighted_effect(TINY, "x", "t", "w", kind="continuous")
    assert len(md) == 1 and md.loc[0, "estimand"] == "att_md"
    # m1 = 3, m0 = (1 + 4 + 12 + 4) / 4 = 5.25
    assert md.loc[0, "estimate"] == pytest.approx(3 - 5.25, rel=1e-12)


def test_weighted_effect_missing_rows_counted():
    df = TINY.copy()
    df.loc[0, "y"] = np.nan
    w = df["w"].copy()
    w.iloc[6] = np.nan
    out = weighted_effect(df, "y", "t", w.to_numpy(), kind="binary")
    assert out.loc[0, "n_used"] == 5 and out.loc[0, "n_dropped_missing"] == 2
    with pytest.raises(ValueError, match="0/1"):
        weighted_effect(TINY, "x", "t", "w", kind="binary")
    with pytest.raises(ValueError, match="kind"):
        weighted_effect(TINY, "x", "t", "w", kind="ratio")  # type: ignore[arg-type]


def test_att_weights_and_trimming():
    aw = att_weights(pd.Series([0.5, 0.995, 0.2, 0.999, np.nan]), [1, 0, 0, 1, 0])
    np.testing.assert_allclose(aw["weight"].to_numpy()[:4], [1.0, 99.0, 0.25, 1.0])
    assert np.isnan(aw["weight"].iloc[4])
    assert aw["trimmed"].tolist() == [False, True, False, False, False]  # treated never trimmed
    none = att_weights([0.5, 0.995], [1, 0], trim=None)
    assert none["weight"].iloc[1] == pytest.approx(199.0)
    # a control with a score of exactly 0 resembles no treated person: weight 0, no error
    zero = att_weights([0.0, 0.5], [0, 1])
    assert zero["weight"].tolist() == [0.0, 1.0]
    # a control with a score of 1 has an infinite odds weight: capped, or refused
    assert att_weights([1.0, 0.5], [0, 1])["weight"].iloc[0] == pytest.approx(99.0)
    with pytest.raises(ValueError, match="score of 1"):
        att_weights([1.0, 0.5], [0, 1], trim=None)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        att_weights([1.2, 0.5], [0, 1])


def test_weight_summary_kish_by_hand():
    aw = att_weights([0.5, 0.6, 1 / 3, 0.5, 2 / 3, 1 / 3], [1, 1, 0, 0, 0, 0])
    # control weights 0.5, 1, 2, 0.5: sum 4, sum of squares 5.5 -> ESS 16/5.5, deff 5.5/4
    s = weight_summary(aw["weight"], aw["treated"], aw["trimmed"])
    assert list(s.columns) == WEIGHT_SUMMARY_COLUMNS
    c = s.set_index("group").loc["control"]
    assert c["n"] == 4 and c["sum_weights"] == pytest.approx(4.0)
    assert c["ess"] == pytest.approx(16 / 5.5) and c["design_effect"] == pytest.approx(5.5 / 4)
    assert c["median"] == pytest.approx(0.75) and c["max"] == pytest.approx(2.0)
    assert c["n_trimmed"] == 0
    t = s.set_index("group").loc["treated"]
    assert t["ess"] == pytest.approx(2.0) and t["design_effect"] == pytest.approx(1.0)


def test_balance_table_by_hand():
    df = TINY.assign(b=[1, 0, 0, 1, 1, 0, 0], cat=["a", "b", "a", "b", "b", "a", np.nan])
    bt = balance_table(df, ["x", "b", "cat"], "t", "w", categorical=["cat"])
    assert list(bt.columns) == BALANCE_COLUMNS
    x = bt.iloc[0]
    # treated x = 1, 2, 6: mean 3, var (4 + 1 + 9)/2 = 7 (ddof=1)
    # control weighted mean (0.5*2 + 4 + 2*6 + 0.5*8)/4 = 5.25; unweighted 5, var 20/3
    # SMD denominator: the pooled unweighted SD sqrt((7 + 20/3) / 2), before and after
    pooled = np.sqrt((7 + 20 / 3) / 2)
    assert x["smd_unweighted"] == pytest.approx((3 - 5) / pooled)
    assert x["smd_weighted"] == pytest.approx((3 - 5.25) / pooled)
    # KS: treated ECDF steps at 1, 2, 6 (1/3 each); control at 2, 4, 6, 8 (1/4 each)
    # unweighted gap largest at x in [2, 4): 2/3 - 1/4 = 5/12
    assert x["ks_unweighted"] == pytest.approx(5 / 12)
    # weighted control ECDF (w 0.5, 1, 2, 0.5 over 4): 0.125, 0.375, 0.875, 1
    # gaps: x=1: 1/3; x=2: 2/3 - 0.125; x=4: 2/3 - 0.375; x=6: 1 - 0.875
    assert x["ks_weighted"] == pytest.approx(2 / 3 - 0.125)
    # control unweighted var of 2, 4, 6, 8 = 20/3 -> VR 7 / (20/3)
    assert x["vr_unweighted"] == pytest.approx(7 / (20 / 3))
    # weighted (reliability) var: sum(w)/(sum(w)^2 - sum(w^2)) * sum(w (x - m)^2)
    ss = 0.5 * 3.25**2 + 1.25**2 + 2 * 0.75**2 + 0.5 * 2.75**2
    assert x["vr_weighted"] == pytest.approx(7 / (4 / (16 - 5.5) * ss))
    assert x["type"] == "continuous" and not x["balanced_smd"] and bool(x["balanced_vr"])
    b = bt.iloc[1]
    # binary: treated p = 1/3, var 2/9; control unweighted p = 1/2 (var 1/4), weighted
    # p = (0.5 + 1)/4 = 0.375
    assert b["type"] == "binary" and np.isnan(b["vr_weighted"]) and pd.isna(b["balanced_vr"])
    assert b["smd_weighted"] == pytest.approx((1 / 3 - 0.375) / np.sqrt((2 / 9 + 1 / 4) / 2))
    cat = bt[bt["covariate"] == "cat"]
    assert cat["level"].tolist() == ["a", "b"]
    # level "a": treated 2/3 (var 2/9); control (row 6 missing) b, b, a: 1/3 (var 2/9),
    # weighted among w 0.5, 1, 2 -> 2/3.5
    a = cat.iloc[0]
    assert a["n_control"] == 3 and a["mean_control_w"] == pytest.approx(2 / 3.5)
    assert a["smd_weighted"] == pytest.approx((2 / 3 - 2 / 3.5) / np.sqrt(2 / 9))
    assert not a["balanced_smd"]  # |0.202| >= 0.1


def _ps_frame(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 10, n)
    unit = rng.integers(1, 4, n)
    edu = rng.integers(1, 4, n)
    t = (rng.random(n) < stats.logistic.cdf(-0.5 + 0.05 * (age - 40) + 0.5 * (unit == 2)
                                            - 0.4 * (edu == 3))).astype(int)  # fmt: skip
    return pd.DataFrame({"t": t, "age": age, "unit": unit, "edu": edu})


def test_propensity_scores_match_formula_glm():
    df = _ps_frame()
    df.loc[[3, 8], "age"] = np.nan
    ps = propensity_scores(df, "t", ["age", "edu"], categorical=["edu"],
                           fixed_effects=["unit"])  # fmt: skip
    ref = smf.glm("t ~ age + C(edu) + C(unit)", data=df.dropna(),
                  family=sm.families.Binomial()).fit()  # fmt: skip
    np.testing.assert_allclose(ps.dropna().to_numpy(), ref.fittedvalues.to_numpy(), rtol=1e-8)
    assert ps.isna().sum() == 2 and ps.attrs["n_dropped_missing"] == 2
    assert ps.attrs["converged"] and not ps.attrs["separation"]
    assert ps.index.equals(df.index) and ps.name == "ps"


def test_weighting_balances_the_ps_model_covariates():
    # Simulation with known truth: with a correctly specified logit PS and a large sample,
    # ATT odds weights make every PS-model covariate balanced (|SMD| < 0.1), although the
    # unweighted groups differ.
    df = _ps_frame(n=3000)
    ps = propensity_scores(df, "t", ["age", "edu"], categorical=["edu"],
                           fixed_effects=["unit"])  # fmt: skip
    aw = att_weights(ps, df["t"], trim=None)
    bt = balance_table(df, ["age", "edu", "unit"], "t", aw["weight"],
                       categorical=["edu", "unit"])  # fmt: skip
    assert bt["smd_weighted"].abs().max() < 0.05
    assert bt["balanced_smd"].all()
    assert bt["smd_unweighted"].abs().max() > 0.2


def test_overlap_bins_and_summary_by_hand():
    ps = [0.05, 0.3, 0.35, 0.9, np.nan, 0.02, 0.3, 0.95, 0.6]
    t = [1, 1, 1, 1, 1, 0, 0, 0, 0]
    b = overlap_bins(ps, t, bins=4)
    assert list(b.columns) == OVERLAP_BIN_COLUMNS
    assert b["n_treated"].tolist() == [1, 2, 0, 1] and b["n_control"].tolist() == [1, 1, 1, 1]
    assert b["share_treated"].sum() == pytest.approx(1.0)
    s = overlap_summary(ps, t).iloc[0]
    assert list(s.index) == OVERLAP_SUMMARY_COLUMNS
    # treated range [0.05, 0.9]: controls 0.02 and 0.95 are outside -> 2 of 4
    assert s["n_control_outside"] == 2 and s["share_control_outside"] == 0.5
    # control range [0.02, 0.95]: every treated inside
    assert s["n_treated_outside"] == 0 and s["n_treated"] == 4
    # tails of the 0.1 / 0.9 rule: treated 0.05 below, none above 0.9 (0.9 is not above);
    # controls 0.02 below and 0.95 above
    assert (s["n_treated_below_0_1"], s["n_treated_above_0_9"]) == (1, 0)
    assert (s["n_control_below_0_1"], s["n_control_above_0_9"]) == (1, 1)


def _outcome_frame(n: int = 500, seed: int = 4) -> pd.DataFrame:
    df = _ps_frame(n, seed)
    rng = np.random.default_rng(seed + 1)
    eta = -1 + 0.7 * df["t"] - 0.03 * (df["age"] - 40) + 0.3 * (df["edu"] == 3)
    df["y"] = (rng.random(n) < stats.logistic.cdf(eta)).astype(int)
    df["n"] = rng.poisson(np.exp(0.5 + 0.3 * df["t"]))
    return df


def test_att_effect_without_ps_term_equals_weighted_effect():
    df = _outcome_frame()
    kw = {"categorical": ["edu"], "fixed_effects": ["unit"]}
    ps = propensity_scores(df, "t", ["age", "edu"], **kw)
    aw = att_weights(ps, df["t"])
    ref = weighted_effect(df, "y", "t", aw["weight"].to_numpy(), kind="binary")
    got = att_effect(df, "y", "t", ["age", "edu"], kind="binary", ps_adjusted=False, **kw)
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-8)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=1e-6)
    assert got["cov_type"].tolist() == ["HC0", "HC0"]
    ref_n = weighted_effect(df, "n", "t", aw["weight"].to_numpy(), kind="count")
    got_n = att_effect(df, "n", "t", ["age", "edu"], kind="count", ps_adjusted=False, **kw)
    np.testing.assert_allclose(got_n["se"], ref_n["se"], rtol=1e-6)


def test_att_effect_stacked_sandwich_against_numeric_jacobian():
    # A = -d mean(psi) / d theta by central differences instead of the analytic blocks.
    df = _outcome_frame()
    d = build_design(df, "y", "t", ["age", "edu"], ["edu"], ["unit"])
    t, y = d.X[:, 1], d.y
    Z = np.delete(d.X, 1, axis=1)
    beta = sm.GLM(t, Z, family=sm.families.Binomial()).fit(tol=1e-12).params
    k = Z.shape[1]

    def psi(theta: np.ndarray) -> np.ndarray:
        e = stats.logistic.cdf(Z @ theta[:k])
        w = e / (1 - e)
        return np.column_stack([Z * (t - e)[:, None], t * (y - theta[k]),
                                (1 - t) * w * (y - theta[k + 1])])  # fmt: skip

    e = stats.logistic.cdf(Z @ beta)
    w = e / (1 - e)
    m1 = y[t == 1].mean()
    m0 = np.average(y[t == 0], weights=w[t == 0])
    theta = np.concatenate([beta, [m1, m0]])
    A = -approx_fprime(theta, lambda th: psi(th).mean(axis=0), centered=True)
    P = psi(theta)
    n = len(y)
    V = (np.linalg.inv(A) @ (P.T @ P / n) @ np.linalg.inv(A).T / n)[k:, k:]
    se_rd = np.sqrt(V[0, 0] + V[1, 1] - 2 * V[0, 1])
    got = att_effect(df, "y", "t", ["age", "edu"], kind="binary", categorical=["edu"],
                     fixed_effects=["unit"], trim=None)  # fmt: skip
    assert got.loc[0, "estimate"] == pytest.approx(m1 - m0, rel=1e-8)
    assert got.loc[0, "se"] == pytest.approx(se_rd, rel=1e-5)
    g = np.array([1 / (m1 * (1 - m1)), -1 / (m0 * (1 - m0))])
    assert got.loc[1, "se"] == pytest.approx(np.sqrt(g @ V @ g), rel=1e-5)
    assert got.loc[0, "cov_type"] == "M-estimation"


# ---------------------------------------------------------------- fast paths (issue 10)
_FAMILIES = {"gaussian": sm.families.Gaussian(), "binomial": sm.families.Binomial(),
             "poisson": sm.families.Poisson()}  # fmt: skip


def _glm_hc0(y: np.ndarray, t: np.ndarray, w: np.ndarray, family: str) -> tuple[float, float]:
    """The previous computation of weighted_effect (exact call)."""
    X = np.column_stack([np.ones_like(t), t])
    res = sm.GLM(y, X, family=_FAMILIES[family], var_weights=w).fit(cov_type="HC0",
                                                                     maxiter=100)  # fmt: skip
    return float(res.params[1]), float(res.bse[1])


def _weighted_data(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(40, 2500))
    t = (rng.random(n) < rng.uniform(0.1, 0.6)).astype(float)
    w = np.where(t == 1, 1.0, rng.gamma(0.6, 1.5, n))  # skewed ATT-like control weights
    return pd.DataFrame({
        "t": t, "w": w,
        "y": (rng.random(n) < 0.15 + 0.25 * t).astype(float),
        "n": rng.poisson(1.2 + 0.8 * t, n).astype(float),
        "x": rng.normal(3, 1 + t, n) + 0.4 * t,
    })  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_weighted_effect_closed_form_equals_statsmodels_glm(seed):
    df = _weighted_data(seed)
    t, w = df["t"].to_numpy(), df["w"].to_numpy()
    cases = [("y", "binary", "att_rd", "gaussian"), ("y", "binary", "att_or", "binomial"),
             ("n", "count", "att_rr", "poisson"), ("x", "continuous", "att_md", "gaussian")]
    for outcome, kind, estimand, family in cases:
        out = weighted_effect(df, outcome, "t", "w", kind=kind).set_index("estimand")
        b, se = _glm_hc0(df[outcome].to_numpy(), t, w, family)
        row = out.loc[estimand]
        est = np.log(row["estimate"]) if row["se_scale"].startswith("log") else row["estimate"]
        assert est == pytest.approx(b, rel=1e-10), (estimand, seed)
        assert row["se"] == pytest.approx(se, rel=1e-10), (estimand, seed)
        assert bool(row["converged"]) and row["warnings"] == ""


def test_weighted_effect_tiny_equals_statsmodels_glm():
    # the hand-computed TINY data set, too (equal weights within the treated)
    t, w = TINY["t"].to_numpy(float), TINY["w"].to_numpy(float)
    for outcome, kind, family in (("y", "binary", "binomial"), ("n", "count", "poisson")):
        out = weighted_effect(TINY, outcome, "t", "w", kind=kind).iloc[-1]
        b, se = _glm_hc0(TINY[outcome].to_numpy(float), t, w, family)
        assert np.log(out["estimate"]) == pytest.approx(b, rel=1e-10)
        assert out["se"] == pytest.approx(se, rel=1e-10)


def test_weighted_effect_boundary_mean_falls_back_to_statsmodels():
    # No control has the outcome: the marginal OR has no finite estimate, so the GLM of
    # before is fitted (with its warnings); the RD still has its closed form.
    df = _weighted_data(2)
    df.loc[df["t"] == 0, "y"] = 0.0
    out = weighted_effect(df, "y", "t", "w", kind="binary").set_index("estimand")
    t, w, y = df["t"].to_numpy(), df["w"].to_numpy(), df["y"].to_numpy()
    X = np.column_stack([np.ones_like(t), t])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sm.GLM(y, X, family=sm.families.Binomial(), var_weights=w).fit(
            cov_type="HC0", maxiter=100)  # fmt: skip
    assert np.log(out.loc["att_or", "estimate"]) == pytest.approx(res.params[1], rel=1e-12)
    assert out.loc["att_or", "se"] == pytest.approx(res.bse[1], rel=1e-12)
    assert bool(out.loc["att_or", "converged"]) == bool(res.converged)
    flagged = [c for c in caught if issubclass(c.category, (PerfectSeparationWarning,
                                                             ConvergenceWarning))]  # fmt: skip
    assert (out.loc["att_or", "warnings"] != "") == bool(flagged)
    b, se = _glm_hc0(y, t, w, "gaussian")
    assert out.loc["att_rd", "estimate"] == pytest.approx(b, rel=1e-10)
    assert out.loc["att_rd", "se"] == pytest.approx(se, rel=1e-10)
    # a count outcome that is 0 for every control: no finite log rate ratio either
    df.loc[df["t"] == 0, "n"] = 0.0
    rr = weighted_effect(df, "n", "t", "w", kind="count").iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm.GLM(df["n"].to_numpy(), X, family=sm.families.Poisson(),
                     var_weights=w).fit(cov_type="HC0", maxiter=100)  # fmt: skip
    assert np.log(rr["estimate"]) == pytest.approx(ref.params[1], rel=1e-12)


@pytest.mark.parametrize("seed", [3, 5, 8])
def test_propensity_scores_equal_previous_glm_irls(seed):
    df = _ps_frame(n=600, seed=seed)
    df.loc[[1, 7, 9], "edu"] = np.nan
    ps = propensity_scores(df, "t", ["age", "edu"], categorical=["edu"],
                           fixed_effects=["unit"])  # fmt: skip
    d = build_design(df, "t", None, ["age", "edu"], ["edu"], ["unit"])
    # the previous fit, exactly as it was called
    res = sm.GLM(d.y, d.X, family=sm.families.Binomial()).fit(maxiter=100)
    np.testing.assert_allclose(ps.loc[d.used].to_numpy(), res.fittedvalues, rtol=1e-10)
    np.testing.assert_allclose(ps.attrs["params"], res.params, rtol=1e-9)
    assert ps.attrs["converged"] and not ps.attrs["separation"] and ps.attrs["warnings"] == ""
    assert ps.isna().sum() == 3 and ps.attrs["n_dropped_missing"] == 3


def test_propensity_scores_warm_start():
    other, df = _ps_frame(n=500, seed=21), _ps_frame(n=500, seed=22)
    kw = {"categorical": ["edu"], "fixed_effects": ["unit"]}
    start = propensity_scores(other, "t", ["age", "edu"], **kw).attrs["params"]
    cold = propensity_scores(df, "t", ["age", "edu"], **kw)
    warm = propensity_scores(df, "t", ["age", "edu"], start_params=start, **kw)
    np.testing.assert_allclose(warm.to_numpy(), cold.to_numpy(), rtol=1e-10)


def test_propensity_scores_separation_uses_previous_glm_irls():
    # Treatment determined by age: Newton fails, the GLM IRLS fit of before is used and
    # the separation is reported as before.
    df = _ps_frame(n=300)
    df["t"] = (df["age"] > 45).astype(int)
    ps = propensity_scores(df, "t", ["age"], fixed_effects=[])
    d = build_design(df, "t", None, ["age"], [], [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.GLM(d.y, d.X, family=sm.families.Binomial()).fit(maxiter=100)
        fitted = np.asarray(res.fittedvalues)
    np.testing.assert_allclose(ps.to_numpy(), fitted, rtol=1e-12)
    assert ps.attrs["separation"] and ps.attrs["converged"] == bool(res.converged)
    assert "separation" in ps.attrs["warnings"]
