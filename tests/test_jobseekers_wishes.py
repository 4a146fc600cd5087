"""Chapter 6's knelpunten en wensen: the keyword coding of the open question, the group
comparison and the codes the prose names (pipeline/chapters/jobseekers/wishes.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.chapters.jobseekers.common import TREATMENT
from pipeline.chapters.jobseekers.wishes import (
    WISH_CODES,
    WISH_OTHER,
    WISHES,
    code_wishes,
    wishes,
    wishes_summary,
)


def test_an_answer_can_fall_into_several_codes_and_blank_is_no_answer():
    text = pd.Series(["Meer maatwerk en sneller reageren graag.", "Hulp bij mijn cv",
                      "", None, "Geen idee eigenlijk", "Meer maatwerk en sneller reageren graag."])
    coded = code_wishes(text)
    assert list(coded.columns) == [*WISH_CODES, WISH_OTHER]
    assert coded.loc[0, "wens_maatwerk"] == 1 and coded.loc[0, "wens_contact"] == 1
    assert coded.loc[0].sum() == 2 and coded.loc[0, WISH_OTHER] == 0
    assert coded.loc[1, "wens_solliciteren"] == 1 and coded.loc[1].sum() == 1
    assert coded.loc[[2, 3]].isna().all().all()  # no answer: not a 0
    assert coded.loc[4, WISH_OTHER] == 1 and coded.loc[4].sum() == 1
    pd.testing.assert_series_equal(coded.loc[5], coded.loc[0], check_names=False)


def _frame() -> pd.DataFrame:
    treated = ["Vaker contact met mijn klantmanager."] * 30 + ["Een cursus Nederlands."] * 10
    control = ["Vaker contact met mijn klantmanager."] * 5 + ["Een cursus Nederlands."] * 35
    return pd.DataFrame({TREATMENT: [1] * 45 + [0] * 40,
                         "wensen": [*treated, *[None] * 5, *control]})


def test_groups_are_compared_on_those_who_answered():
    table = wishes(_frame(), 0.05)
    assert list(table.columns) == list(WISHES.columns)
    contact = table.set_index("item").loc["wens_contact"]
    assert (contact["n_treated"], contact["count_treated"]) == (40, 30)  # 5 blanks left out
    assert (contact["n_control"], contact["count_control"]) == (40, 5)
    assert contact["p_treated"] == pytest.approx(0.75)
    assert contact["risk_difference"] == pytest.approx(0.75 - 0.125)
    summary = wishes_summary(table, 0.05)
    assert summary["top_treated"] == "wens_contact" and summary["top_control"] == "wens_scholing"
    assert set(summary["different"]) == {"wens_contact", "wens_scholing"}
    assert summary["n_codes"] == len(WISH_CODES)


def test_no_open_question_or_no_answer_in_a_group_gives_an_empty_table():
    frame = _frame()
    assert wishes(frame.drop(columns="wensen"), 0.05).empty
    frame.loc[frame[TREATMENT] == 0, "wensen"] = np.nan
    empty = wishes(frame, 0.05)
    assert empty.empty and list(empty.columns) == list(WISHES.columns)
    assert wishes_summary(empty, 0.05) == {"n_codes": 0, "top_treated": None,
                                           "top_control": None, "different": []}
