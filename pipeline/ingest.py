"""Ingest stage: raw exports -> ``data/interim/ingested/<instrument>.csv`` + ``.meta.json``.

Reads each export in its own format, matches its columns to the codebook, and makes the
data safe to write: free text is redacted, raw respondent ids are replaced by pseudonyms and
test rows are flagged (the raw id is needed to recognise them, and it does not leave this
stage). Columns the codebook does not know are reported and dropped, so personal data in an
unexpected column cannot travel further either. Values are kept as the text the user sees;
interpreting them is the validate and clean stages' job.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from pipeline.codebook import Codebook, Instrument
from pipeline.config import OutputPaths, StudyConfig
from pipeline.errors import UserError
from pipeline.io import write_csv, write_json
from pipeline.privacy import pseudonymise, redact_text
from pipeline.readers import RawExport, normalise_column, read_export

META_COLUMNS = ["source_row", "respondent", "test_row"]
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
        found = ", ".join(repr(c) for c in raw.columns[:30])
        raise UserError(
            f"{raw.file}: missing required column(s) {missing} for the "
            f"{instrument.label_en.lower()}; the file has columns: {found}",
            hint=hint or "rename the columns to the codebook names (data/codebook/README.md)",
        )
    known = set(mapping.values())
    unknown = [c for i, c in enumerate(raw.columns) if i not in known and c.strip()]
    return mapping, unknown


@lru_cache(maxsize=1 << 16)
def _safe(cell: str) -> str:
    # Short numeric cells (codes, counts) cannot hold personal data; skip the regexes.
    # Answers repeat a lot (labels, codes), hence the cache.
    return cell if _NUMERIC_ONLY.fullmatch(cell) else redact_text(cell)


def ingest_export(
    raw: RawExport, instrument: Instrument, *, key: bytes, test_pattern: str
) -> tuple[pd.DataFrame, dict]:
    """Pure part of ingest: one export in, one safe text frame plus metadata out."""
    mapping, unknown = match_columns(raw, instrument)
    is_survey = instrument.kind == "survey"
    test_re = re.compile(test_pattern, re.IGNORECASE)
    id_pos = mapping[instrument.id]
    data: dict[str, list[str]] = {c: [] for c in META_COLUMNS}
    for var in instrument.variables:
        if var.name != instrument.id or not is_survey:
            data[var.name] = []
    for row, cells in zip(raw.source_rows, raw.rows, strict=True):
        raw_id = cells[id_pos].strip()
        data["source_row"].append(str(row))
        data["test_row"].append("1" if raw_id and test_re.search(raw_id) else "0")
        if is_survey:
            data["respondent"].append(
                pseudonymise(raw_id, instrument=instrument.name, key=key) if raw_id else ""
            )
        else:
            data["respondent"].append(_safe(raw_id))
        for var in instrument.variables:
            if var.name == instrument.id and is_survey:
                continue
            pos = mapping.get(var.name)
            data[var.name].append(_safe(cells[pos]) if pos is not None else "")
    frame = pd.DataFrame(data, dtype="object")

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
    meta = {
        "instrument": instrument.name,
        "file": raw.file,
        "row_label": raw.row_label,
        "raw_rows": len(raw.rows),
        "format": raw.meta.get("format"),
        "encoding": raw.meta.get("encoding"),
        "delimiter": raw.meta.get("delimiter"),
        "decimal": raw.meta.get("decimal", "."),
        "sheet": raw.meta.get("sheet"),
        "user_missing": declared,
        "value_labels": labels,
        "columns": {name: raw.columns[p] for name, p in sorted(mapping.items())},
        "unknown_columns": unknown,
        "absent_optional_columns": [
            v.name for v in instrument.variables if v.name not in mapping
        ],
    }
    return frame, meta


def run_ingest(config: StudyConfig, paths: OutputPaths, codebook: Codebook) -> dict[str, int]:
    """Read every configured export; write nothing unless all of them could be read."""
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
            )
            results[name] = ingest_export(
                raw, codebook.instruments[name], key=config.pseudonym_key,
                test_pattern=config.test_id_pattern,
            )
        except UserError as exc:
            errors.append(exc)
    if errors:
        raise UserError.combine(errors)
    for name, (frame, meta) in results.items():
        write_csv(paths.ingested_csv(name), frame)
        write_json(paths.ingested_meta(name), meta)
    return {name: len(frame) for name, (frame, _) in results.items()}


def read_ingested(paths: OutputPaths, instrument: str) -> pd.DataFrame:
    """Read an ingested CSV back exactly as text (no type guessing, no NA conversion)."""
    path = paths.ingested_csv(instrument)
    if not path.is_file():
        raise UserError(f"{path} not found; run the ingest stage first")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
