"""The Excel reader: one sheet (the first visible one with data unless the config
names it), error cells read as empty and listed, read with calamine (openpyxl as fallback)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from pipeline.inputs.csv_limits import MAX_COLUMNS
from pipeline.inputs.excel_errors import error_cells
from pipeline.inputs.export import (
    HEADER_SEARCH_ROWS,
    RawExport,
    ReadIssue,
    _suggest_header_row,
    cell_text,
    check_duplicate_columns,
    column_text,
)
from pipeline.study.errors import UserError
from pipeline.study.privacy import redact_label


def read_xlsx_export(
    path: Path,
    *,
    sheet: str | None = None,
    header_row: int = 1,
    expected_columns: list[str] | None = None,
) -> RawExport:
    """Read one sheet of an Excel workbook; see :func:`read_csv_export` for ``header_row``
    and ``expected_columns`` (the first 20 rows are searched for the expected names).
    Without ``sheet`` the first *visible* sheet with data is read, never a hidden one
    (``meta["sheet_chosen"] = "first_visible"`` and ``meta["hidden_sheets"]`` then say so);
    when only hidden sheets hold data, the error names them (see :func:`_pick_sheet`).
    A cell that shows an Excel error (``#DIV/0!``, ``#N/A``, ``#REF!`` …) is read as empty
    and listed in ``issues`` (``kind = "excel_error"``, with its column and the error),
    whichever engine read the values (:mod:`pipeline.inputs.excel_errors`).
    Trailing rows that are entirely empty are formatting and are dropped
    (``meta["blank_rows_at_end"]``). Excel cells hold at most 32,767 characters, far
    below the reader's limit for a free-text cell.

    Notes
    -----
    The sheet is read with calamine (``python-calamine``, Rust), which returns every
    cell's value about ten times faster than openpyxl; openpyxl (read-only mode) is used
    only when calamine cannot open the workbook. Either way a cell becomes text with
    :func:`cell_text`, once per distinct value of a column (``meta["engine"]`` says which
    library read the file).
    """
    file = redact_label(path.name)  # shown in messages and outputs
    read = _xlsx_values(path, sheet)
    values, title = read.rows, read.title
    if expected_columns:
        first = [[cell_text(v) for v in r] for r in values[:HEADER_SEARCH_ROWS]]
        _suggest_header_row(file, {"": first}, header_row, expected_columns)
    if len(values) < header_row:
        raise UserError(
            f"{file}: sheet {title!r} has {len(values)} rows; expected a header in row "
            f"{header_row}"
        )
    header = [cell_text(v).strip() for v in values[header_row - 1]]
    errors = error_cells(path, title) if title else []
    for cell in errors:  # a column name that is an error reads as the error, either engine
        if cell.row == header_row and cell.column < len(header):
            header[cell.column] = cell.text
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    if width > MAX_COLUMNS:
        raise UserError(
            f"{file}: the header (sheet {title!r}, row {header_row}) has {width:,} columns; "
            f"this pipeline reads at most {MAX_COLUMNS:,} columns",
            hint="a survey export has far fewer: check 'sheet' and 'header_row' for this "
            "input in the study config",
        )
    check_duplicate_columns(file, header)
    body = values[header_row:]
    del values
    records = len(body)
    columns: dict[int, pd.Series] = {}
    for j in range(width):
        columns[j] = column_text([r[j] if j < len(r) else None for r in body])
    del body
    data = pd.DataFrame(columns, index=range(records)) if width else pd.DataFrame(
        index=range(records)
    )
    # Cells that show an error (#DIV/0!, #N/A …) are read as empty, each one listed.
    shown = [c for c in errors if c.row > header_row and c.column < width]
    at = np.array([c.row - header_row - 1 for c in shown], dtype=np.int64)
    on = np.array([c.column for c in shown], dtype=np.int64)
    for j in np.unique(on):
        data.iloc[at[on == j], int(j)] = ""
    # Trailing rows that are entirely empty are formatting, not respondents (a row that
    # shows only errors is not empty).
    if width and records:
        filled = np.zeros(records, dtype=bool)
        filled[at] = True
        for j in range(width):
            filled |= _nonblank(data[j])
        kept = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    else:
        kept = 0
    data = data.iloc[:kept].reset_index(drop=True)
    issues = [
        ReadIssue(
            c.row, "excel_error",
            f"a value, not an Excel error: the cell shows {c.text} (its formula could not "
            "be computed), so it is read as missing",
            column=c.column, value=c.text, action="set_missing",
        )
        for c in shown
    ]
    return RawExport(
        file=file,
        columns=header,
        data=data,
        row_numbers=np.arange(header_row + 1, header_row + 1 + kept, dtype=np.int64),
        meta={
            "format": "xlsx",
            "sheet": title,
            "decimal": ".",
            "records": records,
            "blank_rows_at_end": records - kept,
            "engine": read.engine,
            # Only when no sheet is configured: which one was read, and what was skipped.
            **({"sheet_chosen": "first_visible", "hidden_sheets": read.hidden}
               if read.chosen else {}),
        },
        issues=issues,
    )


def _nonblank(column: pd.Series) -> np.ndarray:
    """Cells that hold more than whitespace, judged once per distinct text."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = np.asarray(uniques, dtype=object)
    filled = np.append(np.array([bool(u.strip()) for u in texts], dtype=bool), False)
    return filled[codes]


class SheetValues(NamedTuple):
    """The cell values of the sheet an Excel reader read, and how it was chosen."""

    rows: list  # every row of the sheet as cell values
    title: str  # the sheet's name
    engine: str  # "calamine" or "openpyxl"
    hidden: list[str]  # the workbook's hidden worksheets (only when no sheet is configured)
    chosen: bool  # True when no sheet was configured: the first visible sheet with data


def _has_value(rows: Iterable[Iterable[object]]) -> bool:
    """Whether any cell holds a value (stops at the first one)."""
    return any(v is not None and v != "" for row in rows for v in row)


def _pick_sheet(
    file: str,
    sheets: list[tuple[str, bool]],
    sheet: str | None,
    has_data: Callable[[str], bool],
) -> tuple[str, list[str]]:
    """The sheet to read and the hidden worksheets: ``sheets`` is (name, visible) per
    worksheet in workbook order (chart sheets left out).

    A configured ``sheet`` must exist (hidden or not). Without one, the first visible
    sheet with data is read: a hidden sheet (an old copy kept by a colleague) is never
    read by accident. When only hidden sheets hold data, that is an error that names them.
    """
    names = [name for name, _ in sheets]
    hidden = [name for name, visible in sheets if not visible]
    if sheet is not None:
        if sheet not in names:
            raise UserError(
                f"{file}: no sheet named {sheet!r}; the workbook has {names}",
                hint="set 'sheet' for this input in the study config",
            )
        return sheet, hidden
    visible = [name for name, shown in sheets if shown]
    for name in visible:
        if has_data(name):
            return name, hidden
    with_data = [name for name in hidden if has_data(name)]
    if with_data:
        which = (f"the only sheet with data, {with_data[0]!r}, is hidden" if len(with_data) == 1
                 else f"the sheets with data, {with_data}, are all hidden")
        empty = f" (visible: {visible}, empty)" if visible else ""
        setting = (f'sheet = "{with_data[0]}"' if len(with_data) == 1
                   else 'sheet = "<name>" (one of ' + ", ".join(repr(n) for n in with_data) + ")")
        raise UserError(
            f"{file}: no sheet is set in the study config and {which}{empty}; a hidden sheet "
            "is not read unless it is named",
            hint=f"if it holds the survey, set {setting} for this input in the study config; "
            "otherwise export the workbook again with the survey on a visible sheet",
        )
    return (visible or names or [""])[0], hidden


def _xlsx_values(path: Path, sheet: str | None) -> SheetValues:
    """Every row of the sheet as cell values, read with calamine (openpyxl when calamine
    cannot open the workbook); see :func:`_pick_sheet` for which sheet."""
    file = redact_label(path.name)  # shown in messages and outputs
    try:
        from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

        wb = CalamineWorkbook.from_path(str(path))
    except Exception:  # calamine cannot read it: openpyxl decides (and words the error)
        return _xlsx_values_openpyxl(path, sheet)
    loaded: dict[str, list] = {}

    def rows_of(name: str) -> list:
        if name not in loaded:
            loaded[name] = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        return loaded[name]

    try:
        sheets = [(m.name, m.visible == SheetVisibleEnum.Visible) for m in wb.sheets_metadata
                  if m.typ == SheetTypeEnum.WorkSheet]
        title, hidden = _pick_sheet(file, sheets, sheet, lambda n: _has_value(rows_of(n)))
        rows = rows_of(title) if title else []
    except UserError:
        raise
    except Exception:
        return _xlsx_values_openpyxl(path, sheet)
    finally:
        wb.close()
    return SheetValues(rows, title, "calamine", hidden, sheet is None)


def _xlsx_values_openpyxl(path: Path, sheet: str | None) -> SheetValues:
    import openpyxl

    file = redact_label(path.name)  # shown in messages and outputs
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise UserError(f"{file}: cannot open the Excel workbook: {exc}") from exc
    try:
        sheets = [(ws.title, ws.sheet_state == "visible") for ws in wb.worksheets]
        title, hidden = _pick_sheet(
            file, sheets, sheet, lambda n: _has_value(wb[n].iter_rows(values_only=True))
        )
        values = list(wb[title].iter_rows(values_only=True)) if title else []
    finally:
        wb.close()
    return SheetValues(values, title, "openpyxl", hidden, sheet is None)
