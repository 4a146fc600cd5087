"""Apply disclosure control to a results table as its TableSpec declares.

Published tables (``results/tables``, the workbook and the report, which all read the
same files) suppress counts of respondents below the study's ``min_cell`` (default 5) and,
where a published total would give a suppressed cell away, a second cell too
(``analysis.disclosure.suppress_cells``). Suppressed counts read "<5", cells suppressed
as complements and percentages of suppressed counts read "x".

What a TableSpec can declare (see ``pipeline/chapter.py``):

- ``suppress``: count column -> the columns computed from it (shares, CIs, means);
- ``margins``: which totals are published ("rows", "columns", "both", "none");
- ``suppress_within``: column(s) whose values delimit separate sub-tables;
- ``suppress_exempt``: rows left alone (item non-response: a "missing" row);
- ``total_rows``: rows holding the column totals (never chosen as a complement);
- ``complements``: count column -> its total, when the rest (total - count) is a cell of
  the distribution that the table does not show (fails next to passes);
- ``suppress_grid``: (row key, column key) to pivot a long table's single count column
  into a two-way grid, so that totals across groups are checked as well.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.disclosure import PRIMARY, SECONDARY, suppress_cells
from pipeline.chapter import TableSpec

SECONDARY_MARKER = "x"


def primary_marker(min_cell: int) -> str:
    return f"<{min_cell}"


def _rows_matching(frame: pd.DataFrame, rule: Mapping[str, tuple[str, ...]]) -> pd.Series:
    """True for rows whose value in any named column is one of the given values."""
    hit = pd.Series(False, index=frame.index)
    for column, values in rule.items():
        hit |= frame[column].astype(str).isin([str(v) for v in values])
    return hit


def _dependent_columns(spec: TableSpec) -> list[str]:
    return [c for deps in spec.suppress.values() for c in deps]


def _suppress_grid(spec: TableSpec, part: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Reasons ("primary", "secondary", "") per cell of ``part``, via the pivoted grid."""
    assert spec.suppress_grid is not None
    if len(spec.suppress) != 1:
        raise ValueError(f"{spec.name}: suppress_grid needs exactly one count column")
    (count, dependents), = spec.suppress.items()
    row_key, col_key = spec.suppress_grid
    keys = pd.DataFrame({"r": part[row_key].astype(str), "c": part[col_key].astype(str)},
                        index=part.index)
    if keys.duplicated().any():
        raise ValueError(f"{spec.name}: ({row_key}, {col_key}) must identify a row")
    wide = (
        pd.DataFrame({"r": keys["r"], "c": keys["c"],
                      "v": pd.to_numeric(part[count], errors="coerce")})
        .pivot(index="r", columns="c", values="v")
    )
    # Keep the grid in table order (complements are chosen first-in-order among ties).
    wide = wide.loc[list(dict.fromkeys(keys["r"])), list(dict.fromkeys(keys["c"]))]
    result = suppress_cells(wide, list(wide.columns), min_cell=min_cell,
                            margins=spec.margins)  # type: ignore[arg-type]
    labels = result.reason.to_numpy()[
        wide.index.get_indexer(keys["r"]), wide.columns.get_indexer(keys["c"])
    ]
    reason = pd.DataFrame("", index=part.index, columns=part.columns, dtype=object)
    for target in (count, *dependents):
        reason[target] = labels
    return reason


def _suppress_flat(spec: TableSpec, part: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Reasons per cell of ``part`` with the count columns side by side."""
    work = part.copy()
    for count, totals in spec.complements.items():
        c = pd.to_numeric(part[count], errors="coerce")
        forced = pd.Series(False, index=part.index)
        for total in (totals,) if isinstance(totals, str) else totals:
            rest = pd.to_numeric(part[total], errors="coerce") - c
            forced |= (rest >= 1) & (rest < min_cell) & (c >= min_cell)
        # A count whose unpublished rest is small: suppress it as if it were small itself
        # (a value below min_cell makes it primary; its marker is set to "x" below).
        work[count] = c.mask(forced, 1)
    totals = part.index[_rows_matching(part, spec.total_rows)] if spec.total_rows else []
    result = suppress_cells(
        work, list(spec.suppress), min_cell=min_cell,
        margins=spec.margins,  # type: ignore[arg-type]
        total_rows=list(totals),
    )
    reason = result.reason.copy()
    for count, _ in spec.complements.items():
        small = pd.to_numeric(part[count], errors="coerce") < min_cell
        forced = reason[count].eq(PRIMARY) & ~small
        reason.loc[forced, count] = SECONDARY  # shown as "x": the count itself is not small
    # A column computed from several counts (a difference of two shares) is suppressed
    # when any of them is.
    for count, dependents in spec.suppress.items():
        hit = reason[count].ne("")
        for target in dependents:
            reason.loc[hit & reason[target].eq(""), target] = SECONDARY
    return reason


def suppress_table(spec: TableSpec, frame: pd.DataFrame, min_cell: int) -> tuple[pd.DataFrame, int]:
    """The publishable table and the number of cells suppressed in it."""
    if not spec.suppress or frame.empty:
        return frame, 0
    targets = list(dict.fromkeys([*spec.suppress, *_dependent_columns(spec)]))
    reason = pd.DataFrame("", index=frame.index, columns=frame.columns, dtype=object)
    body = frame[~_rows_matching(frame, spec.suppress_exempt)] if spec.suppress_exempt else frame
    within = spec.suppress_within
    if within is None:
        parts = [body]
    else:
        by = [within] if isinstance(within, str) else list(within)
        parts = [g for _, g in body.groupby(by, sort=False, dropna=False)]
    for part in parts:
        if part.empty:
            continue
        found = (_suppress_grid if spec.suppress_grid else _suppress_flat)(spec, part, min_cell)
        reason.loc[part.index, targets] = found[targets].to_numpy()
    table = frame.copy()
    marker = primary_marker(min_cell)
    counts = set(spec.suppress)
    for column in targets:
        why = reason[column].to_numpy()
        shown = frame[column].astype(object).to_numpy(copy=True)
        shown[why == SECONDARY] = SECONDARY_MARKER
        shown[why == PRIMARY] = marker if column in counts else SECONDARY_MARKER
        table[column] = pd.Series(shown, index=frame.index, dtype=object)
    return table, int(np.count_nonzero(reason.to_numpy() != ""))


def without_markers(frame: pd.DataFrame) -> pd.DataFrame:
    """A results table with its suppressed cells ("<5", "x") as missing values.

    Figures are drawn from the published (suppressed) tables, where those cells are
    strings in otherwise numeric columns; a figure draws nothing for them.
    """
    from pipeline.formatting import is_suppressed

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
    from pipeline.formatting import is_suppressed

    return bool(frame.map(is_suppressed).to_numpy().any()) if not frame.empty else False
