"""Load the codebook: one TOML file per instrument under the codebook directory.

One module on purpose: the codebook's schema, its loading (includes, value sets) and its
cross-checks describe one data contract and change together.

The codebook is the data contract. For every variable it gives the name, question text in
Dutch and English, type, codes with Dutch and English labels, missing-value codes, valid
range, scale membership and reverse wording. See ``data/codebook/README.md``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.study.errors import UserError
from pipeline.study.schema import (
    Table,
    TableList,
    TableMap,
    boolean,
    check_table,
    choice,
    did_you_mean,
    expect,
    is_number,
    nonempty_string,
    number,
    string,
    strings,
    whole,
    whole_numbers,
)

VARIABLE_TYPES = ("id", "unit", "date", "categorical", "ordinal", "integer", "number", "text")
INSTRUMENT_FILES = ("employers", "candidates", "control", "register", "interviews")
SURVEYS = ("employers", "candidates", "control")


def normalise_label(text: object) -> str:
    """Fold a label for tolerant matching: case, accents, punctuation and whitespace.

    >>> normalise_label("  Gem. Hilversum ")
    'gem hilversum'
    >>> normalise_label("Helemaal  mee EENS")
    'helemaal mee eens'
    """
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.casefold()
    s = re.sub(r"[^0-9a-z]+", " ", s)
    return s.strip()


@dataclass(frozen=True)
class Code:
    code: int
    nl: str
    en: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextLabel:
    """A reader's label for one value of a free-code (text) variable, e.g. an interview code."""

    value: str
    nl: str
    en: str


def readable_code(value: str) -> str:
    """A code name a reader can read when the codebook gives no label: ``draagvlak_laag``
    -> ``Draagvlak laag`` (underscores become spaces, first letter upper case)."""
    text = str(value).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    label_en: str
    question_nl: str
    question_en: str
    codes: tuple[Code, ...] = ()
    missing: tuple[int, ...] = ()
    min: float | str | None = None
    max: float | str | None = None
    scale: str | None = None
    reverse: bool = False
    mrset: str | None = None
    required: bool = True
    substantive: bool = True
    on_invalid: str = "missing"
    pii: bool = True
    eligible_codes: tuple[int, ...] | None = None
    value_labels: tuple[TextLabel, ...] = ()

    def text_label(self, value: object, language: str = "nl") -> str:
        """The label of a free-code value (``value_labels``), or :func:`readable_code`."""
        for lab in self.value_labels:
            if lab.value == value:
                return lab.nl if language == "nl" else lab.en
        return readable_code(str(value))

    @property
    def has_codes(self) -> bool:
        return bool(self.codes)

    def label(self, code: int, language: str = "nl") -> str:
        for c in self.codes:
            if c.code == code:
                return c.nl if language == "nl" else c.en
        raise KeyError(f"{self.name}: no code {code}")

    def code_values(self) -> list[int]:
        return [c.code for c in self.codes]


@dataclass(frozen=True)
class Scale:
    name: str
    label_nl: str
    label_en: str
    min_items: int
    items: tuple[str, ...]
    reverse_items: tuple[str, ...]
    minimum: int
    maximum: int


@dataclass(frozen=True)
class MultipleResponseSet:
    name: str
    label_nl: str
    label_en: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Instrument:
    name: str
    label_nl: str
    label_en: str
    id: str
    unit: str
    date: str | None
    kind: str  # "survey" or "register"
    completeness_min: float
    variables: tuple[Variable, ...]
    scales: tuple[Scale, ...]
    mrsets: tuple[MultipleResponseSet, ...]
    source_files: tuple[str, ...]

    def variable(self, name: str) -> Variable:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(f"{self.name}: no variable {name!r}")

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]

    def substantive_variables(self) -> list[Variable]:
        return [
            v
            for v in self.variables
            if v.substantive and v.type not in ("id", "unit", "date", "text") and not v.mrset
        ]


@dataclass(frozen=True)
class Unit:
    code: int
    id: str
    name: str
    members: tuple[str, ...]
    aliases: tuple[str, ...]
    #: A comparison unit (e.g. Assen) is not evaluated: it may have a register row, shown
    #: in the comparison appendix, but never appears in survey data or unit analyses.
    comparison: bool = False
    #: Whether an export may write the unit as its code (``"1"``). True for the codebook's
    #: units; a study's own unit only when its config gives the code.
    code_is_spelling: bool = True


@dataclass(frozen=True)
class Codebook:
    directory: Path
    instruments: dict[str, Instrument]
    units: tuple[Unit, ...]  # the evaluated units (comparison units are not among them)
    missing_labels: dict[str, str]  # normalised label -> reason
    missing_codes: dict[int, dict[str, str]]
    value_sets: dict[str, tuple[Code, ...]] = field(default_factory=dict)
    missing_label_texts: tuple[str, ...] = ()  # as written in common.toml, for documentation
    #: Units marked ``comparison = true`` in units.toml: accepted in the register only.
    comparison_units: tuple[Unit, ...] = ()

    def unit_alias_table(self, *, comparison: bool = False) -> dict[str, Unit]:
        """Normalised alias -> unit; the unit's name and id always count as aliases.

        With ``comparison=True`` the comparison units' spellings are included too (for the
        register, the one input that may describe them).
        """
        table: dict[str, Unit] = {}
        for u in (*self.units, *(self.comparison_units if comparison else ())):
            codes = (str(u.code),) if u.code_is_spelling else ()
            for alias in (u.name, u.id, *codes, *u.members, *u.aliases):
                table[normalise_label(alias)] = u
        return table

    def with_unit_aliases(self, aliases: dict[str, str], *, where: str = "[units.aliases]"
                          ) -> Codebook:
        """This codebook with a study's own unit spellings added (alias -> unit id).

        A study config can name the spellings its exports use without editing the shared
        ``units.toml``. An alias for a unit id the codebook does not have, or a spelling that
        already means another unit, is an error: a unit is never guessed.
        """
        if not aliases:
            return self
        ids = [u.id for u in self.units]
        known = self.unit_alias_table()
        extra: dict[str, list[str]] = {}
        for alias, unit_id in aliases.items():
            if unit_id not in ids:
                close = difflib.get_close_matches(unit_id, ids, n=1, cutoff=0.6)
                suggestion = f"did you mean {close[0]!r}? " if close else ""
                raise UserError(
                    f"{where}: {alias!r} = {unit_id!r} — {unit_id!r} is not a unit id in the "
                    f"codebook; {suggestion}the unit ids are {ids}"
                )
            other = known.get(normalise_label(alias))
            if other is not None and other.id != unit_id:
                raise UserError(
                    f"{where}: {alias!r} = {unit_id!r} — this spelling already means unit "
                    f"{other.id!r} (in the codebook or an earlier alias)"
                )
            extra.setdefault(unit_id, []).append(alias)
            known[normalise_label(alias)] = self.unit_by_id(unit_id)
        units = tuple(
            replace(u, aliases=(*u.aliases, *extra.get(u.id, ()))) for u in self.units
        )
        return replace(self, units=units)

    def with_units(self, units: list[Unit]) -> Codebook:
        """This codebook with a study's own units (evaluated and comparison) in place of
        the codebook's. Two units that share a spelling are an error: a unit is never
        guessed."""
        seen: dict[str, Unit] = {}
        for u in units:
            codes = (str(u.code),) if u.code_is_spelling else ()
            for alias in (u.name, u.id, *codes, *u.members, *u.aliases):
                other = seen.get(normalise_label(alias))
                if other is not None and other.id != u.id:
                    raise UserError(
                        f"[units.{u.id}]: the spelling {alias!r} also means unit {other.id!r}; "
                        "give each spelling to one unit only"
                    )
                seen[normalise_label(alias)] = u
        return replace(
            self,
            units=tuple(u for u in units if not u.comparison),
            comparison_units=tuple(u for u in units if u.comparison),
        )

    def with_field_period(self, first: dt.date, last: dt.date) -> Codebook:
        """This codebook with the study's field period as the valid range of every survey's
        completion date (the instrument's ``date`` variable)."""
        instruments = {}
        for name, inst in self.instruments.items():
            if inst.kind == "survey" and inst.date:
                variables = tuple(
                    replace(v, min=first.isoformat(), max=last.isoformat())
                    if v.name == inst.date else v
                    for v in inst.variables
                )
                inst = replace(inst, variables=variables)
            instruments[name] = inst
        return replace(self, instruments=instruments)

    def with_label_aliases(
        self, instrument: str, labels: dict[str, dict[str, int]], *, where: str
    ) -> Codebook:
        """This codebook with a study's own answer labels for one instrument's coded
        questions (column -> label -> code), added as aliases of the codes."""
        inst = self.instruments[instrument]
        changed = {}
        for column, table in labels.items():
            try:
                var = inst.variable(column)
            except KeyError:
                close = difflib.get_close_matches(column, inst.names, n=1, cutoff=0.6)
                raise UserError(
                    f"{where}: {column!r} is not a variable of the {inst.label_en.lower()} in "
                    "the codebook" + (f"; did you mean {close[0]!r}?" if close else "")
                ) from None
            if not var.codes:
                raise UserError(f"{where}.{column}: {column!r} has no codes to map labels to")
            extra: dict[int, list[str]] = {}
            for label, code in table.items():
                if code not in var.code_values():
                    raise UserError(
                        f"{where}.{column}: {label!r} = {code} — {column!r} has the codes "
                        f"{var.code_values()}"
                    )
                extra.setdefault(code, []).append(label)
            codes = tuple(replace(c, aliases=(*c.aliases, *extra.get(c.code, ())))
                          for c in var.codes)
            changed[column] = replace(var, codes=codes)
        variables = tuple(changed.get(v.name, v) for v in inst.variables)
        return replace(self, instruments={**self.instruments,
                                          instrument: replace(inst, variables=variables)})

    def unit_by_id(self, unit_id: str) -> Unit:
        for u in self.units:
            if u.id == unit_id:
                return u
        raise KeyError(unit_id)


# --------------------------------------------------------------------------- file schemas
# Every key each codebook file may have (see data/codebook/README.md). An unknown key, or a
# value of the wrong type, stops loading with the file, the key's path and the nearest
# valid name: a misspelt `revers = true` must not silently leave an item un-reversed.

ON_INVALID = ("missing", "error")
INSTRUMENT_KINDS = ("survey", "register")
BOUNDED_TYPES = ("integer", "number", "date")


def _bound(value: object) -> object:
    """``min``/``max``: a number, or an ISO date in quotes (checked against the variable's
    type by :func:`_check_bounds`)."""
    expected = 'a number, or an ISO date in quotes (e.g. "2014-06-15") for a date variable'
    expect(is_number(value) or isinstance(value, str), expected, value, show_kind=True)
    return value


def _code_name(value: object) -> str:
    """A key of ``[missing_codes]``: the code as text, e.g. ``9 = {...}``."""
    text = string(value)
    expect(text.lstrip("-").isdigit(), "a whole-number code, e.g. 9 = { ... }", value)
    return text


_CODES = TableList(
    {"code": whole(), "nl": nonempty_string, "en": nonempty_string, "aliases": strings},
    required=("code", "nl", "en"),
    label=None,
)
_VALUE_LABELS = TableList(
    {"value": nonempty_string, "nl": nonempty_string, "en": nonempty_string},
    required=("value", "nl", "en"),
    label="value",
)
_VARIABLES = TableList(
    {
        "name": nonempty_string,
        "type": choice(VARIABLE_TYPES),
        "label_en": nonempty_string,
        "question_nl": string,
        "question_en": string,
        "values": nonempty_string,
        "codes": _CODES,
        "missing": whole_numbers,
        "min": _bound,
        "max": _bound,
        "scale": nonempty_string,
        "reverse": boolean,
        "mrset": nonempty_string,
        "required": boolean,
        "substantive": boolean,
        "on_invalid": choice(ON_INVALID),
        "pii": boolean,
        "eligible_codes": whole_numbers,
        "value_labels": _VALUE_LABELS,
    },
    required=("name", "type"),
)
_SCALES = TableList(
    {
        "name": nonempty_string,
        "label_nl": nonempty_string,
        "label_en": nonempty_string,
        "min_items": whole(1),
    },
    required=("name",),
)
_MRSETS = TableList(
    {"name": nonempty_string, "label_nl": nonempty_string, "label_en": nonempty_string},
    required=("name",),
)
#: A file named by an instrument's ``include`` (e.g. jobseeker_core.toml).
INCLUDED_FILE = {"variables": _VARIABLES, "scales": _SCALES, "mrsets": _MRSETS}
#: An instrument file (employers.toml, candidates.toml, ...).
INSTRUMENT_FILE = {
    "instrument": Table(
        {
            "name": nonempty_string,
            "label_nl": nonempty_string,
            "label_en": nonempty_string,
            "id": nonempty_string,
            "unit": nonempty_string,
            "date": nonempty_string,
            "kind": choice(INSTRUMENT_KINDS),
            "completeness_min": number(0, 1),
            "include": strings,
        },
        required=("name", "id", "unit"),
    ),
    **INCLUDED_FILE,
}
#: common.toml: value sets, missing labels and missing codes.
COMMON_FILE = {
    "missing_labels": TableMap(nonempty_string),
    "value_sets": TableMap(Table({"codes": _CODES}, required=("codes",))),
    "missing_codes": TableMap(
        Table({"nl": nonempty_string, "en": nonempty_string, "reason": nonempty_string}),
        name=_code_name,
    ),
}
#: units.toml: the evaluated (and comparison) units.
UNITS_FILE = {
    "units": TableList(
        {
            "code": whole(0),
            "id": nonempty_string,
            "name": nonempty_string,
            "members": strings,
            "aliases": strings,
            "comparison": boolean,
        },
        required=("code", "id", "name"),
        label="id",
    ),
}


def _check_file(doc: dict, schema: dict, path: Path) -> None:
    """Stop with a UserError naming the file and key unless ``doc`` fits ``schema``."""
    check_table(doc, schema, str(path), noun="key", top=True)


def _check_bounds(raw: dict, vtype: str, where: str) -> None:
    """``min``/``max`` fit the variable's type: numbers for integer and number variables,
    ISO dates for date variables, and no range at all for other types."""
    bounds = {}
    for key in ("min", "max"):
        if key not in raw:
            continue
        value = raw[key]
        if vtype not in BOUNDED_TYPES:
            raise UserError(
                f"{where}: {key!r} applies only to integer, number and date variables, and "
                f"this one is {vtype!r}; remove it"
            )
        if vtype == "date":
            try:
                bounds[key] = dt.date.fromisoformat(value)
            except (TypeError, ValueError):
                raise UserError(
                    f'{where}: {key} {value!r} — expected an ISO date in quotes, e.g. '
                    f'"2014-06-15", for a date variable'
                ) from None
        elif not is_number(value):
            raise UserError(f"{where}: {key} {value!r} — expected a number for an {vtype} "
                            "variable")
        else:
            bounds[key] = value
    if len(bounds) == 2 and bounds["min"] > bounds["max"]:
        raise UserError(f"{where}: min {raw['min']!r} is above max {raw['max']!r}")


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise UserError(f"codebook file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from exc


def _codes(raw: list[dict], where: str) -> tuple[Code, ...]:
    out = []
    for c in raw:
        try:
            out.append(
                Code(
                    code=int(c["code"]),
                    nl=str(c["nl"]),
                    en=str(c["en"]),
                    aliases=tuple(str(a) for a in c.get("aliases", ())),
                )
            )
        except KeyError as exc:
            raise UserError(f"{where}: a code lacks the field {exc.args[0]!r}") from exc
    return tuple(out)


def _variable(raw: dict, value_sets: dict[str, tuple[Code, ...]], where: str) -> Variable:
    """One ``[[variables]]`` entry, already checked against its schema; ``where`` names the
    entry (file, number, name)."""
    name = raw["name"]
    vtype = raw["type"]
    if "values" in raw and "codes" in raw:
        raise UserError(f"{where}: give either 'values' (a value set) or 'codes', not both")
    codes: tuple[Code, ...] = ()
    if "values" in raw:
        if raw["values"] not in value_sets:
            raise UserError(
                f"{where}: unknown value set {raw['values']!r} — "
                f"{did_you_mean(raw['values'], list(value_sets))} (value sets are declared "
                "in common.toml)"
            )
        codes = value_sets[raw["values"]]
    elif "codes" in raw:
        codes = _codes(raw["codes"], where)
    if vtype in ("categorical", "ordinal") and not codes:
        raise UserError(f"{where}: {vtype} variable {name!r} needs codes or a value set")
    _check_bounds(raw, vtype, where)
    structural = vtype in ("id", "unit")
    return Variable(
        name=name,
        type=vtype,
        label_en=raw.get("label_en", name),
        question_nl=raw.get("question_nl", ""),
        question_en=raw.get("question_en", ""),
        codes=codes,
        missing=tuple(int(m) for m in raw.get("missing", ())),
        min=raw.get("min"),
        max=raw.get("max"),
        scale=raw.get("scale"),
        reverse=bool(raw.get("reverse", False)),
        mrset=raw.get("mrset"),
        required=bool(raw.get("required", True)),
        substantive=bool(raw.get("substantive", not structural)),
        on_invalid=raw.get("on_invalid", "error" if structural else "missing"),
        pii=bool(raw.get("pii", vtype == "text")),
        eligible_codes=(
            tuple(int(c) for c in raw["eligible_codes"]) if "eligible_codes" in raw else None
        ),
        value_labels=_value_labels(raw.get("value_labels", ()), f"{where}: {name}"),
    )


def _value_labels(raw: object, where: str) -> tuple[TextLabel, ...]:
    out = []
    for lab in raw:  # type: ignore[union-attr]
        try:
            out.append(TextLabel(value=str(lab["value"]), nl=str(lab["nl"]), en=str(lab["en"])))
        except (KeyError, TypeError) as exc:
            raise UserError(f"{where}: a value label needs value, nl and en") from exc
    return tuple(out)


def _entries(doc: dict, key: str, path: Path) -> list[tuple[dict, str]]:
    """The entries of one array of tables (``[[variables]]``) with where each one is, e.g.
    ``.../jobseeker_core.toml [[variables]] #5 'geslacht'``."""
    return [
        (raw, f"{path} [[{key}]] #{i} {raw['name']!r}")
        for i, raw in enumerate(doc.get(key, []), start=1)
    ]


def _load_instrument(
    path: Path, value_sets: dict[str, tuple[Code, ...]]
) -> Instrument:
    doc = _read_toml(path)
    _check_file(doc, INSTRUMENT_FILE, path)
    if "instrument" not in doc:
        raise UserError(f"{path}: the [instrument] table is missing")
    meta = doc["instrument"]
    sources = [path.name]
    raw_vars: list[tuple[dict, str]] = []
    raw_scales: list[tuple[dict, str]] = []
    raw_mrsets: list[tuple[dict, str]] = []
    for inc in meta.get("include", ()):
        inc_path = path.parent / inc
        inc_doc = _read_toml(inc_path)
        _check_file(inc_doc, INCLUDED_FILE, inc_path)
        sources.append(inc)
        raw_vars += _entries(inc_doc, "variables", inc_path)
        raw_scales += _entries(inc_doc, "scales", inc_path)
        raw_mrsets += _entries(inc_doc, "mrsets", inc_path)
    raw_vars += _entries(doc, "variables", path)
    raw_scales += _entries(doc, "scales", path)
    raw_mrsets += _entries(doc, "mrsets", path)

    variables = tuple(_variable(v, value_sets, where) for v, where in raw_vars)
    seen: set[str] = set()
    for v, (_, where) in zip(variables, raw_vars, strict=True):
        if v.name in seen:
            raise UserError(f"{where}: variable {v.name!r} is defined twice")
        seen.add(v.name)

    scales = []
    for s, where in raw_scales:
        items = [v for v in variables if v.scale == s["name"]]
        if not items:
            raise UserError(f"{where}: scale {s['name']!r} has no items")
        codes = sorted({c.code for v in items for c in v.codes})
        scales.append(
            Scale(
                name=s["name"],
                label_nl=s.get("label_nl", s["name"]),
                label_en=s.get("label_en", s["name"]),
                min_items=int(s.get("min_items", len(items))),
                items=tuple(v.name for v in items),
                reverse_items=tuple(v.name for v in items if v.reverse),
                minimum=codes[0],
                maximum=codes[-1],
            )
        )
    mrsets = []
    for m, _ in raw_mrsets:
        items = tuple(v.name for v in variables if v.mrset == m["name"])
        mrsets.append(
            MultipleResponseSet(
                name=m["name"],
                label_nl=m.get("label_nl", m["name"]),
                label_en=m.get("label_en", m["name"]),
                items=items,
            )
        )
    scale_names = [sc.name for sc in scales]
    mrset_names = [m.name for m in mrsets]
    for v, (_, where) in zip(variables, raw_vars, strict=True):
        if v.scale and v.scale not in scale_names:
            raise UserError(f"{where}: scale {v.scale!r} is not declared under [[scales]] — "
                            f"{did_you_mean(v.scale, scale_names)}")
        if v.mrset and v.mrset not in mrset_names:
            raise UserError(f"{where}: mrset {v.mrset!r} is not declared under [[mrsets]] — "
                            f"{did_you_mean(v.mrset, mrset_names)}")
    names = [v.name for v in variables]
    for key in ("id", "unit", "date"):
        if key in meta and meta[key] not in names:
            raise UserError(f"{path} [instrument]: {key} {meta[key]!r} is not a variable of "
                            f"this instrument — {did_you_mean(meta[key], names)}")
    return Instrument(
        name=meta["name"],
        label_nl=meta.get("label_nl", meta["name"]),
        label_en=meta.get("label_en", meta["name"]),
        id=meta["id"],
        unit=meta["unit"],
        date=meta.get("date"),
        kind=meta.get("kind", "survey"),
        completeness_min=float(meta.get("completeness_min", 0.0)),
        variables=variables,
        scales=tuple(scales),
        mrsets=tuple(mrsets),
        source_files=tuple(sources),
    )


def load_codebook(directory: Path) -> Codebook:
    """Read every instrument file plus the shared value sets and unit aliases."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UserError(f"codebook directory not found: {directory}")
    common = _read_toml(directory / "common.toml")
    _check_file(common, COMMON_FILE, directory / "common.toml")
    value_sets = {
        name: _codes(vs["codes"], f"common.toml: value set {name}")
        for name, vs in common.get("value_sets", {}).items()
    }
    missing_labels = {
        normalise_label(k): str(v) for k, v in common.get("missing_labels", {}).items()
    }
    missing_codes = {int(k): dict(v) for k, v in common.get("missing_codes", {}).items()}
    units_doc = _read_toml(directory / "units.toml")
    _check_file(units_doc, UNITS_FILE, directory / "units.toml")
    all_units = tuple(
        Unit(
            code=int(u["code"]),
            id=u["id"],
            name=u["name"],
            members=tuple(u.get("members", ())),
            aliases=tuple(u.get("aliases", ())),
            comparison=bool(u.get("comparison", False)),
        )
        for u in units_doc.get("units", [])
    )
    units = tuple(u for u in all_units if not u.comparison)
    comparison_units = tuple(u for u in all_units if u.comparison)
    instruments = {}
    for name in INSTRUMENT_FILES:
        inst = _load_instrument(directory / f"{name}.toml", value_sets)
        if inst.name != name:
            raise UserError(
                f"{directory / f'{name}.toml'} [instrument]: name {inst.name!r} — expected "
                f"{name!r}, the name of the file"
            )
        instruments[inst.name] = inst
    return Codebook(
        directory=directory,
        instruments=instruments,
        units=units,
        comparison_units=comparison_units,
        missing_labels=missing_labels,
        missing_codes=missing_codes,
        value_sets=value_sets,
        missing_label_texts=tuple(common.get("missing_labels", {})),
    )
