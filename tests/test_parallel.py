"""Worker processes for independent tasks: order, errors, and the same numbers as one
process (chapter 6's imputation chains)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from pipeline.report.chapter import chapter_module
from pipeline.runner.parallel import ordered_map, resolve_workers
from pipeline.study.plan import Imputation, Outcome

JS = chapter_module("jobseekers")


def _square_with_pid(i: int) -> tuple[int, int]:
    return i * i, os.getpid()


def test_results_come_back_in_task_order_from_other_processes():
    out = ordered_map(_square_with_pid, 7, workers=2)
    assert [v for v, _ in out] == [i * i for i in range(7)]
    assert {pid for _, pid in out} != {os.getpid()}  # really ran elsewhere


def _fails_on_three(i: int) -> int:
    if i == 3:
        raise ValueError("task 3 failed")
    return i


def test_an_error_in_a_worker_is_raised_in_the_caller():
    with pytest.raises(ValueError, match="task 3 failed"):
        ordered_map(_fails_on_three, 5, workers=2)


def test_worker_count_resolution():
    assert resolve_workers(1, 20) == 1
    assert resolve_workers(8, 3) == 3  # never more workers than tasks
    assert resolve_workers(0, 1) == 1
    assert 1 <= resolve_workers(0, 20) <= max(os.cpu_count() or 1, 1)
    with pytest.raises(ValueError):
        resolve_workers(-1, 4)


def _study(seed: int = 3, n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = rng.integers(1, 4, size=n)
    age = rng.normal(40, 10, size=n)
    werktop = (rng.random(n) < 0.3 + 0.1 * (unit == 2)).astype(int)
    work = (rng.random(n) < 0.2 + 0.2 * werktop).astype(float)
    score = 3 + 0.4 * werktop + rng.normal(size=n)
    frame = pd.DataFrame({"werktop": werktop, "gemeente": unit, "leeftijd": age,
                          "werk": work, "score": score})  # fmt: skip
    frame.loc[rng.random(n) < 0.15, "leeftijd"] = np.nan
    frame.loc[rng.random(n) < 0.1, "werk"] = np.nan
    return frame


def test_imputed_analysis_gives_identical_numbers_with_one_or_two_workers():
    frame = _study()
    members = [Outcome(name="werk", dataset="jobseekers", kind="binary", family="primary",
                       label_nl="w", label_en="w", description="w", rule="item"),
               Outcome(name="score", dataset="jobseekers", kind="continuous",
                       family="primary", label_nl="s", label_en="s", description="s",
                       rule="item")]  # fmt: skip
    control = Imputation(m_pilot=2, m_min=4, m_max=4, burn_in_min=2, burn_in_max=4)
    kwargs = dict(covariates=["leeftijd"], categorical=[], alpha=0.05, seed=11,
                  control=control)  # fmt: skip
    one = JS.imputed_analysis(frame, members, [1, 2, 3], workers=1, **kwargs)
    two = JS.imputed_analysis(frame, members, [1, 2, 3], workers=2, **kwargs)
    assert one["m"] == two["m"] == 4
    assert one["burn"] == two["burn"] and one["rule"] == two["rule"]
    for a, b in zip(one["sets"], two["sets"], strict=True):
        # exact (repr: NaN == NaN): same chains, same fits
        assert repr(a["estimates"]) == repr(b["estimates"])
        assert a["n_trimmed"] == b["n_trimmed"]
    pd.testing.assert_frame_equal(one["sets"][0]["balance"], two["sets"][0]["balance"])
    # the chains differ from each other (independent seeds)
    fits = [s["estimates"]["werk"]["fit"][0] for s in one["sets"]]
    assert len(set(fits)) == 4


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_counts_every_result_in_this_process_and_changes_nothing(workers):
    seen: list[tuple[int, int]] = []
    out = ordered_map(_square_with_pid, 5, workers=workers,
                      progress=lambda done: seen.append((done, os.getpid())))
    assert [d for d, _ in seen] == [1, 2, 3, 4, 5]
    assert {pid for _, pid in seen} == {os.getpid()}  # called here, not in a worker
    assert [v for v, _ in out] == [v for v, _ in ordered_map(_square_with_pid, 5, workers)]


def test_imputation_chains_report_progress_on_a_terminal(monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    monkeypatch.setattr("sys.stderr", term)
    frame = _study(n=120)
    members = [Outcome(name="werk", dataset="jobseekers", kind="binary", family="primary",
                       label_nl="w", label_en="w", description="w", rule="item")]
    JS.imputed_analysis(frame, members, [1, 2, 3], workers=1, covariates=["leeftijd"],
                        categorical=[], alpha=0.05, seed=5,
                        control=Imputation(m_pilot=2, m_min=3, m_max=3, burn_in_min=1,
                                           burn_in_max=4))  # fmt: skip
    text = term.getvalue()
    assert "\ranalyze: imputation (pilot) 2/2" in text
    assert "\ranalyze: imputation 1/1" in text
    assert text.endswith("\r")  # the line is erased when the chains are done
