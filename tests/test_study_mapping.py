"""A study maps its own exports: rename, skip_rows, date_format, [units.aliases]; a column
that mostly fails to parse stops the run. Ends with a Qualtrics-like export run through
``python -m pipeline ingest/validate/clean``."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.inputs.values import parse_date
from pipeline.stages.ingest import ingest_export, rename_columns, skip_rows
from pipeline.stages.validate import hard_errors, parse_instrument
from pipeline.study.config import PROJECT_ROOT
from pipeline.study.errors import UserError
from pipeline.study.privacy import pseudonymise
from tests.conftest import make_raw

EXAMPLE = PROJECT_ROOT / "data" / "raw" / "example"
TRUTH = json.loads((EXAMPLE / "truth.json").read_text(encoding="utf-8"))
KEY = "synthetic-example-key-not-secret"


# --------------------------------------------------------------------------- rename


def test_rename_gives_codebook_names_and_keeps_the_file_names_for_messages(codebook):
    inst = codebook.instruments["control"]
    columns = ["ResponseId", "Q1_gemeente", *[n for n in inst.names if n not in
                                               ("respondent_id", "gemeente")]]
    raw = make_raw(columns, [{"ResponseId": "C1", "Q1_gemeente": "Zaanstad", "leeftijd": "40"}])
    frame, meta = ingest_export(
        raw, inst, key=b"k", test_pattern="^test",
        rename={"responseid": "respondent_id", "Q1_gemeente": "gemeente"},  # case ignored
    )
    assert frame.loc[0, "gemeente"] == "Zaanstad"
    assert frame.loc[0, "respondent"] == pseudonymise("C1", instrument="control", key=b"k")
    assert meta["columns"]["gemeente"] == "Q1_gemeente"
    assert meta["columns"]["respondent_id"] == "ResponseId"


@pytest.mark.parametrize(
    ("rename", "message"),
    [
        ({"ResponseId": "respondent"},
         "'ResponseId' = 'respondent' — 'respondent' is not a variable of the control-group "
         "survey in the codebook; did you mean 'respondent_id'?"),
        ({"ResponsId": "respondent_id"},
         "'ResponsId' = 'respondent_id' — the file has no column 'ResponsId'; did you mean "
         "'ResponseId'?"),
        ({"ResponseId": "gemeente"},
         "'ResponseId' = 'gemeente' — the file already has a column 'gemeente'"),
    ],
)
def test_bad_renames_name_the_setting(codebook, rename, message):
    inst = codebook.instruments["control"]
    raw = make_raw(["ResponseId", "gemeente"], [{}], file="qualtrics.csv")
    with pytest.raises(UserError) as info:
        rename_columns(raw, inst, rename)
    assert "qualtrics.csv [inputs.control.rename]: " + message in str(info.value)


# --------------------------------------------------------------------------- skip_rows


def _numbered(n: int, first_row: int = 2):
    raw = make_raw(["a"], [{"a": str(i)} for i in range(n)])
    raw.source_rows = list(range(first_row, first_row + n))
    return raw


def test_skip_rows_count_drops_the_first_rows_and_keeps_row_numbers():
    raw, skipped = skip_rows(_numbered(5), 2)
    assert skipped == [2, 3]
    assert raw.source_rows == [4, 5, 6]
    assert [r[0] for r in raw.rows] == ["2", "3", "4"]


def test_skip_rows_list_uses_the_row_numbers_of_the_file():
    raw, skipped = skip_rows(_numbered(5, first_row=4), (5, 8))  # header in row 3
    assert skipped == [5, 8]
    assert raw.source_rows == [4, 6, 7]
    assert [r[0] for r in raw.rows] == ["0", "2", "3"]


def test_skip_rows_beyond_the_file_are_errors():
    with pytest.raises(UserError, match="skip_rows = 6, but the file has only 5 row"):
        skip_rows(_numbered(5), 6)
    with pytest.raises(UserError, match=r"row\(s\) \[9\] are not in the file; its rows below "
                       r"the header are 2 to 6"):
        skip_rows(_numbered(5), (2, 9))


# --------------------------------------------------------------------------- date_format


def test_date_format_reads_us_dates_and_still_accepts_iso():
    assert parse_date("02/14/2014", "%m/%d/%Y") == dt.date(2014, 2, 14)
    assert parse_date("2/3/2014", "%m/%d/%Y") == dt.date(2014, 2, 3)  # 3 February, not 2 March
    assert parse_date("2014-02-03", "%m/%d/%Y") == dt.date(2014, 2, 3)
    assert parse_date("14-02-2014", "%m/%d/%Y") is None  # the default layout is off
    assert parse_date("03-02-2014") == dt.date(2014, 2, 3)  # default: dd-mm-jjjj


# --------------------------------------------------------------------------- unit aliases


def test_study_unit_aliases_are_merged_with_the_codebook(codebook):
    merged = codebook.with_unit_aliases({"Gemeente Hilversum (Noord-Holland)": "hilversum"})
    table = merged.unit_alias_table()
    assert table["gemeente hilversum noord holland"].id == "hilversum"
    assert table["zaandam"].id == "zaanstad"  # the codebook's own aliases stay
    assert "gemeente hilversum noord holland" not in codebook.unit_alias_table()  # not mutated


def test_an_alias_for_an_unknown_unit_is_an_error(codebook):
    with pytest.raises(UserError, match=r"\[units.aliases\]: 'Hilversum-Oost' = 'hilversom' — "
                       r"'hilversom' is not a unit id in the codebook; did you mean 'hilversum'"):
        codebook.with_unit_aliases({"Hilversum-Oost": "hilversom"})


def test_an_alias_that_already_means_another_unit_is_an_error(codebook):
    with pytest.raises(UserError, match="'Zaandam' = 'hilversum' — this spelling already means "
                       "unit 'zaanstad'"):
        codebook.with_unit_aliases({"Zaandam": "hilversum"})


# --------------------------------------------------------------------------- failed columns


def _control(codebook, rows, **kwargs):
    inst = codebook.instruments["control"]
    frame, meta = ingest_export(make_raw(inst.names, rows, file="c.csv"), inst, key=b"k",
                                test_pattern="^test")
    return parse_instrument(frame, meta, inst, codebook, **kwargs)


def _rows(dates):
    return [{"respondent_id": f"C{i}", "gemeente": "Zaanstad", "datum_invullen": d}
            for i, d in enumerate(dates)]


def test_a_date_column_of_mostly_us_dates_is_a_hard_error_with_a_hint(codebook):
    # 3 of 5 non-blank dates fail as dd-mm-jjjj (month 13, 14, 28); 2 parse (wrongly).
    dates = ["01/13/2014", "02/14/2014", "03/28/2014", "04/05/2014", "05/06/2014", ""]
    (message,) = _control(codebook, _rows(dates)).column_errors
    assert message.startswith("c.csv, column 'datum_invullen': 3 of 5 values could not be "
                              "read as dates")
    assert ("most values of 'datum_invullen' look like US dates (mm/dd/yyyy): set "
            "date_format = '%m/%d/%Y' in [inputs.control]") in message


def test_with_the_date_format_the_same_column_parses(codebook):
    dates = ["01/13/2014", "02/14/2014", "03/28/2014", "04/05/2014", "05/06/2014", ""]
    parsed = _control(codebook, _rows(dates), date_format="%m/%d/%Y")
    assert parsed.column_errors == []
    assert parsed.values["datum_invullen"].tolist() == [
        "2014-01-13", "2014-02-14", "2014-03-28", "2014-04-05", "2014-05-06", None]


def test_exactly_half_failing_stays_soft(codebook):
    # 2 of 4 fail: not more than half, so they are recoded to missing and reported.
    parsed = _control(codebook, _rows(["01/13/2014", "02/14/2014", "05-04-2014", "06-04-2014"]))
    assert parsed.column_errors == []
    assert hard_errors(parsed, limit=50) == []
    assert parsed.issues["issue"].tolist().count("invalid_date") == 2


def test_a_code_column_that_mostly_fails_says_to_check_the_mapping(codebook):
    rows = [{"respondent_id": f"C{i}", "gemeente": "Zaanstad", "geslacht": g}
            for i, g in enumerate(["M", "V", "M", "Man"])]
    (message,) = _control(codebook, rows).column_errors
    assert "column 'geslacht': 3 of 4 values could not be read as codes or labels" in message
    assert "values of 'geslacht' such as 'M', 'V' are neither codes nor labels" in message
    assert "rename in [inputs.control]" in message


def test_a_number_column_that_mostly_fails_is_an_error(codebook):
    rows = [{"respondent_id": f"C{i}", "gemeente": "Zaanstad", "leeftijd": a}
            for i, a in enumerate(["veertig", "dertig", "41"])]
    (message,) = _control(codebook, rows).column_errors
    assert "column 'leeftijd': 2 of 3 values could not be read as whole numbers" in message


# --------------------------------------------------------------------------- Qualtrics, CLI

RENAME = {  # Qualtrics column -> the example export's column
    "ResponseId": "respondent_ID",
    "Q1_gemeente": "Gemeente",
    "RecordedDate": "datum_invullen",
    "Q2_geslacht": "geslacht",
    "Q3_leeftijd": "Leeftijd",
}
UNIT_LABELS = {  # unit id -> how the Qualtrics choice list spells it (not in units.toml)
    "hilversum": "Gemeente Hilversum (Noord-Holland)",
    "zaanstad": "Gemeente Zaanstad (Noord-Holland)",
    "lansingerland": "Gemeente Lansingerland (Zuid-Holland)",
    "doetinchem": "Gemeente Doetinchem (Gelderland)",
    "mug": "Millingen a/d Rijn, Ubbergen of Groesbeek",
}


def _us_date(text: str) -> str:
    try:
        return dt.datetime.strptime(text.strip(), "%d-%m-%Y").strftime("%m/%d/%Y")
    except ValueError:
        return text


def _qualtrics_export(path: Path, codebook) -> pd.DataFrame:
    """The example control-group export as Qualtrics would write it; returns its data rows
    (index 0 = spreadsheet row 4: header, question text and ImportId rows come first)."""
    frame = pd.read_csv(EXAMPLE / "controlegroep.csv", sep=";", dtype=str, encoding="cp1252",
                        keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    frame = frame.rename(columns={old: new for new, old in RENAME.items()})
    aliases = codebook.unit_alias_table()
    units = frame["Q1_gemeente"].map(
        lambda t: aliases[normalise(t)].id if t.strip() else "")
    frame["Q1_gemeente"] = units.map(lambda u: UNIT_LABELS.get(u, ""))
    frame["RecordedDate"] = frame["RecordedDate"].map(_us_date)
    questions = [f"Vraag over {c}" for c in frame.columns]
    import_ids = [json.dumps({"ImportId": f"QID{i}"}) for i in range(len(frame.columns))]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerows([list(frame.columns), questions, import_ids])
        writer.writerows(frame.itertuples(index=False))
    return frame


def normalise(text: str) -> str:
    from pipeline.study.codebook import normalise_label

    return normalise_label(text)


def _config(study: Path, *, date_format: bool = True) -> Path:
    rename = "\n".join(f'{k} = "{v.strip().lower()}"' for k, v in RENAME.items()
                       if k != "RecordedDate")
    text = f"""[study]
title = "Qualtrics-achtige studie"
synthetic = true
seed = 7

[privacy]
pseudonym_key = "{KEY}"

[inputs.employers]
path = "{(EXAMPLE / 'ondernemers.xlsx').as_posix()}"
format = "XLSX"
sheet = "Enquete ondernemers"

[inputs.candidates]
path = "{(EXAMPLE / 'kandidaten.sav').as_posix()}"
format = "sav"

[inputs.control]
path = "qualtrics_control.csv"
format = "csv"
skip_rows = 2
{'date_format = "%m/%d/%Y"' if date_format else ''}

[inputs.control.rename]
{rename}
RecordedDate = "datum_invullen"

[units.aliases]
""" + "\n".join(f'"{label}" = "{unit}"' for unit, label in UNIT_LABELS.items()) + "\n"
    path = study / ("study.toml" if date_format else "study_no_date_format.toml")
    path.write_text(text, encoding="utf-8")
    return path


def _pipeline(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True,
                          text=True, check=False, cwd=PROJECT_ROOT)


@pytest.fixture(scope="module")
def qualtrics(tmp_path_factory, codebook):
    study = tmp_path_factory.mktemp("qualtrics")
    frame = _qualtrics_export(study / "qualtrics_control.csv", codebook)
    config = _config(study)
    out = study / "out"
    runs = {stage: _pipeline(stage, "--config", str(config), "--out", str(out))
            for stage in ("ingest", "validate", "clean")}
    return {"study": study, "frame": frame, "out": out, "runs": runs}


def test_qualtrics_export_runs_through_ingest_validate_clean(qualtrics):
    for stage, run in qualtrics["runs"].items():
        assert run.returncode == 0, f"{stage}: {run.stderr}"


def test_qualtrics_rows_kept_match_what_was_planted(qualtrics):
    out = qualtrics["out"]
    kept = pd.read_csv(out / "data/interim/control.csv", dtype=str, keep_default_na=False)
    assert len(kept) == TRUTH["files"]["control"]["expected_clean_respondents"]  # 326
    flow = pd.read_csv(out / "data/interim/sample_flow.csv", dtype=str, keep_default_na=False)
    control = flow[flow["instrument"] == "control"].set_index(["step", "reason"])["n"]
    # the two question-text rows are not respondents: raw = the 360 rows of the example file
    assert control[("raw", "")] == str(TRUTH["files"]["control"]["rows_in_file"])
    assert control[("excluded", "test_row")] == "3"


def test_absent_instruments_leave_no_files_and_no_sample_flow_lines(qualtrics):
    out = qualtrics["out"]
    for name in ("register", "interviews"):
        assert not (out / f"data/interim/{name}.csv").exists()
        assert not (out / f"data/interim/ingested/{name}.csv").exists()
    flow = pd.read_csv(out / "data/interim/sample_flow.csv")
    assert set(flow["instrument"]) == {"employers", "candidates", "control"}


def test_qualtrics_rows_keep_their_spreadsheet_numbers_dates_become_iso(qualtrics):
    frame, out = qualtrics["frame"], qualtrics["out"]
    kept = pd.read_csv(out / "data/interim/control.csv", dtype=str, keep_default_na=False)
    source = frame.iloc[kept["source_row"].astype(int) - 4]  # spreadsheet row 4 = index 0
    expected_ids = [pseudonymise(i.strip(), instrument="control", key=KEY.encode())
                    for i in source["ResponseId"]]
    assert kept["respondent"].tolist() == expected_ids
    iso = [dt.datetime.strptime(d, "%m/%d/%Y").date().isoformat() if d else ""
           for d in source["RecordedDate"]]
    assert kept["datum_invullen"].tolist() == iso
    assert kept["datum_invullen"].str.fullmatch(r"\d{4}-\d{2}-\d{2}|").all()
    by_label = {label: unit for unit, label in UNIT_LABELS.items()}
    assert kept["gemeente"].tolist() == [by_label.get(g, "") for g in source["Q1_gemeente"]]


def test_planted_soft_issues_stay_soft_and_point_at_the_original_rows(qualtrics):
    frame, out = qualtrics["frame"], qualtrics["out"]
    report = pd.read_csv(out / "data/interim/validation_report.csv", dtype=str,
                         keep_default_na=False)
    control = report[report["instrument"] == "control"]
    truth = TRUTH["files"]["control"]
    assert (control["issue"] == "unknown_label").sum() == truth["label_typos"]["count"]
    (age,) = truth["out_of_range"]["leeftijd"]
    (row,) = control.loc[control["column"] == "Q3_leeftijd", "row"].astype(int)
    assert frame.iloc[row - 4]["ResponseId"].strip() == age["respondent_id"]
    assert frame.iloc[row - 4]["Q3_leeftijd"].strip() == str(age["value"])


def test_us_dates_without_date_format_stop_validate_with_a_hint(qualtrics, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(qualtrics["out"] / "data/interim/ingested", out / "data/interim/ingested")
    config = _config(qualtrics["study"], date_format=False)
    run = _pipeline("validate", "--config", str(config), "--out", str(out))
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert "qualtrics_control.csv, column 'RecordedDate': " in run.stderr
    assert ("most values of 'datum_invullen' look like US dates (mm/dd/yyyy): set "
            "date_format = '%m/%d/%Y' in [inputs.control]") in run.stderr
    assert not (out / "data/interim/validation_report.csv").exists()
