"""Bad input through the whole CLI, into an output folder that holds a good run.

Every case asserts what a user sees: exit code 2, a message naming the file, row, column or
setting and what was expected, no traceback, and the previous run's files untouched (byte
for byte, none added or removed). Cases that are soft issues instead assert the row
accounting. Reader-level classes (quotes, encodings, fuzzing) are in test_bad_input.py,
config errors in test_config.py.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.study.config import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "studies" / "example.toml"
RAW = PROJECT_ROOT / "data" / "raw" / "example"
CONTROL = "controlegroep.csv"
INTERVIEWS = "interviews_codering.csv"
REGISTER = "register_gemeenten.csv"


#: The run summary records every attempt, a failed one too: it is the one file a failed
#: run changes (pipeline/outputs/run_summary.py), so the snapshots of the outputs leave it out.
SUMMARY = "logs/run_summary.json"


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*")) if p.is_file() and p != root / SUMMARY
    }


def _study(tmp: Path, edits: dict[str, Callable[[bytes], bytes]] | None = None,
           config_edit: Callable[[str], str] | None = None) -> Path:
    """A copy of the example study in ``tmp`` with damaged inputs and/or config."""
    raw = tmp / "raw"
    shutil.copytree(RAW, raw)
    for name, edit in (edits or {}).items():
        path = raw / name
        data = path.read_bytes()
        damaged = edit(data)
        assert damaged != data, f"the edit of {name} changed nothing"
        path.write_bytes(damaged)
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('"../data/raw/example/', f'"{raw}/').replace(
        '"../data/codebook"', f'"{PROJECT_ROOT / "data" / "codebook"}"')
    if config_edit is not None:
        text = config_edit(text)
    config = tmp / "study.toml"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    out = tmp_path_factory.mktemp("good") / "out"
    assert main(["run", "--config", str(EXAMPLE), "--out", str(out)]) == 0
    return out, _snapshot(out)


def _fails_cleanly(good_run, config: Path, capsys, *expected: str) -> str:
    out, before = good_run
    code = main(["run", "--config", str(config), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for text in expected:
        assert re.search(text, err), f"{text!r} not in:\n{err}"
    after = _snapshot(out)
    assert after.keys() == before.keys(), "files added or removed"
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [], "previous outputs were touched"
    assert not list(out.glob(".werktop-rollback-*")), "journal folder left behind"
    # a stage failed (config errors stop before any stage: the summary is the good run's)
    summary = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    statuses = [s["status"] for s in summary["stages"]]
    if summary["exit_status"] != 0:
        assert summary["exit_status"] == 2 and statuses.count("failed") == 1, statuses
    return err


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")


def _join(lines: list[bytes]) -> bytes:
    return b"\r\n".join(lines)


# ------------------------------------------------------------------ records and files


def test_unbalanced_quote_stops_with_the_row(good_run, tmp_path, capsys):
    def edit(data: bytes) -> bytes:
        lines = _lines(data)
        lines[40] = lines[40].replace(b";", b';"', 1)  # a quote that is never closed
        return _join(lines)

    config = _study(tmp_path, {CONTROL: edit})
    _fails_cleanly(good_run, config, capsys, CONTROL, r"quote")


def test_truncated_file_stops(good_run, tmp_path, capsys):
    config = _study(tmp_path, {CONTROL: lambda d: d.rstrip(b"\r\n")[:-60]})
    _fails_cleanly(good_run, config, capsys, CONTROL, r"(?i)truncat|ends|short")


#: The interview coding's last line (its last record; line 1 is the header) and the
#: first field of that record, read from the committed example, so the tests follow the
#: generator.
_CODING = (RAW / INTERVIEWS).read_bytes()
LAST_LINE = _CODING.count(b"\n")
LAST_ID = _CODING.rstrip(b"\n").rsplit(b"\n", 1)[1].split(b",", 1)[0]


def _cut_interviews(at: Callable[[bytes], int]) -> Callable[[bytes], bytes]:
    """The interview coding cut off at a position found in its bytes."""
    return lambda data: data[: at(data)]


def test_interviews_cut_off_mid_record_stops(good_run, tmp_path, capsys):
    cut = _cut_interviews(lambda d: d.rindex(LAST_ID + b",MUG,Voortzetting") + 20)
    config = _study(tmp_path, {INTERVIEWS: cut})
    _fails_cleanly(good_run, config, capsys, INTERVIEWS,
                   rf"row {LAST_LINE} \(line {LAST_LINE}\)",
                   r"3 of 5 fields", r"cut off")


def test_interviews_cut_off_in_a_quoted_answer_stops(good_run, tmp_path, capsys):
    cut = _cut_interviews(lambda d: d.rindex(b"wordt pas na de herindeling"))
    config = _study(tmp_path, {INTERVIEWS: cut})
    _fails_cleanly(good_run, config, capsys, INTERVIEWS,
                   rf"row {LAST_LINE - 1} \(line {LAST_LINE - 1}\)",
                   r"ends inside a quoted field", r"cut off")


def test_interviews_cut_off_in_a_character_stops(good_run, tmp_path, capsys):
    # the coding is UTF-8; cut after the first of the two bytes of its last 'ë'
    cut = _cut_interviews(lambda d: d.rindex("ë".encode()) + 1)
    config = _study(tmp_path, {INTERVIEWS: cut})
    _fails_cleanly(good_run, config, capsys, INTERVIEWS,
                   r"ends in the middle of a character \(utf-8\): the export was cut off")


def test_interviews_cut_off_in_the_last_answer_is_listed(tmp_path):
    config = _study(tmp_path, {INTERVIEWS: lambda d: d.rstrip(b"\n")[:-25]})
    out = tmp_path / "out"
    for stage in ("ingest", "validate", "clean"):
        assert main([stage, "--config", str(config), "--out", str(out)]) == 0
    report = pd.read_csv(out / "data/interim/validation_report.csv", keep_default_na=False)
    cut = report[report["issue"] == "possibly_truncated"]
    assert cut[["instrument", "file", "row", "action"]].values.tolist() == [
        ["interviews", INTERVIEWS, LAST_LINE, "keep_row"]]
    assert "ends without a line break" in cut["expected"].item()
    flow = pd.read_csv(out / "data/interim/sample_flow.csv", keep_default_na=False)
    interviews = flow[flow["instrument"] == "interviews"]
    assert interviews.loc[interviews["step"] == "raw", "n"].item() == LAST_LINE - 1


def test_lines_with_another_delimiter_stop(good_run, tmp_path, capsys):
    def edit(data: bytes) -> bytes:
        lines = _lines(data)
        lines[12] = lines[12].replace(b";", b",")
        return _join(lines)

    config = _study(tmp_path, {CONTROL: edit})
    _fails_cleanly(good_run, config, capsys, CONTROL, r"(?i)delimiter")


def test_record_with_extra_fields_stops(good_run, tmp_path, capsys):
    def edit(data: bytes) -> bytes:
        lines = _lines(data)
        lines[7] = lines[7] + b";extra;velden"
        return _join(lines)

    config = _study(tmp_path, {CONTROL: edit})
    _fails_cleanly(good_run, config, capsys, CONTROL, r"row 8|line 8")


def test_utf16_export_is_read_not_mistaken_for_a_delimiter_problem(tmp_path):
    text = (RAW / CONTROL).read_bytes().decode("cp1252")
    config = _study(tmp_path, {CONTROL: lambda _: b"\xff\xfe" + text.encode("utf-16-le")})
    out = tmp_path / "out"
    assert main(["run", "--config", str(config), "--out", str(out)]) == 0
    flow = pd.read_csv(out / "data/interim/sample_flow.csv")
    raw = flow.query("instrument == 'control' and step == 'raw'")["n"].item()
    assert raw == text.count("\r\n") - 1  # every record, counted independently


def test_excel_sep_line_is_accepted(tmp_path):
    config = _study(tmp_path, {CONTROL: lambda d: b"sep=;\r\n" + d})
    out = tmp_path / "out"
    assert main(["ingest", "--config", str(config), "--out", str(out)]) == 0


def _short_record_21(data: bytes) -> bytes:
    lines = _lines(data)
    lines[20] = b";".join(lines[20].split(b";")[:-3])  # row 21: the last three answers gone
    return _join(lines)


@pytest.mark.parametrize("parser", ["c", "python"])
def test_excel_sep_line_keeps_the_accounting_and_the_row_numbers(tmp_path, parser):
    """Excel hides a sep= line: every row keeps the number the spreadsheet shows (the
    header is row 1), only line numbers count the sep= line; no record is lost. A short
    record sends the file to the strict parser (``python``)."""
    records = (RAW / CONTROL).read_bytes().count(b"\r\n") - 1  # independent count
    edit = _short_record_21 if parser == "python" else (lambda d: d)
    outputs = {}
    for name, sep in (("plain", b""), ("sep", b"sep=;\r\n")):
        (tmp_path / name).mkdir()
        config = _study(tmp_path / name, {CONTROL: lambda d, sep=sep: sep + edit(d)}
                        if sep or parser == "python" else None)
        out = tmp_path / name / "out"
        for stage in ("ingest", "validate", "clean"):
            assert main([stage, "--config", str(config), "--out", str(out)]) == 0
        interim = out / "data" / "interim"
        outputs[name] = {
            table: pd.read_csv(interim / f"{table}.csv", keep_default_na=False)
            for table in ("sample_flow", "exclusions", "validation_report")
        }
        meta = json.loads((interim / "ingested" / "control.meta.json").read_text("utf-8"))
        assert meta["raw_rows"] == records
        flow = outputs[name]["sample_flow"].query("instrument == 'control'")
        raw = flow.loc[flow["step"] == "raw", "n"].item()
        assert raw == records == flow.loc[flow["step"] != "raw", "n"].sum()
    plain, sep = outputs["plain"], outputs["sep"]
    assert sep["exclusions"].equals(plain["exclusions"])
    assert sep["sample_flow"].equals(plain["sample_flow"])
    report = ["instrument", "row", "column", "value", "issue", "action"]
    assert sep["validation_report"][report].equals(plain["validation_report"][report])
    if parser == "python":
        short = {name: out["validation_report"].query("issue == 'short_record'")
                 for name, out in outputs.items()}
        assert short["plain"]["row"].tolist() == short["sep"]["row"].tolist() == [21]
        line = {name: int(re.search(r"row 21 \(line (\d+)\)", part["expected"].item())[1])
                for name, part in short.items()}
        assert line["sep"] == line["plain"] + 1  # the sep= line is line 1 of the file


def test_header_only_survey_is_a_hard_error_naming_it(good_run, tmp_path, capsys):
    config = _study(tmp_path, {CONTROL: lambda d: _lines(d)[0] + b"\r\n"})
    _fails_cleanly(good_run, config, capsys, CONTROL, r"no respondents left",
                   r"control-group survey")


def test_survey_of_only_test_rows_is_a_hard_error_with_the_reasons(good_run, tmp_path, capsys):
    def edit(data: bytes) -> bytes:
        lines = _lines(data)
        body = [b"test" + line for line in lines[1:] if line]
        return _join([lines[0], *body]) + b"\r\n"

    config = _study(tmp_path, {CONTROL: edit})
    _fails_cleanly(good_run, config, capsys, r"no respondents left", r"test_row \d+")


def test_survey_of_only_ineligible_rows_is_a_hard_error(good_run, tmp_path, capsys):
    def edit(data: bytes) -> bytes:
        lines = _lines(data)
        body = [line.rsplit(b";", 1)[0] + b";Ja" for line in lines[1:] if line]
        return _join([lines[0], *body]) + b"\r\n"

    config = _study(tmp_path, {CONTROL: edit})
    _fails_cleanly(good_run, config, capsys, r"no respondents left", r"ineligible \d+")


def test_header_only_interviews_file_is_a_hard_error(good_run, tmp_path, capsys):
    config = _study(tmp_path, {INTERVIEWS: lambda d: d.splitlines(keepends=True)[0]})
    _fails_cleanly(good_run, config, capsys, INTERVIEWS, r"no records", r"inputs\.interviews")


def test_unknown_unit_stops_with_a_suggestion(good_run, tmp_path, capsys):
    # C0001 is a real respondent (the first Hilversum row is a test row, never validated)
    def edit(data: bytes) -> bytes:
        return data.replace(b"C0001;Hilversum;", b"C0001;Hilversm;")

    config = _study(tmp_path, {CONTROL: edit})
    _fails_cleanly(good_run, config, capsys, CONTROL, r"Hilversm", r"did you mean 'Hilversum'")


def test_missing_column_stops_naming_it(good_run, tmp_path, capsys):
    config = _study(tmp_path, {CONTROL: lambda d: d.replace(b"WERKSTATUS", b"status_nu", 1)})
    _fails_cleanly(good_run, config, capsys, CONTROL, r"werkstatus")


def test_register_with_a_blank_target_stops(good_run, tmp_path, capsys):
    def edit(data: bytes) -> bytes:
        lines = data.split(b"\n")
        fields = lines[2].split(b";")
        fields[8] = b""
        lines[2] = b";".join(fields)
        return b"\n".join(lines)

    config = _study(tmp_path, {REGISTER: edit})
    _fails_cleanly(good_run, config, capsys, REGISTER, r"doel_regulier")


def test_us_dates_stop_with_a_date_format_hint(good_run, tmp_path, capsys):
    def to_us(data: bytes) -> bytes:
        return re.sub(rb"(\d\d)-(\d\d)-(\d{4})", rb"\2/\1/\3", data)

    config = _study(tmp_path, {CONTROL: to_us})
    _fails_cleanly(good_run, config, capsys, r"date_format")


def test_missing_input_file_stops(good_run, tmp_path, capsys):
    config = _study(tmp_path)
    (tmp_path / "raw" / CONTROL).unlink()
    _fails_cleanly(good_run, config, capsys, CONTROL, r"(?i)not found|no such")


# ------------------------------------------------------------------ config


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("alpha = 0.05", 'alpha = "vijf procent"', r"alpha"),
        ("seed = 20140601", 'seed = "abc"', r"seed"),
        ('test_id_pattern = "', 'test_id_pattern = "(unclosed', r"test_id_pattern"),
        ('format = "csv"', 'format = "csv"\ndelimiter = ";;"', r"delimiter"),
        ('sheet = "Enquete ondernemers"', 'sheet_name = "Enquete ondernemers"',
         r"did you mean 'sheet'"),
        ("synthetic = true", 'synthetic = "false"', r"synthetic"),
        ('sheet = "Enquete ondernemers"', 'sheet = "Blad1"', r"Blad1"),
        ("min_cell = 5", "min_cell = 0", r"min_cell"),
    ],
    ids=["alpha-text", "seed-text", "bad-regex", "long-delimiter", "misspelt-key",
         "bool-as-string", "wrong-sheet", "min-cell-zero"],
)
def test_config_errors_stop_cleanly(good_run, tmp_path, capsys, old, new, expected):
    config = _study(tmp_path, config_edit=lambda t: t.replace(old, new, 1))
    _fails_cleanly(good_run, config, capsys, expected)


# ------------------------------------------------------------------ soft issues and leaks


def test_short_record_is_kept_listed_and_counted(tmp_path):
    def edit(data: bytes) -> bytes:
        lines = _lines(data)
        lines[20] = b";".join(lines[20].split(b";")[:-3])  # the last three answers missing
        return _join(lines)

    config = _study(tmp_path, {CONTROL: edit})
    out = tmp_path / "out"
    for stage in ("ingest", "validate", "clean"):
        assert main([stage, "--config", str(config), "--out", str(out)]) == 0
    report = pd.read_csv(out / "data/interim/validation_report.csv", keep_default_na=False)
    short = report[report["issue"] == "short_record"]
    assert list(short["row"]) == [21]
    flow = pd.read_csv(out / "data/interim/sample_flow.csv", keep_default_na=False)
    control = flow[flow["instrument"] == "control"]
    raw = control.loc[control["step"] == "raw", "n"].item()
    assert raw == (RAW / CONTROL).read_bytes().count(b"\r\n") - 1
    assert raw == control.loc[control["step"] != "raw", "n"].sum()


def test_personal_data_in_a_header_and_formula_cells_never_reach_an_output(tmp_path):
    header_pii = "mail jan.devries@hotmail.com"

    def edit(data: bytes) -> bytes:
        lines = _lines(data)
        lines[0] = lines[0] + f";{header_pii}".encode("cp1252")
        lines[1:] = [line + b";x" if line else line for line in lines[1:]]
        # a free-text answer that a spreadsheet would run
        lines[30] = lines[30].replace(b";Ja", b";=HYPERLINK(\"http://x\")", 1) \
            if b";Ja" in lines[30] else lines[30]
        return _join(lines)

    config = _study(tmp_path, {CONTROL: edit})
    out = tmp_path / "out"
    assert main(["run", "--config", str(config), "--out", str(out)]) == 0
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".json", ".html"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert "jan.devries@hotmail.com" not in text, path
    for path in out.rglob("*.csv"):
        for line in path.read_text(encoding="utf-8").splitlines():
            for cell in line.split(","):
                assert not cell.startswith(("=", "@")), (path, cell)


# ------------------------------------------------------------------ the operating system says no
# A run over a copy of the good run with another pseudonym key changes every output of
# ingest, validate and clean before derive meets the refusal: the roll-back has work to do.


def _os_refusal(good_run, tmp_path: Path, monkeypatch, capsys, *expected: str,
                prepare: Callable[[Path], None] | None = None) -> tuple[Path, str]:
    out = tmp_path / "out"
    shutil.copytree(good_run[0], out)
    if prepare is not None:
        prepare(out)
    before = _snapshot(out)
    monkeypatch.setenv("WERKTOP_PSEUDONYM_KEY", "another key: every pseudonym changes")
    code = main(["run", "--config", str(EXAMPLE), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for text in expected:
        assert re.search(text, err), f"{text!r} not in:\n{err}"
    after = _snapshot(out)
    assert after.keys() == before.keys(), "files added or removed"
    assert [name for name in before if before[name] != after[name]] == [], \
        "previous outputs were touched"
    assert not list(out.glob(".werktop-rollback-*")), "journal folder left behind"
    summary = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    statuses = {s["stage"]: (s["status"], s["exit_status"]) for s in summary["stages"]}
    assert summary["exit_status"] == 2 and statuses["derive"] == ("failed", 2), statuses
    assert statuses["clean"] == ("rolled_back", 0)
    return out, err


def test_output_folder_that_is_a_file_stops(tmp_path, capsys):
    out = tmp_path / "some_file"
    out.write_text("not an output folder")
    code = main(["run", "--config", str(EXAMPLE), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert f"error: the output folder {out} is a file" in err
    assert "hint: write the outputs elsewhere with --out" in err
    assert out.read_text() == "not an output folder"


def test_a_file_where_an_output_folder_should_be_stops_and_rolls_back(
        good_run, tmp_path, monkeypatch, capsys):
    def processed_is_a_file(out: Path) -> None:
        shutil.rmtree(out / "data" / "processed")
        (out / "data" / "processed").write_text("in the way")

    _os_refusal(good_run, tmp_path, monkeypatch, capsys,
                r"error: cannot write \S+/data/processed/\S+: \S+/data/processed is a file, "
                r"not a folder", r"hint: move or remove that file",
                prepare=processed_is_a_file)


def test_a_read_only_output_folder_stops_and_rolls_back(good_run, tmp_path, monkeypatch,
                                                         capsys):
    """Root is not refused by file modes, so the refusal is simulated where the kernel
    gives it for a folder without write permission: renaming into or out of it."""
    real_replace = os.replace
    replaced: list[str] = []

    def replace(src, dst, **kwargs):
        for path in (Path(src), Path(dst)):
            if "data/processed" in path.as_posix():
                raise PermissionError(errno.EACCES, "Permission denied", str(src), None,
                                      str(dst))
        replaced.append(Path(dst).as_posix())
        return real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    out, _ = _os_refusal(good_run, tmp_path, monkeypatch, capsys,
                         r"error: cannot write \S+/data/processed/\S+: permission denied",
                         r"hint: make \S+/data/processed writable for you")
    assert any("/data/interim/" in d for d in replaced), "nothing was written before"


def test_a_full_disk_stops_and_rolls_back(good_run, tmp_path, monkeypatch, capsys):
    import pipeline.outputs.io

    real_fsync = pipeline.outputs.io._fsync

    def fsync(path: Path) -> None:
        if path.name.startswith(".jobseekers.sav."):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(path)

    monkeypatch.setattr(pipeline.outputs.io, "_fsync", fsync)
    _os_refusal(good_run, tmp_path, monkeypatch, capsys,
                r"error: cannot write \S+/data/processed/jobseekers\.sav: the disk is full",
                r"hint: free space on that disk, or write the outputs to another disk")


def test_another_os_error_is_a_bug_with_a_traceback(good_run, tmp_path, monkeypatch):
    import pipeline.outputs.io

    out = tmp_path / "out"
    shutil.copytree(good_run[0], out)
    before = _snapshot(out)
    real_fsync = pipeline.outputs.io._fsync

    def fsync(path: Path) -> None:
        if path.name.startswith(".jobseekers.sav."):
            raise OSError(errno.EINVAL, "Invalid argument")
        real_fsync(path)

    monkeypatch.setattr(pipeline.outputs.io, "_fsync", fsync)
    monkeypatch.setenv("WERKTOP_PSEUDONYM_KEY", "another key: every pseudonym changes")
    with pytest.raises(OSError, match="Invalid argument"):  # main re-raises: exit 1
        main(["run", "--config", str(EXAMPLE), "--out", str(out)])
    assert _snapshot(out) == before
    summary = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    assert summary["exit_status"] == 1


def test_an_unreadable_input_stops(good_run, tmp_path, monkeypatch, capsys):
    import pipeline.inputs.readers

    def read_csv_export(path: Path, **options: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(pipeline.inputs.readers, "read_csv_export", read_csv_export)
    _fails_cleanly(good_run, EXAMPLE, capsys, r"error: cannot read \S+\.csv: permission denied",
                   r"hint: make the file readable for you \(ls -l \S+\.csv\)")


def test_a_config_that_is_a_folder_stops(tmp_path, capsys):
    code = main(["run", "--config", str(tmp_path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert f"error: cannot use {tmp_path}: it is a folder, not a file" in err
    assert "hint: give the path of a file, not of a folder" in err
