"""Ingest: column matching, unknown columns, redaction before anything is written."""

import pytest

from pipeline.errors import UserError
from pipeline.ingest import ingest_export
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
    # Reference: pipeline.io.write_csv (pandas to_csv through Python's csv writer).
    import pandas as pd

    from pipeline.config import OutputPaths
    from pipeline.fastcsv import write_frame_csv
    from pipeline.ingest import read_ingested, writable
    from pipeline.io import write_csv

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
