"""Tests for analysis.means against hand formulas and textbook values."""

import itertools
import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.meta_analysis import effectsize_smd

from analysis.means import compare_means, compare_ranks

T = [4.0, 6.0, 7.0, 9.0, 12.0, 13.0]
C = [3.0, 4.0, 4.0, 5.0, 8.0]


def _mean(x):
    return sum(x) / len(x)


def _var(x):
    m = _mean(x)
    return sum((v - m) ** 2 for v in x) / (len(x) - 1)


def test_columns():
    res = compare_means(T, C)
    assert list(res.columns) == [
        "n_treated", "mean_treated", "sd_treated", "n_control", "mean_control",
        "sd_control", "test", "statistic", "dof", "p_val", "mean_difference",
        "md_ci_low", "md_ci_high", "hedges_g", "g_ci_low", "g_ci_high", "note",
    ]  # fmt: skip
    assert res.iloc[0]["test"] == "welch_t"


def test_welch_against_hand_formula():
    n1, n0 = len(T), len(C)
    v1, v0 = _var(T), _var(C)
    se = math.sqrt(v1 / n1 + v0 / n0)
    diff = _mean(T) - _mean(C)
    # Welch-Satterthwaite degrees of freedom
    df = (v1 / n1 + v0 / n0) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v0 / n0) ** 2 / (n0 - 1))
    r = compare_means(T, C).iloc[0]
    assert r["mean_difference"] == pytest.approx(diff, rel=1e-12)
    assert r["sd_treated"] == pytest.approx(math.sqrt(v1), rel=1e-12)
    assert r["statistic"] == pytest.approx(diff / se, rel=1e-12)
    assert r["dof"] == pytest.approx(df, rel=1e-12)
    assert r["p_val"] == pytest.approx(2 * stats.t.sf(diff / se, df), rel=1e-10)
    q = stats.t.ppf(0.975, df)
    assert r["md_ci_low"] == pytest.approx(diff - q * se, rel=1e-10)
    assert r["md_ci_high"] == pytest.approx(diff + q * se, rel=1e-10)


def test_hedges_g_hand_formula_and_statsmodels_crosscheck():
    n1, n0 = len(T), len(C)
    sp = math.sqrt(((n1 - 1) * _var(T) + (n0 - 1) * _var(C)) / (n1 + n0 - 2))
    d = (_mean(T) - _mean(C)) / sp
    j = 1 - 3 / (4 * (n1 + n0 - 2) - 1)
    var_g = j**2 * ((n1 + n0) / (n1 * n0) + d**2 / (2 * (n1 + n0)))
    z = NormalDist().inv_cdf(0.95)
    r = compare_means(T, C, alpha=0.10).iloc[0]
    assert r["hedges_g"] == pytest.approx(j * d, rel=1e-12)
    assert r["g_ci_low"] == pytest.approx(j * d - z * math.sqrt(var_g), rel=1e-10)
    assert r["g_ci_high"] == pytest.approx(j * d + z * math.sqrt(var_g), rel=1e-10)
    g_sm, _ = effectsize_smd(_mean(T), math.sqrt(_var(T)), n1, _mean(C), math.sqrt(_var(C)), n0)
    assert r["hedges_g"] == pytest.approx(g_sm, rel=1e-12)


def _with_moments(n, mean, sd, seed):
    x = np.random.default_rng(seed).normal(size=n)
    x = (x - x.mean()) / x.std(ddof=1)
    return mean + sd * x


def test_hedges_g_borenstein_textbook_example():
    # Borenstein et al. (2009), Introduction to Meta-Analysis, ch. 4 worked example:
    # means 103 vs 100, SDs 5.5 and 4.5, n = 50 each -> d = 0.5970, V_d = 0.0418,
    # J = 0.9923, g = 0.5924, V_g = 0.0411.
    t = _with_moments(50, 103.0, 5.5, 1)
    c = _with_moments(50, 100.0, 4.5, 2)
    r = compare_means(t, c).iloc[0]
    assert r["hedges_g"] == pytest.approx(0.5924, abs=5e-5)
    se = (r["g_ci_high"] - r["g_ci_low"]) / (2 * NormalDist().inv_cdf(0.975))
    assert se**2 == pytest.approx(0.0411, abs=5e-5)


def test_means_missing_and_no_mutation():
    t = pd.Series([1.0, np.nan, 3.0, pd.NA, 5.0], dtype=object)
    c = np.array([2.0, 2.5, np.nan, 4.0])
    t0, c0 = t.copy(), c.copy()
    r = compare_means(t, c).iloc[0]
    assert (r["n_treated"], r["n_control"]) == (3, 3)
    assert r["mean_treated"] == 3.0
    pd.testing.assert_series_equal(t, t0)
    np.testing.assert_array_equal(c, c0)



@pytest.mark.parametrize(
    ("treated", "control", "note"),
    [
        ([np.nan], [1.0, 2.0, 4.0], "not computable (n = 0)"),
        ([5.0], [1.0, 2.0, 4.0], "not computable (n = 1)"),  # Welch t needs 2 per group
        ([5.0, 6.0], [], "not computable (n = 0)"),
    ],
)
def test_means_too_few_observations_is_a_result(treated, control, note):
    r = compare_means(treated, control)
    assert list(r.columns)[-1] == "note" and len(r) == 1
    row = r.iloc[0]
    assert row["note"] == note and row["test"] == "none"
    assert (row["n_treated"], row["n_control"]) == (
        sum(not np.isnan(v) for v in treated), len(control)
    )
    stats_cols = ["statistic", "dof", "p_val", "mean_difference", "md_ci_low", "md_ci_high",
                  "hedges_g", "g_ci_low", "g_ci_high"]  # fmt: skip
    assert row[stats_cols].isna().all()
    # what can be described is: mean of [1, 2, 4] = 7/3, SD = sqrt(((16+1+25)/9)/2)
    if len(control) == 3:
        assert row["mean_control"] == pytest.approx(7 / 3)
        assert row["sd_control"] == pytest.approx(np.sqrt(42 / 9 / 2))
    if treated == [5.0]:
        assert row["mean_treated"] == 5.0 and np.isnan(row["sd_treated"])


def test_ranks_empty_group_is_a_result():
    row = compare_ranks([np.nan, None], [3.0, 1.0, 2.0]).iloc[0]
    assert row["note"] == "not computable (n = 0)" and row["test"] == "none"
    assert (row["n_treated"], row["n_control"], row["median_control"]) == (0, 3, 2.0)
    assert row[["median_treated", "statistic", "p_val", "rank_biserial"]].isna().all()
    # one observation per group is enough for Mann-Whitney: U = 1 (3 > 1), exact p = 1
    one = compare_ranks([3.0], [1.0]).iloc[0]
    assert one["note"] == "" and one["statistic"] == 1.0 and one["p_val"] == 1.0


def test_ranks_exact_against_full_enumeration():
    t = [3.1, 5.2, 6.0, 8.4]
    c = [1.0, 2.2, 4.0, 5.5, 0.3]
    n1, n0 = len(t), len(c)
    u_obs = sum((a > b) + 0.5 * (a == b) for a in t for b in c)  # pairs treated > control
    pooled = sorted(t + c)
    ranks = {v: i + 1 for i, v in enumerate(pooled)}  # no ties
    # Null distribution of U = R1 - n1(n1+1)/2 over all C(9, 4) rank sets.
    us = [sum(comb) - n1 * (n1 + 1) / 2 for comb in itertools.combinations(range(1, 10), n1)]
    mu = n1 * n0 / 2
    p_exact = sum(abs(u - mu) >= abs(u_obs - mu) for u in us) / len(us)
    assert sum(ranks[v] for v in t) - n1 * (n1 + 1) / 2 == u_obs
    r = compare_ranks(t, c).iloc[0]
    assert list(compare_ranks(t, c).columns) == [
        "n_treated", "median_treated", "n_control", "median_control", "test", "statistic",
        "p_val", "rank_biserial", "note",
    ]  # fmt: skip
    assert r["test"] == "mann_whitney"
    assert r["statistic"] == u_obs == 17
    assert r["p_val"] == pytest.approx(p_exact, rel=1e-12)
    assert r["rank_biserial"] == pytest.approx(2 * 17 / 20 - 1)
    assert r["median_treated"] == pytest.approx((5.2 + 6.0) / 2)
    assert r["median_control"] == 2.2


def test_ranks_with_ties_normal_approximation_hand():
    t = [1, 2, 2, 3, 4, 4, 5, np.nan]
    c = [1, 1, 2, 3, 3]
    tt = [v for v in t if not math.isnan(v)]
    n1, n0 = len(tt), len(c)
    n = n1 + n0
    u = sum((a > b) + 0.5 * (a == b) for a in tt for b in c)
    ties = [sum(1 for v in tt + c if v == k) for k in set(tt + c)]
    sigma = math.sqrt(n1 * n0 / 12 * ((n + 1) - sum(k**3 - k for k in ties) / (n * (n - 1))))
    z = (abs(u - n1 * n0 / 2) - 0.5) / sigma  # continuity correction
    p = 2 * (1 - NormalDist().cdf(z))
    r = compare_ranks(t, c).iloc[0]
    assert r["n_treated"] == 7
    assert r["statistic"] == u
    assert r["p_val"] == pytest.approx(p, rel=1e-9)
    assert r["rank_biserial"] == pytest.approx(2 * u / (n1 * n0) - 1)


def test_rank_biserial_sign():
    assert compare_ranks([10, 11, 12], [1, 2, 3]).iloc[0]["rank_biserial"] == 1.0
    assert compare_ranks([1, 2, 3], [10, 11, 12]).iloc[0]["rank_biserial"] == -1.0
