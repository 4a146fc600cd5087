"""The in-memory job-seeker model (synthetic.model.simulate_jobseekers) and the true ATT.

References are independent of the model code: the regular-job probabilities are recomputed
by hand from the parameters written to the committed ``truth.json``; the planted
conditional odds ratio is recovered by a statsmodels logit on a large draw (simulation with
known truth); the example's ATT is recomputed from the candidates behind the committed
``kandidaten.sav``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import statsmodels.api as sm
from scipy.special import expit

from pipeline.study.codebook import normalise_label
from pipeline.study.config import PROJECT_ROOT
from synthetic.draws import stream_rng
from synthetic.model import COVARIATES, draw_jobseekers, simulate_jobseekers

EXAMPLE = PROJECT_ROOT / "data" / "raw" / "example"
SEED = 20140601  # the example study's seed
COLUMNS = ["werktop", "gemeente", *COVARIATES, "werk_regulier", "p0", "p1"]
N_LARGE = 100_000  # per group


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((EXAMPLE / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def large() -> pd.DataFrame:
    return simulate_jobseekers(np.random.default_rng(7), N_LARGE, N_LARGE)


@pytest.fixture(scope="module")
def large_null() -> pd.DataFrame:
    return simulate_jobseekers(
        np.random.default_rng(7), N_LARGE, N_LARGE, effects={"regular_job_or": 1.0}
    )


def planted_probability(df: pd.DataFrame, truth: dict, werktop: float, odds_ratio: float):
    """P(regular job) by hand from truth.json's parameters, with the codebook's codes."""
    e = truth["parameters"]["regular_job"]
    units = truth["parameters"]["units"]
    offset = df["gemeente"].map({u: x["employment_logit_offset"] for u, x in units.items()})
    eta = (
        e["intercept"]
        + offset.to_numpy(dtype=float)
        + np.log(odds_ratio) * werktop
        + e["per_10_years_age_over_40"] * (df["leeftijd"].to_numpy(dtype=float) - 40) / 10
        + e["log1p_years_on_benefit"] * np.log1p(df["jaren_uitkering"].to_numpy(dtype=float))
        + e["per_education_level"] * (df["opleiding"].to_numpy(dtype=float) - 2.5)
        + e["dutch_good"] * (df["nederlands"].to_numpy() == 3)  # Goed
        + e["health_limitation"] * (df["gezondheid_beperking"].to_numpy() == 1)  # Ja
        + e["female"] * (df["geslacht"].to_numpy() == 2)  # Vrouw
    )
    return expit(eta)


def logit_fit(df: pd.DataFrame):
    """The scenario's outcome model fitted as a logit: one dummy per unit, no constant."""
    x = pd.DataFrame(
        {
            "werktop": df["werktop"].astype(float),
            "per_10_years_age_over_40": (df["leeftijd"] - 40) / 10,
            "log1p_years_on_benefit": np.log1p(df["jaren_uitkering"]),
            "per_education_level": df["opleiding"] - 2.5,
            "dutch_good": (df["nederlands"] == 3).astype(float),
            "health_limitation": (df["gezondheid_beperking"] == 1).astype(float),
            "female": (df["geslacht"] == 2).astype(float),
        }
    )
    x = x.join(pd.get_dummies(df["gemeente"], dtype=float))
    return sm.Logit(df["werk_regulier"].astype(float), x).fit(disp=0)


# --------------------------------------------------------------------------- shape


def test_columns_types_and_codes(codebook):
    df = simulate_jobseekers(np.random.default_rng(1), 300, 200)
    assert list(df.columns) == COLUMNS
    assert list(df.index) == list(range(500))
    assert df["werktop"].tolist() == [1] * 300 + [0] * 200
    assert not df.isna().any().any()
    for name in COLUMNS:
        expected = {"gemeente": "str", "jaren_uitkering": "float64", "p0": "float64"}
        expected["p1"] = "float64"
        assert str(df[name].dtype) == expected.get(name, "int64"), name
    inst = codebook.instruments["candidates"]
    for name in ("geslacht", "opleiding", "migratie", "huishouden", "gezondheid_beperking"):
        assert set(df[name]) <= set(inst.variable(name).code_values()), name
    assert set(df["nederlands"]) <= set(inst.variable("nederlands").code_values())
    assert set(df["gemeente"]) == {u.id for u in codebook.units}
    assert df["leeftijd"].between(18, 64).all()
    assert (df["jaren_uitkering"] * 2 % 1 == 0).all()
    assert set(df["werk_regulier"]) == {0, 1}
    assert ((df["p0"] > 0) & (df["p0"] < df["p1"]) & (df["p1"] < 1)).all()


def test_probabilities_are_the_planted_model(truth):
    df = simulate_jobseekers(np.random.default_rng(2), 500, 500)
    or_ = truth["parameters"]["regular_job"]["odds_ratio"]
    np.testing.assert_allclose(df["p0"], planted_probability(df, truth, 0.0, or_), rtol=1e-12)
    np.testing.assert_allclose(df["p1"], planted_probability(df, truth, 1.0, or_), rtol=1e-12)
    other = simulate_jobseekers(np.random.default_rng(2), 500, 500, effects={"regular_job_or": 3})
    np.testing.assert_allclose(other["p1"], planted_probability(df, truth, 1.0, 3.0), rtol=1e-12)


def test_same_seed_same_data_and_effect_changes_only_outcomes():
    a = simulate_jobseekers(np.random.default_rng(3), 200, 150)
    pd.testing.assert_frame_equal(a, simulate_jobseekers(np.random.default_rng(3), 200, 150))
    b = simulate_jobseekers(np.random.default_rng(3), 200, 150, effects={"regular_job_or": 1.0})
    pd.testing.assert_frame_equal(
        a[["werktop", "gemeente", *COVARIATES, "p0"]], b[["werktop", "gemeente", *COVARIATES, "p0"]]
    )
    assert (b["p1"] == b["p0"]).all()


# --------------------------------------------------------------------------- known truth


def test_large_draw_recovers_the_planted_conditional_model(large, truth):
    fit = logit_fit(large)
    e = truth["parameters"]["regular_job"]
    # SE of the Werktop coefficient is about 0.014 here; 0.05 is more than 3.5 SE.
    assert fit.bse["werktop"] < 0.02
    assert abs(fit.params["werktop"] - np.log(e["odds_ratio"])) < 0.05
    for name in (
        "per_10_years_age_over_40",
        "log1p_years_on_benefit",
        "per_education_level",
        "dutch_good",
        "health_limitation",
        "female",
    ):
        assert abs(fit.params[name] - e[name]) < 4 * fit.bse[name], name
    for unit, x in truth["parameters"]["units"].items():
        planted = e["intercept"] + x["employment_logit_offset"]
        assert abs(fit.params[unit] - planted) < 4 * fit.bse[unit], unit


def test_zero_effect_scenario(large_null):
    assert (large_null["p1"] == large_null["p0"]).all()
    fit = logit_fit(large_null)
    assert abs(fit.params["werktop"]) < 0.05


def test_large_draw_matches_the_example_population(large, truth):
    """Same population as the example generator's reference draw (a different seed)."""
    treated = large[large["werktop"] == 1]
    att = truth["true_att_regular_job"]["population"]
    # SE of a mean of p1 - p0 over 1e5 people is about 2e-4, in both draws.
    assert abs((treated["p1"] - treated["p0"]).mean() - att["risk_difference"]) < 1.5e-3
    m1, m0 = treated["p1"].mean(), treated["p0"].mean()
    assert abs((m1 / (1 - m1)) / (m0 / (1 - m0)) - att["marginal_odds_ratio"]) < 0.02
    pop = truth["expected_population"]
    shares = large.groupby("werktop")["werk_regulier"].mean()
    assert abs(shares[1] - pop["share_regular_job"]["candidates"]) < 0.006
    assert abs(shares[0] - pop["share_regular_job"]["control"]) < 0.006
    ages = large.groupby("werktop")["leeftijd"].mean()
    assert abs(ages[1] - pop["mean_leeftijd"]["candidates"]) < 0.15
    assert abs(ages[0] - pop["mean_leeftijd"]["control"]) < 0.15


def test_example_att_is_that_of_the_drawn_candidates(codebook, truth):
    """truth.json's ATT, recomputed by hand from the candidates behind kandidaten.sav."""
    inst = codebook.instruments["candidates"]
    n = truth["files"]["candidates"]["generated_respondents"]
    draw = draw_jobseekers(
        stream_rng(SEED, "candidates"), inst, "candidates", np.ones(n), cb=codebook
    )
    df = draw.frame.assign(gemeente=draw.unit)
    ids = [f"K{i + 1:04d}" for i in range(n)]

    # these are the respondents in the committed file: same unit and age where readable
    sav, _ = pyreadstat.read_sav(str(EXAMPLE / "kandidaten.sav"))
    sav = sav.drop_duplicates("Respondent_ID").set_index("Respondent_ID")
    table = codebook.unit_alias_table()
    in_file = sav.loc[ids]
    units = in_file["Gemeente"].map(lambda s: table[normalise_label(s)].id)
    assert (units.to_numpy() == draw.unit).all()
    age = in_file["Leeftijd"].to_numpy()
    readable = (age >= 18) & (age <= 64)
    assert readable.sum() > 0.9 * n
    assert (age[readable] == df["leeftijd"].to_numpy()[readable]).all()

    or_ = truth["parameters"]["regular_job"]["odds_ratio"]
    diff = planted_probability(df, truth, 1.0, or_) - planted_probability(df, truth, 0.0, or_)
    att = truth["true_att_regular_job"]
    assert att["generated_candidates"]["n"] == n
    assert att["generated_candidates"]["risk_difference"] == pytest.approx(diff.mean(), rel=1e-12)
    breakoffs = {
        b["respondent_id"] for b in truth["files"]["candidates"]["breakoffs"]["respondents"]
    }
    kept = np.array([i not in breakoffs for i in ids])
    assert att["clean_candidates"]["n"] == kept.sum() == n - len(breakoffs)
    assert att["clean_candidates"]["risk_difference"] == pytest.approx(diff[kept].mean(), rel=1e-12)


# --------------------------------------------------------------------------- options


def test_mcar_missingness_on_covariates():
    rates = {"leeftijd": 0.2, "opleiding": 0.1}
    full = simulate_jobseekers(np.random.default_rng(4), 10_000, 10_000)
    df = simulate_jobseekers(np.random.default_rng(4), 10_000, 10_000, missing=rates)
    for name, rate in rates.items():
        assert df[name].dtype == "float64"
        # SE of a share of 20000 rows is at most 0.0029
        assert abs(df[name].isna().mean() - rate) < 0.012
        seen = df[name].notna()
        assert (df.loc[seen, name] == full.loc[seen, name]).all()
    rest = [c for c in COLUMNS if c not in rates]
    pd.testing.assert_frame_equal(df[rest], full[rest])
    # missing completely at random: unrelated to the outcome and the group
    assert abs(df.loc[df["werk_regulier"] == 1, "leeftijd"].isna().mean() - 0.2) < 0.03


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"effects": {"odds_ratio": 2.0}}, "unknown effect"),
        ({"effects": {"regular_job_or": 0.0}}, "positive"),
        ({"effects": {"regular_job_or": float("nan")}}, "positive"),
        ({"missing": {"werk_regulier": 0.1}}, "not a covariate"),
        ({"missing": {"leeftijd": 1.0}}, r"\[0, 1\)"),
        ({"n_candidates": -1}, "non-negative"),
        ({"n_control": 2.5}, "non-negative"),
    ],
)
def test_bad_arguments(kwargs, message):
    args = {"n_candidates": 10, "n_control": 10} | kwargs
    with pytest.raises(ValueError, match=message):
        simulate_jobseekers(np.random.default_rng(0), **args)


def test_empty_group():
    df = simulate_jobseekers(np.random.default_rng(5), 0, 25)
    assert list(df.columns) == COLUMNS and (df["werktop"] == 0).all() and len(df) == 25
