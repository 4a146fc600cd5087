"""Chapter 6's results tables: the TableSpec of every table it writes, and the tables
beside the effect estimates (baseline characteristics, scale reliability, search channels,
satisfaction, applications and the relationship-manager ratings; the E-values are in
``evalues.py``). Over 500 lines because it is one catalogue: a TableSpec per results
table with its column descriptions, read best in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.balance import BALANCE_COLUMNS
from analysis.baseline import BASELINE_COLUMNS, Characteristic, baseline_table
from analysis.counts import COUNT_COLUMNS, compare_counts
from analysis.estimability import NotEstimable
from analysis.likert import LIKERT_COLUMNS, likert_distribution
from analysis.means import MEANS_COLUMNS
from analysis.multiresponse import COMPARE_COLUMNS, compare_multiresponse
from analysis.ordinal import ORDINAL_COLUMNS, compare_ordinal
from analysis.propensity import OVERLAP_BIN_COLUMNS, OVERLAP_SUMMARY_COLUMNS
from analysis.proportions import PROPORTION_COLUMNS
from analysis.ps_weights import WARNING_COLUMNS, WEIGHT_SUMMARY_COLUMNS
from analysis.ratings import RATING_COLUMNS, describe_rating
from analysis.reliability import reliability_by_group
from analysis.sensitivity import BENCHMARK_COLUMNS, EVALUE_COLUMNS
from pipeline.report.chapter import AnalysisInputs, TableSpec
from pipeline.study.plan import AnalysisPlan

from .common import FAMILY, TREATMENT, UNIT, _labelled, empty_group_note

#: An outcome counts as common (E-value of an OR via sqrt(OR)) above this prevalence.
COMMON_OUTCOME = 0.15

LABELS = ("outcome", "label_nl", "label_en")
_LABEL_COLUMNS = {
    "label_nl": ("string", "Dutch label"),
    "label_en": ("string", "English label"),
}

# ------------------------------------------------------------------ results tables
EMPLOYMENT = TableSpec(
    "employment_comparison",
    (*LABELS, *PROPORTION_COLUMNS),
    "Binary outcomes of the primary family: proportions, test, risk difference, odds ratio "
    "and risk ratio, Werktop vs control (crude and descriptive: no multiplicity correction; "
    "the family's correction belongs to the primary adjusted estimates, jobseekers_effects)",
    # Crude measures are exact functions of the 2x2 cells: hidden with a hidden cell.
    suppress={
        f"events_{g}": (f"p_{g}", "risk_difference", "rd_ci_low", "rd_ci_high", "odds_ratio",
                        "or_ci_low", "or_ci_high", "relative_risk", "rr_ci_low", "rr_ci_high")
        for g in ("treated", "control")
    },
    complements={"events_treated": "n_treated", "events_control": "n_control"},
    # Linked to the work status in appendix II through the plan's derivation (plan_links).
    cell_keys={"events_treated": "jobseekers:{outcome}=1:werktop",
               "events_control": "jobseekers:{outcome}=1:control"},
)
SCALES = TableSpec(
    "scale_comparison",
    (*LABELS, *MEANS_COLUMNS),
    "Continuous outcomes of the primary family: means, Welch t-test, mean difference and "
    "Hedges' g, Werktop vs control (crude and descriptive: no multiplicity correction; "
    "the family's correction belongs to the primary adjusted estimates, jobseekers_effects)",
    suppress={f"n_{g}": (f"mean_{g}", f"sd_{g}") for g in ("treated", "control")},
)
EFFECT_COLUMNS = (
    "outcome", "label_nl", "label_en", "kind", "method", "measure", "estimand",
    "estimate", "ci_low", "ci_high", "se", "se_scale", "p_val", "p_adj",
    "n_used", "n_missing", "n_treated", "n_control", "m", "fmi", "note", "interval", "primary",
    "truth",
)  # fmt: skip
EFFECTS = TableSpec(
    "jobseekers_effects",
    EFFECT_COLUMNS,
    "Primary family: crude, covariate-adjusted (multiple imputation; complete cases), "
    "propensity-score weighted (ATT), doubly robust ATT (primary where estimable) and the "
    "weighted sensitivity analyses (Crump-trimmed ATT, overlap weights) per outcome",
    extra_columns={
        "kind": ("string", "Outcome kind: binary, continuous or count"),
        "method": ("string", "crude; adjusted (regression, multiple imputation); adjusted_att "
                   "(its average marginal effect over the treated); adjusted_cc (complete "
                   "cases); weighted (propensity-score ATT weights); doubly_robust (ATT-"
                   "weighted outcome regression, g-computation over the treated); "
                   "weighted_trimmed (ATT weights within Crump et al.'s score range); "
                   "weighted_ato (overlap weights)"),
        "measure": ("string", "odds_ratio, risk_difference, mean_difference or rate_ratio"),
        "estimand": ("string", "What the estimate estimates: conditional_or / conditional_rr "
                     "/ mean_difference (regression coefficient), ame_rd (AME over everyone, "
                     "an ATE), ame_att_rd (AME over the treated), att_* (marginal effect on "
                     "the treated, weighted), att_*_dr (doubly robust), att_trimmed_*, ato_*"),
        "primary": ("boolean", "The outcome's headline estimate: the doubly robust ATT of its "
                    "primary measure where estimable, else the adjusted estimate; p_adj runs "
                    "over these rows"),
        "truth": ("number", "Planted value of the row's estimand (synthetic studies only)"),
        "estimate": ("number", "Point estimate on the measure's natural scale"),
        "ci_low": ("number", "Lower confidence bound (level 1 - alpha)"),
        "ci_high": ("number", "Upper confidence bound"),
        "se": ("number", "Standard error on se_scale"),
        "se_scale": ("string", "Scale of se: log_or, log_rr, rd or mean_difference"),
        "n_used": ("integer", "Rows in the analysis (observed outcome)"),
        "n_missing": ("integer", "Rows left out: missing outcome (and, for complete "
                      "cases, a missing covariate)"),
        "m": ("integer", "Number of imputations pooled (empty when not imputed)"),
        "fmi": ("number", "Fraction of missing information (Rubin's rules)"),
        "interval": ("string", "Interval method of the weighted, doubly robust and "
                     "sensitivity rows: m_estimation_sandwich (effective control n at least "
                     "the plan's [inference] sandwich_min_ess), hc0_known_weights (the "
                     "trimmed and overlap-weighted rows at that size), stratified_bootstrap "
                     "(re-fitting the propensity score, and the outcome model for the doubly "
                     "robust rows; bootstrap variance pooled with Rubin's rules, Wald "
                     "interval) or stratified_bootstrap_mover (risk differences of the "
                     "weighted comparisons: MOVER from logit-scale intervals of the two "
                     "means, each pooled with Rubin's rules)"),
        "p_adj": ("number", "p-value adjusted across the primary family (method in "
                  "stats.json: outcome_family.method); primary rows only"),
    },
)
BASELINE = TableSpec(
    "jobseekers_baseline",
    (*BASELINE_COLUMNS, "label_nl", "label_en", "level_label_nl", "level_label_en"),
    "Background characteristics by group: n and missing, % or mean (SD) and median (IQR), "
    "standardised mean difference (pooled SD; Yang-Dalton for categorical) and test",
    # One distribution per variable and group; n_treated / n_control are its totals. A
    # level's SMD is a function of its two percentages.
    suppress={"count_treated": ("pct_treated", "smd"), "count_control": ("pct_control", "smd")},
    margins="columns", suppress_within="variable",
    cell_keys={"count_treated": "jobseekers:{variable}={level}:werktop",
               "count_control": "jobseekers:{variable}={level}:control"},
    extra_columns={
        "variable": ("string", "Characteristic (codebook variable)"),
        "label": ("string", "Characteristic label (English)"),
        "kind": ("string", "categorical or continuous"),
        "level": ("string", "Code of the category (empty for continuous)"),
        "level_label": ("string", "Category label (English)"),
        "level_label_nl": ("string", "Category label (Dutch)"),
        "level_label_en": ("string", "Category label (English)"),
        "missing_treated": ("integer", "Werktop candidates with a missing value"),
        "missing_control": ("integer", "Control-group respondents with a missing value"),
        "count_treated": ("integer", "Werktop candidates in the category"),
        "count_control": ("integer", "Control-group respondents in the category"),
        "pct_treated": ("number", "Percentage (0-100) of the non-missing Werktop candidates"),
        "pct_control": ("number", "Percentage (0-100) of the non-missing control group"),
        "median_treated": ("number", "Median, Werktop"),
        "q1_treated": ("number", "First quartile, Werktop"),
        "q3_treated": ("number", "Third quartile, Werktop"),
        "median_control": ("number", "Median, control"),
        "q1_control": ("number", "First quartile, control"),
        "q3_control": ("number", "Third quartile, control"),
        "smd": ("number", "Standardised mean difference (Werktop minus control; pooled SD "
                "of the unweighted samples; categories on the proportion scale)"),
        "smd_summary": ("number", "Variable-level |SMD| (Yang-Dalton multivariate SMD for "
                        "categorical variables)"),
        "smd_summary_method": ("string", "abs_smd_pooled_sd or yang_dalton_mahalanobis"),
    },
)
BALANCE = TableSpec(
    "jobseekers_balance",
    (*BALANCE_COLUMNS, "smd_weighted_max_abs", "m"),
    "Covariate balance before and after ATT weighting (SMD Werktop minus control over the "
    "pooled SD of the unweighted groups; variance ratio; KS statistic), averaged over the "
    "completed data sets",
    may_be_empty=True,  # not estimable in a degenerate study (too few respondents)
    extra_columns={
        "covariate": ("string", "Covariate"),
        "level": ("string", "Category (empty for numeric covariates)"),
        "type": ("string", "binary, continuous or categorical"),
        "mean_treated_w": ("number", "Weighted mean, Werktop (weights 1)"),
        "mean_control_w": ("number", "Weighted mean, control (ATT weights)"),
        "smd_unweighted": ("number", "SMD before weighting, Werktop minus control (pooled "
                           "SD of the unweighted groups)"),
        "smd_weighted": ("number", "SMD after weighting (same denominator)"),
        "vr_unweighted": ("number", "Variance ratio before weighting (continuous only)"),
        "vr_weighted": ("number", "Variance ratio after weighting (continuous only)"),
        "ks_unweighted": ("number", "Kolmogorov-Smirnov statistic before weighting"),
        "ks_weighted": ("number", "Kolmogorov-Smirnov statistic after weighting (weighted "
                        "ECDFs)"),
        "balanced_smd": ("boolean", "|SMD after weighting| < 0.1 in every completed data set"),
        "smd_weighted_max_abs": ("number", "Largest |SMD| after weighting over the completed "
                                 "data sets"),
        "m": ("integer", "Completed data sets the row summarises"),
        "balanced_vr": ("boolean", "Variance ratio after weighting between 0.5 and 2"),
    },
)
WEIGHTS = TableSpec(
    "jobseekers_weights",
    (*WEIGHT_SUMMARY_COLUMNS,),
    "Distribution of the ATT weights per group, Kish effective sample size and design "
    "effect, first completed data set",
    may_be_empty=True,  # not estimable in a degenerate study (too few respondents)
    extra_columns={
        "group": ("string", "treated or control"),
        "sum_weights": ("number", "Sum of the weights"),
        "ess": ("number", "Kish effective sample size (sum w)^2 / sum w^2"),
        "design_effect": ("number", "n / ess"),
        "mean": ("number", "Mean weight"), "min": ("number", "Smallest weight"),
        "q25": ("number", "First quartile"), "median": ("number", "Median weight"),
        "q75": ("number", "Third quartile"), "q99": ("number", "99th percentile"),
        "max": ("number", "Largest weight"),
        "n_trimmed": ("integer", "Controls whose propensity score was capped"),
    },
)
OVERLAP = TableSpec(
    "jobseekers_overlap",
    (*OVERLAP_BIN_COLUMNS,),
    "Propensity-score histogram per group (first completed data set), for the overlap figure",
    may_be_empty=True,  # not estimable in a degenerate study (too few respondents)
    extra_columns={
        "bin": ("integer", "Bin number"), "bin_low": ("number", "Lower bin edge"),
        "bin_high": ("number", "Upper bin edge"),
        "share_treated": ("number", "Share of the Werktop candidates in the bin"),
        "share_control": ("number", "Share of the control group in the bin"),
    },
)
OVERLAP_SUMMARY = TableSpec(
    "jobseekers_overlap_summary",
    (*OVERLAP_SUMMARY_COLUMNS,),
    "Overlap of the propensity scores (first completed data set): ranges per group, who "
    "lies outside the other group's range, the tails of the 0.1/0.9 rule and Crump et "
    "al.'s (2009) trimming threshold",
    may_be_empty=True,
    extra_columns={
        "ps_min_treated": ("number", "Smallest score, Werktop"),
        "ps_max_treated": ("number", "Largest score, Werktop"),
        "ps_min_control": ("number", "Smallest score, control"),
        "ps_max_control": ("number", "Largest score, control"),
        "n_control_outside": ("integer", "Controls outside the Werktop score range"),
        "share_control_outside": ("number", "Share of the controls outside it"),
        "n_treated_outside": ("integer", "Werktop candidates outside the control range"),
        "share_treated_outside": ("number", "Share of the Werktop candidates outside it"),
        "n_treated_above_0_9": ("integer", "Werktop candidates with a score above 0.9"),
        "n_control_above_0_9": ("integer", "Controls with a score above 0.9"),
        "n_treated_below_0_1": ("integer", "Werktop candidates with a score below 0.1"),
        "n_control_below_0_1": ("integer", "Controls with a score below 0.1"),
        "crump_alpha": ("number", "Crump et al.'s threshold: keep alpha <= score <= 1 - alpha"),
        "n_outside_crump": ("integer", "Respondents outside that range"),
    },
)
WARNINGS = TableSpec(
    "jobseekers_weighting_warnings",
    (*WARNING_COLUMNS,),
    "Warnings of the weighted analysis: poor overlap (over 5% of the Werktop candidates "
    "outside the control range), a control effective sample size below 10% of the "
    "controls, |SMD| after weighting of 0.1 or more, separation; no rows when none applies",
    may_be_empty=True,
    extra_columns={
        "check": ("string", "poor_overlap, small_ess, imbalance or separation"),
        "value": ("number", "The statistic checked"),
        "threshold": ("number", "Its threshold"),
        "message": ("string", "What is wrong (English)"),
    },
)
EVALUES = TableSpec(
    "jobseekers_evalues",
    (*LABELS, *EVALUE_COLUMNS),
    "E-values of the primary adjusted estimates (VanderWeele & Ding 2017)",
    may_be_empty=True,  # not estimable in a degenerate study (too few respondents)
    extra_columns={
        "measure": ("string", "or, rr or smd"),
        "estimate": ("number", "Adjusted estimate (OR, rate ratio, or SMD = MD / pooled SD)"),
        "ci_low": ("number", "Lower confidence bound"),
        "ci_high": ("number", "Upper confidence bound"),
        "transformation": ("string", "Conversion to the risk-ratio scale"),
        "rr": ("number", "Estimate on the approximate risk-ratio scale"),
        "rr_ci_low": ("number", "Lower bound on the risk-ratio scale"),
        "rr_ci_high": ("number", "Upper bound on the risk-ratio scale"),
        "evalue_estimate": ("number", "E-value of the point estimate"),
        "evalue_ci": ("number", "E-value of the confidence bound closest to 1"),
    },
)
BENCHMARK = TableSpec(
    "jobseekers_evalue_benchmark",
    ("outcome", *BENCHMARK_COLUMNS),
    "Benchmarks for the E-values: how strongly each numeric background characteristic goes "
    "with taking part in Werktop and with each outcome (its 75th versus 25th percentile, "
    "adjusted for the other characteristics; complete cases), on the E-value's risk-ratio "
    "scale",
    may_be_empty=True,
    extra_columns={
        "outcome": ("string", "The outcome, or the treatment column for the association "
                    "with taking part"),
        "covariate": ("string", "Background characteristic"),
        "low": ("number", "25th percentile (observed, both groups)"),
        "high": ("number", "75th percentile"),
        "target": ("string", "The model's dependent variable"),
        "kind": ("string", "binary (logit), count (Poisson) or continuous (linear)"),
        "contrast": ("number", "Change of the linear predictor from low to high"),
        "rr": ("number", "Risk ratio (oriented away from 1): sqrt(OR) for a common binary "
               "outcome, exp(0.91 d) for a continuous one, as the E-values"),
    },
)
APPLICATIONS = TableSpec(
    "jobseekers_applications",
    (*LABELS, *COUNT_COLUMNS),
    "Applications in the last 4 weeks: rate ratio from negative binomial models, crude and "
    "adjusted (complete cases), and the Mann-Whitney test (the Poisson rate ratios are the "
    "rows of jobseekers_effects)",
    suppress={"n_treated": ("mean_treated",), "n_control": ("mean_control",)},
    extra_columns={
        "method": ("string", "negative_binomial or mann_whitney"),
        "covariates": ("string", "Adjustment covariates (empty: crude)"),
        "n_dropped": ("integer", "Rows dropped (missing outcome, group or covariate)"),
        "rate_ratio": ("number", "Rate ratio, Werktop vs control"),
        "ci_low": ("number", "Lower confidence bound"),
        "ci_high": ("number", "Upper confidence bound"),
        "se_log_rr": ("number", "Standard error of the log rate ratio"),
        "dispersion": ("number", "Negative binomial alpha (NB2)"),
        "converged": ("boolean", "The model converged"),
        "rank_biserial": ("number", "Rank-biserial correlation (Mann-Whitney)"),
    },
)
CHANNELS = TableSpec(
    "jobseekers_channels",
    (*COMPARE_COLUMNS, "label_nl", "label_en"),
    "Search channels (multiple response): % per group, risk difference, test and "
    "Benjamini-Hochberg adjustment within the set",
    # Multiple response: no additive totals, but the rest (n - count) is a cell too. A
    # test of a suppressed count is not shown either (a p-value next to the published n's
    # can give the count away); appendix II shows this row's p, not a copy of its own.
    suppress={
        f"count_{g}": (f"p_{g}", f"ci_low_{g}", f"ci_high_{g}", "risk_difference",
                       "rd_ci_low", "rd_ci_high", "statistic", "p_val", "p_adj_bh")
        for g in ("treated", "control")
    },
    complements={"count_treated": "n_treated", "count_control": "n_control"},
    cell_keys={"count_treated": "jobseekers:{item}=1:werktop",
               "count_control": "jobseekers:{item}=1:control"},
    extra_columns={
        "item": ("string", "Item of the multiple-response set"),
        "label": ("string", "Item label (English)"),
        "count_treated": ("integer", "Werktop candidates ticking the item"),
        "count_control": ("integer", "Control-group respondents ticking the item"),
        "ci_low_treated": ("number", "Lower Wilson bound, Werktop"),
        "ci_high_treated": ("number", "Upper Wilson bound, Werktop"),
        "ci_low_control": ("number", "Lower Wilson bound, control"),
        "ci_high_control": ("number", "Upper Wilson bound, control"),
        "p_adj_bh": ("number", "Benjamini-Hochberg adjusted p within the set"),
    },
)
SATISFACTION = TableSpec(
    "jobseekers_satisfaction",
    (*LABELS, *ORDINAL_COLUMNS),
    "Satisfaction with the social service's added value as an ordinal item: top-two-box "
    "difference, proportional-odds odds ratio and Mann-Whitney test",
    may_be_empty=True,  # not estimable in a degenerate study (too few respondents)
    suppress={"n_treated": ("p_treated",), "n_control": ("p_control",)},
    extra_columns={
        "method": ("string", "top_box, ordinal_logit or mann_whitney"),
        "effect": ("string", "risk_difference, odds_ratio or rank_biserial"),
        "estimate": ("number", "Effect estimate"),
        "ci_low": ("number", "Lower confidence bound"),
        "ci_high": ("number", "Upper confidence bound"),
    },
)
RELIABILITY = TableSpec(
    "jobseekers_reliability",
    ("scale", "label_nl", "label_en", "group", "n_total", "n", "k", "min_items",
     "cronbach_alpha", "ci_low", "ci_high"),
    "Cronbach's alpha (Feldt CI) per scale and group, complete cases",
    extra_columns={
        "scale": ("string", "Scale (codebook)"),
        "group": ("string", "treated (Werktop) or control"),
        "n_total": ("integer", "Respondents in the group"),
        "k": ("integer", "Items in the scale"),
        "min_items": ("integer", "Answered items needed for a scale score"),
        "cronbach_alpha": ("number", "Cronbach's alpha (complete cases)"),
        "ci_low": ("number", "Lower Feldt confidence bound"),
        "ci_high": ("number", "Upper Feldt confidence bound"),
    },
)
ITEMS = TableSpec(
    "jobseekers_item_rest",
    ("scale", "group", "item", "label_en", "n", "mean", "sd", "item_rest_r",
     "alpha_if_deleted"),
    "Item-rest correlations and alpha if item deleted, per scale and group",
    suppress={"n": ("mean", "sd")},
    extra_columns={
        "scale": ("string", "Scale (codebook)"),
        "group": ("string", "treated (Werktop) or control"),
        "item": ("string", "Item (reverse-worded items recoded: <item>_r)"),
        "mean": ("number", "Item mean"), "sd": ("number", "Item SD (n - 1)"),
        "item_rest_r": ("number", "Corrected item-rest correlation"),
        "alpha_if_deleted": ("number", "Cronbach's alpha without the item"),
    },
)
RM_ITEMS = TableSpec(
    "jobseekers_rm_items",
    (*LIKERT_COLUMNS, "label_nl", "label_en"),
    "Werktop candidates' rating of the relationship manager: answer distribution per item",
    may_be_empty=True,
    suppress={"n": ("pct",)}, margins="columns", suppress_within="item",
    cell_keys={"n": "jobseekers:{item}={level}:werktop"},
    extra_columns={
        "item": ("string", "Item"), "level": ("integer", "Answer code"),
        "label": ("string", "Answer label"),
        "pct": ("number", "Percentage of valid answers (0-100)"),
        "n_valid": ("integer", "Valid answers"), "n_na": ("integer", "'Weet niet' answers"),
        "pct_na": ("number", "Percentage 'weet niet'"),
        "n_missing": ("integer", "No answer"), "n_total": ("integer", "Respondents"),
    },
)
RM_RATING = TableSpec(
    "jobseekers_rm_rating",
    (*RATING_COLUMNS,),
    "Werktop candidates' mark for the relationship manager (1-10)",
    suppress={"n": ("mean", "sd", "mean_ci_low", "mean_ci_high", "median", "q1", "q3", "iqr",
                    "min", "max"),
              "n_pass": ("p_pass", "pass_ci_low", "pass_ci_high")},
    complements={"n_pass": "n"},
    cell_keys={"n": "jobseekers:rm_cijfer:valid:{group}"},
    key_values={"group": {"treated": "werktop"}},
    extra_columns={
        "group": ("string", "Group"), "n_missing": ("integer", "No valid mark"),
        "mean": ("number", "Mean mark"), "sd": ("number", "SD (n - 1)"),
        "mean_ci_low": ("number", "Lower t bound of the mean"),
        "mean_ci_high": ("number", "Upper t bound of the mean"),
        "median": ("number", "Median"), "q1": ("number", "First quartile"),
        "q3": ("number", "Third quartile"), "iqr": ("number", "Interquartile range"),
        "min": ("number", "Lowest mark"), "max": ("number", "Highest mark"),
        "n_pass": ("integer", "Marks of 6 or more"),
        "p_pass": ("number", "Share of marks of 6 or more"),
        "pass_ci_low": ("number", "Lower Wilson bound of p_pass"),
        "pass_ci_high": ("number", "Upper Wilson bound of p_pass"),
    },
)


# ------------------------------------------------------------------ the other tables
def _codes(codebook: Any, name: str) -> list[tuple[int, str, str]]:
    var = codebook.instruments["candidates"].variable(name)
    return [(c.code, c.nl, c.en) for c in var.codes]


def baseline(jobseekers: pd.DataFrame, inputs: AnalysisInputs, covs: Any) -> pd.DataFrame:
    """Table 1: the plan's covariates and the unit, labels and codes from the codebook."""
    inst = inputs.codebook.instruments["candidates"]
    specs, labels_nl, level_nl, level_en = [], {}, {}, {}
    for name in [*covs.adjust, UNIT]:
        if name == UNIT:
            units = [u for u in inputs.codebook.units]
            codes = [(u.id, u.name, u.name) for u in units]
            label_en, label_nl = "Unit", "Gemeente"
        else:
            var = inst.variable(name)
            codes = [(c.code, c.nl, c.en) for c in var.codes]
            label_en, label_nl = var.label_en, var.label_en
        labels_nl[name] = label_nl
        if name in covs.categorical or name == UNIT or codes:
            specs.append(Characteristic(name, "categorical", [(c, en) for c, _, en in codes],
                                        label=label_en))  # fmt: skip
            for code, nl, en in codes:
                level_nl[(name, code)], level_en[(name, code)] = nl, en
        else:
            specs.append(Characteristic(name, "continuous", label=label_en))
    frame = jobseekers.copy()
    table = baseline_table(frame, TREATMENT, specs)
    table["label_nl"] = table["variable"].map(labels_nl)
    table["label_en"] = table["label"]
    keys = list(zip(table["variable"], table["level"], strict=True))
    table["level_label_nl"] = [level_nl.get(k) for k in keys]
    table["level_label_en"] = [level_en.get(k) for k in keys]
    return table


def reliability(jobseekers: pd.DataFrame, inputs: AnalysisInputs,
                alpha: float) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    inst = inputs.codebook.instruments["candidates"]
    groups = jobseekers.assign(_group=np.where(jobseekers[TREATMENT] == 1, "treated", "control"))
    alphas, items = [], []
    for scale in inst.scales:
        cols = [f"{i}_r" if i in scale.reverse_items else i for i in scale.items]
        cols = [c for c in cols if c in groups.columns]
        if len(cols) < 2:
            continue
        control_has = groups.loc[groups[TREATMENT] == 0, cols].notna().any().any()
        order = ["treated", "control"] if control_has else ["treated"]
        a, it = reliability_by_group(groups, cols, "_group", order=order, alpha=alpha)
        a.insert(0, "scale", scale.name)
        a.insert(1, "label_nl", scale.label_nl)
        a.insert(2, "label_en", scale.label_en)
        a.insert(7, "min_items", scale.min_items)
        alphas.append(a)
        it.insert(0, "scale", scale.name)
        source = {c: c.removesuffix("_r") for c in cols}
        it.insert(3, "label_en", [inst.variable(source[c]).label_en for c in it["item"]])
        items.append(it)
    return (pd.concat(alphas, ignore_index=True)[list(RELIABILITY.columns)],
            pd.concat(items, ignore_index=True)[list(ITEMS.columns)])  # fmt: skip


def channels(jobseekers: pd.DataFrame, inputs: AnalysisInputs, alpha: float) -> pd.DataFrame:
    inst = inputs.codebook.instruments["candidates"]
    frames = []
    for mrset in inst.mrsets:
        labels = {i: inst.variable(i).label_en for i in mrset.items}
        t = compare_multiresponse(jobseekers, list(mrset.items), TREATMENT, labels=labels,
                                  alpha=alpha)  # fmt: skip
        t["label_nl"] = [inst.variable(i).question_nl for i in mrset.items]
        t["label_en"] = t["label"]
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def satisfaction(jobseekers: pd.DataFrame, inputs: AnalysisInputs, plan: AnalysisPlan,
                 alpha: float) -> tuple[pd.DataFrame, list[dict[str, str]]]:  # fmt: skip
    """The ordinal comparisons of the satisfaction item, and what was not estimable
    (``{"outcome", "method", "note"}``; the table has no note column): no table at all
    when a group has no answer, no proportional-odds row estimate when the model has no
    maximum (:func:`analysis.ordinal.ordinal_logit`)."""
    outcome = plan.outcome("tevreden_meerwaarde")
    levels = [c for c, _, _ in _codes(inputs.codebook, outcome.name)]
    t = jobseekers.loc[jobseekers[TREATMENT] == 1, outcome.name]
    c = jobseekers.loc[jobseekers[TREATMENT] == 0, outcome.name]
    if t.notna().sum() == 0 or c.notna().sum() == 0:
        note = empty_group_note(jobseekers, outcome.name)
        return (pd.DataFrame(columns=SATISFACTION.columns),
                [{"outcome": outcome.name, "method": "all", "note": note}])  # fmt: skip
    failed = []
    try:
        table = compare_ordinal(t.dropna(), c.dropna(), levels=levels, top=tuple(levels[-2:]),
                                alpha=alpha)  # fmt: skip
    except NotEstimable as exc:
        failed.append({"outcome": outcome.name, "method": "ordinal_logit", "note": exc.note})
        table = compare_ordinal(t.dropna(), c.dropna(), levels=levels, top=tuple(levels[-2:]),
                                alpha=alpha, proportional_odds=False)  # fmt: skip
    return _labelled(table, outcome), failed


def applications(jobseekers: pd.DataFrame, plan: AnalysisPlan, covariates: Sequence[str],
                 categorical: Sequence[str],
                 alpha: float) -> tuple[pd.DataFrame, list[dict[str, str]]]:  # fmt: skip
    """The count outcomes' comparisons, crude and adjusted, and what was not estimable.

    The adjusted models take the chapter's model terms (``covariates``: the plan's
    transforms applied, e.g. spline terms of age), as every other adjusted model does.

    A comparison the data cannot estimate (:class:`~analysis.estimability.NotEstimable`)
    keeps its rows, with the counts and no estimates; the second value lists them as
    ``{"outcome", "covariates", "note"}`` (the table has no note column).
    """
    frames, failed = [], []
    for outcome in plan.family(FAMILY):
        if outcome.kind != "count":
            continue
        parts = []
        for terms, cats in (([], []), ([*covariates, UNIT], [*categorical, UNIT])):
            try:
                part = compare_counts(jobseekers, outcome.name, TREATMENT, covariates=terms,
                                      categorical=cats, alpha=alpha)  # fmt: skip
            except NotEstimable as exc:
                part = _counts_without_estimates(jobseekers, outcome.name, terms)
                failed.append({"outcome": outcome.name, "covariates": ",".join(terms),
                               "note": exc.note})  # fmt: skip
            # the Poisson model is the effects table's (jobseekers_effects: crude and
            # adjusted_cc rate ratios, HC3 when adjusted); it is not fitted twice
            part = part[part["method"] != "poisson_robust"]
            parts.append(part[part["method"] != "mann_whitney"] if terms else part)
        frames.append(_labelled(pd.concat(parts, ignore_index=True), outcome))
    if not frames:
        return pd.DataFrame(columns=APPLICATIONS.columns), failed
    return pd.concat(frames, ignore_index=True), failed


def _counts_without_estimates(frame: pd.DataFrame, outcome: str,
                              covariates: Sequence[str]) -> pd.DataFrame:  # fmt: skip
    """The rows of ``compare_counts`` for a comparison that is not estimable: the
    respondents with the outcome per group and their means, no rate ratio or test."""
    data = frame[[outcome, TREATMENT, *covariates]].dropna()
    y_t = data.loc[data[TREATMENT] == 1, outcome]
    y_c = data.loc[data[TREATMENT] == 0, outcome]
    rows = [{c: float("nan") for c in COUNT_COLUMNS} | {
        "method": method, "covariates": ",".join(covariates), "n": len(data),
        "n_dropped": len(frame) - len(data), "n_treated": len(y_t), "n_control": len(y_c),
        "mean_treated": float(y_t.mean()) if len(y_t) else float("nan"),
        "mean_control": float(y_c.mean()) if len(y_c) else float("nan"), "converged": None,
    } for method in ("poisson_robust", "negative_binomial", "mann_whitney")]  # fmt: skip
    return pd.DataFrame(rows, columns=COUNT_COLUMNS)


def rm_ratings(jobseekers: pd.DataFrame, inputs: AnalysisInputs,
               alpha: float) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    inst = inputs.codebook.instruments["candidates"]
    treated = jobseekers[jobseekers[TREATMENT] == 1]
    scale = next((s for s in inst.scales if s.name == "relatiemanager_kandidaat"), None)
    items = [i for i in (scale.items if scale else ()) if i in treated.columns]
    if items:
        first = inst.variable(items[0])
        levels = [c.code for c in first.codes]
        dist = likert_distribution(treated[items], levels, na_codes=(),
                                   labels=[c.nl for c in first.codes])  # fmt: skip
        dist["label_nl"] = dist["item"].map(lambda i: inst.variable(i).question_nl)
        dist["label_en"] = dist["item"].map(lambda i: inst.variable(i).label_en)
    else:
        dist = pd.DataFrame(columns=RM_ITEMS.columns)
    values = treated["rm_cijfer"] if "rm_cijfer" in treated.columns else pd.Series(dtype=float)
    rating = describe_rating(values.to_numpy(dtype="float64"), alpha=alpha, total_label="treated")
    return dist, rating
