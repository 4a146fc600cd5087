"""Render stage: the evaluation report as self-contained HTML and as PDF.

Walks the chapters of the registry (``pipeline/chapters/registry.toml``): reads
``results/stats.json``, each chapter's results tables and the figures, lets each chapter's
view reshape its tables for display, and renders ``report_templates/base.html.j2``, which
includes every chapter's template. Writes ``reports/werktop_report[_<lang>].{html,pdf}``
(WeasyPrint, from the very same HTML). Templates only format; every number comes from the
results.

Determinism: the HTML embeds the stylesheet (fonts as base64 data URIs) and the figures
(inline SVG markup, see :func:`inline_svg`) and contains no date. The PDF carries no
creation/modification date (WeasyPrint only writes them when the HTML has
``dcterms.created``/``dcterms.modified`` metas, which the templates never emit) and its
file identifier is derived from the HTML, so identical inputs give identical bytes. Hence
an unchanged HTML reuses the last run's PDF instead of running WeasyPrint again
(``pipeline/report/pdf_cache.py``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import pickle
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pandas as pd
from jinja2 import (
    BytecodeCache,
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
)
from markupsafe import Markup

from pipeline.outputs.catalog import read_results_table, require
from pipeline.outputs.io import read_json, write_bytes, write_text
from pipeline.report.anchors import check as check_anchors
from pipeline.report.anchors import stat
from pipeline.report.chapter import (
    CHAPTERS_DIR,
    Chapter,
    ViewInputs,
    absent_chapters,
    load_chapters,
)
from pipeline.report.formatting import LANGUAGE_FILTERS, MISSING, fmt_check, fmt_level
from pipeline.report.headings import number_headings
from pipeline.report.numbering import References
from pipeline.report.pdf_cache import cache_entry, cached_pdf, pdf_cache_path, pdf_key
from pipeline.report.strings import load_strings
from pipeline.report.view import fill, join_names
from pipeline.study.config import LANGUAGES, PROJECT_ROOT, OutputPaths
from pipeline.study.errors import UserError

TEMPLATE_DIR = PROJECT_ROOT / "report_templates"
STYLESHEET = TEMPLATE_DIR / "report.css"
#: Fixed timestamp for anything in the PDF toolchain that would use "now" (2014-06-01 UTC,
#: the month of the original report).
SOURCE_DATE_EPOCH = 1401580800
#: stats.json keys every report needs, besides those the chapters declare.
REQUIRED_STATS = ("study.title", "study.synthetic", "study.alpha", "study.confidence")


def _lookup(data: Mapping, dotted: str) -> bool:
    node: object = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


_FONT_URL = re.compile(r'url\("(fonts/[A-Za-z0-9_.-]+\.woff)"\)')


def stylesheet() -> str:
    """The report stylesheet with its bundled fonts (``report_templates/fonts/``) inlined
    as data URIs, so the HTML stays self-contained and the PDF uses exactly those fonts."""
    css = STYLESHEET.read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        data = base64.b64encode((TEMPLATE_DIR / match.group(1)).read_bytes()).decode("ascii")
        return f'url("data:font/woff;base64,{data}")'

    return _FONT_URL.sub(inline, css)


_SVG_START = re.compile(r"<svg[\s>]")
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_XMLNS = re.compile(r'\s+xmlns(?::xlink)?="[^"]*"')
_TAG = re.compile(r"<[^>]+>")  # SVG writers escape ">" in attribute values and text
_ID_OR_REFERENCE = re.compile(r'(\sid="|href="#|url\(#)')


def inline_svg(svg: str, prefix: str) -> Markup:
    """A figure's SVG file as markup to place inside the HTML.

    The XML prolog, the doctype and the metadata are dropped, and the namespace
    declarations (the HTML parser puts ``<svg>`` and ``xlink:href`` in their namespaces by
    itself); every id and every reference to one (``href="#…"``, ``url(#…)``) inside a
    tag gets ``prefix`` so that figures never share an id (text is left alone).

    Inline rather than an ``<img>``: text inside an SVG *image* cannot use the fonts the
    page loads, text inside inline SVG can, so browsers and WeasyPrint both set the labels
    in the report's bundled font.
    """
    start = _SVG_START.search(svg)
    if start is None:
        raise ValueError("not an SVG document")
    root_end = svg.index(">", start.start())
    root = _XMLNS.sub("", svg[start.start() : root_end])
    body = _METADATA.sub("", svg[root_end:], count=1)

    def prefixed(tag: re.Match[str]) -> str:
        return _ID_OR_REFERENCE.sub(lambda m: f"{m.group(1)}{prefix}-", tag.group())

    return Markup(_TAG.sub(prefixed, root + body))


def _figure_markup(path: Path, name: str) -> Markup:
    return inline_svg(path.read_text(encoding="utf-8"), f"fig-{name}")


def load_inputs(paths: OutputPaths, chapters: Sequence[Chapter], language: str = "nl") -> dict:
    """Everything the report needs; a UserError lists every missing file, column or key."""
    problems: list[str] = []
    stats: dict = {}
    try:
        stats = read_json(require(paths.stats, "analyze"))
    except UserError as exc:
        problems.extend(exc.messages)
    absent = absent_chapters(stats)
    present = [c for c in chapters if c.key not in absent]
    if stats:
        wanted = list(REQUIRED_STATS) + [k for c in present for k in c.stats]
        missing_keys = [key for key in dict.fromkeys(wanted) if not _lookup(stats, key)]
        if missing_keys:
            problems.append(f"{paths.stats}: missing key(s) {missing_keys}")
    tables: dict[str, pd.DataFrame] = {}
    figures: dict[str, Markup] = {}
    for chapter in present:
        for spec in chapter.tables:
            try:
                tables[spec.name] = read_results_table(paths, spec)
            except UserError as exc:
                problems.extend(exc.messages)
        for exhibit in chapter.exhibits:
            kind, _, name = exhibit.partition(":")
            if kind != "figure":
                continue
            try:
                svg = paths.figures_for(language) / f"{name}.svg"
                figures[name] = _figure_markup(require(svg, "plot"), name)
            except UserError as exc:
                problems.extend(exc.messages)
    if problems:
        raise UserError(problems, hint="build the earlier stages, e.g. `make report`")
    return {"stats": stats, "tables": tables, "figures": figures}


#: Where the shipped templates' compiled code is kept between runs (git-ignored, as
#: Python keeps its own in ``__pycache__``). Compiling the report's templates takes 1-2 s.
TEMPLATE_CACHE_DIR = TEMPLATE_DIR / "__pycache__"


class _TemplateCache(FileSystemBytecodeCache):
    """Jinja's file cache of compiled templates, keyed by template name and checked
    against a checksum of its source (an edited template is compiled again). Speed only:
    a cache that cannot be read or written is compiled around, never an error."""

    def load_bytecode(self, bucket):  # type: ignore[no-untyped-def]
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError, TypeError, pickle.UnpicklingError):
            bucket.reset()

    def dump_bytecode(self, bucket):  # type: ignore[no-untyped-def]
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def template_cache(chapters_dir: Path) -> BytecodeCache | None:
    """The compiled-template cache for the shipped chapters (None for another chapters
    folder, e.g. a test's copy, so that copies do not pile up entries)."""
    if Path(chapters_dir).resolve() != CHAPTERS_DIR.resolve():
        return None
    return _TemplateCache(str(TEMPLATE_CACHE_DIR))


def make_environment(language: str, chapters_dir: Path = CHAPTERS_DIR) -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(str(TEMPLATE_DIR)), FileSystemLoader(str(chapters_dir))]
        ),
        bytecode_cache=template_cache(chapters_dir),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.do"],
    )
    for name, function in LANGUAGE_FILTERS.items():
        env.filters[name] = partial(function, language=language)
    env.filters["fmt_check"] = fmt_check
    env.filters["stat"] = partial(stat, language=language)
    env.filters["fill"] = fill
    env.filters["join_names"] = join_names
    env.globals["MISSING"] = MISSING
    return env


def render_html(inputs: dict, language: str, chapters: Sequence[Chapter]) -> str:
    """The report as one self-contained HTML document."""
    strings = load_strings(language, chapters)
    stats = inputs["stats"]
    absent = absent_chapters(stats)
    context: dict = {
        "lang": language,
        "s": strings,
        "stats": stats,
        "study": stats["study"],
        "css": Markup(stylesheet()),
        "figures": inputs["figures"],
        "ref": References(chapters, absent=set(absent)),
        "level": fmt_level(stats["study"]["confidence"], language),
        "chapters": chapters,
        "absent": absent,
    }
    for chapter in chapters:
        if chapter.view is None or chapter.key in absent:
            continue
        tables = {t.name: inputs["tables"][t.name] for t in chapter.tables}
        added = chapter.view(ViewInputs(tables, stats, strings, language))
        clash = sorted(set(added) & set(context))
        if clash:
            raise RuntimeError(f"chapter {chapter.key!r}: view keys {clash} are already used")
        context.update(added)
    chapters_dir = chapters[0].directory.parent if chapters else CHAPTERS_DIR
    env = make_environment(language, chapters_dir)
    html = env.get_template("base.html.j2").render(context)
    numbers = {c.key: context["ref"].chapter(c.key) for c in chapters if c.kind == "chapter"}
    return number_headings(html, numbers)


@contextmanager
def _source_date_epoch() -> Iterator[None]:
    """Pin SOURCE_DATE_EPOCH while WeasyPrint runs (unless the user has set it).

    Without HarfBuzz-subset, WeasyPrint subsets fonts with fontTools, which stamps the
    subset's ``head.modified`` with the current time unless SOURCE_DATE_EPOCH is set.
    """
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    if previous is None:
        os.environ["SOURCE_DATE_EPOCH"] = str(SOURCE_DATE_EPOCH)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def html_to_pdf(html: str) -> bytes:
    """PDF bytes from the report HTML; deterministic for identical HTML.

    No /CreationDate or /ModDate (the HTML has no dcterms date metas), a file /ID derived
    from the HTML, and font subsets stamped with a fixed SOURCE_DATE_EPOCH.
    """
    from weasyprint import HTML  # imported lazily: heavy, and only this stage needs it

    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    with _source_date_epoch():
        document = HTML(string=html, base_url=str(TEMPLATE_DIR)).render()
        pdf = document.write_pdf(pdf_identifier=identifier)
    if not isinstance(pdf, bytes):
        raise TypeError("WeasyPrint did not return PDF bytes")
    return pdf


def render_report(
    paths: OutputPaths, language: str, chapters: Sequence[Chapter] | None = None
) -> tuple[Path, Path]:
    """Write the HTML and PDF report in ``language``; returns (html_path, pdf_path)."""
    if language not in LANGUAGES:
        raise UserError(f"report language {language!r} — expected one of {LANGUAGES}")
    chapters = tuple(chapters) if chapters is not None else load_chapters()
    inputs = load_inputs(paths, chapters, language)
    html = render_html(inputs, language, chapters)
    problems = check_anchors(html, inputs["tables"], language)
    if problems:  # a template shows a copy of a statistic that is not its results row
        raise RuntimeError("report statistics disagree with their results rows:\n  "
                           + "\n  ".join(problems))
    # WeasyPrint runs only when the HTML differs from the last PDF's (pipeline/report/pdf_cache.py)
    key, cache_path = pdf_key(html), pdf_cache_path(paths, language)
    pdf = cached_pdf(cache_path, key, paths.report(language, "pdf"))
    if pdf is None:
        pdf = html_to_pdf(html)
    html_path = write_text(paths.report(language, "html"), html)
    pdf_path = write_bytes(paths.report(language, "pdf"), pdf)
    write_bytes(cache_path, cache_entry(key, pdf))
    return html_path, pdf_path
