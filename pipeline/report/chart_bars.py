"""Bars with confidence intervals and labelled scatter plots."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipeline.report.chart_common import (
    GRID,
    SERIES_COLOURS,
    SERIES_HATCHES,
    _check_columns,
    _label,
    _new_figure,
    _num_formatter,
    _ordered,
    _prop_formatter,
    _styled,
    _wrap,
)
from pipeline.report.figure_style import OKABE_ITO
from pipeline.report.formatting import fmt_pct

# --------------------------------------------------------------------------- bars & points


@_styled
def bar_with_ci(
    table: pd.DataFrame,
    *,
    category_labels: Mapping[Any, str] | None = None,
    group_labels: Mapping[Any, str] | None = None,
    x_label: str = "",
    ci_label: str = "",
    decimals: int = 0,
    footer: str | None = None,
    language: str = "nl",
    width: float = 7.0,
) -> Figure:
    """Grouped horizontal percentage bars with confidence-interval error bars.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``category, group, p, ci_low, ci_high``; ``p`` and the bounds are
        proportions (0-1). Categories are drawn top to bottom in order of first
        appearance, groups side by side (told apart by colour *and* hatching). A
        missing ``p`` draws no bar; missing bounds draw no error bar. A single group is
        fine (no legend entry for groups then, only the interval).
    category_labels, group_labels : mapping, optional
        Display texts.
    x_label : str
        Axis label (e.g. "% van de ondernemers").
    ci_label : str
        Legend text of the error bar (e.g. "95%-betrouwbaarheidsinterval").
    decimals : int, default 0
        Decimals of the value labels.
    footer, language, width
        As in the other charts.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_columns(table, ["category", "group", "p", "ci_low", "ci_high"], "table")
    cats = _ordered(table["category"])
    groups = _ordered(table["group"])
    n, k = max(len(cats), 1), max(len(groups), 1)
    fig, sub = _new_figure(width, 1.3 + 0.26 * n * k + 0.1 * n, footer)
    ax = sub.add_subplot()
    bar_h = 0.8 / k
    for j, group in enumerate(groups):
        rows = table[table["group"] == group]
        ys = np.array([cats.index(c) - 0.4 + bar_h * (j + 0.5) for c in rows["category"]])
        p = rows["p"].astype("Float64").astype("float64").to_numpy()
        lo = rows["ci_low"].astype("Float64").astype("float64").to_numpy()
        hi = rows["ci_high"].astype("Float64").astype("float64").to_numpy()
        colour = SERIES_COLOURS[j % len(SERIES_COLOURS)]
        has = np.isfinite(p)
        ax.barh(
            ys[has], p[has], height=bar_h * 0.9, color=colour,
            hatch=SERIES_HATCHES[j % len(SERIES_HATCHES)], edgecolor="white", linewidth=0.5,
            label=_label(group_labels, group) if len(groups) > 1 else None, zorder=2,
        )  # fmt: skip
        ci = has & np.isfinite(lo) & np.isfinite(hi)
        ax.errorbar(
            p[ci], ys[ci], xerr=[p[ci] - lo[ci], hi[ci] - p[ci]], fmt="none", ecolor="#222222",
            elinewidth=1.0, capsize=2.5, zorder=3,
            label=ci_label if (j == 0 and ci_label) else None,
        )  # fmt: skip
        for y, v, h in zip(ys[has], p[has], np.where(ci, hi, p)[has], strict=True):
            ax.text(max(v, h) + 0.012, y, fmt_pct(v, decimals, language), va="center",
                    ha="left", fontsize=7.5)  # fmt: skip
    top = np.nanmax(
        np.concatenate([table[c].astype("Float64").astype("float64").to_numpy()
                        for c in ("p", "ci_high")] + [np.array([0.1])])  # fmt: skip
    )
    ax.set_xlim(0, min(1.0, top + 0.12) if top <= 0.88 else top + 0.12)
    ax.xaxis.set_major_formatter(_prop_formatter(language))
    ax.set_yticks(range(len(cats)), [_wrap(_label(category_labels, c), 34) for c in cats])
    ax.set_ylim(n - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", **GRID)
    ax.set_axisbelow(True)
    ax.set_xlabel(x_label)
    handles, texts = ax.get_legend_handles_labels()
    if ci_label and ci_label in texts:  # the interval last, after the groups
        i = texts.index(ci_label)
        handles.append(handles.pop(i))
        texts.append(texts.pop(i))
    if handles:
        sub.legend(handles, texts, loc="outside lower center", ncols=min(len(handles), 4),
                   frameon=False)  # fmt: skip
    return fig


@_styled
def scatter_labelled(
    table: pd.DataFrame,
    *,
    x: str,
    y: str,
    label: str,
    x_label: str = "",
    y_label: str = "",
    x_decimals: int = 0,
    y_percent: bool = False,
    reference_y: float | None = None,
    reference_label: str = "",
    annotation: str | None = None,
    footer: str | None = None,
    language: str = "nl",
    width: float = 6.0,
) -> Figure:
    """Labelled points, e.g. each unit's attainment against hours invested or support.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per point; columns ``x``, ``y`` and ``label`` are named by the
        arguments. Points with a missing coordinate are left out.
    x, y, label : str
        Column names.
    x_label, y_label : str
        Axis labels.
    x_decimals : int, default 0
        Decimals of the x tick labels.
    y_percent : bool, default False
        ``y`` holds proportions; show the axis as percentages.
    reference_y : float, optional
        Horizontal reference line (e.g. 1.0 = target reached).
    reference_label : str
        Legend text of the reference line.
    annotation : str, optional
        Text in the upper left corner (e.g. a formatted "Spearman rho = ..., exact p =
        ..., n = 5").
    footer, language, width
        As in the other charts.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_columns(table, [x, y, label], "table")
    fig, sub = _new_figure(width, 4.0, footer)
    ax = sub.add_subplot()
    xs = table[x].astype("Float64").astype("float64").to_numpy()
    ys = table[y].astype("Float64").astype("float64").to_numpy()
    keep = np.isfinite(xs) & np.isfinite(ys)
    ax.plot(xs[keep], ys[keep], linestyle="none", marker="o", markersize=7,
            color=OKABE_ITO["blue"], mec="#222222", mew=0.8, zorder=3)  # fmt: skip
    x_span = float(np.ptp(xs[keep])) if keep.sum() > 1 else 1.0
    y_span = float(np.ptp(ys[keep])) if keep.sum() > 1 else 1.0
    px, py = xs[keep], ys[keep]
    ymax = [*(ys[keep].tolist()), reference_y if reference_y is not None else 0.0]
    y_top = max(ymax) * 1.15 if max(ymax) > 0 else 1.0
    # a label is about 9% of the y range tall (8.5 pt text plus offset on a ~3 in axis)
    band = 0.09 * y_top
    for xv, yv, text in zip(px, py, table[label][keep], strict=True):
        # a neighbour just to the right at about the same height would sit on the label:
        # put this label below the point instead
        dx = (px - xv) / (x_span or 1.0)
        dy = (py - yv) / (y_span or 1.0)
        crowded = bool(np.any((dx > 0) & (dx < 0.25) & (np.abs(dy) < 0.08)))
        # a label must not sit on the reference line: put it left of the point instead
        on_line = reference_y is not None and (
            (crowded and 0 <= yv - reference_y < band)
            or (not crowded and 0 <= reference_y - yv < band))
        if on_line:
            ax.annotate(str(text), (xv, yv), xytext=(-7, 0), textcoords="offset points",
                        fontsize=8.5, ha="right", va="center")  # fmt: skip
            continue
        ax.annotate(str(text), (xv, yv), xytext=(6, -5 if crowded else 4),
                    textcoords="offset points", fontsize=8.5, ha="left",
                    va="top" if crowded else "bottom")  # fmt: skip
    if keep.any():
        lo, hi = float(xs[keep].min()), float(xs[keep].max())
        pad = 0.08 * (x_span or max(abs(lo), 1.0))
        ax.set_xlim(lo - pad, hi + pad * 2.2)
    if reference_y is not None:
        ax.axhline(reference_y, color="#222222", linestyle=(0, (4, 3)), linewidth=0.9,
                   label=reference_label or None, zorder=1)  # fmt: skip
    ax.set_ylim(0, y_top)
    ax.yaxis.set_major_formatter(_prop_formatter(language) if y_percent
                                 else _num_formatter(language, 1))  # fmt: skip
    ax.xaxis.set_major_formatter(_num_formatter(language, x_decimals))
    ax.grid(axis="both", **GRID)
    ax.set_axisbelow(True)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    if annotation:
        ax.text(0.02, 0.98, annotation, transform=ax.transAxes, ha="left", va="top",
                fontsize=8, color="#222222")  # fmt: skip
    if reference_y is not None and reference_label:
        sub.legend(loc="outside lower center", frameon=False)
    return fig
