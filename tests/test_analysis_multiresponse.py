"""Tests for analysis.multiresponse: denominator rule, Wilson CI and BH by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis.multiresponse import (
    COMPARE_COLUMNS,
    DESCRIBE_COLUMNS,
    compare_multiresponse,
    describe_multiresponse,
)
from analysis.proportions import compare_proportions

ITEMS = ["web", "network", "agency"]
# 6 respondents; the last answered nothing (left out); respondent 5 has one blank item
ONE = pd.DataFrame({
    "web":     [1, 1, 0, 1, 1, np.nan],
    "network": [0, 1, 0, 0, np.nan, np.nan],
    "agency":  [0, 0, 0, 1, 0, np.nan],
})  # fmt: skip


def _wilson(x: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson (1927) score interval written out."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_describe_denominator_and_wilson():
    out = describe_multiresponse(ONE, ITEMS, labels={"web": "Vacancy sites"})
    assert list(out.columns) == DESCRIBE_COLUMNS
    assert out["label"].tolist() == ["Vacancy sites", "network", "agency"]
    assert (out["n"] == 5).all()  # respondents who answered the set
    assert out["count"].tolist() == [4, 1, 1]  # blank item of respondent 5 = not selected
    assert out["p"].tolist() == pytest.approx([0.8, 0.2, 0.2])
    for (_, row), x in zip(out.iterrows(), [4, 1, 1], strict=True):
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(_wilson(x, 5), rel=1e-10)


def test_describe_rejects_non_binary():
    with pytest.raises(ValueError):
        describe_multiresponse(ONE.assign(web=2), ITEMS)
    with pytest.raises(KeyError):
        describe_multiresponse(ONE, ["nope"])


def test_compare_hand_and_bh():
    rng = np.random.default_rng(3)
    n = 200
    g = np.r_[np.ones(n // 2), np.zeros(n // 2)]
    frame = pd.DataFrame({
        "g": g,
        "web": (rng.random(n) < 0.6).astype(float),
        "network": (rng.random(n) < np.where(g == 1, 0.55, 0.35)).astype(float),
        "agency": (rng.random(n) < 0.05).astype(float),
    })  # fmt: skip
    frame.loc[[0, 1, 150], ITEMS] = np.nan  # did not answer the set
    frame.loc[2, "web"] = np.nan  # answered the set, skipped one box
    out = compare_multiresponse(frame, ITEMS, "g")
    assert list(out.columns) == COMPARE_COLUMNS
    assert (out["n_treated"] == 98).all() and (out["n_control"] == 99).all()
    answered = frame.dropna(how="all", subset=ITEMS).fillna(0.0)
    for i, item in enumerate(ITEMS):
        t = answered.loc[answered.g == 1, item]
        c = answered.loc[answered.g == 0, item]
        assert out.loc[i, "count_treated"] == t.sum()
        ref = compare_proportions(t, c).iloc[0]
        assert out.loc[i, "risk_difference"] == pytest.approx(t.mean() - c.mean())
        assert out.loc[i, "rd_ci_low"] == pytest.approx(ref["rd_ci_low"])
        assert out.loc[i, "test"] == ref["test"] and out.loc[i, "p_val"] == ref["p_val"]
        lo, hi = _wilson(int(c.sum()), len(c))
        assert (out.loc[i, "ci_low_control"], out.loc[i, "ci_high_control"]) == pytest.approx(
            (lo, hi), rel=1e-10
        )
    # Benjamini-Hochberg by hand: sort, p_(i) * m / i, running minimum from the top.
    p = out["p_val"].to_numpy()
    order = np.argsort(p)
    scaled = p[order] * len(p) / np.arange(1, len(p) + 1)
    adj = np.minimum(1, np.minimum.accumulate(scaled[::-1])[::-1])
    expected = np.empty_like(adj)
    expected[order] = adj
    assert out["p_adj_bh"].tolist() == pytest.approx(expected.tolist())
    assert (out["p_adj_bh"] >= out["p_val"]).all()


def test_compare_needs_both_groups():
    with pytest.raises(ValueError):
        compare_multiresponse(ONE.assign(g=1), ITEMS, "g")
