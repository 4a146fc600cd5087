"""``logs/run_summary.json``: what the last ``run`` or single stage did, for scripts and CI.

Written by the command line after every ``run`` and every single stage, also when it
fails (then it is the only file the command changes: the outputs are rolled back, see
``pipeline/outputs/transaction.py``). It holds, per stage in pipeline order:

- ``status``: ``ok``; ``failed``; ``rolled_back`` (finished, but a later stage of the same
  command failed, so its outputs were undone); ``not_run`` (after a failure);
  ``up_to_date`` (skipped by ``run --stale-only``);
- ``exit_status`` (0, 2 for a user error, 1 for a bug, 130 when interrupted; ``null`` for
  a stage that did not run), ``duration_s`` and the ``counts`` the stage returned (rows per
  instrument, issues per kind, files written); ``messages`` for a failed stage;

and for the command: ``command``, ``exit_status``, ``duration_s``, ``config``, ``language``,
``version`` and ``commit``. Keys are sorted, stages are a list in pipeline order.

It lives in ``logs/``, outside the reproducible outputs (``data/``, ``results/``,
``figures/``, ``reports/``), because durations differ from run to run; the catalog marks
it ``reproducible=False`` and the byte-identity checks leave it out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.outputs import console
from pipeline.study.errors import UserError, os_error
from pipeline.study.privacy import redact_path, redact_text

#: Bumped when a key changes meaning or disappears.
SCHEMA_VERSION = 1
EXIT_OK, EXIT_BUG, EXIT_USER_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


def exit_status_of(exc: BaseException | None) -> int:
    """The exit code the command line gives for ``exc`` (``None``: success)."""
    if exc is None:
        return EXIT_OK
    if isinstance(exc, UserError) or os_error(exc) is not None:
        return EXIT_USER_ERROR
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else EXIT_BUG
    return EXIT_BUG


def stage_counts(summary: object) -> dict[str, int]:
    """What a stage returned, as counts: a mapping as it is (rows per instrument, issues per
    kind), a list of written files as ``{"files": n}``."""
    if isinstance(summary, Mapping):
        return {str(k): int(v) for k, v in summary.items()}
    if isinstance(summary, (list, tuple)):
        return {"files": len(summary)}
    return {}


@dataclass
class StageRecord:
    """One stage's line in the summary."""

    stage: str
    status: str = "not_run"
    exit_status: int | None = None
    duration_s: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "stage": self.stage, "status": self.status, "exit_status": self.exit_status,
            "duration_s": self.duration_s, "counts": self.counts,
        }
        if self.messages:
            out["messages"] = self.messages
        return out


class RunSummary:
    """Collects what one command does; :meth:`stage` times a stage and records its result.

    ``stages`` are the stages the command was asked for, in order; those in ``up_to_date``
    are recorded as skipped.
    """

    def __init__(self, command: str, stages: Sequence[str], *, config: Path | None = None,
                 language: str | None = None, up_to_date: Sequence[str] = ()) -> None:
        self.command = command
        self.config = config
        self.language = language
        self.records = {name: StageRecord(name) for name in stages}
        for name in up_to_date:
            self.records[name].status = "up_to_date"
        self._start = time.perf_counter()
        self.exit_status: int | None = None
        self.duration_s: float | None = None

    @contextmanager
    def stage(self, name: str) -> Iterator[StageRecord]:
        """Time the body as stage ``name``; set ``record.counts`` inside it. An exception
        marks the stage failed (with its exit status and messages) and propagates."""
        record = self.records.setdefault(name, StageRecord(name))
        start = time.perf_counter()
        try:
            yield record
        except BaseException as exc:
            record.status = "failed"
            record.exit_status = exit_status_of(exc)
            user_error = exc if isinstance(exc, UserError) else os_error(exc)
            record.messages = (list(user_error.messages) if user_error is not None
                               else [redact_text(f"{type(exc).__name__}: {exc}")])
            raise
        else:
            record.status, record.exit_status = "ok", EXIT_OK
        finally:
            record.duration_s = round(time.perf_counter() - start, 3)

    def finish(self, exc: BaseException | None) -> None:
        """The command ended (``exc``: why it failed, or ``None``). A failed command rolls
        back every stage it ran, so their records say ``rolled_back``."""
        self.exit_status = exit_status_of(exc)
        self.duration_s = round(time.perf_counter() - self._start, 3)
        if self.exit_status != EXIT_OK:
            for record in self.records.values():
                if record.status == "ok":
                    record.status = "rolled_back"

    def as_dict(self) -> dict[str, Any]:
        from pipeline.outputs.provenance import git_commit
        from pipeline.outputs.version import package_version
        from pipeline.study.config import PROJECT_ROOT

        return {
            "schema_version": SCHEMA_VERSION,
            "command": self.command,
            "exit_status": self.exit_status,
            "duration_s": self.duration_s,
            "config": redact_path(self.config) if self.config else None,
            "language": self.language,
            "version": package_version(),
            "commit": git_commit(PROJECT_ROOT)["commit"],
            "stages": [r.as_dict() for r in self.records.values()],
        }

    def write(self, path: Path) -> None:
        """Write the summary (sorted keys, stages in order). A summary that cannot be
        written is a warning, never the reason a command fails (after a failed command,
        whose error says what went wrong, only a detail: ``-v``)."""
        from pipeline.outputs.io import write_json

        try:
            write_json(path, self.as_dict())
        except (OSError, UserError) as exc:
            why = "; ".join(exc.messages) if isinstance(exc, UserError) else str(exc)
            say = console.warn if self.exit_status in (None, EXIT_OK) else console.detail
            say(f"warning: could not write the run summary {path}: {why}")
        else:
            console.detail(f"run summary: {path}")


@contextmanager
def recorded(summary: RunSummary, path: Path) -> Iterator[RunSummary]:
    """Run the body as the command ``summary`` describes; write the summary to ``path``
    when it ends, however it ends (the exception, if any, propagates)."""
    try:
        yield summary
    except BaseException as exc:
        summary.finish(exc)
        summary.write(path)
        raise
    summary.finish(None)
    summary.write(path)
