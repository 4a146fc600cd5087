"""The summary's rule-chosen sentences (conclusions/headline.py), 8.2 doelmatigheid
(conclusions/efficiency.py), the recommendations of 8.4 and 8.5
(conclusions/recommendations.py) and the numbered subsections (report/headings.py)."""

from __future__ import annotations

import importlib
import sys

import pandas as pd
import pytest

from pipeline.report.chapter import chapter_module
from pipeline.report.headings import number_headings


def _module(name: str):  # noqa: ANN202
    """A sibling module of the conclusions chapter (imported as its package's member)."""
    package = chapter_module("conclusions").__name__.rsplit(".", 1)[0]
    return sys.modules.get(f"{package}.{name}") or importlib.import_module(f"{package}.{name}")


def _earlier(low: float, est: float, high: float, **extra) -> dict:
    effects = {"weighted_risk_difference": {"estimate": est, "ci_low": low, "ci_high": high,
                                            "n_treated": 300, "n_control": 200}}
    return {
        "jobseekers": {"claims": [{"claim": 1, "outcome": "werk", "measure": "conditional_or",
                                   "estimate": 3.0}],
                       "effects": {"werk": effects}, **extra},
        "employment": {"werk": {"p_treated": 0.30, "p_control": 0.10, "label_nl": "Werk",
                                "label_en": "Work"}},
    }


def test_effect_sentence_follows_the_interval() -> None:
    headline = _module("headline")
    keys = [headline.headline(_earlier(lo, est, hi))["effect"][0]["key"]
            for lo, est, hi in ((0.05, 0.1, 0.15), (-0.02, 0.05, 0.12), (-0.2, -0.1, -0.01))]
    assert keys == ["effect_up", "effect_unclear", "effect_down"]


def test_rate_without_werktop_is_the_treated_share_minus_the_att() -> None:
    out = _module("headline").headline(_earlier(0.05, 0.12, 0.19))
    first = out["effect"][0]["values"]
    assert first["without"]["value"] == pytest.approx(0.30 - 0.12)
    assert first["without_low"]["value"] == pytest.approx(0.30 - 0.19)
    assert first["without_high"]["value"] == pytest.approx(0.30 - 0.05)
    widths = [s for s in out["effect"] if s["key"].startswith("certainty")]
    assert widths[0]["key"] == "certainty_wide"  # 14 points wide > NARROW_PP (10 points)


def test_odds_ratio_is_translated_to_a_risk_ratio_at_the_control_rate() -> None:
    headline = _module("headline")
    # OR 3 at p0 = 0.10: odds 1/9 * 3 = 1/3 -> p1 = 0.25 -> RR 2.5 (Zhang & Yu 1998)
    assert headline.odds_ratio_as_risk_ratio(3.0, 0.10) == pytest.approx(2.5)
    sentence = next(s for s in headline.headline(_earlier(0.05, 0.1, 0.15))["effect"]
                    if s["key"] == "odds_ratio")
    assert sentence["values"]["rr"]["value"] == pytest.approx(2.5)


def test_primary_effect_prefers_the_marked_row() -> None:
    headline = _module("headline")
    effects = {"weighted_risk_difference": {"estimate": 0.1},
               "dr_risk_difference": {"estimate": 0.2, "primary": True},
               "adjusted_odds_ratio": {"estimate": 3.0, "primary": True}}
    assert headline.primary_effect(effects)[0] == "dr_risk_difference"
    del effects["dr_risk_difference"]
    assert headline.primary_effect(effects)[0] == "weighted_risk_difference"
    # the chapter's shape: the primary row is the doubly robust odds ratio; the summary
    # takes the same fit's risk difference
    effects = {"weighted_risk_difference": {"estimate": 0.1},
               "doubly_robust_odds_ratio": {"estimate": 3.7, "primary": True},
               "doubly_robust_risk_difference": {"estimate": 0.17, "primary": False}}
    assert headline.primary_effect(effects)[0] == "doubly_robust_risk_difference"


def test_truth_sentence_only_for_a_synthetic_study() -> None:
    headline = _module("headline")
    real = headline.headline(_earlier(0.05, 0.1, 0.15))
    synthetic = headline.headline(_earlier(0.05, 0.1, 0.15, truth={"att_rd": 0.2}))
    assert not any(s["key"].startswith("truth") for s in real["effect"])
    assert [s["key"] for s in synthetic["effect"] if s["key"].startswith("truth")] == [
        "truth_missed"]


def test_units_sentence_names_the_units_below_target() -> None:
    earlier = {"units": {"n_units": 5, "n_exceeding_all": 3,
                         "targets_claim": {"units_below": ["Zaanstad", "MUG"]}},
               "introduction": {"n_municipalities": 7}}
    (sentence,) = _module("headline").context_sentences(earlier)
    assert sentence["key"] == "units_some"
    assert sentence["values"]["below"]["value"] == {"nl": "Zaanstad en MUG",
                                                    "en": "Zaanstad and MUG"}


def test_recommendations_fire_only_on_their_trigger() -> None:
    rec = _module("recommendations")
    stats = {
        "units": {"n_units": 5, "support_claim": {"rho": {"hours": 0.9, "draagvlak": 0.6},
                                                  "rho_threshold": 0.7, "n": {"hours": 5}},
                  "targets_claim": {"n_below": 0}},
        "municipalities": {"n_doubt": 0, "n_stop": 0, "n_units_interviewed": 5},
        "conclusions": {"headline": {"numbers": {"ci_low": -0.01, "ci_high": 0.2}}},
        "jobseekers": {"weighting": {"ess_control": 120.0, "n_control": 200}},
        "appendix_assen": {"ranking": [{"unit": "Assen", "per_caseload": 50.0, "below": [],
                                        "n_evaluated": 5}]},
    }
    assert [r["key"] for r in rec.recommendations(stats)] == ["test_before_scaling"]
    stats["units"]["support_claim"]["rho"]["draagvlak"] = 0.8
    stats["units"]["targets_claim"]["n_below"] = 2
    stats["municipalities"]["n_stop"] = 1
    stats["conclusions"]["headline"]["numbers"]["ci_low"] = 0.02
    stats["jobseekers"]["weighting"]["ess_control"] = 90.0
    stats["appendix_assen"]["ranking"][0]["below"] = ["MUG"]
    keys = [(r["section"], r["key"]) for r in rec.recommendations(stats)]
    assert keys == [("pps", "support_first"), ("pps", "embed"),
                    ("outlook", "continue_and_test"), ("outlook", "learn_from_comparison"),
                    ("outlook", "weak_units"), ("outlook", "larger_control")]


class _Unit:
    def __init__(self, id_: str, name: str) -> None:
        self.id, self.name = id_, name


class _Codebook:
    units = (_Unit("a", "A"), _Unit("b", "B"))


def test_efficiency_table_leaves_out_comparison_units_and_adds_the_total() -> None:
    efficiency = _module("efficiency")
    units = pd.DataFrame({"unit": ["b", "a", "assen"], "uren_gemeente": [80.0, 100.0, 10.0],
                          "uren_adviesbureau": [20.0, 0.0, 0.0],
                          "behaald_regulier": [3, 1, 9], "behaald_wep": [1, 1, 9]})
    table = efficiency.efficiency_table(units, _Codebook(), {"hourly_rate_municipality": 50.0,
                                                             "hourly_rate_consultancy": 100.0})
    assert list(table["unit"]) == ["a", "b", "total"]  # codebook order; Assen is not evaluated
    assert list(table["placements_per_100_hours"]) == pytest.approx([2.0, 4.0, 3.0])
    # total cost 180 * 50 + 20 * 100 = 11,000 for 6 placements
    assert table["cost_per_placement"].iloc[-1] == pytest.approx(11000 / 6)
    no_rates = efficiency.efficiency_table(units, _Codebook(), {})
    assert no_rates["cost"].isna().all()


def test_subsections_are_numbered_in_numbered_chapters_only() -> None:
    html = ('<section class="front summary" id="summary"><h3>Kop</h3></section>'
            '<section class="chapter" id="methods"><h2>3 M</h2><h3>Eerste</h3>'
            '<section class="unit-profile" id="p"><h4>x</h4></section><h3>Tweede</h3>'
            '<h3 class="label">Label</h3></section>'
            '<section class="chapter" id="conclusions"><h3>8.1 Hand</h3><h3>Volgende</h3>'
            '</section><section class="chapter appendix" id="app"><h3>Bijlage</h3></section>')
    out = number_headings(html, {"methods": "3", "conclusions": "8", "app": "I"})
    assert "<h3>3.1 Eerste</h3>" in out and "<h3>3.2 Tweede</h3>" in out
    assert '<h3 class="label">Label</h3>' in out and "<h3>Kop</h3>" in out
    assert "<h3>8.1 Hand</h3>" in out and "<h3>8.2 Volgende</h3>" in out
    assert "<h3>Bijlage</h3>" in out


def test_interview_synthesis_picks_the_most_shared_code_per_theme() -> None:
    synthesis = chapter_module("municipalities").synthesis
    codes = pd.DataFrame({
        "theme": [1, 1, 2], "theme_label_nl": ["A", "A", "B"], "theme_label_en": ["A", "A", "B"],
        "code_label_nl": ["een", "twee", "drie"], "code_label_en": ["one", "two", "three"],
        "n_units": [3, 1, 1], "n_fragments": [4, 5, 2]})
    cont = pd.DataFrame({"unit_name": ["X", "Y"], "safeguards": ["f; w", "f"],
                         "safeguards_nl": ["F; W", "F"], "safeguards_en": ["F; W", "F"]})
    out = synthesis(codes, cont)
    assert [(t["codes_en"], t["n_units"], t["shared"]) for t in out["themes"]] == [
        (["one"], 3, True), (["three"], 1, False)]
    assert [(g["code"], g["units"]) for g in out["safeguards"]] == [("f", ["X", "Y"]),
                                                                    ("w", ["X"])]
