"""Shared look of every figure, and the deterministic way figures are saved.

Output is byte-identical for identical inputs:

- matplotlib is used through ``Figure`` objects rendered by the Agg canvas (no pyplot, no
  display, no global backend state);
- all styling comes from one ``rc_context`` (DejaVu Sans, which matplotlib bundles; fixed
  sizes), the DPI is fixed;
- SVG: ``svg.hashsalt`` is fixed so element ids are stable, text is drawn as paths (no font
  lookup in the viewer), and the metadata has no date;
- PNG: no ``Software`` version string and no timestamp in the metadata.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from pipeline.formatting import fmt_number

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
    "svg.fonttype": "path",
    "savefig.dpi": DPI,
    "figure.dpi": 100,
    "path.simplify": True,
}

SAVE_OPTIONS = {
    "png": {"metadata": {"Software": None, "Creator": CREATOR}},
    "svg": {"metadata": {"Date": None, "Creator": CREATOR}},
}


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure encoded as PNG or SVG, deterministically."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=DPI, **SAVE_OPTIONS[fmt])
    return buffer.getvalue()


def percent_axis(language: str) -> FuncFormatter:
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
