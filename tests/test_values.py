"""Parsing one column against its codebook variable (pipeline/inputs/values.py)."""

import pandas as pd
import pytest

from pipeline.inputs.values import (
    ACTION_ERROR,
    ACTION_MISSING,
    ParseContext,
    parse_column,
    parse_date,
)


def _parse(codebook, instrument, name, values, **ctx):
    var = codebook.instruments[instrument].variable(name)
    return parse_column(var, pd.Series(values, dtype="object"), ParseContext(codebook, **ctx))


def test_labels_codes_and_aliases_map_to_codes(codebook):
    values, reasons, issues = _parse(
        codebook, "control", "ze_lukt",
        ["Helemaal mee eens", "  mee EENS ", "helemaal eens", "3", "1.0", "Strongly disagree"],
    )
    assert values.tolist() == [5, 4, 5, 3, 1, 1]
    assert issues == [] and set(reasons) == {""}


def test_missing_labels_codes_and_blanks_become_missing_with_a_reason(codebook):
    values, reasons, issues = _parse(
        codebook, "control", "ze_lukt", ["weet niet", "Geen antwoord", "9", "", "N.v.t."]
    )
    assert values.isna().all()
    assert reasons.tolist() == ["dont_know", "no_answer", "dont_know", "blank", "not_applicable"]
    assert issues == []


def test_file_declared_user_missing_counts_as_missing(codebook):
    values, reasons, _ = _parse(
        codebook, "candidates", "leeftijd", ["35", "98"], declared_missing=(98.0,)
    )
    assert values.tolist()[0] == 35 and pd.isna(values.tolist()[1])
    assert reasons.tolist() == ["", "user_missing"]


def test_unknown_label_is_recoded_to_missing_with_a_suggestion(codebook):
    values, reasons, issues = _parse(codebook, "control", "opleiding", ["Hbo of wo", "Hbo of w0"])
    assert values.tolist()[0] == 4 and pd.isna(values.tolist()[1])
    (issue,) = issues
    assert issue.issue == "unknown_label" and issue.action == ACTION_MISSING
    assert issue.value == "Hbo of w0" and issue.suggestion == "Hbo of wo"
    assert "Geen of basisonderwijs" in issue.expected


def test_out_of_range_and_non_numbers(codebook):
    values, reasons, issues = _parse(
        codebook, "control", "leeftijd", ["17", "104", "veertig", "45", "30,5", "99"]
    )
    assert values.tolist()[3] == 45
    assert [i.issue for i in issues] == [
        "out_of_range", "out_of_range", "not_a_number", "not_an_integer",
    ]
    assert issues[0].expected == "a value from 18 to 67"
    assert reasons.tolist()[5] == "no_answer"  # 99 is a missing code, not out of range


def test_decimal_comma_and_thousands_dot(codebook):
    values, _, issues = _parse(
        codebook, "control", "jaren_uitkering", ["2,5", "10", "0,25"], decimal=","
    )
    assert values.tolist() == [2.5, 10.0, 0.25] and not issues
    reg, _, issues = _parse(codebook, "register", "inwoners", ["1.234", "85.000"], decimal=",")
    assert reg.tolist() == [1234, 85000] and not issues


def test_decimal_comma_typed_as_text_in_a_point_file(codebook):
    values, _, _ = _parse(codebook, "control", "uren_week", ["32,5", "32.5"], decimal=".")
    assert values.tolist() == [32.5, 32.5]


@pytest.mark.parametrize(
    ("text", "iso"),
    [("05-03-2014", "2014-03-05"), ("5-3-2014", "2014-03-05"), ("2014-03-05", "2014-03-05"),
     ("05/03/2014", "2014-03-05"), ("2014-03-05 00:00:00", "2014-03-05")],
)
def test_dates_to_iso(text, iso):
    assert parse_date(text).isoformat() == iso


def test_invalid_and_out_of_range_dates(codebook):
    import datetime as dt

    studied = codebook.with_field_period(dt.date(2013, 11, 15), dt.date(2014, 6, 15))
    values, _, issues = _parse(
        studied, "control", "datum_invullen", ["31-02-2014", "01-01-2010", "15-03-2014"]
    )
    assert values.tolist()[2] == "2014-03-15"
    assert [i.issue for i in issues] == ["invalid_date", "out_of_range"]
    # Without a field period (the study config's [study] field_period) no range applies.
    values, _, issues = _parse(
        codebook, "control", "datum_invullen", ["01-01-2010", "15-03-2015"]
    )
    assert values.tolist() == ["2010-01-01", "2015-03-15"] and issues == []


def test_units_resolve_through_aliases_and_unknown_names_are_errors(codebook):
    values, _, issues = _parse(
        codebook, "control", "gemeente",
        ["Gem. Hilversum", "hilversum ", "Groesbeek", "M.U.G.", "Zaanstd", ""],
    )
    assert values.tolist()[:4] == ["hilversum", "hilversum", "mug", "mug"]
    (issue,) = issues
    assert issue.issue == "unknown_unit" and issue.action == ACTION_ERROR
    assert issue.value == "Zaanstd" and issue.suggestion == "Zaanstad"
