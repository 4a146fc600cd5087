"""Interpret the text of one export column against its codebook variable.

Both the validate stage (which reports) and the clean stage (which recodes) call
:func:`parse_column`, so what the validation report says is exactly what cleaning does.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.study.codebook import Codebook, Variable, normalise_label

# What happens to a cell, as written in the validation report.
ACTION_ERROR = "error"
ACTION_MISSING = "set_missing"


@dataclass(frozen=True)
class CellIssue:
    position: int  # index into the column
    column: str
    value: str
    issue: str  # unknown_label, out_of_range, not_a_number, not_an_integer, invalid_date, ...
    expected: str
    action: str
    suggestion: str = ""


@dataclass(frozen=True)
class ParseContext:
    codebook: Codebook
    decimal: str = "."
    declared_missing: tuple[float, ...] = ()  # user-missing codes the file itself declares
    date_format: str | None = None  # the study's strptime format for dates; None: detect
    comparison_units: bool = False  # accept the codebook's comparison units (register only)
    # The file's own value labels (code as text -> label) that the column is read through
    # (labels win over bare codes; see validate.read_through_labels).
    value_labels: dict[str, str] = field(default_factory=dict)


def _suggest(value: str, options: dict[str, str]) -> str:
    """The closest known spelling, shown as the user should write it (``options`` maps a
    normalised spelling to its display form)."""
    close = difflib.get_close_matches(normalise_label(value), list(options), n=1, cutoff=0.6)
    return options[close[0]] if close else ""


def _missing_reason(text: str, var: Variable, ctx: ParseContext) -> str | None:
    """Why this text means 'no answer', or None if it is an answer."""
    if text.strip() == "":
        return "blank"
    norm = normalise_label(text)
    if norm in ctx.codebook.missing_labels:
        return ctx.codebook.missing_labels[norm]
    number = _to_number(text, ctx.decimal)
    if number is not None and number.is_integer():
        code = int(number)
        if code in var.missing:
            info = ctx.codebook.missing_codes.get(code, {})
            return info.get("reason", "missing_code")
        if float(code) in ctx.declared_missing:
            return "user_missing"
    return None


def _to_number(text: str, decimal: str) -> float | None:
    s = text.strip().replace("\u2212", "-")
    if decimal == ",":
        if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", s):
            s = s.replace(".", "")
        s = s.replace(",", ".")
    elif re.fullmatch(r"-?\d+,\d+", s):
        # A decimal comma in a file that otherwise uses points (typed into Excel as text).
        s = s.replace(",", ".")
    if not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", s):
        return None
    return float(s)


_DATE_PATTERNS = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T][\d:.]+)?"), ("y", "m", "d")),
    (re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})"), ("d", "m", "y")),
)


def parse_date(text: str, date_format: str | None = None) -> dt.date | None:
    """A date from text; None if it is not one.

    Without ``date_format``: ISO dates (optionally with a time) and the Dutch dd-mm-jjjj
    (also with / or .). With it: that strptime format, and ISO dates, which is how the
    readers write dates that Excel or SPSS store as dates.
    """
    s = text.strip()
    if date_format is not None:
        try:
            return dt.datetime.strptime(s, date_format).date()
        except ValueError:
            pass
        patterns = _DATE_PATTERNS[:1]
    else:
        patterns = _DATE_PATTERNS
    for pattern, order in patterns:
        m = pattern.fullmatch(s)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            try:
                return dt.date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                return None
    return None


def code_lookup(var: Variable) -> dict[str, int]:
    """Normalised Dutch label, English label, alias and code text -> code."""
    table: dict[str, int] = {}
    for c in var.codes:
        for text in (c.nl, c.en, *c.aliases, str(c.code)):
            table[normalise_label(text)] = c.code
    return table


def _range_text(var: Variable) -> str:
    return f"a value from {var.min} to {var.max}"


@dataclass(frozen=True)
class _Parsed:
    """What one distinct cell text means for a variable."""

    value: object = None
    reason: str = ""  # why the value is missing ("" when there is a value)
    issue: str = ""
    expected: str = ""
    suggestion: str = ""
    action: str = ""


class _Interpreter:
    """Interprets one cell text for one variable; built once per column."""

    def __init__(self, var: Variable, ctx: ParseContext) -> None:
        self.var = var
        self.ctx = ctx
        self.action = ACTION_ERROR if var.on_invalid == "error" else ACTION_MISSING
        self.lookup = code_lookup(var) if var.codes else {}
        if var.type == "unit":
            self.aliases = ctx.codebook.unit_alias_table(comparison=ctx.comparison_units)
            self.unit_names = sorted({u.name for u in ctx.codebook.units})

    def bad(self, issue: str, expected: str, suggestion: str = "", action: str = "") -> _Parsed:
        return _Parsed(None, issue, issue, expected, suggestion, action or self.action)

    def __call__(self, t: str) -> _Parsed:
        var, ctx = self.var, self.ctx
        if ctx.value_labels:
            t = ctx.value_labels.get(t.strip(), t)
        if var.type in ("text", "id"):
            return _Parsed(t) if t.strip() else _Parsed(reason="blank")
        if var.type == "unit":
            if not t.strip():
                return _Parsed(reason="blank")
            unit = self.aliases.get(normalise_label(t))
            if unit is None:
                # A unit name is never guessed: a wrong assignment would move respondents
                # between units silently. The user adds the spelling to the study config.
                return self.bad(
                    "unknown_unit",
                    f"one of the units {self.unit_names} or a spelling of one: add it to "
                    "'spellings' of the unit's [units.<id>] table in the study config (or, "
                    "without [units.<id>] tables, under [units.aliases])",
                    _suggest(t, {alias: u.name for alias, u in self.aliases.items()}),
                    ACTION_ERROR,
                )
            return _Parsed(unit.id)
        reason = _missing_reason(t, var, ctx)
        if reason is not None:
            return _Parsed(reason=reason)
        if var.type in ("categorical", "ordinal"):
            code = self.lookup.get(normalise_label(t))
            number = _to_number(t, ".")
            if code is None and number is not None and number.is_integer():
                code = int(number) if int(number) in var.code_values() else None
            if code is None:
                labels = [c.nl for c in var.codes]
                return self.bad(
                    "unknown_label",
                    f"a code {var.code_values()} or a label {labels}",
                    _suggest(t, {normalise_label(c.nl): c.nl for c in var.codes}),
                )
            return _Parsed(code)
        if var.type in ("integer", "number"):
            number = _to_number(t, ctx.decimal)
            if number is None:
                return self.bad("not_a_number", "a number" + _decimal_hint(ctx))
            if var.type == "integer" and not number.is_integer():
                return self.bad("not_an_integer", "a whole number")
            if (var.min is not None and number < float(var.min)) or (
                var.max is not None and number > float(var.max)
            ):
                return self.bad("out_of_range", _range_text(var))
            return _Parsed(number)
        date = parse_date(t, ctx.date_format)  # var.type == "date"
        if date is None:
            shape = f"{ctx.date_format} (date_format)" if ctx.date_format else "dd-mm-jjjj"
            return self.bad("invalid_date", f"a date as {shape} or jjjj-mm-dd")
        lo = dt.date.fromisoformat(var.min) if var.min else None
        hi = dt.date.fromisoformat(var.max) if var.max else None
        if (lo and date < lo) or (hi and date > hi):
            return self.bad("out_of_range", f"a date from {var.min} to {var.max}")
        return _Parsed(date.isoformat())


def parse_column(
    var: Variable, values: pd.Series, ctx: ParseContext
) -> tuple[pd.Series, pd.Series, list[CellIssue]]:
    """Parse a text column. Returns (values, missing_reason, issues).

    ``values`` holds codes (Int64), numbers (Float64), ISO date strings, unit ids or text;
    ``missing_reason`` is empty where a value was given and otherwise says why it is missing
    (blank, dont_know, no_answer, user_missing, out_of_range, unknown_label ...).

    Notes
    -----
    Survey answers repeat a lot: the column is factorised, each distinct text is
    interpreted once, and values, reasons and issues are taken back to the rows with
    numpy (no per-row Python).
    """
    codes, uniques = distinct_texts(values)
    interpret = _Interpreter(var, ctx)
    meanings = [interpret(t) for t in uniques]
    reasons_u = np.array([p.reason for p in meanings] or [""], dtype=object)
    reasons = pd.Series(reasons_u[codes] if len(codes) else [], index=values.index,
                        dtype="object")
    with_issue = [k for k, p in enumerate(meanings) if p.issue]
    issues: list[CellIssue] = []
    if with_issue:
        hit = np.isin(codes, with_issue)
        for i in np.flatnonzero(hit):
            p = meanings[codes[i]]
            issues.append(
                CellIssue(int(i), var.name, uniques[codes[i]], p.issue, p.expected, p.action,
                          p.suggestion)
            )
    if var.type in ("categorical", "ordinal", "integer", "number"):
        numbers = np.array(
            [np.nan if p.value is None else float(p.value) for p in meanings] or [np.nan],
            dtype="float64",
        )
        taken = numbers[codes] if len(codes) else np.array([], dtype="float64")
        series = pd.Series(taken, index=values.index, dtype="float64")
        series = series.astype("Int64" if var.type != "number" else "Float64")
    else:
        objects = np.empty(max(len(meanings), 1), dtype=object)
        objects[: len(meanings)] = [p.value for p in meanings]
        taken = objects[codes] if len(codes) else np.array([], dtype=object)
        series = pd.Series(taken, index=values.index, dtype="object")
    return series, reasons, issues


def distinct_texts(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """``(codes, texts)`` with ``values == texts[codes]``; a missing cell is ``""``.

    A categorical column gives its own codes and categories (nothing is recomputed);
    any other column is factorised.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        texts = [str(u) for u in np.asarray(values.cat.categories, dtype=object)]
    else:
        codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
        texts = [str(u) for u in np.asarray(uniques, dtype=object)]
    if len(codes) and codes.min() < 0:
        codes = np.where(codes < 0, len(texts), codes)
        texts.append("")
    return codes, texts


def blank_mask(values: pd.Series) -> np.ndarray:
    """True where a cell is empty or only whitespace, judged once per distinct text."""
    codes, texts = distinct_texts(values)
    blank = np.array([not t.strip() for t in texts] + [True], dtype=bool)
    return blank[codes]


def _decimal_hint(ctx: ParseContext) -> str:
    return " (decimal comma)" if ctx.decimal == "," else ""


# --------------------------------------------------------------------------- failed columns

#: Issues that mean a text could not be read as the variable's type (out_of_range is read).
PARSE_FAILURES = ("unknown_label", "not_a_number", "not_an_integer", "invalid_date")

# Date layouts tried to explain a date column that mostly fails, most likely first.
_DATE_GUESSES = (
    ("%m/%d/%Y", "US dates (mm/dd/yyyy)"),
    ("%m-%d-%Y", "US dates (mm-dd-yyyy)"),
    ("%m/%d/%Y %H:%M", "US dates with a time (mm/dd/yyyy hh:mm)"),
    ("%m/%d/%Y %H:%M:%S", "US dates with a time (mm/dd/yyyy hh:mm:ss)"),
    ("%m/%d/%Y %I:%M %p", "US dates with a time (mm/dd/yyyy hh:mm AM/PM)"),
    ("%Y/%m/%d", "dates as yyyy/mm/dd"),
    ("%d-%m-%Y %H:%M", "dates with a time (dd-mm-yyyy hh:mm)"),
    ("%d-%m-%y", "dates with a two-digit year (dd-mm-yy)"),
    ("%m/%d/%y", "US dates with a two-digit year (mm/dd/yy)"),
    ("%d.%m.%y", "dates with a two-digit year (dd.mm.yy)"),
    ("%Y%m%d", "dates as yyyymmdd"),
    ("%d %B %Y", "dates with English month names (dd Month yyyy)"),
    ("%d %b %Y", "dates with English month names (dd Mon yyyy)"),
)


def _share_parsed(texts: list[str], date_format: str) -> float:
    ok = sum(parse_date(t, date_format) is not None for t in texts)
    return ok / len(texts) if texts else 0.0


def explain_failures(var: Variable, failed: list[str], setting: str) -> str:
    """Why most values of a column might fail, and what to set; ``failed`` are distinct
    failing texts, ``setting`` names the config table (e.g. ``[inputs.control]``)."""
    examples = ", ".join(repr(t) for t in failed[:3])
    if var.type == "date":
        sample = failed[:200]
        for fmt, shape in _DATE_GUESSES:
            if _share_parsed(sample, fmt) > 0.5:
                return (
                    f"most values of {var.name!r} look like {shape}: set "
                    f"date_format = {fmt!r} in {setting} (values that did parse were "
                    "probably read with day and month swapped)"
                )
        return (
            f"values of {var.name!r} such as {examples} are not dates in a known layout: set "
            f"date_format in {setting} to their strptime format (e.g. '%m/%d/%Y')"
        )
    if var.type in ("integer", "number"):
        return (
            f"values of {var.name!r} such as {examples} are not numbers: check that the right "
            f"export column is mapped to {var.name!r} (rename in {setting}) and that the "
            "export writes numbers as values, not as labels or text"
        )
    labels = ", ".join(repr(c.nl) for c in var.codes[:6])
    return (
        f"values of {var.name!r} such as {examples} are neither codes nor labels of the "
        f"codebook ({labels}{', …' if len(var.codes) > 6 else ''}): check that the right "
        f"export column is mapped to {var.name!r} (rename in {setting}) and that the export "
        "writes the codebook's codes or its Dutch or English labels"
    )
