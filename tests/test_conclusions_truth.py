"""The scorecard's planted truth for the unit and municipality claims
(pipeline/chapters/conclusions/truth.py): read from a truth file, never typed in."""

from __future__ import annotations

import pandas as pd

from pipeline.chapters.conclusions.truth import with_planted_truth

UNITS = {
    "a": {"exceeds_all_targets": True, "attainment": "boven alle doelen", "members": ["A"],
          "voortzetten": "ja"},
    "b": {"exceeds_all_targets": True, "attainment": "boven alle doelen",
          "members": ["B1", "B2"], "voortzetten": "twijfel"},
    "c": {"exceeds_all_targets": False, "attainment": "ver onder de doelen", "members": ["C"],
          "voortzetten": "nee"},
}


def _table() -> pd.DataFrame:
    rows = [  # claim, measure, sensitivity, estimate, truth already recorded
        (1, "att_or_dr", "", 2.5, 2.0),
        (5, "n_units_exceeding", "", 2.0, None),
        (5, "n_units_exceeding", "sensitivity_prorated", 3.0, None),
        (5, "n_municipalities_exceeding", "sensitivity_members", 2.0, None),
        (9, "n_units_far_below", "", 1.0, None),
        (9, "n_units_below", "sensitivity_behind", 1.0, None),
        (10, "n_units_continuing", "", 1.0, None),
        (10, "n_units_continuing", "sensitivity_doubt", 2.0, None),
        (11, "n_units_safeguarded", "", 1.0, None),
    ]
    frame = pd.DataFrame(rows, columns=["claim", "measure", "sensitivity", "estimate", "truth"])
    frame["truth"] = frame["truth"].astype("float64")
    frame["covered"] = pd.array([True] + [None] * (len(rows) - 1), dtype="boolean")
    return frame


def test_planted_counts_come_from_the_truth_file_and_the_rest_says_not_planted():
    out = with_planted_truth(_table(), {"parameters": {"units": UNITS}})
    keys = list(zip(out["claim"], out["sensitivity"], strict=True))
    truth = dict(zip(keys, out["truth"], strict=True))
    assert truth[(5, "")] == 2 and truth[(5, "sensitivity_members")] == 3
    assert truth[(9, "")] == 1 and truth[(9, "sensitivity_behind")] == 1
    assert truth[(10, "")] == 1 and truth[(10, "sensitivity_doubt")] == 2
    assert truth[(1, "")] == 2.0  # a recorded truth is kept
    status = dict(zip(keys, out["truth_status"], strict=True))
    assert status[(5, "sensitivity_prorated")] == "not_planted"
    assert status[(11, "")] == "not_planted" and status[(5, "")] == "planted"
    covered = dict(zip(keys, out["covered"], strict=True))
    assert bool(covered[(5, "")]) and not bool(covered[(5, "sensitivity_members")])
    # another planted world gives other truths: nothing is typed in
    units = {**UNITS, "c": {**UNITS["c"], "voortzetten": "ja"}}
    again = with_planted_truth(_table(), {"parameters": {"units": units}})
    assert again.loc[(again["claim"] == 10) & (again["sensitivity"] == ""), "truth"].item() == 2


def test_real_data_has_no_truth_status():
    out = with_planted_truth(_table(), None)
    assert (out["truth_status"] == "").all()
    assert out["truth"].isna().sum() == len(out) - 1
