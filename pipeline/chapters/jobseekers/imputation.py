"""Chapter 6's multiple imputation, streamed: ``m`` completed data sets made one at a time
(``CompletedData``), each with its propensity scores, ATT weights and every outcome's fits,
in worker processes (``imputed_analysis``); and the checks that stop before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.balance import balance_table
from analysis.design import covariate_terms, term_names
from analysis.estimability import NotEstimable, not_estimable_note
from analysis.imputation_count import burn_in_needed, imputations_needed
from analysis.models import effect_and_se
from analysis.pmm import PMMChains
from analysis.pooling import rubin_combine
from analysis.propensity import overlap_bins, overlap_summary, propensity_scores, trim_rule
from analysis.ps_weights import att_weights, weight_summary
from pipeline.outputs import console
from pipeline.runner.parallel import ordered_map, resolve_workers
from pipeline.study.errors import UserError
from pipeline.study.plan import DEFAULT_INFERENCE, Imputation, Inference, Outcome

from .common import TREATMENT, TRIM_RULE, UNIT
from .estimates import _design_columns, _fixed_effects, set_estimates

#: Multiple imputation: the chains' default burn-in (the chapter takes the number of data
#: sets and of MICE cycles from the analysis plan's [imputation], see ``imputed_analysis``).
BURN_IN = 10
#: The analysis plan's default [imputation] (von Hippel's rule, R-hat burn-in).
DEFAULT_CONTROL = Imputation()
#: Trimming rule of the ATT weights: control propensity scores above this are capped.
PS_TRIM = 0.99
#: The note of weighted estimates whose propensity scores separate the groups.
PS_SEPARATION = not_estimable_note("separation", "some propensity scores are 0 or 1")


def imputation_frame(
    jobseekers: pd.DataFrame, covariates: Sequence[str], outcomes: Sequence[str],
    units: Sequence[str],
) -> tuple[pd.DataFrame, list[str]]:
    """The frame MICE works on and its imputation columns.

    The imputation model holds the treatment, every covariate, the family's outcomes (so
    the imputations are congenial with the analysis models) and unit indicators (units
    are never missing; the first unit is the reference).
    """
    # only the model's columns: a copy of the whole data set (a hundred columns) would
    # double the chapter's memory at a million respondents
    frame = jobseekers[list(dict.fromkeys([TREATMENT, UNIT, *covariates, *outcomes]))].copy()
    dummies = []
    for i, unit in enumerate(units[1:], start=1):
        name = f"unit_{i}"
        frame[name] = (frame[UNIT] == unit).astype("float64")
        dummies.append(name)
    columns = list(dict.fromkeys([TREATMENT, *covariates, *outcomes, *dummies]))
    return frame, columns


class CompletedData:
    """The chapter's ``m`` completed data sets, made one at a time on request.

    Holding all ``m`` copies would cost ``m`` times the data (about 2.7 GB for a million
    respondents and m = 20), so each analysis takes one, uses it and lets it go. ``get(i)``
    is deterministic and independent of the order (:class:`analysis.pmm.PMMChains`).
    Only the columns the estimates use are kept. Without missing values there is one
    data set, the observed data. A column nobody answered (a scale whose items are all
    missing) cannot be imputed and predicts nothing: it stays out of the imputation
    model and missing in every data set (its estimates are not estimable).
    """

    def __init__(
        self, jobseekers: pd.DataFrame, covariates: Sequence[str], outcomes: Sequence[str],
        units: Sequence[str], *, m: int, seed: int, burn_in: int = BURN_IN,
        design: Mapping[str, Any] | None = None,
    ) -> None:  # fmt: skip
        # Passive imputation of transformed covariates: a spline or log term is a fixed
        # function of its covariate, so the chains impute the covariate itself and the terms
        # are computed from it in every completed data set. Imputed as variables of their
        # own, each term is predicted almost exactly by its siblings, and the chains stay
        # where they started (R-hat far above 1.1 on the example).
        self.transforms = {c: t for c, t in (design or {}).get("transforms", {}).items()
                           if t in ("rcs", "log1p")}  # fmt: skip
        self.knots = dict((design or {}).get("knots", {}))
        derived = {t for c in self.transforms
                   for t in term_names(c, self.transforms[c], self.knots.get(c)) if t != c}
        imputed = list(dict.fromkeys(
            [c for c in covariates if c not in derived] + list(self.transforms)))
        frame, columns = imputation_frame(jobseekers, imputed, outcomes, units)
        columns = [c for c in columns if frame[c].notna().any()]
        self.keep = list(dict.fromkeys([TREATMENT, UNIT, *imputed, *covariates, *outcomes]))
        self.chains: PMMChains | None = None
        self.observed = jobseekers[self.keep]
        # The convergence check traces the imputed covariates only. Outcomes are in the
        # imputation model as predictors, but every analysis uses each outcome where it
        # was observed (multiple imputation, then deletion: von Hippel 2007), so their
        # imputed values never reach an estimate. Two nested outcomes (any work / regular
        # work: one implies the other) predict each other almost exactly and mix slowly
        # (R-hat 1.4 after 20 cycles on the example), which says nothing about the data
        # sets the analysis uses; the covariates' traces do.
        self.traced_columns = [c for c in imputed if c in columns]
        self.m = 1
        if frame[columns].isna().any().any():
            slim = frame[list(dict.fromkeys([*columns, UNIT]))]
            self.chains = PMMChains(slim, columns, m=m, seed=seed, burn_in=burn_in)
            self.m = m

    def get(self, i: int, burn_in: int | None = None) -> pd.DataFrame:
        """Completed data set ``i`` (0 <= i < m) after ``burn_in`` cycles (default: the
        chains' own)."""
        if self.chains is None:
            return self.observed.copy()
        return self._frame(self.chains.completed_block(i, burn_in))

    def traced(self, i: int, cycles: int) -> tuple[pd.DataFrame, np.ndarray]:
        """Completed data set ``i`` after ``cycles`` cycles, and its chain's trace
        (:meth:`analysis.pmm.PMMChains.traced_block`) for the imputed covariates
        (``traced_columns``). Needs chains."""
        assert self.chains is not None
        trace, block = self.chains.traced_block(i, cycles)
        todo = [self.chains.columns[j] for j in self.chains.todo]
        keep = [k for k, c in enumerate(todo) if c in self.traced_columns]
        # the trace holds the means, then the SDs, of the todo columns
        trace = trace[:, keep + [len(todo) + k for k in keep]]
        return self._frame(block), trace

    def _frame(self, block: np.ndarray) -> pd.DataFrame:
        assert self.chains is not None
        # straight from the chain's block: no copy of the whole imputation frame
        position = {c: j for j, c in enumerate(self.chains.columns)}
        frame = pd.DataFrame(
            {c: block[:, position[c]] if c in position else self.observed[c]
             for c in self.keep},
            index=self.observed.index,
        )  # fmt: skip
        if self.transforms:  # the terms of the imputed covariates (passive imputation)
            terms, _ = covariate_terms(frame, list(self.transforms), self.transforms,
                                       self.knots)  # fmt: skip
            frame[list(terms.columns)] = terms
        return frame


def check_groups_share_units(jobseekers: pd.DataFrame, codebook: Any) -> None:
    """Werktop and control are compared within units (unit fixed effects): a unit where
    one group has respondents and the other none cannot be compared, and its propensity
    scores would be exactly 0 or 1. Stop with what to do rather than fail in the fit."""
    counts = pd.crosstab(jobseekers[UNIT], jobseekers[TREATMENT])
    counts = counts.reindex(columns=[0, 1], fill_value=0)
    lopsided = counts[(counts[0] == 0) | (counts[1] == 0)]
    if lopsided.empty:
        return
    names = {u.id: u.name for u in (*codebook.units, *codebook.comparison_units)}
    lines = [
        f"unit {names.get(unit, unit)!r}: {int(row[1])} Werktop candidate(s) and "
        f"{int(row[0])} control respondent(s)"
        for unit, row in lopsided.iterrows()
    ]
    raise UserError(
        ["Werktop candidates and the control group cannot be compared within every unit: "
         "the comparison adjusts for the unit, so each unit needs respondents in both "
         "groups", *lines],
        hint="add the missing group's respondents for these units, or leave the units out "
        "of the study: exclude their rows in the study config ([inputs.candidates.exclude] "
        "and [inputs.control.exclude], e.g. gemeente = [\"<name as the export writes it>\"]) "
        "and drop them from [units]",
    )


def att_weights_of(frame: pd.DataFrame, covariates: Sequence[str],
                   categorical: Sequence[str],
                   start: Any = None) -> tuple[pd.DataFrame, dict]:
    """Propensity scores and ATT weights (control PS capped at ``PS_TRIM``) of one data set.

    A control whose score is 0 gets weight 0; scores near 0 or 1 are not an error. When
    the propensity model separates the groups (no finite maximum: some combination of
    background characteristics occurs in one group only), ``attrs["separation"]`` says so
    and the weighted estimates are reported as not estimable.
    """
    ps = propensity_scores(frame, TREATMENT, covariates, categorical=categorical,
                           fixed_effects=_fixed_effects(frame),
                           start_params=start)  # fmt: skip
    return att_weights(ps, frame[TREATMENT], trim=PS_TRIM), dict(ps.attrs)


def _complete_case_starts(
    observed: pd.DataFrame, members: Sequence[Outcome], covariates: Sequence[str],
    categorical: Sequence[str],
) -> tuple[dict[str, Any], Any]:  # fmt: skip
    """Complete-case coefficients as Newton's starting point in every completed data set.

    The same start for every chain keeps the results independent of which process runs
    which chain (a start carried over from the previous chain would not). A start that
    does not fit (another design width) is ignored by the fit.
    """
    fe = _fixed_effects(observed)
    starts: dict[str, Any] = {}
    for o in members:
        try:
            starts[o.name] = effect_and_se(observed, o.name, TREATMENT, covariates,
                                           kind=o.kind, categorical=categorical,
                                           fixed_effects=fe)["params"]  # fmt: skip
        except NotEstimable:
            starts[o.name] = None
    try:
        ps_start = propensity_scores(observed, TREATMENT, covariates, categorical=categorical,
                                     fixed_effects=fe).attrs.get("params")  # fmt: skip
    except NotEstimable:
        ps_start = None
    return starts, ps_start


def pilot_fmi(sets: Sequence[dict[str, Any]]) -> float:
    """The largest fraction of missing information over every estimate pooled from the
    completed data sets ``sets`` (adjusted fits, AMEs, weighted comparisons), by Rubin's
    rules with large-sample degrees of freedom (:func:`analysis.pooling.rubin_combine`);
    0 when nothing could be pooled."""
    per_key: dict[tuple, list[tuple[float, float]]] = {}
    for s in sets:
        for name, entry in s["estimates"].items():
            pairs = [("fit", entry["fit"]), ("ame", entry["ame"])]
            pairs += [(f"weighted:{k}", v) for k, v in entry["weighted"].items()]
            for key, value in pairs:
                if value is not None:
                    per_key.setdefault((name, key), []).append(value)
    fmis = [0.0]
    for values in per_key.values():
        est = [float(v[0]) for v in values]
        var = [float(v[1]) ** 2 for v in values]
        if len(values) == len(sets) and np.isfinite(est).all() and np.isfinite(var).all():
            try:
                fmis.append(float(rubin_combine(est, var)["fmi"].iloc[0]))
            except ValueError:  # e.g. zero total variance: no information to lose
                continue
    return max(fmis)


def imputed_analysis(
    jobseekers: pd.DataFrame, members: Sequence[Outcome], units: Sequence[str], *,
    covariates: Sequence[str], categorical: Sequence[str], alpha: float, seed: int,
    workers: int, control: Imputation = DEFAULT_CONTROL,
    inference: Inference = DEFAULT_INFERENCE, design: Mapping[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Impute, weight and fit, one completed data set at a time (in ``workers`` processes).

    Each task makes completed data set ``i``, its propensity scores and ATT weights, and
    every outcome's adjusted and weighted fits, and returns only those numbers; data set 0
    also returns the balance, weight and overlap diagnostics and the design sizes. The
    results do not depend on ``workers``: chain ``i`` has its own seed.

    How many (``control``, the analysis plan's ``[imputation]``): first the ``m_pilot``
    pilot chains run ``burn_in_max`` cycles, tracing the mean and SD of every column's
    imputed values, and their data sets are analysed; the traces' R-hat gives the
    burn-in (the first cycle count at which it is below ``r_hat``,
    :func:`analysis.imputation_count.burn_in_needed`) and the pilot's largest FMI gives
    ``m`` by von Hippel's rule (:func:`analysis.imputation_count.imputations_needed`).
    Data sets ``m_pilot .. m - 1`` are then their chains after that burn-in (the pilot
    chains, having run the maximum, are past it too).
    """
    source = CompletedData(jobseekers, covariates, [o.name for o in members], units,
                           m=control.m_max, seed=seed, burn_in=control.burn_in_max,
                           design=design)
    has_y = {o.name: jobseekers[o.name].notna().to_numpy() for o in members}
    starts, ps_start = _complete_case_starts(jobseekers, members, covariates, categorical)
    chains = source.chains
    burn_in = control.burn_in_max  # the pilot's; then the burn-in its traces give
    # the bootstrap's replicates are spread over the pilot's data sets (m is not known
    # before the pilot): every set gets the plan's total / m_pilot
    replicate_sets = 1 if chains is None else control.m_pilot

    def task(i: int, frame: pd.DataFrame | None = None) -> dict[str, Any]:
        frame = source.get(i, burn_in) if frame is None else frame
        try:
            aw, flag = att_weights_of(frame, covariates, categorical, ps_start)
        except NotEstimable as exc:  # no propensity score: no weighted estimates
            aw, flag = None, {"converged": True, "separation": False, "not_estimable": exc.note}
        # scores that (nearly) separate the groups give no meaningful weights: the
        # diagnostics show them, the weighted estimates say they are not estimable
        weights_note = flag.get("not_estimable") or (PS_SEPARATION if flag["separation"] else "")
        usable = aw is not None and not weights_note
        result: dict[str, Any] = {
            "estimates": set_estimates(frame, aw["weight"].to_numpy() if usable else None,
                                       members, has_y, covariates=covariates,
                                       categorical=categorical, alpha=alpha, starts=starts,
                                       weights_note=weights_note, inference=inference,
                                       m=replicate_sets, seed=(seed, i), trim=PS_TRIM,
                                       scores=aw["ps"].to_numpy() if usable else None,
                                       ps_params=flag.get("params")),
            "flags": flag, "n_trimmed": 0 if aw is None else int(aw["trimmed"].sum()),
        }  # fmt: skip
        if aw is not None:
            # balance on every completed data set (the chapter summarises over them)
            result["balance"] = balance_table(frame, [*covariates, UNIT], frame[TREATMENT],
                                              aw["weight"], categorical=[*categorical, UNIT])
            keep, low, _ = trim_rule(aw["ps"].to_numpy(), rule=TRIM_RULE)
            result["crump"] = {"alpha": low, "n_outside": int((~keep).sum())}
        if i == 0:
            if aw is not None:
                result["weights"] = weight_summary(aw["weight"], aw["treated"], aw["trimmed"])
                result["overlap"] = overlap_bins(aw["ps"], aw["treated"], bins=20)
                result["overlap_summary"] = overlap_summary(aw["ps"], aw["treated"])
            result["k"] = {o.name: _design_columns(frame, o, has_y[o.name], covariates,
                                                   categorical) for o in members}  # fmt: skip
        return result

    def pilot_task(i: int) -> dict[str, Any]:
        frame, trace = source.traced(i, control.burn_in_max)
        return {**task(i, frame), "trace": trace}

    burn: dict[str, Any] = {"burn_in": 0, "converged": True, "r_hat": float("nan"),
                            "threshold": control.r_hat, "iterations": 0, "chains": 0}
    if chains is None:
        results = [task(0)]
        rule: dict[str, Any] = {"m": 1}
    else:
        pilot = control.m_pilot
        with console.progress("analyze: imputation (pilot)", pilot) as bar:
            results = ordered_map(pilot_task, pilot, resolve_workers(workers, pilot),
                                  progress=bar.update)  # fmt: skip
        burn = burn_in_needed(np.stack([r.pop("trace") for r in results]),
                              threshold=control.r_hat,
                              minimum=control.burn_in_min).iloc[0].to_dict()  # fmt: skip
        if not burn["converged"]:
            console.warn(
                f"analyze: the imputation chains did not mix within {control.burn_in_max} "
                f"cycles (largest R-hat {burn['r_hat']:.2f}, threshold {control.r_hat}); "
                "the data sets use the maximum"
            )  # fmt: skip
        burn_in = int(burn["burn_in"])
        rule = imputations_needed(pilot_fmi(results), pilot, cv=control.cv,
                                  alpha=control.alpha, m_min=control.m_min,
                                  m_max=control.m_max).iloc[0].to_dict()  # fmt: skip
        more = int(rule["m"]) - pilot
        if more > 0:
            with console.progress("analyze: imputation", more) as bar:
                results += ordered_map(lambda i: task(pilot + i), more,
                                       resolve_workers(workers, more), progress=bar.update)
    return {"m": len(results), "sets": results, "rule": rule, "burn": burn}
