"""A foreign study: exports made the way real survey tools write them, for a study that is
not the 2014 one.

One module on purpose: the exports, their quirks and the study config that reads them
must agree cell for cell, so they are written side by side.

``write_foreign_study(out_dir)`` writes a synthetic "Werktop 2015" pilot with three units
(Doetinchem; Berg en Dal, merged in 2015 from Groesbeek, Millingen aan de Rijn and Ubbergen;
Zaanstad), fieldwork from 2014-11-01 to 2015-07-31, and a study config (``study.toml``) in
the syntax of the study-definition settings (``[units.<id>]``, ``field_period``,
``[inputs.<name>.exclude]``, ``multiselect_blank``):

- ``ondernemers_2015.xlsx``: employer survey, three title rows above the header (row 4)
- ``kandidaten_2015.sav``: candidate survey; the unit is the tool's own numeric code
  (1 = Doetinchem, 2 = Berg en Dal, 3 = Zaanstad as value labels; the codebook's 2014
  ``units.toml`` has 1 = Hilversum) and two questions use the file's own code order
  (``geslacht`` 1 = Vrouw, 2 = Man; ``gezondheid_beperking`` 1 = Ja, 2 = Nee), so only
  reading the codes through the labels is right
- ``controlegroep_qualtrics.csv``: control group as Qualtrics exports it (UTF-8 with BOM,
  question numbers as column names, question texts and ImportIds in rows 2 and 3, Qualtrics'
  own columns, US dates, "Survey Preview" rows, unfinished responses, a multi-select written
  as 1 / blank, a free-text answer "Nederlands" that equals a codebook column name)
- ``register_2015.csv``: unit register (``;``, cp1252, decimal commas), plus Assen as a
  comparison unit

The respondents are drawn as the example generator draws them (the same model
and planted mess), re-assigned to the three units and moved into the 2015 field period. The
returned ``ForeignStudy`` holds what a correct run must find: kept respondents per unit,
excluded rows with their reasons, every row's planted completion date, the multi-select
shares and the planted personal data.

Command line: ``python -m synthetic.foreign --out DIR [--seed N] [--scale X]``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.outputs import console
from pipeline.outputs.io import write_bytes, write_text
from pipeline.study.codebook import Codebook, load_codebook
from pipeline.study.config import DEFAULT_CODEBOOK
from synthetic import scenario as S
from synthetic.mess import Survey
from synthetic.personal_data import PiiFactory
from synthetic.study import draw_surveys
from synthetic.writers import (
    _normalise_zip,
    csv_text,
    render_table,
    spss_coded_column,
    spss_file_bytes,
)

FIELD_PERIOD = ("2014-11-01", "2015-07-31")
PSEUDONYM_KEY = "foreign-demo-key-not-secret"
TITLE = "Evaluatie Werktop 2015 (proefstudie)"
FILE_NAMES = {
    "employers": "ondernemers_2015.xlsx",
    "candidates": "kandidaten_2015.sav",
    "control": "controlegroep_qualtrics.csv",
    "register": "register_2015.csv",
}
CONFIG_NAME = "study.toml"
SURVEYS = ("employers", "candidates", "control")
EXCEL_TITLE_ROWS = (
    ("Enquête ondernemers Werktop 2015 — rapportage uit de enquêtetool",),
    ("Synthetische proefdata: geen echte respondenten.",),
    (),
)
EXCEL_HEADER_ROW = len(EXCEL_TITLE_ROWS) + 1
EXCEL_SHEET = "Resultaten"
QUALTRICS_SKIP_ROWS = 2  # question texts and ImportIds under the header
QUALTRICS_DATE_FORMAT = "%m/%d/%Y %H:%M"
QUALTRICS_TIMEZONE = "Europe/Amsterdam"
# Share of generated control respondents who left the survey before the end (Finished=False).
UNFINISHED_RATE = 0.015
# A free-text answer equal to a codebook column name, planted within the first 20 rows.
COLUMN_NAME_ANSWER = "Nederlands"


@dataclass(frozen=True)
class StudyUnit:
    """One unit of the foreign study and how the exports write it."""

    id: str
    name: str
    spss_code: int  # the survey tool's own code (value label = name)
    share: float  # share of respondents
    spellings: tuple[str, ...]  # further spellings the study config lists
    written: tuple[tuple[str, float], ...]  # how CSV / Excel cells write it, with shares
    members: tuple[str, ...] = ()


UNITS = (
    StudyUnit(
        "doetinchem", "Doetinchem", 1, 0.36, ("Gemeente Doetinchem",),
        (("Doetinchem", 0.6), ("Gemeente Doetinchem", 0.4)),
    ),
    StudyUnit(
        # one municipality since 2015; people still write its three former municipalities
        "bergendal", "Berg en Dal", 2, 0.26,
        ("Groesbeek", "Ubbergen", "Millingen aan de Rijn", "Millingen a/d Rijn",
         "Gemeente Berg en Dal"),
        (
            ("Berg en Dal", 0.25), ("Groesbeek", 0.3), ("Ubbergen", 0.15),
            ("Millingen a/d Rijn", 0.15), ("Gemeente Berg en Dal", 0.15),
        ),
    ),
    StudyUnit(
        "zaanstad", "Zaanstad", 3, 0.38, ("Gemeente Zaanstad", "Zaandam"),
        (("Zaanstad", 0.6), ("Gemeente Zaanstad", 0.25), ("Zaandam", 0.15)),
    ),
)  # fmt: skip
COMPARISON_UNIT = StudyUnit("assen", "Assen", 90, 0.0, (), ())

# Coded questions the SPSS file codes in its own order: codebook code -> file code. The file's
# value labels say what each file code means (labels win).
SPSS_OWN_CODES = {
    "geslacht": {1: 2, 2: 1},  # file: 1 = Vrouw, 2 = Man (codebook: 1 = Man, 2 = Vrouw)
    "gezondheid_beperking": {1: 1, 0: 2},  # file: 1 = Ja, 2 = Nee (codebook: 1 = Ja, 0 = Nee)
}

# Register figures of the three units and Assen (plausible magnitudes, not official
# statistics); None stays blank. Targets: new contacts, regular jobs, work experience.
REGISTER = {
    "doetinchem": {
        "gemeente": "Doetinchem", "leden": "Doetinchem", "inwoners": 56_400,
        "wwb_bestand": 1_950, "werkloosheid": 8.3, "startdatum": "2014-09-01",
        "einddatum": "2015-09-01", "doel": (70, 40, 20), "behaald": (77, 42, 21),
        "uren_gemeente": 1980.0, "uren_adviesbureau": 520.5, "draagvlak": 7.6,
    },
    "bergendal": {
        "gemeente": "Gemeente Berg en Dal", "leden": "Groesbeek, Millingen aan de Rijn, Ubbergen",
        "inwoners": 34_600, "wwb_bestand": 610, "werkloosheid": 6.4,
        "startdatum": "2014-10-01", "einddatum": "2015-09-01", "doel": (70, 40, 20),
        "behaald": (45, 19, 9), "uren_gemeente": 940.0, "uren_adviesbureau": 310.0,
        "draagvlak": 5.1,
    },
    "zaanstad": {
        "gemeente": "Zaanstad", "leden": "Zaanstad", "inwoners": 151_900,
        "wwb_bestand": 4_720, "werkloosheid": 9.2, "startdatum": "2014-09-15",
        "einddatum": "2015-09-01", "doel": (70, 40, 20), "behaald": (83, 46, 22),
        "uren_gemeente": 2240.5, "uren_adviesbureau": 600.0, "draagvlak": 8.0,
    },
    "assen": {
        "gemeente": "Assen", "leden": "Assen", "inwoners": 67_300, "wwb_bestand": 1_640,
        "werkloosheid": 7.3, "startdatum": "2014-01-01", "einddatum": "2015-09-01",
        "doel": (None, None, None), "behaald": (None, 61, 29), "uren_gemeente": None,
        "uren_adviesbureau": None, "draagvlak": None,
    },
}  # fmt: skip

# Random streams of the foreign study's own draws (the surveys use the generator's streams).
_STREAMS = {"units": 1, "spellings": 2, "control": 3, "render": 4}


def _rng(seed: int, stream: str, instrument: str = "") -> np.random.Generator:
    k = SURVEYS.index(instrument) + 1 if instrument else 0
    return np.random.default_rng(np.random.SeedSequence([seed, 2015, _STREAMS[stream], k]))


# --------------------------------------------------------------------------- the facts


@dataclass(frozen=True)
class Exclusion:
    """A respondent a correct run excludes.

    ``rows`` are the file's row numbers as the pipeline reports them (spreadsheet rows;
    SPSS case numbers). A duplicated respondent lists both copies: exactly one of them is
    excluded. ``reason`` is the cleaning rule (``test_row``, ``duplicate``, ``break_off``,
    ``ineligible``) or ``config`` for a row excluded by ``[inputs.<name>.exclude]``, which
    then names the export ``column`` and the ``value``.
    """

    respondent_id: str
    rows: tuple[int, ...]
    reason: str
    column: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class ChannelShare:
    """One option of the control group's multi-select: ticked among those who answered."""

    ticked: int
    answered: int  # kept respondents who ticked at least one option of the set

    @property
    def share(self) -> float:
        return self.ticked / self.answered


@dataclass(frozen=True, eq=False)
class SurveyFacts:
    """What a correct run of one survey export must find."""

    file: Path
    raw_rows: int  # respondent rows in the file (question-text rows not counted)
    kept_per_unit: dict[str, int]
    excluded: tuple[Exclusion, ...]
    # One row per respondent row of the file: source_row, respondent_id (as exported),
    # unit (unit id), date (ISO completion date); candidates also the codebook codes of the
    # questions the file codes in its own order (NaN: no answer).
    rows: pd.DataFrame

    @property
    def kept(self) -> int:
        return sum(self.kept_per_unit.values())

    def excluded_rows(self) -> int:
        """Rows excluded: one per exclusion (one copy of each duplicated respondent)."""
        return len(self.excluded)

    def excluded_by_reason(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.excluded:
            out[e.reason] = out.get(e.reason, 0) + 1
        return out


@dataclass(frozen=True, eq=False)
class ForeignStudy:
    """The written study and its expected facts (see the module docstring)."""

    out_dir: Path
    config: Path
    files: dict[str, Path]
    units: tuple[str, ...]  # the evaluated unit ids
    comparison_units: tuple[str, ...]
    surveys: dict[str, SurveyFacts]
    channel_shares: dict[str, ChannelShare]  # control group, codebook item name -> share
    planted_pii: tuple[str, ...]
    pii_answer: str  # the control group's free-text answer with an e-mail and a phone number
    qualtrics_rename: dict[str, str] = field(default_factory=dict)  # export -> codebook


# --------------------------------------------------------------------------- respondents


def _assign_units(rng: np.random.Generator, ids: np.ndarray) -> np.ndarray:
    """A unit index (into ``UNITS``) per row; every copy of a respondent in the same unit."""
    codes, uniques = pd.factorize(pd.Series(ids, dtype=object))
    shares = np.array([u.share for u in UNITS])
    per_respondent = rng.choice(len(UNITS), size=len(uniques), p=shares / shares.sum())
    return per_respondent[codes]


def _spellings(rng: np.random.Generator, unit_index: np.ndarray) -> np.ndarray:
    """How each row's unit is written in a CSV or Excel cell."""
    out = np.empty(len(unit_index), dtype=object)
    for k, unit in enumerate(UNITS):
        rows = np.flatnonzero(unit_index == k)
        names = np.array([w for w, _ in unit.written], dtype=object)
        p = np.array([s for _, s in unit.written])
        out[rows] = names[rng.choice(len(names), size=len(rows), p=p / p.sum())]
    return out


def _move_dates(dates: np.ndarray, is_test: np.ndarray) -> np.ndarray:
    """The 2014 completion dates mapped onto the 2015 field period, order kept.

    The first real respondent lands on the first day, the last row on the last day; test
    rows (dated before fieldwork) land on the first day.
    """
    days = dates.astype("datetime64[D]").astype(np.int64)
    first = days[~is_test].min()
    old = np.clip(days - first, 0, None)
    old_span = max(int(old.max()), 1)
    start, end = (np.datetime64(d, "D") for d in FIELD_PERIOD)
    new_span = int((end - start).astype(np.int64))
    return start + ((old * new_span + old_span // 2) // old_span).astype("timedelta64[D]")


def _relocate(seed: int, survey: Survey) -> np.ndarray:
    """Give the survey the study's units and field period; return each row's unit index."""
    inst, frame = survey.inst, survey.frame
    ids = frame[inst.id].to_numpy(dtype=object)
    unit_index = _assign_units(_rng(seed, "units", survey.name), ids)
    frame[inst.unit] = _spellings(_rng(seed, "spellings", survey.name), unit_index)
    is_test = _among(ids, S.TEST_IDS[survey.name])
    frame[inst.date] = _move_dates(frame[inst.date].to_numpy(), is_test)
    survey.unit_ids = np.array([u.id for u in UNITS], dtype=object)[unit_index]
    # The generator writes "nan " before personal data typed into an unanswered free text.
    text = pd.Series(frame["wensen"], dtype=object)
    frame["wensen"] = text.where(text.isna(), text.str.replace(r"^nan ", "", regex=True))
    return unit_index


def _among(values: np.ndarray, members: object) -> np.ndarray:
    """Hash-based ``np.isin`` for text (numpy compares object arrays pairwise)."""
    return pd.Series(values, dtype=object).isin(pd.Series(list(members), dtype=object)).to_numpy()


def _take_rows(survey: Survey, keep: np.ndarray) -> None:
    survey.frame = survey.frame.loc[keep].reset_index(drop=True)
    survey.item_missing = survey.item_missing.loc[keep].reset_index(drop=True)
    survey.unit_ids = survey.unit_ids[keep]


def _response_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Qualtrics-style ResponseIds (``R_`` + 15 letters and digits), unique."""
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    while True:
        chars = np.ascontiguousarray(alphabet[rng.integers(0, len(alphabet), size=(n, 15))])
        body = chars.view("<U15").ravel()
        if len(np.unique(body)) == n:
            return np.char.add("R_", body).astype(object)


@dataclass
class _Qualtrics:
    """The control group's Qualtrics-only columns and planted rows."""

    status: np.ndarray
    finished: np.ndarray
    progress: np.ndarray
    recorded: np.ndarray  # datetime64[m]
    duration: np.ndarray  # seconds
    response_id: np.ndarray
    unfinished_ids: list[str]
    preview_ids: list[str]
    pii_text: str


def _prepare_control(
    seed: int, survey: Survey, pii: PiiFactory, scale_n: int
) -> _Qualtrics:
    """Turn the control survey into a Qualtrics response set (in place).

    Qualtrics gives every response its own ResponseId, so a second copy of a respondent is
    not a duplicate there: the copies are dropped. The test rows become "Survey Preview"
    responses, a few kept respondents stop before the end (Finished = False), one answers
    the free-text question with a word that is a column name, and one types an e-mail
    address and a phone number.
    """
    inst = survey.inst
    rng = _rng(seed, "control")
    ids = survey.frame[inst.id].to_numpy(dtype=object)
    _take_rows(survey, ~pd.Series(ids).duplicated(keep="first").to_numpy())
    frame = survey.frame
    n = len(frame)
    ids = frame[inst.id].to_numpy(dtype=object)
    kept = set(survey.expected[inst.id])
    preview = _among(ids, S.TEST_IDS["control"])
    pii_rows = set(survey.truth["pii_rows"])
    text = inst.variable("wensen").name

    # candidates for the planted rows: kept, no personal data typed, in file order
    plain = _among(ids, kept) & ~_among(ids, pii_rows)
    order = np.flatnonzero(plain)
    column_name_row, pii_row = int(order[0]), int(order[1])  # both within the first rows
    pool = order[2:]
    k = max(2, round(UNFINISHED_RATE * scale_n))
    unfinished = np.sort(rng.choice(pool, size=k, replace=False))

    wensen = frame[text].to_numpy(dtype=object).copy()
    wensen[column_name_row] = COLUMN_NAME_ANSWER
    pii_text = (
        f"Bel me gerust op {pii.make('phone')} of mail naar {pii.make('email')}, "
        "dan kom ik langs."
    )
    wensen[pii_row] = pii_text
    frame[text] = wensen

    # unfinished: everything from one of the last questions on is blank
    questions = [v.name for v in inst.variables if v.type not in ("id", "unit", "date")]
    stop = rng.integers(len(questions) - 8, len(questions) - 3, size=k)
    for j, q in enumerate(questions):
        rows = unfinished[stop <= j]
        if len(rows):
            values = frame[q].to_numpy(copy=True)
            values[rows] = None if values.dtype == object else np.nan
            frame[q] = values
            survey.item_missing.loc[rows, q] = False
    progress = np.full(n, 100, dtype=np.int64)
    progress[unfinished] = 100 * stop // len(questions)
    finished = np.full(n, "True", dtype=object)
    finished[unfinished] = "False"
    status = np.where(preview, "Survey Preview", "IP Address").astype(object)

    days = frame[inst.date].to_numpy().astype("datetime64[D]")
    minutes = rng.integers(8 * 60, 22 * 60, size=n)
    minutes = minutes[np.lexsort((minutes, days))].astype("timedelta64[m]")  # rows in time order
    duration = rng.integers(240, 2700, size=n)
    duration[preview] = rng.integers(60, 200, size=int(preview.sum()))
    return _Qualtrics(
        status=status,
        finished=finished,
        progress=progress,
        recorded=days.astype("datetime64[m]") + minutes,
        duration=duration,
        response_id=_response_ids(rng, n),
        unfinished_ids=[str(i) for i in ids[unfinished]],
        preview_ids=[str(i) for i in ids[preview]],
        pii_text=pii_text,
    )


# --------------------------------------------------------------------------- writers


def _xlsx_bytes(seed: int, survey: Survey, cb: Codebook) -> bytes:
    """The employer workbook: title rows, then the header (row ``EXCEL_HEADER_ROW``)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    headers, columns = render_table(_rng(seed, "render", "employers"), survey, cb, "xlsx")
    wb = Workbook(write_only=True)
    wb.properties.creator = "Enquêtetool export"
    wb.properties.title = survey.inst.label_nl
    wb.properties.created = S.FIXED_TIMESTAMP
    wb.properties.modified = S.FIXED_TIMESTAMP
    wb.properties.lastModifiedBy = "Enquêtetool export"
    ws = wb.create_sheet(EXCEL_SHEET)
    for title in EXCEL_TITLE_ROWS:
        ws.append(list(title))
    ws.append(headers)
    date_col = survey.inst.names.index(survey.inst.date)
    is_cell = np.array([isinstance(x, dt.datetime) for x in columns[date_col]])
    dates = columns[date_col].copy()
    for i in np.flatnonzero(is_cell):
        cell = WriteOnlyCell(ws, value=dates[i])
        cell.number_format = "dd-mm-yyyy"
        dates[i] = cell
    columns[date_col] = dates
    for row in zip(*columns, strict=True):
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return _normalise_zip(buf.getvalue())


def _sav_bytes(seed: int, survey: Survey, unit_index: np.ndarray, cb: Codebook) -> bytes:
    """The candidate SPSS file: the tool's own unit codes and code order, with value labels."""
    rng = _rng(seed, "render", "candidates")
    inst, frame = survey.inst, survey.frame
    data: dict[str, pd.Series] = {}
    labels, value_labels, missing_ranges, formats, measures = {}, {}, {}, {}, {}
    for v in inst.variables:
        h = v.name
        labels[h] = v.question_nl
        col = frame[v.name]
        if v.type == "date":
            data[h] = pd.Series(pd.to_datetime(col).dt.date, dtype=object)
            continue
        if v.type == "unit":
            data[h] = pd.Series(np.array([u.spss_code for u in UNITS], dtype=float)[unit_index])
            value_labels[h] = {float(u.spss_code): u.name for u in UNITS}
            formats[h], measures[h] = "F8.0", "nominal"
            continue
        if v.type in ("id", "text"):
            data[h] = pd.Series(col.astype(object).where(col.notna(), "").astype(str))
            measures[h] = "nominal"
            continue
        vals = col.to_numpy(dtype=float).copy()
        own = SPSS_OWN_CODES.get(v.name)
        code_labels = {c.code: c.nl for c in v.codes}
        if own:
            recoded = vals.copy()
            for book, file_code in own.items():
                recoded[vals == book] = file_code
            vals = recoded
            code_labels = {file_code: v.label(book) for book, file_code in own.items()}
        column = spss_coded_column(
            rng, v, vals, survey.item_missing[v.name].to_numpy(),
            {float(c): text for c, text in sorted(code_labels.items())}, cb,
        )
        data[h], formats[h], measures[h] = column.values, column.format, column.measure
        if column.value_labels:
            value_labels[h] = column.value_labels
        if v.missing:
            missing_ranges[h] = [float(m) for m in v.missing]
    return spss_file_bytes(
        pd.DataFrame(data),
        file_label="Werktop 2015 kandidaten",
        column_labels=labels,
        variable_value_labels=value_labels,
        missing_ranges=missing_ranges,
        variable_format=formats,
        variable_measure=measures,
    )


def qualtrics_names(cb: Codebook) -> dict[str, str]:
    """Export column -> codebook name for the control group's Qualtrics export.

    The id and the completion date are Qualtrics' own ``ResponseId`` and ``RecordedDate``;
    every question is a question number: one per question, a matrix (scale) or a
    multi-select (mrset) gets ``Q<n>_<item>``; two questions carry a data export tag.
    """
    inst = cb.instruments["control"]
    tags = {"opleiding": "opl", "nederlands": "nl"}
    out = {"ResponseId": inst.id, "RecordedDate": inst.date}
    number, block, item = 0, None, 0
    for v in inst.variables:
        if v.name in (inst.id, inst.date):
            continue
        key = v.mrset or v.scale or v.name
        if key != block:
            number, block, item = number + 1, key, 0
        item += 1
        if v.mrset or v.scale:
            out[f"Q{number}_{item}"] = v.name
        elif v.name in tags:
            out[f"Q{number}_{tags[v.name]}"] = v.name
        else:
            out[f"Q{number}"] = v.name
    return out


def _import_id(column: str) -> str:
    """Row 3 of a Qualtrics export: the column's ImportId as JSON."""
    own = {
        "StartDate": "startDate", "EndDate": "endDate", "Status": "status",
        "Progress": "progress", "Duration (in seconds)": "duration", "Finished": "finished",
        "RecordedDate": "recordedDate", "ResponseId": "_recordId",
        "DistributionChannel": "distributionChannel", "UserLanguage": "userLanguage",
    }  # fmt: skip
    if column in own:
        zone = (
            f',"timeZone":"{QUALTRICS_TIMEZONE}"'
            if column in ("StartDate", "EndDate", "RecordedDate")
            else ""
        )
        return f'{{"ImportId":"{own[column]}"{zone}}}'
    number, item = re.fullmatch(r"Q(\d+)(?:_(\w+))?", column).groups()
    suffix = f"_{item}" if item and item.isdigit() else ""
    return f'{{"ImportId":"QID{number}{suffix}"}}'


def _qualtrics_bytes(
    seed: int, survey: Survey, q: _Qualtrics, rename: dict[str, str], cb: Codebook
) -> bytes:
    """The control group's Qualtrics CSV (UTF-8 with BOM, ``,``, three header rows)."""
    inst = survey.inst
    _, cells = render_table(_rng(seed, "render", "control"), survey, cb, "csv")
    by_name = dict(zip(inst.names, cells, strict=True))
    for v in inst.variables:
        if v.type in ("integer", "number"):  # Qualtrics writes a decimal point
            by_name[v.name] = (
                pd.Series(by_name[v.name], dtype=object).str.replace(",", ".").to_numpy()
            )
        if v.mrset:  # a multi-select: 1 = ticked, blank = not ticked
            by_name[v.name] = np.where(survey.frame[v.name].to_numpy() == 1, "1", "").astype(
                object
            )

    def us(stamps: np.ndarray) -> np.ndarray:
        return pd.Series(stamps).dt.strftime(QUALTRICS_DATE_FORMAT).to_numpy(dtype=object)

    start = q.recorded - (q.duration // 60 + 1).astype("timedelta64[m]")
    n = len(survey.frame)
    columns = {
        "StartDate": us(start),
        "EndDate": us(q.recorded),
        "Status": q.status,
        "Progress": q.progress.astype(str).astype(object),
        "Duration (in seconds)": q.duration.astype(str).astype(object),
        "Finished": q.finished,
        "RecordedDate": us(q.recorded),
        "ResponseId": q.response_id,
        "DistributionChannel": np.where(
            q.status == "Survey Preview", "preview", "anonymous"
        ).astype(object),
        "UserLanguage": np.full(n, "NL", dtype=object),
    }
    texts = {
        "StartDate": "Start Date", "EndDate": "End Date", "Status": "Response Type",
        "Progress": "Progress", "Duration (in seconds)": "Duration (in seconds)",
        "Finished": "Finished", "RecordedDate": "Recorded Date", "ResponseId": "Response ID",
        "DistributionChannel": "Distribution Channel", "UserLanguage": "User Language",
    }  # fmt: skip
    for column, name in rename.items():
        if column not in columns:
            columns[column] = by_name[name]
            texts[column] = inst.variable(name).question_nl
    headers = list(columns)
    body = [
        np.concatenate([np.array([texts[h], _import_id(h)], dtype=object), columns[h]])
        for h in headers
    ]
    return csv_text(headers, body, ",", "\r\n").encode("utf-8-sig")


def _number(x: float | int | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else str(x).replace(".", ",")


def _register_bytes(cb: Codebook) -> bytes:
    """The unit register: ``;``, decimal commas, dd-mm-jjjj dates, cp1252."""
    inst = cb.instruments["register"]
    rows = []
    for unit in (*UNITS, COMPARISON_UNIT):
        p = REGISTER[unit.id]
        values = {
            **{k: p[k] for k in ("gemeente", "leden", "inwoners", "wwb_bestand")},
            "werkloosheid": p["werkloosheid"],
            "startdatum": dt.date.fromisoformat(p["startdatum"]).strftime("%d-%m-%Y"),
            "einddatum": dt.date.fromisoformat(p["einddatum"]).strftime("%d-%m-%Y"),
            **dict(zip(("doel_contacten", "doel_regulier", "doel_wep"), p["doel"], strict=True)),
            **dict(
                zip(("behaald_contacten", "behaald_regulier", "behaald_wep"), p["behaald"],
                    strict=True)
            ),
            **{k: p[k] for k in ("uren_gemeente", "uren_adviesbureau", "draagvlak")},
        }  # fmt: skip
        rows.append(
            [x if isinstance(x, str) else _number(x) for x in (values[v] for v in inst.names)]
        )
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow([n.capitalize() for n in inst.names])
    writer.writerows(rows)
    return buf.getvalue().encode("cp1252")


def _toml_list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def config_text(seed: int, rename: dict[str, str]) -> str:
    """The study config (paths relative to it, so it sits beside the exports)."""
    lines = [
        "# Study config of the synthetic foreign study (python -m synthetic.foreign).",
        "# Exports written the way Qualtrics, SPSS and Excel reports write them; see",
        "# synthetic/foreign.py for what each file plants.",
        "",
        "[study]",
        f'title = "{TITLE}"',
        "synthetic = true",
        f"seed = {seed}",
        f"field_period = {_toml_list(FIELD_PERIOD)}",
        "",
        "[privacy]",
        f'pseudonym_key = "{PSEUDONYM_KEY}"',
    ]
    for unit in UNITS:
        lines += ["", f"[units.{unit.id}]", f'name = "{unit.name}"']
        if unit.members:
            lines.append(f"members = {_toml_list(unit.members)}")
        lines.append(f"spellings = {_toml_list(unit.spellings)}")
    lines += ["", f"[units.{COMPARISON_UNIT.id}]", f'name = "{COMPARISON_UNIT.name}"']
    lines += ["comparison = true"]
    lines += [
        "",
        "[inputs.employers]",
        f'path = "{FILE_NAMES["employers"]}"',
        'format = "xlsx"',
        f"header_row = {EXCEL_HEADER_ROW}",
        "",
        "[inputs.candidates]",
        f'path = "{FILE_NAMES["candidates"]}"',
        'format = "sav"',
        "",
        "[inputs.control]",
        f'path = "{FILE_NAMES["control"]}"',
        'format = "csv"',
        f"skip_rows = {QUALTRICS_SKIP_ROWS}",
        f'date_format = "{QUALTRICS_DATE_FORMAT}"',
        'multiselect_blank = "not_ticked"',
        "",
        "[inputs.control.rename]",
        *(f'{column} = "{name}"' for column, name in rename.items()),
        "",
        "[inputs.control.exclude]",
        'Status = ["Survey Preview"]',
        'Finished = ["False"]',
        "",
        "[inputs.register]",
        f'path = "{FILE_NAMES["register"]}"',
        'format = "csv"',
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the facts


def _survey_facts(
    survey: Survey,
    file: Path,
    source_rows: np.ndarray,
    export_ids: np.ndarray,
    dropped: set[str],
    config_rules: dict[str, tuple[str, str]],
) -> SurveyFacts:
    """Expected facts of one survey; ``dropped`` are kept-by-the-generator respondents a
    config rule excludes, ``config_rules`` maps those (and preview) ids to (column, value)."""
    inst, frame, truth = survey.inst, survey.frame, survey.truth
    ids = frame[inst.id].to_numpy(dtype=object)
    rows = pd.DataFrame(
        {
            "source_row": source_rows,
            "respondent_id": export_ids,
            "unit": survey.unit_ids,
            "date": pd.to_datetime(frame[inst.date]).dt.strftime("%Y-%m-%d").to_numpy(),
        }
    )
    kept_ids = survey.expected[inst.id].to_numpy(dtype=object)
    kept_ids = kept_ids[~_among(kept_ids, dropped)]
    unit_of = pd.Series(survey.unit_ids, index=ids).groupby(level=0).first()
    counts = unit_of.loc[kept_ids].value_counts()
    kept_per_unit = {u.id: int(counts.get(u.id, 0)) for u in UNITS}

    planned: list[tuple[str, str, str | None, str | None]] = [
        (rid, "config", column, value) for rid, (column, value) in config_rules.items()
    ]
    planned += [
        (rid, "test_row", None, None)
        for rid in truth.get("test_rows", {}).get("respondent_ids", [])
        if rid not in config_rules
    ]
    duplicated = pd.Series(ids, dtype=object).duplicated().to_numpy()
    planned += [(rid, "duplicate", None, None) for rid in pd.unique(ids[duplicated])]
    planned += [(e["respondent_id"], "break_off", None, None)
                for e in truth["breakoffs"]["respondents"]]  # fmt: skip
    planned += [(rid, "ineligible", None, None)
                for rid in truth.get("ineligible", {}).get("respondent_ids", [])]  # fmt: skip
    involved = _among(ids, [p[0] for p in planned])
    rows_of = rows[involved].groupby(ids[involved], sort=False)["source_row"].agg(tuple)
    # the id as exported (a duplicated respondent has one id for both copies)
    export_of = pd.Series(export_ids[involved], index=ids[involved]).groupby(level=0).first()
    excluded = [
        Exclusion(str(export_of[rid]), rows_of[rid], reason, column, value)
        for rid, reason, column, value in planned
    ]
    excluded.sort(key=lambda e: e.rows)
    facts = SurveyFacts(file, len(frame), kept_per_unit, tuple(excluded), rows)
    if facts.kept + facts.excluded_rows() != facts.raw_rows:
        raise RuntimeError(
            f"{survey.name}: {facts.kept} kept + {facts.excluded_rows()} excluded != "
            f"{facts.raw_rows} rows"
        )
    return facts


def _channel_shares(survey: Survey, kept_rows: np.ndarray) -> dict[str, ChannelShare]:
    inst = survey.inst
    mrset = next(m for m in inst.mrsets if m.name == "zoekkanalen")
    ticked = survey.frame.loc[kept_rows, list(mrset.items)].to_numpy() == 1
    answered = ticked.any(axis=1)
    return {
        name: ChannelShare(int(ticked[answered, j].sum()), int(answered.sum()))
        for j, name in enumerate(mrset.items)
    }


# --------------------------------------------------------------------------- the study


def write_foreign_study(out_dir: Path, *, seed: int = 2015, scale: float = 1.0) -> ForeignStudy:
    """Write the foreign study's exports and ``study.toml`` into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Directory for the four exports and the study config (created if needed).
    seed : int, default 2015
        Seeds every draw; the same seed and scale give byte-identical files.
    scale : float, default 1.0
        Multiplies the sample sizes of the example study (300 employers, 400 candidates,
        350 control-group respondents before the planted mess).

    Returns
    -------
    ForeignStudy
        The paths written and what a correct pipeline run must find.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    out_dir = Path(out_dir)
    cb = load_codebook(DEFAULT_CODEBOOK)
    pii = PiiFactory(np.random.default_rng(np.random.SeedSequence([seed, 0])))
    surveys, _ = draw_surveys(cb, seed, scale, pii)
    unit_index = {name: _relocate(seed, sv) for name, sv in surveys.items()}
    control = surveys["control"]
    n_control = int(control.truth["generated_respondents"])
    qualtrics = _prepare_control(seed, control, pii, n_control)
    rename = qualtrics_names(cb)

    files = {name: out_dir / file for name, file in FILE_NAMES.items()}
    write_bytes(files["employers"], _xlsx_bytes(seed, surveys["employers"], cb))
    write_bytes(
        files["candidates"],
        _sav_bytes(seed, surveys["candidates"], unit_index["candidates"], cb),
    )
    write_bytes(files["control"], _qualtrics_bytes(seed, control, qualtrics, rename, cb))
    write_bytes(files["register"], _register_bytes(cb))
    config = out_dir / CONFIG_NAME
    write_text(config, config_text(seed, rename))

    facts: dict[str, SurveyFacts] = {}
    emp = surveys["employers"]
    emp_ids = emp.frame[emp.inst.id].to_numpy(dtype=object)
    facts["employers"] = _survey_facts(
        emp, files["employers"], EXCEL_HEADER_ROW + 1 + np.arange(len(emp_ids)), emp_ids,
        set(), {},
    )
    cand = surveys["candidates"]
    cand_ids = cand.frame[cand.inst.id].to_numpy(dtype=object)
    facts["candidates"] = _survey_facts(
        cand, files["candidates"], 1 + np.arange(len(cand_ids)), cand_ids, set(), {}
    )
    for name in SPSS_OWN_CODES:
        values = cand.frame[name].to_numpy(dtype=float).copy()
        values[cand.item_missing[name].to_numpy()] = np.nan
        facts["candidates"].rows[name] = values
    rules = {rid: ("Status", "Survey Preview") for rid in qualtrics.preview_ids}
    rules |= {rid: ("Finished", "False") for rid in qualtrics.unfinished_ids}
    first_row = 1 + QUALTRICS_SKIP_ROWS + 1
    facts["control"] = _survey_facts(
        control, files["control"], first_row + np.arange(len(control.frame)),
        qualtrics.response_id, set(qualtrics.unfinished_ids), rules,
    )
    ids = control.frame[control.inst.id].to_numpy(dtype=object)
    kept = _among(ids, control.expected[control.inst.id]) & ~_among(ids, qualtrics.unfinished_ids)
    return ForeignStudy(
        out_dir=out_dir,
        config=config,
        files=files,
        units=tuple(u.id for u in UNITS),
        comparison_units=(COMPARISON_UNIT.id,),
        surveys=facts,
        channel_shares=_channel_shares(control, kept),
        planted_pii=tuple(pii.planted),
        pii_answer=qualtrics.pii_text,
        qualtrics_rename=rename,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m synthetic.foreign --out DIR``: write the foreign study."""
    parser = argparse.ArgumentParser(
        prog="python -m synthetic.foreign",
        description="Write the synthetic foreign study (Werktop 2015 pilot): exports in the "
        "formats of Qualtrics, SPSS and Excel reports, plus its study.toml.",
    )
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument("--seed", type=int, default=2015, help="random seed (default 2015)")
    parser.add_argument("--scale", type=float, default=1.0, help="sample-size multiplier")
    args = parser.parse_args(argv)
    study = write_foreign_study(args.out, seed=args.seed, scale=args.scale)
    for facts in study.surveys.values():
        console.info(
            f"[foreign] {facts.file.name}: {facts.raw_rows} rows, {facts.kept} kept "
            f"{facts.kept_per_unit}, {facts.excluded_rows()} excluded"
        )
    console.info(f"[foreign] config: {study.config}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
