"""Writing the exports: cells in a survey tool's style, and the bytes of each file format.

- ``xlsx_bytes``: Excel workbook (labels, typed numbers, date cells mixed with text)
- ``sav_bytes``: SPSS file (codes with value labels, user-missing codes)
- ``render_table`` + ``csv_text``: CSV (all text, labels, decimal commas)
- ``register_csv``: the unit register, fixed by the scenario
- ``config_text``: the study config TOML pointing at the files

Zip and SPSS header timestamps are fixed, so the same data give the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from pipeline.study.codebook import Codebook, Variable, normalise_label
from pipeline.study.config import DEFAULT_CODEBOOK, PROJECT_ROOT
from synthetic import scenario as S
from synthetic.mess import Survey

# --------------------------------------------------------------------------- rendering


def _is_blank(values: pd.Series) -> np.ndarray:
    return values.isna().to_numpy()


def label_variants(var: Variable) -> dict[int, list[str]]:
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
    variants = label_variants(var)
    mess = (rng.random(len(values)) < S.RATES["label_variant"]) & ~np.isnan(values)
    for code, vs in variants.items():
        sel = mess & (values == code)
        if sel.any() and vs:
            out[sel] = rng.choice(np.array(vs, dtype=object), size=int(sel.sum()))
    return out


def render_table(
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


def csv_text(headers: list[str], columns: list[np.ndarray], delimiter: str, newline: str) -> str:
    """CSV text with the given delimiter and line ending (quoting as needed)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    writer.writerow(headers)
    writer.writerows(zip(*columns, strict=True))
    return buf.getvalue()


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite an .xlsx with fixed timestamps and entry order so the bytes are reproducible."""
    stamp = S.FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
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
            info = zipfile.ZipInfo(name, date_time=S.FIXED_TIMESTAMP.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, content)
    return out.getvalue()


def xlsx_bytes(rng: np.random.Generator, survey: Survey, cb: Codebook) -> bytes:
    """The Excel export (data sheet plus an explanation sheet), reproducible bytes."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    headers, columns = render_table(rng, survey, cb, "xlsx")
    wb = Workbook(write_only=True)
    wb.properties.creator = "Enquêtetool export"
    wb.properties.title = survey.inst.label_nl
    wb.properties.created = S.FIXED_TIMESTAMP
    wb.properties.modified = S.FIXED_TIMESTAMP
    wb.properties.lastModifiedBy = "Enquêtetool export"
    ws = wb.create_sheet(S.EXCEL_SHEET)
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


def sav_bytes(rng: np.random.Generator, survey: Survey, cb: Codebook) -> bytes:
    """The SPSS export (codes, value labels, user-missing codes), reproducible bytes."""
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
        column = spss_coded_column(
            rng, v, col.to_numpy(dtype=float), survey.item_missing[v.name].to_numpy(),
            {float(c.code): c.nl for c in v.codes}, cb,
        )
        data[h], formats[h], measures[h] = column.values, column.format, column.measure
        if column.value_labels:
            value_labels[h] = column.value_labels
        if v.missing:
            missing_ranges[h] = [float(m) for m in v.missing]
    return spss_file_bytes(
        pd.DataFrame(data),
        file_label=inst.label_nl,
        column_labels=labels,
        variable_value_labels=value_labels,
        missing_ranges=missing_ranges,
        variable_format=formats,
        variable_measure=measures,
    )


class SpssColumn(NamedTuple):
    """One numeric SPSS variable as the writers hand it to pyreadstat."""

    values: pd.Series
    value_labels: dict[float, str]
    format: str
    measure: str


def spss_coded_column(
    rng: np.random.Generator, v: Variable, values: np.ndarray, item_missing: np.ndarray,
    code_labels: dict[float, str], cb: Codebook,
) -> SpssColumn:
    """A numeric column as survey tools store it: item non-response as the variable's
    missing codes (mostly the first, a fifth the last), value labels for the answer codes
    (``code_labels``, in the order given) and for the missing codes."""
    vals = np.array(values, dtype=float)
    if item_missing.any():
        codes = np.array(v.missing, dtype=float)
        second = rng.random(int(item_missing.sum())) < 0.2
        vals[item_missing] = np.where(second & (len(codes) > 1), codes[-1], codes[0])
    labels = dict(code_labels)
    labels |= {float(m): cb.missing_codes[m]["nl"] for m in v.missing if m in cb.missing_codes}
    return SpssColumn(
        pd.Series(vals, dtype="float64"), labels,
        "F8.1" if v.type == "number" else "F8.0",
        {"categorical": "nominal", "ordinal": "ordinal"}.get(v.type, "scale"),
    )


def spss_file_bytes(df: pd.DataFrame, **options: object) -> bytes:
    """``pyreadstat.write_sav(df, ..., **options)`` as bytes, with a fixed creation time."""
    import pyreadstat

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.sav"
        pyreadstat.write_sav(df, str(path), **options)
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
    raw[92:101] = S.FIXED_TIMESTAMP.strftime("%d %b %y").encode("ascii")
    raw[101:109] = S.FIXED_TIMESTAMP.strftime("%H:%M:%S").encode("ascii")
    return bytes(raw)


# --------------------------------------------------------------------------- register


def register_csv(cb: Codebook) -> str:
    """The unit register CSV text (``;``, decimal commas), fixed by the scenario.

    One row per evaluated unit, then one per comparison unit the scenario describes
    (``S.COMPARISON_UNITS``; unknown figures left blank).
    """
    inst = cb.instruments["register"]
    table = cb.unit_alias_table(comparison=True)
    rows = []
    units = [(u, S.UNITS[u.id], S.TARGETS) for u in cb.units]
    units += [(u, S.COMPARISON_UNITS[u.id], S.COMPARISON_UNITS[u.id]["doel"])
              for u in cb.comparison_units if u.id in S.COMPARISON_UNITS]  # fmt: skip
    for u, p, targets in units:
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
            "doel_contacten": targets[0],
            "doel_regulier": targets[1],
            "doel_wep": targets[2],
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
            if x is None:
                x = ""
            elif v.type == "date":
                x = dt.date.fromisoformat(x).strftime("%d-%m-%Y")
            elif v.type in ("integer", "number"):
                x = _number_text(np.array([float(x)]), ",")[0]
            row.append(x)
        rows.append(row)
    headers = [S.HEADER_MESS["register"].get(v.name, v.name) for v in inst.variables]
    columns = [np.array(c, dtype=object) for c in zip(*rows, strict=True)]
    return csv_text(headers, columns, ";", "\r\n")


# --------------------------------------------------------------------------- config

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
# First and last day of fieldwork: completion dates outside it are typos (set to missing).
field_period = ["{first}", "{last}"]
{codebook}scenario = "{scenario}"
# The planted truth (effects, planted problems); the report compares its estimates with it.
truth = "{truth}"

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
# Processes for the imputation chains of chapter 6 (0 = one per CPU). The results are
# byte-identical for any number; it only changes how long the analysis takes.
workers = 0

[cleaning]
test_id_pattern = "^\\\\s*(test|tst|dummy)"

[disclosure]
# Published tables suppress counts below min_cell respondents (and a second cell where a
# total would reveal the first); keep_unsuppressed = true also writes an internal copy of
# the unsuppressed tables to results/unsuppressed/ (never publish it).
min_cell = 5
keep_unsuppressed = false

[costs]
# Hourly rates (euro) of the hours the register records, for the cost per placement in
# chapter 8. SYNTHETIC: invented for this example; leave them out if you do not know them.
hourly_rate_municipality = {rate_municipality}
hourly_rate_consultancy = {rate_consultancy}
{recruitment}"""


def _recruitment_text() -> str:
    """The [recruitment.<survey>] tables of the example config (scenario.RECRUITMENT), each
    survey's period its field period (scenario.FIELD_PERIOD)."""
    text = ("\n# How each survey's respondents were recruited (methods chapter; the response "
            "rate is the\n# records received / invited). SYNTHETIC: invented for this example. "
            "Every setting is\n# optional; what is left out is reported as \"not given\".\n")
    for name, spec in S.RECRUITMENT.items():
        first, last = S.FIELD_PERIOD[name]
        text += (f"\n[recruitment.{name}]\ninvited = {spec['invited']}\n"
                 f'approach = "{spec["approach"]}"\nmode = "{spec["mode"]}"\n'
                 f'period = ["{first}", "{last}"]\n')
    return text


def config_text(config_path: Path, paths: dict[str, Path], seed: int) -> str:
    """The study config TOML naming the files; paths relative to the config."""
    base = config_path.resolve().parent

    def rel(p: Path) -> str:
        return Path(os.path.relpath(p.resolve(), base)).as_posix()

    inside = config_path.resolve().is_relative_to(PROJECT_ROOT)
    text = _CONFIG_TEMPLATE.format(
        seed=seed,
        first=S.STUDY_FIELD_PERIOD[0],
        last=S.STUDY_FIELD_PERIOD[1],
        codebook=f'codebook = "{rel(DEFAULT_CODEBOOK)}"\n' if inside else "",
        scenario=rel(paths["scenario"]),
        truth=rel(paths["truth"]),
        rate_municipality=S.HOURLY_RATES["municipality"],
        rate_consultancy=S.HOURLY_RATES["consultancy"],
        recruitment=_recruitment_text(),
    )
    for name in S.FILE_NAMES:
        text += f'\n[inputs.{name}]\npath = "{rel(paths[name])}"\n'
        text += f'format = "{S.FORMATS.get(name, "csv")}"\n'
        if name == "employers":
            text += f'sheet = "{S.EXCEL_SHEET}"\n'
    return text
