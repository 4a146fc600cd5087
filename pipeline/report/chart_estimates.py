"""Charts of effect estimates and their diagnostics: the forest plot, the Love plot
of standardised differences and the overlap of propensity scores."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator

from pipeline.report.chart_common import (
    GRID,
    SERIES_COLOURS,
    SERIES_HATCHES,
    SERIES_MARKERS,
    _check_columns,
    _finite,
    _label,
    _new_figure,
    _num_formatter,
    _ordered,
    _styled,
    _wrap,
)
from pipeline.report.formatting import fmt_number

# --------------------------------------------------------------------------- estimates


@_styled
def forest_plot(
    estimates: pd.DataFrame,
    *,
    outcome_labels: Mapping[Any, str] | None = None,
    method_labels: Mapping[Any, str] | None = None,
    x_label: str = "",
    ci_label: str = "",
    log_scale: bool = False,
    reference: float | None = None,
    decimals: int = 2,
    footer: str | None = None,
    language: str = "nl",
    width: float = 7.0,
    primary: Any | None = None,
    truth: Mapping[Any, float] | None = None,
    truth_label: str = "",
) -> Figure:
    """Point estimates with confidence intervals per outcome, several methods side by side.

    Parameters
    ----------
    estimates : pandas.DataFrame
        Columns ``outcome, method, estimate, ci_low, ci_high``; one row per outcome x
        method (e.g. crude / adjusted / weighted). Order of first appearance is kept
        (outcomes top to bottom). Missing estimates are skipped; a missing bound draws
        the point without a bar.
    outcome_labels, method_labels : mapping, optional
        Display texts.
    x_label : str
        Axis label (e.g. "Odds ratio").
    ci_label : str
        Legend title naming the interval (e.g. "95%-betrouwbaarheidsinterval"); the
        confidence level is never hard-coded.
    log_scale : bool, default False
        Logarithmic x axis (ratios); non-positive values are not drawn.
    reference : float, optional
        Vertical reference line (default 1 with ``log_scale``, else 0).
    decimals : int, default 2
        Decimals of the tick labels.
    footer, language, width
        As in the other charts.
    primary : optional
        The method whose estimates are the primary ones: drawn most prominently (larger
        filled marker, thicker interval, on top, first in the legend); the others are drawn
        thinner and lighter.
    truth : mapping outcome -> value, optional
        A synthetic study's planted true values, marked on their outcome's row with a
        distinct marker (legend entry ``truth_label``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_columns(estimates, ["outcome", "method", "estimate", "ci_low", "ci_high"], "estimates")
    outcomes = _ordered(estimates["outcome"])
    methods = _ordered(estimates["method"])
    n = max(len(outcomes), 1)
    fig, sub = _new_figure(width, 1.4 + 0.45 * n * max(1, min(len(methods), 3)) ** 0.5, footer)
    ax = sub.add_subplot()
    k = len(methods)
    step = 0.7 / max(k, 1)
    for j, method in enumerate(methods):
        rows = estimates[estimates["method"] == method]
        ys, xs, lo_err, hi_err = [], [], [], []
        for row in rows.itertuples(index=False):
            est, lo, hi = row.estimate, row.ci_low, row.ci_high
            if not _finite(est) or (log_scale and float(est) <= 0):
                continue
            y = outcomes.index(row.outcome) + (j - (k - 1) / 2) * step
            est = float(est)
            ok = _finite(lo) and _finite(hi) and (not log_scale or float(lo) > 0)
            ys.append(y)
            xs.append(est)
            lo_err.append(est - float(lo) if ok else 0.0)
            hi_err.append(float(hi) - est if ok else 0.0)
        main = primary is not None and method == primary
        faint = primary is not None and not main
        colour = SERIES_COLOURS[j % len(SERIES_COLOURS)]
        ax.errorbar(
            xs, ys, xerr=[lo_err, hi_err], fmt=SERIES_MARKERS[j % len(SERIES_MARKERS)],
            color=colour, markersize=8 if main else 4.5 if faint else 5.5,
            capsize=3.5 if main else 2, elinewidth=2.6 if main else 0.9 if faint else 1.2,
            linestyle="none", zorder=5 if main else 3, alpha=0.55 if faint else 1.0,
            label=_label(method_labels, method),
            mfc="white" if faint or (primary is None and j % 2) else colour,
        )  # fmt: skip
    planted = [(outcomes.index(o), float(v)) for o, v in (truth or {}).items()
               if o in outcomes and _finite(v) and (not log_scale or float(v) > 0)]
    if planted:
        ax.scatter([v for _, v in planted], [y for y, _ in planted], marker="D", s=46,
                   facecolor="none", edgecolor="#000000", linewidth=1.4, zorder=6,
                   label=truth_label or None)  # fmt: skip
    if log_scale:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ref = (1.0 if log_scale else 0.0) if reference is None else reference
    ax.axvline(ref, color="#222222", linestyle=(0, (4, 3)), linewidth=0.9, zorder=1)
    ax.xaxis.set_major_formatter(_num_formatter(language, decimals))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _p: ""))
    ax.set_yticks(range(len(outcomes)), [_wrap(_label(outcome_labels, o), 32) for o in outcomes])
    ax.set_ylim(n - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", **GRID)
    ax.set_axisbelow(True)
    ax.set_xlabel(x_label)
    if methods:
        handles, names = ax.get_legend_handles_labels()
        if primary is not None and _label(method_labels, primary) in names:
            first = names.index(_label(method_labels, primary))
            order = [first, *[i for i in range(len(names)) if i != first]]
            handles, names = [handles[i] for i in order], [names[i] for i in order]
        sub.legend(handles, names, loc="outside lower center", ncols=min(len(names), 4),
                   frameon=False, title=ci_label, title_fontsize=8.5)  # fmt: skip
    return fig


@_styled
def love_plot(
    balance: pd.DataFrame,
    *,
    covariate_labels: Mapping[Any, str] | None = None,
    sample_labels: Mapping[Any, str] | None = None,
    threshold: float = 0.1,
    x_label: str = "",
    threshold_label: str = "",
    footer: str | None = None,
    language: str = "nl",
    width: float = 6.5,
) -> Figure:
    """Absolute standardised mean differences per covariate, before and after weighting.

    Parameters
    ----------
    balance : pandas.DataFrame
        Columns ``covariate, sample, smd`` (one row per covariate x sample, e.g.
        ``sample`` "unweighted" / "weighted"). |SMD| is plotted; order of first
        appearance is kept (covariates top to bottom, samples in legend order).
    covariate_labels, sample_labels : mapping, optional
        Display texts.
    threshold : float, default 0.1
        Balance threshold drawn as a dashed line.
    x_label, threshold_label : str
        Axis label (e.g. "|SMD|") and legend text of the threshold line.
    footer, language, width
        As in the other charts.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_columns(balance, ["covariate", "sample", "smd"], "balance")
    covariates = _ordered(balance["covariate"])
    samples = _ordered(balance["sample"])
    n = max(len(covariates), 1)
    # 0.19 in per covariate and 7-point labels (a wrapped label has room between its
    # neighbours): with a paragraph above it, a plot of ~30 covariates fits on one page
    fig, sub = _new_figure(width, 1.3 + 0.19 * n, footer)
    ax = sub.add_subplot()
    pos = {c: i for i, c in enumerate(covariates)}
    values = balance["smd"].astype("Float64").astype("float64").abs()
    for j, sample in enumerate(samples):
        mask = (balance["sample"] == sample).to_numpy()
        xs = values[mask].to_numpy()
        ys = np.array([pos[c] for c in balance.loc[mask, "covariate"]], dtype=float)
        keep = np.isfinite(xs)
        colour = SERIES_COLOURS[j % len(SERIES_COLOURS)]
        ax.plot(
            xs[keep], ys[keep], linestyle="none", marker=SERIES_MARKERS[j % len(SERIES_MARKERS)],
            markersize=6, color=colour, mfc="white" if j == 0 else colour, mew=1.3,
            label=_label(sample_labels, sample), zorder=3,
        )  # fmt: skip
    ax.axvline(threshold, color="#222222", linestyle=(0, (4, 3)), linewidth=0.9,
               label=threshold_label or fmt_number(threshold, 2, language), zorder=2)  # fmt: skip
    finite = values[np.isfinite(values)]
    x_max = max(float(finite.max()) if len(finite) else 0.0, threshold) * 1.15
    ax.set_xlim(0, x_max)
    ax.xaxis.set_major_formatter(_num_formatter(language, 2))
    ax.set_yticks(range(len(covariates)), [_wrap(_label(covariate_labels, c), 38)
                                           for c in covariates])  # fmt: skip
    ax.set_ylim(n - 0.5, -0.5)
    ax.tick_params(axis="y", length=0, labelsize=7)
    ax.grid(axis="both", **GRID)
    ax.set_axisbelow(True)
    ax.set_xlabel(x_label)
    sub.legend(loc="outside lower center", ncols=len(samples) + 1, frameon=False)
    return fig


@_styled
def overlap_plot(
    ps_bins: pd.DataFrame,
    *,
    group_labels: Mapping[Any, str] | None = None,
    value: str = "count",
    mirrored: bool = True,
    x_label: str = "",
    y_label: str = "",
    footer: str | None = None,
    language: str = "nl",
    width: float = 6.5,
) -> Figure:
    """Histograms of the propensity score by group, mirrored or overlaid.

    Parameters
    ----------
    ps_bins : pandas.DataFrame
        Pre-binned histogram: columns ``group, bin_left, bin_right`` and the ``value``
        column (counts or densities). The first group is drawn upward; with
        ``mirrored=True`` the second group is drawn downward (a single group is fine).
    group_labels : mapping, optional
        Display texts.
    value : str, default "count"
        Column with the bar heights.
    mirrored : bool, default True
        Mirror the second group below the axis; otherwise overlay with transparency
        (groups then differ by hatching as well as colour).
    x_label, y_label : str
        Axis labels.
    footer, language, width
        As in the other charts.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_columns(ps_bins, ["group", "bin_left", "bin_right", value], "ps_bins")
    groups = _ordered(ps_bins["group"])
    fig, sub = _new_figure(width, 3.6, footer)
    ax = sub.add_subplot()
    for j, group in enumerate(groups):
        rows = ps_bins[ps_bins["group"] == group]
        left = rows["bin_left"].to_numpy(dtype=float)
        w = rows["bin_right"].to_numpy(dtype=float) - left
        h = rows[value].astype("Float64").astype("float64").fillna(0.0).to_numpy()
        sign = -1.0 if (mirrored and j == 1) else 1.0
        ax.bar(
            left, sign * h, width=w, align="edge", color=SERIES_COLOURS[j % len(SERIES_COLOURS)],
            alpha=1.0 if mirrored else 0.55, hatch=SERIES_HATCHES[j % len(SERIES_HATCHES)],
            edgecolor="white" if mirrored else "#222222", linewidth=0.5,
            label=_label(group_labels, group), zorder=2,
        )  # fmt: skip
    if mirrored:
        ax.axhline(0, color="#222222", linewidth=0.8, zorder=3)
        ax.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _p: fmt_number(abs(v), 0 if value == "count" else 1,
                                                   language))  # fmt: skip
        )
    else:
        ax.yaxis.set_major_formatter(_num_formatter(language, 0 if value == "count" else 1))
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(_num_formatter(language, 1))
    ax.grid(axis="y", **GRID)
    ax.set_axisbelow(True)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    if groups:
        sub.legend(loc="outside lower center", ncols=len(groups), frameon=False)
    return fig
