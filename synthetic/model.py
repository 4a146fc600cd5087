"""The model of the synthetic study: drawing respondents' true answers from the scenario.

Job seekers (candidates and control group): unit, background covariates with the selection
into Werktop, work status with the planted effect on a regular job, hours and contract,
applications, search channels and the latent traits behind the Likert scales. Employers:
characteristics, hires, evaluation items, bottlenecks. Everything comes out clean (codes as
floats, no missing values); ``synthetic.mess`` turns it into messy survey rows.

Each part of the study draws from its own random stream (``stream_rng``), so changing one
part changes no draw of another.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipeline.codebook import Codebook, Instrument, Variable, normalise_label
from synthetic import scenario as S

STREAMS = {"employers": 1, "candidates": 2, "control": 3, "interviews": 4, "reference": 5}


def stream_rng(seed: int, stream: str) -> np.random.Generator:
    """The random stream of one part of the study (see ``STREAMS``)."""
    return np.random.default_rng(np.random.SeedSequence([seed, STREAMS[stream]]))


def typo_stream_rng(seed: int, stream: str) -> np.random.Generator:
    """A separate stream for label typos, so planting them changes no other draw."""
    return np.random.default_rng(np.random.SeedSequence([seed, 100 + STREAMS[stream]]))


def _choice_codes(rng: np.random.Generator, var: Variable, p: list[float], n: int) -> np.ndarray:
    codes = np.array(var.code_values(), dtype=float)
    if len(codes) != len(p):
        raise ValueError(f"{var.name}: {len(p)} probabilities for {len(codes)} codes")
    return rng.choice(codes, size=n, p=np.asarray(p) / np.sum(p))


def ja_nee(var: Variable, yes: np.ndarray) -> np.ndarray:
    """Code for Ja / Nee from the codebook labels (value set ja_nee)."""
    ja = next(c.code for c in var.codes if normalise_label(c.nl) == "ja")
    nee = next(c.code for c in var.codes if normalise_label(c.nl) == "nee")
    return np.where(yes, ja, nee).astype(float)


def _ordinal(y: np.ndarray, cuts: list[float]) -> np.ndarray:
    return 1.0 + np.searchsorted(np.asarray(cuts), y, side="right").astype(float)


def _items(
    rng: np.random.Generator,
    inst: Instrument,
    scale: str,
    latent: np.ndarray,
    shifts: dict[str, float],
    cuts: list[float],
) -> dict[str, np.ndarray]:
    """Likert items of one scale; reverse-worded items are answered in the reverse direction."""
    sc = next(s for s in inst.scales if s.name == scale)
    lam = S.ITEM_LOADING
    out = {}
    for name in sc.items:
        y = lam * latent + math.sqrt(1 - lam**2) * rng.standard_normal(len(latent))
        code = _ordinal(y + shifts.get(name, 0.0), cuts)
        if inst.variable(name).reverse:
            code = (sc.minimum + sc.maximum) - code
        out[name] = code
    return out


# --------------------------------------------------------------------------- job seekers


def draw_jobseekers(
    rng: np.random.Generator, inst: Instrument, group: str, treat: np.ndarray, cb: Codebook
) -> tuple[pd.DataFrame, np.ndarray]:
    """True codes for job seekers of one survey (``group`` sets the covariate distribution).

    ``treat`` is 1 for respondents who took part in Werktop (all candidates and the
    ineligible control respondents). Returns the coded frame and the unit ids.
    """
    n = len(treat)
    sel = S.SELECTION
    v = inst.variable
    units = [u.id for u in cb.units]
    share_key = "share_candidates" if group == "candidates" else "share_control"
    unit = rng.choice(units, size=n, p=[S.UNITS[u][share_key] for u in units])
    unit_logit = np.array([S.UNITS[u]["employment_logit"] for u in unit])

    female = rng.random(n) < sel["p_vrouw"][group]
    codes_sex = v("geslacht").code_values()  # Man, Vrouw
    age = np.clip(
        np.rint(rng.normal(sel["leeftijd_mean"][group], sel["leeftijd_sd"][group], n)), 18, 64
    )
    edu = _choice_codes(rng, v("opleiding"), sel["opleiding"][group], n)
    mig = _choice_codes(rng, v("migratie"), sel["migratie"][group], n)
    years = np.exp(
        np.log(sel["jaren_median"][group]) + sel["jaren_logsd"][group] * rng.standard_normal(n)
    )
    years = np.clip(np.rint(years * 2) / 2, 0, 35)
    household = _choice_codes(rng, v("huishouden"), sel["huishouden"][group], n)
    health = rng.random(n) < sel["p_beperking"][group]
    dutch = _choice_codes(rng, v("nederlands"), sel["nederlands"][group], n)
    dutch_good = dutch == max(v("nederlands").code_values())

    e = S.EMPLOYMENT
    age10 = (age - 40) / 10
    eta = (
        e["intercept"]
        + unit_logit
        + math.log(e["odds_ratio"]) * treat
        + e["per_10_years_age_over_40"] * age10
        + e["log1p_years_on_benefit"] * np.log1p(years)
        + e["per_education_level"] * (edu - 2.5)
        + e["dutch_good"] * dutch_good
        + e["health_limitation"] * health
        + e["female"] * female
    )
    job = rng.random(n) < 1 / (1 + np.exp(-eta))
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
        contract[mask] = _choice_codes(rng, v("contract"), p, int(mask.sum()))

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
        "geslacht": np.where(female, codes_sex[1], codes_sex[0]).astype(float),
        "leeftijd": age,
        "opleiding": edu,
        "migratie": mig,
        "jaren_uitkering": years,
        "huishouden": household,
        "gezondheid_beperking": ja_nee(v("gezondheid_beperking"), health),
        "nederlands": dutch,
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
    data |= _items(rng, inst, "zoekgedrag", zoek, S.ITEM_SHIFT, S.EENS5_CUTS)
    data |= _items(rng, inst, "eigen_effectiviteit", ze, S.ITEM_SHIFT, S.EENS5_CUTS)
    data |= _items(rng, inst, "bejegening", bej, S.ITEM_SHIFT, S.EENS5_CUTS)
    data["tevreden_meerwaarde"] = _ordinal(tev, S.TEVREDEN5_CUTS)
    if inst.name == "candidates":
        data["prettig_gesprek"] = ja_nee(
            v("prettig_gesprek"), rng.random(n) < S.P_PRETTIG_GESPREK_CANDIDATE
        )
        rm = lat["relatiemanager_kandidaat"]["mean"] + rng.standard_normal(n)
        data |= _items(rng, inst, "relatiemanager_kandidaat", rm, {}, S.EENS5_CUTS)
        c = S.RM_CIJFER
        mark = c["mean"] + c["latent_loading"] * (rm - lat["relatiemanager_kandidaat"]["mean"])
        data["rm_cijfer"] = np.clip(np.rint(mark + c["noise_sd"] * rng.standard_normal(n)), 1, 10)
    if inst.name == "control":
        data["deelname_werktop"] = ja_nee(v("deelname_werktop"), treat == 1)
    frame = pd.DataFrame({name: data[name] for name in inst.names if name in data})
    return frame, unit


# --------------------------------------------------------------------------- employers


def draw_employers(
    rng: np.random.Generator, inst: Instrument, n: int, cb: Codebook
) -> tuple[pd.DataFrame, np.ndarray]:
    """True codes of ``n`` employers; returns the coded frame and the unit ids."""
    p = S.EMPLOYERS
    v = inst.variable
    units = [u.id for u in cb.units]
    contacts = np.array([S.UNITS[u]["behaald"][0] for u in units], dtype=float)
    unit = rng.choice(units, size=n, p=contacts / contacts.sum())
    draagvlak = np.array([S.UNITS[u]["draagvlak"] for u in unit])
    pg = rng.random(n) < p["p_prettig_gesprek"]
    latent = (
        p["latent_mean"]
        + p["latent_per_draagvlak_point"] * (draagvlak - 7)
        + rng.standard_normal(n)
    )
    data: dict[str, np.ndarray] = {
        "sector": _choice_codes(rng, v("sector"), p["sector"], n),
        "bedrijfsgrootte": _choice_codes(rng, v("bedrijfsgrootte"), p["bedrijfsgrootte"], n),
        "ervaring_uitkering": ja_nee(
            v("ervaring_uitkering"), rng.random(n) < p["p_ervaring_uitkering"]
        ),
        "start_contact": _choice_codes(rng, v("start_contact"), p["start_contact"], n),
        "prettig_gesprek": ja_nee(v("prettig_gesprek"), pg),
        "aangenomen_regulier": rng.poisson(
            np.where(
                pg, p["hires_regular_mean"]["prettig_gesprek"], p["hires_regular_mean"]["otherwise"]
            )
        ).astype(float),
        "aangenomen_wep": rng.poisson(
            np.where(pg, p["hires_wep_mean"]["prettig_gesprek"], p["hires_wep_mean"]["otherwise"])
        ).astype(float),
    }
    data |= _items(rng, inst, "evaluatie_aanpak", latent, S.EMPLOYER_ITEM_SHIFT, S.EENS5_CUTS)
    rm = 0.5 * (latent - latent.mean()) + math.sqrt(0.75) * rng.standard_normal(n)
    data |= _items(rng, inst, "relatiemanager", rm, S.EMPLOYER_ITEM_SHIFT, S.EENS5_CUTS)
    c = S.EMPLOYER_RM_CIJFER
    data["rm_cijfer"] = np.clip(
        np.rint(c["mean"] + c["latent_loading"] * rm + c["noise_sd"] * rng.standard_normal(n)),
        1,
        10,
    )
    zlat = latent - p["latent_mean"]
    any_ticked = np.zeros(n, dtype=bool)
    mrset = next(m for m in inst.mrsets if m.name == "knelpunten")
    for name in mrset.items:
        if name in S.KNELPUNTEN:
            base, slope = S.KNELPUNTEN[name]
            prob = 1 / (1 + np.exp(-(S.logit(base) + slope * zlat)))
            ticked = rng.random(n) < prob
            any_ticked |= ticked
            data[name] = ticked.astype(float)
    for name in mrset.items:
        if name not in S.KNELPUNTEN:  # "no bottlenecks" is ticked exactly when nothing else is
            data[name] = (~any_ticked).astype(float)
    d_codes = v("doorgaan").code_values()  # Ja, Misschien, Nee
    cuts = p["doorgaan_cuts"]
    data["doorgaan"] = np.where(
        latent < cuts[0], d_codes[2], np.where(latent < cuts[1], d_codes[1], d_codes[0])
    ).astype(float)
    frame = pd.DataFrame({name: data[name] for name in inst.names if name in data})
    return frame, unit
