"""Chart functions: tidy results table + translated labels in, matplotlib ``Figure`` out.

One module per chart family (``chart_likert``, ``chart_estimates``, ``chart_bars``) on
shared conventions and helpers (``chart_common``); this module names what callers use.

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

from pipeline.report.chart_bars import bar_with_ci, scatter_labelled
from pipeline.report.chart_common import FOOTER_HEIGHT_IN, _new_figure, figure_bytes
from pipeline.report.chart_estimates import forest_plot, love_plot, overlap_plot
from pipeline.report.chart_likert import likert_diverging
from pipeline.report.figure_style import OKABE_ITO, RC

__all__ = [
    "RC",
    "OKABE_ITO",
    "FOOTER_HEIGHT_IN",
    "_new_figure",
    "figure_bytes",
    "likert_diverging",
    "forest_plot",
    "love_plot",
    "overlap_plot",
    "bar_with_ci",
    "scatter_labelled",
]
