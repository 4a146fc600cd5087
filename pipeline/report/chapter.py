"""A report chapter as one unit, and the loader of the report's outline.

Every chapter (and the title page, front matter and appendices) lives in its own folder
under ``pipeline/chapters/<key>/``:

- ``chapter.py`` defines ``CHAPTER``: the results tables it writes, the figures it draws,
  the numbered exhibits it shows in order, and its analysis step and view function;
- ``template.html.j2`` renders it (imports the shared macros from ``report_templates/``);
- ``nl.toml`` and ``en.toml`` hold its fixed text (same keys; placeholders only, no numbers).
- other ``.py`` files (optional) split a large chapter's code by job; ``chapter.py`` imports
  them relatively (``from .estimates import ...``, see ``pipeline/chapters/jobseekers/``).

``pipeline/chapters/registry.toml`` lists the folders in reading order. Adding a chapter is
adding its folder and one line there: chapter, table and figure numbers, the table of
contents and cross-references follow from the registry (see ``pipeline/report/numbering.py``).

The analyze, plot and render stages each walk the same list, so a chapter's analysis, its
figures and its text cannot drift apart.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from pipeline.study.errors import UserError
from pipeline.study.schema import check_table, did_you_mean, strings

CHAPTERS_DIR = Path(__file__).resolve().parent.parent / "chapters"
#: front: unnumbered, before the chapters, not in the contents; back: unnumbered, after
#: them, in the contents unless ``in_toc=False`` (literature, glossary, colophon).
KINDS = ("front", "chapter", "appendix", "back")


@dataclass(frozen=True)
class TableSpec:
    """A results table ``results/tables/<name>.csv`` written by a chapter's analysis step.

    ``columns`` is the contract: the analysis step must return exactly these columns (in
    this order), the plot and render stages may rely on them. Column types and descriptions
    come from the vocabulary in ``pipeline/outputs/catalog.py``; ``extra_columns`` documents
    columns that only this table has (name -> (frictionless type, description)).
    """

    name: str
    columns: tuple[str, ...]
    description: str
    may_be_empty: bool = False
    extra_columns: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: Disclosure control (``analysis/disclosure.py``): count-of-respondents column ->
    #: the columns computed from it (percentages), suppressed together below ``min_cell``.
    #: Empty for tables that hold no counts of respondents' answers (e.g. the sample flow,
    #: whose counts describe the data handling).
    suppress: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Which totals the table publishes ("rows", "columns", "both" or "none"), for
    #: secondary suppression; ``suppress_within`` names a column whose values delimit
    #: separate sub-tables (e.g. one per variable in a long table).
    margins: str = "none"
    suppress_within: str | tuple[str, ...] | None = None
    #: Rows published for other reasons and left out of disclosure control altogether
    #: (column -> values), e.g. ``{"code": ("missing",)}``: item non-response tells nothing
    #: about a respondent's answer, and the published n_valid / n_total give it anyway.
    suppress_exempt: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Rows holding totals of the other rows (column -> values), e.g. ``{"unit":
    #: ("total",)}``: suppressed like any row, but chosen as a complement only when the
    #: body has nothing left; a suppressed total means that column's total is not
    #: published.
    total_rows: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Count column -> the column with the total it is part of (``{"n_pass": "n"}``): the
    #: unpublished rest ``total - count`` is a cell too, so a count whose rest is below
    #: ``min_cell`` is suppressed ("x"): "97% of 77" would otherwise reveal 2 fails.
    #: Several totals may be given (a count nested in two others).
    complements: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    #: For a long table whose one count column forms a two-way grid: (row key, column key),
    #: e.g. ``("code", "group")``. Each sub-table (``suppress_within``) is pivoted to
    #: rows x columns and suppressed there, so that ``margins`` refers to the grid's row
    #: totals (e.g. a published "total" group) and column totals (n valid per group).
    suppress_grid: tuple[str, str] | None = None
    #: The column key of ``suppress_grid`` whose cells are the other columns' row totals
    #: (e.g. ``"total"``: the total group): a row's relation is then "the groups add up
    #: to the total", and the total column is a distribution protected like the others.
    grid_total: str | None = None
    #: Linked tables. Count column -> a key naming what the cell counts, study-wide,
    #: formatted with the row's values: ``{"n": "jobseekers:{item}={code}:{group}"}``.
    #: Cells with the same key in any tables are one cell: suppressed in every table
    #: when suppressed in one, and protected against the totals of all of them. Keys
    #: read ``<dataset>:<variable>=<code>:<group>[:...]`` (``=<code>`` lets a count of a
    #: derived outcome be linked to its source's codes, see ``plan_links``).
    cell_keys: Mapping[str, str] = field(default_factory=dict)
    #: Renames row values before they go into a key (column -> {value: key value}), e.g.
    #: ``{"group": {"controle": "control"}}``.
    key_values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: Count column -> keys of the cells it is the sum of (formatted like ``cell_keys``),
    #: wherever they are published: ``{"n_agree": ("employers:{item}=4:total", ...)}``.
    #: Parts no table publishes form one hidden cell (the rest), protected like a
    #: complement.
    cell_sums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class FigureInputs:
    """What a figure's draw function gets: its results tables, the strings and the stats.

    ``footer`` is the line every figure of a synthetic study carries (the strings'
    ``report.synthetic_footer``; None for real data). Pass it to the chart functions of
    ``pipeline/report/charts.py``; the plot stage adds it to a figure drawn without it.
    """

    tables: Mapping[str, pd.DataFrame]
    strings: Mapping[str, Any]
    stats: Mapping[str, Any]
    language: str
    footer: str | None = None


@dataclass(frozen=True)
class FigureSpec:
    """A figure ``figures/<name>.{png,svg}`` drawn from results tables (never from data)."""

    name: str
    tables: tuple[str, ...]
    draw: Callable[[FigureInputs], Any]  # returns a matplotlib Figure


@dataclass(frozen=True)
class AnalysisInputs:
    """What an analysis step gets. ``data(name)`` reads a processed or interim data set."""

    data: Callable[[str], pd.DataFrame]
    codebook: Any
    plan: Any
    alpha: float
    multiplicity: str
    seed: int
    study: Mapping[str, Any]
    #: stats.json entries of the chapters analysed before this one (read-only), so a
    #: chapter such as the conclusions can build on what earlier chapters found.
    earlier: Mapping[str, Any] = field(default_factory=dict)
    #: For a synthetic study: the scenario's truth.json (planted effects); else None.
    truth: Mapping[str, Any] | None = None
    #: Worker processes for independent computations such as imputation chains
    #: (0 = one per CPU); results do not depend on it.
    workers: int = 1


class SourceAbsent(Exception):
    """Raised by ``AnalysisInputs.data`` when the study has no input for a data set."""

    def __init__(self, dataset: str, instruments: tuple[str, ...]) -> None:
        self.dataset = dataset
        self.instruments = instruments
        super().__init__(f"{dataset}: the study has no {', '.join(instruments)} input")


@dataclass(frozen=True)
class ChapterResults:
    """An analysis step's output: tables by name, and stats merged into ``stats.json``."""

    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    stats: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ViewInputs:
    """What a view function gets to build its template context (already read results)."""

    tables: Mapping[str, pd.DataFrame]
    stats: Mapping[str, Any]
    strings: Mapping[str, Any]
    language: str


@dataclass(frozen=True)
class Chapter:
    """One unit of the report. See the module docstring for the folder layout.

    ``exhibits`` lists the numbered tables and figures the chapter shows, in the order they
    appear, as ``"table:<key>"`` / ``"figure:<name>"``; numbers are assigned from it.
    ``exhibit_tables`` maps a table exhibit to the results table it shows when the names
    differ (``{"employment_tests": "employment_comparison"}``); the workbook's README sheet
    uses it to say where each results table appears in the report.
    ``stats`` lists the dotted ``stats.json`` keys the template needs.
    ``sources`` names optional instruments the chapter rests on: when the study has none of
    them, the chapter says the source is absent instead of failing.
    """

    key: str
    kind: str = "chapter"
    tables: tuple[TableSpec, ...] = ()
    figures: tuple[FigureSpec, ...] = ()
    exhibits: tuple[str, ...] = ()
    exhibit_tables: Mapping[str, str] = field(default_factory=dict)
    stats: tuple[str, ...] = ()
    analyze: Callable[[AnalysisInputs], ChapterResults] | None = None
    view: Callable[[ViewInputs], Mapping[str, Any]] | None = None
    sources: tuple[str, ...] = ()
    in_toc: bool = True
    directory: Path = Path()

    @property
    def template(self) -> str:
        """The template's name for the Jinja loader (rooted at the chapters folder)."""
        return f"{self.directory.name}/template.html.j2"

    def strings_file(self, language: str) -> Path:
        return self.directory / f"{language}.toml"


def absent_chapters(stats: Mapping[str, Any]) -> dict[str, list[str]]:
    """Chapters whose source instruments the study lacks, as the analyze stage recorded
    them in ``stats.json`` (chapter key -> missing instruments)."""
    return dict(stats.get("absent", {}))


def _import_chapter_module(folder: Path) -> ModuleType:
    """Import ``<folder>/chapter.py`` by path, so chapter folders need no package wiring.

    The folder becomes a package of its own (``werktop_chapters.<hash>.<key>``), so a large
    chapter can split its code into sibling modules and import them relatively
    (``from .estimates import ...``).
    """
    path = folder / "chapter.py"
    if not path.is_file():
        raise UserError(f"{folder}: a chapter folder needs a chapter.py defining CHAPTER")
    # The package name depends on the folder's full path: a copy of the chapters folder
    # (as the structure test makes) never shares modules with the shipped one.
    tag = hashlib.sha1(str(folder.resolve().parent).encode()).hexdigest()[:10]
    package = f"werktop_chapters.c{tag}.{folder.name}"
    name = f"{package}.chapter"
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(path):
        return sys.modules[name]
    for parent in ("werktop_chapters", f"werktop_chapters.c{tag}", package):
        if parent not in sys.modules:
            holder = ModuleType(parent)
            holder.__path__ = [str(folder)] if parent == package else []
            sys.modules[parent] = holder
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def chapter_module(key: str, directory: Path = CHAPTERS_DIR) -> ModuleType:
    """The ``chapter.py`` module of chapter ``key`` (for tests of its helper functions)."""
    return _import_chapter_module(Path(directory) / key)


def load_chapters(directory: Path = CHAPTERS_DIR) -> tuple[Chapter, ...]:
    """The report's chapters in reading order, from ``<directory>/registry.toml``."""
    directory = Path(directory)
    registry = directory / "registry.toml"
    try:
        with registry.open("rb") as fh:
            outline = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise UserError(f"chapter registry not found: {registry}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{registry}: not valid TOML: {exc}") from exc
    check_table(outline, {"chapters": strings}, str(registry), noun="key", top=True,
                required=("chapters",))
    keys = outline["chapters"]
    folders = sorted(p.name for p in directory.iterdir() if (p / "chapter.py").is_file())
    chapters = []
    for i, key in enumerate(keys):
        folder = directory / key
        if key not in folders:
            raise UserError(f"{registry}: chapters — {key!r} is not a chapter folder (a folder "
                            f"with a chapter.py) in {directory}; {did_you_mean(key, folders)}")
        if key in keys[:i]:
            raise UserError(f"{registry}: chapters — {key!r} is listed twice")
        module = _import_chapter_module(folder)
        chapter = getattr(module, "CHAPTER", None)
        if not isinstance(chapter, Chapter):
            raise UserError(f"{folder / 'chapter.py'}: "
                            "CHAPTER must be a pipeline.report.chapter.Chapter")
        if chapter.key != key:
            raise UserError(f"{folder / 'chapter.py'}: CHAPTER.key {chapter.key!r} != {key!r}")
        if chapter.kind not in KINDS:
            raise UserError(f"{folder}: kind {chapter.kind!r}; expected one of {KINDS}")
        chapters.append(_with_directory(chapter, folder))
    _check_unique(chapters, registry)
    return tuple(chapters)


def _with_directory(chapter: Chapter, folder: Path) -> Chapter:
    from dataclasses import replace

    return replace(chapter, directory=folder)


def _check_unique(chapters: list[Chapter], registry: Path) -> None:
    """Table, figure and exhibit names are global keys; a clash is a programming error."""
    seen: dict[str, str] = {}
    for chapter in chapters:
        names = [f"results:{t.name}" for t in chapter.tables]
        names += [f"figure-file:{f.name}" for f in chapter.figures]
        names += list(chapter.exhibits)
        for name in names:
            if name in seen:
                raise UserError(
                    f"{registry}: {name!r} is declared by both {seen[name]!r} and {chapter.key!r}"
                )
            seen[name] = chapter.key
        for exhibit in chapter.exhibits:
            kind, _, _ = exhibit.partition(":")
            if kind not in ("table", "figure"):
                raise UserError(f"{chapter.key}: exhibit {exhibit!r} must be table:… or figure:…")
        drawn = {f.name for f in chapter.figures}
        for exhibit in chapter.exhibits:
            if exhibit.startswith("figure:") and exhibit[7:] not in drawn:
                # A chapter may show a figure drawn by another chapter; it must exist somewhere.
                if not any(exhibit[7:] in {f.name for f in c.figures} for c in chapters):
                    raise UserError(f"{chapter.key}: shows figure {exhibit[7:]!r} nobody draws")
