"""Study configuration (a TOML file) and the one place where output paths are derived.

Relative paths in a study config are resolved against the directory of the config file, so a
study folder can be moved as a whole. Every generated file lives under one output root (the
repository by default, ``--out DIR`` otherwise) with the same relative layout.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pipeline.codebook import INSTRUMENT_FILES
from pipeline.errors import UserError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CODEBOOK = PROJECT_ROOT / "data" / "codebook"
FORMATS = ("csv", "sav", "xlsx")
LANGUAGES = ("nl", "en")


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
    test_id_pattern: str = r"^\s*(test|tst|dummy)"
    max_errors: int = 50
    scenario: Path | None = None  # documentation of a synthetic study's scenario


def _require(table: dict, key: str, where: str, kind: type) -> object:
    if key not in table:
        raise UserError(f"{where}: missing required setting {key!r}")
    value = table[key]
    if kind is float and isinstance(value, int):
        value = float(value)
    if not isinstance(value, kind):
        raise UserError(f"{where}: setting {key!r} should be {kind.__name__}, got {value!r}")
    return value


def _header_row(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UserError(f"{where}: header_row {value!r} — expected a row number of 1 or more")
    return value


def load_config(path: str | os.PathLike) -> StudyConfig:
    """Read and check a study config; every problem is a UserError naming the setting."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise UserError(f"study config not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from exc
    base = path.resolve().parent
    where = f"{path} [study]"
    study = doc.get("study")
    if not isinstance(study, dict):
        raise UserError(f"{path}: the [study] table is missing")
    language = study.get("language", "nl")
    if language not in LANGUAGES:
        raise UserError(f"{where}: language {language!r} — expected one of {LANGUAGES}")
    alpha = float(study.get("alpha", 0.05))
    multiplicity = doc.get("analysis", {}).get("multiplicity", "holm")
    if multiplicity not in ("holm", "fdr_bh", "none"):
        raise UserError(
            f"{path} [analysis]: multiplicity {multiplicity!r} — expected 'holm', 'fdr_bh' "
            "or 'none'"
        )
    if not 0 < alpha < 1:
        raise UserError(f"{where}: alpha {alpha!r} — expected a number between 0 and 1")
    codebook_dir = (
        (base / study["codebook"]).resolve() if "codebook" in study else DEFAULT_CODEBOOK
    )

    inputs: dict[str, InputSpec] = {}
    raw_inputs = doc.get("inputs", {})
    for name in INSTRUMENT_FILES:
        spec = raw_inputs.get(name)
        iwhere = f"{path} [inputs.{name}]"
        if spec is None:
            raise UserError(f"{path}: no [inputs.{name}] table; every instrument needs an input")
        fmt = _require(spec, "format", iwhere, str)
        if fmt not in FORMATS:
            raise UserError(f"{iwhere}: format {fmt!r} — expected one of {FORMATS}")
        inputs[name] = InputSpec(
            instrument=name,
            path=(base / str(_require(spec, "path", iwhere, str))).resolve(),
            format=fmt,
            sheet=spec.get("sheet"),
            encoding=spec.get("encoding"),
            delimiter=spec.get("delimiter"),
            header_row=_header_row(spec.get("header_row", 1), iwhere),
        )
    unknown = sorted(set(raw_inputs) - set(INSTRUMENT_FILES))
    if unknown:
        raise UserError(
            f"{path}: unknown input(s) {unknown}; expected only {list(INSTRUMENT_FILES)}"
        )

    privacy = doc.get("privacy", {})
    key_env = privacy.get("pseudonym_key_env", "WERKTOP_PSEUDONYM_KEY")
    key = os.environ.get(key_env) or privacy.get("pseudonym_key")
    if not key:
        raise UserError(
            f"{path} [privacy]: no pseudonym key; set the environment variable {key_env} "
            "(recommended for real data) or 'pseudonym_key' in the config"
        )
    cleaning = doc.get("cleaning", {})
    return StudyConfig(
        path=path.resolve(),
        title=str(study.get("title", "Evaluatie Werktop")),
        synthetic=bool(study.get("synthetic", False)),
        language=language,
        seed=int(study.get("seed", 20140601)),
        alpha=alpha,
        codebook_dir=codebook_dir,
        inputs=inputs,
        pseudonym_key=str(key).encode("utf-8"),
        multiplicity=multiplicity,
        test_id_pattern=cleaning.get("test_id_pattern", StudyConfig.test_id_pattern),
        max_errors=int(cleaning.get("max_errors", 50)),
        scenario=(base / study["scenario"]).resolve() if study.get("scenario") else None,
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
