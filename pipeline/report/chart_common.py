"""What every chart shares: the conventions below, the series styles, saving a figure
(:func:`figure_bytes`) and the small drawing helpers. The chart kinds are in
``chart_likert``, ``chart_estimates`` and ``chart_bars``; ``charts`` names them all.

Chart functions: tidy results table + translated labels in, matplotlib ``Figure`` out.

Conventions (shared with every figure through ``pipeline/report/figure_style.py``, which holds
the palette, the rc dictionary ``RC`` and the save options):

- ``Figure`` objects rendered by the Agg canvas; no pyplot, no global backend state.
- Styling from one rc dictionary (``RC``, imported from ``figure_style``) applied while a
  figure is built *and* while it
  is saved (:func:`figure_bytes`), with fixed DPI, SVG hash salt and metadata without
  dates or version strings, so the same input gives byte-identical PNG and SVG.
- Colours from the Okabe-Ito palette; groups are also told apart by hatching, marker
  shape or line style, so every chart reads in black and white.
- Numbers on axes and labels go through ``pipeline.report.formatting`` (Dutch or English).
- Every chart takes an optional ``footer`` drawn in a reserved strip in the bottom
  margin (e.g. ``"SYNTHETISCHE GEGEVENS — ..."``) and never hard-codes a confidence
  level: the caller passes the label (e.g. ``"95%-betrouwbaarheidsinterval"``).
- Missing values never crash a chart: a missing estimate is not drawn, an item without
  valid answers gets a short text instead of a bar.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure, FigureBase
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.ticker import FuncFormatter

from pipeline.report.figure_style import DPI, OKABE_ITO, RC, SAVE_OPTIONS, name_report_font
from pipeline.report.formatting import fmt_number, fmt_pct, is_missing

SERIES_COLOURS = (
    OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["green"], OKABE_ITO["vermillion"],
    OKABE_ITO["purple"], OKABE_ITO["sky"],
)  # fmt: skip
SERIES_HATCHES = ("", "////", "....", "xxxx", "\\\\\\\\", "oo")
SERIES_MARKERS = ("o", "s", "D", "^", "v", "P")
SERIES_LINESTYLES = ("-", (0, (4, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2)))
NA_COLOUR = "#BBBBBB"
GRID = {"color": "#dddddd", "linewidth": 0.6, "zorder": 0}

FOOTER_HEIGHT_IN = 0.28


def figure_bytes(
    fig: Figure, fmt: Literal["png", "svg"] = "png", *, rc: Mapping[str, Any] | None = None
) -> bytes:
    """Render a figure to PNG or SVG bytes, deterministically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from one of the chart functions.
    fmt : {"png", "svg"}, default "png"
    rc : mapping, optional
        Extra rc settings on top of ``RC`` (e.g. ``{"svg.fonttype": "path"}`` to draw the
        glyphs as paths).

    Returns
    -------
    bytes
        The file content: no timestamps, no software version, fixed SVG ids; SVG text
        names the report's bundled font (:func:`pipeline.report.figure_style.name_report_font`).
    """
    if fmt not in SAVE_OPTIONS:
        raise ValueError("fmt must be 'png' or 'svg'")
    buffer = io.BytesIO()
    with matplotlib.rc_context({**RC, **(rc or {})}):
        fig.savefig(buffer, format=fmt, dpi=DPI, **SAVE_OPTIONS[fmt])
    data = buffer.getvalue()
    return name_report_font(data) if fmt == "svg" else data


# --------------------------------------------------------------------------- helpers


def _styled(func: Callable[..., Figure]) -> Callable[..., Figure]:
    """Build the figure under ``RC`` (sizes and fonts are read at creation time)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(RC):
            return func(*args, **kwargs)

    return wrapper


def _new_figure(width: float, height: float, footer: str | None) -> tuple[Figure, FigureBase]:
    """A constrained-layout figure and the (sub)figure to draw in.

    With a footer the figure is split into a main subfigure and a strip of
    ``FOOTER_HEIGHT_IN`` inches at the bottom holding the footer text, so the footer
    never collides with an outside legend or axis labels.
    """
    fig = Figure(figsize=(width, height), layout="constrained")
    if not footer:
        return fig, fig
    main, strip = fig.subfigures(
        2, 1, height_ratios=[height - FOOTER_HEIGHT_IN, FOOTER_HEIGHT_IN]
    )
    strip.text(0.01, 0.5, footer, ha="left", va="center", fontsize=7, color="#444444",
               gid="footer")  # fmt: skip
    return fig, main


def _pct_formatter(language: str, *, absolute: bool = False) -> FuncFormatter:
    """Axis in percent (values 0-100)."""

    def fmt(value: float, _pos: int) -> str:
        v = abs(value) if absolute else value
        return f"{fmt_number(v, 0, language)}%"

    return FuncFormatter(fmt)


def _prop_formatter(language: str) -> FuncFormatter:
    """Axis in percent (values are proportions 0-1)."""
    return FuncFormatter(lambda value, _pos: fmt_pct(value, 0, language))


def _num_formatter(language: str, decimals: int) -> FuncFormatter:
    return FuncFormatter(lambda value, _pos: fmt_number(value, decimals, language))


def _finite(x: Any) -> bool:
    return not is_missing(x) and math.isfinite(float(x))


def _ordered(values: pd.Series) -> list[Any]:
    return list(dict.fromkeys(values.tolist()))


def _label(mapping: Mapping[Any, str] | None, key: Any) -> str:
    if mapping is None:
        return str(key)
    return str(mapping.get(key, key))


def _wrap(text: str, width: int) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def _text_colour(hex_colour: str) -> str:
    """Black or white text, whichever contrasts more with the fill."""
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if luminance > 0.45 else "#FFFFFF"


def _check_columns(frame: pd.DataFrame, needed: Sequence[str], name: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing}")


def _hatched_bars(ax: Any, ys: Sequence[float], widths: np.ndarray, height: float,
                  **style: Any) -> None:
    """Horizontal bars from 0 as *one* patch (looks exactly like ``ax.barh``).

    A viewer fills every hatched patch with its own copy of the hatch pattern; a dense
    pattern (dots) on many bars is most of the time WeasyPrint needs to draw a figure.
    """
    if not len(ys):
        return
    codes = [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY]
    vertices = []
    for y, w in zip(ys, widths, strict=True):
        lo, hi = y - height / 2, y + height / 2
        vertices += [(0.0, lo), (w, lo), (w, hi), (0.0, hi), (0.0, lo)]
    ax.add_patch(PathPatch(Path(vertices, codes * len(ys)), **style))
