"""Render stage: the evaluation report as self-contained HTML and as PDF.

Reads ``results/stats.json``, the results tables and the figures, renders the Jinja2
templates in ``report_templates/`` (a base layout and one template per chapter) and writes
``reports/werktop_report.html`` and ``reports/werktop_report.pdf`` (WeasyPrint, from the very
same HTML). Templates only format; every number comes from the results.

Determinism: the HTML embeds the stylesheet and the figures (base64 data URIs) and contains
no date. The PDF carries no creation/modification date (WeasyPrint only writes them when
the HTML has ``dcterms.created``/``dcterms.modified`` metas, which the templates never emit)
and its file identifier is derived from the HTML, so identical inputs give identical bytes.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from pipeline.config import LANGUAGES, PROJECT_ROOT, OutputPaths
from pipeline.errors import UserError
from pipeline.formatting import LANGUAGE_FILTERS, MISSING, fmt_check, is_missing
from pipeline.io import read_json, write_bytes, write_text

TEMPLATE_DIR = PROJECT_ROOT / "report_templates"
STRINGS_DIR = TEMPLATE_DIR / "strings"
STYLESHEET = TEMPLATE_DIR / "report.css"
CHAPTERS = (
    "chapters/title.html.j2",
    "chapters/methods.html.j2",
    "chapters/units.html.j2",
    "chapters/employment.html.j2",
)
FIGURES = ("unit_attainment", "employment_comparison")
#: Fixed timestamp for anything in the PDF toolchain that would use "now" (2014-06-01 UTC,
#: the month of the original report).
SOURCE_DATE_EPOCH = 1401580800

UNIT_COLUMNS = ("unit", "unit_name", "indicator", "target", "achieved", "attainment", "target_met")
EMPLOYMENT_COLUMNS = (
    "outcome", "label_nl", "label_en",
    "n_treated", "events_treated", "p_treated",
    "n_control", "events_control", "p_control",
    "test", "statistic", "dof", "p_val", "p_adj", "min_expected",
    "risk_difference", "rd_ci_low", "rd_ci_high",
    "odds_ratio", "or_ci_low", "or_ci_high",
    "relative_risk", "rr_ci_low", "rr_ci_high",
)  # fmt: skip
FLOW_COLUMNS = ("instrument", "label_nl", "label_en", "step", "reason", "n")
SCALE_COLUMNS = (
    "outcome", "label_nl", "label_en",
    "n_treated", "mean_treated", "sd_treated", "n_control", "mean_control", "sd_control",
    "test", "statistic", "dof", "p_val", "p_adj",
    "mean_difference", "md_ci_low", "md_ci_high", "hedges_g", "g_ci_low", "g_ci_high",
)  # fmt: skip
VALIDATION_COLUMNS = ("instrument", "label_nl", "label_en", "issue", "action", "n")
#: tables that may legitimately have no rows (clean data give an empty validation summary)
MAY_BE_EMPTY = ("validation_summary",)
TABLES = {
    "validation_summary": VALIDATION_COLUMNS,
    "unit_attainment": UNIT_COLUMNS,
    "employment_comparison": EMPLOYMENT_COLUMNS,
    "scale_comparison": SCALE_COLUMNS,
    "sample_flow": FLOW_COLUMNS,
}
#: stats.json keys the templates need (dotted paths); anything else is ignored.
REQUIRED_STATS = (
    "study.title",
    "study.synthetic",
    "study.alpha",
    "study.seed",
    "study.config",
    "n.employers",
    "n.candidates",
    "n.control",
    "units.n_units",
    "units.n_exceeding_all",
    "units.units_exceeding_all",
    "employment",
    "outcome_family.method",
    "outcome_family.size",
)


# ---------------------------------------------------------------- strings and inputs


def load_strings(language: str) -> dict:
    """The fixed text of the report in ``language`` (report_templates/strings/<lang>.toml)."""
    if language not in LANGUAGES:
        raise UserError(f"report language {language!r} — expected one of {LANGUAGES}")
    path = STRINGS_DIR / f"{language}.toml"
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _missing_message(path: Path, stage: str) -> str:
    return f"{path}: required results file is missing (run the {stage} stage first)"


def read_results_table(paths: OutputPaths, name: str, columns: Iterable[str]) -> pd.DataFrame:
    """Read ``results/tables/<name>.csv`` and check it has the contracted columns."""
    path = paths.tables / f"{name}.csv"
    if not path.is_file():
        raise UserError(_missing_message(path, "analyze"))
    frame = pd.read_csv(path, encoding="utf-8", keep_default_na=True)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {missing}")
    if frame.empty and name not in MAY_BE_EMPTY:
        raise UserError(f"{path}: the table has no rows")
    return frame


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts with missing values as None (templates test ``is none``)."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: (None if is_missing(v) else v) for k, v in row.items()})
    return out


def _lookup(data: Mapping, dotted: str) -> bool:
    node: object = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _figure_uri(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:image/svg+xml;base64,{data}"


def load_inputs(paths: OutputPaths) -> dict:
    """Everything the report needs; a UserError lists every missing file, column or key."""
    problems: list[str] = []
    stats: dict = {}
    if not paths.stats.is_file():
        problems.append(_missing_message(paths.stats, "analyze"))
    else:
        stats = read_json(paths.stats)
        absent = [key for key in REQUIRED_STATS if not _lookup(stats, key)]
        if absent:
            problems.append(f"{paths.stats}: missing key(s) {absent}")
    tables: dict[str, pd.DataFrame] = {}
    for name, columns in TABLES.items():
        try:
            tables[name] = read_results_table(paths, name, columns)
        except UserError as exc:
            problems.extend(exc.messages)
    figures: dict[str, str] = {}
    for name in FIGURES:
        svg = paths.figures / f"{name}.svg"
        if svg.is_file():
            figures[name] = _figure_uri(svg)
        else:
            problems.append(_missing_message(svg, "plot"))
    if problems:
        raise UserError(problems, hint="build the earlier stages, e.g. `make report`")
    return {"stats": stats, "tables": tables, "figures": figures}


# ---------------------------------------------------------------- view model


def _flow_groups(frame: pd.DataFrame, strings: dict, language: str) -> list[dict]:
    """Sample flow per instrument, in file order: raw, the exclusions, kept."""
    reasons = strings["reasons"]
    order = {"raw": 0, "excluded": 1, "kept": 2}
    unknown = sorted(set(frame["step"]) - set(order))
    if unknown:
        raise UserError(f"sample_flow.csv: unknown step(s) {unknown}; expected {list(order)}")
    groups = []
    for instrument in dict.fromkeys(frame["instrument"]):
        rows = _records(frame[frame["instrument"] == instrument])
        rows.sort(key=lambda r: order[r["step"]])  # stable: exclusions keep file order
        for row in rows:
            code = row["reason"]
            row["reason_label"] = "" if code is None else reasons.get(code, str(code))
        groups.append(
            {"instrument": instrument, "label": rows[0][f"label_{language}"], "rows": rows}
        )
    return groups


def _unit_groups(frame: pd.DataFrame) -> list[dict]:
    groups = []
    for unit in dict.fromkeys(frame["unit"]):
        rows = _records(frame[frame["unit"] == unit])
        groups.append({"unit": unit, "name": rows[0]["unit_name"], "rows": rows})
    return groups


NBSP = "\u00a0"


def _fill(template: str, **values: object) -> str:
    """Fill ``{name}`` placeholders of a strings entry with already formatted values.

    Relations in formatted values ('< 0,001', '= 0,031') get a no-break space so that a
    line never breaks between the sign and the number.
    """
    filled = {}
    for key, value in values.items():
        text = "" if value is None else str(value)
        filled[key] = text.replace("< ", f"<{NBSP}").replace("= ", f"={NBSP}")
    return template.format(**filled)


def _join_names(names: Iterable[str], word_and: str) -> str:
    names = [str(n) for n in names]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {word_and} {names[-1]}"


def make_environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    for name, function in LANGUAGE_FILTERS.items():
        env.filters[name] = partial(function, language=language)
    env.filters["fmt_check"] = fmt_check
    env.filters["fill"] = _fill
    env.filters["join_names"] = _join_names
    env.globals["MISSING"] = MISSING
    return env


def render_html(inputs: dict, language: str) -> str:
    strings = load_strings(language)
    tables = inputs["tables"]
    env = make_environment(language)
    context = {
        "lang": language,
        "s": strings,
        "stats": inputs["stats"],
        "study": inputs["stats"]["study"],
        "css": Markup(STYLESHEET.read_text(encoding="utf-8")),
        "figures": inputs["figures"],
        "flow": _flow_groups(tables["sample_flow"], strings, language),
        "units": _unit_groups(tables["unit_attainment"]),
        "employment": _records(tables["employment_comparison"]),
        "scales": _records(tables["scale_comparison"]),
        "quality": _records(tables["validation_summary"]),
        "chapters": CHAPTERS,
    }
    return env.get_template("base.html.j2").render(context)


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


def render_report(paths: OutputPaths, language: str) -> tuple[Path, Path]:
    """Write the HTML and PDF report; returns (html_path, pdf_path)."""
    if language not in LANGUAGES:
        raise UserError(f"report language {language!r} — expected one of {LANGUAGES}")
    inputs = load_inputs(paths)
    html = render_html(inputs, language)
    pdf = html_to_pdf(html)
    html_path = write_text(paths.report_html, html)
    pdf_path = write_bytes(paths.report_pdf, pdf)
    return html_path, pdf_path
