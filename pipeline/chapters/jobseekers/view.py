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
        "baseline": variables,
        "balance": records(t["jobseekers_balance"]),
        "weights": records(t["jobseekers_weights"]),
        "evalues": records(t["jobseekers_evalues"]),
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
    }
