"""The job-seeker model of the synthetic study: drawing respondents from the scenario.

Candidates and control group: unit, background covariates with the selection into Werktop,
work status with the planted effect on a regular job, hours and contract, applications,
search channels and the latent traits behind the Likert scales. Everything comes out clean
(codes as floats, no missing values); ``synthetic.mess`` turns it into messy survey rows.

Two entry points share one code path: ``draw_jobseekers`` (one survey of the example study)
and ``simulate_jobseekers`` (clean, analysis-ready data in memory, for simulation studies).
The employer model is in ``synthetic.employers``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from pipeline.study.codebook import Codebook, Instrument, load_codebook
from pipeline.study.config import DEFAULT_CODEBOOK
from synthetic import scenario as S
from synthetic.draws import choice_codes, ja_nee, likert_items, ordinal_codes

# --------------------------------------------------------------------------- job seekers


@dataclass(frozen=True)
class Background:
    """Background of job seekers as the model uses it; one entry per person.

    Codes follow the codebook (``edu``: opleiding, ``mig``: migratie, ``household``:
    huishouden, ``dutch``: nederlands); ``female``, ``health`` and ``dutch_good`` are booleans.
    """

    unit: np.ndarray  # unit ids
    female: np.ndarray
    age: np.ndarray  # whole years, 18-64
    edu: np.ndarray
    mig: np.ndarray
    years: np.ndarray  # years on benefit, in half years
    household: np.ndarray
    health: np.ndarray  # health limitation
    dutch: np.ndarray
    dutch_good: np.ndarray  # nederlands is the highest code (Goed)

    def codes(self, inst: Instrument) -> dict[str, np.ndarray]:
        """The codebook columns (geslacht ... nederlands), codes as floats."""
        codes_sex = inst.variable("geslacht").code_values()  # Man, Vrouw
        return {
            "geslacht": np.where(self.female, codes_sex[1], codes_sex[0]).astype(float),
            "leeftijd": self.age,
            "opleiding": self.edu,
            "migratie": self.mig,
            "jaren_uitkering": self.years,
            "huishouden": self.household,
            "gezondheid_beperking": ja_nee(inst.variable("gezondheid_beperking"), self.health),
            "nederlands": self.dutch,
        }


def _draw_background(
    rng: np.random.Generator, inst: Instrument, group: str, n: int, cb: Codebook
) -> Background:
    """Unit and background covariates; ``group`` ("candidates" / "control") sets the
    distributions, which is how the scenario's selection into Werktop works."""
    sel = S.SELECTION
    v = inst.variable
    units = [u.id for u in cb.units]
    share_key = "share_candidates" if group == "candidates" else "share_control"
    unit = rng.choice(units, size=n, p=[S.UNITS[u][share_key] for u in units])
    female = rng.random(n) < sel["p_vrouw"][group]
    age = np.clip(
        np.rint(rng.normal(sel["leeftijd_mean"][group], sel["leeftijd_sd"][group], n)), 18, 64
    )
    edu = choice_codes(rng, v("opleiding"), sel["opleiding"][group], n)
    mig = choice_codes(rng, v("migratie"), sel["migratie"][group], n)
    years = np.exp(
        np.log(sel["jaren_median"][group]) + sel["jaren_logsd"][group] * rng.standard_normal(n)
    )
    years = np.clip(np.rint(years * 2) / 2, 0, 35)
    household = choice_codes(rng, v("huishouden"), sel["huishouden"][group], n)
    health = rng.random(n) < sel["p_beperking"][group]
    dutch = choice_codes(rng, v("nederlands"), sel["nederlands"][group], n)
    dutch_good = dutch == max(v("nederlands").code_values())
    return Background(unit, female, age, edu, mig, years, household, health, dutch, dutch_good)


def _regular_job_probability(bg: Background, treat: np.ndarray, odds_ratio: float) -> np.ndarray:
    """P(regular paid job) under the scenario's logistic model, for treatment ``treat``."""
    e = S.EMPLOYMENT
    unit_logit = np.array([S.UNITS[u]["employment_logit"] for u in bg.unit])
    age10 = (bg.age - 40) / 10
    eta = (
        e["intercept"]
        + unit_logit
        + math.log(odds_ratio) * treat
        + e["per_10_years_age_over_40"] * age10
        + e["log1p_years_on_benefit"] * np.log1p(bg.years)
        + e["per_education_level"] * (bg.edu - 2.5)
        + e["dutch_good"] * bg.dutch_good
        + e["health_limitation"] * bg.health
        + e["female"] * bg.female
    )
    return 1 / (1 + np.exp(-eta))


def _draw_regular_job(
    rng: np.random.Generator, bg: Background, treat: np.ndarray, odds_ratio: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whether each person has a regular job, and the potential-outcome probabilities.

    Returns ``job`` (bool), ``p0`` (probability without Werktop) and ``p1`` (with Werktop);
    ``job`` is drawn with ``p1`` where ``treat == 1`` and ``p0`` elsewhere.
    """
    n = len(treat)
    p0 = _regular_job_probability(bg, np.zeros(n), odds_ratio)
    p1 = _regular_job_probability(bg, np.ones(n), odds_ratio)
    job = rng.random(n) < np.where(treat == 1, p1, p0)
    return job, p0, p1


class JobseekerDraw(NamedTuple):
    """Job seekers of one survey as drawn: true codes, unit ids, potential outcomes."""

    frame: pd.DataFrame  # codebook columns of the instrument, codes as floats
    unit: np.ndarray  # unit ids
    p0: np.ndarray  # P(regular job) without Werktop
    p1: np.ndarray  # P(regular job) with Werktop


def draw_jobseekers(
    rng: np.random.Generator, inst: Instrument, group: str, treat: np.ndarray, cb: Codebook
) -> JobseekerDraw:
    """True codes for job seekers of one survey (``group`` sets the covariate distribution).

    ``treat`` is 1 for respondents who took part in Werktop (all candidates and the
    ineligible control respondents). Returns the coded frame, the unit ids and each
    respondent's probability of a regular job without (``p0``) and with (``p1``) Werktop.
    """
    n = len(treat)
    v = inst.variable
    bg = _draw_background(rng, inst, group, n, cb)
    unit, age, edu = bg.unit, bg.age, bg.edu
    health, dutch = bg.health, bg.dutch

    e = S.EMPLOYMENT
    age10 = (age - 40) / 10
    job, p0, p1 = _draw_regular_job(rng, bg, treat, e["odds_ratio"])
    ws_codes = v("werkstatus").code_values()  # regular, wep, other, none
    p_wep = np.where(treat == 1, e["p_wep"]["candidates"], e["p_wep"]["control"])
    u = rng.random(n)
    status = np.where(
        job,
        ws_codes[0],
        np.where(
            u < p_wep,
            ws_codes[1],
            np.where(u < p_wep + e["p_other_activity"], ws_codes[2], ws_codes[3]),
        ),
    ).astype(float)
    working = np.isin(status, ws_codes[:2])
    hours = np.where(
        status == ws_codes[0],
        rng.choice(S.HOURS["regular"], size=n),
        rng.choice(S.HOURS["wep"], size=n),
    ).astype(float)
    hours[~working] = np.nan
    contract = np.full(n, np.nan)
    for ws_code, p in S.CONTRACT_P.items():
        mask = status == ws_codes[ws_code - 1]
        contract[mask] = choice_codes(rng, v("contract"), p, int(mask.sum()))

    lat = S.LATENT
    dutch_level = dutch - 2
    eps_zoek = rng.standard_normal(n)
    zoek = (
        lat["zoekgedrag"]["effect"] * treat
        + lat["zoekgedrag"]["health_limitation"] * health
        + lat["zoekgedrag"]["per_dutch_level"] * dutch_level
        + lat["zoekgedrag"]["per_10_years_age_over_40"] * age10
        + eps_zoek
    )
    ze = (
        lat["eigen_effectiviteit"]["effect"] * treat
        + lat["eigen_effectiviteit"]["per_education_level"] * (edu - 2.5)
        + lat["eigen_effectiviteit"]["per_dutch_level"] * dutch_level
        + lat["eigen_effectiviteit"]["health_limitation"] * health
        + rng.standard_normal(n)
    )
    eps_bej = rng.standard_normal(n)
    bej = lat["bejegening"]["effect"] * treat + eps_bej
    r = lat["tevreden_meerwaarde"]["corr_with_bejegening"]
    tev = (
        lat["tevreden_meerwaarde"]["effect"] * treat
        + r * eps_bej
        + math.sqrt(1 - r**2) * rng.standard_normal(n)
    )

    a = S.APPLICATIONS
    mu = (
        a["base_mean"]
        * a["rate_ratio"] ** treat
        * np.exp(a["per_10_years_age_over_40"] * age10 + a["health_limitation"] * health)
    )
    k = a["search_residual_loading"]
    lam = (
        mu * np.exp(k * eps_zoek - k**2 / 2) * rng.gamma(a["gamma_shape"], 1 / a["gamma_shape"], n)
    )
    applications = np.minimum(rng.poisson(lam), 60).astype(float)

    data: dict[str, np.ndarray] = {
        **bg.codes(inst),
        "werkstatus": status,
        "uren_week": hours,
        "contract": contract,
        "sollicitaties_4wk": applications,
    }
    grp = "candidates" if group == "candidates" else "control"
    for name, probs in S.CHANNELS.items():
        p = (
            np.where(treat == 1, probs["candidates"], probs[grp])
            if grp == "control"
            else probs[grp]
        )
        data[name] = (rng.random(n) < p).astype(float)
    data |= likert_items(rng, inst, "zoekgedrag", zoek, S.ITEM_SHIFT, S.EENS5_CUTS)
    data |= likert_items(rng, inst, "eigen_effectiviteit", ze, S.ITEM_SHIFT, S.EENS5_CUTS)
    data |= likert_items(rng, inst, "bejegening", bej, S.ITEM_SHIFT, S.EENS5_CUTS)
    data["tevreden_meerwaarde"] = ordinal_codes(tev, S.TEVREDEN5_CUTS)
    if inst.name == "candidates":
        data["prettig_gesprek"] = ja_nee(
            v("prettig_gesprek"), rng.random(n) < S.P_PRETTIG_GESPREK_CANDIDATE
        )
        rm = lat["relatiemanager_kandidaat"]["mean"] + rng.standard_normal(n)
        data |= likert_items(rng, inst, "relatiemanager_kandidaat", rm, {}, S.EENS5_CUTS)
        c = S.RM_CIJFER
        mark = c["mean"] + c["latent_loading"] * (rm - lat["relatiemanager_kandidaat"]["mean"])
        data["rm_cijfer"] = np.clip(np.rint(mark + c["noise_sd"] * rng.standard_normal(n)), 1, 10)
    if inst.name == "control":
        data["deelname_werktop"] = ja_nee(v("deelname_werktop"), treat == 1)
    frame = pd.DataFrame({name: data[name] for name in inst.names if name in data})
    return JobseekerDraw(frame, unit, p0, p1)


# --------------------------------------------------------------------------- in memory

# Background covariates of simulate_jobseekers, named as in data/processed/jobseekers.csv.
COVARIATES = (
    "geslacht",
    "leeftijd",
    "opleiding",
    "migratie",
    "jaren_uitkering",
    "huishouden",
    "gezondheid_beperking",
    "nederlands",
)
# Effects the caller of simulate_jobseekers may override, with the scenario's values.
DEFAULT_EFFECTS = {"regular_job_or": S.EMPLOYMENT["odds_ratio"]}


@functools.cache
def _codebook() -> Codebook:
    return load_codebook(DEFAULT_CODEBOOK)


def _checked_effects(effects: Mapping[str, float] | None) -> dict[str, float]:
    out = dict(DEFAULT_EFFECTS)
    for key, value in (effects or {}).items():
        if key not in DEFAULT_EFFECTS:
            raise ValueError(f"unknown effect {key!r}; known: {sorted(DEFAULT_EFFECTS)}")
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"effect {key!r} must be a positive odds ratio, got {value!r}")
        out[key] = float(value)
    return out


def _checked_missing(missing: Mapping[str, float] | None) -> dict[str, float]:
    out = {}
    for column, rate in (missing or {}).items():
        if column not in COVARIATES:
            raise ValueError(f"missing: {column!r} is not a covariate; known: {COVARIATES}")
        if not 0 <= rate < 1:
            raise ValueError(f"missing: rate for {column!r} must be in [0, 1), got {rate!r}")
        out[column] = float(rate)
    return out


def simulate_jobseekers(
    rng: np.random.Generator,
    n_candidates: int,
    n_control: int,
    *,
    effects: Mapping[str, float] | None = None,
    missing: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Draw clean, analysis-ready job seekers from the scenario's model, in memory.

    Werktop candidates and control-group members are drawn exactly as the example study
    draws them (same selection into Werktop, same model for a regular job), without any
    survey mess, and returned with each person's potential-outcome probabilities.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness; the result is a deterministic function of its state.
    n_candidates, n_control : int
        Number of Werktop candidates (``werktop == 1``) and control-group members (0).
    effects : mapping of str to float, optional
        Overrides of the planted effects. ``"regular_job_or"``: conditional odds ratio of
        Werktop on a regular paid job (scenario: 2.0; ``1.0`` is a zero-effect scenario).
    missing : mapping of str to float, optional
        MCAR missingness: covariate column -> share of rows set to missing (each row
        independently, each column independently). Default: no missing values.

    Returns
    -------
    pandas.DataFrame
        One row per person, candidates first, index ``0..n-1``, columns:

        - ``werktop`` (int64): 1 candidate, 0 control group
        - ``gemeente`` (str): unit id (``hilversum``, ``zaanstad``, ``lansingerland``,
          ``doetinchem``, ``mug``), as in ``data/processed/jobseekers.csv``
        - ``geslacht`` (1 Man, 2 Vrouw), ``leeftijd`` (years, 18-64), ``opleiding``
          (1-4), ``migratie`` (1-3), ``jaren_uitkering`` (float, half years),
          ``huishouden`` (1-4), ``gezondheid_beperking`` (1 Ja, 0 Nee), ``nederlands``
          (1-3): codes as in the codebook; int64, except ``jaren_uitkering`` and any
          column given in ``missing`` (float64 with NaN for missing)
        - ``werk_regulier`` (int64): 1 has a regular paid job (werkstatus 1), else 0
        - ``p0``, ``p1`` (float64): the person's probability of a regular job without and
          with Werktop under the model; ``werk_regulier`` was drawn with ``p1`` for
          candidates and ``p0`` for the control group

    Notes
    -----
    Same code path as the example study (``draw_jobseekers``): covariates are drawn from
    the group's distribution in ``scenario.SELECTION`` and the unit from its share in
    ``scenario.UNITS``; a regular job follows the logistic model in
    ``scenario.EMPLOYMENT`` with unit offsets and the conditional odds ratio
    ``regular_job_or`` for Werktop. The draws are made in this order: candidates'
    covariates, candidates' jobs, control covariates, control jobs, then the missingness
    masks (in the order of ``COVARIATES``). So for one seed, overriding the effect or adding
    missingness leaves every covariate value and ``p0`` unchanged.

    The true average effect on the treated is ``mean(p1 - p0)`` over ``werktop == 1`` on
    the risk-difference scale, and ``odds(mean(p1)) / odds(mean(p0))`` over the same rows
    on the marginal odds-ratio scale. The marginal odds ratio is closer to 1 than the
    conditional one (odds ratios are not collapsible). ``truth.json`` of the example study
    holds both for the example's candidates and for a large reference draw.

    References
    ----------
    .. [1] Imbens, G. W. and Rubin, D. B. (2015). Causal Inference for Statistics, Social,
       and Biomedical Sciences. Cambridge University Press (potential outcomes, ATT).
    .. [2] Greenland, S., Robins, J. M. and Pearl, J. (1999). Confounding and
       collapsibility in causal inference. Statistical Science 14(1), 29-46.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> df = simulate_jobseekers(rng, 400, 350, effects={"regular_job_or": 1.0})
    >>> bool((df["p1"] == df["p0"]).all())
    True
    """
    for name, n in (("n_candidates", n_candidates), ("n_control", n_control)):
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {n!r}")
    odds_ratio = _checked_effects(effects)["regular_job_or"]
    rates = _checked_missing(missing)
    cb = _codebook()
    parts = []
    for group, n, werktop in (("candidates", n_candidates, 1), ("control", n_control, 0)):
        inst = cb.instruments[group]
        bg = _draw_background(rng, inst, group, int(n), cb)
        job, p0, p1 = _draw_regular_job(rng, bg, np.full(int(n), float(werktop)), odds_ratio)
        codes = bg.codes(inst)
        part = {"werktop": np.full(int(n), werktop, dtype=np.int64), "gemeente": bg.unit}
        for name in COVARIATES:
            part[name] = codes[name] if name == "jaren_uitkering" else codes[name].astype(np.int64)
        part |= {"werk_regulier": job.astype(np.int64), "p0": p0, "p1": p1}
        parts.append(pd.DataFrame(part))
    frame = pd.concat(parts, ignore_index=True)
    frame["gemeente"] = frame["gemeente"].astype("str")
    for name in COVARIATES:
        if name in rates:
            values = frame[name].to_numpy(dtype=float, copy=True)
            values[rng.random(len(frame)) < rates[name]] = np.nan
            frame[name] = values
    return frame
