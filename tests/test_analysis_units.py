"""Tests for analysis.units: goal attainment and exact Spearman test (hand enumeration)."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from analysis.units import exact_rank_correlation, goal_attainment


def test_goal_attainment_tidy_hand():
    units = pd.DataFrame(
        {
            "unit": ["Noord", "Zuid", "Oost"],
            "t_plac": [10, 0, 8],
            "a_plac": [12, 3, np.nan],
            "t_cand": [20.0, 5.0, 4.0],
            "a_cand": [15, 5, 6],
        }
    )
    before = units.copy()
    indicators = [("plaatsing", "t_plac", "a_plac"), ("kandidaat", "t_cand", "a_cand")]
    res = goal_attainment(units, indicators)
    pd.testing.assert_frame_equal(units, before)
    assert list(res.columns) == [
        "unit",
        "indicator",
        "target",
        "achieved",
        "attainment",
        "target_met",
    ]
    assert list(res["unit"]) == ["Noord", "Noord", "Zuid", "Zuid", "Oost", "Oost"]
    assert list(res["indicator"]) == ["plaatsing", "kandidaat"] * 3
    np.testing.assert_allclose(res["attainment"], [1.2, 0.75, np.nan, 1.0, np.nan, 1.5])
    assert res["target_met"].tolist() == [True, False, True, True, pd.NA, True]
    assert str(res["target_met"].dtype) == "boolean"
    with pytest.raises(ValueError):
        goal_attainment(units, [("x", "nope", "a_cand")])


def _rho(x, y):
    """Spearman's rho for untied data: 1 - 6 sum d^2 / (n (n^2 - 1))."""
    n = len(x)
    rx = {v: i + 1 for i, v in enumerate(sorted(x))}
    ry = {v: i + 1 for i, v in enumerate(sorted(y))}
    d2 = sum((rx[a] - ry[b]) ** 2 for a, b in zip(x, y, strict=True))
    return 1 - 6 * d2 / (n * (n * n - 1))


def test_exact_spearman_n5_hand():
    # y = x with one adjacent swap: sum d^2 = 2, rho = 1 - 12/120 = 0.9.
    # Among the 5! = 120 pairings, |rho| >= 0.9 needs sum d^2 <= 2 (the identity and
    # the 4 adjacent transpositions) or, symmetrically, >= 38 (their reversals): 10 / 120.
    res = exact_rank_correlation([1, 2, 3, 4, 5], [1, 2, 3, 5, 4])
    assert list(res.columns) == ["n", "spearman_rho", "p_val_exact", "p_min_exact"]
    r = res.iloc[0]
    assert r["n"] == 5
    assert r["spearman_rho"] == pytest.approx(0.9, rel=1e-12)
    assert r["p_val_exact"] == pytest.approx(10 / 120, rel=1e-12)
    # the smallest p five untied pairs can give: only rho = +1 or -1 reach |rho| = 1
    assert r["p_min_exact"] == pytest.approx(2 / 120, rel=1e-12)


def test_smallest_attainable_p_with_ties():
    # y has a tie: ranks 1, 2.5, 2.5, 4. The concordant pairing (rho = 0.9487) is reached
    # by 2 of the 4! = 24 pairings of x (swapping the two x values facing the tie), and
    # its reversal by 2 more: two-sided p = 4 / 24
    res = exact_rank_correlation([1, 2, 3, 4], [1, 2, 2, 4]).iloc[0]
    assert res["p_min_exact"] == pytest.approx(4 / 24, rel=1e-12)
    perfect = exact_rank_correlation([1, 2, 3, 4, 5], [50, 40, 30, 20, 10]).iloc[0]
    assert perfect["spearman_rho"] == pytest.approx(-1.0)
    assert perfect["p_val_exact"] == pytest.approx(2 / 120, rel=1e-12)


def test_exact_spearman_brute_force_with_missing():
    x = [0.8, 1.3, np.nan, 0.4, 2.2, 1.9]
    y = [15, 9, 30, 7, 12, 20]
    xs = [0.8, 1.3, 0.4, 2.2, 1.9]
    ys = [15, 9, 7, 12, 20]
    obs = _rho(xs, ys)
    rhos = [_rho(xs, list(p)) for p in itertools.permutations(ys)]
    p_abs = sum(abs(r) >= abs(obs) - 1e-12 for r in rhos) / len(rhos)
    r = exact_rank_correlation(x, y).iloc[0]
    assert r["n"] == 5
    assert r["spearman_rho"] == pytest.approx(obs, rel=1e-12)
    assert r["p_val_exact"] == pytest.approx(p_abs, rel=1e-12)


def test_exact_spearman_ties_n4_brute_force():
    # With ties the scipy two-sided definition 2 * min(P(<=), P(>=)) is used.
    x = [1.0, 2.0, 2.0, 3.0]
    y = [2.0, 1.0, 4.0, 3.0]
    from scipy.stats import rankdata

    rx, ry = rankdata(x), rankdata(y)

    def corr(a, b):
        ma, mb = sum(a) / 4, sum(b) / 4
        num = sum((u - ma) * (v - mb) for u, v in zip(a, b, strict=True))
        den = math.sqrt(sum((u - ma) ** 2 for u in a) * sum((v - mb) ** 2 for v in b))
        return num / den

    obs = corr(rx, ry)
    null = [corr(rx, p) for p in itertools.permutations(ry)]
    lo = sum(r <= obs + 1e-12 for r in null) / 24
    hi = sum(r >= obs - 1e-12 for r in null) / 24
    res = exact_rank_correlation(x, y).iloc[0]
    assert res["spearman_rho"] == pytest.approx(obs, rel=1e-12)
    assert res["p_val_exact"] == pytest.approx(min(1.0, 2 * min(lo, hi)), rel=1e-12)


def test_exact_spearman_guards():
    with pytest.raises(ValueError):
        exact_rank_correlation([1, 2], [2, 1])
    with pytest.raises(ValueError):
        exact_rank_correlation([1, 2, 3], [1, 2])
    const = exact_rank_correlation([1, 1, 1, 1], [1, 2, 3, 4]).iloc[0]
    assert math.isnan(const["spearman_rho"]) and math.isnan(const["p_val_exact"])
