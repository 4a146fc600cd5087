"""Chart functions: tidy results table + translated labels in, matplotlib ``Figure`` out.

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
from matplotlib.ticker import FuncFormatter, LogLocator

from analysis.likert import likert_diverging as likert_segments
from pipeline.report.figure_style import DPI, OKABE_ITO, RC, SAVE_OPTIONS, name_report_font
from pipeline.report.formatting import fmt_number, fmt_pct, is_missing

__all__ = [
    "RC",
    "OKABE_ITO",
    "figure_bytes",
    "likert_diverging",
    "forest_plot",
    "love_plot",
    "overlap_plot",
    "bar_with_ci",
    "scatter_labelled",
]

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


# --------------------------------------------------------------------------- likert


def _level_styles(sides: Sequence[str]) -> list[tuple[str, str]]:
    """(colour, hatch) per level: negative warm and hatched, neutral grey, positive blue.

    Colour intensity grows away from the centre on both sides; the negative side is
    also hatched (denser at the extreme), so the two sides differ in black and white.
    """
    neg = [i for i, s in enumerate(sides) if s == "negative"]  # outer -> inner
    pos = [i for i, s in enumerate(sides) if s == "positive"]  # inner -> outer
    warm = {1: [OKABE_ITO["orange"]], 2: [OKABE_ITO["vermillion"], OKABE_ITO["orange"]]}
    warm_hatch = {1: ["////"], 2: ["xxxx", "////"]}
    cool = {1: [OKABE_ITO["blue"]], 2: [OKABE_ITO["sky"], OKABE_ITO["blue"]]}
    three_warm = [OKABE_ITO["vermillion"], OKABE_ITO["orange"], OKABE_ITO["yellow"]]
    three_cool = [OKABE_ITO["sky"], OKABE_ITO["blue"], "#003F63"]
    styles: list[tuple[str, str]] = [("#999999", "")] * len(sides)
    for rank, i in enumerate(neg):
        k = len(neg)
        if k <= 2:
            styles[i] = (warm[k][rank], warm_hatch[k][rank])
        else:  # outermost three get distinct colours, the rest repeat the innermost
            j = min(int(rank * 3 / k), 2)
            styles[i] = (three_warm[j], ["xxxx", "////", "//"][j])
    for rank, i in enumerate(pos):
        k = len(pos)
        colour = cool[k][rank] if k <= 2 else three_cool[min(int(rank * 3 / k), 2)]
        styles[i] = (colour, "")
    return styles


@_styled
def likert_diverging(
    dist: pd.DataFrame,
    *,
    neutral: Any | None = None,
    neutral_mode: Literal["split", "separate"] = "split",
    item_labels: Mapping[Any, str] | None = None,
    axis_label: str = "",
    na_label: str = "N/A",
    neutral_label: str | None = None,
    no_data_label: str = "–",
    footer: str | None = None,
    language: str = "nl",
    width: float = 7.0,
    reverse_items: Sequence[Any] = (),
    reverse_suffix: str = "",
    suppressed_label: str | None = None,
) -> Figure:
    """Diverging stacked bars of Likert items with a separate N/A column.

    Parameters
    ----------
    dist : pandas.DataFrame
        Output of :func:`analysis.likert.likert_distribution` (``item, level, label,
        pct, pct_na, ...``). Item order (top to bottom) and level order are taken as
        given; level labels come from ``label``.
    neutral, neutral_mode
        Passed to :func:`analysis.likert.likert_diverging`: the neutral level code and
        whether it is split across zero (``"split"``) or drawn in its own column
        (``"separate"``).
    item_labels : mapping, optional
        Item name -> display text (wrapped at 40 characters).
    axis_label : str
        Label of the diverging axis (e.g. "% van de geldige antwoorden").
    na_label : str
        Title of the N/A column (e.g. "weet niet").
    neutral_label : str, optional
        Title of the neutral column in ``"separate"`` mode (default: the level label).
    no_data_label : str
        Text shown instead of a bar for an item without valid answers.
    footer : str, optional
        Text in the bottom margin.
    language : {"nl", "en"}
        Number formatting.
    width : float
        Figure width in inches; the height grows with the number of items.
    reverse_items : sequence, optional
        Negatively worded items (the codebook's ``reverse = true``: agreeing is
        unfavourable). Their answers are mirrored (level k drawn as the opposite level), so
        that unfavourable answers are on the negative side in the negative colours for
        every item; their label gets ``reverse_suffix``.
    suppressed_label : str, optional
        When given, levels whose share is missing in an item that has valid answers
        (suppressed by disclosure control) are shown together as one grey hatched segment
        at the outer end of their side, with this legend entry; their total share is the
        rest of 100% of the valid answers (published anyway as n valid minus the shown
        counts). Levels suppressed on both sides are marked by the label's text instead.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_columns(dist, ["item", "level", "label", "pct", "pct_na"], "dist")
    reverse = [i for i in reverse_items if i in set(dist["item"])]
    if reverse:
        order = _ordered(dist["level"])
        mirror = dict(zip(order, order[::-1], strict=True))
        names = dict(zip(dist["level"], dist["label"], strict=False))
        flip = dist["item"].isin(reverse)
        dist = dist.assign(level=dist["level"].where(~flip, dist["level"].map(mirror)))
        dist = dist.assign(label=dist["level"].map(names))
        item_labels = {i: _label(item_labels, i) + (reverse_suffix if i in reverse else "")
                       for i in _ordered(dist["item"])}  # fmt: skip
    seg = likert_segments(dist, neutral=neutral, neutral_mode=neutral_mode)
    items = _ordered(dist["item"])
    levels = _ordered(dist["level"])
    labels = dict(zip(dist["level"], dist["label"], strict=False))
    sides = [seg.loc[seg["level"] == lv, "side"].iloc[0] for lv in levels] if len(seg) else []
    styles = dict(zip(levels, _level_styles(sides), strict=True))
    separate = neutral is not None and neutral_mode == "separate"
    n = max(len(items), 1)
    height = 1.5 + 0.42 * n
    fig, sub = _new_figure(width, height, footer)
    fig.get_layout_engine().set(w_pad=0.06)
    ratios = [6, 1.3, 1.3] if separate else [6, 1.3]
    axes = sub.subplots(1, len(ratios), sharey=True, gridspec_kw={"width_ratios": ratios})
    ax = axes[0]
    y_of = {item: i for i, item in enumerate(items)}
    lo = float(np.nanmin(seg["start"].to_numpy(dtype=float), initial=0.0))
    hi = float(np.nanmax(seg["end"].to_numpy(dtype=float), initial=0.0))
    span = max(abs(lo), abs(hi), 50.0)
    span = min(100.0, math.ceil(span / 25.0) * 25.0)
    bar_h = 0.64
    for level in levels:
        colour, hatch = styles[level]
        rows = seg[seg["level"] == level]
        if separate and rows["side"].eq("neutral").any():
            target = axes[1]
        else:
            target = ax
        ys = [y_of[i] for i in rows["item"]]
        starts = rows["start"].fillna(0.0).to_numpy(dtype=float)
        widths = rows["pct"].fillna(0.0).to_numpy(dtype=float)
        target.barh(
            ys, widths, left=starts, height=bar_h, color=colour, hatch=hatch,
            edgecolor="white", linewidth=0.6, label=str(labels[level]), zorder=2,
        )  # fmt: skip
        for y, s, w in zip(ys, starts, widths, strict=True):
            if w >= 8 and target is ax:
                target.text(s + w / 2, y, fmt_number(w, 0, language), ha="center", va="center",
                            fontsize=7.5, color=_text_colour(colour), zorder=3,
                            bbox={"facecolor": colour, "edgecolor": "none", "pad": 0.6}
                            if hatch else None)  # fmt: skip
    valid = dist.groupby("item", sort=False)["pct"].apply(lambda s: bool(s.notna().any()))
    for item in items:
        if not valid.get(item, False):
            ax.text(0, y_of[item], no_data_label, ha="center", va="center", fontsize=8,
                    color="#444444", style="italic")  # fmt: skip
    if suppressed_label is not None:
        _suppressed_segments(ax, seg, dist, items, y_of, valid, bar_h, suppressed_label)
    ax.axvline(0, color="#222222", linewidth=0.9, zorder=3)
    ax.set_xlim(-span, span)
    ax.xaxis.set_major_formatter(_pct_formatter(language, absolute=True))
    ax.set_xlabel(axis_label)
    ax.grid(axis="x", **GRID)
    ax.set_axisbelow(True)
    ax.set_yticks(range(len(items)), [_wrap(_label(item_labels, i), 40) for i in items])
    ax.set_ylim(n - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)

    def small_panel(panel, title: str, top: float = 100.0) -> None:
        panel.set_xlim(0, top)
        panel.set_title(title, fontsize=8.5)
        panel.xaxis.set_major_formatter(_pct_formatter(language))
        panel.set_xticks([0, top])
        panel.tick_params(axis="x", labelsize=7.5)
        panel.tick_params(axis="y", length=0, labelleft=False)
        panel.grid(axis="x", **GRID)
        panel.set_axisbelow(True)

    na_ax = axes[-1]
    na = dist.groupby("item", sort=False)["pct_na"].first().reindex(items)
    na_ys = [y_of[i] for i in items]
    na_vals = na.fillna(0.0).to_numpy(dtype=float)
    # The N/A shares are usually a few per cent: scale the panel to them (a multiple of
    # 10, at least 10%) so that the bars are visible; the tick shows the scale.
    na_max = float(np.max(na_vals, initial=0.0))
    na_top = float(min(100.0, max(10.0, math.ceil(na_max * 1.25 / 10) * 10)))
    _hatched_bars(na_ax, na_ys, na_vals, bar_h, facecolor=NA_COLOUR, hatch="....",
                  edgecolor="white", linewidth=0.6, zorder=2)  # fmt: skip
    for y, v, raw in zip(na_ys, na_vals, na.to_numpy(dtype=float), strict=True):
        text = "–" if math.isnan(raw) else fmt_number(v, 0, language)
        inside = v > 0.6 * na_top
        na_ax.text(v - 0.03 * na_top if inside else v + 0.03 * na_top, y, text, va="center",
                   ha="right" if inside else "left", fontsize=7.5,
                   bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6}
                   if inside else None)  # fmt: skip
    small_panel(na_ax, na_label, na_top)
    if separate:
        neutral_title = neutral_label or str(labels.get(neutral, neutral))
        small_panel(axes[1], neutral_title)
        for item in items:
            r = seg[(seg["item"] == item) & (seg["side"] == "neutral")]
            if len(r) and _finite(r["pct"].iloc[0]):
                v = float(r["pct"].iloc[0])
                axes[1].text(v + 3, y_of[item], fmt_number(v, 0, language), va="center",
                             ha="left", fontsize=7.5)  # fmt: skip
    handles, texts = [], []
    for panel in axes[:-1]:
        h, t = panel.get_legend_handles_labels()
        handles.extend(h)
        texts.extend(t)
    order = {str(labels[lv]): i for i, lv in enumerate(levels)}
    pairs = sorted(zip(handles, texts, strict=True), key=lambda p: order.get(p[1], 99))
    if pairs:
        sub.legend(
            [p[0] for p in pairs], [p[1] for p in pairs], loc="outside lower center",
            ncols=len(pairs) if len(pairs) <= 5 else math.ceil(len(pairs) / 2),
            frameon=False, handlelength=1.4, columnspacing=1.2,
        )  # fmt: skip
    return fig


def _suppressed_segments(ax, seg: pd.DataFrame, dist: pd.DataFrame, items: list,  # noqa: ANN001
                         y_of: Mapping[Any, int], valid: pd.Series, bar_h: float,
                         label: str) -> None:
    """Grey hatched segments for the suppressed levels of each item (see
    ``likert_diverging``); one legend entry for all of them."""
    drawn = False
    for item in items:
        if not valid.get(item, False):
            continue
        rows = dist[dist["item"] == item]
        hidden = rows[rows["pct"].isna()]
        if hidden.empty:
            continue
        share = max(0.0, 100.0 - float(rows["pct"].sum()))
        parts = seg[(seg["item"] == item) & seg["level"].isin(hidden["level"])]
        sides = set(parts["side"]) - {"neutral"}
        y = y_of[item]
        if len(sides) == 1 and share > 0:
            mine = seg[seg["item"] == item]
            if sides == {"negative"}:
                edge = float(np.nanmin(mine["start"].to_numpy(dtype=float), initial=0.0))
                left = edge - share
            else:
                left = float(np.nanmax(mine["end"].to_numpy(dtype=float), initial=0.0))
            ax.barh([y], [share], left=[left], height=bar_h, color="#bdbdbd", hatch="////",
                    edgecolor="white", linewidth=0.6, zorder=2,
                    label=None if drawn else label)  # fmt: skip
        else:
            ax.text(0, y + bar_h / 2 + 0.05, label, ha="center", va="top", fontsize=6.5,
                    color="#444444", style="italic")  # fmt: skip
            if not drawn:
                ax.barh([], [], color="#bdbdbd", hatch="////", label=label)
        drawn = True


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
    fig, sub = _new_figure(width, 1.3 + 0.3 * n, footer)
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
    ax.set_yticks(range(len(covariates)), [_wrap(_label(covariate_labels, c), 34)
                                           for c in covariates])  # fmt: skip
    ax.set_ylim(n - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
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
