"""Tests for analysis.baseline against hand computations and R (MASS::ginv) values."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.baseline import BASELINE_COLUMNS, Characteristic, baseline_table, multivariate_smd

# Group 1 (treated): sex 1,1,1,2,NaN ; age 20,30,40,50,NaN ; edu 1,1,2,2,2
# Group 0 (control): sex 1,2,2,2   ; age 25,35,NaN,45   ; edu 2,2,1,1
FRAME = pd.DataFrame(
    {
        "g": [1, 1, 1, 1, 1, 0, 0, 0, 0],
        "sex": [1, 1, 1, 2, np.nan, 1, 2, 2, 2],
        "age": [20, 30, 40, 50, np.nan, 25, 35, np.nan, 45],
        "edu": [1, 1, 2, 2, 2, 2, 2, 1, 1],
    }
)
SEX = Characteristic("sex", "categorical", ((1, "Male"), (2, "Female")), label="Sex")
# codebook order deliberately not sorted; level 3 absent from both groups
EDU = {"name": "edu", "kind": "categorical", "codes": [(3, "High"), (1, "Low"), (2, "Mid")]}
AGE = {"name": "age", "kind": "continuous", "label": "Age"}


@pytest.fixture(scope="module")
def table():
    return baseline_table(FRAME, "g", [SEX, AGE, EDU])


def test_shape_columns_and_order(table):
    assert list(table.columns) == BASELINE_COLUMNS
    assert table["variable"].tolist() == ["sex", "sex", "age", "edu", "edu", "edu"]
    assert table.loc[table.variable == "edu", "level"].tolist() == [3, 1, 2]
    assert table.loc[table.variable == "edu", "level_label"].tolist() == ["High", "Low", "Mid"]
    assert table.loc[0, "label"] == "Sex" and table.loc[3, "label"] == "edu"


def test_missing_counts_and_percentages_of_non_missing(table):
    sex = table[table.variable == "sex"]
    assert sex["n_treated"].tolist() == [4, 4] and sex["missing_treated"].tolist() == [1, 1]
    assert sex["n_control"].tolist() == [4, 4] and sex["missing_control"].tolist() == [0, 0]
    assert sex["count_treated"].tolist() == [3, 1]
    assert sex["pct_treated"].tolist() == pytest.approx([75.0, 25.0])
    assert sex["pct_control"].tolist() == pytest.approx([25.0, 75.0])
    edu = table[table.variable == "edu"]
    # absent level kept with 0
    assert edu["count_treated"].tolist() == [0, 2, 3]
    assert edu["pct_control"].tolist() == pytest.approx([0.0, 50.0, 50.0])


def test_binary_smd_and_summary_hand(table):
    sex = table[table.variable == "sex"]
    # level 1: p1 = 0.75, p0 = 0.25, pooled var (0.1875 + 0.1875) / 2
    smd1 = 0.5 / math.sqrt(0.1875)
    assert sex["smd"].tolist() == pytest.approx([smd1, -smd1], rel=1e-12)
    assert sex["smd_summary"].tolist() == pytest.approx([smd1, smd1], rel=1e-12)
    assert (sex["smd_summary_method"] == "yang_dalton_mahalanobis").all()
    # expected counts 2 < 5 -> Fisher; its p for [[3,1],[1,3]] is 34/70 (hypergeometric)
    assert (sex["test"] == "fisher").all()
    assert sex["min_expected"].iloc[0] == pytest.approx(2.0)


def test_fisher_p_hand():
    # [[3,1],[1,3]]: P(X=k) = C(4,k)C(4,4-k)/C(8,4) = 1,16,36,16,1 / 70; two-sided p sums
    # the tables at most as likely as the observed (16/70): (1+16+16+1)/70.
    t = baseline_table(FRAME, "g", [SEX])
    assert t["p_val"].iloc[0] == pytest.approx(34 / 70, rel=1e-12)


def test_continuous_row_hand(table):
    age = table[table.variable == "age"].iloc[0]
    assert pd.isna(age["level"]) and age["n_treated"] == 4 and age["missing_control"] == 1
    assert age["mean_treated"] == pytest.approx(35.0)
    assert age["sd_treated"] == pytest.approx(math.sqrt(500 / 3))  # var of 20..50 step 10
    assert age["median_treated"] == pytest.approx(35.0)
    assert (age["q1_treated"], age["q3_treated"]) == pytest.approx((27.5, 42.5))  # type 7
    assert age["mean_control"] == pytest.approx(35.0) and age["sd_control"] == pytest.approx(10)
    assert age["smd"] == pytest.approx(0.0, abs=1e-15)
    # Welch: t = 0, df = (s1²/n1 + s0²/n0)² / (...) by hand
    v1, v0 = (500 / 3) / 4, 100 / 3
    df = (v1 + v0) ** 2 / (v1**2 / 3 + v0**2 / 2)
    assert age["test"] == "welch_t" and age["dof"] == pytest.approx(df, rel=1e-12)
    assert age["p_val"] == pytest.approx(1.0)
    assert age["smd_summary_method"] == "abs_smd_pooled_sd"


def test_continuous_smd_pooled_sd_hand():
    frame = pd.DataFrame({"g": [1, 1, 1, 0, 0, 0], "x": [1.0, 2.0, 3.0, 2.0, 4.0, 6.0]})
    row = baseline_table(frame, "g", [AGE | {"name": "x"}]).iloc[0]
    assert row["smd"] == pytest.approx(-2.0 / math.sqrt((1.0 + 4.0) / 2), rel=1e-12)
    assert row["smd_summary"] == pytest.approx(2.0 / math.sqrt(2.5), rel=1e-12)
    mw = baseline_table(frame, "g", [AGE | {"name": "x", "test": "mann_whitney"}]).iloc[0]
    # U of treated: pairs (t > c) + 0.5 ties: 1>? none; 2 ties 2 -> .5; 3>2 -> 1 => 1.5
    assert mw["test"] == "mann_whitney" and mw["statistic"] == pytest.approx(1.5)


def test_multilevel_uses_chi2_family_and_yang_dalton():
    rng = np.random.default_rng(1)
    n = 400
    frame = pd.DataFrame({"g": rng.integers(0, 2, n), "c": rng.integers(1, 4, n)})
    spec = {"name": "c", "kind": "categorical", "codes": [(1, "a"), (2, "b"), (3, "c")]}
    t = baseline_table(frame, "g", [spec])
    counts = pd.crosstab(frame["c"], frame["g"]).to_numpy()
    ref = stats.chi2_contingency(counts, correction=False)
    assert (t["test"] == "chi2").all() and t["statistic"].iloc[0] == pytest.approx(ref.statistic)
    assert t["dof"].iloc[0] == 2
    p1 = counts[:, 1] / counts[:, 1].sum()
    p0 = counts[:, 0] / counts[:, 0].sum()
    assert t["smd_summary"].iloc[0] == pytest.approx(multivariate_smd(p1, p0), rel=1e-12)


def test_multivariate_smd_against_r_ginv():
    # R: p1 <- c(.2,.5,.3,0); p0 <- c(.4,.3,.2,.1); T <- p1[-1]; C <- p0[-1]
    #    S <- -(outer(T,T)+outer(C,C))/2; diag(S) <- (T*(1-T)+C*(1-C))/2
    #    sqrt(drop(t(T-C) %*% MASS::ginv(S) %*% (T-C)))   # 0.732708675928379
    p1, p0 = [0.2, 0.5, 0.3, 0.0], [0.4, 0.3, 0.2, 0.1]
    assert multivariate_smd(p1, p0) == pytest.approx(0.732708675928379, rel=1e-10)
    # independent of the reference level
    perm = [2, 0, 3, 1]
    assert multivariate_smd(np.take(p1, perm), np.take(p0, perm)) == pytest.approx(
        0.732708675928379, rel=1e-10
    )
    # two levels: equals the absolute binary SMD
    assert multivariate_smd([0.75, 0.25], [0.25, 0.75]) == pytest.approx(0.5 / math.sqrt(0.1875))


def test_missing_is_never_a_category():
    frame = pd.DataFrame({"g": [1] * 6 + [0] * 6,
                          "s": [1, 1, 2, 2, np.nan, np.nan, 1, 2, 2, 2, 2, pd.NA]})  # fmt: skip
    spec = {"name": "s", "kind": "categorical", "codes": SEX.codes}
    t = baseline_table(frame, "g", [spec])
    assert t["count_treated"].sum() == t["n_treated"].iloc[0] == 4
    assert t["missing_control"].iloc[0] == 1
    assert t["smd"].iloc[0] == pytest.approx((0.5 - 0.2) / math.sqrt((0.25 + 0.16) / 2))


def test_errors_and_input_untouched():
    before = FRAME.copy()
    baseline_table(FRAME, "g", [SEX, AGE])
    pd.testing.assert_frame_equal(FRAME, before)
    with pytest.raises(ValueError, match="outside order"):
        baseline_table(FRAME.assign(g=FRAME["g"].replace(0, 2)), "g", [SEX])
    with pytest.raises(ValueError, match="not among the codes"):
        baseline_table(FRAME.assign(sex=FRAME["sex"].replace(2, 7)), "g", [SEX])
    with pytest.raises(KeyError):
        baseline_table(FRAME, "g", [{"name": "nope", "kind": "continuous"}])
    with pytest.raises(ValueError):
        Characteristic("x", "categorical", ((1, "only"),))
    with pytest.raises(ValueError):
        Characteristic("x", "continuous", test="fisher")
