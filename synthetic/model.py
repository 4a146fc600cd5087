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

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from pipeline.codebook import Codebook, Instrument
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
