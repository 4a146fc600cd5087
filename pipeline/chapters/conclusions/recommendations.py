"""Sections 8.3 (horizontale PPS) and 8.4 (vooruitblik): recommendations chosen by rules.

Each rule reads results other chapters wrote (``stats.json``) and, when its trigger holds,
adds one recommendation: a key (its text is ``[conclusions.recommendations.<key>]`` in the
chapter's strings, a ``trigger`` sentence that states the result and a ``text`` that says
what follows) and the values of the trigger's placeholders. Nothing is recommended without
a result that triggers it; a rule whose inputs are absent stays silent.

The rules, in the order the report shows them:

PPS (8.3), the public-private cooperation itself:

- ``support_first``: units' attainment goes with draagvlak and hours invested (claim 6's
  exact Spearman rho at least its threshold for both) -> secure support and time before
  starting.
- ``employer_admin``: an administrative or financial bottleneck is among the employers'
  most named ones (claim 7's ranks) -> take paperwork and subsidy applications off
  employers' hands.
- ``embed``: at least one interviewed unit doubts or stops -> make continuation a
  decision with budget and staff rather than a project.

Vooruitblik (8.4), what to do next:

- ``continue_and_test``: the primary effect on work lies above 0 (interval) -> continue,
  and test the effect with a design that can show causation (phased or randomised start).
- ``test_before_scaling``: the interval contains 0 -> do not scale up before such a test.
- ``learn_from_comparison``: a comparison unit (appendix III) placed more people per
  1,000 WWB recipients than some evaluated units -> compare its approach with theirs.
- ``weak_units``: some units stayed below their targets -> targets per unit sized to
  its hours and caseload, reviewed mid-way.
- ``larger_control``: the weighted control group's effective size is less than half its
  number of respondents (Kish) -> a larger or register-based control group next time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pipeline.report.claims import value

#: Claim 7's bottleneck ranks that count as "among the most named" (1 = most named).
TOP_RANK = 2
#: ``larger_control`` fires when the Kish effective control n is below this share of n.
ESS_SHARE = 0.5


def _number(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        number = float(x)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _claim(stats: Mapping[str, Any], chapter: str, claim: int) -> Mapping[str, Any]:
    for record in (stats.get(chapter) or {}).get("claims") or ():
        if isinstance(record, Mapping) and record.get("claim") == claim:
            return record
    return {}


def _rec(section: str, key: str, **values: dict) -> dict[str, Any]:
    return {"section": section, "key": key, "values": values}


def pps_recommendations(stats: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    support = (stats.get("units") or {}).get("support_claim") or {}
    rho = support.get("rho") or {}
    threshold = _number(support.get("rho_threshold"))
    hours, draagvlak = _number(rho.get("hours")), _number(rho.get("draagvlak"))
    if None not in (threshold, hours, draagvlak) and min(hours, draagvlak) >= threshold:  # type: ignore[type-var]
        out.append(_rec("pps", "support_first", rho_hours=value(hours, "number2"),
                        rho_draagvlak=value(draagvlak, "number2"),
                        n=value((support.get("n") or {}).get("hours"), "int")))
    employers = _claim(stats, "employers", 7).get("values") or {}
    ranks = {k: _number((employers.get(f"{k}_rank") or {}).get("value")) for k in ("admin", "fin")}
    named = [k for k, r in ranks.items() if r is not None and r <= TOP_RANK]
    if named:
        out.append(_rec("pps", "employer_admin",
                        admin=employers.get("admin", value(None, "pct")),
                        fin=employers.get("fin", value(None, "pct"))))
    m = stats.get("municipalities") or {}
    doubt, stop = m.get("n_doubt"), m.get("n_stop")
    if isinstance(doubt, int) and isinstance(stop, int) and doubt + stop > 0:
        out.append(_rec("pps", "embed", doubt=value(doubt, "int"), no=value(stop, "int"),
                        n=value(m.get("n_units_interviewed"), "int")))
    return out


def _comparison(stats: Mapping[str, Any]) -> list[dict[str, Any]]:
    ranking = (stats.get("appendix_assen") or {}).get("ranking") or []
    return [r for r in ranking if isinstance(r, Mapping) and r.get("below")]


def outlook_recommendations(stats: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    headline = ((stats.get("conclusions") or {}).get("headline") or {}).get("numbers")
    if isinstance(headline, Mapping):
        low, high = _number(headline.get("ci_low")), _number(headline.get("ci_high"))
        if low is not None and high is not None:
            key = "continue_and_test" if low > 0 else "test_before_scaling"
            out.append(_rec("outlook", key, low=value(low, "pp"), high=value(high, "pp")))
    for entry in _comparison(stats):
        below = list(entry["below"])
        out.append(_rec("outlook", "learn_from_comparison",
                        unit=value(str(entry["unit"]), "text"),
                        rate=value(entry.get("per_caseload"), "number1"),
                        per=value(entry.get("per"), "int"),
                        n_below=value(len(below), "int"),
                        n=value(entry.get("n_evaluated"), "int")))
    targets = (stats.get("units") or {}).get("targets_claim") or {}
    n_below = targets.get("n_below")
    if isinstance(n_below, int) and n_below > 0:
        out.append(_rec("outlook", "weak_units", n_below=value(n_below, "int"),
                        n=value((stats.get("units") or {}).get("n_units"), "int")))
    weighting = (stats.get("jobseekers") or {}).get("weighting") or {}
    ess, n_control = _number(weighting.get("ess_control")), _number(weighting.get("n_control"))
    if ess is not None and n_control and ess < ESS_SHARE * n_control:
        out.append(_rec("outlook", "larger_control", ess=value(ess, "int"),
                        n=value(n_control, "int")))
    return out


def recommendations(stats: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every recommendation whose trigger holds, PPS (8.3) first, then the outlook (8.4)."""
    return pps_recommendations(stats) + outlook_recommendations(stats)

