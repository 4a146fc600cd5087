"""Chapter 4, results per unit: characteristics, targets, hours, support, claims 5, 6, 9.

Over 500 lines as one coherent thing: the chapter's tables, claim rules and view all read
the same register rows, and splitting them would spread one rule over several files.

There are five evaluated units, so everything here is descriptive: counts, ratios, exact
rank correlations (all 5! = 120 pairings enumerated) and explicit counting rules. A unit
profile adds the survey: how many candidates and control respondents the unit has and how
many of them work. Comparison units of the register (``comparison = true`` in
``data/codebook/units.toml``) are left out here; appendix III shows them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis._lazy import lazy_import
from analysis.efficiency import (
    ASSOCIATION_COLUMNS,
    attainment_association,
    evaluate_target_claim,
    targets_per_caseload,
    unit_efficiency,
)
from analysis.units import goal_attainment
from pipeline.report.chapter import (
    AnalysisInputs,
    Chapter,
    ChapterResults,
    FigureInputs,
    FigureSpec,
    SourceAbsent,
    TableSpec,
    ViewInputs,
)
from pipeline.report.claims import THRESHOLDS, claim_record, value
from pipeline.report.figure_style import OKABE_ITO, percent_axis
from pipeline.report.formatting import fmt_number, fmt_p_rel, fmt_pct, is_missing
from pipeline.report.view import grouped, records
from pipeline.study.codebook import Codebook

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib is imported when a figure is drawn, not when the report is rendered
charts = lazy_import("pipeline.report.charts")

INDICATORS = [
    ("contacten", "doel_contacten", "behaald_contacten"),
    ("regulier", "doel_regulier", "behaald_regulier"),
    ("wep", "doel_wep", "behaald_wep"),
]
PLACEMENTS = ("regulier", "wep")
CONTACTS = "contacten"
#: Per how many WWB recipients targets and placements are expressed.
PER_CASELOAD = 1000
#: Claim 6 holds (as an indication) when the exact Spearman rho of mean attainment with
#: hours invested AND with draagvlak are both at least this (a strong monotone association).
RHO_THRESHOLD = THRESHOLDS["rho"]
#: Claims 5 and 9: a unit stays *far* below when its mean attainment is below this share.
FAR_BELOW = THRESHOLDS["far_below"]
#: Days per month used for the project duration in months.
DAYS_PER_MONTH = 365.25 / 12
#: Predictors of attainment (efficiency-table columns), in reporting order.
PREDICTORS = ("hours", "draagvlak")

_NAME = {"unit_name": ("string", "Unit name")}
ATTAINMENT = TableSpec(
    "unit_attainment",
    ("unit", "unit_name", "indicator", "target", "achieved", "attainment", "target_met"),
    "Targets, achieved counts and attainment per unit and indicator",
)
CHARACTERISTICS = TableSpec(
    "unit_characteristics",
    ("unit", "unit_name", "members", "population", "caseload", "unemployment",
     "start_date", "end_date", "project_months"),
    "Characteristics of each evaluated unit from the register: member municipalities, "
    "population, WWB caseload, unemployment rate and project period",
    extra_columns={
        "members": ("string", "Member municipalities of the unit (comma-separated)"),
        "population": ("integer", "Population (register: inwoners)"),
        "caseload": ("integer", "WWB caseload: number of social-assistance benefits "
                     "(register: wwb_bestand)"),
        "unemployment": ("number", "Unemployment rate in percent (register: werkloosheid)"),
        "start_date": ("date", "Project start (register: startdatum)"),
        "end_date": ("date", "Project end (register: einddatum)"),
        "project_months": ("number", "Project duration in months: days between start and "
                           "end divided by 365.25/12"),
    },
)  # fmt: skip
CASELOAD = TableSpec(
    "unit_targets_caseload",
    ("unit", "unit_name", "indicator", "target", "achieved", "caseload",
     "target_per_caseload", "achieved_per_caseload"),
    "Targets and achieved counts per 1,000 WWB recipients of the unit",
    extra_columns={
        "caseload": ("number", "WWB caseload of the unit"),
        "target_per_caseload": ("number", "Target per 1,000 WWB recipients"),
        "achieved_per_caseload": ("number", "Achieved count per 1,000 WWB recipients"),
    },
)  # fmt: skip
EFFICIENCY = TableSpec(
    "unit_efficiency",
    ("unit", "unit_name", "hours_municipality", "hours_consultancy", "hours", "placements",
     "contacts", "hours_per_placement", "hours_per_contact", "placements_per_caseload",
     "n_indicators", "n_targets_met", "mean_attainment", "min_attainment", "draagvlak"),
    "Hours invested, hours per placement and per employer contact, attainment and "
    "support (draagvlak) per unit",
    extra_columns={
        "hours_municipality": ("number", "Hours invested by the municipality"),
        "hours_consultancy": ("number", "Hours invested by the consultancy (Van Amstel)"),
        "hours": ("number", "Hours invested in total (municipality + consultancy; missing "
                  "if either is missing)"),
        "placements": ("number", "Placements: regular jobs plus work-experience places"),
        "contacts": ("number", "New employer contacts achieved"),
        "hours_per_placement": ("number", "Total hours / placements (missing if none)"),
        "hours_per_contact": ("number", "Total hours / new employer contacts"),
        "placements_per_caseload": ("number", "Placements per 1,000 WWB recipients"),
        "n_indicators": ("integer", "Number of target indicators"),
        "n_targets_met": ("integer", "Indicators whose target was met (achieved >= target)"),
        "mean_attainment": ("number", "Unweighted mean of achieved / target over the "
                            "indicators (proportion)"),
        "min_attainment": ("number", "Lowest achieved / target over the indicators"),
        "draagvlak": ("number", "Support within the municipality (register score 1-10)"),
    },
)  # fmt: skip
ASSOCIATION = TableSpec(
    "unit_association",
    tuple(ASSOCIATION_COLUMNS),
    "Exact Spearman rank correlation of mean attainment with hours invested and with "
    "support (descriptive: one pair per unit, so few units)",
    may_be_empty=True,
    extra_columns={
        "predictor": ("string", "Predictor: hours (total hours invested) or draagvlak"),
        "spearman_rho": ("number", "Spearman's rank correlation (average ranks for ties)"),
        "p_val_exact": ("number", "Two-sided exact permutation p-value (all n! pairings); "
                        "descriptive with so few units"),
        "p_min_exact": ("number", "Smallest two-sided exact p-value these units can give "
                        "(the perfectly concordant pairing; 2/n! without ties)"),
    },
)  # fmt: skip
PROFILES = TableSpec(
    "unit_survey",
    ("unit", "unit_name", "group", "n", "n_valid_regular", "n_regular", "p_regular",
     "n_valid_any", "n_any", "p_any"),
    "Survey respondents per unit and group, and the share in regular paid work and in any "
    "work (regular job or work-experience place)",
    extra_columns={
        "group": ("string", "werktop (candidates) or controle (control group)"),
        "n_valid_regular": ("integer", "Respondents with a known work status"),
        "n_regular": ("integer", "Respondents in a regular paid job (werk_regulier = 1)"),
        "p_regular": ("number", "n_regular / n_valid_regular (missing when no respondents)"),
        "n_valid_any": ("integer", "Respondents with a known answer for werk_any"),
        "n_any": ("integer", "Respondents in a regular job or a work-experience place"),
        "p_any": ("number", "n_any / n_valid_any (missing when no respondents)"),
    },
    # Per group, the units' counts add up to the group totals chapter 6 publishes; "n of
    # n_valid in work" also reveals the rest (not in work), so that is a cell too.
    suppress={"n": (), "n_valid_regular": (), "n_regular": ("p_regular",),
              "n_valid_any": (), "n_any": ("p_any",)},
    # (n_any - n_regular: work-experience places).
    complements={"n_regular": ("n_valid_regular", "n_any"), "n_any": "n_valid_any"},
    margins="columns", suppress_within="group",
    # Respondents per unit and group: also in chapter 6's background table.
    cell_keys={"n": "jobseekers:gemeente={unit}:{group}"},
    key_values={"group": {"controle": "control"}},
)  # fmt: skip
INDICATOR_COLOURS = {
    "contacten": OKABE_ITO["blue"],
    "regulier": OKABE_ITO["orange"],
    "wep": OKABE_ITO["green"],
}
EXTRA_COLOURS = [OKABE_ITO["vermillion"], OKABE_ITO["sky"], OKABE_ITO["purple"]]
GROUPS = ("werktop", "controle")


# ---------------------------------------------------------------------------- analysis


def evaluated_units(units: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The register rows of the evaluated units, in codebook order (comparison units out)."""
    order = {u.id: i for i, u in enumerate(codebook.units)}
    frame = units[units["unit"].isin(order)].copy()
    frame["_o"] = frame["unit"].map(order)
    return frame.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)


def _with_names(table: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    names = {u.id: u.name for u in codebook.units}
    out = table.copy()
    out.insert(1, "unit_name", out["unit"].map(names))
    return out


def unit_attainment(units: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Targets, achieved counts and attainment per evaluated unit and indicator."""
    table = goal_attainment(evaluated_units(units, codebook), INDICATORS)
    # Targets and counts are integers in the register (the codebook says so); keep them
    # integers in the published table rather than the float goal_attainment computes with.
    for column in ("target", "achieved"):
        table[column] = table[column].round().astype("Int64")
    return _with_names(table, codebook)


def unit_characteristics(units: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Register characteristics per evaluated unit (population, caseload, period)."""
    frame = evaluated_units(units, codebook)
    start = pd.to_datetime(frame["startdatum"], errors="coerce")
    end = pd.to_datetime(frame["einddatum"], errors="coerce")
    out = pd.DataFrame({
        "unit": frame["unit"],
        "members": frame["leden"].astype("string"),
        "population": frame["inwoners"].astype("Float64").round().astype("Int64"),
        "caseload": frame["wwb_bestand"].astype("Float64").round().astype("Int64"),
        "unemployment": frame["werkloosheid"].astype("float64"),
        "start_date": start.dt.strftime("%Y-%m-%d"),
        "end_date": end.dt.strftime("%Y-%m-%d"),
        "project_months": (end - start).dt.days / DAYS_PER_MONTH,
    })  # fmt: skip
    return _with_names(out, codebook)[list(CHARACTERISTICS.columns)]


def unit_targets_caseload(units: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Targets and results per 1,000 WWB recipients of each evaluated unit."""
    table = targets_per_caseload(
        evaluated_units(units, codebook), INDICATORS, caseload="wwb_bestand", per=PER_CASELOAD
    )
    for column in ("target", "achieved"):  # whole numbers in the register (integer columns)
        table[column] = table[column].round().astype("Int64")
    return _with_names(table, codebook)[list(CASELOAD.columns)]


def unit_efficiency_table(units: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Hours invested, hours per result, attainment and draagvlak per evaluated unit."""
    frame = evaluated_units(units, codebook)
    table = unit_efficiency(
        frame, INDICATORS, hours=["uren_gemeente", "uren_adviesbureau"],
        placement_indicators=list(PLACEMENTS), contact_indicator=CONTACTS,
        caseload="wwb_bestand", per=PER_CASELOAD,
    )  # fmt: skip
    table["hours_municipality"] = frame["uren_gemeente"].astype("float64").to_numpy()
    table["hours_consultancy"] = frame["uren_adviesbureau"].astype("float64").to_numpy()
    table["draagvlak"] = frame["draagvlak"].astype("float64").to_numpy()
    return _with_names(table, codebook)[list(EFFICIENCY.columns)]


def unit_association(efficiency: pd.DataFrame) -> pd.DataFrame:
    """Exact Spearman rho of mean attainment with each predictor; empty if not computable.

    ``attainment_association`` needs 3 to 9 complete units; with fewer the association is
    not computable and the table has no rows (the claim is then "not testable").
    """
    complete = efficiency[["mean_attainment", *PREDICTORS]].notna()
    ok = all(3 <= int(complete[["mean_attainment", p]].all(axis=1).sum()) <= 9
             for p in PREDICTORS)  # fmt: skip
    if not ok:
        return pd.DataFrame(columns=ASSOCIATION_COLUMNS)
    return attainment_association(efficiency, outcome="mean_attainment",
                                  predictors=list(PREDICTORS))  # fmt: skip


def unit_survey(jobseekers: pd.DataFrame | None, codebook: Codebook) -> pd.DataFrame:
    """Respondents per unit and group with their work rates; units without any get n = 0.

    Missing-data rule: a share is computed among respondents with a known value of the
    work variable; the denominators are in ``n_valid_regular`` / ``n_valid_any``.
    """
    unit_ids = [u.id for u in codebook.units]
    index = pd.MultiIndex.from_product([unit_ids, list(GROUPS)], names=["unit", "group"])
    if jobseekers is None or jobseekers.empty:
        frame = pd.DataFrame({"gemeente": pd.Series(dtype="string"),
                              "werktop": pd.Series(dtype="int64"),
                              "werk_regulier": pd.Series(dtype="float64"),
                              "werk_any": pd.Series(dtype="float64")})  # fmt: skip
    else:
        frame = jobseekers
    group = np.where(frame["werktop"] == 1, "werktop", "controle")
    keys = [frame["gemeente"].astype("string"), pd.Series(group, index=frame.index)]
    regular = frame["werk_regulier"].astype("Float64")
    any_work = frame["werk_any"].astype("Float64")
    agg = pd.DataFrame({
        "n": frame.groupby(keys).size(),
        "n_valid_regular": regular.notna().groupby(keys).sum(),
        "n_regular": (regular == 1).fillna(False).groupby(keys).sum(),
        "n_valid_any": any_work.notna().groupby(keys).sum(),
        "n_any": (any_work == 1).fillna(False).groupby(keys).sum(),
    })  # fmt: skip
    agg.index = agg.index.set_names(["unit", "group"])
    agg = agg.reindex(index, fill_value=0).astype("int64").reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        agg["p_regular"] = np.where(agg["n_valid_regular"] > 0,
                                    agg["n_regular"] / agg["n_valid_regular"].clip(lower=1),
                                    np.nan)  # fmt: skip
        agg["p_any"] = np.where(
            agg["n_valid_any"] > 0, agg["n_any"] / agg["n_valid_any"].clip(lower=1), np.nan
        )
    return _with_names(agg, codebook)[list(PROFILES.columns)]


def _verdict(text: str) -> str:
    return text.replace(" ", "_")


def prorated_attainment(units: pd.DataFrame, codebook: Codebook) -> pd.DataFrame | None:
    """Attainment against targets pro-rated to each unit's project length: target x months
    / the median months of the evaluated units (start and end dates of the register), so a
    unit with a shorter project (e.g. one that stopped earlier) is held to a smaller
    target. None when a unit's dates are missing."""
    frame = evaluated_units(units, codebook)
    start = pd.to_datetime(frame["startdatum"], errors="coerce")
    end = pd.to_datetime(frame["einddatum"], errors="coerce")
    months = (end - start).dt.days / DAYS_PER_MONTH
    if frame.empty or months.isna().any() or not (months > 0).all():
        return None
    scaled = frame.copy()
    for _, target, _ in INDICATORS:
        scaled[target] = frame[target].astype("float64") * months / float(months.median())
    return goal_attainment(scaled, INDICATORS)


def _member_counts(units: pd.DataFrame, codebook: Codebook) -> dict[str, int] | None:
    """Municipalities per unit (the register's member list); None when one is missing."""
    frame = evaluated_units(units, codebook)
    if "leden" not in frame or frame["leden"].isna().any():
        return None
    return {str(u): len([m for m in str(v).split(",") if m.strip()])
            for u, v in zip(frame["unit"], frame["leden"], strict=True)}  # fmt: skip


def _target_counts(attainment: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    classes, claim = evaluate_target_claim(
        attainment, exceed_rule="all_indicators", below_rule="not_exceeding",
        far_below=THRESHOLDS["far_below"], n_below_claimed=2,
    )  # fmt: skip
    return classes, claim.iloc[0]


def claim_targets(attainment: pd.DataFrame, prorated: pd.DataFrame | None = None,
                  members: Mapping[str, int] | None = None) -> tuple[list[dict], dict]:  # fmt: skip
    """Claims 5 (more than half of the units exceed all targets) and 9 (two units stay
    *far* below), each with its sensitivity records: targets pro-rated to the project
    length (``prorated``), municipalities instead of units (``members``) for claim 5, and
    "(ver) achter" read as "behind, some far" for claim 9. Returns (records, summary)."""
    classes, c = _target_counts(attainment)
    names = dict(zip(attainment["unit"], attainment["unit_name"], strict=False))
    summary = {
        "n_exceed": int(c["n_exceed"]),
        "n_below": int(c["n_below"]),
        "n_far_below": int(c["n_far_below"]),
        "n_unknown": int(c["n_unknown"]),
        "far_below_threshold": float(c["far_below_threshold"]),
        "more_than_half_exceed": bool(c["more_than_half_exceed"]),
        "units_below": [names[u] for u in classes.loc[classes["exceeds"].eq(False).fillna(False),
                                                      "unit"]],
        "units_far_below": [names[u] for u in
                            classes.loc[classes["far_below"].eq(True).fillna(False), "unit"]],
    }  # fmt: skip
    n_units = int(c["n_units"])
    testable = n_units > 0 and summary["n_unknown"] == 0
    far = value(THRESHOLDS["far_below"], "pct")

    def verdict(holds: bool) -> str:
        return ("supported" if holds else "not_supported") if testable else "not_testable"

    def counts(cc: pd.Series) -> dict[str, dict]:
        return {"exceed": value(int(cc["n_exceed"]), "int"), "total": value(n_units, "int"),
                "below": value(int(cc["n_below"]), "int"),
                "far_below": value(int(cc["n_far_below"]), "int"),
                "unknown": value(int(cc["n_unknown"]), "int"), "far": far}  # fmt: skip

    evidence = "evidence_5_unknown" if summary["n_unknown"] else "evidence_5"
    records = [claim_record(
        5, verdict(summary["more_than_half_exceed"]), rule="rule_5", evidence=evidence,
        values=counts(c), estimate=float(c["n_exceed"]), total=n_units,
        measure="n_units_exceeding", n_units=n_units,
    )]  # fmt: skip
    pro = _target_counts(prorated)[1] if prorated is not None else None
    if pro is not None:
        records.append(claim_record(
            5, verdict(bool(pro["more_than_half_exceed"])), rule="rule_5", evidence=evidence,
            values=counts(pro), estimate=float(pro["n_exceed"]), total=n_units,
            measure="n_units_exceeding", sensitivity="sensitivity_prorated",
        ))  # fmt: skip
    if members is not None and testable:
        exceeding = classes.loc[classes["exceeds"].eq(True).fillna(False), "unit"]
        n_mun = sum(members.values())
        n_mun_exceed = sum(members.get(str(u), 0) for u in exceeding)
        records.append(claim_record(
            5, verdict(n_mun_exceed > n_mun / 2), rule="rule_5", evidence="evidence_5_members",
            values={"exceed": value(n_mun_exceed, "int"), "total": value(n_mun, "int")},
            estimate=float(n_mun_exceed), total=n_mun, measure="n_municipalities_exceeding",
            sensitivity="sensitivity_members",
        ))  # fmt: skip
    records.append(claim_record(
        9, verdict(int(c["n_far_below"]) == 2), rule="rule_9", evidence="evidence_9",
        values=counts(c), estimate=float(c["n_far_below"]), total=n_units,
        measure="n_units_far_below",
    ))  # fmt: skip
    records.append(claim_record(
        9, verdict(int(c["n_below"]) == 2), rule="rule_9", evidence="evidence_9",
        values=counts(c), estimate=float(c["n_below"]), total=n_units,
        measure="n_units_below", sensitivity="sensitivity_behind",
    ))  # fmt: skip
    if pro is not None:
        records.append(claim_record(
            9, verdict(int(pro["n_far_below"]) == 2), rule="rule_9", evidence="evidence_9",
            values=counts(pro), estimate=float(pro["n_far_below"]), total=n_units,
            measure="n_units_far_below", sensitivity="sensitivity_prorated",
        ))  # fmt: skip
    summary["verdict"] = records[0]["verdict"]
    summary["verdict_far_below"] = next(r["verdict"] for r in records if r["claim"] == 9)
    return records, summary


def power_note(p_min: float, alpha: float) -> str | None:
    """Which words describe the exact test's power (a key of ``[units]`` strings): none
    when even the perfect ranking cannot reach ``alpha``, low otherwise (None: no test)."""
    if not math.isfinite(p_min):
        return None
    return "association_power_none" if p_min >= alpha else "association_power_low"


def claim_support(association: pd.DataFrame, alpha: float = 0.05) -> tuple[dict, dict]:
    """Claim 6: attainment goes with hours invested and with draagvlak (rule in the record)."""
    rows = {str(r["predictor"]): r for r in association.to_dict(orient="records")}
    rhos = {p: float(rows[p]["spearman_rho"]) if p in rows else math.nan for p in PREDICTORS}
    ps = {p: float(rows[p]["p_val_exact"]) if p in rows else math.nan for p in PREDICTORS}
    ns = {p: int(rows[p]["n"]) if p in rows else 0 for p in PREDICTORS}
    if any(not math.isfinite(r) for r in rhos.values()):
        verdict = "not_testable"
    elif all(r >= RHO_THRESHOLD - 1e-12 for r in rhos.values()):  # float noise in rho
        # a rank correlation over a handful of units describes, it does not prove: the
        # claim ("the differences can be understood from ...") gets an indication, never
        # "supported" (the conclusions say "a description, not proof")
        verdict = "indicative"
    else:
        verdict = "not_supported"
    p_min = (float(association["p_min_exact"].min()) if "p_min_exact" in association
             and association["p_min_exact"].notna().any() else math.nan)  # fmt: skip
    summary = {
        "rho_threshold": RHO_THRESHOLD,
        "rho": rhos,
        "p_val_exact": ps,
        "n": ns,
        "verdict": verdict,
        "p_min_exact": p_min if math.isfinite(p_min) else None,
        "alpha": alpha,
        "power_note": power_note(p_min, alpha),
    }
    testable = verdict != "not_testable"
    record = claim_record(
        6, verdict,
        rule="rule_6",
        evidence="evidence_6" if testable else "evidence_6_few",
        values={
            "threshold": value(RHO_THRESHOLD, "number1"),
            "n": value(max(ns.values()), "int"),
            "rho_hours": value(rhos["hours"], "number2"),
            "p_hours": value(ps["hours"], "p"),
            "rho_draagvlak": value(rhos["draagvlak"], "number2"),
            "p_draagvlak": value(ps["draagvlak"], "p"),
        },
        estimate=min(rhos.values()) if testable else None,
        measure="spearman_rho",
        rho_hours=rhos["hours"], rho_draagvlak=rhos["draagvlak"],
        p_hours=ps["hours"], p_draagvlak=ps["draagvlak"],
    )  # fmt: skip
    return record, summary


def analyze(inputs: AnalysisInputs) -> ChapterResults:
    units = inputs.data("units")
    cb = inputs.codebook
    attainment = unit_attainment(units, cb)
    characteristics = unit_characteristics(units, cb)
    caseload = unit_targets_caseload(units, cb)
    efficiency = unit_efficiency_table(units, cb)
    association = unit_association(efficiency)
    try:
        jobseekers: pd.DataFrame | None = inputs.data("jobseekers")
    except SourceAbsent:
        jobseekers = None
    survey = unit_survey(jobseekers, cb)

    unit_met = attainment.groupby("unit", sort=False)["target_met"].all()
    exceeding = [u.name for u in cb.units if bool(unit_met.get(u.id, False))]
    claim5, targets = claim_targets(attainment, prorated_attainment(units, cb),
                                    _member_counts(units, cb))
    claim6, support = claim_support(association, inputs.alpha)
    stats = {
        "units": {
            "n_units": len(cb.units),
            "n_exceeding_all": len(exceeding),
            "units_exceeding_all": exceeding,
            "per_caseload": PER_CASELOAD,
            "survey_available": jobseekers is not None,
            "targets_claim": targets,
            "support_claim": support,
            "claims": [*claim5, claim6],
        }
    }
    tables = {
        "unit_characteristics": characteristics,
        "unit_attainment": attainment,
        "unit_targets_caseload": caseload,
        "unit_efficiency": efficiency,
        "unit_association": association,
        "unit_survey": survey,
    }
    return ChapterResults(tables=tables, stats=stats)


# ---------------------------------------------------------------------------- figures


def draw_attainment(inputs: FigureInputs) -> Figure:
    table = inputs.tables["unit_attainment"]
    strings, language = inputs.strings, inputs.language
    units = list(dict.fromkeys(table["unit"]))
    unit_names = {row.unit: str(row.unit_name) for row in table.itertuples()}
    indicators = list(dict.fromkeys(table["indicator"]))
    known = [i for i in INDICATOR_COLOURS if i in indicators]
    indicators = known + [i for i in indicators if i not in INDICATOR_COLOURS]
    colours = dict(INDICATOR_COLOURS)
    for extra, colour in zip(
        [i for i in indicators if i not in INDICATOR_COLOURS], EXTRA_COLOURS, strict=False
    ):
        colours[extra] = colour
    labels = strings["indicators"]

    values = {(row.unit, row.indicator): row.attainment for row in table.itertuples(index=False)}
    finite = [100 * v for v in values.values() if not is_missing(v) and math.isfinite(v)]
    x_max = max([100.0, *finite]) * 1.16

    n_ind = len(indicators)
    bar_h = 0.8 / n_ind
    height = 1.4 + 0.2 * len(units) * n_ind
    synthetic = bool(inputs.stats.get("study", {}).get("synthetic"))
    footer = strings["report"]["synthetic_footer"] if synthetic else None
    fig, sub = charts._new_figure(7.0, height + (0.3 if footer else 0.0), footer)
    ax = sub.add_subplot()
    for j, indicator in enumerate(indicators):
        ys, xs = [], []
        for i, unit in enumerate(units):
            v = values.get((unit, indicator))
            y = i - 0.4 + bar_h * (j + 0.5)
            ys.append(y)
            xs.append(0.0 if is_missing(v) else 100 * v)
            label = "–" if is_missing(v) else fmt_pct(v, 0, language)
            ax.text(
                (0.0 if is_missing(v) else 100 * v) + x_max * 0.008,
                y,
                label,
                va="center",
                ha="left",
                fontsize=8,
                color="#222222",
            )
        ax.barh(
            ys,
            xs,
            height=bar_h * 0.92,
            color=colours[indicator],
            label=labels.get(indicator, indicator),
            zorder=2,
        )
    ax.axvline(
        100, color="#222222", linestyle=(0, (4, 3)), linewidth=1.0, zorder=3,
        label=strings["figures"]["target_line"],
    )  # fmt: skip
    ax.set_yticks(range(len(units)), [unit_names[u] for u in units])
    ax.set_ylim(len(units) - 0.5, -0.5)  # first unit on top
    ax.set_xlim(0, x_max)
    ax.xaxis.set_major_formatter(percent_axis(language))
    step = 25 if x_max <= 200 else 50 if x_max <= 400 else 100
    from matplotlib.ticker import MultipleLocator

    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.grid(axis="x", color="#dddddd", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(strings["figures"]["attainment_axis"])
    handles, labels_ = ax.get_legend_handles_labels()
    order = [labels_.index(strings["figures"]["target_line"])]
    order = [i for i in range(len(handles)) if i not in order] + order  # target line last
    sub.legend(
        [handles[i] for i in order], [labels_[i] for i in order],
        loc="outside lower center", ncols=2, frameon=False, handlelength=1.6,
        columnspacing=1.5,
    )  # fmt: skip
    return fig


def _association_note(inputs: FigureInputs, predictor: str) -> str | None:
    table = inputs.tables["unit_association"]
    row = table[table["predictor"] == predictor]
    if row.empty:
        return None
    r = row.iloc[0]
    return inputs.strings["figures"]["association_note"].format(
        rho=fmt_number(r["spearman_rho"], 2, inputs.language),
        p=fmt_p_rel(r["p_val_exact"], inputs.language),
        n=int(r["n"]),
    )


def _scatter(inputs: FigureInputs, predictor: str, x_label: str, decimals: int) -> Figure:
    table = inputs.tables["unit_efficiency"]
    synthetic = bool(inputs.stats.get("study", {}).get("synthetic"))
    return charts.scatter_labelled(
        table, x=predictor, y="mean_attainment", label="unit_name",
        x_label=x_label, y_label=inputs.strings["figures"]["mean_attainment_axis"],
        x_decimals=decimals, y_percent=True, reference_y=1.0,
        reference_label=inputs.strings["figures"]["target_line"],
        annotation=_association_note(inputs, predictor),
        footer=inputs.strings["report"]["synthetic_footer"] if synthetic else None,
        language=inputs.language, width=4.2,
    )  # fmt: skip


def draw_scatter_hours(inputs: FigureInputs) -> Figure:
    return _scatter(inputs, "hours", inputs.strings["figures"]["hours_axis"], 0)


def draw_scatter_support(inputs: FigureInputs) -> Figure:
    return _scatter(inputs, "draagvlak", inputs.strings["figures"]["support_axis"], 1)


# ---------------------------------------------------------------------------- view


def _by_unit(frame: pd.DataFrame) -> dict[str, list[dict]]:
    return {str(k): records(g) for k, g in frame.groupby("unit", sort=False)}


def view(inputs: ViewInputs) -> dict:
    t = inputs.tables
    efficiency = records(t["unit_efficiency"])
    characteristics = records(t["unit_characteristics"])
    attainment = _by_unit(t["unit_attainment"])
    survey = _by_unit(t["unit_survey"])
    caseload = t["unit_targets_caseload"]
    regular_per_caseload = {
        str(r.unit): r.target_per_caseload
        for r in caseload[caseload["indicator"] == "regulier"].itertuples()
    }
    eff = {str(r["unit"]): r for r in efficiency}
    profiles = []
    for row in characteristics:
        unit = str(row["unit"])
        groups = {str(g["group"]): g for g in survey.get(unit, [])}
        profiles.append({
            "unit": unit,
            "name": row["unit_name"],
            "context": row,
            "attainment": attainment.get(unit, []),
            "efficiency": eff.get(unit, {}),
            "survey": groups,
            "target_regular_per_caseload": regular_per_caseload.get(unit),
        })  # fmt: skip
    return {
        "units": grouped(t["unit_attainment"], "unit", name="unit_name"),
        "characteristics": characteristics,
        "caseload": grouped(caseload, "unit", name="unit_name"),
        "efficiency": efficiency,
        "association": records(t["unit_association"]),
        "profiles": profiles,
    }


CHAPTER = Chapter(
    key="units",
    sources=("register",),
    tables=(CHARACTERISTICS, ATTAINMENT, CASELOAD, EFFICIENCY, ASSOCIATION, PROFILES),
    figures=(
        FigureSpec("unit_attainment", ("unit_attainment",), draw_attainment),
        FigureSpec("unit_scatter_hours", ("unit_efficiency", "unit_association"),
                   draw_scatter_hours),
        FigureSpec("unit_scatter_support", ("unit_efficiency", "unit_association"),
                   draw_scatter_support),
    ),
    exhibits=(
        "table:unit_characteristics", "table:unit_attainment", "figure:unit_attainment",
        "table:unit_targets_caseload", "table:unit_efficiency", "table:unit_association",
        "figure:unit_scatter_hours", "figure:unit_scatter_support",
    ),
    stats=(
        "units.n_units", "units.n_exceeding_all", "units.units_exceeding_all",
        "units.per_caseload", "units.targets_claim", "units.support_claim", "units.claims",
        "units.survey_available",
    ),
    analyze=analyze,
    view=view,
)  # fmt: skip
