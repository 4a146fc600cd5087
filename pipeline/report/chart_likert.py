"""Diverging stacked bars of Likert items (the share of each answer level, negative
levels to the left), with suppressed segments shown as suppressed."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.likert import likert_diverging as likert_segments
from pipeline.report.chart_common import (
    GRID,
    NA_COLOUR,
    _check_columns,
    _finite,
    _hatched_bars,
    _label,
    _new_figure,
    _ordered,
    _pct_formatter,
    _styled,
    _text_colour,
    _wrap,
)
from pipeline.report.figure_style import OKABE_ITO
from pipeline.report.formatting import fmt_number

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
