"""``results/tables.xlsx``: every results table in one workbook, for analysts who use Excel.

Written at the end of the analyze stage from the very frames it writes as CSV:

- a **README** sheet first: what the workbook is, a prominent notice when the study is
  synthetic, then one row per results table: its sheet, description, CSV file, and where it
  appears in the report (table and figure numbers from :class:`pipeline.report.numbering.References`
  over the chapter registry; ``Chapter.exhibit_tables`` maps an exhibit to the table it
  shows, a figure names the tables it is drawn from); in the report language (the study
  config's ``[study] language``: Dutch by default, or English, :data:`TEXT`);
- a **columns** sheet: the data dictionary (table, column, type, description from the
  catalog's ``RESULT_COLUMNS`` or the table's ``extra_columns``);
- one sheet per results table, named after it (at most 31 characters, unique), with the
  column names in a frozen first row (each header cell carries the column's description as a
  comment, so the sheet itself stays one header row + data and reads straight into pandas),
  an autofilter and column widths fitted to the content.

Cells hold full precision; only the display format rounds:

===================================  ==================================================
column                               display format
===================================  ==================================================
integer type (counts)                ``0``
p-values (``p_val``, ``p_adj``,      ``0.000``
``p_*`` whose description says
"p-value")
proportions (description starts      ``0.0%``
with "Proportion"/"Share", or
``attainment``)
other numbers (estimates, CIs)       ``0.00``
booleans                             stored as TRUE/FALSE
===================================  ==================================================

Text cells a spreadsheet would run as a formula are neutralised with
:func:`pipeline.outputs.io.neutralise_formulas` (a leading ``'``), so no cell is ever a formula.
NaN is an empty cell; an infinite value (an odds ratio with an empty cell) is the text
``inf`` / ``-inf`` (Excel has no infinity).

Deterministic bytes: the document properties carry a fixed date, and the zip container is
rewritten with fixed entry timestamps and order (:func:`normalise_zip`), so two runs on the
same results give identical files.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.outputs.catalog import column_info
from pipeline.outputs.io import neutralise_formulas, write_bytes
from pipeline.report.chapter import Chapter, TableSpec
from pipeline.report.numbering import References

#: Date stamped into the workbook's properties and zip entries (the month of the 2014 report).
FIXED_TIMESTAMP = dt.datetime(2014, 6, 1, 0, 0, 0)
#: Excel's limit on sheet names, and the characters it forbids in them.
SHEET_NAME_MAX = 31
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
README_SHEET = "README"
COLUMNS_SHEET = "columns"
#: The workbook's own text per report language (``[study] language``). Sheet names, table
#: and column names stay the same in every language (scripts read them); the descriptions
#: of tables and columns come from the catalog and are English.
TEXT: dict[str, dict[str, str | tuple[str, ...]]] = {
    "en": {
        "title": "{title}: results tables",
        "notice": "SYNTHETIC DATA — not the findings of the 2014 evaluation.",
        "header_notice": "SYNTHETIC DATA",
        "about": (
            "One sheet per results table (results/tables/<table>.csv holds the same values). "
            "Cells keep full precision; the display formats only round.",
            "Formats: counts 0; p-values 0.000; proportions 0.0%; other estimates 0.00. "
            "An empty cell is a missing value ('not computable' rows say why in 'note').",
            "Column descriptions: hover over a column header, or see the 'columns' sheet. "
            "Text that starts with = + - @ is shown with a leading ' so it never runs as a "
            "formula.",
        ),
        "readme_columns": ("Sheet", "Results table", "In the report", "Description",
                           "CSV file"),
        "columns_columns": ("Sheet", "Column", "Type", "Display format", "Description"),
        "table": "Table",
        "figure": "Figure",
        "not_shown": "(not shown)",
    },
    "nl": {
        "title": "{title}: resultaattabellen",
        "notice": "SYNTHETISCHE GEGEVENS — geen bevindingen van de evaluatie uit 2014.",
        "header_notice": "SYNTHETISCHE GEGEVENS",
        "about": (
            "Eén werkblad per resultaattabel (results/tables/<tabel>.csv bevat dezelfde "
            "waarden). Cellen bevatten de volle precisie; alleen de weergave rondt af.",
            "Weergave: aantallen zonder decimalen; p-waarden met 3 decimalen; proporties als "
            "percentage met 1 decimaal; overige schattingen met 2 decimalen. Een lege cel is "
            "een ontbrekende waarde (bij 'not computable' staat in 'note' waarom).",
            "Beschrijving van een kolom: houd de muis boven de kolomkop, of zie het werkblad "
            "'columns'. Tekst die begint met = + - @ krijgt een ' vooraan, zodat die nooit "
            "als formule wordt uitgevoerd.",
            "Namen en beschrijvingen van tabellen en kolommen zijn Engels, zoals in "
            "results/tables/datapackage.json.",
        ),
        "readme_columns": ("Werkblad", "Resultaattabel", "In het rapport", "Beschrijving",
                           "CSV-bestand"),
        "columns_columns": ("Werkblad", "Kolom", "Type", "Weergave", "Beschrijving"),
        "table": "Tabel",
        "figure": "Figuur",
        "not_shown": "(niet in het rapport)",
    },
}
#: Display formats (see the module docstring).
FORMAT_COUNT = "0"
FORMAT_P = "0.000"
FORMAT_PERCENT = "0.0%"
FORMAT_ESTIMATE = "0.00"
_P_NAMES = re.compile(r"p_(val|adj)(_.*)?|p|p_value")
_PROPORTION_WORDS = ("proportion", "share")
_WIDTH_MIN, _WIDTH_MAX = 8, 60
_NOTICE_FILL = "FFF4EC"
_NOTICE_INK = "D55E00"
_HEADER_FILL = "DCE6F1"


# ---------------------------------------------------------------- pure helpers


def sheet_names(tables: Iterable[str]) -> dict[str, str]:
    """A valid, unique Excel sheet name for every table name (in the given order).

    Names are cut to 31 characters with forbidden characters replaced by ``_``; a name
    that is already taken (by README, columns or an earlier table, case-insensitively)
    gets a ``~2``, ``~3``, … suffix inside the limit.
    """
    taken = {README_SHEET.lower(), COLUMNS_SHEET.lower()}
    out: dict[str, str] = {}
    for table in tables:
        base = _FORBIDDEN.sub("_", table).strip("'") or "table"
        name = base[:SHEET_NAME_MAX]
        k = 1
        while name.lower() in taken:
            k += 1
            suffix = f"~{k}"
            name = base[: SHEET_NAME_MAX - len(suffix)] + suffix
        taken.add(name.lower())
        out[table] = name
    return out


def number_format(column: str, kind: str, description: str) -> str | None:
    """The display format of a results column (``None``: text or boolean, no format)."""
    if kind == "integer":
        return FORMAT_COUNT
    if kind != "number":
        return None
    text = description.lower()
    if _P_NAMES.fullmatch(column) or (column.startswith("p_") and "p-value" in text):
        return FORMAT_P
    if text.startswith(_PROPORTION_WORDS) or column == "attainment":
        return FORMAT_PERCENT
    return FORMAT_ESTIMATE


def report_locations(
    chapters: Sequence[Chapter], absent: Iterable[str] = (), language: str = "en"
) -> dict[str, list[str]]:
    """Where each results table appears in the report: ``{"unit_attainment": ["Table 3",
    "Figure 1"], …}`` (``Tabel 3``, ``Figuur 1`` in Dutch), numbered as the report numbers
    them (absent chapters show nothing)."""
    words = _text(language)
    absent = set(absent)
    numbers = References(chapters, absent=absent).exhibits
    figure_tables = {f.name: f.tables for c in chapters for f in c.figures}
    out: dict[str, list[str]] = {}
    for chapter in chapters:
        if chapter.key in absent:
            continue
        for exhibit in chapter.exhibits:
            kind, _, name = exhibit.partition(":")
            if kind == "table":
                shown: Sequence[str] = (chapter.exhibit_tables.get(name, name),)
                label = str(words["table"])
            else:
                shown = figure_tables.get(name, ())
                label = str(words["figure"])
            for table in shown:
                out.setdefault(table, []).append(f"{label} {numbers[exhibit]}")
    return out


def _text(language: str) -> dict[str, str | tuple[str, ...]]:
    try:
        return TEXT[language]
    except KeyError:
        raise ValueError(f"workbook language {language!r}: expected one of {list(TEXT)}") \
            from None


def _column_width(header: str, values: pd.Series, fmt: str | None) -> float:
    if values.empty:
        longest = 0
    elif fmt is not None:
        longest = 12  # numbers are shown rounded; a fixed width fits them
    else:
        lengths = values.astype("string").str.len().dropna()  # all-blank columns: no length
        longest = int(lengths.max()) if len(lengths) else 0
    return float(min(max(len(header) + 2, longest + 2, _WIDTH_MIN), _WIDTH_MAX))


def _cell_values(series: pd.Series) -> list[object]:
    """Python values for openpyxl: numbers as numbers, NaN as None, ±inf as text."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return [None if pd.isna(v) else bool(v) for v in series.astype(object)]
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.astype("float64").to_numpy()
        as_int = pd.api.types.is_integer_dtype(series.dtype)
        out = values.astype(object)
        out[np.isnan(values)] = None
        out[np.isposinf(values)] = "inf"
        out[np.isneginf(values)] = "-inf"
        if as_int:
            finite = np.isfinite(values)
            out[finite] = values[finite].astype(np.int64).astype(object)
        return out.tolist()
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def text(value: object) -> object:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return None
        if isinstance(value, str):
            return ILLEGAL_CHARACTERS_RE.sub("", value)
        return value

    return [text(v) for v in series.astype(object)]


def normalise_zip(data: bytes, timestamp: dt.datetime = FIXED_TIMESTAMP) -> bytes:
    """Rewrite an xlsx (a zip) with fixed entry timestamps, permissions and order, and
    fixed ``dcterms:created``/``modified`` in ``docProps/core.xml``: reproducible bytes."""
    stamp = timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    names = sorted(names, key=lambda s: (s != "[Content_Types].xml", names.index(s)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in names:
            content = src.read(name)
            if name == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    rb"\g<1>" + stamp.encode("ascii") + rb"\g<3>",
                    content,
                )
            info = zipfile.ZipInfo(name, date_time=timestamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, content)
    return out.getvalue()


# ---------------------------------------------------------------- the workbook


def workbook_bytes(
    tables: Mapping[str, pd.DataFrame],
    specs: Mapping[str, TableSpec],
    chapters: Sequence[Chapter],
    study: Mapping[str, object],
    absent: Iterable[str] = (),
) -> bytes:
    """The workbook as reproducible bytes.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        The results tables by name, in the order the analyze stage wrote them.
    specs : mapping of str to TableSpec
        Each table's contract (description, columns, ``extra_columns``).
    chapters : sequence of Chapter
        The report's chapters in registry order (for table and figure numbers).
    study : mapping
        ``stats["study"]``: ``title``, ``synthetic`` and ``language`` (of the README and
        columns sheets' text: ``nl``, the default, or ``en``) are used.
    absent : iterable of str
        Keys of chapters whose source the study lacks (their exhibits take no numbers).

    Returns
    -------
    bytes
        The ``.xlsx`` file. No cell is a formula; numbers are numbers.
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    synthetic = bool(study.get("synthetic"))
    title = str(study.get("title", ""))
    words = _text(str(study.get("language", "nl")))
    heading = str(words["title"]).format(title=title)
    names = sheet_names(tables)
    where = report_locations(chapters, absent, str(study.get("language", "nl")))
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor=_HEADER_FILL)

    wb = Workbook()
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    wb.properties.creator = "werktop-eval"
    wb.properties.lastModifiedBy = "werktop-eval"
    wb.properties.title = (f"{words['header_notice']} — " if synthetic else "") + heading

    # README ------------------------------------------------------------------
    readme = wb.active
    readme.title = README_SHEET
    row = 1
    readme.cell(row, 1, heading).font = Font(bold=True, size=14)
    row += 1
    if synthetic:
        cell = readme.cell(row, 1, str(words["notice"]))
        cell.font = Font(bold=True, size=13, color=_NOTICE_INK)
        cell.fill = PatternFill("solid", fgColor=_NOTICE_FILL)
        readme.sheet_properties.tabColor = _NOTICE_INK
        row += 1
    for line in words["about"]:
        readme.cell(row, 1, line)
        row += 1
    row += 1
    header_row = row
    for col, text in enumerate(words["readme_columns"], start=1):
        cell = readme.cell(row, col, text)
        cell.font = bold
        cell.fill = header_fill
    for table in tables:
        row += 1
        values = (
            names[table],
            table,
            ", ".join(where.get(table, [])) or str(words["not_shown"]),
            specs[table].description,
            f"results/tables/{table}.csv",
        )
        for col, value in enumerate(values, start=1):
            readme.cell(row, col, value)
        readme.cell(row, 1).hyperlink = f"#'{names[table]}'!A1"
        readme.cell(row, 1).style = "Hyperlink"
        readme.cell(row, 4).alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in enumerate((30, 30, 22, 70, 38), start=1):
        readme.column_dimensions[get_column_letter(col)].width = width
    readme.freeze_panes = readme.cell(header_row + 1, 1)

    # columns (data dictionary) ---------------------------------------------------
    dictionary = wb.create_sheet(COLUMNS_SHEET)
    for col, text in enumerate(words["columns_columns"], start=1):
        cell = dictionary.cell(1, col, text)
        cell.font = bold
        cell.fill = header_fill
    row = 1
    for table, frame in tables.items():
        for column in frame.columns:
            kind, description = column_info(specs[table], column)
            row += 1
            fmt = number_format(column, kind, description)
            for col, value in enumerate(
                (names[table], column, kind, fmt or "", description), start=1
            ):
                dictionary.cell(row, col, value)
    for col, width in enumerate((30, 24, 10, 14, 90), start=1):
        dictionary.column_dimensions[get_column_letter(col)].width = width
    dictionary.freeze_panes = "A2"

    # one sheet per table ---------------------------------------------------------
    for table, frame in tables.items():
        ws = wb.create_sheet(names[table])
        if synthetic:
            ws.sheet_properties.tabColor = _NOTICE_INK
            ws.oddHeader.center.text = str(words["header_notice"])
        safe = neutralise_formulas(frame)
        for j, column in enumerate(frame.columns, start=1):
            kind, description = column_info(specs[table], column)
            fmt = number_format(column, kind, description)
            header = safe.columns[j - 1]
            cell = ws.cell(1, j, header)
            cell.font = bold
            cell.fill = header_fill
            comment = Comment(f"{description} [{kind}]", "werktop-eval")
            comment.width, comment.height = 300, 120
            cell.comment = comment
            values = _cell_values(safe.iloc[:, j - 1])
            for i, value in enumerate(values, start=2):
                c = ws.cell(i, j, value)
                if fmt is not None and isinstance(value, (int, float)) \
                        and not isinstance(value, bool):
                    c.number_format = fmt
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = _column_width(
                str(header), safe.iloc[:, j - 1], fmt
            )
        ws.freeze_panes = "A2"
        if frame.shape[1]:
            ws.auto_filter.ref = f"A1:{get_column_letter(frame.shape[1])}{len(frame) + 1}"

    buf = io.BytesIO()
    wb.save(buf)
    return normalise_zip(buf.getvalue())


def write_workbook(
    path: Path,
    tables: Mapping[str, pd.DataFrame],
    specs: Mapping[str, TableSpec],
    chapters: Sequence[Chapter],
    study: Mapping[str, object],
    absent: Iterable[str] = (),
) -> Path:
    """Write :func:`workbook_bytes` atomically to ``path`` (``results/tables.xlsx``)."""
    return write_bytes(path, workbook_bytes(tables, specs, chapters, study, absent))
