"""Degenerate data are results, not crashes: every function of ``analysis/`` that fits a
model says *why* the data cannot estimate it (``analysis.estimability.NotEstimable`` with a
reason code), and a note it writes can be read back (``note_reason``). Issue 21."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pandas as pd
import pytest

from analysis.counts import compare_counts, rate_ratio
from analysis.estimability import REASONS, NotEstimable, not_estimable_note, note_reason
from analysis.groups import compare_k_groups
from analysis.items import ItemSpec, compare_items
from analysis.models import adjusted_effect, build_design, effect_and_se
from analysis.ordinal import compare_ordinal, ordinal_logit
from analysis.propensity import propensity_scores
from analysis.weighting import weighted_effect


def _frame(n: int = 120, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.tile([1, 0], n // 2)
    age = rng.normal(40, 10, n)
    edu = rng.integers(1, 4, n)
    unit = np.repeat(["a", "b", "c"], n // 3)
    y = (rng.random(n) < 0.3 + 0.2 * t).astype(int)
    score = 3 + 0.4 * t + rng.normal(0, 1, n)
    count = rng.poisson(2 + t, n)
    return pd.DataFrame({"t": t, "age": age, "edu": edu, "unit": unit, "y": y,
                         "score": score, "count": count})  # fmt: skip


ARGS = {"covariates": ["age", "edu"], "categorical": ["edu"], "fixed_effects": ["unit"]}


def _reason(call) -> NotEstimable:
    with pytest.raises(NotEstimable) as info:
        call()
    return info.value


# ---------------------------------------------------------------- the exception and notes
def test_not_estimable_note_reads_back_and_survives_a_process_boundary():
    exc = NotEstimable("too_few_respondents", "2 complete rows for 9 parameters")
    assert isinstance(exc, ValueError)  # callers written before it still stop on it
    assert exc.note == "not estimable (too few respondents: 2 complete rows for 9 parameters)"
    assert str(exc) == exc.note
    back = pickle.loads(pickle.dumps(exc))  # a worker process raises it in the caller
    assert (back.reason, back.detail, back.note) == (exc.reason, exc.detail, exc.note)
    for reason in REASONS:
        assert note_reason(not_estimable_note(reason)) == reason
        assert note_reason(not_estimable_note(reason, "detail: with (brackets")) == reason
    with pytest.raises(ValueError, match="reason"):
        NotEstimable("too_small")


@pytest.mark.parametrize(("note", "reason"), [
    ("not computable (n = 1)", "too_few_respondents"),  # a two-group test's own note
    ("not estimable (complete separation: some fitted probabilities are 0 or 1)",
     "separation"),
    ("IRLS did not converge in 100 iterations", None),  # a warning beside an estimate
    ("statistic is the sample odds ratio", None),
    ("not estimable (something new)", None),  # unknown words are not guessed
    ("", None), (None, None), (float("nan"), None),
])  # fmt: skip
def test_note_reason(note, reason):
    assert note_reason(note) == reason


# ---------------------------------------------------------------- regression designs
def test_one_respondent_per_group_is_too_few_respondents():
    df = _frame().groupby("t").head(1)
    exc = _reason(lambda: adjusted_effect(df, "y", "t", kind="binary", **ARGS))
    assert exc.reason == "too_few_respondents" and "2 complete rows" in exc.detail
    exc = _reason(lambda: effect_and_se(df, "score", "t", kind="continuous", **ARGS))
    assert exc.reason == "too_few_respondents"
    exc = _reason(lambda: propensity_scores(df, "t", **ARGS))
    assert exc.reason == "too_few_respondents"


def test_as_many_respondents_as_parameters_is_too_few():
    # OLS with n = p fits perfectly: no residual, no standard error
    df = _frame().head(3)  # one unit: intercept, treatment and age
    exc = _reason(lambda: build_design(df, "score", "t", ["age"], fixed_effects=["unit"]))
    assert exc.reason == "too_few_respondents" and exc.detail == "3 complete rows for 3 parameters"
    assert len(build_design(_frame().head(4), "score", "t", ["age"]).y) == 4  # n > p: fine


@pytest.mark.parametrize("kind", ["binary", "continuous", "count"])
def test_outcome_missing_everywhere_or_in_one_group(kind):
    column = {"binary": "y", "continuous": "score", "count": "count"}[kind]
    df = _frame().astype({column: "float64"})
    everywhere = df.assign(**{column: np.nan})
    exc = _reason(lambda: adjusted_effect(everywhere, column, "t", kind=kind, **ARGS))
    assert exc.reason == "outcome_missing" and exc.detail == f"{column} has no values"
    one_group = df.copy()
    one_group.loc[one_group["t"] == 0, column] = np.nan
    exc = _reason(lambda: adjusted_effect(one_group, column, "t", kind=kind, **ARGS))
    assert exc.reason == "outcome_missing" and exc.detail == f"{column} has no values where t = 0"


def test_a_group_without_complete_rows_is_too_few_respondents():
    df = _frame()
    df.loc[df["t"] == 1, "age"] = np.nan  # the outcome is there, a covariate is not
    exc = _reason(lambda: adjusted_effect(df, "y", "t", kind="binary", **ARGS))
    assert exc.reason == "too_few_respondents" and exc.detail == "no complete rows where t = 1"


def test_constant_covariate_is_named():
    df = _frame().assign(age=40.0)
    exc = _reason(lambda: adjusted_effect(df, "score", "t", kind="continuous", **ARGS))
    assert exc.reason == "constant_covariate" and exc.detail == "age"
    assert exc.note == "not estimable (constant covariate: age)"
    # a categorical covariate with one level adds no column: nothing to adjust for
    one_level = _frame().assign(edu=2)
    out = adjusted_effect(one_level, "score", "t", kind="continuous", **ARGS).iloc[0]
    assert math.isfinite(out["estimate"]) and out["n_used"] == len(one_level)


def test_collinear_covariates_keep_the_rank_deficient_message():
    df = _frame()
    df["age2"] = 2 * df["age"]
    exc = _reason(lambda: adjusted_effect(df, "y", "t", ["age", "age2"], kind="binary"))
    assert exc.reason == "collinear" and "rank deficient" in str(exc)


def test_mistakes_of_the_caller_are_not_results():
    df = _frame()
    with pytest.raises(ValueError, match="0/1") as info:
        adjusted_effect(df.assign(t=df["t"] + 1), "y", "t", ["age"], kind="binary")
    assert not isinstance(info.value, NotEstimable)
    with pytest.raises(ValueError, match="not in frame") as info:
        build_design(df, "y", "t", ["nope"])
    assert not isinstance(info.value, NotEstimable)


# ---------------------------------------------------------------- weighting, counts
def test_weighted_effect_with_an_outcome_missing_in_one_group():
    df = _frame().astype({"score": "float64"})
    df.loc[df["t"] == 0, "score"] = np.nan
    exc = _reason(lambda: weighted_effect(df, "score", "t", np.ones(len(df)),
                                          kind="continuous"))  # fmt: skip
    assert exc.reason == "outcome_missing" and exc.detail == "score has no values where t = 0"
    df.loc[:, "score"] = 1.0
    df = df[df["t"] == 1]  # no control rows at all
    exc = _reason(lambda: weighted_effect(df, "score", "t", np.ones(len(df)),
                                          kind="continuous"))  # fmt: skip
    assert exc.reason == "outcome_missing"


def test_counts_say_why_they_are_not_estimable():
    df = _frame().astype({"count": "float64"})
    missing = df.copy()
    missing.loc[missing["t"] == 0, "count"] = np.nan
    assert _reason(lambda: compare_counts(missing, "count", "t")).reason == "outcome_missing"
    tiny = df.groupby("t").head(1)  # 2 rows for intercept + treatment
    assert _reason(lambda: rate_ratio(tiny, "count", "t")).reason == "too_few_respondents"
    constant = df.assign(age=30.0)
    exc = _reason(lambda: rate_ratio(constant, "count", "t", covariates=["age"]))
    assert exc.reason == "constant_covariate" and exc.detail == "age"
    assert math.isfinite(rate_ratio(df, "count", "t", covariates=["age"]).iloc[0]["rate_ratio"])


# ---------------------------------------------------------------- ordinal, k groups, items
def test_ordinal_logit_without_a_maximum_likelihood_estimate():
    assert _reason(lambda: ordinal_logit([3, 3], [3, 3])).reason == "no_variation"
    # one answer each: two parameters (a cut-point and beta) for two answers
    assert _reason(lambda: ordinal_logit([4], [2])).reason == "too_few_respondents"
    # every treated answer at or above every control answer: beta runs off to infinity
    exc = _reason(lambda: ordinal_logit([4, 5, 5, 4], [1, 2, 4, 3]))
    assert exc.reason == "separation"
    assert math.isfinite(ordinal_logit([4, 5, 2, 4], [1, 2, 4, 3]).iloc[0]["log_or"])


def test_compare_ordinal_without_the_model_keeps_the_other_comparisons():
    t, c = [4, 5, 5, 4], [1, 2, 4, 3]
    with pytest.raises(NotEstimable):
        compare_ordinal(t, c)
    out = compare_ordinal(t, c, proportional_odds=False).set_index("method")
    assert out.loc["ordinal_logit", "test"] == "none"
    assert math.isnan(out.loc["ordinal_logit", "estimate"])
    assert out.loc["ordinal_logit", "n_treated"] == 4
    assert out.loc["top_box", "estimate"] == pytest.approx(1.0 - 0.25)
    assert math.isfinite(out.loc["mann_whitney", "p_val"])


def test_k_group_and_item_tests_give_their_reasons():
    _, one = compare_k_groups([1, 2, 3], ["a"] * 3, kind="ordinal", group_order=["a", "b"])
    assert note_reason(one.iloc[0]["note"]) == "too_few_respondents"
    _, const = compare_k_groups([2, 2, 2, 2], list("aabb"), kind="ordinal")
    assert note_reason(const.iloc[0]["note"]) == "no_variation"
    _, cats = compare_k_groups([1, 1, 1, 1], list("aabb"), kind="categorical")
    assert note_reason(cats.iloc[0]["note"]) == "no_variation"
    data = pd.DataFrame({"uren": [np.nan, np.nan, 3.0, 4.0], "g": [1, 1, 2, 2]})
    items = compare_items(data, [ItemSpec("uren", "numeric")], data["g"])
    assert items.iloc[0]["test"] == "not_computable"
    assert note_reason(items.iloc[0]["note"]) == "too_few_respondents"
