"""analysis.mover against published values and exact constructions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from analysis.mover import (
    logit_interval,
    mover_difference,
    mover_logit_difference,
    replicate_correlation,
)


@pytest.mark.parametrize(("e1", "n1", "e0", "n0", "published"), [
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (the
    # hybrid score interval: MOVER from Wilson intervals), examples (a) and (b)
    (56, 70, 48, 80, (0.0524, 0.3339)),
    (9, 10, 3, 10, (0.1705, 0.8090)),
])  # fmt: skip
def test_mover_of_wilson_intervals_is_newcombes_published_interval(e1, n1, e0, n0, published):
    w1 = proportion_confint(e1, n1, method="wilson")
    w0 = proportion_confint(e0, n0, method="wilson")
    low, high = mover_difference(e1 / n1, w1, e0 / n0, w0)
    assert (round(low, 4), round(high, 4)) == published
    # and statsmodels' own Newcombe interval (method="newcomb") to rounding
    ref = confint_proportions_2indep(e1, n1, e0, n0, method="newcomb", compare="diff")
    assert (low, high) == pytest.approx(ref, abs=1e-12)


def test_mover_with_symmetric_parts_is_wald_with_the_covariance():
    # identity-scale parts theta ± z s: MOVER gives d ± z sqrt(s1² + s0² - 2 r s1 s0)
    z, s1, s0 = 1.96, 0.03, 0.05
    for r in (0.0, 0.4, -0.3):
        low, high = mover_difference(0.6, (0.6 - z * s1, 0.6 + z * s1), 0.4,
                                     (0.4 - z * s0, 0.4 + z * s0), r)  # fmt: skip
        half = z * math.sqrt(s1**2 + s0**2 - 2 * r * s1 * s0)
        assert (low, high) == pytest.approx((0.2 - half, 0.2 + half), abs=1e-15)


def test_logit_interval_by_hand():
    lo, hi = logit_interval(0.2, 0.3, 1.96)
    x = math.log(0.2 / 0.8)
    assert lo == pytest.approx(1 / (1 + math.exp(-(x - 0.588))), abs=1e-15)
    assert hi == pytest.approx(1 / (1 + math.exp(-(x + 0.588))), abs=1e-15)


def test_mover_logit_p_value_inverts_the_interval():
    res = mover_logit_difference(0.45, 0.12, 0.30, 0.25, r=0.1, alpha=0.05)
    assert res["ci_low"] < res["estimate"] < res["ci_high"]
    p = res["p_val"]
    at_p = mover_logit_difference(0.45, 0.12, 0.30, 0.25, r=0.1, alpha=p)
    assert at_p["ci_low"] == pytest.approx(0.0, abs=1e-9)
    # the test and the interval agree at 5%
    assert (p < 0.05) == (res["ci_low"] > 0)
    # with t quantiles (multiple imputation) the interval is wider, the p-value larger
    t = mover_logit_difference(0.45, 0.12, 0.30, 0.25, r=0.1, df1=12.0, df0=30.0)
    assert t["ci_low"] < res["ci_low"] and t["ci_high"] > res["ci_high"] and t["p_val"] > p
    assert mover_logit_difference(0.3, 0.2, 0.3, 0.2)["p_val"] == 1.0


def test_mover_logit_small_se_is_the_delta_method_wald_interval():
    # as the SEs shrink the logit intervals become symmetric: the delta method's Wald
    # interval, SE(p) = p (1 - p) SE(logit p)
    p1, p0, s1, s0 = 0.45, 0.30, 1e-4, 2e-4
    res = mover_logit_difference(p1, s1, p0, s0)
    z = stats.norm.ppf(0.975)
    half = z * math.hypot(p1 * (1 - p1) * s1, p0 * (1 - p0) * s0)
    assert res["ci_low"] == pytest.approx(0.15 - half, rel=1e-6)
    assert res["ci_high"] == pytest.approx(0.15 + half, rel=1e-6)
    # a difference of 500 SEs: the p-value is reported at its floor
    assert res["p_val"] == 1e-15


def test_mover_logit_not_computable_at_the_bounds():
    for args in ((0.0, 0.1, 0.3, 0.1), (0.5, 0.1, 1.0, 0.1), (0.5, float("nan"), 0.3, 0.1)):
        res = mover_logit_difference(*args)
        assert math.isnan(res["ci_low"]) and math.isnan(res["p_val"])


def test_mover_logit_covers_in_a_simulation_with_known_truth():
    # two binomial proportions, logit SEs from the binomial (no bootstrap): coverage of
    # the MOVER-logit interval is close to 95% over 4000 draws (Monte Carlo SE 0.0035)
    rng = np.random.default_rng(20140601)
    n1, n0, q1, q0 = 120, 60, 0.35, 0.15
    x1, x0 = rng.binomial(n1, q1, 4000), rng.binomial(n0, q0, 4000)
    covered = []
    for a, b in zip(x1, x0, strict=True):
        p1, p0 = a / n1, b / n0
        if not (0 < p1 < 1 and 0 < p0 < 1):
            continue
        res = mover_logit_difference(p1, 1 / math.sqrt(n1 * p1 * (1 - p1)), p0,
                                     1 / math.sqrt(n0 * p0 * (1 - p0)))  # fmt: skip
        covered.append(res["ci_low"] <= q1 - q0 <= res["ci_high"])
    assert 0.935 <= np.mean(covered) <= 0.965


def test_replicate_correlation():
    x = np.array([1.0, 2.0, 3.0, np.nan, 5.0])
    assert replicate_correlation(x, 2 * x) == pytest.approx(1.0)
    assert replicate_correlation(x, np.ones(5)) == 0.0
    assert special.logit(0.5) == 0.0
