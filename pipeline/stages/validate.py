"""Validate stage: check every ingested value against the codebook.

One module on purpose: every rule that decides whether a value is an error, a recode or
fine is here, in one reading order, so the validation report and its rules cannot drift.

Hard errors (an unknown unit name, a broken register) stop the run with exit code 2 and a
message naming file, row, column, value and what was expected; all errors of a file are
collected (up to a limit) before stopping, and nothing is written. Soft issues (an
out-of-range answer, an unknown label) are recoded to missing by the clean stage, per the
codebook's rule, and listed in ``data/interim/validation_report.csv``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.inputs.values import (
    ACTION_ERROR,
    PARSE_FAILURES,
    CellIssue,
    ParseContext,
    blank_mask,
    code_lookup,
    distinct_texts,
    explain_failures,
    parse_column,
)
from pipeline.outputs import console
from pipeline.outputs.catalog import parsed_parquet, require
from pipeline.outputs.io import atomic_write, read_json, write_csv
from pipeline.outputs.transaction import remove
from pipeline.stages.ingest import read_ingested
from pipeline.study.codebook import (
    INSTRUMENT_FILES,
    Codebook,
    Instrument,
    Variable,
    normalise_label,
)
from pipeline.study.config import OutputPaths, StudyConfig
from pipeline.study.errors import UserError, cells_message, row_list
from pipeline.study.privacy import redact_value

REPORT_COLUMNS = [
    "instrument", "file", "row", "respondent", "column", "value",
    "issue", "action", "expected", "suggestion",
]


@dataclass
class ParsedInstrument:
    """An instrument's values interpreted against the codebook (test rows left as text)."""

    instrument: Instrument
    meta: dict
    raw: pd.DataFrame  # ingested text
    values: pd.DataFrame  # typed values per codebook variable
    reasons: pd.DataFrame  # why a value is missing ("" where present)
    issues: pd.DataFrame  # REPORT_COLUMNS
    column_errors: list[str] = field(default_factory=list)  # columns that mostly fail to parse
    blank: pd.DataFrame | None = None  # per variable: the cell is empty or whitespace


def _declared_missing(meta: dict, name: str) -> tuple[float, ...]:
    codes: list[float] = []
    for entry in meta.get("user_missing", {}).get(name, []):
        lo, hi = entry.get("lo"), entry.get("hi")
        if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and hi - lo <= 1000:
            codes += [float(v) for v in range(int(lo), int(hi) + 1)]
        elif isinstance(lo, (int, float)):
            codes.append(float(lo))
    return tuple(codes)


def _report_row(
    instrument: Instrument, meta: dict, *, row: int, respondent: str, column: str,
    issue: str, action: str, expected: str, value: str = "", suggestion: str = "",
) -> dict:
    """One line of the validation report (REPORT_COLUMNS)."""
    return {
        "instrument": instrument.name, "file": meta["file"], "row": row,
        "respondent": respondent, "column": column, "value": value, "issue": issue,
        "action": action, "expected": expected, "suggestion": suggestion,
    }


def read_through_labels(
    var: Variable, meta: dict, present: set[str], codebook: Codebook, *, comparison: bool = False
) -> tuple[dict[str, str], list[dict], str | None]:
    """How the file's own value labels (SPSS, Stata) are read for one coded column.

    Labels win: a code is read through its label, so a file that numbers the answers its
    own way (1 = Doetinchem, or 1 = Vrouw where the codebook has 1 = Man) is read right.
    Returns ``(translation, report_rows, error)``: ``translation`` maps the code as text to
    its label for :class:`ParseContext`; ``report_rows`` note every code whose reading
    differs from the bare number; ``error`` names the column and the mapping to add when a
    label that occurs in the data means nothing in the codebook (the code alone cannot be
    trusted then). Codes the file declares user-missing keep their missing meaning.
    """
    labels = meta.get("value_labels", {}).get(var.name, {})
    if not labels or not (var.codes or var.type == "unit"):
        return {}, [], None
    if var.type == "unit":
        known = codebook.unit_alias_table(comparison=comparison)

        def meaning(label: str) -> object:
            unit = known.get(normalise_label(label))
            return unit.id if unit is not None else None
    else:
        lookup = code_lookup(var)

        def meaning(label: str) -> object:
            return lookup.get(normalise_label(label))
    declared = set(_declared_missing(meta, var.name)) | {float(m) for m in var.missing}
    header = meta.get("columns", {}).get(var.name, var.name)
    translation: dict[str, str] = {}
    rows: list[dict] = []
    unresolved: list[tuple[str, str]] = []
    for code_text, label in labels.items():
        try:
            number = float(code_text)
        except ValueError:
            number = None
        if number is not None and number in declared:
            continue
        if normalise_label(label) in codebook.missing_labels:
            translation[code_text] = label
            continue
        meant = meaning(label)
        if meant is None:
            if code_text in present:
                unresolved.append((code_text, label))
            continue
        translation[code_text] = label
        bare = meaning(code_text) if var.type == "unit" else (
            int(number) if number is not None and number.is_integer()
            and int(number) in var.code_values() else None)
        if bare != meant:
            rows.append({
                "row": 1, "respondent": "", "column": header, "value": f"{code_text} = {label}",
                "issue": "value_label_recode", "action": "read_label",
                "expected": f"read through the file's label as {meant!r} "
                            + (f"(the bare code would mean {bare!r})" if bare is not None
                               else "(the bare code means nothing in the codebook)"),
                "suggestion": "",
            })
    error = None
    if unresolved:
        shown = ", ".join(f"{c} = {lab!r}" for c, lab in unresolved[:5])
        if var.type == "unit":
            add = "; ".join(
                f'add "{lab}" to spellings of its [units.<id>] table (or under [units.aliases]: '
                f'"{lab}" = "<unit id>")' for _, lab in unresolved[:2])
        else:
            options = ", ".join(f"{c.code} = {c.nl!r}" for c in var.codes)
            add = (f"say which codebook code each label means in the study config, e.g. "
                   f"[inputs.{meta['instrument']}.labels.{var.name}] "
                   + ", ".join(f'"{lab}" = <code>' for _, lab in unresolved[:2])
                   + f" (the codebook's codes: {options})")
        error = (f"{meta['file']}, column '{header}': the file's value labels {shown} mean "
                 f"nothing in the codebook, so its codes cannot be read\n  hint: {add}")
    return translation, rows, error


_READ_AS = {
    "date": "dates",
    "integer": "whole numbers",
    "number": "numbers",
    "categorical": "codes or labels",
    "ordinal": "codes or labels",
}


def column_failure(
    var_name: str, column: pd.Series, issues: list[CellIssue], instrument: Instrument,
    meta: dict, *, answered: int | None = None,
) -> str | None:
    """A hard error when more than half of a column's non-blank values fail to parse.

    A few unreadable answers are typos (recoded to missing and reported); a column that
    mostly fails was read the wrong way (US dates, a shifted or wrongly mapped column), and
    recoding it to missing would silently throw the column away.
    """
    if answered is None:
        answered = int((~blank_mask(column)).sum())
    var = instrument.variable(var_name)
    if var.type == "date":
        outside = [i.value for i in issues if i.issue == "out_of_range"]
        if outside and 2 * len(outside) > answered:
            # Most dates outside the valid range: the study's fieldwork is another period,
            # not a column of typos. Setting them all to missing would lose every date.
            header = meta.get("columns", {}).get(var_name, var_name)
            return (
                f"{meta['file']}, column '{header}': {len(outside)} of {answered} dates fall "
                f"outside the field period {var.min} to {var.max}\n  hint: set the study's "
                "own period in the study config, [study] field_period = "
                '["<first day>", "<last day>"] (ISO dates, e.g. ["2014-11-01", "2015-07-31"])'
            )
    failed = [i.value for i in issues if i.issue in PARSE_FAILURES]
    if not failed:
        return None
    if 2 * len(failed) <= answered:
        return None
    header = meta.get("columns", {}).get(var_name, var_name)
    hint = explain_failures(var, list(dict.fromkeys(failed)), f"[inputs.{instrument.name}]")
    return (
        f"{meta['file']}, column '{header}': {len(failed)} of {answered} values could not be "
        f"read as {_READ_AS.get(var.type, var.type)}\n  hint: {hint}"
    )


def parse_instrument(
    raw: pd.DataFrame, meta: dict, instrument: Instrument, codebook: Codebook,
    *, date_format: str | None = None,
) -> ParsedInstrument:
    """Interpret every column; test rows are not checked (they are excluded whole).

    ``date_format`` is the study's strptime format for this export's date columns (None:
    ISO or dd-mm-jjjj).
    """
    checked = (raw["test_row"] != "1").to_numpy(dtype=bool)
    if "config_exclusion" in raw.columns:  # rows the study config excludes are not checked
        checked = checked & (raw["config_exclusion"] == "").to_numpy(dtype=bool)
    values: dict[str, pd.Series] = {}
    reasons: dict[str, pd.Series] = {}
    blank: dict[str, np.ndarray] = {}
    rows: list[dict] = []
    column_errors: list[str] = []
    header = meta.get("columns", {})
    source_row = raw["source_row"].astype(object).to_numpy()
    respondent = raw["respondent"].astype(object).to_numpy()
    checked_at = np.flatnonzero(checked)
    for var in instrument.variables:
        if var.name not in raw.columns:  # survey id: replaced by the pseudonym at ingest
            continue
        column = raw[var.name][checked]
        translation, label_rows, label_error = read_through_labels(
            var, meta, set(distinct_texts(column)[1]), codebook,
            comparison=instrument.name == "register",
        )
        rows += [{"instrument": instrument.name, "file": meta["file"], **r} for r in label_rows]
        if label_error:
            column_errors.append(label_error)
        ctx = ParseContext(
            codebook=codebook,
            decimal=meta.get("decimal", "."),
            declared_missing=_declared_missing(meta, var.name),
            date_format=date_format,
            comparison_units=instrument.name == "register",
            value_labels=translation,
        )
        blank[var.name] = blank_mask(raw[var.name])
        parsed, why, issues = parse_column(var, column, ctx)
        answered = int((~blank[var.name][checked]).sum())
        failure = column_failure(var.name, column, issues, instrument, meta, answered=answered)
        if failure:
            column_errors.append(failure)
        values[var.name] = parsed.reindex(raw.index)
        reasons[var.name] = why.reindex(raw.index).fillna("")
        if instrument.kind == "register" and var.on_invalid == "error":
            # Register facts (targets, counts, hours) are not survey answers: a blank one
            # would silently drop a unit from the unit table, so it stops the run.
            # A comparison unit's row (e.g. Assen) may leave figures blank: shown as "–".
            blanks = [i for i in np.flatnonzero(why.to_numpy(dtype=object) == "blank")
                      if not _is_comparison(values, instrument, column, i, codebook)]
            issues = issues + [
                CellIssue(int(i), var.name, "", "missing_value",
                          "a value (required in the register)", ACTION_ERROR)
                for i in blanks
            ]
        for issue in issues:
            at = checked_at[issue.position]
            rows.append(
                _report_row(
                    instrument, meta, row=int(source_row[at]),
                    respondent=respondent[at], column=header.get(var.name, var.name),
                    value=issue.value, issue=issue.issue, action=issue.action,
                    expected=issue.expected, suggestion=issue.suggestion,
                )
            )
    blank_frame = pd.DataFrame(blank, index=raw.index)
    if instrument.kind == "survey":
        answered_cols = [v.name for v in instrument.variables if v.name in raw.columns]
        all_blank = blank_frame[answered_cols].all(axis=1).to_numpy(dtype=bool)
        # A respondent without a unit stays in the data (unit is not needed for every
        # analysis) but is reported, since per-unit results will not count them.
        no_unit = checked & ~all_blank & blank[instrument.unit]
        for at in np.flatnonzero(no_unit):
            rows.append(
                _report_row(
                    instrument, meta, row=int(source_row[at]),
                    respondent=respondent[at],
                    column=header.get(instrument.unit, instrument.unit), issue="missing_unit",
                    action="keep_row", expected="the unit (gemeente) of the respondent",
                )
            )
        no_id = checked & (respondent == "") & ~all_blank
        for at in np.flatnonzero(no_id):
            rows.append(
                _report_row(
                    instrument, meta, row=int(source_row[at]), respondent="",
                    column=header.get(instrument.id, instrument.id), issue="missing_id",
                    action="exclude_row", expected="a respondent id",
                )
            )
    for col in meta.get("unknown_columns", []):
        rows.append(
            _report_row(
                instrument, meta, row=1, respondent="", column=col, issue="unknown_column",
                action="drop_column", expected="a column named in the codebook",
            )
        )
    # What the reader noticed: a short record padded with blanks, an Excel error cell …
    for read_issue in meta.get("read_issues", []):
        rows.append(
            _report_row(
                instrument, meta, row=read_issue["row"], respondent="",
                column=read_issue.get("column", ""), value=read_issue.get("value", ""),
                issue=read_issue["kind"], action=read_issue.get("action", "keep_row"),
                expected=read_issue["message"],
            )
        )
    issues = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    issues["value"] = redacted_values(issues["value"])
    return ParsedInstrument(
        instrument=instrument,
        meta=meta,
        raw=raw,
        values=pd.DataFrame(values, index=raw.index),
        reasons=pd.DataFrame(reasons, index=raw.index),
        issues=issues,
        column_errors=column_errors,
        blank=blank_frame,
    )


def redacted_values(values: pd.Series) -> pd.Series:
    """The validation report's ``value`` column with personal data replaced by markers,
    worked out once per distinct value: the free-text rules, and a whole value that is a
    BSN- or phone-shaped number (:func:`pipeline.study.privacy.redact_value`) whatever the
    column, since an out-of-range number may be a phone number typed into a count."""
    codes, uniques = pd.factorize(values.astype(str), use_na_sentinel=True)
    if not len(uniques):
        return values
    texts = np.asarray([redact_value(u) for u in uniques] + [""], dtype=object)
    return pd.Series(texts[codes], index=values.index, dtype=object)


def _is_comparison(values: dict[str, pd.Series], instrument: Instrument, column: pd.Series,
                   position: int, codebook: Codebook) -> bool:
    """Whether the row at ``position`` of ``column`` belongs to a comparison unit."""
    units = values.get(instrument.unit)
    if units is None or not codebook.comparison_units:
        return False
    unit = units.get(column.index[position])
    return unit in {u.id for u in codebook.comparison_units}


def check_register(parsed: ParsedInstrument, codebook: Codebook) -> list[str]:
    """The unit register needs every evaluated unit exactly once; comparison units (units.toml
    ``comparison = true``) are optional, at most once each."""
    units = parsed.values[parsed.instrument.unit].dropna()
    file = parsed.meta["file"]
    errors = []
    counts = Counter(units)
    for unit_id, n in sorted(counts.items()):
        if n > 1:
            rows = parsed.raw.loc[units.index[units == unit_id], "source_row"].tolist()
            errors.append(f"{file}: unit {unit_id!r} appears {n} times (rows {', '.join(rows)})")
    for unit in codebook.units:
        if unit.id not in counts:
            errors.append(f"{file}: unit {unit.name!r} is missing; the register needs all units")
    return errors


#: What makes two issues "the same" (only the row differs): they are reported once.
GROUP_KEYS = ["file", "column", "value", "issue", "expected", "suggestion"]


def group_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """Issues that differ only by row, as one record each, in order of first appearance.

    Columns: ``instrument``, ``action`` and :data:`GROUP_KEYS` (of the first issue of the
    group) and ``rows`` (the list of their row numbers, in report order).
    """
    columns = ["instrument", "action", *GROUP_KEYS, "rows"]
    if issues.empty:
        return pd.DataFrame(columns=columns)
    keys = issues[GROUP_KEYS].astype(str)
    codes = keys.groupby(GROUP_KEYS, sort=False, dropna=False).ngroup().to_numpy()
    first = pd.Series(np.arange(len(codes))).groupby(codes, sort=False).first().to_numpy()
    rows = pd.Series(issues["row"].to_numpy()).groupby(codes, sort=False).agg(list)
    out = issues.iloc[first][["instrument", "action", *GROUP_KEYS]].reset_index(drop=True)
    out["rows"] = rows.to_numpy()
    return out[columns]


def hard_errors(parsed: ParsedInstrument, limit: int) -> list[str]:
    """One message per distinct hard error (rows with the same value in the same column
    are one message listing the rows), at most ``limit`` messages."""
    issues = parsed.issues[parsed.issues["action"] == ACTION_ERROR]
    groups = group_issues(issues)
    label = parsed.meta.get("row_label", "row")
    messages = []
    for rec in groups.head(limit).itertuples(index=False):
        expected = rec.expected + (f"; did you mean {rec.suggestion!r}?" if rec.suggestion else "")
        messages.append(
            cells_message(rec.file, rec.rows, rec.column, rec.value, expected, label=label)
        )
    if len(groups) > limit:
        more = sum(len(rows) for rows in groups["rows"].iloc[limit:])
        messages.append(f"{parsed.meta['file']}: … and {more} more errors")
    return messages


def parse_all(
    config: StudyConfig, paths: OutputPaths, codebook: Codebook,
    *, each: Callable[[str, ParsedInstrument], None] | None = None,
) -> dict[str, ParsedInstrument]:
    """Parse every instrument the study has; raise one UserError with all hard errors.

    The study's own unit spellings (``[units.aliases]``) are merged into the codebook's, and
    each export's ``date_format`` applies to its date columns.

    With ``each``, every parsed instrument is handed to ``each(name, parsed)`` as soon as
    it is parsed and only its issues are kept (memory: one instrument at a time); the
    returned instruments then hold just ``issues``, ``meta`` and ``instrument``.
    """
    codebook = codebook.with_unit_aliases(
        config.unit_aliases, where=f"{config.path} [units.aliases]"
    )
    parsed: dict[str, ParsedInstrument] = {}
    errors: list[str] = []
    for name, spec in config.inputs.items():
        meta = read_json(require(paths.ingested_meta(name), "ingest"))
        p = parse_instrument(
            read_ingested(paths, name), meta, codebook.instruments[name], codebook,
            date_format=spec.date_format,
        )
        errors += p.column_errors
        errors += hard_errors(p, config.max_errors)
        if codebook.instruments[name].kind == "register" and name == "register":
            errors += check_register(p, codebook)
        if each is not None:
            if not errors:
                each(name, p)
            empty = pd.DataFrame()
            p = ParsedInstrument(p.instrument, p.meta, empty, empty, empty, p.issues)
        parsed[name] = p
    if errors:
        raise UserError(
            errors,
            hint="fix these values in the export, or say in the study config what they mean: a "
            "unit spelling in 'spellings' of its [units.<id>] table (or under [units.aliases]), "
            "an answer label under [inputs.<name>.labels.<column>]",
        )
    return parsed


def parsed_table(parsed: ParsedInstrument) -> pd.DataFrame:
    """What clean needs of a parsed instrument, as one typed table (written as Parquet).

    Columns: ``source_row`` (int64), ``respondent``, ``test_row`` and
    ``config_exclusion`` (text), then per
    codebook variable its typed value (``<name>``: Int64 codes and integers, Float64
    numbers, text for dates, units and free text) and whether the cell was blank
    (``blank:<name>``, bool).
    """
    raw = parsed.raw
    blank = parsed.blank
    table: dict[str, object] = {
        "source_row": raw["source_row"].astype(object).astype("int64").to_numpy(),
        "respondent": raw["respondent"].astype(object).to_numpy(),
        "test_row": raw["test_row"].astype(object).to_numpy(),
        "config_exclusion": (raw["config_exclusion"].astype(object).to_numpy()
                             if "config_exclusion" in raw.columns else ""),
    }
    for name in parsed.values.columns:
        table[name] = parsed.values[name].to_numpy() if parsed.values[name].dtype == object \
            else parsed.values[name]
    if blank is not None:
        for name in blank.columns:
            table[f"blank:{name}"] = blank[name].to_numpy(dtype=bool)
    return pd.DataFrame(table, index=pd.RangeIndex(len(raw)))


def read_parsed(
    paths: OutputPaths, name: str, instrument: Instrument
) -> ParsedInstrument:
    """Read validate's typed values of one instrument back (see :func:`parsed_table`).

    Only what the clean stage uses is restored: the row metadata (``raw``), the typed
    values, the blank flags and the ingest metadata; ``issues`` is empty (the validation
    report holds them).
    """
    table = pd.read_parquet(require(parsed_parquet(paths, name), "validate"))
    meta = read_json(require(paths.ingested_meta(name), "ingest"))
    raw = pd.DataFrame({
        "source_row": table["source_row"].astype("int64"),
        "respondent": table["respondent"].astype(object),
        "test_row": table["test_row"].astype(object),
        "config_exclusion": table["config_exclusion"].astype(object),
    })
    names = [c for c in table.columns if c not in raw.columns and not c.startswith("blank:")]
    values = {}
    for c in names:
        col = table[c]
        if not (pd.api.types.is_integer_dtype(col.dtype) or pd.api.types.is_float_dtype(col.dtype)):
            col = col.astype(object).where(col.notna(), None)
        values[c] = col
    blank = pd.DataFrame(
        {c.removeprefix("blank:"): table[c].astype(bool) for c in table.columns
         if c.startswith("blank:")},
        index=table.index,
    )
    return ParsedInstrument(
        instrument=instrument, meta=meta, raw=raw,
        values=pd.DataFrame(values, index=table.index),
        reasons=pd.DataFrame(index=table.index),
        issues=pd.DataFrame(columns=REPORT_COLUMNS), blank=blank,
    )


def run_validate(config: StudyConfig, paths: OutputPaths, codebook: Codebook) -> dict[str, int]:
    """Validate one instrument at a time; its typed values go to ``data/interim/parsed/``
    as soon as it is done. A hard error in a later instrument undoes them: the CLI runs
    every stage as a transaction (``pipeline/outputs/transaction.py``)."""

    def keep(name: str, p: ParsedInstrument) -> None:
        table = parsed_table(p)
        atomic_write(parsed_parquet(paths, name), lambda f: table.to_parquet(f, index=False))

    parsed = parse_all(config, paths, codebook, each=keep)
    report = pd.concat([p.issues for p in parsed.values()], ignore_index=True)
    report = report.sort_values(["instrument", "row", "column"], kind="stable")
    for name in INSTRUMENT_FILES:  # an instrument dropped from the config leaves no stale data
        if not config.has(name):
            remove(parsed_parquet(paths, name))
    write_csv(paths.validation_report, report)
    summarise_soft_issues(report, where=_shown_path(paths.validation_report, paths.root))
    return Counter(report["issue"])


#: Soft issues shown at the normal level (the first few); -v shows every kind.
SHOWN_ISSUES = ("unknown_label", "invalid_date", "not_a_number")


def _shown_path(path: Path, root: Path) -> str:
    """``path`` relative to the output root, as the user knows it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def summarise_soft_issues(
    report: pd.DataFrame, shown: int = 8, where: str = "the validation report"
) -> None:
    """Tell the user on stderr what was recoded, grouped: the same value in the same column
    is one line with its rows (``'Hilversm' (37 rows: 4, 9, 17, …)``).

    Quiet: the one-line count. Normal: also the first ``shown`` groups of unreadable
    labels, dates and numbers. Verbose: the counts per instrument and every group of
    every kind. ``where`` names the report file in the messages.
    """
    if report.empty:
        return
    counts = Counter(report["issue"])
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    console.warn(f"validate: {len(report)} issue(s) recoded or dropped — {summary} "
                 f"(listed in {where})")
    verbose = console.verbosity() >= console.VERBOSE
    if verbose:
        for instrument, part in report.groupby("instrument", sort=True):
            per = Counter(part["issue"])
            console.detail(f"  {instrument}: "
                           + ", ".join(f"{k} {v}" for k, v in sorted(per.items())))
    listed = report if verbose else report[report["issue"].isin(SHOWN_ISSUES)]
    groups = group_issues(listed)
    limit = len(groups) if verbose else shown
    for rec in groups.head(limit).itertuples(index=False):
        console.info(_soft_issue_line(rec))
    if len(groups) > limit:
        more = sum(len(rows) for rows in groups["rows"].iloc[limit:])
        console.info(f"  … {more} more in {where} (-v lists them all)")


def _soft_issue_line(rec: Any) -> str:
    """One group of soft issues (a :func:`group_issues` record) as a warning line."""
    rows = list(rec.rows)
    hint = f"; did you mean {rec.suggestion!r}?" if rec.suggestion else ""
    many = len(rows) > 1
    at = f"{rec.file}, column '{rec.column}'" if many else \
        f"{rec.file}, row {rows[0]}, column '{rec.column}'"
    value = f"{rec.value!r} ({row_list(rows)})" if many else repr(rec.value)
    if rec.issue in SHOWN_ISSUES:
        return f"  warning: {at}: {value} is not {rec.expected}{hint} (set to missing)"
    issue = rec.issue.replace("_", " ")
    if rec.value:
        issue += f" {value}"
    elif many:
        issue += f" ({row_list(rows)})"
    action = _ACTIONS.get(rec.action, rec.action.replace("_", " "))
    return f"  warning: {at}: {issue} — expected {rec.expected}{hint} ({action})"


#: What an action did, in words (validation report ``action`` column).
_ACTIONS = {"set_missing": "set to missing", "keep_row": "row kept",
            "exclude_row": "row excluded", "drop_column": "column dropped",
            "keep_code": "code kept"}
