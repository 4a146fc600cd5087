"""The headline claims of the 2014 study, and the one shape every chapter records a verdict in.

Each chapter that can re-test a claim puts a record under ``stats[<chapter>]["claims"]``
(built with ``claim_record``); the conclusions chapter collects them into the scorecard.
A claim nobody recorded is "not testable" there, with the reason that no chapter tests it.

The shape of a record (a JSON object in ``stats.json``)::

    {"claim": 5, "verdict": "supported",            # CLAIMS, VERDICTS
     "rule": "rule_5", "short_rule": "rule_5_short", "evidence": "evidence_5",
     "values": {"exceed": {"value": 3, "format": "int"}, ...},
     "measure": "n_units_exceeding", "estimate": 3.0, "total": 5,
     "ci_low": None, "ci_high": None, "p_adj": None,
     "truth": None, "covered": None, ...extra fields of the recording chapter}

``rule``, ``short_rule`` and ``evidence`` are keys of the *recording* chapter's strings,
in the table ``[<chapter>.claims]`` of its ``nl.toml`` and ``en.toml`` (so every language
has them): the rule applied in full (shown in a numbered list under the scorecard), the
rule in a few words (the scorecard's rule column) and what the numbers were (or why the
claim is not testable). Their ``{placeholders}`` are filled from ``values``: placeholder ->
``{"value": ..., "format": ...}`` with a format of ``pipeline.report.formatting.VALUE_FORMATS``
(``int``, ``pct``, ``number1/2/3``, ``p``, ``pp``, ``text``; a ``text`` value may be
``{"nl": ..., "en": ...}``). ``{level}`` (the confidence level) is always available. The
template formats the values with the ``fmt_values`` filter; nothing is formatted here.

``measure`` names the estimate's scale; the conclusions chapter gives each measure a label
and a display format (``pipeline/chapters/conclusions/chapter.py: MEASURES``), e.g.
``conditional_or`` "OR 2,95 [1,79; 4,86]", ``share`` "97,4% [94,8; 98,8]",
``n_units_exceeding`` "3 van 5" (``total`` is the 5).

The claims (design brief §1):

1. Werktop gets significantly more WWB recipients into work than the control group.
2. Werktop candidates search for work significantly more actively.
3. Their self-efficacy is significantly higher.
4. They are significantly more positive about their treatment by the municipality and
   more satisfied with the added value of the social service.
5. In more than half of the units results exceed the targets; two stay (far) below.
6. The differences between units go with support inside the municipality and hours invested.
7. Employers are positive but want a better fit with their needs and more administrative
   and financial support.
8. Candidates want more customisation (maatwerk) and effort from the municipality.
9. Results stay *far* below the targets in two municipalities.
10. The municipalities all want to continue with (elements of) the approach.
11. There are hardly any safeguards yet for embedding the approach structurally.

Every threshold a rule uses is in ``THRESHOLDS`` (one place; the chapters read it and
the rule texts show it). A record may be a *sensitivity* record (``sensitivity`` names the
reasonable alternative, a key of the recording chapter's claim strings): it is shown
under its claim but does not count in the claim's verdict. The verdict ``indicative``
("aanwijzing") is for a claim whose rule holds on numbers too few to be evidence (a
correlation over five units): neither green nor red.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pipeline.report.formatting import VALUE_FORMATS

CLAIMS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
VERDICTS = ("supported", "indicative", "not_supported", "not_testable")

#: Every threshold of a claim rule, in one place (the rule texts show them):
THRESHOLDS: dict[str, float] = {
    # claim 5/9: a unit is far below its targets when its mean attainment is below this
    "far_below": 0.5,
    # claim 6: |Spearman rho| of attainment with hours and with draagvlak at least this
    "rho": 0.7,
    # claim 7: lower CI bound of the share of employers giving a pass mark above this
    "pass_share": 0.5,
    # claim 7: the administrative and financial bottleneck among the TOP most named
    "support_top": 2,
    # claim 7: lower CI bound of the share of employers who do *not* agree that the
    # approach fits their needs (or name misfitting candidates) above this
    "fit_share": 0.25,
    # claim 11: "hardly any safeguards": at most this share of the units names a
    # structural safeguard (relatiemanager in the permanent staff, part of the
    # employer service)
    "safeguard_share": 0.2,
}


def value(x: Any, format: str) -> dict[str, Any]:
    """A placeholder value for ``values``: ``{"value": x, "format": format}``.

    Non-finite numbers become None (printed as a dash); ``format`` must be one of
    ``VALUE_FORMATS``.
    """
    if format not in VALUE_FORMATS:
        raise ValueError(f"value format {format!r} — expected one of {VALUE_FORMATS}")
    if isinstance(x, float) and not math.isfinite(x):
        x = None
    elif hasattr(x, "item") and not isinstance(x, (str, dict)):  # numpy scalar
        x = x.item()
        if isinstance(x, float) and not math.isfinite(x):
            x = None
    return {"value": x, "format": format}


def claim_record(
    claim: int,
    verdict: str,
    *,
    rule: str,
    evidence: str,
    short_rule: str | None = None,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    estimate: float | None = None,
    ci_low: float | None = None,
    ci_high: float | None = None,
    p_adj: float | None = None,
    measure: str | None = None,
    truth: float | None = None,
    total: int | None = None,
    sensitivity: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One claim's verdict with what it rests on (shape in the module docstring).

    Parameters
    ----------
    claim, verdict
        The claim number (``CLAIMS``) and the verdict (``VERDICTS``).
    rule, evidence
        Keys of ``[<chapter>.claims]`` in the recording chapter's strings: the rule in full
        and what the numbers showed (or why the claim is not testable).
    short_rule
        Key of the rule in a few words; default ``f"{rule}_short"``.
    values
        Placeholders of the three strings: name -> ``value(x, format)``.
    estimate, ci_low, ci_high, p_adj, measure, total
        The estimate behind the verdict on the scale ``measure``, its confidence interval,
        its multiplicity-adjusted p-value, and the denominator of a count (``total``).
    truth
        The planted value for a synthetic study (None for real data); ``covered`` says
        whether the CI covers it.
    sensitivity
        For a sensitivity record: the key (in ``[<chapter>.claims]``) naming the
        reasonable alternative it applies; such a record does not count in the claim's
        verdict. None for a record that does.
    **extra
        Further fields the recording chapter keeps (its own template may read them).
    """
    if claim not in CLAIMS:
        raise ValueError(f"claim {claim} — expected one of {CLAIMS}")
    if verdict not in VERDICTS:
        raise ValueError(f"verdict {verdict!r} — expected one of {VERDICTS}")
    checked: dict[str, dict[str, Any]] = {}
    for name, spec in (values or {}).items():
        if not isinstance(spec, Mapping) or set(spec) != {"value", "format"}:
            raise ValueError(f"claim {claim}: value {name!r} must be {{'value', 'format'}}")
        checked[str(name)] = value(spec["value"], str(spec["format"]))
    covered = None
    if truth is not None and ci_low is not None and ci_high is not None:
        if all(math.isfinite(v) for v in (truth, ci_low, ci_high)):
            covered = bool(ci_low <= truth <= ci_high)
    return {
        "claim": claim,
        "verdict": verdict,
        "rule": rule,
        "short_rule": short_rule if short_rule is not None else f"{rule}_short",
        "evidence": evidence,
        "values": checked,
        "measure": measure,
        "estimate": estimate,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "p_adj": p_adj,
        "truth": truth,
        "covered": covered,
        "total": total,
        "sensitivity": sensitivity,
        **extra,
    }


def claim_strings(strings: Mapping[str, Any], chapter: str) -> Mapping[str, Any]:
    """The ``[<chapter>.claims]`` strings table of a recording chapter (empty if none)."""
    entry = strings.get(chapter)
    table = entry.get("claims") if isinstance(entry, Mapping) else None
    return table if isinstance(table, Mapping) else {}


def unresolved_keys(record: Mapping[str, Any], strings: Mapping[str, Any],
                    chapter: str) -> list[str]:
    """The record's rule, short-rule and evidence keys that ``strings`` lacks."""
    table = claim_strings(strings, chapter)
    keys = [record.get("rule"), record.get("short_rule"), record.get("evidence")]
    if record.get("sensitivity"):
        keys.append(record["sensitivity"])
    return [str(k) for k in keys if not isinstance(table.get(str(k)), str)]
