"""Study configuration (a TOML file) and the one place where output paths are derived.

Relative paths in a study config are resolved against the directory of the config file, so a
study folder can be moved as a whole. Every generated file lives under one output root with
the same relative layout: ``build/<config file name>/`` by default (:func:`default_output_root`:
each study in a folder of its own), ``--out DIR`` otherwise.

The config is checked against one schema (:data:`SCHEMA`: per table, setting -> validator).
An unknown table or setting, a value of the wrong type or outside its range stops the run
with a :class:`~pipeline.errors.UserError` (exit code 2) that names the setting and, for a
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

from pipeline.codebook import INSTRUMENT_FILES, SURVEYS
from pipeline.errors import UserError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Where each study builds by default: ``build/<config file name without .toml>/``.
BUILD_DIR = PROJECT_ROOT / "build"
DEFAULT_CODEBOOK = PROJECT_ROOT / "data" / "codebook"
FORMATS = ("csv", "sav", "xlsx")
LANGUAGES = ("nl", "en")
MULTIPLICITY_METHODS = ("holm", "fdr_bh", "none")
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


class _Invalid(ValueError):
    """A value that does not fit its setting; the message says what was expected."""


def _kind(value: object) -> str:
    """How a TOML value reads to a user, for 'got ...' in messages."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _expect(ok: bool, expected: str, value: object, *, show_kind: bool = False) -> None:
    if not ok:
        got = f" (got {_kind(value)})" if show_kind else ""
        raise _Invalid(f"expected {expected}{got}")


def _string(value: object) -> str:
    _expect(isinstance(value, str), "a string in quotes", value, show_kind=True)
    return value  # type: ignore[return-value]


def _nonempty_string(value: object) -> str:
    text = _string(value)
    _expect(text.strip() != "", "a non-empty string", value)
    return text


def _boolean(value: object) -> bool:
    _expect(isinstance(value, bool), "true or false (without quotes)", value, show_kind=True)
    return value  # type: ignore[return-value]


def _whole(minimum: int) -> Callable[[object], int]:
    def check(value: object) -> int:
        is_int = isinstance(value, int) and not isinstance(value, bool)
        _expect(is_int, f"a whole number of {minimum} or more", value, show_kind=True)
        _expect(value >= minimum, f"a whole number of {minimum} or more", value)  # type: ignore[operator]
        return value  # type: ignore[return-value]

    return check


def _alpha(value: object) -> float:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    _expect(is_number, "a number between 0 and 1 (e.g. 0.05)", value, show_kind=True)
    _expect(0 < value < 1, "a number between 0 and 1 (e.g. 0.05)", value)  # type: ignore[operator]
    return float(value)  # type: ignore[arg-type]


def _choice(options: tuple[str, ...], *, fold_case: bool = False) -> Callable[[object], str]:
    shown = ", ".join(repr(o) for o in options)

    def check(value: object) -> str:
        text = _string(value)
        key = text.strip().casefold() if fold_case else text
        _expect(key in options, f"one of {shown}", value)
        return key

    return check


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
    },
    "units": {
        "aliases": _text_table('spelling = unit id, e.g. "Gemeente Hilversum" = "hilversum"'),
    },
}
TABLES = ("study", "privacy", "analysis", "cleaning", "disclosure", "inputs", "units")
REQUIRED_SETTINGS = {"input": ("path", "format")}
# Reader options that only mean something for some formats.
FORMAT_ONLY = {"sheet": ("xlsx",), "delimiter": ("csv",), "header_row": ("csv", "xlsx")}


def _did_you_mean(name: str, valid: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "valid: " + ", ".join(repr(v) for v in valid)


def _check_table(doc: object, schema: dict[str, _Validator], where: str) -> dict[str, object]:
    """Validate one table against its schema; return the converted values present."""
    if not isinstance(doc, dict):
        raise UserError(f"{where}: expected a table of settings, got {_kind(doc)}")
    out: dict[str, object] = {}
    for key, value in doc.items():
        if key not in schema:
            raise UserError(
                f"{where}: unknown setting {key!r} — {_did_you_mean(key, list(schema))}"
            )
        try:
            out[key] = schema[key](value)
        except _Invalid as exc:
            shown = key if isinstance(value, dict) else f"{key} {value!r}"
            raise UserError(f"{where}: {shown} — {exc}") from exc
    return out


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
    if isinstance(skip, tuple) and fmt != "sav" and skip and skip[0] <= header_row:
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
    units = _check_table(doc.get("units", {}), SCHEMA["units"], f"{path} [units]")
    disclosure = _check_table(
        doc.get("disclosure", {}), SCHEMA["disclosure"], f"{path} [disclosure]"
    )
    inputs = _inputs(doc.get("inputs", {}), base, str(path))
    synthetic = bool(study.get("synthetic", False))
    return StudyConfig(
        path=path.resolve(),
        title=str(study.get("title", "Evaluatie Werktop")),
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
        scenario=(base / str(study["scenario"])).resolve() if "scenario" in study else None,
        unit_aliases=dict(units.get("aliases", {})),  # type: ignore[call-overload]
        truth=(base / str(study["truth"])).resolve() if "truth" in study else None,
        min_cell=int(disclosure.get("min_cell", 5)),  # type: ignore[call-overload]
        keep_unsuppressed=bool(disclosure.get("keep_unsuppressed", False)),
    )


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
