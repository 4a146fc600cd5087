"""Names every module of chapter 6 shares: the design's columns (treatment, unit), the
primary family and its measures, and the small helpers that label a table with its outcome
and write a number into stats.json.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.errors import UserError
from pipeline.formatting import is_missing
from pipeline.plan import AnalysisPlan, Outcome

#: The outcome family compared, the treatment indicator (1 = Werktop candidate, 0 = control)
#: and the unit column (unit fixed effects, imputation indicators).
FAMILY = "primary"
TREATMENT = "werktop"
UNIT = "gemeente"
#: Outcome kinds the chapter can estimate.
KINDS = ("binary", "continuous", "count")
#: Primary measure per outcome kind (the one the multiplicity correction runs over).
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
