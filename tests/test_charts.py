"""Chart functions: deterministic bytes, footer and labels present, awkward inputs survive."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from analysis.likert import likert_distribution
from pipeline.report.charts import (
    bar_with_ci,
    figure_bytes,
    forest_plot,
    likert_diverging,
    love_plot,
    overlap_plot,
    scatter_labelled,
)

FOOTER = "SYNTHETISCHE GEGEVENS — test"


def _svg(fig: Figure) -> str:
    return figure_bytes(fig, "svg").decode("utf-8")  # text stays <text>: searchable


def _dist():
    items = pd.DataFrame(
        {
            "a": [1, 2, 2, 5, 9, np.nan],  # empty levels 3 and 4
            "b": [9, 9, np.nan, np.nan, np.nan, np.nan],  # no valid answers at all
            "c": [5, 5, 4, 4, 3, 1],
        }
    )
    labels = ["helemaal oneens", "oneens", "neutraal", "eens", "helemaal eens"]
    return likert_distribution(items, [1, 2, 3, 4, 5], na_codes=[9], labels=labels)


def _estimates():
    return pd.DataFrame(
        {
            "outcome": ["werk", "werk", "zoek", "zoek"],
            "method": ["ruw", "gewogen", "ruw", "gewogen"],
            "estimate": [2.0, 1.5, 0.8, np.nan],
            "ci_low": [1.2, np.nan, 0.5, np.nan],
            "ci_high": [3.1, np.nan, 1.3, np.nan],
        }
    )


def _balance():
    return pd.DataFrame(
        {
            "covariate": ["leeftijd", "vrouw", "leeftijd", "vrouw"],
            "sample": ["ongewogen", "ongewogen", "gewogen", "gewogen"],
            "smd": [0.31, -0.22, 0.04, np.nan],
        }
    )


def _bins(groups=("Werktop", "Controle")):
    edges = np.linspace(0, 1, 11)
    rows = [
        {"group": g, "bin_left": lo, "bin_right": hi, "count": (i * (k + 2)) % 7}
        for k, g in enumerate(groups)
        for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True))
    ]
    return pd.DataFrame(rows)


def _bars(groups=("Werktop", "Controle")):
    rows = []
    for j, g in enumerate(groups):
        for c, p in zip(["adm", "fin", "geen"], [0.4, 0.25, np.nan], strict=True):
            lo = np.nan if np.isnan(p) else p - 0.1
            rows.append({"category": c, "group": g, "p": p + 0.05 * j, "ci_low": lo + 0.05 * j,
                         "ci_high": p + 0.1 + 0.05 * j})  # fmt: skip
    return pd.DataFrame(rows)


def _units():
    return pd.DataFrame(
        {"unit": ["Hilversum", "Zaanstad", "MUG"], "uren": [3120.5, 1730.5, 840.0],
         "att": [1.34, 0.82, 0.32]}  # fmt: skip
    )


CHARTS = {
    "likert_split": lambda footer=FOOTER, language="nl": likert_diverging(
        _dist(), neutral=3, item_labels={"a": "Item A"}, axis_label="% geldig",
        na_label="weet niet", no_data_label="geen antwoorden", footer=footer, language=language,
    ),
    "likert_separate": lambda footer=FOOTER, language="nl": likert_diverging(
        _dist(), neutral=3, neutral_mode="separate", footer=footer, language=language
    ),
    "forest": lambda footer=FOOTER, language="nl": forest_plot(
        _estimates(), x_label="Odds ratio", ci_label="90%-interval", log_scale=True,
        footer=footer, language=language,
    ),
    "love": lambda footer=FOOTER, language="nl": love_plot(
        _balance(), x_label="|SMD|", threshold_label="0,1", footer=footer, language=language
    ),
    "overlap": lambda footer=FOOTER, language="nl": overlap_plot(
        _bins(), x_label="propensity score", footer=footer, language=language
    ),
    "bar": lambda footer=FOOTER, language="nl": bar_with_ci(
        _bars(), ci_label="90%-interval", footer=footer, language=language
    ),
    "scatter": lambda footer=FOOTER, language="nl": scatter_labelled(
        _units(), x="uren", y="att", label="unit", y_percent=True, reference_y=1.0,
        reference_label="doel", footer=footer, language=language,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_chart_png_is_deterministic_and_has_footer(name):
    first = figure_bytes(CHARTS[name]())
    second = figure_bytes(CHARTS[name]())
    assert first.startswith(b"\x89PNG") and len(first) > 5000
    assert first == second
    assert b"Matplotlib version" not in first
    svg = _svg(CHARTS[name]())
    assert FOOTER in svg
    assert "<dc:date>" not in svg


def test_svg_is_deterministic():
    first = figure_bytes(CHARTS["likert_split"](), "svg")
    assert first == figure_bytes(CHARTS["likert_split"](), "svg")
    assert b"<dc:date>" not in first


def test_footer_is_optional_and_changes_the_image():
    with_footer = figure_bytes(CHARTS["love"]())
    without = figure_bytes(CHARTS["love"](footer=None))
    assert with_footer != without
    assert FOOTER not in _svg(CHARTS["love"](footer=None))


def test_confidence_label_is_passed_in_not_hard_coded():
    for name in ("forest", "bar"):
        svg = _svg(CHARTS[name]())
        assert "90%-interval" in svg
        assert "95%" not in svg


def test_number_formatting_follows_language():
    nl, en = _svg(CHARTS["love"](language="nl")), _svg(CHARTS["love"](language="en"))
    assert "0,10" in nl and "0.10" in en and "0,10" not in en
    assert "1.000" in _svg(
        scatter_labelled(_units(), x="uren", y="att", label="unit", language="nl")
    )
    assert "1,000" in _svg(
        scatter_labelled(_units(), x="uren", y="att", label="unit", language="en")
    )


def test_likert_survives_empty_levels_and_all_na_item():
    fig = CHARTS["likert_split"]()
    svg = _svg(fig)
    assert "geen antwoorden" in svg  # the item without valid answers is marked, not dropped
    assert "weet niet" in svg and "Item A" in svg
    for label in ("helemaal oneens", "oneens", "neutraal", "eens", "helemaal eens"):
        assert f">{label}<" in svg or label in svg  # every level in the legend
    # only an all-NA battery
    only_na = likert_distribution(pd.DataFrame({"x": [9, np.nan]}), [1, 2, 3], na_codes=[9])
    assert isinstance(likert_diverging(only_na, neutral=2), Figure)
    figure_bytes(likert_diverging(only_na, neutral=2))


def test_likert_item_order_is_fixed():
    fig = likert_diverging(_dist(), neutral=3, item_labels={"a": "A", "b": "B", "c": "C"})
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["A", "B", "C"]
    assert fig.axes[0].get_ylim()[0] > fig.axes[0].get_ylim()[1]  # first item on top


def test_single_group_and_empty_inputs():
    figure_bytes(overlap_plot(_bins(("Werktop",))))
    figure_bytes(bar_with_ci(_bars(("Werktop",)), ci_label="interval"))
    single = _estimates()[lambda d: d["method"] == "ruw"]
    figure_bytes(forest_plot(single))
    all_nan = _estimates().assign(estimate=np.nan, ci_low=np.nan, ci_high=np.nan)
    figure_bytes(forest_plot(all_nan))
    figure_bytes(love_plot(_balance()[lambda d: d["sample"] == "gewogen"]))
    figure_bytes(scatter_labelled(_units().assign(att=np.nan), x="uren", y="att", label="unit"))


def test_groups_differ_without_colour():
    fig = bar_with_ci(_bars(), ci_label="interval")
    hatches = {p.get_hatch() for p in fig.axes[0].patches}
    assert len(hatches) >= 2  # groups are hatched differently, not only coloured
    love = love_plot(_balance())
    markers = {line.get_marker() for line in love.axes[0].lines if line.get_marker() != "None"}
    assert len(markers) >= 2


def test_missing_columns_raise():
    with pytest.raises(ValueError, match="lacks columns"):
        forest_plot(pd.DataFrame({"outcome": ["x"]}))


def test_likert_na_bars_are_one_hatched_patch_of_the_na_shares():
    """Item a: one 'weet niet' (9) among five answers = 20%; b: only 9s = 100%; c: none.
    The N/A bars are one patch (a viewer fills each hatched patch with its own copy of the
    dense dot pattern), with one rectangle per item, top to bottom."""
    fig = CHARTS["likert_split"]()
    dotted = [p for ax in fig.get_axes() for p in ax.patches if p.get_hatch() == "...."]
    assert len(dotted) == 1
    rects = dotted[0].get_path().vertices.reshape(-1, 5, 2)
    assert rects[:, 1, 0] == pytest.approx([20.0, 100.0, 0.0])  # right edges = shares
    assert rects[:, 0, 0] == pytest.approx([0.0, 0.0, 0.0])
    assert rects[:, :4, 1].mean(axis=1) == pytest.approx([0.0, 1.0, 2.0])  # item rows
    assert (rects[:, 2, 1] - rects[:, 0, 1]) == pytest.approx([0.64] * 3)


def test_svg_text_stays_text_in_the_report_font():
    svg = _svg(CHARTS["bar"]())
    assert "<text " in svg and "<use xlink:href=\"#DejaVuSans" not in svg  # no glyph paths
    assert set(re.findall(r"font-family: ([^;\"]+)", svg)) == {
        "'Report Sans', 'DejaVu Sans', sans-serif"}
