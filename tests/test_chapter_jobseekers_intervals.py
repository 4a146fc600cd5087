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
    SANDWICH,
    dr_estimates,
    pooled_interval,
    replicates_per_set,
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
