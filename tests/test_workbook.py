"""results/tables.xlsx: README first, numbers as numbers with formats, no formula cells,
reproducible bytes; and the processed data as SPSS files with labels."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook

from pipeline.outputs.spss_export import FIXED_TIMESTAMP as SAV_TIMESTAMP
from pipeline.outputs.spss_export import sav_bytes
from pipeline.outputs.workbook import (
    FIXED_TIMESTAMP,
    FORMAT_COUNT,
    FORMAT_ESTIMATE,
    FORMAT_P,
    FORMAT_PERCENT,
    number_format,
    report_locations,
    sheet_names,
    workbook_bytes,
)
from pipeline.report.chapter import Chapter, FigureSpec, TableSpec

SPEC = TableSpec(
    "toy_comparison",
    ("outcome", "n", "p_treated", "risk_difference", "p_val", "note", "target_met"),
    "A toy table",
)
FRAME = pd.DataFrame({
    "outcome": ["=SUM(A1:A9)", "+31 6 1234", "gewoon", "-5"],
    "n": [10, 0, 7, 3],
    "p_treated": [0.25, np.nan, 0.5, 1.0],
    "risk_difference": [0.1, np.nan, -np.inf, 0.0],
    "p_val": [0.0123, np.nan, 0.5, 1.0],
    "note": ["", "not computable (n = 0)", "@cmd", "\tx"],
    "target_met": [True, False, True, False],
})
CHAPTERS = (
    Chapter(key="one", tables=(SPEC,), exhibits=("table:toy_tests", "figure:toy"),
            exhibit_tables={"toy_tests": "toy_comparison"},
            figures=(FigureSpec("toy", ("toy_comparison",), lambda inputs: None),)),
    Chapter(key="app", kind="appendix", exhibits=("table:toy_comparison",)),
)


def _book(synthetic: bool = True, language: str = "en"):
    data = workbook_bytes({"toy_comparison": FRAME}, {"toy_comparison": SPEC}, CHAPTERS,
                          {"title": "Toy", "synthetic": synthetic, "language": language})
    return data, load_workbook(io.BytesIO(data))


def _readme_text(wb) -> str:
    return " ".join(str(c) for r in wb["README"].iter_rows(values_only=True) for c in r if c)


def test_sheet_names_are_valid_unique_and_at_most_31_characters():
    long = "a_very_long_results_table_name_that_goes_on"
    names = sheet_names([long, long + "_too", "readme", "x[1]:y", "Columns"])
    assert names[long] == long[:31]
    assert names[long + "_too"] == long[:29] + "~2"
    assert names["readme"] == "readme~2"  # README is the first sheet
    assert names["x[1]:y"] == "x_1__y"
    assert names["Columns"] == "Columns~2"
    assert all(len(n) <= 31 for n in names.values())


@pytest.mark.parametrize(("column", "kind", "description", "expected"), [
    ("n", "integer", "Number of rows", FORMAT_COUNT),
    ("p_val", "number", "Unadjusted two-sided p-value", FORMAT_P),
    ("p_adj", "number", "p-value adjusted for multiple testing", FORMAT_P),
    ("p_treated", "number", "Proportion with the outcome among Werktop candidates",
     FORMAT_PERCENT),
    ("attainment", "number", "Achieved / target (1 = target met exactly)", FORMAT_PERCENT),
    ("odds_ratio", "number", "Odds ratio, Werktop vs control", FORMAT_ESTIMATE),
    ("label_nl", "string", "Dutch label", None),
    ("target_met", "boolean", "Achieved >= target", None),
])
def test_number_format_by_column_type_and_name(column, kind, description, expected):
    assert number_format(column, kind, description) == expected


def test_report_locations_follow_the_numbering_of_the_registry():
    where = report_locations(CHAPTERS)
    assert where == {"toy_comparison": ["Table 1", "Figure 1", "Table I.1"]}
    # a chapter whose source is absent shows nothing, and takes no numbers
    assert report_locations(CHAPTERS, absent={"one"}) == {"toy_comparison": ["Table I.1"]}


def test_readme_first_with_synthetic_notice_and_where_each_table_appears():
    _, wb = _book()
    assert wb.sheetnames == ["README", "columns", "toy_comparison"]
    readme = [[c for c in row if c is not None] for row in wb["README"].iter_rows(values_only=True)]
    flat = " ".join(str(c) for row in readme for c in row)
    assert "SYNTHETIC DATA" in flat
    row = next(r for r in readme if r and r[0] == "toy_comparison")
    assert row[1:4] == ["toy_comparison", "Table 1, Figure 1, Table I.1", "A toy table"]
    assert wb.properties.title.startswith("SYNTHETIC DATA")
    _, real = _book(synthetic=False)
    flat = " ".join(str(c) for r in real["README"].iter_rows(values_only=True) for c in r if c)
    assert "SYNTHETIC" not in flat


def test_readme_and_columns_sheets_follow_the_report_language():
    _, nl = _book(language="nl")
    assert nl.sheetnames == ["README", "columns", "toy_comparison"]  # names scripts rely on
    readme = [[c for c in row if c is not None] for row in nl["README"].iter_rows(values_only=True)]
    assert readme[0] == ["Toy: resultaattabellen"]
    assert readme[1] == ["SYNTHETISCHE GEGEVENS — geen bevindingen van de evaluatie uit 2014."]
    assert ["Werkblad", "Resultaattabel", "In het rapport", "Beschrijving",
            "CSV-bestand"] in readme
    row = next(r for r in readme if r and r[0] == "toy_comparison")
    assert row[1:4] == ["toy_comparison", "Tabel 1, Figuur 1, Tabel I.1", "A toy table"]
    flat = _readme_text(nl)
    assert "Eén werkblad per resultaattabel" in flat and "p-waarden met 3 decimalen" in flat
    for english in ("SYNTHETIC", "One sheet per", "Results table", "In the report", "Table 1"):
        assert english not in flat, english
    assert [c.value for c in nl["columns"][1]] == ["Werkblad", "Kolom", "Type", "Weergave",
                                                   "Beschrijving"]
    assert nl.properties.title == "SYNTHETISCHE GEGEVENS — Toy: resultaattabellen"
    assert nl["toy_comparison"].oddHeader.center.text == "SYNTHETISCHE GEGEVENS"
    _, en = _book(language="en")
    assert [c.value for c in en["columns"][1]] == ["Sheet", "Column", "Type", "Display format",
                                                   "Description"]
    assert "Eén werkblad" not in _readme_text(en) and "GEGEVENS" not in _readme_text(en)
    # Dutch is the default, as in the study config
    default = workbook_bytes({"toy_comparison": FRAME}, {"toy_comparison": SPEC}, CHAPTERS,
                             {"title": "Toy", "synthetic": True})
    assert default == _book(language="nl")[0]
    with pytest.raises(ValueError, match="workbook language 'fr'"):
        _book(language="fr")


def test_table_without_a_place_in_the_report_says_so_in_the_language():
    lonely = Chapter(key="solo", tables=(SPEC,))
    for language, text in (("en", "(not shown)"), ("nl", "(niet in het rapport)")):
        data = workbook_bytes({"toy_comparison": FRAME}, {"toy_comparison": SPEC}, (lonely,),
                              {"title": "Toy", "language": language})
        readme = load_workbook(io.BytesIO(data))["README"]
        row = next(r for r in readme.iter_rows(values_only=True) if r[0] == "toy_comparison")
        assert row[2] == text


def test_example_workbook_is_dutch_like_the_example_report(example_outputs):
    wb = load_workbook(example_outputs / "results" / "tables.xlsx")
    flat = _readme_text(wb)
    assert "resultaattabellen" in flat and "SYNTHETISCHE GEGEVENS" in flat
    assert "Tabel " in flat and "Table " not in flat


def test_numbers_are_numbers_with_formats_and_no_cell_is_a_formula():
    _, wb = _book()
    ws = wb["toy_comparison"]
    header = [c.value for c in ws[1]]
    assert header == list(FRAME.columns)
    assert ws.freeze_panes == "A2"
    assert ws["A1"].comment is not None and "Outcome variable" in ws["A1"].comment.text
    col = {name: i + 1 for i, name in enumerate(header)}
    assert ws.cell(2, col["n"]).value == 10 and ws.cell(2, col["n"]).data_type == "n"
    assert ws.cell(2, col["n"]).number_format == FORMAT_COUNT
    assert ws.cell(2, col["p_treated"]).value == 0.25
    assert ws.cell(2, col["p_treated"]).number_format == FORMAT_PERCENT
    assert ws.cell(2, col["p_val"]).value == 0.0123  # full precision, formatted 0.000
    assert ws.cell(2, col["p_val"]).number_format == FORMAT_P
    assert ws.cell(3, col["p_val"]).value is None  # NaN is an empty cell
    assert ws.cell(4, col["risk_difference"]).value == "-inf"
    assert ws.cell(2, col["target_met"]).value is True
    texts = [ws.cell(r, col["outcome"]).value for r in range(2, 6)]
    assert texts == ["'=SUM(A1:A9)", "'+31 6 1234", "gewoon", "-5"]
    assert [ws.cell(r, col["note"]).value for r in (4, 5)] == ["'@cmd", "'\tx"]
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row), sheet.title


def test_bytes_are_reproducible_fixed_timestamps_in_zip_and_properties():
    data, wb = _book()
    assert wb.properties.created == FIXED_TIMESTAMP == wb.properties.modified
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        assert infos[0].filename == "[Content_Types].xml"
        assert {i.date_time for i in infos} == {FIXED_TIMESTAMP.timetuple()[:6]}
    assert _book()[0] == data


def test_example_workbook_has_a_sheet_per_results_table_with_the_csv_values(example_outputs):
    wb = load_workbook(example_outputs / "results" / "tables.xlsx")
    csvs = sorted(p.stem for p in (example_outputs / "results" / "tables").glob("*.csv"))
    assert wb.sheetnames[0] == "README"
    assert sorted(wb.sheetnames[2:]) == csvs
    for name in csvs:
        frame = pd.read_csv(example_outputs / "results" / "tables" / f"{name}.csv")
        sheet = pd.read_excel(example_outputs / "results" / "tables.xlsx", sheet_name=name)
        assert list(sheet.columns) == list(frame.columns)
        numeric = frame.select_dtypes("number").columns
        pd.testing.assert_frame_equal(sheet[numeric], frame[numeric], check_dtype=False)


# ---------------------------------------------------------------- SPSS


def test_sav_beside_every_processed_csv_with_labels(example_outputs):
    processed = example_outputs / "data" / "processed"
    for csv in sorted(processed.glob("*.csv")):
        frame = pd.read_csv(csv, keep_default_na=False, na_values=[""])
        data, meta = pyreadstat.read_sav(csv.with_suffix(".sav"))
        assert list(data.columns) == list(frame.columns)
        assert len(data) == len(frame)
        assert meta.file_label.startswith("SYNTHETIC")
        numeric = [c for c in frame.select_dtypes("number").columns]
        pd.testing.assert_frame_equal(data[numeric], frame[numeric].astype("float64"))
    data, meta = pyreadstat.read_sav(processed / "jobseekers.sav")
    assert meta.column_names_to_labels["geslacht"] == "Wat is uw geslacht?"
    assert meta.variable_value_labels["geslacht"] == {1.0: "Man", 2.0: "Vrouw"}
    assert meta.variable_value_labels["werk_regulier"] == {0.0: "nee", 1.0: "ja"}
    assert meta.variable_measure["opleiding"] == "ordinal"
    assert all(len(label.encode()) <= 256 for label in meta.column_names_to_labels.values())


def test_sav_header_date_is_fixed(example_outputs):
    raw = (example_outputs / "data" / "processed" / "units.sav").read_bytes()
    assert raw[92:109] == SAV_TIMESTAMP.strftime("%d %b %y%H:%M:%S").encode("ascii")


def test_sav_from_an_in_memory_frame_labels_cut_and_text_neutralised(tmp_path):
    frame = pd.DataFrame({
        "q1": pd.array([1, 2, None], dtype="Int64"),
        "datum": ["2013-05-01", None, "2014-01-31"],
        "tekst": ["=HYPERLINK(x)", "goed", None],
    })
    fields = [
        {"name": "q1", "type": "integer", "question_nl": "é" * 200,
         "categories": [{"value": 2, "label": "twee"}, {"value": 1, "label": "een"}],
         "categoriesOrdered": True},
        {"name": "datum", "type": "date", "title": "Datum"},
        {"name": "tekst", "type": "string", "description": "Vrije tekst"},
    ]
    path = tmp_path / "x.sav"
    path.write_bytes(sav_bytes(frame, fields, file_label="toy", synthetic=False))
    data, meta = pyreadstat.read_sav(path)
    assert meta.file_label == "toy" and not meta.notes
    assert meta.column_names_to_labels["q1"] == "é" * 128  # 256 bytes of UTF-8
    assert meta.variable_value_labels["q1"] == {2.0: "twee", 1.0: "een"}
    assert meta.variable_measure == {"q1": "ordinal", "datum": "scale", "tekst": "nominal"}
    assert data["q1"].tolist()[:2] == [1.0, 2.0] and np.isnan(data["q1"].iloc[2])
    assert str(data["datum"].iloc[0]) == "2013-05-01" and pd.isna(data["datum"].iloc[1])
    assert data["tekst"].tolist() == ["'=HYPERLINK(x)", "goed", ""]
    with pytest.raises(ValueError, match="SPSS variable name"):
        sav_bytes(frame.rename(columns={"q1": "1q"}), [dict(fields[0], name="1q"), *fields[1:]],
                  file_label="toy", synthetic=False)
