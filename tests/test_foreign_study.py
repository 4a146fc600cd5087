"""A foreign study (synthetic/foreign.py): exports made the way real survey tools write
them, for a study that is not the 2014 one.

Two parts:

- the builder's own tests: the files are what they claim to be (SPSS codes and labels,
  Excel title rows, the Qualtrics header), the expected facts add up, same seed -> same bytes;
- end to end: one ``python -m pipeline run`` on the study (module fixture, ~30 s) must put
  every respondent in the right unit, lose no date, exclude the Qualtrics preview and
  unfinished rows with their reason, read the multi-select's blanks as "not ticked", name
  only the study's units in the report, and keep the planted personal data out of every
  output. These need the study-definition settings of the study config
  (``[units.<id>]``, ``field_period``, ``[inputs.<name>.exclude]``, ``multiselect_blank``,
  labels win for SPSS codes).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest

from pipeline.inputs.readers import normalise_column
from pipeline.study.codebook import load_codebook, normalise_label
from pipeline.study.config import DEFAULT_CODEBOOK, PROJECT_ROOT
from synthetic import foreign as F

SURVEYS = ("employers", "candidates", "control")
OLD_UNITS = ("Hilversum", "Lansingerland", "MUG")
DATE_COLUMNS = {"datum_invullen", "recordeddate"}  # normalised export names of the dates


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(DEFAULT_CODEBOOK)


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> F.ForeignStudy:
    return F.write_foreign_study(tmp_path_factory.mktemp("foreign") / "study")


@pytest.fixture(scope="module")
def qualtrics(study) -> list[list[str]]:
    raw = study.files["control"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Qualtrics writes UTF-8 with a BOM"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.fixture(scope="module")
def sav(study):
    return pyreadstat.read_sav(str(study.files["candidates"]), user_missing=True)


def _in_period(iso: pd.Series) -> bool:
    first, last = F.FIELD_PERIOD
    return bool(((iso >= first) & (iso <= last)).all())


# --------------------------------------------------------------------------- the builder


def test_writes_the_exports_and_a_config_naming_them(study):
    assert set(study.files) == {"employers", "candidates", "control", "register"}
    for path in [*study.files.values(), study.config]:
        assert path.is_file() and path.stat().st_size > 0, path
    doc = tomllib.loads(study.config.read_text(encoding="utf-8"))
    assert doc["study"]["field_period"] == list(F.FIELD_PERIOD)
    assert doc["study"]["synthetic"] is True
    assert doc["privacy"]["pseudonym_key"] == F.PSEUDONYM_KEY
    assert {k: v["name"] for k, v in doc["units"].items()} == {
        "doetinchem": "Doetinchem", "bergendal": "Berg en Dal", "zaanstad": "Zaanstad",
        "assen": "Assen",
    }  # fmt: skip
    assert doc["units"]["assen"]["comparison"] is True
    # Berg en Dal is one municipality (merged in 2015); its former names are spellings
    assert "members" not in doc["units"]["bergendal"]
    assert {"Groesbeek", "Ubbergen", "Millingen aan de Rijn"} <= set(
        doc["units"]["bergendal"]["spellings"])
    for name, path in study.files.items():
        assert (study.config.parent / doc["inputs"][name]["path"]).resolve() == path.resolve()
    control = doc["inputs"]["control"]
    assert control["skip_rows"] == 2 and control["multiselect_blank"] == "not_ticked"
    assert control["date_format"] == "%m/%d/%Y %H:%M"
    assert control["exclude"] == {"Status": ["Survey Preview"], "Finished": ["False"]}
    assert doc["inputs"]["employers"]["header_row"] == F.EXCEL_HEADER_ROW


def test_every_export_spelling_is_declared_in_the_config(study):
    """Each way a unit is written in a CSV or Excel cell is its name or a listed spelling."""
    doc = tomllib.loads(study.config.read_text(encoding="utf-8"))
    declared = {
        normalise_label(s): uid
        for uid, u in doc["units"].items()
        for s in (u["name"], *u.get("spellings", []))
    }
    assert len(declared) == sum(1 + len(u.get("spellings", [])) for u in doc["units"].values())
    for unit in F.UNITS:
        for written, _ in unit.written:
            assert declared[normalise_label(written)] == unit.id


def test_same_seed_gives_the_same_bytes(study, tmp_path):
    again = F.write_foreign_study(tmp_path / "again")
    for name, path in {**study.files, "config": study.config}.items():
        other = again.config if name == "config" else again.files[name]
        assert path.read_bytes() == other.read_bytes(), name
    other_seed = F.write_foreign_study(tmp_path / "other", seed=7)
    assert other_seed.files["control"].read_bytes() != study.files["control"].read_bytes()


def test_spss_unit_is_the_tools_own_code_with_labels(study, sav, codebook):
    frame, meta = sav
    labels = meta.variable_value_labels["gemeente"]
    assert labels == {1.0: "Doetinchem", 2.0: "Berg en Dal", 3.0: "Zaanstad"}
    # The trap: the codebook's 2014 code 1 is another unit; reading the number is wrong.
    assert codebook.units[0].code == 1 and codebook.units[0].name != labels[1.0]
    rows = study.surveys["candidates"].rows
    written = frame["gemeente"].map(labels).map({u.name: u.id for u in F.UNITS})
    assert written.tolist() == rows["unit"].tolist()
    assert set(written) == {"doetinchem", "bergendal", "zaanstad"}


@pytest.mark.parametrize("name", sorted(F.SPSS_OWN_CODES))
def test_spss_codes_a_question_in_its_own_order(study, sav, codebook, name):
    """The file's codes differ from the codebook's; its labels say what they mean."""
    frame, meta = sav
    var = codebook.instruments["candidates"].variable(name)
    labels = meta.variable_value_labels[name]
    book = {c.nl: c.code for c in var.codes}
    meant = {code: book[label] for code, label in labels.items() if label in book}
    assert any(code != meaning for code, meaning in meant.items()), "no conflicting code"
    assert set(meta.missing_ranges[name][0].values()) == {9.0}
    planted = study.surveys["candidates"].rows[name]
    read_by_label = frame[name].map(meant)  # user-missing 9 has no codebook meaning -> NaN
    pd.testing.assert_series_equal(
        read_by_label.astype(float), planted.astype(float), check_names=False
    )
    assert planted.notna().sum() > 0.9 * len(planted)


def test_spss_dates_are_inside_the_field_period(study, sav):
    frame, _ = sav
    iso = pd.to_datetime(frame["datum_invullen"]).dt.strftime("%Y-%m-%d")
    assert iso.tolist() == study.surveys["candidates"].rows["date"].tolist()
    assert iso.min() == F.FIELD_PERIOD[0] and iso.max() == F.FIELD_PERIOD[1]


def test_excel_has_title_rows_above_the_header(study, codebook):
    wb = openpyxl.load_workbook(study.files["employers"], read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    header = rows[F.EXCEL_HEADER_ROW - 1]
    names = {normalise_column(c) for c in header if c is not None}
    assert {v.name for v in codebook.instruments["employers"].variables} <= names
    above = rows[: F.EXCEL_HEADER_ROW - 1]
    assert "Enquête ondernemers" in str(above[0][0])
    assert all(c is None for c in above[-1]), "a blank row right above the header"
    assert not any(normalise_column(c) in names for r in above for c in r if c is not None)
    body = rows[F.EXCEL_HEADER_ROW:]
    assert len(body) == study.surveys["employers"].raw_rows
    units = {r[1] for r in body}
    assert {"Gemeente Doetinchem", "Groesbeek", "Millingen a/d Rijn", "Zaanstad"} <= units


def test_qualtrics_header_has_no_codebook_name(qualtrics, codebook, study):
    header = qualtrics[0]
    every_name = {normalise_column(v.name) for i in codebook.instruments.values()
                  for v in i.variables}  # fmt: skip
    assert not {normalise_column(h) for h in header} & every_name
    own = ["StartDate", "EndDate", "Status", "Progress", "Finished", "RecordedDate",
           "ResponseId"]  # fmt: skip
    assert set(own) <= set(header)
    questions = [h for h in header if h not in own and h not in (
        "Duration (in seconds)", "DistributionChannel", "UserLanguage")]  # fmt: skip
    assert questions and all(re.fullmatch(r"Q\d+(_\w+)?", q) for q in questions)
    assert {"Q1", "Q4_opl", "Q9_nl"} <= set(questions)
    # Every codebook column of the control survey comes from one renamed export column.
    rename = study.qualtrics_rename
    assert set(rename) <= set(header)
    assert sorted(rename.values()) == sorted(codebook.instruments["control"].names)
    assert qualtrics[1][header.index("Q1")] == "In welke gemeente woont u?"
    for cell in qualtrics[2]:
        assert set(json.loads(cell)) <= {"ImportId", "timeZone"}


def test_qualtrics_rows(qualtrics, study):
    header, body = qualtrics[0], qualtrics[1 + F.QUALTRICS_SKIP_ROWS :]
    frame = pd.DataFrame(body, columns=header)
    facts = study.surveys["control"]
    assert len(frame) == facts.raw_rows
    assert set(frame["Status"]) == {"IP Address", "Survey Preview"}
    assert 2 <= (frame["Status"] == "Survey Preview").sum() <= 5
    assert set(frame["Finished"]) == {"True", "False"}
    assert 2 <= (frame["Finished"] == "False").sum() <= 0.05 * len(frame)
    assert (frame.loc[frame["Finished"] == "False", "Progress"].astype(int) < 100).all()
    recorded = frame["RecordedDate"]
    assert recorded.str.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d").all()
    iso = pd.to_datetime(recorded, format=F.QUALTRICS_DATE_FORMAT).dt.strftime("%Y-%m-%d")
    assert iso.tolist() == facts.rows["date"].tolist()
    assert _in_period(iso)
    assert frame["ResponseId"].tolist() == facts.rows["respondent_id"].tolist()
    assert frame["ResponseId"].is_unique
    channels = [c for c, n in study.qualtrics_rename.items() if n.startswith("kanaal_")]
    assert len(channels) == 5
    assert set(np.unique(frame[channels].to_numpy())) == {"1", ""}
    assert {"Gemeente Doetinchem", "Groesbeek", "Millingen a/d Rijn", "Zaanstad"} <= set(
        frame["Q1"]
    )


def test_an_answer_equals_a_column_name_within_the_header_search(qualtrics, study):
    text_column = next(c for c, n in study.qualtrics_rename.items() if n == "wensen")
    header = qualtrics[0]
    rows = [i + 1 for i, r in enumerate(qualtrics[:20]) if r[header.index(text_column)]
            == F.COLUMN_NAME_ANSWER]  # fmt: skip
    assert rows and rows[0] > 1 + F.QUALTRICS_SKIP_ROWS
    assert normalise_column(F.COLUMN_NAME_ANSWER) == "nederlands"  # a codebook column


def test_personal_data_is_planted(study):
    text = study.files["control"].read_text(encoding="utf-8-sig")
    assert study.pii_answer in text
    planted = [p for p in study.planted_pii if p in study.pii_answer]
    assert any("@" in p for p in planted)
    assert any(re.fullmatch(r"(\+31 6 |0\d{1,3}-)\d+", p) for p in planted)


def test_register_is_a_dutch_csv(study, codebook):
    raw = study.files["register"].read_bytes()
    text = raw.decode("cp1252")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert [normalise_column(h) for h in rows[0]] == codebook.instruments["register"].names
    assert [r[0] for r in rows[1:]] == ["Doetinchem", "Gemeente Berg en Dal", "Zaanstad", "Assen"]
    werkloosheid = rows[0].index("Werkloosheid")
    assert all("," in r[werkloosheid] for r in rows[1:])
    assert "\r\n" in text


def test_expected_facts_add_up(study):
    for name in SURVEYS:
        facts = study.surveys[name]
        assert facts.kept + facts.excluded_rows() == facts.raw_rows
        assert all(n > 0 for n in facts.kept_per_unit.values()), facts.kept_per_unit
        assert set(facts.kept_per_unit) == set(study.units)
        assert _in_period(facts.rows["date"]), name
        rows = [r for e in facts.excluded for r in e.rows]
        assert len(rows) == len(set(rows)), "a row excluded twice"
        assert set(rows) <= set(facts.rows["source_row"])
    control = study.surveys["control"].excluded_by_reason()
    assert control["config"] >= 4 and "duplicate" not in control
    for share in study.channel_shares.values():
        assert 0 < share.ticked < share.answered < study.surveys["control"].kept


def test_command_line_writes_the_study(tmp_path):
    out = tmp_path / "cli"
    result = subprocess.run(
        [sys.executable, "-m", "synthetic.foreign", "--out", str(out), "--scale", "0.5"],
        capture_output=True, text=True, check=False, cwd=PROJECT_ROOT, env=_env(),
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([*F.FILE_NAMES.values(), "study.toml"])
    assert "kept" in result.stderr


# --------------------------------------------------------------------------- end to end


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "WERKTOP_PSEUDONYM_KEY"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return env


@pytest.fixture(scope="module")
def run(study) -> tuple[subprocess.CompletedProcess, Path]:
    out = study.out_dir.parent / "out"
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--config", str(study.config),
         "--out", str(out)],
        capture_output=True, text=True, check=False, cwd=PROJECT_ROOT, env=_env(),
    )  # fmt: skip
    return result, out


def _output(run: tuple[subprocess.CompletedProcess, Path]) -> Path:
    """The run's output folder; the calling test fails when the run failed."""
    result, out = run
    assert result.returncode == 0, f"the pipeline run failed:\n{result.stderr[-3000:]}"
    return out


def _interim(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "data" / "interim" / f"{name}.csv", dtype={"gemeente": str})


def test_run_succeeds_without_traceback(run):
    result, _ = run
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("name", SURVEYS)
def test_every_respondent_lands_in_the_right_unit(run, study, name):
    out = _output(run)
    data = _interim(out, name)
    assert set(data["gemeente"]) <= set(study.units), "a respondent outside the study's units"
    counts = data["gemeente"].value_counts().to_dict()
    assert counts == study.surveys[name].kept_per_unit


def test_register_holds_the_study_units(run, study):
    out = _output(run)
    data = _interim(out, "register")
    assert sorted(data["gemeente"]) == sorted([*study.units, *study.comparison_units])


@pytest.mark.parametrize("name", SURVEYS)
def test_no_date_is_lost(run, study, name):
    out = _output(run)
    data = _interim(out, name)
    assert data["datum_invullen"].notna().all(), "a completion date was lost"
    planted = study.surveys[name].rows.set_index("source_row")["date"]
    assert data["datum_invullen"].tolist() == planted.loc[data["source_row"]].tolist()


def test_no_date_is_out_of_range(run):
    out = _output(run)
    report = pd.read_csv(out / "data" / "interim" / "validation_report.csv", dtype=str)
    dates = report[report["column"].map(normalise_column).isin(DATE_COLUMNS)]
    assert dates.empty, dates.to_string()


@pytest.mark.parametrize("name", SURVEYS)
def test_excluded_rows_with_their_reason(run, study, name):
    out = _output(run)
    excl = pd.read_csv(out / "data" / "interim" / "exclusions.csv", dtype=str).fillna("")
    excl = excl[excl["instrument"] == name]
    by_row = {int(r): (reason, detail) for r, reason, detail in
              zip(excl["row"], excl["reason"], excl["detail"], strict=True)}  # fmt: skip
    facts = study.surveys[name]
    assert len(excl) == facts.excluded_rows()
    for e in facts.excluded:
        hits = [by_row[r] for r in e.rows if r in by_row]
        assert len(hits) == 1, f"{e}: excluded {len(hits)} times"
        reason, detail = hits[0]
        if e.reason == "config":  # e.g. Status = Survey Preview: the reason names both
            said = f"{reason} {detail}"
            assert e.column in said and e.value in said, (e, said)
        else:
            assert reason == e.reason, (e, reason, detail)


@pytest.mark.parametrize("name", SURVEYS)
def test_sample_flow_accounts_for_every_raw_row(run, study, name):
    out = _output(run)
    flow = pd.read_csv(out / "data" / "interim" / "sample_flow.csv")
    flow = flow[flow["instrument"] == name]
    n = {step: int(flow.loc[flow["step"] == step, "n"].sum()) for step in ("raw", "kept")}
    excluded = int(flow.loc[flow["step"] == "excluded", "n"].sum())
    facts = study.surveys[name]
    assert (n["raw"], n["kept"], excluded) == (facts.raw_rows, facts.kept, facts.excluded_rows())
    assert n["raw"] == n["kept"] + excluded


def test_multiselect_blanks_are_not_ticked(run, study):
    out = _output(run)
    data = pd.read_csv(out / "data" / "processed" / "jobseekers.csv")
    control = data[data["werktop"] == 0]
    assert len(control) == study.surveys["control"].kept
    for name, planted in study.channel_shares.items():
        column = control[name]
        assert (int((column == 1).sum()), int(column.notna().sum())) == (
            planted.ticked, planted.answered
        ), name
        assert column.mean() == pytest.approx(planted.share) and planted.share < 1


@pytest.mark.parametrize("name", sorted(F.SPSS_OWN_CODES))
def test_spss_answers_are_read_through_their_labels(run, study, name):
    out = _output(run)
    data = _interim(out, "candidates").set_index("source_row")[name]
    planted = study.surveys["candidates"].rows.set_index("source_row")[name]
    pd.testing.assert_series_equal(
        data.astype(float), planted.loc[data.index].astype(float), check_names=False
    )


def _without_data_uris(text: str) -> str:
    """Embedded fonts and images are base64: any three letters occur in them by chance."""
    return re.sub(r"data:[^\"')\s]+", "", text)


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", text) is not None


def test_report_names_only_the_study_units(run):
    out = _output(run)
    html = _without_data_uris(
        (out / "reports" / "werktop_report.html").read_text(encoding="utf-8")
    )
    for name in ("Berg en Dal", "Doetinchem", "Zaanstad"):
        assert _mentions(html, name), name
    texts = {"report html": html}
    texts |= {p.name: p.read_text(encoding="utf-8") for p in
              (out / "results" / "tables").glob("*.csv")}  # fmt: skip
    texts |= {p.name: p.read_text(encoding="utf-8") for p in (out / "figures").rglob("*.svg")}
    import pypdf

    pdf = pypdf.PdfReader(str(out / "reports" / "werktop_report.pdf"))
    texts["report pdf"] = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pdf.pages))
    assert _mentions(texts["report pdf"], "Berg en Dal")
    found = [(where, old) for where, text in texts.items() for old in OLD_UNITS
             if _mentions(text, old)]  # fmt: skip
    assert not found


def _output_texts(out: Path):
    """Every output file as text: tables and JSON as they are, binary formats decoded."""
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        suffix = path.suffix.lower()
        if suffix == ".png":
            continue
        if suffix == ".parquet":
            yield path, pd.read_parquet(path).to_csv()
        elif suffix == ".sav":
            yield path, pyreadstat.read_sav(str(path))[0].to_csv()
        elif suffix == ".xlsx":
            with zipfile.ZipFile(path) as zf:
                yield path, "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
        elif suffix == ".pdf":
            import pypdf

            yield path, "\n".join(p.extract_text() for p in pypdf.PdfReader(str(path)).pages)
        else:
            yield path, path.read_bytes().decode("utf-8", "replace")


def test_planted_personal_data_never_reaches_an_output(run, study):
    out = _output(run)
    assert study.planted_pii
    leaks = [(path.relative_to(out).as_posix(), p) for path, text in _output_texts(out)
             for p in study.planted_pii if p in text]  # fmt: skip
    assert not leaks


def test_free_text_with_personal_data_reaches_the_outputs_redacted(run, study, qualtrics):
    """The answer is kept without the personal data (so the leak test above saw it)."""
    out = _output(run)
    row = next(i + 1 for i, r in enumerate(qualtrics) if study.pii_answer in r)
    data = _interim(out, "control").set_index("source_row")
    answer = data.loc[row, "wensen"]
    assert answer.startswith(study.pii_answer.split(" op ")[0])
    assert not [p for p in study.planted_pii if p in answer]
