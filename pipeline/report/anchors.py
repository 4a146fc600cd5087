"""Machine-readable anchors on the statistics a report shows, and the check that every
copy of one statistic is the same value and equals its results row.

A shown statistic is rendered through the ``stat`` filter as
``<span data-stat="<table>|<key>|...|<columns>" data-fmt="<format>">text</span>``:

* ``<table>`` is a results table (``results/tables/<table>.csv``); the key values pick
  one row of it (the columns named by ``KEYS[table]``, in that order);
* ``<columns>`` names the column shown (``estimate``), or two joined with a comma for an
  interval (``ci_low,ci_high``);
* ``<format>`` is one of ``FORMATS`` with its decimals (``number:2``, ``p``, ``pct:1``,
  ``ci:2``, ``ci_pct:1``, ``pp:1``, ``int``).

``check`` walks a rendered HTML report: every anchor's text must equal its results value
formatted in the report's language, and every anchor with the same ``data-stat`` must
show the same text everywhere (two precisions of one statistic are two values).
Templates format, they never compute; this module only reads and compares.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup, escape

from pipeline.report.formatting import (
    fmt_ci,
    fmt_int,
    fmt_number,
    fmt_p,
    fmt_p_rel,
    fmt_pct,
    fmt_pp,
    is_missing,
)

#: The key columns that pick one row of a results table.
KEYS: dict[str, tuple[str, ...]] = {
    "jobseekers_effects": ("outcome", "method", "measure"),
    "employment_comparison": ("outcome",),
    "scale_comparison": ("outcome",),
    "jobseekers_applications": ("outcome", "method", "covariates"),
    "jobseekers_channels": ("item",),
    "jobseekers_wishes": ("item",),
    "jobseekers_rm_rating": ("group",),
    "appendix_jobseekers_tests": ("item",),
}
FORMATS = ("number", "int", "p", "p_rel", "pct", "pp", "ci", "ci_pct")
_ANCHOR = re.compile(r'<span data-stat="([^"]*)" data-fmt="([^"]*)">(.*?)</span>', re.S)
_TAG = re.compile(r"<[^>]+>")


def row_id(table: str, row: Mapping[str, object]) -> str:
    """``<table>|<key value>|...`` of one results row (``KEYS[table]``)."""
    values = ["" if is_missing(row.get(k)) else str(row.get(k)) for k in KEYS[table]]
    return "|".join([table, *values])


def format_value(values: Sequence[object], fmt: str, language: str) -> str:
    """The text of one shown statistic: ``values`` (one, or two for an interval) formatted
    by ``fmt`` (``FORMATS`` with ``:decimals``)."""
    kind, _, decimals = fmt.partition(":")
    d = int(decimals) if decimals else None
    if kind == "number":
        return fmt_number(values[0], 1 if d is None else d, language)
    if kind == "int":
        return fmt_int(values[0], language)
    if kind == "p":
        return fmt_p(values[0], language)
    if kind == "p_rel":
        return fmt_p_rel(values[0], language)
    if kind == "pct":
        return fmt_pct(values[0], 1 if d is None else d, language)
    if kind == "pp":
        return fmt_pp(values[0], 1 if d is None else d, language)
    if kind in ("ci", "ci_pct"):
        return fmt_ci(values[0], values[1], 2 if d is None else d, language,
                      percent=kind == "ci_pct")  # fmt: skip
    raise ValueError(f"anchor format {fmt!r} — expected one of {FORMATS}")


def stat(row: Mapping[str, object], columns: str, fmt: str, language: str = "nl") -> Markup:
    """The ``stat`` filter: a row's value(s) formatted, wrapped in its anchor.

    ``row`` is a record with ``_table`` (set by ``pipeline.report.view.records(frame,
    table=...)``); without it the text is returned bare (a row not from a keyed table).
    """
    names = columns.split(",")
    text = format_value([row.get(n) for n in names], fmt, language)
    table = row.get("_table")
    if not table:
        return Markup(escape(text))
    anchor = f"{row_id(str(table), row)}|{columns}"
    return Markup('<span data-stat="{}" data-fmt="{}">{}</span>').format(anchor, fmt, text)


@dataclass(frozen=True)
class Anchor:
    stat: str
    fmt: str
    text: str

    @property
    def shown(self) -> str:
        """The value as shown, without the relation of running text ('= 0,016' is the
        same value as '0,016' in a table)."""
        return self.text[2:] if self.fmt == "p_rel" and self.text.startswith("= ") else self.text


def anchors(document: str) -> list[Anchor]:
    """Every anchored statistic of a rendered HTML document, in document order."""
    found = []
    for stat_, fmt, inner in _ANCHOR.findall(document):
        text = html.unescape(_TAG.sub("", inner)).replace("\u00a0", " ").strip()
        found.append(Anchor(html.unescape(stat_), fmt, text))
    return found


def _rows_by_key(frame: pd.DataFrame, keys: Sequence[str]) -> dict[tuple[str, ...], list[int]]:
    """The positions of a table's rows by their key values as anchors spell them (a
    missing value as ""), each key column converted once."""
    spelled = [["" if is_missing(v) else str(v) for v in frame[col]] for col in keys]
    out: dict[tuple[str, ...], list[int]] = {}
    for position, key in enumerate(zip(*spelled, strict=True)):
        out.setdefault(key, []).append(position)
    return out


def check(document: str, tables: Mapping[str, pd.DataFrame], language: str) -> list[str]:
    """The problems of one rendered report: anchors whose text differs from another copy
    of the same statistic, or from its results row formatted (empty list: consistent).

    ``tables`` maps a results table's name to its frame as the render stage reads it
    (``pipeline.outputs.catalog.read_results_table``: numbers as numbers beside the
    disclosure markers)."""
    found = anchors(document)
    problems: list[str] = []
    seen: dict[str, Anchor] = {}
    for a in found:
        first = seen.setdefault(a.stat, a)
        if first.shown != a.shown:
            problems.append(f"{a.stat}: shown as {first.text!r} and as {a.text!r}")
    positions: dict[str, dict[tuple[str, ...], list[int]]] = {}
    for a in seen.values():
        parts = a.stat.split("|")
        table, key, columns = parts[0], parts[1:-1], parts[-1].split(",")
        frame = tables.get(table)
        if frame is None:
            problems.append(f"{a.stat}: no results table {table!r}")
            continue
        if table not in positions:
            positions[table] = _rows_by_key(frame, KEYS[table])
        if len(key) != len(KEYS[table]):
            raise ValueError(f"{a.stat}: {len(key)} key values for {KEYS[table]}")
        matches = positions[table].get(tuple(key), [])
        if len(matches) != 1:
            problems.append(f"{a.stat}: {len(matches)} results rows match")
            continue
        row = frame.iloc[matches[0]]
        expected = format_value([row[c] for c in columns], a.fmt, language)
        if expected.replace("\u00a0", " ") != a.text:
            problems.append(f"{a.stat}: shown {a.text!r}, results give {expected!r}")
    return problems
