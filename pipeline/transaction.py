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
what a failed stage left out of date.)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
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
        journal.rollback()
        raise
    else:
        journal._close()
    finally:
        _ACTIVE.reset(token)
