"""Conclusions chapter: the claims scorecard built from fixture claim records (by hand)."""

from __future__ import annotations

import math

from front_fixtures import chapter_module

from pipeline.claims import claim_record

con = chapter_module("conclusions")


def _records() -> dict:
    return {
        "jobseekers": {"claims": [
            claim_record(1, "supported", rule="r", evidence="e", estimate=2.2, ci_low=1.6,
                         ci_high=2.9, p_adj=0.001, measure="conditional_or", truth=2.0),
            claim_record(4, "supported", rule="r", evidence="e", estimate=0.3, ci_low=0.1,
                         ci_high=0.5, p_adj=0.01, measure="adjusted_md", truth=0.6),
            claim_record(4, "not_testable", rule="r", evidence="no_item"),
        ]},
        "units": {"claims": [claim_record(5, "not_supported", rule="r", evidence="e")]},
        "study": {"title": "x"},  # no claims: ignored
    }  # fmt: skip


def test_claim_verdict_rule():
    assert con.claim_verdict([]) == "not_testable"
    assert con.claim_verdict(["supported", "supported"]) == "supported"
    assert con.claim_verdict(["supported", "not_supported"]) == "not_supported"
    assert con.claim_verdict(["supported", "not_testable"]) == "not_testable"


def test_scorecard_rows_per_record_and_unrecorded_claims():
    table = con.scorecard(_records(), {7: True})
    assert tuple(table.columns) == con.SCORECARD.columns
    # claims 1, 5 one record each; claim 4 two; the five others one "not testable" row each
    assert len(table) == 1 + 2 + 1 + 5
    c1 = table[table["claim"] == 1].iloc[0]
    assert c1["claim_verdict"] == "supported" and c1["chapter"] == "jobseekers"
    assert math.isclose(c1["estimate"], 2.2) and bool(c1["covered"]) is True
    c4 = table[table["claim"] == 4]
    assert list(c4["part"]) == [1, 2]
    assert set(c4["claim_verdict"]) == {"not_testable"}  # one part not testable
    assert bool(c4.iloc[0]["covered"]) is False  # 0.6 outside [0.1, 0.5]
    assert table.loc[table["claim"] == 5, "claim_verdict"].item() == "not_supported"
    assert table.loc[table["claim"] == 7, "evidence"].item() == "source_absent"
    assert table.loc[table["claim"] == 8, "evidence"].item() == "not_recorded"


def test_claim_summary_counts_supported_parts():
    summary = {c["claim"]: c for c in con.claim_summary(con.scorecard(_records()))}
    assert [c for c in sorted(summary)] == list(range(1, 9))
    assert summary[4]["n_records"] == 2 and summary[4]["n_supported"] == 1
    assert summary[2]["n_records"] == 0 and summary[2]["evidence"] == "not_recorded"


def test_key_effects_take_crude_and_primary_estimates():
    earlier = {**_records(), "employment": {"werk_regulier": {
        "label_nl": "In een betaalde baan", "label_en": "In a regular paid job",
        "risk_difference": 0.169, "rd_ci_low": 0.113, "rd_ci_high": 0.223, "p_adj": 4.9e-8}}}
    effects = con.key_effects(earlier, con.scorecard(earlier))
    crude = [e for e in effects if e["estimator"] == "crude"]
    assert len(crude) == 1 and crude[0]["display"] == "pp" and crude[0]["estimate"] == 0.169
    primary = [e for e in effects if e["estimator"] == "primary"]
    assert [(e["claim"], e["display"]) for e in primary] == [(1, "ratio"), (4, "number")]


def test_measure_kind():
    assert con.measure_kind("att_rd") == "pp"
    assert con.measure_kind("conditional_or") == "ratio"
    assert con.measure_kind("spearman_rho") == "number"


def test_no_claims_at_all_gives_eight_untestable_rows():
    table = con.scorecard({})
    assert len(table) == 8 and set(table["claim_verdict"]) == {"not_testable"}
    assert table["truth"].isna().all() and table["covered"].isna().all()


def test_units_line_needs_the_units_stats():
    assert con.units_line({}) is None
    assert con.units_line({"units": {"n_units": 5, "n_exceeding_all": 3}}) == {
        "n_units": 5, "n_exceeding_all": 3}
