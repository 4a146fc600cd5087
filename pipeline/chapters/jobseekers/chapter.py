"""Chapter 6: experiences of job seekers — Werktop candidates versus the control group.

The control group was not randomised, so every outcome of the primary family
(``[families.primary]`` in the analysis plan) gets three estimates side by side:

- **crude**: the unadjusted two-group comparison;
- **adjusted** (primary): a regression with the plan's covariates and unit fixed effects
  (logit / OLS / Poisson, HC3), on ``M`` data sets completed by multiple imputation
  (chained equations, predictive mean matching), pooled with Rubin's rules; the
  complete-case fit is the sensitivity analysis;
- **weighted**: propensity-score weighting for the effect on the treated (ATT), within
  each completed data set, pooled with Rubin's rules.

The multiplicity correction of the family runs over the p-values of the primary adjusted
estimates. Around it: the background characteristics by group (with SMDs), balance and
overlap diagnostics, E-values, the count, multiple-response and ordinal views of the
outcomes, scale reliability, the candidates' ratings of the relationship manager, and the
verdicts on claims 1-4 and 8 for the conclusions chapter.

The crude tables ``employment_comparison`` and ``scale_comparison`` and the stats keys
``employment``, ``scales`` and ``outcome_family`` keep their earlier shape.

This module holds ``CHAPTER`` and the analysis step that wires the parts together; the
parts are its sibling modules: ``common.py`` (shared names), ``tables.py`` (TableSpecs and
the tables beside the estimates), ``estimates.py`` (crude, adjusted and weighted rows,
pooling), ``imputation.py`` (the streamed imputation run), ``claims.py``, ``figures.py``
and ``view.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from analysis.balance import SMD_THRESHOLD, VR_BOUNDS
from analysis.design import HARRELL_QUANTILES, covariate_terms, rcs_knots
from analysis.estimability import note_reason
from analysis.multiplicity import adjust_pvalues
from analysis.ps_weights import ESS_SHARE_MIN, OVERLAP_SHARE_MAX, weighting_warnings
from pipeline.report.chapter import AnalysisInputs, Chapter, ChapterResults
from pipeline.report.formatting import is_missing
from pipeline.study.errors import UserError

# ``name as name``: not used here, re-exported for tests/ (``chapter_module("jobseekers")``)
# and benchmarks/bench_pmm.py, which reach the chapter's pieces through this module.
from .claims import _pick, _truth_stats, _wishes_coded, claims, truth_by_estimand
from .claims import outcome_verdict as outcome_verdict
from .clustering import CLUSTERING, CLUSTERING_COLUMNS, clustering_table
from .common import FAMILY, PRIMARY_MEASURE, TREATMENT, UNIT, _f, family_members
from .estimates import _crude_rows as _crude_rows
from .estimates import crude_tables, estimate_outcome, not_working_rows, pooled_outcome_rows
from .evalues import evalue_benchmark, evalues
from .figures import FIGURES
from .imputation import (
    PS_SEPARATION,
    PS_TRIM,
    check_groups_share_units,
    imputed_analysis,
)
from .imputation import imputation_frame as imputation_frame
from .intervals import replicates_per_set, rule_sides
from .tables import (
    APPLICATIONS,
    BALANCE,
    BASELINE,
    BENCHMARK,
    CHANNELS,
    EFFECT_COLUMNS,
    EFFECTS,
    EMPLOYMENT,
    EVALUES,
    ITEMS,
    OVERLAP,
    OVERLAP_SUMMARY,
    RELIABILITY,
    RM_ITEMS,
    RM_RATING,
    SATISFACTION,
    SCALES,
    WARNINGS,
    WEIGHTS,
    applications,
    baseline,
    channels,
    reliability,
    rm_ratings,
    satisfaction,
)
from .view import view
from .wishes import WISHES, wishes, wishes_summary

METHODS = ("crude", "adjusted", "adjusted_cc", "weighted", "adjusted_att", "doubly_robust",
           "weighted_trimmed", "weighted_ato", "adjusted_cc_not_working",
           "doubly_robust_cc_not_working")
#: Methods whose row can be the primary estimate, in order of preference: the doubly
#: robust ATT where it is estimable, else the adjusted (multiple imputation) estimate.
PRIMARY_METHODS = ("doubly_robust", "adjusted")


def model_terms(jobseekers: pd.DataFrame, covs: Any) -> tuple[pd.DataFrame, list[str], dict]:
    """The frame with the plan's covariate terms added, their names (what every model is
    given) and, for stats.json, each covariate's transform and spline knots.

    Knots come from the observed values of both groups together (before imputation) at
    Harrell's quantiles (:func:`analysis.design.rcs_knots`); the chains impute the covariate
    itself and its terms are computed from the imputed values (passive imputation,
    ``imputation.CompletedData``).
    """
    transforms = covs.transforms()
    knots: dict[str, list[float]] = {}
    linear_instead = []
    for name, kind in list(transforms.items()):
        if kind == "rcs":
            try:
                knots[name] = [float(v) for v in rcs_knots(jobseekers[name], covs.spline_knots)]
            except ValueError:
                # too few distinct values for distinct knots (a tiny study): the covariate
                # enters linearly, and stats.json says so
                transforms[name] = "linear"
                linear_instead.append(name)
    terms, names = covariate_terms(jobseekers, covs.adjust, transforms, knots)
    if len(terms.columns):
        jobseekers = pd.concat([jobseekers, terms], axis=1)
    design = {
        "transforms": transforms,
        "spline_knots": covs.spline_knots,
        "knot_quantiles": list(HARRELL_QUANTILES[covs.spline_knots]),
        "knots": knots,
        "terms": names,
        "rcs_as_linear": linear_instead,
    }
    return jobseekers, names, design


def primary_rows(effects: pd.DataFrame, members: Sequence[Any]) -> pd.Series:
    """True on the one row per outcome that is the headline estimate: the doubly robust
    ATT of the outcome's primary measure where it has an estimate, else the adjusted one."""
    primary = pd.Series(False, index=effects.index)
    for outcome in members:
        for method in PRIMARY_METHODS:
            sel = ((effects["outcome"] == outcome.name) & (effects["method"] == method)
                   & (effects["measure"] == PRIMARY_MEASURE[outcome.kind]))  # fmt: skip
            if sel.any() and effects.loc[sel, "estimate"].notna().all():
                primary |= sel
                break
        else:  # neither has an estimate: the adjusted row carries the note
            primary |= ((effects["outcome"] == outcome.name) & (effects["method"] == "adjusted")
                        & (effects["measure"] == PRIMARY_MEASURE[outcome.kind]))  # fmt: skip
    return primary


def balance_over_sets(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One balance row per covariate (level): the statistics averaged over the completed
    data sets, ``smd_weighted_max_abs`` the largest |SMD| after weighting in any of them,
    ``balanced_smd`` judged on that largest value, ``m`` the number of data sets."""
    keys = ["covariate", "level"]
    stacked = pd.concat(
        [t.assign(level=t["level"].astype("string"), _set=i) for i, t in enumerate(tables)],
        ignore_index=True)
    numeric = ["n_treated", "n_control", "mean_treated", "mean_control", "mean_treated_w",
               "mean_control_w", "smd_unweighted", "smd_weighted", "vr_unweighted",
               "vr_weighted", "ks_unweighted", "ks_weighted"]  # fmt: skip
    first = tables[0].assign(level=tables[0]["level"].astype("string"))[[*keys, "type"]]
    grouped = stacked.groupby(keys, sort=False, dropna=False)
    means = grouped[numeric].mean().reset_index()
    means["smd_weighted_max_abs"] = grouped["smd_weighted"].apply(
        lambda x: x.abs().max()).to_numpy()
    out = first.merge(means, on=keys, how="left", sort=False)
    out["m"] = len(tables)
    out["balanced_smd"] = out["smd_weighted_max_abs"] < SMD_THRESHOLD
    cont = out["type"] == "continuous"
    out["balanced_vr"] = pd.array([
        bool(VR_BOUNDS[0] < v < VR_BOUNDS[1]) if c else pd.NA
        for v, c in zip(out["vr_weighted"], cont, strict=True)], dtype="boolean")
    return out[list(BALANCE.columns)]


def planted_truth(effects: pd.DataFrame, truth: Mapping[str, Any] | None) -> pd.Series:
    """The planted value of each row's estimand in a synthetic study (NaN otherwise)."""
    values = truth_by_estimand(truth)
    return pd.Series([values.get((o, e), float("nan"))
                      for o, e in zip(effects["outcome"], effects["estimand"], strict=True)],
                     index=effects.index, dtype="float64")  # fmt: skip


# ------------------------------------------------------------------ analysis step
def analyze_frame(jobseekers: pd.DataFrame, inputs: AnalysisInputs) -> ChapterResults:
    """The whole chapter on one jobseekers frame (one row per respondent); the number of
    imputations and MICE cycles follow the analysis plan's ``[imputation]``."""
    plan, alpha = inputs.plan, inputs.alpha
    method = plan.method(FAMILY, inputs.multiplicity)
    members = family_members(plan)
    covs = plan.covariates
    if covs is None:
        raise UserError(f"{plan.path}: the jobseekers chapter needs a [covariates] table")
    covariates, categorical = list(covs.adjust), list(covs.categorical)
    usable = jobseekers[TREATMENT].notna() & jobseekers[UNIT].notna()
    if not usable.all():  # (a filtered copy only when a row must go)
        jobseekers = jobseekers[usable]
    jobseekers = jobseekers.reset_index(drop=True)
    # the plan's transforms: one set of term columns (spline knots from the pooled observed
    # data, computed once) for the outcome, propensity-score and imputation models alike
    jobseekers, covariates, design = model_terms(jobseekers, covs)

    binary, scales = crude_tables(jobseekers, members, alpha=alpha)
    units = [u.id for u in inputs.codebook.units if (jobseekers[UNIT] == u.id).any()]
    both = jobseekers[TREATMENT].nunique() == 2

    rows: list[dict] = []
    balance = pd.DataFrame(columns=BALANCE.columns)
    wsum = pd.DataFrame(columns=WEIGHTS.columns)
    overlap = pd.DataFrame(columns=OVERLAP.columns)
    overlap_sum = pd.DataFrame(columns=OVERLAP_SUMMARY.columns)
    warnings_table = pd.DataFrame(columns=WARNINGS.columns)
    mi_plan = plan.imputation
    imputation: dict[str, Any] = {"m": 0, "burn_in": 0, "m_rule": None, **asdict(mi_plan)}
    weighting: dict[str, Any] = {"trim": PS_TRIM, "smd_threshold": SMD_THRESHOLD,
                                 "vr_low": VR_BOUNDS[0], "vr_high": VR_BOUNDS[1],
                                 "tail_high": 0.9, "overlap_share_max": OVERLAP_SHARE_MAX,
                                 "ess_share_min": ESS_SHARE_MIN}  # fmt: skip
    if both:
        check_groups_share_units(jobseekers, inputs.codebook)
        done = imputed_analysis(jobseekers, members, units, covariates=covariates,
                                categorical=categorical, alpha=alpha, seed=inputs.seed,
                                workers=inputs.workers, control=mi_plan,
                                inference=plan.inference, design=design)  # fmt: skip
        sets, first = done["sets"], done["sets"][0]
        for outcome in members:
            rows += pooled_outcome_rows(
                jobseekers,  # an outcome missing in a group has no estimates (and needs none)
                [s["estimates"][outcome.name] for s in sets if outcome.name in s["estimates"]],
                outcome,
                k=first["k"][outcome.name], covariates=covariates, categorical=categorical,
                alpha=alpha,
            )
        complete_rows = int(jobseekers[covariates].notna().all(axis=1).sum())
        burn, rule = done["burn"], done["rule"]
        imputation.update(
            burn_in=int(burn["burn_in"]), burn_in_converged=bool(burn["converged"]),
            r_hat_max=_f(burn["r_hat"]), r_hat_chains=int(burn["chains"]),
            fmi_pilot=_f(rule.get("fmi")), fmi_upper=_f(rule.get("fmi_upper")),
            m_rule=int(rule["m_rule"]) if "m_rule" in rule else None,
            fmi_level=1.0 - mi_plan.alpha,
        )  # fmt: skip
        imputation.update(m=done["m"], rows=len(jobseekers),
                          complete_cases=complete_rows,
                          incomplete_rows=len(jobseekers) - complete_rows)  # fmt: skip
        flags = [s["flags"] for s in sets]
        no_scores = next((f["not_estimable"] for f in flags if "not_estimable" in f), "")
        if no_scores:
            # no propensity score in some data set (e.g. too few respondents for its
            # model): no weighting diagnostics; the weighted rows say why
            weighting["not_estimable"] = no_scores
        else:
            balance = balance_over_sets([s["balance"] for s in sets])
            wsum, overlap = first["weights"], first["overlap"]
            overlap_sum = first["overlap_summary"]
            control = wsum[wsum["group"] == "control"].iloc[0]
            ov = overlap_sum.iloc[0]
            weighting.update(
                n_treated_above_0_9=int(ov["n_treated_above_0_9"]),
                n_control_above_0_9=int(ov["n_control_above_0_9"]),
                n_treated_outside=int(ov["n_treated_outside"]),
                n_control_outside=int(ov["n_control_outside"]),
                crump_alpha=float(np.mean([s["crump"]["alpha"] for s in sets])),
                n_outside_crump=float(np.mean([s["crump"]["n_outside"] for s in sets])),
                balance_m=len(sets),
                n_trimmed=sum(s["n_trimmed"] for s in sets) / len(sets),
                ess_control=_f(control["ess"]), design_effect=_f(control["design_effect"]),
                n_control=int(control["n"]),
                n_covariate_rows=len(balance),
                n_balanced_smd=int(balance["balanced_smd"].sum()),
                max_abs_smd_before=_f(balance["smd_unweighted"].abs().max()),
                max_abs_smd_after=_f(balance["smd_weighted_max_abs"].max()),
                ps_converged=all(f["converged"] for f in flags),
                ps_separation=any(f["separation"] for f in flags),
            )  # fmt: skip
            if weighting["ps_separation"]:  # diagnostics, but no weighted estimates
                weighting["not_estimable"] = PS_SEPARATION
            # balance judged on the largest |SMD| over the imputed data sets, as in the table
            warnings_table = weighting_warnings(
                overlap_sum, wsum, balance.assign(smd_weighted=balance["smd_weighted_max_abs"]),
                separation=weighting["ps_separation"])
    else:
        for outcome in members:
            rows += estimate_outcome(jobseekers, [jobseekers], [np.ones(len(jobseekers))],
                                     outcome, covariates=covariates,
                                     categorical=categorical, alpha=alpha)  # fmt: skip
    if both:
        rows += not_working_rows(jobseekers, members, covariates=covariates,
                                 categorical=categorical, alpha=alpha,
                                 inference=plan.inference, seed=inputs.seed, trim=PS_TRIM)
    effects = pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))
    weighting.update(interval_min_ess=plan.inference.sandwich_min_ess,
                     bootstrap_replicates=plan.inference.bootstrap_replicates,
                     replicates_per_set=replicates_per_set(
                         plan.inference, mi_plan.m_pilot if imputation["m"] > 1 else 1),
                     intervals_used=rule_sides(list(effects["interval"].dropna())))
    effects["primary"] = primary_rows(effects, members)
    effects["truth"] = planted_truth(effects, inputs.truth)
    primary = effects["primary"]
    p_primary = effects.loc[primary, "p_val"]
    effects["p_adj"] = float("nan")
    if p_primary.notna().all() and len(p_primary):
        effects.loc[primary, "p_adj"] = adjust_pvalues(list(p_primary), method)
    for col in ("n_used", "n_missing", "n_treated", "n_control", "m"):
        effects[col] = effects[col].astype("Int64")

    table1 = baseline(jobseekers, inputs, covs)
    alphas, items = reliability(jobseekers, inputs, alpha)
    rm_items, rm_rating = rm_ratings(jobseekers, inputs, alpha)
    ev = evalues(effects, jobseekers, members)
    benchmark = evalue_benchmark(jobseekers, members, design, categorical, ev)
    clustering = (clustering_table(jobseekers, members, covariates=covariates,
                                   categorical=categorical, alpha=alpha, seed=inputs.seed)
                  if both else pd.DataFrame(columns=list(CLUSTERING_COLUMNS)))  # fmt: skip
    applications_table, applications_failed = applications(jobseekers, plan, covariates,
                                                           categorical, alpha)
    satisfaction_table, satisfaction_failed = satisfaction(jobseekers, inputs, plan, alpha)
    wishes_coded = _wishes_coded(inputs.codebook)
    claim_list = claims(effects, members, alpha, inputs.truth, wishes_coded)
    tables = {
        "employment_comparison": binary,
        "scale_comparison": scales,
        "jobseekers_effects": effects,
        "jobseekers_baseline": table1,
        "jobseekers_balance": balance,
        "jobseekers_weights": wsum,
        "jobseekers_overlap": overlap,
        "jobseekers_overlap_summary": overlap_sum,
        "jobseekers_weighting_warnings": warnings_table,
        "jobseekers_evalues": ev,
        "jobseekers_evalue_benchmark": benchmark,
        "jobseekers_clustering": clustering,
        "jobseekers_applications": applications_table,
        "jobseekers_channels": channels(jobseekers, inputs, alpha),
        "jobseekers_satisfaction": satisfaction_table,
        "jobseekers_reliability": alphas,
        "jobseekers_item_rest": items,
        "jobseekers_rm_items": rm_items,
        "jobseekers_rm_rating": rm_rating,
        "jobseekers_wishes": wishes(jobseekers, alpha),
    }
    primary_stats = {}
    for outcome in members:
        entry = {}
        for meth in METHODS:
            for measure in {PRIMARY_MEASURE[outcome.kind], "risk_difference"}:
                r = _pick(effects, outcome.name, meth, measure)
                if r is not None:
                    entry[f"{meth}_{measure}"] = {
                        k: (None if is_missing(r[k]) else r[k])
                        for k in ("estimate", "ci_low", "ci_high", "p_val", "p_adj",
                                  "n_used", "n_missing", "n_treated", "n_control")
                    }  # fmt: skip
                    # the headline row of the outcome (its method's other measures are
                    # the same estimate on another scale) and what it estimates
                    entry[f"{meth}_{measure}"]["primary"] = bool(r.get("primary", False))
                    entry[f"{meth}_{measure}"]["estimand"] = r.get("estimand")
                    if note_reason(r["note"]):
                        entry[f"{meth}_{measure}"]["not_estimable"] = r["note"]
        primary_stats[outcome.name] = entry
    not_estimable = not_estimable_entries(
        effects, {"employment_comparison": binary, "scale_comparison": scales},
        applications_failed, satisfaction_failed, weighting.get("not_estimable", ""))
    treated = jobseekers[TREATMENT] == 1
    stats = {
        "employment": _by_outcome(binary),
        "scales": _by_outcome(scales),
        "outcome_family": {
            "method": method,
            "size": len(members),
            "members": [o.name for o in members],
        },
        "jobseekers": {
            "design": design,
            "treatment_column": TREATMENT,
            "n_treated": int(treated.sum()),
            "n_control": int((~treated).sum()),
            "imputation": imputation,
            "weighting": weighting,
            "effects": primary_stats,
            # outcome -> the key in ``effects`` of its headline (primary) estimate
            "primary": {str(r.outcome): f"{r.method}_{r.measure}"
                        for r in effects[effects["primary"]].itertuples(index=False)},
            "wishes_coded": wishes_coded,
            # the keyword-coded open question (§ knelpunten en wensen): codes the prose names
            "wishes": wishes_summary(tables["jobseekers_wishes"], alpha),
            "truth": _truth_stats(inputs.truth),
            "claims": claim_list,
        },
    }
    if not_estimable:  # (only then: the stats of a study without such numbers keep their shape)
        stats["jobseekers"]["not_estimable"] = not_estimable
    return ChapterResults(tables=tables, stats=stats)


def not_estimable_entries(
    effects: pd.DataFrame, crude: Mapping[str, pd.DataFrame],
    applications_failed: Sequence[Mapping[str, str]],
    satisfaction_failed: Sequence[Mapping[str, str]], weighting_note: str,
) -> list[dict[str, Any]]:  # fmt: skip
    """Every number of the chapter that is not estimable, for ``stats.json``: ``table``,
    ``outcome`` (None for the weighting), ``what`` (method and measure, the comparison or
    None), ``reason`` (a code of ``analysis.estimability.REASONS``) and ``note``."""
    out: list[dict[str, Any]] = []

    def add(table: str, outcome: str | None, what: str | None, note: object) -> None:
        reason = note_reason(note)
        if reason is not None:
            out.append({"table": table, "outcome": outcome, "what": what, "reason": reason,
                        "note": str(note)})  # fmt: skip

    for name, frame in crude.items():
        for r in frame.to_dict(orient="records"):
            add(name, str(r["outcome"]), "crude", r["note"])
    for r in effects.to_dict(orient="records"):
        add("jobseekers_effects", str(r["outcome"]), f"{r['method']}:{r['measure']}", r["note"])
    for f in applications_failed:
        add("jobseekers_applications", f["outcome"],
            "adjusted" if f["covariates"] else "crude", f["note"])  # fmt: skip
    for f in satisfaction_failed:
        add("jobseekers_satisfaction", f["outcome"], f["method"], f["note"])
    add("jobseekers_weights", None, None, weighting_note)
    return out


def _by_outcome(frame: pd.DataFrame) -> dict[str, dict]:
    return {str(r["outcome"]): r for r in frame.to_dict(orient="records")}


def analyze(inputs: AnalysisInputs) -> ChapterResults:
    return analyze_frame(inputs.data("jobseekers"), inputs)


CHAPTER = Chapter(
    key="jobseekers",
    tables=(EMPLOYMENT, SCALES, EFFECTS, BASELINE, BALANCE, WEIGHTS, OVERLAP, OVERLAP_SUMMARY,
            WARNINGS, EVALUES, BENCHMARK, CLUSTERING,
            APPLICATIONS, CHANNELS, SATISFACTION, RELIABILITY, ITEMS, RM_ITEMS, RM_RATING,
            WISHES),
    figures=FIGURES,
    exhibits=(
        "table:jobseekers_baseline",
        "table:employment_tests",
        "table:employment_effects",
        "figure:employment_comparison",
        "table:scale_comparison",
        "table:jobseekers_effects",
        "figure:jobseekers_forest_ratio",
        "figure:jobseekers_forest_md",
        "table:jobseekers_sensitivity",
        "table:jobseekers_evalues",
        "table:jobseekers_clustering",
        "figure:jobseekers_love",
        "figure:jobseekers_overlap",
        "table:jobseekers_weights",
        "table:jobseekers_applications",
        "table:jobseekers_channels",
        "table:jobseekers_satisfaction",
        "table:jobseekers_reliability",
        "table:jobseekers_rm_rating",
        "table:jobseekers_wishes",
    ),
    exhibit_tables={
        "employment_tests": "employment_comparison",
        "employment_effects": "employment_comparison",
        "jobseekers_sensitivity": "jobseekers_effects",
    },
    stats=("employment", "scales", "outcome_family.method", "outcome_family.size",
           "study.confidence", "jobseekers.n_treated", "jobseekers.n_control",
           "jobseekers.imputation", "jobseekers.weighting", "jobseekers.claims",
           "jobseekers.wishes"),
    analyze=analyze,
    view=view,
)
