"""Derive stage: cleaned data -> analysis-ready data in ``data/processed/`` + datapackage.json.

- ``jobseekers.csv``: candidates and control group stacked on their common core, with the
  group indicator, the scale scores and the outcomes of the analysis plan.
- ``employers.csv``: employer survey with scale scores and the plan's derived counts.
- ``units.csv``: the unit register with total hours invested.
- ``interviews.csv``: the interview coding.

Reverse-worded items keep their answer as given (so item tables show what respondents
said) and get a recoded twin ``<item>_r`` on which the scale scores are computed.

Memory: the data sets are built, written (CSV, then ``.sav``) and dropped one at a time,
and the steps add columns to shallow copies (pandas copy-on-write) rather than copying
whole frames, so a million jobseekers are held about once, not once per step.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.scales import reverse_code, score_scale
from pipeline.outputs.catalog import instruments_of, processed_of, require
from pipeline.outputs.datapackage import datapackage, synthetic_title
from pipeline.outputs.fastcsv import write_frame_csv
from pipeline.outputs.io import read_csv, write_json
from pipeline.outputs.spss_export import write_processed_sav
from pipeline.outputs.transaction import remove_stale
from pipeline.study.codebook import Codebook, Instrument
from pipeline.study.config import OutputPaths, StudyConfig
from pipeline.study.plan import AnalysisPlan, derive_outcome, load_plan

INTEGER_TYPES = ("categorical", "ordinal", "integer")


def read_interim(paths: OutputPaths, instrument: Instrument) -> pd.DataFrame:
    """Read a cleaned CSV with the codebook's types (codes stay integers, not 1.0)."""
    path = require(paths.interim_csv(instrument.name), "clean")
    dtypes = {v.name: "Int64" for v in instrument.variables if v.type in INTEGER_TYPES}
    dtypes |= {v.name: "Float64" for v in instrument.variables if v.type == "number"}
    dtypes |= {v.name: "string" for v in instrument.variables
               if v.type in ("id", "unit", "date", "text")}
    return read_csv(path, keep_default_na=False, na_values=[""], dtype=dtypes)


def add_scales(frame: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Add ``<item>_r`` for reverse-worded items and ``scale_<name>`` (mean of answered items).

    ``frame`` is not modified: the columns are added to a shallow copy (copy-on-write).
    """
    out = frame.copy(deep=False)
    for scale in instrument.scales:
        columns = []
        for item in scale.items:
            if item in scale.reverse_items:
                # Integer codes reversed stay integers (5 -> 1), with missing kept missing.
                out[f"{item}_r"] = reverse_code(
                    out[item].astype("float64"), scale.minimum, scale.maximum
                ).round().astype("Int64")
                columns.append(f"{item}_r")
            else:
                columns.append(item)
        out[f"scale_{scale.name}"] = score_scale(
            out[columns].astype("float64"), min_items=scale.min_items
        )
    return out


def add_outcomes(frame: pd.DataFrame, plan: AnalysisPlan, dataset: str,
                 instrument: Instrument) -> pd.DataFrame:
    """Add the plan's outcomes for ``dataset`` that are new columns (in plan order).

    ``frame`` is not modified: the columns are added to a shallow copy (copy-on-write).
    """
    out = frame.copy(deep=False)
    for outcome in plan.for_dataset(dataset):
        if outcome.name not in out.columns:
            out[outcome.name] = derive_outcome(out, outcome, instrument)
    return out


def derive_jobseekers(
    candidates: pd.DataFrame, control: pd.DataFrame, codebook: Codebook, plan: AnalysisPlan
) -> pd.DataFrame:
    cand_inst = codebook.instruments["candidates"]
    ctrl_inst = codebook.instruments["control"]
    cand = add_scales(candidates, cand_inst)
    ctrl = add_scales(control, ctrl_inst)
    cand.insert(1, "groep", "werktop")
    ctrl.insert(1, "groep", "controle")
    frame = pd.concat([cand, ctrl], ignore_index=True, sort=False)
    frame.insert(2, "werktop", (frame["groep"] == "werktop").astype("int64"))
    return add_outcomes(frame, plan, "jobseekers", cand_inst)


def derive_employers(employers: pd.DataFrame, codebook: Codebook,
                     plan: AnalysisPlan) -> pd.DataFrame:
    inst = codebook.instruments["employers"]
    return add_outcomes(add_scales(employers, inst), plan, "employers", inst)


def derive_units(register: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """The register with total hours and a ``comparison`` flag (1 = comparison unit)."""
    frame = register.rename(columns={"gemeente": "unit"})
    frame["uren_totaal"] = frame["uren_gemeente"] + frame["uren_adviesbureau"]
    compared = {u.id for u in codebook.comparison_units} if codebook is not None else set()
    frame["comparison"] = frame["unit"].isin(compared).astype("int64")
    return frame


def run_derive(config: StudyConfig, paths: OutputPaths, codebook: Codebook) -> dict[str, int]:
    """Build, write and drop each processed data set in turn; then the data package.

    Only one data set is in memory at a time: it is written as CSV
    (:func:`pipeline.outputs.fastcsv.write_frame_csv`, the bytes of
    ``pipeline.outputs.io.write_csv``) and
    as ``.sav`` before the next is built. The data package needs only the column names.
    """
    plan = load_plan(codebook)
    present = instruments_of(config)

    def interim(name: str) -> pd.DataFrame:
        return read_interim(paths, codebook.instruments[name])

    builders = {
        "jobseekers": lambda: derive_jobseekers(
            interim("candidates"), interim("control"), codebook, plan
        ),
        "employers": lambda: derive_employers(interim("employers"), codebook, plan),
        "units": lambda: derive_units(interim("register"), codebook),
        "interviews": lambda: interim("interviews"),
    }
    headers: dict[str, pd.DataFrame] = {}  # each data set's columns, no rows
    counts: dict[str, int] = {}
    written: list[Path] = []
    for name in processed_of(present):
        frame = builders[name]()
        written.append(write_frame_csv(paths.processed_csv(name), frame))
        written += write_processed_sav(paths, {name: frame}, codebook, plan,
                                       synthetic=config.synthetic)
        # a new empty frame: a slice (iloc[:0]) would be a view keeping the data alive
        headers[name], counts[name] = pd.DataFrame(columns=frame.columns), len(frame)
        del frame  # before the next data set is built
    write_json(
        paths.datapackage,
        datapackage(headers, codebook, plan, name="werktop-eval-processed",
                    title=synthetic_title(f"{config.title}: analysis-ready data",
                                                config.synthetic)),
    )
    # data sets an earlier run wrote and this one does not (an instrument dropped)
    remove_stale(paths.processed, ("*.csv", "*.sav"), written)
    return counts
