"""Readers for the three export formats survey tools produce: CSV, SPSS .sav and Excel.

Each reader returns a :class:`RawExport`: every cell as the text a user sees in the file
(numbers without a spurious ``.0``, dates as ISO), the row number as the user finds it in
the file, and what the file itself declares (SPSS value labels and user-missing codes, the
CSV's encoding, delimiter and decimal mark). Interpreting the values against the codebook
is left to the validate and clean stages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.errors import UserError

DELIMITERS = (";", ",", "\t", "|")


@dataclass
class RawExport:
    file: str  # the name a user recognises
    columns: list[str]  # header as in the file
    rows: list[list[str]]  # every cell as text ("" for empty)
    source_rows: list[int]  # row number (CSV/Excel: 1 = header) or SPSS case number
    row_label: str = "row"
    meta: dict = field(default_factory=dict)


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


# --------------------------------------------------------------------------- CSV


def detect_encoding(data: bytes, override: str | None = None) -> str:
    """UTF-8 (with or without BOM) when it decodes, otherwise cp1252 (Dutch Windows Excel)."""
    if override:
        return override
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"


def detect_delimiter(text: str, override: str | None = None) -> str:
    """Pick the delimiter that splits the header into the most fields consistently.

    ``csv.Sniffer`` is easily fooled by free text, so we count candidates in the first few
    records parsed with each candidate and keep the one with the most, consistent fields.
    """
    if override:
        return override
    sample = text[:20000]
    best, best_score = ",", 0.0
    for delim in DELIMITERS:
        try:
            records = list(_take(csv.reader(io.StringIO(sample), delimiter=delim), 20))
        except csv.Error:
            continue
        if len(records) < 1:
            continue
        widths = [len(r) for r in records[:-1] or records]  # last record may be cut off
        header = widths[0]
        if header < 2:
            continue
        consistency = sum(1 for w in widths if w == header) / len(widths)
        score = header * consistency
        if score > best_score:
            best, best_score = delim, score
    return best


def _take(iterator, n: int):
    for i, item in enumerate(iterator):
        if i >= n:
            break
        yield item


def detect_decimal(rows: list[list[str]]) -> str:
    """',' when numbers such as '2,5' occur and none such as '2.5'; otherwise '.'."""
    comma = point = 0
    for row in rows[:2000]:
        for cell in row:
            c = cell.strip()
            if re.fullmatch(r"-?\d+,\d+", c):
                comma += 1
            elif re.fullmatch(r"-?\d+\.\d+", c):
                point += 1
    return "," if comma > point else "."


def read_csv_export(
    path: Path, *, encoding: str | None = None, delimiter: str | None = None, header_row: int = 1
) -> RawExport:
    file = path.name
    data = path.read_bytes()
    enc = detect_encoding(data, encoding)
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        raise UserError(
            f"{file}: cannot decode the file as {enc}: {exc}",
            hint="set 'encoding' for this input in the study config (e.g. 'cp1252' or 'utf-8')",
        ) from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    # Title lines above the header are skipped (title rows hold no quoted line breaks).
    title_lines = text.splitlines(keepends=True)[: header_row - 1]
    if len(title_lines) < header_row - 1:
        raise UserError(f"{file}: the file has fewer than {header_row} rows (header_row)")
    offset = len("".join(title_lines))
    delim = detect_delimiter(text[offset:], delimiter)
    reader = csv.reader(io.StringIO(text[offset:], newline=""), delimiter=delim)
    records: list[list[str]] = []
    source_rows: list[int] = []
    try:
        header = next(reader)
    except StopIteration as exc:
        raise UserError(f"{file}: the file is empty; expected a header row") from exc
    except csv.Error as exc:
        raise UserError(f"{file}: cannot parse the header: {exc}") from exc
    try:
        for record in reader:
            # Row numbers count records the way a spreadsheet shows them (header = row 1),
            # so a free-text answer with line breaks still occupies one row.
            source_rows.append(len(records) + header_row + 1)
            records.append(record)
    except csv.Error as exc:
        raise UserError(
            f"{file}, row {len(records) + header_row + 1}: cannot parse the record: {exc}"
        ) from exc
    width = len(header)
    others = [d for d in DELIMITERS if d != delim and d in header[0]] if width == 1 else []
    if others:
        raise UserError(
            f"{file}: the header is one single column when split on {delim!r}, "
            f"but it contains {others[0]!r}: {header[0][:80]!r}",
            hint=f"set delimiter = {others[0]!r} for this input in the study config, "
            "or remove the wrong 'delimiter' setting so it is detected",
        )
    for i, record in enumerate(records):
        if len(record) > width and any(c.strip() for c in record[width:]):
            raise UserError(
                f"{file}, row {source_rows[i]}: {len(record)} fields but the header has {width}",
                hint=f"check quoting of free text in that row (delimiter is {delim!r})",
            )
        record[:] = (record + [""] * width)[:width]
    check_duplicate_columns(file, header)
    return RawExport(
        file=file,
        columns=[h.strip() for h in header],
        rows=records,
        source_rows=source_rows,
        meta={
            "format": "csv",
            "encoding": enc,
            "delimiter": delim,
            "decimal": detect_decimal(records),
        },
    )


# --------------------------------------------------------------------------- SPSS


def read_sav_export(path: Path, *, encoding: str | None = None) -> RawExport:
    import pyreadstat

    file = path.name
    try:
        frame, meta = pyreadstat.read_sav(
            str(path), user_missing=True, apply_value_formats=False, encoding=encoding
        )
    except Exception as exc:  # pyreadstat raises its own error types for bad files
        raise UserError(
            f"{file}: cannot read the SPSS file: {exc}",
            hint="check the file is a .sav export; if text looks garbled, "
            "set 'encoding' for this input in the study config",
        ) from exc
    check_duplicate_columns(file, list(frame.columns))
    # User-missing codes as the file declares them, with their labels where it has them.
    declared: dict[str, list[dict]] = {}
    for col, ranges in (meta.missing_ranges or {}).items():
        labels = (meta.variable_value_labels or {}).get(col, {})
        entries = []
        for r in ranges:
            lo, hi = r.get("lo"), r.get("hi")
            entries.append({"lo": lo, "hi": hi, "label": labels.get(lo, "")})
        declared[col] = entries
    formats = dict(meta.original_variable_types or {})
    rows = [[cell_text(v) for v in record] for record in frame.itertuples(index=False)]
    return RawExport(
        file=file,
        columns=list(frame.columns),
        rows=rows,
        source_rows=list(range(1, len(rows) + 1)),
        row_label="case",
        meta={
            "format": "sav",
            "encoding": meta.file_encoding or encoding,
            "decimal": ".",
            "user_missing": declared,
            "value_labels": {
                col: {cell_text(k): v for k, v in labels.items()}
                for col, labels in (meta.variable_value_labels or {}).items()
            },
            "formats": formats,
            "column_labels": dict(zip(meta.column_names, meta.column_labels, strict=False)),
        },
    )


# --------------------------------------------------------------------------- Excel


def read_xlsx_export(path: Path, *, sheet: str | None = None, header_row: int = 1) -> RawExport:
    import openpyxl

    file = path.name
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise UserError(f"{file}: cannot open the Excel workbook: {exc}") from exc
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise UserError(
                f"{file}: no sheet named {sheet!r}; the workbook has {wb.sheetnames}",
                hint="set 'sheet' for this input in the study config",
            )
        values = list(ws.iter_rows(values_only=True))
    finally:
        wb.close()
    if len(values) < header_row:
        raise UserError(
            f"{file}: sheet {ws.title!r} has {len(values)} rows; expected a header in row "
            f"{header_row}"
        )
    header = [cell_text(v).strip() for v in values[header_row - 1]]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    check_duplicate_columns(file, header)
    rows, source_rows = [], []
    for i, record in enumerate(values[header_row:], start=header_row + 1):
        cells = [cell_text(v) for v in record][:width]
        cells += [""] * (width - len(cells))
        rows.append(cells)
        source_rows.append(i)
    # Trailing rows that are entirely empty are formatting, not respondents.
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
        source_rows.pop()
    return RawExport(
        file=file,
        columns=header,
        rows=rows,
        source_rows=source_rows,
        meta={"format": "xlsx", "sheet": ws.title, "decimal": "."},
    )


def read_export(path: Path, fmt: str, **options: str | int | None) -> RawExport:
    """Dispatch on the configured format; a missing file is a user error."""
    if not path.is_file():
        raise UserError(f"input file not found: {path}", hint="check 'path' in the study config")
    header_row = int(options.get("header_row") or 1)
    if fmt == "csv":
        return read_csv_export(
            path, encoding=options.get("encoding"), delimiter=options.get("delimiter"),
            header_row=header_row,
        )
    if fmt == "sav":
        return read_sav_export(path, encoding=options.get("encoding"))
    if fmt == "xlsx":
        return read_xlsx_export(path, sheet=options.get("sheet"), header_row=header_row)
    raise UserError(f"{path.name}: unknown format {fmt!r}; expected csv, sav or xlsx")
