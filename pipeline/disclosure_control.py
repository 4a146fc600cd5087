"""Apply disclosure control to a results table as its TableSpec declares.

Published tables (``results/tables``, the workbook and the report, which all read the
same files) suppress counts of respondents below the study's ``min_cell`` (default 5) and,
where a published total would give a suppressed cell away, a second cell too
(``analysis.disclosure.suppress_cells``). Suppressed counts read "<5", cells suppressed
as complements and percentages of suppressed counts read "x".
"""

from __future__ import annotations

import pandas as pd

from analysis.disclosure import suppress_cells
from pipeline.chapter import TableSpec

SECONDARY_MARKER = "x"


def primary_marker(min_cell: int) -> str:
    return f"<{min_cell}"


def suppress_table(spec: TableSpec, frame: pd.DataFrame, min_cell: int) -> tuple[pd.DataFrame, int]:
    """The publishable table and the number of cells suppressed in it."""
    if not spec.suppress or frame.empty:
        return frame, 0
    counts = list(spec.suppress)
    dependents = {c: list(d) for c, d in spec.suppress.items()}
    parts = (
        [frame] if spec.suppress_within is None
        else [g for _, g in frame.groupby(spec.suppress_within, sort=False)]
    )
    published, n_suppressed = [], 0
    for part in parts:
        result = suppress_cells(
            part, counts, min_cell=min_cell, dependents=dependents,
            margins=spec.margins,  # type: ignore[arg-type]
            marker=primary_marker(min_cell), secondary_marker=SECONDARY_MARKER,
        )
        published.append(result.table)
        n_suppressed += int(result.mask.to_numpy().sum())
    table = pd.concat(published).loc[frame.index] if len(published) > 1 else published[0]
    return table[list(frame.columns)], n_suppressed
