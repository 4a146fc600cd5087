"""The scorecard's planted truth for the claims about units and municipalities.

A synthetic study's ``truth.json`` (written by ``synthetic/``) plants, per unit, whether it
exceeds all its targets, its attainment class (``attainment``: above all targets, somewhat
below, far below), its member municipalities and its intention after the project
(``voortzetten``: ja / twijfel / nee). The claims about these (5, 9 and 10 and their
sensitivity rows) are counts of units, so their truth is the same count over the planted
values, read from the truth file here (never typed in); ``covered`` then says whether the
estimate equals it.

What the generator does not plant is marked ``not_planted``, and the report says so instead
of leaving the cell blank: targets pro-rated to a shorter project (the generator plants
attainment against the full targets only), the structural safeguards of claim 11 (the
interview codes are drawn at random per fragment; no per-unit truth is written), and every
other claim without a planted value on its estimate's scale. Real data: no status at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

#: The generator's attainment class of a unit far below its targets (``truth.json``).
FAR_BELOW_CLASS = "ver onder de doelen"

Units = Mapping[str, Mapping[str, Any]]


def _exceeding(units: Units) -> list[Mapping[str, Any]]:
    return [u for u in units.values() if u.get("exceeds_all_targets") is True]


#: (claim, measure, sensitivity or "") -> the planted count from the truth file's units.
PLANTED: dict[tuple[int, str, str], Callable[[Units], float]] = {
    (5, "n_units_exceeding", ""): lambda units: float(len(_exceeding(units))),
    (5, "n_municipalities_exceeding", "sensitivity_members"):
        lambda units: float(sum(len(u.get("members") or ()) for u in _exceeding(units))),
    (9, "n_units_far_below", ""):
        lambda units: float(sum(u.get("attainment") == FAR_BELOW_CLASS for u in units.values())),
    (9, "n_units_below", "sensitivity_behind"):
        lambda units: float(sum(u.get("exceeds_all_targets") is False for u in units.values())),
    (10, "n_units_continuing", ""):
        lambda units: float(sum(u.get("voortzetten") == "ja" for u in units.values())),
    (10, "n_units_continuing", "sensitivity_doubt"):
        lambda units: float(sum(u.get("voortzetten") in ("ja", "twijfel")
                                for u in units.values())),
}  # fmt: skip


def planted_units(truth: Mapping[str, Any] | None) -> Units | None:
    """The units the generator planted (``parameters.units``), or None."""
    if not isinstance(truth, Mapping):
        return None
    units = (truth.get("parameters") or {}).get("units")
    return units if isinstance(units, Mapping) and units else None


def with_planted_truth(table: pd.DataFrame, truth: Mapping[str, Any] | None) -> pd.DataFrame:
    """The scorecard with the planted counts filled in where the record has no truth, and
    ``truth_status``: "planted", "not_planted" (synthetic study) or "" (real data)."""
    out = table.copy()
    out["truth_status"] = ""
    if not isinstance(truth, Mapping):
        return out
    units = planted_units(truth)
    for i, row in out.iterrows():  # one row per claim record (a dozen), not survey data
        if pd.isna(row["truth"]) and units is not None:
            rule = PLANTED.get((int(row["claim"]), str(row["measure"]),
                                str(row["sensitivity"] or "")))  # fmt: skip
            if rule is not None:
                value = rule(units)
                out.at[i, "truth"] = value
                if pd.notna(row["estimate"]):
                    out.at[i, "covered"] = bool(float(row["estimate"]) == value)
        out.at[i, "truth_status"] = "not_planted" if pd.isna(out.at[i, "truth"]) else "planted"
    return out
