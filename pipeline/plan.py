"""The analysis plan (``data/codebook/analysis_plan.toml``): outcomes, families, covariates.

Derive builds each outcome's column from its derivation, the data packages take its labels
and description, and the analyze stage tests the members of each family with the family's
multiplicity correction. See ``data/codebook/README.md`` for the format.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.codebook import Codebook, Instrument
from pipeline.errors import UserError

PLAN_FILE = "analysis_plan.toml"
KINDS = ("binary", "continuous", "count", "ordinal")
RULES = ("code_in", "scale", "item", "count")
METHODS = ("holm", "fdr_bh", "none", "study")
#: The instruments each processed data set is built from.
DATASET_INSTRUMENTS = {
    "jobseekers": ("candidates", "control"),
    "employers": ("employers",),
}
OUTCOME_KEYS = {"name", "dataset", "kind", "family", "label_nl", "label_en", "description",
                "derivation"}
DERIVATION_KEYS = {"rule", "source", "codes", "scale", "mrset", "exclude"}


@dataclass(frozen=True)
class Outcome:
    name: str
    dataset: str
    kind: str
    family: str | None
    label_nl: str
    label_en: str
    description: str
    rule: str
    source: str | None = None
    codes: tuple[int, ...] = ()
    scale: str | None = None
    mrset: str | None = None
    exclude: tuple[str, ...] = ()

    def label(self, language: str) -> str:
        return self.label_nl if language == "nl" else self.label_en


@dataclass(frozen=True)
class Family:
    name: str
    label_nl: str
    label_en: str
    multiplicity: str


@dataclass(frozen=True)
class Covariates:
    dataset: str
    adjust: tuple[str, ...]
    categorical: tuple[str, ...]
    fixed_effects: tuple[str, ...]


@dataclass(frozen=True)
class AnalysisPlan:
    outcomes: tuple[Outcome, ...]
    families: dict[str, Family]
    covariates: Covariates | None
    path: Path

    def family(self, name: str) -> tuple[Outcome, ...]:
        """Members of a family, in plan order."""
        return tuple(o for o in self.outcomes if o.family == name)

    def for_dataset(self, dataset: str) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.dataset == dataset)

    def outcome(self, name: str) -> Outcome:
        for o in self.outcomes:
            if o.name == name:
                return o
        raise KeyError(name)

    def method(self, family: str, study_method: str) -> str:
        """The multiplicity method of a family ("study" defers to the study config)."""
        method = self.families[family].multiplicity
        return study_method if method == "study" else method


def _unknown_keys(given: dict, allowed: set[str], where: str) -> None:
    for key in given:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UserError(f"{where}: unknown key {key!r}{hint}")


def _text(raw: dict, key: str, where: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value:
        raise UserError(f"{where}: {key!r} must be a non-empty string")
    return value


def _outcome(raw: dict, where: str) -> Outcome:
    _unknown_keys(raw, OUTCOME_KEYS, where)
    name = _text(raw, "name", where)
    where = f"{where} ({name})"
    kind = _text(raw, "kind", where)
    if kind not in KINDS:
        raise UserError(f"{where}: kind {kind!r} — expected one of {KINDS}")
    derivation = raw.get("derivation")
    if not isinstance(derivation, dict):
        raise UserError(f"{where}: needs a derivation table, e.g. {{ rule = \"item\" }}")
    _unknown_keys(derivation, DERIVATION_KEYS, f"{where} derivation")
    rule = derivation.get("rule")
    if rule not in RULES:
        raise UserError(f"{where}: derivation rule {rule!r} — expected one of {RULES}")
    label_en = _text(raw, "label_en", where)
    return Outcome(
        name=name,
        dataset=_text(raw, "dataset", where),
        kind=kind,
        family=raw.get("family"),
        label_nl=_text(raw, "label_nl", where),
        label_en=label_en,
        description=_text(raw, "description", where, default=label_en),
        rule=rule,
        source=derivation.get("source"),
        codes=tuple(int(c) for c in derivation.get("codes", ())),
        scale=derivation.get("scale"),
        mrset=derivation.get("mrset"),
        exclude=tuple(derivation.get("exclude", ())),
    )


def _check_against_codebook(outcome: Outcome, codebook: Codebook, where: str) -> None:
    """An outcome may only refer to items, codes, scales and sets the codebook has."""
    instruments = DATASET_INSTRUMENTS.get(outcome.dataset)
    if instruments is None:
        raise UserError(
            f"{where}: dataset {outcome.dataset!r} — expected one of {list(DATASET_INSTRUMENTS)}"
        )
    inst: Instrument = codebook.instruments[instruments[0]]
    if outcome.rule in ("code_in", "item"):
        if outcome.source not in inst.names:
            raise UserError(f"{where}: source {outcome.source!r} is not a {inst.name} variable")
        if outcome.rule == "item" and outcome.source != outcome.name:
            raise UserError(f"{where}: an item outcome must be named like its source")
        variable = inst.variable(outcome.source)
        unknown = sorted(set(outcome.codes) - set(variable.code_values()))
        if outcome.rule == "code_in" and (not outcome.codes or unknown):
            raise UserError(f"{where}: codes {list(outcome.codes)} — {outcome.source} has "
                            f"codes {variable.code_values()}")
    elif outcome.rule == "scale":
        if outcome.scale not in {s.name for s in inst.scales}:
            raise UserError(f"{where}: scale {outcome.scale!r} is not a {inst.name} scale")
        if outcome.name != f"scale_{outcome.scale}":
            raise UserError(f"{where}: a scale outcome must be named scale_{outcome.scale}")
    elif outcome.rule == "count":
        sets = {m.name: m for m in inst.mrsets}
        if outcome.mrset not in sets:
            raise UserError(f"{where}: {outcome.mrset!r} is not a {inst.name} "
                            "multiple-response set")
        stray = sorted(set(outcome.exclude) - set(sets[outcome.mrset].items))
        if stray:
            raise UserError(f"{where}: exclude {stray} are not items of {outcome.mrset}")


def load_plan(codebook: Codebook, path: Path | None = None) -> AnalysisPlan:
    """Read the analysis plan next to the codebook and check it against the codebook."""
    path = Path(path) if path else codebook.directory / PLAN_FILE
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise UserError(f"analysis plan not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from exc
    _unknown_keys(doc, {"outcomes", "families", "covariates"}, str(path))

    families = {}
    for name, raw in doc.get("families", {}).items():
        where = f"{path} [families.{name}]"
        _unknown_keys(raw, {"label_nl", "label_en", "multiplicity"}, where)
        method = raw.get("multiplicity", "holm")
        if method not in METHODS:
            raise UserError(f"{where}: multiplicity {method!r} — expected one of {METHODS}")
        families[name] = Family(name, _text(raw, "label_nl", where),
                                _text(raw, "label_en", where), method)

    outcomes = []
    for i, raw in enumerate(doc.get("outcomes", []), start=1):
        where = f"{path} outcome {i}"
        outcome = _outcome(raw, where)
        _check_against_codebook(outcome, codebook, where)
        if outcome.family is not None and outcome.family not in families:
            raise UserError(f"{where}: family {outcome.family!r} is not declared under "
                            f"[families]; declared: {sorted(families)}")
        if outcome.name in {o.name for o in outcomes}:
            raise UserError(f"{where}: outcome {outcome.name!r} is declared twice")
        outcomes.append(outcome)

    covariates = None
    if "covariates" in doc:
        raw = doc["covariates"]
        where = f"{path} [covariates]"
        _unknown_keys(raw, {"dataset", "adjust", "categorical", "fixed_effects"}, where)
        covariates = Covariates(
            dataset=_text(raw, "dataset", where),
            adjust=tuple(raw.get("adjust", ())),
            categorical=tuple(raw.get("categorical", ())),
            fixed_effects=tuple(raw.get("fixed_effects", ())),
        )
        inst = codebook.instruments[DATASET_INSTRUMENTS[covariates.dataset][0]]
        unknown = sorted(set(covariates.adjust) - set(inst.names))
        if unknown:
            raise UserError(f"{where}: covariates {unknown} are not {inst.name} variables")
        stray = sorted(set(covariates.categorical) - set(covariates.adjust))
        if stray:
            raise UserError(f"{where}: categorical {stray} are not in 'adjust'")
    return AnalysisPlan(tuple(outcomes), families, covariates, path)


def derive_outcome(frame: pd.DataFrame, outcome: Outcome, instrument: Instrument) -> pd.Series:
    """The outcome's column computed from ``frame`` by its derivation rule."""
    if outcome.rule == "code_in":
        source = frame[outcome.source]
        return source.isin(list(outcome.codes)).astype("Int64").where(source.notna())
    if outcome.rule == "scale":
        return frame[outcome.name]  # scale scores are added for every codebook scale
    if outcome.rule == "item":
        return frame[outcome.source]
    mrset = next(m for m in instrument.mrsets if m.name == outcome.mrset)
    items = [i for i in mrset.items if i not in outcome.exclude]
    return frame[items].sum(axis=1, min_count=1).astype("Int64")
