"""Tests for analysis.sensitivity: published E-value examples and hand closed forms."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.sensitivity import EVALUE_COLUMNS, evalue, evalue_or, evalue_rr, evalue_smd


def test_rr_published_example():
    # VanderWeele & Ding (2017), Ann Intern Med 167:268, and the EValue R package docs:
    # evalues.RR(est = 3.9, lo = 1.8, hi = 8.7) -> E-values 7.26 (point) and 3.0 (CI).
    # By hand: 3.9 + sqrt(3.9 * 2.9) = 3.9 + sqrt(11.31) = 7.26303...;
    #          1.8 + sqrt(1.8 * 0.8) = 1.8 + 1.2 = 3.0 exactly.
    out = evalue_rr(3.9, 1.8, 8.7)
    assert list(out.columns) == EVALUE_COLUMNS
    r = out.iloc[0]
    assert r["evalue_estimate"] == pytest.approx(7.263034, abs=1e-6)
    assert round(r["evalue_estimate"], 2) == 7.26
    assert r["evalue_ci"] == pytest.approx(3.0, rel=1e-12)
    assert r["transformation"] == "none" and r["rr"] == 3.9


def test_protective_rr_uses_inverse_and_upper_limit():
    # For RR = h < 1: E = 1/h + sqrt(1/h (1/h - 1)) = (1 + sqrt(1 - h)) / h.
    # h = 0.8 -> (1 + sqrt(0.2)) / 0.8 = 1.809017; upper limit 0.91 -> 1.3 / 0.91 = 1.428571
    r = evalue_rr(0.8, 0.71, 0.91).iloc[0]
    assert r["evalue_estimate"] == pytest.approx((1 + math.sqrt(0.2)) / 0.8, rel=1e-12)
    assert r["evalue_estimate"] == pytest.approx(1.809017, abs=1e-6)
    assert r["evalue_ci"] == pytest.approx(1.3 / 0.91, rel=1e-12)


def test_ci_including_one_gives_one_and_missing_limit_gives_nan():
    assert evalue_rr(1.5, 0.9, 2.5).iloc[0]["evalue_ci"] == 1.0
    assert evalue_rr(0.7, 0.4, 1.2).iloc[0]["evalue_ci"] == 1.0
    assert math.isnan(evalue_rr(1.5).iloc[0]["evalue_ci"])
    assert evalue_rr(1.0).iloc[0]["evalue_estimate"] == 1.0


def test_or_common_outcome_square_root():
    # EValue docs: evalues.OR(0.86, lo = 0.75, hi = 0.99, rare = FALSE) -> 1.37 and 1.08.
    # By hand: RR = sqrt(0.86) = 0.927362; E = (1 + sqrt(1 - 0.927362)) / 0.927362 = 1.368953
    # upper limit sqrt(0.99) = 0.994987; E = (1 + sqrt(0.005013)) / 0.994987 = 1.076197
    r = evalue_or(0.86, 0.75, 0.99, common_outcome=True).iloc[0]
    h, u = math.sqrt(0.86), math.sqrt(0.99)
    assert r["rr"] == pytest.approx(h) and r["transformation"] == "sqrt"
    assert r["evalue_estimate"] == pytest.approx((1 + math.sqrt(1 - h)) / h, rel=1e-12)
    assert r["evalue_estimate"] == pytest.approx(1.368953, abs=1e-6)
    assert r["evalue_ci"] == pytest.approx((1 + math.sqrt(1 - u)) / u, rel=1e-12)
    assert round(r["evalue_ci"], 2) == 1.08


def test_or_rare_outcome_is_treated_as_rr():
    a = evalue_or(3.9, 1.8, 8.7, common_outcome=False).iloc[0]
    assert a["evalue_estimate"] == pytest.approx(7.263034, abs=1e-6) and a["evalue_ci"] == 3.0


def test_smd_conversion():
    # EValue docs: evalues.MD(est = 0.5, se = 0.1): RR = exp(0.91 * 0.5) = 1.576173,
    # lower limit exp(0.91 * 0.5 - 1.78 * 0.1) = exp(0.277) = 1.319181 (1.78 = 0.91 * 1.96 rounded).
    # E = 1.576173 + sqrt(1.576173 * 0.576173) = 2.529142
    lo, hi = 0.5 - 1.96 * 0.1, 0.5 + 1.96 * 0.1
    r = evalue_smd(0.5, lo, hi).iloc[0]
    assert r["rr"] == pytest.approx(math.exp(0.455), rel=1e-12)
    assert r["evalue_estimate"] == pytest.approx(2.529142, abs=1e-5)
    rr_lo = math.exp(0.91 * 0.304)
    assert r["rr_ci_low"] == pytest.approx(rr_lo, rel=1e-12)
    assert r["evalue_ci"] == pytest.approx(rr_lo + math.sqrt(rr_lo * (rr_lo - 1)), rel=1e-12)
    # negative d: protective direction, upper limit is the one closest to RR = 1
    n = evalue_smd(-0.5, -0.696, -0.304).iloc[0]
    assert n["evalue_estimate"] == pytest.approx(r["evalue_estimate"], rel=1e-12)
    assert n["evalue_ci"] == pytest.approx(r["evalue_ci"], rel=1e-12)


def test_dispatch_and_validation():
    assert evalue(3.9, 1.8, 8.7, measure="rr").equals(evalue_rr(3.9, 1.8, 8.7))
    assert evalue(2.0, measure="or", common_outcome=False).iloc[0]["rr"] == 2.0
    with pytest.raises(ValueError, match="measure"):
        evalue(2.0, measure="rd")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="within"):
        evalue_rr(2.0, 2.5, 3.0)
    with pytest.raises(ValueError, match="positive"):
        evalue_rr(-1.0)


def test_covariate_benchmark_against_statsmodels():
    import numpy as np
    import statsmodels.formula.api as smf
    from scipy import special

    from analysis.sensitivity import covariate_benchmark

    rng = np.random.default_rng(8)
    n = 2000
    df = pd.DataFrame({"x": rng.normal(40, 10, n), "z": rng.binomial(1, 0.5, n)})
    df["y"] = rng.binomial(1, special.expit(-1 + 0.04 * (df["x"] - 40) + 0.5 * df["z"]))
    df["c"] = rng.poisson(np.exp(0.2 + 0.02 * df["x"]))
    df["s"] = 0.03 * df["x"] + rng.normal(0, 1, n)
    contrast = {"x": {"x": 15.0}}
    ref = smf.logit("y ~ x + z", df).fit(disp=0).params["x"] * 15
    out = covariate_benchmark(df, "y", ["x", "z"], contrast, kind="binary",
                              common_outcome=True).iloc[0]  # fmt: skip
    assert out["contrast"] == pytest.approx(ref, rel=1e-6)
    assert out["rr"] == pytest.approx(np.exp(abs(ref) / 2), rel=1e-6)  # sqrt(OR), common
    rare = covariate_benchmark(df, "y", ["x", "z"], contrast, kind="binary").iloc[0]
    assert rare["rr"] == pytest.approx(np.exp(abs(ref)), rel=1e-6)
    ref_c = smf.poisson("c ~ x + z", df).fit(disp=0).params["x"] * 15
    cnt = covariate_benchmark(df, "c", ["x", "z"], contrast, kind="count").iloc[0]
    assert cnt["rr"] == pytest.approx(np.exp(abs(ref_c)), rel=1e-6)
    ref_s = smf.ols("s ~ x + z", df).fit().params["x"] * 15
    cont = covariate_benchmark(df, "s", ["x", "z"], contrast, kind="continuous").iloc[0]
    assert cont["rr"] == pytest.approx(np.exp(0.91 * abs(ref_s) / df["s"].std()), rel=1e-6)
    with pytest.raises(ValueError, match="not in the model"):
        covariate_benchmark(df, "y", ["z"], contrast, kind="binary")
