"""write_frame_csv writes the bytes pipeline.outputs.io.write_csv writes (the reference)."""

import numpy as np
import pandas as pd
import pytest

from pipeline.outputs.fastcsv import write_frame_csv
from pipeline.outputs.io import write_csv

TEXTS = ["", "gewoon", 'zei "ja"', "a,b", "twee\nregels", "cr\r\nlf", "los\rcr", "=SUM(A1)",
         "-5", "-5 jaar", "@x", " spatie ", "één", "'=al", "NA", None]


def _frame(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    pick = rng.integers(0, len(TEXTS), n)
    floats = [0.1, 35.0, 1e-7, 1e20, -2.5, np.nan, 1 / 3]
    return pd.DataFrame({
        "respondent": [f"cand-{i:04x}" for i in range(n)],
        "source_row": np.arange(2, n + 2),
        "wensen": pd.Series([TEXTS[k] for k in pick], dtype=object),
        "code": pd.array([None if k % 5 == 0 else int(k) for k in pick], dtype="Int64"),
        "uren": pd.array([floats[k % len(floats)] for k in pick], dtype="Float64"),
        "ratio": np.array([floats[k % len(floats)] for k in pick], dtype="float64"),
        "datum": pd.Series([None if k % 3 else "2014-02-14" for k in pick], dtype=object),
        "tekst": pd.Series([TEXTS[k] or "" for k in pick[::-1]], dtype="str"),
        "=kolom": pd.Series(["x"] * n, dtype=object),
    })


@pytest.mark.parametrize("neutralise", [True, False])
def test_same_bytes_as_write_csv(tmp_path, neutralise):
    frame = _frame()
    ours = write_frame_csv(tmp_path / "ours.csv", frame, neutralise=neutralise)
    reference = write_csv(tmp_path / "reference.csv", frame, neutralise=neutralise)
    assert ours.read_bytes() == reference.read_bytes()


def test_empty_and_categorical_frames(tmp_path):
    frame = _frame().head(0)
    assert (write_frame_csv(tmp_path / "a.csv", frame).read_bytes()
            == write_csv(tmp_path / "b.csv", frame).read_bytes())
    cats = _frame()[["respondent", "wensen"]].astype("category")
    assert (write_frame_csv(tmp_path / "c.csv", cats).read_bytes()
            == write_csv(tmp_path / "d.csv", cats).read_bytes())


@pytest.mark.parametrize("dtype", ["float64", "Float64"])
def test_negative_zero_and_missing_floats_keep_their_own_text(tmp_path, dtype):
    # pd.factorize takes -0.0 for 0.0; to_csv writes "-0.0" and "0.0"
    values = [0.0, -0.0, None, 1.5, -0.0, 0.0, None, 1e-300]
    frame = pd.DataFrame({"x": pd.array(values, dtype=dtype), "y": range(len(values))})
    ours = write_frame_csv(tmp_path / "ours.csv", frame).read_bytes()
    assert ours == write_csv(tmp_path / "reference.csv", frame).read_bytes()
    assert ours.split(b"\n")[1:3] == [b"0.0,0", b"-0.0,1"]


def test_rows_are_assembled_in_chunks_with_the_same_bytes(tmp_path, monkeypatch):
    import pipeline.outputs.fastcsv as fastcsv

    monkeypatch.setattr(fastcsv, "CHUNK_ROWS", 7)  # 40 rows: 5 full chunks and a partial one
    frame = _frame()
    ours = write_frame_csv(tmp_path / "ours.csv", frame)
    assert ours.read_bytes() == write_csv(tmp_path / "reference.csv", frame).read_bytes()
