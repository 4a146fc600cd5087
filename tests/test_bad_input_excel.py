"""Excel workbooks as colleagues leave them: hidden sheets and cells that show an error.

Every case is read by both engines of the Excel reader (calamine, and openpyxl, the
fallback when calamine cannot open a workbook) and both must give the same result.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import pipeline.inputs.xlsx_reader as xlsx_reader
from pipeline.cli import main
from pipeline.inputs.readers import read_xlsx_export
from pipeline.study.errors import UserError
from tests.test_bad_input_cli import _study

EMPLOYERS = "ondernemers.xlsx"
SHEET = "Enquete ondernemers"


@pytest.fixture(params=["calamine", "openpyxl"])
def engine(request, monkeypatch) -> str:
    """Run the test with each Excel engine (openpyxl: as if calamine could not open it)."""
    if request.param == "openpyxl":
        monkeypatch.setattr(xlsx_reader, "_xlsx_values", xlsx_reader._xlsx_values_openpyxl)
    return request.param


def _workbook(path: Path, sheets: list[tuple[str, str, list[list[object]]]]) -> Path:
    """A workbook of (name, state, rows) sheets; state is visible, hidden or veryHidden."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, state, rows in sheets:
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        ws.sheet_state = state
    wb.save(path)
    return path


OLD = [["respondent_id", "sector"], ["E1", "oud"], ["E2", "oud"]]
NEW = [["respondent_id", "sector"], ["E1", "Horeca"], ["E2", "Bouw"], ["E3", "Zorg"]]


# ------------------------------------------------------------------ hidden sheets


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_first_sheet_is_not_read_by_accident(tmp_path, engine, state):
    path = _workbook(tmp_path / "o.xlsx", [("Kopie oud", state, OLD), ("Enquete", "visible", NEW)])
    raw = read_xlsx_export(path)
    assert raw.rows == [["E1", "Horeca"], ["E2", "Bouw"], ["E3", "Zorg"]]
    assert raw.meta["sheet"] == "Enquete" and raw.meta["engine"] == engine
    assert raw.meta["sheet_chosen"] == "first_visible"
    assert raw.meta["hidden_sheets"] == ["Kopie oud"]


def test_both_engines_agree_on_the_sheet(tmp_path, monkeypatch):
    path = _workbook(tmp_path / "o.xlsx", [("oud", "hidden", OLD), ("Leeg", "visible", []),
                                           ("Enquete", "visible", NEW)])
    fast = read_xlsx_export(path)
    monkeypatch.setattr(xlsx_reader, "_xlsx_values", xlsx_reader._xlsx_values_openpyxl)
    slow = read_xlsx_export(path)
    assert fast.meta.pop("engine") == "calamine" and slow.meta.pop("engine") == "openpyxl"
    assert fast.meta == slow.meta and fast.rows == slow.rows and fast.columns == slow.columns
    assert fast.meta["sheet"] == "Enquete"  # the empty visible sheet is passed over


def test_only_sheet_with_data_hidden_is_an_error_naming_it(tmp_path, engine):
    path = _workbook(tmp_path / "o.xlsx", [("Blad1", "visible", []), ("data 2014", "hidden", NEW)])
    with pytest.raises(UserError) as info:
        read_xlsx_export(path)
    assert "the only sheet with data, 'data 2014', is hidden" in str(info.value)
    assert "Blad1" in str(info.value)
    assert info.value.hint.startswith('if it holds the survey, set sheet = "data 2014"')


def test_a_named_hidden_sheet_is_read(tmp_path, engine):
    path = _workbook(tmp_path / "o.xlsx", [("oud", "hidden", OLD), ("Enquete", "visible", NEW)])
    raw = read_xlsx_export(path, sheet="oud")
    assert raw.rows == [["E1", "oud"], ["E2", "oud"]] and raw.meta["sheet"] == "oud"
    assert "sheet_chosen" not in raw.meta and "hidden_sheets" not in raw.meta


def _hide_a_copy_first(data_dir: Path) -> None:
    """Put a hidden, older copy of the survey sheet first in the example's workbook (its
    second visible sheet, notes, goes last)."""
    path = data_dir / EMPLOYERS
    wb = openpyxl.load_workbook(path)
    old = wb.copy_worksheet(wb[SHEET])
    old.title = "Kopie oud"
    old.delete_rows(5, old.max_row)  # an old copy: only three respondents
    old.sheet_state = "hidden"
    wb.move_sheet(old, offset=-wb.index(old))
    wb.move_sheet("Toelichting", offset=len(wb.sheetnames))
    wb.active = wb.index(wb[SHEET])
    wb.save(path)


def _hide_the_survey(data_dir: Path) -> None:
    """The survey sheet hidden, an empty visible sheet in front of it."""
    path = data_dir / EMPLOYERS
    wb = openpyxl.load_workbook(path)
    wb.remove(wb["Toelichting"])
    wb.create_sheet("Blad1", 0)
    wb.active = 0
    wb[SHEET].sheet_state = "hidden"
    wb.save(path)


def _no_sheet(text: str) -> str:
    assert f'sheet = "{SHEET}"\n' in text
    return text.replace(f'sheet = "{SHEET}"\n', "")


def test_cli_says_which_sheet_was_read(tmp_path, capsys):
    config = _study(tmp_path, config_edit=_no_sheet)
    _hide_a_copy_first(tmp_path / "raw")
    out = tmp_path / "out"
    assert main(["ingest", "--config", str(config), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"ondernemers.xlsx: read sheet '{SHEET}', the first visible sheet with data" in err
    assert "hidden sheet(s) ['Kopie oud'] not read" in err
    meta = json.loads((out / "data/interim/ingested/employers.meta.json").read_text("utf-8"))
    assert meta["sheet"] == SHEET and meta["sheet_chosen"] == "first_visible"
    assert meta["hidden_sheets"] == ["Kopie oud"]
    assert meta["raw_rows"] == 308  # the example's respondents, not the old copy's three


def test_cli_stops_when_the_survey_sheet_is_hidden(tmp_path, capsys):
    config = _study(tmp_path, config_edit=_no_sheet)
    _hide_the_survey(tmp_path / "raw")
    out = tmp_path / "out"
    assert main(["ingest", "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "ondernemers.xlsx: no sheet is set in the study config and the only sheet with " \
        f"data, '{SHEET}', is hidden (visible: ['Blad1'], empty)" in err
    assert f'set sheet = "{SHEET}"' in err
    assert not (out / "data/interim/ingested").exists()


# ------------------------------------------------------------------ cells that show an error

ERRORS = ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]


def _with_formula(path: Path, cell: str, formula: str) -> None:
    """Give an error cell the formula Excel would have written with it (openpyxl writes
    the error value alone): ``<c r="C2" t="e"><f>1/0</f><v>#DIV/0!</v></c>``."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet].decode("utf-8")
    start = xml.index(f'<c r="{cell}" t="e"><v>')
    parts[sheet] = (xml[:start] + f'<c r="{cell}" s="0" t="e"><f>{formula}</f><v>'
                    + xml[start + len(f'<c r="{cell}" t="e"><v>'):]).encode("utf-8")
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def _error_workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Enquete"
    ws.append(["respondent_id", "omzet", "toelichting", "#REF!"])
    for i, error in enumerate(ERRORS, start=1):
        ws.append([f"E{i}", error, f"tekst {i}", None])
    text = ws.cell(row=9, column=3, value="#N/A")  # typed as text: an answer, not an error
    text.data_type = "s"
    ws.cell(row=9, column=1, value="E8")
    ws.append([None, "#N/A", None, None])  # a last row that shows only an error
    wb.save(path)
    _with_formula(path, "B2", "1/0")
    return path


def test_error_cells_are_read_as_missing_and_listed(tmp_path, engine):
    raw = read_xlsx_export(_error_workbook(tmp_path / "o.xlsx"))
    assert raw.columns == ["respondent_id", "omzet", "toelichting", "#REF!"]
    assert [r[1] for r in raw.rows] == [""] * 7 + ["", ""]
    assert raw.rows[7] == ["E8", "", "#N/A", ""]  # the text '#N/A' is kept as it is
    assert raw.source_rows == list(range(2, 11))  # the row of only an error is a row
    assert [(i.row, i.kind, i.column, i.value, i.action) for i in raw.issues] == [
        *[(row, "excel_error", 1, error, "set_missing")
          for row, error in enumerate(ERRORS, start=2)],
        (10, "excel_error", 1, "#N/A", "set_missing"),
    ]
    assert "shows #DIV/0!" in raw.issues[0].message


def test_both_engines_find_the_same_error_cells(tmp_path, monkeypatch):
    path = _error_workbook(tmp_path / "o.xlsx")
    fast = read_xlsx_export(path)
    monkeypatch.setattr(xlsx_reader, "_xlsx_values", xlsx_reader._xlsx_values_openpyxl)
    slow = read_xlsx_export(path)
    assert fast.meta.pop("engine") == "calamine" and slow.meta.pop("engine") == "openpyxl"
    assert fast.rows == slow.rows and fast.columns == slow.columns and fast.meta == slow.meta
    assert fast.issues == slow.issues and len(fast.issues) == 8


def test_error_cells_without_cell_references(tmp_path):
    """The format lets a writer leave out a cell's reference: the cells are then walked."""
    import re
    import zipfile

    from pipeline.inputs.excel_errors import ErrorCell, error_cells

    path = _error_workbook(tmp_path / "o.xlsx")
    with_refs = error_cells(path, "Enquete")
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    # B2 … B8 without their reference: each is the cell after A2 … A8 in its row
    parts[sheet], n = re.subn(rb'<c r="B[2-8]" ', b"<c ", parts[sheet])
    assert n == 7
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    assert error_cells(path, "Enquete") == with_refs
    assert with_refs[:2] == [ErrorCell(1, 3, "#REF!"), ErrorCell(2, 1, "#DIV/0!")]
    assert with_refs[-1] == ErrorCell(10, 1, "#N/A") and len(with_refs) == 9


def test_error_cells_found_across_chunks(tmp_path, monkeypatch):
    import pipeline.inputs.excel_errors as excel_errors

    path = _error_workbook(tmp_path / "o.xlsx")
    whole = excel_errors.error_cells(path, "Enquete")
    monkeypatch.setattr(excel_errors, "_CHUNK", 5)
    assert excel_errors.error_cells(path, "Enquete") == whole and len(whole) == 9


def _errors_in_example(data_dir: Path) -> None:
    """Three error cells in columns the codebook uses, one in a column it does not."""
    path = data_dir / EMPLOYERS
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET]
    header = [c.value for c in ws[1]]
    cijfer = header.index("RM_cijfer") + 1
    wensen = header.index("Wensen ") + 1
    ws.cell(row=10, column=cijfer, value="#DIV/0!")
    ws.cell(row=12, column=cijfer, value="#VALUE!")
    ws.cell(row=11, column=wensen, value="#N/A")
    extra = len(header) + 1
    ws.cell(row=1, column=extra, value="hulpkolom")
    ws.cell(row=10, column=extra, value="#REF!")
    wb.save(path)


def test_cli_lists_each_error_cell_in_the_validation_report(tmp_path, capsys):
    config = _study(tmp_path)
    _errors_in_example(tmp_path / "raw")
    out = tmp_path / "out"
    for stage in ("ingest", "validate", "clean"):
        assert main([stage, "--config", str(config), "--out", str(out)]) == 0
    assert "excel_error 3" in capsys.readouterr().err
    report = pd.read_csv(out / "data/interim/validation_report.csv", keep_default_na=False)
    errors = report[report["issue"] == "excel_error"]
    assert errors[["file", "row", "column", "value", "action"]].values.tolist() == [
        ["ondernemers.xlsx", 10, "RM_cijfer", "#DIV/0!", "set_missing"],
        ["ondernemers.xlsx", 11, "Wensen", "#N/A", "set_missing"],
        ["ondernemers.xlsx", 12, "RM_cijfer", "#VALUE!", "set_missing"],
    ]
    assert report.loc[report["column"] == "hulpkolom", "issue"].tolist() == ["unknown_column"]
    cleaned = pd.read_csv(out / "data/interim/employers.csv", keep_default_na=False)
    kept = cleaned.set_index("source_row")
    for row in (10, 12):
        if row in kept.index:
            assert kept.loc[row, "rm_cijfer"] == ""
    flow = pd.read_csv(out / "data/interim/sample_flow.csv", keep_default_na=False)
    employers = flow[flow["instrument"] == "employers"]
    assert employers.loc[employers["step"] == "raw", "n"].item() == 308
    assert employers.loc[employers["step"] != "raw", "n"].sum() == 308


def test_methods_chapter_labels_every_reader_issue():
    import tomllib

    from pipeline.study.config import PROJECT_ROOT

    for language in ("nl", "en"):
        strings = tomllib.loads((PROJECT_ROOT / "pipeline/chapters/methods"
                                 / f"{language}.toml").read_text(encoding="utf-8"))
        assert {"excel_error", "short_record", "possibly_truncated"} <= set(
            strings["issues"]), language
