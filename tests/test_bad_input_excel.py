"""Excel workbooks as colleagues leave them: hidden sheets and cells that show an error.

Every case is read by both engines of the Excel reader (calamine, and openpyxl, the
fallback when calamine cannot open a workbook) and both must give the same result.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

import pipeline.readers as readers
from pipeline.cli import main
from pipeline.errors import UserError
from pipeline.readers import read_xlsx_export
from tests.test_bad_input_cli import _study

EMPLOYERS = "ondernemers.xlsx"
SHEET = "Enquete ondernemers"


@pytest.fixture(params=["calamine", "openpyxl"])
def engine(request, monkeypatch) -> str:
    """Run the test with each Excel engine (openpyxl: as if calamine could not open it)."""
    if request.param == "openpyxl":
        monkeypatch.setattr(readers, "_xlsx_values", readers._xlsx_values_openpyxl)
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
    monkeypatch.setattr(readers, "_xlsx_values", readers._xlsx_values_openpyxl)
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
