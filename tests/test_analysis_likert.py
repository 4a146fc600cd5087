"""Tests for analysis.likert: hand-counted distributions and diverging-bar geometry."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis.likert import likert_distribution, likert_diverging

LEVELS = [1, 2, 3, 4, 5]
LABELS = ["helemaal oneens", "oneens", "neutraal", "eens", "helemaal eens"]


def _items():
    return pd.DataFrame(
        {
            # 4 valid (1, 2, 2, 5), one "weet niet" (9), one NaN and one blank
            "eval_b": [1, 2, 2, 5, 9, np.nan, " "],
            # nobody gave a substantive answer (the R likert #69 / plot-likert #52 case)
            "eval_a": [9, 9, np.nan, np.nan, np.nan, np.nan, np.nan],
            "eval_c": [5, 5, 4, 4, 3, 1, 1],
        },
        dtype=object,
    )


def test_distribution_hand_counts():
    items = _items()
    before = items.copy()
    res = likert_distribution(items, LEVELS, na_codes=[9], labels=LABELS)
    pd.testing.assert_frame_equal(items, before)
    assert list(res.columns) == [
        "item", "level", "label", "n", "pct", "n_valid", "n_na", "pct_na", "n_missing",
        "n_total",
    ]  # fmt: skip
    # column order kept (not alphabetical), levels in codebook order, empty levels kept
    assert list(res["item"]) == ["eval_b"] * 5 + ["eval_a"] * 5 + ["eval_c"] * 5
    assert list(res["level"]) == LEVELS * 3
    assert list(res["label"][:5]) == LABELS
    b = res[res["item"] == "eval_b"]
    assert list(b["n"]) == [1, 2, 0, 0, 1]
    np.testing.assert_allclose(b["pct"], [25, 50, 0, 0, 25])  # base 4: "weet niet" excluded
    assert set(b["n_valid"]) == {4} and set(b["n_na"]) == {1} and set(b["n_missing"]) == {2}
    assert set(b["pct_na"]) == {20.0}  # 1 of the 5 who answered
    a = res[res["item"] == "eval_a"]
    assert list(a["n"]) == [0] * 5 and a["pct"].isna().all()
    assert set(a["pct_na"]) == {100.0} and set(a["n_missing"]) == {5}
    c = res[res["item"] == "eval_c"]
    np.testing.assert_allclose(c["pct"], [200 / 7, 0, 100 / 7, 200 / 7, 200 / 7])
    assert c["pct"].sum() == pytest.approx(100)
    assert set(res["n_total"]) == {7}


def test_distribution_rejects_unknown_codes_and_bad_labels():
    with pytest.raises(ValueError, match="neither"):
        likert_distribution(pd.DataFrame({"x": [1, 6]}), LEVELS)
    with pytest.raises(ValueError):
        likert_distribution(pd.DataFrame({"x": [1]}), LEVELS, labels=["a"])
    with pytest.raises(ValueError):
        likert_distribution(pd.DataFrame({"x": [1]}), LEVELS, na_codes=[5])


def test_distribution_empty_frame():
    res = likert_distribution(pd.DataFrame({"x": pd.Series([], dtype=float)}), LEVELS)
    assert list(res["n"]) == [0] * 5 and res["pct"].isna().all()
    assert math.isnan(res["pct_na"].iloc[0])


def test_diverging_split_neutral():
    dist = likert_distribution(_items(), LEVELS, labels=LABELS)
    res = likert_diverging(dist, neutral=3, neutral_mode="split")
    assert list(res.columns) == ["item", "level", "label", "pct", "side", "start", "end"]
    c = res[res["item"] == "eval_c"].set_index("level")
    # c: 1 -> 2/7, 2 -> 0, 3 -> 1/7, 4 -> 2/7, 5 -> 2/7 (in %); neutral centred on 0
    h = 100 / 14
    assert c.loc[3, "side"] == "neutral"
    assert c.loc[3, ["start", "end"]].tolist() == pytest.approx([-h, h])
    assert c.loc[2, ["start", "end"]].tolist() == pytest.approx([-h, -h])  # empty level
    assert c.loc[1, ["start", "end"]].tolist() == pytest.approx([-h - 200 / 7, -h])
    assert c.loc[4, ["start", "end"]].tolist() == pytest.approx([h, h + 200 / 7])
    assert c.loc[5, ["start", "end"]].tolist() == pytest.approx([h + 200 / 7, h + 400 / 7])
    assert c["end"].max() - c["start"].min() == pytest.approx(100)
    np.testing.assert_allclose(res["end"] - res["start"], res["pct"])
    a = res[res["item"] == "eval_a"]
    assert a[["pct", "start", "end"]].isna().all().all()


def test_diverging_separate_neutral_and_even_scale():
    dist = likert_distribution(_items(), LEVELS)
    res = likert_diverging(dist, neutral=3, neutral_mode="separate")
    c = res[res["item"] == "eval_c"].set_index("level")
    assert c.loc[3, ["start", "end"]].tolist() == pytest.approx([0, 100 / 7])
    assert c.loc[1, ["start", "end"]].tolist() == pytest.approx([-200 / 7, 0])
    assert c.loc[4, ["start", "end"]].tolist() == pytest.approx([0, 200 / 7])
    # 4-point scale without a neutral level: first two negative, last two positive
    four = likert_distribution(pd.DataFrame({"x": [1, 2, 3, 4, 4]}), [1, 2, 3, 4])
    d = likert_diverging(four).set_index("level")
    assert list(d["side"]) == ["negative", "negative", "positive", "positive"]
    assert d.loc[1, ["start", "end"]].tolist() == pytest.approx([-40, -20])
    assert d.loc[4, ["start", "end"]].tolist() == pytest.approx([20, 60])
    with pytest.raises(ValueError):
        likert_diverging(four, neutral=7)
