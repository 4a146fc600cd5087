"""Werktop versus the control group: work, job search, self-efficacy, treatment, satisfaction.

The outcome family comes from the analysis plan (``[families.primary]``): binary outcomes
are compared as proportions, continuous ones as means, and p-values are adjusted across the
whole family with the family's multiplicity method.
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure

from analysis.means import MEANS_COLUMNS, compare_means
from analysis.multiplicity import adjust_pvalues
from analysis.proportions import PROPORTION_COLUMNS, compare_proportions
from pipeline.chapter import (
    AnalysisInputs,
    Chapter,
    ChapterResults,
    FigureInputs,
    FigureSpec,
    TableSpec,
    ViewInputs,
)
from pipeline.errors import UserError
from pipeline.figure_style import GROUP_COLOURS, percent_axis, wrap
from pipeline.formatting import fmt_ci, fmt_level, fmt_p_rel, fmt_pct, fmt_pp, is_missing
from pipeline.plan import AnalysisPlan, Outcome
from pipeline.view import records

FAMILY = "primary"
LABELS = ("outcome", "label_nl", "label_en")
EMPLOYMENT = TableSpec(
    "employment_comparison",
    (*LABELS, *PROPORTION_COLUMNS, "p_adj"),
    "Binary outcomes of the primary family: proportions, test, risk difference, odds ratio "
    "and risk ratio, Werktop vs control (crude)",
)
SCALES = TableSpec(
    "scale_comparison",
    (*LABELS, *MEANS_COLUMNS, "p_adj"),
    "Continuous outcomes of the primary family: means, Welch t-test, mean difference and "
    "Hedges' g, Werktop vs control (crude)",
)
COMPARE = {"binary": compare_proportions, "continuous": compare_means}


def _compare_each(jobseekers: pd.DataFrame, outcomes: list[Outcome], alpha: float) -> pd.DataFrame:
    """One row per outcome: ``compare(treated, control)`` with the outcome's labels first."""
    treated = jobseekers["werktop"] == 1
    rows = []
    for outcome in outcomes:
        compare = COMPARE[outcome.kind]
        row = compare(
            jobseekers.loc[treated, outcome.name], jobseekers.loc[~treated, outcome.name],
            alpha=alpha,
        )
        row.insert(0, "outcome", outcome.name)
        row.insert(1, "label_nl", outcome.label_nl)
        row.insert(2, "label_en", outcome.label_en)
        rows.append(row)
    return pd.concat(rows, ignore_index=True)


def compare_family(
    jobseekers: pd.DataFrame, plan: AnalysisPlan, *, alpha: float, method: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Binary and continuous members of the family, adjusted across the whole family."""
    members = plan.family(FAMILY)
    unsupported = [f"{o.name} ({o.kind})" for o in members if o.kind not in COMPARE]
    if unsupported:
        raise UserError(
            f"{plan.path}: family {FAMILY!r} has outcomes this chapter cannot compare yet: "
            f"{unsupported}; expected kinds {list(COMPARE)}"
        )
    binary = _compare_each(jobseekers, [o for o in members if o.kind == "binary"], alpha)
    scales = _compare_each(jobseekers, [o for o in members if o.kind == "continuous"], alpha)
    adjusted = adjust_pvalues([*binary["p_val"], *scales["p_val"]], method)
    binary["p_adj"] = adjusted[: len(binary)]
    scales["p_adj"] = adjusted[len(binary):]
    return binary, scales


def _by_outcome(frame: pd.DataFrame) -> dict[str, dict]:
    return {str(r["outcome"]): r for r in frame.to_dict(orient="records")}


def analyze(inputs: AnalysisInputs) -> ChapterResults:
    method = inputs.plan.method(FAMILY, inputs.multiplicity)
    binary, scales = compare_family(
        inputs.data("jobseekers"), inputs.plan, alpha=inputs.alpha, method=method
    )
    stats = {
        "employment": _by_outcome(binary),
        "scales": _by_outcome(scales),
        "outcome_family": {
            "method": method,
            "size": len(binary) + len(scales),
            "members": list(binary["outcome"]) + list(scales["outcome"]),
        },
    }
    return ChapterResults(
        tables={"employment_comparison": binary, "scale_comparison": scales}, stats=stats
    )


def draw_employment(inputs: FigureInputs) -> Figure:
    table = inputs.tables["employment_comparison"]
    strings, language = inputs.strings, inputs.language
    method = inputs.stats["outcome_family"]["method"]
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
    method_short = strings["multiplicity"][f"{method}_short"]
    for i, r in enumerate(rows):
        top = max([0.0] + [100 * v for v in (r.p_treated, r.p_control) if not is_missing(v)])
        lines = [
            figs["difference"].format(rd=fmt_pp(r.risk_difference, 1, language)),
            figs["difference_ci"].format(
                level=level, ci=fmt_ci(r.rd_ci_low, r.rd_ci_high, 1, language, percent=True)
            ),
        ]
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


def view(inputs: ViewInputs) -> dict:
    return {
        "employment": records(inputs.tables["employment_comparison"]),
        "scales": records(inputs.tables["scale_comparison"]),
    }


CHAPTER = Chapter(
    key="employment",
    tables=(EMPLOYMENT, SCALES),
    figures=(FigureSpec("employment_comparison", ("employment_comparison",), draw_employment),),
    exhibits=(
        "table:employment_tests",
        "table:employment_effects",
        "figure:employment_comparison",
        "table:scale_comparison",
    ),
    exhibit_tables={
        "employment_tests": "employment_comparison",
        "employment_effects": "employment_comparison",
    },
    stats=("employment", "scales", "outcome_family.method", "outcome_family.size",
           "study.confidence"),
    analyze=analyze,
    view=view,
)
