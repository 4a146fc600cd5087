"""Interpret the text of one export column against its codebook variable.

Both the validate stage (which reports) and the clean stage (which recodes) call
:func:`parse_column`, so what the validation report says is exactly what cleaning does.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.codebook import Codebook, Variable, normalise_label

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


def parse_date(text: str) -> dt.date | None:
    """ISO dates and the Dutch dd-mm-jjjj (also with / or .); None if not a date."""
    s = text.strip()
    for pattern, order in _DATE_PATTERNS:
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


def parse_column(
    var: Variable, values: pd.Series, ctx: ParseContext
) -> tuple[pd.Series, pd.Series, list[CellIssue]]:
    """Parse a text column. Returns (values, missing_reason, issues).

    ``values`` holds codes (Int64), numbers (Float64), ISO date strings, unit ids or text;
    ``missing_reason`` is empty where a value was given and otherwise says why it is missing
    (blank, dont_know, no_answer, user_missing, invalid, out_of_range ...).
    """
    texts = values.fillna("").astype(str).tolist()
    out: list[object] = [None] * len(texts)
    reasons = [""] * len(texts)
    issues: list[CellIssue] = []
    action = ACTION_ERROR if var.on_invalid == "error" else ACTION_MISSING

    def bad(i: int, issue: str, expected: str, suggestion: str = "", *, act: str = action):
        issues.append(CellIssue(i, var.name, texts[i], issue, expected, act, suggestion))
        reasons[i] = issue

    if var.type in ("text", "id"):
        for i, t in enumerate(texts):
            if t.strip():
                out[i] = t
            else:
                reasons[i] = "blank"
        return pd.Series(out, index=values.index, dtype="object"), _r(reasons, values), issues

    if var.type == "unit":
        aliases = ctx.codebook.unit_alias_table()
        names = sorted({u.name for u in ctx.codebook.units})
        for i, t in enumerate(texts):
            if not t.strip():
                reasons[i] = "blank"
                continue
            unit = aliases.get(normalise_label(t))
            if unit is None:
                # A unit name is never guessed: a wrong assignment would move respondents
                # between units silently. The user adds an alias to units.toml instead.
                bad(
                    i,
                    "unknown_unit",
                    f"one of the units {names} or an alias listed in units.toml",
                    _suggest(t, {alias: unit.name for alias, unit in aliases.items()}),
                    act=ACTION_ERROR,
                )
                continue
            out[i] = unit.id
        return pd.Series(out, index=values.index, dtype="object"), _r(reasons, values), issues

    lookup = code_lookup(var) if var.codes else {}
    for i, t in enumerate(texts):
        reason = _missing_reason(t, var, ctx)
        if reason is not None:
            reasons[i] = reason
            continue
        if var.type in ("categorical", "ordinal"):
            code = lookup.get(normalise_label(t))
            number = _to_number(t, ".")
            if code is None and number is not None and number.is_integer():
                code = int(number) if int(number) in var.code_values() else None
            if code is None:
                labels = [c.nl for c in var.codes]
                bad(
                    i,
                    "unknown_label",
                    f"a code {var.code_values()} or a label {labels}",
                    _suggest(t, {normalise_label(c.nl): c.nl for c in var.codes}),
                )
                continue
            out[i] = code
        elif var.type in ("integer", "number"):
            number = _to_number(t, ctx.decimal)
            if number is None:
                bad(i, "not_a_number", "a number" + _decimal_hint(ctx))
                continue
            if var.type == "integer" and not number.is_integer():
                bad(i, "not_an_integer", "a whole number")
                continue
            if (var.min is not None and number < float(var.min)) or (
                var.max is not None and number > float(var.max)
            ):
                bad(i, "out_of_range", _range_text(var))
                continue
            out[i] = number
        elif var.type == "date":
            date = parse_date(t)
            if date is None:
                bad(i, "invalid_date", "a date as dd-mm-jjjj or jjjj-mm-dd")
                continue
            lo = dt.date.fromisoformat(var.min) if var.min else None
            hi = dt.date.fromisoformat(var.max) if var.max else None
            if (lo and date < lo) or (hi and date > hi):
                bad(i, "out_of_range", f"a date from {var.min} to {var.max}")
                continue
            out[i] = date.isoformat()

    if var.type in ("categorical", "ordinal", "integer"):
        series = pd.Series(
            [np.nan if v is None else v for v in out], index=values.index, dtype="float64"
        ).astype("Int64")
    elif var.type == "number":
        series = pd.Series(
            [np.nan if v is None else v for v in out], index=values.index, dtype="Float64"
        )
    else:
        series = pd.Series(out, index=values.index, dtype="object")
    return series, _r(reasons, values), issues


def _r(reasons: list[str], values: pd.Series) -> pd.Series:
    return pd.Series(reasons, index=values.index, dtype="object")


def _decimal_hint(ctx: ParseContext) -> str:
    return " (decimal comma)" if ctx.decimal == "," else ""
