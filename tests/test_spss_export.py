"""The processed data as .sav (pipeline/outputs/spss_export.py): the file read back with pyreadstat
holds what the CSV holds, and dates are written as pyreadstat writes ``datetime64``."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from pipeline.outputs.spss_export import (
    SPSS_EPOCH_OFFSET,
    SPSS_SYSMIS,
    _fix_timestamp,
    _spss_frame,
    sav_bytes,
    spss_seconds,
)


def _sav(frame: pd.DataFrame, row_compress: bool = True, **options) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.sav"
        pyreadstat.write_sav(frame, str(path), row_compress=row_compress, **options)
        return _fix_timestamp(bytearray(path.read_bytes()))


def test_spss_seconds_by_hand():
    stamps = pd.Series(pd.to_datetime(["1582-10-14", "1970-01-01", "2013-05-01", None]))
    seconds = spss_seconds(stamps)
    # the SPSS origin is 14 October 1582: 141,428 days before 1 January 1970
    assert SPSS_EPOCH_OFFSET == (dt.date(1970, 1, 1) - dt.date(1582, 10, 14)).days * 86_400
    days = (dt.date(2013, 5, 1) - dt.date(1582, 10, 14)).days
    assert seconds.tolist()[:3] == [0.0, 12_219_379_200.0, days * 86_400.0]
    assert np.isnan(seconds.iloc[3])


@pytest.mark.parametrize("unit", ["ms", "us", "ns"])
def test_dates_as_seconds_give_the_bytes_of_pyreadstat_own_datetime64_path(unit):
    # reference: pyreadstat converting the datetime64 column itself (which copies the
    # whole frame); ours hands it the numbers with the same format
    stamps = pd.Series(pd.to_datetime(
        ["2013-05-01", None, "1999-12-31 23:59:59.123456", "1901-12-14", "1960-01-31 06:00",
         *(["1582-10-15"] if unit != "ns" else [])],
        format="ISO8601",
    ).as_unit(unit))
    other = pd.Series([1.5, np.nan, 3.0, 4.0, np.nan])
    formats = {"datum": "DATETIME23.2", "x": "F8.2"}
    reference = _sav(pd.DataFrame({"datum": stamps, "x": other}), variable_format=formats)
    ours = _sav(pd.DataFrame({"datum": spss_seconds(stamps), "x": other}),
                variable_format=formats)
    assert ours == reference


@pytest.mark.parametrize("compress", [True, False])
def test_sysmis_for_missing_numbers_gives_the_bytes_of_pyreadstat_missing_cells(compress):
    # reference: pyreadstat's own missing-value path (NaN / NaT / pd.NA, one check per
    # cell); ours hands it system-missing itself
    frame = pd.DataFrame({
        "code": pd.array([1, None, 3, None, 120], dtype="Int64"),
        "x": [1.5, np.nan, -np.inf, 1e300, np.nan],
        "datum": pd.Series(["2013-05-01", None, "2014-01-31", "1999-12-31", None], dtype="str"),
        "tekst": pd.Series(["=a", None, "b", "b", ""], dtype="str"),
    })
    dates, numbers = {"datum"}, {"code", "x"}
    options = {"variable_format": {"code": "F8.0", "x": "F8.2", "datum": "DATE11"}}
    reference_frame = pd.DataFrame({
        "code": frame["code"].astype("float64"),
        "x": frame["x"],
        "datum": pd.to_datetime(frame["datum"], format="ISO8601"),
        "tekst": ["'=a", "", "b", "b", ""],
    })
    ours = _spss_frame(frame, dates, numbers)
    assert (ours["code"] == SPSS_SYSMIS).tolist() == [False, True, False, True, False]
    assert not ours.isna().any().any()  # nothing for pyreadstat to check cell by cell
    mine = _sav(ours, compress, **options)
    assert mine == _sav(reference_frame, compress, **options)
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "o.sav").write_bytes(mine)
        back, _ = pyreadstat.read_sav(str(Path(tmp, "o.sav")))
    assert back["code"].isna().tolist() == [False, True, False, True, False]
    assert back["x"].tolist()[2:4] == [-np.inf, 1e300] and np.isnan(back["x"].iloc[4])


def test_time_zones_are_written_in_utc():
    stamps = pd.Series(pd.to_datetime(["2013-05-01 02:00"]).tz_localize("Europe/Amsterdam"))
    assert spss_seconds(stamps).iloc[0] == spss_seconds(
        pd.Series(pd.to_datetime(["2013-05-01 00:00"]))).iloc[0]


def test_sav_read_back_equals_the_csv(example_outputs):
    """Every cell of every processed .sav equals its CSV: numbers as numbers, text as
    text ("" for missing), dates as the same calendar day."""
    processed = example_outputs / "data" / "processed"
    package = pd.read_json(processed / "datapackage.json", typ="series")
    types = {r["name"]: {f["name"]: f["type"] for f in r["schema"]["fields"]}
             for r in package["resources"]}
    for csv in sorted(processed.glob("*.csv")):
        frame = pd.read_csv(csv, keep_default_na=False, na_values=[""], dtype=object)
        data, _ = pyreadstat.read_sav(csv.with_suffix(".sav"))
        assert list(data.columns) == list(frame.columns) and len(data) == len(frame)
        for name, kind in types[csv.stem].items():
            ours, written = data[name], frame[name]
            if kind == "date":
                got = [None if pd.isna(v) else v.isoformat() for v in ours]
                assert got == [None if pd.isna(v) else v for v in written], name
            elif kind in ("integer", "number", "boolean"):
                np.testing.assert_array_equal(ours.to_numpy(float),
                                              written.astype(float).to_numpy(), err_msg=name)
            else:
                assert ours.tolist() == written.fillna("").tolist(), name


def test_sav_bytes_of_a_frame_with_dates_and_text(tmp_path):
    frame = pd.DataFrame({
        "q1": pd.array([1, None, 3], dtype="Int64"),
        "datum": pd.Series(["2013-05-01", None, "2014-01-31"], dtype="str"),
        "tekst": pd.Series(["=x", None, "ok"], dtype="str"),
    })
    fields = [{"name": "q1", "type": "integer"}, {"name": "datum", "type": "date"},
              {"name": "tekst", "type": "string"}]
    path = tmp_path / "x.sav"
    path.write_bytes(sav_bytes(frame, fields, file_label="toy", synthetic=True))
    data, meta = pyreadstat.read_sav(path)
    assert meta.original_variable_types["datum"] == "DATE11"
    assert [str(v) for v in data["datum"]] == ["2013-05-01", "nan", "2014-01-31"]
    assert data["tekst"].tolist() == ["'=x", "", "ok"]
    assert data["q1"].tolist()[::2] == [1.0, 3.0] and np.isnan(data["q1"].iloc[1])
    assert meta.file_label.startswith("SYNTHETIC")
