"""Chapter 6's view: reshapes its results tables for ``template.html.j2`` (effects grouped
per outcome, baseline rows grouped per characteristic, the other tables as records).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from analysis.imputation_count import RULE
from pipeline.report.chapter import ViewInputs, chapter_module
from pipeline.report.view import records


def _with_notes(rows: list[dict], failed: list[dict], table: str,
                match: Callable[[dict, dict], bool]) -> list[dict]:
    """Records of a table without a note column, with the ``note`` of the entries of
    ``stats.jobseekers.not_estimable`` that ``match`` them (no key when none does)."""
    entries = [f for f in failed if f["table"] == table]
    for row in rows:
        note = next((f["note"] for f in entries if match(row, f)), None)
        if note is not None:
            row["note"] = note
    return rows


def _applications(rows: list[dict], by_outcome: dict[str, dict]) -> list[dict]:
    """The count comparisons of Table "applications": the Poisson rows are the effects
    table's own rows (crude, and adjusted on complete cases), so one model has one result
    in the report; each is shown before the negative-binomial row of the same data, whose
    n and means it shares."""
    out = []
    for r in rows:
        if r["method"] == "negative_binomial":
            meth = "adjusted_cc" if r["covariates"] else "crude"
            effect = by_outcome.get(r["outcome"], {}).get("rows", {}).get(f"{meth}:rate_ratio")
            if effect is not None:
                out.append({**r, "method": "poisson_robust", "effect": effect})
        out.append(r)
    return out


#: The effects table's rows per outcome, in order: (method, measures shown); the weighted
#: sensitivity analyses have their own table (``sensitivity``).
EFFECT_ROWS = (
    ("crude", None), ("adjusted", None), ("adjusted_att", ("risk_difference",)),
    ("adjusted_cc", None), ("weighted", None), ("doubly_robust", None),
)
SENSITIVITY_METHODS = ("doubly_robust", "weighted", "weighted_trimmed", "weighted_ato",
                       "adjusted_cc", "doubly_robust_cc_not_working", "adjusted_cc_not_working")
PRIMARY = {"binary": "odds_ratio", "continuous": "mean_difference", "count": "rate_ratio"}


def _display(group: dict) -> list[dict]:
    """The outcome's effect rows in table order (measure by measure), present rows only."""
    measures = (["odds_ratio", "risk_difference"] if group["kind"] == "binary"
                else [PRIMARY[group["kind"]]])  # fmt: skip
    out = []
    for measure in measures:
        for method, only in EFFECT_ROWS:
            row = group["rows"].get(f"{method}:{measure}")
            if row is not None and (only is None or measure in only):
                out.append({**row, "first_of_measure": not out or out[-1]["measure"] != measure})
    return out


def view(inputs: ViewInputs) -> dict:
    t = inputs.tables
    failed = inputs.stats["jobseekers"].get("not_estimable", [])
    effects = t["jobseekers_effects"]
    by_outcome: dict[str, dict] = {}
    for r in records(effects, "jobseekers_effects"):
        by_outcome.setdefault(r["outcome"], {"outcome": r["outcome"], "label_nl": r["label_nl"],
                                             "label_en": r["label_en"], "kind": r["kind"],
                                             "rows": {}})  # fmt: skip
        by_outcome[r["outcome"]]["rows"][f"{r['method']}:{r['measure']}"] = r
    for group in by_outcome.values():
        group["display"] = _display(group)
        group["primary"] = next((r for r in group["rows"].values() if r.get("primary")), None)
        group["sensitivity"] = [group["rows"][key] for key in
                                (f"{m}:{PRIMARY[group['kind']]}" for m in SENSITIVITY_METHODS)
                                if key in group["rows"]]  # fmt: skip
    truth_rows = [r for r in records(effects) if r.get("truth") is not None]
    bench = records(t["jobseekers_evalue_benchmark"])
    bench_covariates = list(dict.fromkeys(r["covariate"] for r in bench))
    evalue_rows = records(t["jobseekers_evalues"])
    for r in evalue_rows:
        r["benchmarks"] = [next((b["rr"] for b in bench if b["outcome"] == r["outcome"]
                                 and b["covariate"] == c), None) for c in bench_covariates]
    treatment = inputs.stats["jobseekers"].get("treatment_column", "werktop")
    bench_treatment = [b for b in bench if b["outcome"] == treatment]
    baseline_rows = records(t["jobseekers_baseline"])
    variables: list[dict] = []
    for r in baseline_rows:
        if not variables or variables[-1]["variable"] != r["variable"]:
            variables.append({**r, "levels": []})
        if r["kind"] == "categorical":
            variables[-1]["levels"].append(r)
    literature = chapter_module("literature", Path(__file__).resolve().parent.parent)
    cites = {e["key"]: e["cite"] for e in literature.references()}
    return {
        # the imputation rule as printed and its source in the literature list
        "imputation_rule": {"formula": RULE, "cite": cites["von_hippel"]},
        "employment": records(t["employment_comparison"], "employment_comparison"),
        "scales": records(t["scale_comparison"], "scale_comparison"),
        "effects": list(by_outcome.values()),
        "truth_rows": truth_rows,
        "overlap_summary": next(iter(records(t["jobseekers_overlap_summary"])), None),
        "weighting_warnings": records(t["jobseekers_weighting_warnings"]),
        "baseline": variables,
        "balance": records(t["jobseekers_balance"]),
        "weights": records(t["jobseekers_weights"]),
        "evalues": evalue_rows,
        "benchmark_covariates": bench_covariates,
        "benchmark_treatment": bench_treatment,
        "clustering": records(t["jobseekers_clustering"]),
        "applications": _with_notes(
            _applications(records(t["jobseekers_applications"]), by_outcome), failed,
            "jobseekers_applications",
            lambda r, f: (r["outcome"], "adjusted" if r["covariates"] else "crude")
            == (f["outcome"], f["what"])),
        "channels": records(t["jobseekers_channels"], "jobseekers_channels"),
        "satisfaction": _with_notes(
            records(t["jobseekers_satisfaction"]), failed, "jobseekers_satisfaction",
            lambda r, f: (r["outcome"], r["method"]) == (f["outcome"], f["what"])),
        "satisfaction_note": next((f["note"] for f in failed if f["table"]
                                   == "jobseekers_satisfaction" and f["what"] == "all"), None),
        "reliability": records(t["jobseekers_reliability"]),
        "item_rest": records(t["jobseekers_item_rest"]),
        "rm_items": records(t["jobseekers_rm_items"]),
        "rm_rating": records(t["jobseekers_rm_rating"], "jobseekers_rm_rating"),
        # one source for the section and its copy in appendix II
        "js_wishes": records(t["jobseekers_wishes"], "jobseekers_wishes"),
    }
