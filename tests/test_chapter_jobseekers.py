"""Chapter 6 (jobseekers): the analysis step's pieces on small in-memory frames, the fast
chained-equations imputation, and the claim rule. The rendered chapter is checked in
tests/test_end_to_end.py (one pipeline run shared with the other end-to-end checks)."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.pmm import impute_pmm
from pipeline.report.chapter import chapter_module
from pipeline.study.errors import UserError
from pipeline.study.plan import Outcome

JS = chapter_module("jobseekers")


def _outcome(name: str, kind: str) -> Outcome:
    return Outcome(name=name, dataset="jobseekers", kind=kind, family="primary",
                   label_nl=name, label_en=name, description=name, rule="item")  # fmt: skip


# ---------------------------------------------------------------- imputation
def _mcar_frame(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.integers(1, 5, size=n).astype(float)
    y = 1.0 + 0.5 * x + 0.3 * z + rng.normal(size=n)
    frame = pd.DataFrame({"x": x, "z": z, "y": y})
    frame.loc[rng.random(n) < 0.2, "x"] = np.nan
    frame.loc[rng.random(n) < 0.1, "z"] = np.nan
    return frame


def test_pmm_is_deterministic_keeps_observed_values_and_leaves_input_alone():
    frame = _mcar_frame(1)
    before = frame.copy()
    a = impute_pmm(frame, ["x", "z", "y"], m=3, seed=7, burn_in=3)
    b = impute_pmm(frame, ["x", "z", "y"], m=3, seed=7, burn_in=3)
    pd.testing.assert_frame_equal(frame, before)
    assert len(a) == 3
    for fa, fb in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(fa, fb)
        assert fa.notna().all().all()
        observed = frame["z"].notna()
        assert (fa.loc[observed, "z"] == frame.loc[observed, "z"]).all()
        assert set(fa["z"]) <= set(frame["z"].dropna())  # PMM imputes observed codes
    assert not a[0].equals(a[1])  # independent chains


def test_pmm_recovers_a_known_regression_slope_with_rubin_coverage():
    # Simulation with known truth: y = 1 + 0.5 x + 0.3 z + e, x and z MCAR. The slope of
    # x pooled over the imputations should cover 0.5 in most of 40 replications.
    from analysis.pooling import rubin_combine

    covered, estimates = 0, []
    for rep in range(40):
        frames = impute_pmm(_mcar_frame(100 + rep), ["x", "z", "y"], m=5, seed=rep, burn_in=5)
        fits = [sm.OLS(f["y"], sm.add_constant(f[["x", "z"]])).fit() for f in frames]
        pooled = rubin_combine([f.params["x"] for f in fits], [f.bse["x"] ** 2 for f in fits])
        lo, hi = pooled.loc[0, "ci_low"], pooled.loc[0, "ci_high"]
        covered += lo <= 0.5 <= hi
        estimates.append(pooled.loc[0, "estimate"])
    assert abs(np.mean(estimates) - 0.5) < 0.03
    assert covered >= 34  # nominal 38 of 40; binomial lower 1% tail is about 34


def test_pmm_refuses_what_it_cannot_impute():
    frame = pd.DataFrame({"a": [1.0, np.nan], "b": [np.nan, np.nan]})
    with pytest.raises(ValueError):
        impute_pmm(frame, ["a", "b"], m=2, seed=1)
    with pytest.raises(ValueError):
        impute_pmm(frame, ["a"], m=2, seed=1)


# ---------------------------------------------------------------- estimates
def _two_by_two() -> pd.DataFrame:
    # Werktop 30/100 in work, control 10/100: OR = (30*90)/(70*10) = 27/7.
    y = [1] * 30 + [0] * 70 + [1] * 10 + [0] * 90
    t = [1] * 100 + [0] * 100
    # one unit; age alternates 30/40, so each (group, outcome) cell has the same ages and
    # the age coefficient of the logit is exactly 0
    return pd.DataFrame({"werktop": t, "werk": y, "gemeente": "a",
                         "leeftijd": np.tile([30.0, 40.0], 100)})  # fmt: skip


def test_crude_rows_by_hand():
    rows = JS._crude_rows(_two_by_two(), _outcome("werk", "binary"), 0.05)
    odds, rd = rows
    assert odds["estimate"] == pytest.approx(27 / 7, rel=1e-12)
    # Woolf SE of the log OR: sqrt(1/30 + 1/70 + 1/10 + 1/90)
    assert odds["se"] == pytest.approx(math.sqrt(1 / 30 + 1 / 70 + 1 / 10 + 1 / 90), rel=1e-9)
    assert rd["estimate"] == pytest.approx(0.2, rel=1e-12)
    assert (odds["n_used"], odds["n_missing"], odds["n_treated"]) == (200, 0, 100)


def test_estimate_outcome_pools_identical_data_sets_to_the_single_fit_and_weights_of_one():
    frame = _two_by_two()
    ones = np.ones(len(frame))
    rows = JS.estimate_outcome(frame, [frame, frame], [ones, ones], _outcome("werk", "binary"),
                               covariates=["leeftijd"], categorical=[], alpha=0.05)  # fmt: skip
    by = {(r["method"], r["measure"]): r for r in rows}
    # identical completed data: Rubin's B = 0, so the pooled OR is the complete-case OR
    adjusted, cc = by[("adjusted", "odds_ratio")], by[("adjusted_cc", "odds_ratio")]
    assert adjusted["estimate"] == pytest.approx(cc["estimate"], rel=1e-10)
    # age balanced within every cell: the adjusted OR equals the crude 27/7
    assert adjusted["estimate"] == pytest.approx(27 / 7, rel=1e-6)
    # unit weights: the weighted RD is the difference in proportions, 0.30 - 0.10
    assert by[("weighted", "risk_difference")]["estimate"] == pytest.approx(0.2, rel=1e-10)
    assert by[("weighted", "odds_ratio")]["estimate"] == pytest.approx(27 / 7, rel=1e-8)


def test_a_group_without_respondents_gives_not_estimable_rows():
    frame = _two_by_two()
    frame = frame[frame["werktop"] == 1]
    rows = JS.estimate_outcome(frame, [frame], [np.ones(len(frame))],
                               _outcome("werk", "binary"), covariates=["leeftijd"],
                               categorical=[], alpha=0.05)  # fmt: skip
    assert {(r["method"], r["measure"]) for r in rows} == {
        (m, k) for m in ("crude", "adjusted", "adjusted_cc", "weighted", "doubly_robust",
                         "weighted_trimmed", "weighted_ato")
        for k in ("odds_ratio", "risk_difference")
    } | {("adjusted_att", "risk_difference")}  # fmt: skip
    for r in rows:
        assert r["note"] == "not estimable (too few respondents: no control respondents)"
        assert math.isnan(r["estimate"])


# ---------------------------------------------------------------- claims
def _effects(p_adj: float, crude: float, adjusted: float, weighted: float) -> pd.DataFrame:
    rows = [
        {"outcome": "werk_regulier", "method": m, "measure": "odds_ratio", "estimate": e,
         "ci_low": e / 2, "ci_high": e * 2, "p_adj": p_adj if m == "adjusted" else np.nan}
        for m, e in (("crude", crude), ("adjusted", adjusted), ("weighted", weighted))
    ]  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("p_adj", "crude", "adjusted", "weighted", "meets"),
    [
        (0.01, 3.0, 2.0, 1.8, True),
        (0.20, 3.0, 2.0, 1.8, False),  # not significant after the family correction
        (0.01, 3.0, 2.0, 0.9, False),  # the weighted estimate points the other way
        (0.01, 0.5, 0.6, 0.7, False),  # direction opposite to the claim
    ],
)
def test_claim_rule(p_adj, crude, adjusted, weighted, meets):
    verdict = JS.outcome_verdict(_effects(p_adj, crude, adjusted, weighted), "werk_regulier",
                                 "binary", 0.05)  # fmt: skip
    assert verdict["meets_rule"] is meets


def test_claims_carry_truth_on_the_estimands_scale_and_claim_8_is_not_testable():
    effects = _effects(0.01, 3.0, 2.5, 2.2)
    effects = pd.concat([effects, pd.DataFrame([{
        "outcome": "werk_regulier", "method": "weighted", "measure": "risk_difference",
        "estimate": 0.12, "ci_low": 0.05, "ci_high": 0.19, "p_adj": np.nan}])])  # fmt: skip
    truth = {"true_att_regular_job": {"conditional_odds_ratio": 2.0,
                                      "clean_candidates": {"risk_difference": 0.108}}}
    records = JS.claims(effects, [_outcome("werk_regulier", "binary")], 0.05, truth, False)
    one = next(r for r in records if r["claim"] == 1)
    assert one["verdict"] == "supported" and one["truth"] == 2.0 and one["covered"] is True
    assert one["measure"] == "conditional_or"
    assert one["weighted_truth"] == 0.108 and one["weighted_covered"] is True
    eight = next(r for r in records if r["claim"] == 8)
    assert eight["verdict"] == "not_testable" and eight["evidence"] == "wishes_free_text_only"
    # claims whose outcomes are not in the family are not testable
    assert next(r for r in records if r["claim"] == 3)["verdict"] == "not_testable"


# ---------------------------------------------------------------- not estimable (issue 21)
def test_an_outcome_missing_in_one_group_gives_rows_that_say_so():
    frame = _two_by_two().astype({"werk": "float64"})
    frame.loc[frame["werktop"] == 0, "werk"] = np.nan
    rows = JS.estimate_outcome(frame, [frame], [np.ones(len(frame))],
                               _outcome("werk", "binary"), covariates=["leeftijd"],
                               categorical=[], alpha=0.05)  # fmt: skip
    assert len(rows) == 15  # 7 methods x 2 measures and the AME over the treated
    for r in rows:
        assert r["note"] == ("not estimable (outcome missing in a group: no control respondent "
                             "has a value)")
        assert (r["n_treated"], r["n_control"]) == (100, 0)


def test_a_separating_logit_is_not_estimable_but_the_crude_comparison_stands():
    frame = _two_by_two()
    frame["leeftijd"] = np.where(frame["werk"] == 1, 30.0, 40.0)  # age predicts work exactly
    ones = np.ones(len(frame))
    rows = JS.estimate_outcome(frame, [frame, frame], [ones, ones], _outcome("werk", "binary"),
                               covariates=["leeftijd"], categorical=[], alpha=0.05)  # fmt: skip
    by = {(r["method"], r["measure"]): r for r in rows}
    assert by[("crude", "odds_ratio")]["estimate"] == pytest.approx(27 / 7, rel=1e-12)
    for method in ("adjusted", "adjusted_cc"):
        for measure in ("odds_ratio", "risk_difference"):
            row = by[(method, measure)]
            assert row["note"].startswith("not estimable (complete separation")
            assert math.isnan(row["estimate"])


def _effects_with_notes(notes: dict[str, str]) -> pd.DataFrame:
    rows = []
    for outcome, kind in (("werk_regulier", "binary"), ("scale_zoekgedrag", "continuous")):
        measure = JS.PRIMARY_MEASURE[kind]
        note = notes.get(outcome, "")
        for method, e in (("crude", 1.5), ("adjusted", 1.4), ("weighted", 1.3)):
            rows.append({"outcome": outcome, "method": method, "measure": measure,
                         "estimate": np.nan if note and method != "crude" else e,
                         "ci_low": 1.1, "ci_high": 2.0, "p_adj": np.nan,
                         "note": note if method != "crude" else ""})  # fmt: skip
    return pd.DataFrame(rows)


def test_a_claim_on_a_not_estimable_outcome_is_not_testable_and_says_why():
    members = [_outcome("werk_regulier", "binary"), _outcome("scale_zoekgedrag", "continuous")]
    missing = "not estimable (outcome missing in a group: no control respondent has a value)"
    records = JS.claims(_effects_with_notes({"scale_zoekgedrag": missing}), members, 0.05,
                        None, False)  # fmt: skip
    by = {r["claim"]: r for r in records}
    # claim 2 rests on the outcome itself
    assert by[2]["verdict"] == "not_testable" and by[2]["evidence"] == "not_estimable"
    assert by[2]["reason"] == "outcome_missing" and by[2]["outcome"] == "scale_zoekgedrag"
    assert by[2]["values"]["reason"] == {"value": "outcome_missing", "format": "reason"}
    # claim 1's own estimate exists, but the family correction needs every member
    assert by[1]["verdict"] == "not_testable"
    assert by[1]["evidence"] == "family_not_estimable" and by[1]["reason"] == "outcome_missing"
    assert by[1]["values"]["outcome"]["value"]["en"] == "scale_zoekgedrag"


def test_not_estimable_entries_list_every_table_that_lost_a_number():
    effects = _effects_with_notes({"werk_regulier": "not estimable (complete separation)"})
    crude = pd.DataFrame({"outcome": ["scale_zoekgedrag"], "note": ["not computable (n = 1)"]})
    entries = JS.not_estimable_entries(
        effects, {"scale_comparison": crude},
        [{"outcome": "sollicitaties_4wk", "covariates": "leeftijd",
          "note": "not estimable (too few respondents)"}],
        [{"outcome": "tevreden_meerwaarde", "method": "ordinal_logit",
          "note": "not estimable (complete separation)"}],
        "")  # fmt: skip
    assert [(e["table"], e["outcome"], e["what"], e["reason"]) for e in entries] == [
        ("scale_comparison", "scale_zoekgedrag", "crude", "too_few_respondents"),
        ("jobseekers_effects", "werk_regulier", "adjusted:odds_ratio", "separation"),
        ("jobseekers_effects", "werk_regulier", "weighted:odds_ratio", "separation"),
        ("jobseekers_applications", "sollicitaties_4wk", "adjusted", "too_few_respondents"),
        ("jobseekers_satisfaction", "tevreden_meerwaarde", "ordinal_logit", "separation"),
    ]
    assert JS.not_estimable_entries(_effects_with_notes({}), {}, [], [], "") == []


def test_an_outcome_nobody_answered_stays_out_of_the_imputation_and_is_not_estimable():
    rng = np.random.default_rng(4)
    n = 60
    frame = pd.DataFrame({
        "werktop": np.tile([1, 0], n // 2), "gemeente": np.repeat(["a", "b"], n // 2),
        "leeftijd": rng.normal(40, 10, n), "werk": rng.integers(0, 2, n).astype(float),
        "scale": np.nan,
    })  # fmt: skip
    frame.loc[rng.choice(n, 10, replace=False), "leeftijd"] = np.nan  # something to impute
    imputation = importlib.import_module(f"{JS.__package__}.imputation")
    data = imputation.CompletedData(frame, ["leeftijd"], ["werk", "scale"], ["a", "b"], m=2,
                                    seed=1, burn_in=2)  # fmt: skip
    assert data.chains is not None and "scale" not in data.chains.columns
    completed = data.get(1)
    assert completed["leeftijd"].notna().all() and completed["scale"].isna().all()
    rows = JS.estimate_outcome(frame, [data.get(0), completed], [np.ones(n)] * 2,
                               _outcome("scale", "continuous"), covariates=["leeftijd"],
                               categorical=[], alpha=0.05)  # fmt: skip
    assert {r["note"] for r in rows} == {
        "not estimable (outcome missing in a group: no respondent has a value)"}


def test_a_unit_with_respondents_in_one_group_only_stays_a_user_error(codebook):
    # data the user can fix (exit 2), unlike a study too small to compare (a result)
    imputation = importlib.import_module(f"{JS.__package__}.imputation")
    first, second = (u.id for u in codebook.units[:2])
    frame = pd.DataFrame({"werktop": [1, 0, 1, 1], "gemeente": [first, first, second, second]})
    imputation.check_groups_share_units(frame.iloc[:2], codebook)  # one of each: fine
    with pytest.raises(UserError, match="cannot be compared within every unit") as info:
        imputation.check_groups_share_units(frame, codebook)
    assert "2 Werktop candidate(s) and 0 control respondent(s)" in str(info.value)


def test_the_headline_claim_reads_the_primary_row_when_there_is_one():
    claims = importlib.import_module("pipeline.chapters.jobseekers.claims")

    def row(method, measure, estimate, p_adj=float("nan"), primary=False):
        return {"outcome": "werk_regulier", "method": method, "measure": measure,
                "estimate": estimate, "ci_low": estimate - 0.1, "ci_high": estimate + 0.1,
                "p_adj": p_adj, "primary": primary}  # fmt: skip

    effects = pd.DataFrame([
        row("crude", "odds_ratio", 2.0), row("crude", "risk_difference", 0.15),
        row("adjusted", "odds_ratio", 1.8, p_adj=0.20),
        row("weighted", "odds_ratio", 1.7), row("weighted", "risk_difference", 0.12),
        row("doubly_robust", "risk_difference", 0.11, p_adj=0.001, primary=True),
    ])  # fmt: skip
    v = claims.outcome_verdict(effects, "werk_regulier", "binary", 0.05)
    assert v["method"] == "doubly_robust" and v["measure"] == "risk_difference"
    assert v["estimate"] == pytest.approx(0.11) and v["meets_rule"]
    # without the column the adjusted odds ratio decides (p 0.20: not significant)
    old = claims.outcome_verdict(effects.drop(columns="primary"), "werk_regulier", "binary",
                                 0.05)  # fmt: skip
    assert old["method"] == "adjusted" and not old["meets_rule"]
