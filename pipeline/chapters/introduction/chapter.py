"""Chapter 1, introduction: the context of Werktop, its principles and the research questions.

Prose from the 2014 report's summary and table of contents (design brief §1). The only
numbers are the units' targets, which come from the unit register (optional: without a
register the chapter leaves the targets out).
"""

from __future__ import annotations

import pandas as pd

from pipeline.report.chapter import AnalysisInputs, Chapter, ChapterResults, SourceAbsent

TARGETS = (("contacten", "doel_contacten"), ("regulier", "doel_regulier"), ("wep", "doel_wep"))


def unit_targets(units: pd.DataFrame, evaluated: list[str]) -> dict | None:
    """The targets per indicator when every evaluated unit has the same ones, else None.

    Returns ``{"contacten": int, "regulier": int, "wep": int}``; None when the units'
    targets differ or are missing (the text then refers to chapter 4 for them).
    """
    rows = units[units["unit"].isin(evaluated)] if evaluated else units
    out = {}
    for name, column in TARGETS:
        if column not in rows.columns or rows.empty:
            return None
        values = pd.to_numeric(rows[column], errors="coerce")
        if values.isna().any() or values.nunique() != 1:
            return None
        out[name] = int(values.iloc[0])
    return out


def analyze(inputs: AnalysisInputs) -> ChapterResults:
    units = [u for u in inputs.codebook.units if not getattr(u, "comparison", False)]
    stats: dict = {
        "n_units": len(units),
        "unit_names": [u.name for u in units],
        "n_municipalities": sum(max(1, len(u.members)) for u in units),
        "targets": None,
    }
    try:
        stats["targets"] = unit_targets(inputs.data("units"), [u.id for u in units])
    except SourceAbsent:
        pass
    return ChapterResults(stats={"introduction": stats})


CHAPTER = Chapter(
    key="introduction",
    analyze=analyze,
    stats=("introduction.n_units", "introduction.unit_names", "introduction.n_municipalities",
           "introduction.targets"),
)
