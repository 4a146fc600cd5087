"""Names every module of chapter 6 shares: the design's columns (treatment, unit), the
primary family and its measures, and the small helpers that label a table with its outcome
and write a number into stats.json.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.estimability import not_estimable_note
from pipeline.report.formatting import is_missing
from pipeline.study.errors import UserError
from pipeline.study.plan import AnalysisPlan, Outcome

#: The outcome family compared, the treatment indicator (1 = Werktop candidate, 0 = control)
#: and the unit column (unit fixed effects, imputation indicators).
FAMILY = "primary"
TREATMENT = "werktop"
UNIT = "gemeente"
#: Outcome kinds the chapter can estimate.
KINDS = ("binary", "continuous", "count")
#: Primary measure per outcome kind (the one the multiplicity correction runs over).
#: Trimming rule of the trimmed sensitivity analysis (analysis.propensity.trim_rule).
TRIM_RULE = "crump"
PRIMARY_MEASURE = {"binary": "odds_ratio", "continuous": "mean_difference", "count": "rate_ratio"}


def _labelled(frame: pd.DataFrame, outcome: Outcome) -> pd.DataFrame:
    frame = frame.copy()
    frame.insert(0, "outcome", outcome.name)
    frame.insert(1, "label_nl", outcome.label_nl)
    frame.insert(2, "label_en", outcome.label_en)
    return frame


def _f(value: Any) -> float:
    """A plain float (NaN for missing), for stats.json."""
    return float("nan") if is_missing(value) else float(value)


def family_members(plan: AnalysisPlan) -> tuple[Outcome, ...]:
    """The primary family, checked for kinds this chapter can estimate."""
    members = plan.family(FAMILY)
    unsupported = [f"{o.name} ({o.kind})" for o in members if o.kind not in KINDS]
    if unsupported:
        raise UserError(
            f"{plan.path}: family {FAMILY!r} has outcomes this chapter cannot compare yet: "
            f"{unsupported}; expected kinds {list(KINDS)}"
        )
    return members


def empty_group_note(frame: pd.DataFrame, outcome: str) -> str:
    """Why an outcome cannot be compared when a group has no observed value: the group
    has no respondents (too few respondents) or its respondents lack the outcome
    (``""`` when both groups have a value)."""
    lacking = []
    for code, group in ((1, "Werktop"), (0, "control")):
        members = frame[TREATMENT] == code
        if not members.any():
            return not_estimable_note("too_few_respondents", f"no {group} respondents")
        if not frame.loc[members, outcome].notna().any():
            lacking.append(group)
    if not lacking:
        return ""
    who = "no respondent" if len(lacking) == 2 else f"no {lacking[0]} respondent"
    return not_estimable_note("outcome_missing", f"{who} has a value")
