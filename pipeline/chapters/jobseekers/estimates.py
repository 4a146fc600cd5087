"""Chapter 6's effect estimates per outcome: the crude tables and rows, the adjusted and
weighted fits one completed data set contributes (``set_estimates``), and their pooling
with Rubin's rules beside the complete-case sensitivity fit (``pooled_outcome_rows``).

One module on purpose: what one data set contributes and how the contributions are pooled
must name the same estimates, methods and measures, so they are read side by side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.counts import rate_ratio
from analysis.estimability import NotEstimable, not_estimable_note
from analysis.means import compare_means
from analysis.models import adjusted_effect, build_design, effect_and_se
from analysis.pooling import rubin_combine
from analysis.proportions import compare_proportions
from pipeline.study.plan import DEFAULT_INFERENCE, Inference, Outcome

from .common import PRIMARY_MEASURE, TREATMENT, UNIT, _labelled, empty_group_note
from .intervals import (
    BOOTSTRAP_MOVER,
    dr_estimates,
    pooled_interval,
    pooled_mover,
    sensitivity_estimates,
    weighted_estimates,
)
from .tables import EFFECT_COLUMNS, EMPLOYMENT, SCALES

COMPARE = {"binary": compare_proportions, "continuous": compare_means}
#: The measures of each outcome kind's rows, primary first.
MEASURES = {"binary": ("odds_ratio", "risk_difference"), "continuous": ("mean_difference",),
            "count": ("rate_ratio",)}  # fmt: skip
#: The note of a logit whose fit separates: its estimate is not meaningful
#: (``analysis.models.adjusted_effect``, Notes).
SEPARATION = not_estimable_note("separation", "some fitted probabilities are 0 or 1")
#: The ATT-weighted / doubly robust rows per outcome kind: (measure, estimand, SE scale).
ATT_SPECS = {"binary": [("odds_ratio", "att_or", "log_or"), ("risk_difference", "att_rd", "rd")],
             "continuous": [("mean_difference", "att_md", "mean_difference")],
             "count": [("rate_ratio", "att_rr", "log_rr")]}  # fmt: skip
#: Weighted sensitivity analyses: method -> the estimand prefix its rows carry.
SENSITIVITY = {"weighted_trimmed": "att_trimmed", "weighted_ato": "ato"}


def _crude_count(frame: pd.DataFrame, outcome: str, alpha: float) -> pd.Series:
    return rate_ratio(frame, outcome, TREATMENT, alpha=alpha).iloc[0]


def crude_tables(
    jobseekers: pd.DataFrame, members: Sequence[Outcome], *, alpha: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Crude binary and continuous tables, descriptive: their p-values are not corrected
    for multiple testing (the family's one correction runs over the primary adjusted
    estimates, ``p_adj`` of ``jobseekers_effects``; methods text ``tests_multiplicity``).
    Count outcomes have their crude rows in ``jobseekers_effects`` only.
    """
    treated = jobseekers[TREATMENT] == 1
    parts: dict[str, list[pd.DataFrame]] = {"binary": [], "continuous": []}
    for outcome in members:
        if outcome.kind == "count":
            continue
        try:
            row = COMPARE[outcome.kind](
                jobseekers.loc[treated, outcome.name], jobseekers.loc[~treated, outcome.name],
                alpha=alpha,
            )
        except ValueError:  # a group without respondents: a row of missing statistics
            spec = EMPLOYMENT if outcome.kind == "binary" else SCALES
            row = pd.DataFrame([{c: float("nan") for c in spec.columns[3:]}])
        if (row["n_treated"] == 0).any() or (row["n_control"] == 0).any():
            # "not computable (n = 0)": say whether respondents or their answers are missing
            row["note"] = empty_group_note(jobseekers, outcome.name)
        parts[outcome.kind].append(_labelled(row, outcome))
    binary = (pd.concat(parts["binary"], ignore_index=True) if parts["binary"]
              else pd.DataFrame(columns=EMPLOYMENT.columns))  # fmt: skip
    scales = (pd.concat(parts["continuous"], ignore_index=True) if parts["continuous"]
              else pd.DataFrame(columns=SCALES.columns))  # fmt: skip
    return binary, scales


def _row(outcome: Outcome, method: str, measure: str, estimand: str, **values: Any) -> dict:
    base = {c: float("nan") for c in EFFECT_COLUMNS}
    base.update(outcome=outcome.name, label_nl=outcome.label_nl, label_en=outcome.label_en,
                kind=outcome.kind, method=method, measure=measure, estimand=estimand,
                note="", interval="")  # fmt: skip
    base.update(values)
    return base


def _crude_rows(frame: pd.DataFrame, outcome: Outcome, alpha: float) -> list[dict]:
    y = frame[outcome.name]
    observed = y.notna()
    t, c = y[(frame[TREATMENT] == 1) & observed], y[(frame[TREATMENT] == 0) & observed]
    counts = dict(n_used=int(observed.sum()), n_missing=int((~observed).sum()),
                  n_treated=len(t), n_control=len(c))  # fmt: skip
    if len(t) == 0 or len(c) == 0:
        note = empty_group_note(frame, outcome.name)
        return [_row(outcome, "crude", m, "", note=note, **counts) for m in MEASURES[outcome.kind]]
    if outcome.kind == "binary":
        r = compare_proportions(t, c, alpha=alpha).iloc[0]
        return [
            _row(outcome, "crude", "odds_ratio", "crude_or", estimate=r["odds_ratio"],
                 ci_low=r["or_ci_low"], ci_high=r["or_ci_high"], p_val=r["p_val"],
                 se=(math.log(r["or_ci_high"]) - math.log(r["or_ci_low"])) / 2
                 / _z(alpha) if r["or_ci_low"] > 0 else float("nan"),
                 se_scale="log_or", note=r["note"], **counts),
            _row(outcome, "crude", "risk_difference", "crude_rd",
                 estimate=r["risk_difference"], ci_low=r["rd_ci_low"],
                 ci_high=r["rd_ci_high"], p_val=r["p_val"], se_scale="rd", note=r["note"],
                 **counts),
        ]  # fmt: skip
    if outcome.kind == "continuous":
        r = compare_means(t, c, alpha=alpha).iloc[0]
        return [_row(outcome, "crude", "mean_difference", "crude_md",
                     estimate=r["mean_difference"], ci_low=r["md_ci_low"],
                     ci_high=r["md_ci_high"], p_val=r["p_val"], se_scale="mean_difference",
                     note=r["note"], **counts)]  # fmt: skip
    try:
        r = _crude_count(frame, outcome.name, alpha)
    except NotEstimable as exc:
        return [_row(outcome, "crude", "rate_ratio", "crude_rr", note=exc.note, **counts)]
    return [_row(outcome, "crude", "rate_ratio", "crude_rr", estimate=r["rate_ratio"],
                 ci_low=r["ci_low"], ci_high=r["ci_high"], p_val=r["p_val"],
                 se=r["se_log_rr"], se_scale="log_rr", **counts)]  # fmt: skip


def _z(alpha: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(1 - alpha / 2))


def _exp(x: float) -> float:
    """``math.exp``, infinite instead of an OverflowError (a bound of a huge interval)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _natural(measure: str, est: float, lo: float, hi: float) -> tuple[float, float, float]:
    if measure in ("odds_ratio", "rate_ratio"):
        return _exp(est), _exp(lo), _exp(hi)
    return est, lo, hi


def _pooled_row(
    outcome: Outcome, method: str, measure: str, estimand: str, se_scale: str,
    results: Sequence[tuple[float, float]], counts: Mapping[str, int], *, alpha: float,
    n_com: int | None = None, k: int | None = None, note: str = "", not_estimable: str = "",
) -> dict:
    """Pool (estimate, se) pairs with Rubin's rules (or pass one through).

    ``not_estimable`` (a :func:`analysis.estimability.not_estimable_note`) says why some
    data set could not give an estimate: the row then has no numbers and that note.
    """
    finite = [(e, s) for e, s in results if math.isfinite(e) and math.isfinite(s)]
    if not_estimable or not finite or len(finite) < len(results):
        return _row(outcome, method, measure, estimand, se_scale=se_scale,
                    note=not_estimable or note or "not computable", **counts)  # fmt: skip
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
    frame: pd.DataFrame, weights: np.ndarray | None, outcomes: Sequence[Outcome],
    has_y: Mapping[str, np.ndarray], *, covariates: Sequence[str],
    categorical: Sequence[str], alpha: float,
    starts: Mapping[str, Any] | None = None, weights_note: str = "",
    scores: np.ndarray | None = None, ps_params: Any = None,
    inference: Inference = DEFAULT_INFERENCE, m: int = 1, seed: tuple[int, int] = (0, 0),
    trim: float = 0.99,
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Everything one completed data set contributes to the pooled estimates.

    Per outcome (analysed on the rows where it was observed): the adjusted model's
    ``fit`` (estimate, SE on the pooling scale), ``ame`` (binary: AME over everyone and
    SE, else None), ``ame_att`` (binary: AME over the treated), ``note``
    (non-convergence), ``not_estimable`` (why the model has no estimate in this data set:
    :class:`~analysis.estimability.NotEstimable`, or complete separation; else "") and
    ``weighted`` (estimand -> (estimate, SE) of the ATT-weighted comparison, ratios on the
    log scale; empty when ``weights`` is None: ``weighted_not_estimable`` then says why).
    With ``scores`` (the propensity scores of this data set) also ``dr`` (the doubly
    robust ATT, :func:`analysis.doubly_robust.dr_att`, with ``dr_not_estimable``),
    ``weighted_trimmed`` (ATT weights on the rows within Crump et al.'s score range) and
    ``weighted_ato`` (overlap weights). ``starts`` (outcome -> coefficients) and
    ``ps_params`` only speed up the fits (Newton's starting point).
    The weighted estimates and their interval method (``interval``) come from
    :func:`.intervals.weighted_estimates` (``inference``: the plan's rule; ``m``, ``seed``:
    the number of data sets and (study seed, this set's number) for the bootstrap).
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
        entry: dict[str, Any] = {"fit": (float("nan"), float("nan")), "ame": None,
                                 "ame_att": None, "note": "", "not_estimable": ""}  # fmt: skip
        try:
            r = effect_and_se(sub, name, TREATMENT, covariates, kind=kind,
                              categorical=categorical, fixed_effects=fe,
                              start_params=(starts or {}).get(name))  # fmt: skip
        except NotEstimable as exc:
            entry["not_estimable"] = exc.note
        else:
            if r["separation"]:
                entry["not_estimable"] = SEPARATION
            else:
                entry["fit"], entry["ame"] = (r["estimate"], r["se"]), (r["ame"], r["ame_se"])
                entry["ame_att"] = (r["ame_att"], r["ame_att_se"])
                if not r["converged"]:
                    entry["note"] = r["warnings"]
        weighted: dict[str, tuple[float, float]] = {}
        entry["weighted_not_estimable"] = weights_note if weights is None else ""
        entry["interval"] = ""
        if weights is not None:
            try:
                w = weighted_estimates(sub, name, kind, covariates=covariates,
                                       categorical=categorical, fixed_effects=fe, trim=trim,
                                       alpha=alpha, rule=inference, m=m, seed=seed)
            except NotEstimable as exc:
                entry["weighted_not_estimable"] = exc.note
            else:
                weighted, entry["interval"] = w["estimates"], w["interval"]
                entry["weighted_parts"] = w.get("parts", {})
        entry["weighted"] = weighted
        entry["dr"], entry["dr_not_estimable"] = {}, weights_note if weights is None else ""
        for method in SENSITIVITY:
            entry[method] = {}
        if weights is not None and scores is not None:
            try:
                dr = dr_estimates(sub, name, kind, covariates=covariates,
                                  categorical=categorical, fixed_effects=fe, trim=trim,
                                  alpha=alpha, rule=inference, m=m, seed=seed,
                                  ps_start=ps_params)  # fmt: skip
            except NotEstimable as exc:
                entry["dr_not_estimable"] = exc.note
            else:
                entry["dr"], entry["dr_interval"] = dr["estimates"], dr["interval"]
            if weighted:
                ess = w["ess_control"]
                for method, how in (("weighted_trimmed", "trimmed"), ("weighted_ato", "ato")):
                    sens = sensitivity_estimates(
                        sub, name, kind, how, covariates=covariates, categorical=categorical,
                        fixed_effects=fe, trim=trim, alpha=alpha, rule=inference, m=m,
                        seed=seed, ess_control=ess, ps_start=ps_params)  # fmt: skip
                    entry[method] = sens["estimates"]
                    entry[f"{method}_interval"] = sens["interval"]
                    entry[f"{method}_parts"] = sens["parts"]
                    if how == "trimmed":
                        entry["trimmed_counts"] = sens["counts"]
        out[name] = entry
    return out


def _design_columns(frame: pd.DataFrame, outcome: Outcome, rows: np.ndarray,
                    covariates: Sequence[str], categorical: Sequence[str]) -> int | None:
    """Columns of the adjusted design (complete-data df of Barnard-Rubin), continuous only;
    None when the model is not estimable (its rows then say why)."""
    if outcome.kind != "continuous":
        return None
    try:
        design = build_design(frame.loc[rows], outcome.name, TREATMENT, covariates, categorical,
                              _fixed_effects(frame))  # fmt: skip
    except NotEstimable:
        return None
    return design.X.shape[1]


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
        note = empty_group_note(observed, name)
        for method in ("adjusted", "adjusted_cc", "weighted", "adjusted_att", "doubly_robust",
                       *SENSITIVITY):
            for m in MEASURES[kind]:
                if method != "adjusted_att" or m == "risk_difference":
                    rows.append(_row(outcome, method, m, "", note=note, **counts))
        return rows
    fe = _fixed_effects(observed)
    # ---- adjusted, multiple imputation (primary)
    fits = [e["fit"] for e in per_set]
    ames = [e["ame"] for e in per_set if e["ame"] is not None]
    note = "; ".join(dict.fromkeys(e["note"] for e in per_set if e["note"]))
    failed = next((e["not_estimable"] for e in per_set if e["not_estimable"]), "")
    k = k if kind == "continuous" and len(per_set) > 1 else None
    estimand = {"binary": "conditional_or", "continuous": "mean_difference",
                "count": "conditional_rr"}[kind]  # fmt: skip
    se_scale = {"binary": "log_or", "continuous": "mean_difference", "count": "log_rr"}[kind]
    rows.append(_pooled_row(outcome, "adjusted", measure, estimand, se_scale, fits, counts,
                            alpha=alpha, n_com=counts["n_used"] if k else None, k=k,
                            note=note, not_estimable=failed))  # fmt: skip
    if kind == "binary":
        rows.append(_pooled_row(outcome, "adjusted", "risk_difference", "ame_rd", "rd",
                                ames or [(float("nan"), float("nan"))], counts,
                                alpha=alpha, note=note, not_estimable=failed))  # fmt: skip
    # ---- adjusted, complete cases (sensitivity)
    try:
        cc = adjusted_effect(observed, name, TREATMENT, covariates, kind=kind,
                             categorical=categorical, fixed_effects=fe, alpha=alpha).iloc[0]
        if cc["separation"]:
            raise NotEstimable("separation", "some fitted probabilities are 0 or 1")
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
    except NotEstimable as exc:
        for m in MEASURES[kind]:
            rows.append(_row(outcome, "adjusted_cc", m, estimand if m == measure else "ame_rd",
                             note=exc.note, **counts))
    # ---- propensity-score weighting (ATT), pooled over the completed data sets
    specs = ATT_SPECS[kind]
    weights_failed = next((e["weighted_not_estimable"] for e in per_set
                           if e.get("weighted_not_estimable")), "")  # fmt: skip
    interval = pooled_interval([e.get("interval", "") for e in per_set])
    for measure_w, estimand_w, scale_w in specs:
        results = [e["weighted"][estimand_w] for e in per_set if estimand_w in e["weighted"]]
        row = _pooled_row(outcome, "weighted", measure_w, estimand_w, scale_w, results,
                          counts, alpha=alpha, not_estimable=weights_failed)  # fmt: skip
        if math.isfinite(row["estimate"]):
            row["interval"] = interval
            _with_mover(row, [e.get("weighted_parts", {}) for e in per_set], estimand_w,
                        alpha)  # fmt: skip
        rows.append(row)
    # ---- AME over the treated from the adjusted model (an ATT, model-based)
    if kind == "binary":
        ame_att = [e["ame_att"] for e in per_set if e.get("ame_att") is not None]
        rows.append(_pooled_row(outcome, "adjusted_att", "risk_difference", "ame_att_rd", "rd",
                                ame_att or [(float("nan"), float("nan"))], counts,
                                alpha=alpha, note=note, not_estimable=failed))  # fmt: skip
    # ---- doubly robust ATT (primary where estimable) and the weighted sensitivity rows
    nan_pair = [(float("nan"), float("nan"))]
    dr_failed = next((e["dr_not_estimable"] for e in per_set
                      if e.get("dr_not_estimable")), "")  # fmt: skip
    dr_interval = pooled_interval([e.get("dr_interval", "") for e in per_set])
    for measure_w, estimand_w, scale_w in specs:
        results = [e["dr"][estimand_w] for e in per_set if estimand_w in e.get("dr", {})]
        row = _pooled_row(outcome, "doubly_robust", measure_w, f"{estimand_w}_dr", scale_w,
                          results or nan_pair, counts, alpha=alpha,
                          not_estimable=dr_failed)  # fmt: skip
        if math.isfinite(row["estimate"]):
            row["interval"] = dr_interval
        rows.append(row)
    kept = [e["trimmed_counts"] for e in per_set if "trimmed_counts" in e]
    trimmed_counts = dict(counts)
    if kept:
        trimmed_counts.update({k: int(round(np.mean([c[k] for c in kept])))
                               for k in ("n_used", "n_treated", "n_control")})  # fmt: skip
    for method, prefix in SENSITIVITY.items():
        sens_interval = pooled_interval([e.get(f"{method}_interval", "") for e in per_set])
        for measure_w, estimand_w, scale_w in specs:
            results = [e[method][estimand_w] for e in per_set if estimand_w in e.get(method, {})]
            row = _pooled_row(
                outcome, method, measure_w, estimand_w.replace("att", prefix, 1), scale_w,
                results or nan_pair,
                trimmed_counts if method == "weighted_trimmed" else counts, alpha=alpha,
                not_estimable=weights_failed)  # fmt: skip
            if math.isfinite(row["estimate"]):
                row["interval"] = sens_interval
                _with_mover(row, [e.get(f"{method}_parts", {}) for e in per_set], estimand_w,
                            alpha)  # fmt: skip
            rows.append(row)
    return rows


def _with_mover(row: dict, parts: Sequence[Mapping[str, Any]], estimand: str,
                alpha: float) -> None:  # fmt: skip
    """Give a weighted risk-difference row the MOVER interval and p-value
    (:func:`.intervals.pooled_mover`) when every data set used the bootstrap; its
    estimate and Wald SE stay (the SE column is Rubin's total SE of the difference)."""
    found = [p[estimand] for p in parts if estimand in p]
    if not found or len(found) < len(parts):
        return
    mover = pooled_mover(found, alpha)
    if not all(math.isfinite(mover[k]) for k in ("ci_low", "ci_high", "p_val")):
        return
    row.update(ci_low=mover["ci_low"], ci_high=mover["ci_high"], p_val=mover["p_val"],
               interval=BOOTSTRAP_MOVER)  # fmt: skip


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


#: Secondary outcomes that work itself changes (searching, self-efficacy), compared again
#: among the respondents not in work (neither a job nor a work-experience place), and the
#: binary outcome that says who works.
NOT_WORKING = ("werk_any", ("scale_zoekgedrag", "scale_eigen_effectiviteit"))


#: The not-working comparison's bootstrap stream (the imputed data sets use 0 .. m - 1).
NOT_WORKING_STREAM = 1_000_000


def not_working_rows(
    observed: pd.DataFrame, members: Sequence[Outcome], *, covariates: Sequence[str],
    categorical: Sequence[str], alpha: float, inference: Inference = DEFAULT_INFERENCE,
    seed: int = 0, trim: float = 0.99,
) -> list[dict]:  # fmt: skip
    """Search behaviour and self-efficacy among those not in work (complete cases): the
    adjusted regression (``adjusted_cc_not_working``) and the doubly robust ATT
    (``doubly_robust_cc_not_working``). Work is itself an outcome of Werktop, so this
    conditions on a post-treatment variable: a descriptive check that the differences are
    not only those of people who found work, not a causal estimate."""
    working, names = NOT_WORKING
    present = {o.name: o for o in members}
    if working not in present or working not in observed.columns:
        return []
    sub = observed[observed[working] == 0]
    fe = _fixed_effects(sub) if len(sub) else []
    rows: list[dict] = []
    for name in names:
        if name not in present:
            continue
        outcome = present[name]
        has_y, counts = _observed_counts(sub, name)
        try:
            cc = adjusted_effect(sub, name, TREATMENT, covariates, kind=outcome.kind,
                                 categorical=categorical, fixed_effects=fe,
                                 alpha=alpha).iloc[0]  # fmt: skip
            rows.append(_row(outcome, "adjusted_cc_not_working", "mean_difference",
                             "mean_difference", estimate=cc["estimate"], ci_low=cc["ci_low"],
                             ci_high=cc["ci_high"], se=cc["se"], se_scale=cc["se_scale"],
                             p_val=cc["p_val"], n_used=int(cc["n_used"]),
                             n_missing=int(len(sub) - cc["n_used"]),
                             n_treated=int(cc["n_treated"]), n_control=int(cc["n_control"])))
        except NotEstimable as exc:
            rows.append(_row(outcome, "adjusted_cc_not_working", "mean_difference",
                             "mean_difference", note=exc.note, **counts))
        try:
            # the interval by the chapter's rule (bootstrap below the ESS threshold)
            res = dr_estimates(sub, name, outcome.kind, covariates=covariates,
                               categorical=categorical, fixed_effects=fe, trim=trim,
                               alpha=alpha, rule=inference, m=1,
                               seed=(seed, NOT_WORKING_STREAM))  # fmt: skip
            dr = res["fit"].iloc[0]
            est, se = res["estimates"][dr["estimand"]]
            z = _z(alpha)
            from scipy import stats

            rows.append(_row(outcome, "doubly_robust_cc_not_working", "mean_difference",
                             "att_md_dr", estimate=est, ci_low=est - z * se,
                             ci_high=est + z * se, se=se, se_scale=dr["se_scale"],
                             p_val=float(2 * stats.norm.sf(abs(est / se))),
                             n_used=int(dr["n_used"]), n_missing=int(len(sub) - dr["n_used"]),
                             n_treated=int(dr["n_treated"]), n_control=int(dr["n_control"]),
                             interval=res["interval"]))  # fmt: skip
        except NotEstimable as exc:
            rows.append(_row(outcome, "doubly_robust_cc_not_working", "mean_difference",
                             "att_md_dr", note=exc.note, **counts))
    return rows
