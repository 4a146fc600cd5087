"""Drawing helpers shared by the job-seeker and employer models.

Random streams (one per part of the study, so changing one part changes no draw of
another), codes drawn in the codebook's order, Ja / Nee codes, and Likert items as
thresholded responses to a latent trait.
"""

from __future__ import annotations

import math

import numpy as np

from pipeline.study.codebook import Instrument, Variable, normalise_label
from synthetic import scenario as S

STREAMS = {"employers": 1, "candidates": 2, "control": 3, "interviews": 4, "reference": 5}


def stream_rng(seed: int, stream: str) -> np.random.Generator:
    """The random stream of one part of the study (see ``STREAMS``)."""
    return np.random.default_rng(np.random.SeedSequence([seed, STREAMS[stream]]))


def typo_stream_rng(seed: int, stream: str) -> np.random.Generator:
    """A separate stream for label typos, so planting them changes no other draw."""
    return np.random.default_rng(np.random.SeedSequence([seed, 100 + STREAMS[stream]]))


def choice_codes(rng: np.random.Generator, var: Variable, p: list[float], n: int) -> np.ndarray:
    """``n`` codes of ``var`` drawn with probabilities ``p`` (in the codebook's code order)."""
    codes = np.array(var.code_values(), dtype=float)
    if len(codes) != len(p):
        raise ValueError(f"{var.name}: {len(p)} probabilities for {len(codes)} codes")
    return rng.choice(codes, size=n, p=np.asarray(p) / np.sum(p))


def ja_nee(var: Variable, yes: np.ndarray) -> np.ndarray:
    """Code for Ja / Nee from the codebook labels (value set ja_nee)."""
    ja = next(c.code for c in var.codes if normalise_label(c.nl) == "ja")
    nee = next(c.code for c in var.codes if normalise_label(c.nl) == "nee")
    return np.where(yes, ja, nee).astype(float)


def ordinal_codes(y: np.ndarray, cuts: list[float]) -> np.ndarray:
    """Ordinal codes 1, 2, ... from a latent response and ascending thresholds."""
    return 1.0 + np.searchsorted(np.asarray(cuts), y, side="right").astype(float)


def likert_items(
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
        code = ordinal_codes(y + shifts.get(name, 0.0), cuts)
        if inst.variable(name).reverse:
            code = (sc.minimum + sc.maximum) - code
        out[name] = code
    return out
