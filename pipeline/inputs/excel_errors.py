"""The cells of an Excel sheet that show an error (``#DIV/0!``, ``#N/A``, ``#REF!`` …).

Neither Excel engine of :mod:`pipeline.inputs.xlsx_reader` tells an error cell apart from an empty
one in the values it returns (calamine returns ``""``; openpyxl the error's text, the same
as a text cell that reads ``#N/A``), so both ask this module, which reads the sheet's XML
in the workbook: an error cell is written ``<c r="B7" t="e"><v>#DIV/0!</v></c>``. Both
engines therefore find the same error cells.

The sheet's XML is decompressed in chunks and searched for ``t="e"`` with ``bytes.find``;
only the error cells themselves are looked at in Python, so a sheet without errors costs
one decompression. A writer that leaves out the optional cell reference (``r``) of an
error cell makes us walk the sheet's XML element by element instead (rare).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from pathlib import Path
from typing import IO, NamedTuple
from xml.etree import ElementTree
from xml.sax.saxutils import unescape

#: The errors Excel shows in a cell (``#GETTING_DATA`` and newer ones are read as well).
ERROR_TEXTS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")

_CHUNK = 1 << 24  # decompressed bytes looked at a time
_MARKS = (b't="e"', b"t='e'")
_CELL_OPEN = re.compile(rb"<(?:[\w.-]+:)?c\s")
_REF = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]{1,3})(\d+)["']""")
_VALUE = re.compile(
    rb"""\s*(?:<(?:[\w.-]+:)?f\b[^>]*/>\s*|<(?:[\w.-]+:)?f\b[^>]*>[^<]*</(?:[\w.-]+:)?f>\s*)?"""
    rb"""<(?:[\w.-]+:)?v>([^<]*)</(?:[\w.-]+:)?v>"""
)
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


class ErrorCell(NamedTuple):
    """One cell showing an error: ``row`` as Excel numbers it (1 = the first row),
    ``column`` 0-based (A = 0), ``text`` what the cell shows (``#DIV/0!``)."""

    row: int
    column: int
    text: str


def column_index(letters: str) -> int:
    """``"A"`` -> 0, ``"Z"`` -> 25, ``"AA"`` -> 26."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def error_cells(path: Path, sheet: str) -> list[ErrorCell]:
    """Every cell of ``sheet`` that shows an error, in sheet order.

    An empty list when the workbook is not an Office Open XML file (``.xls``, ``.ods``)
    or the sheet cannot be found in it: the caller has read the values already, so this
    only adds what the values cannot say.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            part = _sheet_part(zf, sheet)
            if part is None:
                return []
            with zf.open(part) as fh:
                cells, complete = _scan(fh)
            if not complete:  # an error cell without its reference: walk the XML
                with zf.open(part) as fh:
                    cells = _walk(fh)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError, zlib.error):
        return []
    return cells


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_part(zf: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding the XML of the sheet named ``sheet``."""
    names = set(zf.namelist())
    workbook = "xl/workbook.xml"
    if "_rels/.rels" in names:
        for rel in ElementTree.fromstring(zf.read("_rels/.rels")):
            if rel.get("Type", "").endswith("/officeDocument"):
                workbook = rel.get("Target", workbook).lstrip("/")
    if workbook not in names:
        return None
    rel_id = None
    for element in ElementTree.fromstring(zf.read(workbook)).iter():
        if _local(element.tag) == "sheet" and element.get("name") == sheet:
            rel_id = element.get(_REL) or next(
                (v for k, v in element.attrib.items() if _local(k) == "id"), None)
            break
    folder, base = posixpath.split(workbook)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    if rel_id is None or rels not in names:
        return None
    for rel in ElementTree.fromstring(zf.read(rels)):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(folder, target))
            return part if part in names else None
    return None


def _scan(fh: IO[bytes]) -> tuple[list[ErrorCell], bool]:
    """Error cells found by their ``t="e"`` mark; False when one has no reference."""
    cells: list[ErrorCell] = []
    carry = b""
    while True:
        chunk = fh.read(_CHUNK)
        data = carry + chunk
        # Look at whole cells only: the last cell may go on in the next chunk.
        cut = _last_cell_start(data) if chunk else len(data)
        head, carry = data[:cut], data[cut:]
        for mark in _MARKS:
            at = head.find(mark)
            while at >= 0:
                cell = _cell_at(head, at)
                if cell is False:
                    return cells, False
                if cell is not None:
                    cells.append(cell)
                at = head.find(mark, at + 1)
        if not chunk:
            break
    cells.sort(key=lambda c: (c.row, c.column))
    return cells, True


def _last_cell_start(data: bytes) -> int:
    """Where the last cell's start tag begins in ``data`` (0 when there is none)."""
    at = data.rfind(b"<")
    while at > 0 and not _CELL_OPEN.match(data, at):
        at = data.rfind(b"<", 0, at)
    return max(at, 0)


def _cell_at(data: bytes, at: int) -> ErrorCell | None | bool:
    """The error cell whose tag holds the ``t="e"`` mark at ``at``: None when the mark is
    not in a cell's start tag (or the cell holds no value), False when the cell has no
    reference."""
    start = data.rfind(b"<", 0, at)
    end = data.find(b">", at)
    if start < 0 or end < 0 or not data[at - 1 : at].isspace() or not _CELL_OPEN.match(
        data, start
    ):
        return None
    tag = data[start:end]
    if tag.endswith(b"/"):
        return None  # <c t="e"/>: no value, shown empty
    value = _VALUE.match(data, end + 1)
    if value is None:
        return None
    ref = _REF.search(tag)
    if ref is None:
        return False
    text = unescape(value.group(1).decode("utf-8", errors="replace")).strip()
    return ErrorCell(int(ref.group(2)), column_index(ref.group(1).decode("ascii")), text)


def _walk(fh: IO[bytes]) -> list[ErrorCell]:
    """Error cells by walking every row and cell (references optional, as the format
    allows: a missing one is the next row or column)."""
    cells: list[ErrorCell] = []
    row, column = 0, -1
    for event, element in ElementTree.iterparse(fh, events=("start", "end")):
        name = _local(element.tag)
        if event == "start" and name == "row":
            r = element.get("r")
            row, column = (int(r) if r else row + 1), -1
        elif event == "end" and name == "c":
            ref = element.get("r")
            match = re.fullmatch(r"([A-Za-z]{1,3})(\d+)", ref or "")
            column = column_index(match.group(1)) if match else column + 1
            if element.get("t") == "e":
                value = next((e.text for e in element if _local(e.tag) == "v"), None)
                if value is not None:
                    cells.append(ErrorCell(row, column, value.strip()))
            element.clear()
        elif event == "end" and name == "row":
            element.clear()
    return cells
