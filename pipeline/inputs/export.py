"""What every reader returns (:class:`RawExport`, :class:`ReadIssue`), the cell and
column-name normalisation they share, and the search for a header row that sits lower down
(title rows above it), used by the CSV and the Excel reader."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.study.errors import UserError


@dataclass(frozen=True)
class ReadIssue:
    """A problem with one record that the reader could handle without guessing.

    ``row`` is the row number as in :attr:`RawExport.source_rows`; ``kind`` is a short
    code (``"short_record"``); ``message`` says what happened and what the reader did.
    A problem with one cell also has its ``column`` (header position) and the ``value``
    the file shows there; ``action`` is what the reader did (the validation report's
    ``action``: ``keep_row``, or ``set_missing`` for a cell read as empty).
    """

    row: int
    kind: str
    message: str
    column: int | None = None
    value: str = ""
    action: str = "keep_row"


class RawExport:
    """One export as read: every cell as text, in columns.

    ``data`` holds one text column per header position (labels ``0 .. width-1``; ``""``
    for an empty cell); ``row_numbers`` the row number of each record as the user finds it
    in the file (CSV/Excel: 1 = header; SPSS: case number). ``rows`` and ``source_rows``
    give the same as Python lists (for tests and small files).
    """

    def __init__(
        self,
        file: str,
        columns: list[str],
        rows: list[list[str]] | None = None,
        source_rows: list[int] | None = None,
        row_label: str = "row",
        meta: dict | None = None,
        issues: list[ReadIssue] | None = None,
        *,
        data: pd.DataFrame | None = None,
        row_numbers: np.ndarray | None = None,
    ) -> None:
        self.file = file  # the name a user recognises
        self.columns = list(columns)  # header as in the file
        width = len(self.columns)
        if data is None:
            data = _frame_of_rows(rows or [], width)
        self.data = data.set_axis(range(width), axis=1) if list(data.columns) != list(
            range(width)
        ) else data
        if row_numbers is None:
            row_numbers = np.asarray(
                source_rows if source_rows is not None else range(1, len(self.data) + 1),
                dtype=np.int64,
            )
        self.row_numbers = np.asarray(row_numbers, dtype=np.int64)
        if len(self.row_numbers) != len(self.data):
            raise ValueError("row_numbers and data differ in length")
        self.row_label = row_label
        self.meta = meta if meta is not None else {}
        self.issues = issues if issues is not None else []  # soft problems, see readers

    def __len__(self) -> int:
        return len(self.data)

    @property
    def rows(self) -> list[list[str]]:
        """Every record as a list of cell texts (materialised; for small exports)."""
        return self.data.astype(object).to_numpy().tolist()

    @rows.setter
    def rows(self, rows: list[list[str]]) -> None:
        self.data = _frame_of_rows(rows, len(self.columns))

    @property
    def source_rows(self) -> list[int]:
        return self.row_numbers.tolist()

    @source_rows.setter
    def source_rows(self, rows: list[int]) -> None:
        self.row_numbers = np.asarray(rows, dtype=np.int64)

    def column(self, position: int) -> pd.Series:
        """The text of one column (by header position), with a fresh RangeIndex."""
        return self.data[position].reset_index(drop=True)

    def replace(self, **changes: object) -> RawExport:
        """A copy with some attributes changed (``columns``, ``data``, ``row_numbers`` …)."""
        fields = {
            "file": self.file, "columns": self.columns, "row_label": self.row_label,
            "meta": self.meta, "issues": self.issues, "data": self.data,
            "row_numbers": self.row_numbers,
        }
        fields.update(changes)
        return RawExport(**fields)  # type: ignore[arg-type]

    def take(self, positions: np.ndarray) -> RawExport:
        """The records at ``positions`` (0-based), keeping their row numbers."""
        return self.replace(
            data=self.data.iloc[positions].reset_index(drop=True),
            row_numbers=self.row_numbers[positions],
        )


def _frame_of_rows(rows: list[list[str]], width: int) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({i: pd.Series([], dtype=object) for i in range(width)})
    return pd.DataFrame(rows, columns=range(width), dtype=object)


def normalise_column(name: object) -> str:
    """Header matching is case- and whitespace-insensitive: ' Respondent ID' -> 'respondent_id'."""
    s = str(name).strip().casefold()
    return re.sub(r"[\s\-]+", "_", s)


def cell_text(value: object) -> str:
    """Render a cell value as text: integral floats lose '.0', dates become ISO."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, pd.Timestamp):
        return cell_text(value.to_pydatetime())
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def column_text(values: pd.Series | list | np.ndarray) -> pd.Series:
    """:func:`cell_text` of every cell of a column, computed once per distinct value.

    The column is factorised; each distinct value is rendered once and the texts are
    taken back to the rows (object dtype; ``""`` for a missing value). Exactly
    ``[cell_text(v) for v in values]``, at the cost of the distinct values.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = np.empty(len(uniques) + 1, dtype=object)
    texts[:-1] = [cell_text(u) for u in np.asarray(uniques, dtype=object)]
    texts[-1] = ""  # code -1: NaN, None, NaT
    return pd.Series(texts[codes], dtype=object)


def check_duplicate_columns(file: str, columns: list[str]) -> None:
    """Two columns that match the same name are an error, never a silent drop."""
    counts = Counter(normalise_column(c) for c in columns)
    dups = sorted(name for name, n in counts.items() if n > 1 and name)
    if dups:
        shown = ", ".join(
            f"{name!r} (columns {', '.join(str(i + 1) for i, c in enumerate(columns) if normalise_column(c) == name)})"  # noqa: E501
            for name in dups
        )
        raise UserError(
            f"{file}: duplicate column names {shown}; every column must be unique",
            hint="rename or remove the duplicated column in the export",
        )



HEADER_SEARCH_ROWS = 20  # rows searched for the expected column names


def _names_found(cells: list[str], expected: set[str]) -> int:
    return len(expected & {normalise_column(c) for c in cells})


def _suggest_header_row(
    file: str, per_delim: dict[str, list[list[str]]], header_row: int, expected: list[str]
) -> None:
    """Raise when the expected column names sit in another row than ``header_row``.

    ``per_delim`` maps a delimiter (``""`` for a spreadsheet) to the first rows of the file
    (from row 1) split on it.
    """
    wanted = {normalise_column(c) for c in expected}
    at_header = max(
        (
            _names_found(r[header_row - 1], wanted)
            for r in per_delim.values()
            if len(r) >= header_row
        ),
        default=0,
    )
    if at_header == len(wanted):
        return
    best_row, best_n, best_delim = 0, at_header, ""
    for delim, candidate_rows in per_delim.items():
        for i, cells in enumerate(candidate_rows[:HEADER_SEARCH_ROWS], start=1):
            n = _names_found(cells, wanted)
            if n > best_n or (n == best_n and n > at_header and i < best_row):
                best_row, best_n, best_delim = i, n, delim
    # One or two names in another row prove nothing (an answer such as "Nederlands" can
    # equal a column name): only a row holding at least half the names is a header.
    if best_row and best_row != header_row and 2 * best_n >= len(wanted) and best_n >= 2:
        where = f" (separated by {best_delim!r})" if best_delim else ""
        raise UserError(
            f"{file}: row {header_row} (the header row) has {at_header} of the "
            f"{len(wanted)} expected column names, but row {best_row}{where} has {best_n}",
            hint=f"set header_row = {best_row} for this input in the study config "
            "(the rows above it are then skipped as title rows)",
        )
