"""Derive stage: cleaned data -> analysis-ready data in ``data/processed/`` + datapackage.json.

- ``jobseekers.csv``: candidates and control group stacked on their common core, with the
  group indicator, the employment outcomes and the scale scores.
- ``employers.csv``: employer survey with scale scores and the number of bottlenecks.
- ``units.csv``: the unit register with total hours invested.
- ``interviews.csv``: the interview coding.

Reverse-worded items keep their answer as given (so item tables show what respondents
said) and get a recoded twin ``<item>_r`` on which the scale scores are computed.
"""

from __future__ import annotations

import pandas as pd

from analysis.scales import reverse_code, score_scale
from pipeline.codebook import Codebook, Instrument, Variable
from pipeline.config import OutputPaths, StudyConfig
from pipeline.errors import UserError
from pipeline.io import write_csv, write_json

PROCESSED = ("jobseekers", "employers", "units", "interviews")


def read_interim(paths: OutputPaths, instrument: str) -> pd.DataFrame:
    path = paths.interim_csv(instrument)
    if not path.is_file():
        raise UserError(f"{path} not found; run the clean stage first")
    return pd.read_csv(path, keep_default_na=False, na_values=[""], encoding="utf-8")


def add_scales(frame: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Add ``<item>_r`` for reverse-worded items and ``scale_<name>`` (mean of answered items)."""
    out = frame.copy()
    for scale in instrument.scales:
        columns = []
        for item in scale.items:
            if item in scale.reverse_items:
                out[f"{item}_r"] = reverse_code(
                    out[item].astype("float64"), scale.minimum, scale.maximum
                )
                columns.append(f"{item}_r")
            else:
                columns.append(item)
        out[f"scale_{scale.name}"] = score_scale(
            out[columns].astype("float64"), min_items=scale.min_items
        )
    return out


def derive_jobseekers(
    candidates: pd.DataFrame, control: pd.DataFrame, codebook: Codebook
) -> pd.DataFrame:
    cand_inst = codebook.instruments["candidates"]
    ctrl_inst = codebook.instruments["control"]
    cand = add_scales(candidates, cand_inst)
    ctrl = add_scales(control, ctrl_inst)
    cand.insert(1, "groep", "werktop")
    ctrl.insert(1, "groep", "controle")
    frame = pd.concat([cand, ctrl], ignore_index=True, sort=False)
    frame.insert(2, "werktop", (frame["groep"] == "werktop").astype("int64"))
    status = frame["werkstatus"]
    frame["werk_regulier"] = (status == 1).astype("Int64").where(status.notna())
    frame["werk_any"] = status.isin([1, 2]).astype("Int64").where(status.notna())
    channels = [v for v in cand_inst.variables if v.mrset == "zoekkanalen"]
    frame["n_zoekkanalen"] = frame[[v.name for v in channels]].sum(axis=1, min_count=1)
    return frame


def derive_employers(employers: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    inst = codebook.instruments["employers"]
    frame = add_scales(employers, inst)
    items = [
        v.name for v in inst.variables if v.mrset == "knelpunten" and v.name != "knelpunt_geen"
    ]
    frame["n_knelpunten"] = frame[items].sum(axis=1, min_count=1)
    return frame


def derive_units(register: pd.DataFrame) -> pd.DataFrame:
    frame = register.drop(columns=["respondent"]).rename(columns={"gemeente": "unit"})
    frame["uren_totaal"] = frame["uren_gemeente"] + frame["uren_adviesbureau"]
    return frame


# --------------------------------------------------------------------------- datapackage

DERIVED_FIELDS = {
    "respondent": ("string", "Pseudonymous respondent id (keyed hash of the raw id)"),
    "source_row": ("integer", "Row (SPSS: case) of the respondent in the raw export"),
    "groep": ("string", "Group: werktop (candidates) or controle (control group)"),
    "werktop": ("integer", "1 = Werktop candidate, 0 = control group"),
    "werk_regulier": ("integer", "1 = in a regular paid job (werkstatus 1)"),
    "werk_any": ("integer", "1 = regular job or work-experience place (werkstatus 1 or 2)"),
    "n_zoekkanalen": ("integer", "Number of search channels used"),
    "n_knelpunten": ("integer", "Number of bottlenecks ticked (excluding 'geen knelpunten')"),
    "unit": ("string", "Unit id (gemeente, see data/codebook/units.toml)"),
    "uren_totaal": ("number", "Hours invested by municipality and consultancy together"),
}
_TYPES = {
    "id": "string", "unit": "string", "date": "date", "categorical": "integer",
    "ordinal": "integer", "integer": "integer", "number": "number", "text": "string",
}


def _field(name: str, variables: dict[str, Variable], scales: dict[str, str]) -> dict:
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
        return {"name": name, "type": "number", "title": f"{v.label_en} (reverse-coded)",
                "description": f"{name[:-2]} recoded so that higher means more of the scale"}
    if name.startswith("scale_"):
        return {"name": name, "type": "number", "title": scales.get(name[6:], name),
                "description": "Scale score: mean of the answered items (reverse-coded items "
                "recoded), missing when fewer than the scale's minimum items were answered"}
    kind, text = DERIVED_FIELDS.get(name, ("string", name))
    return {"name": name, "type": kind, "description": text}


def datapackage(frames: dict[str, pd.DataFrame], codebook: Codebook, title: str) -> dict:
    variables: dict[str, Variable] = {}
    scales: dict[str, str] = {}
    for inst in codebook.instruments.values():
        for v in inst.variables:
            variables.setdefault(v.name, v)
        for s in inst.scales:
            scales[s.name] = s.label_en
    resources = []
    for name, frame in frames.items():
        resources.append(
            {
                "name": name,
                "path": f"{name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [_field(c, variables, scales) for c in frame.columns],
                    "missingValues": [""],
                },
            }
        )
    return {
        "name": "werktop-eval-processed",
        "title": f"{title}: analysis-ready data",
        "profile": "tabular-data-package",
        "resources": resources,
    }


def run_derive(config: StudyConfig, paths: OutputPaths, codebook: Codebook) -> dict[str, int]:
    frames = {
        "jobseekers": derive_jobseekers(
            read_interim(paths, "candidates"), read_interim(paths, "control"), codebook
        ),
        "employers": derive_employers(read_interim(paths, "employers"), codebook),
        "units": derive_units(read_interim(paths, "register")),
        "interviews": read_interim(paths, "interviews").drop(columns=["respondent"]),
    }
    for name, frame in frames.items():
        write_csv(paths.processed_csv(name), frame)
    write_json(paths.datapackage, datapackage(frames, codebook, config.title))
    return {name: len(f) for name, f in frames.items()}
