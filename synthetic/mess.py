"""The mess real survey exports have, planted into clean respondents from ``synthetic.model``.

Unit names spelled several ways, item nonresponse, out-of-range values, personal data in
free text, break-offs, duplicated respondents, test rows and answer labels with typos. Each
planted problem is recorded in the survey's truth (``Survey.truth``), and ``Survey.expected``
holds the clean data a correct cleaner should recover.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.study.codebook import Codebook, Instrument, Variable, normalise_label
from synthetic import scenario as S
from synthetic.draws import ja_nee
from synthetic.personal_data import PiiFactory

NON_QUESTION_TYPES = ("id", "unit", "date")


def field_dates(rng: np.random.Generator, period: tuple[str, str], n: int) -> np.ndarray:
    """Dates the questionnaires were completed, sorted, inside the field period."""
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
    kept: np.ndarray | None = None  # per generated respondent: in ``expected``


def _question_vars(inst: Instrument) -> list[Variable]:
    return [v for v in inst.variables if v.type not in NON_QUESTION_TYPES]


def unit_spellings(rng: np.random.Generator, unit_ids: np.ndarray, cb: Codebook) -> np.ndarray:
    """Unit names as respondents typed them: the codebook name or one of its variants."""
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


def plant_mess(
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
    """Plant the mess of one survey into its clean frame; see the module docstring."""
    n = len(frame)
    frame = frame.copy()
    width = max(4, len(str(n)))
    ids = np.array([f"{S.ID_PREFIX[name]}{i + 1:0{width}d}" for i in range(n)], dtype=object)
    frame.insert(0, inst.id, ids)
    frame.insert(1, inst.unit, unit_spellings(rng, unit_ids, cb))
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
        "file": S.FILE_NAMES[name],
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
    return Survey(name, inst, frame, item_missing, all_units, truth, expected, kept=keep_rows)


def _typo(label: str, rng: np.random.Generator, known: set[str]) -> str | None:
    """The label with one letter doubled, such that it matches nothing the codebook knows."""
    positions = [i for i, ch in enumerate(label) if ch.isalpha()]
    for i in rng.permutation(positions):
        text = label[: i + 1] + label[i] + label[i + 1 :]
        if normalise_label(text) not in known:
            return text
    return None


def plant_typos(rng: np.random.Generator, survey: Survey, cb: Codebook, count: int) -> None:
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


def add_test_rows(
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
        rows["deelname_werktop"] = ja_nee(
            inst.variable("deelname_werktop"), np.zeros(len(ids), dtype=bool)
        )
    unit_ids = np.array([cb.units[int(i)].id for i in rng.integers(0, len(cb.units), len(ids))])
    rows.insert(0, inst.id, np.array(ids, dtype=object))
    rows.insert(1, inst.unit, unit_spellings(rng, unit_ids, cb))
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
