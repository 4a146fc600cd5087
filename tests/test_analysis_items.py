"""Tests for analysis.items: appendix tables by hand, item tests against R."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis.items import (
    ItemSpec,
    adjust_item_pvalues,
    compare_items,
    describe_categorical_items,
    describe_numeric_items,
)

NAN = np.nan
SPECS = [
    ItemSpec("werk", "categorical", codes=(1, 2), labels=("ja", "nee"), missing_codes=(9,)),
    ItemSpec("oordeel", "ordinal", codes=(1, 2, 3, 4, 5), missing_codes=(9,)),
    ItemSpec("kanaal", "categorical", codes=(1, 2, 3, 4), labels=("a", "b", "c", "d")),
    ItemSpec("uren", "numeric", missing_codes=(99,)),
]


def _data():
    groups = ["A"] * 8 + ["B"] * 7
    data = pd.DataFrame(
        {
            "werk": [1, 1, 1, 1, 1, 2, 9, NAN] + [2, 2, 2, 2, 1, 2, 2],
            "oordeel": [4, 5, 3, 4, 5, 9, 4, 2] + [2, 3, 1, 2, 4, 3, NAN],
            "kanaal": [1, 1, 2, 3, 1, 2, 1, 1] + [3, 3, 2, 3, 1, 3, 3],
            "uren": [2.5, 3, 4, 10, NAN, 7, 1, 3] + [0, 1, 2, 1, 3, 99, 0],
        }
    )
    return data, groups


def test_categorical_table_hand():
    data, groups = _data()
    before = data.copy()
    res = describe_categorical_items(data, SPECS, groups, group_order=["A", "B", "C"])
    pd.testing.assert_frame_equal(data, before)
    assert list(res.columns) == [
        "item", "kind", "group", "code", "label", "n", "pct_all", "pct_valid", "n_valid",
        "n_missing", "pct_missing", "n_total",
    ]  # fmt: skip
    assert list(dict.fromkeys(res["item"])) == ["werk", "oordeel", "kanaal"]  # numeric skipped
    werk_a = res[(res["item"] == "werk") & (res["group"] == "A")]
    assert list(werk_a["label"]) == ["ja", "nee"]
    assert list(werk_a["n"]) == [5, 1]
    np.testing.assert_allclose(werk_a["pct_all"], [62.5, 12.5])  # of 8 rows
    np.testing.assert_allclose(werk_a["pct_valid"], [500 / 6, 100 / 6])  # of 6 answers
    assert set(werk_a["n_missing"]) == {2} and set(werk_a["pct_missing"]) == {25.0}
    assert werk_a["pct_all"].sum() + werk_a["pct_missing"].iloc[0] == pytest.approx(100)
    # unused code 4 of "kanaal" is kept with 0 in both groups
    k4 = res[(res["item"] == "kanaal") & (res["code"] == 4)]
    assert list(k4["n"]) == [0, 0, 0]
    # group C has no rows: counts 0, percentages NaN
    c = res[res["group"] == "C"]
    assert (c["n"] == 0).all() and c["pct_valid"].isna().all() and (c["n_total"] == 0).all()
    total = describe_categorical_items(data, SPECS[:1])
    assert list(total["group"]) == ["total", "total"] and list(total["n"]) == [6, 7]


def test_numeric_table_matches_r():
    # R: na <- c(2.5, 3, 4, 10, 7, 1, 3); mean(na) = 4.35714285714286;
    #    sd(na) = 3.09184796028586; median(na) = 3
    data, groups = _data()
    res = describe_numeric_items(data, SPECS, groups)
    assert list(res.columns) == [
        "item", "group", "n", "n_missing", "mean", "sd", "median", "min", "max",
        "n_at_min", "n_at_max",
    ]  # fmt: skip
    a = res.iloc[0]
    assert (a["item"], a["group"], a["n"], a["n_missing"]) == ("uren", "A", 7, 1)
    assert a["mean"] == pytest.approx(4.35714285714286, rel=1e-13)
    assert a["sd"] == pytest.approx(3.09184796028586, rel=1e-13)
    assert (a["median"], a["min"], a["max"]) == (3, 1, 10)
    assert (a["n_at_min"], a["n_at_max"]) == (1, 1)  # one 1, one 10: single answers
    b = res.iloc[1]
    assert (b["n"], b["n_missing"], b["max"]) == (6, 1, 3)  # 99 is a missing code


def test_item_tests_match_r():
    data, groups = _data()
    res = compare_items(data, SPECS, groups)
    assert list(res.columns) == [
        "item", "kind", "group_1", "group_2", "n_1", "n_2", "test", "statistic", "dof",
        "p_val", "effect_size", "effect_size_type", "note",
    ]  # fmt: skip
    werk, oordeel, kanaal, uren = (res.iloc[i] for i in range(4))
    # R: fisher.test(matrix(c(5, 1, 1, 6), 2, byrow = TRUE))$p.value = 0.0291375291375291
    assert werk["test"] == "fisher" and (werk["n_1"], werk["n_2"]) == (6, 7)
    assert werk["p_val"] == pytest.approx(0.0291375291375291, rel=1e-12)
    assert werk["effect_size"] == pytest.approx(29 / 42)  # |phi| = (5*6 - 1*1) / sqrt(6*7*6*7)
    # R: wilcox.test(c(4,5,3,4,5,4,2), c(2,3,1,2,4,3), exact = FALSE, correct = TRUE)
    #    W = 34.5, p-value = 0.0564434221544049
    assert oordeel["test"] == "mann_whitney" and oordeel["statistic"] == 34.5
    assert oordeel["p_val"] == pytest.approx(0.0564434221544049, rel=1e-10)
    assert oordeel["effect_size"] == pytest.approx(2 * 34.5 / 42 - 1)
    # R: chisq.test(table(group, kanaal))$statistic = 5.625 (expected < 5 -> Monte Carlo)
    assert kanaal["test"] == "chi2_monte_carlo"
    assert kanaal["statistic"] == pytest.approx(5.625)
    assert kanaal["effect_size"] == pytest.approx(math.sqrt(5.625 / 15))
    # R: t.test(c(2.5,3,4,10,7,1,3), c(0,1,2,1,3,0)): t = 2.52749221121594,
    #    df = 7.90453192702893, p-value = 0.0357262300033657
    assert uren["test"] == "welch_t"
    assert uren["statistic"] == pytest.approx(2.52749221121594, rel=1e-12)
    assert uren["dof"] == pytest.approx(7.90453192702893, rel=1e-12)
    assert uren["p_val"] == pytest.approx(0.0357262300033657, rel=1e-10)
    assert uren["effect_size_type"] == "hedges_g" and uren["effect_size"] > 0

    adj = adjust_item_pvalues(res.drop(index=2).reset_index(drop=True))
    # R: p.adjust(c(0.0291375291375291, 0.0564434221544049, 0.0357262300033657), "BH")
    #    = 0.0535893450050486 0.0564434221544049 0.0535893450050486
    np.testing.assert_allclose(
        adj["p_adj"], [0.0535893450050486, 0.0564434221544049, 0.0535893450050486], rtol=1e-10
    )
    assert set(adj["p_adj_method"]) == {"fdr_bh"}
    np.testing.assert_array_equal(adj["p_val"], res.drop(index=2)["p_val"])  # raw p kept


def test_item_tests_not_computable_and_overrides():
    data, groups = _data()
    data = data.assign(uren=[NAN] * 8 + [1, 2, 3, 4, 5, 6, 7])
    spec = [ItemSpec("uren", "numeric"), ItemSpec("oordeel", "ordinal", codes=(1, 2, 3, 4, 5),
                                                  missing_codes=(9,), test="welch_t")]  # fmt: skip
    res = compare_items(data, spec, groups)
    assert res.iloc[0]["test"] == "not_computable" and math.isnan(res.iloc[0]["p_val"])
    assert res.iloc[0]["note"]
    assert res.iloc[1]["test"] == "welch_t"
    adj = adjust_item_pvalues(res)
    assert math.isnan(adj["p_adj"].iloc[0])
    assert adj["p_adj"].iloc[1] == pytest.approx(res["p_val"].iloc[1])  # family of one


def test_invalid_specs_and_data():
    data, groups = _data()
    with pytest.raises(ValueError):
        ItemSpec("x", "ordinal")  # no codes
    with pytest.raises(ValueError):
        ItemSpec("x", "nominal", codes=(1,))
    with pytest.raises(ValueError, match="not in the item's codes"):
        describe_categorical_items(data, [ItemSpec("oordeel", "ordinal", codes=(1, 2, 3, 4, 5))])
    with pytest.raises(ValueError, match="two groups"):
        compare_items(data, SPECS, ["A"] * 15)
    with pytest.raises(ValueError):
        describe_numeric_items(data, [ItemSpec("nope", "numeric")])
