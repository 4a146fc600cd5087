"""The HTML report in a real browser (headless Chromium through Playwright).

At 1280 px (desktop) and 390 px (a phone) the page itself never scrolls sideways: wide
tables scroll inside their own ``div.table-wrap`` box, figures fill the width. The figures'
labels are drawn with the report's bundled web font, not a system font. Screenshots
of both widths are saved to a temporary folder (or to ``$WERKTOP_SCREENSHOTS`` if set) for
looking at. Skipped, with the reason, where Playwright or a Chromium binary is missing
(``pip install playwright`` and ``apt-get install -y chromium``; Playwright's own browser
download is not used).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

WIDTHS = (1280, 390)
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Page width, viewport width, and every element (outside a scrolling table box) whose right
# edge sticks out of the viewport.
MEASURE = """() => {
  const d = document.documentElement;
  const inside = (el) => el.closest('.table-wrap, table.data, table.meta') !== null;
  const wide = [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > innerWidth + 0.5 && !inside(el))
    .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''));
  const boxes = [...document.querySelectorAll('table.data')].map((t) => {
    const box = t.closest('.table-wrap') || t;
    return {id: t.id, boxWidth: box.getBoundingClientRect().width,
            overflowX: getComputedStyle(box).overflowX,
            tableWidth: t.scrollWidth};
  });
  const figures = [...document.querySelectorAll('figure.figure svg')].map((svg) => ({
    width: svg.getBoundingClientRect().width,
    room: svg.closest('figure').getBoundingClientRect().width}));
  return {scrollWidth: d.scrollWidth, innerWidth: innerWidth, wide: wide.slice(0, 20),
          boxes: boxes, figures: figures};
}"""


def _chromium() -> str | None:
    explicit = os.environ.get("WERKTOP_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install playwright)"
    )
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium binary found (apt-get install -y chromium, or set "
                    "WERKTOP_CHROMIUM to its path)")
    with sync_api.sync_playwright() as p:
        try:
            instance = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        except Exception as exc:  # a binary that does not start is an environment problem
            pytest.skip(f"Chromium at {executable} does not start: {exc}")
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("WERKTOP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(folder)
    return tmp_path_factory.mktemp("screenshots")


@pytest.mark.parametrize("width", WIDTHS)
def test_no_sideways_page_scrolling_tables_scroll_in_their_box(
    browser, example_outputs, shots, width
):
    report = example_outputs / "reports" / "werktop_report.html"
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(report.as_uri())
        layout = page.evaluate(MEASURE)
        page.screenshot(path=str(shots / f"report_{width}.png"), full_page=True)
    finally:
        page.close()
    print(f"screenshots: {shots}")
    assert layout["innerWidth"] == width
    assert layout["scrollWidth"] <= layout["innerWidth"], layout["wide"]
    assert layout["wide"] == []
    assert layout["boxes"], "the report has data tables"
    for box in layout["boxes"]:
        assert box["boxWidth"] <= width, box
        # a table wider than its box must be able to scroll inside it
        if box["tableWidth"] > box["boxWidth"] + 1:
            assert box["overflowX"] in ("auto", "scroll"), box
    assert layout["figures"], "the report has figures"
    for figure in layout["figures"]:
        assert figure["width"] <= figure["room"] + 0.5
        assert figure["width"] >= 0.75 * figure["room"]  # fills the width (narrow: 80%)


def test_a_wide_table_without_the_fix_would_scroll_the_page(browser, tmp_path):
    """The check above can fail: the same kind of table without the report's screen CSS
    makes the page wider than a phone."""
    cells = "".join(f"<td>{'kolom' * 3} {i}</td>" for i in range(14))
    html = f"<html><body><table class='data'><tr>{cells}</tr></table></body></html>"
    path = tmp_path / "wide.html"
    path.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 390, "height": 600})
    try:
        page.goto(path.as_uri())
        layout = page.evaluate(MEASURE)
    finally:
        page.close()
    assert layout["scrollWidth"] > layout["innerWidth"]


# The fonts Chromium used for the text of each node (DevTools protocol): a web font loaded
# with @font-face is a "custom" font, a font of the system is not.
FIGURE_TEXT = "figure.figure svg text"


def _fonts_used(page, selector: str) -> list[list[dict]]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]
    return [cdp.send("CSS.getPlatformFontsForNode", {"nodeId": n})["fonts"] for n in nodes]


def test_figure_labels_are_set_in_the_bundled_web_font(browser, example_outputs):
    report = example_outputs / "reports" / "werktop_report.html"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(report.as_uri())
        page.evaluate("document.fonts.ready.then(() => document.fonts.size)")
        used = _fonts_used(page, FIGURE_TEXT)
        # control: a label asking for the system's sans-serif gets a system font (or none)
        page.evaluate("""() => {
          const text = document.querySelector('figure.figure svg text').cloneNode(true);
          text.setAttribute('style', 'font-size: 9px; font-family: sans-serif');
          text.id = 'control';
          document.querySelector('figure.figure svg').appendChild(text);
        }""")
        control = _fonts_used(page, "#control")
    finally:
        page.close()
    assert len(used) > 300  # every label of every figure
    for fonts in used:
        assert fonts and all(f["isCustomFont"] for f in fonts), fonts
        assert {f["familyName"] for f in fonts} == {"DejaVu Sans"}
    assert control[0] and not any(f["isCustomFont"] for f in control[0])
