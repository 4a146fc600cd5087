"""The C-parser path of the CSV reader gives exactly what the strict Python parser gives.

Reference: ``read_csv_export(..., parser="python")``, the strict csv-module reader whose
integrity guarantees ``tests/test_bad_input.py`` pins down. Every input here is read both
ways; where the fast path declines (a check failed), the strict parser decides alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.inputs.readers import read_csv_export
from pipeline.study.errors import UserError
from tests.test_bad_input import EXAMPLE, damaged


def _both(path: Path) -> tuple[object, object]:
    out = []
    for parser in ("auto", "python"):
        try:
            out.append(read_csv_export(path, parser=parser))
        except UserError as exc:
            out.append(str(exc))
    return out[0], out[1]


def _same(fast, strict) -> None:
    if isinstance(strict, str) or isinstance(fast, str):
        assert fast == strict
        return
    assert fast.columns == strict.columns
    assert fast.rows == strict.rows
    assert fast.source_rows == strict.source_rows
    assert [(i.row, i.kind, i.message) for i in fast.issues] == [
        (i.row, i.kind, i.message) for i in strict.issues
    ]
    meta_fast = {k: v for k, v in fast.meta.items() if k != "parser"}
    meta_strict = {k: v for k, v in strict.meta.items() if k != "parser"}
    assert meta_fast == meta_strict


def test_example_is_read_by_the_c_parser_and_equals_the_strict_reader():
    fast, strict = _both(EXAMPLE)
    assert fast.meta["parser"] == "c" and strict.meta["parser"] == "python"
    _same(fast, strict)


@pytest.mark.parametrize(
    "text",
    [
        'id;a;b\r\n1;"x ""quoted"" y";z\r\n2;"";\r\n',  # doubled quotes, empty quoted field
        'id;a;b\n1;"two\nlines";z\n\n3;x;y\n\n\n',  # multi-line answer, blank rows
        "id;a;b\r1;x;y\r2;x;y",  # lone CR line ends, no final line break
        'id;a;b\n1;"a;b;c\nd;e;f";z\n',  # continuation line that looks like a record
        'id;a;b\n1;x"y;z\n',  # a quote inside an unquoted field: strict parser decides
        "id;a;b\n1;x;y;\n",  # trailing empty field
        "id;a;b\n1;x\n2;x;y\n",  # short record (soft issue)
    ],
)
def test_small_cases_agree(tmp_path, text):
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode("utf-8"))
    _same(*_both(path))


def test_fast_path_declines_a_damaged_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b'id;a;b\n1;"x;y\n2;x;y\n')
    fast, strict = _both(path)
    assert isinstance(strict, str) and "ends inside a quoted field" in strict
    assert fast == strict


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=damaged(), extra=st.integers(0, 3))
def test_fuzz_fast_and_strict_agree(tmp_path, data, extra):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data + b"\r\n" * extra)
    _same(*_both(path))


XLSX = EXAMPLE.with_name("ondernemers.xlsx")


def test_xlsx_calamine_equals_openpyxl(monkeypatch):
    import pipeline.inputs.xlsx_reader as xlsx_reader

    fast = xlsx_reader.read_xlsx_export(XLSX, sheet="Enquete ondernemers")
    monkeypatch.setattr(xlsx_reader, "_xlsx_values", xlsx_reader._xlsx_values_openpyxl)
    slow = xlsx_reader.read_xlsx_export(XLSX, sheet="Enquete ondernemers")
    assert fast.meta.pop("engine") == "calamine" and slow.meta.pop("engine") == "openpyxl"
    assert fast.columns == slow.columns and fast.rows == slow.rows
    assert fast.source_rows == slow.source_rows and fast.meta == slow.meta


def test_sav_column_text_equals_cell_text_per_cell():
    import pyreadstat

    from pipeline.inputs.readers import cell_text, read_sav_export

    sav = EXAMPLE.with_name("kandidaten.sav")
    frame, _ = pyreadstat.read_sav(str(sav), user_missing=True, apply_value_formats=False)
    expected = [[cell_text(v) for v in record] for record in frame.itertuples(index=False)]
    assert read_sav_export(sav).rows == expected
