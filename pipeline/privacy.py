"""Personal data: redaction of free text and pseudonymous respondent ids.

Respondents type personal data into free-text answers: citizen service numbers (BSN),
e-mail addresses, phone numbers, bank account numbers (IBAN) and addresses. Every free-text
value is redacted at ingest, before anything is written, so none of it can reach an
interim file, a results table or the report. Raw respondent ids never leave ingest either:
they are replaced by a keyed hash (HMAC-SHA256), stable for a given key, so duplicates can
still be found and a data manager holding the key can re-identify a row if needed.
"""

from __future__ import annotations

import hashlib
import hmac
import re

MARKERS = {
    "email": "[E-MAIL]",
    "iban": "[IBAN]",
    "phone": "[TELEFOON]",
    "bsn": "[BSN]",
    "postcode": "[ADRES]",
}

# Local part with every character RFC 5322 allows unquoted; people do type them.
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Dutch IBAN: NL, check digits, bank code, ten digits; optionally in groups of four.
_IBAN_NL = re.compile(r"\bNL\d{2}[ ]?[A-Z]{4}(?:[ ]?\d){10}\b", re.IGNORECASE)
# Other countries: groups of four alphanumerics; redacted only with a valid checksum.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
# Dutch numbers: 0, +31 or 0031, then nine digits, optionally split by spaces or hyphens
# (06-12345678, 020-1234567, +31 6 12345678, 010 123 45 67, +31 (0)6 12345678).
_PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[ -]?(?:\(0\)[ -]?)?[1-9](?:[ -]?\d){8}(?!\d)")
# Eight or nine digits, optionally grouped by dots or spaces (123.456.782, 123 456 782).
_BSN_CANDIDATE = re.compile(r"(?<![\d.])(\d{3}[. ]?\d{3}[. ]?\d{3}|\d{8})(?![\d])")
# Dutch postcode (four digits, no leading zero, two capitals) with optional house number.
_POSTCODE = re.compile(r"\b[1-9]\d{3}[ ]?[A-Z]{2}\b(?:[ ,]*\d+(?:[ -]?[a-zA-Z]\b)?)?")


def is_valid_bsn(digits: str) -> bool:
    """The Dutch 11-test: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is divisible by 11.

    Eight-digit numbers are BSNs with a leading zero dropped.

    >>> is_valid_bsn("111222333")
    True
    >>> is_valid_bsn("123456789")
    False
    """
    d = re.sub(r"\D", "", digits)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9 or d == "000000000":
        return False
    weights = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(w * int(c) for w, c in zip(weights, d, strict=True)) % 11 == 0


def is_valid_iban(text: str) -> bool:
    """ISO 13616 mod-97 check."""
    s = re.sub(r"\s", "", text).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    rearranged = s[4:] + s[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _iban_sub(match: re.Match[str]) -> str:
    # Dutch IBANs are redacted on shape alone (a typo in the check digits is still personal
    # data); foreign ones need a valid checksum so ordinary codes are not hit.
    return MARKERS["iban"] if is_valid_iban(match.group(0)) else match.group(0)


def _bsn_sub(match: re.Match[str]) -> str:
    return MARKERS["bsn"] if is_valid_bsn(match.group(1)) else match.group(0)


def redact_text(text: str) -> str:
    """Replace personal data in free text by markers such as ``[BSN]`` and ``[E-MAIL]``.

    Order matters: e-mail and IBAN first (they contain digit runs), then phone numbers,
    then BSNs (checked with the 11-test), then postcodes with house numbers.
    """
    if not text:
        return text
    out = _EMAIL.sub(MARKERS["email"], text)
    out = _IBAN_NL.sub(MARKERS["iban"], out)
    out = _IBAN.sub(_iban_sub, out)
    out = _PHONE.sub(MARKERS["phone"], out)
    out = _BSN_CANDIDATE.sub(_bsn_sub, out)
    out = _POSTCODE.sub(MARKERS["postcode"], out)
    return out


def pseudonymise(raw_id: str, *, instrument: str, key: bytes) -> str:
    """Keyed hash of a respondent id, e.g. ``'cand-3f9a1c0e2b7d4a61'``.

    Ids are compared case- and whitespace-insensitively so ``'K0012 '`` and ``'k0012'``
    are the same respondent.
    """
    norm = re.sub(r"\s+", "", str(raw_id)).casefold()
    digest = hmac.new(key, f"{instrument}:{norm}".encode(), hashlib.sha256).hexdigest()
    prefix = {"employers": "emp", "candidates": "cand", "control": "ctrl"}.get(
        instrument, instrument[:4]
    )
    return f"{prefix}-{digest[:16]}"
