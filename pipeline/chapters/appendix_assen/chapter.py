"""Appendix III: comparison with the approach in Assen (comparison units of the register).

A study can name comparison units in ``data/codebook/units.toml`` (``comparison = true``)
and give each a register row; ``data/codebook/comparison.toml`` describes the approaches
(a feature matrix). Figures a comparison unit did not record are blank in the register and
shown as "–". Without comparison units the appendix says so.
"""

from __future__ import annotations

import tomllib

import pandas as pd

from pipeline.report.chapter import AnalysisInputs, Chapter, ChapterResults, TableSpec, ViewInputs
from pipeline.report.view import records
from pipeline.study.codebook import Codebook

FEATURES_FILE = "comparison.toml"
#: Register figures compared: (key, register column).
FIGURES = (
    ("population", "inwoners"),
    ("caseload", "wwb_bestand"),
    ("unemployment", "werkloosheid"),
    ("contacts", "behaald_contacten"),
    ("regular", "behaald_regulier"),
    ("wep", "behaald_wep"),
    ("hours", "uren_totaal"),
)
FEATURES = TableSpec(
    "comparison_features",
    ("feature", "label_nl", "label_en", "approach", "approach_nl", "approach_en",
     "value_nl", "value_en"),
    "Feature matrix of Werktop and the comparison units' approaches "
    "(data/codebook/comparison.toml)",
    may_be_empty=True,
    extra_columns={
        "feature": ("string", "Feature key"),
        "approach": ("string", "werktop or the comparison unit's id"),
        "approach_nl": ("string", "Name of the approach (Dutch)"),
        "approach_en": ("string", "Name of the approach (English)"),
        "value_nl": ("string", "Description (Dutch); missing when not described"),
        "value_en": ("string", "Description (English); missing when not described"),
    },
)  # fmt: skip
FIGURES_TABLE = TableSpec(
    "comparison_figures",
    ("unit", "unit_name", "comparison", "population", "caseload", "unemployment",
     "contacts", "regular", "wep", "hours", "placements_per_caseload"),
    "Register figures of the evaluated units and the comparison units (missing = not "
    "recorded)",
    may_be_empty=True,
    extra_columns={
        "comparison": ("integer", "1 = comparison unit, 0 = evaluated unit"),
        "population": ("number", "Population"),
        "caseload": ("number", "WWB caseload"),
        "unemployment": ("number", "Unemployment rate (%)"),
        "contacts": ("number", "New employer contacts achieved"),
        "regular": ("number", "Placements in regular jobs"),
        "wep": ("number", "Work-experience places"),
        "hours": ("number", "Hours invested (municipality + consultancy)"),
        "placements_per_caseload": ("number", "(regular + wep) per 1,000 WWB benefits; "
                                    "missing if either count is missing"),
    },
)  # fmt: skip


def comparison_features(codebook: Codebook) -> pd.DataFrame:
    """The feature matrix in long form: one row per feature and approach."""
    path = codebook.directory / FEATURES_FILE
    if not path.is_file() or not codebook.comparison_units:
        return pd.DataFrame(columns=list(FEATURES.columns))
    with path.open("rb") as fh:
        doc = tomllib.load(fh)
    names = doc.get("approaches", {})
    approaches = ["werktop", *(u.id for u in codebook.comparison_units)]
    unit_names = {u.id: u.name for u in codebook.comparison_units}
    rows = []
    for f in doc.get("features", []):
        for a in approaches:
            rows.append({
                "feature": f["key"], "label_nl": f["label_nl"], "label_en": f["label_en"],
                "approach": a,
                "approach_nl": names.get(f"{a}_nl", unit_names.get(a, a)),
                "approach_en": names.get(f"{a}_en", unit_names.get(a, a)),
                "value_nl": f.get(f"{a}_nl"), "value_en": f.get(f"{a}_en"),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=list(FEATURES.columns))


#: Placements are expressed per this many WWB recipients.
PER = 1000


def comparison_figures(units: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Register figures of evaluated and comparison units (comparison units last)."""
    listed = [*codebook.units, *codebook.comparison_units]
    order = {u.id: i for i, u in enumerate(listed)}
    frame = units[units["unit"].isin(order)].copy()
    frame["_o"] = frame["unit"].map(order)
    frame = frame.sort_values("_o", kind="stable").reset_index(drop=True)
    out = pd.DataFrame({"unit": frame["unit"]})
    out["unit_name"] = out["unit"].map({u.id: u.name for u in listed})
    out["comparison"] = out["unit"].isin({u.id for u in codebook.comparison_units}).astype(
        "int64")  # fmt: skip
    for key, column in FIGURES:
        out[key] = (frame[column].astype("Float64").astype("float64")
                    if column in frame else float("nan"))  # fmt: skip
    placements = out["regular"] + out["wep"]  # NaN if either is missing
    out["placements_per_caseload"] = (PER * placements / out["caseload"]).where(
        out["caseload"] > 0)  # fmt: skip
    return out[list(FIGURES_TABLE.columns)]


def comparison_ranking(figures: pd.DataFrame) -> list[dict]:
    """For each comparison unit with a known rate: the evaluated units that placed fewer
    people per 1,000 WWB recipients (``placements_per_caseload`` of ``figures``; the main
    text discusses a comparison unit wherever this list is not empty)."""
    evaluated = figures[figures["comparison"] == 0]
    out = []
    for _, row in figures[figures["comparison"] == 1].iterrows():  # a handful of units
        rate = row["placements_per_caseload"]
        if pd.isna(rate):
            continue
        below = evaluated[evaluated["placements_per_caseload"] < rate]
        out.append({
            "unit": str(row["unit_name"]), "per_caseload": float(rate), "per": PER,
            "below": [str(n) for n in below["unit_name"]],
            "n_evaluated": int(evaluated["placements_per_caseload"].notna().sum()),
        })  # fmt: skip
    return out


def analyze(inputs: AnalysisInputs) -> ChapterResults:
    cb = inputs.codebook
    units = inputs.data("units")
    figures = comparison_figures(units, cb)
    present = [u.name for u in cb.comparison_units if u.id in set(figures["unit"])]
    stats = {"appendix_assen": {
        "comparison_units": [u.name for u in cb.comparison_units],
        "comparison_units_in_register": present,
        "ranking": comparison_ranking(figures),
    }}  # fmt: skip
    return ChapterResults(
        tables={"comparison_features": comparison_features(cb), "comparison_figures": figures},
        stats=stats,
    )


def view(inputs: ViewInputs) -> dict:
    features = inputs.tables["comparison_features"]
    approaches = records(features.drop_duplicates("approach")[
        ["approach", "approach_nl", "approach_en"]])  # fmt: skip
    matrix = []
    for key in dict.fromkeys(features["feature"]):
        rows = records(features[features["feature"] == key])
        matrix.append({"label_nl": rows[0]["label_nl"], "label_en": rows[0]["label_en"],
                       "values": {r["approach"]: r for r in rows}})  # fmt: skip
    return {
        "approaches": approaches,
        "features": matrix,
        "comparison_rows": records(inputs.tables["comparison_figures"]),
    }


CHAPTER = Chapter(
    key="appendix_assen",
    kind="appendix",
    sources=("register",),
    tables=(FEATURES, FIGURES_TABLE),
    exhibits=("table:comparison_features", "table:comparison_figures"),
    stats=("appendix_assen.comparison_units", "appendix_assen.comparison_units_in_register",
           "appendix_assen.ranking"),
    analyze=analyze,
    view=view,
)
