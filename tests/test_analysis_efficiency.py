"""Tests for analysis.efficiency: ratios by hand, exact rank correlation by enumeration."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis.efficiency import (
    attainment_association,
    evaluate_target_claim,
    targets_per_caseload,
    unit_efficiency,
)
from analysis.units import goal_attainment

INDICATORS = [
    ("contacten", "doel_c", "beh_c"),
    ("regulier", "doel_r", "beh_r"),
    ("wep", "doel_w", "beh_w"),
]


def _units():
    return pd.DataFrame(
        {
            "unit": ["u1", "u2", "u3", "u4", "u5"],
            "wwb": [2000, 4000, 500, 1000, 800],
            "doel_c": [70] * 5,
            "doel_r": [40] * 5,
            "doel_w": [20] * 5,
            "beh_c": [84, 70, 35, 91, 14],
            "beh_r": [48, 44, 20, 40, 8],
            "beh_w": [24, 19, 10, 30, 4],
            "uren_gem": [2000.0, 1500.0, 600.0, 2500.0, 300.0],
            "uren_adv": [400.0, 300.0, 100.0, 500.0, 100.0],
            "draagvlak": [8.0, 7.0, 5.0, 9.0, 3.0],
        }
    )


def test_targets_per_caseload_hand():
    units = _units()
    before = units.copy()
    res = targets_per_caseload(units, INDICATORS, caseload="wwb")
    pd.testing.assert_frame_equal(units, before)
    assert list(res.columns) == [
        "unit", "indicator", "target", "achieved", "attainment", "target_met", "caseload",
        "target_per_caseload", "achieved_per_caseload",
    ]  # fmt: skip
    r = res[(res["unit"] == "u3") & (res["indicator"] == "regulier")].iloc[0]
    assert r["target_per_caseload"] == pytest.approx(1000 * 40 / 500)  # 80 per 1,000
    assert r["achieved_per_caseload"] == pytest.approx(40.0)
    per100 = targets_per_caseload(units, INDICATORS, caseload="wwb", per=100)
    assert per100["target_per_caseload"].iloc[0] == pytest.approx(3.5)  # 70 / 2000 * 100
    zero = targets_per_caseload(units.assign(wwb=[0, 1, 1, 1, np.nan]), INDICATORS, caseload="wwb")
    assert zero["target_per_caseload"].iloc[[0, 14]].isna().all()


def test_unit_efficiency_hand():
    res = unit_efficiency(
        _units(), INDICATORS, hours=["uren_gem", "uren_adv"],
        placement_indicators=["regulier", "wep"], contact_indicator="contacten", caseload="wwb",
    )  # fmt: skip
    u1 = res.iloc[0]
    assert u1["hours"] == 2400 and u1["placements"] == 72 and u1["contacts"] == 84
    assert u1["hours_per_placement"] == pytest.approx(2400 / 72)
    assert u1["hours_per_contact"] == pytest.approx(2400 / 84)
    assert u1["placements_per_caseload"] == pytest.approx(36.0)
    assert u1["mean_attainment"] == pytest.approx((1.2 + 1.2 + 1.2) / 3)
    assert list(res["n_targets_met"]) == [3, 2, 0, 3, 0]
    u2 = res.iloc[1]
    assert u2["min_attainment"] == pytest.approx(0.95)
    assert u2["mean_attainment"] == pytest.approx((1.0 + 1.1 + 0.95) / 3)
    # a missing hour value gives NaN hours, never a partial sum
    gap = unit_efficiency(
        _units().assign(uren_adv=[np.nan, 1, 1, 1, 1]), INDICATORS,
        hours=["uren_gem", "uren_adv"], placement_indicators=["regulier", "wep"],
        contact_indicator="contacten", caseload="wwb",
    )  # fmt: skip
    assert math.isnan(gap["hours"].iloc[0]) and math.isnan(gap["hours_per_placement"].iloc[0])
    with pytest.raises(ValueError):
        unit_efficiency(_units(), INDICATORS, hours=["uren_gem"], placement_indicators=["x"],
                        contact_indicator="contacten", caseload="wwb")  # fmt: skip


def test_attainment_association_exact():
    eff = unit_efficiency(
        _units(), INDICATORS, hours=["uren_gem", "uren_adv"],
        placement_indicators=["regulier", "wep"], contact_indicator="contacten", caseload="wwb",
    ).merge(_units()[["unit", "draagvlak"]])  # fmt: skip
    res = attainment_association(eff, outcome="mean_attainment", predictors=["draagvlak", "hours"])
    assert list(res.columns) == ["outcome", "predictor", "n", "spearman_rho", "p_val_exact"]
    # mean attainment ranks: u4 > u1 > u2 > u3 > u5, draagvlak ranks identical -> rho = 1;
    # of the 5! = 120 pairings only the identity and its reversal reach |rho| = 1: p = 2/120
    d = res.iloc[0]
    assert d["n"] == 5 and d["spearman_rho"] == pytest.approx(1.0)
    assert d["p_val_exact"] == pytest.approx(2 / 120)
    # hours 2400, 1800, 700, 3000, 400: same ranks as attainment -> also rho = 1
    assert res.iloc[1]["spearman_rho"] == pytest.approx(1.0)


def test_target_claim_rules():
    goals = goal_attainment(_units(), INDICATORS)
    units, claim = evaluate_target_claim(goals)
    assert list(units["exceeds"]) == [True, False, False, True, False]
    # mean attainment: u3 = 0.5 (not < 0.5), u5 = 0.2
    assert list(units["far_below"]) == [False, False, False, False, True]
    c = claim.iloc[0]
    assert (c["n_units"], c["n_exceed"], c["n_below"], c["n_far_below"]) == (5, 2, 3, 1)
    assert not c["more_than_half_exceed"] and c["verdict"] == "not supported"

    # mean rule: u2 mean = 1.0167 >= 1 exceeds too -> 3 of 5 exceed, 2 stay below
    _, mean_claim = evaluate_target_claim(goals, exceed_rule="mean")
    m = mean_claim.iloc[0]
    assert (m["n_exceed"], m["n_below"]) == (3, 2)
    assert m["more_than_half_exceed"] and m["below_as_claimed"] and m["verdict"] == "supported"
    # only the far-below units count: u5 alone (< 0.5), or u3 and u5 with threshold 0.6
    _, far = evaluate_target_claim(goals, exceed_rule="mean", below_rule="far_below")
    assert far.iloc[0]["verdict"] == "not supported"
    _, far6 = evaluate_target_claim(
        goals, exceed_rule="mean", below_rule="far_below", far_below=0.6
    )
    assert far6.iloc[0]["n_far_below"] == 2 and far6.iloc[0]["verdict"] == "supported"


def test_target_claim_missing_is_not_testable():
    units = _units().astype({"beh_w": "Float64"})
    units.loc[0, "beh_w"] = pd.NA
    cls, claim = evaluate_target_claim(goal_attainment(units, INDICATORS), exceed_rule="mean")
    assert cls["exceeds"].isna().iloc[0] and math.isnan(cls["mean_attainment"].iloc[0])
    assert claim.iloc[0]["verdict"] == "not testable" and claim.iloc[0]["n_unknown"] == 1
    empty = goal_attainment(_units().iloc[:0], INDICATORS)
    _, none = evaluate_target_claim(empty)
    assert none.iloc[0]["verdict"] == "not testable"


# --------------------------------------------------------------------------- placement costs


def test_placement_costs_hand_computed() -> None:
    from analysis.efficiency import placement_costs

    units = pd.DataFrame({"unit": ["a", "b", "c"], "h1": [100.0, 300.0, np.nan],
                          "h2": [50.0, 50.0, 10.0], "reg": [3, 4, 1], "wep": [0, 3, 1]})
    out = placement_costs(units, hours=("h1", "h2"), placements=("reg", "wep"),
                          rates=(60.0, 100.0))
    assert list(out["unit"]) == ["a", "b", "c", "total"]
    # a: 150 hours, 3 placements -> 2 per 100 hours; cost 100*60 + 50*100 = 11,000
    assert out.loc[0, "placements_per_100_hours"] == pytest.approx(2.0)
    assert out.loc[0, "cost_per_placement"] == pytest.approx(11000 / 3)
    # c has missing hours: no ratio and left out of the total (never a partial sum)
    assert np.isnan(out.loc[2, "hours"]) and np.isnan(out.loc[2, "cost_per_placement"])
    # total over a and b: 500 hours, 10 placements; cost 400*60 + 100*100 = 34,000
    assert out.loc[3, "hours"] == 500 and out.loc[3, "placements"] == 10
    assert out.loc[3, "placements_per_100_hours"] == pytest.approx(2.0)
    assert out.loc[3, "cost_per_placement"] == pytest.approx(3400.0)


def test_placement_costs_without_rates_has_no_cost() -> None:
    from analysis.efficiency import placement_costs

    units = pd.DataFrame({"unit": ["a"], "h1": [10.0], "h2": [0.0], "reg": [0], "wep": [0]})
    out = placement_costs(units, hours=("h1", "h2"), placements=("reg", "wep"),
                          rates=(60.0, None))
    assert out["cost"].isna().all()
    assert out.loc[0, "placements_per_100_hours"] == 0.0
    assert np.isnan(out.loc[0, "cost_per_placement"])  # no placements: no cost per one
