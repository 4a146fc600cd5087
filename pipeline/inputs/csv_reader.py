"""The CSV reader: detects the dialect, checks the limits and the header, reads the
body (fast path first, the strict ``csv`` parser where it declines) and reports each record
with its row number as the user finds it in the file."""

from __future__ import annotations

import contextlib
import csv
import io
from collections import Counter
from pathlib import Path

import numpy as np

from pipeline.inputs.csv_dialect import (
    _SEP_LINE,
    DELIMITERS,
    _decode,
    detect_decimal,
    detect_delimiter,
)
from pipeline.inputs.csv_fast import _read_fast, _swallowed_lines
from pipeline.inputs.csv_limits import MAX_COLUMNS, _read_limited, _split_lines
from pipeline.inputs.export import (
    HEADER_SEARCH_ROWS,
    RawExport,
    ReadIssue,
    _suggest_header_row,
    check_duplicate_columns,
)
from pipeline.study.errors import UserError
from pipeline.study.privacy import MAX_CELL_CHARS, redact_label


def _check_header_width(
    file: str,
    header: list[str],
    records: list[list[str]],
    header_row: int,
    delim: str,
    text: str,
) -> None:
    """A header with fewer fields than most records is a title row, not the header."""
    wider = [len(r) for r in records if len(r) > len(header) and any(r[len(header) :])]
    if not records or len(wider) * 2 <= len(records):
        return
    width = Counter(wider).most_common(1)[0][0]
    first_lines = list(csv.reader(_split_lines(text, HEADER_SEARCH_ROWS), delimiter=delim))
    candidates = [i for i, r in enumerate(first_lines, start=1) if len(r) == width]
    hint = (
        f"set header_row = {candidates[0]} for this input in the study config"
        if candidates and candidates[0] != header_row
        else "check 'header_row' and 'delimiter' for this input in the study config"
    )
    raise UserError(
        f"{file}: the header (row {header_row}) has {len(header)} field(s) but "
        f"{len(wider)} of {len(records)} records have more (most often {width}): "
        "row {header_row} looks like a title row, not the column names".replace(
            "{header_row}", str(header_row)
        ),
        hint=hint,
    )


def _resplits_to(record: list[str], delim: str, width: int) -> str | None:
    """Another delimiter that splits this (short) record into the header's width or more."""
    line = delim.join(record)
    for other in DELIMITERS:
        if other != delim and other in line:
            try:
                fields = next(csv.reader([line], delimiter=other))
            except (csv.Error, StopIteration):
                continue
            if len(fields) >= width:
                return other
    return None




def _check_header(file: str, header: list[str], header_row: int, delim: str) -> None:
    """The header row must name the columns: not empty, not one column holding another
    delimiter, no duplicate names."""
    if not any(h.strip() for h in header):
        raise UserError(
            f"{file}: row {header_row} (the header row) is empty; expected the column names",
            hint="remove the empty lines above the header, or set header_row for this input",
        )
    if len(header) > MAX_COLUMNS:  # a header spread over lines (quoted line breaks)
        raise UserError(
            f"{file}: the header (row {header_row}) has {len(header):,} columns; this "
            f"pipeline reads at most {MAX_COLUMNS:,} columns"
        )
    others = [d for d in DELIMITERS if d != delim and d in header[0]] if len(header) == 1 else []
    if others:
        raise UserError(
            f"{file}: the header is one single column when split on {delim!r}, "
            f"but it contains {others[0]!r}: {header[0][:80]!r}",
            hint=f"set delimiter = {others[0]!r} for this input in the study config, "
            "or remove the wrong 'delimiter' setting so it is detected",
        )
    check_duplicate_columns(file, header)





def read_csv_export(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int = 1,
    expected_columns: list[str] | None = None,
    parser: str = "auto",
) -> RawExport:
    """Read a CSV export, checking that every record in the file is accounted for.

    Parameters
    ----------
    path : Path
        The export.
    encoding, delimiter : str, optional
        Overrides from the study config; detected when not given (see
        :func:`detect_encoding`, :func:`detect_delimiter`). Excel's ``sep=;`` first line
        sets the delimiter (unless overridden) and is not a row.
    header_row : int, default 1
        Row of the column names; the rows above it are title rows and are skipped.
    expected_columns : list of str, optional
        Column names the codebook expects. When the header row lacks some of them and
        another of the first 20 rows has more, the error says ``header_row = N``.
    parser : {"auto", "python"}, default "auto"
        ``"auto"`` reads with pandas' C parser when the vectorised integrity checks of
        :func:`_read_fast` pass, and with the strict Python parser otherwise;
        ``"python"`` always uses the strict parser. Both give the same result.

    Returns
    -------
    RawExport
        ``rows`` holds one entry per record of the file (a record may span lines when a
        quoted answer holds line breaks), ``source_rows`` its row number as a spreadsheet
        shows it (header = ``header_row``), ``issues`` the soft problems below, and
        ``meta`` the encoding, delimiter, decimal mark, ``records`` (records after the
        header, including blank lines at the end), ``blank_lines_at_end`` (dropped),
        ``lines`` (physical lines in the file), ``sep_line`` (whether an Excel
        ``sep=`` line was skipped) and ``parser`` (``"c"`` or ``"python"``).

    Raises
    ------
    UserError
        Naming file, row and line, for the hard problems below.

    Notes
    -----
    Record integrity. Hard errors (the data cannot be placed in columns without guessing):

    * **Unbalanced quote**: a quote that is never closed (the file ends inside it), a
      quote inside a quoted field that is not doubled (text after the closing quote), or
      a quoted field whose continuation lines each look like a whole record (``width - 1``
      delimiters or more; files with three or more columns).
    * **Truncated file**: the file ends without a line break in a record that has fewer
      fields than the header, or in the middle of a character (a UTF-8, UTF-16 or UTF-32
      file cut off; a UTF-8 file is no longer taken for cp1252 then).
    * **Different delimiter**: a record with too few fields that another delimiter splits
      into at least the header's number of fields.
    * **Too many fields**: a record with non-empty fields beyond the header. (Extra
      *empty* fields, trailing delimiters, are dropped silently.)
    * **Cell too long**: a cell longer than ``MAX_CELL_CHARS`` (1,000,000 characters,
      :data:`pipeline.study.privacy.MAX_CELL_CHARS`).
    * **Header in another row** (with ``expected_columns``), or a header that is one
      column while most records have several (title rows above the header).
    * **Limits**, checked while the file is read, before it is parsed
      (:class:`_StreamLimits`): more than :data:`MAX_COLUMNS` header fields, a line
      longer than :data:`MAX_LINE_BYTES` bytes, a quoted cell longer than
      ``MAX_CELL_CHARS``.

    Soft issues (returned in ``issues``, the record is kept): a record with fewer fields
    than the header that is none of the above, padded with empty cells
    (``kind = "short_record"``); a last record with all its fields but no line break
    after it (``kind = "possibly_truncated"``: if the file was cut off in its last cell,
    nothing else shows it). Blank lines at the end of the file are not records; they
    are dropped and counted in ``meta["blank_lines_at_end"]``. A blank line elsewhere is
    an empty row (the clean stage excludes it as ``empty_row``).
    """
    file = redact_label(path.name)  # shown in messages and outputs
    if delimiter is not None and len(delimiter) != 1:
        raise UserError(
            f"{file}: delimiter {delimiter!r} — expected one character",
            hint="set delimiter to ';', ',', '\\t' or '|' for this input in the study config",
        )
    data = _read_limited(path, header_row=header_row, delimiter=delimiter, encoding=encoding)
    text, enc = _decode(file, data, encoding)
    del data
    sep_line = _SEP_LINE.match(text)
    if sep_line:
        if not delimiter:
            delimiter = sep_line.group(1)
        text = text[sep_line.end() :]
    # Title lines above the header are skipped (title rows hold no quoted line breaks).
    title_lines = _split_lines(text, header_row - 1)
    if len(title_lines) < header_row - 1 or (
        header_row > 1 and not text[len("".join(title_lines)) :]
    ):
        raise UserError(f"{file}: the file has fewer than {header_row} rows (header_row)")
    offset = len("".join(title_lines))
    body = text[offset:]
    delim = detect_delimiter(body, delimiter)

    if expected_columns:
        head = "".join(_split_lines(text, HEADER_SEARCH_ROWS))
        per_delim = {}
        for d in [delimiter] if delimiter else DELIMITERS:
            with contextlib.suppress(csv.Error):
                per_delim[d] = list(csv.reader(_split_lines(head, HEADER_SEARCH_ROWS), delimiter=d))
        _suggest_header_row(file, per_delim, header_row, expected_columns)

    lines_above = len(title_lines) + (1 if sep_line else 0)
    fast = _read_fast(body, delim) if parser == "auto" else None
    if fast is not None:
        header, frame, blank_at_end, lines = fast
        ends_with_break = body.endswith(("\n", "\r"))
        del body, text
        _check_header(file, header, header_row, delim)
        n = len(frame)
        return RawExport(
            file=file,
            columns=[h.strip() for h in header],
            data=frame,
            row_numbers=np.arange(header_row + 1, header_row + 1 + n, dtype=np.int64),
            meta={
                "format": "csv",
                "encoding": enc,
                "delimiter": delim,
                "decimal": detect_decimal(frame.head(2000).astype(object).to_numpy().tolist(),
                                          delim),
                "records": n + blank_at_end,
                "blank_lines_at_end": blank_at_end,
                "lines": lines + lines_above,
                "sep_line": sep_line is not None,
                "parser": "c",
            },
            issues=[] if ends_with_break or not n else [_unterminated(file, header_row + n)],
        )
    records, lines = _parse_records(file, body, delim, header_row, lines_above)
    if not records:
        raise UserError(f"{file}: the file is empty; expected a header row")
    (header, _), records = records[0], records[1:]
    _check_header(file, header, header_row, delim)
    width = len(header)
    _check_header_width(file, header, [r for r, _ in records], header_row, delim, text)

    blank_at_end = 0
    while records and records[-1][0] == []:
        records.pop()
        blank_at_end += 1
    ends_with_break = body.endswith(("\n", "\r"))
    rows: list[list[str]] = []
    source_rows: list[int] = []
    issues: list[ReadIssue] = []
    for i, (record, first_line) in enumerate(records):
        row = header_row + 1 + i
        where = f"{file}, row {row} (line {first_line})"
        n = len(record)
        swallowed = _swallowed_lines(record, delim, width)
        if swallowed:
            raise UserError(
                f"{where}: a quoted field holds {swallowed} line(s) that look like whole "
                "records: a quote is not closed, so it swallowed the records after it",
                hint='find the unpaired " in that row (a quote inside a quoted answer '
                'must be doubled: "") and export or fix the file again',
            )
        if n > width:
            if any(c.strip() for c in record[width:]):
                raise UserError(
                    f"{where}: {n} fields but the header has {width}",
                    hint=f"check quoting of free text in that row (delimiter is {delim!r})",
                )
            record = record[:width]
        elif n < width and record:
            other = _resplits_to(record, delim, width)
            if other:
                raise UserError(
                    f"{where}: the record is separated by {other!r} while the header uses "
                    f"{delim!r}",
                    hint="the file mixes delimiters (probably two exports pasted together): "
                    "export it again with one delimiter",
                )
            if i == len(records) - 1 and not ends_with_break and not blank_at_end:
                raise UserError(
                    f"{where}: the file ends in the middle of this record ({n} of {width} "
                    "fields and no line break): the export was probably cut off",
                    hint="export the file again and check it was copied completely",
                )
            issues.append(
                ReadIssue(
                    row,
                    "short_record",
                    f"{where}: {n} fields but the header has {width}; the missing "
                    f"{width - n} trailing cell(s) are read as empty",
                )
            )
            record = record + [""] * (width - n)
        elif not record:
            record = [""] * width
        rows.append(record)
        source_rows.append(row)
    if rows and not ends_with_break:
        issues.append(_unterminated(file, source_rows[-1]))

    return RawExport(
        file=file,
        columns=[h.strip() for h in header],
        rows=rows,
        source_rows=source_rows,
        meta={
            "format": "csv",
            "encoding": enc,
            "delimiter": delim,
            "decimal": detect_decimal(rows, delim),
            "records": len(records) + blank_at_end,
            "blank_lines_at_end": blank_at_end,
            "lines": lines + lines_above,
            "sep_line": sep_line is not None,
            "parser": "python",
        },
        issues=issues,
    )


def _unterminated(file: str, row: int) -> ReadIssue:
    """The soft issue of a file whose last record is complete but has no line break."""
    return ReadIssue(
        row,
        "possibly_truncated",
        f"{file}, row {row} (the last record): the file ends without a line break after "
        "it; if the export was cut off, its last cell is incomplete: compare it with the "
        "source",
    )


def _parse_records(
    file: str, body: str, delim: str, header_row: int, lines_above: int
) -> tuple[list[tuple[list[str], int]], int]:
    """Every record of ``body`` with the physical line of the file it starts on.

    ``lines_above`` is the number of lines before ``body`` (a ``sep=`` line, title rows).
    Also returns the number of physical lines read. The csv module runs in strict mode, so
    an unclosed quote or text after a closing quote is an error, not a silent merge.
    """
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delim, strict=True)
    out: list[tuple[list[str], int]] = []
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL_CHARS)
    try:
        while True:
            start = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                row = header_row + len(out)
                where = f"{file}, row {row} (line {start + lines_above})"
                msg = str(exc)
                if "field larger than field limit" in msg:
                    raise UserError(
                        f"{where}: a cell is longer than {MAX_CELL_CHARS:,} characters, the "
                        "longest free-text cell this pipeline accepts",
                        hint="this is almost always a quote that is not closed; check the "
                        "quotes in that row",
                    ) from exc
                if "unexpected end of data" in msg:
                    raise UserError(
                        f"{where}: the file ends inside a quoted field: a quote in this "
                        "record is not closed (it swallowed every later record), or the "
                        "file was cut off",
                        hint='find the unpaired " in that row, or export the file again',
                    ) from exc
                raise UserError(
                    f"{where}: cannot parse the record: {msg} (a quote inside a quoted "
                    "answer that is not doubled?)",
                    hint='a quote inside a quoted answer must be written twice ("")',
                ) from exc
            out.append((record, start + lines_above))
    finally:
        csv.field_size_limit(old_limit)
    return out, reader.line_num
