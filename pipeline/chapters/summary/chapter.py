"""Summary ("Samenvatting"), front matter: the report on one page, in plain words first.

Prose before any table: what Werktop achieved (percentage points, with the interval, of
the primary estimate of the effect on the treated), the rate the candidates would likely
have had without it, how sure we are and why it is an association, then the units, the
employers and the municipalities. The sentences are chosen by rules in
``pipeline/chapters/conclusions/headline.py`` (the conclusions run after every chapter
the summary reports on) and stored in ``stats["conclusions"]["headline"]``; the template
only fills the chosen strings. Below the prose: respondents per survey, the key effects
and the claims in compact form.

Computed here (from the clean stage's sample flow and the study config's
``[recruitment.<survey>] invited``): records received and kept per survey, the share of
received records kept after cleaning, and the response rate (received / invited) where
the config gives the number invited.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from pipeline.outputs.catalog import SURVEYS
from pipeline.report.chapter import AnalysisInputs, Chapter, ChapterResults


def response(flow: pd.DataFrame, recruitment: Mapping[str, Any] | None = None) -> list[dict]:
    """Received (raw) and analysed (kept) records per survey, in sample-flow order.

    ``share_kept`` is kept / raw (None when nothing was received): the share of records
    kept after cleaning, not a response rate. ``invited`` is the study config's number
    invited (None: not given) and ``response_rate`` raw / invited."""
    recruitment = recruitment or {}
    out = []
    flow = flow[flow["instrument"].isin(SURVEYS)]
    for instrument in dict.fromkeys(flow["instrument"]):
        rows = flow[flow["instrument"] == instrument]
        steps = rows.groupby("step")["n"].sum()
        raw, kept = int(steps.get("raw", 0)), int(steps.get("kept", 0))
        invited = (recruitment.get(str(instrument)) or {}).get("invited")
        out.append({
            "instrument": str(instrument),
            "label_nl": str(rows["label_nl"].iloc[0]),
            "label_en": str(rows["label_en"].iloc[0]),
            "raw": raw,
            "kept": kept,
            "share_kept": kept / raw if raw else None,
            "invited": invited,
            "response_rate": raw / invited if invited else None,
        })  # fmt: skip
    return out


def analyze(inputs: AnalysisInputs) -> ChapterResults:
    flow = inputs.data("sample_flow")
    flow = flow.assign(n=pd.to_numeric(flow["n"]))
    recruitment = inputs.study.get("recruitment") or {}
    return ChapterResults(stats={"summary": {"response": response(flow, recruitment)}})


CHAPTER = Chapter(
    key="summary",
    kind="front",
    analyze=analyze,
    stats=("summary.response", "conclusions.key_effects", "conclusions.claims",
           "conclusions.units_line", "conclusions.n_supported", "conclusions.n_claims",
           "study.synthetic", "study.confidence", "conclusions.headline"),
)
