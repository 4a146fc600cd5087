"""The one domain exception for problems the user can fix (bad input, bad config).

The CLI prints these without a traceback and exits with code 2. Anything else is a bug
and keeps its traceback. :func:`os_error` turns an operating system's refusal (permission
denied, a read-only or full disk, a file where a folder should be) into such an error; the
writers, the input readers and the CLI's last line of defence use it.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipeline.study.privacy import redact_text

#: How many row numbers a message about many rows lists before "…".
ROWS_LISTED = 10


class UserError(Exception):
    """An error in the user's input or configuration, with one or more readable messages.

    Messages quote what the user typed (file, sheet and column names, values, settings),
    and they reach the terminal and ``logs/run_summary.json``: personal data in them is
    redacted here (:func:`pipeline.study.privacy.redact_text`), whatever the message.
    """

    def __init__(self, messages: str | Iterable[str], *, hint: str | None = None) -> None:
        raw = [messages] if isinstance(messages, str) else list(messages)
        self.messages = [redact_message(str(m)) for m in raw]
        self.hint = redact_message(hint) if hint else hint
        super().__init__("\n".join(self.messages))

    def __reduce__(self) -> tuple:
        # Keep messages and hint when the error crosses a process boundary (a worker of
        # pipeline.runner.parallel.ordered_map raises it in the caller).
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
    """A message with personal data redacted (:func:`pipeline.study.privacy.redact_text`), also
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


# ------------------------------------------------------------ the operating system says no

#: What the operating system reports when the environment, not the code, is at fault:
#: errno -> what it means for the user.
_OS_PROBLEMS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full (no space left on device)",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file is too large for the file system",
    errno.ENOTDIR: "a folder on the way is a file",
    errno.EISDIR: "it is a folder, not a file",
    errno.EEXIST: "a file is in the way of a folder",
}

#: What to do about it, per errno and per what was being done (``read`` or ``write``).
_WRITE_HINTS = {
    errno.EACCES: "make {folder} writable for you (ls -ld {folder}), or write the outputs "
                  "elsewhere with --out",
    errno.EROFS: "write the outputs to a writable disk with --out",
    errno.ENOSPC: "free space on that disk, or write the outputs to another disk with --out",
    errno.EDQUOT: "free space in your quota, or write the outputs elsewhere with --out",
    errno.EFBIG: "write the outputs to another file system with --out",
    errno.ENOTDIR: "move or remove that file, or write the outputs elsewhere with --out",
    errno.EISDIR: "move or remove that folder, or write the outputs elsewhere with --out",
}
_WRITE_HINTS[errno.EPERM] = _WRITE_HINTS[errno.EACCES]
_WRITE_HINTS[errno.EEXIST] = _WRITE_HINTS[errno.ENOTDIR]
_READ_HINTS = {
    errno.EACCES: "make the file readable for you (ls -l {path})",
    errno.ENOTDIR: "check the path: one of its folders is a file",
    errno.EISDIR: "point the setting at the file, not at the folder",
}
_READ_HINTS[errno.EPERM] = _READ_HINTS[errno.EACCES]
_ANY_HINTS = {
    errno.EACCES: "check the permissions of {path} and of its folders (ls -ld {path})",
    errno.EISDIR: "give the path of a file, not of a folder",
    errno.ENOSPC: "free space on that disk",
}
_ANY_HINTS[errno.EPERM] = _ANY_HINTS[errno.EACCES]


def _file_in_the_way(path: Path) -> Path | None:
    """The first existing part of ``path`` (itself or a parent) that is not a folder."""
    for part in (path, *path.parents):
        if part.exists() or part.is_symlink():
            return None if part.is_dir() else part
    return None


def os_error(exc: BaseException, path: Path | str | None = None,
             action: str | None = None) -> UserError | None:
    """A readable :class:`UserError` for an operating-system refusal, else ``None``.

    ``exc`` is a user error when the environment is at fault: permission denied, a
    read-only file system, a full disk or quota, a file where a folder is expected or the
    reverse. Any other exception (``FileNotFoundError`` of a file the code should have
    written, ``ValueError``, …) is a bug and gives ``None``: the caller re-raises it and the
    traceback stays. ``path`` is the file the pipeline meant (the operating system may name
    a temporary file instead); ``action`` is ``"read"`` or ``"write"`` when the caller knows
    which (it picks the hint).
    """
    if not isinstance(exc, OSError) or exc.errno not in _OS_PROBLEMS:
        return None
    target = Path(path if path is not None else exc.filename or "?")
    problem = _OS_PROBLEMS[exc.errno]
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        in_the_way = _file_in_the_way(Path(exc.filename)) if exc.filename else None
        if in_the_way is None:
            in_the_way = _file_in_the_way(target)
        if in_the_way is None:
            if exc.errno == errno.EEXIST:
                return None  # nothing is in the way: not the environment's doing
        else:
            problem = f"{in_the_way} is a file, not a folder"
    verb = {"read": "cannot read", "write": "cannot write"}.get(action or "", "cannot use")
    hints = {"read": _READ_HINTS, "write": _WRITE_HINTS}.get(action or "", _ANY_HINTS)
    folder = target.parent if action == "write" else target
    hint = hints.get(exc.errno, "check the path and its permissions")
    return UserError(f"{verb} {target}: {problem}",
                     hint=hint.format(path=target, folder=folder))
