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
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.counts import rate_ratio
from analysis.imputation import rubin_combine
from analysis.means import compare_means
from analysis.models import adjusted_effect, build_design, effect_and_se
from analysis.multiplicity import adjust_pvalues
from analysis.pmm import PMMChains
from analysis.proportions import compare_proportions
from analysis.weighting import (
    SMD_THRESHOLD,
    VR_BOUNDS,
    att_weights,
    balance_table,
    overlap_bins,
    propensity_scores,
    weight_summary,
    weighted_effect,
)
from pipeline.chapter import AnalysisInputs, Chapter, ChapterResults
from pipeline.errors import UserError
from pipeline.formatting import is_missing
from pipeline.parallel import ordered_map, resolve_workers
from pipeline.plan import Outcome

# ``name as name``: not used here, re-exported for tests/ (``chapter_module("jobseekers")``)
# and benchmarks/bench_pmm.py, which reach the chapter's pieces through this module.
from .claims import _pick, _truth_stats, _wishes_coded, claims
from .claims import outcome_verdict as outcome_verdict
from .common import FAMILY, PRIMARY_MEASURE, TREATMENT, UNIT, _f, _labelled, family_members
from .figures import FIGURES
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

#: Multiple imputation: number of completed data sets and MICE cycles per chain.
M_IMPUTATIONS = 20
BURN_IN = 10
#: Trimming rule of the ATT weights: control propensity scores above this are capped.
PS_TRIM = 0.99
METHODS = ("crude", "adjusted", "adjusted_cc", "weighted")


COMPARE = {"binary": compare_proportions, "continuous": compare_means}


def _crude_count(frame: pd.DataFrame, outcome: str, alpha: float) -> pd.Series:
    return rate_ratio(frame, outcome, TREATMENT, alpha=alpha).iloc[0]


def crude_tables(
    jobseekers: pd.DataFrame, members: Sequence[Outcome], *, alpha: float, method: str
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """Crude binary and continuous tables; ``p_adj`` over the crude p of the whole family.

    The family's count outcomes enter the crude correction with the p-value of the
    crude Poisson rate ratio (robust SE); returned as the third value.
    """
    treated = jobseekers[TREATMENT] == 1
    parts: dict[str, list[pd.DataFrame]] = {"binary": [], "continuous": []}
    count_p: dict[str, float] = {}
    for outcome in members:
        if outcome.kind == "count":
            try:
                count_p[outcome.name] = float(
                    _crude_count(jobseekers, outcome.name, alpha)["p_val"])
            except (ValueError, KeyError, np.linalg.LinAlgError):
                count_p[outcome.name] = float("nan")
            continue
        try:
            row = COMPARE[outcome.kind](
                jobseekers.loc[treated, outcome.name], jobseekers.loc[~treated, outcome.name],
                alpha=alpha,
            )
        except ValueError:  # a group without respondents: a row of missing statistics
            spec = EMPLOYMENT if outcome.kind == "binary" else SCALES
            row = pd.DataFrame([{c: float("nan") for c in spec.columns[3:-1]}])
        parts[outcome.kind].append(_labelled(row, outcome))
    binary = (pd.concat(parts["binary"], ignore_index=True) if parts["binary"]
              else pd.DataFrame(columns=EMPLOYMENT.columns[:-1]))  # fmt: skip
    scales = (pd.concat(parts["continuous"], ignore_index=True) if parts["continuous"]
              else pd.DataFrame(columns=SCALES.columns[:-1]))  # fmt: skip
    order = [o.name for o in members]
    p = {**dict(zip(binary["outcome"], binary["p_val"], strict=True)),
         **dict(zip(scales["outcome"], scales["p_val"], strict=True)), **count_p}  # fmt: skip
    adjusted = dict(zip(order, adjust_pvalues([p[n] for n in order], method), strict=True))
    binary["p_adj"] = [adjusted[n] for n in binary["outcome"]]
    scales["p_adj"] = [adjusted[n] for n in scales["outcome"]]
    return binary, scales, {n: adjusted[n] for n in count_p}


# ------------------------------------------------------------------ imputation
def imputation_frame(
    jobseekers: pd.DataFrame, covariates: Sequence[str], outcomes: Sequence[str],
    units: Sequence[str],
) -> tuple[pd.DataFrame, list[str]]:
    """The frame MICE works on and its imputation columns.

    The imputation model holds the treatment, every covariate, the family's outcomes (so
    the imputations are congenial with the analysis models) and unit indicators (units
    are never missing; the first unit is the reference).
    """
    # only the model's columns: a copy of the whole data set (a hundred columns) would
    # double the chapter's memory at a million respondents
    frame = jobseekers[list(dict.fromkeys([TREATMENT, UNIT, *covariates, *outcomes]))].copy()
    dummies = []
    for i, unit in enumerate(units[1:], start=1):
        name = f"unit_{i}"
        frame[name] = (frame[UNIT] == unit).astype("float64")
        dummies.append(name)
    columns = list(dict.fromkeys([TREATMENT, *covariates, *outcomes, *dummies]))
    return frame, columns


class CompletedData:
    """The chapter's ``m`` completed data sets, made one at a time on request.

    Holding all ``m`` copies would cost ``m`` times the data (about 2.7 GB for a million
    respondents and m = 20), so each analysis takes one, uses it and lets it go. ``get(i)``
    is deterministic and independent of the order (:class:`analysis.pmm.PMMChains`).
    Only the columns the estimates use are kept. Without missing values there is one
    data set, the observed data.
    """

    def __init__(
        self, jobseekers: pd.DataFrame, covariates: Sequence[str], outcomes: Sequence[str],
        units: Sequence[str], *, m: int, seed: int, burn_in: int = BURN_IN,
    ) -> None:  # fmt: skip
        frame, columns = imputation_frame(jobseekers, covariates, outcomes, units)
        self.keep = list(dict.fromkeys([TREATMENT, UNIT, *covariates, *outcomes]))
        self.chains: PMMChains | None = None
        self.observed = jobseekers[self.keep]
        self.m = 1
        if frame[columns].isna().any().any():
            slim = frame[list(dict.fromkeys([*columns, UNIT]))]
            self.chains = PMMChains(slim, columns, m=m, seed=seed, burn_in=burn_in)
            self.m = m

    def get(self, i: int) -> pd.DataFrame:
        """Completed data set ``i`` (0 <= i < m)."""
        if self.chains is None:
            return self.observed.copy()
        # straight from the chain's block: no copy of the whole imputation frame
        block = self.chains.completed_block(i)
        position = {c: j for j, c in enumerate(self.chains.columns)}
        return pd.DataFrame(
            {c: block[:, position[c]] if c in position else self.observed[c]
             for c in self.keep},
            index=self.observed.index,
        )  # fmt: skip


def _row(outcome: Outcome, method: str, measure: str, estimand: str, **values: Any) -> dict:
    base = {c: float("nan") for c in EFFECT_COLUMNS}
    base.update(outcome=outcome.name, label_nl=outcome.label_nl, label_en=outcome.label_en,
                kind=outcome.kind, method=method, measure=measure, estimand=estimand,
                note="")  # fmt: skip
    base.update(values)
    return base


def _crude_rows(frame: pd.DataFrame, outcome: Outcome, alpha: float) -> list[dict]:
    y = frame[outcome.name]
    observed = y.notna()
    t, c = y[(frame[TREATMENT] == 1) & observed], y[(frame[TREATMENT] == 0) & observed]
    counts = dict(n_used=int(observed.sum()), n_missing=int((~observed).sum()),
                  n_treated=len(t), n_control=len(c))  # fmt: skip
    if len(t) == 0 or len(c) == 0:
        return [_row(outcome, "crude", PRIMARY_MEASURE[outcome.kind], "",
                     note="not computable (a group has no respondents)", **counts)]
    if outcome.kind == "binary":
        r = compare_proportions(t, c, alpha=alpha).iloc[0]
        return [
            _row(outcome, "crude", "odds_ratio", "crude_or", estimate=r["odds_ratio"],
                 ci_low=r["or_ci_low"], ci_high=r["or_ci_high"], p_val=r["p_val"],
                 se=(math.log(r["or_ci_high"]) - math.log(r["or_ci_low"])) / 2
                 / _z(alpha) if r["or_ci_low"] > 0 else float("nan"),
                 se_scale="log_or", **counts),
            _row(outcome, "crude", "risk_difference", "crude_rd",
                 estimate=r["risk_difference"], ci_low=r["rd_ci_low"],
                 ci_high=r["rd_ci_high"], p_val=r["p_val"], se_scale="rd", **counts),
        ]  # fmt: skip
    if outcome.kind == "continuous":
        r = compare_means(t, c, alpha=alpha).iloc[0]
        return [_row(outcome, "crude", "mean_difference", "crude_md",
                     estimate=r["mean_difference"], ci_low=r["md_ci_low"],
                     ci_high=r["md_ci_high"], p_val=r["p_val"], se_scale="mean_difference",
                     **counts)]  # fmt: skip
    r = _crude_count(frame, outcome.name, alpha)
    return [_row(outcome, "crude", "rate_ratio", "crude_rr", estimate=r["rate_ratio"],
                 ci_low=r["ci_low"], ci_high=r["ci_high"], p_val=r["p_val"],
                 se=r["se_log_rr"], se_scale="log_rr", **counts)]  # fmt: skip


def _z(alpha: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(1 - alpha / 2))


def _natural(measure: str, est: float, lo: float, hi: float) -> tuple[float, float, float]:
    if measure in ("odds_ratio", "rate_ratio"):
        return math.exp(est), math.exp(lo), math.exp(hi)
    return est, lo, hi


def _pooled_row(
    outcome: Outcome, method: str, measure: str, estimand: str, se_scale: str,
    results: Sequence[tuple[float, float]], counts: Mapping[str, int], *, alpha: float,
    n_com: int | None = None, k: int | None = None, note: str = "",
) -> dict:
    """Pool (estimate, se) pairs with Rubin's rules (or pass one through)."""
    finite = [(e, s) for e, s in results if math.isfinite(e) and math.isfinite(s)]
    if not finite or len(finite) < len(results):
        return _row(outcome, method, measure, estimand, se_scale=se_scale,
                    note=note or "not computable", **counts)  # fmt: skip
    if len(finite) == 1:
        est, se = finite[0]
        z = _z(alpha)
        from scipy import stats

        p = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else float("nan")
        lo, hi = est - z * se, est + z * se
        fmi, m = float("nan"), 1
    else:
        pooled = rubin_combine([e for e, _ in finite], [s**2 for _, s in finite],
                               n=n_com, k=k, alpha=alpha).iloc[0]  # fmt: skip
        est, se, p = float(pooled["estimate"]), float(pooled["se"]), float(pooled["p_val"])
        lo, hi, fmi, m = (float(pooled["ci_low"]), float(pooled["ci_high"]),
                          float(pooled["fmi"]), len(finite))  # fmt: skip
    e, lo, hi = _natural(measure, est, lo, hi)
    return _row(outcome, method, measure, estimand, estimate=e, ci_low=lo, ci_high=hi, se=se,
                se_scale=se_scale, p_val=p, m=m, fmi=fmi, note=note, **counts)  # fmt: skip


def _fixed_effects(frame: pd.DataFrame) -> list[str]:
    return [UNIT] if frame[UNIT].nunique() > 1 else []


def _observed_counts(observed: pd.DataFrame, name: str) -> tuple[np.ndarray, dict[str, int]]:
    has_y = observed[name].notna().to_numpy()
    treated = observed[TREATMENT].to_numpy()
    return has_y, dict(n_used=int(has_y.sum()), n_missing=int((~has_y).sum()),
                       n_treated=int((treated == 1)[has_y].sum()),
                       n_control=int((treated == 0)[has_y].sum()))  # fmt: skip


def set_estimates(
    frame: pd.DataFrame, weights: np.ndarray, outcomes: Sequence[Outcome],
    has_y: Mapping[str, np.ndarray], *, covariates: Sequence[str],
    categorical: Sequence[str], alpha: float,
    starts: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Everything one completed data set contributes to the pooled estimates.

    Per outcome (analysed on the rows where it was observed): the adjusted model's
    ``fit`` (estimate, SE on the pooling scale), ``ame`` (binary: AME and SE, else None),
    ``note`` (separation, non-convergence or why the fit failed) and ``weighted``
    (estimand -> (estimate, SE) of the weighted comparison, ratios on the log scale).
    ``starts`` (outcome -> coefficients) only speeds up the model fits (Newton's
    starting point); the estimates are the same maximum-likelihood fits.
    """
    fe = _fixed_effects(frame)
    out: dict[str, dict[str, Any]] = {}
    treated = frame[TREATMENT].to_numpy()
    for outcome in outcomes:
        name, kind = outcome.name, outcome.kind
        rows = has_y[name]
        if not ((treated[rows] == 1).any() and (treated[rows] == 0).any()):
            continue  # not computable: pooled_outcome_rows says so
        sub = frame.loc[rows]
        entry: dict[str, Any] = {"fit": (float("nan"), float("nan")), "ame": None, "note": ""}
        try:
            r = effect_and_se(sub, name, TREATMENT, covariates, kind=kind,
                              categorical=categorical, fixed_effects=fe,
                              start_params=(starts or {}).get(name))  # fmt: skip
        except ValueError as exc:
            entry["note"] = str(exc)
        else:
            entry["fit"], entry["ame"] = (r["estimate"], r["se"]), (r["ame"], r["ame_se"])
            if r["separation"] or not r["converged"]:
                entry["note"] = r["warnings"]
        weighted: dict[str, tuple[float, float]] = {}
        res = weighted_effect(sub, name, TREATMENT, weights[rows], kind=kind, alpha=alpha)
        for w in res.itertuples(index=False):
            est = math.log(w.estimate) if w.se_scale.startswith("log") else w.estimate
            weighted[w.estimand] = (est, w.se)
        entry["weighted"] = weighted
        out[name] = entry
    return out


def _design_columns(frame: pd.DataFrame, outcome: Outcome, rows: np.ndarray,
                    covariates: Sequence[str], categorical: Sequence[str]) -> int | None:
    """Columns of the adjusted design (complete-data df of Barnard-Rubin), continuous only."""
    if outcome.kind != "continuous":
        return None
    return build_design(frame.loc[rows], outcome.name, TREATMENT, covariates, categorical,
                        _fixed_effects(frame)).X.shape[1]  # fmt: skip


def pooled_outcome_rows(
    observed: pd.DataFrame, per_set: Sequence[Mapping[str, Any]], outcome: Outcome, *,
    k: int | None, covariates: Sequence[str], categorical: Sequence[str], alpha: float,
) -> list[dict]:  # fmt: skip
    """Crude, adjusted (pooled over the data sets), complete-case and weighted rows.

    ``per_set`` holds this outcome's entry of :func:`set_estimates` for every completed
    data set; ``k`` is the number of design columns (continuous outcomes) for the
    Barnard-Rubin degrees of freedom.
    """
    name, kind = outcome.name, outcome.kind
    has_y, counts = _observed_counts(observed, name)
    rows = _crude_rows(observed, outcome, alpha)
    measure = PRIMARY_MEASURE[kind]
    if not (counts["n_treated"] > 0 and counts["n_control"] > 0):
        note = "not computable (a group has no respondents)"
        rows.append(_row(outcome, "adjusted", measure, "", note=note, **counts))
        return rows
    fe = _fixed_effects(observed)
    # ---- adjusted, multiple imputation (primary)
    fits = [e["fit"] for e in per_set]
    ames = [e["ame"] for e in per_set if e["ame"] is not None]
    note = "; ".join(dict.fromkeys(e["note"] for e in per_set if e["note"]))
    k = k if kind == "continuous" and len(per_set) > 1 else None
    estimand = {"binary": "conditional_or", "continuous": "mean_difference",
                "count": "conditional_rr"}[kind]  # fmt: skip
    se_scale = {"binary": "log_or", "continuous": "mean_difference", "count": "log_rr"}[kind]
    rows.append(_pooled_row(outcome, "adjusted", measure, estimand, se_scale, fits, counts,
                            alpha=alpha, n_com=counts["n_used"] if k else None, k=k,
                            note=note))  # fmt: skip
    if kind == "binary":
        rows.append(_pooled_row(outcome, "adjusted", "risk_difference", "ame_rd", "rd",
                                ames or [(float("nan"), float("nan"))], counts,
                                alpha=alpha, note=note))  # fmt: skip
    # ---- adjusted, complete cases (sensitivity)
    try:
        cc = adjusted_effect(observed, name, TREATMENT, covariates, kind=kind,
                             categorical=categorical, fixed_effects=fe, alpha=alpha).iloc[0]
        cc_counts = dict(n_used=int(cc["n_used"]),
                         n_missing=int(len(observed) - cc["n_used"]),
                         n_treated=int(cc["n_treated"]), n_control=int(cc["n_control"]))
        rows.append(_row(outcome, "adjusted_cc", measure, estimand, estimate=cc["estimate"],
                         ci_low=cc["ci_low"], ci_high=cc["ci_high"], se=cc["se"],
                         se_scale=cc["se_scale"], p_val=cc["p_val"], note=cc["warnings"],
                         **cc_counts))
        if kind == "binary":
            rows.append(_row(outcome, "adjusted_cc", "risk_difference", "ame_rd",
                             estimate=cc["ame"], ci_low=cc["ame_ci_low"],
                             ci_high=cc["ame_ci_high"], se=cc["ame_se"], se_scale="rd",
                             p_val=cc["ame_p_val"], note=cc["warnings"], **cc_counts))
    except ValueError as exc:
        rows.append(_row(outcome, "adjusted_cc", measure, estimand, note=str(exc), **counts))
    # ---- propensity-score weighting (ATT), pooled over the completed data sets
    specs = {"binary": [("odds_ratio", "att_or", "log_or"), ("risk_difference", "att_rd", "rd")],
             "continuous": [("mean_difference", "att_md", "mean_difference")],
             "count": [("rate_ratio", "att_rr", "log_rr")]}[kind]  # fmt: skip
    for measure_w, estimand_w, scale_w in specs:
        results = [e["weighted"][estimand_w] for e in per_set if estimand_w in e["weighted"]]
        rows.append(_pooled_row(outcome, "weighted", measure_w, estimand_w, scale_w, results,
                                counts, alpha=alpha))  # fmt: skip
    return rows


def estimate_outcome(
    observed: pd.DataFrame,
    completed: Sequence[pd.DataFrame],
    weights: Sequence[np.ndarray],
    outcome: Outcome,
    *,
    covariates: Sequence[str],
    categorical: Sequence[str],
    alpha: float,
) -> list[dict]:
    """Crude, adjusted (pooled over ``completed``), complete-case and weighted rows.

    Missing-data rule: the outcome is part of the imputation model, but each analysis
    uses only the rows where the outcome was observed (multiple imputation, then
    deletion: von Hippel 2007); covariates are imputed. (The chapter streams the data
    sets through :func:`set_estimates` and :func:`pooled_outcome_rows`; this is the same
    for data sets already in memory.)
    """
    has_y, counts = _observed_counts(observed, outcome.name)
    if not (counts["n_treated"] > 0 and counts["n_control"] > 0):
        return pooled_outcome_rows(observed, [], outcome, k=None, covariates=covariates,
                                   categorical=categorical, alpha=alpha)  # fmt: skip
    per_set = [set_estimates(frame, np.asarray(w), [outcome], {outcome.name: has_y},
                             covariates=covariates, categorical=categorical,
                             alpha=alpha)[outcome.name]
               for frame, w in zip(completed, weights, strict=True)]  # fmt: skip
    k = _design_columns(completed[0], outcome, has_y, covariates, categorical)
    return pooled_outcome_rows(observed, per_set, outcome, k=k, covariates=covariates,
                               categorical=categorical, alpha=alpha)  # fmt: skip


def check_groups_share_units(jobseekers: pd.DataFrame, codebook: Any) -> None:
    """Werktop and control are compared within units (unit fixed effects): a unit where
    one group has respondents and the other none cannot be compared, and its propensity
    scores would be exactly 0 or 1. Stop with what to do rather than fail in the fit."""
    counts = pd.crosstab(jobseekers[UNIT], jobseekers[TREATMENT])
    counts = counts.reindex(columns=[0, 1], fill_value=0)
    lopsided = counts[(counts[0] == 0) | (counts[1] == 0)]
    if lopsided.empty:
        return
    names = {u.id: u.name for u in (*codebook.units, *codebook.comparison_units)}
    lines = [
        f"unit {names.get(unit, unit)!r}: {int(row[1])} Werktop candidate(s) and "
        f"{int(row[0])} control respondent(s)"
        for unit, row in lopsided.iterrows()
    ]
    raise UserError(
        ["Werktop candidates and the control group cannot be compared within every unit: "
         "the comparison adjusts for the unit, so each unit needs respondents in both "
         "groups", *lines],
        hint="add the missing group's respondents for these units, or leave the units out "
        "of the study: exclude their rows in the study config ([inputs.candidates.exclude] "
        "and [inputs.control.exclude], e.g. gemeente = [\"<name as the export writes it>\"]) "
        "and drop them from [units]",
    )


def att_weights_of(frame: pd.DataFrame, covariates: Sequence[str],
                   categorical: Sequence[str],
                   start: Any = None) -> tuple[pd.DataFrame, dict]:
    """Propensity scores and ATT weights (control PS capped at ``PS_TRIM``) of one data set.

    Scores of exactly 0 or 1 mean that some background characteristic separates the groups
    completely (no overlap): weighting cannot compare them, which is the user's data to
    fix or report, not a bug, so it stops with a :class:`UserError`.
    """
    ps = propensity_scores(frame, TREATMENT, covariates, categorical=categorical,
                           fixed_effects=_fixed_effects(frame),
                           start_params=start)  # fmt: skip
    p = ps.to_numpy(dtype=float)
    extreme = int(((p <= 0) | (p >= 1)).sum())
    if extreme:
        raise UserError(
            f"poor overlap between Werktop candidates and the control group: {extreme} "
            "respondent(s) have a propensity score of exactly 0 or 1, so some combination of "
            f"background characteristics ({', '.join(covariates)}) occurs in one group only",
            hint="check the baseline table (data/processed/jobseekers.csv) for a category "
            "that only one group has; merge rare categories in the export, or leave those "
            "respondents out of the study ([inputs.<name>.exclude] in the study config)",
        )
    return att_weights(ps, frame[TREATMENT], trim=PS_TRIM), dict(ps.attrs)


def _complete_case_starts(
    observed: pd.DataFrame, members: Sequence[Outcome], covariates: Sequence[str],
    categorical: Sequence[str],
) -> tuple[dict[str, Any], Any]:  # fmt: skip
    """Complete-case coefficients as Newton's starting point in every completed data set.

    The same start for every chain keeps the results independent of which process runs
    which chain (a start carried over from the previous chain would not). A start that
    does not fit (another design width) is ignored by the fit.
    """
    fe = _fixed_effects(observed)
    starts: dict[str, Any] = {}
    for o in members:
        try:
            starts[o.name] = effect_and_se(observed, o.name, TREATMENT, covariates,
                                           kind=o.kind, categorical=categorical,
                                           fixed_effects=fe)["params"]  # fmt: skip
        except ValueError:
            starts[o.name] = None
    try:
        ps_start = propensity_scores(observed, TREATMENT, covariates, categorical=categorical,
                                     fixed_effects=fe).attrs.get("params")  # fmt: skip
    except ValueError:
        ps_start = None
    return starts, ps_start


def imputed_analysis(
    jobseekers: pd.DataFrame, members: Sequence[Outcome], units: Sequence[str], *,
    covariates: Sequence[str], categorical: Sequence[str], alpha: float, m: int, seed: int,
    burn_in: int, workers: int,
) -> dict[str, Any]:  # fmt: skip
    """Impute, weight and fit, one completed data set at a time (in ``workers`` processes).

    Each task makes completed data set ``i``, its propensity scores and ATT weights, and
    every outcome's adjusted and weighted fits, and returns only those numbers; data set 0
    also returns the balance, weight and overlap diagnostics and the design sizes. The
    results do not depend on ``workers``: chain ``i`` has its own seed.
    """
    source = CompletedData(jobseekers, covariates, [o.name for o in members], units, m=m,
                           seed=seed, burn_in=burn_in)  # fmt: skip
    has_y = {o.name: jobseekers[o.name].notna().to_numpy() for o in members}
    starts, ps_start = _complete_case_starts(jobseekers, members, covariates, categorical)

    def task(i: int) -> dict[str, Any]:
        frame = source.get(i)
        aw, flag = att_weights_of(frame, covariates, categorical, ps_start)
        result: dict[str, Any] = {
            "estimates": set_estimates(frame, aw["weight"].to_numpy(), members, has_y,
                                       covariates=covariates, categorical=categorical,
                                       alpha=alpha, starts=starts),  # fmt: skip
            "flags": flag, "n_trimmed": int(aw["trimmed"].sum()),
        }  # fmt: skip
        if i == 0:
            result["balance"] = balance_table(frame, [*covariates, UNIT], frame[TREATMENT],
                                              aw["weight"], categorical=[*categorical, UNIT])
            result["weights"] = weight_summary(aw["weight"], aw["treated"], aw["trimmed"])
            result["overlap"] = overlap_bins(aw["ps"], aw["treated"], bins=20)
            result["k"] = {o.name: _design_columns(frame, o, has_y[o.name], covariates,
                                                   categorical) for o in members}  # fmt: skip
        return result

    results = ordered_map(task, source.m, resolve_workers(workers, source.m))
    return {"m": source.m, "sets": results}


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
                jobseekers, [s["estimates"][outcome.name] for s in sets], outcome,
                k=first["k"][outcome.name], covariates=covariates, categorical=categorical,
                alpha=alpha,
            )
        balance, wsum, overlap = first["balance"], first["weights"], first["overlap"]
        balance["level"] = balance["level"].astype("string")
        complete_rows = int(jobseekers[covariates].notna().all(axis=1).sum())
        imputation.update(m=done["m"], rows=len(jobseekers),
                          complete_cases=complete_rows,
                          incomplete_rows=len(jobseekers) - complete_rows)  # fmt: skip
        flags = [s["flags"] for s in sets]
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
        "jobseekers_applications": applications(jobseekers, plan, covs, alpha),
        "jobseekers_channels": channels(jobseekers, inputs, alpha),
        "jobseekers_satisfaction": satisfaction(jobseekers, inputs, plan, alpha),
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
        primary_stats[outcome.name] = entry
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
    return ChapterResults(tables=tables, stats=stats)


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
