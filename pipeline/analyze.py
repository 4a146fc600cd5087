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

from pipeline.catalog import (
    PROCESSED_SOURCES,
    check_table,
    instruments_of,
    require,
    results_datapackage,
)
from pipeline.chapter import AnalysisInputs, Chapter, SourceAbsent, load_chapters
from pipeline.codebook import Codebook
from pipeline.config import PROJECT_ROOT, OutputPaths, StudyConfig
from pipeline.io import write_csv, write_json
from pipeline.plan import load_plan


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
            return pd.read_csv(path, keep_default_na=False, encoding="utf-8")
        if name == "validation_report":
            path = require(self._paths.validation_report, "validate")
            return pd.read_csv(path, keep_default_na=False, encoding="utf-8")
        sources = PROCESSED_SOURCES[name]
        missing = tuple(s for s in sources if s not in self._instruments)
        if missing:
            raise SourceAbsent(name, missing)
        path = require(self._paths.processed_csv(name), "derive")
        return pd.read_csv(path, keep_default_na=False, na_values=[""], encoding="utf-8")


def _relative(path: Path) -> str:
    """A path as readers of the report can find it: relative to the project if inside it,
    otherwise the file name only (absolute paths would make outputs machine-dependent)."""
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return path.name


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
    }


def scenario_truth(config: StudyConfig) -> dict | None:
    """A synthetic study's planted truth: ``truth.json`` beside its scenario, else None."""
    if not config.synthetic or config.scenario is None:
        return None
    path = Path(config.scenario).with_name("truth.json")
    if not path.is_file():
        return None
    import json

    return json.loads(path.read_text(encoding="utf-8"))


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
        seed=config.seed,
        study=study,
        truth=scenario_truth(config),
    )
    stats: dict = {"study": study}
    tables: dict[str, pd.DataFrame] = {}
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
            tables[name] = check_table(declared[name], frame)
            specs[name] = declared[name]
        for key, value in result.stats.items():
            if key in stats:
                raise RuntimeError(f"chapter {chapter.key!r}: stats key {key!r} already used")
            stats[key] = value
    if absent:
        stats["absent"] = absent

    for name, frame in tables.items():
        write_csv(paths.tables / f"{name}.csv", frame)
    write_json(
        paths.tables / "datapackage.json",
        results_datapackage(specs, tables, title=f"{config.title}: results tables"),
    )
    write_json(paths.stats, stats)
    return {"tables": len(tables)}
