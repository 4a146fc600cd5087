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
from typing import Any

import numpy as np
import pandas as pd

from analysis.balance import SMD_THRESHOLD, VR_BOUNDS
from analysis.estimability import note_reason
from analysis.multiplicity import adjust_pvalues
from pipeline.report.chapter import AnalysisInputs, Chapter, ChapterResults
from pipeline.report.formatting import is_missing
from pipeline.study.errors import UserError

# ``name as name``: not used here, re-exported for tests/ (``chapter_module("jobseekers")``)
# and benchmarks/bench_pmm.py, which reach the chapter's pieces through this module.
from .claims import _pick, _truth_stats, _wishes_coded, claims
from .claims import outcome_verdict as outcome_verdict
from .common import FAMILY, PRIMARY_MEASURE, TREATMENT, UNIT, _f, family_members
from .estimates import _crude_rows as _crude_rows
from .estimates import crude_tables, estimate_outcome, pooled_outcome_rows
from .figures import FIGURES
from .imputation import (
    BURN_IN,
    M_IMPUTATIONS,
    PS_SEPARATION,
    PS_TRIM,
    check_groups_share_units,
    imputed_analysis,
)
from .imputation import imputation_frame as imputation_frame
from .tables import (
    APPLICATIONS,
    BALANCE,
    BASELINE,
    CHANNELS,
    EFFECT_COLUMNS,
    EFFECTS,
    EMPLOYMENT,
    EVALUES,
    ITEMS,
    OVERLAP,
    RELIABILITY,
    RM_ITEMS,
    RM_RATING,
    SATISFACTION,
    SCALES,
    WEIGHTS,
    applications,
    baseline,
    channels,
    evalues,
    reliability,
    rm_ratings,
    satisfaction,
)
from .view import view

METHODS = ("crude", "adjusted", "adjusted_cc", "weighted")


# ------------------------------------------------------------------ analysis step
def analyze_frame(
    jobseekers: pd.DataFrame, inputs: AnalysisInputs, *, m: int = M_IMPUTATIONS,
    burn_in: int = BURN_IN,
) -> ChapterResults:
    """The whole chapter on one jobseekers frame (one row per respondent)."""
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

    binary, scales, _ = crude_tables(jobseekers, members, alpha=alpha, method=method)
    units = [u.id for u in inputs.codebook.units if (jobseekers[UNIT] == u.id).any()]
    both = jobseekers[TREATMENT].nunique() == 2

    rows: list[dict] = []
    balance = pd.DataFrame(columns=BALANCE.columns)
    wsum = pd.DataFrame(columns=WEIGHTS.columns)
    overlap = pd.DataFrame(columns=OVERLAP.columns)
    imputation: dict[str, Any] = {"m": 0, "burn_in": burn_in}
    weighting: dict[str, Any] = {"trim": PS_TRIM, "smd_threshold": SMD_THRESHOLD,
                                 "vr_low": VR_BOUNDS[0], "vr_high": VR_BOUNDS[1]}  # fmt: skip
    if both:
        check_groups_share_units(jobseekers, inputs.codebook)
        done = imputed_analysis(jobseekers, members, units, covariates=covariates,
                                categorical=categorical, alpha=alpha, m=m, seed=inputs.seed,
                                burn_in=burn_in, workers=inputs.workers)  # fmt: skip
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
            balance, wsum, overlap = first["balance"], first["weights"], first["overlap"]
            balance["level"] = balance["level"].astype("string")
            control = wsum[wsum["group"] == "control"].iloc[0]
            weighting.update(
                n_trimmed=sum(s["n_trimmed"] for s in sets) / len(sets),
                ess_control=_f(control["ess"]), design_effect=_f(control["design_effect"]),
                n_control=int(control["n"]),
                n_covariate_rows=len(balance),
                n_balanced_smd=int(balance["balanced_smd"].sum()),
                max_abs_smd_before=_f(balance["smd_unweighted"].abs().max()),
                max_abs_smd_after=_f(balance["smd_weighted"].abs().max()),
                ps_converged=all(f["converged"] for f in flags),
                ps_separation=any(f["separation"] for f in flags),
            )  # fmt: skip
            if weighting["ps_separation"]:  # diagnostics, but no weighted estimates
                weighting["not_estimable"] = PS_SEPARATION
    else:
        for outcome in members:
            rows += estimate_outcome(jobseekers, [jobseekers], [np.ones(len(jobseekers))],
                                     outcome, covariates=covariates,
                                     categorical=categorical, alpha=alpha)  # fmt: skip
    effects = pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))
    primary = pd.Series(False, index=effects.index)
    for outcome in members:
        primary |= ((effects["outcome"] == outcome.name) & (effects["method"] == "adjusted")
                    & (effects["measure"] == PRIMARY_MEASURE[outcome.kind]))  # fmt: skip
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
    applications_table, applications_failed = applications(jobseekers, plan, covs, alpha)
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
        "jobseekers_evalues": ev,
        "jobseekers_applications": applications_table,
        "jobseekers_channels": channels(jobseekers, inputs, alpha),
        "jobseekers_satisfaction": satisfaction_table,
        "jobseekers_reliability": alphas,
        "jobseekers_item_rest": items,
        "jobseekers_rm_items": rm_items,
        "jobseekers_rm_rating": rm_rating,
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
            "n_treated": int(treated.sum()),
            "n_control": int((~treated).sum()),
            "imputation": imputation,
            "weighting": weighting,
            "effects": primary_stats,
            "wishes_coded": wishes_coded,
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
    tables=(EMPLOYMENT, SCALES, EFFECTS, BASELINE, BALANCE, WEIGHTS, OVERLAP, EVALUES,
            APPLICATIONS, CHANNELS, SATISFACTION, RELIABILITY, ITEMS, RM_ITEMS, RM_RATING),
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
        "table:jobseekers_evalues",
        "table:jobseekers_weights",
        "figure:jobseekers_love",
        "figure:jobseekers_overlap",
        "table:jobseekers_applications",
        "table:jobseekers_channels",
        "table:jobseekers_satisfaction",
        "table:jobseekers_reliability",
        "table:jobseekers_rm_rating",
    ),
    exhibit_tables={
        "employment_tests": "employment_comparison",
        "employment_effects": "employment_comparison",
    },
    stats=("employment", "scales", "outcome_family.method", "outcome_family.size",
           "study.confidence", "jobseekers.n_treated", "jobseekers.n_control",
           "jobseekers.imputation", "jobseekers.weighting", "jobseekers.claims"),
    analyze=analyze,
    view=view,
)
