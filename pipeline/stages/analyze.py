"""Analyze stage: processed data -> ``results/tables/*.csv``, ``stats.json`` and a data package.

Thin: it walks the chapters of the registry and calls each chapter's analysis step (which
selects columns and calls the pure functions in ``analysis/``), checks every table against
the chapter's declared columns, and writes what they return. Every number the report quotes
is written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from pipeline.outputs import console
from pipeline.outputs.catalog import (
    PROCESSED_SOURCES,
    WORKBOOK_NAME,
    check_table,
    instruments_of,
    require,
    results_datapackage,
)
from pipeline.outputs.datapackage import synthetic_title
from pipeline.outputs.io import read_csv, read_json, write_csv, write_json
from pipeline.outputs.provenance import build_provenance, provenance_path, provenance_stats
from pipeline.outputs.transaction import remove_stale
from pipeline.outputs.workbook import write_workbook
from pipeline.report.chapter import AnalysisInputs, Chapter, SourceAbsent, load_chapters
from pipeline.report.disclosure_control import (
    SECONDARY_MARKER,
    plan_links,
    primary_marker,
    suppress_tables,
)
from pipeline.study.codebook import Codebook
from pipeline.study.config import PROJECT_ROOT, OutputPaths, StudyConfig
from pipeline.study.plan import load_plan
from pipeline.study.privacy import redact_path


class DataSets:
    """Reads each data set an analysis step asks for once: processed data sets by name,
    plus the clean stage's ``sample_flow`` and the validate stage's ``validation_report``."""

    def __init__(self, paths: OutputPaths, instruments: Sequence[str]) -> None:
        self._paths = paths
        self._instruments = set(instruments)
        self._cache: dict[str, pd.DataFrame] = {}

    def get(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            self._cache[name] = self._read(name)
        return self._cache[name]

    def _read(self, name: str) -> pd.DataFrame:
        if name == "sample_flow":
            path = require(self._paths.sample_flow, "clean")
            return read_csv(path, keep_default_na=False)
        if name == "validation_report":
            path = require(self._paths.validation_report, "validate")
            return read_csv(path, keep_default_na=False)
        sources = PROCESSED_SOURCES[name]
        missing = tuple(s for s in sources if s not in self._instruments)
        if missing:
            raise SourceAbsent(name, missing)
        path = require(self._paths.processed_csv(name), "derive")
        return read_csv(path, keep_default_na=False, na_values=[""])


def _relative(path: Path) -> str:
    """A path as readers of the report can find it: relative to the project if inside it,
    otherwise the file name only (absolute paths would make outputs machine-dependent);
    personal data typed into a name is redacted."""
    try:
        shown = path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        shown = path.name
    return redact_path(shown)


def study_stats(config: StudyConfig) -> dict:
    return {
        "title": config.title,
        "synthetic": config.synthetic,
        "language": config.language,
        "alpha": config.alpha,
        # The confidence level of every interval; rounded so 1 - 0.07 prints as 93%.
        "confidence": round(1 - config.alpha, 10),
        "seed": config.seed,
        "config": _relative(config.path),
        "scenario": _relative(config.scenario) if config.scenario else None,
        "field_period": ([d.isoformat() for d in config.field_period]
                         if config.field_period else None),
        # [costs] and [recruitment.<survey>] as given (absent: not given).
        "costs": dict(config.hourly_rates),
        "recruitment": {
            survey: {key: ([d.isoformat() for d in value] if key == "period" else value)
                     for key, value in spec.items()}
            for survey, spec in config.recruitment.items()
        },
    }


def run_analyze(
    config: StudyConfig,
    paths: OutputPaths,
    codebook: Codebook,
    chapters: Sequence[Chapter] | None = None,
) -> dict[str, int]:
    chapters = tuple(chapters) if chapters is not None else load_chapters()
    instruments = instruments_of(config)
    data = DataSets(paths, instruments)
    study = study_stats(config)
    inputs = AnalysisInputs(
        data=data.get,
        codebook=codebook,
        plan=load_plan(codebook),
        alpha=config.alpha,
        multiplicity=config.multiplicity,
        workers=config.workers,
        min_cell=config.min_cell,
        seed=config.seed,
        study=study,
        truth=read_json(config.truth) if config.synthetic and config.truth else None,
    )
    record = build_provenance(config)
    stats: dict = {"study": study, "provenance": provenance_stats(record)}
    unsuppressed: dict[str, pd.DataFrame] = {}
    specs = {}
    absent: dict[str, list[str]] = {}
    for chapter in chapters:
        missing = [s for s in chapter.sources if s not in instruments]
        if missing:
            absent[chapter.key] = missing
            continue
        if chapter.analyze is None:
            continue
        try:
            result = chapter.analyze(replace(inputs, earlier=MappingProxyType(dict(stats))))
        except SourceAbsent as exc:
            absent[chapter.key] = list(exc.instruments)
            continue
        declared = {t.name: t for t in chapter.tables}
        if set(result.tables) != set(declared):
            raise RuntimeError(
                f"chapter {chapter.key!r} returned tables {sorted(result.tables)}, "
                f"declared {sorted(declared)}"
            )
        for name, frame in result.tables.items():
            unsuppressed[name] = check_table(declared[name], frame)
            specs[name] = declared[name]
        for key, value in result.stats.items():
            if key in stats:
                raise RuntimeError(f"chapter {chapter.key!r}: stats key {key!r} already used")
            stats[key] = value
    if absent:
        stats["absent"] = absent
    # All tables at once: a cell shown in several tables, or a total published in
    # another table, is protected against every table that shows it.
    disclosure = suppress_tables(
        {name: (specs[name], frame) for name, frame in unsuppressed.items()},
        config.min_cell, links=plan_links(inputs.plan),
    )
    tables = disclosure.tables
    # cells a chapter hid itself (a minimum or maximum of one respondent) count too
    own = {name: int(frame.isin([SECONDARY_MARKER]).to_numpy().sum())
           for name, frame in unsuppressed.items()}  # fmt: skip
    counted = {name: disclosure.suppressed.get(name, 0) + own.get(name, 0)
               for name in tables}  # fmt: skip
    suppressed_cells = {name: n for name, n in counted.items() if n}
    for link in disclosure.broken_links:
        console.warn(f"analyze: disclosure control — the numbers do not fit a declared "
                     f"link, ignored: {link}")
    for cell in disclosure.unprotected:
        console.warn(f"analyze: disclosure control — {cell} can still be computed from "
                     f"published totals: nothing left to suppress")
    for cell in disclosure.groups:
        console.warn(f"analyze: disclosure control — {cell} is 0: a share of 100% that "
                     f"nothing left to suppress can hide (every member of the group)")
    stats["disclosure"] = {
        "min_cell": config.min_cell,
        "marker": primary_marker(config.min_cell),
        "secondary_marker": SECONDARY_MARKER,
        "suppressed_cells": suppressed_cells,
    }

    written = [write_csv(paths.tables / f"{name}.csv", frame) for name, frame in tables.items()]
    markers = [primary_marker(config.min_cell), SECONDARY_MARKER]
    write_json(
        paths.tables / "datapackage.json",
        results_datapackage(specs, tables,
                            title=synthetic_title(f"{config.title}: results tables",
                                                  config.synthetic),
                            missing_values=markers),
    )
    internal = [  # internal use only: the counts before suppression
        write_csv(paths.unsuppressed / f"{name}.csv", frame)
        for name, frame in (unsuppressed.items() if config.keep_unsuppressed else ())
    ]
    # Tables an earlier run wrote and this one does not (an instrument dropped, a chapter
    # removed), and every unsuppressed table once keep_unsuppressed is off.
    remove_stale(paths.tables, ("*.csv",), written)
    remove_stale(paths.unsuppressed, ("*.csv",), internal)
    write_json(paths.stats, stats)
    write_json(provenance_path(paths), record)
    write_workbook(paths.results / WORKBOOK_NAME, tables, specs, chapters, study, absent)
    return {"tables": len(tables)}
