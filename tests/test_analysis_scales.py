"""Tests for analysis.scales against hand computations and Shrout & Fleiss (1979)."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis.scales import cronbach_alpha, reverse_code, score_scale


def test_reverse_code_hand():
    s = pd.Series([1, 2, np.nan, 5, pd.NA], index=list("abcde"), dtype=object)
    before = s.copy()
    out = reverse_code(s, 1, 5)
    expected = pd.Series([5.0, 4.0, np.nan, 1.0, np.nan], index=list("abcde"))
    pd.testing.assert_series_equal(out, expected)
    pd.testing.assert_series_equal(s, before)
    np.testing.assert_array_equal(reverse_code([0, 3, np.nan], 0, 4), [4.0, 1.0, np.nan])
    df = pd.DataFrame({"q1": [1, 4], "q2": [2.0, np.nan]})
    pd.testing.assert_frame_equal(
        reverse_code(df, 1, 4), pd.DataFrame({"q1": [4.0, 1.0], "q2": [3.0, np.nan]})
    )
    with pytest.raises(ValueError):
        reverse_code([0, 6], 1, 5)


def test_score_scale_min_items():
    items = pd.DataFrame(
        {"a": [1, 2, np.nan, np.nan], "b": [3, np.nan, np.nan, 4], "c": [5, 4, 2, np.nan]},
        index=[10, 11, 12, 13],
    )
    before = items.copy()
    out = score_scale(items, min_items=2)
    expected = pd.Series([3.0, 3.0, np.nan, np.nan], index=[10, 11, 12, 13])
    pd.testing.assert_series_equal(out, expected)
    pd.testing.assert_series_equal(
        score_scale(items, min_items=1), pd.Series([3.0, 3.0, 2.0, 4.0], index=[10, 11, 12, 13])
    )
    pd.testing.assert_frame_equal(items, before)
    with pytest.raises(ValueError):
        score_scale(items, min_items=4)


def _var(x):
    m = sum(x) / len(x)
    return sum((v - m) ** 2 for v in x) / (len(x) - 1)


def test_cronbach_alpha_hand_variance_formula():
    rows = [[3, 4, 3], [2, 3, 4], [4, 4, 5], [3, 2, 3], [4, 4, 4]]
    items = pd.DataFrame(rows, columns=["A", "B", "C"])
    with_missing = pd.concat([items, pd.DataFrame([[1, np.nan, 2]], columns=["A", "B", "C"])])
    k = 3
    item_vars = [_var([r[i] for r in rows]) for i in range(k)]
    total_var = _var([sum(r) for r in rows])
    # item variances 0.7, 0.8, 0.7; totals 10, 9, 13, 8, 12 -> variance 4.3
    assert item_vars == pytest.approx([0.7, 0.8, 0.7])
    assert total_var == pytest.approx(4.3)
    alpha_hand = k / (k - 1) * (1 - sum(item_vars) / total_var)
    r = cronbach_alpha(with_missing).iloc[0]
    assert list(cronbach_alpha(items).columns) == ["n", "k", "cronbach_alpha", "ci_low", "ci_high"]
    assert (r["n"], r["k"]) == (5, 3)
    assert r["cronbach_alpha"] == pytest.approx(alpha_hand, rel=1e-12)
    assert r["cronbach_alpha"] == pytest.approx(1.5 * (1 - 2.2 / 4.3), rel=1e-12)


SHROUT_FLEISS = pd.DataFrame(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    columns=["J1", "J2", "J3", "J4"],
)


def test_cronbach_alpha_equals_shrout_fleiss_icc3k():
    # Shrout & Fleiss (1979), Psychol Bull 86:420-428, Tables 2-4: 6 targets x 4 judges,
    # BMS = 11.24, EMS = 1.02, ICC(3, 4) = (BMS - EMS) / BMS = .91 (= Cronbach's alpha).
    x = SHROUT_FLEISS.to_numpy(dtype=float)
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_err = ((x - grand) ** 2).sum() - ss_rows - ss_cols
    bms, ems = ss_rows / (n - 1), ss_err / ((n - 1) * (k - 1))
    assert bms == pytest.approx(11.24, abs=0.005)
    assert ems == pytest.approx(1.02, abs=0.005)
    r = cronbach_alpha(SHROUT_FLEISS).iloc[0]
    assert r["cronbach_alpha"] == pytest.approx((bms - ems) / bms, rel=1e-12)
    assert round(r["cronbach_alpha"], 2) == 0.91


def test_feldt_interval_hand_and_coverage():
    from scipy import stats

    r = cronbach_alpha(SHROUT_FLEISS, alpha=0.05).iloc[0]
    a = r["cronbach_alpha"]
    f_hi, f_lo = stats.f.ppf([0.975, 0.025], 5, 15)
    assert r["ci_low"] == pytest.approx(1 - (1 - a) * f_hi, rel=1e-12)
    assert r["ci_high"] == pytest.approx(1 - (1 - a) * f_lo, rel=1e-12)
    assert r["ci_low"] < a < r["ci_high"]

    # Simulation with known truth: parallel items x_ij = t_i + e_ij, var(t) = 1,
    # var(e) = 1, k = 4 -> true alpha = k / (k + 1) = 0.8.  Feldt's 90% interval is exact
    # under this normal model, so coverage should be close to 0.90.
    rng = np.random.default_rng(20140601)
    reps, n, k = 600, 15, 4
    hits = 0
    for _ in range(reps):
        data = rng.normal(size=(n, 1)) + rng.normal(size=(n, k))
        res = cronbach_alpha(pd.DataFrame(data), alpha=0.10).iloc[0]
        hits += res["ci_low"] <= 0.8 <= res["ci_high"]
    se = math.sqrt(0.9 * 0.1 / reps)
    assert abs(hits / reps - 0.90) < 4 * se


def test_cronbach_requires_two_items_and_cases():
    with pytest.raises(ValueError):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, 3]}))
    with pytest.raises(ValueError):
        cronbach_alpha(pd.DataFrame({"a": [1, np.nan], "b": [2, 3]}))
