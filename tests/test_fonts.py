"""The PDF does not depend on the system's fonts: the report bundles its own.

Rendering the example report's HTML with fontconfig pointed at an empty font folder (in a
subprocess, so fontconfig starts afresh) gives exactly the PDF bytes of a normal render.
A control shows the empty configuration really hides the system fonts.
"""

from __future__ import annotations

import html as html_lib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from fontTools.ttLib import TTFont

from pipeline.study.config import PROJECT_ROOT

FONTS = PROJECT_ROOT / "report_templates" / "fonts"
RENDER = (
    "import sys; from pipeline.stages.render import html_to_pdf; "
    "html = open(sys.argv[1], encoding='utf-8').read(); "
    "open(sys.argv[2], 'wb').write(html_to_pdf(html))"
)


def _render_without_system_fonts(html: Path, pdf: Path, fontconfig: Path) -> bytes | str:
    """PDF bytes rendered in a fresh process that sees no system font (or the error)."""
    env = dict(os.environ, FONTCONFIG_FILE=str(fontconfig))
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", RENDER, str(html), str(pdf)],
                          env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    return pdf.read_bytes() if done.returncode == 0 else done.stderr


@pytest.fixture(scope="module")
def empty_fontconfig(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fontconfig")
    (root / "fonts").mkdir()
    (root / "cache").mkdir()
    conf = root / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><dir>{root / 'fonts'}</dir><cachedir>{root / 'cache'}</cachedir>"
        "</fontconfig>\n",
        encoding="utf-8",
    )
    return conf


def test_bundled_fonts_are_small_licensed_and_used_by_the_stylesheet():
    files = sorted(FONTS.glob("*.woff"))
    assert len(files) >= 5
    assert sum(f.stat().st_size for f in files) < 2_000_000
    assert "Bitstream Vera" in (FONTS / "LICENSE.txt").read_text(encoding="utf-8")
    css = (PROJECT_ROOT / "report_templates" / "report.css").read_text(encoding="utf-8")
    referenced = set(re.findall(r'url\("fonts/([^"]+)"\)', css))
    assert referenced == {f.name for f in files}


def test_every_character_of_the_report_is_in_the_bundled_font(example_outputs):
    html = (example_outputs / "reports" / "werktop_report.html").read_text(encoding="utf-8")
    text = re.sub(r"<style>.*?</style>|<[^>]+>|data:[^\"')]+", " ", html, flags=re.S)
    used = {ord(c) for c in text if not c.isspace() or c == "\xa0"}
    for face in ("DejaVuSans.woff", "DejaVuSans-Bold.woff"):
        cmap = TTFont(FONTS / face).getBestCmap()
        missing = sorted(chr(c) for c in used - set(cmap))
        assert missing == [], face


def test_pdf_bytes_are_the_same_without_any_system_font(example_outputs, empty_fontconfig,
                                                        tmp_path):
    html = example_outputs / "reports" / "werktop_report.html"
    normal = (example_outputs / "reports" / "werktop_report.pdf").read_bytes()
    bare = _render_without_system_fonts(html, tmp_path / "bare.pdf", empty_fontconfig)
    assert bare == normal


def test_control_the_empty_fontconfig_hides_system_fonts(empty_fontconfig, tmp_path):
    """A page set in a system font renders differently without system fonts, so the
    test above would notice a report that still needed one."""
    from pipeline.stages.render import html_to_pdf

    html = "<html><body style='font-family: sans-serif'>Werktop 2014</body></html>"
    path = tmp_path / "system.html"
    path.write_text(html, encoding="utf-8")
    normal = html_to_pdf(html)
    resources = pypdf.PdfReader(io.BytesIO(normal)).pages[0]["/Resources"]
    if "/Font" not in resources:
        pytest.skip("this machine has no system fonts to hide")
    # Without system fonts the page either renders without an embedded font or fails.
    assert _render_without_system_fonts(path, tmp_path / "b.pdf", empty_fontconfig) != normal


def _figure_texts(svg: str) -> list[tuple[str, str]]:
    """(style, text) of every <text> element of a figure's SVG."""
    return [(style, html_lib.unescape(text))
            for style, text in re.findall(r'<text [^>]*style="([^"]*)"[^>]*>([^<]*)</text>', svg)]


def test_figures_set_their_text_as_text_in_the_bundled_family(example_outputs):
    """Labels stay <text> (not glyph paths), name the report's @font-face family first,
    and use only characters the bundled faces have (or the PDF would need a system font)."""
    svgs = sorted((example_outputs / "figures").glob("*.svg"))
    assert len(svgs) >= 8
    faces = {"normal": TTFont(FONTS / "DejaVuSans.woff").getBestCmap(),
             "italic": TTFont(FONTS / "DejaVuSans-Oblique.woff").getBestCmap()}
    for path in svgs:
        svg = path.read_text(encoding="utf-8")
        texts = _figure_texts(svg)
        assert texts, path.name
        assert svg.count("<text ") == len(texts)
        families = set(re.findall(r"font-family: ([^;\"]+)", svg))
        assert families == {"'Report Sans', 'DejaVu Sans', sans-serif"}, path.name
        for style, text in texts:
            cmap = faces["italic" if "font-style: italic" in style else "normal"]
            missing = sorted({c for c in text if not c.isspace() and ord(c) not in cmap})
            assert missing == [], (path.name, text)
    footer = _figure_texts((example_outputs / "figures" / "unit_attainment.svg")
                           .read_text(encoding="utf-8"))
    assert any(text.startswith("Synthetische gegevens") for _, text in footer)


def test_the_report_loads_the_family_its_figures_name(example_outputs):
    """The figures sit inline in the HTML, whose stylesheet declares 'Report Sans' with
    @font-face: browsers and WeasyPrint set the labels in the bundled font."""
    html = (example_outputs / "reports" / "werktop_report.html").read_text(encoding="utf-8")
    faces = re.findall(r'@font-face \{ font-family: "Report Sans";[^}]*?'
                       r'src: url\("data:font/woff;base64,', html)
    assert len(faces) == 4  # regular, bold, italic, bold italic
    assert "<img" not in html
    assert html.count("font-family: 'Report Sans', 'DejaVu Sans', sans-serif") > 100
