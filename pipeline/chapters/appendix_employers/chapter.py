"""Appendix I: every closed item of the employer survey, per unit and in total.

The tables are generated from the codebook (``data/codebook/employers.toml``), never written
by hand: each categorical, ordinal and numeric variable lands in one block of the
questionnaire (profile and follow-up questions, counts and the mark, the scale blocks, the
multiple-response set). Free text, ids and dates are not tabulated.

Per item: n, % of all respondents, % of valid answers and the missing count, in total and
per unit; and a test of differences between units (Kruskal-Wallis for ordinal and numeric
items, chi-square or its Monte Carlo version for categorical items) with Benjamini-Hochberg
adjusted p-values across all items of the appendix.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.groups import compare_k_groups
from analysis.items import (
    CATEGORICAL_ITEM_COLUMNS,
    NUMERIC_ITEM_COLUMNS,
    ItemSpec,
    describe_categorical_items,
    describe_numeric_items,
)
from analysis.multiplicity import adjust_pvalues
from pipeline.report.chapter import AnalysisInputs, Chapter, ChapterResults, TableSpec, ViewInputs
from pipeline.report.disclosure_control import mask_extremes
from pipeline.report.view import records

INSTRUMENT = "employers"
TOTAL = "total"
#: Blocks of the questionnaire in appendix order: exhibit key per block.
BLOCKS = ("profile", "counts", "evaluation", "manager", "bottlenecks")
SCALE_BLOCKS = {"evaluatie_aanpak": "evaluation", "relatiemanager": "manager"}
SKIP_TYPES = ("id", "date", "text")

EXTRA = {
    "block": ("string", "Block of the questionnaire (appendix table)"),
    "item": ("string", "Codebook variable"),
    "question_nl": ("string", "Question text (Dutch)"),
    "question_en": ("string", "Question text (English)"),
    "kind": ("string", "categorical, ordinal or numeric"),
    "group": ("string", "Unit id, or 'total'"),
    "code": ("string", "Answer code"),
    "level_nl": ("string", "Dutch label of the answer code"),
    "level_en": ("string", "English label of the answer code"),
    "pct_all": ("number", "Percentage of all respondents of the group (missing included)"),
    "pct_valid": ("number", "Percentage of the valid answers of the group"),
    "n_valid": ("integer", "Valid answers in the group"),
    "n_missing": ("integer", "Missing answers in the group"),
    "pct_missing": ("number", "Percentage missing in the group"),
    "n_total": ("integer", "Respondents in the group"),
    "mean": ("number", "Mean"),
    "sd": ("number", "Standard deviation (n - 1)"),
    "median": ("number", "Median"),
    "min": ("number", "Minimum"),
    "max": ("number", "Maximum"),
    "k": ("integer", "Units in the test"),
    "k_empty": ("integer", "Units without answers (left out of the test)"),
    "epsilon_squared": ("number", "Kruskal-Wallis epsilon squared, H / (n - 1)"),
    "cramers_v": ("number", "Cramer's V (chi-square tests), uncorrected"),
    "p_adj_bh": ("number", "Benjamini-Hochberg adjusted p across all items of the appendix"),
}
ITEM_COLUMNS = ("block", "question_nl", "question_en", *CATEGORICAL_ITEM_COLUMNS[:4],
                "level_nl", "level_en", *CATEGORICAL_ITEM_COLUMNS[5:])  # fmt: skip
NUMERIC_COLUMNS = ("block", "question_nl", "question_en", *NUMERIC_ITEM_COLUMNS)
TEST_COLUMNS = ("block", "item", "kind", "test", "statistic", "dof", "p_val", "p_adj_bh", "n",
                "k", "k_empty", "epsilon_squared", "cramers_v", "note")  # fmt: skip


def _spec(name: str, columns: tuple[str, ...], description: str, **disclosure: Any) -> TableSpec:
    from pipeline.outputs.catalog import RESULT_COLUMNS

    extra = {c: EXTRA[c] for c in columns if c not in RESULT_COLUMNS and c in EXTRA}
    return TableSpec(name, columns, description, extra_columns=extra, **disclosure)


ITEMS = _spec("appendix_employer_items", ITEM_COLUMNS,
              "Every categorical and ordinal employer-survey item: n, % of all, % valid and "
              "missing, per unit and in total (codebook order, unused codes kept)",
              # Per item a code x group grid: the total group gives the row totals, n_valid
              # the column totals; the total group's cells are chapter 5's tables too.
              suppress={"n": ("pct_all", "pct_valid")}, margins="both",
              suppress_within="item", suppress_grid=("code", "group"), grid_total=TOTAL,
              cell_keys={"n": "employers:{item}={code}:{group}"})
NUMERIC = _spec("appendix_employer_numeric", NUMERIC_COLUMNS,
                "Every numeric employer-survey item: n, missing, mean, SD, median, min, max, "
                "per unit and in total",
                suppress={"n": ("mean", "sd", "median", "min", "max")}, margins="columns",
                suppress_within="item", total_rows={"group": (TOTAL,)},
                cell_keys={"n": "employers:{item}:valid:{group}"})
TESTS = _spec("appendix_employer_tests", TEST_COLUMNS,
              "Differences between units per employer-survey item (Kruskal-Wallis or "
              "chi-square) with BH-adjusted p-values")


def block_of(var: Any) -> str | None:
    """The appendix block of a codebook variable (None: not tabulated)."""
    if var.type in SKIP_TYPES or var.type == "unit":
        return None
    if var.mrset:
        return "bottlenecks"
    if var.scale:
        return SCALE_BLOCKS.get(var.scale, "profile")
    if var.type in ("integer", "numeric", "float"):
        return "counts"
    return "profile"


def item_specs(instrument: Any) -> list[tuple[str, Any, ItemSpec]]:
    """(block, variable, ItemSpec) of every tabulated item, blocks in appendix order."""
    out = []
    for block in BLOCKS:
        for var in instrument.variables:
            if block_of(var) != block:
                continue
            if var.codes:
                kind = "ordinal" if var.type == "ordinal" else "categorical"
                spec = ItemSpec(var.name, kind, codes=tuple(c.code for c in var.codes),
                                missing_codes=tuple(var.missing))  # fmt: skip
            else:
                spec = ItemSpec(var.name, "numeric", missing_codes=tuple(var.missing))
            out.append((block, var, spec))
    return out


def _with_total(frame: pd.DataFrame, describe: Any, specs: list[ItemSpec], groups: pd.Series,
                order: list[str]) -> pd.DataFrame:
    per_unit = describe(frame, specs, groups, group_order=order)
    total = describe(frame, specs, total_label=TOTAL)
    both = pd.concat([per_unit, total], ignore_index=True)
    position = {s.name: i for i, s in enumerate(specs)}
    both["_i"] = both["item"].map(position)
    return both.sort_values("_i", kind="stable").drop(columns="_i").reset_index(drop=True)


def analyze(inputs: AnalysisInputs) -> ChapterResults:
    data = inputs.data("employers")
    inst = inputs.codebook.instruments[INSTRUMENT]
    order = [u.id for u in inputs.codebook.units]
    groups = data[inst.unit].where(data[inst.unit].isin(order))
    entries = item_specs(inst)
    block = {var.name: b for b, var, _ in entries}
    var_of = {var.name: var for _, var, _ in entries}
    cat_specs = [s for _, _, s in entries if s.kind != "numeric"]
    num_specs = [s for _, _, s in entries if s.kind == "numeric"]
    # Numeric items: codebook missing codes would already be missing in processed data.
    cats = _with_total(data, describe_categorical_items, cat_specs, groups, order)
    cats["code"] = cats["code"].astype(str)
    labels_nl = {(v.name, str(c.code)): c.nl for v in var_of.values() for c in v.codes}
    labels_en = {(v.name, str(c.code)): c.en for v in var_of.values() for c in v.codes}
    keys = list(zip(cats["item"], cats["code"], strict=True))
    cats["level_nl"] = [labels_nl[k] for k in keys]
    cats["level_en"] = [labels_en[k] for k in keys]
    nums = mask_extremes(_with_total(data, describe_numeric_items, num_specs, groups, order),
                         inputs.min_cell)
    for frame in (cats, nums):
        frame.insert(0, "block", frame["item"].map(block))
        frame.insert(1, "question_nl", frame["item"].map(lambda i: var_of[i].question_nl))
        frame.insert(2, "question_en", frame["item"].map(lambda i: var_of[i].question_en))
        frame["group"] = frame["group"].astype(str)
    rows = []
    for b, var, spec in entries:
        values = data[var.name].astype("Float64").astype("float64")
        values = values.where(~values.isin(list(spec.missing_codes)))
        kind = "categorical" if spec.kind == "categorical" else "ordinal"
        _, test = compare_k_groups(
            values, groups, kind=kind, group_order=order,
            categories=list(spec.codes) if kind == "categorical" else None, seed=inputs.seed,
        )  # fmt: skip
        rows.append({"block": b, "item": var.name, **test.iloc[0].to_dict(), "kind": spec.kind})
    tests = pd.DataFrame(rows)
    tests["p_adj_bh"] = adjust_pvalues(tests["p_val"], "fdr_bh")
    stats = {"appendix_employers": {
        "n": len(data), "n_items": len(entries), "n_tests": int(tests["p_val"].notna().sum()),
        "unit_names": {u.id: u.name for u in inputs.codebook.units},
    }}  # fmt: skip
    return ChapterResults(
        tables={
            "appendix_employer_items": cats[list(ITEM_COLUMNS)],
            "appendix_employer_numeric": nums[list(NUMERIC_COLUMNS)],
            "appendix_employer_tests": tests[list(TEST_COLUMNS)],
        },
        stats=stats,
    )


def view(inputs: ViewInputs) -> dict:
    """Per block: items in order, each with its total rows, per-unit rows and its test."""
    cats = inputs.tables["appendix_employer_items"].copy()
    nums = inputs.tables["appendix_employer_numeric"].copy()
    tests = inputs.tables["appendix_employer_tests"]
    test_of = {r["item"]: r for r in records(tests)}
    for frame in (cats, nums):
        frame["group"] = frame["group"].astype(str)
    cats["code"] = cats["code"].astype(str)
    units = [g for g in dict.fromkeys(cats["group"]) if g != TOTAL]
    if not units:
        units = [g for g in dict.fromkeys(nums["group"]) if g != TOTAL]
    blocks: dict[str, list[dict]] = {b: [] for b in BLOCKS}
    # Every row once as a record, found by its keys (one pass over each table).
    cat_rows: dict[str, list[dict]] = {}
    cat_at: dict[tuple[str, str, str], dict] = {}
    cat_first: dict[tuple[str, str], dict] = {}
    for row in records(cats):
        cat_rows.setdefault(row["item"], []).append(row)
        cat_at.setdefault((row["item"], row["code"], row["group"]), row)
        cat_first.setdefault((row["item"], row["group"]), row)
    num_first: dict[tuple[str, str], dict] = {}
    for row in records(nums):
        num_first.setdefault((row["item"], row["group"]), row)
    for item in dict.fromkeys([*cats["item"], *nums["item"]]):
        if item in cat_rows:
            rows = []
            for row in (r for r in cat_rows[item] if r["group"] == TOTAL):
                per = {u: cat_at.get((item, row["code"], u)) for u in units}
                row["units"] = [None if per[u] is None else per[u]["pct_valid"] for u in units]
                rows.append(row)
            miss = {
                "n_missing": rows[0]["n_missing"], "pct_missing": rows[0]["pct_missing"],
                "units": [cat_first[(item, u)]["n_missing"] for u in units],
            }  # fmt: skip
            entry = {"item": item, "numeric": False, "rows": rows, "missing": miss,
                     "question_nl": rows[0]["question_nl"],
                     "question_en": rows[0]["question_en"], "block": rows[0]["block"]}
        else:
            total = num_first[(item, TOTAL)]
            entry = {"item": item, "numeric": True, "total": total,
                     "units": [num_first[(item, u)] for u in units],
                     "question_nl": total["question_nl"], "question_en": total["question_en"],
                     "block": total["block"]}  # fmt: skip
        entry["test"] = test_of.get(item)
        blocks[entry["block"]].append(entry)
    return {"appx_emp_blocks": blocks, "appx_emp_units": units}


CHAPTER = Chapter(
    key="appendix_employers",
    kind="appendix",
    sources=("employers",),
    tables=(ITEMS, NUMERIC, TESTS),
    exhibits=tuple(f"table:appx_emp_{b}" for b in BLOCKS),
    exhibit_tables={f"appx_emp_{b}": "appendix_employer_items" for b in BLOCKS}
    | {"appx_emp_counts": "appendix_employer_numeric"},
    stats=("appendix_employers.n",),
    analyze=analyze,
    view=view,
)
