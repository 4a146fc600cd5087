"""Statistical disclosure control for published frequency tables: small-cell suppression.

Published tables must not let a reader learn something about fewer than ``min_cell``
people. Counts below the threshold are suppressed (primary suppression), and so are
further cells wherever published totals would let a suppressed count be recomputed by
arithmetic (secondary or complementary suppression).

The model
---------
Every count a reader sees or could compute is a *cell*; what the reader knows about
them is a set of linear *relations* (:class:`Relation`): a row of a table adds up to its
published total, the units of a group add up to the group's total published in another
table, a count and its rest add up to the n next to it, the Werktop and control counts
of a category add up to the category's total. A cell is published, suppressed, or
*hidden*: never published (the rest ``n - count`` next to a share, a category a table
does not show) but still a cell whose value arithmetic could give away. Relations may
come from one table or several (linked tables); :func:`protect_cells` does not care.

The algorithm (:func:`protect_cells`)
-------------------------------------
1. **Primary**: a published count ``0 < n < min_cell`` is suppressed; a hidden cell of
   that size is *sensitive* (it must not become computable either). With ``group_zeros``
   a hidden rest of 0 (a share of 100%: all of the group gave that answer) is sensitive
   where that protects it without leaving another cell computable; else the run is
   repeated without it and it is reported (``Protection.groups``).
2. **No relation with a single unknown**: while some relation has exactly one unknown
   cell (suppressed or hidden) and that cell is suppressed or sensitive, the relation
   would give it away: suppress another published cell of that relation, the smallest
   non-zero one (a zero adds no uncertainty and is used only when nothing else is
   left; cells marked ``keep``, such as total rows, only then too); ties go to the
   first cell of the relation. Relations are checked in the order given, in passes,
   until a pass changes nothing — for one two-way table with its margins this is the
   classic row-then-column heuristic.
3. **Audit**: step 2 does not see combinations of relations (two rows minus a column,
   say). Every suppressed or sensitive cell is therefore checked exactly
   (:func:`determined_cells`): it is determined when no change of the unknown cells
   that keeps every relation true, and no count negative, changes it (the null space
   of the relations on the unknown cells, and a linear program for unknown zeros,
   which can only grow). For a determined cell, a further cell of one of its
   relations is suppressed — the smallest one whose suppression makes it
   undetermined, or else the smallest one — and steps 2 and 3 are repeated. Every
   step only adds suppressions, so this ends; a cell for which nothing is left to
   suppress is reported as unprotected (the pipeline warns).

What it guarantees, and what not
--------------------------------
After :func:`protect_cells`, no suppressed or sensitive cell can be computed exactly
from the published cells and the given relations: each has a feasible interval of
positive width. It does **not** guarantee that the interval is wide (a suppressed 2
next to a suppressed 0 may be known to be 0 to 2), it knows only the relations it is
given (a total published somewhere that no relation names, a test statistic or an
expected count computed from the cells, a figure, or an earlier or later report on the
same respondents can still give a cell away), and it does not protect against what a
respondent knows about himself, against dominance (one respondent making up most of a
total) or against an attribute shared by a whole group shown as counts (all three of a
unit said "no"; a share of 100% next to a hidden rest: ``group_zeros``, where it can).
Dedicated software (tau-argus, sdcTable) adds protection intervals and cost-optimal
patterns.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "Protection", "Relation", "SuppressionResult", "determined_cells", "protect_cells",
    "suppress_cells",
]  # fmt: skip

PRIMARY = "primary"
SECONDARY = "secondary"
#: Singular values below this count as zero in the exact audit (the relations hold
#: coefficients of +-1 on at most a few hundred cells).
_TOLERANCE = 1e-9


class Relation(NamedTuple):
    """A published linear relation between cells: ``sum(sign * value) == 0``.

    ``cells`` are indices into the values given to :func:`protect_cells`, in the order
    a reader sees them (the order in which a complement is sought among equals).
    """

    cells: tuple[int, ...]
    signs: tuple[int, ...]

    @classmethod
    def sum(cls, parts: Sequence[int], total: int) -> Relation:
        """``sum(parts) == total``, the total last."""
        return cls((*parts, total), (1,) * len(parts) + (-1,))


class Protection(NamedTuple):
    """What :func:`protect_cells` returns (boolean arrays over the cells)."""

    suppressed: np.ndarray  #: published cells to hide
    primary: np.ndarray  #: the suppressed cells hidden because they are small
    unprotected: tuple[int, ...]  #: suppressed or sensitive cells still determined
    groups: tuple[int, ...] = ()  #: hidden 0s (``group_zeros``) nothing could protect


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


def _components(n_cells: int, relations: Sequence[Relation],
                unknown: np.ndarray) -> list[list[int]]:  # fmt: skip
    """Groups of unknown cells linked through relations (each relation's unknowns lie in
    one group), in order of their first cell."""
    parent = list(range(n_cells))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for rel in relations:
        cells = [c for c in rel.cells if unknown[c]]
        for c in cells[1:]:
            a, b = find(cells[0]), find(c)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for c in np.flatnonzero(unknown):
        groups.setdefault(find(int(c)), []).append(int(c))
    return list(groups.values())


def determined_cells(
    values: Sequence[float],
    relations: Sequence[Relation],
    unknown: np.ndarray,
    of: Sequence[int] | None = None,
) -> np.ndarray:
    """Which unknown cells the relations determine, given the other cells' values.

    A cell is undetermined when the unknown cells can move along some direction ``d``
    that keeps every relation true (``A d = 0`` on the unknowns) and changes it, without
    making a count negative. Near the true values only the unknown cells that are 0 are
    at that bound: they may grow, not shrink. Each group of linked unknowns is solved on
    its own (only the groups holding a cell of ``of``, when given): a linear program
    finds the zeros that no direction can raise (a combination of relations forces them
    to 0); with those fixed, the others are determined exactly when their row of the
    null space of ``A`` is zero (a direction that raises every other zero can be added
    to any null-space direction).
    """
    values = np.asarray(values, dtype=np.float64)
    unknown = np.asarray(unknown, dtype=bool)
    determined = np.zeros(len(values), dtype=bool)
    touching: dict[int, list[int]] = {}
    for r, rel in enumerate(relations):
        for c in rel.cells:
            if unknown[c]:
                touching.setdefault(c, []).append(r)
    wanted = None if of is None else set(of)
    for group in _components(len(values), relations, unknown):
        if wanted is not None and wanted.isdisjoint(group):
            continue
        rows = sorted({r for c in group for r in touching.get(c, ())})
        if not rows:
            continue
        column = {c: j for j, c in enumerate(group)}
        a = np.zeros((len(rows), len(group)))
        for i, r in enumerate(rows):
            rel = relations[r]
            for c, s in zip(rel.cells, rel.signs, strict=True):
                if c in column:
                    a[i, column[c]] += s
        fixed = _held_at_zero(a, values[group] == 0)
        fixed[~fixed] = _fixed_linear(a[:, ~fixed])
        determined[group] = fixed
    return determined


def _held_at_zero(a: np.ndarray, at_zero: np.ndarray) -> np.ndarray:
    """The coordinates in ``at_zero`` that every direction ``d`` with ``a @ d = 0`` and
    ``d >= 0`` on ``at_zero`` leaves at 0.

    One linear program: maximise the sum of ``t_z = min(d_z, 1)`` over the zeros. The
    directions form a cone, so a zero that some direction raises reaches ``t_z = 1`` at
    the optimum, and a zero with ``t_z = 0`` is held.
    """
    from scipy.optimize import linprog

    zeros = np.flatnonzero(at_zero)
    held = np.zeros(a.shape[1], dtype=bool)
    if not len(zeros):
        return held
    k, m = a.shape[1], len(zeros)
    a_ub = np.zeros((m, k + m))
    a_ub[np.arange(m), k + np.arange(m)] = 1.0  # t_z - d_z <= 0
    a_ub[np.arange(m), zeros] = -1.0
    bounds = [(0.0, None) if z else (None, None) for z in at_zero] + [(0.0, 1.0)] * m
    res = linprog(np.concatenate([np.zeros(k), -np.ones(m)]), A_ub=a_ub, b_ub=np.zeros(m),
                  A_eq=np.hstack([a, np.zeros((a.shape[0], m))]), b_eq=np.zeros(a.shape[0]),
                  bounds=bounds, method="highs")  # fmt: skip
    if res.status != 0:
        raise RuntimeError(f"disclosure audit: linear program failed: {res.message}")
    held[zeros[res.x[k:] < 0.5]] = True
    return held


def _fixed_linear(a: np.ndarray) -> np.ndarray:
    """Coordinates that every solution of ``a @ d = 0`` leaves at zero."""
    from scipy.linalg import null_space

    if a.shape[1] == 0:
        return np.zeros(0, dtype=bool)
    free = null_space(a, rcond=_TOLERANCE)
    if not free.size:
        return np.ones(a.shape[1], dtype=bool)
    return np.all(np.abs(free) < 1e-7, axis=1)


def protect_cells(
    values: Sequence[float],
    relations: Sequence[Relation],
    *,
    min_cell: int = 5,
    eligible: Sequence[bool] | None = None,
    keep: Sequence[bool] | None = None,
    hidden: Sequence[bool] | None = None,
    suppress_zeros: bool = False,
    group_zeros: bool = False,
) -> Protection:
    """Which published cells to suppress so that no small cell can be computed.

    Parameters
    ----------
    values : sequence of float
        Every cell's true value (NaN: no count; such a cell is left alone and read as
        known).
    relations : sequence of Relation
        What a reader knows: published linear relations between the cells.
    min_cell : int
        Counts below this are small (primary suppression; sensitive when hidden).
    eligible : sequence of bool, optional
        Cells that may be suppressed (default: every published cell). Published totals
        that a table cannot hide (a group's n next to its percentages) are not eligible,
        and stay published even when small.
    keep : sequence of bool, optional
        Eligible cells suppressed only when a relation has nothing else left (total
        rows).
    hidden : sequence of bool, optional
        Cells that are never published (default: none).
    suppress_zeros : bool
        Whether a count of 0 is small.
    group_zeros : bool
        A hidden 0 (rest of a share of 100%) is sensitive where it can be protected.

    Returns
    -------
    Protection
        See the module docstring for the algorithm and what it guarantees.
    """
    values = np.asarray(values, dtype=np.float64)
    if min_cell < 1:
        raise ValueError("min_cell must be at least 1")
    hidden_ = np.zeros(len(values), bool) if hidden is None else np.asarray(hidden, bool)
    soft = hidden_ & (values == 0) & (group_zeros and min_cell > 1)
    run = lambda s: _protect(values, relations, min_cell=min_cell, eligible=eligible,  # noqa: E731
                             keep=keep, hidden=hidden, suppress_zeros=suppress_zeros, sensitive=s)
    found, base, dropped = run(soft), None, set()
    while found.unprotected and soft.any():
        # a soft cell or a newly computable one: drop the soft cells linked to them
        base = set(run(soft & False).unprotected) if base is None else base
        stuck = {c for c in found.unprotected if soft[c] or c not in base}
        if not stuck:
            break
        linked = {c for g in _components(len(values), relations, found.suppressed | hidden_)
                  if stuck & set(g) for c in g}  # fmt: skip
        drop = [int(c) for c in np.flatnonzero(soft) if int(c) in linked or not linked]
        soft[drop] = False
        dropped.update(drop)
        found = run(soft)
    if not dropped:
        return found
    exposed = determined_cells(values, relations, found.suppressed | hidden_, of=sorted(dropped))
    return found._replace(groups=tuple(c for c in sorted(dropped) if exposed[c]))


def _protect(values: np.ndarray, relations: Sequence[Relation], *, min_cell: int,
             eligible: Sequence[bool] | None, keep: Sequence[bool] | None,
             hidden: Sequence[bool] | None, suppress_zeros: bool,
             sensitive: np.ndarray) -> Protection:  # fmt: skip
    """:func:`protect_cells` with the extra sensitive hidden cells given."""
    n = len(values)
    hidden_ = np.zeros(n, bool) if hidden is None else np.asarray(hidden, dtype=bool)
    eligible_ = np.ones(n, bool) if eligible is None else np.asarray(eligible, dtype=bool)
    keep_ = np.zeros(n, bool) if keep is None else np.asarray(keep, dtype=bool)
    given = ~np.isnan(values)
    floor = 0 if suppress_zeros else 1
    small = given & (values >= floor) & (values < min_cell)
    can_hide = eligible_ & given & ~hidden_
    primary = small & can_hide  # a published total that cannot be hidden stays
    sensitive_hidden = (small | sensitive) & hidden_
    suppressed = primary.copy()

    def free(cells: Sequence[int]) -> list[int]:
        """Candidates for a complement among ``cells``, best first."""
        pool = [c for c in dict.fromkeys(cells) if can_hide[c] and not suppressed[c]]
        # Stable sort: body cells before kept ones, non-zero before zero, small first.
        return sorted(pool, key=lambda c: (bool(keep_[c]), values[c] == 0, values[c]))

    def singletons() -> None:
        changed = True
        while changed:
            changed = False
            for rel in relations:
                unknown = [c for c in rel.cells if suppressed[c] or hidden_[c]]
                if len(unknown) != 1:
                    continue
                if suppressed[unknown[0]] or sensitive_hidden[unknown[0]]:
                    candidates = free(rel.cells)
                    if candidates:
                        suppressed[candidates[0]] = changed = True

    by_cell: dict[int, list[int]] = {}
    for r, rel in enumerate(relations):
        for c in rel.cells:
            by_cell.setdefault(c, []).append(r)

    def still_determined(cell: int, extra: int) -> bool:
        unknown = suppressed | hidden_
        unknown[extra] = True
        return bool(determined_cells(values, relations, unknown, of=[cell])[cell])

    stuck: set[int] = set()
    while True:
        singletons()
        exposed = determined_cells(values, relations, suppressed | hidden_)
        exposed &= suppressed | sensitive_hidden
        todo = [int(c) for c in np.flatnonzero(exposed) if int(c) not in stuck]
        if not todo:
            break
        cell = todo[0]
        candidates = free([c for r in by_cell.get(cell, ()) for c in relations[r].cells])
        if not candidates:  # widen to the relations of every linked unknown cell
            group = next(g for g in _components(n, relations, suppressed | hidden_)
                         if cell in g)  # fmt: skip
            candidates = free([c for g in group for r in by_cell.get(g, ())
                               for c in relations[r].cells])  # fmt: skip
        if not candidates:
            stuck.add(cell)
            continue
        best = next((c for c in candidates if not still_determined(cell, c)), candidates[0])
        suppressed[best] = True
    exposed = determined_cells(values, relations, suppressed | hidden_)
    exposed &= suppressed | sensitive_hidden
    return Protection(suppressed, primary, tuple(int(c) for c in np.flatnonzero(exposed)))


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
        Index labels of rows that hold column totals. They are not part of the body (a
        complement is chosen there only when the body has none left), but their counts
        are primary-suppressed like any other; a suppressed total is an unknown of its
        column's relation.
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
    The table's relations are its published margins: each body row adds up to its total
    (``margins`` "rows" or "both"), each count column's body to its total (``margins``
    "columns" or "both"; the total row's cell when there is one). :func:`protect_cells`
    applies the rules of the module docstring (rows before columns in each pass). For
    linked tables, see ``pipeline/report/disclosure_control.py``.

    References
    ----------
    Hundepool A et al. (2012). Statistical Disclosure Control, ch. 4 (frequency tables,
    primary and secondary suppression; linked tables). Wiley.
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
    grid = _check_counts(table[count_columns])
    n_rows, n_cols = grid.shape
    is_total = np.asarray(table.index.isin(list(total_rows)), dtype=bool)
    body = np.flatnonzero(~is_total)
    values = list(grid.ravel())
    keep = list(np.repeat(is_total, n_cols))
    eligible = [True] * len(values)

    def cell(i: int, j: int) -> int:
        return i * n_cols + j

    def published_total(value: float) -> int:
        """A total published next to the table: a cell that cannot be suppressed."""
        values.append(value)
        keep.append(False)
        eligible.append(False)
        return len(values) - 1

    relations: list[Relation] = []
    if margins in ("rows", "both"):
        for i in body:
            parts = [cell(i, j) for j in range(n_cols)]
            relations.append(Relation.sum(parts, published_total(np.nansum(grid[i]))))
    if margins in ("columns", "both"):
        for j in range(n_cols):
            parts = [cell(i, j) for i in body]
            totals = [cell(i, j) for i in np.flatnonzero(is_total)]
            for total in totals or [published_total(np.nansum(grid[body, j]))]:
                relations.append(Relation.sum(parts, total))
    found = protect_cells(values, relations, min_cell=min_cell, eligible=eligible, keep=keep,
                          suppress_zeros=suppress_zeros)  # fmt: skip
    size = n_rows * n_cols
    primary = found.primary[:size].reshape(n_rows, n_cols)
    secondary = found.suppressed[:size].reshape(n_rows, n_cols) & ~primary

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

