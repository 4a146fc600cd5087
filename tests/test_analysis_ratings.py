"""Tests for analysis.ratings against R (t.test, quantile, prop.test) and by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis.ratings import describe_rating

GRADES = [7, 8, 6, 5, 9, 7, 4, 8, 7, 6, 3, 10]


def test_rating_overall_matches_r():
    # R: x <- c(7, 8, 6, 5, 9, 7, 4, 8, 7, 6, 3, 10)
    #    mean(x) = 6.66666666666667; sd(x) = 2.01509455376319
    #    t.test(x)$conf.int = 5.38633667010048 7.94699666323286
    #    quantile(x) = 3.00 5.75 7.00 8.00 10.00; sum(x >= 6) = 9
    #    prop.test(9, 12, correct = FALSE)$conf.int = 0.467694665066434 0.911058331605945
    values = pd.Series(GRADES + [np.nan, None], dtype=object)
    before = values.copy()
    res = describe_rating(values)
    pd.testing.assert_series_equal(values, before)
    assert list(res.columns) == [
        "group", "n", "n_missing", "mean", "sd", "mean_ci_low", "mean_ci_high", "median",
        "q1", "q3", "iqr", "min", "max", "n_pass", "p_pass", "pass_ci_low", "pass_ci_high",
    ]  # fmt: skip
    r = res.iloc[0]
    assert r["group"] == "total" and r["n"] == 12 and r["n_missing"] == 2
    assert r["mean"] == pytest.approx(6.66666666666667, rel=1e-13)
    assert r["sd"] == pytest.approx(2.01509455376319, rel=1e-13)
    assert [r["mean_ci_low"], r["mean_ci_high"]] == pytest.approx(
        [5.38633667010048, 7.94699666323286], rel=1e-12
    )
    assert [r["q1"], r["median"], r["q3"], r["iqr"]] == pytest.approx([5.75, 7, 8, 2.25])
    assert (r["min"], r["max"]) == (3, 10)
    assert r["n_pass"] == 9 and r["p_pass"] == pytest.approx(0.75)
    assert [r["pass_ci_low"], r["pass_ci_high"]] == pytest.approx(
        [0.467694665066434, 0.911058331605945], rel=1e-12
    )


def test_rating_by_group_with_empty_group_and_alpha():
    # group "b" = c(5, 6); R: t.test(c(5, 6), conf.level = 0.9)$conf.int =
    #   2.34312424266248 8.65687575733752; prop.test(1, 2, correct = FALSE,
    #   conf.level = 0.9)$conf.int = 0.120866319422274 0.879133680577726
    values = [5, 6, 9, np.nan, 7]
    groups = ["b", "b", "a", "a", None]
    res = describe_rating(values, groups, group_order=["a", "b", "c"], alpha=0.1)
    assert list(res["group"]) == ["a", "b", "c", "total"]
    assert list(res["n"]) == [1, 2, 0, 4]
    assert list(res["n_missing"]) == [1, 0, 0, 1]
    a, b, c, total = (res.iloc[i] for i in range(4))
    assert a["mean"] == 9 and math.isnan(a["sd"]) and math.isnan(a["mean_ci_low"])
    assert [b["mean_ci_low"], b["mean_ci_high"]] == pytest.approx(
        [2.34312424266248, 8.65687575733752], rel=1e-12
    )
    assert [b["pass_ci_low"], b["pass_ci_high"]] == pytest.approx(
        [0.120866319422274, 0.879133680577726], rel=1e-12
    )
    assert c["n_pass"] == 0 and math.isnan(c["mean"]) and math.isnan(c["p_pass"])
    assert total["mean"] == pytest.approx(27 / 4)
    no_total = describe_rating(values, groups, total_label=None)
    assert list(no_total["group"]) == ["a", "b"]


def test_rating_pass_mark_boundary_and_constant():
    res = describe_rating([5.9, 6.0, 6.0], pass_mark=6).iloc[0]
    assert res["n_pass"] == 2  # >= pass mark
    const = describe_rating([7, 7, 7]).iloc[0]
    assert const["sd"] == 0 and (const["mean_ci_low"], const["mean_ci_high"]) == (7, 7)


def test_rating_rejects_out_of_range():
    with pytest.raises(ValueError, match="outside"):
        describe_rating([7, 99])
    with pytest.raises(ValueError):
        describe_rating([7, 8], ["a"])
