"""The employer model: characteristics, hires, evaluation of the approach, bottlenecks.

One latent evaluation per employer (higher where the unit's draagvlak is higher) drives the
Likert items, the relationship manager's mark, the bottlenecks and the intention to continue.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipeline.study.codebook import Codebook, Instrument
from synthetic import scenario as S
from synthetic.draws import choice_codes, ja_nee, likert_items


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
        "sector": choice_codes(rng, v("sector"), p["sector"], n),
        "bedrijfsgrootte": choice_codes(rng, v("bedrijfsgrootte"), p["bedrijfsgrootte"], n),
        "ervaring_uitkering": ja_nee(
            v("ervaring_uitkering"), rng.random(n) < p["p_ervaring_uitkering"]
        ),
        "start_contact": choice_codes(rng, v("start_contact"), p["start_contact"], n),
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
    data |= likert_items(rng, inst, "evaluatie_aanpak", latent, S.EMPLOYER_ITEM_SHIFT, S.EENS5_CUTS)
    rm = 0.5 * (latent - latent.mean()) + math.sqrt(0.75) * rng.standard_normal(n)
    data |= likert_items(rng, inst, "relatiemanager", rm, S.EMPLOYER_ITEM_SHIFT, S.EENS5_CUTS)
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
