"""Readers for the three export formats survey tools produce: CSV, SPSS .sav and Excel.

Each reader returns a :class:`RawExport`: every cell as the text a user sees in the file
(numbers without a spurious ``.0``, dates as ISO), the row number as the user finds it in
the file, and what the file itself declares (SPSS value labels and user-missing codes, the
CSV's encoding, delimiter and decimal mark). Interpreting the values against the codebook
is left to the validate and clean stages.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from pipeline.inputs.excel_errors import error_cells
from pipeline.study.errors import UserError, os_error
from pipeline.study.privacy import MAX_CELL_CHARS, redact_label

DELIMITERS = (";", ",", "\t", "|")


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


# --------------------------------------------------------------------------- CSV

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_SEP_LINE = re.compile(r"sep=(.)[ \t]*(?:\r\n|\n|\r|$)", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\n|\r")
HEADER_SEARCH_ROWS = 20  # rows searched for the expected column names
_QUOTE, _LF, _CR = 0x22, 0x0A, 0x0D


def detect_encoding(data: bytes | bytearray, override: str | None = None) -> str:
    """The encoding of a CSV export.

    A byte-order mark decides (UTF-8, UTF-16 or UTF-32, either byte order); UTF-16 without
    a mark is recognised by its zero bytes; otherwise UTF-8 when the bytes decode as UTF-8,
    else cp1252 (Dutch Windows Excel). ``override`` (the study config's ``encoding``)
    always wins.
    """
    if override:
        return override
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if b"\x00" in data[:4096]:
        head = data[:4096]
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > len(head) // 4 and even == 0:
            return "utf-16-le"
        if even > len(head) // 4 and odd == 0:
            return "utf-16-be"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if _cut_off(exc, data) and not data[: exc.start].isascii():
            return "utf-8"  # UTF-8 that ends in the middle of a character: _decode says so
        return "cp1252"
    return "utf-8"


def _cut_off(exc: UnicodeDecodeError, data: bytes | bytearray) -> bool:
    """Whether decoding failed only because the data end in the middle of a character."""
    return exc.end >= len(data) and exc.reason in ("unexpected end of data", "truncated data")


def detect_delimiter(text: str, override: str | None = None) -> str:
    """Pick the delimiter that splits the header into the most fields consistently.

    ``csv.Sniffer`` is easily fooled by free text, so we count candidates in the first few
    records parsed with each candidate and keep the one with the most, consistent fields.
    """
    if override:
        return override
    sample = text[:20000]
    best, best_score = ",", 0.0
    fallback, fallback_score = ",", 0.0
    for delim in DELIMITERS:
        try:
            records = list(_take(csv.reader(io.StringIO(sample, newline=""), delimiter=delim), 20))
        except csv.Error:
            continue
        if len(records) < 1:
            continue
        widths = [len(r) for r in records[:-1] or records]  # last record may be cut off
        header = widths[0]
        # When no delimiter splits the first line (a title row), the most common width
        # of the other records decides, so the title-row error can say where the header is.
        modal, count = Counter(widths[1:] or widths).most_common(1)[0]
        if modal >= 2 and modal * count / len(widths) > fallback_score:
            fallback, fallback_score = delim, modal * count / len(widths)
        if header < 2:
            continue
        consistency = sum(1 for w in widths if w == header) / len(widths)
        score = header * consistency
        if score > best_score:
            best, best_score = delim, score
    return best if best_score > 0 else fallback


def _take(iterator, n: int):
    for i, item in enumerate(iterator):
        if i >= n:
            break
        yield item


_THOUSANDS_POINT = re.compile(r"-?\d{1,3}(\.\d{3})+")  # 3.120: thousands, or 3 decimals
_THOUSANDS_COMMA = re.compile(r"-?\d{1,3}(,\d{3})+")
_DUTCH_NUMBER = re.compile(r"-?\d{1,3}(\.\d{3})+,\d+")  # 3.120,5: surely a decimal comma
_ENGLISH_NUMBER = re.compile(r"-?\d{1,3}(,\d{3})+\.\d+")  # 3,120.5: surely a decimal point
_COMMA_DECIMAL = re.compile(r"-?\d+,\d+")
_POINT_DECIMAL = re.compile(r"-?\d+\.\d+")


def detect_decimal(rows: list[list[str]], delimiter: str | None = None) -> str:
    """The decimal mark of a CSV: ``","`` or ``"."``.

    Counts the numbers that show their decimal mark unambiguously: ``2,5`` and
    ``3.120,5`` for a comma, ``2.5`` and ``3,120.5`` for a point. A number such as
    ``3.120`` (or ``3,120``) proves nothing: it is three thousand one hundred and twenty
    with a thousands separator, or 3.12 with three decimals; reading a Dutch file's
    ``3.120`` hours as 3.12 would be silently wrong by a factor of a thousand, so such cells
    are not counted. On a tie, a semicolon-separated file (how Dutch Excel writes CSV)
    has a decimal comma, any other a point. Each distinct cell is judged once.
    """
    comma = point = 0
    seen: set[str] = set()
    for row in rows[:2000]:
        for cell in row:
            c = cell.strip()
            if not c or c in seen or not c[-1].isdigit():
                continue
            seen.add(c)
            if _DUTCH_NUMBER.fullmatch(c):
                comma += 1
            elif _ENGLISH_NUMBER.fullmatch(c):
                point += 1
            elif _THOUSANDS_POINT.fullmatch(c) or _THOUSANDS_COMMA.fullmatch(c):
                continue
            elif _COMMA_DECIMAL.fullmatch(c):
                comma += 1
            elif _POINT_DECIMAL.fullmatch(c):
                point += 1
    if comma == point:
        return "," if delimiter == ";" else "."
    return "," if comma > point else "."


def _decode(file: str, data: bytes | bytearray, encoding: str | None) -> tuple[str, str]:
    enc = detect_encoding(data, encoding)
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        if isinstance(exc, UnicodeDecodeError) and _cut_off(exc, data):
            raise UserError(
                f"{file}, line {_line_of(data, len(data))}: the file ends in the middle of a "
                f"character ({enc}): the export was cut off",
                hint="export the file again and check it was copied completely",
            ) from exc
        bom = next((name for mark, name in _BOMS if data.startswith(mark)), None)
        hint = "set 'encoding' for this input in the study config (e.g. 'cp1252' or 'utf-8')"
        if bom and bom != enc:
            hint = (
                f"the file starts with a {bom.upper().replace('-SIG', '')} byte-order mark: "
                "remove the 'encoding' setting for this input, or re-save the file as UTF-8"
            )
        elif enc.startswith(("utf-16", "utf-32")):
            hint = f"the {enc.upper()} file is damaged or cut off: export it again as UTF-8"
        raise UserError(f"{file}: cannot decode the file as {enc}: {exc}", hint=hint) from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise UserError(
            f"{file}: the file contains NUL characters, so it is not a text CSV (read as {enc})",
            hint="if it is UTF-16 or UTF-32 without a byte-order mark, set 'encoding' for "
            "this input (e.g. 'utf-16-le'), or re-save the file as UTF-8 CSV",
        )
    return text, enc


# ----------------------------------------------------------------- limits while reading

#: A header with more columns than this is not a survey export (Excel's own maximum is
#: 16,384); the file stops as soon as its header has been read.
MAX_COLUMNS = 10_000
#: A physical line longer than this many bytes is not a survey record (10,000 columns of
#: 1,000 bytes each, or ten cells at the free-text limit): a file without line breaks,
#: or not a CSV at all.
MAX_LINE_BYTES = 10_000_000
#: Bytes read (and checked) at a time.
READ_CHUNK_BYTES = 1 << 24
_FIELD_START = np.zeros(256, dtype=bool)  # bytes after which a field starts
_FIELD_START[[ord(d) for d in DELIMITERS] + [_LF, _CR]] = True


def _probe_codec(head: bytes, override: str | None) -> str:
    """The encoding the first bytes are decoded with for the header check: the override
    (when Python knows it), a byte-order mark, the zero bytes of UTF-16, else UTF-8
    (cp1252 has the same delimiters and line breaks; undecodable bytes are replaced)."""
    if override:
        with contextlib.suppress(LookupError):
            return codecs.lookup(override).name
    name = detect_encoding(head)
    return "utf-8" if name == "cp1252" else name


def _ascii_compatible(codec: str) -> bool:
    """Whether the encoding writes quotes, delimiters and line breaks as single bytes."""
    sample = '"\n;,|\t'
    try:
        return sample.encode(codec.replace("utf-8-sig", "utf-8")) == sample.encode("ascii")
    except (LookupError, UnicodeError):
        return False


class _StreamLimits:
    """The limits of a CSV export, checked on each chunk as the file is read.

    * **Header width**: the header row (below a ``sep=`` line and ``header_row - 1``
      title rows) may have at most :data:`MAX_COLUMNS` fields; checked as soon as the
      header line is in, and on a part of it that already has too many.
    * **Line length**: no physical line may be longer than :data:`MAX_LINE_BYTES` bytes.
      Each chunk is searched for a line break in blocks of half that length (a few
      ``bytes.find`` calls per chunk); only a block without one is measured exactly.
    * **Cell size**: no quoted cell may hold more than :data:`pipeline.study.privacy.
      MAX_CELL_CHARS` characters: the quotes of each chunk are found with numpy, and the
      bytes from a quote that starts a field to the next quote are counted (UTF-8
      continuation bytes left out). A quote that is never closed is caught after that
      many characters, not at the end of the file. A quoted cell with doubled quotes
      inside, and an unquoted cell (bounded by the line length), are measured exactly by
      the parser later. Only for encodings that write ASCII as single bytes.

    A limit that is exceeded stops the read with a :class:`UserError` naming the file,
    the line and the limit.
    """

    def __init__(self, file: str, header_row: int, delimiter: str | None,
                 encoding: str | None) -> None:
        self.file = file
        self.header_row = header_row
        self.delimiter = delimiter
        self.encoding = encoding
        self.codec: str | None = None
        self.scan_quotes = False
        self.header_done = False
        self.run = 0  # bytes since the last line break
        self.quotes = 0  # quotes seen so far (their parity says whether a cell is open)
        self.open_at = -1  # where the open quoted cell starts (-1: none, -2: not a cell)

    def feed(self, buf: bytearray, start: int, end: int) -> None:
        """Check ``buf[start:end]``, the chunk just read (``buf[:start]`` was checked)."""
        if self.codec is None:
            self.codec = _probe_codec(bytes(buf[: min(end, 4096)]), self.encoding)
            self.scan_quotes = _ascii_compatible(self.codec)
        if not self.header_done:
            self._header(buf, end, final=False)
        self._lines(buf, start, end)
        if self.scan_quotes:
            self._quotes(buf, start, end)

    def finish(self, buf: bytearray) -> None:
        """The file has been read: a header line without a line break is complete."""
        if not self.header_done and self.codec is not None:
            self._header(buf, len(buf), final=True)

    # -- header width

    def _header(self, buf: bytearray, end: int, *, final: bool) -> None:
        assert self.codec is not None
        brk = b"\n" if buf.find(b"\n", 0, end) >= 0 else b"\r"
        pos, complete = 0, False
        for _ in range(self.header_row + 1):  # a sep= line, title rows and the header
            at = buf.find(brk, pos, end)
            if at < 0:
                break
            pos = at + 1
        else:
            complete = True
        text = bytes(buf[: pos if complete else end]).decode(self.codec, errors="replace")
        text = text.removeprefix("\ufeff")
        delimiter = self.delimiter
        sep = _SEP_LINE.match(text)
        if sep:
            delimiter = delimiter or sep.group(1)
            text = text[sep.end():]
        lines = _split_lines(text, self.header_row)
        if len(lines) < self.header_row:
            self.header_done = final
            return
        line = lines[-1]
        ended = line.endswith(("\n", "\r"))
        line = line.rstrip("\r\n")
        width, delim = max((line.count(d) + 1, d) for d in ([delimiter] if delimiter
                                                             else DELIMITERS))
        if width > MAX_COLUMNS and (ended or final) and '"' in line:
            with contextlib.suppress(csv.Error):  # quoted names may hold the delimiter
                width = len(next(csv.reader([line], delimiter=delim)))
        if width > MAX_COLUMNS:
            count = f"{width:,}" if ended or final else f"at least {width:,}"
            raise UserError(
                f"{self.file}: the header (row {self.header_row}) has {count} columns "
                f"(separated by {delim!r}); this pipeline reads at most {MAX_COLUMNS:,} "
                "columns",
                hint="a survey export has far fewer: check that 'path' points at the "
                "survey's export and that 'delimiter' and 'header_row' are right for "
                "this input in the study config",
            )
        self.header_done = ended or final

    # -- line length

    def _lines(self, buf: bytearray, start: int, end: int) -> None:
        first = _next_break(buf, start, end)
        if first < 0:
            self.run += end - start
            if self.run > MAX_LINE_BYTES:
                self._line_error(buf, end - self.run)
            return
        if self.run + first - start > MAX_LINE_BYTES:
            self._line_error(buf, first - (self.run + first - start))
        block = MAX_LINE_BYTES // 2
        for p in range(first + 1, end - block + 1, block):
            if _next_break(buf, p, p + block) >= 0:
                continue
            # A whole block without a line break: measure the line around it.
            before = max(buf.rfind(b"\n", first, p), buf.rfind(b"\r", first, p))
            after = _next_break(buf, p + block, end)
            if (after if after >= 0 else end) - before - 1 > MAX_LINE_BYTES:
                self._line_error(buf, before + 1)
        last = max(buf.rfind(b"\n", start, end), buf.rfind(b"\r", start, end))
        self.run = end - last - 1
        if self.run > MAX_LINE_BYTES:
            self._line_error(buf, last + 1)

    def _line_error(self, buf: bytearray, at: int) -> None:
        raise UserError(
            f"{self.file}, line {_line_of(buf, at)}: the line is longer than "
            f"{MAX_LINE_BYTES:,} bytes without a line break; this pipeline reads lines of "
            "at most that length",
            hint="check that 'path' points at the CSV export: a file without line breaks "
            "is not one (a binary file, or line breaks lost in copying)",
        )

    # -- cell size

    def _quotes(self, buf: bytearray, start: int, end: int) -> None:
        arr = np.frombuffer(buf, dtype=np.uint8, count=end - start, offset=start)
        found = np.flatnonzero(arr == _QUOTE) + start
        del arr
        carried = self.quotes % 2 == 1
        self.quotes += len(found)
        if carried:  # the first quote closes the cell opened in an earlier chunk
            opens = np.concatenate([[self.open_at], found[1::2]])
            closes = found[0::2]
        else:
            opens, closes = found[0::2], found[1::2]
        starts_field = np.ones(len(opens), dtype=bool)
        new = opens[1:] if carried else opens
        if len(new):
            view = np.frombuffer(buf, dtype=np.uint8, count=end)
            before = view[np.maximum(new - 1, 0)]
            starts_field[1 if carried else 0:] = (new == 0) | _FIELD_START[before]
            del view
        if carried:
            starts_field[0] = self.open_at >= 0
        n = len(closes)
        long = np.flatnonzero(starts_field[:n] & (closes - opens[:n] - 1 > MAX_CELL_CHARS))
        for k in long[:1]:
            self._cell_check(buf, int(opens[k]), int(closes[k]))
        if len(opens) > n:  # a cell still open at the end of the chunk
            self.open_at = int(opens[-1]) if starts_field[-1] else -2
            if self.open_at >= 0 and end - self.open_at - 1 > MAX_CELL_CHARS:
                self._cell_check(buf, self.open_at, end)
        else:
            self.open_at = -1

    def _cell_check(self, buf: bytearray, open_at: int, close_at: int) -> None:
        """Stop if the quoted cell from ``open_at`` to ``close_at`` holds more characters
        than the limit (counted as bytes that do not continue a UTF-8 character: exact in
        UTF-8, a lower bound in cp1252)."""
        cell = np.frombuffer(buf, dtype=np.uint8, count=close_at - open_at - 1,
                             offset=open_at + 1)
        chars = len(cell) - int(np.count_nonzero((cell & 0xC0) == 0x80))
        del cell
        if chars > MAX_CELL_CHARS:
            raise UserError(
                f"{self.file}, line {_line_of(buf, open_at)}: a quoted cell is longer than "
                f"{MAX_CELL_CHARS:,} characters, the longest free-text cell this pipeline "
                "accepts",
                hint="this is almost always a quote that is not closed; check the quotes "
                'in that row (a quote inside a quoted answer must be doubled: "")',
            )


def _next_break(buf: bytearray, start: int, end: int) -> int:
    """The first line break (``\\n`` or ``\\r``) in ``buf[start:end]``, or -1."""
    lf, cr = buf.find(b"\n", start, end), buf.find(b"\r", start, end)
    return min(lf, cr) if lf >= 0 and cr >= 0 else max(lf, cr)


def _line_of(buf: bytearray, at: int) -> int:
    """The physical line (1 = the first) that byte ``at`` is on."""
    lf = buf.count(b"\n", 0, at)
    return (lf if lf or buf.find(b"\n") >= 0 else buf.count(b"\r", 0, at)) + 1


def _read_limited(path: Path, *, header_row: int, delimiter: str | None,
                  encoding: str | None) -> bytearray:
    """The bytes of a CSV export, read :data:`READ_CHUNK_BYTES` at a time and checked
    against the limits as they come in (:class:`_StreamLimits`), so a file that breaks
    one stops after a bounded amount of reading (and memory), before anything is parsed."""
    limits = _StreamLimits(path.name, header_row, delimiter, encoding)
    buf = bytearray()
    with path.open("rb") as fh:
        while chunk := fh.read(READ_CHUNK_BYTES):
            start = len(buf)
            buf += chunk
            del chunk
            limits.feed(buf, start, len(buf))
    limits.finish(buf)
    return buf


def _split_lines(text: str, n: int) -> list[str]:
    """The first ``n`` physical lines of ``text``, each with its line break."""
    lines, pos = [], 0
    for m in _LINE_BREAK.finditer(text):
        if len(lines) == n:
            break
        lines.append(text[pos : m.end()])
        pos = m.end()
    if len(lines) < n and pos < len(text):
        lines.append(text[pos:])
    return lines


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


# --------------------------------------------------------------------------- SPSS


def read_sav_export(path: Path, *, encoding: str | None = None, fmt: str = "sav") -> RawExport:
    """An SPSS (``.sav``) or Stata (``.dta``, ``fmt="dta"``) file: codes as text, with the
    file's value labels and user-missing codes in the metadata (codes are read through
    their labels by validate)."""
    import pyreadstat

    file = redact_label(path.name)  # shown in messages and outputs
    tool = "SPSS" if fmt == "sav" else "Stata"
    try:
        if fmt == "sav":
            frame, meta = pyreadstat.read_sav(
                str(path), user_missing=True, apply_value_formats=False, encoding=encoding
            )
        else:  # Stata's extended missing values (.a-.z) are read as missing
            frame, meta = pyreadstat.read_dta(
                str(path), apply_value_formats=False, encoding=encoding
            )
    except Exception as exc:  # pyreadstat raises its own error types for bad files
        raise UserError(
            f"{file}: cannot read the {tool} file: {exc}",
            hint=f"check the file is a .{fmt} export; if text looks garbled, "
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
    columns = list(frame.columns)
    data = pd.DataFrame(
        {i: column_text(frame.iloc[:, i]) for i in range(len(columns))}, index=frame.index
    ).reset_index(drop=True)
    del frame
    return RawExport(
        file=file,
        columns=columns,
        data=data,
        row_numbers=np.arange(1, len(data) + 1, dtype=np.int64),
        row_label="case",
        meta={
            "format": fmt,
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
