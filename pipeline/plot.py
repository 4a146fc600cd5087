"""Plot stage: draw every chapter's figures from the results tables (never from the data).

Writes ``figures/<name>.png`` and ``figures/<name>.svg`` for every figure a chapter declares
(``pipeline/chapters/*/chapter.py``). The look and the deterministic encoding are in
``pipeline/figure_style.py``; the drawing itself lives with the chapter that shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

from pipeline.catalog import read_results_table, require
from pipeline.chapter import Chapter, FigureInputs, absent_chapters, load_chapters
from pipeline.config import OutputPaths
from pipeline.figure_style import FORMATS, RC, figure_bytes
from pipeline.io import read_json, write_bytes
from pipeline.strings import load_strings


def figure_paths(paths: OutputPaths, name: str, language: str = "nl") -> dict[str, Path]:
    return {fmt: paths.figures_for(language) / f"{name}.{fmt}" for fmt in FORMATS}


def plot_figures(
    paths: OutputPaths, language: str, chapters: Sequence[Chapter] | None = None
) -> list[Path]:
    """Draw every report figure from ``results/`` and return the files written."""
    chapters = tuple(chapters) if chapters is not None else load_chapters()
    strings = load_strings(language, chapters)
    stats = read_json(require(paths.stats, "analyze"))
    absent = absent_chapters(stats)
    specs = {t.name: t for c in chapters for t in c.tables}
    drawable = [c for c in chapters if c.key not in absent]
    # Read every table first: a missing or broken one stops the stage before it writes.
    needed = dict.fromkeys(t for c in drawable for f in c.figures for t in f.tables)
    tables = {name: read_results_table(paths, specs[name]) for name in needed}
    written: list[Path] = []
    with matplotlib.rc_context(RC):
        for chapter in drawable:
            for figure in chapter.figures:
                own = {name: tables[name] for name in figure.tables}
                fig = figure.draw(FigureInputs(own, strings, stats, language))
                for fmt, target in figure_paths(paths, figure.name, language).items():
                    written.append(write_bytes(target, figure_bytes(fig, fmt)))
    return written
