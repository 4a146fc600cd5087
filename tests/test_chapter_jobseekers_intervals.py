"""Chapter 6's interval choice (intervals.py) and clustering sensitivity (clustering.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.bootstrap import att_bootstrap
from analysis.weighting import att_effect
from pipeline.chapters.jobseekers.clustering import CLUSTERING_COLUMNS, clustering_table
from pipeline.chapters.jobseekers.intervals import (
    BOOTSTRAP,
    KNOWN_WEIGHTS,
    SANDWICH,
    Parts,
    dr_estimates,
    pooled_interval,
    pooled_mover,
    replicates_per_set,
    rule_sides,
    sensitivity_estimates,
    weighted_estimates,
)
from pipeline.study.plan import Inference, Outcome

COV = ["leeftijd", "jaren_uitkering", "opleiding", "geslacht"]
CAT = ["opleiding", "geslacht"]
ARGS = dict(covariates=COV, categorical=CAT, fixed_effects=["gemeente"], trim=0.99, alpha=0.05)


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    from synthetic.model import simulate_jobseekers

    return simulate_jobseekers(np.random.default_rng(3), 250, 220)


def test_replicates_are_spread_over_the_imputed_sets():
    rule = Inference(bootstrap_replicates=2000)
    assert replicates_per_set(rule, 1) == 2000
    assert replicates_per_set(rule, 20) == 100
    assert replicates_per_set(rule, 7) == 286
    assert replicates_per_set(rule, 50) == 100  # never fewer than 100


def test_the_effective_control_size_chooses_the_interval(study):
    sandwich = weighted_estimates(study, "werk_regulier", "binary", rule=Inference(0.0),
                                  m=1, seed=(1, 0), **ARGS)  # fmt: skip
    ess = sandwich["ess_control"]
    assert sandwich["interval"] == SANDWICH
    ref = att_effect(study, "werk_regulier", "werktop", COV, kind="binary", categorical=CAT,
                     fixed_effects=["gemeente"], trim=0.99)  # fmt: skip
    assert sandwich["estimates"]["att_rd"] == pytest.approx((ref.loc[0, "estimate"],
                                                             ref.loc[0, "se"]), rel=1e-12)
    rule = Inference(sandwich_min_ess=ess + 1, bootstrap_replicates=200)
    boot = weighted_estimates(study, "werk_regulier", "binary", rule=rule, m=2, seed=(1, 0),
                              **ARGS)  # fmt: skip
    assert boot["interval"] == BOOTSTRAP and boot["ess_control"] == ess
    # the same point estimates; the SE is the bootstrap SD of 100 replicates (200 over m=2)
    for key in ("att_rd", "att_or"):
        assert boot["estimates"][key][0] == sandwich["estimates"][key][0]
    direct = att_bootstrap(study, {"werk_regulier": "binary"}, "werktop", COV, categorical=CAT,
                           fixed_effects=["gemeente"], n_boot=100,
                           seed=np.random.SeedSequence([1, 0xB007, 0]))  # fmt: skip
    assert boot["estimates"]["att_rd"][1] == direct.loc[0, "se"]
    assert boot["estimates"]["att_or"][1] == direct.loc[1, "se"]
    assert math.log(direct.loc[1, "estimate"]) == pytest.approx(boot["estimates"]["att_or"][0])
    # another data set draws other replicates
    other = weighted_estimates(study, "werk_regulier", "binary", rule=rule, m=2, seed=(1, 1),
                               **ARGS)  # fmt: skip
    assert other["estimates"]["att_rd"][1] != boot["estimates"]["att_rd"][1]


def test_the_doubly_robust_interval_follows_the_same_rule(study):
    from analysis.doubly_robust import dr_att

    sandwich = dr_estimates(study, "werk_regulier", "binary", rule=Inference(0.0), m=1,
                            seed=(1, 0), **ARGS)  # fmt: skip
    assert sandwich["interval"] == SANDWICH
    ref = dr_att(study, "werk_regulier", "werktop", COV, kind="binary", categorical=CAT,
                 fixed_effects=["gemeente"], trim=0.99)  # fmt: skip
    assert sandwich["estimates"]["att_rd"] == pytest.approx((ref.loc[0, "estimate"],
                                                             ref.loc[0, "se"]), rel=1e-12)
    rule = Inference(sandwich_min_ess=sandwich["ess_control"] + 1, bootstrap_replicates=100)
    boot = dr_estimates(study, "werk_regulier", "binary", rule=rule, m=1, seed=(1, 0), **ARGS)
    assert boot["interval"] == BOOTSTRAP and boot["sandwich"] == sandwich["estimates"]
    # the SE is the doubly robust bootstrap's (both models re-fitted), same seed stream
    direct = att_bootstrap(study, {"werk_regulier": "binary"}, "werktop", COV, categorical=CAT,
                           fixed_effects=["gemeente"], n_boot=100, estimator="dr",
                           seed=np.random.SeedSequence([1, 0xB007, 0]))  # fmt: skip
    direct = direct.set_index("estimand")
    for key in ("att_rd", "att_or", "att_rr"):
        assert boot["estimates"][key][0] == sandwich["estimates"][key][0]
        assert boot["estimates"][key][1] == direct.loc[key, "se"]


def test_pooled_interval_names_every_method_used():
    assert pooled_interval([BOOTSTRAP, BOOTSTRAP]) == BOOTSTRAP
    # m_estimation_sandwich sorts before stratified_bootstrap
    assert pooled_interval([BOOTSTRAP, SANDWICH, ""]) == f"{SANDWICH}+{BOOTSTRAP}"
    assert pooled_interval(["", ""]) == ""


def _outcome(name: str, kind: str) -> Outcome:
    return Outcome(name=name, dataset="jobseekers", kind=kind, family="primary",
                   label_nl=name, label_en=name, description="", rule="item", source=name,
                   codes=(), scale=None, mrset=None, exclude=())  # fmt: skip


def test_clustering_rows(study):
    noise = np.random.default_rng(0).normal(size=len(study))
    frame = study.assign(score=study["leeftijd"] / 10 + study["werktop"] + noise)
    members = [_outcome("werk_regulier", "binary"), _outcome("score", "continuous")]
    out = clustering_table(frame, members, covariates=COV, categorical=CAT, alpha=0.05, seed=4)
    assert list(out.columns) == list(CLUSTERING_COLUMNS) and len(out) == 2
    r = out.iloc[0]
    units = frame["gemeente"].nunique()
    assert r["n_clusters"] == units and r["enumerated"] and r["n_boot"] == 6**units
    assert r["ci_low"] < r["estimate"] < r["ci_high"] and 0 <= r["p_val"] <= 1
    assert r["het_df"] == units - 1 and r["het_scale"] == "log_or" and r["note"] == ""
    # the weighted difference is the ATT-weighted difference in means
    ref = att_effect(frame, "werk_regulier", "werktop", COV, kind="binary", categorical=CAT,
                     fixed_effects=["gemeente"])  # fmt: skip
    assert r["estimate"] == pytest.approx(ref.loc[0, "estimate"], rel=1e-6)
    assert out.iloc[1]["het_scale"] == "mean_difference"


def test_clustering_needs_two_units(study):
    one = study[study["gemeente"] == study["gemeente"].iloc[0]]
    out = clustering_table(one, [_outcome("werk_regulier", "binary")], covariates=COV,
                           categorical=CAT, alpha=0.05, seed=1)  # fmt: skip
    assert out.empty and list(out.columns) == list(CLUSTERING_COLUMNS)


@pytest.mark.parametrize("method", ["trimmed", "ato"])
def test_sensitivity_rows_follow_the_rule_and_the_bootstrap_is_centred(study, method):
    from analysis.propensity import propensity_scores, trim_rule
    from analysis.ps_weights import ato_weights, att_weights
    from analysis.weighting import weighted_effect

    ps = propensity_scores(study, "werktop", COV, CAT, ["gemeente"])
    if method == "trimmed":
        keep = trim_rule(ps, rule="crump")[0]
        w = att_weights(ps, study["werktop"], trim=0.99)["weight"].to_numpy()
    else:
        keep = np.ones(len(study), dtype=bool)
        w = ato_weights(ps, study["werktop"])["weight"].to_numpy()
    ref = weighted_effect(study.loc[keep], "werk_regulier", "werktop", w[keep], kind="binary")
    common = dict(m=1, seed=(4, 0), **ARGS)
    known = sensitivity_estimates(study, "werk_regulier", "binary", method,
                                  rule=Inference(0.0), ess_control=50.0, **common)  # fmt: skip
    assert known["interval"] == KNOWN_WEIGHTS and known["parts"] == {}
    assert known["estimates"]["att_rd"] == pytest.approx((ref.loc[0, "estimate"],
                                                          ref.loc[0, "se"]), rel=1e-12)
    assert known["counts"]["n_used"] == int(keep.sum())
    rule = Inference(sandwich_min_ess=100.0, bootstrap_replicates=60)
    boot = sensitivity_estimates(study, "werk_regulier", "binary", method, rule=rule,
                                 ess_control=50.0, **common)  # fmt: skip
    assert boot["interval"] == BOOTSTRAP
    direct = att_bootstrap(study, {"werk_regulier": "binary"}, "werktop", COV, categorical=CAT,
                           fixed_effects=["gemeente"], trim=0.99, n_boot=100,  # at least 100
                           seed=np.random.SeedSequence([4, 0xB007, 0]), estimator=method)
    for key, row in zip(("att_rd", "att_or"), direct.itertuples(), strict=True):
        est, se = boot["estimates"][key]
        assert est == known["estimates"][key][0]
        # the bootstrap's full-sample fit is the same estimate (Newton from zero vs IRLS)
        row_est = math.log(row.estimate) if key == "att_or" else row.estimate
        assert row_est == pytest.approx(est, abs=1e-9)
        assert se == row.se
    parts = boot["parts"]["att_rd"]
    rd = boot["estimates"]["att_rd"][0]
    assert parts.mean_treated - parts.mean_control == pytest.approx(rd, abs=1e-9)


def test_pooled_mover_one_set_and_rubins_rules_per_mean():
    from analysis.mover import mover_logit_difference
    from analysis.pooling import rubin_combine

    one = Parts(0.5, 0.1, 0.3, 0.2, 0.05)
    assert pooled_mover([one], 0.05) == mover_logit_difference(0.5, 0.1, 0.3, 0.2, r=0.05)
    sets = [Parts(0.50, 0.10, 0.30, 0.20, 0.0), Parts(0.52, 0.11, 0.27, 0.22, 0.1),
            Parts(0.49, 0.10, 0.31, 0.19, 0.2)]
    res = pooled_mover(sets, 0.05)
    # centred on the mean risk difference, as the Wald row it replaces the interval of
    assert res["estimate"] == pytest.approx(np.mean([p.mean_treated - p.mean_control
                                                     for p in sets]), abs=1e-15)
    lg = lambda p: math.log(p / (1 - p))  # noqa: E731
    r1 = rubin_combine([lg(p.mean_treated) for p in sets],
                       [p.se_logit_treated**2 for p in sets]).iloc[0]
    r0 = rubin_combine([lg(p.mean_control) for p in sets],
                       [p.se_logit_control**2 for p in sets]).iloc[0]
    ref = mover_logit_difference(np.mean([p.mean_treated for p in sets]), r1["se"],
                                 np.mean([p.mean_control for p in sets]), r0["se"], r=0.1,
                                 df1=r1["df"], df0=r0["df"])  # fmt: skip
    assert res == pytest.approx(ref, rel=1e-12)


def test_rule_sides_name_the_side_of_the_threshold():
    assert rule_sides(["stratified_bootstrap_mover", "stratified_bootstrap", ""]) == BOOTSTRAP
    assert rule_sides(["hc0_known_weights", "m_estimation_sandwich"]) == SANDWICH
    assert rule_sides(["m_estimation_sandwich+stratified_bootstrap_mover"]) == (
        "m_estimation_sandwich+stratified_bootstrap")
