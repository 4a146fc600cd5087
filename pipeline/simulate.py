"""Generate the synthetic example study: five messy raw exports with known true effects.

``simulate_study(out_dir)`` draws respondents from the scenario in ``pipeline.scenario``,
plants the mess real exports have (label variants, missing codes, unit spellings, duplicates,
test rows, break-offs, out-of-range values, personal data in free text) and writes

- ``ondernemers.xlsx``        employer survey (Excel, Dutch labels, mixed date cells)
- ``kandidaten.sav``          candidate survey (SPSS, codes + value labels, user-missing)
- ``controlegroep.csv``       control-group survey (cp1252, ``;``, decimal commas, CRLF)
- ``register_gemeenten.csv``  unit register (UTF-8 with BOM, ``;``, decimal commas)
- ``interviews_codering.csv`` interview coding (UTF-8, ``,``)
- ``SCENARIO.md`` and ``truth.json`` (every true parameter and every planted problem)
- a study config TOML pointing at the files.

Everything is driven by the codebook (names, labels, aliases, missing codes) and by the seed:
the same seed gives byte-identical files (zip and SPSS header timestamps are fixed).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import scenario as S
from pipeline.codebook import Codebook, Instrument, Variable, load_codebook, normalise_label
from pipeline.config import DEFAULT_CODEBOOK, PROJECT_ROOT
from pipeline.io import write_bytes, write_json, write_text

FILE_NAMES = {
    "employers": "ondernemers.xlsx",
    "candidates": "kandidaten.sav",
    "control": "controlegroep.csv",
    "register": "register_gemeenten.csv",
    "interviews": "interviews_codering.csv",
}
FORMATS = {"employers": "xlsx", "candidates": "sav", "control": "csv"}
EXCEL_SHEET = "Enquete ondernemers"
ID_PREFIX = {"employers": "E", "candidates": "K", "control": "C"}
FIXED_TIMESTAMP = dt.datetime(2014, 6, 1, 12, 0, 0)
STREAMS = {"employers": 1, "candidates": 2, "control": 3, "interviews": 4, "reference": 5}
REFERENCE_N = 100_000
REFERENCE_SEED = 20140601  # the expected values are properties of the scenario, not the seed
NON_QUESTION_TYPES = ("id", "unit", "date")


def _rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, STREAMS[stream]]))


def _typo_rng(seed: int, stream: str) -> np.random.Generator:
    """A separate stream for label typos, so planting them changes no other draw."""
    return np.random.default_rng(np.random.SeedSequence([seed, 100 + STREAMS[stream]]))


def _choice_codes(rng: np.random.Generator, var: Variable, p: list[float], n: int) -> np.ndarray:
    codes = np.array(var.code_values(), dtype=float)
    if len(codes) != len(p):
        raise ValueError(f"{var.name}: {len(p)} probabilities for {len(codes)} codes")
    return rng.choice(codes, size=n, p=np.asarray(p) / np.sum(p))


def _ja_nee(var: Variable, yes: np.ndarray) -> np.ndarray:
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


def _dates(rng: np.random.Generator, period: tuple[str, str], n: int) -> np.ndarray:
    start, end = (np.datetime64(d) for d in period)
    days = rng.integers(0, int((end - start).astype(int)) + 1, size=n)
    return np.sort(start + days.astype("timedelta64[D]"))


def _wensen(
    rng: np.random.Generator, n: int, pool: list[str], awkward: list[str] | None = None
) -> np.ndarray:
    out = np.full(n, None, dtype=object)
    answered = rng.random(n) < S.RATES["wensen_answered"]
    for i in np.flatnonzero(answered):
        k = 1 + int(rng.random() < 0.3)
        text = " ".join(rng.choice(pool, size=k, replace=False))
        if awkward and rng.random() < 0.12:
            text = str(rng.choice(awkward))
        out[i] = text
    return out


# --------------------------------------------------------------------------- job seekers


def _jobseekers(
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
        "gezondheid_beperking": _ja_nee(v("gezondheid_beperking"), health),
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
        data["prettig_gesprek"] = _ja_nee(
            v("prettig_gesprek"), rng.random(n) < S.P_PRETTIG_GESPREK_CANDIDATE
        )
        rm = lat["relatiemanager_kandidaat"]["mean"] + rng.standard_normal(n)
        data |= _items(rng, inst, "relatiemanager_kandidaat", rm, {}, S.EENS5_CUTS)
        c = S.RM_CIJFER
        mark = c["mean"] + c["latent_loading"] * (rm - lat["relatiemanager_kandidaat"]["mean"])
        data["rm_cijfer"] = np.clip(np.rint(mark + c["noise_sd"] * rng.standard_normal(n)), 1, 10)
    if inst.name == "control":
        data["deelname_werktop"] = _ja_nee(v("deelname_werktop"), treat == 1)
    frame = pd.DataFrame({name: data[name] for name in inst.names if name in data})
    return frame, unit


# --------------------------------------------------------------------------- employers


def _employers(
    rng: np.random.Generator, inst: Instrument, n: int, cb: Codebook
) -> tuple[pd.DataFrame, np.ndarray]:
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
        "ervaring_uitkering": _ja_nee(
            v("ervaring_uitkering"), rng.random(n) < p["p_ervaring_uitkering"]
        ),
        "start_contact": _choice_codes(rng, v("start_contact"), p["start_contact"], n),
        "prettig_gesprek": _ja_nee(v("prettig_gesprek"), pg),
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


# --------------------------------------------------------------------------- personal data


class PiiFactory:
    """Valid-looking Dutch personal data, each string unique across the whole study."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.planted: list[str] = []
        self.by_kind: dict[str, list[str]] = {k: [] for k in S.PII_KINDS}
        self._seen: set[str] = set()

    def _digits(self, k: int, first_nonzero: bool = True) -> str:
        d = self.rng.integers(0, 10, size=k)
        if first_nonzero:
            d[0] = self.rng.integers(1, 10)
        return "".join(map(str, d))

    def bsn(self) -> str:
        while True:
            d = [int(c) for c in self._digits(8)]
            s = sum(w * x for w, x in zip(range(9, 1, -1), d, strict=True))
            check = s % 11
            if check < 10:
                return "".join(map(str, d)) + str(check)

    def email(self) -> str:
        r = self.rng
        first = str(r.choice(S.FIRST_NAMES))
        last = str(r.choice(S.LAST_NAMES))
        local = f"{first[0]}.{last}{r.integers(50, 100)}" if r.random() < 0.5 else f"{first}{last}"
        return f"{local}@{r.choice(S.EMAIL_DOMAINS)}"

    def phone(self) -> str:
        r = self.rng
        kind = int(r.integers(0, 3))
        if kind == 0:
            return f"06-{self._digits(8)}"
        if kind == 1:
            return f"+31 6 {self._digits(8)}"
        area = str(r.choice(S.PHONE_AREA))
        return f"{area}-{self._digits(10 - len(area))}"

    def iban(self) -> str:
        bank = str(self.rng.choice(S.BANK_CODES))
        account = self._digits(10, first_nonzero=False)
        numeric = "".join(str(int(ch, 36)) for ch in bank + account + "NL00")
        check = 98 - int(numeric) % 97
        compact = f"NL{check:02d}{bank}{account}"
        if self.rng.random() < 0.5:
            return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
        return compact

    def postcode(self) -> str:
        r = self.rng
        while True:
            letters = "".join(r.choice(list("ABCEGHJKLMNPRTVWXZ"), size=2))
            if letters not in ("SA", "SD", "SS"):
                break
        return f"{r.integers(1000, 10000)} {letters} {r.integers(1, 200)}"

    def make(self, kind: str) -> str:
        while True:
            value = getattr(self, kind)()
            if value not in self._seen:
                self._seen.add(value)
                self.planted.append(value)
                self.by_kind[kind].append(value)
                return value

    def sentence(self) -> str:
        kind = str(self.rng.choice(S.PII_KINDS))
        value = self.make(kind)
        return str(self.rng.choice(S.PII_TEMPLATES[kind])).format(value)


# --------------------------------------------------------------------------- the mess


@dataclass
class Survey:
    """One survey after planting the mess, ready to be rendered into its export format."""

    name: str
    inst: Instrument
    frame: pd.DataFrame  # codebook columns; codes as floats, NaN = blank; text as objects
    item_missing: pd.DataFrame  # True where the respondent answered "don't know" / no answer
    unit_ids: np.ndarray
    truth: dict = field(default_factory=dict)
    expected: pd.DataFrame | None = None  # the clean data a correct cleaner should recover
    typos: list[dict] = field(default_factory=list)  # respondent_id, column, value


def _question_vars(inst: Instrument) -> list[Variable]:
    return [v for v in inst.variables if v.type not in NON_QUESTION_TYPES]


def _unit_spellings(rng: np.random.Generator, unit_ids: np.ndarray, cb: Codebook) -> np.ndarray:
    table = cb.unit_alias_table()
    out = np.empty(len(unit_ids), dtype=object)
    variants: dict[str, list[str]] = {}
    for u in cb.units:
        vs = [
            *u.aliases,
            u.name.lower() + " ",
            " " + u.name,
            u.name.upper(),
            f"gem. {u.name.lower()}",
        ]
        vs = [s for s in dict.fromkeys(vs) if s != u.name and table.get(normalise_label(s)) is u]
        variants[u.id] = vs
    messy = rng.random(len(unit_ids)) < S.RATES["unit_variant"]
    pick = rng.random(len(unit_ids))
    for i, uid in enumerate(unit_ids):
        if messy[i]:
            vs = variants[uid]
            out[i] = vs[int(pick[i] * len(vs))]
        else:
            out[i] = cb.unit_by_id(uid).name
    return out


def _blank(frame: pd.DataFrame, column: str, rows: np.ndarray, value: object = None) -> None:
    """Set ``frame[column]`` at integer positions ``rows`` to blank (or ``value``)."""
    if len(rows) == 0:
        return
    col = frame[column]
    if value is False:
        arr = col.to_numpy(dtype=bool, copy=True)
        arr[rows] = False
    elif col.dtype.kind == "f":
        arr = col.to_numpy(dtype=float, copy=True)
        arr[rows] = np.nan
    else:
        arr = col.to_numpy(dtype=object, copy=True)
        arr[rows] = None
    frame[column] = arr


def _plant(
    rng: np.random.Generator,
    name: str,
    inst: Instrument,
    frame: pd.DataFrame,
    unit_ids: np.ndarray,
    dates: np.ndarray,
    cb: Codebook,
    pii: PiiFactory,
    wensen_pool: list[str],
    awkward: list[str] | None = None,
    ineligible: np.ndarray | None = None,
) -> Survey:
    n = len(frame)
    frame = frame.copy()
    width = max(4, len(str(n)))
    ids = np.array([f"{ID_PREFIX[name]}{i + 1:0{width}d}" for i in range(n)], dtype=object)
    frame.insert(0, inst.id, ids)
    frame.insert(1, inst.unit, _unit_spellings(rng, unit_ids, cb))
    frame.insert(2, inst.date, dates)
    frame["wensen"] = _wensen(rng, n, wensen_pool, awkward)
    frame = frame[inst.names]

    # who gets which problem: disjoint sets of respondents
    ineligible = np.zeros(n, dtype=bool) if ineligible is None else ineligible
    pool = rng.permutation(np.flatnonzero(~ineligible))
    n_dup = max(1, round(S.RATES["duplicates"] * n))
    n_break = max(1, round(S.RATES["breakoffs"] * n))
    n_pii = max(2, round(S.RATES["pii"] * n))
    oor_plan = [(col, val) for col, vals in S.OUT_OF_RANGE[name].items() for val in vals]
    cuts = np.cumsum([n_break, n_dup, n_pii, len(oor_plan)])
    breakoff_rows, dup_rows, pii_rows, oor_rows = (
        np.sort(x) for x in np.split(pool[: cuts[-1]], cuts[:-1])
    )

    # item nonresponse on substantive questions
    subst = [v.name for v in inst.substantive_variables()]
    item_missing = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    miss = rng.random((n, len(subst))) < S.RATES["item_missing"]
    miss[np.isnan(frame[subst].to_numpy(dtype=float))] = False
    item_missing[subst] = miss

    # out-of-range values
    oor_truth: dict[str, list[dict]] = {}
    for row, (col, val) in zip(oor_rows, oor_plan, strict=True):
        frame.loc[row, col] = float(val)
        item_missing.loc[row, col] = False
        oor_truth.setdefault(col, []).append({"respondent_id": ids[row], "value": val})

    # personal data typed into the free text
    wensen = frame["wensen"].to_numpy(dtype=object).copy()
    for row in pii_rows:
        base = wensen[row] if wensen[row] else str(rng.choice(wensen_pool))
        wensen[row] = f"{base} {pii.sentence()}"
    frame["wensen"] = wensen

    # break-offs: everything after a random question is blank
    questions = [v.name for v in _question_vars(inst)]
    is_subst = np.array([q in set(subst) for q in questions])
    max_subst = math.floor(S.BREAKOFF_MAX_ANSWERED * is_subst.sum())
    cmax = int(np.searchsorted(np.cumsum(is_subst), max_subst, side="right"))
    keep_q = rng.integers(1, cmax + 1, size=len(breakoff_rows))
    for j, q in enumerate(questions):
        _blank(frame, q, breakoff_rows[keep_q <= j])
        _blank(item_missing, q, breakoff_rows[keep_q <= j], False)
    breakoff_truth = [
        {"respondent_id": ids[row], "last_question": questions[k - 1]}
        for row, k in zip(breakoff_rows, keep_q, strict=True)
    ]

    # the data a correct cleaner should end up with
    keep_rows = np.ones(n, dtype=bool)
    keep_rows[breakoff_rows] = False
    keep_rows[ineligible] = False
    expected = frame.copy()
    for col in subst:
        expected.loc[item_missing[col].to_numpy(), col] = np.nan
    for col, entries in oor_truth.items():
        rows = [int(np.flatnonzero(ids == e["respondent_id"])[0]) for e in entries]
        expected.loc[rows, col] = np.nan
    expected = expected.loc[keep_rows].reset_index(drop=True)
    expected.insert(1, "unit_id", unit_ids[keep_rows])

    # duplicates: a second, later copy; half of them less complete
    copies = frame.iloc[dup_rows].copy().reset_index(drop=True)
    miss_copies = item_missing.iloc[dup_rows].copy().reset_index(drop=True)
    later = rng.integers(0, 8, size=len(dup_rows)).astype("timedelta64[D]")
    copies[inst.date] = copies[inst.date].to_numpy() + later
    less = rng.random(len(dup_rows)) < 0.5
    for q in questions:
        rows = np.flatnonzero(less & ((rng.random(len(dup_rows)) < 0.15) | (q == "wensen")))
        _blank(copies, q, rows)
        _blank(miss_copies, q, rows, False)
    dup_truth = [
        {"respondent_id": ids[row], "second_copy_less_complete": bool(x)}
        for row, x in zip(dup_rows, less, strict=True)
    ]
    frame = pd.concat([frame, copies], ignore_index=True)
    item_missing = pd.concat([item_missing, miss_copies], ignore_index=True)
    all_units = np.concatenate([unit_ids, unit_ids[dup_rows]])
    order = np.argsort(frame[inst.date].to_numpy(), kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    item_missing = item_missing.iloc[order].reset_index(drop=True)
    all_units = all_units[order]

    truth = {
        "file": FILE_NAMES[name],
        "generated_respondents": n,
        "duplicates": {
            "count": len(dup_rows),
            "rule": "keep the first (earliest, most complete) copy",
            "respondents": dup_truth,
        },
        "breakoffs": {"count": len(breakoff_rows), "respondents": breakoff_truth},
        "out_of_range": oor_truth,
        "pii_rows": [ids[r] for r in pii_rows],
        "item_missing_cells": int(item_missing.to_numpy().sum()),
    }
    if name == "control":
        truth["ineligible"] = {
            "count": int(ineligible.sum()),
            "respondent_ids": [str(x) for x in ids[ineligible]],
            "rule": "deelname_werktop = Ja",
        }
    return Survey(name, inst, frame, item_missing, all_units, truth, expected)


def _typo(label: str, rng: np.random.Generator, known: set[str]) -> str | None:
    """The label with one letter doubled, such that it matches nothing the codebook knows."""
    positions = [i for i, ch in enumerate(label) if ch.isalpha()]
    for i in rng.permutation(positions):
        text = label[: i + 1] + label[i] + label[i + 1 :]
        if normalise_label(text) not in known:
            return text
    return None


def _plant_typos(rng: np.random.Generator, survey: Survey, cb: Codebook, count: int) -> None:
    """Replace a few answer labels of complete, single-copy respondents by a typo.

    Uses its own random stream, so the rest of the study is the same with or without them.
    """
    inst, frame, expected = survey.inst, survey.frame, survey.expected
    ids = frame[inst.id].to_numpy(dtype=object)
    once = pd.Series(ids).value_counts()
    candidates = [i for i in expected[inst.id] if once.get(i, 0) == 1]
    coded = [v for v in inst.substantive_variables() if v.codes and not v.mrset]
    known = set(cb.missing_labels)
    survey.typos = []
    for rid in rng.permutation(np.array(candidates, dtype=object))[: 4 * count]:
        if len(survey.typos) == count:
            break
        row = int(np.flatnonzero(ids == rid)[0])
        var = coded[int(rng.integers(len(coded)))]
        value = frame.at[row, var.name]
        if pd.isna(value) or survey.item_missing.at[row, var.name]:
            continue
        lookup = {normalise_label(t) for c in var.codes for t in (c.nl, c.en, *c.aliases)}
        text = _typo(var.label(int(value)), rng, known | lookup)
        if text is None:
            continue
        survey.typos.append({"respondent_id": str(rid), "column": var.name, "value": text})
        expected.loc[expected[inst.id] == rid, var.name] = np.nan
    survey.truth["label_typos"] = {"count": len(survey.typos), "cells": survey.typos}


def _add_test_rows(
    rng: np.random.Generator, survey: Survey, template: pd.DataFrame, junk: list[str], cb: Codebook
) -> None:
    """Test rows the survey team entered before going live: valid values, junk content."""
    inst = survey.inst
    ids = S.TEST_IDS[survey.name]
    rows = template.iloc[: len(ids)].copy().reset_index(drop=True)
    for v in inst.variables:
        if v.scale:
            rows[v.name] = float(v.codes[len(v.codes) // 2].code)  # everything "Neutraal"
    if "deelname_werktop" in rows:
        rows["deelname_werktop"] = _ja_nee(
            inst.variable("deelname_werktop"), np.zeros(len(ids), dtype=bool)
        )
    unit_ids = np.array([cb.units[int(i)].id for i in rng.integers(0, len(cb.units), len(ids))])
    rows.insert(0, inst.id, np.array(ids, dtype=object))
    rows.insert(1, inst.unit, _unit_spellings(rng, unit_ids, cb))
    rows.insert(2, inst.date, np.full(len(ids), np.datetime64(S.TEST_ROW_DATE)))
    rows["wensen"] = np.array([junk[i % len(junk)] for i in range(len(ids))], dtype=object)
    rows = rows[inst.names]
    rows[inst.date] = rows[inst.date].astype(survey.frame[inst.date].dtype)
    survey.frame = pd.concat([rows, survey.frame], ignore_index=True)
    survey.item_missing = pd.concat(
        [pd.DataFrame(False, index=rows.index, columns=rows.columns), survey.item_missing],
        ignore_index=True,
    )
    survey.unit_ids = np.concatenate([unit_ids, survey.unit_ids])
    survey.truth["test_rows"] = {"count": len(ids), "respondent_ids": list(ids)}
    survey.truth["rows_in_file"] = len(survey.frame)
    survey.truth["expected_clean_respondents"] = len(survey.expected)


# --------------------------------------------------------------------------- rendering


def _is_blank(values: pd.Series) -> np.ndarray:
    return values.isna().to_numpy()


def _label_variants(var: Variable) -> dict[int, list[str]]:
    """Other spellings an export uses for a code: the codebook aliases and case variants."""
    out = {}
    for c in var.codes:
        vs = [a for alias in c.aliases for a in (alias, alias[:1].upper() + alias[1:])]
        vs += [c.nl.lower(), c.nl.upper(), c.nl + " ", " " + c.nl]
        out[c.code] = [s for s in dict.fromkeys(vs) if s != c.nl]
    return out


def _missing_labels(cb: Codebook) -> list[str]:
    """How a CSV or Excel export writes 'no answer': labels from the codebook, or blank."""
    labels = []
    for key in ("weet niet", "geen antwoord"):
        if key not in cb.missing_labels:
            raise ValueError(f"codebook common.toml lacks the missing label {key!r}")
        labels += [key[:1].upper() + key[1:], key]
    return [*labels, ""]


def _number_text(values: np.ndarray, decimal: str) -> np.ndarray:
    out = np.full(len(values), "", dtype=object)
    for i, x in enumerate(values):
        if not np.isnan(x):
            out[i] = str(int(x)) if float(x).is_integer() else f"{x:g}".replace(".", decimal)
    return out


def _render_labels(rng: np.random.Generator, var: Variable, values: np.ndarray) -> np.ndarray:
    out = np.full(len(values), "", dtype=object)
    for c in var.codes:
        out[values == c.code] = c.nl
    variants = _label_variants(var)
    mess = (rng.random(len(values)) < S.RATES["label_variant"]) & ~np.isnan(values)
    for code, vs in variants.items():
        sel = mess & (values == code)
        if sel.any() and vs:
            out[sel] = rng.choice(np.array(vs, dtype=object), size=int(sel.sum()))
    return out


def _render_table(
    rng: np.random.Generator, survey: Survey, cb: Codebook, kind: str
) -> tuple[list[str], list[np.ndarray]]:
    """Cells of a CSV ('csv': all text) or Excel ('xlsx': numbers and dates typed) export."""
    inst, frame = survey.inst, survey.frame
    n = len(frame)
    missing_labels = np.array(_missing_labels(cb), dtype=object)
    headers = [S.HEADER_MESS[survey.name].get(v.name, v.name) for v in inst.variables]
    columns = []
    for v in inst.variables:
        col = frame[v.name]
        blank = _is_blank(col)
        if v.type == "date":
            days = col.to_numpy().astype("datetime64[D]")
            text = np.array([pd.Timestamp(d).strftime("%d-%m-%Y") for d in days], dtype=object)
            if kind == "xlsx":
                as_text = rng.random(n) < S.RATES["excel_text_dates"]
                cells = np.array([pd.Timestamp(d).to_pydatetime() for d in days], dtype=object)
                cells[as_text] = text[as_text]
                text = cells
            out = text
        elif v.type in ("id", "unit", "text"):
            out = np.where(blank, "" if kind == "csv" else None, col.to_numpy(dtype=object))
        elif v.codes and not (kind == "xlsx" and v.mrset):
            out = _render_labels(rng, v, col.to_numpy(dtype=float))
        elif kind == "csv":
            out = _number_text(col.to_numpy(dtype=float), ",")
        else:
            vals = col.to_numpy(dtype=float)
            out = np.array(
                [None if np.isnan(x) else int(x) if x.is_integer() else float(x) for x in vals],
                dtype=object,
            )
        out = out.astype(object)
        if kind == "xlsx":
            out[blank & (out == "")] = None
        miss = survey.item_missing[v.name].to_numpy()
        if miss.any():
            labels = rng.choice(missing_labels, size=int(miss.sum()))
            if kind == "xlsx":
                labels = np.where(labels == "", None, labels)
            out[miss] = labels
        for typo in survey.typos:
            if typo["column"] == v.name:
                out[frame[inst.id].to_numpy(dtype=object) == typo["respondent_id"]] = typo["value"]
        columns.append(out)
    return headers, columns


def _csv_text(headers: list[str], columns: list[np.ndarray], delimiter: str, newline: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    writer.writerow(headers)
    writer.writerows(zip(*columns, strict=True))
    return buf.getvalue()


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite an .xlsx with fixed timestamps and entry order so the bytes are reproducible."""
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    names = sorted(names, key=lambda s: (s != "[Content_Types].xml", names.index(s)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in names:
            content = src.read(name)
            if name == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    rf"\g<1>{stamp}\g<3>",
                    text,
                )
                content = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, content)
    return out.getvalue()


def _xlsx_bytes(rng: np.random.Generator, survey: Survey, cb: Codebook) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    headers, columns = _render_table(rng, survey, cb, "xlsx")
    wb = Workbook(write_only=True)
    wb.properties.creator = "Enquêtetool export"
    wb.properties.title = survey.inst.label_nl
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    wb.properties.lastModifiedBy = "Enquêtetool export"
    ws = wb.create_sheet(EXCEL_SHEET)
    ws.append(headers)
    date_col = survey.inst.names.index(survey.inst.date)
    for row in zip(*columns, strict=True):
        cells = list(row)
        if isinstance(cells[date_col], dt.datetime):
            cell = WriteOnlyCell(ws, value=cells[date_col])
            cell.number_format = "dd-mm-yyyy"
            cells[date_col] = cell
        ws.append(cells)
    note = wb.create_sheet("Toelichting")
    for line in (
        [f"{survey.inst.label_nl} — export"],
        ["Synthetische voorbeelddata: geen echte respondenten, geen bevindingen uit 2014."],
        [
            "Antwoorden staan als labels; 'weet niet', 'geen antwoord' en lege cellen zijn "
            "geen antwoord."
        ],
        ["Knelpunten (meer antwoorden mogelijk): 1 = aangevinkt, 0 = niet aangevinkt."],
        ["Datum export", "01-06-2014"],
    ):
        note.append(line)
    buf = io.BytesIO()
    wb.save(buf)
    return _normalise_zip(buf.getvalue())


def _sav_bytes(rng: np.random.Generator, survey: Survey, cb: Codebook) -> bytes:
    import pyreadstat

    inst, frame = survey.inst, survey.frame
    headers = {}
    data = {}
    labels, value_labels, missing_ranges, formats, measures = {}, {}, {}, {}, {}
    for v in inst.variables:
        h = S.HEADER_MESS[survey.name].get(v.name, v.name)
        if h != h.strip() or " " in h:
            raise ValueError(f"SPSS variable names cannot contain spaces: {h!r}")
        headers[v.name] = h
        labels[h] = v.question_nl
        col = frame[v.name]
        if v.type == "date":
            data[h] = pd.Series([pd.Timestamp(d).date() for d in col.to_numpy()], dtype=object)
            continue
        if v.type in ("id", "unit", "text"):
            data[h] = pd.Series(
                ["" if pd.isna(x) else str(x) for x in col.to_numpy(dtype=object)], dtype=object
            )
            measures[h] = "nominal"
            continue
        vals = col.to_numpy(dtype=float).copy()
        miss = survey.item_missing[v.name].to_numpy()
        if miss.any():
            codes = np.array(v.missing, dtype=float)
            second = rng.random(int(miss.sum())) < 0.2
            vals[miss] = np.where(second & (len(codes) > 1), codes[-1], codes[0])
        data[h] = pd.Series(vals, dtype="float64")
        lab = {float(c.code): c.nl for c in v.codes}
        lab |= {float(m): cb.missing_codes[m]["nl"] for m in v.missing if m in cb.missing_codes}
        if lab:
            value_labels[h] = lab
        if v.missing:
            missing_ranges[h] = [float(m) for m in v.missing]
        formats[h] = "F8.1" if v.type == "number" else "F8.0"
        measures[h] = {"categorical": "nominal", "ordinal": "ordinal"}.get(v.type, "scale")
    df = pd.DataFrame(data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.sav"
        pyreadstat.write_sav(
            df,
            str(path),
            file_label=inst.label_nl,
            column_labels=labels,
            variable_value_labels=value_labels,
            missing_ranges=missing_ranges,
            variable_format=formats,
            variable_measure=measures,
        )
        raw = bytearray(path.read_bytes())
    # The header carries the creation date (9 bytes, "dd mmm yy") and time (8 bytes) at
    # offsets 92 and 101 (after rec_type, product name, layout code, case size,
    # compression, weight index, case count and bias). Fix them for reproducible bytes.
    date_text, time_text = bytes(raw[92:101]), bytes(raw[101:109])
    if not (
        re.fullmatch(rb"[ 0-9]\d [A-Z][a-z]{2} \d\d", date_text)
        and re.fullmatch(rb"\d\d:\d\d:\d\d", time_text)
    ):
        raise RuntimeError("unexpected SPSS header layout; cannot fix the creation time")
    raw[92:101] = FIXED_TIMESTAMP.strftime("%d %b %y").encode("ascii")
    raw[101:109] = FIXED_TIMESTAMP.strftime("%H:%M:%S").encode("ascii")
    return bytes(raw)


# --------------------------------------------------------------------------- register, interviews


def _register_csv(cb: Codebook) -> str:
    inst = cb.instruments["register"]
    table = cb.unit_alias_table()
    rows = []
    for u in cb.units:
        p = S.UNITS[u.id]
        if table.get(normalise_label(p["register_name"])) is not u:
            raise ValueError(f"register name {p['register_name']!r} does not resolve to {u.id}")
        values = {
            "gemeente": p["register_name"],
            "leden": ", ".join(u.members),
            "inwoners": p["inwoners"],
            "wwb_bestand": p["wwb_bestand"],
            "werkloosheid": p["werkloosheid"],
            "startdatum": p["startdatum"],
            "einddatum": p["einddatum"],
            "doel_contacten": S.TARGETS[0],
            "doel_regulier": S.TARGETS[1],
            "doel_wep": S.TARGETS[2],
            "behaald_contacten": p["behaald"][0],
            "behaald_regulier": p["behaald"][1],
            "behaald_wep": p["behaald"][2],
            "uren_gemeente": p["uren_gemeente"],
            "uren_adviesbureau": p["uren_adviesbureau"],
            "draagvlak": p["draagvlak"],
        }
        row = []
        for v in inst.variables:
            x = values[v.name]
            if v.type == "date":
                x = dt.date.fromisoformat(x).strftime("%d-%m-%Y")
            elif v.type in ("integer", "number"):
                x = _number_text(np.array([float(x)]), ",")[0]
            row.append(x)
        rows.append(row)
    headers = [S.HEADER_MESS["register"].get(v.name, v.name) for v in inst.variables]
    columns = [np.array(c, dtype=object) for c in zip(*rows, strict=True)]
    return _csv_text(headers, columns, ";", "\r\n")


def _interviews_csv(rng: np.random.Generator, cb: Codebook, pii: PiiFactory) -> tuple[str, dict]:
    inst = cb.instruments["interviews"]
    theme = inst.variable("thema")
    rows = []
    for u in cb.units:
        attainment = S.UNITS[u.id]["attainment"]
        p_high = 1.0 if attainment == "boven alle doelen" else 0.4 if "iets" in attainment else 0.0
        lo, hi = S.INTERVIEW_FRAGMENTS_PER_UNIT
        k = int(rng.integers(lo, hi + 1))
        themes = np.concatenate([theme.code_values(), rng.choice(theme.code_values(), k - 4)])
        used: set[tuple[str, str]] = set()
        for t in np.sort(themes):
            level = "hoog" if rng.random() < p_high else "laag"
            options = [c for c in S.INTERVIEW_CODES[int(t)][level] if (level, c[0]) not in used]
            if not options:
                options = S.INTERVIEW_CODES[int(t)][level]
            code, text = options[int(rng.integers(0, len(options)))]
            used.add((level, code))
            speaker = S.INTERVIEW_SPEAKERS[int(rng.integers(0, len(S.INTERVIEW_SPEAKERS)))]
            rows.append([u.id, int(t), code, f"{speaker}: {text}"])
    spellings = _unit_spellings(rng, np.array([r[0] for r in rows]), cb)
    pii_rows = np.sort(rng.choice(len(rows), size=len(S.INTERVIEW_PII_TEMPLATES), replace=False))
    planted = []
    for i, template in zip(pii_rows, S.INTERVIEW_PII_TEMPLATES, strict=True):
        kind = "bsn" if "BSN" in template else "phone" if "belde" in template else "email"
        value = pii.make(kind)
        rows[i][3] = rows[i][3] + " " + template.format(value)
        planted.append(value)
    width = max(3, len(str(len(rows))))
    ids = [f"F{i + 1:0{width}d}" for i in range(len(rows))]
    variants = _label_variants(theme)
    out_rows = []
    for i, (_, t, code, text) in enumerate(rows):
        label = theme.label(t)
        if rng.random() < S.RATES["label_variant"] and variants[t]:
            label = variants[t][int(rng.integers(0, len(variants[t])))]
        out_rows.append([ids[i], spellings[i], label, code, text])
    headers = [S.HEADER_MESS["interviews"].get(v.name, v.name) for v in inst.variables]
    columns = [np.array(c, dtype=object) for c in zip(*out_rows, strict=True)]
    truth = {
        "file": FILE_NAMES["interviews"],
        "rows_in_file": len(rows),
        "fragments_per_unit": {u.id: sum(r[0] == u.id for r in rows) for u in cb.units},
        "pii_fragments": [ids[i] for i in pii_rows],
    }
    return _csv_text(headers, columns, ",", "\n"), truth


# --------------------------------------------------------------------------- truth


def _scale_scores(frame: pd.DataFrame, inst: Instrument) -> dict[str, np.ndarray]:
    out = {}
    for sc in inst.scales:
        items = frame[list(sc.items)].to_numpy(dtype=float).copy()
        for j, name in enumerate(sc.items):
            if name in sc.reverse_items:
                items[:, j] = sc.minimum + sc.maximum - items[:, j]
        answered = (~np.isnan(items)).sum(axis=1)
        total = np.nansum(items, axis=1)
        score = np.where(answered >= sc.min_items, total / np.maximum(answered, 1), np.nan)
        out[sc.name] = score
    return out


def _summary(frame: pd.DataFrame, inst: Instrument, cb: Codebook) -> dict:
    ws = frame["werkstatus"].to_numpy(dtype=float)
    regular = inst.variable("werkstatus").code_values()[0]
    ws = ws[~np.isnan(ws)]
    apps = frame["sollicitaties_4wk"].to_numpy(dtype=float)
    tev = frame["tevreden_meerwaarde"].to_numpy(dtype=float)
    out = {
        "n": len(frame),
        "share_regular_job": float(np.mean(ws == regular)),
        "mean_sollicitaties_4wk": float(np.nanmean(apps)),
        "mean_tevreden_meerwaarde": float(np.nanmean(tev)),
        "scale_means": {},
    }
    for name, score in _scale_scores(frame, inst).items():
        out["scale_means"][name] = float(np.nanmean(score))
    return out


def _smd(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    return float((a.mean() - b.mean()) / math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2))


def _reference(cb: Codebook) -> dict:
    """Population values implied by the scenario (large clean samples, fixed seed)."""
    rng = np.random.default_rng(np.random.SeedSequence([REFERENCE_SEED, STREAMS["reference"]]))
    cand_inst, ctrl_inst = cb.instruments["candidates"], cb.instruments["control"]
    cand, _ = _jobseekers(rng, cand_inst, "candidates", np.ones(REFERENCE_N), cb)
    ctrl, _ = _jobseekers(rng, ctrl_inst, "control", np.zeros(REFERENCE_N), cb)
    sc_c, sc_k = _scale_scores(cand, cand_inst), _scale_scores(ctrl, ctrl_inst)
    regular = cand_inst.variable("werkstatus").code_values()[0]
    p1 = float(np.mean(cand["werkstatus"] == regular))
    p0 = float(np.mean(ctrl["werkstatus"] == regular))
    return {
        "n_per_group": REFERENCE_N,
        "share_regular_job": {"candidates": p1, "control": p0},
        "raw_odds_ratio_regular_job": (p1 / (1 - p1)) / (p0 / (1 - p0)),
        "raw_smd_scale_mean": {
            name: _smd(sc_c[name], sc_k[name])
            for name in ("zoekgedrag", "eigen_effectiviteit", "bejegening")
        },
        "raw_smd_tevreden_meerwaarde": _smd(
            cand["tevreden_meerwaarde"].to_numpy(float), ctrl["tevreden_meerwaarde"].to_numpy(float)
        ),
        "mean_sollicitaties_4wk": {
            "candidates": float(cand["sollicitaties_4wk"].mean()),
            "control": float(ctrl["sollicitaties_4wk"].mean()),
        },
        "mean_leeftijd": {
            "candidates": float(cand["leeftijd"].mean()),
            "control": float(ctrl["leeftijd"].mean()),
        },
        "mean_jaren_uitkering": {
            "candidates": float(cand["jaren_uitkering"].mean()),
            "control": float(ctrl["jaren_uitkering"].mean()),
        },
    }


def _true_parameters(cb: Codebook) -> dict:
    units = {}
    for u in cb.units:
        p = S.UNITS[u.id]
        achieved = dict(zip(("contacten", "regulier", "wep"), p["behaald"], strict=True))
        targets = dict(zip(("contacten", "regulier", "wep"), S.TARGETS, strict=True))
        units[u.id] = {
            "register_name": p["register_name"],
            "members": list(u.members),
            "targets": targets,
            "achieved": achieved,
            "attainment_ratio": {k: achieved[k] / targets[k] for k in targets},
            "exceeds_all_targets": all(achieved[k] > targets[k] for k in targets),
            "attainment": p["attainment"],
            "uren_gemeente": p["uren_gemeente"],
            "uren_adviesbureau": p["uren_adviesbureau"],
            "draagvlak": p["draagvlak"],
            "employment_logit_offset": p["employment_logit"],
            "share_of_candidates": p["share_candidates"],
            "share_of_control": p["share_control"],
            "inwoners": p["inwoners"],
            "wwb_bestand": p["wwb_bestand"],
            "werkloosheid": p["werkloosheid"],
            "startdatum": p["startdatum"],
            "einddatum": p["einddatum"],
        }
    return {
        "regular_job": {
            "outcome": "werkstatus == 1 (Betaalde baan)",
            "model": "logistic in covariates + unit offset + log(odds_ratio) * Werktop",
            **S.EMPLOYMENT,
        },
        "latent_traits": S.LATENT,
        "item_loading": S.ITEM_LOADING,
        "eens5_thresholds": S.EENS5_CUTS,
        "tevreden5_thresholds": S.TEVREDEN5_CUTS,
        "item_shift": S.ITEM_SHIFT,
        "applications": {
            "outcome": "sollicitaties_4wk",
            "model": "gamma-Poisson; conditional rate ratio for Werktop",
            **S.APPLICATIONS,
        },
        "channels": S.CHANNELS,
        "p_prettig_gesprek_candidate": S.P_PRETTIG_GESPREK_CANDIDATE,
        "rm_cijfer_candidates": S.RM_CIJFER,
        "selection": S.SELECTION,
        "employers": {
            **S.EMPLOYERS,
            "item_shift": S.EMPLOYER_ITEM_SHIFT,
            "rm_cijfer": S.EMPLOYER_RM_CIJFER,
            "knelpunten": {
                k: {"base_p": b, "logit_per_sd": s} for k, (b, s) in S.KNELPUNTEN.items()
            },
            "weakest_items": ["eval_administratie", "eval_financieel"],
        },
        "units": units,
        "units_exceeding_all_targets": [u for u, x in units.items() if x["exceeds_all_targets"]],
    }


def _scenario_markdown(truth: dict) -> str:
    p = truth["parameters"]
    ref = truth["expected_population"]
    e = p["regular_job"]
    lat = p["latent_traits"]
    lines = [
        "# Scenario of the synthetic example study",
        "",
        "**These data are synthetic.** They were generated by `python -m pipeline simulate` "
        "from the scenario below; they are not the 2014 microdata and the numbers are not "
        "the findings of the 2014 evaluation.",
        "",
        f"- seed: {truth['seed']}",
        f"- scale (multiplier of the survey sample sizes): {truth['scale']}",
        "- machine-readable version of everything on this page: `truth.json`",
        "",
        "## True effects (Werktop candidates vs control group)",
        "",
        "Selection into Werktop is not randomised: candidates are younger, shorter on "
        "benefit, speak better Dutch and have fewer health limitations. The effects below "
        "are conditional on those covariates and the unit; raw differences also contain "
        "the selection.",
        "",
        "| outcome | true conditional effect | expected raw difference (population) |",
        "|---|---|---|",
        f"| regular paid job (werkstatus = 1) | odds ratio {e['odds_ratio']} | "
        f"{ref['share_regular_job']['control']:.1%} control vs "
        f"{ref['share_regular_job']['candidates']:.1%} Werktop |",
    ]
    for name in ("zoekgedrag", "eigen_effectiviteit", "bejegening"):
        lines.append(
            f"| scale {name} | +{lat[name]['effect']} SD on the latent trait | "
            f"SMD of the scale mean {ref['raw_smd_scale_mean'][name]:+.2f} |"
        )
    lines += [
        f"| tevreden_meerwaarde | +{lat['tevreden_meerwaarde']['effect']} SD on the latent "
        f"trait | SMD {ref['raw_smd_tevreden_meerwaarde']:+.2f} |",
        f"| sollicitaties_4wk | rate ratio {p['applications']['rate_ratio']} | mean "
        f"{ref['mean_sollicitaties_4wk']['control']:.2f} control vs "
        f"{ref['mean_sollicitaties_4wk']['candidates']:.2f} Werktop |",
        "",
        "Likert items are thresholded responses to one latent trait per scale (loading "
        f"{p['item_loading']}); reverse-worded items (codebook `reverse = true`) are "
        "answered in the reverse direction. Hours and contract are asked only of "
        "respondents with a job or a work-experience place.",
        "",
        "## Units",
        "",
        "| unit | contacts | regular | work-exp. | hours municipality | hours consultancy "
        "| draagvlak | attainment |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for uid, u in p["units"].items():
        a = u["achieved"]
        lines.append(
            f"| {uid} | {a['contacten']} | {a['regulier']} | {a['wep']} | {u['uren_gemeente']} "
            f"| {u['uren_adviesbureau']} | {u['draagvlak']} | {u['attainment']} |"
        )
    lines += [
        "",
        f"Targets for every unit: {S.TARGETS[0]} new employer contacts, {S.TARGETS[1]} "
        f"regular jobs, {S.TARGETS[2]} work-experience placements. Hours invested and "
        "draagvlak go with attainment.",
        "",
        "## Employers",
        "",
        "Mostly positive on the approach and the relationship manager; the administrative "
        "burden (reverse-worded item `eval_administratie`) and financial support "
        "(`eval_financieel`) are the weakest; administration and finance are the most "
        "frequent bottlenecks; the relationship manager's mark is mostly 6-9.",
        "",
        "## Planted problems per file",
        "",
        "| file | rows in file | respondents | duplicates | test rows | break-offs "
        "| ineligible | out-of-range | label typos | personal data |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("employers", "candidates", "control"):
        f = truth["files"][name]
        oor = sum(len(x) for x in f["out_of_range"].values())
        inel = f.get("ineligible", {}).get("count", 0)
        lines.append(
            f"| {f['file']} | {f['rows_in_file']} | {f['generated_respondents']} | "
            f"{f['duplicates']['count']} | {f['test_rows']['count']} | "
            f"{f['breakoffs']['count']} | {inel} | {oor} | {f['label_typos']['count']} | "
            f"{len(f['pii_rows'])} |"
        )
    lines += [
        "",
        "Also: unit names spelled several ways (codebook aliases, case and whitespace), "
        "label variants (aliases, case), missing answers as codes 9/99/999 (SPSS) or "
        "'weet niet' / 'geen antwoord' / blank (CSV, Excel), dates as dd-mm-jjjj text, "
        "headers in mixed case with stray spaces, and personal data (BSN, e-mail, phone, "
        "IBAN, postcode) typed into free text. Ineligible control respondents "
        "(deelname_werktop = Ja) took part in Werktop after all and were generated as such.",
        "",
    ]
    return "\n".join(lines)


_CONFIG_TEMPLATE = """\
# Study config for the shipped synthetic example study.
# Generated by `make example-data` (python -m pipeline simulate); copy it as a starting point
# for your own study. Relative paths are resolved against this file's directory.
# Unknown settings and values of the wrong type stop the run (exit code 2). For exports
# that need mapping (rename, skip_rows, date_format, [units.aliases]) and for the optional
# register and interviews inputs, see README.md, "Running on your own data".

[study]
title = "Evaluatie Werktop"
synthetic = true
language = "nl"
# Seeds everything random in the analysis (multiple imputation, bootstrap); the same seed,
# data and config give byte-identical results.
seed = {seed}
alpha = 0.05
{codebook}scenario = "{scenario}"

[privacy]
# Key for the keyed hash that turns respondent ids into pseudonyms. For real data, set the
# environment variable named here instead of writing a key into the config: with
# synthetic = false a pseudonym_key in this file is refused, and the run stops when the
# environment variable is not set. The environment variable wins over the key below.
pseudonym_key_env = "WERKTOP_PSEUDONYM_KEY"
pseudonym_key = "synthetic-example-key-not-secret"

[analysis]
# Correction for multiple testing across the Werktop-vs-control outcome family:
# "holm" (default), "fdr_bh" or "none".
multiplicity = "holm"

[cleaning]
test_id_pattern = "^\\\\s*(test|tst|dummy)"
"""


def _config_text(config_path: Path, paths: dict[str, Path], seed: int) -> str:
    base = config_path.resolve().parent

    def rel(p: Path) -> str:
        return Path(os.path.relpath(p.resolve(), base)).as_posix()

    inside = config_path.resolve().is_relative_to(PROJECT_ROOT)
    text = _CONFIG_TEMPLATE.format(
        seed=seed,
        codebook=f'codebook = "{rel(DEFAULT_CODEBOOK)}"\n' if inside else "",
        scenario=rel(paths["scenario"]),
    )
    for name in FILE_NAMES:
        text += f'\n[inputs.{name}]\npath = "{rel(paths[name])}"\n'
        text += f'format = "{FORMATS.get(name, "csv")}"\n'
        if name == "employers":
            text += f'sheet = "{EXCEL_SHEET}"\n'
    return text


# --------------------------------------------------------------------------- entry point


def _n(base: int, scale: float) -> int:
    return max(40, round(base * scale))


def simulate_study(
    out_dir: Path, *, seed: int = 20140601, scale: float = 1.0, config_path: Path | None = None
) -> dict[str, Path]:
    """Write the synthetic example study into ``out_dir``; return name -> path."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    out_dir = Path(out_dir)
    cb = load_codebook(DEFAULT_CODEBOOK)
    pii = PiiFactory(np.random.default_rng(np.random.SeedSequence([seed, 0])))
    surveys: dict[str, Survey] = {}

    # employers
    rng = _rng(seed, "employers")
    inst = cb.instruments["employers"]
    n = _n(S.SAMPLE_SIZES["employers"], scale)
    frame, units = _employers(rng, inst, n, cb)
    dates = _dates(rng, S.FIELD_PERIOD["employers"], n)
    sv = _plant(rng, "employers", inst, frame, units, dates, cb, pii, S.WENSEN_EMPLOYERS)
    _add_test_rows(rng, sv, frame, S.EMPLOYER_TEST_TEXT, cb)
    _plant_typos(_typo_rng(seed, "employers"), sv, cb, S.LABEL_TYPOS["employers"])
    surveys["employers"] = sv

    # candidates and control
    for name in ("candidates", "control"):
        rng = _rng(seed, name)
        inst = cb.instruments[name]
        n = _n(S.SAMPLE_SIZES[name], scale)
        if name == "control":
            ineligible = np.zeros(n, dtype=bool)
            k = max(1, round(S.RATES["ineligible_control"] * n))
            ineligible[rng.choice(n, size=k, replace=False)] = True
            treat = ineligible.astype(float)
        else:
            ineligible, treat = None, np.ones(n)
        frame, units = _jobseekers(rng, inst, name, treat, cb)
        dates = _dates(rng, S.FIELD_PERIOD[name], n)
        awkward = S.WENSEN_AWKWARD if name == "control" else None
        sv = _plant(
            rng, name, inst, frame, units, dates, cb, pii, S.WENSEN_JOBSEEKERS, awkward, ineligible
        )
        template = frame.loc[~ineligible] if ineligible is not None else frame
        _add_test_rows(rng, sv, template, S.JOBSEEKER_TEST_TEXT, cb)
        _plant_typos(_typo_rng(seed, name), sv, cb, S.LABEL_TYPOS[name])
        surveys[name] = sv

    paths = {name: out_dir / FILE_NAMES[name] for name in FILE_NAMES}
    write_bytes(paths["employers"], _xlsx_bytes(_rng(seed, "employers"), surveys["employers"], cb))
    write_bytes(
        paths["candidates"], _sav_bytes(_rng(seed, "candidates"), surveys["candidates"], cb)
    )
    headers, columns = _render_table(_rng(seed, "control"), surveys["control"], cb, "csv")
    write_bytes(paths["control"], _csv_text(headers, columns, ";", "\r\n").encode("cp1252"))
    write_bytes(paths["register"], _register_csv(cb).encode("utf-8-sig"))
    interviews_text, interviews_truth = _interviews_csv(_rng(seed, "interviews"), cb, pii)
    write_bytes(paths["interviews"], interviews_text.encode("utf-8"))

    files = {name: sv.truth for name, sv in surveys.items()}
    files["register"] = {"file": FILE_NAMES["register"], "rows_in_file": len(cb.units)}
    files["interviews"] = interviews_truth
    truth = {
        "synthetic": True,
        "seed": seed,
        "scale": scale,
        "parameters": _true_parameters(cb),
        "expected_population": _reference(cb),
        "realised": {
            name: _summary(surveys[name].expected, cb.instruments[name], cb)
            for name in ("candidates", "control")
        },
        "files": files,
        "planted_pii": list(pii.planted),
        "planted_pii_by_kind": pii.by_kind,
        "rates": S.RATES,
    }
    paths["scenario"] = out_dir / "SCENARIO.md"
    paths["truth"] = out_dir / "truth.json"
    write_text(paths["scenario"], _scenario_markdown(truth))
    write_json(paths["truth"], truth)
    config_path = Path(config_path) if config_path is not None else out_dir / "study.toml"
    write_text(config_path, _config_text(config_path, paths, seed))
    paths["config"] = config_path
    return paths
