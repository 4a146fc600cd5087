"""Exclusion rules and row accounting (pipeline/stages/clean.py), on an in-memory export."""

import pandas as pd

from pipeline.stages.clean import assign_exclusions, cleaned_frame, sample_flow
from pipeline.stages.ingest import ingest_export
from pipeline.stages.validate import parse_instrument
from tests.conftest import make_raw

KEY = b"test-key"


def _full_answers(instrument):
    """A complete, valid answer set for every substantive question."""
    answers = {"gemeente": "Hilversum", "datum_invullen": "10-03-2014"}
    for v in instrument.substantive_variables():
        if v.codes:
            answers[v.name] = v.codes[0].nl
        elif v.type in ("integer", "number"):
            answers[v.name] = str(int(float(v.min or 0)) + 1)
    for v in instrument.variables:
        if v.mrset:
            answers[v.name] = "1"
    answers["deelname_werktop"] = "Nee"
    return answers


def _parse(codebook, rows):
    inst = codebook.instruments["control"]
    raw = make_raw(inst.names, rows)
    frame, meta = ingest_export(raw, inst, key=KEY, test_pattern=r"^\s*test")
    return parse_instrument(frame, meta, inst, codebook)


def test_each_rule_assigns_its_reason(codebook):
    inst = codebook.instruments["control"]
    full = _full_answers(inst)
    few = {"respondent_id": "C3", "gemeente": "Zaanstad", "geslacht": "Man", "leeftijd": "40"}
    partial = {**full, "respondent_id": "C2", "ze_lukt": "", "ze_gesprek": "", "bej_respect": ""}
    rows = [
        {**full, "respondent_id": "C1"},  # row 2: kept
        {**full, "respondent_id": "TEST01", "gemeente": "Nergens"},  # 3: test row
        {**partial},  # 4: duplicate of C2, less complete
        {**full, "respondent_id": "C2"},  # 5: kept (most complete)
        few,  # 6: break-off
        {**full, "respondent_id": "C4", "deelname_werktop": "Ja"},  # 7: ineligible
        {},  # 8: empty row
        {**full, "respondent_id": ""},  # 9: missing id
        {**full, "respondent_id": "C5", "deelname_werktop": "weet niet"},  # 10: kept
    ]
    parsed = _parse(codebook, rows)
    ex = assign_exclusions(parsed)
    assert dict(zip(ex["row"], ex["reason"], strict=True)) == {
        3: "test_row", 4: "duplicate", 6: "break_off", 7: "ineligible", 8: "empty_row",
        9: "missing_id",
    }
    assert ex.loc[ex["reason"] == "duplicate", "detail"].item() == (
        "same respondent as row 5, which was kept"
    )
    kept = cleaned_frame(parsed, set(ex["row"]))
    assert kept["source_row"].tolist() == [2, 5, 10]
    # the test row's unknown unit was not validated (test rows are excluded whole); the
    # empty row is not reported as lacking an id
    assert parsed.issues["issue"].tolist() == ["missing_id"]
    assert parsed.issues["row"].tolist() == [9]


def test_duplicates_tie_on_completeness_keep_the_latest_date(codebook):
    inst = codebook.instruments["control"]
    full = _full_answers(inst)
    rows = [
        {**full, "respondent_id": "C9", "datum_invullen": "01-03-2014"},
        {**full, "respondent_id": "c9 ", "datum_invullen": "20-03-2014"},
    ]
    ex = assign_exclusions(_parse(codebook, rows))
    assert ex["row"].tolist() == [2] and ex["reason"].tolist() == ["duplicate"]


def test_raw_ids_do_not_leave_ingest(codebook):
    inst = codebook.instruments["control"]
    full = _full_answers(inst)
    parsed = _parse(codebook, [{**full, "respondent_id": "C12345"}])
    text = parsed.raw.to_csv()
    assert "C12345" not in text and "respondent_id" not in parsed.raw.columns


def test_sample_flow_identity_and_reason_order():
    ex = pd.DataFrame(
        {"instrument": ["a", "a", "a"], "reason": ["break_off", "test_row", "test_row"]}
    )
    flow = sample_flow({"a": 10}, {"a": 7}, ex, {"a": ("A", "A")})
    assert flow["step"].tolist() == ["raw", "excluded", "excluded", "kept"]
    assert flow["reason"].tolist() == ["", "test_row", "break_off", ""]
    assert flow["n"].tolist() == [10, 2, 1, 7]


def test_sample_flow_refuses_broken_accounting():
    ex = pd.DataFrame({"instrument": ["a"], "reason": ["test_row"]})
    try:
        sample_flow({"a": 10}, {"a": 8}, ex, {"a": ("A", "A")})
    except AssertionError as exc:
        assert "raw 10 != kept 8 + excluded 1" in str(exc)
    else:
        raise AssertionError("broken accounting was not detected")
