"""Tests for analysis.groups: Kruskal-Wallis and k x r chi-square against R and by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis.groups import compare_k_groups

# R: a <- airquality[!is.na(airquality$Ozone), ]; a$Ozone; a$Month (116 rows)
OZONE = [
    41, 36, 12, 18, 28, 23, 19, 8, 7, 16, 11, 14, 18, 14, 34, 6, 30, 11, 1, 11, 4, 32, 23, 45,
    115, 37, 29, 71, 39, 23, 21, 37, 20, 12, 13, 135, 49, 32, 64, 40, 77, 97, 97, 85, 10, 27, 7,
    48, 35, 61, 79, 63, 16, 80, 108, 20, 52, 82, 50, 64, 59, 39, 9, 16, 78, 35, 66, 122, 89, 110,
    44, 28, 65, 22, 59, 23, 31, 44, 21, 9, 45, 168, 73, 76, 118, 84, 85, 96, 78, 73, 91, 47, 32,
    20, 23, 21, 24, 44, 21, 28, 9, 13, 46, 18, 13, 24, 16, 13, 23, 36, 7, 14, 30, 14, 18, 20,
]  # fmt: skip
MONTH = [5] * 26 + [6] * 9 + [7] * 26 + [8] * 26 + [9] * 29


def test_kruskal_airquality_matches_r():
    # R: kruskal.test(Ozone ~ Month, data = airquality)
    #    Kruskal-Wallis chi-squared = 29.26657630612, df = 4, p-value = 6.90071411855e-06
    # The 37 missing Ozone values enter as NaN and must be dropped.
    values = OZONE + [np.nan] * 37
    groups = MONTH + [5] * 37
    summary, test = compare_k_groups(values, groups, kind="ordinal")
    r = test.iloc[0]
    assert r["test"] == "kruskal_wallis"
    assert r["statistic"] == pytest.approx(29.26657630612, rel=1e-10)
    assert r["dof"] == 4
    assert r["p_val"] == pytest.approx(6.90071411855e-06, rel=1e-9)
    assert r["n"] == 116 and r["k"] == 5 and r["k_empty"] == 0
    # epsilon² = H / ((n² - 1) / (n + 1)) = H / 115
    assert r["epsilon_squared"] == pytest.approx(29.26657630612 / 115, rel=1e-10)
    assert list(summary["group"]) == [5, 6, 7, 8, 9]
    assert list(summary["n"]) == [26, 9, 26, 26, 29]
    assert list(summary["n_missing"]) == [37, 0, 0, 0, 0]
    # R: median(a$Ozone[a$Month == 7]) = 60; mean = 59.1153846153846
    assert summary.loc[2, "median"] == 60
    assert summary.loc[2, "mean"] == pytest.approx(1537 / 26)


def test_kruskal_hand_untied():
    # Ranks 1..9 in three blocks: rank sums 6, 15, 24, n = 9:
    # H = 12 / (9 * 10) * (36 + 225 + 576) / 3 - 3 * 10 = 7.2; chi2(2) tail = exp(-3.6)
    summary, test = compare_k_groups(
        [1, 2, 3, 4, 5, 6, 7, 8, 9], list("aaabbbccc"), kind="continuous"
    )
    r = test.iloc[0]
    assert r["kind"] == "continuous"
    assert r["statistic"] == pytest.approx(7.2)
    assert r["p_val"] == pytest.approx(math.exp(-3.6))
    assert r["epsilon_squared"] == pytest.approx(7.2 / 8)
    np.testing.assert_allclose(summary["mean_rank"], [2, 5, 8])
    np.testing.assert_allclose(summary["q1"], [1.5, 4.5, 7.5])  # R quantile type 7


def test_empty_group_is_reported_not_crashed():
    values = [1, 2, 3, 4, 5, 6, np.nan]
    groups = ["a", "a", "a", "c", "c", "c", "b"]
    summary, test = compare_k_groups(values, groups, kind="ordinal", group_order=["a", "b", "c"])
    assert list(summary["group"]) == ["a", "b", "c"]
    assert list(summary["n"]) == [3, 0, 3]
    assert list(summary["n_missing"]) == [0, 1, 0]
    assert math.isnan(summary.loc[1, "median"])
    r = test.iloc[0]
    assert r["test"] == "kruskal_wallis" and r["k"] == 2 and r["k_empty"] == 1
    assert "b" in r["note"]
    # two blocks of three: rank sums 6, 15 -> H = 12/42 * (36 + 225)/3 - 21 = 27/7
    assert r["statistic"] == pytest.approx(27 / 7)

    _, strict = compare_k_groups(
        values, groups, kind="ordinal", group_order=["a", "b", "c"],
        empty_groups="not_computable",
    )  # fmt: skip
    s = strict.iloc[0]
    assert s["test"] == "not_computable" and math.isnan(s["statistic"])
    assert "b" in s["note"]


def test_single_group_and_constant_values_not_computable():
    _, one = compare_k_groups([1, 2, 3], ["a"] * 3, kind="ordinal", group_order=["a", "b"])
    assert one.iloc[0]["test"] == "not_computable" and math.isnan(one.iloc[0]["p_val"])
    _, const = compare_k_groups([2, 2, 2, 2], list("aabb"), kind="ordinal")
    assert const.iloc[0]["test"] == "not_computable"
    assert "equal" in const.iloc[0]["note"]
    _, none = compare_k_groups([np.nan] * 4, list("aabb"), kind="categorical")
    assert none.iloc[0]["test"] == "not_computable"


def test_categorical_asymptotic_matches_r():
    # R: x <- margin.table(HairEyeColor, c(1, 2)); chisq.test(x)
    #    X-squared = 138.289841626008, df = 9, p = 2.32528678709881e-25,
    #    min(expected) = 7.675676; Cramer's V = sqrt(X2 / (592 * 3)) = 0.279044623342658
    counts = [[68, 20, 15, 5], [119, 84, 54, 29], [26, 17, 14, 14], [7, 94, 10, 16]]
    hair = ["Black", "Brown", "Red", "Blond"]
    eye = ["Brown", "Blue", "Hazel", "Green"]
    rows = [
        (h, e) for i, h in enumerate(hair) for j, e in enumerate(eye) for _ in range(counts[i][j])
    ]
    frame = pd.DataFrame(rows, columns=["hair", "eye"])
    before = frame.copy()
    summary, test = compare_k_groups(
        frame["eye"], frame["hair"], kind="categorical", group_order=hair, categories=eye
    )
    pd.testing.assert_frame_equal(frame, before)
    r = test.iloc[0]
    assert r["test"] == "chi2" and r["dof"] == 9 and r["n"] == 592
    assert r["statistic"] == pytest.approx(138.289841626008, rel=1e-12)
    assert r["p_val"] == pytest.approx(2.32528678709881e-25, rel=1e-8)
    assert r["min_expected"] == pytest.approx(7.675676, rel=1e-6)
    assert r["cramers_v"] == pytest.approx(0.279044623342658, rel=1e-12)
    first = summary[summary["group"] == "Black"]
    assert list(first["category"]) == eye  # codebook order, not alphabetical
    np.testing.assert_allclose(first["pct"], [100 * c / 108 for c in counts[0]])


def test_categorical_small_expected_monte_carlo_matches_r():
    # R: table(mtcars$cyl, mtcars$gear); set.seed(1)
    #    chisq.test(table(mtcars$cyl, mtcars$gear), simulate.p.value = TRUE, B = 2e6)
    #    p = 0.0005844997078 (Monte Carlo SE ~ 1.7e-5); X-squared = 18.0363636363636
    counts = {(4, 3): 1, (4, 4): 8, (4, 5): 2, (6, 3): 2, (6, 4): 4, (6, 5): 1,
              (8, 3): 12, (8, 4): 0, (8, 5): 2}  # fmt: skip
    cyl = [c for (c, g), n in counts.items() for _ in range(n)]
    gear = [g for (c, g), n in counts.items() for _ in range(n)]
    summary, test = compare_k_groups(gear, cyl, kind="categorical", categories=[3, 4, 5])
    r = test.iloc[0]
    assert r["test"] == "chi2_monte_carlo" and math.isnan(r["dof"])
    assert r["statistic"] == pytest.approx(18.0363636363636, rel=1e-12)
    # scipy's 99,999 resamples: SE ~ 7.6e-5; allow 4 SE around R's estimate
    assert abs(r["p_val"] - 0.0005844997078) < 3.1e-4
    _, again = compare_k_groups(gear, cyl, kind="categorical", categories=[3, 4, 5])
    assert again.iloc[0]["p_val"] == r["p_val"]  # fixed seed: reproducible
    # the empty cell (8 cylinders, 4 gears) is kept with 0
    assert summary.set_index(["group", "category"]).loc[(8, 4), "n"] == 0


def test_categorical_monte_carlo_against_exact_enumeration():
    # 2 x 3 table with small counts: enumerate every table with the same margins and its
    # hypergeometric probability; exact p = P(X² >= observed) under the FFH null.
    table = np.array([[3, 1, 0], [1, 2, 4]])
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    n = table.sum()

    def x2(t):
        e = np.outer(t.sum(axis=1), t.sum(axis=0)) / n
        return ((t - e) ** 2 / e).sum()

    obs = x2(table)
    p_exact = 0.0
    for a in range(cols[0] + 1):
        for b in range(cols[1] + 1):
            c = rows[0] - a - b
            if 0 <= c <= cols[2]:
                t = np.array([[a, b, c], [cols[0] - a, cols[1] - b, cols[2] - c]])
                prob = (
                    math.comb(cols[0], a) * math.comb(cols[1], b) * math.comb(cols[2], c)
                    / math.comb(n, rows[0])
                )
                if x2(t) >= obs - 1e-9:
                    p_exact += prob
    groups = ["g1"] * 4 + ["g2"] * 7
    values = ["x"] * 3 + ["y"] + ["x"] + ["y"] * 2 + ["z"] * 4
    _, test = compare_k_groups(values, groups, kind="categorical", categories=["x", "y", "z"])
    r = test.iloc[0]
    assert r["statistic"] == pytest.approx(obs)
    se = math.sqrt(p_exact * (1 - p_exact) / 99_999)
    assert abs(r["p_val"] - p_exact) < 4 * se + 1e-5


def test_invalid_input():
    with pytest.raises(ValueError):
        compare_k_groups([1, 2], ["a"], kind="ordinal")
    with pytest.raises(ValueError):
        compare_k_groups([1, 2], ["a", "b"], kind="nominal")
    with pytest.raises(ValueError):
        compare_k_groups([1, 5], ["a", "b"], kind="categorical", categories=[1, 2])
    with pytest.raises(ValueError):
        compare_k_groups([1, 2], ["a", "z"], kind="ordinal", group_order=["a", "b"])
