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

from pipeline.config import default_output_root
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
    assert not out.exists() or not any(p.is_file() for p in out.rglob("*"))


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
    assert not any(p.is_file() for p in out.rglob("*")) if out.exists() else True


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
    assert "units.toml" in err
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


def test_spss_value_labels_that_contradict_the_codebook_stop_the_run(study, tmp_path):
    import pyreadstat

    path = study / "kandidaten.sav"
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    labels = dict(meta.variable_value_labels)
    sex = next(c for c in frame.columns if c.strip().lower() == "geslacht")
    labels[sex] = {1.0: "Vrouw", 2.0: "Man"}  # swapped relative to the codebook
    pyreadstat.write_sav(frame, str(path), variable_value_labels=labels,
                         missing_ranges=meta.missing_ranges)
    out = tmp_path / "out"
    err = _assert_user_error(
        _pipeline("run", "--config", str(study / "study.toml"), "--out", str(out))
    )
    assert f"kandidaten.sav, column '{sex}': value labels differ from the codebook" in err
    assert "'Vrouw', which the codebook codes as 2" in err
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
