"""An independent audit of suppression patterns by linear programming (scipy's HiGHS).

Given every cell's true value, the relations a reader knows and which cells are unknown to
the reader (suppressed or never published), :func:`interval` is the range a reader can
derive for one unknown cell: the minimum and maximum of the cell over all non-negative
values of the unknowns that satisfy every relation. A cell is protected when that range
has positive width. The pipeline's own check (``analysis.disclosure.determined_cells``)
works differently (null spaces and directions); this is the test's second opinion.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linprog

from analysis.disclosure import Relation


def interval(values: Sequence[float], relations: Sequence[Relation], unknown: np.ndarray,
             cell: int) -> tuple[float, float]:  # fmt: skip
    """The feasible range of ``cell`` given the known cells and the relations."""
    values = np.asarray(values, dtype=float)
    columns = {int(c): j for j, c in enumerate(np.flatnonzero(unknown))}
    rows, rhs = [], []
    for rel in relations:
        row, known = np.zeros(len(columns)), 0.0
        for c, s in zip(rel.cells, rel.signs, strict=True):
            if c in columns:
                row[columns[c]] += s
            else:
                known += s * values[c]
        if row.any():
            rows.append(row)
            rhs.append(-known)
    target = np.zeros(len(columns))
    target[columns[int(cell)]] = 1.0
    ends = []
    for sign in (1.0, -1.0):
        res = linprog(sign * target, A_eq=np.array(rows) if rows else None,
                      b_eq=np.array(rhs) if rows else None, bounds=(0, None), method="highs")
        assert res.status in (0, 3), res.message  # the true values are feasible
        ends.append(sign * res.fun if res.status == 0 else sign * np.inf)
    return ends[0], ends[1]


def exposed(values: Sequence[float], relations: Sequence[Relation], unknown: np.ndarray,
            cells: Sequence[int]) -> list[tuple[int, float, float]]:  # fmt: skip
    """The cells of ``cells`` whose feasible range has (almost) no width."""
    out = []
    for c in cells:
        low, high = interval(values, relations, unknown, c)
        if high - low <= 1e-7:
            out.append((int(c), low, high))
    return out
