"""Analyze stage: processed data -> ``results/tables/*.csv`` and ``results/stats.json``.

Thin: it selects columns, calls the pure functions in ``analysis/`` and writes what they
return. Every number the report quotes is written here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.means import compare_means
from analysis.multiplicity import adjust_pvalues
from analysis.proportions import compare_proportions
from analysis.units import goal_attainment
from pipeline.codebook import Codebook
from pipeline.config import PROJECT_ROOT, OutputPaths, StudyConfig
from pipeline.errors import UserError
from pipeline.io import write_csv, write_json

INDICATORS = [
    ("contacten", "doel_contacten", "behaald_contacten"),
    ("regulier", "doel_regulier", "behaald_regulier"),
    ("wep", "doel_wep", "behaald_wep"),
]

# The outcome family for the Werktop-vs-control comparison (headline findings 1-4).
# Holm's correction is applied across exactly these, in this order.
BINARY_OUTCOMES = [
    ("werk_regulier", "In een betaalde baan", "In a regular paid job"),
    ("werk_any", "Betaalde baan of werkervaringsplaats", "Regular job or work-experience place"),
]
SCALE_OUTCOMES = [
    ("scale_zoekgedrag", "Zoekgedrag (intensiteit, 1-5)", "Job-search intensity (1-5)"),
    ("scale_eigen_effectiviteit", "Geloof in eigen kunnen (1-5)", "Self-efficacy (1-5)"),
    ("scale_bejegening", "Bejegening door de gemeente (1-5)",
     "Treatment by the municipality (1-5)"),
    ("tevreden_meerwaarde", "Tevredenheid over meerwaarde Sociale Dienst (1-5)",
     "Satisfaction with the social service's added value (1-5)"),
]


def read_processed(paths: OutputPaths, name: str) -> pd.DataFrame:
    path = paths.processed_csv(name)
    if not path.is_file():
        raise UserError(f"{path} not found; run the derive stage first")
    return pd.read_csv(path, keep_default_na=False, na_values=[""], encoding="utf-8")


def unit_attainment(units: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    table = goal_attainment(units, INDICATORS)
    names = {u.id: u.name for u in codebook.units}
    order = {u.id: i for i, u in enumerate(codebook.units)}
    table.insert(1, "unit_name", table["unit"].map(names))
    table["_o"] = table["unit"].map(order)
    return table.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)


def _compare_each(
    jobseekers: pd.DataFrame, outcomes: list[tuple[str, str, str]], compare, alpha: float
) -> pd.DataFrame:
    """One row per outcome: ``compare(treated, control)`` with the outcome's labels first."""
    treated = jobseekers["werktop"] == 1
    rows = []
    for name, nl, en in outcomes:
        row = compare(jobseekers.loc[treated, name], jobseekers.loc[~treated, name], alpha=alpha)
        row.insert(0, "outcome", name)
        row.insert(1, "label_nl", nl)
        row.insert(2, "label_en", en)
        rows.append(row)
    return pd.concat(rows, ignore_index=True)


def compare_outcomes(
    jobseekers: pd.DataFrame, *, alpha: float, method: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Binary and continuous outcomes, Werktop vs control, adjusted across the whole family."""
    binary = _compare_each(jobseekers, BINARY_OUTCOMES, compare_proportions, alpha)
    scales = _compare_each(jobseekers, SCALE_OUTCOMES, compare_means, alpha)
    adjusted = adjust_pvalues([*binary["p_val"], *scales["p_val"]], method)
    binary["p_adj"] = adjusted[: len(binary)]
    scales["p_adj"] = adjusted[len(binary):]
    return binary, scales


def validation_summary(report: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Counts of the validation report per instrument, check and action (for the report)."""
    columns = ["instrument", "label_nl", "label_en", "issue", "action", "n"]
    if report.empty:
        return pd.DataFrame(columns=columns)
    counts = (
        report.groupby(["instrument", "issue", "action"], sort=False).size().rename("n")
        .reset_index()
    )
    order = {name: i for i, name in enumerate(codebook.instruments)}
    counts["_o"] = counts["instrument"].map(order)
    counts = counts.sort_values(["_o", "issue"], kind="stable").drop(columns="_o")
    counts["label_nl"] = counts["instrument"].map(
        {n: i.label_nl for n, i in codebook.instruments.items()}
    )
    counts["label_en"] = counts["instrument"].map(
        {n: i.label_en for n, i in codebook.instruments.items()}
    )
    return counts[columns].reset_index(drop=True)


def _records(frame: pd.DataFrame, key: str) -> dict[str, dict]:
    return {str(r[key]): r for r in frame.to_dict(orient="records")}


def _relative(path: Path) -> str:
    """A path as readers of the report can find it: relative to the project if inside it,
    otherwise the file name only (absolute paths would make outputs machine-dependent)."""
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return path.name


def run_analyze(config: StudyConfig, paths: OutputPaths, codebook: Codebook) -> dict[str, int]:
    jobseekers = read_processed(paths, "jobseekers")
    employers = read_processed(paths, "employers")
    units = read_processed(paths, "units")
    if not paths.sample_flow.is_file():
        raise UserError(f"{paths.sample_flow} not found; run the clean stage first")
    flow = pd.read_csv(paths.sample_flow, keep_default_na=False, encoding="utf-8")
    if not paths.validation_report.is_file():
        raise UserError(f"{paths.validation_report} not found; run the validate stage first")
    report = pd.read_csv(paths.validation_report, keep_default_na=False, encoding="utf-8")

    attainment = unit_attainment(units, codebook)
    binary, scales = compare_outcomes(
        jobseekers, alpha=config.alpha, method=config.multiplicity
    )
    unit_met = attainment.groupby("unit", sort=False)["target_met"].all()
    exceeding = [u.name for u in codebook.units if bool(unit_met.get(u.id, False))]

    write_csv(paths.tables / "unit_attainment.csv", attainment)
    write_csv(paths.tables / "employment_comparison.csv", binary)
    write_csv(paths.tables / "scale_comparison.csv", scales)
    write_csv(paths.tables / "sample_flow.csv", flow)
    write_csv(paths.tables / "validation_summary.csv", validation_summary(report, codebook))

    stats = {
        "study": {
            "title": config.title,
            "synthetic": config.synthetic,
            "language": config.language,
            "alpha": config.alpha,
            "seed": config.seed,
            "config": _relative(config.path),
            "scenario": _relative(config.scenario) if config.scenario else None,
        },
        "n": {
            "employers": len(employers),
            "candidates": int((jobseekers["werktop"] == 1).sum()),
            "control": int((jobseekers["werktop"] == 0).sum()),
        },
        "units": {
            "n_units": len(codebook.units),
            "n_exceeding_all": len(exceeding),
            "units_exceeding_all": exceeding,
        },
        "employment": _records(binary, "outcome"),
        "scales": _records(scales, "outcome"),
        "outcome_family": {
            "method": config.multiplicity,
            "size": len(binary) + len(scales),
            "members": list(binary["outcome"]) + list(scales["outcome"]),
        },
    }
    write_json(paths.stats, stats)
    return {"tables": 5}
