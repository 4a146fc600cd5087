"""Clean stage: ingested text -> typed, cleaned data per instrument + exclusions log.

Every raw row ends up in exactly one place: the cleaned data or ``exclusions.csv`` with a
reason. The rules, applied in this order (a row gets the first reason that applies):

``excluded_by_config``  a value the study config excludes (``[inputs.<name>.exclude]``,
                 e.g. Qualtrics' ``Status = ["Survey Preview"]``); the detail names the
                 column and value
``empty_row``    every codebook column is blank (formatting, not a respondent)
``test_row``     the respondent id matches the study's test-id pattern
``missing_id``   a survey row without a respondent id (cannot be de-duplicated)
``duplicate``    the same respondent more than once: the most complete answer set is kept,
                 then the latest completion date, then the first row in the file
``break_off``    fewer than the instrument's ``completeness_min`` share of substantive
                 questions answered (a "weet niet" counts as an answer, a blank does not)
``ineligible``   a screening answer outside the variable's ``eligible_codes`` (e.g. a control
                 respondent who took part in Werktop after all)

The accounting identity raw = kept + excluded is checked here, per instrument. Rows the
study config skips (``skip_rows``: question-text rows under the header) are not respondents
and are not counted as raw rows. An instrument the study does not have (register,
interviews) gets no cleaned file and no lines in the sample flow.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from pipeline.inputs.values import blank_mask
from pipeline.outputs.datapackage import datapackage, synthetic_title
from pipeline.outputs.fastcsv import write_frame_csv
from pipeline.outputs.io import write_csv, write_json
from pipeline.outputs.transaction import remove
from pipeline.stages.validate import ParsedInstrument, read_parsed
from pipeline.study.codebook import INSTRUMENT_FILES, Codebook
from pipeline.study.config import OutputPaths, StudyConfig
from pipeline.study.errors import UserError

REASONS = ("excluded_by_config", "empty_row", "test_row", "missing_id", "duplicate", "break_off",
           "ineligible")
EXCLUSION_COLUMNS = ["instrument", "file", "row", "respondent", "reason", "detail"]


def _blank(parsed: ParsedInstrument) -> pd.DataFrame:
    """Per variable, whether the cell was blank: validate's flags (computed once there)."""
    if parsed.blank is not None:
        return parsed.blank
    names = [v.name for v in parsed.instrument.variables if v.name in parsed.raw.columns]
    return pd.DataFrame({n: blank_mask(parsed.raw[n]) for n in names}, index=parsed.raw.index)


def _answered_share(parsed: ParsedInstrument, blank: pd.DataFrame | None = None) -> pd.Series:
    blank = _blank(parsed) if blank is None else blank
    names = [v.name for v in parsed.instrument.substantive_variables()]
    if not names:
        return pd.Series(1.0, index=parsed.raw.index)
    answered = ~blank[names]
    return answered.sum(axis=1) / len(names)


def assign_exclusions(parsed: ParsedInstrument) -> pd.DataFrame:
    """Pure rule application: one row per excluded raw row (EXCLUSION_COLUMNS)."""
    inst = parsed.instrument
    raw = parsed.raw
    blank_cells = _blank(parsed)
    variables = [v.name for v in inst.variables if v.name in blank_cells.columns]
    reason = pd.Series("", index=raw.index, dtype="object")
    detail = pd.Series("", index=raw.index, dtype="object")

    def mark(mask: pd.Series, code: str, text: pd.Series | str = "") -> None:
        todo = mask & (reason == "")
        reason[todo] = code
        detail[todo] = text[todo] if isinstance(text, pd.Series) else text

    if "config_exclusion" in raw.columns:
        by_config = raw["config_exclusion"].astype(object).fillna("")
        mark(by_config != "", "excluded_by_config", by_config)
    blank = blank_cells[variables].all(axis=1)
    if inst.kind == "survey":
        blank &= raw["respondent"] == ""
    mark(blank, "empty_row")
    mark(raw["test_row"] == "1", "test_row", "respondent id matches the test-id pattern")
    share = _answered_share(parsed, blank_cells)
    if inst.kind == "survey":
        mark(raw["respondent"] == "", "missing_id", "no respondent id")
        candidates = raw.index[reason == ""]
        order = pd.DataFrame(
            {
                "respondent": raw.loc[candidates, "respondent"],
                "share": share[candidates],
                "date": parsed.values.loc[candidates, inst.date].fillna("")
                if inst.date
                else "",
                "pos": range(len(candidates)),
            },
            index=candidates,
        )
        # Most complete first, then the latest date, then the first row in the file.
        order = order.sort_values(
            ["respondent", "share", "date", "pos"], ascending=[True, False, False, True],
            kind="stable",
        )
        first = order.groupby("respondent", sort=False).head(1)
        kept_row = raw.loc[first.index, "source_row"]
        kept_row.index = first["respondent"].to_numpy()
        dup = order.index.difference(first.index)
        dup_mask = pd.Series(False, index=raw.index)
        dup_mask[dup] = True
        texts = pd.Series("", index=raw.index, dtype="object")
        texts[dup] = [
            f"same respondent as row {kept_row[r]}, which was kept"
            for r in raw.loc[dup, "respondent"]
        ]
        mark(dup_mask, "duplicate", texts)
        low = share < inst.completeness_min
        mark(
            low,
            "break_off",
            share.map(
                lambda s: f"{s:.0%} of questions answered, "
                f"minimum {inst.completeness_min:.0%}"
            ),
        )
    for var in inst.variables:
        if var.eligible_codes is None:
            continue
        values = parsed.values[var.name]
        bad = values.notna() & ~values.isin(list(var.eligible_codes))
        mark(bad.fillna(False).astype(bool), "ineligible", f"{var.name} outside eligible answers")
    excluded = reason != ""
    return pd.DataFrame(
        {
            "instrument": inst.name,
            "file": parsed.meta["file"],
            "row": raw.loc[excluded, "source_row"].astype(int),
            "respondent": raw.loc[excluded, "respondent"],
            "reason": reason[excluded],
            "detail": detail[excluded],
        },
        columns=EXCLUSION_COLUMNS,
    )


NOT_TICKED = 0  # the code of "not selected" in a multiple-response item (value set aangevinkt)


def fill_unticked(parsed: ParsedInstrument) -> tuple[ParsedInstrument, int]:
    """Blanks inside an answered multiple-response set read as "not ticked".

    Survey tools such as Qualtrics write a multi-select as 1 for a ticked option and a
    blank for every other option. Where a respondent answered at least one item of the set
    (ticked it, or gave 0 or "weet niet"), a *blank* item becomes code 0 (not ticked);
    a respondent who left the whole set blank stays missing on every item (the question
    was not answered). Used when the study config says ``multiselect_blank =
    "not_ticked"`` for the export. Returns the instrument and the number of cells filled.
    """
    inst = parsed.instrument
    values = parsed.values.copy()
    filled = 0
    for mrset in inst.mrsets:
        items = [i for i in mrset.items if i in values.columns]
        if not items:
            continue
        for item in items:
            if NOT_TICKED not in inst.variable(item).code_values():
                raise UserError(
                    f"{inst.name}: multiselect_blank = 'not_ticked', but the multiple-response "
                    f"item {item!r} has no code {NOT_TICKED} (not selected) in the codebook"
                )
        blank = _blank(parsed)[items].to_numpy(dtype=bool)
        answered = (~blank).any(axis=1)
        for k, item in enumerate(items):
            fill = answered & blank[:, k]
            if fill.any():
                column = values[item].copy()
                column[fill] = NOT_TICKED
                values[item] = column
                filled += int(fill.sum())
    return replace(parsed, values=values), filled


def cleaned_frame(parsed: ParsedInstrument, excluded_rows: set[int]) -> pd.DataFrame:
    """The kept rows with typed values; pseudonymous id and source row first."""
    keep = ~parsed.raw["source_row"].astype(int).isin(excluded_rows)
    inst = parsed.instrument
    out = pd.DataFrame({"source_row": parsed.raw.loc[keep, "source_row"].astype(int)})
    if inst.kind == "survey":  # registers are identified by their own id column
        out.insert(0, "respondent", parsed.raw.loc[keep, "respondent"])
    for var in inst.variables:
        if var.name in parsed.values.columns and not (
            var.name == inst.id and inst.kind == "survey"
        ):
            out[var.name] = parsed.values.loc[keep, var.name]
    return out.reset_index(drop=True)


def sample_flow(raw_rows: dict[str, int], kept: dict[str, int], exclusions: pd.DataFrame,
                labels: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Rows per instrument: raw, excluded by reason (in rule order), kept."""
    rows = []
    for name, n_raw in raw_rows.items():
        nl, en = labels[name]
        rows.append((name, nl, en, "raw", "", n_raw))
        ex = exclusions[exclusions["instrument"] == name]
        for reason in REASONS:
            n = int((ex["reason"] == reason).sum())
            if n:
                rows.append((name, nl, en, "excluded", reason, n))
        rows.append((name, nl, en, "kept", "", kept[name]))
        if n_raw != kept[name] + len(ex):
            raise AssertionError(
                f"row accounting broken for {name}: raw {n_raw} != kept {kept[name]} "
                f"+ excluded {len(ex)}"
            )
    return pd.DataFrame(rows, columns=["instrument", "label_nl", "label_en", "step", "reason", "n"])


def check_surveys_not_empty(
    kept: dict[str, int], raw_rows: dict[str, int], exclusions: pd.DataFrame,
    files: dict[str, str], codebook: Codebook,
) -> None:
    """A survey with no respondents left cannot be compared, and an optional source (the
    interviews) without records would give an empty chapter: stop, and say why."""
    problems = []
    for name, n_kept in kept.items():
        if n_kept:
            continue
        instrument = codebook.instruments[name]
        if instrument.kind != "survey":
            problems.append(
                f"{files[name]}: no records in the {instrument.label_en.lower()}; "
                f"remove [inputs.{name}] from the study config if the study has none"
            )
            continue
        reasons = exclusions.loc[exclusions["instrument"] == name, "reason"].value_counts()
        why = ", ".join(f"{reason} {n}" for reason, n in reasons.items()) or "the file has no rows"
        problems.append(
            f"{files[name]}: no respondents left in the {instrument.label_en.lower()} "
            f"after cleaning ({raw_rows[name]} rows read; excluded: {why})"
        )
    if problems:
        raise UserError(
            problems, hint="see data/interim/validation_report.csv and the exclusion rules in "
            "README.md (What cleaning does to each row)"
        )


def run_clean(config: StudyConfig, paths: OutputPaths, codebook: Codebook) -> dict[str, int]:
    """Exclusions and cleaned data, one instrument at a time, from validate's typed values
    (``data/interim/parsed/*.parquet``): nothing is parsed twice."""
    exclusions = []
    raw_rows: dict[str, int] = {}
    kept: dict[str, int] = {}
    columns: dict[str, pd.DataFrame] = {}
    files: dict[str, str] = {}
    for name, spec in config.inputs.items():
        p = read_parsed(paths, name, codebook.instruments[name])
        if spec.multiselect_blank == "not_ticked":
            p, _ = fill_unticked(p)
        ex = assign_exclusions(p)
        exclusions.append(ex)
        frame = cleaned_frame(p, set(ex["row"].tolist()))
        raw_rows[name], kept[name] = len(p.raw), len(frame)
        files[name] = p.meta["file"]
        write_frame_csv(paths.interim_csv(name), frame)
        columns[name] = frame.head(0)
        del p, frame
    all_ex = pd.concat(exclusions, ignore_index=True)
    check_surveys_not_empty(kept, raw_rows, all_ex, files, codebook)
    flow = sample_flow(
        raw_rows,
        kept,
        all_ex,
        {n: (codebook.instruments[n].label_nl, codebook.instruments[n].label_en)
         for n in raw_rows},
    )
    for name in INSTRUMENT_FILES:  # an instrument dropped from the config leaves no stale data
        if not config.has(name):
            remove(paths.interim_csv(name))
    write_csv(paths.exclusions, all_ex)
    write_csv(paths.sample_flow, flow)
    described = {**columns, "exclusions": all_ex, "sample_flow": flow}
    write_json(
        paths.interim / "datapackage.json",
        datapackage(described, codebook, name="werktop-eval-interim",
                    title=synthetic_title(f"{config.title}: cleaned survey data",
                                                config.synthetic)),
    )
    return kept
