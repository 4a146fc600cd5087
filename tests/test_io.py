"""Atomic writers and formula safety (pipeline/outputs/io.py)."""

import csv
import errno
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.outputs.io import (
    _QUOTED_PATTERN,
    _TRIGGER_PATTERN,
    FORMULA_TRIGGERS,
    _lone_cr_to_lf,
    _quote,
    _unquote,
    atomic_write,
    neutralise_formulas,
    restore_formulas,
    write_csv,
    write_text,
)
from pipeline.study.errors import UserError, os_error


def _cells(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+SUM(A1:A2)", "'+SUM(A1:A2)"),
        ("-5 jaar", "'-5 jaar"),  # text that starts with a minus is text: neutralised
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\r=1", "'\n=1"),  # neutralised; the lone CR is written as LF (see below)
        ("-5", "-5"),  # a negative number stored as text: a spreadsheet reads a number
        ("+1,5", "+1,5"),
        ("-1.5e3", "-1.5e3"),
        ("- 5", "'- 5"),  # not a plain number
        (" =1+1", " =1+1"),  # a leading space stops a spreadsheet from evaluating
        ("geen", "geen"),
        ("'t Gooi", "'t Gooi"),  # an apostrophe is not a trigger
    ],
)
def test_write_csv_neutralises_text_cells(tmp_path, cell, written):
    path = write_csv(tmp_path / "t.csv", pd.DataFrame({"tekst": [cell]}, dtype=object))
    assert _cells(path) == [["tekst"], [written]]


def test_lone_carriage_return_does_not_split_the_record(tmp_path):
    frame = pd.DataFrame({"id": ["1", "2"], "tekst": ["regel\rnog een", "a\r\nb"]})
    path = write_csv(tmp_path / "t.csv", frame)
    assert _cells(path) == [["id", "tekst"], ["1", "regel\nnog een"], ["2", "a\r\nb"]]
    assert frame.loc[0, "tekst"] == "regel\rnog een"  # input untouched


def test_numbers_stay_numbers(tmp_path):
    frame = pd.DataFrame(
        {
            "x": [-1.5, 2.0],
            "n": pd.Series([-3, 4], dtype="int64"),
            "mixed": pd.Series([-2.5, "-2 keer"], dtype=object),
            "label": ["-", "ok"],
        }
    )
    path = write_csv(tmp_path / "t.csv", frame)
    assert _cells(path) == [["x", "n", "mixed", "label"], ["-1.5", "-3", "-2.5", "'-"],
                            ["2.0", "4", "'-2 keer", "ok"]]  # fmt: skip
    # the input is not modified
    assert frame.loc[1, "mixed"] == "-2 keer" and frame.loc[0, "label"] == "-"


def test_headers_and_string_dtype_columns_are_neutralised():
    frame = pd.DataFrame({"=a": pd.Series(["=b", None], dtype="str")})
    out = neutralise_formulas(frame)
    assert list(out.columns) == ["'=a"]
    assert out.iloc[0, 0] == "'=b" and pd.isna(out.iloc[1, 0])
    assert out.dtypes.iloc[0] == frame.dtypes.iloc[0]


def test_write_csv_can_skip_neutralising(tmp_path):
    path = write_csv(tmp_path / "t.csv", pd.DataFrame({"a": ["=1"]}), neutralise=False)
    assert _cells(path) == [["a"], ["=1"]]


def test_xlsx_cells_from_neutralised_frame_are_text_not_formulas(tmp_path):
    frame = neutralise_formulas(pd.DataFrame({"a": ["=1+1", "-5", "ok"], "b": [-1.5, 1, 2]}))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append(list(row))
    wb.save(tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert [c.data_type for c in ws["A"]][1:] == ["s", "s", "s"]  # no 'f' (formula)
    assert ws["A2"].value == "'=1+1" and ws["B2"].value == -1.5


def test_distinct_values_are_mapped_once_and_in_place():
    # 10,000 cells but 2 distinct values: the mapping must still be cell-exact
    values = np.where(np.arange(10_000) % 3 == 0, "=x", "y")
    out = neutralise_formulas(pd.DataFrame({"a": values}))
    assert (out["a"] == np.where(values == "=x", "'=x", "y")).all()


_text = st.text(alphabet=st.sampled_from(list("=+-@\t\r'ab 1.,e")), max_size=8)


@given(st.lists(_text, min_size=1, max_size=20))
def test_neutralise_then_restore_is_the_identity(cells):
    frame = pd.DataFrame({"a": pd.Series(cells, dtype=object)})
    out = neutralise_formulas(frame)
    for before, after in zip(cells, out["a"], strict=True):
        if before.startswith(FORMULA_TRIGGERS) and after == before:
            # only plain numbers may keep their leading sign
            assert before.lstrip("+-")[:1].isdigit() or before.lstrip("+-")[:1] in ".,"
        if after != before:
            assert after == "'" + before and before.startswith(FORMULA_TRIGGERS)
    # the documented exception: text that already starts with ' + trigger
    if not any(c.startswith("'") and c[1:2] in "=+-@\t\r" for c in cells):
        assert restore_formulas(out).equals(frame)


@pytest.mark.parametrize("dtype", ["str", "string"])
def test_prefilter_patterns_catch_every_trigger_in_python_and_pyarrow(dtype):
    starts = [*FORMULA_TRIGGERS, "'", " ", "a", "1", "é", "[", "]", "^", "\\"]
    cells = pd.Series([c + "x" for c in starts] + ["'" + c + "x" for c in starts], dtype=dtype)
    expected_quote = [c.startswith(FORMULA_TRIGGERS) for c in cells]
    expected_unquote = [c.startswith("'") and c[1:].startswith(FORMULA_TRIGGERS) for c in cells]
    # pyarrow's RE2 (arrow-backed strings) and Python's re read the patterns alike
    assert cells.str.contains(_TRIGGER_PATTERN, regex=True).tolist() == expected_quote
    assert cells.str.contains(_QUOTED_PATTERN, regex=True).tolist() == expected_unquote
    assert [re.search(_TRIGGER_PATTERN, c) is not None for c in cells] == expected_quote


_mixed = st.text(alphabet=st.sampled_from(list("=+-@\t\r\n'ab 1.,")), max_size=6)


@pytest.mark.parametrize("dtype", ["str", "string", object])
@given(cells=st.lists(st.one_of(_mixed, st.none()), min_size=1, max_size=30))
def test_string_columns_are_mapped_cell_by_cell_exactly(dtype, cells):
    # reference: the per-cell functions applied to every string cell, one at a time
    frame = pd.DataFrame({"a": pd.Series(cells, dtype=dtype)})
    original = frame.copy()
    for mapped, func in (
        (neutralise_formulas(frame), _quote),
        (restore_formulas(frame), _unquote),
        (_lone_cr_to_lf(frame), lambda v: re.sub("\r(?!\n)", "\n", v)),
    ):
        expected = [func(c) if isinstance(c, str) else None for c in cells]
        got = [c if isinstance(c, str) else None for c in mapped["a"]]
        assert got == expected
        assert mapped["a"].dtype == frame["a"].dtype
        assert mapped["a"].isna().tolist() == [c is None for c in cells]
    pd.testing.assert_frame_equal(frame, original)  # the input is untouched


def test_neutralising_a_shallow_copy_leaves_the_input_and_its_header_alone():
    frame = pd.DataFrame({"=h": pd.Series(["=x", "y"], dtype="str"), "n": [1, 2]})
    out = neutralise_formulas(frame)
    out.loc[0, "n"] = 99
    assert list(frame.columns) == ["=h", "n"] and frame["=h"].tolist() == ["=x", "y"]
    assert frame.loc[0, "n"] == 1 and list(out.columns) == ["'=h", "n"]


def test_atomic_write_leaves_nothing_behind_on_failure(tmp_path):
    target = tmp_path / "x.csv"

    def fail(path):
        path.write_text("half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ the OS says no


def _refuse(error: OSError):
    def write(path):
        path.write_text("half")
        raise error
    return write


@pytest.mark.parametrize(
    ("error", "says", "hint"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "the disk is full",
         "free space on that disk"),
        (PermissionError(errno.EACCES, "Permission denied"), "permission denied",
         "writable for you"),
        (OSError(errno.EROFS, "Read-only file system"), "the file system is read-only",
         "writable disk"),
    ],
    ids=["disk-full", "permission", "read-only"],
)
def test_an_os_refusal_is_a_user_error_naming_the_output(tmp_path, error, says, hint):
    target = tmp_path / "results" / "stats.json"
    target.parent.mkdir()
    target.write_text("previous")
    with pytest.raises(UserError) as caught:
        atomic_write(target, _refuse(error))
    rendered = caught.value.render()
    assert f"cannot write {target}: {says}" in rendered and hint in rendered
    assert "--out" in rendered
    assert target.read_text() == "previous"
    assert sorted(p.name for p in target.parent.iterdir()) == ["stats.json"]


def test_other_os_errors_are_bugs_and_keep_their_type(tmp_path):
    with pytest.raises(OSError) as caught:
        atomic_write(tmp_path / "x.csv", _refuse(OSError(errno.EINVAL, "Invalid argument")))
    assert not isinstance(caught.value, UserError) and caught.value.errno == errno.EINVAL
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "y.csv", _refuse(FileNotFoundError(2, "No such file")))
    assert list(tmp_path.iterdir()) == []


def test_a_file_where_a_folder_should_be_is_named(tmp_path):
    (tmp_path / "results").write_text("a file, not a folder")
    with pytest.raises(UserError, match=r"results is a file, not a folder"):
        write_text(tmp_path / "results" / "tables" / "t.csv", "x")
    with pytest.raises(UserError, match=r"results is a file, not a folder"):
        write_text(tmp_path / "results" / "t.csv", "x")
    assert (tmp_path / "results").read_text() == "a file, not a folder"


def test_os_error_classifies_by_errno(tmp_path):
    assert os_error(FileNotFoundError(errno.ENOENT, "No such file", "x")) is None
    assert os_error(ValueError("no OSError")) is None
    assert os_error(FileExistsError(errno.EEXIST, "File exists", str(tmp_path))) is None
    denied = os_error(PermissionError(errno.EACCES, "Permission denied", "/data/in.csv"),
                      action="read")
    assert denied is not None
    assert denied.render() == ("error: cannot read /data/in.csv: permission denied\n"
                               "hint: make the file readable for you (ls -l /data/in.csv)")
