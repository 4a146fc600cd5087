"""Chapter 6's view: reshapes its results tables for ``template.html.j2`` (effects grouped
per outcome, baseline rows grouped per characteristic, the other tables as records).
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.report.chapter import ViewInputs
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


def view(inputs: ViewInputs) -> dict:
    t = inputs.tables
    failed = inputs.stats["jobseekers"].get("not_estimable", [])
    effects = t["jobseekers_effects"]
    by_outcome: dict[str, dict] = {}
    for r in records(effects):
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
    return {
        "employment": records(t["employment_comparison"]),
        "scales": records(t["scale_comparison"]),
        "effects": list(by_outcome.values()),
        "baseline": variables,
        "balance": records(t["jobseekers_balance"]),
        "weights": records(t["jobseekers_weights"]),
        "evalues": records(t["jobseekers_evalues"]),
        "clustering": records(t["jobseekers_clustering"]),
        "applications": _with_notes(
            records(t["jobseekers_applications"]), failed, "jobseekers_applications",
            lambda r, f: (r["outcome"], "adjusted" if r["covariates"] else "crude")
            == (f["outcome"], f["what"])),
        "channels": records(t["jobseekers_channels"]),
        "satisfaction": _with_notes(
            records(t["jobseekers_satisfaction"]), failed, "jobseekers_satisfaction",
            lambda r, f: (r["outcome"], r["method"]) == (f["outcome"], f["what"])),
        "satisfaction_note": next((f["note"] for f in failed if f["table"]
                                   == "jobseekers_satisfaction" and f["what"] == "all"), None),
        "reliability": records(t["jobseekers_reliability"]),
        "item_rest": records(t["jobseekers_item_rest"]),
        "rm_items": records(t["jobseekers_rm_items"]),
        "rm_rating": records(t["jobseekers_rm_rating"]),
    }
