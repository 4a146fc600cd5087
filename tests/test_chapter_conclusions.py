"""Conclusions chapter: the claims scorecard built from fixture claim records (by hand),
and the scorecard's text: every key resolves, in Dutch and English, with its numbers
formatted in the report's language."""

from __future__ import annotations

import json
import math
import re

import pytest
from front_fixtures import chapter_module, fixture_claims

from pipeline.report.chapter import ViewInputs, load_chapters
from pipeline.report.claims import claim_record, unresolved_keys, value
from pipeline.report.formatting import fmt_value, fmt_values
from pipeline.report.strings import load_strings
from pipeline.stages.render import make_environment

con = chapter_module("conclusions")
CHAPTERS = load_chapters()


def _records() -> dict:
    return {
        "jobseekers": {"claims": [
            claim_record(1, "supported", rule="r", evidence="e", estimate=2.2, ci_low=1.6,
                         ci_high=2.9, p_adj=0.001, measure="conditional_or", truth=2.0,
                         outcome="werk_regulier"),
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
    assert con.claim_verdict(["indicative"]) == "indicative"
    assert con.claim_verdict(["supported", "indicative"]) == "indicative"
    assert con.claim_verdict(["indicative", "not_supported"]) == "not_supported"


def test_sensitivity_records_show_but_do_not_decide():
    records = {"units": {"claims": [
        claim_record(5, "supported", rule="rule_5", evidence="evidence_5", estimate=3, total=5),
        claim_record(5, "not_supported", rule="rule_5", evidence="evidence_5_members",
                     estimate=3, total=7, sensitivity="sensitivity_members"),
    ]}}  # fmt: skip
    table = con.scorecard(records)
    c5 = table[table["claim"] == 5]
    assert list(c5["verdict"]) == ["supported", "not_supported"]
    assert set(c5["claim_verdict"]) == {"supported"}
    assert list(c5["sensitivity"]) == ["", "sensitivity_members"]
    summary = {c["claim"]: c for c in con.claim_summary(table)}
    assert summary[5]["n_records"] == 1 and summary[5]["n_supported"] == 1


def test_scorecard_rows_per_record_and_unrecorded_claims():
    table = con.scorecard(_records(), {7: True})
    assert tuple(table.columns) == con.SCORECARD.columns
    # claims 1, 5 one record each; claim 4 two; the eight others one "not testable" row each
    assert len(table) == 1 + 2 + 1 + 8
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
    assert [c for c in sorted(summary)] == list(range(1, 12))
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


def test_no_claims_at_all_gives_eleven_untestable_rows():
    table = con.scorecard({})
    assert len(table) == 11 and set(table["claim_verdict"]) == {"not_testable"}
    assert table["truth"].isna().all() and table["covered"].isna().all()


def test_units_line_needs_the_units_stats():
    assert con.units_line({}) is None
    assert con.units_line({"units": {"n_units": 5, "n_exceeding_all": 3}}) == {
        "n_units": 5, "n_exceeding_all": 3}


def test_measure_kinds_and_every_measure_has_a_label_in_both_languages():
    assert con.measure_kind("att_rd") == "pp"
    assert con.measure_kind("conditional_or") == "ratio"
    assert con.measure_kind("share_grade_pass") == "pct"
    assert con.measure_kind("n_units_exceeding") == "count"
    for lang in ("nl", "en"):
        measures = load_strings(lang, CHAPTERS)["conclusions"]["measures"]
        assert set(measures) == set(con.MEASURES)
        assert all({"label", "short", "name"} <= set(m) for m in measures.values())


# ------------------------------------------------------------------ record shape
def test_claim_record_keeps_values_and_rejects_bad_formats():
    record = claim_record(5, "supported", rule="rule_5", evidence="evidence_5",
                          values={"n": value(3, "int"), "p": value(float("nan"), "p")},
                          estimate=3.0, total=5, measure="n_units_exceeding")  # fmt: skip
    assert record["short_rule"] == "rule_5_short" and record["total"] == 5
    assert record["values"] == {"n": {"value": 3, "format": "int"},
                                "p": {"value": None, "format": "p"}}  # fmt: skip
    with pytest.raises(ValueError, match="format"):
        value(1, "percent")
    with pytest.raises(ValueError, match="value"):
        claim_record(5, "supported", rule="r", evidence="e", values={"n": 3})


@pytest.mark.parametrize(
    ("x", "format", "nl", "en"),
    [
        (3, "int", "3", "3"),
        (0.974, "pct", "97,4%", "97.4%"),
        (2.954, "number2", "2,95", "2.95"),
        (0.7, "number1", "0,7", "0.7"),
        (0.0004, "p", "< 0,001", "< 0.001"),
        (0.169, "pp", "16,9", "16.9"),
        ({"nl": "In een betaalde baan", "en": "In a regular paid job"}, "text",
         "In een betaalde baan", "In a regular paid job"),
        (None, "number2", "–", "–"),
    ],
)
def test_fmt_value_by_format(x, format, nl, en):
    assert fmt_value(x, format, "nl") == nl
    assert fmt_value(x, format, "en") == en


def test_fmt_values_formats_a_whole_mapping():
    values = {"a": value(1234, "int"), "b": value(0.5, "pct")}
    assert fmt_values(values, "nl") == {"a": "1.234", "b": "50,0%"}
    assert fmt_values(values, "en") == {"a": "1,234", "b": "50.0%"}


# ------------------------------------------------------------------ rendered scorecard
def _view(records: dict, language: str) -> dict:
    earlier = {**records, "study": {"synthetic": True}}
    table = con.scorecard(earlier, {7: True})
    stats = {"conclusions": {"values": con.scorecard_values(earlier),
                             "claims": con.claim_summary(table)}}  # fmt: skip
    strings = load_strings(language, CHAPTERS)
    return con.view(ViewInputs({"claims_scorecard": table}, stats, strings, language))


def _scorecard_text(records: dict, language: str) -> str:
    """The scorecard table and its list of rules, rendered, as plain text."""
    strings = load_strings(language, CHAPTERS)
    env = make_environment(language, CHAPTERS[0].directory.parent)
    macros = env.get_template("conclusions/macros.html.j2").make_module(
        {"s": strings, "level": "95%", "MISSING": "–"})
    view = _view(records, language)
    parts = []
    for row in view["scorecard_rows"]:
        parts += [strings["conclusions"]["claims_short"][f"c{row['claim']}"],
                  strings["conclusions"]["verdicts"][row["verdict"]],
                  macros.claim_text(row["short_text"], row["fill"]) if row["short_text"] else "",
                  macros.claim_text(row["rule_text"], row["fill"]) if row["rule_text"] else "",
                  macros.claim_text(row["evidence_text"], row["fill"]),
                  macros.estimate(row["estimate"], row["ci_low"], row["ci_high"], row["kind"],
                                  row["measure_label"], row["total"])]  # fmt: skip
    parts += [m["name"] for m in view["scorecard_measures"]]
    return re.sub(r"<[^>]+>", " ", " ".join(str(p) for p in parts)).replace("&nbsp;", " ")


# a word holding an underscore (a raw key such as direction_holm_signs) or a brace left
RAW_KEY = re.compile(r"\w+_\w+|[{}]")
ENGLISH = re.compile(r"\b(the|when|units?|supported|exceed|rule|and|with)\b")
DUTCH = re.compile(r"\b(van|de|het|een|eenheden|ondersteund|regel|en)\b")


def test_the_dutch_scorecard_has_no_raw_keys_and_no_english():
    text = _scorecard_text(fixture_claims(), "nl")
    assert not RAW_KEY.findall(text), RAW_KEY.findall(text)
    assert not ENGLISH.findall(text), ENGLISH.findall(text)
    # numbers in Dutch format, with their measure: OR with interval, units as "n van total"
    assert "OR 2,17 [1,60; 2,96]" in text
    assert "2 van 5" in text and "2 van de 5 eenheden halen alle doelen" in text
    assert "waarvan 1 ver (gemiddelde realisatie onder 50,0%)" in text


def test_the_english_scorecard_has_no_raw_keys_and_no_dutch():
    text = _scorecard_text(fixture_claims(), "en")
    assert not RAW_KEY.findall(text), RAW_KEY.findall(text)
    assert not DUTCH.findall(text), DUTCH.findall(text)
    assert "OR 2.17 [1.60, 2.96]" in text and "2 of 5" in text


def test_a_missing_string_fails_loudly_instead_of_printing_the_key():
    records = {"units": {"claims": [claim_record(5, "supported", rule="no_such_rule",
                                                 evidence="evidence_5")]}}  # fmt: skip
    with pytest.raises(KeyError, match="no_such_rule"):
        _view(records, "nl")


def test_every_recorded_claim_of_the_example_resolves_in_both_languages(example_outputs):
    stats = json.loads((example_outputs / "results" / "stats.json").read_text("utf-8"))
    found = con.collect_claims(stats)
    # every claim is recorded by a chapter of the example (8, free-text wishes, as not
    # testable), at least ten, including those the data contradict
    assert {r["claim"] for _, r in found} == set(range(1, 12))
    verdicts = {r["claim"]: r["verdict"] for _, r in found if not r.get("sensitivity")}
    assert verdicts[10] == "not_supported"  # 3 ja, 1 twijfel, 1 nee
    assert verdicts[11] == "not_supported"  # three units put the relatiemanager in the staff
    assert verdicts[6] == "indicative"  # five units: a description, not proof
    assert verdicts[7] == "not_supported"  # four in five say the approach fits their needs
    # a reasonable alternative changes a verdict: municipalities instead of units
    members = next(r for _, r in found if r.get("sensitivity") == "sensitivity_members")
    assert members["verdict"] != verdicts[5]
    for lang in ("nl", "en"):
        strings = load_strings(lang, CHAPTERS)
        for chapter, record in found:
            assert unresolved_keys(record, strings, chapter) == [], (lang, chapter, record)
            # every placeholder of the three strings has a value (or is the level)
            table = strings[chapter]["claims"]
            for key in (record["rule"], record["short_rule"], record["evidence"]):
                names = set(re.findall(r"{(\w+)}", table[key])) - {"level"}
                assert names <= set(record["values"]), (chapter, key)
    html = (example_outputs / "reports" / "werktop_report.html").read_text("utf-8")
    card = html[html.index('id="tab-scorecard"'):html.index("</ol>", html.index(
        'id="tab-scorecard"'))]  # fmt: skip
    text = re.sub(r"<[^>]+>", " ", card)
    assert not RAW_KEY.findall(text), RAW_KEY.findall(text)
    assert not ENGLISH.findall(text), ENGLISH.findall(text)
