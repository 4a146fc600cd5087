"""Shared look of every figure, and the deterministic way figures are saved.

Output is byte-identical for identical inputs:

- matplotlib is used through ``Figure`` objects rendered by the Agg canvas (no pyplot, no
  display, no global backend state);
- all styling comes from one ``rc_context`` (DejaVu Sans, which matplotlib bundles; fixed
  sizes), the DPI is fixed;
- SVG: ``svg.hashsalt`` is fixed so element ids are stable, and the metadata has no date.
  Text stays text (``svg.fonttype = "none"``), set in the report's bundled font: every
  ``font-family`` names ``"Report Sans"`` (the ``@font-face`` family of
  ``report_templates/report.css``, a DejaVu Sans subset with matplotlib's metrics) first,
  then DejaVu Sans and sans-serif for an SVG file opened on its own. The report inlines
  the SVGs in its HTML, so the browser and WeasyPrint draw the labels with the very font
  the HTML loads. Glyphs as paths cost about ten times as many SVG nodes, and most of the
  PDF's drawing time;
- PNG: no ``Software`` version string and no timestamp in the metadata;
- the layout is computed once: :func:`figure_files` saves the PNG, then freezes the
  constrained layout for the SVG, so both formats share one layout.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from pipeline.report.formatting import fmt_number

if TYPE_CHECKING:  # matplotlib is imported where a figure is drawn, not by the render stage
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

CREATOR = "werktop-eval"
DPI = 200
FORMATS = ("png", "svg")

#: Okabe-Ito palette (distinguishable with the common colour-vision deficiencies).
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "grey": "#666666",
}
GROUP_COLOURS = (OKABE_ITO["blue"], OKABE_ITO["orange"])

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.labelsize": 9.5,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#444444",
    "axes.linewidth": 0.8,
    "hatch.linewidth": 0.6,  # hatching tells groups apart in black and white
    "hatch.color": "#222222",
    "svg.hashsalt": "werktop-eval",
    "svg.fonttype": "none",
    "savefig.dpi": DPI,
    "figure.dpi": 100,
    "path.simplify": True,
}

SAVE_OPTIONS = {
    "png": {"metadata": {"Software": None, "Creator": CREATOR}},
    "svg": {"metadata": {"Date": None, "Creator": CREATOR}},
}


#: The family of the figures' SVG text: the report's bundled font first (report.css).
REPORT_FONT = "Report Sans"
SVG_FONT_FAMILY = f"'{REPORT_FONT}', 'DejaVu Sans', sans-serif"
_MPL_FAMILY = re.compile(rb"font-family: 'DejaVu Sans'(?=[;\"])")


def name_report_font(svg: bytes) -> bytes:
    """SVG text set in DejaVu Sans, renamed to the report's bundled family (with DejaVu
    Sans and sans-serif as fallbacks); the glyphs and their metrics are the same."""
    return _MPL_FAMILY.sub(f"font-family: {SVG_FONT_FAMILY}".encode("ascii"), svg)


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure encoded as PNG or SVG, deterministically (saved under ``RC``: the SVG
    hash salt and text settings apply whatever the caller's rc settings are)."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, format=fmt, dpi=DPI, **SAVE_OPTIONS[fmt])
    data = buffer.getvalue()
    return name_report_font(data) if fmt == "svg" else data


def figure_files(fig: Figure) -> dict[str, bytes]:
    """The figure in every format of ``FORMATS`` (PNG, then SVG), laid out once.

    Each ``savefig`` runs the figure's layout engine again (an extra draw pass): after the
    first format the layout is frozen (``set_layout_engine(None)`` keeps the positions
    constrained layout found), so the SVG is drawn with the PNG's layout. The figure is
    changed in place and should not be resized afterwards.
    """
    files = {}
    for fmt in FORMATS:
        files[fmt] = figure_bytes(fig, fmt)
        fig.set_layout_engine(None)
    return files


def percent_axis(language: str) -> FuncFormatter:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _pos: f"{fmt_number(value, 0, language)}%")


def wrap(text: str, width: int) -> str:
    """Break a label into lines of at most ``width`` characters at spaces."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)
