"""Results per unit: targets, achieved counts and attainment (descriptive: n = 5 units)."""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MultipleLocator

from analysis.units import goal_attainment
from pipeline.chapter import (
    AnalysisInputs,
    Chapter,
    ChapterResults,
    FigureInputs,
    FigureSpec,
    TableSpec,
    ViewInputs,
)
from pipeline.codebook import Codebook
from pipeline.figure_style import OKABE_ITO, percent_axis
from pipeline.formatting import fmt_pct, is_missing
from pipeline.view import grouped

INDICATORS = [
    ("contacten", "doel_contacten", "behaald_contacten"),
    ("regulier", "doel_regulier", "behaald_regulier"),
    ("wep", "doel_wep", "behaald_wep"),
]
ATTAINMENT = TableSpec(
    "unit_attainment",
    ("unit", "unit_name", "indicator", "target", "achieved", "attainment", "target_met"),
    "Targets, achieved counts and attainment per unit and indicator",
)
INDICATOR_COLOURS = {
    "contacten": OKABE_ITO["blue"],
    "regulier": OKABE_ITO["orange"],
    "wep": OKABE_ITO["green"],
}
EXTRA_COLOURS = [OKABE_ITO["vermillion"], OKABE_ITO["sky"], OKABE_ITO["purple"]]


def unit_attainment(units: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    table = goal_attainment(units, INDICATORS)
    # Targets and counts are integers in the register (the codebook says so); keep them
    # integers in the published table rather than the float goal_attainment computes with.
    for column in ("target", "achieved"):
        table[column] = table[column].round().astype("Int64")
    names = {u.id: u.name for u in codebook.units}
    order = {u.id: i for i, u in enumerate(codebook.units)}
    table.insert(1, "unit_name", table["unit"].map(names))
    table["_o"] = table["unit"].map(order)
    return table.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)


def analyze(inputs: AnalysisInputs) -> ChapterResults:
    attainment = unit_attainment(inputs.data("units"), inputs.codebook)
    unit_met = attainment.groupby("unit", sort=False)["target_met"].all()
    exceeding = [u.name for u in inputs.codebook.units if bool(unit_met.get(u.id, False))]
    stats = {
        "units": {
            "n_units": len(inputs.codebook.units),
            "n_exceeding_all": len(exceeding),
            "units_exceeding_all": exceeding,
        }
    }
    return ChapterResults(tables={"unit_attainment": attainment}, stats=stats)


def draw_attainment(inputs: FigureInputs) -> Figure:
    table = inputs.tables["unit_attainment"]
    strings, language = inputs.strings, inputs.language
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
    ax.xaxis.set_major_formatter(percent_axis(language))
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


def view(inputs: ViewInputs) -> dict:
    return {"units": grouped(inputs.tables["unit_attainment"], "unit", name="unit_name")}


CHAPTER = Chapter(
    key="units",
    sources=("register",),
    tables=(ATTAINMENT,),
    figures=(FigureSpec("unit_attainment", ("unit_attainment",), draw_attainment),),
    exhibits=("table:unit_attainment", "figure:unit_attainment"),
    stats=("units.n_units", "units.n_exceeding_all", "units.units_exceeding_all"),
    analyze=analyze,
    view=view,
)
