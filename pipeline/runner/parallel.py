"""Run independent, deterministic tasks in worker processes, results in task order.

Used for the chains of multiple imputation: chain ``i`` depends only on its own seed, so
running the chains in one process or in several gives the same results in the same order
(a test checks it). Workers are forked, so the task function and the data it closes over
are inherited, not pickled; only each task's (small) result travels back.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

__all__ = ["resolve_workers", "ordered_map"]

R = TypeVar("R")

# The task a forked worker runs; set in the parent right before the pool forks.
_TASK: Callable[[int], object] | None = None


def resolve_workers(setting: int, n_tasks: int) -> int:
    """Worker processes to use: ``setting`` (0 = one per CPU), never more than the tasks."""
    if setting < 0:
        raise ValueError("workers must be 0 (one per CPU) or a positive number")
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1
    )
    return max(1, min(setting or available, n_tasks))


def _return_free_memory() -> None:
    """Give memory the parent freed back to the system before forking (glibc only).

    glibc keeps freed heap memory (e.g. what parsing a large CSV used) mapped; forked
    workers would share those pages and the process tree would look larger than its data.
    Elsewhere this does nothing.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _run(i: int) -> object:
    assert _TASK is not None
    return _TASK(i)


def ordered_map(
    task: Callable[[int], R], n_tasks: int, workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[R]:
    """``[task(0), task(1), ..., task(n_tasks - 1)]``, computed by ``workers`` processes.

    With one worker (or where ``fork`` is not available) the tasks run in this process.
    An exception in a task is raised here, as it would be without workers. ``progress``,
    if given, is called in this process with the number of results received so far (in
    task order) after each one; it sees only counts, so it cannot change a result.
    """
    global _TASK
    results: list[R] = []
    if workers <= 1 or n_tasks <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for i in range(n_tasks):
            results.append(task(i))
            if progress is not None:
                progress(len(results))
        return results
    _TASK = task
    _return_free_memory()
    try:
        # concurrent.futures rather than multiprocessing.Pool: Pool.terminate() can hang
        # when a task fails while the pool's task thread is still feeding tasks (seen on a
        # loaded machine); the executor cancels what has not started and joins cleanly.
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(workers, n_tasks), mp_context=ctx) as pool:
            futures = [pool.submit(_run, i) for i in range(n_tasks)]
            try:
                for future in futures:  # in task order: tasks are few and long
                    results.append(future.result())  # type: ignore[arg-type]
                    if progress is not None:
                        progress(len(results))
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        return results
    finally:
        _TASK = None
