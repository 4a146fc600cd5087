"""Chapter 6's figures: the employment bar chart, the forest plots of the crude, adjusted
and weighted estimates, the Love plot of covariate balance and the propensity-score
overlap histogram, each drawn from the results tables (``FIGURES``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis._lazy import lazy_import
from analysis.balance import SMD_THRESHOLD
from pipeline.report.chapter import FigureInputs, FigureSpec
from pipeline.report.disclosure_control import without_markers
from pipeline.report.figure_style import GROUP_COLOURS, percent_axis, wrap
from pipeline.report.formatting import fmt_ci, fmt_level, fmt_p_rel, fmt_pct, fmt_pp, is_missing

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib is imported when a figure is drawn, not when the report is rendered
charts = lazy_import("pipeline.report.charts")


def draw_employment(inputs: FigureInputs) -> Figure:
    table = without_markers(inputs.tables["employment_comparison"])  # suppressed: no bar
    strings, language = inputs.strings, inputs.language
    level = fmt_level(inputs.stats["study"]["confidence"], language)
    label_col = f"label_{language}"
    emp = strings["employment"]
    rows = list(table.itertuples(index=False))
    tops = [
        100 * v
        for r in rows
        for v in (r.p_treated, r.p_control)
        if not is_missing(v) and math.isfinite(v)
    ]
    effects = inputs.tables.get("jobseekers_effects")
    primary_rd = primary_rd_rows(effects) if effects is not None else {}
    y_max = min(100.0, max([10.0, *tops]) * 1.45)
    y_max = max(y_max, max(tops, default=0) + (32 if primary_rd else 20))

    from matplotlib.figure import Figure

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
    for i, r in enumerate(rows):
        top = max([0.0] + [100 * v for v in (r.p_treated, r.p_control) if not is_missing(v)])
        lines = [
            figs["difference"].format(rd=fmt_pp(r.risk_difference, 1, language)),
            figs["difference_ci"].format(
                level=level, ci=fmt_ci(r.rd_ci_low, r.rd_ci_high, 1, language, percent=True)
            ),
        ]
        lines.append(figs["p_raw"].format(p=fmt_p_rel(r.p_val, language)))
        adjusted = primary_rd.get(r.outcome)
        if adjusted is not None:  # the primary (adjusted, on the treated) estimate too
            lines += [
                figs["difference_adjusted"].format(rd=fmt_pp(adjusted.estimate, 1, language)),
                figs["difference_ci"].format(level=level, ci=fmt_ci(
                    adjusted.ci_low, adjusted.ci_high, 1, language, percent=True)),
            ]
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
    ax.set_xticks(range(len(rows)), [wrap(str(getattr(r, label_col)), 34) for r in rows])
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylim(0, y_max)
    tick_step = 10 if y_max <= 70 else 20
    ax.set_yticks([t for t in range(0, 101, tick_step) if t <= y_max])
    ax.yaxis.set_major_formatter(percent_axis(language))
    ax.set_ylabel(strings["figures"]["employment_axis"])
    ax.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    ax.tick_params(axis="x", length=0)
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    return fig


def primary_rd_rows(effects: pd.DataFrame) -> dict[str, Any]:
    """Per outcome, the primary risk-difference row of the effects table: the row marked
    ``primary`` on the risk-difference scale where the table has that column, else the
    propensity-weighted effect on the treated (the ATT; the summary reads the same row,
    pipeline/chapters/conclusions/headline.py)."""
    rd = effects[effects["measure"] == "risk_difference"]
    if "primary" in rd.columns and rd["primary"].astype("boolean").fillna(False).any():
        rd = rd[rd["primary"].astype("boolean").fillna(False)]
    else:
        rd = rd[rd["method"] == "weighted"]
    return {str(r.outcome): r for r in rd.itertuples(index=False)
            if not is_missing(r.estimate)}


def _footer(inputs: FigureInputs) -> str | None:
    if inputs.stats.get("study", {}).get("synthetic"):
        return str(inputs.strings["report"].get("synthetic_footer", "")) or None
    return None


def _level_text(inputs: FigureInputs) -> str:
    return fmt_level(inputs.stats["study"]["confidence"], inputs.language)


#: The methods of the forest plots, in legend order (the doubly robust one is primary).
FOREST_METHODS = ("crude", "adjusted", "weighted", "doubly_robust")


def draw_forest(inputs: FigureInputs, measures: Sequence[str], *, log: bool) -> Figure:
    table = inputs.tables["jobseekers_effects"]
    s = inputs.strings["jobseekers"]
    lang = inputs.language
    sel = table[table["measure"].isin(measures)
                & table["method"].isin(FOREST_METHODS)]  # fmt: skip
    frame = sel.rename(columns={}).loc[:, ["outcome", "method", "estimate", "ci_low", "ci_high"]]
    labels = dict(zip(sel["outcome"], sel[f"label_{lang}"], strict=False))
    methods = {m: s[f"method_{m}"] for m in FOREST_METHODS}
    truth = planted_values(inputs.stats, set(frame["outcome"])) if log else {}
    return charts.forest_plot(
        frame, outcome_labels=labels, method_labels=methods,
        x_label=s["forest_ratio_axis"] if log else s["forest_md_axis"],
        ci_label=s["forest_ci"].format(level=_level_text(inputs)), log_scale=log,
        footer=_footer(inputs), language=lang, primary=primary_method(sel),
        truth=truth, truth_label=s["forest_truth"],
    )  # fmt: skip


def primary_method(effects: pd.DataFrame) -> str:
    """The method of the primary estimates: the rows the chapter marks ``primary`` (when
    the effects table has that column and they share one method), else the adjusted
    model, on which the chapter's verdicts rest."""
    if "primary" in effects.columns:
        marked = effects.loc[effects["primary"].astype("boolean").fillna(False), "method"]
        if marked.nunique() == 1:
            return str(marked.iloc[0])
    return "adjusted"


def planted_values(stats: Mapping[str, Any], outcomes: set[str]) -> dict[str, float]:
    """A synthetic study's planted values on the primary estimate's scale, by outcome,
    as the chapter's claim records carry them (``truth`` beside ``estimate``)."""
    out: dict[str, float] = {}
    for record in (stats.get("jobseekers") or {}).get("claims") or ():
        outcome, planted = record.get("outcome"), record.get("truth")
        if outcome in outcomes and isinstance(planted, (int, float)) and math.isfinite(planted):
            out[str(outcome)] = float(planted)
    return out


def draw_forest_ratio(inputs: FigureInputs) -> Figure:
    return draw_forest(inputs, ("odds_ratio", "rate_ratio"), log=True)


def draw_forest_md(inputs: FigureInputs) -> Figure:
    return draw_forest(inputs, ("mean_difference",), log=False)


def _same_level(a: Any, b: Any) -> bool:
    """Codes read back from CSV may be 1 or "1.0"; compare as numbers when they are."""
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def _covariate_label(row: Any, baseline: pd.DataFrame, lang: str,
                     names: Mapping[str, str] | None = None) -> str:
    var = baseline[baseline["variable"] == row.covariate]
    name = str(var[f"label_{lang}"].iloc[0]) if len(var) else str(row.covariate)
    name = (names or {}).get(row.covariate, name)
    if is_missing(row.level):
        return name
    lev = var[[_same_level(v, row.level) for v in var["level"]]]
    level = str(lev[f"level_label_{lang}"].iloc[0]) if len(lev) else str(row.level)
    return f"{name}: {level}"


def draw_love(inputs: FigureInputs) -> Figure:
    balance = inputs.tables["jobseekers_balance"]
    baseline_ = inputs.tables["jobseekers_baseline"]
    s, lang = inputs.strings["jobseekers"], inputs.language
    strings_nl = inputs.strings["jobseekers"].get("covariates", {})
    rows = []
    # a spline's terms are summarised per covariate: its largest |SMD| over the covariate
    # and its spline terms (every term has its own row in jobseekers_balance)
    # (split, not partition: partition of an empty column has no column 0)
    base = balance["covariate"].astype(str).str.split("__rcs", n=1).str[0]
    has_terms = set(base[balance["covariate"].astype(str).str.contains("__rcs")])
    for r, b in zip(balance.itertuples(index=False), base, strict=True):
        if b in has_terms and str(r.covariate) != b:
            continue
        label = _covariate_label(r, baseline_, lang, strings_nl)
        unweighted, weighted = r.smd_unweighted, r.smd_weighted
        if b in has_terms:
            terms = balance[base == b]
            unweighted = terms["smd_unweighted"].abs().max()
            weighted = terms["smd_weighted"].abs().max()
            label = s["love_spline_term"].format(name=label)
        rows.append({"covariate": label, "sample": "unweighted", "smd": unweighted})
        rows.append({"covariate": label, "sample": "weighted", "smd": weighted})
    frame = pd.DataFrame(rows, columns=["covariate", "sample", "smd"])
    return charts.love_plot(
        frame, sample_labels={"unweighted": s["love_before"], "weighted": s["love_after"]},
        threshold=SMD_THRESHOLD, x_label=s["love_axis"], threshold_label=s["love_threshold"],
        footer=_footer(inputs), language=lang, width=6.5,
    )  # fmt: skip


def draw_overlap(inputs: FigureInputs) -> Figure:
    bins = inputs.tables["jobseekers_overlap"]
    s, lang = inputs.strings["jobseekers"], inputs.language
    rows = []
    for r in bins.itertuples(index=False):
        rows.append({"group": "treated", "bin_left": r.bin_low, "bin_right": r.bin_high,
                     "count": r.n_treated})  # fmt: skip
        rows.append({"group": "control", "bin_left": r.bin_low, "bin_right": r.bin_high,
                     "count": r.n_control})  # fmt: skip
    frame = pd.DataFrame(rows, columns=["group", "bin_left", "bin_right", "count"])
    return charts.overlap_plot(
        frame, group_labels={"treated": s["group_treated"], "control": s["group_control"]},
        x_label=s["overlap_axis"], y_label=s["overlap_count"], footer=_footer(inputs),
        language=lang,
    )  # fmt: skip


FIGURES = (
    FigureSpec("employment_comparison", ("employment_comparison", "jobseekers_effects"),
               draw_employment),
    FigureSpec("jobseekers_love", ("jobseekers_balance", "jobseekers_baseline"), draw_love),
    FigureSpec("jobseekers_overlap", ("jobseekers_overlap",), draw_overlap),
    FigureSpec("jobseekers_forest_ratio", ("jobseekers_effects",), draw_forest_ratio),
    FigureSpec("jobseekers_forest_md", ("jobseekers_effects",), draw_forest_md),
)
