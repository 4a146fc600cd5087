"""Summary ("Kerncijfers"), front matter: the report on one page.

Respondents per survey (received and analysed), the key effects with their intervals, the
unit results and the claims scorecard in compact form. Only the response figures are
computed here (from the clean stage's sample flow); everything else the template reads
from stats that later chapters write (``stats["conclusions"]``: key effects, claim
verdicts, the units line) — the analysis step of a front-matter chapter runs before them.
"""

from __future__ import annotations

import pandas as pd

from pipeline.outputs.catalog import SURVEYS
from pipeline.report.chapter import AnalysisInputs, Chapter, ChapterResults


def response(flow: pd.DataFrame) -> list[dict]:
    """Received (raw) and analysed (kept) records per survey, in sample-flow order.

    ``share_kept`` is kept / raw (None when nothing was received)."""
    out = []
    flow = flow[flow["instrument"].isin(SURVEYS)]
    for instrument in dict.fromkeys(flow["instrument"]):
        rows = flow[flow["instrument"] == instrument]
        steps = rows.groupby("step")["n"].sum()
        raw, kept = int(steps.get("raw", 0)), int(steps.get("kept", 0))
        out.append({
            "instrument": str(instrument),
            "label_nl": str(rows["label_nl"].iloc[0]),
            "label_en": str(rows["label_en"].iloc[0]),
            "raw": raw,
            "kept": kept,
            "share_kept": kept / raw if raw else None,
        })  # fmt: skip
    return out


def analyze(inputs: AnalysisInputs) -> ChapterResults:
    flow = inputs.data("sample_flow")
    flow = flow.assign(n=pd.to_numeric(flow["n"]))
    return ChapterResults(stats={"summary": {"response": response(flow)}})


CHAPTER = Chapter(
    key="summary",
    kind="front",
    analyze=analyze,
    stats=("summary.response", "conclusions.key_effects", "conclusions.claims",
           "conclusions.units_line", "conclusions.n_supported", "conclusions.n_claims",
           "study.synthetic", "study.confidence"),
)
