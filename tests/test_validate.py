"""Validation rules and how hard errors are reported (pipeline/validate.py)."""

from pipeline.ingest import ingest_export
from pipeline.validate import hard_errors, parse_instrument
from tests.conftest import make_raw


def _parsed(codebook, instrument, rows, **meta):
    inst = codebook.instruments[instrument]
    raw = make_raw(inst.names, rows, file="x.csv", **meta)
    frame, meta_out = ingest_export(raw, inst, key=b"k", test_pattern=r"^test")
    return parse_instrument(frame, meta_out, inst, codebook)


def test_all_errors_of_a_file_are_collected_up_to_the_limit(codebook):
    rows = [{"respondent_id": f"C{i}", "gemeente": f"Nergenshuizen {i}"} for i in range(12)]
    parsed = _parsed(codebook, "control", rows)
    messages = hard_errors(parsed, limit=5)
    assert len(messages) == 6
    assert messages[0].startswith("x.csv, row 2, column 'gemeente': value 'Nergenshuizen 0'")
    assert messages[4].startswith("x.csv, row 6,")
    assert messages[5] == "x.csv: … and 7 more errors"


def test_soft_issues_are_not_hard_errors(codebook):
    rows = [{"respondent_id": "C1", "gemeente": "Zaanstad", "leeftijd": "150",
             "opleiding": "doctoraal"}]
    parsed = _parsed(codebook, "control", rows)
    assert hard_errors(parsed, limit=50) == []
    issues = parsed.issues.set_index("column")
    assert issues.loc["leeftijd", "issue"] == "out_of_range"
    assert issues.loc["opleiding", "issue"] == "unknown_label"
    assert set(issues["action"]) == {"set_missing"}


def test_register_values_outside_range_stop_the_run(codebook):
    # register variables are declared on_invalid = "error": a wrong target is not an answer
    rows = [{"gemeente": "Hilversum", "doel_regulier": "-4"}]
    parsed = _parsed(codebook, "register", rows)
    (message,) = [m for m in hard_errors(parsed, limit=50) if "doel_regulier" in m]
    assert "value '-4' — expected a value from 0 to 10000" in message


def test_spss_row_label_is_case(codebook):
    rows = [{"respondent_id": "K1", "gemeente": "Atlantis"}]
    parsed = _parsed(codebook, "candidates", rows)
    parsed.meta["row_label"] = "case"
    (message,) = hard_errors(parsed, limit=50)
    assert message.startswith("x.csv, case 2, column 'gemeente'")


def test_a_respondent_without_unit_is_kept_and_reported(codebook):
    rows = [{"respondent_id": "C1", "gemeente": "", "leeftijd": "40"},
            {"respondent_id": "C2", "gemeente": "Doetinchem", "leeftijd": "41"}]
    parsed = _parsed(codebook, "control", rows)
    issues = parsed.issues[parsed.issues["issue"] == "missing_unit"]
    assert issues["row"].tolist() == [2] and issues["action"].tolist() == ["keep_row"]
    assert hard_errors(parsed, limit=50) == []


def test_a_blank_register_fact_stops_the_run(codebook):
    inst = codebook.instruments["register"]
    row = {n: "1000" for n in inst.names}
    row |= {"gemeente": "Zaanstad", "leden": "Zaanstad", "werkloosheid": "7,5",
            "draagvlak": "6", "startdatum": "01-11-2012", "einddatum": "01-01-2014",
            "doel_wep": ""}
    parsed = _parsed(codebook, "register", [row])
    (message,) = hard_errors(parsed, limit=50)
    assert message == (
        "x.csv, row 2, column 'doel_wep': value '' — expected a value (required in the register)"
    )
