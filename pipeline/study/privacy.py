"""Personal data: redaction of free text and pseudonymous respondent ids.

One module on purpose: every pattern that recognises personal data and every place it is
applied are reviewed together; a second copy of a pattern elsewhere would be a leak.

Respondents type personal data into free-text answers: citizen service numbers (BSN),
e-mail addresses, phone numbers, bank account numbers (IBAN) and addresses. Every free-text
value is redacted at ingest, before anything is written, so none of it can reach an
interim file, a results table or the report. File names, column headers, sheet names and
SPSS variable/value labels go through :func:`redact_label` (the same rules), and so does
every other text a person typed that reaches an output (the study title, messages). Raw
respondent ids never leave ingest either: they are replaced by a keyed hash
(HMAC-SHA256), stable for a given key, so duplicates can still be found and a data
manager holding the key can re-identify a row if needed.

Normalised first
----------------
Matching runs on a folded copy of the text: every character NFKC-normalised (full-width
digits and letters, ligatures), Unicode decimal digits made ASCII, format characters
(zero-width spaces and joiners U+200B-U+200D, U+2060, U+FEFF, the soft hyphen, bidi
marks) removed, every space separator (no-break U+00A0, figure U+2007, thin U+2009,
narrow no-break U+202F, ...) made a space and every dash a hyphen. What is found there is
mapped back to the original characters, so text without personal data comes back
unchanged, character for character, and only the items themselves become markers. A
format character may also separate two words, so text that holds one is matched a second
time with it read as a space. ASCII text (nearly every answer) is matched as it is.

Linear time
-----------
Every pattern is either bounded in length (phone, BSN, IBAN, postcode) or anchored so that
a failed attempt costs O(1) per position (the e-mail pattern only starts at the beginning
of a run of address characters, and its quantifiers are possessive). An obfuscated
address is matched from its ``(at)`` (or spaced ``@``, or bare ``at``) forwards; the
domains after two such tokens cannot overlap, and the local part is looked for in the 64
characters before the token. Folding is two ``str.translate`` passes (one table lookup
per character) and a step per character that folds to none or several. Redacting 10 MB
of survey answers or of text dense with personal data takes well under a second
(``benchmarks/bench_redaction.py``, which also times the folding path); the previous
e-mail pattern was quadratic in the length of a run of letters (100 kB took 32 s).

What is recognised
------------------
* **E-mail**: ``local@domain.tld`` in any case; the local part may hold every character
  RFC 5322 allows unquoted. Obfuscated: ``naam(at)domein.nl``, ``naam [at] domein [dot]
  nl``, ``naam {at} domein (punt) nl``, ``naam @ domein.nl`` and ``naam at domein.nl``,
  in any case. An obfuscated address needs a domain-like right side: labels joined by
  ``.`` or a bracketed ``dot``/``punt`` and ending in a top-level domain of letters; the
  bare word ``at`` (a Dutch word too: *ik at*) only with one of the common top-level
  domains (:data:`BARE_AT_TLDS`).
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
  optional house number and addition (``1234 AB 12``, ``1234AB, 12-a``); with lower-case
  letters (``2511 cv 4``) only when a house number follows and the letters are not a
  common short word or unit (``2014 en 2015``, ``1500 km 3``; :data:`NOT_POSTCODE_LETTERS`).

An underscore separates like a space (``tel_0612345678`` in an SPSS variable name).
Plain dates (``12-03-2014``), amounts (``1.234,56``) and short numbers are not touched.

Numbers stored as numbers
-------------------------
A whole cell that is one number (``612345678``, ``612345678.0``, ``6.12345678E8``) is
read by :func:`number_marker`: nine digits passing the 11-test (or eight, a leading zero
dropped) are a BSN; nine digits starting with 1 to 8 a Dutch phone number whose trunk
zero was dropped (``0612345678`` read as a number), ten digits ``0[1-9]...`` or eleven
``31[1-9]...`` a phone number too. :func:`redact_value` applies it before the free-text
rules, except where a declared valid range admits the number (a numeric measure).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import hmac
import math
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable

__all__ = [
    "MARKERS",
    "MAX_CELL_CHARS",
    "is_inert",
    "is_valid_bsn",
    "is_valid_iban",
    "number_marker",
    "pseudonymise",
    "pseudonymise_many",
    "redact_label",
    "redact_path",
    "redact_text",
    "redact_value",
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
# Boundaries: a letter or digit next to an item makes it part of a longer word; an
# underscore does not (``[^\W_]`` is a letter or digit).

# Characters RFC 5322 allows in an unquoted local part.
_LOCAL = r"\w.!#$%&'*+/=?^`{|}~-"
# E-mail is found from its '@' (a fast literal search): the domain is matched forwards,
# the local part is the run of local-part characters just before the '@' (found by a
# match on the reversed text). Runs between two '@' are disjoint, so this is linear.
_EMAIL_DOMAIN = re.compile(r"@[\w-]++(?:\.[\w-]++)+")
_LOCAL_RUN = re.compile(rf"[{_LOCAL}]++")
# Obfuscated addresses are found the same way from their '(at)', a spaced '@' or a bare
# 'at', each with a domain whose dots may be written '[dot]', '(punt)' or ' dot '; the
# local part is looked for in at most 64 characters before it (RFC 5321's limit).
_DOMAIN_OBFUSCATED = (
    r"([\w-]++(?:(?:\.|[ ]{0,2}[(\[{<][ ]?(?:dot|punt)[ ]?[)\]}>][ ]{0,2}|[ ]dot[ ])"
    r"[\w-]++)+)"
)
_EMAIL_OBFUSCATED = {  # how the '@' is written -> its pattern (a literal start: fast scan)
    "bracket": re.compile(
        rf"[(\[{{<][ ]?(?:at|apenstaartje)[ ]?[)\]}}>][ ]{{0,2}}{_DOMAIN_OBFUSCATED}",
        re.IGNORECASE,
    ),
    "spaced": re.compile(rf"@[ ]{{0,2}}{_DOMAIN_OBFUSCATED}", re.IGNORECASE),
    "bare": re.compile(rf" at {_DOMAIN_OBFUSCATED}", re.IGNORECASE),
}
_TLD = re.compile(r"(?<![\w-])[^\W\d_]{2,24}\Z")
_LOCAL_MAX = 64
#: Top-level domains with which the bare word ``at`` makes an e-mail address
#: (``naam at domein.nl``); bracketed forms accept any top-level domain of letters.
BARE_AT_TLDS = frozenset(
    "nl be de eu com net org info nu biz uk fr es it lu at ch dk se no fi pl pt ie cz "
    "tr ma sr cw aw io co me tv email online".split()
)

_IBAN_SEP = r"[ .-]?"
_IBAN_NL = re.compile(
    rf"[Nn](?<![^\W_]\w)[Ll]\d\d{_IBAN_SEP}[A-Za-z]{{4}}(?:{_IBAN_SEP}\d){{10}}(?![^\W_])"
)
# Foreign IBANs: country code in capitals, 15 to 34 characters, solid or in groups of
# four. The callback tries shorter prefixes when the longest candidate fails the checksum
# (ordinary text may follow the number).
_IBAN = re.compile(
    r"[A-Z](?<![^\W_]\w)[A-Z]\d\d(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?(?![^\W_])"
)
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
_PHONE_BAD_BEFORE = re.compile(r"[^\W_]$|\+$|\d[-./,]$")
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
    r"[1-9](?<![^\W_]\w)\d{3}[ ]?[A-Z]{2}(?![^\W\d_])"
    r"(?:[ ]?,?[ ]?\d{1,5}(?:[ ]?-?[ ]?[a-zA-Z](?![^\W_])|-\d{1,4})?(?!\d))?"
)
# The same with a lower-case letter (2511 cv 4): only with a house number of 1 to 4 digits
# that is not a year, and letters that are not a common word or unit (2014 en 2015,
# 1500 km 3; see NOT_POSTCODE_LETTERS). The house number is read in a lookahead, so a
# rejected candidate does not hide a postcode in the number after it (2014 en 2511 cv 4).
_POSTCODE_LOWER = re.compile(
    r"[1-9](?<![^\W_]\w)\d{3}[ ]?([a-z][A-Za-z]|[A-Z][a-z])(?![^\W\d_])"
    r"(?=([ ]?,?[ ]?(\d{1,4})(?:[ ]?-?[ ]?[a-zA-Z](?![^\W_])|-\d{1,4})?(?!\d)))"
)
_YEAR = re.compile(r"(?:19|20)\d\d")
#: Two letters after four digits that are a word, unit or abbreviation, not a postcode
#: (lower or mixed case; in capitals every pair is a postcode). SA, SD and SS are never
#: used in Dutch postcodes.
NOT_POSTCODE_LETTERS = frozenset(
    # Dutch words and abbreviations
    "al de en er ge he ik in is ja je me na nu of om op te uw we ze zo "
    "ca cq dd ex jr nr pp st tm vs bv nv ma di wo do vr za "
    # units
    "am pm uu km cm mm dm hm kg mg gr ml cl dl hl ha kb mb gb tb kw mw gw hz pk ct "
    # English
    "an as at be by if it no on or so to up us "
    # never a postcode
    "sa sd ss".split()
)

# Whole cells that are one number (a number cell of SPSS or Excel, as text).
_NUMBER_CELL = re.compile(r"[ ]*\+?(\d{8,13})(?:[.,]0+)?[ ]*")
_SCIENTIFIC_CELL = re.compile(r"[ ]*\+?(\d)(?:[.,](\d{1,12}))?[eE]\+?(\d{1,2})[ ]*")


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


def number_marker(text: str) -> str | None:
    """The marker kind (``"bsn"``, ``"phone"``) when the whole of ``text`` is one number
    shaped like a BSN or a Dutch phone number; ``None`` otherwise.

    Numbers stored as numbers lose what the free-text rules look for: the trunk zero of
    ``0612345678`` and every separator. So a cell that is only a number (leading ``+``,
    surrounding spaces, a zero decimal part or an exponent allowed: ``612345678.0``,
    ``6.12345678E8``) is judged on its digits: nine digits passing the 11-test, or eight
    with the leading zero dropped, are a BSN; nine digits starting with 1 to 8 are a
    Dutch number without its trunk zero; ten digits ``0[1-9]...`` and eleven digits
    ``31[1-9]...`` (the country code without ``+``) are phone numbers too.

    >>> number_marker("612345678.0"), number_marker("111222333"), number_marker("42")
    ('phone', 'bsn', None)
    """
    digits = _number_digits(_fold_cell(text))
    if digits is None:
        return None
    n = len(digits)
    if n in (8, 9) and is_valid_bsn(digits):
        return "bsn"
    if (n == 9 and digits[0] in "12345678") or (n == 10 and digits[0] == "0" != digits[1]) \
            or (n == 11 and digits.startswith("31") and digits[2] != "0"):
        return "phone"
    return None


def _number_digits(text: str) -> str | None:
    """The digits of a cell that is one whole number, else ``None``."""
    m = _NUMBER_CELL.fullmatch(text)
    if m:
        return m.group(1)
    m = _SCIENTIFIC_CELL.fullmatch(text)
    if m:  # 6.12345678E8: a whole number, written to (nearly) full precision
        whole, decimals, exponent = m.group(1), (m.group(2) or "").rstrip("0"), int(m.group(3))
        if len(decimals) <= exponent and 8 <= exponent + 1 <= 13 and len(decimals) >= 6:
            return whole + decimals + "0" * (exponent - len(decimals))
    return None


def _in_range(text: str, valid: tuple[float, float]) -> bool:
    """Whether ``text`` (a whole number) lies in ``valid`` (min, max)."""
    digits = _number_digits(_fold_cell(text))
    if digits is None:
        return False
    value = float(digits)
    return math.isfinite(value) and valid[0] <= value <= valid[1]


# ------------------------------------------------------------------ folding

# Private-use characters stand for a found item while the folded text is matched: one
# start character per kind, then a filler, so the text keeps its length and the spans can
# be read back. They are neither letters nor digits, like the markers' brackets.
_KINDS = tuple(MARKERS)
_START = {kind: chr(0xE000 + i) for i, kind in enumerate(_KINDS)}
_KIND_OF = {c: kind for kind, c in _START.items()}
_FILL = "\ue00f"
_PLACEHOLDERS = re.compile("[\ue000-\ue00f]")
_PLACEHOLDER_RUN = re.compile("[\ue000-\ue00e]\ue00f*")


@functools.cache
def _foldable() -> re.Pattern[str]:
    """Characters that may fold to something else although NFKC keeps them: format
    characters, space separators, dashes, the minus sign, non-ASCII decimal digits and
    private use in the Basic Multilingual Plane, and every character beyond it (emoji
    and the like are then looked at one by one). Built on first use (about 0.02 s); a
    class of BMP ranges is matched from a bitmap, so the search runs at C speed."""
    wanted = {"Cf", "Zs", "Pd", "Nd", "Co"}
    ranges: list[list[int]] = []
    for cp in range(0x80, 0x10000):
        if unicodedata.category(chr(cp)) in wanted or cp == 0x2212:
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    ranges.append([0x10000, 0x10FFFF])
    return re.compile("[" + "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges) + "]")


def _needs_folding(text: str) -> bool:
    """Whether some character of ``text`` folds to something else (C-speed checks)."""
    return not (text.isascii() or (unicodedata.is_normalized("NFKC", text)
                                   and not _foldable().search(text)))


def _fold_char(c: str, format_char: str) -> str:
    """What one character is matched as (see the module docstring)."""
    category = unicodedata.category(c)
    if category == "Cf":
        return format_char
    if category == "Zs":
        return " "
    if category == "Pd" or c == "\u2212":  # dashes and the minus sign
        return "-"
    if category == "Co":  # private use: cannot be mistaken for a placeholder
        return "\ufffd"
    out = []
    for ch in unicodedata.normalize("NFKC", c):
        digit = unicodedata.decimal(ch, None)
        out.append(str(digit) if digit is not None else ch)
    return "".join(out)


class _FoldTable(dict):
    """``str.translate`` table of :func:`_fold_char`, filled on first use of a character."""

    def __init__(self, format_char: str) -> None:
        super().__init__()
        self.format_char = format_char

    def __missing__(self, codepoint: int) -> str:
        self[codepoint] = folded = _fold_char(chr(codepoint), self.format_char)
        return folded


class _Shape(dict):
    """``str.translate`` table: ``"."`` for a character that folds to exactly one
    character, ``"x"`` for one that folds to none or several."""

    def __init__(self, fold: _FoldTable) -> None:
        super().__init__()
        self.fold = fold

    def __missing__(self, codepoint: int) -> str:
        self[codepoint] = out = "." if len(self.fold[codepoint]) == 1 else "x"
        return out


_FOLD_DROP = _FoldTable("")  # format characters removed (digits stay together)
_FOLD_SPACE = _FoldTable(" ")  # format characters read as a space (words stay apart)
_SHAPES = {id(t): _Shape(t) for t in (_FOLD_DROP, _FOLD_SPACE)}
_IRREGULAR = re.compile("x+")

# A piece of the folded text: (start in folded, start in original, length in folded,
# length in original); the lengths are equal (character for character) or the original
# length is 1 (one character folded to several).
_Piece = tuple[int, int, int, int]


def _fold(text: str, table: _FoldTable) -> tuple[str, list[_Piece] | None, bool]:
    """``(folded text, how it maps back, whether a character was removed)``; the mapping
    is ``None`` when nothing changes.

    Two ``str.translate`` passes (C speed, one table lookup per character): the folded
    text, and its shape (which characters fold to other than exactly one). Only those
    are looked at one by one; between them the two texts match character for character.
    """
    folded = text.translate(table)
    if folded == text:
        return text, None, False
    n = len(text)
    shape = text.translate(_SHAPES[id(table)])
    pieces: list[_Piece] = []
    done = length = 0  # text[:done] became folded[:length]
    removed = False
    for m in _IRREGULAR.finditer(shape):
        start = m.start()
        if start > done:
            pieces.append((length, done, start - done, start - done))
            length += start - done
        for i in range(start, m.end()):
            size = len(table[ord(text[i])])
            if size:
                pieces.append((length, i, size, 1))
                length += size
            else:
                removed = True
        done = m.end()
    if done < n:
        pieces.append((length, done, n - done, n - done))
    return folded, pieces, removed


def _fold_cell(text: str) -> str:
    return _fold(text, _FOLD_DROP)[0] if _needs_folding(text) else text


def _original_span(pieces: list[_Piece], starts: list[int], a: int, b: int) -> tuple[int, int]:
    """The span of the original text that the folded span ``[a, b)`` came from."""
    n0, t0, n_len, t_len = pieces[bisect.bisect_right(starts, a) - 1]
    begin = t0 + (a - n0) if n_len == t_len else t0
    n0, t0, n_len, t_len = pieces[bisect.bisect_right(starts, b - 1) - 1]
    end = t0 + (b - n0) if n_len == t_len else t0 + t_len
    return begin, end


def _marker(kind: str, matched: str) -> str:
    return MARKERS[kind]


def _placeholder(kind: str, matched: str) -> str:
    return _START[kind] + _FILL * (len(matched) - 1)


def _found_spans(folded: str, pieces: list[_Piece]) -> list[tuple[int, int, str]]:
    """(start, end, kind) in the original text of every item found in its folded form."""
    marked = _redact(_PLACEHOLDERS.sub("\ufffd", folded), _placeholder)
    starts = [p[0] for p in pieces]
    return [(*_original_span(pieces, starts, m.start(), m.end()), _KIND_OF[m.group()[0]])
            for m in _PLACEHOLDER_RUN.finditer(marked)]


# ------------------------------------------------------------------ matching

_Mark = Callable[[str, str], str]


def _iban_sub(match: re.Match[str], mark: _Mark = _marker) -> str:
    # Longest prefix (in whole groups) with a valid checksum; the rest is ordinary text.
    text = match.group(0)
    length = _IBAN_LENGTHS.get(text[:2])
    ends = [m.end() for m in _IBAN_GROUPS.finditer(text, 4)]
    for end in reversed(ends):
        compact = text[:end].replace(" ", "")
        if (length is None or len(compact) == length) and is_valid_iban(compact):
            return mark("iban", text[:end]) + text[end:]
    return text


def _phone_sub(match: re.Match[str], mark: _Mark = _marker) -> str:
    text, start = match.group(0), match.start()
    if start and _PHONE_BAD_BEFORE.search(match.string, max(0, start - 2), start):
        return text  # part of a word or of a longer number
    return text if _DATE_START.match(text.lstrip("(")) else mark("phone", text)


def _bsn_sub(match: re.Match[str], mark: _Mark = _marker) -> str:
    return mark("bsn", match.group(0)) if is_valid_bsn(match.group(0)) else match.group(0)


def _redact_lower_case_postcodes(text: str, mark: _Mark) -> str:
    """Postcodes with a lower-case letter and a house number (``2511 cv 4``)."""
    parts: list[str] = []
    done = 0
    for m in _POSTCODE_LOWER.finditer(text):
        if m.start() < done or m.group(1).lower() in NOT_POSTCODE_LETTERS \
                or _YEAR.fullmatch(m.group(3)):
            continue
        parts += [text[done:m.start()], mark("postcode", text[m.start():m.end(2)])]
        done = m.end(2)
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def _redact_emails(text: str, mark: _Mark) -> str:
    """Replace every ``local@domain.tld`` by the e-mail marker (linear time, see above)."""
    parts: list[str] = []
    done = 0  # text[:done] has been copied to parts
    reverse = text[::-1]
    for domain in _EMAIL_DOMAIN.finditer(text):
        at = domain.start()
        local = _LOCAL_RUN.match(reverse, len(text) - at)
        begin = max(at - (local.end() - local.start() if local else 0), done)
        if begin < at:  # a non-empty local part
            parts += [text[done:begin], mark("email", text[begin:domain.end()])]
            done = domain.end()
    parts.append(text[done:])
    return "".join(parts)


def _redact_obfuscated_emails(text: str, form: str, mark: _Mark) -> str:
    """Replace obfuscated addresses (``naam (at) domein [dot] nl``; ``form`` is a key of
    ``_EMAIL_OBFUSCATED``) by the e-mail marker."""
    parts: list[str] = []
    done = 0
    for m in _EMAIL_OBFUSCATED[form].finditer(text):
        tld = _TLD.search(m.group(1))
        if tld is None or (form == "bare" and tld.group().lower() not in BARE_AT_TLDS):
            continue
        end = m.start()  # the local part ends before the '(at)', up to two spaces before
        if form != "bare":
            while end > done and m.start() - end < 2 and text[end - 1] == " ":
                end -= 1
        if form == "spaced" and end == m.start() and _EMAIL_DOMAIN.match(text, m.start()):
            continue  # 'local@domain.tld': the plain pattern has judged it
        local = _LOCAL_RUN.match(text[max(done, end - _LOCAL_MAX):end][::-1])
        if local is None:
            continue
        begin = end - local.end()
        parts += [text[done:begin], mark("email", text[begin:m.end()])]
        done = m.end()
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def _redact(text: str, mark: _Mark) -> str:
    """Every rule in order, on text as it is matched (ASCII or folded)."""
    out = text
    if "@" in out:
        out = _redact_emails(out, mark)
        out = _redact_obfuscated_emails(out, "spaced", mark)
    out = _redact_obfuscated_emails(out, "bracket", mark)
    out = _redact_obfuscated_emails(out, "bare", mark)
    if not _ANY_DIGIT.search(out):
        return out
    if mark is _marker:  # the markers as they are: fewer Python calls per match
        out = _IBAN_NL.sub(MARKERS["iban"], out)
        out = _IBAN.sub(_iban_sub, out)
        out = _PHONE.sub(_phone_sub, out)
        out = _BSN_CANDIDATE.sub(_bsn_sub, out)
        out = _POSTCODE.sub(MARKERS["postcode"], out)
    else:
        out = _IBAN_NL.sub(lambda m: mark("iban", m.group()), out)
        out = _IBAN.sub(lambda m: _iban_sub(m, mark), out)
        out = _PHONE.sub(lambda m: _phone_sub(m, mark), out)
        out = _BSN_CANDIDATE.sub(lambda m: _bsn_sub(m, mark), out)
        out = _POSTCODE.sub(lambda m: mark("postcode", m.group()), out)
    return _redact_lower_case_postcodes(out, mark)


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
    are listed in the module docstring. ASCII text is matched as it is; other text is
    matched in its folded form (NFKC, zero-width characters removed, special spaces and
    dashes made plain) and the items found there are replaced in the original. Text
    without ``@`` skips the plain e-mail pattern and text without digits skips all but
    the e-mail patterns.
    """
    if not text:
        return text
    if not _needs_folding(text):  # ASCII or plain accented letters: nearly every answer
        return _redact(text, _marker)
    folded, pieces, removed = _fold(text, _FOLD_DROP)
    if pieces is None:  # nothing to fold (accented letters and the like)
        return _redact(text, _marker)
    spans = _found_spans(folded, pieces)
    if removed:
        # A removed format character may have separated two words: match again with
        # every format character read as a space, and keep what either reading found.
        spaced, pieces, _ = _fold(text, _FOLD_SPACE)
        spans += _found_spans(spaced, pieces or [(0, 0, len(text), len(text))])
    return _replace_spans(text, spans)


def _replace_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with every span replaced by its kind's marker (overlapping spans merged)."""
    parts: list[str] = []
    done = 0
    for begin, end, kind in sorted(spans):
        if begin < done:  # overlaps the span before: extend it
            if end > done:
                done = end
            continue
        parts += [text[done:begin], MARKERS[kind]]
        done = end
    parts.append(text[done:])
    return "".join(parts)


# Text no rule can match: ASCII, no '@', no bracketed or bare 'at', at most one digit
# (every other pattern needs two digits or more).
_FEW_DIGITS = re.compile(r"[^@\d]*(?:\d[^@\d]*)?")
_AT_FORMS = re.compile(r"[(\[{<][ ]?a| at ", re.IGNORECASE)


def is_inert(text: str) -> bool:
    """Whether no rule can match ``text``, by shape alone (a fast check for codes and
    labels): ASCII, no ``@``, no bracketed or bare ``at`` and at most one digit.

    >>> is_inert("Havo, vwo of mbo 2-4"), is_inert("bel 06-12345678")
    (False, False)
    >>> is_inert("Vrouw"), is_inert("gem. Zaanstad")
    (True, True)
    """
    return (text.isascii() and _FEW_DIGITS.fullmatch(text) is not None
            and _AT_FORMS.search(text) is None)


def redact_value(text: str, *, valid: tuple[float, float] | None = None) -> str:
    """Redact a cell of any column: a whole-cell number shaped like a BSN or a phone
    number (:func:`number_marker`), then the free-text rules (:func:`redact_text`).

    Parameters
    ----------
    text : str
        The cell as text.
    valid : (float, float), optional
        The declared valid range of a numeric measure: a number inside it is a measured
        value, not personal data, and only the free-text rules apply.

    Returns
    -------
    str
        The marker, or the cell with the free-text rules applied.
    """
    kind = number_marker(text)
    if kind is not None and not (valid is not None and _in_range(text, valid)):
        return MARKERS[kind]
    return redact_text(text)


def redact_label(label: object) -> str:
    """Redact a header, sheet name, file name or SPSS variable/value label (or code).

    Parameters
    ----------
    label : object
        The label; ``None`` becomes ``""`` and other non-strings are converted with ``str``.

    Returns
    -------
    str
        The label with personal data replaced by markers (:func:`redact_value`: a label
        that is one BSN- or phone-shaped number becomes a marker). Labels are never
        shortened or otherwise normalised, so a label without personal data comes back
        unchanged.

    Notes
    -----
    The ingest stage calls this for every column header, the sheet name, the export's file
    name and every SPSS variable and value label it writes to its metadata, so personal
    data typed into a header (``"Bel 06-12345678"``) cannot reach an output either. Two
    headers that redact to the same text are then reported as duplicate columns.
    """
    if label is None:
        return ""
    return redact_value(label if isinstance(label, str) else str(label))


def redact_path(path: object) -> str:
    """A file's name or relative path as it may be shown in an output: every part redacted
    (:func:`redact_label`), separators kept.

    >>> redact_path("exports/jan@example.nl.csv")
    'exports/[E-MAIL]'
    """
    return "/".join(redact_label(part) for part in str(path).replace("\\", "/").split("/"))


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
