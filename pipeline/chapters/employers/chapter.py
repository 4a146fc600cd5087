"""Chapter 5: how employers (ondernemers) assess Werktop.

One module on purpose: the chapter's tables, its claim 7 rule and its view all read the
same employer survey columns with one missing-data rule, stated once below.

Descriptive chapter on the employer survey: who the employers are, how they rate the
approach and the relatiemanager (Likert items, rapportcijfer), how many people they hired,
which bottlenecks and wishes they name, whether they want to continue, and exploratory
differences between units and size classes (Kruskal-Wallis, Benjamini-Hochberg within the
chapter). It re-tests claim 7 of the 2014 study with a rule stated in the text and in the
claim record.

Missing-data rule throughout: available cases per item. The processed data do not keep
*why* an answer is missing, so "weet niet" and "geen antwoord" (and blanks) are shown
together as one N/A category ("weet niet / geen antwoord"), never as a substantive level.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis._lazy import lazy_import
from analysis.groups import compare_k_groups
from analysis.items import ItemSpec, describe_categorical_items
from analysis.likert import LIKERT_COLUMNS, likert_distribution
from analysis.multiplicity import adjust_pvalues
from analysis.multiresponse import describe_multiresponse
from analysis.ratings import RATING_COLUMNS, describe_rating
from pipeline.report.chapter import (
    AnalysisInputs,
    Chapter,
    ChapterResults,
    FigureInputs,
    FigureSpec,
    TableSpec,
    ViewInputs,
)
from pipeline.report.claims import THRESHOLDS, claim_record, value
from pipeline.report.disclosure_control import without_markers
from pipeline.report.formatting import fmt_level
from pipeline.report.view import records

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# used when a figure is drawn or a model fitted, not when the report is rendered
charts = lazy_import("pipeline.report.charts")
proportion = lazy_import("statsmodels.stats.proportion")

INSTRUMENT = "employers"
#: Code standing for "weet niet / geen antwoord" in the Likert figures (the codebook's 9).
NA_CODE = 9
#: The characteristics described in section 5.1, in the order they are shown.
PROFILE = ("sector", "bedrijfsgrootte", "ervaring_uitkering", "start_contact", "prettig_gesprek")
CONTINUE = "doorgaan"
GRADE = "rm_cijfer"
PASS_MARK = 6
HIRES = ("aangenomen_regulier", "aangenomen_wep")
SIZE = "bedrijfsgrootte"
LIKERT_BLOCKS = (("evaluatie", "evaluatie_aanpak"), ("relatiemanager", "relatiemanager"))
AGREE_CODES = (4, 5)  # mee eens, helemaal mee eens (value set eens5)
BOTTLENECK_SET = "knelpunten"
NO_BOTTLENECK = "knelpunt_geen"
#: Outcomes compared between units and between size classes (exploratory): column, kind.
GROUP_OUTCOMES = (
    ("rm_cijfer", "ordinal"),
    ("scale_evaluatie_aanpak", "continuous"),
    ("scale_relatiemanager", "continuous"),
    ("aangenomen_regulier", "ordinal"),
    ("aangenomen_wep", "ordinal"),
    ("n_knelpunten", "ordinal"),
    ("doorgaan", "ordinal"),
)
#: Short labels for the group-comparison table (the codebook's Dutch text is the question).
SHORT_LABELS = {
    "rm_cijfer": ("Rapportcijfer relatiemanager", "Mark for the relatiemanager"),
    "aangenomen_regulier": ("Aangenomen in reguliere baan", "Hired in a regular job"),
    "aangenomen_wep": ("Aangeboden werkervaringsplaatsen", "Work-experience places offered"),
    "doorgaan": ("Wil doorgaan met Werktop", "Wants to continue with Werktop"),
}
#: First-pass keyword coding of the free-text wishes (case-insensitive regular expressions).
#: A wish can get several codes; a text matching none is "overig". This is a transparent
#: approximation of manual coding, documented in the chapter's text.
WISH_CODES: dict[str, tuple[str, str, str]] = {
    "wens_aansluiting": (r"selecte|nodig hebben|aansluit|passend|behoefte",
                         "Wens: kandidaten beter laten aansluiten bij de behoefte",
                         "Wish: candidates fitting the company's needs better"),
    "wens_administratie": (r"administrat|papierwerk|formulier|rompslomp|regels",
                           "Wens: minder administratie en regels",
                           "Wish: less paperwork and fewer rules"),
    "wens_financieel": (r"financi|kosten draagt|vergoeding|\bgeld\b",
                        "Wens: meer of duidelijker financiële ondersteuning",
                        "Wish: more or clearer financial support"),
    "wens_begeleiding": (r"begeleid|coach|nazorg",
                         "Wens: meer begeleiding op de werkplek",
                         "Wish: more coaching on the job"),
    "wens_contact": (r"contactpersoon|aanspreekpunt|sneller|reageren|loket|afstemming",
                     "Wens: snel en vast contact met de gemeente",
                     "Wish: quick and stable contact with the municipality"),
}
WISH_OTHER = "wens_overig"
WISH_OTHER_LABELS = ("Wens: overig", "Wish: other")
#: Claim 7 rule (thresholds in pipeline.report.claims.THRESHOLDS): share with a grade >=
#: PASS_MARK whose lower CI bound exceeds this share,
CLAIM_PASS_SHARE = THRESHOLDS["pass_share"]
#: ... the administrative and the financial bottleneck among the TOP most named ones ...
CLAIM_SUPPORT_TOP = int(THRESHOLDS["support_top"])
CLAIM_SUPPORT_ITEMS = ("knelpunt_administratie", "knelpunt_financieel")
#: ... and a wish for a better fit: the share who do not agree that the approach fits
#: their needs, or the share naming "candidates do not fit", with a lower CI bound above
#: this (a tenth naming a problem while four in five say it fits is no such wish).
CLAIM_NEEDS_ITEM = "eval_behoefte"
CLAIM_FIT_ITEM = "knelpunt_match"
CLAIM_FIT_SHARE = THRESHOLDS["fit_share"]

LABELS = {
    "variable": ("string", "Codebook variable"),
    "code": ("string", "Answer code (unit id for gemeente); 'missing' for the missing row"),
    "level_nl": ("string", "Dutch label of the answer code"),
    "level_en": ("string", "English label of the answer code"),
    "pct_all": ("number", "Percentage of all respondents (missing included), 0-100"),
    "pct_valid": ("number", "Percentage of the non-missing answers, 0-100"),
    "n_valid": ("integer", "Non-missing answers"),
    "n_missing": ("integer", "Missing answers (blank, weet niet, geen antwoord, missing codes)"),
    "n_total": ("integer", "Respondents"),
    "block": ("string", "Block of the questionnaire"),
    "item": ("string", "Codebook item"),
    "item_nl": ("string", "Short Dutch label of the item (question text)"),
    "item_en": ("string", "Short English label of the item"),
    "level": ("integer", "Answer code"),
    "pct": ("number", "Percentage of the valid answers (weet niet / no answer excluded), 0-100"),
    "n_na": ("integer", "Weet niet / geen antwoord (all missing answers; see chapter text)"),
    "pct_na": ("number", "Percentage weet niet / geen antwoord of all respondents, 0-100"),
    "reverse": ("boolean", "Negatively worded item: agreeing is a negative judgement"),
    "n_agree": ("integer", "Answers mee eens or helemaal mee eens"),
    "p_agree": ("number", "Proportion (helemaal) mee eens of the valid answers"),
    "ci_low": ("number", "Lower Wilson confidence bound (level 1 - alpha)"),
    "ci_high": ("number", "Upper Wilson confidence bound (level 1 - alpha)"),
    "mean": ("number", "Mean"),
    "sd": ("number", "Standard deviation (n - 1)"),
    "group": ("string", "Unit id, or 'total'"),
    "mean_ci_low": ("number", "Lower t confidence bound of the mean"),
    "mean_ci_high": ("number", "Upper t confidence bound of the mean"),
    "median": ("number", "Median"),
    "q1": ("number", "First quartile (R type 7)"),
    "q3": ("number", "Third quartile (R type 7)"),
    "iqr": ("number", "Interquartile range"),
    "min": ("number", "Minimum"),
    "max": ("number", "Maximum"),
    "n_pass": ("integer", "Grades >= 6 (voldoende)"),
    "p_pass": ("number", "Proportion of grades >= 6"),
    "pass_ci_low": ("number", "Lower Wilson confidence bound of p_pass"),
    "pass_ci_high": ("number", "Upper Wilson confidence bound of p_pass"),
    "total": ("integer", "Sum over employers"),
    "n_any": ("integer", "Employers with at least one"),
    "p_any": ("number", "Proportion of employers with at least one"),
    "set": ("string", "Multiple-response set: knelpunten (closed) or wensen (coded free text)"),
    "count": ("integer", "Respondents selecting / mentioning the item"),
    "p": ("number", "Proportion selecting / mentioning the item"),
    "rank": ("integer", "Rank by count within the set (1 = most named; ties share a rank)"),
    "factor": ("string", "Grouping: unit (gemeente) or size (bedrijfsgrootte)"),
    "kind": ("string", "ordinal or continuous"),
    "k": ("integer", "Groups in the test"),
    "k_empty": ("integer", "Groups without observations (left out of the test)"),
    "epsilon_squared": ("number", "Kruskal-Wallis effect size epsilon squared, H / (n - 1)"),
    "p_adj_bh": ("number", "Benjamini-Hochberg adjusted p across all tests of this table"),
}


def _spec(name: str, columns: Sequence[str], description: str, **disclosure: Any) -> TableSpec:
    from pipeline.outputs.catalog import RESULT_COLUMNS

    extra = {c: LABELS[c] for c in columns if c not in RESULT_COLUMNS and c in LABELS}
    return TableSpec(name, tuple(columns), description, extra_columns=extra, **disclosure)


CATEGORY_COLUMNS = (
    "variable", "code", "level_nl", "level_en", "n", "pct_all", "pct_valid", "n_valid",
    "n_missing", "n_total",
)  # fmt: skip
LIKERT_TABLE_COLUMNS = (
    "block", "item", "item_nl", "item_en", "level", "level_nl", "level_en",
    *[c for c in LIKERT_COLUMNS if c not in ("item", "level", "label")],
)  # fmt: skip
AGREE_COLUMNS = (
    "block", "item", "item_nl", "item_en", "reverse", "n_valid", "n_agree", "p_agree",
    "ci_low", "ci_high", "mean", "sd",
)  # fmt: skip
RATING_TABLE_COLUMNS = ("unit", "unit_name", *RATING_COLUMNS[1:])
HIRES_COLUMNS = (
    "outcome", "unit", "unit_name", "n", "n_missing", "total", "n_any", "p_any", "ci_low",
    "ci_high", "mean", "sd", "median", "max",
)  # fmt: skip
MR_COLUMNS = ("set", "item", "label_nl", "label_en", "n", "count", "p", "ci_low", "ci_high",
              "rank")  # fmt: skip
GROUP_TEST_COLUMNS = (
    "factor", "outcome", "label_nl", "label_en", "kind", "test", "statistic", "dof", "p_val",
    "p_adj_bh", "n", "k", "k_empty", "epsilon_squared", "note",
)  # fmt: skip

CATEGORIES = _spec("employer_categories", CATEGORY_COLUMNS,
                   "Employer characteristics and intention to continue: n and % per answer "
                   "code in codebook order, with a row for missing answers",
                   # One distribution per variable; its total (n_valid) is published.
                   suppress={"n": ("pct_all", "pct_valid")}, margins="columns",
                   suppress_within="variable", suppress_exempt={"code": ("missing",)},
                   # The same cells as the total group of appendix I.
                   cell_keys={"n": "employers:{variable}={code}:total"})
LIKERT = _spec("employer_likert", LIKERT_TABLE_COLUMNS,
               "Distribution of the Likert items (evaluation of the approach and of the "
               "relatiemanager), weet niet / geen antwoord apart",
               suppress={"n": ("pct",)}, margins="columns", suppress_within="item",
               cell_keys={"n": "employers:{item}={level}:total"})
AGREE = _spec("employer_agree", AGREE_COLUMNS,
              "Share (helemaal) mee eens per Likert item with Wilson interval, mean and SD",
              suppress={"n_valid": ("mean", "sd"),
                        "n_agree": ("p_agree", "ci_low", "ci_high")},
              complements={"n_agree": "n_valid"},
              # n_agree adds up the Likert table's agreeing codes.
              cell_sums={"n_agree": tuple(f"employers:{{item}}={code}:total"
                                          for code in AGREE_CODES)})
RATING = _spec("employer_rating", RATING_TABLE_COLUMNS,
               "Rapportcijfer of the relatiemanager per unit and in total: n, mean, SD, "
               "median, share >= 6 with Wilson interval",
               suppress={"n": ("mean", "sd", "mean_ci_low", "mean_ci_high", "median", "q1",
                               "q3", "iqr", "min", "max"),
                         "n_pass": ("p_pass", "pass_ci_low", "pass_ci_high")},
               complements={"n_pass": "n"}, margins="columns", total_rows={"unit": ("total",)},
               # n: the valid marks, also in appendix I's numeric table.
               cell_keys={"n": "employers:rm_cijfer:valid:{unit}"})
HIRES_SPEC = _spec("employer_hires", HIRES_COLUMNS,
                   "Hires in regular jobs and work-experience places per unit and in total",
                   # The sum of hires is a magnitude from the n_any employers who hired.
                   suppress={"n": ("mean", "sd", "median", "max"),
                             "n_any": ("p_any", "ci_low", "ci_high", "total")},
                   complements={"n_any": "n"}, margins="columns", suppress_within="outcome",
                   total_rows={"unit": ("total",)},
                   cell_keys={"n": "employers:{outcome}:valid:{unit}"})
MULTI = _spec("employer_multiresponse", MR_COLUMNS,
              "Bottlenecks (closed, multiple response) and wishes (free text, keyword "
              "coded) with Wilson intervals",
              # Multiple response: the counts do not add up to a published total.
              suppress={"count": ("p", "ci_low", "ci_high")}, complements={"count": "n"},
              cell_keys={"count": "employers:{item}=1:total"})
GROUP_TESTS = _spec("employer_group_tests", GROUP_TEST_COLUMNS,
                    "Exploratory Kruskal-Wallis tests between units and between size classes "
                    "with epsilon squared and BH-adjusted p-values")


# ----------------------------------------------------------------------------- helpers
def _instrument(codebook: Any) -> Any:
    return codebook.instruments[INSTRUMENT]


def _short(text: str) -> str:
    """A question as a label: without the trailing full stop."""
    return text.strip().rstrip(".")


def _unit_order(codebook: Any) -> tuple[list[str], dict[str, str]]:
    return [u.id for u in codebook.units], {u.id: u.name for u in codebook.units}


def category_table(data: pd.DataFrame, codebook: Any, variables: Sequence[str]) -> pd.DataFrame:
    """n and % per answer code (codebook order, unused codes kept) plus a missing row."""
    inst = _instrument(codebook)
    frames = []
    for name in variables:
        if name == inst.unit:
            ids, names = _unit_order(codebook)
            spec = ItemSpec(name, "categorical", codes=tuple(ids), labels=tuple(ids))
            nl = en = [names[i] for i in ids]
        else:
            var = inst.variable(name)
            codes = tuple(c.code for c in var.codes)
            spec = ItemSpec(name, "categorical", codes=codes, missing_codes=var.missing)
            nl = [c.nl for c in var.codes]
            en = [c.en for c in var.codes]
        d = describe_categorical_items(data, [spec])
        out = pd.DataFrame({
            "variable": name,
            "code": d["code"].astype(str),
            "level_nl": nl,
            "level_en": en,
            "n": d["n"].astype("int64"),
            "pct_all": d["pct_all"],
            "pct_valid": d["pct_valid"],
            "n_valid": d["n_valid"],
            "n_missing": d["n_missing"],
            "n_total": d["n_total"],
        })
        first = out.iloc[0]
        n_total = int(first["n_total"])
        missing = pd.DataFrame([{
            "variable": name, "code": "missing", "level_nl": "", "level_en": "",
            "n": int(first["n_missing"]),
            "pct_all": 100.0 * first["n_missing"] / n_total if n_total else np.nan,
            "pct_valid": np.nan, "n_valid": int(first["n_valid"]),
            "n_missing": int(first["n_missing"]), "n_total": n_total,
        }])  # fmt: skip
        frames.append(pd.concat([out, missing], ignore_index=True))
    return pd.concat(frames, ignore_index=True)[list(CATEGORY_COLUMNS)]


def likert_items(codebook: Any) -> list[tuple[str, Any]]:
    """(block, variable) of every Likert item, in codebook order within each block."""
    inst = _instrument(codebook)
    return [
        (block, var)
        for block, scale in LIKERT_BLOCKS
        for var in inst.variables
        if var.scale == scale
    ]


def likert_table(data: pd.DataFrame, codebook: Any) -> pd.DataFrame:
    """Level distributions of the Likert items; missing answers counted as N/A."""
    frames = []
    for block, _ in LIKERT_BLOCKS:
        variables = [v for b, v in likert_items(codebook) if b == block]
        if not variables:
            continue
        levels = [c.code for c in variables[0].codes]
        items = data[[v.name for v in variables]].astype("Float64")
        # Every missing answer is "weet niet / geen antwoord" (the data do not say which).
        items = items.fillna(float(NA_CODE))
        dist = likert_distribution(items, levels, na_codes=(NA_CODE,))
        by_name = {v.name: v for v in variables}
        code_nl = {c.code: c.nl for c in variables[0].codes}
        code_en = {c.code: c.en for c in variables[0].codes}
        dist.insert(0, "block", block)
        short_nl = {n: _short(v.question_nl) for n, v in by_name.items()}
        short_en = {n: _short(v.question_en) for n, v in by_name.items()}
        dist.insert(2, "item_nl", dist["item"].map(short_nl))
        dist.insert(3, "item_en", dist["item"].map(short_en))
        dist["level_nl"] = dist["level"].map(code_nl)
        dist["level_en"] = dist["level"].map(code_en)
        frames.append(dist)
    return pd.concat(frames, ignore_index=True)[list(LIKERT_TABLE_COLUMNS)]


def agree_table(likert: pd.DataFrame, data: pd.DataFrame, codebook: Any,
                alpha: float) -> pd.DataFrame:
    """Share (helemaal) mee eens per item, Wilson interval, and the item mean and SD."""
    reverse = {v.name: bool(v.reverse) for _, v in likert_items(codebook)}
    first = likert.groupby("item", sort=False).first()
    agree = likert[likert["level"].isin(AGREE_CODES)].groupby("item", sort=False)["n"].sum()
    n_valid = first["n_valid"].astype("int64")
    n_agree = agree.reindex(first.index).fillna(0).astype("int64")
    valid = n_valid.to_numpy() > 0
    lo = np.full(len(n_valid), np.nan)
    hi = np.full(len(n_valid), np.nan)
    p = np.full(len(n_valid), np.nan)
    if valid.any():
        lo[valid], hi[valid] = proportion.proportion_confint(
            n_agree.to_numpy()[valid], n_valid.to_numpy()[valid], alpha=alpha, method="wilson"
        )
        p[valid] = n_agree.to_numpy()[valid] / n_valid.to_numpy()[valid]
    values = data[list(first.index)].astype("Float64").astype("float64")
    return pd.DataFrame({
        "block": first["block"].to_numpy(),
        "item": first.index.to_numpy(),
        "item_nl": first["item_nl"].to_numpy(),
        "item_en": first["item_en"].to_numpy(),
        "reverse": [reverse[i] for i in first.index],
        "n_valid": n_valid.to_numpy(),
        "n_agree": n_agree.to_numpy(),
        "p_agree": p,
        "ci_low": lo,
        "ci_high": hi,
        "mean": values.mean().to_numpy(),
        "sd": values.std(ddof=1).to_numpy(),
    })[list(AGREE_COLUMNS)]


def rating_table(data: pd.DataFrame, codebook: Any, alpha: float) -> pd.DataFrame:
    ids, names = _unit_order(codebook)
    unit = _instrument(codebook).unit
    table = describe_rating(data[GRADE], data[unit], group_order=ids, pass_mark=PASS_MARK,
                            alpha=alpha)  # fmt: skip
    table = table.rename(columns={"group": "unit"})
    table.insert(1, "unit_name", table["unit"].map(names).fillna(""))
    return table[list(RATING_TABLE_COLUMNS)]


def hires_table(data: pd.DataFrame, codebook: Any, alpha: float) -> pd.DataFrame:
    """Per hires variable and unit (then total): sum, share >= 1 (Wilson), mean, SD."""
    ids, names = _unit_order(codebook)
    unit = _instrument(codebook).unit
    long = pd.concat(
        [data[[unit, *HIRES]], data[[*HIRES]].assign(**{unit: "total"})], ignore_index=True
    ).melt(id_vars=unit, var_name="outcome", value_name="value")
    long["value"] = long["value"].astype("Float64").astype("float64")
    order = [*ids, "total"]
    long[unit] = pd.Categorical(long[unit], categories=order)
    long["outcome"] = pd.Categorical(long["outcome"], categories=list(HIRES))
    grouped = long.groupby(["outcome", unit], observed=False)["value"]
    agg = grouped.agg(n="count", total="sum", mean="mean", median="median", max="max")
    agg["sd"] = grouped.std(ddof=1)
    agg["n_missing"] = grouped.size() - agg["n"]
    agg["n_any"] = long.assign(any=long["value"] >= 1).groupby(
        ["outcome", unit], observed=False)["any"].sum()  # fmt: skip
    agg = agg.reset_index().rename(columns={unit: "unit"})
    n = agg["n"].to_numpy()
    k = agg["n_any"].to_numpy()
    has = n > 0
    lo = np.full(len(n), np.nan)
    hi = np.full(len(n), np.nan)
    if has.any():
        lo[has], hi[has] = proportion.proportion_confint(k[has], n[has], alpha=alpha,
                                                         method="wilson")
    agg["p_any"] = np.where(has, k / np.where(has, n, 1), np.nan)
    agg["ci_low"], agg["ci_high"] = lo, hi
    agg["total"] = agg["total"].where(has).round().astype("Int64")  # a sum of whole numbers
    agg["unit"] = agg["unit"].astype(str)
    agg["outcome"] = agg["outcome"].astype(str)
    agg["unit_name"] = agg["unit"].map(names).fillna("")
    for c in ("n", "n_missing", "n_any"):
        agg[c] = agg[c].astype("int64")
    return agg[list(HIRES_COLUMNS)]


def code_wishes(text: pd.Series) -> pd.DataFrame:
    """0/1 columns per wish code (``WISH_CODES`` plus ``wens_overig``); NaN where no text."""
    t = text.astype("string").str.strip()
    answered = t.notna() & t.ne("")
    out = pd.DataFrame(index=text.index)
    for code, (pattern, _, _) in WISH_CODES.items():
        out[code] = t.str.contains(pattern, case=False, regex=True).fillna(False).astype(float)
    out[WISH_OTHER] = (out.sum(axis=1) == 0).astype(float)
    return out.where(answered, np.nan)


def multiresponse_table(data: pd.DataFrame, codebook: Any, alpha: float) -> pd.DataFrame:
    """Bottlenecks (closed set) and coded wishes, each with Wilson intervals and ranks."""
    inst = _instrument(codebook)
    mrset = next(m for m in inst.mrsets if m.name == BOTTLENECK_SET)
    items = list(mrset.items)
    knel = describe_multiresponse(data, items, alpha=alpha)
    knel.insert(0, "set", "knelpunten")
    knel["label_nl"] = [_short(inst.variable(i).question_nl) for i in items]
    knel["label_en"] = [_short(inst.variable(i).question_en) for i in items]
    wishes = code_wishes(data["wensen"]) if "wensen" in data.columns else pd.DataFrame(
        {c: pd.Series(dtype=float) for c in [*WISH_CODES, WISH_OTHER]})  # fmt: skip
    wish = describe_multiresponse(wishes, list(wishes.columns), alpha=alpha)
    wish.insert(0, "set", "wensen")
    labels = {c: (nl, en) for c, (_, nl, en) in WISH_CODES.items()}
    labels[WISH_OTHER] = WISH_OTHER_LABELS
    wish["label_nl"] = [labels[c][0] for c in wish["item"]]
    wish["label_en"] = [labels[c][1] for c in wish["item"]]
    out = pd.concat([knel, wish], ignore_index=True)
    ranked = out["item"].ne(NO_BOTTLENECK) & out["item"].ne(WISH_OTHER)
    rank = out[ranked].groupby("set")["count"].rank(method="min", ascending=False)
    out["rank"] = rank.reindex(out.index).astype("Int64")
    return out[list(MR_COLUMNS)]


def group_tests(data: pd.DataFrame, codebook: Any, plan: Any, seed: int) -> pd.DataFrame:
    """Kruskal-Wallis per outcome between units and between size classes; BH over all."""
    inst = _instrument(codebook)
    ids, _ = _unit_order(codebook)
    sizes = [c.code for c in inst.variable(SIZE).codes]
    factors = (("unit", inst.unit, ids), ("size", SIZE, sizes))
    rows = []
    for factor, column, order in factors:
        groups = data[column]
        if factor == "size":
            groups = groups.astype("Float64").astype("float64")
            groups = groups.where(groups.isin(order))
        for outcome, kind in GROUP_OUTCOMES:
            if outcome not in data.columns:
                continue
            values = data[outcome].astype("Float64").astype("float64")
            if outcome == CONTINUE:  # ja (1) - misschien (2) - nee (3): order as coded
                values = values.where(values.isin([c.code for c in inst.variable(outcome).codes]))
            _, test = compare_k_groups(values, groups, kind=kind, group_order=order, seed=seed)
            nl, en = _outcome_labels(outcome, inst, plan)
            rows.append({"factor": factor, "outcome": outcome, "label_nl": nl, "label_en": en,
                         **test.iloc[0].to_dict()})  # fmt: skip
    table = pd.DataFrame(rows)
    table["p_adj_bh"] = adjust_pvalues(table["p_val"], "fdr_bh")
    return table[list(GROUP_TEST_COLUMNS)]


def _outcome_labels(name: str, inst: Any, plan: Any) -> tuple[str, str]:
    if name in SHORT_LABELS:
        return SHORT_LABELS[name]
    if name.startswith("scale_"):
        scale = next((s for s in inst.scales if f"scale_{s.name}" == name), None)
        if scale is not None:
            return scale.label_nl, scale.label_en
    for outcome in getattr(plan, "outcomes", ()):
        if getattr(outcome, "name", None) == name:
            return outcome.label_nl, outcome.label_en
    try:
        var = inst.variable(name)
    except Exception:  # noqa: BLE001 - an outcome without a codebook entry keeps its name
        return name, name
    return _short(var.question_nl), var.label_en


def assess_claim7(rating: pd.DataFrame, multi: pd.DataFrame,
                  agree: pd.DataFrame | None = None) -> dict[str, Any]:  # fmt: skip
    """Claim 7 with the rule stated in the chapter (see the module constants); ``agree``
    (the agree table) gives the share that does not agree the approach fits their needs."""
    total = rating[rating["unit"] == "total"].iloc[0]
    knel = multi[multi["set"] == "knelpunten"].set_index("item")
    params = {
        "pass_mark": PASS_MARK, "pass_share": CLAIM_PASS_SHARE, "top": CLAIM_SUPPORT_TOP,
        "fit_share": CLAIM_FIT_SHARE,
    }  # fmt: skip
    rule_values = {
        "pass_mark": value(PASS_MARK, "int"), "pass_share": value(CLAIM_PASS_SHARE, "pct"),
        "top": value(CLAIM_SUPPORT_TOP, "int"), "fit_share": value(CLAIM_FIT_SHARE, "pct"),
    }  # fmt: skip
    if int(total["n"]) == 0 or knel.empty or int(knel["n"].iloc[0]) == 0:
        return claim_record(
            7, "not_testable", rule="rule_7", evidence="no_data_7", values=rule_values,
            measure="share_grade_pass", **params,
        )  # fmt: skip
    positive = bool(total["mean"] >= PASS_MARK and total["pass_ci_low"] > CLAIM_PASS_SHARE)
    ranks = {i: knel.loc[i, "rank"] for i in CLAIM_SUPPORT_ITEMS if i in knel.index}
    support = len(ranks) == len(CLAIM_SUPPORT_ITEMS) and all(
        not pd.isna(r) and int(r) <= CLAIM_SUPPORT_TOP for r in ranks.values()
    )
    needs = (agree.set_index("item").loc[CLAIM_NEEDS_ITEM]
             if agree is not None and CLAIM_NEEDS_ITEM in set(agree["item"]) else None)
    # not agreeing = 1 - agreeing; its lower bound is 1 - the upper bound of agreeing
    misfit_p = None if needs is None else 1.0 - float(needs["p_agree"])
    misfit_low = None if needs is None else 1.0 - float(needs["ci_high"])
    fit = (CLAIM_FIT_ITEM in knel.index
           and bool(knel.loc[CLAIM_FIT_ITEM, "ci_low"] > CLAIM_FIT_SHARE)) or (
        misfit_low is not None and misfit_low > CLAIM_FIT_SHARE)  # fmt: skip
    verdict = "supported" if (positive and support and fit) else "not_supported"

    def share(item: str) -> dict[str, Any]:
        return value(float(knel.loc[item, "p"]) if item in knel.index else None, "pct")

    def rank(item: str) -> dict[str, Any]:
        r = ranks.get(item)
        return value(None if r is None or pd.isna(r) else int(r), "int")

    admin, fin = CLAIM_SUPPORT_ITEMS
    evidence_values = {
        "mean": value(float(total["mean"]), "number1"),
        "p_pass": value(float(total["p_pass"]), "pct"),
        "pass_low": value(float(total["pass_ci_low"]), "pct"),
        "admin": share(admin), "admin_rank": rank(admin),
        "fin": share(fin), "fin_rank": rank(fin),
        "fit": share(CLAIM_FIT_ITEM),
        "fit_low": value(float(knel.loc[CLAIM_FIT_ITEM, "ci_low"])
                         if CLAIM_FIT_ITEM in knel.index else None, "pct"),
        "misfit": value(misfit_p, "pct"), "misfit_low": value(misfit_low, "pct"),
    }  # fmt: skip
    return claim_record(
        7, verdict, rule="rule_7", evidence="evidence_7",
        values={**rule_values, **evidence_values},
        estimate=float(total["p_pass"]), ci_low=float(total["pass_ci_low"]),
        ci_high=float(total["pass_ci_high"]), measure="share_grade_pass",
        positive=positive, support=support, fit=fit,
        mean_grade=float(total["mean"]),
        support_ranks={k: (None if pd.isna(v) else int(v)) for k, v in ranks.items()},
        support_shares={i: float(knel.loc[i, "p"]) for i in CLAIM_SUPPORT_ITEMS
                        if i in knel.index},
        fit_p=float(knel.loc[CLAIM_FIT_ITEM, "p"]) if CLAIM_FIT_ITEM in knel.index
        else None,
        fit_ci_low=float(knel.loc[CLAIM_FIT_ITEM, "ci_low"]) if CLAIM_FIT_ITEM in knel.index
        else None,
        fit_ci_high=float(knel.loc[CLAIM_FIT_ITEM, "ci_high"]) if CLAIM_FIT_ITEM in knel.index
        else None,
        **params,
    )  # fmt: skip


def _clean_number(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def analyze(inputs: AnalysisInputs) -> ChapterResults:
    data = inputs.data("employers")
    codebook = inputs.codebook
    unit = _instrument(codebook).unit
    categories = category_table(data, codebook, [unit, *PROFILE, CONTINUE])
    likert = likert_table(data, codebook)
    agree = agree_table(likert, data, codebook, inputs.alpha)
    rating = rating_table(data, codebook, inputs.alpha)
    hires = hires_table(data, codebook, inputs.alpha)
    multi = multiresponse_table(data, codebook, inputs.alpha)
    tests = group_tests(data, codebook, inputs.plan, inputs.seed)
    claim = assess_claim7(rating, multi, agree)
    total = rating[rating["unit"] == "total"].iloc[0]
    continues = categories[categories["variable"] == CONTINUE].set_index("code")
    knel = multi[multi["set"] == "knelpunten"]
    top = knel[knel["rank"] == 1]
    stats = {
        "employers": {
            "n": len(data),
            "n_units": len(codebook.units),
            "grade": {k: _clean_number(total[k]) for k in
                      ("n", "mean", "sd", "median", "p_pass", "pass_ci_low", "pass_ci_high")},
            "continue_yes": _clean_number(continues["pct_valid"].get("1", np.nan) / 100.0),
            "continue_n": _clean_number(continues["n_valid"].iloc[0]) if len(continues) else 0,
            "bottleneck_n": _clean_number(knel["n"].iloc[0]) if len(knel) else 0,
            "top_bottlenecks": list(top["item"]),
            "wishes_n": _clean_number(multi.loc[multi["set"] == "wensen", "n"].iloc[0]),
            "n_tests": int(tests["p_val"].notna().sum()),
            "n_significant": int((tests["p_adj_bh"] < inputs.alpha).sum()),
            "pass_mark": PASS_MARK,
            "claim_thresholds": {
                "pass_share": CLAIM_PASS_SHARE, "top": CLAIM_SUPPORT_TOP,
                "fit_share": CLAIM_FIT_SHARE,
            },
            "claims": [claim],
            # Negatively worded items (codebook reverse = true), for the Likert figures.
            "reverse_items": [v.name for v in _instrument(codebook).variables if v.reverse],
        }
    }
    tables = {
        "employer_categories": categories,
        "employer_likert": likert,
        "employer_agree": agree,
        "employer_rating": rating,
        "employer_hires": hires,
        "employer_multiresponse": multi,
        "employer_group_tests": tests,
    }
    return ChapterResults(tables=tables, stats=stats)


# ----------------------------------------------------------------------------- figures
def _footer(inputs: FigureInputs) -> str | None:
    if inputs.stats.get("study", {}).get("synthetic"):
        return inputs.strings["report"].get("synthetic_footer")
    return None


def _draw_likert(inputs: FigureInputs, block: str) -> Figure:
    table = without_markers(inputs.tables["employer_likert"])  # suppressed: no bar
    lang = inputs.language
    s = inputs.strings["employers_figures"]
    rows = table[table["block"] == block]
    dist = pd.DataFrame({
        "item": rows["item"], "level": rows["level"], "label": rows[f"level_{lang}"],
        "pct": rows["pct"], "pct_na": rows["pct_na"],
    })  # fmt: skip
    labels = dict(zip(rows["item"], rows[f"item_{lang}"], strict=False))
    return charts.likert_diverging(
        dist, neutral=3, item_labels=labels, axis_label=s["likert_axis"],
        na_label=s["na_label"], footer=_footer(inputs), language=lang,
        reverse_items=inputs.stats["employers"].get("reverse_items", ()),
        reverse_suffix=s["reverse_suffix"], suppressed_label=s["suppressed_label"],
    )  # fmt: skip


def draw_evaluation(inputs: FigureInputs) -> Figure:
    return _draw_likert(inputs, "evaluatie")


def draw_manager(inputs: FigureInputs) -> Figure:
    return _draw_likert(inputs, "relatiemanager")


def draw_bottlenecks(inputs: FigureInputs) -> Figure:
    table = without_markers(inputs.tables["employer_multiresponse"])  # suppressed: no bar
    lang = inputs.language
    s = inputs.strings["employers_figures"]
    # Knelpunten and wensen have different items: one series, the labels say which is which.
    frame = pd.DataFrame({
        "category": table["item"], "group": "all", "p": table["p"],
        "ci_low": table["ci_low"], "ci_high": table["ci_high"],
    })  # fmt: skip
    labels = dict(zip(table["item"], table[f"label_{lang}"], strict=False))
    level = fmt_level(inputs.stats["study"]["confidence"], lang)
    return charts.bar_with_ci(
        frame, category_labels=labels, x_label=s["mr_axis"],
        ci_label=s["ci_label"].format(level=level), footer=_footer(inputs), language=lang,
    )  # fmt: skip


# ----------------------------------------------------------------------------- view
def view(inputs: ViewInputs) -> dict:
    t = inputs.tables
    cats = t["employer_categories"].copy()
    cats["code"] = cats["code"].astype(str)
    likert = t["employer_agree"]
    multi = t["employer_multiresponse"]
    return {
        "emp_categories": {
            name: records(cats[cats["variable"] == name])
            for name in dict.fromkeys(cats["variable"])
        },
        "emp_agree": {
            block: records(likert[likert["block"] == block])
            for block in dict.fromkeys(likert["block"])
        },
        "emp_rating": records(t["employer_rating"]),
        "emp_hires": {
            name: records(t["employer_hires"][t["employer_hires"]["outcome"] == name])
            for name in HIRES
        },
        "emp_bottlenecks": records(multi[multi["set"] == "knelpunten"]),
        "emp_wishes": records(multi[multi["set"] == "wensen"]),
        "emp_tests": records(t["employer_group_tests"]),
    }


CHAPTER = Chapter(
    key="employers",
    sources=("employers",),
    tables=(CATEGORIES, LIKERT, AGREE, RATING, HIRES_SPEC, MULTI, GROUP_TESTS),
    figures=(
        FigureSpec("employer_evaluation", ("employer_likert",), draw_evaluation),
        FigureSpec("employer_manager", ("employer_likert",), draw_manager),
        FigureSpec("employer_bottlenecks", ("employer_multiresponse",), draw_bottlenecks),
    ),
    exhibits=(
        "table:employer_units",
        "table:employer_profile",
        "table:employer_contact",
        "figure:employer_evaluation",
        "figure:employer_manager",
        "table:employer_agree",
        "table:employer_rating",
        "table:employer_hires",
        "figure:employer_bottlenecks",
        "table:employer_multiresponse",
        "table:employer_continue",
        "table:employer_group_tests",
    ),
    exhibit_tables={
        "employer_units": "employer_categories",
        "employer_profile": "employer_categories",
        "employer_contact": "employer_categories",
        "employer_continue": "employer_categories",
    },
    stats=("employers.n", "employers.grade", "employers.claims", "study.confidence"),
    analyze=analyze,
    view=view,
)
