"""Validation rules and how hard errors are reported (pipeline/stages/validate.py)."""

import pandas as pd

from pipeline.stages.ingest import ingest_export
from pipeline.stages.validate import hard_errors, parse_instrument
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


def test_the_same_hard_error_in_many_rows_is_one_message_listing_the_rows(codebook):
    rows = [{"respondent_id": f"C{i}", "gemeente": "Hilversm" if i % 2 else "Zaanstad"}
            for i in range(30)]
    rows.append({"respondent_id": "C99", "gemeente": "Atlantis"})
    parsed = _parsed(codebook, "control", rows)
    messages = hard_errors(parsed, limit=50)
    assert len(messages) == 2
    hilversm = [3, 5, 7, 9, 11, 13, 15, 17, 19, 21]  # data rows start at 2; odd i only
    assert messages[0].startswith(
        "x.csv, column 'gemeente': value 'Hilversm' (15 rows: "
        + ", ".join(map(str, hilversm)) + ", …) — expected one of the units"
    )
    assert "did you mean 'Hilversum'?" in messages[0]
    assert messages[1].startswith("x.csv, row 32, column 'gemeente': value 'Atlantis'")


def test_the_limit_counts_messages_and_the_rest_counts_rows(codebook):
    rows = [{"respondent_id": f"C{i}", "gemeente": ["Hilversm", "Atlantis", "Mordor"][i % 3]}
            for i in range(9)]
    parsed = _parsed(codebook, "control", rows)
    messages = hard_errors(parsed, limit=2)
    assert [m.split(": value ")[1].split(" (")[0] for m in messages[:2]] == [
        "'Hilversm'", "'Atlantis'"]
    assert messages[2] == "x.csv: … and 3 more errors"  # the three Mordor rows


def test_grouped_rows_use_the_files_word_for_a_row(codebook):
    rows = [{"respondent_id": f"K{i}", "gemeente": "Atlantis"} for i in range(3)]
    parsed = _parsed(codebook, "candidates", rows)
    parsed.meta["row_label"] = "case"
    (message,) = hard_errors(parsed, limit=50)
    assert "value 'Atlantis' (3 cases: 2, 3, 4)" in message


def _soft_report():
    import pandas as pd

    from pipeline.stages.validate import REPORT_COLUMNS

    def issue(row, column, value, kind="unknown_label", suggestion="", instrument="control"):
        return {"instrument": instrument, "file": f"{instrument}.csv", "row": row,
                "respondent": "r", "column": column, "value": value, "issue": kind,
                "action": "set_missing", "expected": "a label", "suggestion": suggestion}

    rows = [issue(4 + 3 * i, "Gemeente", "Hilversm", suggestion="Hilversum")
            for i in range(37)]
    rows += [issue(200 + i, "opleiding", f"typo {i}") for i in range(9)]
    rows += [issue(300, "leeftijd", "150", kind="out_of_range", instrument="employers")]
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def test_soft_issues_are_grouped_with_a_count_and_the_first_rows(capsys):
    from pipeline.outputs import console
    from pipeline.stages.validate import summarise_soft_issues

    console.set_verbosity(console.NORMAL)
    summarise_soft_issues(_soft_report(), where="validation_report.csv")
    err = capsys.readouterr().err.splitlines()
    assert err[0] == ("validate: 47 issue(s) recoded or dropped — out_of_range 1, "
                      "unknown_label 46 (listed in validation_report.csv)")
    assert err[1] == (
        "  warning: control.csv, column 'Gemeente': 'Hilversm' (37 rows: 4, 7, 10, 13, 16, "
        "19, 22, 25, 28, 31, …) is not a label; did you mean 'Hilversum'? (set to missing)")
    assert sum("Hilversm" in line for line in err) == 1  # once, not 37 times
    assert err[2] == "  warning: control.csv, row 200, column 'opleiding': 'typo 0' is not " \
        "a label (set to missing)"
    assert len(err) == 1 + 8 + 1  # the first 8 groups, then how many rows are left
    assert err[-1] == "  … 2 more in validation_report.csv (-v lists them all)"


def test_verbose_lists_every_group_and_counts_per_instrument_quiet_only_the_count(capsys):
    from pipeline.outputs import console
    from pipeline.stages.validate import summarise_soft_issues

    try:
        console.set_verbosity(console.VERBOSE)
        summarise_soft_issues(_soft_report())
        err = capsys.readouterr().err
        assert "  control: unknown_label 46" in err and "  employers: out_of_range 1" in err
        assert "'typo 8'" in err and "more in" not in err
        assert ("employers.csv, row 300, column 'leeftijd': out of range '150' — expected a "
                "label (set to missing)") in err
        console.set_verbosity(console.QUIET)
        summarise_soft_issues(_soft_report())
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("validate: 47 issue(s)")
    finally:
        console.set_verbosity(console.NORMAL)


def test_report_values_shaped_like_personal_data_are_redacted_whatever_the_column(codebook):
    from pipeline.stages.validate import redacted_values

    rows = [{"respondent_id": "C1", "gemeente": "Zaanstad", "sollicitaties_4wk": "250"}]
    parsed = _parsed(codebook, "control", rows)
    assert parsed.issues.set_index("column").loc["sollicitaties_4wk", "value"] == "250"
    values = pd.Series(["612345678", "123456782.0", "bel 06-12345678", "250", ""])
    assert redacted_values(values).tolist() == [
        "[TELEFOON]", "[BSN]", "bel [TELEFOON]", "250", ""
    ]
