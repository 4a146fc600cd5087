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
from typing import Any

import numpy as np
import pandas as pd

from analysis.bootstrap import att_bootstrap
from analysis.doubly_robust import dr_att
from analysis.weighting import att_effect
from pipeline.study.plan import Inference

from .common import TREATMENT

SANDWICH = "m_estimation_sandwich"
BOOTSTRAP = "stratified_bootstrap"
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
        return {"estimates": out, "interval": SANDWICH, "ess_control": ess, "sandwich": out}
    sandwich = dict(out)
    boot = att_bootstrap(sub, {outcome: kind}, TREATMENT, covariates,  # type: ignore[dict-item]
                         categorical=categorical, fixed_effects=fixed_effects, trim=trim,
                         n_boot=replicates_per_set(rule, m), alpha=alpha,
                         seed=np.random.SeedSequence([seed[0], _STREAM, seed[1]]),
                         estimator=estimator)  # type: ignore[arg-type]  # fmt: skip
    for r in boot.itertuples(index=False):
        est, _ = out[r.estimand]
        out[r.estimand] = (est, float(r.se))
    return {"estimates": out, "interval": BOOTSTRAP, "ess_control": ess, "sandwich": sandwich}


def pooled_interval(methods: Sequence[str]) -> str:
    """The interval method of a pooled row: the one every data set used, else both
    names joined by '+' (each data set's own variance enters Rubin's rules)."""
    used = list(dict.fromkeys(m for m in methods if m))
    return "+".join(sorted(used))
