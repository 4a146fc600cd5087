"""Chapter 6's verdicts on claims 1-4 and 8 for the conclusions chapter: the rule per
outcome (direction, family-corrected adjusted p, crude/adjusted/weighted signs agree), the
claim records, and the planted truth of a synthetic study beside the estimates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.estimability import note_reason
from pipeline.report.claims import claim_record, value
from pipeline.report.formatting import is_missing
from pipeline.study.plan import Outcome

from .common import PRIMARY_MEASURE, _f

#: Claims 1-4 and the family members that test them (all must meet the rule).
CLAIM_OUTCOMES = {
    1: ("werk_regulier",),
    2: ("scale_zoekgedrag", "sollicitaties_4wk"),
    3: ("scale_eigen_effectiviteit",),
    4: ("scale_bejegening", "tevreden_meerwaarde"),
}
RULE = "direction_holm_signs"
#: The scorecard's measure of a claim decided by a primary row, by the row's estimand.
CLAIM_MEASURE = {"conditional_or": "conditional_or", "conditional_rr": "conditional_rr",
                 "mean_difference": "adjusted_md", "att_or_dr": "att_or_dr",
                 "att_rr_dr": "att_rr_dr", "att_md_dr": "att_md_dr"}  # fmt: skip
_NULL = {"odds_ratio": 1.0, "rate_ratio": 1.0, "mean_difference": 0.0, "risk_difference": 0.0}


def _pick(effects: pd.DataFrame, outcome: str, method: str, measure: str) -> dict | None:
    sel = effects[(effects["outcome"] == outcome) & (effects["method"] == method)
                  & (effects["measure"] == measure)]  # fmt: skip
    return None if sel.empty else sel.iloc[0].to_dict()


def _sign(row: Mapping | None, measure: str) -> int:
    if row is None or is_missing(row["estimate"]):
        return 0
    return int(np.sign(row["estimate"] - _NULL[measure]))


def _primary(effects: pd.DataFrame, outcome: str, measure: str) -> dict | None:
    """The outcome's headline row (``primary``: the doubly robust ATT where estimable),
    else its adjusted row (tables written before the column existed)."""
    if "primary" in effects.columns:
        sel = effects[(effects["outcome"] == outcome) & effects["primary"].astype(bool)]
        if not sel.empty:
            return sel.iloc[0].to_dict()
    return _pick(effects, outcome, "adjusted", measure)


def outcome_verdict(effects: pd.DataFrame, outcome: str, kind: str, alpha: float) -> dict:
    """The rule for one outcome: direction positive, the primary estimate's p
    (family-corrected) below alpha, and crude, adjusted, weighted and primary (doubly
    robust) estimates of the same sign."""
    measure = PRIMARY_MEASURE[kind]
    adj = _primary(effects, outcome, measure)
    # the headline row's own scale (a primary row may be on another measure than the
    # kind's primary one, e.g. a risk difference): its sign is judged on that scale
    head = measure if adj is None else str(adj.get("measure") or measure)
    crude = _pick(effects, outcome, "crude", measure)
    weighted = _pick(effects, outcome, "weighted", measure)
    regression = _pick(effects, outcome, "adjusted", measure)
    signs = [_sign(crude, measure), _sign(adj, head), _sign(weighted, measure),
             _sign(regression, measure)]
    p_adj = None if adj is None or is_missing(adj["p_adj"]) else float(adj["p_adj"])
    testable = adj is not None and p_adj is not None
    positive = signs[1] > 0
    significant = testable and p_adj < alpha
    agree = len(set(signs)) == 1 and signs[0] != 0
    return {
        "outcome": outcome, "measure": head, "testable": testable,
        "method": None if adj is None else str(adj["method"]),
        "direction": positive, "significant": significant, "signs_agree": agree,
        "meets_rule": bool(testable and positive and significant and agree),
        "estimate": None if adj is None else _f(adj["estimate"]),
        "ci_low": None if adj is None else _f(adj["ci_low"]),
        "ci_high": None if adj is None else _f(adj["ci_high"]),
        "p_adj": p_adj,
        "crude": None if crude is None else _f(crude["estimate"]),
        "weighted": None if weighted is None else _f(weighted["estimate"]),
        "adjusted": None if regression is None else _f(regression["estimate"]),
        "primary_method": None if adj is None else adj.get("method"),
        "primary_estimand": None if adj is None else adj.get("estimand"),
    }  # fmt: skip


def _labels(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Outcome labels as one text value per language, joined with semicolons."""
    return value({lang: "; ".join(o.label(lang) for o in outcomes) for lang in ("nl", "en")},
                 "text")  # fmt: skip


def claims(effects: pd.DataFrame, members: Sequence[Outcome], alpha: float,
           truth: Mapping[str, Any] | None, wishes_coded: bool) -> list[dict]:  # fmt: skip
    """Claim records for claims 1-4 and 8 (rule and evidence keys in ``[jobseekers.claims]``
    of this chapter's strings; shape in ``pipeline/report/claims.py``)."""
    kinds = {o.name: o.kind for o in members}
    by_name = {o.name: o for o in members}
    records_ = []
    for claim, outcomes in CLAIM_OUTCOMES.items():
        present = [o for o in outcomes if o in kinds]
        rule_values = {"alpha": value(alpha, "number2")}
        if not present:
            records_.append(claim_record(claim, "not_testable", rule=RULE,
                                         evidence="outcome_not_in_family",
                                         values=rule_values))  # fmt: skip
            continue
        per = [outcome_verdict(effects, o, kinds[o], alpha) for o in present]
        if not all(v["testable"] for v in per):
            records_.append(_not_testable(claim, present, per, effects, members, rule_values))
            continue
        verdict = "supported" if all(v["meets_rule"] for v in per) else "not_supported"
        # the deciding outcome: the one that fails the rule, else the largest p_adj
        decide = next((v for v in per if not v["meets_rule"]),
                      max(per, key=lambda v: v["p_adj"]))  # fmt: skip
        measure = CLAIM_MEASURE.get(decide["primary_estimand"], {
            "odds_ratio": "conditional_or", "rate_ratio": "conditional_rr",
            "mean_difference": "adjusted_md",
            "risk_difference": "att_rd"}[decide["measure"]])  # fmt: skip
        extra: dict[str, Any] = {"outcome": decide["outcome"], "outcomes": per,
                                 "method": decide["primary_method"]}
        planted = None
        if truth is not None:
            estimand = decide["primary_estimand"] or {
                "odds_ratio": "conditional_or", "rate_ratio": "conditional_rr",
                "mean_difference": "mean_difference",
                "risk_difference": "att_rd"}[decide["measure"]]  # fmt: skip
            planted = truth_by_estimand(truth).get((decide["outcome"], estimand))
            if decide["outcome"] == "werk_regulier":
                w = _pick(effects, "werk_regulier", "weighted", "risk_difference")
                att = _true_att_rd(truth)
                if w is not None:
                    extra.update(
                        weighted_measure="att_rd", weighted_estimate=_f(w["estimate"]),
                        weighted_ci_low=_f(w["ci_low"]), weighted_ci_high=_f(w["ci_high"]),
                        weighted_truth=att,
                        weighted_covered=(None if att is None or is_missing(w["ci_low"])
                                          else bool(w["ci_low"] <= att <= w["ci_high"])),
                    )  # fmt: skip
        values = {
            **rule_values,
            "outcome": _labels([by_name[decide["outcome"]]]),
            "outcomes": _labels([by_name[o] for o in present]),
            "n_outcomes": value(len(per), "int"),
            "n_met": value(sum(v["meets_rule"] for v in per), "int"),
            "crude": value(decide["crude"], "number2"),
            "weighted": value(decide["weighted"], "number2"),
            "adjusted": value(decide["adjusted"], "number2"),
        }  # fmt: skip
        records_.append(claim_record(
            claim, verdict, rule=RULE,
            evidence="adjusted_one" if len(per) == 1 else "adjusted_many", values=values,
            measure=measure, estimate=decide["estimate"], ci_low=decide["ci_low"],
            ci_high=decide["ci_high"], p_adj=decide["p_adj"], truth=planted, **extra,
        ))  # fmt: skip
    if wishes_coded:  # pragma: no cover - no study has coded wishes yet
        records_.append(claim_record(8, "not_testable", rule="coded_wishes",
                                     evidence="not_implemented"))  # fmt: skip
    else:
        records_.append(claim_record(8, "not_testable", rule="coded_wishes",
                                     evidence="wishes_free_text_only"))  # fmt: skip
    return records_


def _reason(effects: pd.DataFrame, outcome: Outcome) -> str | None:
    """Why the primary adjusted estimate of ``outcome`` is not estimable (None if it is)."""
    adj = _pick(effects, outcome.name, "adjusted", PRIMARY_MEASURE[outcome.kind])
    return None if adj is None else note_reason(adj.get("note"))


def _not_testable(claim: int, present: Sequence[str], per: Sequence[Mapping[str, Any]],
                  effects: pd.DataFrame, members: Sequence[Outcome],
                  rule_values: Mapping[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The record of a claim whose adjusted estimate or family-corrected p is missing:
    the claim's own outcome that is not estimable, else the family member whose missing
    estimate leaves the family without a correction (``not_computable`` if neither)."""
    by_name = {o.name: o for o in members}
    own = [(name, _reason(effects, by_name[name])) for name in present]
    family = [(o.name, _reason(effects, o)) for o in members]
    evidence = "not_estimable"
    found = next(((n, r) for n, r in own if r), None)
    if found is None:
        evidence, found = "family_not_estimable", next(((n, r) for n, r in family if r), None)
    if found is None:
        return claim_record(claim, "not_testable", rule=RULE, evidence="not_computable",
                            values=rule_values, outcomes=list(per))  # fmt: skip
    outcome, reason = found
    values = {**rule_values, "outcome": _labels([by_name[outcome]]),
              "reason": value(reason, "reason")}  # fmt: skip
    return claim_record(claim, "not_testable", rule=RULE, evidence=evidence, values=values,
                        outcomes=list(per), outcome=outcome, reason=reason)  # fmt: skip


def _planted(truth: Mapping[str, Any], outcome: str) -> float | None:
    """The planted value on the adjusted estimator's own scale, where the scenario has one."""
    try:
        if outcome == "werk_regulier":
            return float(truth["true_att_regular_job"]["conditional_odds_ratio"])
        if outcome == "sollicitaties_4wk":
            return float(truth["parameters"]["applications"]["rate_ratio"])
    except (KeyError, TypeError, ValueError):
        return None
    return None  # latent-trait effects are not on the scale-mean scale


def truth_by_estimand(truth: Mapping[str, Any] | None) -> dict[tuple[str, str], float]:
    """(outcome, estimand) -> planted value, for the estimands the scenario defines.

    Regular job: the conditional OR of the generator's logit; the ATT risk difference and
    marginal ATT OR over the (clean) candidates, which the weighted, doubly robust and
    adjusted-over-the-treated estimates all target. Applications: the gamma-Poisson
    model's rate ratio, conditional and, with a log link and one multiplicative effect,
    also the ATT rate ratio (the generator's cap at 60 applications ignored). Trimmed and
    overlap-weighted estimates target other populations: no planted value.
    """
    if not truth:
        return {}
    out: dict[tuple[str, str], float] = {}
    conditional = _planted(truth, "werk_regulier")
    if conditional is not None:
        out[("werk_regulier", "conditional_or")] = conditional
    att = truth.get("true_att_regular_job", {})
    for key in ("clean_candidates", "generated_candidates", "population"):
        if key in att:
            for estimand in ("att_rd", "att_rd_dr", "ame_att_rd"):
                out[("werk_regulier", estimand)] = float(att[key]["risk_difference"])
            if "marginal_odds_ratio" in att[key]:
                for estimand in ("att_or", "att_or_dr"):
                    out[("werk_regulier", estimand)] = float(att[key]["marginal_odds_ratio"])
            break
    rr = _planted(truth, "sollicitaties_4wk")
    if rr is not None:
        for estimand in ("conditional_rr", "att_rr", "att_rr_dr"):
            out[("sollicitaties_4wk", estimand)] = rr
    return out


def _true_att_rd(truth: Mapping[str, Any]) -> float | None:
    att = truth.get("true_att_regular_job", {})
    for key in ("clean_candidates", "generated_candidates", "population"):
        if key in att:
            return float(att[key]["risk_difference"])
    return None


def _wishes_coded(codebook: Any) -> bool:
    inst = codebook.instruments["candidates"]
    return any(v.name.startswith("wens_") and v.has_codes for v in inst.variables)


def _truth_stats(truth: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if truth is None:
        return None
    return {"conditional_or": _planted(truth, "werk_regulier"),
            "att_rd": _true_att_rd(truth),
            "rate_ratio": _planted(truth, "sollicitaties_4wk")}  # fmt: skip
