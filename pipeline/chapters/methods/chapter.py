"""Methods: the sample flow (raw = excluded + kept), data quality, the tests used."""

from __future__ import annotations

import pandas as pd

from pipeline.report.chapter import AnalysisInputs, Chapter, ChapterResults, TableSpec, ViewInputs
from pipeline.report.view import records
from pipeline.study.codebook import Codebook

FLOW = TableSpec(
    "sample_flow",
    ("instrument", "label_nl", "label_en", "step", "reason", "n"),
    "Sample flow: raw records, exclusions by reason and kept records per instrument",
)
QUALITY = TableSpec(
    "validation_summary",
    ("instrument", "label_nl", "label_en", "issue", "action", "n"),
    "Values that failed a codebook check, counted per instrument, check and action",
    may_be_empty=True,  # clean data give an empty validation summary
)
STEP_ORDER = {"raw": 0, "excluded": 1, "kept": 2}


def validation_summary(report: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Counts of the validation report per instrument, check and action (for the report)."""
    columns = list(QUALITY.columns)
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


def analyze(inputs: AnalysisInputs) -> ChapterResults:
    return ChapterResults(
        tables={
            "validation_summary": validation_summary(
                inputs.data("validation_report"), inputs.codebook
            ),
            "sample_flow": inputs.data("sample_flow"),
        }
    )


def flow_groups(frame: pd.DataFrame, strings: dict, language: str) -> list[dict]:
    """Sample flow per instrument, in file order: raw, the exclusions, kept."""
    from pipeline.study.errors import UserError

    reasons = strings["reasons"]
    unknown = sorted(set(frame["step"]) - set(STEP_ORDER))
    if unknown:
        raise UserError(
            f"sample_flow.csv: unknown step(s) {unknown}; expected {list(STEP_ORDER)}"
        )
    groups = []
    for instrument in dict.fromkeys(frame["instrument"]):
        rows = records(frame[frame["instrument"] == instrument])
        rows.sort(key=lambda r: STEP_ORDER[r["step"]])  # stable: exclusions keep file order
        for row in rows:
            code = row["reason"]
            row["reason_label"] = "" if code is None else reasons.get(code, str(code))
        groups.append(
            {"instrument": instrument, "label": rows[0][f"label_{language}"], "rows": rows}
        )
    return groups


def view(inputs: ViewInputs) -> dict:
    return {
        "flow": flow_groups(inputs.tables["sample_flow"], inputs.strings, inputs.language),
        "quality": records(inputs.tables["validation_summary"]),
    }


CHAPTER = Chapter(
    key="methods",
    tables=(QUALITY, FLOW),
    exhibits=("table:sample_flow", "table:validation_summary"),
    stats=("outcome_family.method", "outcome_family.size", "disclosure.min_cell",
           "summary.response",
           "disclosure.marker", "disclosure.secondary_marker", "disclosure.suppressed_cells"),
    analyze=analyze,
    view=view,
)
