"""Bad input as a new user would meet it: a clear message, exit code 2, no traceback and no
half-written outputs. Each test damages one file of a freshly simulated study."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.study.config import default_output_root
from synthetic import simulate_study


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("study")
    simulate_study(root / "study", seed=11)
    return root / "study"


@pytest.fixture()
def study(pristine, tmp_path) -> Path:
    target = tmp_path / "study"
    shutil.copytree(pristine, target)
    return target


def _pipeline(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, check=False
    )


def _edit_control(study: Path, edit) -> None:
    path = study / "controlegroep.csv"
    text = path.read_bytes().decode("cp1252")
    path.write_bytes(edit(text).encode("cp1252"))


def _outputs(out: Path) -> list[Path]:
    """Files under ``out`` other than the run summary (which records a failure too)."""
    summary = out / "logs" / "run_summary.json"
    return [p for p in out.rglob("*") if p.is_file() and p != summary] if out.exists() else []


def _assert_user_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert re.search(r"^error: ", result.stderr, re.MULTILINE)
    return result.stderr


def test_wrong_delimiter_says_what_to_set(study, tmp_path):
    config = study / "study.toml"
    text = config.read_text()
    config.write_text(
        text.replace('path = "controlegroep.csv"\nformat = "csv"',
                     'path = "controlegroep.csv"\nformat = "csv"\ndelimiter = ","')
    )
    out = tmp_path / "out"
    err = _assert_user_error(_pipeline("run", "--config", str(config), "--out", str(out)))
    assert "controlegroep.csv: the header is one single column when split on ','" in err
    assert "set delimiter = ';'" in err
    assert _outputs(out) == []


def test_missing_column_is_named(study, tmp_path):
    def drop_age(text: str) -> str:
        lines = text.split("\r\n")
        header = lines[0].split(";")
        assert header[4].strip().lower() == "leeftijd"
        lines[0] = ";".join(header[:4] + ["leeftijd_jaren"] + header[5:])
        return "\r\n".join(lines)

    _edit_control(study, drop_age)
    out = tmp_path / "out"
    err = _assert_user_error(
        _pipeline("run", "--config", str(study / "study.toml"), "--out", str(out))
    )
    assert "controlegroep.csv: missing required column(s) ['leeftijd']" in err
    assert "'leeftijd_jaren'" in err  # shows what the file has
    assert _outputs(out) == []


def test_unknown_unit_names_file_row_column_value_and_suggestion(study, tmp_path):
    frame = pd.read_csv(study / "controlegroep.csv", sep=";", encoding="cp1252", dtype=str)
    row = int(frame.index[frame.iloc[:, 0].str.startswith("C")][5]) + 2  # header is row 1
    respondent = frame.iloc[row - 2, 0]

    def rename(text: str) -> str:
        lines = text.split("\r\n")
        target = [i for i, line in enumerate(lines) if line.startswith(respondent + ";")]
        cells = lines[target[0]].split(";")
        cells[1] = "Hilversm"
        lines[target[0]] = ";".join(cells)
        return "\r\n".join(lines)

    _edit_control(study, rename)
    out = tmp_path / "out"
    err = _assert_user_error(
        _pipeline("run", "--config", str(study / "study.toml"), "--out", str(out))
    )
    assert re.search(
        rf"controlegroep\.csv, row {row}, column 'Gemeente': value 'Hilversm' — expected one "
        r"of the units .*did you mean 'Hilversum'\?",
        err,
    ), err
    assert "spellings" in err and "[units.<id>]" in err
    # the validate stage wrote nothing; later stages never ran
    assert not (out / "data/interim/validation_report.csv").exists()
    assert not (out / "data/interim/control.csv").exists()


def test_label_typo_is_recoded_reported_and_the_run_continues(study, tmp_path):
    count = {"n": 0}

    def typo(text: str) -> str:
        lines = text.split("\r\n")
        for i, line in enumerate(lines[1:], start=1):
            if line.startswith("C") and ";Mee eens;" in line:
                lines[i] = line.replace(";Mee eens;", ";Mee eenss;", 1)
                count["n"] += 1
                count["row"] = i + 1
                break
        return "\r\n".join(lines)

    _edit_control(study, typo)
    assert count["n"] == 1
    out = tmp_path / "out"
    result = _pipeline("validate", "--config", str(study / "study.toml"), "--out", str(out))
    assert result.returncode == 2  # ingest has not run yet in this fresh output dir
    result = _pipeline("ingest", "--config", str(study / "study.toml"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    result = _pipeline("validate", "--config", str(study / "study.toml"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "'Mee eenss' is not a code" in result.stderr
    assert "did you mean 'Mee eens'?" in result.stderr
    report = pd.read_csv(out / "data/interim/validation_report.csv", keep_default_na=False)
    hit = report[report["value"] == "Mee eenss"]
    assert hit["issue"].tolist() == ["unknown_label"]
    assert hit["action"].tolist() == ["set_missing"]
    assert hit["file"].tolist() == ["controlegroep.csv"]
    assert hit["row"].tolist() == [count["row"]]


def test_missing_config_and_bad_setting(tmp_path):
    missing = tmp_path / f"nope_{tmp_path.name}.toml"
    err = _assert_user_error(_pipeline("run", "--config", str(missing)))
    assert "study config not found" in err
    bad = tmp_path / f"bad_{tmp_path.name}.toml"
    bad.write_text('[study]\nlanguage = "fr"\n')
    err = _assert_user_error(_pipeline("ingest", "--config", str(bad)))
    assert "language 'fr'" in err and "expected one of 'nl', 'en'" in err
    # a config that does not load claims no output folder (build/<name>/)
    for config in (missing, bad):
        assert not default_output_root(config).exists()


def test_spss_value_labels_win_over_the_files_own_codes(pristine, study, tmp_path):
    """A file that numbers the answers its own way (1 = Vrouw, 2 = Man: the codebook's codes
    swapped) is read through its labels: every respondent keeps the answer they gave."""
    import pyreadstat

    path = study / "kandidaten.sav"
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    labels = dict(meta.variable_value_labels)
    sex = next(c for c in frame.columns if c.strip().lower() == "geslacht")
    assert labels[sex][1.0] == "Man" and labels[sex][2.0] == "Vrouw"
    before = frame[sex].copy()
    frame[sex] = before.map({1.0: 2.0, 2.0: 1.0}).where(before.isin([1.0, 2.0]), before)
    labels[sex] = {**labels[sex], 1.0: "Vrouw", 2.0: "Man"}
    pyreadstat.write_sav(frame, str(path), variable_value_labels=labels,
                         missing_ranges=meta.missing_ranges)
    def cleaned(config: Path, out: Path) -> pd.DataFrame:
        for stage in ("ingest", "validate", "clean"):
            run = _pipeline(stage, "--config", str(config), "--out", str(out))
            assert run.returncode == 0, run.stderr
        return pd.read_csv(out / "data/interim/candidates.csv")

    out = tmp_path / "out"
    relabelled = cleaned(study / "study.toml", out)
    reference = cleaned(pristine / "study.toml", tmp_path / "reference")
    assert relabelled["geslacht"].notna().sum() > 100
    assert relabelled["geslacht"].fillna(-1).tolist() == \
        reference["geslacht"].fillna(-1).tolist()
    report = pd.read_csv(out / "data/interim/validation_report.csv")
    noted = report[report["issue"] == "value_label_recode"]
    assert set(noted["value"]) == {"1 = Vrouw", "2 = Man"}


def test_spss_value_labels_the_codebook_cannot_read_stop_the_run(study, tmp_path):
    import pyreadstat

    path = study / "kandidaten.sav"
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    labels = dict(meta.variable_value_labels)
    sex = next(c for c in frame.columns if c.strip().lower() == "geslacht")
    labels[sex] = {**labels[sex], 2.0: "Anders of onbekend"}
    pyreadstat.write_sav(frame, str(path), variable_value_labels=labels,
                         missing_ranges=meta.missing_ranges)
    out = tmp_path / "out"
    err = _assert_user_error(
        _pipeline("run", "--config", str(study / "study.toml"), "--out", str(out))
    )
    assert f"kandidaten.sav, column '{sex}': the file's value labels 2 = 'Anders of onbekend'" \
        in err
    assert "[inputs.candidates.labels.geslacht]" in err
    assert not (out / "data/interim/validation_report.csv").exists()


def test_register_needs_every_unit_exactly_once(study, tmp_path):
    path = study / "register_gemeenten.csv"
    text = path.read_bytes().decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    mug = next(i for i, line in enumerate(lines) if "MUG" in line.split(";")[0].upper()
               or "groesbeek" in line.lower().split(";")[0])
    hilversum = next(i for i, line in enumerate(lines) if "hilversum" in line.lower()[:30])
    lines[mug] = lines[hilversum]
    path.write_bytes(("\ufeff" + "".join(lines)).encode("utf-8"))
    err = _assert_user_error(
        _pipeline("run", "--config", str(study / "study.toml"), "--out", str(tmp_path / "o"))
    )
    assert "register_gemeenten.csv: unit 'hilversum' appears 2 times" in err
    assert "register_gemeenten.csv: unit 'MUG' is missing" in err


@pytest.mark.parametrize("setting", ["truth", "scenario"])
def test_a_missing_truth_or_scenario_file_is_a_user_error_naming_the_setting(
    study, tmp_path, setting
):
    file = {"truth": "truth.json", "scenario": "SCENARIO.md"}[setting]
    (study / file).unlink()
    out = tmp_path / "out"
    for args in (["run", "--out", str(out)], ["analyze", "--out", str(out)], ["targets"]):
        err = _assert_user_error(_pipeline(*args, "--config", str(study / "study.toml")))
        assert f"study.toml [study]: {setting} = '{file}'" in err
        assert f"not found at {study / file}" in err
        assert "hint: correct the path" in err and f"remove '{setting}'" in err
    assert _outputs(out) == []


def test_a_misspelt_truth_path_stops_at_config_load_through_main(study, capsys):
    from pipeline.cli import main

    config = study / "study.toml"
    config.write_text(config.read_text().replace('truth = "truth.json"',
                                                 'truth = "thruth.json"'))
    assert main(["fingerprint", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "FileNotFoundError" not in err
    assert "truth = 'thruth.json'" in err


def test_an_output_folder_that_is_a_file_is_exit_2_not_a_traceback(study, tmp_path):
    """The operating system refusing (here: --out names a file) is the user's to fix."""
    out = tmp_path / "some_file"
    out.write_text("keep me")
    err = _assert_user_error(_pipeline("run", "--config", str(study / "study.toml"),
                                       "--out", str(out)))
    assert f"error: the output folder {out} is a file" in err
    assert "--out" in err
    assert out.read_text() == "keep me"
    inside = tmp_path / "out"
    (inside / "data").mkdir(parents=True)
    (inside / "data" / "interim").write_text("in the way")
    err = _assert_user_error(_pipeline("ingest", "--config", str(study / "study.toml"),
                                       "--out", str(inside)))
    assert f"{inside / 'data' / 'interim'} is a file, not a folder" in err
    assert not list(inside.glob(".werktop-rollback-*"))


def test_help_states_the_exit_codes_the_cli_uses(capsys):
    """--help lists each exit code, and the one for a user's problem is the one main returns."""
    from pipeline import cli

    with pytest.raises(SystemExit) as stop:
        cli.main(["--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for code in ("0", "1", str(cli.EXIT_USER_ERROR), "130"):
        assert f"\n  {code} " in text
    assert cli.main(["fingerprint", "--config", "no/such/study.toml"]) == cli.EXIT_USER_ERROR == 2
