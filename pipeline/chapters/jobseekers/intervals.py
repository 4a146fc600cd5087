"""Chapter 6's intervals for the propensity-score weighted and the doubly robust (ATT)
estimates, chosen per estimate and imputed data set by the weighted control group's
effective size.

- **M-estimation sandwich** (``analysis.weighting.att_effect`` for the weighted ATT,
  ``analysis.doubly_robust.dr_att`` for the doubly robust one; both account for
  estimating the propensity score, the latter for the outcome model too) when the Kish
  effective sample size of the control weights is at least the analysis plan's
  ``[inference] sandwich_min_ess`` (1000);
- else a **stratified bootstrap** (``analysis.bootstrap.att_bootstrap``: resampling within
  Werktop and control, the propensity score -- and for the doubly robust estimate the
  outcome model -- re-fitted on every replicate). Below about a thousand effective
  controls the sandwich intervals were too narrow in the project's simulation study
  (``docs/method_validation.md``).

Over imputations the bootstrap variance is the within-imputation variance of Rubin's
rules (``estimates._pooled_row``): pooled estimate = mean, total variance = mean bootstrap
variance + (1 + 1/m) x between-imputation variance, Wald interval (log scale for ratios).
Without missing data (m = 1) this is the Wald interval with the bootstrap SE. The
bootstrap replicates are spread over the imputed data sets (``replicates_per_set``): the
within-variance is an average over m data sets, so each needs fewer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from analysis.bootstrap import att_bootstrap
from analysis.doubly_robust import dr_att
from analysis.mover import mover_logit_difference
from analysis.pooling import rubin_combine
from analysis.propensity import propensity_scores, trim_rule
from analysis.ps_weights import ato_weights, att_weights
from analysis.weighting import att_effect, weighted_effect
from pipeline.study.plan import Inference

from .common import TREATMENT, TRIM_RULE

SANDWICH = "m_estimation_sandwich"
BOOTSTRAP = "stratified_bootstrap"
#: The sensitivity rows' interval at or above the threshold: HC0, weights as known.
KNOWN_WEIGHTS = "hc0_known_weights"
#: A weighting-type risk difference's interval below the threshold (see :func:`pooled_mover`).
BOOTSTRAP_MOVER = "stratified_bootstrap_mover"


class Parts(NamedTuple):
    """The two means of a weighted risk difference with the bootstrap SEs of their
    logits and the correlation of their replicates (one imputed data set)."""

    mean_treated: float
    se_logit_treated: float
    mean_control: float
    se_logit_control: float
    corr: float
#: Replicates per imputed data set at least.
MIN_REPLICATES = 100
#: Mixed into every bootstrap seed, so the bootstrap draws differ from the imputations'.
_STREAM = 0xB007


def replicates_per_set(rule: Inference, m: int) -> int:
    """Bootstrap replicates in each of ``m`` imputed data sets: the plan's total spread
    over them, at least :data:`MIN_REPLICATES`."""
    return max(MIN_REPLICATES, math.ceil(rule.bootstrap_replicates / max(1, m)))


def weighted_estimates(
    sub: pd.DataFrame, outcome: str, kind: str, *, covariates: Sequence[str],
    categorical: Sequence[str], fixed_effects: Sequence[str], trim: float, alpha: float,
    rule: Inference, m: int, seed: tuple[int, int],
) -> dict[str, Any]:  # fmt: skip
    """The weighted estimates of one outcome in one completed data set, with their SE.

    ``sub`` holds the rows where the outcome was observed; the propensity score is fitted
    on them. ``seed`` is (study seed, data set number): every data set's bootstrap has
    its own stream, whichever process runs it. Returns ``{"estimates": {estimand:
    (estimate, se)} (ratios on the log scale), "interval": SANDWICH or BOOTSTRAP,
    "ess_control": float, "sandwich": {estimand: (estimate, se)}}`` (the sandwich SEs,
    computed either way; used by the method validation). Raises
    :class:`analysis.estimability.NotEstimable` as ``att_effect`` does.
    """
    res = att_effect(sub, outcome, TREATMENT, covariates, kind=kind,  # type: ignore[arg-type]
                     categorical=categorical, fixed_effects=fixed_effects, trim=trim,
                     alpha=alpha)  # fmt: skip
    return _by_rule(res, sub, outcome, kind, "weighting", covariates=covariates,
                    categorical=categorical, fixed_effects=fixed_effects, trim=trim,
                    alpha=alpha, rule=rule, m=m, seed=seed)  # fmt: skip


def dr_estimates(
    sub: pd.DataFrame, outcome: str, kind: str, *, covariates: Sequence[str],
    categorical: Sequence[str], fixed_effects: Sequence[str], trim: float, alpha: float,
    rule: Inference, m: int, seed: tuple[int, int], ps_start: Any = None,
) -> dict[str, Any]:  # fmt: skip
    """The doubly robust ATT of one outcome in one completed data set, with its SE, by
    the same rule as :func:`weighted_estimates` (and the same return value): the stacked
    M-estimation sandwich of :func:`analysis.doubly_robust.dr_att` at an effective
    control size of at least ``rule.sandwich_min_ess``, else the stratified bootstrap
    re-fitting both models (``att_bootstrap(estimator="dr")``). The bootstrap seed is the
    weighted estimate's, so both bootstraps draw the same resamples."""
    res = dr_att(sub, outcome, TREATMENT, covariates, kind=kind,  # type: ignore[arg-type]
                 categorical=categorical, fixed_effects=fixed_effects, trim=trim,
                 alpha=alpha, ps_start=ps_start)  # fmt: skip
    return _by_rule(res, sub, outcome, kind, "dr", covariates=covariates,
                    categorical=categorical, fixed_effects=fixed_effects, trim=trim,
                    alpha=alpha, rule=rule, m=m, seed=seed)  # fmt: skip


def _by_rule(
    res: pd.DataFrame, sub: pd.DataFrame, outcome: str, kind: str, estimator: str, *,
    covariates: Sequence[str], categorical: Sequence[str], fixed_effects: Sequence[str],
    trim: float, alpha: float, rule: Inference, m: int, seed: tuple[int, int],
) -> dict[str, Any]:  # fmt: skip
    """The sandwich estimates of ``res`` (rows of ``att_effect`` or ``dr_att``), their SEs
    replaced by the bootstrap's when the control ESS is below the rule's threshold."""
    ess = float(res["ess_control"].iloc[0])
    out = {r.estimand: (math.log(r.estimate) if r.se_scale.startswith("log") else r.estimate,
                        float(r.se)) for r in res.itertuples(index=False)}  # fmt: skip
    if ess >= rule.sandwich_min_ess:
        return {"estimates": out, "interval": SANDWICH, "ess_control": ess, "sandwich": out,
                "fit": res}
    sandwich = dict(out)
    boot = _bootstrap(sub, outcome, kind, estimator, covariates=covariates,
                      categorical=categorical, fixed_effects=fixed_effects, trim=trim,
                      alpha=alpha, rule=rule, m=m, seed=seed)  # fmt: skip
    for r in boot.itertuples(index=False):
        est, _ = out[r.estimand]
        out[r.estimand] = (est, float(r.se))
    return {"estimates": out, "interval": BOOTSTRAP, "ess_control": ess, "sandwich": sandwich,
            "parts": _parts(boot, estimator), "fit": res}


def _bootstrap(sub: pd.DataFrame, outcome: str, kind: str, estimator: str, *,
               covariates: Sequence[str], categorical: Sequence[str],
               fixed_effects: Sequence[str], trim: float, alpha: float, rule: Inference,
               m: int, seed: tuple[int, int]) -> pd.DataFrame:  # fmt: skip
    """The stratified bootstrap of one estimator; every estimator of a data set draws the
    same resamples (seeded by study seed and data set only)."""
    return att_bootstrap(sub, {outcome: kind}, TREATMENT, covariates,  # type: ignore[dict-item]
                         categorical=categorical, fixed_effects=fixed_effects, trim=trim,
                         n_boot=replicates_per_set(rule, m), alpha=alpha,
                         seed=np.random.SeedSequence([seed[0], _STREAM, seed[1]]),
                         estimator=estimator)  # type: ignore[arg-type]  # fmt: skip


def _parts(boot: pd.DataFrame, estimator: str) -> dict[str, Parts]:
    """The MOVER parts of the risk-difference rows of a weighting-type bootstrap (the
    doubly robust estimate keeps its Wald interval: in band in the validation)."""
    if estimator == "dr":
        return {}
    return {r.estimand: Parts(r.mean_treated, r.se_logit_treated, r.mean_control,
                              r.se_logit_control, r.corr_means)
            for r in boot.itertuples(index=False) if r.se_scale == "rd"}  # fmt: skip


def sensitivity_estimates(
    sub: pd.DataFrame, outcome: str, kind: str, method: str, *, covariates: Sequence[str],
    categorical: Sequence[str], fixed_effects: Sequence[str], trim: float, alpha: float,
    rule: Inference, m: int, seed: tuple[int, int], ess_control: float,
    ps_start: Any = None,
) -> dict[str, Any]:  # fmt: skip
    """A weighted sensitivity analysis of one outcome in one completed data set:
    ``method`` "trimmed" (the ATT on the rows within Crump et al.'s score range, ATT
    weights capped at ``trim``) or "ato" (overlap weights).

    Like :func:`weighted_estimates`, the propensity score is fitted on ``sub`` (the
    outcome's rows). The interval follows the same rule on the same quantity (the
    ATT-weighted control group's effective size ``ess_control``): at or above the
    threshold the HC0 sandwich of :func:`analysis.weighting.weighted_effect` (weights
    treated as known; in band at 4x the example's size in the validation), below it the
    stratified bootstrap re-fitting the score -- and re-computing Crump's threshold --
    in every replicate (``att_bootstrap(estimator=method)``). Returns ``estimates``,
    ``interval``, ``parts`` (as :func:`weighted_estimates`) and ``counts`` (rows used,
    treated, controls)."""
    ps = propensity_scores(sub, TREATMENT, covariates, categorical, fixed_effects,
                           start_params=ps_start)  # fmt: skip
    treated = sub[TREATMENT]
    if method == "trimmed":
        keep = trim_rule(ps, rule=TRIM_RULE)[0]
        weights = att_weights(ps, treated, trim=trim)["weight"].to_numpy()
    elif method == "ato":
        keep = np.ones(len(sub), dtype=bool)
        weights = ato_weights(ps, treated)["weight"].to_numpy()
    else:
        raise ValueError("method must be 'trimmed' or 'ato'")
    t = treated.to_numpy()[keep]
    counts = {"n_used": int(keep.sum()), "n_treated": int((t == 1).sum()),
              "n_control": int((t == 0).sum())}  # fmt: skip
    if not ((t == 1).any() and (t == 0).any()):
        return {"estimates": {}, "interval": "", "parts": {}, "counts": counts}
    res = weighted_effect(sub.loc[keep], outcome, TREATMENT, weights[keep], kind=kind,
                          alpha=alpha)  # type: ignore[arg-type]  # fmt: skip
    out = {}
    for r in res.itertuples(index=False):
        with np.errstate(divide="ignore"):
            est = float(np.log(r.estimate)) if r.se_scale.startswith("log") else r.estimate
        out[r.estimand] = (est, float(r.se))
    if ess_control >= rule.sandwich_min_ess:
        return {"estimates": out, "interval": KNOWN_WEIGHTS, "parts": {}, "counts": counts}
    boot = _bootstrap(sub, outcome, kind, method, covariates=covariates,
                      categorical=categorical, fixed_effects=fixed_effects, trim=trim,
                      alpha=alpha, rule=rule, m=m, seed=seed)  # fmt: skip
    for r in boot.itertuples(index=False):
        if r.estimand in out:
            out[r.estimand] = (out[r.estimand][0], float(r.se))
    return {"estimates": out, "interval": BOOTSTRAP, "parts": _parts(boot, method),
            "counts": counts}


def pooled_mover(parts: Sequence[Parts], alpha: float) -> dict[str, float]:
    """The MOVER interval and p-value of a weighted risk difference pooled over the
    imputed data sets (:func:`analysis.mover.mover_logit_difference`).

    Each mean's logit is pooled with Rubin's rules (its bootstrap variance the
    within-imputation variance; Rubin's 1987 degrees of freedom); the interval is centred
    on the mean of each group's means, so on the pooled risk difference of the Wald row;
    the correlation is the data sets' mean. With one data set: the normal quantile."""
    p1 = float(np.mean([p.mean_treated for p in parts]))
    p0 = float(np.mean([p.mean_control for p in parts]))
    r = float(np.mean([p.corr for p in parts]))
    if len(parts) == 1:
        se1, se0 = parts[0].se_logit_treated, parts[0].se_logit_control
        df1 = df0 = math.inf
    else:
        se1, df1 = _pooled_logit([(p.mean_treated, p.se_logit_treated) for p in parts], alpha)
        se0, df0 = _pooled_logit([(p.mean_control, p.se_logit_control) for p in parts], alpha)
    return mover_logit_difference(p1, se1, p0, se0, r=r, df1=df1, df0=df0, alpha=alpha)


def _pooled_logit(pairs: Sequence[tuple[float, float]], alpha: float) -> tuple[float, float]:
    """Rubin's total SE and degrees of freedom of logit(mean) over the data sets."""
    from scipy import special

    q = [float(special.logit(p)) for p, _ in pairs]
    if not all(math.isfinite(x) and math.isfinite(s) for x, (_, s) in zip(q, pairs, strict=True)):
        return float("nan"), math.inf
    row = rubin_combine(q, [s**2 for _, s in pairs], alpha=alpha).iloc[0]
    return float(row["se"]), float(row["df"])


#: Which side of the rule each interval method belongs to (for the methods text).
_RULE_SIDE = {BOOTSTRAP_MOVER: BOOTSTRAP, KNOWN_WEIGHTS: SANDWICH}


def rule_sides(methods: Sequence[str]) -> str:
    """The sides of the rule the rows' interval methods (``pooled_interval`` values)
    were on: "stratified_bootstrap", "m_estimation_sandwich" or both joined by '+'."""
    sides = {_RULE_SIDE.get(x, x) for m in methods if m for x in m.split("+")}
    return "+".join(sorted(sides))


def pooled_interval(methods: Sequence[str]) -> str:
    """The interval method of a pooled row: the one every data set used, else both
    names joined by '+' (each data set's own variance enters Rubin's rules)."""
    used = list(dict.fromkeys(m for m in methods if m))
    return "+".join(sorted(used))
