"""Personal data: redaction of free text and pseudonymous respondent ids.

Respondents type personal data into free-text answers: citizen service numbers (BSN),
e-mail addresses, phone numbers, bank account numbers (IBAN) and addresses. Every free-text
value is redacted at ingest, before anything is written, so none of it can reach an
interim file, a results table or the report. Column headers, sheet names and SPSS
variable/value labels go through :func:`redact_label` (the same rules). Raw respondent ids
never leave ingest either: they are replaced by a keyed hash (HMAC-SHA256), stable for a
given key, so duplicates can still be found and a data manager holding the key can
re-identify a row if needed.

Linear time
-----------
Every pattern is either bounded in length (phone, BSN, IBAN, postcode) or anchored so that
a failed attempt costs O(1) per position (the e-mail pattern only starts at the beginning
of a run of address characters, and its quantifiers are possessive). Redacting 10 MB of
text takes well under a second (``benchmarks/bench_redaction.py``); the previous e-mail
pattern was quadratic in the length of a run of letters (100 kB took 32 s).

What is recognised
------------------
* **E-mail**: ``local@domain.tld`` in any case; the local part may hold every character
  RFC 5322 allows unquoted.
* **IBAN**: Dutch ones (``NL``, two check digits, four letters, ten digits) on shape alone,
  in any case, written solid or in groups of four separated by spaces, hyphens or dots; a
  typo in the check digits is still personal data. Other countries (country code and
  letters in capitals, solid or in groups of four separated by spaces) only with a valid
  ISO 13616 mod-97 checksum and, for 37 common countries, the country's IBAN length, so
  ordinary product codes are left alone.
* **Phone**: Dutch numbers, mobile and landline: a trunk ``0``, ``+31``, ``0031`` or
  ``(+31)``, optionally ``(0)``, then nine digits whose first is not 0. Between any two
  digits one separator is allowed: a space, or ``-``, ``.`` or ``/`` with optional spaces
  around it (``06 - 12345678``); an area code may be in parentheses (``(020) 123 4567``).
  A match that starts like a date (``01-03-2014 10``) is not a phone number.
* **BSN**: nine digits solid or grouped 3-3-3 or 4-2-3 with one kind of separator (dot,
  space or hyphen), or eight solid digits (a leading zero dropped); redacted only when
  the 11-test holds. A digit run followed by a decimal part (``123.456.782,00``) is an
  amount, not a BSN.
* **Address**: a Dutch postcode (four digits not starting with 0, two capitals) with an
  optional house number and addition (``1234 AB 12``, ``1234AB, 12-a``).

Plain dates (``12-03-2014``), amounts (``1.234,56``) and short numbers are not touched.
"""

from __future__ import annotations

import hashlib
import hmac
import operator
import re
from collections.abc import Iterable

__all__ = [
    "MARKERS",
    "MAX_CELL_CHARS",
    "is_valid_bsn",
    "is_valid_iban",
    "pseudonymise",
    "pseudonymise_many",
    "redact_label",
    "redact_text",
]

MARKERS = {
    "email": "[E-MAIL]",
    "iban": "[IBAN]",
    "phone": "[TELEFOON]",
    "bsn": "[BSN]",
    "postcode": "[ADRES]",
}

#: The longest free-text cell the readers accept (characters). A longer cell is a hard
#: error: it is almost always a broken quote that swallowed the rest of the file, and
#: nobody types a megabyte into a survey box.
MAX_CELL_CHARS = 1_000_000

# Speed: every pattern starts with a consuming character (class) and checks what precedes
# it with a lookbehind *after* that first character, so the regex engine can skip quickly
# to positions where a match can begin instead of evaluating a lookbehind everywhere.

# Characters RFC 5322 allows in an unquoted local part.
_LOCAL = r"\w.!#$%&'*+/=?^`{|}~-"
# E-mail is found from its '@' (a fast literal search): the domain is matched forwards,
# the local part is the run of local-part characters just before the '@' (found by a
# match on the reversed text). Runs between two '@' are disjoint, so this is linear.
_EMAIL_DOMAIN = re.compile(r"@[\w-]++(?:\.[\w-]++)+")
_LOCAL_RUN = re.compile(rf"[{_LOCAL}]++")

_IBAN_SEP = r"[ .-]?"
_IBAN_NL = re.compile(
    rf"[Nn](?<!\w\w)[Ll]\d\d{_IBAN_SEP}[A-Za-z]{{4}}(?:{_IBAN_SEP}\d){{10}}(?!\w)"
)
# Foreign IBANs: country code in capitals, 15 to 34 characters, solid or in groups of
# four. The callback tries shorter prefixes when the longest candidate fails the checksum
# (ordinary text may follow the number).
_IBAN = re.compile(r"[A-Z](?<!\w\w)[A-Z]\d\d(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?(?!\w)")
_IBAN_GROUPS = re.compile(r"[ ]?[A-Z0-9]{1,4}")
# IBAN length per country (ISO 13616 registry) for the countries respondents are most
# likely to name; a candidate from one of these must have exactly this length, so text
# that happens to follow the number cannot be taken for part of it.
_IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21,
    "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "MA": 28, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26,
}  # fmt: skip

# One separator between two digits of a phone number.
_SEP = r"(?:[ ]?[-./][ ]?|[ ]{1,2})?"


def _digits(n: int) -> str:
    return "".join([r"\d"] + [_SEP + r"\d"] * (n - 1))


_ANY_DIGIT = re.compile(r"\d")
_PHONE_FORMS = [
    # +31 6 12345678, 0031-20-1234567, +31 (0)6 1234 5678, (+31) 20 123 45 67
    *(
        rf"{intl}{_SEP}(?:\(0\){_SEP})?[1-9]{_SEP}{_digits(8)}"
        for intl in (r"\+[ ]?31", "0031", r"\(\+31\)", r"\(0031\)")
    ),
    # 06-12345678, 020 123 45 67, 06.12.34.56.78
    rf"0[1-9]{_SEP}{_digits(8)}",
    # (06) 12345678, (020) 1234567, (0229) 123456
    *(rf"\(0[1-9]\d{{{k}}}\){_SEP}{_digits(8 - k)}" for k in range(3)),
]
# Every form starts with a literal ('+', '0' or '('): the engine then jumps between those
# characters. What may precede a number is checked in the callback (_phone_sub).
_PHONE = re.compile(rf"(?:{'|'.join(_PHONE_FORMS)})(?!\d)")
_PHONE_BAD_BEFORE = re.compile(r"[\w+]$|\d[-./,]$")
# A phone candidate that starts like a date (dd-mm-yyyy, optionally followed by a time).
_DATE_START = re.compile(r"\d{1,2}([-./])\d{1,2}\1(?:19|20)\d\d(?!\d)")

# BSN: nine digits solid or 3-3-3 / 4-2-3 with one separator kind, or eight solid digits;
# not inside a longer number and not the integer part of an amount.
_BSN_CANDIDATE = re.compile(
    r"\d(?<!\d\d)(?<!\d[.,-]\d)"
    r"(?:\d{8}|\d{7}|\d\d([. -])\d{3}\1\d{3}|\d{3}([. -])\d\d\2\d{3})"
    r"(?!\d|[.,]\d)"
)
# Dutch postcode (four digits, no leading zero, two capitals) with optional house number
# and addition (1234 AB 12, 1234AB, 12-a, 1234 AB 12 bis is not an addition).
_POSTCODE = re.compile(
    r"[1-9](?<!\w\w)\d{3}[ ]?[A-Z]{2}(?![^\W\d])"
    r"(?:[ ]?,?[ ]?\d{1,5}(?:[ ]?-?[ ]?[a-zA-Z](?!\w)|-\d{1,4})?(?!\d))?"
)


def is_valid_bsn(digits: str) -> bool:
    """The Dutch 11-test: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is divisible by 11.

    Eight-digit numbers are BSNs with a leading zero dropped.

    >>> is_valid_bsn("111222333")
    True
    >>> is_valid_bsn("123456789")
    False
    """
    d = "".join(filter(str.isdigit, digits))
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9 or d == "000000000" or not d.isascii():
        return False
    return sum(map(operator.mul, _BSN_WEIGHTS, map(int, d))) % 11 == 0


_BSN_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def is_valid_iban(text: str) -> bool:
    """ISO 13616 mod-97 check (spaces, hyphens and dots between groups are ignored)."""
    s = re.sub(r"[\s.-]", "", text).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    rearranged = s[4:] + s[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _iban_sub(match: re.Match[str]) -> str:
    # Longest prefix (in whole groups) with a valid checksum; the rest is ordinary text.
    text = match.group(0)
    length = _IBAN_LENGTHS.get(text[:2])
    ends = [m.end() for m in _IBAN_GROUPS.finditer(text, 4)]
    for end in reversed(ends):
        compact = text[:end].replace(" ", "")
        if (length is None or len(compact) == length) and is_valid_iban(compact):
            return MARKERS["iban"] + text[end:]
    return text


def _phone_sub(match: re.Match[str]) -> str:
    text, start = match.group(0), match.start()
    if start and _PHONE_BAD_BEFORE.search(match.string, max(0, start - 2), start):
        return text  # part of a word or of a longer number
    return text if _DATE_START.match(text.lstrip("(")) else MARKERS["phone"]


def _bsn_sub(match: re.Match[str]) -> str:
    return MARKERS["bsn"] if is_valid_bsn(match.group(0)) else match.group(0)


def _redact_emails(text: str) -> str:
    """Replace every ``local@domain.tld`` by the e-mail marker (linear time, see above)."""
    parts: list[str] = []
    done = 0  # text[:done] has been copied to parts
    reverse = text[::-1]
    for domain in _EMAIL_DOMAIN.finditer(text):
        at = domain.start()
        local = _LOCAL_RUN.match(reverse, len(text) - at)
        begin = max(at - (local.end() - local.start() if local else 0), done)
        if begin < at:  # a non-empty local part
            parts += [text[done:begin], MARKERS["email"]]
            done = domain.end()
    parts.append(text[done:])
    return "".join(parts)


def redact_text(text: str) -> str:
    """Replace personal data in free text by markers such as ``[BSN]`` and ``[E-MAIL]``.

    Parameters
    ----------
    text : str
        Any text, of any length (linear time).

    Returns
    -------
    str
        The text with every recognised item replaced by its marker (:data:`MARKERS`);
        everything else is kept character for character.

    Notes
    -----
    Order matters: e-mail and IBAN first (they contain digit runs), then phone numbers,
    then BSNs (checked with the 11-test), then postcodes with house numbers. The formats
    are listed in the module docstring. Text without ``@`` skips the e-mail pattern and
    text without digits skips all others.
    """
    if not text:
        return text
    out = text
    if "@" in out:
        out = _redact_emails(out)
    if not _ANY_DIGIT.search(out):
        return out
    out = _IBAN_NL.sub(MARKERS["iban"], out)
    out = _IBAN.sub(_iban_sub, out)
    out = _PHONE.sub(_phone_sub, out)
    out = _BSN_CANDIDATE.sub(_bsn_sub, out)
    out = _POSTCODE.sub(MARKERS["postcode"], out)
    return out


def redact_label(label: object) -> str:
    """Redact a header, sheet name or SPSS variable/value label with the free-text rules.

    Parameters
    ----------
    label : object
        The label; ``None`` becomes ``""`` and other non-strings are converted with ``str``.

    Returns
    -------
    str
        The label with personal data replaced by markers. Labels are never shortened or
        otherwise normalised, so a label without personal data comes back unchanged.

    Notes
    -----
    The ingest stage calls this for every column header, the sheet name and every SPSS
    variable and value label it writes to its metadata, so personal data typed into a
    header (``"Bel 06-12345678"``) cannot reach an output either. Two headers that redact
    to the same text are then reported as duplicate columns.
    """
    if label is None:
        return ""
    return redact_text(label if isinstance(label, str) else str(label))


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


_WHITESPACE = re.compile(r"\s+")


def pseudonymise_many(raw_ids: Iterable[str], *, instrument: str, key: bytes) -> list[str]:
    """:func:`pseudonymise` of many ids: the keyed hash is set up once.

    Parameters
    ----------
    raw_ids : iterable of str
        Respondent ids; callers pass each distinct id once and take the result back to
        the rows (``pandas.factorize``).
    instrument, key
        As for :func:`pseudonymise`.

    Returns
    -------
    list of str
        ``[pseudonymise(i, instrument=instrument, key=key) for i in raw_ids]``.

    Notes
    -----
    HMAC-SHA256 with the key absorbed once (``hmac.HMAC.copy``); the digest of every id
    is the same as :func:`pseudonymise` computes.
    """
    base = hmac.new(key, f"{instrument}:".encode(), hashlib.sha256)
    prefix = {"employers": "emp", "candidates": "cand", "control": "ctrl"}.get(
        instrument, instrument[:4]
    )
    out = []
    for raw_id in raw_ids:
        h = base.copy()
        h.update(_WHITESPACE.sub("", str(raw_id)).casefold().encode())
        out.append(f"{prefix}-{h.hexdigest()[:16]}")
    return out
