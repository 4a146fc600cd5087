"""Chapter 8, conclusions: the claims scorecard and the study's conclusions built from it.

Every chapter that re-tests a headline claim of the 2014 study puts ``claim_record`` dicts
(``pipeline/report/claims.py``) in a list under ``stats[<chapter>]["claims"]``. This chapter runs
after them (registry order), collects every record from ``inputs.earlier`` and writes

- ``claims_scorecard``: one row per record (a claim may rest on several records, e.g.
  treatment *and* satisfaction for claim 4), plus one "not testable" row per claim nobody
  recorded, with the claim-level verdict beside each record's own;
- ``stats["conclusions"]``: the claim-level verdicts (for this chapter's text and the
  summary's scorecard) and the key effects the summary shows.

Claim-level verdict rule: *supported* when every record of the claim is supported;
*not supported* when at least one record is not supported; *indicative* when every record
is supported or indicative and one is indicative; otherwise (no record, or some parts not
testable) *not testable*. Sensitivity records (``sensitivity`` set: a reasonable
alternative reading, e.g. targets pro-rated to a shorter project) are shown under their
claim with their own verdict and do not count in the claim's verdict. A claim no
chapter recorded is not testable because its source is absent (the study has no input
for the chapter that tests it) or because no chapter tests it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from pipeline.report.chapter import (
    AnalysisInputs,
    Chapter,
    ChapterResults,
    SourceAbsent,
    TableSpec,
    ViewInputs,
)
from pipeline.report.claims import CLAIMS, claim_strings
from pipeline.report.view import records

from .efficiency import EFFICIENCY, analyze_efficiency
from .headline import headline
from .recommendations import recommendations
from .truth import with_planted_truth

#: Which chapter is expected to test each claim, and the data set it rests on.
TESTED_BY = {
    1: ("jobseekers", "jobseekers"),
    2: ("jobseekers", "jobseekers"),
    3: ("jobseekers", "jobseekers"),
    4: ("jobseekers", "jobseekers"),
    5: ("units", "units"),
    6: ("units", "units"),
    7: ("employers", "employers"),
    8: ("jobseekers", "jobseekers"),
    9: ("units", "units"),
    10: ("municipalities", "interviews"),
    11: ("municipalities", "interviews"),
}
#: The conclusions' sections (study chapter 8) and the claims each one discusses.
SECTIONS = {
    "beoordeling": (7, 4, 8),
    "effectief": (1, 2, 3, 5, 9),
    "factoren": (6, 10, 11),
}
#: Claims whose primary estimates the summary shows as key effects, and the crude
#: comparisons it shows beside them: stats key (written by the jobseekers chapter) ->
#: (estimate, CI low, CI high, measure).
KEY_CLAIMS = (1, 2, 3, 4)
CRUDE = {
    "employment": ("risk_difference", "rd_ci_low", "rd_ci_high", "crude_rd"),
    "scales": ("mean_difference", "md_ci_low", "md_ci_high", "crude_md"),
}
#: The measure of the crude row in ``jobseekers_effects`` each crude display reads.
CRUDE_EFFECT_MEASURE = {"crude_rd": "risk_difference", "crude_md": "mean_difference"}


def _effects_row(outcome: str, method: str, measure: str | None, estimate: float | None,
                 low: float | None, high: float | None, p_adj: float | None) -> dict | None:
    """The ``jobseekers_effects`` row a key effect is a copy of, as the template's
    ``stat`` filter anchors it (``pipeline.report.anchors``); None without a measure."""
    if not measure:
        return None
    return {"_table": "jobseekers_effects", "outcome": outcome, "method": method,
            "measure": measure, "estimate": estimate, "ci_low": low, "ci_high": high,
            "p_adj": p_adj}  # fmt: skip
#: How each measure is displayed (its label and long name are in the conclusions strings,
#: ``[conclusions.measures.<measure>]``): ``ratio`` and ``number`` with two decimals,
#: ``pp`` a difference of proportions in percentage points, ``pct`` a proportion as a
#: percentage, ``count`` "n of total", ``rho`` a correlation with two decimals.
MEASURES = {
    "conditional_or": "ratio",
    "conditional_rr": "ratio",
    "adjusted_md": "number",
    "crude_md": "number",
    "crude_rd": "pp",
    "att_rd": "pp",
    "att_or_dr": "ratio",
    "att_rr_dr": "ratio",
    "att_md_dr": "number",
    "share_grade_pass": "pct",
    "n_units_exceeding": "count",
    "n_municipalities_exceeding": "count",
    "n_units_far_below": "count",
    "n_units_below": "count",
    "n_units_continuing": "count",
    "n_units_safeguarded": "count",
    "spearman_rho": "rho",
}

SCORECARD = TableSpec(
    "claims_scorecard",
    ("claim", "part", "chapter", "outcome", "verdict", "claim_verdict", "rule", "short_rule",
     "evidence", "sensitivity", "measure", "estimate", "total", "ci_low", "ci_high", "p_adj",
     "truth", "covered", "truth_status"),
    "Claims scorecard: each headline claim of the 2014 study (design brief §1) with the "
    "verdict of every record a chapter made and the claim-level verdict",
    extra_columns={
        "claim": ("integer", "Headline claim number (pipeline/report/claims.py, 1-11)"),
        "part": ("integer", "Record number within the claim (1, 2, ...; a claim may rest on "
                 "several records)"),
        "chapter": ("string", "Chapter that recorded the verdict (empty: no chapter did)"),
        "verdict": ("string", "This record's verdict: supported, indicative, not_supported, "
                    "not_testable"),
        "claim_verdict": ("string", "Verdict on the whole claim from its records that are no "
                          "sensitivity record: supported when every one is supported, "
                          "not_supported when any is not, indicative when all are supported "
                          "or indicative, else not_testable"),
        "sensitivity": ("string", "Empty for a record that counts; else the key (recording "
                        "chapter's [<chapter>.claims]) of the alternative reading this "
                        "sensitivity record applies; it does not count in claim_verdict"),
        "rule": ("string", "Key of the rule applied, in [<chapter>.claims] of the recording "
                 "chapter's strings (pipeline/report/claims.py)"),
        "short_rule": ("string", "Key of the rule in a few words, in the same strings table"),
        "evidence": ("string", "Key of what the numbers showed, or why the claim is not "
                     "testable (recording chapter's [<chapter>.claims]; for a claim no "
                     "chapter recorded, [conclusions.evidence])"),
        "measure": ("string", "Scale of the estimate, e.g. conditional_or, adjusted_md, "
                    "share_grade_pass, n_units_exceeding, spearman_rho (labels and display "
                    "formats in the conclusions chapter's MEASURES and strings)"),
        "estimate": ("number", "Estimate behind the verdict (primary analysis)"),
        "total": ("integer", "Denominator of a count estimate (e.g. the number of units for "
                  "n_units_exceeding); empty otherwise"),
        "ci_low": ("number", "Lower confidence bound of the estimate (level 1 - alpha)"),
        "ci_high": ("number", "Upper confidence bound of the estimate"),
        "p_adj": ("number", "Multiplicity-adjusted p-value behind the verdict"),
        "truth": ("number", "Synthetic study: the planted true value on the estimate's own "
                  "scale (empty for real data)"),
        "covered": ("boolean", "Synthetic study: whether the confidence interval covers the "
                    "planted truth (a count without interval: equals it; empty for real "
                    "data)"),
        "truth_status": ("string", "Synthetic study: planted, or not_planted when the "
                         "generator plants no value for this estimate (conclusions/truth.py); "
                         "empty for real data"),
    },
)
COLUMNS = SCORECARD.columns


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def collect_claims(earlier: Mapping[str, Any]) -> list[tuple[str, dict]]:
    """Every ``(chapter, record)`` under ``earlier[<chapter>]["claims"]``, in stats order."""
    found = []
    for chapter, entry in earlier.items():
        if chapter == "conclusions" or not isinstance(entry, Mapping):
            continue  # this chapter's own claim-level summary is no record
        claims = entry.get("claims")
        if not isinstance(claims, list):
            continue
        for record in claims:
            if isinstance(record, Mapping) and record.get("claim") in CLAIMS:
                found.append((str(chapter), dict(record)))
    return found


def records_by_claim(earlier: Mapping[str, Any]) -> dict[int, list[tuple[str, dict]]]:
    """``collect_claims`` grouped by claim (every claim present, possibly empty); the
    scorecard's ``part`` is the 1-based position in its claim's list."""
    by_claim: dict[int, list[tuple[str, dict]]] = {c: [] for c in CLAIMS}
    for chapter, record in collect_claims(earlier):
        by_claim[int(record["claim"])].append((chapter, record))
    return by_claim


def claim_verdict(verdicts: list[str]) -> str:
    """The claim-level verdict from its records' verdicts (rule in the module docstring)."""
    if not verdicts:
        return "not_testable"
    if "not_supported" in verdicts:
        return "not_supported"
    if all(v == "supported" for v in verdicts):
        return "supported"
    if all(v in ("supported", "indicative") for v in verdicts):
        return "indicative"
    return "not_testable"


def scorecard(
    earlier: Mapping[str, Any], absent: Mapping[int, bool] | None = None
) -> pd.DataFrame:
    """The scorecard table: one row per record, one "not testable" row per unrecorded claim.

    ``absent[claim]`` is True when the data set the claim's chapter needs is absent (the
    evidence then says so instead of "no chapter recorded it").
    """
    absent = dict(absent or {})
    by_claim = records_by_claim(earlier)
    rows = []
    for claim in CLAIMS:
        entries = by_claim[claim]
        verdict = claim_verdict([str(r.get("verdict")) for _, r in entries
                                 if not r.get("sensitivity")])
        if not entries:
            rows.append({
                "claim": claim, "part": 1, "chapter": "", "outcome": "",
                "verdict": "not_testable", "claim_verdict": verdict, "rule": "",
                "short_rule": "", "sensitivity": "",
                "evidence": "source_absent" if absent.get(claim) else "not_recorded",
                "measure": "", "estimate": None, "total": None, "ci_low": None, "ci_high": None,
                "p_adj": None, "truth": None, "covered": None,
            })  # fmt: skip
            continue
        for part, (chapter, record) in enumerate(entries, start=1):
            covered = record.get("covered")
            rows.append({
                "claim": claim, "part": part, "chapter": chapter,
                "outcome": str(record.get("outcome") or ""),
                "verdict": str(record.get("verdict")), "claim_verdict": verdict,
                "rule": str(record.get("rule") or ""),
                "short_rule": str(record.get("short_rule") or ""),
                "evidence": str(record.get("evidence") or ""),
                "sensitivity": str(record.get("sensitivity") or ""),
                "measure": str(record.get("measure") or ""),
                "estimate": _number(record.get("estimate")),
                "total": _integer(record.get("total")),
                "ci_low": _number(record.get("ci_low")),
                "ci_high": _number(record.get("ci_high")),
                "p_adj": _number(record.get("p_adj")),
                "truth": _number(record.get("truth")),
                "covered": covered if isinstance(covered, bool) else None,
            })  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("estimate", "ci_low", "ci_high", "p_adj", "truth"):
        frame[column] = frame[column].astype("float64")
    frame["total"] = frame["total"].astype("Int64")
    frame["covered"] = frame["covered"].astype("boolean")
    return frame


def scorecard_values(earlier: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The placeholder values of every record's strings, keyed ``"<claim>.<part>"`` like the
    scorecard's rows (``stats["conclusions"]["values"]``; the view fills the strings with
    them)."""
    return {
        f"{claim}.{part}": dict(record.get("values") or {})
        for claim, entries in records_by_claim(earlier).items()
        for part, (_, record) in enumerate(entries, start=1)
    }


def claim_summary(table: pd.DataFrame) -> list[dict[str, Any]]:
    """One entry per claim: verdict, number of records, and how many are supported."""
    out = []
    for claim, rows in table.groupby("claim", sort=True):
        recorded = rows[(rows["chapter"] != "") & (rows["sensitivity"] == "")]
        out.append({
            "claim": int(claim),
            "verdict": str(rows["claim_verdict"].iloc[0]),
            "n_records": len(recorded),
            "n_supported": int((recorded["verdict"] == "supported").sum()),
            "evidence": "" if len(recorded) else str(rows["evidence"].iloc[0]),
        })  # fmt: skip
    return out


def _outcome_labels(record: Mapping[str, Any], crude: Mapping[str, Any] | None) -> dict:
    """The outcome's labels: from the crude comparison, else the record's ``outcome``
    text value, else the outcome key."""
    name = str(record.get("outcome") or "")
    if crude is not None:
        return {"label_nl": str(crude.get("label_nl", name)),
                "label_en": str(crude.get("label_en", name))}  # fmt: skip
    text = (record.get("values") or {}).get("outcome", {}).get("value")
    if isinstance(text, Mapping):
        return {"label_nl": str(text.get("nl", name)), "label_en": str(text.get("en", name))}
    return {"label_nl": name, "label_en": name}


def key_effects(earlier: Mapping[str, Any], table: pd.DataFrame) -> list[dict[str, Any]]:
    """The effects the summary shows: for each record of claims 1-4 with an estimate, the
    crude comparison of the same outcome (when a chapter wrote one under
    ``stats[employment|scales][<outcome>]``) and the record's primary estimate."""
    del table  # the records themselves carry what the summary needs
    out: list[dict[str, Any]] = []
    by_claim = records_by_claim(earlier)
    for claim in KEY_CLAIMS:
        for _, record in by_claim[claim]:
            estimate = _number(record.get("estimate"))
            if estimate is None:
                continue
            outcome = str(record.get("outcome") or "")
            crude, spec = None, None
            for key, columns in CRUDE.items():
                entry = earlier.get(key)
                if isinstance(entry, Mapping) and isinstance(entry.get(outcome), Mapping):
                    crude, spec = entry[outcome], columns
                    break
            labels = _outcome_labels(record, crude)
            if crude is not None and spec is not None and _number(crude.get(spec[0])) is not None:
                est, low, high, measure = spec
                values = (_number(crude.get(est)), _number(crude.get(low)),
                          _number(crude.get(high)))  # fmt: skip
                out.append({
                    "claim": claim, "estimator": "crude", "outcome": outcome, **labels,
                    "measure": measure, "estimate": values[0],
                    "ci_low": values[1], "ci_high": values[2],
                    # crude comparisons are descriptive: no multiplicity correction
                    "p_adj": None, "display": measure_kind(measure),
                    "row": _effects_row(outcome, "crude", CRUDE_EFFECT_MEASURE.get(measure),
                                        *values, None),
                })  # fmt: skip
            measure = str(record.get("measure") or "")
            own = next((o for o in record.get("outcomes") or ()
                        if isinstance(o, Mapping) and o.get("outcome") == outcome), {})  # fmt: skip
            low, high = _number(record.get("ci_low")), _number(record.get("ci_high"))
            p_adj = _number(record.get("p_adj"))
            out.append({
                "claim": claim, "estimator": "primary", "outcome": outcome, **labels,
                "measure": measure, "estimate": estimate, "ci_low": low, "ci_high": high,
                "p_adj": p_adj, "display": measure_kind(measure),
                "row": _effects_row(outcome, str(record.get("method") or "adjusted"),
                                    own.get("measure"), estimate, low, high, p_adj),
            })  # fmt: skip
    return out


def units_line(earlier: Mapping[str, Any]) -> dict[str, int] | None:
    """Units meeting all their targets, for the summary (None without the units chapter)."""
    units = earlier.get("units")
    if not isinstance(units, Mapping):
        return None
    n_units, n_met = units.get("n_units"), units.get("n_exceeding_all")
    if not isinstance(n_units, int) or not isinstance(n_met, int):
        return None
    return {"n_units": n_units, "n_exceeding_all": n_met}


def _absent_sources(inputs: AnalysisInputs) -> dict[int, bool]:
    absent: dict[str, bool] = {}
    for _, dataset in TESTED_BY.values():
        if dataset in absent:
            continue
        try:
            inputs.data(dataset)
            absent[dataset] = False
        except SourceAbsent:
            absent[dataset] = True
    return {claim: absent[dataset] for claim, (_, dataset) in TESTED_BY.items()}


def analyze(inputs: AnalysisInputs) -> ChapterResults:
    table = with_planted_truth(scorecard(inputs.earlier, _absent_sources(inputs)), inputs.truth)
    efficiency, efficiency_stats = analyze_efficiency(inputs)
    stats = {
        "conclusions": {
            "claims": claim_summary(table),
            "n_supported": int((table.groupby("claim")["claim_verdict"].first()
                                == "supported").sum()),
            "n_claims": len(CLAIMS),
            "key_effects": key_effects(inputs.earlier, table),
            "values": scorecard_values(inputs.earlier),
            "has_truth": bool(table["truth"].notna().any()),
            "units_line": units_line(inputs.earlier),
            # The summary's prose (headline.py) and section 8.2 (efficiency.py).
            "headline": headline(inputs.earlier),
            "efficiency": efficiency_stats,
        }
    }
    return ChapterResults(tables={"claims_scorecard": table,
                                  "conclusions_efficiency": efficiency}, stats=stats)


def measure_kind(measure: str) -> str:
    """How an estimate on ``measure`` is displayed (``MEASURES``; ``number`` if unknown)."""
    return MEASURES.get(measure or "", "number")


def _text(table: Mapping[str, Any], key: str, where: str) -> str:
    text = table.get(key)
    if not isinstance(text, str):
        raise KeyError(f"claims scorecard: no string {key!r} in {where}; add it to the "
                       "recording chapter's nl.toml and en.toml (pipeline/report/claims.py)")
    return text


def scorecard_rows(table: pd.DataFrame, stats: Mapping[str, Any],
                   strings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The scorecard rows for the template: each record's rule, short rule and evidence
    strings (unfilled) with the values for their placeholders (``stats["conclusions"]
    ["values"]``), and its measure's label, name and display kind. Raises KeyError when a
    string is missing, so that no raw key ever reaches the report."""
    values = stats.get("conclusions", {}).get("values", {})
    con = strings["conclusions"]
    rows = []
    for row in records(table):
        claim, part = int(row["claim"]), int(row["part"])
        measure = row["measure"] or ""
        row["kind"] = measure_kind(measure)
        if measure:
            names = con["measures"].get(measure)
            if not isinstance(names, Mapping):
                raise KeyError(f"claims scorecard: measure {measure!r} has no "
                               "[conclusions.measures] entry")
            row["measure_label"], row["measure_name"] = names["label"], names["name"]
        else:
            row["measure_label"] = row["measure_name"] = ""
        if row["chapter"]:
            chapter = row["chapter"]
            table_ = claim_strings(strings, chapter)
            where = f"[{chapter}.claims]"
            row["rule_text"] = _text(table_, row["rule"], where)
            row["short_text"] = _text(table_, row["short_rule"], where)
            row["evidence_text"] = _text(table_, row["evidence"], where)
            row["sensitivity_text"] = (_text(table_, row["sensitivity"], where)
                                       if row["sensitivity"] else "")  # fmt: skip
            row["fill"] = dict(values.get(f"{claim}.{part}", {}))
        else:
            row["rule_text"] = row["short_text"] = row["sensitivity_text"] = ""
            row["evidence_text"] = _text(con["evidence"], row["evidence"],
                                         "[conclusions.evidence]")
            row["fill"] = {"chapter": {"value": con["tested_by"][f"c{claim}"],
                                       "format": "text"}}
        rows.append(row)
    return rows


def measures_used(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The measures of the scorecard in order of appearance, for the table note; a measure
    without a label (a percentage, a count) names the claim it is shown for."""
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["measure"] and row["estimate"] is not None and row["measure"] not in seen:
            seen[row["measure"]] = {"label": row["measure_label"], "name": row["measure_name"],
                                    "claim": int(row["claim"])}  # fmt: skip
    return list(seen.values())


def view(inputs: ViewInputs) -> dict:
    rows = scorecard_rows(inputs.tables["claims_scorecard"], inputs.stats, inputs.strings)
    sections = []
    verdicts = {c["claim"]: c for c in inputs.stats["conclusions"]["claims"]}
    values = inputs.stats["conclusions"].get("values", {})
    for name, claims in SECTIONS.items():
        sections.append({"name": name, "claims": [
            {**verdicts[c], "fill": dict(values.get(f"{c}.1", {}))}
            for c in claims if c in verdicts]})  # fmt: skip
    return {"scorecard_rows": rows, "scorecard_measures": measures_used(rows),
            "conclusion_sections": sections,
            "efficiency_rows": (records(inputs.tables["conclusions_efficiency"])
                                if "conclusions_efficiency" in inputs.tables else []),
            "recommendations": recommendations(inputs.stats)}


CHAPTER = Chapter(
    key="conclusions",
    tables=(SCORECARD, EFFICIENCY),
    exhibits=("table:claims_scorecard", "table:conclusions_efficiency"),
    stats=("conclusions.claims", "conclusions.n_supported", "conclusions.n_claims",
           "conclusions.has_truth", "conclusions.values", "study.synthetic", "study.confidence",
           "conclusions.headline", "conclusions.efficiency"),
    analyze=analyze,
    view=view,
)
