"""Plot stage: draw the report figures from the results tables (never from the data).

Writes ``figures/<name>.png`` and ``figures/<name>.svg`` for every figure. Output is
byte-identical for identical inputs:

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
import math
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from pipeline.config import OutputPaths
from pipeline.formatting import fmt_ci, fmt_number, fmt_p_rel, fmt_pct, fmt_pp, is_missing
from pipeline.io import read_json, write_bytes
from pipeline.render import (
    EMPLOYMENT_COLUMNS,
    UNIT_COLUMNS,
    load_strings,
    read_results_table,
)

CREATOR = "werktop-eval"
DPI = 200
FIGURE_NAMES = ("unit_attainment", "employment_comparison")

#: Okabe-Ito palette (distinguishable with the common colour-vision deficiencies).
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "grey": "#666666",
}
INDICATOR_COLOURS = {
    "contacten": OKABE_ITO["blue"],
    "regulier": OKABE_ITO["orange"],
    "wep": OKABE_ITO["green"],
}
EXTRA_COLOURS = [OKABE_ITO["vermillion"], OKABE_ITO["sky"], OKABE_ITO["purple"]]
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


def figure_paths(paths: OutputPaths, name: str) -> dict[str, Path]:
    return {fmt: paths.figures / f"{name}.{fmt}" for fmt in ("png", "svg")}


def _save(fig: Figure, paths: OutputPaths, name: str) -> list[Path]:
    written = []
    for fmt, target in figure_paths(paths, name).items():
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=DPI, **SAVE_OPTIONS[fmt])
        written.append(write_bytes(target, buffer.getvalue()))
    return written


def _percent_axis(language: str) -> FuncFormatter:
    return FuncFormatter(lambda value, _pos: f"{fmt_number(value, 0, language)}%")


def _unit_attainment_figure(table, strings: dict, language: str) -> Figure:
    units = list(dict.fromkeys(table["unit"]))
    unit_names = {row.unit: str(row.unit_name) for row in table.itertuples()}
    indicators = list(dict.fromkeys(table["indicator"]))
    known = [i for i in INDICATOR_COLOURS if i in indicators]
    indicators = known + [i for i in indicators if i not in INDICATOR_COLOURS]
    colours = dict(INDICATOR_COLOURS)
    for extra, colour in zip(
        [i for i in indicators if i not in INDICATOR_COLOURS], EXTRA_COLOURS, strict=False
    ):
        colours[extra] = colour
    labels = strings["indicators"]

    values = {(row.unit, row.indicator): row.attainment for row in table.itertuples(index=False)}
    finite = [100 * v for v in values.values() if not is_missing(v) and math.isfinite(v)]
    x_max = max([100.0, *finite]) * 1.16

    n_ind = len(indicators)
    bar_h = 0.8 / n_ind
    height = 1.4 + 0.2 * len(units) * n_ind
    fig = Figure(figsize=(7.0, height), layout="constrained")
    ax = fig.add_subplot()
    for j, indicator in enumerate(indicators):
        ys, xs = [], []
        for i, unit in enumerate(units):
            v = values.get((unit, indicator))
            y = i - 0.4 + bar_h * (j + 0.5)
            ys.append(y)
            xs.append(0.0 if is_missing(v) else 100 * v)
            label = "–" if is_missing(v) else fmt_pct(v, 0, language)
            ax.text(
                (0.0 if is_missing(v) else 100 * v) + x_max * 0.008,
                y,
                label,
                va="center",
                ha="left",
                fontsize=8,
                color="#222222",
            )
        ax.barh(
            ys,
            xs,
            height=bar_h * 0.92,
            color=colours[indicator],
            label=labels.get(indicator, indicator),
            zorder=2,
        )
    ax.axvline(
        100, color="#222222", linestyle=(0, (4, 3)), linewidth=1.0, zorder=3,
        label=strings["figures"]["target_line"],
    )  # fmt: skip
    ax.set_yticks(range(len(units)), [unit_names[u] for u in units])
    ax.set_ylim(len(units) - 0.5, -0.5)  # first unit on top
    ax.set_xlim(0, x_max)
    ax.xaxis.set_major_formatter(_percent_axis(language))
    step = 25 if x_max <= 200 else 50 if x_max <= 400 else 100
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.grid(axis="x", color="#dddddd", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(strings["figures"]["attainment_axis"])
    handles, labels_ = ax.get_legend_handles_labels()
    order = [labels_.index(strings["figures"]["target_line"])]
    order = [i for i in range(len(handles)) if i not in order] + order  # target line last
    fig.legend(
        [handles[i] for i in order], [labels_[i] for i in order],
        loc="outside lower center", ncols=2, frameon=False, handlelength=1.6,
        columnspacing=1.5,
    )  # fmt: skip
    return fig


def _employment_figure(table, strings: dict, language: str, method: str) -> Figure:
    label_col = f"label_{language}"
    emp = strings["employment"]
    rows = list(table.itertuples(index=False))
    tops = [
        100 * v
        for r in rows
        for v in (r.p_treated, r.p_control)
        if not is_missing(v) and math.isfinite(v)
    ]
    y_max = min(100.0, max([10.0, *tops]) * 1.45)
    y_max = max(y_max, max(tops, default=0) + 20)

    fig = Figure(figsize=(7.0, 4.2), layout="constrained")
    ax = fig.add_subplot()
    width = 0.36
    groups = ((emp["group_treated"], "p_treated"), (emp["group_control"], "p_control"))
    for k, (group_label, column) in enumerate(groups):
        xs = [i + (k - 0.5) * width for i in range(len(rows))]
        hs = [0.0 if is_missing(getattr(r, column)) else 100 * getattr(r, column) for r in rows]
        ax.bar(xs, hs, width=width * 0.94, color=GROUP_COLOURS[k], label=group_label, zorder=2)
        for x, r in zip(xs, rows, strict=True):
            v = getattr(r, column)
            ax.text(
                x,
                (0.0 if is_missing(v) else 100 * v) + y_max * 0.012,
                fmt_pct(v, 1, language),
                ha="center",
                va="bottom",
                fontsize=8,
            )
    figs = strings["figures"]
    multiplicity = strings["multiplicity"]
    for i, r in enumerate(rows):
        top = max([0.0] + [100 * v for v in (r.p_treated, r.p_control) if not is_missing(v)])
        lines = [
            figs["difference"].format(rd=fmt_pp(r.risk_difference, 1, language)),
            figs["difference_ci"].format(
                ci=fmt_ci(r.rd_ci_low, r.rd_ci_high, 1, language, percent=True)
            ),
        ]
        method_short = multiplicity.get(f"{method}_short", method)
        lines.append(f"p ({method_short}) {fmt_p_rel(r.p_adj, language)}")
        ax.text(
            i,
            top + y_max * 0.075,
            "\n".join(lines),
            ha="center",
            va="bottom",
            fontsize=8,
            color="#222222",
            linespacing=1.35,
        )
    ax.set_xticks(range(len(rows)), [_wrap(str(getattr(r, label_col)), 34) for r in rows])
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylim(0, y_max)
    tick_step = 10 if y_max <= 70 else 20
    ax.set_yticks([t for t in range(0, 101, tick_step) if t <= y_max])
    ax.yaxis.set_major_formatter(_percent_axis(language))
    ax.set_ylabel(strings["figures"]["employment_axis"])
    ax.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    ax.tick_params(axis="x", length=0)
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    return fig


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


def plot_figures(paths: OutputPaths, language: str) -> list[Path]:
    """Draw every report figure from ``results/tables`` and return the files written."""
    strings = load_strings(language)
    units = read_results_table(paths, "unit_attainment", UNIT_COLUMNS)
    employment = read_results_table(paths, "employment_comparison", EMPLOYMENT_COLUMNS)
    method = _multiplicity_method(paths)
    written: list[Path] = []
    with matplotlib.rc_context(RC):
        fig = _unit_attainment_figure(units, strings, language)
        written.extend(_save(fig, paths, "unit_attainment"))
        fig = _employment_figure(employment, strings, language, method)
        written.extend(_save(fig, paths, "employment_comparison"))
    return written


def _multiplicity_method(paths: OutputPaths) -> str:
    """The p_adj method named in stats.json (Holm by the results contract)."""
    if paths.stats.is_file():
        stats = read_json(paths.stats)
        if isinstance(stats, dict):
            family = stats.get("outcome_family")
            if isinstance(family, dict) and family.get("method"):
                return str(family["method"])
    return "holm"
