"""All-or-nothing runs: a failed run leaves the previous outputs exactly as they were.

Every file a stage writes goes through ``pipeline.io.atomic_write``, and every file it
removes through ``remove``. Inside ``transaction(root)`` each of those first moves the file
it replaces (or removes) into a journal folder under ``root``; if anything fails, the
journal is played back in reverse: new files are deleted and the old ones moved back. On
success the journal folder is deleted. Moves within one file system are renames, so the
cost is independent of file size.

The CLI runs a whole ``pipeline run`` in one transaction, and a single stage in one, so a
hard error in validate never leaves a new ingest beside an old analysis. (Within a single
``make`` invocation each stage is its own transaction; make's file dependencies then rerun
what a failed stage left out of date.) A bug (any exception), Ctrl-C and, through
:func:`termination_raises`, SIGTERM and SIGHUP all roll back; only a process killed outright
(SIGKILL, power loss) cannot, and then leaves its journal folder behind.

A stage also removes the files of its own kinds in its own folders that it did not write
(:func:`remove_stale`), through the journal as well.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

JOURNAL_PREFIX = ".werktop-rollback-"


class _Journal:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder: Path | None = None
        self.entries: list[tuple[Path, Path | None]] = []  # (path, backup or None if new)

    def _backup_path(self) -> Path:
        if self.folder is None:
            self.root.mkdir(parents=True, exist_ok=True)
            self.folder = self.root / f"{JOURNAL_PREFIX}{os.getpid()}"
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir()
        return self.folder / str(len(self.entries))

    def before_replace(self, path: Path) -> None:
        """Called just before ``path`` is replaced or created."""
        if path.exists():
            backup = self._backup_path()
            os.replace(path, backup)
            self.entries.append((path, backup))
        else:
            self.entries.append((path, None))

    def rollback(self) -> None:
        for path, backup in reversed(self.entries):
            if backup is None:
                path.unlink(missing_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                os.replace(backup, path)
        self._close()

    def _close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.entries.clear()


_ACTIVE: ContextVar[_Journal | None] = ContextVar("werktop_transaction", default=None)


def before_replace(path: Path) -> None:
    """Hook for writers: journal ``path`` if a transaction is active."""
    journal = _ACTIVE.get()
    if journal is not None:
        journal.before_replace(Path(path))


def remove(path: Path) -> None:
    """Delete a generated file; inside a transaction it comes back if the run fails."""
    path = Path(path)
    if not path.exists():
        return
    journal = _ACTIVE.get()
    if journal is None:
        path.unlink()
    else:
        journal.before_replace(path)  # moves it into the journal


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and the termination signals back until the body is done."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, *TERMINATION_SIGNALS}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def transaction(root: Path) -> Iterator[None]:
    """Run the body all-or-nothing with respect to files written under ``root``."""
    if _ACTIVE.get() is not None:  # nested: the outer transaction decides
        yield
        return
    journal = _Journal(Path(root))
    token = _ACTIVE.set(journal)
    try:
        yield
    except BaseException:
        with _signals_deferred():  # a second Ctrl-C must not stop the rollback halfway
            journal.rollback()
        raise
    else:
        journal._close()
    finally:
        _ACTIVE.reset(token)


def remove_stale(folder: Path, patterns: Iterable[str], written: Iterable[Path]) -> list[Path]:
    """Remove the files directly in ``folder`` that match one of ``patterns`` but are not
    among ``written``: what an earlier run of the study wrote and this one no longer does
    (an instrument dropped from the config, a chapter removed, a figure renamed).

    Only a stage's own folder and the patterns of the files it writes there are given, so a
    file of any other kind (a note someone put there) stays. Inside a transaction the
    removed files come back if the run fails.

    Returns
    -------
    list of Path
        The files removed, sorted.
    """
    folder = Path(folder)
    keep = {Path(p) for p in written}
    stale = sorted({p for pattern in patterns for p in folder.glob(pattern)
                    if p.is_file() and p not in keep})
    for path in stale:
        remove(path)
    if stale:
        names = ", ".join(p.name for p in stale)
        from pipeline import console

        console.info(f"removed from {folder} (no longer produced by this study): {names}")
    return stale


# ---------------------------------------------------------------- termination signals

#: Signals that stop a run the way Ctrl-C does: a killed make or CI job (SIGTERM), a closed
#: terminal (SIGHUP). Their default action ends the process at once, without a rollback.
TERMINATION_SIGNALS = tuple(
    s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s
)


class Terminated(BaseException):
    """A termination signal, raised in the main thread so open transactions roll back.

    A ``BaseException`` like ``KeyboardInterrupt``: ``except Exception`` does not catch it.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(self.name)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


def _default_in_child() -> None:
    """A forked worker (``pipeline/parallel.py``) ends on SIGTERM at once, as by default:
    its pool terminates it that way, and it has no transaction of its own."""
    for signum in TERMINATION_SIGNALS:
        if signal.getsignal(signum) is _raise_terminated:
            signal.signal(signum, signal.SIG_DFL)


_AT_FORK: list[bool] = []


@contextmanager
def termination_raises() -> Iterator[None]:
    """Within the body, SIGTERM and SIGHUP raise :class:`Terminated` (main thread only);
    the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if not _AT_FORK and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_default_in_child)
        _AT_FORK.append(True)
    previous = {s: signal.signal(s, _raise_terminated) for s in TERMINATION_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
