"""Number formatting for the report, in Dutch or English conventions.

Pure functions, no I/O; the render stage registers them as Jinja filters with the report
language bound, so templates only ever *format* numbers that come from the results.

Conventions:

- Dutch (``"nl"``): decimal comma, thousands dot (``1.234,5``; ``12,3%``; ``[1,2; 3,4]``).
- English (``"en"``): decimal point, thousands comma (``1,234.5``; ``12.3%``; ``[1.2, 3.4]``).
- Rounding is *half away from zero on the shortest decimal representation* of the value, i.e.
  what a reader expects from the printed number: 0.125 -> 0.13, 2.675 -> 2.68, -0.125 -> -0.13
  (Python's ``round``/``format`` work on the binary value and would give 0.12 and 2.67).
- A value that rounds to zero is printed without a sign (never ``-0,0``).
- Missing values (None, NaN, pandas NA) become an en dash ``"–"``; infinities ``"∞"``/``"−∞"``.
- A negative number has a true minus sign, U+2212 (``"−5,2"``), not a hyphen: the report is
  typeset text (issue 17). Data files (CSV, workbook) never pass through these functions
  and keep ASCII ``-``; :func:`ascii_minus` turns report text back for a spreadsheet.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from numbers import Real

from analysis.estimability import REASONS, note_reason

MISSING = "–"  # en dash
MINUS = "\u2212"  # the true minus sign of every negative number in the report
LANGUAGES = ("nl", "en")
P_FLOOR = Decimal("0.001")


#: Cells suppressed by disclosure control ("<5", "x") are shown as they are.
_SUPPRESSED = re.compile(r"<\d+|x")


def is_suppressed(x: object) -> bool:
    """True for a disclosure-control marker: "<5" (small count) or "x" (complement)."""
    return isinstance(x, str) and _SUPPRESSED.fullmatch(x.strip()) is not None


def is_missing(x: object) -> bool:
    """True for None, NaN (float or numpy), pandas NA/NaT and empty strings."""
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    try:
        # pandas.NA raises TypeError on bool(); NaN is the only value not equal to itself
        return bool(x != x)
    except (TypeError, ValueError):
        return True


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} — expected one of {LANGUAGES}")
    return language


def _to_decimal(x: object) -> Decimal:
    """Exact decimal of what the value *prints as* (shortest repr for floats)."""
    if isinstance(x, bool):
        raise TypeError(f"expected a number, got a boolean {x!r}")
    if isinstance(x, Decimal):
        return x
    if isinstance(x, int):
        return Decimal(x)
    if hasattr(x, "item") and not isinstance(x, str):  # numpy scalar
        return _to_decimal(x.item())
    if isinstance(x, Real):
        return Decimal(repr(float(x)))
    if isinstance(x, str):
        try:
            return Decimal(x.strip())
        except InvalidOperation as exc:
            raise TypeError(f"expected a number, got {x!r}") from exc
    raise TypeError(f"expected a number, got {type(x).__name__} {x!r}")


def _localise(text: str, language: str) -> str:
    """Swap separators of an English-formatted number for Dutch ones."""
    if language == "nl":
        return text.translate(str.maketrans({",": ".", ".": ","}))
    return text


def _format_decimal(d: Decimal, decimals: int, language: str) -> str:
    if d.is_nan():
        return MISSING
    if d.is_infinite():
        return f"{MINUS}∞" if d < 0 else "∞"
    if decimals < 0:
        raise ValueError(f"decimals must be >= 0, got {decimals}")
    q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)  # no negative zero
    return _localise(f"{q:,.{decimals}f}", language).replace("-", MINUS)


def ascii_minus(text: str) -> str:
    """Report text with the true minus sign replaced by ASCII ``-`` (for parsing)."""
    return text.replace(MINUS, "-")


def fmt_number(x: object, decimals: int = 1, language: str = "nl") -> str:
    """A number with ``decimals`` decimals and thousands grouping: 1234.56 -> '1.234,6'."""
    if is_suppressed(x):
        return x.strip()  # type: ignore[union-attr]
    _check_language(language)
    if is_missing(x):
        return MISSING
    return _format_decimal(_to_decimal(x), decimals, language)


def fmt_int(x: object, language: str = "nl") -> str:
    """A count with thousands grouping: 1234567 -> '1.234.567' (nl) / '1,234,567' (en)."""
    return fmt_number(x, 0, language)


def fmt_pct(p: object, decimals: int = 1, language: str = "nl") -> str:
    """A proportion (0..1) as a percentage: 0.1234 -> '12,3%' (nl) / '12.3%' (en)."""
    if is_suppressed(p):
        return p.strip()  # type: ignore[union-attr]
    _check_language(language)
    if is_missing(p):
        return MISSING
    text = _format_decimal(_to_decimal(p) * 100, decimals, language)
    return text if "∞" in text else f"{text}%"


#: One precision per kind of percentage, report-wide (issue 17): a share of respondents or
#: records (an estimate from a sample) has one decimal, everywhere; attainment of a target
#: (achieved / target, a count ratio of whole placements) and a rule's threshold (50%) are
#: whole percentages. Templates ask for a kind, never for a number of decimals:
#: ``{{ x | fmt_pct_kind("share") }}``.
PERCENT_DECIMALS = {"share": 1, "attainment": 0, "threshold": 0}


def fmt_pct_kind(p: object, kind: str, language: str = "nl") -> str:
    """A proportion as a percentage with the precision of its kind (``PERCENT_DECIMALS``)."""
    if kind not in PERCENT_DECIMALS:
        raise ValueError(f"percentage kind {kind!r} — expected one of {tuple(PERCENT_DECIMALS)}")
    return fmt_pct(p, PERCENT_DECIMALS[kind], language)


def fmt_pp(x: object, decimals: int = 1, language: str = "nl") -> str:
    """A difference of proportions in percentage points, without unit: -0.052 -> '-5,2'."""
    if is_suppressed(x):
        return x.strip()  # type: ignore[union-attr]
    _check_language(language)
    if is_missing(x):
        return MISSING
    return _format_decimal(_to_decimal(x) * 100, decimals, language)


def fmt_level(level: object, language: str = "nl") -> str:
    """A confidence level (0..1) as the shortest percentage: 0.95 -> '95%', 0.975 -> '97,5%'.

    Used for "95%-BI" and the like, so the text always states the level that ``alpha``
    implies (1 - alpha).
    """
    if is_suppressed(level):
        return level.strip()  # type: ignore[union-attr]
    _check_language(language)
    if is_missing(level):
        return MISSING
    d = (_to_decimal(level) * 100).normalize()
    decimals = max(0, -d.as_tuple().exponent)
    return f"{_format_decimal(d, decimals, language)}%"


def fmt_p(p: object, language: str = "nl", decimals: int = 3) -> str:
    """A p-value: three decimals, and '< 0,001' / '< 0.001' below 0.001."""
    if is_suppressed(p):
        return p.strip()  # type: ignore[union-attr]
    _check_language(language)
    if is_missing(p):
        return MISSING
    d = _to_decimal(p)
    if d.is_nan():
        return MISSING
    floor = Decimal(1).scaleb(-decimals)
    if d < floor:
        return f"< {_format_decimal(floor, decimals, language)}"
    return _format_decimal(d, decimals, language)


def fmt_p_rel(p: object, language: str = "nl", decimals: int = 3) -> str:
    """A p-value with its relation for running text: '= 0,003' or '< 0,001'."""
    text = fmt_p(p, language, decimals)
    if text == MISSING or text.startswith("<"):
        return text
    return f"= {text}"


def fmt_ci(
    low: object,
    high: object,
    decimals: int = 2,
    language: str = "nl",
    *,
    percent: bool = False,
) -> str:
    """A confidence interval: '[1,2; 3,4]' (nl) / '[1.2, 3.4]' (en).

    With ``percent=True`` both bounds are proportions shown as percentages (points) without
    the unit, e.g. a risk-difference interval (0.012, 0.034) -> '[1,2; 3,4]'.
    """
    if is_suppressed(low) or is_suppressed(high):
        return "x"
    _check_language(language)
    if is_missing(low) or is_missing(high):
        return MISSING
    scale = Decimal(100) if percent else Decimal(1)
    lo = _format_decimal(_to_decimal(low) * scale, decimals, language)
    hi = _format_decimal(_to_decimal(high) * scale, decimals, language)
    if MISSING in (lo, hi):
        return MISSING
    sep = "; " if language == "nl" else ", "
    return f"[{lo}{sep}{hi}]"


def fmt_check(value: object) -> str:
    """A yes/no value as a check mark or a cross; strings 'True'/'False' are understood."""
    if is_missing(value):
        return MISSING
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1", "yes", "ja"):
            return "✓"
        if text in ("false", "0", "no", "nee"):
            return "✗"
        raise ValueError(f"not a yes/no value: {value!r}")
    if isinstance(value, Real) and not isinstance(value, bool) and math.isnan(float(value)):
        return MISSING
    return "✓" if bool(value) else "✗"


_MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


def fmt_date(x: object, language: str = "nl") -> str:
    """A calendar date written out for a reader: ``1 november 2012`` / ``1 November 2012``.

    Accepts an ISO string (``2012-11-01``, a time part is ignored), a ``datetime.date``
    or ``datetime.datetime`` or a pandas Timestamp. Missing values give the en dash; a
    string that is not an ISO date raises ``ValueError`` rather than being shown as is.
    """
    _check_language(language)
    if is_missing(x):
        return MISSING
    if isinstance(x, _dt.datetime):
        day = x.date()
    elif isinstance(x, _dt.date):
        day = x
    elif isinstance(x, str):
        day = _dt.date.fromisoformat(x.strip()[:10])
    else:
        raise ValueError(f"not a date: {x!r}")
    return f"{day.day} {_MONTHS[language][day.month - 1]} {day.year}"


_WORDS = {
    "nl": ("nul", "één", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien",
           "elf", "twaalf", "dertien", "veertien", "vijftien", "zestien", "zeventien",
           "achttien", "negentien", "twintig"),
    "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
           "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
           "eighteen", "nineteen", "twenty"),
}


def fmt_count_word(x: object, language: str = "nl") -> str:
    """A count as a word for zero to twenty (``vijf``/``five``), as digits above that.

    Dutch and English house style write small counts in running text as words.
    """
    _check_language(language)
    if is_missing(x):
        return MISSING
    d = _to_decimal(x)
    if d != d.to_integral_value() or d < 0:
        raise ValueError(f"not a count: {x!r}")
    n = int(d)
    return _WORDS[language][n] if n <= 20 else fmt_int(n, language)


def fmt_share(n: object, total: object, language: str = "nl") -> str:
    """``n`` of ``total`` for running text: "alle vijf", "geen van de veertien",
    "drie van de vijf" (English: "all five", "none of the fourteen", "three of the five").

    Counts up to twenty are words (:func:`fmt_count_word`). Put the noun after it:
    "in {share} eenheden". "All" is used only for a total above one ("één van de één").
    """
    _check_language(language)
    if is_missing(n) or is_missing(total):
        return MISSING
    k, m = fmt_count_word(n, language), fmt_count_word(total, language)
    if int(_to_decimal(n)) == 0:
        return f"geen van de {m}" if language == "nl" else f"none of the {m}"
    if int(_to_decimal(n)) == int(_to_decimal(total)) and int(_to_decimal(total)) > 1:
        return f"alle {m}" if language == "nl" else f"all {m}"
    return f"{k} van de {m}" if language == "nl" else f"{k} of the {m}"

#: Why a number is not estimable (the reason codes of ``analysis/estimability.py``), in
#: words per language, and the phrase around them.
NOT_ESTIMABLE: dict[str, dict[str, str]] = {
    "nl": {
        "label": "niet schatbaar: {reason}",
        "too_few_respondents": "te weinig respondenten",
        "outcome_missing": "de uitkomst ontbreekt in een groep",
        "no_variation": "de uitkomst varieert niet",
        "constant_covariate": "een achtergrondkenmerk is constant",
        "collinear": "achtergrondkenmerken hangen volledig samen",
        "separation": "volledige scheiding",
    },
    "en": {
        "label": "not estimable: {reason}",
        "too_few_respondents": "too few respondents",
        "outcome_missing": "the outcome is missing in a group",
        "no_variation": "the outcome does not vary",
        "constant_covariate": "a background characteristic is constant",
        "collinear": "background characteristics are collinear",
        "separation": "complete separation",
    },
}


def fmt_reason(reason: object, language: str = "nl") -> str:
    """The words of a not-estimable reason code (``too_few_respondents`` -> ``te weinig
    respondenten``); an unknown or missing code gives the en dash."""
    words = NOT_ESTIMABLE[_check_language(language)]
    return words[reason] if isinstance(reason, str) and reason in REASONS else MISSING


def fmt_not_estimable(note: object, language: str = "nl") -> str:
    """``"niet schatbaar: te weinig respondenten"`` for a results row whose ``note`` says
    its number is not estimable (``analysis.estimability.note_reason``), else ``""``."""
    _check_language(language)
    reason = note_reason(note)
    if reason is None:
        return ""
    return NOT_ESTIMABLE[language]["label"].format(reason=fmt_reason(reason, language))


#: Formats a number given to ``fmt_value`` can ask for (``pipeline/report/claims.py`` records use
#: them for the placeholders of their rule and evidence strings); ``reason`` is a
#: not-estimable reason code, printed in words (``fmt_reason``).
VALUE_FORMATS = ("int", "pct", "number1", "number2", "number3", "p", "pp", "text", "reason")


def fmt_value(value: object, format: str, language: str = "nl") -> str:
    """One value formatted by the name of its format (``VALUE_FORMATS``).

    ``int`` -> ``fmt_int``; ``pct`` -> ``fmt_pct`` (one decimal); ``number1/2/3`` ->
    ``fmt_number`` with that many decimals; ``p`` -> ``fmt_p``; ``pp`` -> ``fmt_pp`` (one
    decimal, no unit); ``text`` -> the text itself, or, for a mapping of language to text
    (``{"nl": ..., "en": ...}``), the text in ``language``; ``reason`` -> ``fmt_reason``.
    """
    _check_language(language)
    if format == "text":
        if isinstance(value, dict):
            return str(value.get(language, MISSING))
        return MISSING if is_missing(value) else str(value)
    if format == "int":
        return fmt_int(value, language)
    if format == "pct":
        return fmt_pct(value, 1, language)
    if format in ("number1", "number2", "number3"):
        return fmt_number(value, int(format[-1]), language)
    if format == "p":
        return fmt_p(value, language)
    if format == "pp":
        return fmt_pp(value, 1, language)
    if format == "reason":
        return fmt_reason(value, language)
    raise ValueError(f"value format {format!r} — expected one of {VALUE_FORMATS}")


def fmt_values(values: object, language: str = "nl") -> dict[str, str]:
    """A mapping ``name -> {"value": v, "format": f}`` as ``name -> formatted text``, ready
    for the ``fill`` filter (``{{ text | fill(**(values | fmt_values)) }}``)."""
    if not isinstance(values, dict):
        return {}
    return {
        str(name): fmt_value(spec.get("value"), str(spec.get("format")), language)
        for name, spec in values.items()
    }


#: Filters registered in the Jinja environment (language is bound by the render stage).
LANGUAGE_FILTERS = {
    "fmt_number": fmt_number,
    "fmt_int": fmt_int,
    "fmt_pct": fmt_pct,
    "fmt_pct_kind": fmt_pct_kind,
    "fmt_level": fmt_level,
    "fmt_pp": fmt_pp,
    "fmt_p": fmt_p,
    "fmt_p_rel": fmt_p_rel,
    "fmt_ci": fmt_ci,
    "fmt_date": fmt_date,
    "fmt_count_word": fmt_count_word,
    "fmt_share": fmt_share,
    "fmt_value": fmt_value,
    "fmt_values": fmt_values,
    "fmt_not_estimable": fmt_not_estimable,
}
