"""What the pipeline tells its user on stderr, at one of three levels of detail.

Every stage writes its messages through this module instead of ``print``; the CLI sets
the level from ``-q``/``--quiet`` and ``-v``/``--verbose``:

==========  ===========================================================================
level       shown
==========  ===========================================================================
quiet       errors, warnings that matter and the final result (report paths)
normal      also a line per stage (duration and counts) and the first few cases of
            each kind of validation issue
verbose     also every case (grouped), per-instrument counts, the files written
==========  ===========================================================================

Progress of long steps (:func:`progress`) is drawn in place on a terminal only (stderr is a
TTY, and not in quiet mode); in a pipe or on CI it stays silent, except a final line in
verbose mode. Nothing here touches the outputs: progress never changes a result.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = [
    "QUIET", "NORMAL", "VERBOSE", "set_verbosity", "verbosity", "error", "warn", "result",
    "info", "detail", "progress", "Progress", "add_verbosity_options",
]

QUIET, NORMAL, VERBOSE = 0, 1, 2
_level = NORMAL
#: The progress line currently drawn on the terminal (cleared before any other message).
_active: Progress | None = None


def set_verbosity(level: int) -> None:
    """Set the level of detail: :data:`QUIET`, :data:`NORMAL` or :data:`VERBOSE`."""
    global _level
    if level not in (QUIET, NORMAL, VERBOSE):
        raise ValueError(f"verbosity {level!r}: expected 0 (quiet), 1 or 2 (verbose)")
    _level = level


def verbosity() -> int:
    """The current level of detail."""
    return _level


def _stream() -> TextIO:
    # Looked up at every call, so a redirected or captured stderr is honoured.
    return sys.stderr


def _emit(text: str) -> None:
    if _active is not None:
        _active.clear()
    print(text, file=_stream(), flush=True)
    if _active is not None:
        _active.redraw()


def error(message: str) -> None:
    """An error (shown at every level). ``message`` is printed as given."""
    _emit(message)


def warn(message: str) -> None:
    """A warning the user should act on (shown at every level, quiet included)."""
    _emit(message)


def result(message: str) -> None:
    """The final result of a command, e.g. where the report is (shown at every level)."""
    _emit(message)


def info(message: str) -> None:
    """Ordinary progress information (normal and verbose)."""
    if _level >= NORMAL:
        _emit(message)


def detail(message: str) -> None:
    """Detail for the curious (verbose only)."""
    if _level >= VERBOSE:
        _emit(message)


class Progress:
    """``label done/total`` for one long step; see :func:`progress`.

    On a terminal the line is redrawn in place (at most every ``interval`` seconds, and
    always for the last item) and erased when the step ends. Elsewhere nothing is drawn;
    in verbose mode one final line says how many items took how long.
    """

    def __init__(self, label: str, total: int, *, stream: TextIO | None = None,
                 interval: float = 0.1) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.note = ""
        self._stream = stream if stream is not None else _stream()
        self._interval = interval
        self._start = time.perf_counter()
        self._drawn_at = float("-inf")
        self._width = 0
        self.live = _level >= NORMAL and _isatty(self._stream)

    def text(self) -> str:
        """What the progress line says now, e.g. ``analyze: imputation 7/20``."""
        note = f" {self.note}" if self.note else ""
        return f"{self.label} {self.done}/{self.total}{note}"

    def update(self, done: int, note: str = "") -> None:
        """``done`` items of ``total`` are finished (``note``: what is being done now)."""
        self.done, self.note = done, note
        now = time.perf_counter()
        if self.live and (done >= self.total or now - self._drawn_at >= self._interval):
            self._drawn_at = now
            self.redraw()

    def advance(self, note: str = "") -> None:
        """One more item is finished."""
        self.update(self.done + 1, note)

    def redraw(self) -> None:
        if not self.live:
            return
        line = self.text()
        pad = max(0, self._width - len(line))
        self._stream.write("\r" + line + " " * pad)
        self._stream.flush()
        self._width = len(line)

    def clear(self) -> None:
        if self.live and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()

    def close(self) -> None:
        """Erase the line (terminal); in verbose mode elsewhere, print a final line."""
        if self.live:
            self.clear()
            self._width = 0
        elif _level >= VERBOSE:
            took = time.perf_counter() - self._start
            print(f"{self.label} {self.done}/{self.total} in {took:.1f} s",
                  file=self._stream, flush=True)


def add_verbosity_options(parser: argparse.ArgumentParser, *, default: object = None) -> None:
    """``-q``/``--quiet`` and ``-v``/``--verbose`` (``args.verbosity``: console level).

    Sub-commands get them with ``default=argparse.SUPPRESS``, so an option given before the
    command is not reset by the sub-command's default, and either position works.
    """
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", dest="verbosity", action="store_const",
                       const=QUIET, default=default,
                       help="print only errors, warnings that matter and the report's path")
    group.add_argument("-v", "--verbose", dest="verbosity", action="store_const",
                       const=VERBOSE, default=default,
                       help="print more: every validation issue, counts, files written")


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


@contextmanager
def progress(label: str, total: int, *, stream: TextIO | None = None) -> Iterator[Progress]:
    """Show the progress of a step of ``total`` items while the body runs.

    ``with progress("analyze: imputation", 20) as bar: ... bar.update(7)`` draws
    ``analyze: imputation 7/20`` on a terminal. Messages printed through this module in the
    meantime clear the line first and redraw it after.
    """
    global _active
    bar = Progress(label, total, stream=stream)
    outer, _active = _active, bar
    try:
        yield bar
    finally:
        _active = outer
        bar.close()
