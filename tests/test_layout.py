"""Page layout of the example report's PDF: no page is less than half full unless a new
chapter follows it, and nothing is printed outside the page's content box.

The fill of a page is measured from the text drawn on it (figures are vector SVG, so their
labels count as text too): the lowest text line inside the content box, as a share of the
box's height. Chapter starts are the first-level entries of the PDF outline (WeasyPrint
makes one per ``h2``), so the rule needs no knowledge of chapter titles.
"""

from __future__ import annotations

import io

import pypdf
import pytest

MM = 72 / 25.4
#: the @page margins of report.css (top 20 mm, bottom 22 mm, sides 18 mm)
TOP, BOTTOM, SIDE = 20 * MM, 22 * MM, 18 * MM
MIN_FILL = 0.5


Piece = tuple[float, float, str, float]  # x, y, text, font size in points on the page


def _pages(pdf: bytes) -> tuple[pypdf.PdfReader, list[list[Piece]]]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    pages = []
    for page in reader.pages:
        pieces: list[Piece] = []
        # WeasyPrint draws each SVG label into a form XObject; pypdf reports text inside
        # it in the XObject's coordinates: compose with the matrix in force at its ``Do``.
        outer: list[list[float]] = []

        def before(op, args, cm, tm, outer=outer):  # noqa: ANN001
            if op == b"Do":
                outer.append(list(cm))

        def after(op, args, cm, tm, outer=outer):  # noqa: ANN001
            if op == b"Do" and outer:
                outer.pop()

        def visit(text, cm, tm, font, size, pieces=pieces, outer=outer):  # noqa: ANN001
            if text.strip():
                # position in user space: text matrix, then the current transformation
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (cm[0] ** 2 + cm[1] ** 2) ** 0.5
                for m in reversed(outer):  # innermost XObject first
                    x, y = x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5]
                    scale *= (m[0] ** 2 + m[1] ** 2) ** 0.5
                pieces.append((x, y, text, size * scale))

        page.extract_text(visitor_text=visit, visitor_operand_before=before,
                          visitor_operand_after=after)
        pages.append(pieces)
    return reader, pages


def _chapter_starts(reader: pypdf.PdfReader) -> set[int]:
    """Pages where an outline entry of the first two levels starts (h1 and h2)."""
    starts = set()
    for item in reader.outline:
        for sub in item if isinstance(item, list) else [item]:
            if not isinstance(sub, list):
                starts.add(reader.get_destination_page_number(sub))
    return starts


def page_fill(pieces: list[Piece], height: float) -> float:
    """Share of the content box (between the top and bottom margins) above the lowest
    text line; 0 for a page without text in the box."""
    top, bottom = height - TOP, BOTTOM
    ys = [y for _, y, _, _ in pieces if bottom <= y <= top]
    if not ys:
        return 0.0
    return (top - min(ys)) / (top - bottom)


def test_page_fill_measures_the_lowest_line() -> None:
    height = 842.0
    box = height - TOP - BOTTOM
    # a line a quarter down the box and one at the page number (outside the box)
    pieces = [(60.0, height - TOP - box / 4, "text", 9.5), (290.0, BOTTOM / 2, "3 / 9", 8.5)]
    assert page_fill(pieces, height) == pytest.approx(0.25)
    assert page_fill([], height) == 0.0


@pytest.mark.parametrize("language", ["nl", "en"])
def test_no_page_is_less_than_half_full_unless_a_chapter_follows(example_outputs, language):
    name = "werktop_report.pdf" if language == "nl" else "werktop_report_en.pdf"
    path = example_outputs / "reports" / name
    assert path.exists(), f"{name}: the shared run renders both languages (tests/conftest.py)"
    reader, pages = _pages(path.read_bytes())
    starts = _chapter_starts(reader)
    assert len(starts) >= 8, "the outline should list every chapter"
    sparse = []
    for i, pieces in enumerate(pages[:-1]):
        if i + 1 in starts:
            continue
        height = float(reader.pages[i].mediabox.height)
        fill = page_fill(pieces, height)
        if fill < MIN_FILL:
            sparse.append(f"page {i + 1}: {fill:.0%} full")
    assert not sparse, sparse


def test_no_text_outside_the_page_box(example_outputs):
    """Nothing is clipped at the page edge (e.g. the last column of a wide table)."""
    reader, pages = _pages((example_outputs / "reports" / "werktop_report.pdf").read_bytes())
    outside = []
    for i, pieces in enumerate(pages):
        width = float(reader.pages[i].mediabox.width)
        for x, _, text, size in pieces:
            # pypdf joins runs into longer pieces whose width cannot be estimated; for a
            # short single cell (a number, a p-value) estimate its end from the font size
            # (about 0.58 em a glyph in DejaVu Sans) and allow a little slack
            short = len(text.strip()) <= 12 and "\n" not in text.strip()
            end = x + 0.58 * size * len(text.strip()) if short else x
            if x < SIDE - 2 or end > width - SIDE + 6:
                outside.append(f"page {i + 1}: {text.strip()[:30]!r} at x = {x:.0f}")
    assert not outside, outside[:10]


# ---------------------------------------------------------------- page breaks
# Checked on WeasyPrint's own layout boxes (the same layout the PDF is drawn from): every
# fragment of a table on a page holds at least MIN_ROWS body rows (or the whole table, if
# it is shorter), and no heading is the last thing on a page.

MIN_ROWS = 3


def _walk(box, ancestors=()):  # noqa: ANN001, ANN202
    """Every box under ``box`` in document order, with its ancestor boxes."""
    yield box, ancestors
    for child in getattr(box, "children", ()):
        yield from _walk(child, (*ancestors, box))


def _body_rows(table) -> int:  # noqa: ANN001
    return sum(1 for b, up in _walk(table)
               if type(b).__name__ == "TableRowBox" and up and up[-1].element_tag == "tbody")


_BLOCKS = ("h1", "h2", "h3", "h4", "p", "td", "th", "li", "dd", "dt", "caption",
           "figcaption", "svg")
_HEADINGS = ("h2", "h3", "h4", "caption")


def layout_problems(html: str) -> list[str]:
    """Table fragments with fewer than ``MIN_ROWS`` body rows (of a longer table) and pages
    whose last text is a heading, as 'page N: ...' lines."""
    from weasyprint import HTML

    from pipeline.stages.render import TEMPLATE_DIR

    document = HTML(string=html, base_url=str(TEMPLATE_DIR)).render()
    totals: dict[int, int] = {}
    fragments: list[tuple[int, str, int, int]] = []
    problems = []
    for number, page in enumerate(document.pages, start=1):
        last = None
        for box, up in _walk(page._page_box):
            if any(type(a).__name__ == "MarginBox" for a in up):
                continue
            if type(box).__name__ == "TableBox":
                rows = _body_rows(box)
                key = id(box.element)
                totals[key] = totals.get(key, 0) + rows
                fragments.append((number, box.element.get("id") or box.element.tag, key, rows))
            if type(box).__name__ == "TextBox" and box.text.strip():
                block = next((a.element_tag for a in reversed(up) if a.element_tag in _BLOCKS),
                             None)
                last = (block, box.text.strip())
        if last is not None and last[0] in _HEADINGS:
            problems.append(f"page {number}: ends with heading {last[1][:40]!r}")
    for number, name, key, rows in fragments:
        if totals[key] > rows and rows < MIN_ROWS:
            problems.append(f"page {number}: table {name} fragment with {rows} of "
                            f"{totals[key]} body rows")
    return problems


def test_layout_problems_are_found() -> None:
    """A table forced across a page with one row on the second page, and a heading pushed
    to the foot of a page, are both reported."""
    rows = "".join(f"<tr><td>{i}</td></tr>" for i in range(6))
    table = f"<table id='t'><thead><tr><th>h</th></tr></thead><tbody>{rows}</tbody></table>"
    html = ("<html><body><p style='height: 230mm; margin: 0'>x</p><h3>Kop</h3>"
            "<div style='break-before: page'></div>"
            f"<p style='height: 236mm; margin: 0'>x</p>{table}</body></html>")
    problems = layout_problems(html)
    assert any("ends with heading 'Kop'" in p for p in problems), problems
    assert any("table t fragment" in p for p in problems), problems


@pytest.mark.parametrize("language", ["nl", "en"])
def test_no_short_table_fragment_and_no_heading_at_a_page_foot(example_outputs, language):
    name = "werktop_report.html" if language == "nl" else "werktop_report_en.html"
    path = example_outputs / "reports" / name
    assert path.exists(), f"{name}: the shared run renders both languages (tests/conftest.py)"
    assert layout_problems(path.read_text(encoding="utf-8")) == []
