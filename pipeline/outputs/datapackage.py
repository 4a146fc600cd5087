"""Frictionless data-package descriptors for the CSVs analysts open.

Field types, titles, question texts and value labels come from the codebook, so the
descriptor always matches the data contract. Value labels use the ``categories`` field
property of Frictionless Table Schema v2.
"""

from __future__ import annotations

import pandas as pd

from pipeline.study.codebook import Codebook, Variable
from pipeline.study.plan import AnalysisPlan, Outcome

#: Columns that no codebook variable and no plan outcome describes.
DERIVED_FIELDS = {
    "respondent": ("string", "Pseudonymous respondent id (keyed hash of the raw id)"),
    "source_row": ("integer", "Row (SPSS: case) of the respondent in the raw export"),
    "groep": ("string", "Group: werktop (candidates) or controle (control group)"),
    "werktop": ("integer", "1 = Werktop candidate, 0 = control group"),
    "unit": ("string", "Unit id (gemeente): a [units.<id>] of the study config, or of "
             "data/codebook/units.toml"),
    "uren_totaal": ("number", "Hours invested by municipality and consultancy together"),
    "comparison": ("integer", "1 = comparison unit (not evaluated; units.toml comparison = "
                   "true), 0 = evaluated unit"),
    # exclusions log and sample flow (clean stage)
    "instrument": ("string", "Instrument (employers, candidates, control, register, interviews)"),
    "file": ("string", "Name of the raw export"),
    "row": ("integer", "Row in the raw export (header = row 1; SPSS: case number)"),
    "reason": ("string", "Exclusion reason code (see pipeline/stages/clean.py): "
               "excluded_by_config, empty_row, test_row, missing_id, duplicate, break_off, "
               "ineligible"),
    "detail": ("string", "Why the rule applied to this row"),
    "label_nl": ("string", "Dutch label"),
    "label_en": ("string", "English label"),
    "step": ("string", "raw, excluded or kept"),
    "n": ("integer", "Number of rows"),
}
#: The instruments whose codebook describes a data set's columns, in order of precedence
#: (a data set named like an instrument is described by that instrument).
SOURCES = {"jobseekers": ("candidates", "control"), "units": ("register",)}
_PLAN_TYPES = {"binary": "integer", "count": "integer", "continuous": "number",
               "ordinal": "integer"}
_TYPES = {
    "id": "string", "unit": "string", "date": "date", "categorical": "integer",
    "ordinal": "integer", "integer": "integer", "number": "number", "text": "string",
}


def _field(name: str, variables: dict[str, Variable], scales: dict[str, str],
           outcomes: dict[str, Outcome]) -> dict:
    if name in variables:
        v = variables[name]
        field: dict = {
            "name": name,
            "type": _TYPES[v.type],
            "title": v.label_en,
            "description": v.question_en,
            "question_nl": v.question_nl,
        }
        if v.codes:
            field["categories"] = [{"value": c.code, "label": c.nl, "label_en": c.en}
                                   for c in v.codes]
            field["categoriesOrdered"] = v.type == "ordinal"
        if v.min is not None and v.type in ("integer", "number"):
            field["constraints"] = {"minimum": v.min, "maximum": v.max}
        if v.reverse:
            field["reverse_worded"] = True
        return field
    if name.endswith("_r") and name[:-2] in variables:
        v = variables[name[:-2]]
        return {"name": name, "type": "integer", "title": f"{v.label_en} (reverse-coded)",
                "description": f"{name[:-2]} recoded so that higher means more of the scale"}
    if name.startswith("scale_"):
        return {"name": name, "type": "number", "title": scales.get(name[6:], name),
                "description": "Scale score: mean of the answered items (reverse-coded items "
                "recoded), missing when fewer than the scale's minimum items were answered"}
    if name in outcomes:
        o = outcomes[name]
        return {"name": name, "type": _PLAN_TYPES[o.kind], "title": o.label_en,
                "description": o.description}
    kind, text = DERIVED_FIELDS.get(name, ("string", name))
    return {"name": name, "type": kind, "description": text}


def _describing(key: str, codebook: Codebook) -> tuple[dict[str, Variable], dict[str, str]]:
    """Variables and scale labels of the instruments that describe data set ``key``."""
    names = SOURCES.get(key, (key,) if key in codebook.instruments else ())
    variables: dict[str, Variable] = {}
    scales: dict[str, str] = {}
    for inst_name in names:
        inst = codebook.instruments[inst_name]
        for v in inst.variables:
            variables.setdefault(v.name, v)
        for sc in inst.scales:
            scales.setdefault(sc.name, sc.label_en)
    return variables, scales


def datapackage(
    frames: dict[str, pd.DataFrame],
    codebook: Codebook,
    plan: AnalysisPlan | None = None,
    *,
    name: str,
    title: str,
) -> dict:
    """A Frictionless tabular data package describing ``<key>.csv`` for every frame.

    Each column's question text comes from the data set's own instrument (a jobseeker
    table's ``gemeente`` is the jobseeker question, not the employers' one).
    """
    outcomes = {o.name: o for o in plan.outcomes} if plan else {}
    resources = []
    for key, frame in frames.items():
        variables, scales = _describing(key, codebook)
        fields = [_field(c, variables, scales, outcomes) for c in frame.columns]
        resources.append(tabular_resource(key, fields))
    return package(name, title, resources)


def tabular_resource(name: str, fields: list[dict], description: str | None = None) -> dict:
    """A Frictionless tabular data resource for ``<name>.csv`` (UTF-8, blank = missing)."""
    resource: dict = {"name": name, "path": f"{name}.csv", "profile": "tabular-data-resource"}
    if description:
        resource["description"] = description
    resource |= {
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {"fields": fields, "missingValues": [""]},
    }
    return resource


#: Prefix of a data package's title when the study is synthetic. CSV files carry no comment
#: line (it would break naive CSV readers); their data package says it instead.
SYNTHETIC_PREFIX = "SYNTHETIC DATA — not the 2014 findings — "


def synthetic_title(title: str, synthetic: bool) -> str:
    """``title``, marked as synthetic data when the study is synthetic."""
    return SYNTHETIC_PREFIX + title if synthetic else title


def package(name: str, title: str, resources: list[dict]) -> dict:
    return {"name": name, "title": title, "profile": "tabular-data-package",
            "resources": resources}
