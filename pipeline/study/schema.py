"""One way to check a TOML file against what it may contain: the study config, the codebook,
the analysis plan and the chapter registry all use it.

A schema is a mapping key -> rule. A rule is either a *validator* (a function that returns
the value, possibly converted, or raises :class:`Invalid` saying what was expected) or a
nested shape: :class:`Table` (a table with its own keys), :class:`TableList` (an array of
tables, ``[[variables]]``) or :class:`TableMap` (a table of named entries that share one
rule, ``[value_sets.<name>]``). :func:`check_table` walks a document against a schema and
raises a :class:`~pipeline.study.errors.UserError` for the first problem, naming the file, the
path of the key, and for an unknown key the nearest valid name. Nothing is coerced: a
boolean must be ``true``/``false`` and a code a whole number.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pipeline.study.errors import UserError


class Invalid(ValueError):
    """A value that does not fit its key; the message says what was expected."""


Validator = Callable[[object], object]


def kind(value: object) -> str:
    """How a TOML value reads to a user, for 'got ...' in messages."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def expect(ok: bool, expected: str, value: object, *, show_kind: bool = False) -> None:
    """Raise :class:`Invalid` ("expected ...", optionally "(got a string)") unless ``ok``."""
    if not ok:
        got = f" (got {kind(value)})" if show_kind else ""
        raise Invalid(f"expected {expected}{got}")


def is_whole(value: object) -> bool:
    """A TOML integer (``true`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """A TOML integer or float (``true`` is not one)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --------------------------------------------------------------------------- validators


def string(value: object) -> str:
    expect(isinstance(value, str), "a string in quotes", value, show_kind=True)
    return value  # type: ignore[return-value]


def nonempty_string(value: object) -> str:
    text = string(value)
    expect(text.strip() != "", "a non-empty string", value)
    return text


def boolean(value: object) -> bool:
    expect(isinstance(value, bool), "true or false (without quotes)", value, show_kind=True)
    return value  # type: ignore[return-value]


def whole(minimum: int | None = None) -> Validator:
    """A whole number, of ``minimum`` or more when given."""
    expected = "a whole number" if minimum is None else f"a whole number of {minimum} or more"

    def check(value: object) -> int:
        expect(is_whole(value), expected, value, show_kind=True)
        expect(minimum is None or value >= minimum, expected, value)  # type: ignore[operator]
        return value  # type: ignore[return-value]

    return check


def number(minimum: float | None = None, maximum: float | None = None) -> Validator:
    """A number (whole or not), within the bounds given (inclusive)."""
    if minimum is not None and maximum is not None:
        expected = f"a number from {minimum:g} to {maximum:g}"
    elif minimum is not None:
        expected = f"a number of {minimum:g} or more"
    else:
        expected = "a number"

    def check(value: object) -> float | int:
        expect(is_number(value), expected, value, show_kind=True)
        low = minimum is None or value >= minimum  # type: ignore[operator]
        high = maximum is None or value <= maximum  # type: ignore[operator]
        expect(low and high, expected, value)
        return value  # type: ignore[return-value]

    return check


def choice(options: tuple[str, ...], *, fold_case: bool = False) -> Validator:
    """One of ``options`` (compared case-insensitively with ``fold_case``)."""
    shown = ", ".join(repr(o) for o in options)

    def check(value: object) -> str:
        text = string(value)
        key = text.strip().casefold() if fold_case else text
        expect(key in options, f"one of {shown}", value)
        return key

    return check


def list_of(item: Validator, what: str) -> Validator:
    """A list whose every element passes ``item``; ``what`` names the elements in the
    message, e.g. "whole numbers" -> "expected a list of whole numbers"."""
    expected = f"a list of {what}"

    def check(value: object) -> list[object]:
        expect(isinstance(value, list), expected, value, show_kind=True)
        out = []
        for element in value:  # type: ignore[union-attr]
            try:
                out.append(item(element))
            except Invalid:
                raise Invalid(f"expected {expected}; {element!r} is {kind(element)}") from None
        return out

    return check


#: Lists that occur in many files.
strings = list_of(nonempty_string, "strings in quotes")
whole_numbers = list_of(whole(), "whole numbers")


# --------------------------------------------------------------------------- nested shapes


@dataclass(frozen=True)
class Table:
    """A table with its own keys (``[name]`` or ``name = { ... }``)."""

    keys: Mapping[str, Rule]
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableList:
    """An array of tables (``[[name]]`` or ``name = [{ ... }, ...]``) whose entries share
    their keys. Messages number the entries from 1 and add the value of ``label`` (e.g. a
    variable's name) when the entry has one."""

    keys: Mapping[str, Rule]
    required: tuple[str, ...] = ()
    label: str | None = "name"


@dataclass(frozen=True)
class TableMap:
    """A table of entries named by the user (``[value_sets.<name>]``) that share one rule:
    ``value`` is a :class:`Table` or a validator; ``name`` checks the entry names."""

    value: Table | Validator
    name: Validator | None = None


Rule = Validator | Table | TableList | TableMap


# --------------------------------------------------------------------------- checking


def did_you_mean(name: str, valid: list[str] | tuple[str, ...]) -> str:
    """ "did you mean 'x'?" for the nearest valid name, or the list of valid names."""
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "valid: " + ", ".join(repr(v) for v in valid)


def _unknown(key: str, value: object, noun: str, top: bool) -> str:
    if top and isinstance(value, dict):
        return f"unknown table [{key}]"
    if top and isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return f"unknown table [[{key}]]"
    return f"unknown {noun} {key!r}"


def _entry_label(entry: object, label: str | None) -> str:
    if label and isinstance(entry, dict) and isinstance(entry.get(label), str):
        return f" {entry[label]!r}"
    return ""


def check_table(
    doc: object,
    schema: Mapping[str, Rule],
    where: str,
    *,
    noun: str = "setting",
    required: tuple[str, ...] = (),
    top: bool = False,
) -> dict[str, object]:
    """Check one table against its schema; return the (converted) values present.

    Parameters
    ----------
    doc : object
        The table as ``tomllib`` read it.
    schema : Mapping[str, Rule]
        Every key the table may have, with its rule.
    where : str
        Where the table is, for messages: the file and the path to the table, e.g.
        ``"candidates.toml [instrument]"``.
    noun : str
        What a key is called in messages ("setting" in the study config, "key" elsewhere).
    required : tuple of str
        Keys the table must have.
    top : bool
        ``doc`` is a whole file: nested tables are named as TOML headers (``[name]``,
        ``[[name]] #3``) rather than as dotted keys.

    Raises
    ------
    UserError
        For the first unknown key (with the nearest valid name), value of the wrong type or
        out of range, or missing required key.
    """
    if not isinstance(doc, dict):
        raise UserError(f"{where}: expected a table of {noun}s, got {kind(doc)}")
    out: dict[str, object] = {}
    for key, value in doc.items():
        if key not in schema:
            raise UserError(
                f"{where}: {_unknown(key, value, noun, top)} — {did_you_mean(key, list(schema))}"
            )
        out[key] = _check_value(value, schema[key], key, where, noun, top)
    for key in required:
        if key not in doc:
            raise UserError(f"{where}: missing required {noun} {key!r}")
    return out


def _check_value(
    value: object, rule: Rule, key: str, where: str, noun: str, top: bool
) -> object:
    here = f"{where} [{key}]" if top else f"{where} {key}"
    if isinstance(rule, Table):
        return check_table(value, rule.keys, here, noun=noun, required=rule.required)
    if isinstance(rule, TableList):
        header = f"[[{key}]]" if top else key
        if not isinstance(value, list):
            raise UserError(
                f"{where}: {key} — expected an array of tables {header}, got {kind(value)}"
            )
        return [
            check_table(
                entry, rule.keys, f"{where} {header} #{i}{_entry_label(entry, rule.label)}",
                noun=noun, required=rule.required,
            )
            for i, entry in enumerate(value, start=1)
        ]
    if isinstance(rule, TableMap):
        if not isinstance(value, dict):
            raise UserError(f"{where}: {key} — expected a table, got {kind(value)}")
        out: dict[str, object] = {}
        for name, entry in value.items():
            try:
                if rule.name is not None:
                    rule.name(name)
            except Invalid as exc:
                raise UserError(f"{here}: {name!r} — {exc}") from exc
            if isinstance(rule.value, Table):
                named = f"{where} [{key}.{name}]" if top else f"{where} {key}.{name}"
                out[name] = check_table(
                    entry, rule.value.keys, named, noun=noun, required=rule.value.required
                )
                continue
            try:
                out[name] = rule.value(entry)
            except Invalid as exc:
                raise UserError(f"{here}: {name!r} = {entry!r} — {exc}") from exc
        return out
    try:
        return rule(value)
    except Invalid as exc:
        shown = key if isinstance(value, dict) else f"{key} {value!r}"
        raise UserError(f"{where}: {shown} — {exc}") from exc
