"""Bounded work before a first word: a CSV export that breaks a limit (header width, line
length, cell size) stops while it is being read, before it is parsed.

Most cases shrink the limits and the read chunk (monkeypatch) so that small files
exercise them, chunk boundaries included; the million-column header and the file
without line breaks use the real limits.
"""

from __future__ import annotations

import time
from pathlib import Path

import openpyxl
import pytest

import pipeline.inputs.csv_limits as csv_limits
import pipeline.inputs.csv_reader as csv_reader
import pipeline.inputs.xlsx_reader as xlsx_reader
from pipeline.cli import main
from pipeline.inputs.readers import read_csv_export, read_xlsx_export
from pipeline.study.errors import UserError
from tests.test_bad_input_cli import CONTROL, _study


def _write(tmp_path: Path, data: bytes | str, name: str = "x.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@pytest.fixture
def chunks(monkeypatch) -> list[tuple[int, int]]:
    """Every chunk the reader checks, as (start, end) byte offsets."""
    seen: list[tuple[int, int]] = []
    feed = csv_limits._StreamLimits.feed

    def spy(self, buf, start, end):
        seen.append((start, end))
        return feed(self, buf, start, end)

    monkeypatch.setattr(csv_limits._StreamLimits, "feed", spy)
    return seen


@pytest.fixture
def no_parsing(monkeypatch) -> None:
    """Fail the test if the file gets as far as being parsed."""

    def parsed(*args, **kwargs):
        raise AssertionError("the file was parsed before the limit stopped it")

    for name in ("detect_delimiter", "_read_fast", "_parse_records"):
        monkeypatch.setattr(csv_reader, name, parsed)


def _limit(monkeypatch, name: str, value: int) -> None:
    """Lower a limit in every reader module that checks it."""
    for module in (csv_limits, csv_reader, xlsx_reader):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, value)


def _small(monkeypatch, *, columns: int | None = None, line: int | None = None,
           cell: int | None = None, chunk: int = 64) -> None:
    if columns is not None:
        _limit(monkeypatch, "MAX_COLUMNS", columns)
    if line is not None:
        _limit(monkeypatch, "MAX_LINE_BYTES", line)
    if cell is not None:
        _limit(monkeypatch, "MAX_CELL_CHARS", cell)
    monkeypatch.setattr(csv_limits, "READ_CHUNK_BYTES", chunk)


# ------------------------------------------------------------------ header width


def test_million_column_header_stops_at_once(tmp_path, chunks, no_parsing):
    header = ";".join(f"v{i}" for i in range(1_000_000))
    body = "\n".join(";".join(["1"] * 50) for _ in range(100_000))  # 10 MB of records
    path = _write(tmp_path, f"{header}\n{body}\n", "wide.csv")
    started = time.perf_counter()
    with pytest.raises(UserError) as info:
        read_csv_export(path, expected_columns=["respondent_id", "gemeente"])
    took = time.perf_counter() - started
    assert str(info.value) == (
        "wide.csv: the header (row 1) has 1,000,000 columns (separated by ';'); this "
        "pipeline reads at most 10,000 columns"
    )
    assert "'delimiter' and 'header_row'" in info.value.hint
    assert len(chunks) == 1  # the first chunk holds the header: the rest is never read
    assert took < 2.0, f"{took:.2f} s"


def test_header_width_at_the_limit_is_read(tmp_path, monkeypatch):
    _small(monkeypatch, columns=5)
    raw = read_csv_export(_write(tmp_path, "a;b;c;d;e\n1;2;3;4;5\n"))
    assert raw.columns == ["a", "b", "c", "d", "e"]
    with pytest.raises(UserError, match=r"the header \(row 1\) has 6 columns"):
        read_csv_export(_write(tmp_path, "a;b;c;d;e;f\n1;2;3;4;5;6\n"))


def test_header_too_wide_before_its_line_has_been_read(tmp_path, monkeypatch, chunks,
                                                       no_parsing):
    _small(monkeypatch, columns=50, chunk=64)
    header = ",".join(f"kolom{i}" for i in range(400))  # 3 kB: many chunks long
    path = _write(tmp_path, header + "\n" + "x\n" * 1000)
    with pytest.raises(UserError, match=r"has at least \d+ columns \(separated by ','\)"):
        read_csv_export(path)
    assert len(chunks) < 10


def test_header_below_a_sep_line_and_title_rows(tmp_path, monkeypatch):
    _small(monkeypatch, columns=3, chunk=16)
    title = "Export, met, veel, komma's, in, de, titel\n"
    raw = read_csv_export(_write(tmp_path, "sep=;\r\n" + title + "id;a;b\r\n1;x;y\r\n"),
                          header_row=2)
    assert raw.columns == ["id", "a", "b"] and raw.source_rows == [3]
    with pytest.raises(UserError, match=r"the header \(row 2\) has 4 columns"):
        read_csv_export(_write(tmp_path, "sep=;\r\n" + title + "id;a;b;c\r\n1;x;y;z\r\n"),
                        header_row=2)


def test_quoted_column_names_holding_the_delimiter_count_once(tmp_path, monkeypatch):
    _small(monkeypatch, columns=3)
    raw = read_csv_export(_write(tmp_path, '"a;1";"b;2";c\n1;2;3\n'))
    assert raw.columns == ["a;1", "b;2", "c"]


def test_utf16_header_is_checked_too(tmp_path, monkeypatch):
    _small(monkeypatch, columns=3, chunk=64)
    data = "id;a;b;c\r\n1;2;3;4\r\n".encode("utf-16")
    with pytest.raises(UserError, match=r"\(row 1\) has 4 columns"):
        read_csv_export(_write(tmp_path, data))
    raw = read_csv_export(_write(tmp_path, "id;a;b\r\n1;2;3\r\n".encode("utf-16")))
    assert raw.columns == ["id", "a", "b"]


def test_xlsx_header_too_wide(tmp_path, monkeypatch):
    path = tmp_path / "o.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["id", "a", "b", "c"])
    wb.active.append([1, 2, 3, 4])
    wb.save(path)
    _limit(monkeypatch, "MAX_COLUMNS", 3)
    for values in (xlsx_reader._xlsx_values, xlsx_reader._xlsx_values_openpyxl):
        monkeypatch.setattr(xlsx_reader, "_xlsx_values", values)
        with pytest.raises(UserError, match=r"row 1\) has 4 columns; this pipeline reads "
                                            r"at most 3 columns"):
            read_xlsx_export(path)


# ------------------------------------------------------------------ line length


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_line_too_long_names_the_line(tmp_path, monkeypatch, no_parsing, end):
    _small(monkeypatch, line=100, chunk=32)
    lines = ["id;a;b", "1;x;y", "2;" + "x" * 99 + ";y", "3;x;y"]
    with pytest.raises(UserError) as info:
        read_csv_export(_write(tmp_path, end.join(lines) + end))
    assert str(info.value) == (
        "x.csv, line 3: the line is longer than 100 bytes without a line break; this "
        "pipeline reads lines of at most that length"
    )


def test_lines_up_to_the_limit_are_read(tmp_path, monkeypatch):
    _small(monkeypatch, line=100, chunk=7)  # chunks far shorter than a line
    lines = ["id;a;b"] + [f"{i};" + "x" * 94 + ";y" for i in range(1, 10)]
    assert all(len(line) <= 100 for line in lines)
    raw = read_csv_export(_write(tmp_path, "\n".join(lines)))
    assert len(raw) == 9


def test_long_line_inside_a_chunk_is_found(tmp_path, monkeypatch):
    _small(monkeypatch, line=100, chunk=4096)  # one chunk holds the whole file
    lines = ["id;a;b"] + ["1;x;y"] * 20 + ["2;" + "x" * 150 + ";y"] + ["3;x;y"] * 20
    with pytest.raises(UserError, match=r"line 22: the line is longer than 100 bytes"):
        read_csv_export(_write(tmp_path, "\n".join(lines) + "\n"))


def test_file_without_line_breaks_stops_after_the_limit(tmp_path, chunks, no_parsing):
    path = _write(tmp_path, b"a;" * 20_000_000, "dump.csv")  # 40 MB, one line
    with pytest.raises(UserError, match=r"dump\.csv, line 1: the line is longer than "
                                        r"10,000,000 bytes"):
        read_csv_export(path, delimiter=",")
    assert chunks[-1][1] <= csv_limits.READ_CHUNK_BYTES  # stopped in the first chunk


# ------------------------------------------------------------------ cell size


def test_quote_never_closed_stops_early(tmp_path, monkeypatch, chunks, no_parsing):
    _small(monkeypatch, cell=1000, chunk=256)
    rows = ["id;a;b", "1;x;y", '2;"begin van een antwoord;y'] + ["3;x;y"] * 5000
    with pytest.raises(UserError) as info:
        read_csv_export(_write(tmp_path, "\n".join(rows) + "\n"))
    assert str(info.value).startswith(
        "x.csv, line 3: a quoted cell is longer than 1,000 characters")
    assert "not closed" in info.value.hint
    assert len(chunks) <= 6  # about 1,000 bytes read past the quote, not 30,000


def test_long_quoted_cell_stops_before_parsing(tmp_path, monkeypatch, no_parsing):
    _small(monkeypatch, cell=1000, chunk=100)
    answer = "regel\n" * 200  # 1,200 characters over 200 lines
    with pytest.raises(UserError, match=r"line 3: a quoted cell is longer than 1,000"):
        read_csv_export(_write(tmp_path, f'id;a;b\n1;x;y\n2;"{answer}";y\n'))


def test_cell_size_counts_characters_not_bytes(tmp_path, monkeypatch):
    _small(monkeypatch, cell=1000, chunk=64)
    answer = "é" * 900  # 1,800 bytes in UTF-8, 900 characters
    raw = read_csv_export(_write(tmp_path, f'id;a\n1;"{answer}"\n2;x\n'))
    assert raw.rows[0][1] == answer


def test_quotes_inside_unquoted_answers_are_no_cell(tmp_path, monkeypatch):
    # 5" and 7" are quotes inside an answer, far apart: not a 2,000-character cell
    _small(monkeypatch, cell=1000, chunk=64)
    rows = ["id;a;b", '1;scherm van 5" breed;y'] + ["2;x;y"] * 400 + ['3;7" breed;y']
    raw = read_csv_export(_write(tmp_path, "\n".join(rows) + "\n"))
    assert len(raw) == 402 and raw.rows[0][1] == 'scherm van 5" breed'


# ------------------------------------------------------------------ through the CLI


def test_cli_million_column_header_exits_2_naming_the_limit(tmp_path, capsys):
    header = ";".join(f"v{i}" for i in range(1_000_000)).encode("ascii")
    config = _study(tmp_path, {CONTROL: lambda d: header + b"\r\n" + d.split(b"\r\n", 1)[1]})
    out = tmp_path / "out"
    assert main(["ingest", "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"error: {CONTROL}: the header (row 1) has 1,000,000 columns" in err
    assert "at most 10,000 columns" in err
    assert not (out / "data/interim/ingested").exists()
