"""Tests for analysis.balance against hand computations (cobalt conventions)."""

import math

import numpy as np
import pytest

from analysis.balance import smd_categorical, standardized_mean_difference, variance_ratio

T = [1.0, 2.0, 3.0, 4.0, np.nan]  # mean 2.5, var 5/3
C = [2.0, 4.0, 6.0]  # mean 4, var 4


def test_continuous_ate_att_hand():
    ate = standardized_mean_difference(T, C, kind="continuous")
    assert ate == pytest.approx((2.5 - 4.0) / math.sqrt((5 / 3 + 4) / 2), rel=1e-12)
    att = standardized_mean_difference(T, C, kind="continuous", estimand="ATT")
    assert att == pytest.approx(-1.5 / math.sqrt(5 / 3), rel=1e-12)
    atc = standardized_mean_difference(T, C, kind="continuous", estimand="ATC")
    assert atc == pytest.approx(-1.5 / 2.0, rel=1e-12)


def test_binary_proportion_scale_hand():
    t = [1, 1, 1, 0]  # p1 = 0.75
    c = [1, 0, 0, 0, np.nan]  # p0 = 0.25
    ate = standardized_mean_difference(t, c, kind="binary")
    assert ate == pytest.approx(0.5 / math.sqrt((0.1875 + 0.1875) / 2), rel=1e-12)
    t2 = [True, True, False, False, False]  # p1 = 0.4
    att = standardized_mean_difference(t2, c, kind="binary", estimand="ATT")
    assert att == pytest.approx((0.4 - 0.25) / math.sqrt(0.4 * 0.6), rel=1e-12)
    with pytest.raises(ValueError):
        standardized_mean_difference([0, 2], c, kind="binary")


def test_weights_change_numerator_only():
    # Weighted treated mean (1*1 + 2*1 + 3*1 + 4*5) / 8 = 26 / 8; control unweighted = 4.
    w = [1, 1, 1, 5, 1]
    smd = standardized_mean_difference(T, C, kind="continuous", weights_treated=w)
    assert smd == pytest.approx((26 / 8 - 4.0) / math.sqrt((5 / 3 + 4) / 2), rel=1e-12)
    # Weights that equalise the means give exactly 0 whatever the denominator.
    wc = [3, 1, 0]  # (6 + 4) / 4 = 2.5
    smd0 = standardized_mean_difference(T, C, kind="continuous", weights_control=wc)
    assert smd0 == pytest.approx(0.0, abs=1e-15)
    # Binary with weights: weighted p1 = (1*3)/(3+1) = 0.75, denominator from unweighted 0.5.
    smd_b = standardized_mean_difference(
        [1, 0], [0, 1], kind="binary", weights_treated=[3, 1], estimand="ATT"
    )
    assert smd_b == pytest.approx((0.75 - 0.5) / 0.5, rel=1e-12)
    with pytest.raises(ValueError):
        standardized_mean_difference(T, C, kind="continuous", weights_treated=[1, 2])


def test_degenerate_denominator():
    assert math.isnan(standardized_mean_difference([1, 1], [1, 1], kind="binary"))
    assert standardized_mean_difference([1, 1], [0, 0], kind="binary") == math.inf


def test_smd_categorical_per_level():
    t = ["a", "a", "b", "c", None]
    c = ["b", "b", "c", "c"]
    before = list(t)
    res = smd_categorical(t, c, ["a", "b", "c", "d"])
    assert t == before
    assert list(res.columns) == ["category", "p_treated", "p_control", "smd"]
    assert list(res["category"]) == ["a", "b", "c", "d"]
    np.testing.assert_allclose(res["p_treated"], [0.5, 0.25, 0.25, 0.0])
    np.testing.assert_allclose(res["p_control"], [0.0, 0.5, 0.5, 0.0])
    sd_a = math.sqrt((0.25 + 0.0) / 2)
    sd_b = math.sqrt((0.25 * 0.75 + 0.25) / 2)
    assert res["smd"][0] == pytest.approx(0.5 / sd_a, rel=1e-12)
    assert res["smd"][1] == pytest.approx(-0.25 / sd_b, rel=1e-12)
    assert res["smd"][2] == pytest.approx(-0.25 / sd_b, rel=1e-12)
    assert math.isnan(res["smd"][3])  # level absent from both groups
    assert res["smd"].abs().max() == pytest.approx(0.5 / sd_a)
    with pytest.raises(ValueError):
        smd_categorical(["z"], c, ["a", "b", "c"])


def test_variance_ratio_hand():
    assert variance_ratio(T, C) == pytest.approx((5 / 3) / 4, rel=1e-12)
    with pytest.raises(ValueError):
        variance_ratio([1.0], C)


def test_balance_table_with_a_control_group_without_spread():
    # every control has the same age (a tiny study): the weighted variance ratio is
    # infinite, not a ZeroDivisionError that stops the analysis
    import pandas as pd

    from analysis.balance import balance_table

    frame = pd.DataFrame({"age": [30.0, 40.0, 50.0, 35.0, 35.0, 35.0],
                          "t": [1, 1, 1, 0, 0, 0]})  # fmt: skip
    out = balance_table(frame, ["age"], frame["t"], np.ones(6))
    row = out.iloc[0]
    assert math.isinf(row["vr_weighted"]) and math.isinf(row["vr_unweighted"])
