"""The samenvatting's facts: what the summary's prose says, chosen by rules from results.

The summary (front matter) is written in plain words for a reader who reads one page. Its
sentences live in the summary chapter's strings (``[summary.sentences]``); this module
decides *which* sentences apply and with which values, from the stats earlier chapters
wrote. No number is computed for the text that a chapter already computed: each value is
read from its one results entry. Two values are derived here, once, and documented:

- the rate the candidates would likely have had without Werktop: the candidates' observed
  share in work minus the primary estimate of the effect on the treated (ATT, risk
  difference), with the interval of the ATT shifted the same way (the candidates' own
  share is observed, not estimated, for an effect on the treated sample);
- what the headline odds ratio means on the risk scale at the control group's observed
  rate: ``RR = OR / (1 - p0 + p0 * OR)`` (Zhang & Yu 1998), so the text can say that an
  odds ratio of 2.9 is not "2.9 times as often".

Rules (each sentence key names its rule):

- effect: ``effect_up`` when the interval of the primary ATT lies above 0, ``effect_down``
  when below, ``effect_unclear`` when it contains 0;
- certainty: ``certainty_narrow`` when the interval is at most ``NARROW_PP`` wide (in
  proportion units), else ``certainty_wide``; always followed by ``association`` (the groups
  were not randomised) and, after weighting, ``balanced`` or ``imbalanced`` by the largest
  absolute standardised difference against the chapter's threshold;
- a synthetic study adds ``truth_covered`` / ``truth_missed`` for the planted ATT;
- units: ``units_all`` / ``units_some`` / ``units_none`` by how many units met all targets;
- employers and municipalities: one sentence each when their chapters ran.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pipeline.report.claims import value

#: The outcome the summary leads with: the outcome of claim 1 ("more into work").
HEADLINE_CLAIM = 1
#: An interval at most this wide (proportion scale, i.e. 10 percentage points) is called
#: narrow ("fairly precise") in the summary.
NARROW_PP = 0.10


def _number(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        number = float(x)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def primary_effect(effects: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    """The primary risk-difference estimate of one outcome, and its key.

    The method of the entry the jobseekers chapter marks ``primary`` (the doubly robust
    ATT where estimable), on the risk-difference scale; without one (not estimable, or
    results written before the column existed) the propensity-weighted effect on the
    treated (``weighted_risk_difference``, the ATT). This is the one place that chooses it.
    """
    for key, entry in effects.items():
        if isinstance(entry, Mapping) and entry.get("primary") is True:
            # the primary method's estimate on the risk-difference scale (the primary
            # row of a binary outcome is its odds ratio; both come from one fit)
            method = key.removesuffix("_odds_ratio").removesuffix("_risk_difference")
            same = effects.get(f"{method}_risk_difference")
            if isinstance(same, Mapping) and same.get("estimate") is not None:
                return f"{method}_risk_difference", same
    entry = effects.get("weighted_risk_difference")
    return ("weighted_risk_difference", entry) if isinstance(entry, Mapping) else None


def _headline_outcome(earlier: Mapping[str, Any]) -> str | None:
    jobseekers = earlier.get("jobseekers")
    if not isinstance(jobseekers, Mapping):
        return None
    for record in jobseekers.get("claims") or ():
        if isinstance(record, Mapping) and record.get("claim") == HEADLINE_CLAIM:
            outcome = record.get("outcome")
            return str(outcome) if outcome else None
    return None


def odds_ratio_as_risk_ratio(odds_ratio: float, p0: float) -> float:
    """The risk ratio an odds ratio implies at baseline risk ``p0`` (Zhang & Yu 1998)."""
    return odds_ratio / (1 - p0 + p0 * odds_ratio)


def _sentence(key: str, **values: dict) -> dict[str, Any]:
    return {"key": key, "values": values}


def effect_sentences(earlier: Mapping[str, Any], truth: Mapping[str, Any] | None
                     ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The effect paragraph's sentences and the headline numbers (None without them)."""
    outcome = _headline_outcome(earlier)
    jobseekers = earlier.get("jobseekers") or {}
    employment = (earlier.get("employment") or {}).get(outcome or "", {})
    effects = (jobseekers.get("effects") or {}).get(outcome or "", {})
    chosen = primary_effect(effects) if isinstance(effects, Mapping) else None
    if chosen is None or not isinstance(employment, Mapping):
        return [], None
    key, entry = chosen
    est, low, high = (_number(entry.get(k)) for k in ("estimate", "ci_low", "ci_high"))
    treated = _number(employment.get("p_treated"))
    control = _number(employment.get("p_control"))
    if est is None or low is None or high is None or treated is None:
        return [], None
    label = {"nl": str(employment.get("label_nl", outcome)),
             "en": str(employment.get("label_en", outcome))}
    out = [_sentence(
        "effect_up" if low > 0 else "effect_down" if high < 0 else "effect_unclear",
        outcome=value(label, "text"), estimate=value(est, "pp"), low=value(low, "pp"),
        high=value(high, "pp"), treated=value(treated, "pct"),
        without=value(treated - est, "pct"), without_low=value(treated - high, "pct"),
        without_high=value(treated - low, "pct"),
        n_treated=value(entry.get("n_treated"), "int"),
        n_control=value(entry.get("n_control"), "int"),
    )]  # fmt: skip
    out.append(_sentence("certainty_narrow" if high - low <= NARROW_PP else "certainty_wide",
                         width=value(high - low, "pp")))
    out.append(_sentence("association"))
    weighting = jobseekers.get("weighting")
    if isinstance(weighting, Mapping):
        after = _number(weighting.get("max_abs_smd_after"))
        threshold = _number(weighting.get("smd_threshold"))
        if after is not None and threshold is not None:
            out.append(_sentence("balanced" if after < threshold else "imbalanced",
                                 smd=value(after, "number2"),
                                 threshold=value(threshold, "number1")))
    planted = _number(truth.get("att_rd")) if isinstance(truth, Mapping) else None
    if planted is not None:
        out.append(_sentence("truth_covered" if low <= planted <= high else "truth_missed",
                             truth=value(planted, "pp")))
    # The headline claim's odds ratio on the risk scale: a conditional OR at the control
    # group's observed rate; the doubly robust marginal OR on the treated at their rate
    # without Werktop (there the conversion gives the marginal risk ratio exactly).
    odds, measure = None, None
    for record in jobseekers.get("claims") or ():
        if (isinstance(record, Mapping) and record.get("claim") == HEADLINE_CLAIM
                and record.get("measure") in ("conditional_or", "att_or_dr")):
            odds, measure = _number(record.get("estimate")), record.get("measure")
    base = control if measure == "conditional_or" else treated - est
    if odds is not None and base is not None and 0 < base < 1:
        out.append(_sentence("odds_ratio" if measure == "conditional_or" else "odds_ratio_att",
                             odds=value(odds, "number2"), control=value(base, "pct"),
                             rr=value(odds_ratio_as_risk_ratio(odds, base), "number1")))
    numbers = {"outcome": outcome, "estimate_key": key, "estimate": est, "ci_low": low,
               "ci_high": high, "p_treated": treated, "without": treated - est}
    return out, numbers


def context_sentences(earlier: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The units, employers and municipalities, one sentence each where the chapter ran."""
    out: list[dict[str, Any]] = []
    intro = earlier.get("introduction") or {}
    units = earlier.get("units") or {}
    if isinstance(units.get("n_units"), int) and isinstance(units.get("n_exceeding_all"), int):
        n, met = units["n_units"], units["n_exceeding_all"]
        below = list((units.get("targets_claim") or {}).get("units_below") or [])
        key = "units_all" if met == n else "units_none" if met == 0 else "units_some"
        out.append(_sentence(
            key, n=value(n, "int"), met=value(met, "int"),
            municipalities=value(intro.get("n_municipalities"), "int"),
            below=value({"nl": _join(below, "en"), "en": _join(below, "and")}, "text"),
        ))  # fmt: skip
    employers = earlier.get("employers") or {}
    grade = employers.get("grade") or {}
    if _number(grade.get("mean")) is not None and _number(grade.get("p_pass")) is not None:
        out.append(_sentence(
            "employers", n=value(employers.get("n"), "int"), mean=value(grade["mean"], "number1"),
            p_pass=value(grade["p_pass"], "pct"),
            pass_mark=value(employers.get("pass_mark"), "int"),
            continue_yes=value(employers.get("continue_yes"), "pct"),
        ))  # fmt: skip
    municipalities = earlier.get("municipalities") or {}
    if isinstance(municipalities.get("n_units_interviewed"), int):
        m = municipalities
        out.append(_sentence(
            "municipalities_all" if m.get("n_continue") == m["n_units_interviewed"]
            else "municipalities_mixed",
            n=value(m["n_units_interviewed"], "int"), yes=value(m.get("n_continue"), "int"),
            doubt=value(m.get("n_doubt"), "int"), no=value(m.get("n_stop"), "int"),
        ))  # fmt: skip
    return out


def _join(names: list[str], word: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {word} {names[-1]}"


def headline(earlier: Mapping[str, Any]) -> dict[str, Any]:
    """``stats["conclusions"]["headline"]``: the summary's sentences (key + values) by
    paragraph, and the headline numbers they rest on. The planted truth of a synthetic
    study is the one the jobseekers chapter read (``stats["jobseekers"]["truth"]``)."""
    planted = (earlier.get("jobseekers") or {}).get("truth")
    effect, numbers = effect_sentences(earlier, planted)
    return {"effect": effect, "context": context_sentences(earlier), "numbers": numbers}
