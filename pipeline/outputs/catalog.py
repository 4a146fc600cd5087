"""The catalog: every artifact the pipeline generates, which stage writes it, its columns.

Stages, plots, the report, the data packages and the Makefile all take paths and contracts
from here (the Makefile through ``python -m pipeline targets``). Results tables and figures
are declared by the chapters (``pipeline/chapters/*/chapter.py``); everything else is
declared below. ``require`` is the one way a stage says an input is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.outputs.datapackage import package, tabular_resource
from pipeline.outputs.io import read_csv
from pipeline.outputs.provenance import provenance_path
from pipeline.report.chapter import Chapter, TableSpec
from pipeline.report.figure_cache import figure_cache_path
from pipeline.report.pdf_cache import pdf_cache_path
from pipeline.study.config import OutputPaths
from pipeline.study.errors import UserError

#: The stages in data-flow order. A stage reads only artifacts of earlier stages.
STAGES = ("ingest", "validate", "clean", "derive", "analyze", "plot", "render")
#: Make target of each stage (``clean`` is taken by "remove generated files").
MAKE_TARGETS = {s: s for s in STAGES} | {"clean": "clean-data"}
SURVEYS = ("employers", "candidates", "control")
PROCESSED = ("jobseekers", "employers", "units", "interviews")
#: Which processed data set needs which instruments (absent instruments drop the data set).
PROCESSED_SOURCES = {
    "jobseekers": ("candidates", "control"),
    "employers": ("employers",),
    "units": ("register",),
    "interviews": ("interviews",),
}
REPORT_FORMATS = ("html", "pdf")
#: Every results table in one Excel workbook (``pipeline/outputs/workbook.py``), in ``results/``.
WORKBOOK_NAME = "tables.xlsx"
FIGURE_FORMATS = ("png", "svg")


def parsed_parquet(paths: OutputPaths, instrument: str) -> Path:
    """Validate's typed values of one instrument, which clean reads (Parquet: no person
    opens it; the cleaned CSVs are what analysts open)."""
    return paths.interim / "parsed" / f"{instrument}.parquet"


def require(path: Path, stage: str) -> Path:
    """Return ``path`` if it exists; otherwise stop with the one message every stage uses."""
    if not Path(path).is_file():
        target = MAKE_TARGETS.get(stage, stage)
        raise UserError(f"{path} not found; run the {stage} stage first (make {target})")
    return Path(path)


def run_summary_path(paths: OutputPaths) -> Path:
    """``logs/run_summary.json``: what the last command did (``pipeline/outputs/run_summary.py``).
    Not an output of any stage and not reproducible (it holds durations)."""
    return paths.root / "logs" / "run_summary.json"


def processed_sav(paths: OutputPaths, name: str) -> Path:
    """``data/processed/<name>.sav``: the processed CSV as SPSS
    (``pipeline/outputs/spss_export.py``)."""
    return paths.processed / f"{name}.sav"


# ---------------------------------------------------------------- column vocabulary
#: Type and description of every column name that results tables share. A results table's
#: columns must all be described here or in its TableSpec.extra_columns (a test checks it),
#: so the results data package documents every column.
RESULT_COLUMNS: dict[str, tuple[str, str]] = {
    # identifiers and labels
    "outcome": ("string", "Outcome variable (see data/codebook/analysis_plan.toml)"),
    "label_nl": ("string", "Dutch label"),
    "label_en": ("string", "English label"),
    "instrument": ("string", "Instrument: employers, candidates, control, register, interviews"),
    "unit": ("string", "Unit id (gemeente): a [units.<id>] of the study config, or of "
             "data/codebook/units.toml"),
    "unit_name": ("string", "Unit name"),
    "indicator": ("string", "Target indicator: contacten, regulier or wep"),
    "step": ("string", "Sample-flow step: raw, excluded or kept"),
    "reason": ("string", "Exclusion reason code (empty when the step is not 'excluded')"),
    "issue": ("string", "Validation check that found the value"),
    "action": ("string", "What was done: set_missing, keep_row, drop_column, …"),
    "n": ("integer", "Number of rows (respondents or records)"),
    # units
    "target": ("integer", "Target of the unit for this indicator"),
    "achieved": ("integer", "Achieved count"),
    "attainment": ("number", "Achieved / target (1 = target met exactly)"),
    "target_met": ("boolean", "Achieved >= target"),
    # group comparisons
    "n_treated": ("integer", "Werktop candidates with a non-missing value"),
    "n_control": ("integer", "Control-group respondents with a non-missing value"),
    "events_treated": ("integer", "Werktop candidates with the outcome"),
    "events_control": ("integer", "Control-group respondents with the outcome"),
    "p_treated": ("number", "Proportion with the outcome among Werktop candidates"),
    "p_control": ("number", "Proportion with the outcome in the control group"),
    "mean_treated": ("number", "Mean among Werktop candidates"),
    "mean_control": ("number", "Mean in the control group"),
    "sd_treated": ("number", "Standard deviation among Werktop candidates (n - 1)"),
    "sd_control": ("number", "Standard deviation in the control group (n - 1)"),
    "test": ("string", "Test that produced p_val: chi2 (no continuity correction), fisher "
             "(exact, two-sided), welch_t, mann_whitney"),
    "statistic": ("number", "Test statistic (chi-square, t, U); empty for Fisher's exact test"),
    "dof": ("number", "Degrees of freedom of the test statistic (Welch: Satterthwaite)"),
    "p_val": ("number", "Unadjusted two-sided p-value"),
    "p_adj": ("number", "p-value adjusted for multiple testing across the outcome family "
              "(method in results/stats.json: outcome_family.method)"),
    "min_expected": ("number", "Smallest expected cell count (Fisher's test below 5)"),
    "risk_difference": ("number", "Difference in proportions, Werktop minus control"),
    "rd_ci_low": ("number", "Lower confidence bound of the risk difference (Newcombe hybrid "
                  "score; level 1 - alpha)"),
    "rd_ci_high": ("number", "Upper confidence bound of the risk difference"),
    "odds_ratio": ("number", "Odds ratio, Werktop vs control"),
    "or_ci_low": ("number", "Lower confidence bound of the odds ratio (Woolf, log scale)"),
    "or_ci_high": ("number", "Upper confidence bound of the odds ratio"),
    "relative_risk": ("number", "Risk ratio, Werktop vs control"),
    "rr_ci_low": ("number", "Lower confidence bound of the risk ratio (log scale)"),
    "rr_ci_high": ("number", "Upper confidence bound of the risk ratio"),
    "mean_difference": ("number", "Mean difference, Werktop minus control"),
    "md_ci_low": ("number", "Lower confidence bound of the mean difference (Welch)"),
    "md_ci_high": ("number", "Upper confidence bound of the mean difference"),
    "hedges_g": ("number", "Hedges' g (pooled SD, small-sample corrected)"),
    "g_ci_low": ("number", "Lower confidence bound of Hedges' g"),
    "g_ci_high": ("number", "Upper confidence bound of Hedges' g"),
    "note": ("string", "Remark on the row, e.g. 'not computable (n = 0)'"),
}


@dataclass(frozen=True)
class Artifact:
    """One generated file: where it is, which stage writes it, what it holds."""

    path: Path
    stage: str
    description: str
    language: str | None = None  # figures and reports exist once per report language
    reproducible: bool = True  # False only for the run summary (durations vary)


def instruments_of(config: object) -> tuple[str, ...]:
    """The instruments a study has inputs for, in the codebook's order."""
    from pipeline.study.codebook import INSTRUMENT_FILES

    present = getattr(config, "inputs", {})
    return tuple(name for name in INSTRUMENT_FILES if name in present)


def processed_of(instruments: Iterable[str]) -> tuple[str, ...]:
    """The processed data sets that can be built from these instruments."""
    have = set(instruments)
    return tuple(p for p in PROCESSED if set(PROCESSED_SOURCES[p]) <= have)


def results_tables(chapters: Iterable[Chapter]) -> dict[str, TableSpec]:
    return {t.name: t for c in chapters for t in c.tables}


def artifacts(
    paths: OutputPaths,
    instruments: Iterable[str],
    chapters: Iterable[Chapter],
    languages: Iterable[str],
    *,
    keep_unsuppressed: bool = False,
) -> list[Artifact]:
    """Every file a full run writes, stage by stage, in data-flow order."""
    chapters = tuple(chapters)
    instruments = tuple(instruments)
    out: list[Artifact] = []
    for name in instruments:
        out.append(Artifact(paths.ingested_csv(name), "ingest", f"{name}: raw export as text"))
        out.append(Artifact(paths.ingested_meta(name), "ingest", f"{name}: reader metadata"))
    out.append(Artifact(paths.validation_report, "validate", "values set to missing, with why"))
    for name in instruments:
        out.append(Artifact(parsed_parquet(paths, name), "validate",
                            f"{name}: typed values for the clean stage (Parquet)"))
    for name in instruments:
        out.append(Artifact(paths.interim_csv(name), "clean", f"{name}: cleaned data"))
    out += [
        Artifact(paths.exclusions, "clean", "every excluded raw row with its reason"),
        Artifact(paths.sample_flow, "clean", "raw = excluded + kept per instrument"),
        Artifact(paths.interim / "datapackage.json", "clean", "data package of data/interim"),
    ]
    for name in processed_of(instruments):
        out.append(Artifact(paths.processed_csv(name), "derive", f"{name}: analysis-ready"))
        out.append(Artifact(processed_sav(paths, name), "derive",
                            f"{name}: analysis-ready, SPSS with labels"))
    out.append(Artifact(paths.datapackage, "derive", "data package of data/processed"))
    out.append(Artifact(paths.stats, "analyze", "every number the report quotes"))
    out.append(Artifact(provenance_path(paths), "analyze",
                        "commit, input/config/codebook SHA-256 and package versions"))
    present_chapters = [c for c in chapters if set(c.sources) <= set(instruments)]
    for spec in results_tables(present_chapters).values():
        out.append(Artifact(paths.tables / f"{spec.name}.csv", "analyze", spec.description))
    out.append(Artifact(paths.tables / "datapackage.json", "analyze", "data package of results"))
    if keep_unsuppressed:
        for spec in results_tables(present_chapters).values():
            out.append(Artifact(paths.unsuppressed / f"{spec.name}.csv", "analyze",
                                f"{spec.description} (before disclosure control)"))
    out.append(Artifact(paths.results / WORKBOOK_NAME, "analyze",
                        "every results table in one Excel workbook, with a README sheet"))
    present = set(instruments)
    for language in languages:
        for chapter in chapters:
            if not set(chapter.sources) <= present:
                continue  # the chapter says its source is absent and draws nothing
            for fig in chapter.figures:
                for fmt in FIGURE_FORMATS:
                    path = paths.figures_for(language) / f"{fig.name}.{fmt}"
                    out.append(Artifact(path, "plot", fig.name, language))
        out.append(Artifact(figure_cache_path(paths, language), "plot",
                            "what each figure read: the plot stage redraws only figures whose "
                            "tables, stats, strings or code changed", language))
    for language in languages:
        for fmt in REPORT_FORMATS:
            out.append(
                Artifact(paths.report(language, fmt), "render", f"report ({language})", language)
            )
        out.append(Artifact(pdf_cache_path(paths, language), "render",
                            "the HTML the PDF was made from (by hash): the render stage runs "
                            "WeasyPrint only when the HTML changed", language))
    # Written by the command line after every run or stage, even a failed one; no stage
    # (and so no make target) owns it.
    out.append(Artifact(run_summary_path(paths), "cli", "the last command's stages: duration, "
                        "counts, exit status (differs between runs)", reproducible=False))
    return out


# ---------------------------------------------------------------- reading results


def column_info(spec: TableSpec, column: str) -> tuple[str, str]:
    """(frictionless type, description) of a results column."""
    if column in spec.extra_columns:
        return spec.extra_columns[column]
    try:
        return RESULT_COLUMNS[column]
    except KeyError:
        raise KeyError(
            f"results table {spec.name!r}: column {column!r} is not described; add it to "
            "RESULT_COLUMNS in pipeline/outputs/catalog.py or to the TableSpec's extra_columns"
        ) from None


def read_results_table(paths: OutputPaths, spec: TableSpec) -> pd.DataFrame:
    """Read ``results/tables/<name>.csv`` and check it against its contract."""
    path = require(paths.tables / f"{spec.name}.csv", "analyze")
    frame = _numbers_beside_markers(read_csv(path, keep_default_na=True))
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {missing}")
    if frame.empty and not spec.may_be_empty:
        raise UserError(f"{path}: the table has no rows")
    return frame


def _numbers_beside_markers(frame: pd.DataFrame) -> pd.DataFrame:
    """A numeric column with disclosure-control markers ("<5", "x") is read as text; give
    its other cells back their numbers, so formatting and figures see numbers or markers."""
    from pipeline.report.formatting import is_suppressed

    for column in frame.columns:
        values = frame[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        marked = values.map(is_suppressed).astype(bool)
        if not marked.any():
            continue
        numbers = pd.to_numeric(values.mask(marked), errors="coerce")
        if (numbers.notna() | marked | values.isna()).all():
            shown = numbers.astype(object).where(numbers.notna(), None)
            shown[marked] = values[marked]
            frame[column] = shown
    return frame


def check_table(spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """An analysis step's table must have exactly the declared columns (a programming error
    otherwise: the contract and the code disagree). Columns declared integer that arrive as
    whole floats (counts that went through NaN-aware arithmetic) are written as integers."""
    if tuple(frame.columns) != spec.columns:
        raise RuntimeError(
            f"results table {spec.name!r}: columns {list(frame.columns)} do not match the "
            f"declared contract {list(spec.columns)}"
        )
    out = frame
    for column in spec.columns:
        kind, _ = column_info(spec, column)
        values = frame[column]
        if kind != "integer" or not pd.api.types.is_float_dtype(values):
            continue
        whole = values.dropna()
        if not (whole == whole.round()).all():
            raise RuntimeError(
                f"results table {spec.name!r}: column {column!r} is declared integer but "
                f"holds fractions, e.g. {whole[whole != whole.round()].iloc[0]!r}"
            )
        if out is frame:
            out = frame.copy()
        out[column] = values.round().astype("Int64")
    return out


def results_datapackage(
    specs: Mapping[str, TableSpec],
    frames: Mapping[str, pd.DataFrame],
    *,
    title: str,
    missing_values: Iterable[str] = (),
) -> dict:
    """A Frictionless tabular data package describing ``results/tables/*.csv``.

    ``missing_values`` are the disclosure-control markers ("<5", "x"): a suppressed count
    is a missing value of its integer column, not a string.
    """
    resources = []
    for name, frame in frames.items():
        spec = specs[name]
        fields = []
        for column in frame.columns:
            kind, description = column_info(spec, column)
            fields.append({"name": column, "type": kind, "description": description})
        resource = tabular_resource(name, fields, spec.description)
        resource["schema"]["missingValues"] = ["", *missing_values]
        resources.append(resource)
    return package("werktop-eval-results", title, resources)
