"""Pure statistics for the werktop-eval pipeline.

Functions take arrays / Series / DataFrames and return one-row (or tidy) pandas
DataFrames or floats with fixed, documented columns. Nothing here reads files or knows
about the study.
"""

from analysis.balance import smd_categorical, standardized_mean_difference, variance_ratio
from analysis.means import compare_means, compare_ranks
from analysis.multiplicity import adjust_pvalues
from analysis.proportions import compare_categories, compare_proportions
from analysis.scales import cronbach_alpha, reverse_code, score_scale
from analysis.units import exact_rank_correlation, goal_attainment

__all__ = [
    "adjust_pvalues",
    "compare_categories",
    "compare_means",
    "compare_proportions",
    "compare_ranks",
    "cronbach_alpha",
    "exact_rank_correlation",
    "goal_attainment",
    "reverse_code",
    "score_scale",
    "smd_categorical",
    "standardized_mean_difference",
    "variance_ratio",
]
