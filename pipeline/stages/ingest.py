"""Ingest stage: raw exports -> ``data/interim/ingested/<instrument>.csv`` + ``.meta.json``.

One module on purpose: it is the only place raw ids and unredacted text exist, so every
step that touches them (matching, renames, exclusions, redaction, pseudonyms) stays in one
file a privacy review can read end to end.

Reads each export in its own format, matches its columns to the codebook, and makes the
data safe to write: free text is redacted, raw respondent ids are replaced by pseudonyms and
test rows are flagged (the raw id is needed to recognise them, and it does not leave this
stage). Columns the codebook does not know are reported and dropped, so personal data in an
unexpected column cannot travel further either. Values are kept as the text the user sees;
interpreting them is the validate and clean stages' job.

A study maps its exports to the codebook in its own config: ``rename`` gives codebook names
to export columns (applied before matching) and ``skip_rows`` drops rows under the header
that are not respondents (Qualtrics' question-text and ImportId rows). Skipped rows keep no
data, and every other row keeps the row number it has in the original file. Instruments the
study does not have (the register and the interviews are optional) are not ingested.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.inputs.readers import RawExport, normalise_column, read_export
from pipeline.outputs import console
from pipeline.outputs.catalog import require
from pipeline.outputs.fastcsv import write_frame_csv
from pipeline.outputs.io import neutralise_formulas, restore_formulas, write_json
from pipeline.outputs.transaction import remove
from pipeline.study.codebook import INSTRUMENT_FILES, Codebook, Instrument, Variable
from pipeline.study.config import OutputPaths, StudyConfig
from pipeline.study.errors import UserError
from pipeline.study.privacy import (
    is_inert,
    number_marker,
    pseudonymise_many,
    redact_label,
    redact_value,
)

META_COLUMNS = ["source_row", "respondent", "test_row", "config_exclusion"]
_LONE_CR = re.compile(r"\r(?!\n)")  # as pipeline.outputs.io.write_csv writes it
_NUMERIC_ONLY = re.compile(r"-?[\d.,]{0,7}")


def match_columns(raw: RawExport, instrument: Instrument) -> tuple[dict[str, int], list[str]]:
    """Map codebook names to column positions; return (mapping, unknown columns).

    Missing required columns are an error that lists what the file does have, with a hint
    when the header looks like it was split on the wrong delimiter.
    """
    positions = {normalise_column(c): i for i, c in enumerate(raw.columns)}
    mapping: dict[str, int] = {}
    missing: list[str] = []
    for var in instrument.variables:
        pos = positions.get(normalise_column(var.name))
        if pos is None:
            if var.required:
                missing.append(var.name)
        else:
            mapping[var.name] = pos
    if missing:
        hint = None
        if len(raw.columns) <= 2 and any(d in raw.columns[0] for d in ";,\t"):
            used = raw.meta.get("delimiter", ",")
            hint = (
                f"the header was read as {len(raw.columns)} column(s) with delimiter {used!r} "
                "but contains other separators: set 'delimiter' for this input in the study "
                "config or export the file with a consistent delimiter"
            )
        found = ", ".join(repr(redact_label(c)) for c in raw.columns[:30])
        raise UserError(
            f"{raw.file}: missing required column(s) {missing} for the "
            f"{instrument.label_en.lower()}; the file has columns: {found}",
            hint=hint or "rename the columns to the codebook names (data/codebook/README.md)",
        )
    known = set(mapping.values())
    unknown = [c for i, c in enumerate(raw.columns) if i not in known and c.strip()]
    return mapping, unknown


def rename_columns(raw: RawExport, instrument: Instrument, rename: dict[str, str]) -> list[str]:
    """The export's header with a study's renames applied (export column -> codebook name).

    Names are matched the way headers are (case and spacing ignored). A rename of a column
    the file does not have, to a name the codebook does not have, or onto a column the file
    already has is an error naming the setting.
    """
    columns = list(raw.columns)
    if not rename:
        return columns
    where = f"{raw.file} [inputs.{instrument.name}.rename]"
    positions = {normalise_column(c): i for i, c in enumerate(columns)}
    codebook_names = {normalise_column(n): n for n in instrument.names}
    shown = [redact_label(c) for c in columns]  # names typed by people: quoted redacted
    for source, target in rename.items():
        setting = f"{where}: {redact_label(source)!r} = {redact_label(target)!r}"
        if normalise_column(target) not in codebook_names:
            close = difflib.get_close_matches(target, instrument.names, n=1, cutoff=0.6)
            raise UserError(
                f"{setting} — {redact_label(target)!r} is not a variable of the "
                f"{instrument.label_en.lower()} in the codebook"
                + (f"; did you mean {close[0]!r}?" if close else ""),
                hint=f"the codebook names are: {', '.join(instrument.names)}",
            )
        pos = positions.get(normalise_column(source))
        if pos is None:
            close = difflib.get_close_matches(source, columns, n=1, cutoff=0.6)
            raise UserError(
                f"{setting} — the file has no column {redact_label(source)!r}"
                + (f"; did you mean {redact_label(close[0])!r}?" if close else ""),
                hint="the file has columns: " + ", ".join(repr(c) for c in shown[:30]),
            )
        clash = positions.get(normalise_column(target))
        if clash is not None and clash != pos and columns[clash] not in rename:
            raise UserError(
                f"{setting} — the file already has a column "
                f"{shown[clash]!r}; rename or drop one of them"
            )
        columns[pos] = codebook_names[normalise_column(target)]
    return columns


def skip_rows(raw: RawExport, skip: int | tuple[int, ...]) -> tuple[RawExport, list[int]]:
    """Drop rows under the header that are not respondents; return (export, skipped rows).

    ``skip`` is a count (the first N rows under the header) or row numbers as the file shows
    them (spreadsheet rows, header = row 1; SPSS case numbers). The remaining rows keep
    their original row numbers, so every later message points at the right row.
    """
    if not skip:
        return raw, []
    available = raw.row_numbers
    if isinstance(skip, int):
        if skip > len(available):
            raise UserError(
                f"{raw.file}: skip_rows = {skip}, but the file has only {len(available)} "
                f"{raw.row_label}(s) below the header"
            )
        dropped = set(available[:skip].tolist())
    else:
        absent = sorted(set(skip) - set(available.tolist()))
        if absent:
            span = f"{available[0]} to {available[-1]}" if len(available) else "none"
            raise UserError(
                f"{raw.file}: skip_rows {list(skip)} — {raw.row_label}(s) {absent} are not "
                f"in the file; its {raw.row_label}s below the header are {span}"
            )
        dropped = set(skip)
    keep = np.flatnonzero(~np.isin(raw.row_numbers, np.fromiter(dropped, dtype=np.int64)))
    return raw.take(keep), sorted(dropped)


def config_exclusions(
    raw: RawExport, exclude: dict[str, tuple[str, ...]], where: str,
    codebook_names: dict[str, str] | None = None,
) -> pd.Categorical:
    """Per row, why the study config excludes it (``"Status = Survey Preview"``) or ``""``.

    ``exclude`` maps an export column (matched as headers are: case and spacing ignored)
    to the values that exclude a row (matched ignoring case and surrounding spaces), e.g.
    Qualtrics' ``Status = ["Survey Preview"]`` or ``Finished = ["False"]``. The first rule
    that matches gives the reason. A codebook name (``gemeente``) works too, for the export
    column that becomes it (``codebook_names``: normalised codebook name -> export column).
    Each distinct value is judged once.
    """
    n = len(raw)
    reason = np.zeros(n, dtype=np.int32)  # 0 = kept; k = the k-th reason text
    texts = [""]
    positions = {normalise_column(c): i for i, c in enumerate(raw.columns)}
    aliases = codebook_names or {}
    for column, values in exclude.items():
        pos = positions.get(normalise_column(column))
        if pos is None and normalise_column(column) in aliases:
            pos = positions.get(normalise_column(aliases[normalise_column(column)]))
        if pos is None:
            close = difflib.get_close_matches(column, raw.columns, n=1, cutoff=0.6)
            raise UserError(
                f"{where}: {redact_label(column)!r} — the file has no column "
                f"{redact_label(column)!r}"
                + (f"; did you mean {redact_label(close[0])!r}?" if close else ""),
                hint="the file has columns: "
                + ", ".join(repr(redact_label(c)) for c in raw.columns[:30]),
            )
        wanted = {v.strip().casefold(): v for v in values}
        codes, uniques = pd.factorize(raw.column(pos).fillna(""), use_na_sentinel=True)
        hit = np.zeros(len(uniques) + 1, dtype=np.int32)
        for k, text in enumerate(np.asarray(uniques, dtype=object)):
            value = wanted.get(str(text).strip().casefold())
            if value is not None:
                texts.append(redact_label(f"{raw.columns[pos].strip()} = {value}"))
                hit[k] = len(texts) - 1
        per_row = hit[np.where(codes < 0, len(uniques), codes)]
        reason = np.where(reason == 0, per_row, reason)
    return _categorical(reason, texts)


def _safe(cell: str, valid: tuple[float, float] | None = None) -> str:
    """A cell as it may be written: personal data replaced by markers.

    Short numeric cells (codes, counts) cannot hold personal data and are returned as they
    are; anything else goes through :func:`pipeline.study.privacy.redact_value` (a whole-cell
    number shaped like a BSN or phone number, then the free-text rules). ``valid`` is a
    numeric measure's declared range: a number inside it is a measurement.
    """
    return cell if _NUMERIC_ONLY.fullmatch(cell) else redact_value(cell, valid=valid)


def valid_range(var: Variable) -> tuple[float, float] | None:
    """The declared range of a numeric measure (integer or number with a min and a max);
    ``None`` for every other column (ids, codes, dates, text)."""
    if var.type in ("integer", "number") and isinstance(var.min, (int, float)) \
            and isinstance(var.max, (int, float)):
        return float(var.min), float(var.max)
    return None


def _categorical(codes: np.ndarray, texts: list[str]) -> pd.Categorical:
    """Rows ``texts[codes]`` as a categorical (texts may repeat: they are merged)."""
    final, categories = pd.factorize(np.asarray(texts, dtype=object))
    categories = np.asarray(categories, dtype=object)
    return pd.Categorical.from_codes(final[codes], categories=pd.Index(categories, dtype=object))


def safe_column(
    values: pd.Series, *, free_text: bool, valid: tuple[float, float] | None = None
) -> pd.Categorical:
    """One export column made safe to write, worked out once per distinct value.

    Parameters
    ----------
    values : pandas.Series
        The column's cell texts.
    free_text : bool
        The codebook's ``pii`` flag: the column can hold free text.
    valid : (float, float), optional
        The declared range when the column is a numeric measure (:func:`valid_range`).

    Returns
    -------
    pandas.Categorical
        The cell texts with personal data replaced by markers, row for row.

    Notes
    -----
    The column is factorised; each distinct text is checked once and the results are
    taken back to the rows. Every column goes through
    :func:`pipeline.study.privacy.redact_value`: a cell that is one number shaped like a BSN or
    a Dutch phone number (``612345678``: a phone number read as a number) becomes a
    marker, and the free-text rules apply to the rest, so personal data cannot leave
    ingest through a column the codebook does not expect it in either. In a numeric
    measure only a number outside the declared range can be personal data (it is invalid
    anyway). Values no rule can match (:func:`pipeline.study.privacy.is_inert`) and short
    numbers are passed through untouched.
    """
    codes, uniques = pd.factorize(values.fillna(""), use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)  # iterating an Arrow array is slow
    if free_text:
        texts = [_safe(u) for u in uniques]
    else:
        texts = [u if is_inert(u) else _safe(u, valid) for u in uniques]
    return _categorical(codes, texts)


def ingest_export(
    raw: RawExport, instrument: Instrument, *, key: bytes, test_pattern: str,
    rename: dict[str, str] | None = None, exclude: dict[str, tuple[str, ...]] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Pure part of ingest: one export in, one safe text frame plus metadata out.

    ``rename`` maps export column names to codebook names before the columns are matched;
    the metadata keep the file's own column names, so messages name what the user sees.
    The frame's columns are categoricals of text (``source_row``, ``respondent``,
    ``test_row``, ``config_exclusion``, then the codebook's variables): every distinct
    value of a column is redacted, pseudonymised or checked once, and taken back to the
    rows. ``exclude`` (export column -> values) marks rows the study config excludes.
    """
    columns = rename_columns(raw, instrument, rename or {})
    mapping, unknown_renamed = match_columns(raw.replace(columns=columns), instrument)
    unknown = [raw.columns[columns.index(c)] for c in unknown_renamed]
    is_survey = instrument.kind == "survey"
    test_re = re.compile(test_pattern, re.IGNORECASE)
    n = len(raw)
    id_codes, id_uniques = pd.factorize(
        raw.column(mapping[instrument.id]).fillna(""), use_na_sentinel=True
    )
    ids = [u.strip() for u in np.asarray(id_uniques, dtype=object)]
    is_test = ["1" if i and test_re.search(i) else "0" for i in ids]
    if is_survey:
        named = [i for i in ids if i]
        hashed = iter(pseudonymise_many(named, instrument=instrument.name, key=key))
        respondent = [next(hashed) if i else "" for i in ids]
    else:
        respondent = [redact_value(i) for i in ids]
    data: dict[str, object] = {
        "source_row": pd.Categorical(raw.row_numbers.astype(str).astype(object)),
        "respondent": _categorical(id_codes, respondent),
        "test_row": _categorical(id_codes, is_test),
        "config_exclusion": config_exclusions(
            raw, exclude or {}, f"{raw.file} [inputs.{instrument.name}.exclude]",
            codebook_names={normalise_column(t): s for s, t in (rename or {}).items()}
            | {normalise_column(v.name): raw.columns[p] for v in instrument.variables
               if (p := mapping.get(v.name)) is not None},
        ),
    }
    for var in instrument.variables:
        if var.name == instrument.id and is_survey:
            continue
        pos = mapping.get(var.name)
        if pos is None:
            data[var.name] = pd.Categorical.from_codes(
                np.zeros(n, dtype=np.int8), categories=pd.Index([""], dtype=object)
            )
        else:
            data[var.name] = safe_column(raw.column(pos), free_text=var.pii,
                                         valid=valid_range(var))
    frame = pd.DataFrame(data, index=pd.RangeIndex(n))
    frame = frame[[*META_COLUMNS, *[c for c in frame.columns if c not in META_COLUMNS]]]

    # File-declared user-missing codes, re-keyed to codebook names.
    by_norm = {normalise_column(raw.columns[p]): name for name, p in mapping.items()}
    declared = {
        by_norm[normalise_column(col)]: entries
        for col, entries in raw.meta.get("user_missing", {}).items()
        if normalise_column(col) in by_norm
    }
    labels = {
        by_norm[normalise_column(col)]: entries
        for col, entries in raw.meta.get("value_labels", {}).items()
        if normalise_column(col) in by_norm
    }
    # File names, headers, sheet names and SPSS labels are typed by people too: redact them
    # like answers, and the codes of the labels and user-missing ranges like numbers.
    declared = {
        name: [_safe_missing(e) if isinstance(e, dict) else e for e in entries]
        for name, entries in declared.items()
    }
    labels = {
        name: {redact_label(code): redact_label(label) for code, label in entries.items()}
        for name, entries in labels.items()
    }
    sheet = raw.meta.get("sheet")
    meta = {
        "instrument": instrument.name,
        "file": redact_label(raw.file),
        "row_label": raw.row_label,
        "raw_rows": n,
        "format": raw.meta.get("format"),
        "encoding": raw.meta.get("encoding"),
        "delimiter": raw.meta.get("delimiter"),
        "decimal": raw.meta.get("decimal", "."),
        "sheet": redact_label(sheet) if sheet is not None else None,
        # An Excel sheet chosen by the reader (none configured): which, and what it skipped.
        **({"sheet_chosen": raw.meta["sheet_chosen"],
            "hidden_sheets": [redact_label(h) for h in raw.meta.get("hidden_sheets", [])]}
           if "sheet_chosen" in raw.meta else {}),
        "user_missing": declared,
        "value_labels": labels,
        "columns": {name: redact_label(raw.columns[p]) for name, p in sorted(mapping.items())},
        "unknown_columns": [redact_label(c) for c in unknown],
        "absent_optional_columns": [
            v.name for v in instrument.variables if v.name not in mapping
        ],
        # What the reader noticed but could keep (e.g. short records padded with blanks);
        # validate lists these in the validation report.
        "records": raw.meta.get("records", n),
        "blank_lines_at_end": raw.meta.get("blank_lines_at_end", 0),
        "read_issues": read_issues(raw, set(mapping.values())),
    }
    return frame, meta


def read_issues(raw: RawExport, used: set[int]) -> list[dict]:
    """What the reader noticed, for the validation report: problems with the rows still in
    the export (not those dropped by ``skip_rows``); a cell's problem only in a column the
    codebook uses (``used``: header positions), named as the file names it."""
    rows = set(raw.row_numbers.tolist())
    out = []
    for issue in raw.issues:
        if issue.row not in rows or (issue.column is not None and issue.column not in used):
            continue
        entry: dict[str, object] = {
            "row": issue.row, "kind": issue.kind, "message": redact_label(issue.message)
        }
        if issue.column is not None:
            entry.update(column=redact_label(raw.columns[issue.column]),
                         value=redact_label(issue.value), action=issue.action)
        out.append(entry)
    return out


def _safe_missing(entry: dict) -> dict:
    """A user-missing range of an SPSS file with its label redacted, and a bound that is a
    BSN- or phone-shaped number replaced by its marker."""
    out = dict(entry)
    if "label" in out:
        out["label"] = redact_label(out["label"])
    for bound in ("lo", "hi"):
        value = out.get(bound)
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value) and value == int(value):
            kind = number_marker(str(int(value)))
            if kind is not None:
                out[bound] = redact_label(str(int(value)))
    return out


def export_names(instrument: Instrument, rename: dict[str, str]) -> list[str]:
    """The required columns as the export names them: a renamed column by its name in the
    file (``Q4_opl``), so the header is found by the names the file really has."""
    source = {normalise_column(target): col for col, target in rename.items()}
    return [source.get(normalise_column(v.name), v.name)
            for v in instrument.variables if v.required]


def _say_sheet(name: str, raw: RawExport) -> None:
    """Tell the user which Excel sheet was read when the study config names none."""
    hidden = [redact_label(h) for h in raw.meta.get("hidden_sheets", [])]
    skipped = f"; hidden sheet(s) {hidden} not read" if hidden else ""
    console.info(
        f"ingest: {raw.file}: read sheet {redact_label(raw.meta['sheet'])!r}, the first visible "
        f"sheet with data (no 'sheet' set in [inputs.{name}]{skipped})"
    )


def run_ingest(config: StudyConfig, paths: OutputPaths, codebook: Codebook) -> dict[str, int]:
    """Read every configured export; write nothing unless all of them could be read."""
    # The study's own unit spellings are checked here, before any file is read.
    codebook.with_unit_aliases(config.unit_aliases, where=f"{config.path} [units.aliases]")
    results: dict[str, tuple[pd.DataFrame, dict]] = {}
    errors: list[UserError] = []
    for name, spec in config.inputs.items():
        try:
            raw = read_export(
                spec.path,
                spec.format,
                encoding=spec.encoding,
                delimiter=spec.delimiter,
                sheet=spec.sheet,
                header_row=spec.header_row,
                expected_columns=export_names(codebook.instruments[name], spec.rename),
            )
            if raw.meta.get("sheet_chosen"):
                _say_sheet(name, raw)
            raw, skipped = skip_rows(raw, spec.skip_rows)
            frame, meta = ingest_export(
                raw, codebook.instruments[name], key=config.pseudonym_key,
                test_pattern=config.test_id_pattern, rename=spec.rename,
                exclude=spec.exclude,
            )
            if skipped:
                meta["skipped_rows"] = skipped
            results[name] = frame, meta
        except UserError as exc:
            errors.append(exc)
    if errors:
        raise UserError.combine(errors)
    for name, (frame, meta) in results.items():
        write_frame_csv(paths.ingested_csv(name), writable(frame), neutralise=False)
        write_json(paths.ingested_meta(name), meta)
    for name in INSTRUMENT_FILES:  # an instrument dropped from the config leaves no stale data
        if not config.has(name):
            remove(paths.ingested_csv(name))
            remove(paths.ingested_meta(name))
    return {name: len(frame) for name, (frame, _) in results.items()}


def read_ingested(paths: OutputPaths, instrument: str) -> pd.DataFrame:
    """Read an ingested CSV back exactly as text (no type guessing, no NA conversion).

    Every column is a categorical of text; formula-neutralised text is restored once per
    distinct value (:func:`pipeline.outputs.io.restore_formulas` on the categories).
    """
    path = require(paths.ingested_csv(instrument), "ingest")
    frame = _read_text_csv(path)
    frame.columns = restore_formulas(pd.DataFrame(columns=frame.columns)).columns
    out = {}
    for name in frame.columns:
        cat = frame[name].cat
        restored = restore_formulas(_text_frame(cat.categories))[0]
        out[name] = _categorical(cat.codes.to_numpy(), restored.tolist())
    return pd.DataFrame(out, index=frame.index)


def _read_text_csv(path: Path) -> pd.DataFrame:
    """A CSV this project wrote, every column a categorical of text (pyarrow's reader).

    Nothing is read as a number or as missing: an empty cell is ``""``.
    """
    import pyarrow as pa
    from pyarrow import csv as pacsv

    with path.open(encoding="utf-8", newline="") as fh:
        names = next(csv.reader(fh), [])
    text = pa.dictionary(pa.int32(), pa.string())
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(delimiter=",", quote_char='"', double_quote=True,
                                         escape_char=False, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, text), strings_can_be_null=False,
            quoted_strings_can_be_null=False, null_values=[],
        ),
    )
    frame = table.to_pandas()
    frame.columns = names
    return frame


def _text_frame(values: object) -> pd.DataFrame:
    """One object-dtype column of distinct texts (object: iterating it is fast)."""
    return pd.DataFrame({0: pd.Series(np.asarray(values, dtype=object), dtype=object)})


def writable(frame: pd.DataFrame) -> pd.DataFrame:
    """An ingest frame ready for ``write_csv(..., neutralise=False)``.

    What :func:`pipeline.outputs.io.write_csv` does to text cells (formula neutralisation, a lone
    carriage return written as a line feed) is done here on each distinct value of the
    categoricals instead of on every cell; the bytes written are the same.
    """
    out = {}
    for name in frame.columns:
        column = frame[name]
        safe = neutralise_formulas(_text_frame(column.cat.categories))[0].tolist()
        safe = [_LONE_CR.sub("\n", v) if "\r" in v else v for v in safe]
        out[name] = _categorical(column.cat.codes.to_numpy(), safe)
    return pd.DataFrame(out, index=frame.index)
