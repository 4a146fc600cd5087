"""Chapter 8, conclusions: the claims scorecard and the study's conclusions built from it.

Every chapter that re-tests a headline claim of the 2014 study puts ``claim_record`` dicts
(``pipeline/claims.py``) in a list under ``stats[<chapter>]["claims"]``. This chapter runs
after them (registry order), collects every record from ``inputs.earlier`` and writes

- ``claims_scorecard``: one row per record (a claim may rest on several records, e.g.
  treatment *and* satisfaction for claim 4), plus one "not testable" row per claim nobody
  recorded, with the claim-level verdict beside each record's own;
- ``stats["conclusions"]``: the claim-level verdicts (for this chapter's text and the
  summary's scorecard) and the key effects the summary shows.

Claim-level verdict rule: *supported* when every record of the claim is supported;
*not supported* when at least one record is not supported; otherwise (no record, or some
parts not testable) *not testable*. A claim no chapter recorded is not testable because
its source is absent (the study has no input for the chapter that tests it) or because no
chapter tests it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from pipeline.chapter import (
    AnalysisInputs,
    Chapter,
    ChapterResults,
    SourceAbsent,
    TableSpec,
    ViewInputs,
)
from pipeline.claims import CLAIMS
from pipeline.view import records

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
}
#: The conclusions' sections (study chapter 8) and the claims each one discusses.
SECTIONS = {
    "beoordeling": (7, 4, 8),
    "effectief": (1, 2, 3, 5),
    "factoren": (6,),
}
#: Key effects for the summary: (claim, outcome of the crude comparison, crude stats key,
#: crude estimate column, CI columns, measure).
CRUDE = (
    (1, "werk_regulier", "employment", "risk_difference", "rd_ci_low", "rd_ci_high", "crude_rd"),
    (2, "scale_zoekgedrag", "scales", "mean_difference", "md_ci_low", "md_ci_high", "crude_md"),
    (3, "scale_eigen_effectiviteit", "scales", "mean_difference", "md_ci_low", "md_ci_high",
     "crude_md"),
    (4, "scale_bejegening", "scales", "mean_difference", "md_ci_low", "md_ci_high", "crude_md"),
)

SCORECARD = TableSpec(
    "claims_scorecard",
    ("claim", "part", "chapter", "outcome", "verdict", "claim_verdict", "rule", "evidence",
     "measure", "estimate", "ci_low", "ci_high", "p_adj", "truth", "covered"),
    "Claims scorecard: each headline claim of the 2014 study (design brief §1) with the "
    "verdict of every record a chapter made and the claim-level verdict",
    extra_columns={
        "claim": ("integer", "Headline claim number (pipeline/claims.py, 1-8)"),
        "part": ("integer", "Record number within the claim (1, 2, ...; a claim may rest on "
                 "several records)"),
        "chapter": ("string", "Chapter that recorded the verdict (empty: no chapter did)"),
        "verdict": ("string", "This record's verdict: supported, not_supported, not_testable"),
        "claim_verdict": ("string", "Verdict on the whole claim: supported when every record "
                          "is supported, not_supported when any is not, else not_testable"),
        "rule": ("string", "Key of the rule applied (conclusions strings) or plain text"),
        "evidence": ("string", "Key of what the numbers showed, or why the claim is not "
                     "testable (conclusions strings) or plain text"),
        "measure": ("string", "Scale of the estimate, e.g. conditional_or, att_rd, "
                    "spearman_rho"),
        "estimate": ("number", "Estimate behind the verdict (primary analysis)"),
        "ci_low": ("number", "Lower confidence bound of the estimate (level 1 - alpha)"),
        "ci_high": ("number", "Upper confidence bound of the estimate"),
        "p_adj": ("number", "Multiplicity-adjusted p-value behind the verdict"),
        "truth": ("number", "Synthetic study: the planted true value on the estimate's own "
                  "scale (empty for real data)"),
        "covered": ("boolean", "Synthetic study: whether the confidence interval covers the "
                    "planted truth (empty for real data)"),
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


def collect_claims(earlier: Mapping[str, Any]) -> list[tuple[str, dict]]:
    """Every ``(chapter, record)`` under ``earlier[<chapter>]["claims"]``, in stats order."""
    found = []
    for chapter, entry in earlier.items():
        if not isinstance(entry, Mapping):
            continue
        claims = entry.get("claims")
        if not isinstance(claims, list):
            continue
        for record in claims:
            if isinstance(record, Mapping) and record.get("claim") in CLAIMS:
                found.append((str(chapter), dict(record)))
    return found


def claim_verdict(verdicts: list[str]) -> str:
    """The claim-level verdict from its records' verdicts (rule in the module docstring)."""
    if not verdicts:
        return "not_testable"
    if "not_supported" in verdicts:
        return "not_supported"
    if all(v == "supported" for v in verdicts):
        return "supported"
    return "not_testable"


def scorecard(
    earlier: Mapping[str, Any], absent: Mapping[int, bool] | None = None
) -> pd.DataFrame:
    """The scorecard table: one row per record, one "not testable" row per unrecorded claim.

    ``absent[claim]`` is True when the data set the claim's chapter needs is absent (the
    evidence then says so instead of "no chapter recorded it").
    """
    absent = dict(absent or {})
    by_claim: dict[int, list[tuple[str, dict]]] = {c: [] for c in CLAIMS}
    for chapter, record in collect_claims(earlier):
        by_claim[int(record["claim"])].append((chapter, record))
    rows = []
    for claim in CLAIMS:
        entries = by_claim[claim]
        verdict = claim_verdict([str(r.get("verdict")) for _, r in entries])
        if not entries:
            rows.append({
                "claim": claim, "part": 1, "chapter": "", "outcome": "",
                "verdict": "not_testable", "claim_verdict": verdict, "rule": "",
                "evidence": "source_absent" if absent.get(claim) else "not_recorded",
                "measure": "", "estimate": None, "ci_low": None, "ci_high": None,
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
                "evidence": str(record.get("evidence") or ""),
                "measure": str(record.get("measure") or ""),
                "estimate": _number(record.get("estimate")),
                "ci_low": _number(record.get("ci_low")),
                "ci_high": _number(record.get("ci_high")),
                "p_adj": _number(record.get("p_adj")),
                "truth": _number(record.get("truth")),
                "covered": covered if isinstance(covered, bool) else None,
            })  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("estimate", "ci_low", "ci_high", "p_adj", "truth"):
        frame[column] = frame[column].astype("float64")
    frame["covered"] = frame["covered"].astype("boolean")
    return frame


def claim_summary(table: pd.DataFrame) -> list[dict[str, Any]]:
    """One entry per claim: verdict, number of records, and how many are supported."""
    out = []
    for claim, rows in table.groupby("claim", sort=True):
        recorded = rows[rows["chapter"] != ""]
        out.append({
            "claim": int(claim),
            "verdict": str(rows["claim_verdict"].iloc[0]),
            "n_records": len(recorded),
            "n_supported": int((recorded["verdict"] == "supported").sum()),
            "evidence": "" if len(recorded) else str(rows["evidence"].iloc[0]),
        })  # fmt: skip
    return out


def key_effects(earlier: Mapping[str, Any], table: pd.DataFrame) -> list[dict[str, Any]]:
    """The effects the summary shows: per claim 1-4 the crude comparison (when a chapter
    wrote one under ``stats[employment|scales][<outcome>]``) and the primary estimate of
    each record of the claim."""
    out: list[dict[str, Any]] = []
    for claim, outcome, key, est, low, high, measure in CRUDE:
        row = earlier.get(key, {}).get(outcome) if isinstance(earlier.get(key), Mapping) else None
        if isinstance(row, Mapping) and _number(row.get(est)) is not None:
            out.append({
                "claim": claim, "estimator": "crude", "outcome": outcome,
                "label_nl": str(row.get("label_nl", outcome)),
                "label_en": str(row.get("label_en", outcome)),
                "measure": measure, "estimate": _number(row.get(est)),
                "ci_low": _number(row.get(low)), "ci_high": _number(row.get(high)),
                "p_adj": _number(row.get("p_adj")), "display": measure_kind(measure),
            })  # fmt: skip
        recorded = table[(table["claim"] == claim) & (table["chapter"] != "")]
        for record in records(recorded):
            if record["estimate"] is None:
                continue
            label = record["outcome"] or ""
            crude = earlier.get(key, {}).get(label) if label else None
            out.append({
                "claim": claim, "estimator": "primary", "outcome": label,
                "label_nl": str(crude.get("label_nl", label)) if isinstance(crude, Mapping)
                else label,
                "label_en": str(crude.get("label_en", label)) if isinstance(crude, Mapping)
                else label,
                "measure": record["measure"] or "", "estimate": record["estimate"],
                "ci_low": record["ci_low"], "ci_high": record["ci_high"],
                "p_adj": record["p_adj"], "display": measure_kind(record["measure"] or ""),
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
    table = scorecard(inputs.earlier, _absent_sources(inputs))
    stats = {
        "conclusions": {
            "claims": claim_summary(table),
            "n_supported": int((table.groupby("claim")["claim_verdict"].first()
                                == "supported").sum()),
            "n_claims": len(CLAIMS),
            "key_effects": key_effects(inputs.earlier, table),
            "has_truth": bool(table["truth"].notna().any()),
            "units_line": units_line(inputs.earlier),
        }
    }
    return ChapterResults(tables={"claims_scorecard": table}, stats=stats)


def measure_kind(measure: str) -> str:
    """How an estimate is shown: ``pp`` (risk difference, percentage points), ``ratio``
    (odds/risk/rate ratio) or ``number`` (mean difference, correlation, ...)."""
    m = (measure or "").lower()
    if m.endswith("rd") or "risk_difference" in m or m.endswith("_pp"):
        return "pp"
    if m.endswith("or") or m.endswith("rr") or "ratio" in m:
        return "ratio"
    return "number"


def view(inputs: ViewInputs) -> dict:
    rows = records(inputs.tables["claims_scorecard"])
    for row in rows:
        row["kind"] = measure_kind(row["measure"] or "")
    sections = []
    verdicts = {c["claim"]: c for c in inputs.stats["conclusions"]["claims"]}
    for name, claims in SECTIONS.items():
        sections.append({"name": name, "claims": [verdicts[c] for c in claims if c in verdicts]})
    return {"scorecard_rows": rows, "conclusion_sections": sections}


CHAPTER = Chapter(
    key="conclusions",
    tables=(SCORECARD,),
    exhibits=("table:claims_scorecard",),
    stats=("conclusions.claims", "conclusions.n_supported", "conclusions.n_claims",
           "conclusions.has_truth", "study.synthetic", "study.confidence"),
    analyze=analyze,
    view=view,
)
