"""Benchmark: one chain of chapter 6's multiple imputation (``analysis.pmm.PMMChains``).

Run with ``.venv/bin/python benchmarks/bench_pmm.py [jobseekers.csv ...]``; without
arguments it times the cached benchmark studies of ``benchmarks/run_bench.py``
(scale 100, 107 k rows, and goal size, 1.07 M rows, under ``/tmp/werktop-bench``) when
they exist. Never part of the test suite.

For each file: the processed ``jobseekers.csv`` is read as the analyze stage reads it,
restricted to rows with a known treatment and unit, and turned into the chapter's
imputation frame (``imputation_frame`` with the analysis plan's covariates, the primary
family's outcomes and the units present). Then ``PMMChains(...)`` is built (its set-up is
timed separately) and ``completed_block(0)``, one chain with the chapter's ``burn_in``
and the default ``k_pmm``, is timed (best of ``--repeat``, wall and CPU time; the
machine is shared). Peak memory: the process's peak resident set size after the file
(``ru_maxrss``: it includes reading the CSV and every earlier file) and the peak of
Python-tracked allocations during one more run of the chain alone (``tracemalloc``;
numpy's buffers are tracked). BLAS runs on one thread, as in the pipeline.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# One BLAS thread, as ``pipeline/__init__.py`` sets it for every stage (before numpy loads).
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import pandas as pd  # noqa: E402

from analysis.pmm import PMMChains  # noqa: E402
from pipeline.chapters.jobseekers.chapter import (  # noqa: E402
    BURN_IN,
    TREATMENT,
    UNIT,
    family_members,
    imputation_frame,
)
from pipeline.outputs.io import read_csv  # noqa: E402
from pipeline.study.codebook import load_codebook  # noqa: E402
from pipeline.study.plan import load_plan  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = {
    "scale 100": Path("/tmp/werktop-bench/out_100/data/processed/jobseekers.csv"),
    "goal size": Path("/tmp/werktop-bench/out_goal/data/processed/jobseekers.csv"),
}


def imputation_inputs(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The chapter's imputation frame (only the imputation columns) from a processed file."""
    codebook = load_codebook(ROOT / "data" / "codebook")
    plan = load_plan(codebook)
    jobseekers = read_csv(path, keep_default_na=False, na_values=[""])
    jobseekers = jobseekers[jobseekers[TREATMENT].notna() & jobseekers[UNIT].notna()]
    jobseekers = jobseekers.reset_index(drop=True)
    assert plan.covariates is not None
    covariates = list(plan.covariates.adjust)
    outcomes = [o.name for o in family_members(plan)]
    units = [u.id for u in codebook.units if (jobseekers[UNIT] == u.id).any()]
    frame, columns = imputation_frame(jobseekers, covariates, outcomes, units)
    return frame[columns].copy(), columns


def bench(label: str, path: Path, *, repeat: int, seed: int) -> None:
    frame, columns = imputation_inputs(path)
    n_inc = int(frame.isna().any().sum())
    start = time.perf_counter()
    chains = PMMChains(frame, columns, m=20, seed=seed, burn_in=BURN_IN)
    setup = time.perf_counter() - start
    best = cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        chains.completed_block(0)
        best = min(best, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    tracemalloc.start()  # a separate run: tracing slows the allocations down
    chains.completed_block(0)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"{label:10} {len(frame):>9,} rows {len(columns):>3} cols ({n_inc:>2} incomplete, "
        f"{float(frame.isna().to_numpy().mean()):.1%} missing)  set-up {setup:6.2f} s  "
        f"chain {best:7.2f} s/chain (CPU {cpu:6.2f} s)  x20 = {20 * best:7.1f} s  "
        f"chain peak {traced / 2**20:7.1f} MiB  process peak RSS {rss:7.1f} MiB",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20140601)
    args = parser.parse_args()
    files = {str(p): p for p in args.files} or {k: p for k, p in DEFAULT.items() if p.exists()}
    if not files:
        print("no jobseekers.csv given and none cached under /tmp/werktop-bench")
        return 1
    print(f"burn_in {BURN_IN}, one chain of m = 20 (best of {args.repeat})")
    for label, path in files.items():
        bench(label, path, repeat=args.repeat, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
