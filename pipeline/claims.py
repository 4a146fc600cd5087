"""The headline claims of the 2014 study, and the one shape every chapter records a verdict in.

Each chapter that can re-test a claim puts a record under ``stats[<chapter>]["claims"]``
(built with ``claim_record``); the conclusions chapter collects them into the scorecard.
A claim nobody recorded is "not testable" there, with the reason that no chapter tests it.

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
"""

from __future__ import annotations

import math
from typing import Any

CLAIMS = (1, 2, 3, 4, 5, 6, 7, 8)
VERDICTS = ("supported", "not_supported", "not_testable")


def claim_record(
    claim: int,
    verdict: str,
    *,
    rule: str,
    evidence: str,
    estimate: float | None = None,
    ci_low: float | None = None,
    ci_high: float | None = None,
    p_adj: float | None = None,
    measure: str | None = None,
    truth: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One claim's verdict with what it rests on.

    ``rule`` and ``evidence`` are keys of the conclusions chapter's strings (or plain
    English for a reader of stats.json): the rule applied and what the numbers were.
    ``measure`` names the estimate's scale (e.g. ``"conditional_or"``, ``"ate_rd"``,
    ``"spearman_rho"``). ``truth`` is the planted value for a synthetic study (None for
    real data); ``covered`` says whether the CI covers it.
    """
    if claim not in CLAIMS:
        raise ValueError(f"claim {claim} — expected one of {CLAIMS}")
    if verdict not in VERDICTS:
        raise ValueError(f"verdict {verdict!r} — expected one of {VERDICTS}")
    covered = None
    if truth is not None and ci_low is not None and ci_high is not None:
        if all(math.isfinite(v) for v in (truth, ci_low, ci_high)):
            covered = bool(ci_low <= truth <= ci_high)
    return {
        "claim": claim,
        "verdict": verdict,
        "rule": rule,
        "evidence": evidence,
        "measure": measure,
        "estimate": estimate,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "p_adj": p_adj,
        "truth": truth,
        "covered": covered,
        **extra,
    }
