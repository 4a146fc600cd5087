"""The one domain exception for problems the user can fix (bad input, bad config).

The CLI prints these without a traceback and exits with code 2. Anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pipeline.privacy import redact_text

#: How many row numbers a message about many rows lists before "…".
ROWS_LISTED = 10


class UserError(Exception):
    """An error in the user's input or configuration, with one or more readable messages.

    Messages quote what the user typed (file, sheet and column names, values, settings),
    and they reach the terminal and ``logs/run_summary.json``: personal data in them is
    redacted here (:func:`pipeline.privacy.redact_text`), whatever the message.
    """

    def __init__(self, messages: str | Iterable[str], *, hint: str | None = None) -> None:
        raw = [messages] if isinstance(messages, str) else list(messages)
        self.messages = [redact_message(str(m)) for m in raw]
        self.hint = redact_message(hint) if hint else hint
        super().__init__("\n".join(self.messages))

    def __reduce__(self) -> tuple:
        # Keep messages and hint when the error crosses a process boundary (a worker of
        # pipeline.parallel.ordered_map raises it in the caller).
        return (_rebuild, (self.messages, self.hint))

    @classmethod
    def combine(cls, errors: list[UserError]) -> UserError:
        """One error carrying the messages (and hints) of several, e.g. one per file."""
        messages: list[str] = []
        for err in errors:
            messages += err.messages[:-1]
            last = err.messages[-1] if err.messages else ""
            messages.append(f"{last}\n  hint: {err.hint}" if err.hint else last)
        return cls(messages)

    def render(self) -> str:
        lines = [f"error: {m}" for m in self.messages]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


# A character escaped by repr() in a quoted name or value: '\u200b', '\xa0'.
_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})")


def _unescape(match: re.Match[str]) -> str:
    code = int(match.group()[2:], 16)
    return match.group() if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else chr(code)


def redact_message(text: str) -> str:
    """A message with personal data redacted (:func:`pipeline.privacy.redact_text`), also
    where a quoted name shows its zero-width or no-break spaces as escapes (``repr``):
    the escapes are then read as the characters they stand for."""
    if "\\" in text:
        unescaped = _ESCAPE.sub(_unescape, text)
        if unescaped != text:
            redacted = redact_text(unescaped)
            if redacted != unescaped:
                return redacted
    return redact_text(text)


def _rebuild(messages: list[str], hint: str | None) -> UserError:
    return UserError(messages, hint=hint)


def cell_message(file: str, row: int | str, column: str, value: object, expected: str) -> str:
    """Format one problem with a cell the way every stage reports it."""
    return f"{file}, row {row}, column '{column}': value {value!r} — expected {expected}"


def row_list(rows: Sequence[int | str], label: str = "row", limit: int = ROWS_LISTED) -> str:
    """How many rows and the first ``limit`` of them: ``37 rows: 4, 9, 17, …``."""
    shown = ", ".join(str(r) for r in rows[:limit])
    more = ", …" if len(rows) > limit else ""
    noun = label if len(rows) == 1 else f"{label}s"
    return f"{len(rows)} {noun}: {shown}{more}"


def cells_message(
    file: str, rows: Sequence[int | str], column: str, value: object, expected: str,
    *, label: str = "row",
) -> str:
    """The same problem (same value, same column) in one or more rows, as one message.

    One row reads as :func:`cell_message`; several list how many and the first few:
    ``x.csv, column 'gemeente': value 'Hilversm' (37 rows: 4, 9, 17, …) — expected …``.
    ``label`` is what the file calls a row (``case`` in SPSS files).
    """
    if len(rows) == 1:
        return cell_message(file, rows[0], column, value, expected).replace(
            ", row ", f", {label} ", 1
        )
    return (f"{file}, column '{column}': value {value!r} ({row_list(rows, label)}) — "
            f"expected {expected}")
