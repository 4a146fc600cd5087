"""The fast path of the CSV reader: pandas' C parser (or Arrow) after cheap vectorised
integrity checks on the bytes; when any check fails the strict parser in
:mod:`pipeline.inputs.csv_reader` reads the file and says exactly what is wrong."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from pipeline.inputs.csv_dialect import _CR, _LF, _LINE_BREAK, _QUOTE
from pipeline.study.privacy import MAX_CELL_CHARS


def _swallowed_lines(record: list[str], delim: str, width: int) -> int:
    """Lines inside a multi-line field that look like whole records of their own.

    A legitimate free-text answer may span lines, but a continuation line holding a full
    record's worth of delimiters (``width - 1``) is a record swallowed by an unbalanced
    quote. Only judged for files of three or more columns.
    """
    if width < 3:
        return 0
    count = 0
    for cell in record:
        if "\n" in cell or "\r" in cell:
            count += sum(
                1 for line in _LINE_BREAK.split(cell)[1:] if line.count(delim) >= width - 1
            )
    return count


def _read_fast(body: str, delim: str) -> tuple[list[str], pd.DataFrame, int, int] | None:
    """Parse a CSV body with pandas' C parser after cheap, vectorised integrity checks.

    Returns ``(header, data, blank_lines_at_end, physical_lines)``, or None when any check
    fails: the strict Python parser (:func:`_parse_records`) then reads the file and says
    exactly what is wrong. The checks work on the UTF-8 bytes with numpy:

    * every quote is structural: an opening quote starts a field (or is the second of a
      doubled quote), a closing quote ends one (followed by the delimiter, a line break,
      the end of the data or a doubled quote), and the quotes pair up;
    * records are the line breaks outside quotes; every record that is not blank has
      exactly the header's number of fields (delimiters outside quotes + 1);
    * no record is longer than ``MAX_CELL_CHARS`` bytes (so no cell is longer than that
      many characters);
    * a record whose quoted field spans lines (rare) has no continuation line that looks
      like a whole record (checked with the csv module on just those records).

    Blank lines in the middle are empty rows, blank lines at the end are dropped, as in
    the strict parser.
    """
    d = delim.encode("utf-8")
    if len(d) != 1 or d in (b'"', b"\r", b"\n"):
        return None
    raw = body.encode("utf-8")
    arr = np.frombuffer(raw, dtype=np.uint8)
    n = len(arr)
    if n == 0:
        return None
    dbyte = d[0]
    quotes = np.flatnonzero(arr == _QUOTE)
    if len(quotes) % 2:
        return None
    boundary = np.zeros(256, dtype=bool)
    boundary[[dbyte, _LF, _CR]] = True
    if len(quotes):
        opens, closes = quotes[0::2], quotes[1::2]
        before = arr[np.maximum(opens - 1, 0)]
        at_start = (opens == 0) | boundary[before]
        doubled = np.zeros(len(opens), dtype=bool)
        doubled[1:] = opens[1:] == closes[:-1] + 1
        if not (at_start | doubled).all():
            return None
        after_pos = closes + 1
        at_end = after_pos >= n
        after = arr[np.minimum(after_pos, n - 1)]
        then_quote = np.zeros(len(closes), dtype=bool)
        then_quote[:-1] = after_pos[:-1] == opens[1:]
        if not (at_end | boundary[after] | then_quote).all():
            return None

    # Physical line breaks (\r\n, \n or a lone \r): start and end offsets.
    lf = np.flatnonzero(arr == _LF)
    cr = np.flatnonzero(arr == _CR)
    cr_next = arr[np.minimum(cr + 1, n - 1)]
    lone_cr = cr[(cr + 1 >= n) | (cr_next != _LF)]
    lf_start = lf - ((lf > 0) & (arr[np.maximum(lf - 1, 0)] == _CR))
    starts = np.concatenate([lf_start, lone_cr])
    ends = np.concatenate([lf + 1, lone_cr + 1])
    order = np.argsort(starts, kind="stable")
    br_start, br_end = starts[order], ends[order]
    del lf, cr, cr_next, lone_cr, lf_start, starts, ends, order
    lines = len(br_start) + (1 if (len(br_end) == 0 or br_end[-1] < n) else 0)

    outside = np.searchsorted(quotes, br_start) % 2 == 0
    rec_end = br_start[outside]
    rec_start = np.concatenate([[0], br_end[outside]])
    if rec_start[-1] < n:
        rec_end = np.concatenate([rec_end, [n]])
    else:
        rec_start = rec_start[:-1]
    if len(rec_start) == 0 or np.any(rec_end - rec_start > MAX_CELL_CHARS):
        return None
    blank = rec_end == rec_start
    if blank[0]:
        return None  # a blank header: the strict parser says so

    # Inside quotes: an odd number of quotes so far (a running XOR, one pass).
    inside = np.bitwise_xor.accumulate((arr == _QUOTE).view(np.uint8)) if len(quotes) else None
    delims = np.flatnonzero((arr == dbyte) & (inside == 0) if inside is not None
                            else arr == dbyte)
    del inside
    fields = np.searchsorted(delims, rec_end) - np.searchsorted(delims, rec_start) + 1
    del delims
    width = int(fields[0])
    if width < 2 or np.any(fields[~blank] != width):
        return None
    blank_at_end = 0
    while blank[len(blank) - 1 - blank_at_end] and blank_at_end < len(blank) - 1:
        blank_at_end += 1

    header = next(csv.reader([raw[rec_start[0] : rec_end[0]].decode("utf-8")], delimiter=delim))
    if len(header) != width:
        return None
    # Quoted fields spanning lines: check those records for swallowed records.
    inner = br_start[~outside]
    if len(inner) and width >= 3:
        multi = np.unique(np.searchsorted(rec_start, inner, side="right") - 1)
        for k in multi:
            text = raw[rec_start[k] : rec_end[k]].decode("utf-8")
            record = next(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
            if _swallowed_lines(record, delim, width):
                return None
    n_records = len(rec_start) - 1  # below the header, blank lines at the end included
    if n_records == 0:
        frame = pd.DataFrame({i: pd.Series([], dtype=object) for i in range(width)})
        return header, frame, blank_at_end, lines
    single_line_header = len(br_start) > 0 and br_start[0] == rec_end[0]
    if not blank[1 : len(blank) - blank_at_end].any() and single_line_header:
        frame = _arrow_csv(raw, delim, width, int((rec_end - rec_start).max()))
        if frame is not None and len(frame) == n_records - blank_at_end:
            return header, frame, blank_at_end, lines
    frame = pd.read_csv(
        io.BytesIO(raw),
        sep=delim,
        header=0,
        names=range(width),
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        quotechar='"',
        doublequote=True,
        encoding="utf-8",
        engine="c",
    )
    if len(frame) != n_records:
        return None  # the C parser saw the records differently: trust the strict parser
    if blank_at_end:
        frame = frame.iloc[: n_records - blank_at_end]
    return header, frame, blank_at_end, lines


def _arrow_csv(raw: bytes, delim: str, width: int, longest: int) -> pd.DataFrame | None:
    """Records after the header as categoricals of text, parsed by pyarrow (threads).

    Only for data that passed :func:`_read_fast`'s checks, with no blank line except at
    the end (pyarrow skips blank lines). Every value is text: nothing is read as null or
    as a number. None when pyarrow is not installed or fails.
    """
    try:
        import pyarrow as pa
        from pyarrow import csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    names = [str(i) for i in range(width)]
    text = pa.dictionary(pa.int32(), pa.string())
    try:
        table = pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, block_size=max(1 << 24, 2 * longest + 1)
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delim, quote_char='"', double_quote=True, escape_char=False,
                newlines_in_values=True, ignore_empty_lines=True,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, text), strings_can_be_null=False,
                quoted_strings_can_be_null=False, null_values=[], check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    frame = table.to_pandas()
    del table
    frame.columns = range(width)
    return frame
