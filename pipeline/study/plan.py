"""The analysis plan (``data/codebook/analysis_plan.toml``): outcomes, families, covariates.

Derive builds each outcome's column from its derivation, the data packages take its labels
and description, and the analyze stage tests the members of each family with the family's
multiplicity correction. See ``data/codebook/README.md`` for the format.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.study.codebook import Codebook, Instrument
from pipeline.study.errors import UserError
from pipeline.study.schema import (
    Table,
    TableList,
    TableMap,
    check_table,
    choice,
    did_you_mean,
    nonempty_string,
    number,
    strings,
    whole,
    whole_numbers,
)

PLAN_FILE = "analysis_plan.toml"
#: How a covariate enters every model (analysis.design): as is, log(1 + x), a restricted
#: cubic spline, or categorical (dummies).
TRANSFORMS = ("linear", "log1p", "rcs", "categorical")
#: Knots of a restricted cubic spline unless the plan says otherwise (Harrell's default).
SPLINE_KNOTS = 4
KINDS = ("binary", "continuous", "count", "ordinal")
RULES = ("code_in", "scale", "item", "count")
METHODS = ("holm", "fdr_bh", "none", "study")
#: The instruments each processed data set is built from.
DATASET_INSTRUMENTS = {
    "jobseekers": ("candidates", "control"),
    "employers": ("employers",),
}
#: The derivation keys each rule needs, and the ones it may have besides.
RULE_KEYS = {
    "code_in": (("source", "codes"), ()),
    "scale": (("scale",), ()),
    "item": (("source",), ()),
    "count": (("mrset",), ("exclude",)),
}

#: Every key the plan may have (checked with pipeline.study.schema; see data/codebook/README.md).
PLAN_SCHEMA = {
    "outcomes": TableList(
        {
            "name": nonempty_string,
            "dataset": choice(tuple(DATASET_INSTRUMENTS)),
            "kind": choice(KINDS),
            "family": nonempty_string,
            "label_nl": nonempty_string,
            "label_en": nonempty_string,
            "description": nonempty_string,
            "derivation": Table(
                {
                    "rule": choice(RULES),
                    "source": nonempty_string,
                    "codes": whole_numbers,
                    "scale": nonempty_string,
                    "mrset": nonempty_string,
                    "exclude": strings,
                },
                required=("rule",),
            ),
        },
        required=("name", "dataset", "kind", "label_nl", "label_en", "derivation"),
    ),
    "families": TableMap(
        Table(
            {
                "label_nl": nonempty_string,
                "label_en": nonempty_string,
                "multiplicity": choice(METHODS),
            },
            required=("label_nl", "label_en"),
        )
    ),
    "covariates": Table(
        {
            "dataset": choice(tuple(DATASET_INSTRUMENTS)),
            "adjust": strings,
            "categorical": strings,
            "fixed_effects": strings,
            "transform": TableMap(choice(TRANSFORMS)),
            "spline_knots": whole(3),
        },
        required=("dataset",),
    ),
    "imputation": Table(
        {
            "m_pilot": whole(2),
            "m_min": whole(2),
            "m_max": whole(2),
            "cv": number(0.001, 1.0),
            "alpha": number(0.001, 0.5),
            "burn_in_min": whole(1),
            "burn_in_max": whole(4),
            "r_hat": number(1.0, 2.0),
        }
    ),
    "inference": Table(
        {
            "sandwich_min_ess": number(minimum=0),
            "bootstrap_replicates": whole(minimum=100),
        },
    ),
}


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
    #: covariate -> "log1p" or "rcs" (the rest linear or, if in ``categorical``, dummies)
    transform: tuple[tuple[str, str], ...] = ()
    spline_knots: int = SPLINE_KNOTS

    def transforms(self) -> dict[str, str]:
        """Covariate -> transform, every covariate (categorical ones "categorical")."""
        given = dict(self.transform)
        return {name: "categorical" if name in self.categorical else given.get(name, "linear")
                for name in self.adjust}  # fmt: skip


@dataclass(frozen=True)
class Imputation:
    """How many imputations and MICE cycles (``[imputation]``; defaults when absent).

    ``m`` follows von Hippel's (2020) two-stage rule from a pilot of ``m_pilot``
    imputations with target coefficient of variation ``cv`` of the standard errors and
    the FMI's upper ``1 - alpha`` bound, bounded by ``m_min`` and ``m_max``
    (:func:`analysis.imputation_count.imputations_needed`). The burn-in is the first
    cycle count from ``burn_in_min`` on at which every trace's Gelman-Rubin R-hat is
    below ``r_hat``, at most ``burn_in_max`` (:func:`analysis.imputation_count.burn_in_needed`).
    """

    m_pilot: int = 5
    m_min: int = 5
    m_max: int = 100
    cv: float = 0.05
    alpha: float = 0.05
    burn_in_min: int = 5
    burn_in_max: int = 20
    r_hat: float = 1.1


@dataclass(frozen=True)
class Inference:
    """How weighted estimates get their intervals (``[inference]``): the stacked
    M-estimation sandwich when the weighted control group's Kish effective sample size is
    at least ``sandwich_min_ess``, else a stratified bootstrap with
    ``bootstrap_replicates`` replicates in all (spread over the imputed data sets)."""

    sandwich_min_ess: float = 1000.0
    bootstrap_replicates: int = 2000


#: The rule when the plan has no ``[inference]`` table.
DEFAULT_INFERENCE = Inference()


@dataclass(frozen=True)
class AnalysisPlan:
    outcomes: tuple[Outcome, ...]
    families: dict[str, Family]
    covariates: Covariates | None
    path: Path
    inference: Inference = DEFAULT_INFERENCE
    imputation: Imputation = Imputation()

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


def _outcome(raw: dict, where: str) -> Outcome:
    """One ``[[outcomes]]`` entry, already checked against :data:`PLAN_SCHEMA`."""
    derivation = raw["derivation"]
    rule = derivation["rule"]
    needed, optional = RULE_KEYS[rule]
    for key in needed:
        if key not in derivation:
            raise UserError(f"{where} derivation: rule {rule!r} needs {key!r} "
                            f"(it takes {', '.join(repr(k) for k in (*needed, *optional))})")
    for key in derivation:
        if key != "rule" and key not in (*needed, *optional):
            raise UserError(f"{where} derivation: {key!r} does not apply to rule {rule!r} "
                            f"(it takes {', '.join(repr(k) for k in (*needed, *optional))})")
    return Outcome(
        name=raw["name"],
        dataset=raw["dataset"],
        kind=raw["kind"],
        family=raw.get("family"),
        label_nl=raw["label_nl"],
        label_en=raw["label_en"],
        description=raw.get("description", raw["label_en"]),
        rule=rule,
        source=derivation.get("source"),
        codes=tuple(derivation.get("codes", ())),
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
    check_table(doc, PLAN_SCHEMA, str(path), noun="key", top=True)

    families = {
        name: Family(name, raw["label_nl"], raw["label_en"], raw.get("multiplicity", "holm"))
        for name, raw in doc.get("families", {}).items()
    }

    outcomes = []
    for i, raw in enumerate(doc.get("outcomes", []), start=1):
        where = f"{path} [[outcomes]] #{i} {raw['name']!r}"
        outcome = _outcome(raw, where)
        _check_against_codebook(outcome, codebook, where)
        if outcome.family is not None and outcome.family not in families:
            raise UserError(f"{where}: family {outcome.family!r} is not declared under "
                            f"[families] — {did_you_mean(outcome.family, sorted(families))}")
        if outcome.name in {o.name for o in outcomes}:
            raise UserError(f"{where}: outcome {outcome.name!r} is declared twice")
        outcomes.append(outcome)

    covariates = None
    if "covariates" in doc:
        raw = doc["covariates"]
        where = f"{path} [covariates]"
        transform = dict(raw.get("transform", {}))
        adjust = tuple(raw.get("adjust", ()))
        categorical = tuple(dict.fromkeys([*raw.get("categorical", ()),
                                           *(n for n, t in transform.items()
                                             if t == "categorical")]))  # fmt: skip
        stray = sorted(set(transform) - set(adjust))
        if stray:
            raise UserError(f"{where}: transform {stray} are not in 'adjust'")
        clash = sorted(n for n, t in transform.items() if t in ("log1p", "rcs")
                       and n in raw.get("categorical", ()))  # fmt: skip
        if clash:
            raise UserError(f"{where}: transform {clash}: a categorical covariate cannot be "
                            "log1p or rcs")
        knots = int(raw.get("spline_knots", SPLINE_KNOTS))
        if knots > 7:
            raise UserError(f"{where}: spline_knots {knots} — expected 3 to 7")
        covariates = Covariates(
            dataset=raw["dataset"],
            adjust=adjust,
            categorical=categorical,
            fixed_effects=tuple(raw.get("fixed_effects", ())),
            transform=tuple((n, t) for n, t in transform.items()
                            if t in ("log1p", "rcs")),  # fmt: skip
            spline_knots=knots,
        )
        inst = codebook.instruments[DATASET_INSTRUMENTS[covariates.dataset][0]]
        for key in ("adjust", "fixed_effects"):
            unknown = sorted(set(getattr(covariates, key)) - set(inst.names))
            if unknown:
                raise UserError(f"{where}: {key} {unknown} are not {inst.name} variables")
        stray = sorted(set(covariates.categorical) - set(covariates.adjust))
        if stray:
            raise UserError(f"{where}: categorical {stray} are not in 'adjust'")
    imputation = Imputation(**doc.get("imputation", {}))
    where = f"{path} [imputation]"
    if not imputation.m_pilot <= imputation.m_max or not imputation.m_min <= imputation.m_max:
        raise UserError(f"{where}: m_pilot and m_min must not exceed m_max")
    if imputation.burn_in_min > imputation.burn_in_max:
        raise UserError(f"{where}: burn_in_min must not exceed burn_in_max")
    raw_inf = doc.get("inference", {})
    inference = Inference(
        sandwich_min_ess=float(raw_inf.get("sandwich_min_ess", Inference.sandwich_min_ess)),
        bootstrap_replicates=int(raw_inf.get("bootstrap_replicates",
                                             Inference.bootstrap_replicates)),
    )
    return AnalysisPlan(tuple(outcomes), families, covariates, path, inference,
                        imputation)


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
