"""Chapter 6's view: reshapes its results tables for ``template.html.j2`` (effects grouped
per outcome, baseline rows grouped per characteristic, the other tables as records).
"""

from __future__ import annotations

from pipeline.chapter import ViewInputs
from pipeline.view import records


def view(inputs: ViewInputs) -> dict:
    t = inputs.tables
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
        "applications": records(t["jobseekers_applications"]),
        "channels": records(t["jobseekers_channels"]),
        "satisfaction": records(t["jobseekers_satisfaction"]),
        "reliability": records(t["jobseekers_reliability"]),
        "item_rest": records(t["jobseekers_item_rest"]),
        "rm_items": records(t["jobseekers_rm_items"]),
        "rm_rating": records(t["jobseekers_rm_rating"]),
    }
