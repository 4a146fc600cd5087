"""Damaged and hostile input: every case names the problem and accounts for every record.

The CSV cases are small files written by the tests, plus damaged copies of the example's
``controlegroep.csv``. Its records end in CRLF while line breaks inside quoted answers are
a bare LF, so ``data.count(b"\\r\\n") - 1`` is an independent count of its records.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.inputs.readers import RawExport, read_csv_export, read_export, read_xlsx_export
from pipeline.outputs.io import write_csv
from pipeline.study.errors import UserError
from pipeline.study.privacy import MARKERS, MAX_CELL_CHARS, redact_label

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw" / "example" / "controlegroep.csv"


def _write(tmp_path: Path, data: bytes | str, name: str = "x.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _error(path: Path, **kwargs) -> UserError:
    with pytest.raises(UserError) as info:
        read_csv_export(path, **kwargs)
    return info.value


# ------------------------------------------------------------------ quotes and records


def test_quote_never_closed_swallows_the_rest(tmp_path):
    path = _write(tmp_path, 'id;a;b\n1;x;y\n2;"open;y\n3;x;y\n4;x;y\n')
    err = _error(path)
    assert "row 3 (line 3)" in str(err) and "ends inside a quoted field" in str(err)
    assert "not closed" in str(err) and 'unpaired "' in err.hint


def test_quote_closed_much_later_swallowed_records(tmp_path):
    # the stray quote on line 2 is closed on line 5: lines 3-4 became part of one answer
    path = _write(tmp_path, 'id;a;b\n1;"x;y\n2;x;y\n3;x;y\n4;x";y\n5;x;y\n')
    err = _error(path)
    assert "row 2 (line 2)" in str(err)
    assert "2 line(s) that look like whole records" in str(err)


def test_quote_inside_quoted_answer_not_doubled(tmp_path):
    path = _write(tmp_path, 'id;a;b\n1;"hij zei "ja" en";y\n2;x;y\n')
    err = _error(path)
    assert "row 2 (line 2)" in str(err) and "not doubled" in str(err)
    assert '""' in err.hint


def test_legitimate_multiline_answer_is_one_record(tmp_path):
    path = _write(tmp_path, 'id;a;b\n1;"regel een\nregel twee; nog";y\n2;x;y\n')
    raw = read_csv_export(path)
    assert raw.rows[0][1] == "regel een\nregel twee; nog"
    assert raw.source_rows == [2, 3] and raw.meta["records"] == 2 and raw.meta["lines"] == 4


def test_short_record_is_a_soft_issue_and_kept(tmp_path):
    path = _write(tmp_path, "id;a;b\n1;x;y\n2;x\n3;x;y\n")
    raw = read_csv_export(path)
    assert raw.rows == [["1", "x", "y"], ["2", "x", ""], ["3", "x", "y"]]
    assert [(i.row, i.kind) for i in raw.issues] == [(3, "short_record")]
    assert "row 3 (line 3): 2 fields but the header has 3" in raw.issues[0].message


def test_long_record_with_content_is_an_error(tmp_path):
    err = _error(_write(tmp_path, "id;a;b\n1;x;y\n2;x;y;z\n"))
    assert "row 3 (line 3): 4 fields but the header has 3" in str(err)


def test_trailing_empty_fields_are_dropped_silently(tmp_path):
    raw = read_csv_export(_write(tmp_path, "id;a;b\n1;x;y;;\n"))
    assert raw.rows == [["1", "x", "y"]] and raw.issues == []


def test_truncated_file_mid_record(tmp_path):
    err = _error(_write(tmp_path, "id;a;b\n1;x;y\n2;x"))
    assert "row 3 (line 3)" in str(err) and "cut off" in str(err)
    assert "1 of 3" not in str(err) and "2 of 3 fields" in str(err)


def test_truncated_file_inside_a_quoted_answer(tmp_path):
    err = _error(_write(tmp_path, 'id;a;b\n1;x;y\n2;x;"een lang antwoord dat afbr'))
    assert "row 3 (line 3)" in str(err) and "cut off" in str(err)


def test_last_record_without_line_break_is_kept_and_listed(tmp_path):
    # complete as far as the fields go, but a cut in its last cell cannot be told apart
    raw = read_csv_export(_write(tmp_path, "id;a;b\n1;x;y\n2;x;y"))
    assert raw.rows[-1] == ["2", "x", "y"]
    assert [(i.row, i.kind) for i in raw.issues] == [(3, "possibly_truncated")]
    assert raw.issues[0].message.startswith(
        "x.csv, row 3 (the last record): the file ends without a line break after it")
    assert read_csv_export(_write(tmp_path, "id;a;b\n1;x;y\n2;x;y\n")).issues == []


def test_utf8_cut_off_in_the_middle_of_a_character(tmp_path):
    # without the check this file was read as cp1252: every é became Ã©, silently
    data = "id;wensen\n1;één aanspreekpunt\n2;financiële steun\n".encode()
    cut = data[: data.rindex("ë".encode()) + 1]
    err = _error(_write(tmp_path, cut))
    assert str(err) == ("x.csv, line 3: the file ends in the middle of a character "
                        "(utf-8): the export was cut off")
    assert "copied completely" in err.hint


def test_utf16_cut_off_in_the_middle_of_a_character(tmp_path):
    data = "id;wensen\r\n1;geen\r\n".encode("utf-16")
    err = _error(_write(tmp_path, data[:-1]))
    assert "ends in the middle of a character (utf-16)" in str(err)


def test_cp1252_ending_in_an_accent_is_not_cut_off_utf8(tmp_path):
    raw = read_csv_export(_write(tmp_path, "id;plaats\n1;Zaanstad\n2;café".encode("cp1252")))
    assert raw.meta["encoding"] == "cp1252" and raw.rows[-1] == ["2", "café"]


def test_lines_with_another_delimiter(tmp_path):
    err = _error(_write(tmp_path, "id;a;b\n1;x;y\n2,x,y\n3;x;y\n"))
    assert "row 3 (line 3)" in str(err) and "separated by ','" in str(err)
    assert "mixes delimiters" in err.hint


def test_blank_lines_at_the_end_are_not_records(tmp_path):
    raw = read_csv_export(_write(tmp_path, "id;a\n1;x\n\n\n"))
    assert raw.rows == [["1", "x"]]
    assert raw.meta["blank_lines_at_end"] == 2 and raw.meta["records"] == 3


def test_blank_line_in_the_middle_is_an_empty_row(tmp_path):
    raw = read_csv_export(_write(tmp_path, "id;a\n1;x\n\n2;y\n"))
    assert raw.rows == [["1", "x"], ["", ""], ["2", "y"]] and raw.source_rows == [2, 3, 4]


def test_empty_file(tmp_path):
    assert "the file is empty" in str(_error(_write(tmp_path, "")))


def test_blank_header_row(tmp_path):
    err = _error(_write(tmp_path, "\nid;a\n1;x\n"))
    assert "row 1 (the header row) is empty" in str(err)


# ------------------------------------------------------------------ encodings


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_are_read(tmp_path, codec):
    text = "id;wensen\r\n1;één aanspreekpunt\r\n2;geen\r\n"
    data = text.encode(codec)
    if codec in ("utf-16-le", "utf-16-be"):
        bom = "\ufeff".encode(codec)
        data = bom + data if codec == "utf-16-be" else data  # LE: no BOM, found by zeros
    raw = read_csv_export(_write(tmp_path, data))
    assert raw.rows == [["1", "één aanspreekpunt"], ["2", "geen"]]
    assert raw.meta["encoding"].startswith(codec[:6])


def test_utf16_file_with_a_wrong_encoding_setting(tmp_path):
    path = _write(tmp_path, "id;a\n1;x\n".encode("utf-16"))
    err = _error(path, encoding="utf-8")
    assert "cannot decode the file as utf-8" in str(err)
    assert "UTF-16 byte-order mark" in err.hint and "re-save the file as UTF-8" in err.hint


def test_nul_bytes_are_not_a_text_csv(tmp_path):
    err = _error(_write(tmp_path, b"id;a\n1;\x00\x9a\x00\x00x\n"))
    assert "NUL characters" in str(err)


# ------------------------------------------------------------------ header


def test_excel_sep_line(tmp_path):
    # without the sep= line the commas in the answers would win
    path = _write(tmp_path, "sep=;\r\nid;a,b;c\r\n1;x,y,z;2\r\n")
    raw = read_csv_export(path)
    assert raw.meta["delimiter"] == ";" and raw.columns == ["id", "a,b", "c"]
    assert raw.source_rows == [2]  # Excel hides the sep= line: the header is row 1


def test_title_rows_suggest_header_row(tmp_path):
    path = _write(tmp_path, "Export enquête, 1 juni 2014\n\nid;leeftijd;wensen\n1;30;x\n")
    err = _error(path, expected_columns=["id", "leeftijd", "wensen"])
    assert "row 1 (the header row) has 0 of the 3 expected column names" in str(err)
    assert "row 3 (separated by ';') has 3" in str(err)
    assert err.hint.startswith("set header_row = 3")
    raw = read_csv_export(path, header_row=3, expected_columns=["id", "leeftijd", "wensen"])
    assert raw.rows == [["1", "30", "x"]] and raw.source_rows == [4]


def test_title_row_without_expected_names_is_still_caught(tmp_path):
    path = _write(tmp_path, "Export enquete\nid;a;b\n1;x;y\n2;x;y\n")
    err = _error(path)
    assert "row 1 looks like a title row" in str(err) and err.hint.startswith("set header_row = 2")


def test_xlsx_title_rows_suggest_header_row(tmp_path):
    path = tmp_path / "o.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Enquête ondernemers"])
    ws.append(["respondent_id", "sector"])
    ws.append(["E1", "Horeca"])
    wb.save(path)
    with pytest.raises(UserError) as info:
        read_xlsx_export(path, expected_columns=["Respondent ID", "sector"])
    assert "row 2 has 2" in str(info.value) and info.value.hint.startswith("set header_row = 2")
    with pytest.raises(UserError) as info:
        read_export(path, "xlsx", expected_columns=["respondent_id", "sector"])
    assert info.value.hint.startswith("set header_row = 2")


# ------------------------------------------------------------------ long text, formulas, PII


def test_long_free_text_up_to_the_limit_is_read(tmp_path):
    # 200 kB is above the csv module's default field limit (131,072) but within ours
    answer = "lang antwoord " * 15_000
    raw = read_csv_export(_write(tmp_path, f'id;wensen\n1;"{answer}"\n'))
    assert raw.rows[0][1] == answer


def test_cell_over_the_limit_is_a_clear_error(tmp_path):
    answer = "x" * (MAX_CELL_CHARS + 10)
    err = _error(_write(tmp_path, f"id;wensen\n1;ok\n2;{answer}\n"))
    assert "row 3 (line 3): a cell is longer than 1,000,000 characters" in str(err)


def test_formula_cells_are_neutralised_on_output(tmp_path):
    frame = pd.DataFrame({"wensen": ["=cmd|' /C calc'!A0", "@SUM(1)", "-2 keer", "-2"]})
    path = write_csv(tmp_path / "out.csv", frame)
    cells = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [c[0] for c in cells[1:]] == ["'=cmd|' /C calc'!A0", "'@SUM(1)", "'-2 keer", "-2"]


def test_personal_data_in_headers_and_sheet_names_is_redacted():
    headers = ["respondent_id", "bel 06-12345678", "jan@example.nl", "NL91ABNA0417164300"]
    assert [redact_label(h) for h in headers] == [
        "respondent_id",
        f"bel {MARKERS['phone']}",
        MARKERS["email"],
        MARKERS["iban"],
    ]


# ------------------------------------------------------------------ the example, damaged


def _example_records() -> tuple[bytes, list[bytes]]:
    data = EXAMPLE.read_bytes()
    pieces = data.split(b"\r\n")
    assert pieces[-1] == b""
    return pieces[0], pieces[1:-1]


def _join(header: bytes, records: list[bytes], end: bytes = b"\r\n") -> bytes:
    return b"\r\n".join([header, *records]) + end


def _plain(records: list[bytes]) -> int:
    """Index of a record after the 20th without quotes (simple to damage)."""
    return next(i for i, r in enumerate(records) if i > 20 and b'"' not in r)


def test_example_row_count_matches_an_independent_count():
    data = EXAMPLE.read_bytes()
    raw = read_csv_export(EXAMPLE)
    assert len(raw.rows) == data.count(b"\r\n") - 1 == 360
    assert raw.meta["lines"] == data.count(b"\n") == 375  # 14 answers span two lines
    assert raw.issues == [] and raw.source_rows == list(range(2, 362))


def test_damaged_example_short_record(tmp_path):
    header, records = _example_records()
    k = _plain(records)
    records[k] = records[k].rsplit(b";", 1)[0]  # drop the last field
    raw = read_csv_export(_write(tmp_path, _join(header, records)))
    assert len(raw.rows) == len(records) == 360
    assert [i.row for i in raw.issues] == [k + 2]


def test_damaged_example_truncated(tmp_path):
    header, records = _example_records()
    k = _plain(records)
    cut = _join(header, records[: k + 1], end=b"")[:-40]  # mid-way through record k
    err = _error(_write(tmp_path, cut))
    assert f"row {k + 2} " in str(err) and "cut off" in str(err)


def test_damaged_example_unbalanced_quote(tmp_path):
    header, records = _example_records()
    k = _plain(records)
    fields = records[k].split(b";")
    fields[1] = b'"' + fields[1]
    records[k] = b";".join(fields)
    err = _error(_write(tmp_path, _join(header, records)))
    assert f"row {k + 2} " in str(err)


def test_damaged_example_mixed_delimiter(tmp_path):
    header, records = _example_records()
    k = _plain(records)
    records[k] = records[k].replace(b";", b",")
    err = _error(_write(tmp_path, _join(header, records)))
    assert f"row {k + 2} " in str(err) and "separated by ','" in str(err)


def test_damaged_example_utf16_and_sep_line(tmp_path):
    data = EXAMPLE.read_bytes().decode("cp1252")
    original = read_csv_export(EXAMPLE)
    raw = read_csv_export(_write(tmp_path, ("sep=;\r\n" + data).encode("utf-16")))
    assert raw.rows == original.rows and raw.source_rows == original.source_rows


# ------------------------------------------------------------------ fuzzing

_SMALL = (
    'id;leeftijd;wensen\r\n1;30;"meer maatwerk; en ""een"" vast punt"\r\n'
    '2;41;geen\r\n3;;"twee\nregels"\r\n'
).encode("cp1252")


_BASES = [
    _SMALL,
    _SMALL.decode("cp1252").encode("utf-16"),
    b"sep=;\r\n" + _SMALL,
]


@st.composite
def damaged(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(_BASES)))
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        byte = draw(st.sampled_from([b'"', b";", b",", b"\n", b"\r", b"\x00", b"\xff", b"\x81",
                                     b"a", b"\t"]))  # fmt: skip
        if action == "flip" and data:
            data[pos : pos + 1] = byte
        elif action == "insert":
            data[pos:pos] = byte
        elif action == "delete" and data:
            del data[pos]
        elif action == "truncate":
            del data[pos:]
    return bytes(data)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=damaged())
def test_fuzz_damaged_bytes(tmp_path, data):
    path = _write(tmp_path, data, "fuzz.csv")
    try:
        raw = read_csv_export(path)
    except UserError as exc:
        assert str(exc).startswith("fuzz.csv")
        return
    assert isinstance(raw, RawExport)
    width = len(raw.columns)
    assert all(len(r) == width for r in raw.rows)
    assert len(raw.rows) == len(raw.source_rows)
    assert raw.source_rows == list(range(2, len(raw.rows) + 2))
    # independent count: the csv module, non-strict, on the text as decoded
    text = data.decode(raw.meta["encoding"])
    text = text.removeprefix("\ufeff")
    if raw.meta["sep_line"]:
        text = text.split("\n", 1)[1] if "\n" in text[:8] else text.split("\r", 1)[1]
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=raw.meta["delimiter"]))
    while records and records[-1] == []:
        records.pop()
    assert len(raw.rows) == len(records) - 1 == raw.meta["records"] - raw.meta["blank_lines_at_end"]


def test_delimiter_setting_of_more_than_one_character(tmp_path):
    err = _error(_write(tmp_path, "id;a\n1;x\n"), delimiter=";;")
    assert "delimiter ';;' — expected one character" in str(err)
