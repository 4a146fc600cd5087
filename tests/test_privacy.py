"""PII redaction and pseudonyms (pipeline/privacy.py)."""

import pytest

from pipeline.privacy import (
    MARKERS,
    is_valid_bsn,
    is_valid_iban,
    pseudonymise,
    redact_text,
)


def test_bsn_eleven_test_by_hand():
    # 9*1+8*2+7*3+6*4+5*5+4*6+3*7+2*8-1*2 = 154 = 11*14 -> valid
    assert is_valid_bsn("123456782")
    # same digits ending in 9: 147, not divisible by 11
    assert not is_valid_bsn("123456789")
    assert is_valid_bsn("111222333")  # 66 = 11*6
    # eight digits: a BSN whose leading zero was dropped (0*9 + ... same sum as 012345678)
    assert is_valid_bsn("12345678") == is_valid_bsn("012345678")
    assert not is_valid_bsn("000000000")


def test_iban_mod97():
    assert is_valid_iban("NL91ABNA0417164300")
    assert is_valid_iban("NL91 ABNA 0417 1643 00")
    assert not is_valid_iban("NL92ABNA0417164300")


@pytest.mark.parametrize(
    ("text", "planted", "marker"),
    [
        ("Bel me: 06-12345678 graag", "06-12345678", "phone"),
        ("mobiel +31 6 12345678.", "+31 6 12345678", "phone"),
        ("vast 020-1234567", "020-1234567", "phone"),
        ("tel 010 123 45 67 na 17u", "010 123 45 67", "phone"),
        ("mail jan.jansen@example.nl svp", "jan.jansen@example.nl", "email"),
        ("mijn bsn is 123456782.", "123456782", "bsn"),
        ("BSN 123.456.782", "123.456.782", "bsn"),
        ("rekening NL91ABNA0417164300", "NL91ABNA0417164300", "iban"),
        ("rekening NL91 ABNA 0417 1643 00 ok", "NL91 ABNA 0417 1643 00", "iban"),
        ("ik woon op 1234 AB 12 in Zaandam", "1234 AB 12", "postcode"),
        ("postcode 3511AB, huisnummer", "3511AB", "postcode"),
    ],
)
def test_redact_removes_planted_value(text, planted, marker):
    out = redact_text(text)
    assert planted not in out
    assert MARKERS[marker] in out


def test_redact_leaves_ordinary_text_and_numbers_alone():
    text = "Ik heb 3 jaar gewerkt, sinds 2011, en solliciteer 12 keer per maand."
    assert redact_text(text) == text
    # nine digits that fail the 11-test are not a BSN
    assert redact_text("ordernummer 123456789") == "ordernummer 123456789"


def test_pseudonym_is_keyed_stable_and_normalised():
    a = pseudonymise("K0012", instrument="candidates", key=b"k1")
    assert a == pseudonymise(" k0012 ", instrument="candidates", key=b"k1")
    assert a != pseudonymise("K0012", instrument="candidates", key=b"k2")
    assert a != pseudonymise("K0012", instrument="control", key=b"k1")
    assert a.startswith("cand-") and "K0012" not in a


def test_foreign_iban_needs_valid_checksum():
    assert redact_text("DE89 3704 0044 0532 0130 00") == MARKERS["iban"]
    # an invalid checksum is not an IBAN (its digits may still look like a phone number)
    assert MARKERS["iban"] not in redact_text("DE88 3704 0044 0532 0130 00")


# ---------------------------------------------------------------- properties

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_words = st.lists(
    st.sampled_from(["ik", "wil", "graag", "werk", "bel", "mij", "op", "of", "mail", "naar",
                     "nummer", "3", "2014", "uur", ",", "."]),
    max_size=6,
).map(" ".join)


@st.composite
def valid_bsns(draw) -> str:
    digits = draw(st.lists(st.integers(0, 9), min_size=8, max_size=8))
    total = sum(w * d for w, d in zip([9, 8, 7, 6, 5, 4, 3, 2], digits, strict=True))
    last = total % 11  # 9*d1+...+2*d8 - d9 must be divisible by 11
    if last > 9 or not any(digits):
        digits = [1, 1, 1, 2, 2, 2, 3, 3]
        last = 3
    return "".join(map(str, digits)) + str(last)


@given(before=_words, bsn=valid_bsns(), after=_words)
def test_any_valid_bsn_is_redacted(before, bsn, after):
    assert is_valid_bsn(bsn)
    out = redact_text(f"{before} {bsn} {after}")
    assert bsn not in out


@given(before=_words, email=st.emails(), after=_words)
def test_any_email_is_redacted(before, email, after):
    out = redact_text(f"{before} {email} {after}")
    assert email not in out


@given(before=_words, digits=st.text("0123456789", min_size=8, max_size=8), after=_words)
def test_any_dutch_mobile_number_is_redacted(before, digits, after):
    for number in (f"06{digits}", f"06-{digits}", f"+31 6 {digits}"):
        assert number not in redact_text(f"{before} {number} {after}")
