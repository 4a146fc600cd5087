"""Pure statistics for the werktop-eval pipeline.

Functions take arrays / Series / DataFrames and return one-row (or tidy) pandas
DataFrames or floats with fixed, documented columns. Nothing here reads files or knows
about the study.

The names below are imported lazily (PEP 562): ``import analysis`` or ``from
analysis.scales import score_scale`` does not pull scipy and statsmodels into a stage
that does not use them; ``from analysis import compare_means`` still works.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "adjust_pvalues": "analysis.multiplicity",
    "compare_categories": "analysis.proportions",
    "compare_means": "analysis.means",
    "compare_proportions": "analysis.proportions",
    "compare_ranks": "analysis.means",
    "cronbach_alpha": "analysis.scales",
    "exact_rank_correlation": "analysis.units",
    "goal_attainment": "analysis.units",
    "reverse_code": "analysis.scales",
    "score_scale": "analysis.scales",
    "smd_categorical": "analysis.balance",
    "standardized_mean_difference": "analysis.balance",
    "variance_ratio": "analysis.balance",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
