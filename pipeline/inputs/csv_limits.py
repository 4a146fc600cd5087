"""The limits a CSV export must keep (header width, line length, cell size), checked
chunk by chunk while the file is read, so a file that is not a survey export stops after a
bounded amount of reading and memory, before anything is parsed."""

from __future__ import annotations

import codecs
import contextlib
import csv
from pathlib import Path

import numpy as np

from pipeline.inputs.csv_dialect import (
    _CR,
    _LF,
    _LINE_BREAK,
    _QUOTE,
    _SEP_LINE,
    DELIMITERS,
    _line_of,
    detect_encoding,
)
from pipeline.study.errors import UserError
from pipeline.study.privacy import MAX_CELL_CHARS

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
