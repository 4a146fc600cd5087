"""How a CSV export is written: its encoding (byte-order marks, UTF-16 zero bytes,
cp1252), its delimiter (a ``sep=`` line or the most consistent candidate) and its decimal
mark (Dutch ``3,1`` and ``3.120`` against English ``3.1`` and ``3,120``)."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

from pipeline.study.errors import UserError

DELIMITERS = (";", ",", "\t", "|")
_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_SEP_LINE = re.compile(r"sep=(.)[ \t]*(?:\r\n|\n|\r|$)", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\n|\r")
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


def _line_of(buf: bytearray, at: int) -> int:
    """The physical line (1 = the first) that byte ``at`` is on."""
    lf = buf.count(b"\n", 0, at)
    return (lf if lf or buf.find(b"\n") >= 0 else buf.count(b"\r", 0, at)) + 1
