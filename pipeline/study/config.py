"""Study configuration (a TOML file) and the one place where output paths are derived.

One module on purpose: :data:`SCHEMA` declares every study setting in one table, so a
reader finds every key a study config may hold, with its type and default, in one file.

Relative paths in a study config are resolved against the directory of the config file, so a
study folder can be moved as a whole. Every generated file lives under one output root with
the same relative layout: ``build/<config file name>/`` by default (:func:`default_output_root`:
each study in a folder of its own), ``--out DIR`` otherwise.

The config is checked against one schema (:data:`SCHEMA`: per table, setting -> validator;
the mechanism, shared with the codebook and the analysis plan, is :mod:`pipeline.study.schema`).
An unknown table or setting, a value of the wrong type or outside its range stops the run
with a :class:`~pipeline.study.errors.UserError` (exit code 2) that names the setting and, for a
misspelt name, the nearest valid one. Nothing is silently ignored or coerced.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import hashlib
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.study.codebook import INSTRUMENT_FILES, SURVEYS, Codebook, Unit, load_codebook
from pipeline.study.errors import UserError
from pipeline.study.privacy import redact_label
from pipeline.study.schema import Invalid as _Invalid
from pipeline.study.schema import boolean as _boolean
from pipeline.study.schema import check_table as _check_table
from pipeline.study.schema import choice as _choice
from pipeline.study.schema import did_you_mean as _did_you_mean
from pipeline.study.schema import expect as _expect
from pipeline.study.schema import kind as _kind
from pipeline.study.schema import nonempty_string as _nonempty_string
from pipeline.study.schema import string as _string
from pipeline.study.schema import whole as _whole

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
#: Where each study builds by default: ``build/<config file name without .toml>/``.
BUILD_DIR = PROJECT_ROOT / "build"
DEFAULT_CODEBOOK = PROJECT_ROOT / "data" / "codebook"
FORMATS = ("csv", "sav", "dta", "xlsx")
LANGUAGES = ("nl", "en")
MULTIPLICITY_METHODS = ("holm", "fdr_bh", "none")
MULTISELECT_BLANK = ("missing", "not_ticked")
REQUIRED_INPUTS = SURVEYS  # the three surveys; the register and the interviews are optional
OPTIONAL_INPUTS = tuple(n for n in INSTRUMENT_FILES if n not in SURVEYS)
DEFAULT_KEY_ENV = "WERKTOP_PSEUDONYM_KEY"


@dataclass(frozen=True)
class InputSpec:
    """Where one instrument's export is and how to read it."""

    instrument: str
    path: Path
    format: str
    sheet: str | None = None
    encoding: str | None = None  # override; detected when None
    delimiter: str | None = None  # override; detected when None
    header_row: int = 1  # row of the column names (title rows above it are skipped)
    # Rows below the header that are not respondents: the first N (an int) or these row
    # numbers as the spreadsheet shows them (SPSS: case numbers).
    skip_rows: int | tuple[int, ...] = 0
    date_format: str | None = None  # strptime format of date columns; None: ISO or dd-mm-jjjj
    rename: dict[str, str] = field(default_factory=dict)  # export column -> codebook name
    # Rows to exclude: export column (as the file names it) -> the values that exclude a row
    # (e.g. Qualtrics' Status = "Survey Preview"); each such row goes to exclusions.csv.
    exclude: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # What a blank item of a multiple-response set means when the respondent answered at
    # least one item of the set: "missing" (default) or "not_ticked" (Qualtrics, SPSS
    # dichotomies written as 1/blank).
    multiselect_blank: str = "missing"
    # Answer labels of this export the codebook does not know: codebook column -> label ->
    # codebook code (e.g. opleiding: "MBO niveau 2-4" = 3).
    labels: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class StudyUnit:
    """One unit as a study config names it (``[units.<id>]``)."""

    id: str
    name: str
    members: tuple[str, ...] = ()  # member municipalities (a merged unit has several)
    spellings: tuple[str, ...] = ()  # further ways the exports write it
    code: int | None = None  # the numeric code exports use for it, when they use one
    comparison: bool = False  # a comparison unit (e.g. Assen): register only, not evaluated


@dataclass(frozen=True)
class StudyConfig:
    path: Path
    title: str
    synthetic: bool
    language: str
    seed: int
    alpha: float
    codebook_dir: Path
    inputs: dict[str, InputSpec]
    pseudonym_key: bytes
    multiplicity: str = "holm"
    workers: int = 0  # processes for independent analysis steps; 0 = one per CPU
    test_id_pattern: str = r"^\s*(test|tst|dummy)"
    max_errors: int = 50
    scenario: Path | None = None  # documentation of a synthetic study's scenario
    unit_aliases: dict[str, str] = field(default_factory=dict)  # study spelling -> unit id
    truth: Path | None = None  # a synthetic study's truth.json (planted effects)
    min_cell: int = 5  # published tables suppress counts below this
    keep_unsuppressed: bool = False  # also write results/unsuppressed/ (internal use)
    # The study's own units ([units.<id>] tables); empty: the codebook's units apply.
    units: tuple[StudyUnit, ...] = ()
    # First and last day of fieldwork (ISO); None: the codebook's date ranges apply.
    field_period: tuple[dt.date, dt.date] | None = None
    # [costs]: hourly rates (per hour invested by the municipality / the consultancy) for
    # the cost per placement (chapter 8); absent: the report says the rate is not given.
    hourly_rates: dict[str, float] = field(default_factory=dict)
    # [recruitment.<survey>]: how each survey's respondents were recruited (invited,
    # approach, mode, period); absent settings are reported as "not given".
    recruitment: dict[str, dict[str, object]] = field(default_factory=dict)

    def has(self, instrument: str) -> bool:
        """Whether the study has an export for this instrument (register and interviews
        are optional)."""
        return instrument in self.inputs

    @property
    def key_fingerprint(self) -> str:
        """First 16 hex digits of the SHA-256 of the pseudonym key (never the key itself)."""
        return hashlib.sha256(self.pseudonym_key).hexdigest()[:16]


def key_fingerprint(config: StudyConfig) -> str:
    """The fingerprint of a study's pseudonym key, for use as a build input.

    Changing the key changes every pseudonym, so whatever depends on pseudonyms has to be
    rebuilt; the fingerprint lets a build tool notice that without ever seeing the key.

    Parameters
    ----------
    config : StudyConfig
        A loaded study config.

    Returns
    -------
    str
        The first 16 hexadecimal digits of SHA-256 over the UTF-8 key.
    """
    return config.key_fingerprint


# --------------------------------------------------------------------------- schema


def _alpha(value: object) -> float:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    _expect(is_number, "a number between 0 and 1 (e.g. 0.05)", value, show_kind=True)
    _expect(0 < value < 1, "a number between 0 and 1 (e.g. 0.05)", value)  # type: ignore[operator]
    return float(value)  # type: ignore[arg-type]


def _regex(value: object) -> str:
    text = _string(value)
    try:
        re.compile(text)
    except re.error as exc:
        raise _Invalid(f"not a valid regular expression: {exc}") from exc
    return text


def _one_char(value: object) -> str:
    text = _string(value)
    _expect(len(text) == 1, "exactly one character, e.g. ';', ',' or '\\t'", value)
    return text


def _encoding(value: object) -> str:
    text = _nonempty_string(value)
    try:
        codecs.lookup(text)
    except LookupError as exc:
        raise _Invalid("expected an encoding Python knows, e.g. 'utf-8' or 'cp1252'") from exc
    return text


_PROBE_DATE = dt.datetime(2013, 11, 28, 0, 0)


def _date_format(value: object) -> str:
    """A strptime format that carries day, month and year (checked by a round trip)."""
    text = _nonempty_string(value)
    expected = "a strptime format with day, month and year, e.g. '%m/%d/%Y'"
    try:
        back = dt.datetime.strptime(_PROBE_DATE.strftime(text), text)
    except ValueError as exc:
        raise _Invalid(expected) from exc
    _expect(back.date() == _PROBE_DATE.date(), expected, value)
    return text


def _skip_rows(value: object) -> int | tuple[int, ...]:
    expected = "a number of rows (0 or more) or a list of row numbers, e.g. [2, 3]"
    if isinstance(value, list):
        ok = all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)
        _expect(ok, expected, value)
        return tuple(sorted(set(value)))
    is_int = isinstance(value, int) and not isinstance(value, bool)
    _expect(is_int and value >= 0, expected, value, show_kind=not is_int)  # type: ignore[operator]
    return value  # type: ignore[return-value]


def _text_table(what: str) -> Callable[[object], dict[str, str]]:
    def check(value: object) -> dict[str, str]:
        _expect(isinstance(value, dict), f"a table of {what}", value, show_kind=True)
        for k, v in value.items():  # type: ignore[union-attr]
            if not isinstance(v, str) or not v.strip():
                raise _Invalid(f"expected a table of {what}; {k!r} = {v!r} is not a name in quotes")
        return dict(value)  # type: ignore[arg-type]

    return check


def _iso_date(value: object) -> dt.date:
    text = _string(value)
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise _Invalid("expected an ISO date in quotes, e.g. '2015-03-31'") from exc


def _period(value: object) -> tuple[dt.date, dt.date]:
    expected = 'a list of two ISO dates, first and last day, e.g. ["2014-11-01", "2015-07-31"]'
    _expect(isinstance(value, list) and len(value) == 2, expected, value, show_kind=True)
    first, last = (_iso_date(v) for v in value)  # type: ignore[union-attr]
    _expect(first <= last, expected + " (the first day before the last)", value)
    return first, last


def _names(value: object) -> tuple[str, ...]:
    expected = 'a list of names in quotes, e.g. ["Groesbeek", "Ubbergen"]'
    _expect(isinstance(value, list), expected, value, show_kind=True)
    ok = all(isinstance(v, str) and v.strip() for v in value)  # type: ignore[union-attr]
    _expect(ok, expected, value)
    return tuple(value)  # type: ignore[arg-type]


def _exclude(value: object) -> dict[str, tuple[str, ...]]:
    what = 'export column = values that exclude a row, e.g. Status = ["Survey Preview"]'
    _expect(isinstance(value, dict), f"a table of {what}", value, show_kind=True)
    out: dict[str, tuple[str, ...]] = {}
    for k, v in value.items():  # type: ignore[union-attr]
        values = [v] if isinstance(v, str) else v
        if not isinstance(values, list) or not values or not all(
            isinstance(x, str) for x in values
        ):
            raise _Invalid(f"expected a table of {what}; {k!r} = {v!r} is not a list of values")
        out[str(k)] = tuple(values)
    return out


def _labels(value: object) -> dict[str, dict[str, int]]:
    what = ('codebook column = {"label in the export" = code}, '
            "e.g. [inputs.candidates.labels.opleiding]")
    _expect(isinstance(value, dict), f"tables of {what}", value, show_kind=True)
    out: dict[str, dict[str, int]] = {}
    for column, table in value.items():  # type: ignore[union-attr]
        if not isinstance(table, dict):
            raise _Invalid(f"expected tables of {what}; {column!r} is not a table")
        for label, code in table.items():
            if not isinstance(code, int) or isinstance(code, bool):
                raise _Invalid(f"expected tables of {what}; {column}.{label!r} = {code!r} is "
                               "not a whole-number code")
        out[str(column)] = dict(table)
    return out


def _rate(value: object) -> float:
    expected = "an amount per hour, a number above 0 (e.g. 62.5)"
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    _expect(is_number, expected, value, show_kind=True)
    _expect(value > 0, expected, value)  # type: ignore[operator]
    return float(value)  # type: ignore[arg-type]


#: How a survey's respondents were approached ([recruitment.<survey>] approach); the
#: report words each (methods chapter strings).
RECRUITMENT_APPROACHES = ("all", "random_sample", "register_sample", "referred",
                          "self_selected")
RECRUITMENT_MODES = ("web", "phone", "paper", "face_to_face", "mixed")

_Validator = Callable[[object], object]

#: Every setting a study config may have: table -> setting -> validator (converts or raises).
SCHEMA: dict[str, dict[str, _Validator]] = {
    "study": {
        "title": _string,
        "synthetic": _boolean,
        "language": _choice(LANGUAGES),
        "seed": _whole(0),
        "alpha": _alpha,
        "codebook": _nonempty_string,
        "scenario": _nonempty_string,
        "truth": _nonempty_string,
        "field_period": _period,
    },
    "privacy": {
        "pseudonym_key_env": _nonempty_string,
        "pseudonym_key": _nonempty_string,
    },
    "analysis": {
        "multiplicity": _choice(MULTIPLICITY_METHODS),
        "workers": _whole(0),
    },
    "cleaning": {
        "test_id_pattern": _regex,
        "max_errors": _whole(1),
    },
    "disclosure": {
        "min_cell": _whole(1),
        "keep_unsuppressed": _boolean,
    },
    "input": {  # each [inputs.<instrument>]
        "path": _nonempty_string,
        "format": _choice(FORMATS, fold_case=True),
        "sheet": _nonempty_string,
        "encoding": _encoding,
        "delimiter": _one_char,
        "header_row": _whole(1),
        "skip_rows": _skip_rows,
        "date_format": _date_format,
        "rename": _text_table("export column name = codebook name"),
        "exclude": _exclude,
        "multiselect_blank": _choice(MULTISELECT_BLANK),
        "labels": _labels,
    },
    "units": {
        "aliases": _text_table('spelling = unit id, e.g. "Gemeente Hilversum" = "hilversum"'),
    },
    "costs": {
        "hourly_rate_municipality": _rate,
        "hourly_rate_consultancy": _rate,
    },
    "recruitment": {  # each [recruitment.<survey>]
        "invited": _whole(1),
        "approach": _choice(RECRUITMENT_APPROACHES),
        "mode": _choice(RECRUITMENT_MODES),
        "period": _period,
    },
    "unit": {  # each [units.<id>]
        "name": _nonempty_string,
        "members": _names,
        "spellings": _names,
        "code": _whole(0),
        "comparison": _boolean,
    },
}
TABLES = ("study", "privacy", "analysis", "cleaning", "disclosure", "inputs", "units", "costs",
          "recruitment")
REQUIRED_SETTINGS = {"input": ("path", "format"), "unit": ("name",)}
# Reader options that only mean something for some formats.
FORMAT_ONLY = {"sheet": ("xlsx",), "delimiter": ("csv",), "header_row": ("csv", "xlsx")}


def _input_spec(name: str, doc: object, base: Path, where: str) -> InputSpec:
    values = _check_table(doc, SCHEMA["input"], where)
    for key in REQUIRED_SETTINGS["input"]:
        if key not in values:
            raise UserError(f"{where}: missing required setting {key!r}")
    fmt = str(values["format"])
    for key, formats in FORMAT_ONLY.items():
        if key in values and fmt not in formats:
            raise UserError(
                f"{where}: {key!r} applies only to format {' or '.join(formats)}, "
                f"and this input is {fmt!r}; remove the setting"
            )
    rename = dict(values.get("rename", {}))  # type: ignore[call-overload]
    targets: dict[str, str] = {}
    for source, target in rename.items():
        if target in targets:
            raise UserError(
                f"{where}.rename: both {targets[target]!r} and {source!r} are renamed to "
                f"{target!r}; a codebook column can come from one export column only"
            )
        targets[target] = source
    skip = values.get("skip_rows", 0)
    header_row = int(values.get("header_row", 1))  # type: ignore[call-overload]
    if isinstance(skip, tuple) and fmt not in ("sav", "dta") and skip and skip[0] <= header_row:
        raise UserError(
            f"{where}: skip_rows {list(skip)!r} — row {skip[0]} is not below the header "
            f"(row {header_row}); give the spreadsheet row numbers of the rows to skip"
        )
    return InputSpec(
        instrument=name,
        path=(base / str(values["path"])).resolve(),
        format=fmt,
        sheet=values.get("sheet"),  # type: ignore[arg-type]
        encoding=values.get("encoding"),  # type: ignore[arg-type]
        delimiter=values.get("delimiter"),  # type: ignore[arg-type]
        header_row=header_row,
        skip_rows=skip,  # type: ignore[arg-type]
        date_format=values.get("date_format"),  # type: ignore[arg-type]
        rename=rename,
        exclude=dict(values.get("exclude", {})),  # type: ignore[call-overload]
        multiselect_blank=str(values.get("multiselect_blank", "missing")),
        labels=dict(values.get("labels", {})),  # type: ignore[call-overload]
    )


def _inputs(doc: object, base: Path, where: str) -> dict[str, InputSpec]:
    if not isinstance(doc, dict):
        raise UserError(f"{where} [inputs]: expected one table per instrument, got {_kind(doc)}")
    for name in doc:
        if name not in INSTRUMENT_FILES:
            raise UserError(
                f"{where}: unknown input [inputs.{name}] — "
                f"{_did_you_mean(name, INSTRUMENT_FILES)}"
            )
    missing = [n for n in REQUIRED_INPUTS if n not in doc]
    if missing:
        raise UserError(
            f"{where}: no [inputs.{missing[0]}] table; the surveys "
            f"({', '.join(REQUIRED_INPUTS)}) each need an input "
            f"({', '.join(OPTIONAL_INPUTS)} are optional)"
        )
    # Codebook order, so every stage handles the instruments in the same order.
    return {
        name: _input_spec(name, doc[name], base, f"{where} [inputs.{name}]")
        for name in INSTRUMENT_FILES
        if name in doc
    }


_UNIT_ID = re.compile(r"[a-z][a-z0-9_]*")


def _units(doc: object, where: str) -> tuple[dict[str, str], tuple[StudyUnit, ...]]:
    """``[units]``: the study's own units (``[units.<id>]`` tables) and extra spellings of
    the codebook's units (``[units.aliases]``)."""
    if not isinstance(doc, dict):
        raise UserError(f"{where} [units]: expected tables, got {_kind(doc)}")
    aliases: dict[str, str] = {}
    units: list[StudyUnit] = []
    for key, value in doc.items():
        if key == "aliases":
            aliases = _check_table({key: value}, SCHEMA["units"], f"{where} [units]")[key]  # type: ignore[assignment]
            continue
        if not isinstance(value, dict):
            raise UserError(
                f"{where} [units]: {key} = {value!r} — expected a table [units.<id>] with at "
                "least name = \"…\", or the table [units.aliases]"
                + ("; did you mean 'aliases'?" if difflib.get_close_matches(
                    key, ["aliases"], n=1, cutoff=0.6) else "")
            )
        if not _UNIT_ID.fullmatch(key):
            raise UserError(
                f"{where} [units.{key}]: a unit id is lower-case letters, digits and _ "
                "(starting with a letter), e.g. [units.bergendal]"
            )
        here = f"{where} [units.{key}]"
        if "name" not in value and difflib.get_close_matches(key, ["aliases"], n=1, cutoff=0.6):
            raise UserError(f"{where} [units]: unknown setting {key!r} — did you mean "
                            "'aliases'? (a unit of the study is a table [units.<id>] with a "
                            "name)")
        values = _check_table(value, SCHEMA["unit"], here)
        if "name" not in values:
            raise UserError(f"{here}: missing required setting 'name'")
        units.append(StudyUnit(
            id=key,
            name=str(values["name"]),
            members=tuple(values.get("members", ())),  # type: ignore[arg-type]
            spellings=tuple(values.get("spellings", ())),  # type: ignore[arg-type]
            code=values.get("code"),  # type: ignore[arg-type]
            comparison=bool(values.get("comparison", False)),
        ))
    if units and not any(not u.comparison for u in units):
        raise UserError(f"{where} [units]: every unit is a comparison unit; the study needs at "
                        "least one evaluated unit (comparison = false)")
    codes = [u.code for u in units if u.code is not None]
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise UserError(f"{where} [units]: code {dup[0]} is given to more than one unit")
    return aliases, tuple(units)


def _recruitment(doc: object, where: str) -> dict[str, dict[str, object]]:
    """``[recruitment.<survey>]``: one table per survey (``SURVEYS``), every setting
    optional; what is not given stays absent (the report says "not given")."""
    if not isinstance(doc, dict):
        raise UserError(f"{where} [recruitment]: expected one table per survey, got {_kind(doc)}")
    out: dict[str, dict[str, object]] = {}
    for name, table in doc.items():
        if name not in SURVEYS:
            raise UserError(f"{where}: unknown table [recruitment.{name}] — "
                            f"{_did_you_mean(name, SURVEYS)}")
        values = _check_table(table, SCHEMA["recruitment"], f"{where} [recruitment.{name}]")
        out[name] = dict(values)
    return {name: out[name] for name in SURVEYS if name in out}


def _pseudonym_key(privacy: dict[str, object], synthetic: bool, where: str) -> bytes:
    """The key from the environment; from the config file only for a synthetic study."""
    env = str(privacy.get("pseudonym_key_env", DEFAULT_KEY_ENV))
    in_file = privacy.get("pseudonym_key")
    if in_file is not None and not synthetic:
        raise UserError(
            f"{where} [privacy]: a 'pseudonym_key' in the config file is only allowed for a "
            "synthetic study (synthetic = true); a key written in a file that is shared or "
            "committed does not protect anyone",
            hint=f"remove 'pseudonym_key' and set the environment variable {env} instead "
            f"(e.g. export {env}=\"$(cat ~/.werktop-key)\")",
        )
    key = os.environ.get(env) or in_file
    if not key:
        raise UserError(
            f"{where} [privacy]: no pseudonym key; set the environment variable {env}"
            + ("" if not synthetic else " (or 'pseudonym_key' in the config of a synthetic "
               "study)"),
            hint="the key turns respondent ids into pseudonyms; keep it secret and keep it "
            "the same for every run of the study",
        )
    return str(key).encode("utf-8")


def _study_file(study: dict[str, object], key: str, base: Path, where: str) -> Path | None:
    """The file a ``[study]`` setting names, resolved against the config's folder; a file
    that does not exist stops the run here, before any stage reads it."""
    if key not in study:
        return None
    file = (base / str(study[key])).resolve()
    if not file.is_file():
        what = {"truth": "truth.json (the planted effects) of a synthetic study",
                "scenario": "scenario document of a synthetic study"}.get(key, "file")
        raise UserError(
            f"{where}: {key} = {str(study[key])!r} — the {what} is not found at {file}",
            hint=f"correct the path (relative paths are relative to the config's folder, "
            f"{base}), regenerate the study with `python -m pipeline simulate`, or remove "
            f"'{key}' from [study]",
        )
    return file


def load_config(path: str | os.PathLike) -> StudyConfig:
    """Read and check a study config.

    Parameters
    ----------
    path : str or os.PathLike
        The study config (TOML).

    Returns
    -------
    StudyConfig
        Paths resolved against the config's directory; absent optional settings take their
        documented defaults; ``inputs`` holds only the instruments the study has.

    Raises
    ------
    UserError
        For every problem: unknown table or setting (with the nearest valid name), wrong
        type, value out of range, invalid regular expression, missing survey input, or a
        pseudonym key that is missing or written into the config of a real study.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise UserError(f"study config not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from exc
    base = path.resolve().parent
    for table in doc:
        if table not in TABLES:
            raise UserError(f"{path}: unknown table [{table}] — {_did_you_mean(table, TABLES)}")
    if "study" not in doc:
        raise UserError(f"{path}: the [study] table is missing")
    study = _check_table(doc["study"], SCHEMA["study"], f"{path} [study]")
    privacy = _check_table(doc.get("privacy", {}), SCHEMA["privacy"], f"{path} [privacy]")
    analysis = _check_table(doc.get("analysis", {}), SCHEMA["analysis"], f"{path} [analysis]")
    cleaning = _check_table(doc.get("cleaning", {}), SCHEMA["cleaning"], f"{path} [cleaning]")
    unit_aliases, study_units = _units(doc.get("units", {}), str(path))
    disclosure = _check_table(
        doc.get("disclosure", {}), SCHEMA["disclosure"], f"{path} [disclosure]"
    )
    inputs = _inputs(doc.get("inputs", {}), base, str(path))
    costs = _check_table(doc.get("costs", {}), SCHEMA["costs"], f"{path} [costs]")
    recruitment = _recruitment(doc.get("recruitment", {}), str(path))
    synthetic = bool(study.get("synthetic", False))
    return StudyConfig(
        path=path.resolve(),
        # The title reaches every output (data packages, stats.json, workbook, report).
        title=redact_label(str(study.get("title", "Evaluatie Werktop"))),
        synthetic=synthetic,
        language=str(study.get("language", "nl")),
        seed=int(study.get("seed", 20140601)),  # type: ignore[call-overload]
        alpha=float(study.get("alpha", 0.05)),  # type: ignore[arg-type]
        codebook_dir=(
            (base / str(study["codebook"])).resolve() if "codebook" in study else DEFAULT_CODEBOOK
        ),
        inputs=inputs,
        pseudonym_key=_pseudonym_key(privacy, synthetic, str(path)),
        multiplicity=str(analysis.get("multiplicity", "holm")),
        workers=int(analysis.get("workers", 0)),  # type: ignore[call-overload]
        test_id_pattern=str(cleaning.get("test_id_pattern", StudyConfig.test_id_pattern)),
        max_errors=int(cleaning.get("max_errors", 50)),  # type: ignore[call-overload]
        scenario=_study_file(study, "scenario", base, f"{path} [study]"),
        unit_aliases=unit_aliases,
        units=study_units,
        field_period=study.get("field_period"),  # type: ignore[arg-type]
        truth=_study_file(study, "truth", base, f"{path} [study]"),
        min_cell=int(disclosure.get("min_cell", 5)),  # type: ignore[call-overload]
        keep_unsuppressed=bool(disclosure.get("keep_unsuppressed", False)),
        hourly_rates={k: float(v) for k, v in costs.items()},  # type: ignore[arg-type]
        recruitment=recruitment,
    )


def study_codebook(config: StudyConfig) -> Codebook:
    """The codebook as this study uses it: its own units (``[units.<id>]``) in place of the
    codebook's, its unit spellings (``[units.aliases]``) and its field period on the
    surveys' completion dates. Every stage reads the codebook through this function, so
    the data, the results and every chapter of the report follow the study's units."""
    codebook = load_codebook(config.codebook_dir)
    if config.units:
        codebook = codebook.with_units(
            [
                Unit(
                    code=u.code if u.code is not None else position,
                    id=u.id,
                    name=u.name,
                    members=u.members or (u.name,),
                    aliases=u.spellings,
                    comparison=u.comparison,
                    code_is_spelling=u.code is not None,
                )
                for position, u in enumerate(config.units, start=1)
            ]
        )
    codebook = codebook.with_unit_aliases(
        config.unit_aliases, where=f"{config.path} [units.aliases]"
    )
    if config.field_period is not None:
        codebook = codebook.with_field_period(*config.field_period)
    for name, spec in config.inputs.items():
        if spec.labels:
            codebook = codebook.with_label_aliases(
                name, spec.labels, where=f"{config.path} [inputs.{name}.labels]"
            )
    return codebook


@dataclass(frozen=True)
class OutputPaths:
    """Every generated file, relative to one output root."""

    root: Path

    @property
    def interim(self) -> Path:
        return self.root / "data" / "interim"

    @property
    def ingested(self) -> Path:
        return self.interim / "ingested"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def tables(self) -> Path:
        return self.results / "tables"

    @property
    def unsuppressed(self) -> Path:
        """Results tables before disclosure control (only with keep_unsuppressed)."""
        return self.results / "unsuppressed"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    # named files that more than one stage needs
    def ingested_csv(self, instrument: str) -> Path:
        return self.ingested / f"{instrument}.csv"

    def ingested_meta(self, instrument: str) -> Path:
        return self.ingested / f"{instrument}.meta.json"

    def interim_csv(self, instrument: str) -> Path:
        return self.interim / f"{instrument}.csv"

    @property
    def exclusions(self) -> Path:
        return self.interim / "exclusions.csv"

    @property
    def validation_report(self) -> Path:
        return self.interim / "validation_report.csv"

    @property
    def sample_flow(self) -> Path:
        return self.interim / "sample_flow.csv"

    def processed_csv(self, name: str) -> Path:
        return self.processed / f"{name}.csv"

    @property
    def datapackage(self) -> Path:
        return self.processed / "datapackage.json"

    @property
    def stats(self) -> Path:
        return self.results / "stats.json"

    def figures_for(self, language: str) -> Path:
        """Figures in one language: Dutch in ``figures/``, others in ``figures/<lang>/``."""
        return self.figures if language == "nl" else self.figures / language

    def report(self, language: str, fmt: str) -> Path:
        """The report in one language: Dutch is the default name, others get a suffix."""
        suffix = "" if language == "nl" else f"_{language}"
        return self.reports / f"werktop_report{suffix}.{fmt}"

    @property
    def report_html(self) -> Path:
        return self.report("nl", "html")

    @property
    def report_pdf(self) -> Path:
        return self.report("nl", "pdf")

    # make's bookkeeping for this output root (the Makefile writes the same files)
    @property
    def bookkeeping(self) -> Path:
        """``.make/``: which config the folder belongs to, the key stamp, make's file lists."""
        return self.root / ".make"

    @property
    def config_stamp(self) -> Path:
        """``.make/config``: the config the outputs belong to (see :func:`claim_output_root`)."""
        return self.bookkeeping / "config"

    @property
    def key_stamp(self) -> Path:
        """``.make/key``: the pseudonym key's fingerprint the outputs were built with."""
        return self.bookkeeping / "key"


def default_output_root(config_path: str | os.PathLike) -> Path:
    """Where a study builds without ``--out``: ``build/<config file name>/``.

    ``studies/mystudy.toml`` builds into ``build/mystudy/``, so a study never finds another
    study's files among its outputs. The Makefile derives the same folder from ``CONFIG``.
    """
    return BUILD_DIR / Path(config_path).stem


def config_id(config_path: str | os.PathLike) -> str:
    """How ``.make/config`` names a config: relative to the project when inside it (so a
    moved checkout keeps its outputs), absolute otherwise; the Makefile writes the same."""
    absolute = Path(os.path.abspath(config_path))
    try:
        return absolute.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return absolute.as_posix()


def claim_output_root(paths: OutputPaths, config_path: str | os.PathLike) -> None:
    """Make sure a default output folder holds the outputs of this config and no other.

    The first run records the config in ``.make/config``; a later run from another config
    with the same file name (``a/mystudy.toml`` and ``b/mystudy.toml`` both build into
    ``build/mystudy/``) is refused instead of mixing two studies' outputs.

    Raises
    ------
    UserError
        When the folder belongs to another config.
    """
    me = config_id(config_path)
    stamp = paths.config_stamp
    try:
        owner = stamp.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        owner = ""
    if not owner:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(me + "\n", encoding="utf-8")
    elif owner != me:
        shown = _shown(paths.root)
        raise UserError(
            f"{shown}/ holds the outputs of {owner}, not of {me}: both configs are named "
            f"{Path(config_path).name!r}, and a study builds into build/<config file name>/",
            hint=f"rename one of the configs (e.g. {Path(config_path).stem}_2.toml), or give "
            f"this run an output folder of its own with --out DIR; remove {shown}/ only if "
            f"the outputs of {owner} are no longer needed",
        )


def _shown(path: Path) -> str:
    try:
        return path.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return path.as_posix()
