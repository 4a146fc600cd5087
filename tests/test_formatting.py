"""Number formatters used as Jinja filters (Dutch and English conventions)."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from analysis.estimability import REASONS
from pipeline.report.formatting import (
    MISSING,
    NOT_ESTIMABLE,
    VALUE_FORMATS,
    fmt_check,
    fmt_ci,
    fmt_int,
    fmt_not_estimable,
    fmt_number,
    fmt_p,
    fmt_p_rel,
    fmt_pct,
    fmt_pp,
    fmt_reason,
    fmt_value,
    is_missing,
)

MISSING_VALUES = [None, float("nan"), np.nan, np.float64("nan"), pd.NA, ""]


@pytest.mark.parametrize(
    ("x", "decimals", "nl", "en"),
    [
        (0, 1, "0,0", "0.0"),
        (3.14159, 2, "3,14", "3.14"),
        (1234.5, 1, "1.234,5", "1,234.5"),
        (1234567.891, 2, "1.234.567,89", "1,234,567.89"),
        (-1234.5, 1, "−1.234,5", "−1,234.5"),
        (-0.04, 1, "0,0", "0.0"),  # rounds to zero: no negative zero
        (-0.0, 2, "0,00", "0.00"),
        (0.125, 2, "0,13", "0.13"),  # half away from zero on the printed value
        (2.675, 2, "2,68", "2.68"),  # binary 2.67499.. but printed 2.675
        (-0.125, 2, "−0,13", "−0.13"),
        (-2.5, 0, "−3", "−3"),
        (2.5, 0, "3", "3"),
        (0.5, 0, "1", "1"),
        (1.005, 2, "1,01", "1.01"),
        (999.95, 1, "1.000,0", "1,000.0"),  # rounding carries into the thousands group
        (12, 0, "12", "12"),
        (12, 2, "12,00", "12.00"),
        (1e-7, 3, "0,000", "0.000"),
        (np.float64(0.3333), 2, "0,33", "0.33"),
        (np.int64(-42), 0, "−42", "−42"),
        (Decimal("7.25"), 1, "7,3", "7.3"),
        ("1.5", 0, "2", "2"),
    ],
)
def test_fmt_number(x, decimals, nl, en):
    assert fmt_number(x, decimals, "nl") == nl
    assert fmt_number(x, decimals, "en") == en


def test_fmt_number_defaults_to_dutch_one_decimal():
    assert fmt_number(1234.56) == "1.234,6"


@pytest.mark.parametrize("value", MISSING_VALUES)
def test_missing_values_become_a_dash(value):
    assert is_missing(value)
    for fn in (fmt_number, fmt_pct, fmt_pp):
        assert fn(value, 1, "nl") == MISSING
    assert fmt_int(value, "en") == MISSING
    assert fmt_p(value, "nl") == MISSING
    assert fmt_p_rel(value, "nl") == MISSING
    assert fmt_ci(value, 1.0, 2, "nl") == MISSING
    assert fmt_ci(1.0, value, 2, "en") == MISSING
    assert fmt_check(value) == MISSING


def test_not_missing():
    for value in (0, 0.0, False, "0", np.int64(0)):
        assert not is_missing(value)


def test_infinity():
    assert fmt_number(math.inf, 2, "nl") == "∞"
    assert fmt_number(-math.inf, 2, "en") == "−∞"
    assert fmt_ci(0.5, math.inf, 2, "nl") == "[0,50; ∞]"


@pytest.mark.parametrize(
    ("x", "nl", "en"),
    [
        (0, "0", "0"),
        (7, "7", "7"),
        (1234, "1.234", "1,234"),
        (-1234, "−1.234", "−1,234"),
        (12345678901234567890, "12.345.678.901.234.567.890", "12,345,678,901,234,567,890"),
        (np.int64(9_007_199_254_740_993), "9.007.199.254.740.993", "9,007,199,254,740,993"),
        (310.0, "310", "310"),  # integer counts read from CSV as floats
        (2.5, "3", "3"),
    ],
)
def test_fmt_int(x, nl, en):
    assert fmt_int(x, "nl") == nl
    assert fmt_int(x, "en") == en


@pytest.mark.parametrize(
    ("p", "decimals", "nl", "en"),
    [
        (0.123, 1, "12,3%", "12.3%"),
        (0.33306320907617504, 1, "33,3%", "33.3%"),
        (0.1235, 1, "12,4%", "12.4%"),  # half case, decided on the decimal value
        (0.00005, 2, "0,01%", "0.01%"),
        (1.6, 0, "160%", "160%"),
        (12.345, 1, "1.234,5%", "1,234.5%"),
        (0, 0, "0%", "0%"),
        (-0.052, 1, "−5,2%", "−5.2%"),
        (-0.0001, 1, "0,0%", "0.0%"),
    ],
)
def test_fmt_pct(p, decimals, nl, en):
    assert fmt_pct(p, decimals, "nl") == nl
    assert fmt_pct(p, decimals, "en") == en


def test_fmt_pp():
    assert fmt_pp(0.14596643488262664, 1, "nl") == "14,6"
    assert fmt_pp(-0.0089, 1, "en") == "−0.9"
    assert fmt_pp(0.00049, 1, "nl") == "0,0"


@pytest.mark.parametrize(
    ("p", "nl", "en"),
    [
        (0.003, "0,003", "0.003"),
        (0.0312, "0,031", "0.031"),
        (0.0315, "0,032", "0.032"),
        (0.05, "0,050", "0.050"),
        (0.001, "0,001", "0.001"),
        (0.00099, "< 0,001", "< 0.001"),
        (0.0000002, "< 0,001", "< 0.001"),
        (0.0, "< 0,001", "< 0.001"),
        (0.9996, "1,000", "1.000"),
        (1.0, "1,000", "1.000"),
        (np.float64(0.2), "0,200", "0.200"),
    ],
)
def test_fmt_p(p, nl, en):
    assert fmt_p(p, "nl") == nl
    assert fmt_p(p, "en") == en


def test_fmt_p_rel():
    assert fmt_p_rel(0.031, "nl") == "= 0,031"
    assert fmt_p_rel(0.0001, "en") == "< 0.001"


def test_fmt_p_other_precision():
    assert fmt_p(0.00005, "en", decimals=4) == "< 0.0001"
    assert fmt_p(0.00012, "nl", decimals=4) == "0,0001"


@pytest.mark.parametrize(
    ("low", "high", "decimals", "nl", "en"),
    [
        (1.2, 3.4, 1, "[1,2; 3,4]", "[1.2, 3.4]"),
        (1.5982, 2.9561, 2, "[1,60; 2,96]", "[1.60, 2.96]"),
        (-0.25, 0.125, 2, "[−0,25; 0,13]", "[−0.25, 0.13]"),
        (-0.001, 0.004, 2, "[0,00; 0,00]", "[0.00, 0.00]"),
        (1234.5, 5678.25, 1, "[1.234,5; 5.678,3]", "[1,234.5, 5,678.3]"),
    ],
)
def test_fmt_ci(low, high, decimals, nl, en):
    assert fmt_ci(low, high, decimals, "nl") == nl
    assert fmt_ci(low, high, decimals, "en") == en


def test_fmt_ci_percent_points():
    assert fmt_ci(0.0961, 0.1958, 1, "nl", percent=True) == "[9,6; 19,6]"
    assert fmt_ci(-0.0089, 0.1131, 1, "en", percent=True) == "[−0.9, 11.3]"


def test_fmt_check():
    assert fmt_check(True) == "✓"
    assert fmt_check(np.bool_(False)) == "✗"
    assert fmt_check("True") == "✓"
    assert fmt_check("false") == "✗"
    assert fmt_check(1) == "✓"
    with pytest.raises(ValueError):
        fmt_check("misschien")


def test_bad_inputs():
    with pytest.raises(ValueError):
        fmt_number(1.0, 1, "de")
    with pytest.raises(ValueError):
        fmt_number(1.0, -1, "nl")
    with pytest.raises(TypeError):
        fmt_number("abc", 1, "nl")
    with pytest.raises(TypeError):
        fmt_number(True, 1, "nl")
    with pytest.raises(TypeError):
        fmt_number([1], 1, "nl")


def test_formatters_are_pure():
    values = [0.1235, -2.5, 1234.5]
    before = list(values)
    results = [fmt_number(v, 1, "nl") for v in values]
    assert values == before
    assert results == [fmt_number(v, 1, "nl") for v in values]


@pytest.mark.parametrize(
    ("x", "nl", "en"),
    [
        ("2012-11-01", "1 november 2012", "1 November 2012"),
        ("2014-04-01", "1 april 2014", "1 April 2014"),
        ("2013-01-07T00:00:00", "7 januari 2013", "7 January 2013"),
        (pd.Timestamp("2012-12-31"), "31 december 2012", "31 December 2012"),
        (__import__("datetime").date(2013, 3, 15), "15 maart 2013", "15 March 2013"),
    ],
)
def test_fmt_date_writes_the_month_out(x: object, nl: str, en: str) -> None:
    from pipeline.report.formatting import fmt_date

    assert fmt_date(x, language="nl") == nl
    assert fmt_date(x, language="en") == en


@pytest.mark.parametrize("x", MISSING_VALUES)
def test_fmt_date_missing_is_a_dash(x: object) -> None:
    from pipeline.report.formatting import fmt_date

    assert fmt_date(x) == MISSING


def test_fmt_date_rejects_what_is_not_a_date() -> None:
    from pipeline.report.formatting import fmt_date

    with pytest.raises(ValueError):
        fmt_date("01-11-2012")
    with pytest.raises(ValueError):
        fmt_date(3.5)


@pytest.mark.parametrize(
    ("n", "total", "nl", "en"),
    [
        (5, 5, "alle vijf", "all five"),
        (0, 14, "geen van de veertien", "none of the fourteen"),
        (3, 5, "drie van de vijf", "three of the five"),
        (1, 1, "één van de één", "one of the one"),
        (24, 25, "24 van de 25", "24 of the 25"),
        (1200, 1200, "alle 1.200", "all 1,200"),
    ],
)
def test_fmt_share_reads_as_words(n: int, total: int, nl: str, en: str) -> None:
    from pipeline.report.formatting import fmt_share

    assert fmt_share(n, total, language="nl") == nl
    assert fmt_share(n, total, language="en") == en


def test_fmt_count_word_rejects_fractions_and_missing_is_a_dash() -> None:
    from pipeline.report.formatting import fmt_count_word

    assert fmt_count_word(20, "nl") == "twintig"
    assert fmt_count_word(21.0, "en") == "21"
    assert fmt_count_word(None) == MISSING
    with pytest.raises(ValueError):
        fmt_count_word(2.5)


# ---------------------------------------------------------------- not estimable (issue 21)
@pytest.mark.parametrize(
    ("note", "nl", "en"),
    [
        ("not estimable (too few respondents: 2 complete rows for 9 parameters)",
         "niet schatbaar: te weinig respondenten", "not estimable: too few respondents"),
        ("not estimable (outcome missing in a group: no control respondent has a value)",
         "niet schatbaar: de uitkomst ontbreekt in een groep",
         "not estimable: the outcome is missing in a group"),
        ("not computable (n = 1)", "niet schatbaar: te weinig respondenten",
         "not estimable: too few respondents"),
        ("IRLS did not converge in 100 iterations", "", ""),
        (None, "", ""),
    ],
)  # fmt: skip
def test_fmt_not_estimable_says_why_in_both_languages(note: object, nl: str, en: str) -> None:
    assert fmt_not_estimable(note, "nl") == nl
    assert fmt_not_estimable(note, "en") == en


def test_every_reason_has_words_in_every_language_and_is_a_value_format() -> None:
    for language, words in NOT_ESTIMABLE.items():
        assert set(words) == {"label", *REASONS}, language
        for reason in REASONS:
            assert fmt_reason(reason, language) == words[reason] != MISSING
    assert "reason" in VALUE_FORMATS
    assert fmt_value("separation", "reason", "nl") == "volledige scheiding"
    assert fmt_value("label", "reason", "en") == MISSING  # the phrase is not a reason
    assert fmt_value(None, "reason", "en") == MISSING


def test_negative_numbers_have_a_true_minus_and_ascii_minus_reverses_it():
    from pipeline.report.formatting import MINUS, ascii_minus

    for text in (fmt_number(-0.62, 2), fmt_pct(-0.052), fmt_pp(-0.1), fmt_ci(-1.5, -0.5, 1)):
        assert MINUS in text and "-" not in text
    assert ascii_minus(fmt_number(-1234.5, 1, "en")) == "-1,234.5"


def test_percent_kinds_have_one_precision_each():
    from pipeline.report.formatting import fmt_pct_kind

    assert fmt_pct_kind(0.93456, "share") == "93,5%"
    assert fmt_pct_kind(1.3714, "attainment") == "137%"
    assert fmt_pct_kind(0.5, "threshold", "en") == "50%"
    with pytest.raises(ValueError):
        fmt_pct_kind(0.5, "other")
