"""Chapter 6's knelpunten and wishes of the job seekers: the open question, keyword coded.

The surveys of candidates and control group ask no closed question about problems
(knelpunten); the problems job seekers name come from the open question what the
municipality could do more or differently (``wensen``, after the removal of personal
data). Each answer is coded with a fixed keyword list per category (``WISH_CODES``, as
the employers chapter codes the employers' wishes); an answer can fall into several
categories, one that matches none is "overig". The categories form a multiple-response
set compared between the groups like the search channels
(:func:`analysis.multiresponse.compare_multiresponse`: denominator the respondents of a
group who answered the question, Wilson intervals, Newcombe difference, chi-square or
Fisher, Benjamini-Hochberg within the set). The table is disclosure-controlled like the
search channels and is the one source of the section and of its copy in appendix II.
Keyword coding approximates hand coding; it does not replace it (the report says so).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.multiresponse import compare_multiresponse
from pipeline.report.chapter import TableSpec

from .common import TREATMENT
from .tables import CHANNELS

#: Code -> (regular expression on the answer, Dutch label, English label).
WISH_CODES: dict[str, tuple[str, str, str]] = {
    "wens_maatwerk": (r"maatwerk|wat ik (?:wél )?kan|begrip|geen nummer|persoonlijk"
                      r"|rekening houden",
                      "Maatwerk: kijken naar wat ik kan en naar mijn situatie",
                      "Tailored support: what I can do and my situation"),
    "wens_contact": (r"contact|klantmanager|reageren|afwachten",
                     "Vaker, sneller en vast contact met de gemeente",
                     "More frequent, quicker and stable contact with the municipality"),
    "wens_solliciteren": (r"\bcv\b|sollicit|helpen zoeken",
                          "Hulp bij solliciteren en zoeken",
                          "Help with applications and the search"),
    "wens_scholing": (r"opleiding|cursus|\btaal\b|nederlands",
                      "Opleiding, cursus of taal", "Training, courses or language"),
    "wens_werk": (r"banen|werkervaring|ondernemers|werkgever|\becht\W+werk|werken, help"
                  r"|stages?\b",
                  "Banen, werkplekken en contact met werkgevers",
                  "Jobs, work placements and contact with employers"),
    "wens_voorwaarden": (r"kinderopvang|reis|rugklacht|gezondheid",
                         "Voorwaarden: opvang, reiskosten, gezondheid",
                         "Conditions: childcare, travel costs, health"),
    "wens_controle": (r"controle|regels", "Minder controle en regels",
                      "Less control and fewer rules"),
}
WISH_OTHER = "wens_overig"
WISH_OTHER_LABELS = ("Overig", "Other")
#: The open question the codes are read from.
WISH_COLUMN = "wensen"

WISHES = TableSpec(
    "jobseekers_wishes",
    CHANNELS.columns,
    "Knelpunten and wishes job seekers name in the open question (keyword coded, multiple "
    "response): % per group of those who answered, risk difference, test and "
    "Benjamini-Hochberg adjustment within the set",
    # as the search channels (a test of a suppressed count is not shown either)
    suppress=dict(CHANNELS.suppress),
    complements=dict(CHANNELS.complements),
    # (no cell_keys: no other table shows these counts; appendix II reads these rows)
    may_be_empty=True,  # no open question, or a group without an answer
    extra_columns={**CHANNELS.extra_columns,
                   "item": ("string", "Code of the keyword coding (wens_overig: no keyword)")},
)


def code_wishes(text: pd.Series) -> pd.DataFrame:
    """0/1 columns per code (``WISH_CODES`` plus ``wens_overig``); NaN where no answer.

    Each distinct answer is matched once (answers repeat), then mapped back."""
    t = text.astype("string").str.strip()
    answered = t.notna() & t.ne("")
    distinct = pd.Series(t[answered].unique(), dtype="string")
    coded = pd.DataFrame(index=distinct.index)
    for code, (pattern, _, _) in WISH_CODES.items():
        coded[code] = distinct.str.contains(pattern, case=False, regex=True).astype(float)
    coded[WISH_OTHER] = (coded.sum(axis=1) == 0).astype(float)
    coded.index = distinct.to_numpy()
    out = coded.reindex(t.where(answered).to_numpy())
    out.index = text.index
    return out


def wishes(jobseekers: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """The coded wishes compared between the groups (``WISHES``'s columns); an empty table
    when the study has no open question or a group has no answer."""
    codes = [*WISH_CODES, WISH_OTHER]
    if WISH_COLUMN not in jobseekers.columns:
        return pd.DataFrame(columns=list(WISHES.columns))
    coded = code_wishes(jobseekers[WISH_COLUMN])
    frame = pd.concat([jobseekers[[TREATMENT]], coded], axis=1)
    labels = {c: WISH_CODES[c][2] for c in WISH_CODES} | {WISH_OTHER: WISH_OTHER_LABELS[1]}
    try:
        table = compare_multiresponse(frame, codes, TREATMENT, labels=labels, alpha=alpha)
    except ValueError:  # a group without a single answer: nothing to compare
        return pd.DataFrame(columns=list(WISHES.columns))
    dutch = {c: WISH_CODES[c][1] for c in WISH_CODES} | {WISH_OTHER: WISH_OTHER_LABELS[0]}
    table["label_nl"] = table["item"].map(dutch)
    table["label_en"] = table["label"]
    return table[list(WISHES.columns)]


def wishes_summary(table: pd.DataFrame, alpha: float) -> dict[str, Any]:
    """Which codes the prose names (stats.json): the most named code per group (not
    "overig"; the first in code order among ties) and the codes whose difference between
    the groups is significant after BH. Counts and shares stay in the table."""
    named = table[table["item"].ne(WISH_OTHER)] if len(table) else table
    out: dict[str, Any] = {"n_codes": int(len(named)), "top_treated": None,
                           "top_control": None, "different": []}  # fmt: skip
    for group in ("treated", "control"):
        share = pd.to_numeric(named.get(f"p_{group}", pd.Series(dtype=float)),
                              errors="coerce")  # fmt: skip
        if share.notna().any():
            out[f"top_{group}"] = str(named.loc[share.idxmax(), "item"])
    if len(named):
        p = pd.to_numeric(named["p_adj_bh"], errors="coerce").to_numpy()
        out["different"] = [str(i) for i in named["item"][np.nan_to_num(p, nan=1.0) < alpha]]
    return out
