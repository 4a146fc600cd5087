"""Chapter 6's effect estimates per outcome: the crude tables and rows, the adjusted and
weighted fits one completed data set contributes (``set_estimates``), and their pooling
with Rubin's rules beside the complete-case sensitivity fit (``pooled_outcome_rows``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.counts import rate_ratio
from analysis.means import compare_means
from analysis.models import adjusted_effect, build_design, effect_and_se
from analysis.multiplicity import adjust_pvalues
from analysis.pooling import rubin_combine
from analysis.proportions import compare_proportions
from analysis.weighting import weighted_effect
from pipeline.plan import Outcome

from .common import PRIMARY_MEASURE, TREATMENT, UNIT, _labelled
from .tables import EFFECT_COLUMNS, EMPLOYMENT, SCALES

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
