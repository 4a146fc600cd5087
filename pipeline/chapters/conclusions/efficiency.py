"""Section 8.2 "doelmatig?": placements per 100 hours invested and cost per placement.

From the unit register (hours of the municipality and of the consultancy, achieved regular
jobs and work-experience places) per evaluated unit and in total
(``analysis.efficiency.placement_costs``). The cost per placement needs both hourly rates
of the study config (``[costs] hourly_rate_municipality`` and
``hourly_rate_consultancy``); without them the table has no cost columns filled and the
text says the rate is not given. The hours are what the register records: time of other
staff, employers' time and wage subsidies are not in it, and the text says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.efficiency import placement_costs
from pipeline.report.chapter import AnalysisInputs, SourceAbsent, TableSpec

HOURS = ("uren_gemeente", "uren_adviesbureau")
PLACEMENTS = ("behaald_regulier", "behaald_wep")
TOTAL = "total"

EFFICIENCY = TableSpec(
    "conclusions_efficiency",
    ("unit", "unit_name", "hours_municipality", "hours_consultancy", "hours", "placements",
     "placements_per_100_hours", "cost", "cost_per_placement"),
    "Doelmatigheid (section 8.2): hours invested, placements (regular jobs + "
    "work-experience places), placements per 100 hours and, with the config's hourly "
    "rates, cost per placement, per evaluated unit and in total",
    may_be_empty=True,
    extra_columns={
        "hours_municipality": ("number", "Hours invested by the municipality (register)"),
        "hours_consultancy": ("number", "Hours invested by the consultancy (register)"),
        "hours": ("number", "Hours invested in total (municipality + consultancy)"),
        "placements": ("number", "Regular jobs + work-experience places achieved"),
        "placements_per_100_hours": ("number", "100 x placements / hours; the total row is "
                                     "the ratio of the sums"),
        "cost": ("number", "Hours x the config's hourly rates ([costs]); empty when a rate "
                 "is not given"),
        "cost_per_placement": ("number", "cost / placements; empty without rates or "
                               "placements"),
    },
)


def efficiency_table(units: pd.DataFrame, codebook: Any,
                     costs: Mapping[str, float]) -> pd.DataFrame:
    """The table of ``EFFICIENCY`` for the evaluated units (codebook order) and the total."""
    order = {u.id: i for i, u in enumerate(codebook.units)}
    names = {u.id: u.name for u in codebook.units}
    frame = units[units["unit"].isin(order)].copy()
    frame = frame.assign(_o=frame["unit"].map(order)).sort_values("_o", kind="stable")
    table = placement_costs(
        frame.reset_index(drop=True), hours=HOURS, placements=PLACEMENTS,
        rates=(costs.get("hourly_rate_municipality"), costs.get("hourly_rate_consultancy")),
        total_label=TOTAL,
    )  # fmt: skip
    table = table.rename(columns={"hours_a": "hours_municipality",
                                  "hours_b": "hours_consultancy"})
    table.insert(1, "unit_name", table["unit"].map(names).fillna(""))
    return table[list(EFFICIENCY.columns)]


def analyze_efficiency(inputs: AnalysisInputs) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The table and ``stats["conclusions"]["efficiency"]`` (None without a register)."""
    costs = dict(inputs.study.get("costs") or {})
    try:
        units = inputs.data("units")
    except SourceAbsent:
        return pd.DataFrame(columns=list(EFFICIENCY.columns)), {"available": False}
    table = efficiency_table(units, inputs.codebook, costs)
    body = table[table["unit"] != TOTAL]
    total = table[table["unit"] == TOTAL].iloc[0]
    rated = bool(costs.get("hourly_rate_municipality") and costs.get("hourly_rate_consultancy"))
    per_100 = body["placements_per_100_hours"]
    best = body.loc[per_100.idxmax()] if per_100.notna().any() else None
    worst = body.loc[per_100.idxmin()] if per_100.notna().any() else None
    stats = {
        "available": True,
        "rated": rated,
        "rates": costs,
        "n_units": len(body),
        "total_hours": float(total["hours"]),
        "total_placements": float(total["placements"]),
        "total_per_100_hours": float(total["placements_per_100_hours"]),
        "total_cost_per_placement": (float(total["cost_per_placement"]) if rated else None),
        "best": None if best is None else {"unit": str(best["unit_name"]),
                                           "per_100": float(best["placements_per_100_hours"])},
        "worst": None if worst is None else {"unit": str(worst["unit_name"]),
                                             "per_100": float(worst["placements_per_100_hours"])},
    }
    return table, stats
