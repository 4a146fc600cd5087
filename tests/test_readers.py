"""Readers for CSV, SPSS .sav and Excel exports, on real files written by the tests."""

import datetime as dt

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from pipeline.inputs.csv_dialect import detect_delimiter
from pipeline.inputs.readers import (
    cell_text,
    normalise_column,
    read_csv_export,
    read_export,
    read_sav_export,
    read_xlsx_export,
)
from pipeline.study.errors import UserError


def test_cell_text_renders_like_a_user_sees_it():
    assert cell_text(3.0) == "3"
    assert cell_text(2.5) == "2.5"
    assert cell_text(float("nan")) == ""
    assert cell_text(None) == ""
    assert cell_text(dt.datetime(2014, 3, 5)) == "2014-03-05"
    assert cell_text(dt.date(2014, 3, 5)) == "2014-03-05"


def test_normalise_column_ignores_case_and_whitespace():
    assert normalise_column(" Respondent_ID ") == "respondent_id"
    assert normalise_column("Respondent  ID") == "respondent_id"


def test_csv_cp1252_semicolon_decimal_comma_and_quoted_newline(tmp_path):
    text = (
        "respondent_id;Gemeente;jaren_uitkering;wensen\r\n"
        "C1;Hilversum;2,5;\"Meer maatwerk;\r\nen één vast aanspreekpunt\"\r\n"
        "C2;Zaanstad;10;geen\r\n"
    )
    path = tmp_path / "ctrl.csv"
    path.write_bytes(text.encode("cp1252"))
    raw = read_csv_export(path)
    assert raw.meta["encoding"] == "cp1252"
    assert raw.meta["delimiter"] == ";"
    assert raw.meta["decimal"] == ","
    assert raw.columns == ["respondent_id", "Gemeente", "jaren_uitkering", "wensen"]
    assert raw.rows[0][3] == "Meer maatwerk;\r\nen één vast aanspreekpunt"
    # rows are counted as records: the second respondent is row 3 despite the line break
    assert raw.source_rows == [2, 3]


def test_csv_utf8_bom_and_comma(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("\ufeffa,b\n1,é\n".encode())
    raw = read_csv_export(path)
    assert raw.meta["encoding"] == "utf-8-sig"
    assert raw.columns == ["a", "b"] and raw.rows == [["1", "é"]]


def test_detect_delimiter_is_not_fooled_by_commas_in_text():
    text = 'a;b;c\n1;"x, y, z";3\n2;"p, q";4\n'
    assert detect_delimiter(text) == ";"


def test_csv_duplicate_columns_are_an_error(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id;leeftijd;Leeftijd \n1;30;31\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"duplicate column names 'leeftijd' \(columns 2, 3\)"):
        read_csv_export(path)


def test_csv_ragged_row_names_the_row(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a;b\n1;2\n3;4;5\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"row 3 \(line 3\): 3 fields but the header has 2"):
        read_csv_export(path)


def test_csv_encoding_override_that_cannot_decode(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes("a;b\n1;é\n".encode("cp1252"))
    with pytest.raises(UserError, match="cannot decode the file as utf-8"):
        read_csv_export(path, encoding="utf-8")


def _write_sav(path, **kwargs):
    df = pd.DataFrame(
        {
            "respondent_id": ["K1", "K2", "K3"],
            "geslacht": [1.0, 2.0, 9.0],
            "leeftijd": [30.0, 41.0, 99.0],
            "datum_invullen": [dt.date(2014, 3, 5), dt.date(2014, 4, 1), None],
        }
    )
    pyreadstat.write_sav(
        df,
        str(path),
        variable_value_labels={"geslacht": {1.0: "Man", 2.0: "Vrouw", 9.0: "Weet niet"}},
        missing_ranges={"geslacht": [9.0], "leeftijd": [{"lo": 99.0, "hi": 999.0}]},
        variable_format={"geslacht": "F8.0", "leeftijd": "F8.0", "datum_invullen": "DATE11"},
        **kwargs,
    )


def test_sav_value_labels_user_missing_dates_and_integers(tmp_path):
    path = tmp_path / "k.sav"
    _write_sav(path)
    raw = read_sav_export(path)
    assert raw.row_label == "case" and raw.source_rows == [1, 2, 3]
    cols = raw.columns
    row = dict(zip(cols, raw.rows[0], strict=True))
    assert row["geslacht"] == "1"  # integer recovered from a double in F8.0
    assert row["datum_invullen"] == "2014-03-05"  # SPSS date -> ISO
    third = dict(zip(cols, raw.rows[2], strict=True))
    assert third["geslacht"] == "9"  # user-missing code kept, declared in meta
    assert third["datum_invullen"] == ""
    assert raw.meta["user_missing"]["geslacht"][0]["lo"] == 9
    assert raw.meta["user_missing"]["geslacht"][0]["label"] == "Weet niet"
    assert raw.meta["user_missing"]["leeftijd"][0] == {"lo": 99, "hi": 999, "label": ""}
    assert raw.meta["value_labels"]["geslacht"]["2"] == "Vrouw"


def test_sav_encoding_override_changes_how_text_is_decoded(tmp_path):
    path = tmp_path / "k.sav"
    pyreadstat.write_sav(pd.DataFrame({"wensen": ["één vast aanspreekpunt"]}), str(path))
    assert read_sav_export(path).rows == [["één vast aanspreekpunt"]]
    # the file is UTF-8; forcing latin-1 shows the override reaches the reader (mojibake)
    forced = read_sav_export(path, encoding="latin1")
    assert forced.rows == [["Ã©Ã©n vast aanspreekpunt"]]
    assert forced.meta["encoding"].lower().replace("-", "") in ("latin1", "iso88591")


def test_sav_unknown_encoding_points_at_the_setting(tmp_path):
    path = tmp_path / "k.sav"
    _write_sav(path)
    with pytest.raises(UserError) as info:
        read_sav_export(path, encoding="no-such-encoding")
    assert "set 'encoding' for this input" in info.value.hint


def test_sav_unreadable_file_is_a_user_error(tmp_path):
    path = tmp_path / "broken.sav"
    path.write_bytes(b"not an spss file at all")
    with pytest.raises(UserError, match="cannot read the SPSS file"):
        read_sav_export(path)


def _write_xlsx(path, header, rows, sheet="Enquete"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.create_sheet("Toelichting").append(["uitleg"])
    wb.save(path)


def test_xlsx_sheet_dates_numbers_and_trailing_blank_rows(tmp_path):
    path = tmp_path / "o.xlsx"
    _write_xlsx(
        path,
        ["respondent_id", "datum_invullen", "aangenomen_regulier"],
        [["E1", dt.datetime(2014, 2, 3), 2], ["E2", "03-02-2014", 1.0], [None, None, None]],
    )
    raw = read_xlsx_export(path, sheet="Enquete")
    assert raw.rows == [["E1", "2014-02-03", "2"], ["E2", "03-02-2014", "1"]]
    assert raw.source_rows == [2, 3]
    assert raw.meta["sheet"] == "Enquete"


def test_xlsx_unknown_sheet_lists_the_sheets(tmp_path):
    path = tmp_path / "o.xlsx"
    _write_xlsx(path, ["a"], [[1]])
    with pytest.raises(UserError, match=r"no sheet named 'Data'.*\['Enquete', 'Toelichting'\]"):
        read_xlsx_export(path, sheet="Data")


def test_xlsx_duplicate_columns(tmp_path):
    path = tmp_path / "o.xlsx"
    _write_xlsx(path, ["id", "Sector", "sector"], [[1, 2, 3]])
    with pytest.raises(UserError, match="duplicate column names 'sector'"):
        read_xlsx_export(path, sheet="Enquete")


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="input file not found"):
        read_export(tmp_path / "nope.csv", "csv")


def test_csv_title_rows_above_the_header(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Export enquête, 1 juni 2014\n\nid;a\n1;x\n2;y\n", encoding="utf-8")
    raw = read_csv_export(path, header_row=3)
    assert raw.columns == ["id", "a"] and raw.rows == [["1", "x"], ["2", "y"]]
    assert raw.source_rows == [4, 5]
    assert raw.meta["delimiter"] == ";"


def test_xlsx_title_rows_above_the_header(tmp_path):
    path = tmp_path / "o.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Enquête ondernemers — export"])
    ws.append([])
    ws.append(["respondent_id", "sector"])
    ws.append(["E1", "Horeca"])
    wb.save(path)
    raw = read_xlsx_export(path, header_row=3)
    assert raw.columns == ["respondent_id", "sector"]
    assert raw.rows == [["E1", "Horeca"]] and raw.source_rows == [4]
    with pytest.raises(UserError, match="expected a header in row 9"):
        read_xlsx_export(path, header_row=9)
