"""When the data cannot answer the question: "not estimable" as a result, not a crash.

A model-based estimate needs more respondents than parameters, an outcome observed in
both groups, covariates that vary and a likelihood with a finite maximum. When a study
lacks one of these (a very small study, a scale whose items nobody answered), the
functions of ``analysis/`` raise :class:`NotEstimable` with a ``reason`` from
:data:`REASONS`; the chapters turn it into a row whose ``note`` is
:func:`not_estimable_note` (``"not estimable (too few respondents)"``) and the report
prints the reason in its own language (:func:`note_reason` reads it back).

``NotEstimable`` is a ``ValueError`` so callers written before it existed still stop on
it; new callers catch ``NotEstimable`` itself, so that a genuine bug (another
``ValueError``) still stops the run.
"""

from __future__ import annotations

import re

__all__ = ["NotEstimable", "REASONS", "not_estimable_note", "note_reason"]

#: Reason code -> the words of the ``note`` (English, as every results table is).
REASONS: dict[str, str] = {
    "too_few_respondents": "too few respondents",
    "outcome_missing": "outcome missing in a group",
    "no_variation": "the outcome does not vary",
    "constant_covariate": "constant covariate",
    "collinear": "collinear covariates",
    "separation": "complete separation",
}

_PREFIX = "not estimable"
_NOTE = re.compile(rf"^{_PREFIX} \((?P<words>[^:)]+)[:)]")
#: ``"not computable (n = k)"`` (analysis._common.not_computable_note): a two-group test
#: with a group below the respondents it needs.
_TOO_FEW_TEST = re.compile(r"^not computable \(n = \d+\)")


class NotEstimable(ValueError):
    """The data cannot estimate the quantity asked for (a result to report, not a bug).

    Parameters
    ----------
    reason : str
        A key of :data:`REASONS`.
    detail : str, optional
        What exactly, e.g. ``"2 complete rows for 17 parameters"`` or the covariate's
        name; it follows the reason in :attr:`note`.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in REASONS:
            raise ValueError(f"reason {reason!r} — expected one of {sorted(REASONS)}")
        self.reason = reason
        self.detail = detail
        super().__init__(self.note)

    @property
    def note(self) -> str:
        """The ``note`` of a results row: ``not estimable (<reason>[: <detail>])``."""
        return not_estimable_note(self.reason, self.detail)

    def __reduce__(self) -> tuple:
        # Keep reason and detail when the exception crosses a process boundary.
        return (NotEstimable, (self.reason, self.detail))


def not_estimable_note(reason: str, detail: str = "") -> str:
    """``"not estimable (too few respondents)"``, with ``": <detail>"`` if given."""
    words = REASONS[reason]
    return f"{_PREFIX} ({words}: {detail})" if detail else f"{_PREFIX} ({words})"


def note_reason(note: object) -> str | None:
    """The reason code of a ``note`` that says a number is not estimable, else None.

    Reads :func:`not_estimable_note` back; a two-group test's ``"not computable (n =
    k)"`` counts as ``too_few_respondents``. Any other note (a warning that came with an
    estimate, an empty cell) gives None.
    """
    if not isinstance(note, str):
        return None
    match = _NOTE.match(note)
    if match:
        words = match.group("words")
        return next((code for code, text in REASONS.items() if text == words), None)
    if _TOO_FEW_TEST.match(note):
        return "too_few_respondents"
    return None
