"""Bootstrap inference for propensity-score weighted and doubly robust effects on the
treated (ATT).

- :func:`resample_indices` / :func:`frequencies`: a seeded stratified (strata = treatment
  group, optionally crossed with a unit) nonparametric bootstrap, as row indices per
  replicate or as the equivalent frequency-weight matrix ``F`` (B x n).
- :func:`batched_glm` / :func:`batched_logit` (from :mod:`analysis.batched_glm`): B weighted
  canonical GLMs (logit, Poisson,
  least squares), fitted together by Newton's method (all Hessians in one matrix product).
- :func:`att_bootstrap`: the weighted or doubly robust ATT re-estimated on every replicate,
  the propensity score (and the outcome model) re-fitted each time; bootstrap SE and
  percentile interval.
- :func:`bootstrap_replicates`: the same replicates for any ``estimator(frame)`` (a slow,
  general loop; the reference the batched form is tested against).

The wild cluster bootstrap (few clusters) is :mod:`analysis.wild_bootstrap`.

Every function is deterministic in its ``seed``: replicate ``b`` draws from
``numpy.random.default_rng(SeedSequence(seed).spawn(B)[b])``, so a replicate does not
depend on how many others are drawn, on chunking or on worker processes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis._lazy import lazy_import
from analysis.batched_glm import batched_glm, batched_logit
from analysis.models import build_design
from analysis.mover import replicate_correlation
from analysis.propensity import crump_alpha

special = lazy_import("scipy.special")
stats = lazy_import("scipy.stats")

__all__ = [
    "resample_indices", "frequencies", "batched_logit", "att_bootstrap",
    "bootstrap_replicates", "summarise_replicates", "batched_glm", "BOOTSTRAP_COLUMNS",
]  # fmt: skip

BOOTSTRAP_COLUMNS = [
    "outcome", "estimator", "estimand", "se_scale", "estimate", "se", "ci_low", "ci_high", "p_val",
    "n_boot", "n_failed", "ci_method", "alpha", "ess_control",
    "mean_treated", "mean_control", "se_logit_treated", "se_logit_control", "corr_means",
]  # fmt: skip

def _codes(values: Any) -> np.ndarray:
    codes, _ = pd.factorize(pd.Series(values), sort=True, use_na_sentinel=True)
    if (codes < 0).any():
        raise ValueError("strata must not be missing")
    return codes


def resample_indices(strata: Any, n_boot: int, seed: int | np.random.SeedSequence) -> np.ndarray:
    """Row indices of ``n_boot`` stratified bootstrap samples, shape (n_boot, n).

    Within each stratum (sorted codes of ``strata``) as many rows are drawn with
    replacement as the stratum has, so every replicate keeps the group sizes. Replicate
    ``b`` uses its own generator (``SeedSequence(seed).spawn(n_boot)[b]``); its rows are
    listed stratum by stratum.
    """
    if n_boot < 2:
        raise ValueError("n_boot must be at least 2")
    codes = _codes(strata)
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    # Each position's stratum size and first row: one ``integers`` call per replicate
    # with these bounds draws the numbers that ``integers(0, k, k)`` per stratum would, in
    # the same order (numpy draws an array of bounds element by element, as it fills a
    # sized draw; tests/test_analysis_bootstrap.py checks it against the per-stratum loop).
    bound = np.repeat(sizes, sizes)
    first = np.repeat(starts, sizes)
    out = np.empty((n_boot, len(codes)), dtype=np.int64)
    for b, child in enumerate(seq.spawn(n_boot)):
        out[b] = order[first + np.random.default_rng(child).integers(0, bound)]
    return out


def frequencies(indices: np.ndarray, n: int) -> np.ndarray:
    """Frequency weights (times each row is drawn), shape (B, n), from :func:`resample_indices`."""
    B = indices.shape[0]
    flat = (indices + (np.arange(B, dtype=np.int64) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=B * n).reshape(B, n).astype("float64")


Kind = Literal["binary", "continuous", "count"]
_SPECS = {
    "binary": [("att_rd", "rd"), ("att_or", "log_or")],
    "continuous": [("att_md", "mean_difference")],
    "count": [("att_rr", "log_rr")],
}  # fmt: skip


_DR_SPECS = {
    "binary": [("att_rd", "rd"), ("att_or", "log_or"), ("att_rr", "log_rr")],
    "continuous": [("att_md", "mean_difference")],
    "count": [("att_rr", "log_rr")],
}  # fmt: skip


def _dr_control_means(
    X: np.ndarray, y: np.ndarray, t: np.ndarray, f: np.ndarray, c: np.ndarray, kind: str,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The doubly robust control mean of every row of the weights (row 0 the full
    sample): the canonical GLM of ``y`` fitted to the controls with weights ``c``
    (counts x ATT weights), its predictions averaged over the treated with weights
    ``f``. Returns the means and whether each outcome fit converged with every dummy
    represented among the weighted controls."""
    dummy = np.isin(X, (0.0, 1.0)).all(axis=0) & (X != 1.0).any(axis=0)
    present = ((c > 0) @ (X != 0)) > 0
    full_rank = (present | ~dummy).all(axis=1)
    ybar = float(c[0] @ y / c[0].sum())
    start = np.zeros(X.shape[1])
    if kind == "binary":
        start[0] = np.log(ybar / (1 - ybar)) if 0 < ybar < 1 else 0.0
    elif kind == "count":
        start[0] = np.log(ybar) if ybar > 0 else 0.0
    else:
        start[0] = ybar
    first, ok0 = batched_glm(X, y, c[:1], start, kind=kind, max_iter=100)
    beta, ok = batched_glm(X, y, c[1:], first[0], kind=kind)
    beta = np.vstack([first, beta])
    with np.errstate(over="ignore"):
        eta = beta @ X.T
        m = special.expit(eta) if kind == "binary" else np.exp(eta) if kind == "count" else eta
    ft = f * t
    return (ft * m).sum(axis=1) / ft.sum(axis=1), np.r_[ok0, ok] & full_rank


def _mean_parts(mu1: np.ndarray, mu0: np.ndarray, ok: np.ndarray) -> dict[str, float]:
    """The two means of a risk difference (row 0 of ``mu1``/``mu0``, the full sample), the
    bootstrap SEs of their logits and the correlation of their replicates: what the
    chapter's MOVER interval (:mod:`analysis.mover`) is built from."""
    with np.errstate(divide="ignore", invalid="ignore"):
        l1, l0 = special.logit(mu1[1:][ok]), special.logit(mu0[1:][ok])
    fin1, fin0 = l1[np.isfinite(l1)], l0[np.isfinite(l0)]
    nan = float("nan")
    return {"mean_treated": float(mu1[0]), "mean_control": float(mu0[0]),
            "se_logit_treated": float(fin1.std(ddof=1)) if len(fin1) > 1 else nan,
            "se_logit_control": float(fin0.std(ddof=1)) if len(fin0) > 1 else nan,
            "corr_means": replicate_correlation(mu1[1:][ok], mu0[1:][ok])}  # fmt: skip


def _replicate_weights(e: np.ndarray, t: np.ndarray, F: np.ndarray, estimator: str,
                       trim: float | None) -> np.ndarray:  # fmt: skip
    """Each replicate's person weights (B+1 x n; row 0 the full sample) from its scores
    ``e``: the treated's weight multiplies their means too (1 for the ATT)."""
    if estimator == "ato":
        return np.where(t == 1, 1.0 - e, e)
    keep = np.ones(e.shape, dtype=bool)
    if estimator == "trimmed":
        # the threshold is a statistic of each resample: re-computed from its own scores
        for b in range(len(e)):
            a = crump_alpha(e[b], F[b])
            keep[b] = (e[b] >= a) & (e[b] <= 1.0 - a)
    if trim is not None:
        e = np.where((t == 0) & (e > trim), trim, e)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t == 1, 1.0, e / (1 - e)) * keep


def _contrast(mu1: np.ndarray, mu0: np.ndarray, scale: str) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if scale == "log_or":
            return np.log(mu1 / (1 - mu1)) - np.log(mu0 / (1 - mu0))
        if scale == "log_rr":
            return np.log(mu1 / mu0)
        return mu1 - mu0


def summarise_replicates(
    estimate: float, replicates: np.ndarray, scale: str, *, alpha: float = 0.05,
) -> dict[str, float]:  # fmt: skip
    """Bootstrap SE, percentile interval and normal-theory p-value of one estimate.

    ``estimate`` and ``replicates`` are on the estimation scale ``scale`` (log for
    ratios); non-finite replicates are dropped and counted in ``n_failed``. The SE is the
    replicates' SD (ddof=1); the interval is the ``alpha/2`` and ``1 - alpha/2``
    quantiles of the replicates (numpy's linear interpolation), back-transformed for
    log scales; the p-value is ``2 * norm.sf(|estimate / se|)``.
    """
    r = np.asarray(replicates, dtype="float64")
    ok = np.isfinite(r)
    r = r[ok]
    if len(r) < 2:
        nan = float("nan")
        return {"estimate": estimate, "se": nan, "ci_low": nan, "ci_high": nan, "p_val": nan,
                "n_boot": len(r), "n_failed": int((~ok).sum())}  # fmt: skip
    se = float(r.std(ddof=1))
    lo, hi = np.quantile(r, [alpha / 2, 1 - alpha / 2])
    with np.errstate(divide="ignore", invalid="ignore"):
        p = float(2 * stats.norm.sf(abs(estimate / se)))
    est = estimate
    if scale.startswith("log"):
        est, lo, hi = np.exp(estimate), np.exp(lo), np.exp(hi)
    return {"estimate": float(est), "se": se, "ci_low": float(lo), "ci_high": float(hi),
            "p_val": p, "n_boot": len(r), "n_failed": int((~ok).sum())}  # fmt: skip


def att_bootstrap(
    frame: pd.DataFrame,
    outcomes: Mapping[str, Kind],
    treatment: str,
    covariates: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    fixed_effects: Sequence[str] = (),
    strata: Sequence[str] = (),
    trim: float | None = 0.99,
    n_boot: int = 500,
    seed: int | np.random.SeedSequence = 0,
    alpha: float = 0.05,
    estimator: Literal["weighting", "dr", "trimmed", "ato"] = "weighting",
) -> pd.DataFrame:
    """Stratified bootstrap of the PS-weighted or doubly robust ATT, re-fitting the
    propensity score (and the outcome model) on every replicate.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per person; not modified.
    outcomes : mapping of str to {"binary", "continuous", "count"}
        Outcome columns and their kinds. An outcome may be missing in some rows: the
        propensity score is fitted on every row with complete treatment and covariates,
        each outcome's means use the rows where it is observed (as the chapter does).
    treatment : str
        0/1 treatment column.
    covariates, categorical, fixed_effects
        The propensity-score model, as in :func:`analysis.propensity.propensity_scores`.
    strata : sequence of str, default ()
        Columns crossed with the treatment to form the resampling strata (e.g. the unit);
        the treatment group is always a stratum.
    trim : float or None, default 0.99
        Cap on the control propensity score before the ATT odds weight ``e / (1 - e)``
        (as :func:`analysis.ps_weights.att_weights`).
    n_boot : int, default 500
        Bootstrap replicates.
    seed : int or numpy.random.SeedSequence
        See :func:`resample_indices`.
    alpha : float, default 0.05
        Interval level ``1 - alpha``.
    estimator : {"weighting", "dr"}, default "weighting"
        ``"weighting"``: treated mean minus the ATT-weighted control mean (as
        :func:`analysis.weighting.att_effect`). ``"dr"``: the doubly robust ATT of
        :func:`analysis.doubly_robust.dr_att` -- the outcome model (canonical GLM on the
        same terms) fitted to the controls with the ATT weights, averaged over the
        treated (g-computation); re-fitted on every replicate too. The sensitivity
        analyses: ``"trimmed"``: the weighted ATT on the rows within Crump et al.'s score
        range (:func:`analysis.propensity.crump_alpha`, its threshold re-computed from
        every replicate's re-fitted scores, the resample's counts as weights);
        ``"ato"``: overlap weights (``1 - e`` for the treated, ``e`` for controls,
        :func:`analysis.ps_weights.ato_weights`; no cap).

    Returns
    -------
    pandas.DataFrame
        One row per outcome and estimand (binary: ``att_rd`` and ``att_or``, and
        ``att_rr`` for "dr"; continuous: ``att_md``; count: ``att_rr``) with
        :data:`BOOTSTRAP_COLUMNS`. ``estimate`` is
        the full-sample estimate (ratios exponentiated); ``se`` the bootstrap SD on the
        ``se_scale`` (log for ratios); ``ci_low``/``ci_high`` the percentile interval;
        ``n_failed`` counts replicates whose PS fit did not converge (separation) or
        whose estimate is not finite: they are left out. ``ess_control`` is the Kish
        effective sample size of the full-sample control weights (outcome's rows). For
        "dr", a replicate where a dummy of the outcome model has no weighted control
        (the fit is then rank deficient, as ``dr_att`` says) is failed too. The
        estimands keep the ATT's names for every estimator (``estimator`` says which).
        Risk-difference rows also give its two parts, for a MOVER interval
        (:mod:`analysis.mover`): ``mean_treated`` and ``mean_control`` (full sample),
        the bootstrap SDs of their logits (``se_logit_treated``, ``se_logit_control``)
        and the correlation of their replicates (``corr_means``); NaN in other rows.

    Notes
    -----
    Each replicate is a frequency-weight vector (the stratified resample's counts), so
    the B propensity-score logits are fitted together (:func:`batched_logit`, started at
    the full-sample fit) and every outcome's weighted means are column operations; this
    equals re-running the estimator on each resampled data set
    (:func:`bootstrap_replicates`) to rounding (tested to 1e-10). Percentile intervals,
    not BCa: BCa's acceleration needs a jackknife (n more PS fits per data set). The
    chapter uses the bootstrap SE (a Wald interval, pooled by Rubin's rules); the
    project's simulation study (``docs/method_validation.md``) judges that interval.
    Resampling within treatment groups keeps the
    numbers treated and controls fixed, as in the design (two separately recruited
    samples).

    References
    ----------
    Efron B, Tibshirani RJ (1993). An Introduction to the Bootstrap. Chapman & Hall,
    ch. 13 (percentile intervals).
    Austin PC, Small DS (2014). The use of bootstrapping when using propensity-score
    matching without replacement. Statistics in Medicine 33:4306-4319.
    """
    if not outcomes:
        raise ValueError("outcomes must name at least one outcome")
    if estimator not in ("weighting", "dr", "trimmed", "ato"):
        raise ValueError("estimator must be 'weighting', 'dr', 'trimmed' or 'ato'")
    bad = {k for k in outcomes.values() if k not in _SPECS}
    if bad:
        raise ValueError(f"kinds must be binary, continuous or count, not {sorted(bad)}")
    if trim is not None and not 0.5 < trim < 1:
        raise ValueError("trim must be in (0.5, 1) or None")
    d = build_design(frame, treatment, None, covariates, categorical, fixed_effects)
    t = d.y
    if not np.isin(t, (0.0, 1.0)).all():
        raise ValueError(f"treatment {treatment!r} must be coded 0/1")
    sub = frame.loc[d.used]
    keys = [sub[treatment].to_numpy(), *(sub[s].to_numpy() for s in strata)]
    stratum = pd.MultiIndex.from_arrays(keys).factorize(sort=True)[0] if strata else keys[0]
    start, ok0 = batched_logit(d.X, t, np.ones((1, len(t))), np.zeros(d.X.shape[1]),
                               max_iter=100)  # fmt: skip
    F = frequencies(resample_indices(stratum, n_boot, seed), len(t))
    params, converged = batched_logit(d.X, t, F, start[0])
    beta = np.vstack([start, params])
    F = np.vstack([np.ones((1, len(t))), F])
    with np.errstate(over="ignore"):
        e = special.expit(beta @ d.X.T)
    w = _replicate_weights(e, t, F, estimator, trim)
    rows = []
    for outcome, kind in outcomes.items():
        y = sub[outcome].to_numpy(dtype="float64")
        seen = ~np.isnan(y)
        y0 = np.where(seen, y, 0.0)
        f = F * seen
        c = f * (1 - t) * w
        # the treated's weights: 1 (ATT), kept or not (trimmed), 1 - e (ATO)
        ft = f * np.where(t == 1, w, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            mu1 = ft @ y0 / (ft @ np.ones(len(t)))
            if estimator != "dr":
                mu0 = (c @ y0) / c.sum(axis=1)
                ok = converged
            else:
                mu0, ok_out = _dr_control_means(d.X, y0, t, f, c, kind)
                ok = converged & ok_out[1:]
                if not ok_out[0]:
                    mu0[0] = np.nan
        w0 = w[0][seen & (t == 0)]
        ess = float(w0.sum() ** 2 / (w0**2).sum()) if len(w0) else float("nan")
        specs = _DR_SPECS[kind] if estimator == "dr" else _SPECS[kind]
        for estimand, scale in specs:
            est = _contrast(mu1, mu0, scale)
            reps = np.where(ok, est[1:], np.nan)
            s = summarise_replicates(float(est[0]), reps, scale, alpha=alpha)
            row = {"outcome": outcome, "estimator": estimator, "estimand": estimand,
                   "se_scale": scale, **s,
                   "ci_method": "percentile", "alpha": alpha, "ess_control": ess}
            if scale == "rd":
                row.update(_mean_parts(mu1, mu0, ok))
            rows.append(row)
    if not ok0[0]:
        for r in rows:
            r.update(se=float("nan"), ci_low=float("nan"), ci_high=float("nan"),
                     p_val=float("nan"))  # fmt: skip
    return pd.DataFrame(rows, columns=BOOTSTRAP_COLUMNS)


def bootstrap_replicates(
    frame: pd.DataFrame,
    estimator: Callable[[pd.DataFrame], Sequence[float] | float],
    strata: Any,
    *,
    n_boot: int = 500,
    seed: int | np.random.SeedSequence = 0,
) -> np.ndarray:
    """``estimator`` re-run on each stratified bootstrap sample of ``frame``.

    The general (slow) form: any estimator of the shape ``estimator(frame) -> estimate(s)``
    (e.g. a doubly robust ATT), on the replicates :func:`resample_indices` draws for
    ``strata`` (array aligned with ``frame``). Returns an array (n_boot, k); a replicate
    whose estimator raises ValueError is NaN. Summarise a column with
    :func:`summarise_replicates`.
    """
    idx = resample_indices(strata, n_boot, seed)
    out: list[np.ndarray] = []
    width = None
    for b in range(n_boot):
        try:
            value = np.atleast_1d(np.asarray(estimator(frame.iloc[idx[b]]), dtype="float64"))
        except ValueError:
            value = None
        out.append(value)  # type: ignore[arg-type]
        if value is not None:
            width = len(value)
    if width is None:
        raise ValueError("the estimator failed on every bootstrap sample")
    nan = np.full(width, np.nan)
    return np.vstack([v if v is not None else nan for v in out])
