"""Readers for the three export formats survey tools produce: CSV, SPSS .sav and Excel.

Each reader returns a :class:`RawExport`: every cell as the text a user sees in the file
(numbers without a spurious ``.0``, dates as ISO), the row number as the user finds it in
the file, and what the file itself declares (SPSS value labels and user-missing codes, the
CSV's encoding, delimiter and decimal mark). Interpreting the values against the codebook
is left to the validate and clean stages.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.inputs.csv_reader import read_csv_export
from pipeline.inputs.export import RawExport, ReadIssue, cell_text, normalise_column
from pipeline.inputs.sav_reader import read_sav_export
from pipeline.inputs.xlsx_reader import read_xlsx_export
from pipeline.study.errors import UserError, os_error

#: The readers by format live in their own modules (csv_reader, sav_reader, xlsx_reader);
#: this module dispatches on the configured format and names what callers use.
__all__ = ["RawExport", "ReadIssue", "cell_text", "normalise_column", "read_csv_export",
           "read_export", "read_sav_export", "read_xlsx_export"]


def read_export(
    path: Path,
    fmt: str,
    *,
    expected_columns: list[str] | None = None,
    **options: str | int | None,
) -> RawExport:
    """Dispatch on the configured format; a missing or unreadable file is a user error.

    ``expected_columns`` (the codebook's column names for this instrument) lets the CSV
    and Excel readers say ``header_row = N`` when the names sit lower down.
    """
    if not path.is_file():
        raise UserError(f"input file not found: {path}", hint="check 'path' in the study config")
    try:
        return _read_export(path, fmt, expected_columns=expected_columns, **options)
    except OSError as exc:  # permission denied and the like: the user's to fix
        user_error = os_error(exc, path, "read")
        if user_error is None:
            raise
        raise user_error from exc


def _read_export(
    path: Path,
    fmt: str,
    *,
    expected_columns: list[str] | None = None,
    **options: str | int | None,
) -> RawExport:
    header_row = int(options.get("header_row") or 1)
    if fmt == "csv":
        return read_csv_export(
            path,
            encoding=options.get("encoding"),
            delimiter=options.get("delimiter"),
            header_row=header_row,
            expected_columns=expected_columns,
        )
    if fmt in ("sav", "dta"):
        return read_sav_export(path, encoding=options.get("encoding"), fmt=fmt)
    if fmt == "xlsx":
        return read_xlsx_export(
            path,
            sheet=options.get("sheet"),
            header_row=header_row,
            expected_columns=expected_columns,
        )
    raise UserError(f"{path.name}: unknown format {fmt!r}; expected csv, sav, dta or xlsx")
