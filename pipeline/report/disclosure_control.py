"""Apply disclosure control to the results tables as their TableSpecs declare.

Published tables (``results/tables``, the workbook and the report, which all read the
same files) suppress counts of respondents below the study's ``min_cell`` (default 5)
and, where published totals would give a suppressed cell away, further cells too.
Suppressed counts read "<5"; cells suppressed as complements and percentages of
suppressed counts read "x".

All tables are protected together (:func:`suppress_tables`): every count cell of every
table, and every relation a reader can use, goes into one system that
``analysis.disclosure.protect_cells`` solves (see its module docstring for the
algorithm and its limits). The relations come from the TableSpecs
(``pipeline/report/chapter.py``):

- ``suppress``: count column -> the columns computed from it (shares, CIs, means); only
  these columns hold cells that can be suppressed;
- ``margins``: which totals are published ("rows", "columns", "both", "none"); a total
  that is not a cell of the table is taken as published elsewhere;
- ``suppress_within``: column(s) whose values delimit separate sub-tables;
- ``suppress_exempt``: rows left alone (item non-response: a "missing" row);
- ``total_rows``: rows holding the column totals (chosen as a complement only when the
  body has none left);
- ``complements``: count column -> its total, when the rest (total - count) is a cell of
  the distribution that the table does not show (fails next to passes): a hidden cell;
- ``suppress_grid`` (and ``grid_total``): (row key, column key) to pivot a long table's
  single count column into a two-way grid, so that totals across groups are checked;
- ``cell_keys`` (and ``key_values``): linked tables — cells with the same key are one
  cell in every table that shows it;
- ``cell_sums``: a count that is the sum of keyed cells of other tables (n agreeing =
  "agree" + "strongly agree" of the Likert table).

Counts of a derived outcome are linked to the codes of its source by the analysis plan
(:func:`plan_links`): "regular job or work-experience place" is werkstatus 1 plus 2.
"""

from __future__ import annotations

import string
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from analysis.disclosure import PRIMARY, SECONDARY, Protection, Relation, protect_cells
from pipeline.report.chapter import TableSpec

SECONDARY_MARKER = "x"


def primary_marker(min_cell: int) -> str:
    return f"<{min_cell}"


class DerivedCount(NamedTuple):
    """In every cell key ``<namespace>:...:<segment>:...``, the count of ``segment`` is the
    sum of the counts with ``segment`` replaced by each of ``parts``."""

    namespace: str
    segment: str
    parts: tuple[str, ...]


def plan_links(plan: Any) -> tuple[DerivedCount, ...]:
    """Binary outcomes the plan codes from a source's codes (rule ``code_in``): the count
    of ``werk_any=1`` is the sum of the counts of ``werkstatus=1`` and ``werkstatus=2``."""
    if plan is None:
        return ()
    return tuple(
        DerivedCount(o.dataset, f"{o.name}=1", tuple(f"{o.source}={c}" for c in o.codes))
        for o in plan.outcomes
        if o.rule == "code_in" and o.source and o.codes
    )


def _rows_matching(frame: pd.DataFrame, rule: Mapping[str, tuple[str, ...]]) -> pd.Series:
    """True for rows whose value in any named column is one of the given values."""
    hit = pd.Series(False, index=frame.index)
    for column, values in rule.items():
        hit |= frame[column].astype(str).isin([str(v) for v in values])
    return hit


def _dependent_columns(spec: TableSpec) -> list[str]:
    return [c for deps in spec.suppress.values() for c in deps]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def _number(value: Any) -> float:
    if _missing(value):
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"count columns must be numeric, not {value!r}") from None


def _key_text(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _format_key(template: str, spec: TableSpec, row: pd.Series) -> str | None:
    """A cell key from its template and the row's values (None when one is missing)."""
    fields = {}
    for _, name, _, _ in string.Formatter().parse(template):
        if name is None:
            continue
        value = row[name]
        if _missing(value):
            return None
        text = _key_text(value)
        fields[name] = spec.key_values.get(name, {}).get(text, text)
    return template.format(**fields)


@dataclass
class LinkedCells:
    """Every count cell of the published tables and the relations between them."""

    values: list[float] = field(default_factory=list)
    eligible: list[bool] = field(default_factory=list)
    keep: list[bool] = field(default_factory=list)
    hidden: list[bool] = field(default_factory=list)
    #: What each cell is, for messages: where it is shown, or what a hidden cell is.
    names: list[str] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    keys: dict[str, int] = field(default_factory=dict)
    #: Keyed cells, sums or complements whose numbers disagree: ignored (a wrong
    #: declaration).
    broken: list[str] = field(default_factory=list)
    #: Count cell -> its keyed parts (``cell_sums``), resolved once every table is in.
    sums: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)

    def add(self, value: float, name: str, *, eligible: bool = False, keep: bool = False,
            hidden: bool = False, key: str | None = None) -> int:  # fmt: skip
        """A new cell, or the cell already registered under ``key``."""
        if key is not None and key in self.keys and not np.isnan(value):
            i = self.keys[key]
            if self.values[i] == value:
                # Suppressible only if every table that shows it may suppress it.
                self.eligible[i] = self.eligible[i] and eligible
                self.keep[i] = self.keep[i] or keep
                return i
            self.broken.append(f"{key}: {value:g} in {name}, {self.values[i]:g} in "
                               f"{self.names[i]}")  # fmt: skip
            key = None
        self.values.append(value)
        self.eligible.append(eligible)
        self.keep.append(keep)
        self.hidden.append(hidden)
        self.names.append(name)
        if key is not None and not np.isnan(value):
            self.keys[key] = len(self.values) - 1
        return len(self.values) - 1

    def published(self, value: float, name: str) -> int:
        """A total published next to a table (or elsewhere): a cell that stays."""
        return self.add(value, name)

    def link_sums(self, derived: Sequence[DerivedCount]) -> None:
        """Relations from ``cell_sums`` and the plan's derived counts (all tables in)."""
        pending = list(self.sums)
        for key, cell in self.keys.items():
            segments = key.split(":")
            for d in derived:
                if segments[0] == d.namespace and d.segment in segments[1:]:
                    k = segments.index(d.segment)
                    pending.append((cell, tuple(":".join([*segments[:k], p, *segments[k + 1:]])
                                                for p in d.parts)))  # fmt: skip
        for total, parts in pending:
            found = list(dict.fromkeys(self.keys[p] for p in parts if p in self.keys))
            found = [c for c in found if c != total]
            value = self.values[total]
            if not found or np.isnan(value) or any(np.isnan(self.values[c]) for c in found):
                continue
            rest = value - sum(self.values[c] for c in found)
            if len(found) == len(parts) and rest == 0:
                self.relations.append(Relation.sum(found, total))
            elif len(found) < len(parts) and rest >= 0:
                missing = [p for p in parts if p not in self.keys]
                other = self.add(rest, f"{' + '.join(missing)} (not published)", hidden=True)
                self.relations.append(Relation.sum([*found, other], total))
            else:
                self.broken.append(f"{self.names[total]} = {' + '.join(parts)}: "
                                   f"{value:g} vs {value - rest:g}")  # fmt: skip


def _register_flat(cells: LinkedCells, name: str, spec: TableSpec,
                   part: pd.DataFrame) -> dict[tuple[Hashable, str], int]:  # fmt: skip
    counts = list(spec.suppress)
    is_total = (_rows_matching(part, spec.total_rows) if spec.total_rows
                else pd.Series(False, index=part.index))  # fmt: skip
    ids: dict[tuple[Hashable, str], int] = {}
    for label, row in part.iterrows():
        for count in counts:
            ids[(label, count)] = cells.add(
                _number(row[count]), f"{name}[{label}].{count}", eligible=True,
                keep=bool(is_total[label]), key=_cell_key(spec, row, count),
            )
            _pending_sums(cells, spec, row, count, ids[(label, count)])
    # A count next to its total: the rest is a cell the table does not show.
    for label, row in part.iterrows():
        for count, totals in spec.complements.items():
            c = ids[(label, count)]
            for total in (totals,) if isinstance(totals, str) else totals:
                value = _number(row[total])
                if np.isnan(value) or np.isnan(cells.values[c]):
                    continue
                if value < cells.values[c]:  # the declaration does not fit the data
                    cells.broken.append(f"{name}[{label}]: {count} > {total}")
                    continue
                t = ids.get((label, total))
                if t is None:
                    t = cells.published(value, f"{name}[{label}].{total}")
                rest = cells.add(value - cells.values[c],
                                 f"{name}[{label}]: {total} - {count}", hidden=True)
                cells.relations.append(Relation.sum([c, rest], t))
    body = [label for label in part.index if not is_total[label]]
    totals = [label for label in part.index if is_total[label]]
    if spec.margins in ("rows", "both"):
        for label in body:
            row_cells = [ids[(label, c)] for c in counts]
            value = float(np.nansum([cells.values[i] for i in row_cells]))
            cells.relations.append(
                Relation.sum(row_cells, cells.published(value, f"{name}[{label}] row total")))
    if spec.margins in ("columns", "both"):
        for count in counts:
            column = [ids[(label, count)] for label in body]
            published = [ids[(label, count)] for label in totals]
            if not published:
                value = float(np.nansum([cells.values[i] for i in column]))
                published = [cells.published(value, f"{name}.{count} total")]
            for t in published:
                cells.relations.append(Relation.sum(column, t))
    return ids


def _register_grid(cells: LinkedCells, name: str, spec: TableSpec,
                   part: pd.DataFrame) -> dict[tuple[Hashable, str], int]:  # fmt: skip
    assert spec.suppress_grid is not None
    if len(spec.suppress) != 1:
        raise ValueError(f"{spec.name}: suppress_grid needs exactly one count column")
    (count,) = spec.suppress
    row_key, col_key = spec.suppress_grid
    keys = list(zip(part[row_key].astype(str), part[col_key].astype(str), strict=True))
    if len(set(keys)) != len(keys):
        raise ValueError(f"{spec.name}: ({row_key}, {col_key}) must identify a row")
    ids: dict[tuple[Hashable, str], int] = {}
    at: dict[tuple[str, str], int] = {}
    for (label, row), key in zip(part.iterrows(), keys, strict=True):
        ids[(label, count)] = at[key] = cells.add(
            _number(row[count]), f"{name}[{label}].{count}", eligible=True,
            key=_cell_key(spec, row, count),
        )
        _pending_sums(cells, spec, row, count, at[key])
    rows = list(dict.fromkeys(r for r, _ in keys))
    columns = list(dict.fromkeys(c for _, c in keys))
    total = spec.grid_total
    if spec.margins in ("rows", "both"):
        for r in rows:
            present = [c for c in columns if (r, c) in at]
            if total is not None and (r, total) in at:
                # The groups add up to the total group, in the order the table shows them.
                signs = tuple(-1 if c == total else 1 for c in present)
                cells.relations.append(Relation(tuple(at[(r, c)] for c in present), signs))
            else:
                parts = [at[(r, c)] for c in present]
                value = float(np.nansum([cells.values[i] for i in parts]))
                cells.relations.append(
                    Relation.sum(parts, cells.published(value, f"{name} {r} row total")))
    if spec.margins in ("columns", "both"):
        for c in columns:
            parts = [at[(r, c)] for r in rows if (r, c) in at]
            value = float(np.nansum([cells.values[i] for i in parts]))
            cells.relations.append(
                Relation.sum(parts, cells.published(value, f"{name} {c} column total")))
    return ids


def _cell_key(spec: TableSpec, row: pd.Series, count: str) -> str | None:
    template = spec.cell_keys.get(count)
    return None if template is None else _format_key(template, spec, row)


def _pending_sums(cells: LinkedCells, spec: TableSpec, row: pd.Series, count: str,
                  cell: int) -> None:  # fmt: skip
    templates = spec.cell_sums.get(count)
    if templates:
        parts = [_format_key(t, spec, row) for t in templates]
        if all(p is not None for p in parts):
            cells.sums.append((cell, tuple(p for p in parts if p is not None)))


def _parts(spec: TableSpec, frame: pd.DataFrame) -> list[pd.DataFrame]:
    body = frame[~_rows_matching(frame, spec.suppress_exempt)] if spec.suppress_exempt else frame
    within = spec.suppress_within
    if within is None:
        return [body]
    by = [within] if isinstance(within, str) else list(within)
    return [g for _, g in body.groupby(by, sort=False, dropna=False) if not g.empty]


class Disclosure(NamedTuple):
    """What :func:`suppress_tables` returns."""

    tables: dict[str, pd.DataFrame]  #: the publishable tables
    suppressed: dict[str, int]  #: cells suppressed per table (dependent columns included)
    #: Cells that stay computable because nothing was left to suppress (should be empty).
    unprotected: tuple[str, ...]
    #: Declared links, sums or complements the numbers do not fit (ignored).
    broken_links: tuple[str, ...]
    cells: LinkedCells  #: the cells and relations, for audits
    protection: Protection  #: which of them were suppressed
    #: Table -> (row label, count column) -> its cell in ``cells``.
    positions: dict[str, dict[tuple[Hashable, str], int]]
    #: Shares of 100% (a hidden rest of 0) that nothing could protect (should be empty).
    groups: tuple[str, ...] = ()


def suppress_tables(tables: Mapping[str, tuple[TableSpec, pd.DataFrame]], min_cell: int,
                    links: Sequence[DerivedCount] = ()) -> Disclosure:  # fmt: skip
    """The publishable tables, protected together (linked through ``cell_keys``,
    ``cell_sums`` and ``links``)."""
    cells = LinkedCells()
    positions: dict[str, dict[tuple[Hashable, str], int]] = {}
    for name, (spec, frame) in tables.items():
        if not spec.suppress or frame.empty:
            continue
        register = _register_grid if spec.suppress_grid else _register_flat
        positions[name] = {}
        for part in _parts(spec, frame):
            positions[name].update(register(cells, name, spec, part))
    cells.link_sums(links)
    found = protect_cells(cells.values, cells.relations, min_cell=min_cell,
                          eligible=cells.eligible, keep=cells.keep,
                          hidden=cells.hidden, group_zeros=True)  # fmt: skip
    published: dict[str, pd.DataFrame] = {}
    counts: dict[str, int] = {}
    for name, (spec, frame) in tables.items():
        if name not in positions:
            published[name], counts[name] = frame, 0
            continue
        published[name], counts[name] = _apply(spec, frame, positions[name], found, min_cell)
    unprotected = tuple(cells.names[c] for c in found.unprotected)
    groups = tuple(cells.names[c] for c in found.groups)
    return Disclosure(published, counts, unprotected, tuple(cells.broken), cells, found,
                      positions, groups)


def _apply(spec: TableSpec, frame: pd.DataFrame, ids: Mapping[tuple[Hashable, str], int],
           found: Protection, min_cell: int) -> tuple[pd.DataFrame, int]:  # fmt: skip
    """The table with its suppressed cells marked, and how many there are."""
    reason = pd.DataFrame("", index=frame.index, columns=frame.columns, dtype=object)
    for (label, count), cell in ids.items():
        if found.primary[cell]:
            reason.at[label, count] = PRIMARY
        elif found.suppressed[cell]:
            reason.at[label, count] = SECONDARY
    # A column computed from several counts (a difference of two shares) is suppressed
    # when any of them is.
    for count, dependents in spec.suppress.items():
        hit = reason[count].ne("")
        for target in dependents:
            reason.loc[hit & reason[target].eq(""), target] = SECONDARY
    table = frame.copy()
    marker = primary_marker(min_cell)
    counts = set(spec.suppress)
    for column in dict.fromkeys([*spec.suppress, *_dependent_columns(spec)]):
        why = reason[column].to_numpy()
        shown = frame[column].astype(object).to_numpy(copy=True)
        shown[why == SECONDARY] = SECONDARY_MARKER
        shown[why == PRIMARY] = marker if column in counts else SECONDARY_MARKER
        table[column] = pd.Series(shown, index=frame.index, dtype=object)
    return table, int(np.count_nonzero(reason.to_numpy() != ""))


def suppress_table(spec: TableSpec, frame: pd.DataFrame, min_cell: int) -> tuple[pd.DataFrame, int]:
    """One publishable table, protected on its own, and the number of cells suppressed."""
    result = suppress_tables({spec.name: (spec, frame)}, min_cell)
    return result.tables[spec.name], result.suppressed[spec.name]


def mask_extremes(frame: pd.DataFrame, min_cell: int,
                  extremes: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A minimum or maximum held by fewer than ``min_cell`` respondents is one person's
    answer: it reads "x". ``extremes`` maps the extreme column to the column counting the
    respondents at it (default ``min`` -> ``n_at_min``, ``max`` -> ``n_at_max``, as
    ``analysis.items.describe_numeric_items`` writes them); the count columns are
    dropped. With ``min_cell`` 1 nothing is hidden."""
    extremes = dict(extremes or {"min": "n_at_min", "max": "n_at_max"})
    out = frame.copy()
    for column, count in extremes.items():
        if column not in out or count not in out:
            continue
        hide = (pd.to_numeric(out[count], errors="coerce") < min_cell) & out[column].notna()
        if hide.any():
            out[column] = out[column].astype(object).where(~hide, SECONDARY_MARKER)
    return out.drop(columns=[c for c in extremes.values() if c in out])


def without_markers(frame: pd.DataFrame) -> pd.DataFrame:
    """A results table with its suppressed cells ("<5", "x") as missing values.

    Figures are drawn from the published (suppressed) tables, where those cells are
    strings in otherwise numeric columns; a figure draws nothing for them.
    """
    from pipeline.report.formatting import is_suppressed

    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        marked = values.map(is_suppressed).astype(bool)
        if marked.any():
            out[column] = pd.to_numeric(values.mask(marked), errors="coerce")
    return out


def has_suppressed(frame: pd.DataFrame) -> bool:
    """Whether any cell of a (published) table holds a disclosure-control marker."""
    from pipeline.report.formatting import is_suppressed

    return bool(frame.map(is_suppressed).to_numpy().any()) if not frame.empty else False
