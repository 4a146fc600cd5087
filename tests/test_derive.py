"""Derived variables and scale scores (pipeline/stages/derive.py), on tiny in-memory frames."""

import numpy as np
import pandas as pd
import pytest

from pipeline.stages.derive import add_scales, derive_jobseekers
from pipeline.study.plan import load_plan


def _jobseekers(codebook, instrument, rows):
    inst = codebook.instruments[instrument]
    frame = pd.DataFrame({v.name: pd.Series(dtype="Int64") for v in inst.variables
                          if v.type in ("categorical", "ordinal", "integer")})
    frame = pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)
    frame.insert(0, "respondent", [f"r{i}" for i in range(len(frame))])
    return frame.astype({c: "Int64" for c in frame.columns if c != "respondent"})


def test_reverse_worded_items_are_recoded_before_scoring(codebook):
    inst = codebook.instruments["control"]
    # agrees fully with positive items and disagrees fully with the reverse-worded ones:
    # maximal self-efficacy, so every item scores 5 after recoding
    row = {"ze_lukt": 5, "ze_gesprek": 5, "ze_tegenslag": 5, "ze_vaardigheden": 5,
           "ze_twijfel": 1, "ze_onzeker": 1}
    out = add_scales(_jobseekers(codebook, "control", [row]), inst)
    assert out.loc[0, "ze_twijfel"] == 1  # the answer as given is kept
    assert out.loc[0, "ze_twijfel_r"] == 5
    assert out.loc[0, "scale_eigen_effectiviteit"] == pytest.approx(5.0)


def test_scale_needs_its_minimum_number_of_items(codebook):
    inst = codebook.instruments["control"]
    # eigen_effectiviteit needs 4 of 6 items; 3 answered -> missing, 4 answered -> mean
    three = {"ze_lukt": 4, "ze_gesprek": 2, "ze_tegenslag": 3}
    four = {**three, "ze_twijfel": 5}  # reversed: 1
    out = add_scales(_jobseekers(codebook, "control", [three, four]), inst)
    assert pd.isna(out.loc[0, "scale_eigen_effectiviteit"])
    assert out.loc[1, "scale_eigen_effectiviteit"] == pytest.approx((4 + 2 + 3 + 1) / 4)


def test_employment_outcomes_and_group(codebook):
    cand = _jobseekers(codebook, "candidates", [{"werkstatus": 1}, {"werkstatus": 2}])
    ctrl = _jobseekers(codebook, "control", [{"werkstatus": 4}, {"werkstatus": pd.NA}])
    out = derive_jobseekers(cand, ctrl, codebook, load_plan(codebook))
    assert out["groep"].tolist() == ["werktop", "werktop", "controle", "controle"]
    assert out["werktop"].tolist() == [1, 1, 0, 0]
    assert out["werk_regulier"].tolist()[:3] == [1, 0, 0]
    assert out["werk_any"].tolist()[:3] == [1, 1, 0]
    assert pd.isna(out["werk_regulier"].iloc[3]) and pd.isna(out["werk_any"].iloc[3])


def test_derive_stage_imports_neither_scipy_nor_statsmodels():
    # the derive stage computes means and counts; scipy (for Cronbach's alpha) and
    # statsmodels load only in the stages that test and model
    import subprocess
    import sys

    code = ("import sys, pipeline.stages.derive\n"
            "heavy = [m for m in ('scipy', 'statsmodels') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_scales_are_added_without_copying_or_changing_the_input(codebook):
    # memory at a million rows: the answers are shared with the input, not copied, and
    # the input keeps its own columns (copy-on-write)
    inst = codebook.instruments["control"]
    frame = _jobseekers(codebook, "control", [{"ze_lukt": 4, "ze_twijfel": 2}] * 3)
    before = list(frame.columns)
    out = add_scales(frame, inst)
    assert list(frame.columns) == before and "ze_twijfel_r" in out.columns
    assert np.shares_memory(out["ze_lukt"].array._data, frame["ze_lukt"].array._data)
    assert out["ze_twijfel_r"].tolist() == [4, 4, 4] and frame["ze_twijfel"].tolist() == [2] * 3
