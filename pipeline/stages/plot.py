"""Plot stage: draw every chapter's figures from the results tables (never from the data).

Writes ``figures/<name>.png`` and ``figures/<name>.svg`` for every figure a chapter declares
(``pipeline/chapters/*/chapter.py``). The look and the deterministic encoding are in
``pipeline/report/figure_style.py``; the drawing itself lives with the chapter that shows it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from pipeline.outputs.catalog import read_results_table, require
from pipeline.outputs.io import read_json, write_bytes
from pipeline.outputs.transaction import remove_stale
from pipeline.report.chapter import Chapter, FigureInputs, absent_chapters, load_chapters
from pipeline.report.charts import FOOTER_HEIGHT_IN
from pipeline.report.figure_cache import (
    RECIPE,
    RecordingStrings,
    figure_cache_path,
    file_digest,
    inputs_digest,
    read_cache,
    strings_unchanged,
)
from pipeline.report.figure_style import FORMATS, RC, figure_files
from pipeline.report.strings import load_strings
from pipeline.study.config import OutputPaths

#: gid of the footer text (the chart functions use the same).
FOOTER_GID = "footer"


def figure_paths(paths: OutputPaths, name: str, language: str = "nl") -> dict[str, Path]:
    return {fmt: paths.figures_for(language) / f"{name}.{fmt}" for fmt in FORMATS}


def figure_footer(stats: Mapping[str, Any], strings: Mapping[str, Any]) -> str | None:
    """The synthetic-data line every figure of a synthetic study carries (None otherwise)."""
    if not stats.get("study", {}).get("synthetic"):
        return None
    return str(strings["report"]["synthetic_footer"])


def has_footer(fig: Figure) -> bool:
    return bool(fig.findobj(lambda artist: artist.get_gid() == FOOTER_GID))


def add_footer(fig: Figure, footer: str) -> Figure:
    """Give a figure drawn without a footer the footer line, bottom left.

    Chart functions of ``pipeline/report/charts.py`` draw it themselves when passed ``footer``
    (a text with gid ``"footer"``). Any other figure grows by a strip of
    ``FOOTER_HEIGHT_IN`` inches at the bottom that holds the line; its constrained layout
    is confined to the area above the strip, so legends and labels never overlap it.
    """
    if has_footer(fig):
        return fig
    width, height = fig.get_size_inches()
    total = height + FOOTER_HEIGHT_IN
    strip = FOOTER_HEIGHT_IN / total
    fig.set_size_inches(width, total)
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(rect=(0, strip, 1, 1 - strip))  # the layout keeps off the strip
        for legend in fig.legends:
            # An "outside lower" figure legend sits at the figure's bottom edge, in the
            # margin the layout reserves at the bottom of ``rect``: lift it by the strip
            # (its pad to the edge is in font-size units).
            if getattr(legend, "_outside_loc", None) == "lower":
                legend.borderaxespad += FOOTER_HEIGHT_IN * 72 / legend._fontsize
    else:
        fig.subplots_adjust(bottom=strip + (1 - strip) * fig.subplotpars.bottom)
    fig.text(0.01, strip / 2, footer, ha="left", va="center", fontsize=7, color="#444444",
             gid=FOOTER_GID)  # fmt: skip
    return fig


def _cached_files(entry: Mapping[str, Any] | None, key: str, strings: Mapping[str, Any],
                  targets: Mapping[str, Path]) -> dict[str, bytes] | None:  # fmt: skip
    """The figure's files as the last run wrote them, if nothing it read has changed
    since (and the files are still those bytes); else None: draw it."""
    if not entry or entry.get("inputs") != key:
        return None
    if not strings_unchanged(strings, entry.get("strings", {})):
        return None
    files = {}
    for fmt, target in targets.items():
        try:
            data = target.read_bytes()
        except OSError:
            return None
        if file_digest(data) != entry.get("files", {}).get(fmt):
            return None
        files[fmt] = data
    return files


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
    footer = figure_footer(stats, strings)
    # Read every table first: a missing or broken one stops the stage before it writes.
    needed = dict.fromkeys(t for c in drawable for f in c.figures for t in f.tables)
    tables = {name: read_results_table(paths, specs[name]) for name in needed}
    written: list[Path] = []
    cache_path = figure_cache_path(paths, language)
    cache, new_cache = read_cache(cache_path), {"recipe": RECIPE, "figures": {}}
    with matplotlib.rc_context(RC):
        for chapter in drawable:
            for figure in chapter.figures:
                own = {name: tables[name] for name in figure.tables}
                targets = figure_paths(paths, figure.name, language)
                key = inputs_digest(own, stats, language, footer)
                files = _cached_files(cache.get("figures", {}).get(figure.name), key, strings,
                                      targets)  # fmt: skip
                if files is None:  # draw it, recording the strings it reads
                    recording = RecordingStrings(strings)
                    fig = figure.draw(FigureInputs(own, recording, stats, language, footer))
                    if footer:
                        add_footer(fig, footer)
                    files = figure_files(fig)
                    entry = {"inputs": key, "strings": recording.log}
                else:
                    entry = cache["figures"][figure.name]
                entry["files"] = {fmt: file_digest(files[fmt]) for fmt in targets}
                new_cache["figures"][figure.name] = entry
                for fmt, target in targets.items():
                    written.append(write_bytes(target, files[fmt]))
    write_bytes(cache_path, (json.dumps(new_cache, sort_keys=True, indent=1) + "\n").encode())
    # figures an earlier run drew and this one does not (a chapter whose source is absent)
    remove_stale(paths.figures_for(language), [f"*.{fmt}" for fmt in FORMATS], written)
    return written
