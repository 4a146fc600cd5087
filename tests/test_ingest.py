"""Ingest: column matching, unknown columns, redaction before anything is written."""

import pandas as pd
import pytest

from pipeline.stages.ingest import ingest_export
from pipeline.study.errors import UserError
from tests.conftest import make_raw


def test_columns_match_ignoring_case_and_spaces_and_extras_are_dropped(codebook):
    inst = codebook.instruments["register"]
    columns = [f" {n.upper()} " for n in inst.names] + ["Notitie beleidsmedewerker"]
    row = {c: "" for c in columns}
    row[" GEMEENTE "] = "Hilversum"
    row["Notitie beleidsmedewerker"] = "bel Jan 06-12345678"
    frame, meta = ingest_export(
        make_raw(columns, [row]), inst, key=b"k", test_pattern="^test"
    )
    assert meta["unknown_columns"] == ["Notitie beleidsmedewerker"]
    assert "06-12345678" not in frame.to_csv()
    assert frame.loc[0, "gemeente"] == "Hilversum"


def test_missing_required_column_lists_what_the_file_has(codebook):
    inst = codebook.instruments["register"]
    columns = [n for n in inst.names if n != "doel_wep"]
    with pytest.raises(UserError, match=r"missing required column\(s\) \['doel_wep'\]"):
        ingest_export(make_raw(columns, [{}]), inst, key=b"k", test_pattern="^test")


def test_free_text_is_redacted_and_test_rows_flagged(codebook):
    inst = codebook.instruments["employers"]
    rows = [
        {"respondent_id": "E1", "wensen": "Mail me op a.b@c.nl of bel 0612345678"},
        {"respondent_id": "TEST-9", "wensen": "xxx"},
    ]
    frame, _ = ingest_export(make_raw(inst.names, rows), inst, key=b"k", test_pattern=r"^test")
    assert frame["wensen"].tolist()[0] == "Mail me op [E-MAIL] of bel [TELEFOON]"
    assert frame["test_row"].tolist() == ["0", "1"]
    assert "E1" not in frame.to_csv() and "TEST-9" not in frame.to_csv()


def test_text_csv_writer_gives_the_bytes_of_write_csv_and_reads_back(tmp_path):
    # Reference: pipeline.outputs.io.write_csv (pandas to_csv through Python's csv writer).
    import pandas as pd

    from pipeline.outputs.fastcsv import write_frame_csv
    from pipeline.outputs.io import write_csv
    from pipeline.stages.ingest import read_ingested, writable
    from pipeline.study.config import OutputPaths

    texts = ["", "gewoon", 'zei "ja"', "a,b", "twee\nregels", "cr\r\nlf", "los\rcr", "=SUM(A1)",
             "-5", "-5 jaar", "@x", " spatie ", "één", "'=al", "NA", "null"]
    frame = pd.DataFrame({
        "source_row": [str(i) for i in range(len(texts))],
        "respondent": texts[::-1],
        "wensen": texts,
    }).astype("category")
    paths = OutputPaths(tmp_path)
    ours = write_frame_csv(paths.ingested_csv("control"), writable(frame), neutralise=False)
    reference = write_csv(tmp_path / "reference.csv", frame.astype(object))
    assert ours.read_bytes() == reference.read_bytes()
    back = read_ingested(paths, "control")
    # A lone CR is written as LF; "'=al" comes back as "=al" (restore_formulas' one
    # documented exception to the round trip).
    expected = [{"los\rcr": "los\ncr", "'=al": "=al"}.get(t, t) for t in texts]
    assert back["wensen"].astype(object).tolist() == expected
    assert back["respondent"].astype(object).tolist() == expected[::-1]


def test_numbers_shaped_like_personal_data_are_redacted_outside_measures(codebook):
    # A phone number read as a number loses its trunk zero (0612345678 -> 612345678); a BSN
    # stored as a number keeps its nine digits. Columns that are not numeric measures
    # (codes, ids, text) never hold such numbers legitimately: they become markers. In a
    # numeric measure only a number outside the declared range is (it is invalid anyway).
    inst = codebook.instruments["control"]
    rows = [
        {"respondent_id": "C1", "opleiding": "612345678", "leeftijd": "612345678.0",
         "wensen": "123456782"},
        {"respondent_id": "C2", "opleiding": "6.12345678E8", "leeftijd": "123456782",
         "uren_week": "38"},
        {"respondent_id": "C3", "opleiding": "2", "leeftijd": "41", "wensen": "3 keer"},
    ]
    frame, _ = ingest_export(make_raw(inst.names, rows), inst, key=b"k", test_pattern="^test")
    assert frame["opleiding"].tolist() == ["[TELEFOON]", "[TELEFOON]", "2"]
    assert frame["leeftijd"].tolist() == ["[TELEFOON]", "[BSN]", "41"]
    assert frame["wensen"].tolist() == ["[BSN]", "", "3 keer"]
    assert frame["uren_week"].tolist() == ["", "38", ""]


def test_a_number_inside_a_measures_range_is_a_measurement(codebook):
    # inwoners: 1,000 to 1,000,000. A valid range that admits nine digits would keep them.
    from pipeline.stages.ingest import safe_column

    values = pd.Series(["612345678", "86800", "0612345678"])
    assert safe_column(values, free_text=False, valid=(0, 1e9)).tolist() == [
        "612345678", "86800", "[TELEFOON]"  # the text rules still see a written number
    ]
    assert safe_column(values, free_text=False, valid=(1000, 1e6)).tolist() == [
        "[TELEFOON]", "86800", "[TELEFOON]"
    ]


def test_spss_codes_and_missing_ranges_shaped_like_personal_data_are_redacted(codebook):
    inst = codebook.instruments["candidates"]
    raw = make_raw(
        inst.names, [{"respondent_id": "K1", "geslacht": "1"}],
        value_labels={"geslacht": {"1": "Man", "123456782": "Jan 06-12345678"}},
        user_missing={"geslacht": [{"lo": 612345678.0, "hi": 612345678.0, "label": "x"},
                                   {"lo": 9.0, "hi": 9.0, "label": "Weet niet"}]},
    )
    _, meta = ingest_export(raw, inst, key=b"k", test_pattern="^test")
    assert meta["value_labels"]["geslacht"] == {"1": "Man", "[BSN]": "Jan [TELEFOON]"}
    assert meta["user_missing"]["geslacht"] == [
        {"lo": "[TELEFOON]", "hi": "[TELEFOON]", "label": "x"},
        {"lo": 9.0, "hi": 9.0, "label": "Weet niet"},
    ]


def test_the_file_name_is_redacted_in_the_metadata(codebook):
    inst = codebook.instruments["register"]
    raw = make_raw(inst.names, [{"gemeente": "Hilversum"}], file="register jan@example.nl.csv")
    _, meta = ingest_export(raw, inst, key=b"k", test_pattern="^test")
    assert meta["file"] == "register [E-MAIL]"
