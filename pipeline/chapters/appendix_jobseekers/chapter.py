"""Appendix II: every question of the candidate and control-group surveys, per group.

Generated from the codebook (``analysis/items.py``), not written by hand: every variable of
the two instruments that holds an answer (categorical, ordinal, integer, number, unit)
gets a table block with n, % of all respondents, valid % and missing per group (Werktop /
control). Items asked of candidates only (the Werktop block) are described for candidates
only. Items asked of both groups are compared with the default test of their kind
(chi-square or Fisher / Monte Carlo for categorical, Mann-Whitney for ordinal, Welch for
numeric) and the p-values are adjusted with Benjamini-Hochberg across the whole appendix.

Blocks (one table each) follow the questionnaire: a variable's block comes from
``BLOCK_OF`` when listed, else from its scale or multiple-response set, else "background"
for the analysis plan's covariates and the unit, else "other"; candidate-only variables
form the "werktop" block.
"""

from __future__ import annotations

import pandas as pd

from analysis.items import (
    ItemSpec,
    adjust_item_pvalues,
    compare_items,
    describe_categorical_items,
    describe_numeric_items,
)
from pipeline.report.chapter import AnalysisInputs, Chapter, ChapterResults, TableSpec, ViewInputs
from pipeline.report.disclosure_control import mask_extremes
from pipeline.report.view import records

BLOCKS = ("background", "work", "search", "self_efficacy", "treatment", "werktop", "other")
BLOCK_OF = {
    "werkstatus": "work", "uren_week": "work", "contract": "work",
    "sollicitaties_4wk": "search", "tevreden_meerwaarde": "treatment",
}  # fmt: skip
SCALE_BLOCK = {"zoekgedrag": "search", "eigen_effectiviteit": "self_efficacy",
               "bejegening": "treatment"}  # fmt: skip
KIND = {"categorical": "categorical", "ordinal": "ordinal", "unit": "categorical",
        "integer": "numeric", "number": "numeric"}  # fmt: skip
GROUPS = ("werktop", "control")
ITEM = ("block", "item", "question_nl", "question_en")

CATEGORICAL = TableSpec(
    "appendix_jobseekers_categorical",
    (*ITEM, "kind", "group", "code", "label_nl", "label_en", "n", "pct_all", "pct_valid",
     "n_valid", "n_missing", "pct_missing", "n_total"),
    "Appendix II: answers to every categorical and ordinal question of the candidate and "
    "control-group surveys, per group (all codes in codebook order, also unused ones)",
    extra_columns={
        "block": ("string", "Questionnaire block (one appendix table each)"),
        "item": ("string", "Codebook variable"),
        "question_nl": ("string", "Question text (Dutch)"),
        "question_en": ("string", "Question text (English)"),
        "kind": ("string", "categorical or ordinal"),
        "group": ("string", "werktop (candidates) or control"),
        "code": ("integer", "Answer code (codebook); for the unit: its position in the codebook"),
        "label_nl": ("string", "Answer label (Dutch)"),
        "label_en": ("string", "Answer label (English)"),
        "pct_all": ("number", "Percentage of all respondents of the group (missing included)"),
        "pct_valid": ("number", "Percentage of the group's valid answers"),
        "n_valid": ("integer", "Valid answers in the group"),
        "n_missing": ("integer", "Missing answers in the group (blank, missing codes)"),
        "pct_missing": ("number", "Percentage of the group's respondents with no valid answer"),
        "n_total": ("integer", "Respondents in the group"),
    },
    # Per question: a code x group grid whose column totals (n_valid) are published.
    suppress={"n": ("pct_all", "pct_valid")}, margins="columns", suppress_within="item",
    suppress_grid=("code", "group"),
    # The same cells as chapter 6's tables (background, search channels, the
    # relationship manager, the work status behind the employment outcomes).
    cell_keys={"n": "jobseekers:{item}={code}:{group}"},
)
NUMERIC = TableSpec(
    "appendix_jobseekers_numeric",
    (*ITEM, "group", "n", "n_missing", "mean", "sd", "median", "min", "max"),
    "Appendix II: numeric questions of the candidate and control-group surveys, per group",
    extra_columns={
        **{k: CATEGORICAL.extra_columns[k] for k in (*ITEM, "group", "n_missing")},
        "mean": ("number", "Mean of the valid answers"),
        "sd": ("number", "Standard deviation (n - 1) of the valid answers"),
        "median": ("number", "Median of the valid answers"),
        "min": ("number", "Smallest valid answer"),
        "max": ("number", "Largest valid answer"),
    },
    # Statistics of fewer than min_cell answers (min and max are single answers anyway).
    suppress={"n": ("mean", "sd", "median", "min", "max")},
    cell_keys={"n": "jobseekers:{item}:valid:{group}"},
)
TESTS = TableSpec(
    "appendix_jobseekers_tests",
    ("block", "item", "kind", "n_1", "n_2", "test", "statistic", "dof", "p_val",
     "effect_size", "effect_size_type", "p_adj", "family", "note"),
    "Appendix II: Werktop vs control per question asked of both groups, with "
    "Benjamini-Hochberg-adjusted p within the item's multiplicity family",
    extra_columns={
        "block": CATEGORICAL.extra_columns["block"],
        "item": CATEGORICAL.extra_columns["item"],
        "kind": ("string", "categorical, ordinal or numeric"),
        "n_1": ("integer", "Werktop candidates with a valid answer"),
        "n_2": ("integer", "Control-group respondents with a valid answer"),
        "test": ("string", "chi2, fisher, chi2_monte_carlo, mann_whitney, welch_t or "
                 "not_computable (analysis/items.py)"),
        "effect_size": ("number", "Cramér's V, rank-biserial correlation or Hedges' g"),
        "effect_size_type": ("string", "Which effect size: cramers_v, rank_biserial, hedges_g"),
        "p_adj": ("number", "Benjamini-Hochberg-adjusted p within the item's family"),
        "family": ("string", "Multiplicity family: 'appendix' (every tested item of appendix "
                   "II outside a multiple-response set) or 'set:<name>' (the items of one "
                   "multiple-response set, the family chapter 6 corrects them in)"),
    },
    may_be_empty=True,
)


def item_specs(codebook, plan) -> list[dict]:
    """Every answer variable of the candidate and control surveys, in codebook order.

    Returns dicts ``{spec, block, question_nl, question_en, labels_en, werktop_only}``.
    """
    candidates = codebook.instruments["candidates"]
    control = codebook.instruments.get("control")
    shared = set(control.names) if control is not None else set()
    covariates = set(getattr(getattr(plan, "covariates", None), "adjust", ()) or ())
    out = []
    seen = set()
    variables = list(candidates.variables)
    if control is not None:
        variables += [v for v in control.variables if v.name not in set(candidates.names)]
    for var in variables:
        if var.type not in KIND or var.name in seen or not var.substantive:
            continue
        seen.add(var.name)
        kind = KIND[var.type]
        if var.type == "unit":
            codes = tuple(range(1, len(codebook.units) + 1))
            labels_nl = tuple(u.name for u in codebook.units)
            labels_en = labels_nl
        elif kind == "numeric":
            codes, labels_nl, labels_en = (), (), ()
        else:
            codes = tuple(c.code for c in var.codes)
            labels_nl = tuple(c.nl for c in var.codes)
            labels_en = tuple(c.en for c in var.codes)
        werktop_only = var.name not in shared
        if werktop_only:
            block = "werktop"
        elif var.name in BLOCK_OF:
            block = BLOCK_OF[var.name]
        elif var.scale in SCALE_BLOCK:
            block = SCALE_BLOCK[var.scale]
        elif var.mrset:
            block = "search"
        elif var.name in covariates or var.type == "unit":
            block = "background"
        else:
            block = "other"
        out.append({
            "spec": ItemSpec(var.name, kind, codes, labels_nl, tuple(var.missing)),
            "block": block, "question_nl": var.question_nl, "question_en": var.question_en,
            "labels_en": labels_en, "werktop_only": werktop_only, "mrset": var.mrset,
        })  # fmt: skip
    return out


def _unit_codes(data: pd.DataFrame, codebook, items: list[dict]) -> pd.DataFrame:
    """The unit column as codes 1..k in codebook order (as its ItemSpec declares)."""
    units = [i["spec"].name for i in items if i["spec"].kind == "categorical"
             and i["spec"].labels == tuple(u.name for u in codebook.units)]  # fmt: skip
    if not units:
        return data
    position = {u.id: k for k, u in enumerate(codebook.units, start=1)}
    return data.assign(**{name: data[name].map(position) for name in units})


def _adjust_by_family(tests: pd.DataFrame, items: list[dict]) -> pd.DataFrame:
    """Benjamini-Hochberg per multiplicity family: the items of a multiple-response set
    form the set's own family (as chapter 6 tests the set, so one item has one adjusted p
    in the whole report); every other tested item belongs to the appendix family."""
    family = {i["spec"].name: (f"set:{i['mrset']}" if i["mrset"] else "appendix")
              for i in items}  # fmt: skip
    tests = tests.assign(family=tests["item"].map(family).fillna("appendix"))
    parts = [adjust_item_pvalues(part, "fdr_bh")
             for _, part in tests.groupby("family", sort=False)]  # fmt: skip
    return pd.concat(parts).sort_index()


#: The test columns of an item chapter 6 tests (a multiple-response set's items): the
#: appendix shows chapter 6's row (``jobseekers_channels``), so it keeps no copy of its own.
SET_TEST_COLUMNS = ("statistic", "dof", "p_val", "effect_size", "p_adj")
IN_CHAPTER_6 = "tested in chapter 6 (jobseekers_channels)"


def _in_chapter_6(tests: pd.DataFrame) -> pd.DataFrame:
    """Blank the test of every item of a multiple-response set (family 'set:...'):
    chapter 6 compares the set, with its own disclosure control, and one statistic is
    computed once. The family stays, so the view can point at chapter 6's row."""
    in_set = tests["family"].astype(str).str.startswith("set:")
    tests = tests.copy()
    for col in SET_TEST_COLUMNS:
        tests[col] = tests[col].where(~in_set)
    tests["note"] = tests["note"].where(~in_set, IN_CHAPTER_6)
    return tests


def appendix_tables(
    data: pd.DataFrame, codebook, plan, *, seed: int, min_cell: int = 1
) -> dict[str, pd.DataFrame]:
    """The three appendix tables (columns as in the TableSpecs); a minimum or maximum
    held by fewer than ``min_cell`` respondents reads "x" (``mask_extremes``)."""
    items = item_specs(codebook, plan)
    data = _unit_codes(data.reset_index(drop=True), codebook, items)
    groups = data["werktop"].map({1: "werktop", 0: "control"})
    meta = pd.DataFrame([{"item": i["spec"].name, "block": i["block"],
                          "question_nl": i["question_nl"], "question_en": i["question_en"]}
                         for i in items])  # fmt: skip
    shared = [i["spec"] for i in items if not i["werktop_only"]]
    only = [i["spec"] for i in items if i["werktop_only"]]
    werktop = (groups == "werktop").to_numpy()
    cat = pd.concat([
        describe_categorical_items(data, shared, groups, group_order=GROUPS),
        describe_categorical_items(data[werktop], only, groups[werktop],
                                   group_order=("werktop",)),
    ], ignore_index=True)  # fmt: skip
    num = mask_extremes(pd.concat([
        describe_numeric_items(data, shared, groups, group_order=GROUPS),
        describe_numeric_items(data[werktop], only, groups[werktop], group_order=("werktop",)),
    ], ignore_index=True), min_cell)  # fmt: skip
    english = {(i["spec"].name, c): en for i in items
               for c, en in zip(i["spec"].codes, i["labels_en"], strict=True)}  # fmt: skip
    cat = cat.rename(columns={"label": "label_nl"})
    cat["label_en"] = [english.get((item, code), "") for item, code in zip(cat["item"], cat["code"],
                                                                          strict=True)]
    cat = cat.merge(meta, on="item", how="left", sort=False)
    num = num.merge(meta, on="item", how="left", sort=False)
    if shared:
        tests = _in_chapter_6(_adjust_by_family(
            compare_items(data, shared, groups, group_order=GROUPS, seed=seed), items))
    else:
        tests = pd.DataFrame(columns=[*TESTS.columns, "p_adj_method"])
    tests = tests.merge(meta[["item", "block"]], on="item", how="left", sort=False)
    order = {b: k for k, b in enumerate(BLOCKS)}
    position = {i["spec"].name: k for k, i in enumerate(items)}

    def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
        key = frame["block"].map(order) * 10_000 + frame["item"].map(position)
        return frame.assign(_k=key).sort_values("_k", kind="stable").drop(columns="_k")

    return {
        CATEGORICAL.name: _sorted(cat)[list(CATEGORICAL.columns)].reset_index(drop=True),
        NUMERIC.name: _sorted(num)[list(NUMERIC.columns)].reset_index(drop=True),
        TESTS.name: _sorted(tests)[list(TESTS.columns)].reset_index(drop=True),
    }


def analyze(inputs: AnalysisInputs) -> ChapterResults:
    tables = appendix_tables(inputs.data("jobseekers"), inputs.codebook, inputs.plan,
                             seed=inputs.seed, min_cell=inputs.min_cell)  # fmt: skip
    t = tables[TESTS.name]
    # an item of a multiple-response set is tested too: in chapter 6 (its row there)
    tested = t["p_val"].notna() | (t["note"] == IN_CHAPTER_6)
    stats = {"appendix_jobseekers": {"n_tested": int(tested.sum()),
                                     "n_items": int(pd.concat([tables[CATEGORICAL.name]["item"],
                                                               tables[NUMERIC.name]["item"]])
                                                    .nunique())}}  # fmt: skip
    return ChapterResults(tables=tables, stats=stats)


def _anchored(test: dict) -> dict:
    """A test row for the template; ``in_set``: an item of a multiple-response set, whose
    p the template reads from chapter 6's row of the set (``jobseekers_channels``)."""
    return {**test, "_table": TESTS.name,
            "in_set": str(test.get("family") or "").startswith("set:")}


def view(inputs: ViewInputs) -> dict:
    """Blocks -> items -> rows, for the template (one table per block)."""
    cat = inputs.tables[CATEGORICAL.name]
    num = inputs.tables[NUMERIC.name]
    tests = {r["item"]: _anchored(r) for r in records(inputs.tables[TESTS.name])}
    blocks = []
    for block in BLOCKS:
        items = []
        names = list(dict.fromkeys([*cat.loc[cat["block"] == block, "item"],
                                    *num.loc[num["block"] == block, "item"]]))  # fmt: skip
        for name in names:
            c = cat[cat["item"] == name]
            frame, kind = (c, "categorical") if len(c) else (num[num["item"] == name], "numeric")
            rows = records(frame)
            groups = list(dict.fromkeys(r["group"] for r in rows))
            by_group = {g: [r for r in rows if r["group"] == g] for g in groups}
            first = rows[0]
            if kind == "categorical":
                codes = [r for r in by_group[groups[0]]]
                lines = [{"label_nl": r["label_nl"], "label_en": r["label_en"],
                          "cells": [by_group[g][k] for g in groups]}
                         for k, r in enumerate(codes)]  # fmt: skip
                missing = [by_group[g][0] for g in groups]
            else:
                lines, missing = [], [by_group[g][0] for g in groups]
            items.append({
                "item": name, "kind": kind, "question_nl": first["question_nl"],
                "question_en": first["question_en"], "groups": groups, "lines": lines,
                "missing": missing, "test": tests.get(name),
            })  # fmt: skip
        blocks.append({"block": block, "items": items})
    return {"appendix_js_blocks": blocks}


CHAPTER = Chapter(
    key="appendix_jobseekers",
    kind="appendix",
    tables=(CATEGORICAL, NUMERIC, TESTS),
    # the coded open question last: chapter 6's results rows (``jobseekers_wishes``)
    exhibits=(*(f"table:appendix_js_{b}" for b in BLOCKS), "table:appendix_js_wishes"),
    exhibit_tables={**{f"appendix_js_{b}": CATEGORICAL.name for b in BLOCKS},
                    "appendix_js_wishes": "jobseekers_wishes"},
    stats=("appendix_jobseekers.n_tested", "appendix_jobseekers.n_items"),
    analyze=analyze,
    view=view,
)
