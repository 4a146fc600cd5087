"""All-or-nothing runs: a failed or killed run leaves the previous outputs exactly as they were.

One module on purpose: the journal format, its playback after a crash and the signal
handling must change together, or a killed run could leave a mix of old and new outputs.

Every file a stage writes goes through ``pipeline.outputs.io.atomic_write`` and every file it
removes through ``remove``; inside ``transaction(root)`` each of them is recorded in a
journal first. If the body fails, the journal is played back (new files deleted, old ones
moved back); if the process dies (``kill -9``, power loss), the next ``transaction`` on the
same ``root`` (and every ``run`` or single stage of the command line, before it reads
anything) finds the journal and does the same, or finishes the commit when the run had
got that far. The CLI runs a whole ``pipeline run`` in one transaction, and a single stage
in one, so a hard error in validate never leaves a new ingest beside an old analysis.
(Within a single ``make`` invocation each stage is its own transaction; make's file
dependencies then rerun what a failed stage left out of date.) A bug (any exception), Ctrl-C
and, through :func:`termination_raises`, SIGTERM and SIGHUP roll back at once; a process
killed outright (SIGKILL, power loss) is recovered by the next run, as described below.

A stage also removes the files of its own kinds in its own folders that it did not write
(:func:`remove_stale`), through the journal as well.

The journal protocol
--------------------
A transaction that writes anything creates a journal folder ``root/.werktop-rollback-*``
holding a log, ``journal.jsonl`` (one JSON record per line, appended), the backups of the
files it replaced or removed, and the temporary files of the writes under way. Every record
is fsynced before the change it announces, so the log always describes at least what
happened on disk:

1. ``begin`` (pid, start time), then the folder and the output root are fsynced. The log is
   locked (``fcntl.lockf``) for as long as the run lives: a lock that cannot be taken
   means the run is alive, and its journal is left alone (with a warning: two runs that
   write to one folder at the same time may mix their outputs).
2. ``mkdir <dir>`` before each output folder the run creates.
3. ``file <path> <backup>`` the first time the run touches ``path``, before touching it:
   ``backup`` is the name the old file gets inside the journal folder, or ``null`` when
   there was no old file. The old file is then *renamed* into the journal folder (a
   rename: nothing is copied, whatever the size) and the folder is fsynced, so the backup
   is on disk before anything replaces ``path``. The new content is written to a
   temporary file in the journal folder, fsynced, and renamed onto ``path``. Later writes
   or removals of the same path in the same run need no record: the backup already holds
   the original.
4. ``commit`` after the last change, once the changed folders are fsynced. From then on
   the new outputs are the valid ones.
5. The journal is removed: everything in the folder except the log, then the log, then
   the folder.

Recovery reads the log up to its last complete record (a torn last line announced a
change that never started). With a ``commit`` record it finishes step 5. Without one it
rolls back: for every recorded path, in reverse order, the backup is moved back if it is
still in the journal folder (if it is not, either the old file was never moved or it is
already back), a path recorded as new is deleted if it exists, and recorded folders are
removed when empty; then step 5. Each of these steps is idempotent, so a recovery that is
itself killed is simply done again by the next run. A journal folder without a log is
empty (the log is the first thing created and the last removed) and is removed; one
without a log but with files in it was left by a version of werktop-eval before this
protocol and cannot be replayed: recovery leaves it alone and says so.

Outputs must be on the file system of ``root`` (backups and new files are renamed between
the journal folder and their place).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from pipeline.outputs import console
from pipeline.study.errors import UserError, os_error

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no locking
    fcntl = None  # type: ignore[assignment]

JOURNAL_PREFIX = ".werktop-rollback-"
LOG_NAME = "journal.jsonl"
#: Version of the journal's records; a log of another version is left alone.
JOURNAL_FORMAT = 1


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _lock(fd: int) -> bool:
    """Lock the log (a POSIX record lock: released when the process dies, and not
    inherited by forked workers). ``False`` when another process holds it."""
    if fcntl is None:  # pragma: no cover
        return True
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _relative(root: Path, path: Path) -> str:
    """How the log names ``path``: relative to the output root when it is inside it (the
    folder may be moved before it is recovered), else absolute."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _remove_journal(folder: Path) -> None:
    """Step 5: everything but the log, then the log, then the folder (so a journal folder
    without a log is always empty, whenever this is interrupted)."""
    log = folder / LOG_NAME
    for child in folder.iterdir():
        if child != log:
            child.unlink(missing_ok=True)
    log.unlink(missing_ok=True)
    folder.rmdir()


def _undo(root: Path, folder: Path, records: list[dict]) -> tuple[int, int]:
    """Roll back what ``records`` announce (idempotent); (files restored, files deleted)."""
    restored = deleted = 0
    for record in reversed(records):
        if record.get("op") != "file":
            continue
        path = root / record["path"]
        if record["backup"] is None:
            if path.is_file() or path.is_symlink():
                path.unlink()
                deleted += 1
        else:
            backup = folder / record["backup"]
            if backup.exists() or backup.is_symlink():
                os.replace(backup, path)
                restored += 1
    for record in reversed(records):
        if record.get("op") == "mkdir":
            try:
                (root / record["path"]).rmdir()
            except OSError:  # gone already, or holds files that are not the run's
                pass
    return restored, deleted


class _Journal:
    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.abspath(root))
        self.folder: Path | None = None
        self.fd: int | None = None
        self.records: list[dict] = []
        self.touched: set[Path] = set()
        self.changed_dirs: set[Path] = set()
        self.committed = False

    # ------------------------------------------------------------------ writing
    def _open(self) -> Path:
        if self.folder is not None:
            return self.folder
        import tempfile

        if self.root.exists() and not self.root.is_dir():
            raise UserError(f"the output folder {self.root} is a file",
                            hint="write the outputs elsewhere with --out, or move the file")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix=JOURNAL_PREFIX, dir=self.root))
        except OSError as exc:
            raise _as_user_error(exc, self.root / JOURNAL_PREFIX) from exc
        self.folder = folder  # from here on, ending the transaction removes it
        try:
            self.fd = os.open(folder / LOG_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            _lock(self.fd)
            self._record({"op": "begin", "format": JOURNAL_FORMAT, "pid": os.getpid(),
                          "started": time.strftime("%Y-%m-%d %H:%M:%S")})
            _fsync_dir(folder)
            _fsync_dir(self.root)
        except OSError as exc:
            raise _as_user_error(exc, folder / LOG_NAME) from exc
        return folder

    def _record(self, record: dict) -> None:
        assert self.fd is not None
        line = json.dumps(record, sort_keys=True) + "\n"
        os.write(self.fd, line.encode("utf-8"))
        os.fsync(self.fd)
        self.records.append(record)

    def temp_dir(self, path: Path) -> Path:
        path = Path(os.path.abspath(path))
        if not path.is_relative_to(self.root):
            return path.parent  # not ours to collect: beside the file, as outside a run
        return self._open()

    def make_dirs(self, directory: Path) -> None:
        directory = Path(os.path.abspath(directory))
        missing: list[Path] = []
        for part in (directory, *directory.parents):
            if part.exists() or part.is_symlink():
                break  # a folder; or a file, and mkdir below says so
            missing.append(part)
        for part in reversed(missing):
            if part.is_relative_to(self.root) and part != self.root:
                self._open()
                self._record({"op": "mkdir", "path": _relative(self.root, part)})
                self.changed_dirs.add(part.parent)
            part.mkdir(exist_ok=True)

    def before_replace(self, path: Path) -> None:
        """Called just before ``path`` is replaced, created or removed."""
        path = Path(os.path.abspath(path))
        if path in self.touched:
            return  # the first touch recorded it; the backup holds the original
        folder = self._open()
        existed = path.exists() or path.is_symlink()
        backup = f"backup-{len(self.records)}" if existed else None
        self._record({"op": "file", "path": _relative(self.root, path), "backup": backup})
        self.touched.add(path)
        self.changed_dirs.add(path.parent)
        if backup is not None:
            os.replace(path, folder / backup)
            _fsync_dir(folder)

    # ------------------------------------------------------------------ ending
    def commit(self) -> None:
        if self.folder is None:
            return
        try:
            for folder in sorted(self.changed_dirs | {self.folder}):
                if folder.is_dir():
                    _fsync_dir(folder)
            self._record({"op": "commit"})
        except OSError as exc:
            raise _as_user_error(exc, self.folder / LOG_NAME) from exc
        self.committed = True
        self._close()

    def rollback(self) -> None:
        if self.folder is None or self.committed:
            self._close()
            return
        try:
            _undo(self.root, self.folder, self.records)
        except OSError as exc:
            console.error(f"error: could not roll back the outputs in {self.root} ({exc}); "
                          f"the journal {self.folder} stays, and the next run there "
                          "finishes the roll-back")
            self._release()
            return
        self._close()

    def _release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None

    def _close(self) -> None:
        """Remove the journal (a commit that is recorded stands even when this fails: the
        next run finishes it)."""
        folder, self.folder = self.folder, None
        try:
            if folder is not None:
                _remove_journal(folder)
        except OSError as exc:
            console.warn(f"warning: could not remove the journal {folder} ({exc}); the next "
                         "run in this output folder removes it")
        finally:
            self._release()
            self.records, self.touched, self.changed_dirs = [], set(), set()


def _as_user_error(exc: OSError, path: Path) -> BaseException:
    return os_error(exc, path, "write") or exc


_ACTIVE: ContextVar[_Journal | None] = ContextVar("werktop_transaction", default=None)


def before_replace(path: Path) -> None:
    """Hook for writers: journal ``path`` if a transaction is active."""
    journal = _ACTIVE.get()
    if journal is not None:
        try:
            journal.before_replace(Path(path))
        except OSError as exc:
            raise _as_user_error(exc, Path(path)) from exc


def temp_dir(path: Path) -> Path:
    """The folder for the temporary file of a write to ``path``: the journal folder inside
    a transaction (an interrupted run leaves no temporary file among the outputs), else
    ``path``'s own folder."""
    journal = _ACTIVE.get()
    return Path(path).parent if journal is None else journal.temp_dir(Path(path))


def make_dirs(directory: Path) -> None:
    """``directory.mkdir(parents=True, exist_ok=True)``; inside a transaction the folders it
    creates are journalled, and removed again by a roll-back when they are empty."""
    journal = _ACTIVE.get()
    if journal is None:
        Path(directory).mkdir(parents=True, exist_ok=True)
    else:
        journal.make_dirs(Path(directory))


def remove(path: Path) -> None:
    """Delete a generated file; inside a transaction it comes back if the run fails."""
    path = Path(path)
    if not path.exists():
        return
    journal = _ACTIVE.get()
    if journal is None:
        path.unlink()
        return
    before_replace(path)  # the first touch moves it into the journal
    path.unlink(missing_ok=True)


# ---------------------------------------------------------------------- recovery
def _read_log(log: Path) -> list[dict]:
    """The complete records of a log (a torn last line is left out)."""
    records: list[dict] = []
    for line in log.read_bytes().split(b"\n"):
        try:
            record = json.loads(line)
        except ValueError:
            break
        if not isinstance(record, dict):
            break
        records.append(record)
    return records


def _recover_one(root: Path, folder: Path) -> str | None:
    log = folder / LOG_NAME
    if not log.exists():
        if any(folder.iterdir()):
            return (f"warning: {folder} was left by an interrupted run of an older version "
                    "and cannot be replayed; the outputs beside it may mix two runs: delete "
                    "that folder and build everything again")
        folder.rmdir()  # created by a run that died before it wrote anything
        return None
    fd = os.open(log, os.O_RDWR)
    try:
        locked = _lock(fd)
        records = _read_log(log)
        begin = records[0] if records and records[0].get("op") == "begin" else {}
        run = f"pid {begin.get('pid', '?')}, started {begin.get('started', '?')}"
        if not locked:
            return (f"warning: another run ({run}) is writing to {root} at the same time; "
                    "its journal is left alone")
        if not records:  # died before its first record, so before any change
            _remove_journal(folder)
            return None
        if begin.get("format") != JOURNAL_FORMAT:
            return (f"warning: {folder} is a journal this version cannot read; delete it "
                    "and build everything again")
        if any(r.get("op") == "commit" for r in records):
            _remove_journal(folder)
            return (f"recovered {root}: the interrupted run ({run}) had written all its "
                    "outputs; finished its commit (journal removed)")
        restored, deleted = _undo(root, folder, records)
        _remove_journal(folder)
        return (f"recovered {root}: rolled back the interrupted run ({run}): "
                f"{restored} file(s) restored, {deleted} new file(s) removed")
    finally:
        os.close(fd)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def recover(root: Path) -> list[str]:
    """Finish or undo what interrupted runs left in the output folder ``root`` (see the
    module's docstring); say what was done, one line per journal, and return the lines.

    A journal whose run is still alive is left alone.
    """
    root = Path(os.path.abspath(root))
    try:
        folders = [p for p in root.glob(f"{JOURNAL_PREFIX}*") if p.is_dir()]
    except OSError:
        return []
    # Newest first: an older journal's backups are older still.
    folders.sort(key=_mtime, reverse=True)
    messages = []
    for folder in folders:
        try:
            message = _recover_one(root, folder)
        except OSError as exc:
            raise _as_user_error(exc, folder) from exc
        if message is not None:
            console.warn(message)
            messages.append(message)
    return messages


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
    """Run the body all-or-nothing with respect to files written under ``root``; first
    recover what an interrupted run left there."""
    if _ACTIVE.get() is not None:  # nested: the outer transaction decides
        yield
        return
    recover(root)
    journal = _Journal(Path(root))
    token = _ACTIVE.set(journal)
    try:
        yield
        journal.commit()  # inside the try: a commit that cannot be recorded rolls back
    except BaseException:
        with _signals_deferred():  # a second Ctrl-C must not stop the rollback halfway
            journal.rollback()
        raise
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
        from pipeline.outputs import console

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
    """A forked worker (``pipeline/runner/parallel.py``) ends on SIGTERM at once, as by default:
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
