"""Statistical disclosure control for published frequency tables: small-cell suppression.

Published tables must not let a reader learn something about fewer than ``min_cell``
people. Counts below the threshold are suppressed (primary suppression), and so are
further cells wherever a published total would let a suppressed count be recomputed by
subtraction (secondary or complementary suppression).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

__all__ = ["SuppressionResult", "suppress_cells"]

PRIMARY = "primary"
SECONDARY = "secondary"


class SuppressionResult(NamedTuple):
    """What :func:`suppress_cells` returns (unpacks as ``table, mask, reason``)."""

    table: pd.DataFrame  #: the publishable table, markers in suppressed cells
    mask: pd.DataFrame  #: True where a cell was suppressed
    reason: pd.DataFrame  #: "primary", "secondary" or "" per cell


def _check_counts(counts: pd.DataFrame) -> np.ndarray:
    values = counts.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    given = counts.notna().to_numpy()
    if np.isnan(values[given]).any():
        raise ValueError("count columns must be numeric (missing values are allowed)")
    ok = values[given]
    if (ok < 0).any() or (ok != np.round(ok)).any():
        raise ValueError("counts must be non-negative whole numbers")
    return values


def _pick_complement(values: np.ndarray, suppressed: np.ndarray, eligible: np.ndarray) -> int:
    """Index of the smallest eligible, not yet suppressed cell; non-zero cells first."""
    free = eligible & ~suppressed & ~np.isnan(values)
    for pool in (free & (values > 0), free):
        if pool.any():
            candidates = np.flatnonzero(pool)
            return int(candidates[np.argmin(values[candidates])])  # first of ties
    return -1


def suppress_cells(
    table: pd.DataFrame,
    count_columns: Sequence[Hashable],
    *,
    min_cell: int = 5,
    dependents: Mapping[Hashable, Sequence[Hashable]] | None = None,
    margins: Literal["both", "rows", "columns", "none"] = "both",
    total_rows: Sequence[Hashable] = (),
    suppress_zeros: bool = False,
    marker: str | None = None,
    secondary_marker: str = "x",
) -> SuppressionResult:
    """Suppress small counts, and whatever would let them be recomputed from totals.

    Parameters
    ----------
    table : pandas.DataFrame
        A frequency table: one row per category (or cell row), with count columns and
        possibly columns derived from them (percentages). Not modified.
    count_columns : sequence
        The columns holding counts of people (non-negative whole numbers; NaN allowed and
        left alone). Together with the body rows they form the grid the totals refer to.
    min_cell : int, default 5
        Counts below this are suppressed (primary suppression).
    dependents : mapping, optional
        Count column -> columns computed from it (``{"n_treated": ["pct_treated"]}``).
        A dependent cell is suppressed whenever its count cell is, with the same reason.
    margins : {"both", "rows", "columns", "none"}, default "both"
        Which totals are published (in the table or next to it): each row's total over
        ``count_columns`` ("rows"), each count column's total over the body rows
        ("columns"), both, or none (primary suppression only).
    total_rows : sequence, default ()
        Index labels of rows that hold column totals. They are not part of the body (no
        complement is chosen there), but their counts are primary-suppressed like any
        other; a column whose total is suppressed has no published total.
    suppress_zeros : bool, default False
        Whether a count of 0 is primary-suppressed. By default it is not (a common
        statistical-office rule: an empty cell identifies nobody).
    marker : str, optional
        Text shown in primary-suppressed count cells; default ``f"<{min_cell}"``.
    secondary_marker : str, default "x"
        Text shown in secondary-suppressed count cells and in every suppressed dependent
        cell (a percentage of a small count is not itself "<5").

    Returns
    -------
    SuppressionResult
        ``table``: a copy in which ``count_columns`` and dependent columns are object
        columns holding the original values or a marker; other columns unchanged.
        ``mask``: a boolean frame of the same shape, True where a cell was suppressed.
        ``reason``: a string frame of the same shape: ``"primary"``, ``"secondary"`` or
        ``""``.

    Notes
    -----
    Rules, applied until nothing changes:

    * **Primary**: a count ``0 < n < min_cell`` (or ``0 <= n`` with
      ``suppress_zeros=True``).
    * **Secondary, rows** (``margins`` "rows" or "both"): when exactly one count in a
      body row is suppressed, the published row total minus the other cells would give
      it away, so the smallest other count in that row is suppressed as well.
    * **Secondary, columns** (``margins`` "columns" or "both"): the same within each
      count column over the body rows, when its total is published.

    The complement is the smallest non-zero count not yet suppressed (a zero adds no
    uncertainty; a zero is used only when nothing else is left); ties go to the first
    cell in table order. Rows are checked before columns in each pass. This is the
    standard hypercube-free heuristic for two-dimensional tables: it guarantees that no
    row or column with a published total has exactly one suppressed cell, not that
    intervals derived from several totals at once are wide (use dedicated software such
    as sdcTable/tau-argus for that).

    References
    ----------
    Hundepool A et al. (2012). Statistical Disclosure Control, ch. 4 (frequency tables,
    primary and secondary suppression). Wiley.
    """
    if margins not in ("both", "rows", "columns", "none"):
        raise ValueError("margins must be 'both', 'rows', 'columns' or 'none'")
    count_columns = list(count_columns)
    missing = [c for c in count_columns if c not in table.columns]
    dependents = {k: list(v) for k, v in (dependents or {}).items()}
    missing += [k for k in dependents if k not in count_columns]
    missing += [d for deps in dependents.values() for d in deps if d not in table.columns]
    if missing:
        raise ValueError(f"columns not in the table or not count columns: {missing!r}")
    if min_cell < 1:
        raise ValueError("min_cell must be at least 1")

    values = _check_counts(table[count_columns])
    is_total = np.asarray(table.index.isin(list(total_rows)), dtype=bool)
    body = ~is_total
    floor = 0 if suppress_zeros else 1
    primary = ~np.isnan(values) & (values >= floor) & (values < min_cell)
    suppressed = primary.copy()

    changed = True
    while changed:
        changed = False
        if margins in ("rows", "both"):
            for i in np.flatnonzero(body):
                if suppressed[i].sum() == 1:
                    j = _pick_complement(
                        values[i], suppressed[i], np.ones(len(count_columns), bool)
                    )
                    if j >= 0:
                        suppressed[i, j] = changed = True
        if margins in ("columns", "both"):
            published = ~(suppressed & is_total[:, None]).any(axis=0)
            for j in np.flatnonzero(published):
                if suppressed[body, j].sum() == 1:
                    i = _pick_complement(values[:, j], suppressed[:, j], body)
                    if i >= 0:
                        suppressed[i, j] = changed = True
    secondary = suppressed & ~primary

    reason = pd.DataFrame("", index=table.index, columns=table.columns, dtype=object)
    out = table.copy()
    primary_text = marker if marker is not None else f"<{min_cell}"
    for j, col in enumerate(count_columns):
        labels = np.where(primary[:, j], PRIMARY, np.where(secondary[:, j], SECONDARY, ""))
        for target in [col, *dependents.get(col, [])]:
            pos = table.columns.get_loc(target)
            reason.isetitem(pos, labels)
            shown = table[target].astype(object).to_numpy(copy=True)
            shown[labels == SECONDARY] = secondary_marker
            shown[labels == PRIMARY] = primary_text if target == col else secondary_marker
            out.isetitem(pos, pd.Series(shown, index=table.index, dtype=object))
    mask = reason != ""
    return SuppressionResult(out, mask, reason)
