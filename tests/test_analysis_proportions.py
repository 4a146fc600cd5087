"""Tests for analysis.proportions, checked against hand computations and textbook values."""

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from analysis.proportions import compare_categories, compare_proportions

Z975 = NormalDist().inv_cdf(0.975)


def wilson(x: int, n: int, z: float = Z975) -> tuple[float, float]:
    """Wilson score interval written out (Newcombe 1998, method 3)."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_column_contract():
    res = compare_proportions([1, 0, 1], [0, 0, 1])
    assert list(res.columns) == [
        "n_treated", "events_treated", "p_treated", "n_control", "events_control",
        "p_control", "test", "statistic", "dof", "p_val", "min_expected",
        "risk_difference", "rd_ci_low", "rd_ci_high", "odds_ratio", "or_ci_low",
        "or_ci_high", "relative_risk", "rr_ci_low", "rr_ci_high", "note",
    ]  # fmt: skip
    assert res.iloc[0]["note"] == ""
    assert len(res) == 1


def test_chi2_branch_against_hand_computation():
    # Table [[30, 20], [20, 30]]: every expected count is 25, so
    # X2 = 4 * (5**2 / 25) = 4 and, for 1 df, p = P(|Z| > 2) = erfc(sqrt(2)).
    treated = [1] * 30 + [0] * 20
    control = [1] * 20 + [0] * 30
    r = compare_proportions(treated, control).iloc[0]
    assert r["test"] == "chi2"
    assert r["statistic"] == pytest.approx(4.0, rel=1e-12)
    assert r["dof"] == 1
    assert r["p_val"] == pytest.approx(math.erfc(math.sqrt(2.0)), rel=1e-10)
    assert r["min_expected"] == pytest.approx(25.0)
    assert r["risk_difference"] == pytest.approx(0.2, rel=1e-12)
    # Newcombe hybrid score interval from the two Wilson intervals.
    l1, u1 = wilson(30, 50)
    l0, u0 = wilson(20, 50)
    assert r["rd_ci_low"] == pytest.approx(0.2 - math.sqrt((0.6 - l1) ** 2 + (u0 - 0.4) ** 2))
    assert r["rd_ci_high"] == pytest.approx(0.2 + math.sqrt((u1 - 0.6) ** 2 + (0.4 - l0) ** 2))
    # Woolf interval for OR = 30*30 / (20*20).
    se = math.sqrt(1 / 30 + 1 / 20 + 1 / 20 + 1 / 30)
    assert r["odds_ratio"] == pytest.approx(2.25, rel=1e-12)
    assert r["or_ci_low"] == pytest.approx(math.exp(math.log(2.25) - Z975 * se), rel=1e-10)
    assert r["or_ci_high"] == pytest.approx(math.exp(math.log(2.25) + Z975 * se), rel=1e-10)
    # log-RR interval: var = (1-p1)/(n1 p1) + (1-p0)/(n0 p0).
    se_rr = math.sqrt(0.4 / 30 + 0.6 / 20)
    assert r["relative_risk"] == pytest.approx(1.5, rel=1e-12)
    assert r["rr_ci_low"] == pytest.approx(math.exp(math.log(1.5) - Z975 * se_rr), rel=1e-10)
    assert r["rr_ci_high"] == pytest.approx(math.exp(math.log(1.5) + Z975 * se_rr), rel=1e-10)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # Newcombe (1998) Stat Med 17:873-890, Table II, method 10 (hybrid score).
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
        ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ],
)
def test_newcombe_textbook_examples(counts, expected):
    x1, n1, x0, n0 = counts
    r = compare_proportions([1] * x1 + [0] * (n1 - x1), [1] * x0 + [0] * (n0 - x0)).iloc[0]
    assert r["risk_difference"] == pytest.approx(x1 / n1 - x0 / n0)
    assert r["rd_ci_low"] == pytest.approx(expected[0], abs=5e-5)
    assert r["rd_ci_high"] == pytest.approx(expected[1], abs=5e-5)


def test_fisher_branch_against_hypergeometric_enumeration():
    # Table [[8, 2], [1, 5]] (scipy fisher_exact docstring example, p = 0.034965...).
    treated = [1] * 8 + [0] * 2
    control = [1] * 1 + [0] * 5
    r = compare_proportions(treated, control).iloc[0]

    # Hand enumeration: x = events among treated, margins n1=10, n0=6, events=9.
    def prob(x):
        return math.comb(10, x) * math.comb(6, 9 - x) / math.comb(16, 9)

    p_obs = prob(8)
    p_exact = sum(prob(x) for x in range(3, 10) if prob(x) <= p_obs * (1 + 1e-7))
    assert r["test"] == "fisher"
    assert math.isnan(r["dof"])
    assert r["p_val"] == pytest.approx(p_exact, rel=1e-10)
    assert r["p_val"] == pytest.approx(0.034965034965034975, rel=1e-10)
    assert r["statistic"] == pytest.approx(8 * 5 / (2 * 1))
    # Expected counts: row 2 x col 2 = 6 * 7 / 16.
    assert r["min_expected"] == pytest.approx(6 * 7 / 16)


def test_auto_switches_on_expected_not_observed_counts():
    # Observed cell of 4 but all expected counts >= 5 -> chi2.
    # Table [[4, 16], [10, 10]]: expected = [[7, 13], [7, 13]].
    r = compare_proportions([1] * 4 + [0] * 16, [1] * 10 + [0] * 10).iloc[0]
    assert r["test"] == "chi2"
    assert r["min_expected"] == pytest.approx(7.0)
    x2 = 2 * (3**2 / 7) + 2 * (3**2 / 13)
    assert r["statistic"] == pytest.approx(x2, rel=1e-12)


def test_forced_tests():
    t, c = [1] * 30 + [0] * 20, [1] * 20 + [0] * 30
    assert compare_proportions(t, c, test="fisher").iloc[0]["test"] == "fisher"
    small = compare_proportions([1, 1, 0], [0, 0, 1], test="chi2").iloc[0]
    assert small["test"] == "chi2"
    # [[2,1],[1,2]]: expected all 1.5 -> X2 = 4 * 0.25 / 1.5
    assert small["statistic"] == pytest.approx(4 * 0.25 / 1.5)
    with pytest.raises(ValueError):
        compare_proportions(t, c, test="z")


def test_zero_cell_haldane_anscombe():
    # [[5, 5], [0, 8]] -> +0.5 everywhere: [[5.5, 5.5], [0.5, 8.5]].
    r = compare_proportions([1] * 5 + [0] * 5, [0] * 8).iloc[0]
    assert r["odds_ratio"] == pytest.approx(5.5 * 8.5 / (5.5 * 0.5))
    se = math.sqrt(1 / 5.5 + 1 / 5.5 + 1 / 0.5 + 1 / 8.5)
    assert r["or_ci_low"] == pytest.approx(17.0 * math.exp(-Z975 * se), rel=1e-10)
    assert r["relative_risk"] == pytest.approx((5.5 / 11) / (0.5 / 9))
    assert r["statistic"] == np.inf  # raw sample OR from fisher_exact
    assert r["p_treated"] == 0.5 and r["p_control"] == 0.0


def test_no_events_in_either_group_gives_nan_ratios():
    r = compare_proportions([0, 0, 0, 0], [0, 0, 0]).iloc[0]
    for col in ["odds_ratio", "or_ci_low", "or_ci_high", "relative_risk", "rr_ci_high"]:
        assert math.isnan(r[col])
    assert r["risk_difference"] == 0.0
    assert r["test"] == "fisher" and r["p_val"] == 1.0


def test_missing_values_dropped_and_input_not_mutated():
    treated = pd.Series([1, 0, np.nan, 1, pd.NA], dtype=object)
    control = np.array([0.0, np.nan, 1.0, 0.0])
    t_copy, c_copy = treated.copy(), control.copy()
    r = compare_proportions(treated, control).iloc[0]
    assert (r["n_treated"], r["events_treated"]) == (3, 2)
    assert (r["n_control"], r["events_control"]) == (3, 1)
    pd.testing.assert_series_equal(treated, t_copy)
    np.testing.assert_array_equal(control, c_copy)
    b = compare_proportions(pd.array([True, False, None], dtype="boolean"), [False, True])
    assert (b.iloc[0]["n_treated"], b.iloc[0]["events_treated"]) == (2, 1)


def test_alpha_changes_level():
    t, c = [1] * 30 + [0] * 20, [1] * 20 + [0] * 30
    r = compare_proportions(t, c, alpha=0.10).iloc[0]
    se = math.sqrt(1 / 30 + 1 / 20 + 1 / 20 + 1 / 30)
    z90 = NormalDist().inv_cdf(0.95)
    assert r["or_ci_low"] == pytest.approx(2.25 * math.exp(-z90 * se), rel=1e-10)


def test_invalid_input_raises():
    with pytest.raises(ValueError):
        compare_proportions([0, 2], [0, 1])


@pytest.mark.parametrize("test", ["auto", "chi2", "fisher"])
def test_empty_group_is_a_result_not_an_error(test):
    r = compare_proportions([np.nan, None], [0, 1, 1, 1], test=test)
    assert list(r.columns)[-1] == "note" and len(r) == 1
    row = r.iloc[0]
    assert row["note"] == "not computable (n = 0)" and row["test"] == "none"
    assert (row["n_treated"], row["events_treated"]) == (0, 0)
    # the non-empty group is still described: 3 of 4
    assert (row["n_control"], row["events_control"], row["p_control"]) == (4, 3, 0.75)
    stat_cols = ["p_treated", "statistic", "dof", "p_val", "min_expected", "risk_difference",
                 "rd_ci_low", "rd_ci_high", "odds_ratio", "or_ci_low", "or_ci_high",
                 "relative_risk", "rr_ci_low", "rr_ci_high"]  # fmt: skip
    assert row[stat_cols].isna().all()
    both = compare_proportions([], []).iloc[0]
    assert both["note"] == "not computable (n = 0)" and math.isnan(both["p_control"])


# ---------------------------------------------------------------- categories


def test_category_counts_keep_order_and_absent_levels():
    counts, test = compare_categories(
        ["b", "a", "b", None], ["a", "a", "c", np.nan], ["c", "b", "a", "d"]
    )
    assert list(counts.columns) == [
        "category",
        "n_treated",
        "pct_treated",
        "n_control",
        "pct_control",
    ]
    assert list(counts["category"]) == ["c", "b", "a", "d"]
    assert list(counts["n_treated"]) == [0, 2, 1, 0]
    assert list(counts["n_control"]) == [1, 0, 2, 0]
    np.testing.assert_allclose(counts["pct_treated"], [0, 200 / 3, 100 / 3, 0])
    np.testing.assert_allclose(counts["pct_control"], [100 / 3, 0, 200 / 3, 0])
    assert list(test.columns) == [
        "test", "statistic", "dof", "p_val", "min_expected", "n_treated", "n_control",
        "cramers_v", "note",
    ]  # fmt: skip
    assert (test.iloc[0]["n_treated"], test.iloc[0]["n_control"]) == (3, 3)


def test_category_chi2_branch_hand_computation():
    # Treated [20, 30, 50], control [30, 30, 40]; row totals 50/60/90 of N = 200, so
    # expected = [25, 30, 45] in each column.  X2 = 2*25/25 + 0 + 2*25/45.
    # For 2 df the chi-square survival function is exp(-x/2).
    cats = [1, 2, 3]
    treated = [1] * 20 + [2] * 30 + [3] * 50
    control = [1] * 30 + [2] * 30 + [3] * 40
    _, test = compare_categories(treated, control, cats)
    r = test.iloc[0]
    x2 = 2.0 + 50.0 / 45.0
    assert r["test"] == "chi2"
    assert r["statistic"] == pytest.approx(x2, rel=1e-12)
    assert r["dof"] == 2
    assert r["p_val"] == pytest.approx(math.exp(-x2 / 2), rel=1e-10)
    assert r["min_expected"] == pytest.approx(25.0)
    assert r["cramers_v"] == pytest.approx(math.sqrt(x2 / 200), rel=1e-12)


def _exact_chi2_pvalue(col1, row_totals):
    """P(X2 >= observed) over all r x 2 tables with the observed margins (hand enumeration)."""
    import itertools

    n = sum(row_totals)
    c1 = sum(col1)
    c2 = n - c1

    def x2(col):
        total = 0.0
        for x, r in zip(col, row_totals, strict=True):
            e1, e2 = r * c1 / n, r * c2 / n
            total += (x - e1) ** 2 / e1 + (r - x - e2) ** 2 / e2
        return total

    obs = x2(col1)
    p = 0.0
    for col in itertools.product(*[range(r + 1) for r in row_totals]):
        if sum(col) != c1:
            continue
        prob = math.prod(math.comb(r, x) for r, x in zip(row_totals, col, strict=True))
        prob /= math.comb(n, c1)
        if x2(col) >= obs * (1 - 1e-9):
            p += prob
    return obs, p


def test_category_monte_carlo_branch_matches_exact_enumeration():
    treated = ["a"] * 6 + ["b"] * 1 + ["c"] * 2
    control = ["a"] * 2 + ["b"] * 4 + ["c"] * 3
    obs, p_exact = _exact_chi2_pvalue([6, 1, 2], [8, 5, 5])
    _, test = compare_categories(treated, control, ["a", "b", "c"], seed=1)
    r = test.iloc[0]
    assert r["test"] == "chi2_monte_carlo"
    assert math.isnan(r["dof"])
    assert r["statistic"] == pytest.approx(obs, rel=1e-12)
    mc_se = math.sqrt(p_exact * (1 - p_exact) / 99_999)
    assert abs(r["p_val"] - p_exact) < 4 * mc_se
    # deterministic given the seed
    _, again = compare_categories(treated, control, ["a", "b", "c"], seed=1)
    assert again.iloc[0]["p_val"] == r["p_val"]


def test_category_errors_and_degenerate():
    with pytest.raises(ValueError):
        compare_categories(["a", "x"], ["a"], ["a", "b"])
    _, test = compare_categories(["a", "a"], ["a"], ["a", "b"])
    assert test.iloc[0]["test"] == "none" and math.isnan(test.iloc[0]["p_val"])
    assert test.iloc[0]["note"] == "not computable (one category observed)"


def test_category_empty_group_is_a_result_not_an_error():
    counts, test = compare_categories([None, np.nan], ["a", "b", "b"], ["a", "b", "c"])
    assert list(counts["n_treated"]) == [0, 0, 0] and counts["pct_treated"].isna().all()
    np.testing.assert_allclose(counts["pct_control"], [100 / 3, 200 / 3, 0])
    row = test.iloc[0]
    assert row["note"] == "not computable (n = 0)" and row["test"] == "none"
    assert (row["n_treated"], row["n_control"]) == (0, 3)
    assert row[["statistic", "dof", "p_val", "min_expected", "cramers_v"]].isna().all()
