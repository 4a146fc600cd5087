"""Tests for analysis.propensity and analysis.ps_weights: the estimator API on data of any
shape (no unit column, a text treatment, a score of exactly 0), scaling before Newton,
separation decided by the likelihood (not by small scores), trimming rules, warnings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import special

from analysis._common import as_treatment
from analysis.balance import balance_table
from analysis.propensity import (
    crump_alpha,
    overlap_summary,
    propensity_scores,
    separable,
    trim_rule,
)
from analysis.ps_weights import (
    WARNING_COLUMNS,
    ato_weights,
    att_weights,
    weight_summary,
    weighting_warnings,
)
from analysis.weighting import att_effect, weighted_effect


def _frame(n: int = 400, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(45, 10, n)
    income = rng.normal(30_000, 8_000, n)  # large units: Newton must not care
    edu = rng.integers(1, 4, n)
    eta = -0.5 + 0.06 * (age - 45) + 0.00005 * (income - 30_000) - 0.4 * (edu == 3)
    t = rng.binomial(1, special.expit(eta))
    y = rng.binomial(1, special.expit(-1 + 0.7 * t + 0.03 * (age - 45)))
    return pd.DataFrame({"t": t, "age": age, "income": income, "edu": edu, "y": y})


def test_treatment_codings():
    assert as_treatment(pd.Series(["0", "1", None, " 1 "])).tolist()[:2] == [0.0, 1.0]
    assert as_treatment([True, False]).tolist() == [1.0, 0.0]
    cat = pd.Categorical(["control", "werktop"], categories=["control", "werktop"])
    assert as_treatment(cat).tolist() == [0.0, 1.0]
    assert as_treatment(pd.array([1, None], dtype="Int64"))[0] == 1.0
    for bad in (["ja", "nee"], [0, 2], pd.Categorical(["a", "b", "c"])):
        with pytest.raises(ValueError, match="treatment"):
            as_treatment(bad)


def test_estimators_without_unit_column_and_with_text_treatment():
    # No `unit` column anywhere: nothing assumes one (fixed effects only when named).
    df = _frame()
    assert "unit" not in df.columns
    ps = propensity_scores(df, "t", ["age", "income", "edu"], categorical=["edu"])
    ref = sm.GLM(df["t"], sm.add_constant(pd.get_dummies(
        df[["age", "income", "edu"]], columns=["edu"], drop_first=True).astype(float)),
        family=sm.families.Binomial()).fit()  # fmt: skip
    np.testing.assert_allclose(ps.to_numpy(), ref.fittedvalues.to_numpy(), rtol=1e-8)
    assert ps.attrs["warnings"] == "" and not ps.attrs["separation"]
    # the same treatment stored as text "0"/"1", and as a two-level Categorical
    text = df.assign(t=df["t"].astype(str))
    cat = df.assign(t=pd.Categorical(np.where(df["t"] == 1, "yes", "no"),
                                     categories=["no", "yes"]))  # fmt: skip
    for other in (text, cat):
        got = propensity_scores(other, "t", ["age", "income", "edu"], categorical=["edu"])
        np.testing.assert_allclose(got.to_numpy(), ps.to_numpy(), rtol=1e-10)
        a = att_effect(other, "y", "t", ["age", "income"], kind="binary")
        b = att_effect(df, "y", "t", ["age", "income"], kind="binary")
        np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-10)
        w = att_weights(ps, other["t"])["weight"].to_numpy()
        e1 = weighted_effect(other, "y", "t", w, kind="binary")
        np.testing.assert_allclose(e1["estimate"], weighted_effect(
            df, "y", "t", w, kind="binary")["estimate"], rtol=1e-12)  # fmt: skip
        bt = balance_table(other, ["age"], "t", w)
        assert np.isfinite(bt["smd_weighted"]).all()
    with pytest.raises(ValueError, match="must be coded 0/1"):
        propensity_scores(df.assign(t=np.where(df["t"] == 1, "ja", "nee")), "t", ["age"])


def test_zero_score_control_gets_weight_zero_and_estimates_follow():
    df = _frame(50)
    ps = pd.Series(np.clip(np.linspace(0, 0.9, 50), 0, 1))
    ps.iloc[0] = 0.0
    df.loc[0, "t"] = 0  # a control with a score of exactly 0
    aw = att_weights(ps, df["t"])
    assert aw["weight"].iloc[0] == 0.0
    out = weighted_effect(df, "y", "t", aw["weight"].to_numpy(), kind="binary")
    assert np.isfinite(out["estimate"]).all()
    s = weight_summary(aw["weight"], aw["treated"])
    assert s.loc[s["group"] == "control", "min"].iloc[0] == 0.0


def test_near_zero_scores_are_not_separation():
    # A strong but finite covariate effect: scores below 1e-8 at one end, but the groups
    # overlap in the middle, so the likelihood has a finite maximum (no separation).
    rng = np.random.default_rng(5)
    x = rng.uniform(-4, 4, 600)
    t = rng.binomial(1, special.expit(7 * x))
    df = pd.DataFrame({"t": t, "x": x})
    ps = propensity_scores(df, "t", ["x"])
    assert ps.min() < 1e-8  # the old rule flagged this as separation
    assert not ps.attrs["separation"] and ps.attrs["converged"] and ps.attrs["warnings"] == ""
    ref = sm.GLM(t, sm.add_constant(x), family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(ps.attrs["params"], ref.params, rtol=1e-7)
    # truly separated data: reported, and the fallback says which fit was used
    sep = df.assign(t=(df["x"] > 0.3).astype(int))
    assert separable(np.column_stack([np.ones(600), x]), sep["t"].to_numpy(float))
    out = propensity_scores(sep, "t", ["x"])
    assert out.attrs["separation"] and "separation" in out.attrs["warnings"]
    # quasi-complete separation (a tie at the boundary) counts too
    q = np.r_[np.zeros(5), np.ones(5)]
    xq = np.r_[0, 1, 2, 3, 5, 5, 6, 7, 8, 9.0]
    assert separable(np.column_stack([np.ones(10), xq]), q)
    assert not separable(np.column_stack([np.ones(10), xq]), np.r_[0, 0, 0, 1, 0, 1, 0, 1, 1, 1.0])


def test_scaling_makes_newton_indifferent_to_units():
    df = _frame()
    a = propensity_scores(df, "t", ["age", "income"])
    b = propensity_scores(df.assign(income=df["income"] * 1000), "t", ["age", "income"])
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9)
    assert b.attrs["warnings"] == ""  # Newton converged: no fallback to IRLS


def test_crump_alpha_against_brute_force():
    # Crump et al. (2009): alpha = 1/2 - sqrt(1/4 - 1/gamma), gamma the smallest solution
    # of gamma = 2 E[g | g <= gamma], g = 1/(e(1-e)); found here by a grid search.
    rng = np.random.default_rng(3)
    e = special.expit(rng.normal(0, 2, 2000))
    g = 1 / (e * (1 - e))
    grid = np.linspace(g.min(), g.max(), 400_001)
    gs = np.sort(g)
    cm = np.cumsum(gs) / np.arange(1, len(gs) + 1)
    cond = cm[np.searchsorted(gs, grid, side="right") - 1]
    gamma = grid[np.flatnonzero(grid - 2 * cond >= 0)[0]]
    expected = 0.5 - np.sqrt(0.25 - 1 / gamma)
    assert crump_alpha(e) == pytest.approx(expected, abs=1e-4)
    assert 0.02 < crump_alpha(e) < 0.2
    # no trimming when max g <= 2 mean g (scores all near 1/2)
    assert crump_alpha(np.linspace(0.4, 0.6, 50)) == 0.0
    keep, lo, hi = trim_rule(e, rule="fixed")
    assert (lo, hi) == (0.1, 0.9) and keep.sum() == ((e >= 0.1) & (e <= 0.9)).sum()


def test_crump_alpha_frequency_weights_equal_repeated_scores():
    # a bootstrap resample's counts as weights give the threshold of the repeated scores
    rng = np.random.default_rng(11)
    e = special.expit(rng.normal(0, 2.2, 300))
    for seed in range(5):
        f = np.bincount(np.random.default_rng(seed).integers(0, 300, 300), minlength=300)
        assert crump_alpha(e, f) == pytest.approx(crump_alpha(np.repeat(e, f)), abs=1e-15)
    assert crump_alpha(e, np.ones(300)) == crump_alpha(e)
    assert crump_alpha(e, np.zeros(300)) == 0.0


def test_ato_weights_and_warnings():
    aw = ato_weights([0.2, 0.7, 0.4], [1, 0, 0])
    assert aw["weight"].tolist() == pytest.approx([0.8, 0.7, 0.4])
    ov = overlap_summary([0.5, 0.6, 0.99, 0.98, 0.1, 0.5], [1, 1, 1, 1, 0, 0])
    # one control carries almost all weight: Kish ESS about 1.0 of 20 controls (5%)
    ws = weight_summary([1, 1, 50.0, *[0.01] * 19], [1, 1, *[0] * 20])
    bal = pd.DataFrame({"covariate": ["age", "edu"], "smd_weighted": [0.05, -0.2]})
    w = weighting_warnings(ov, ws, bal, separation=False)
    assert list(w.columns) == WARNING_COLUMNS
    assert w["check"].tolist() == ["poor_overlap", "small_ess", "imbalance"]
    assert "edu" in w.iloc[2]["message"] and "age" not in w.iloc[2]["message"]
    # nothing wrong: no rows
    ok = weighting_warnings(overlap_summary([0.5, 0.5], [1, 0]),
                            weight_summary([1, 1, 1, 1], [1, 1, 0, 0]), bal.iloc[:1])
    assert ok.empty
