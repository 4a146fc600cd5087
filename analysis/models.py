"""Covariate-adjusted treatment effects from regression models (over 500 lines as one
coherent thing: the design builder, the fits and their HC3 covariance share private helpers
that the propensity, weighting and doubly robust modules reuse).

One public function per use: :func:`adjusted_effect` returns a one-row tidy DataFrame for
reporting, :func:`effect_and_se` returns the estimate and standard error on the scale where
Rubin's rules apply (for pooling over multiply imputed data sets). Inputs are never
modified; rows with a missing value in any model variable are dropped and counted.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    PerfectSeparationWarning,
)

from analysis._common import as_treatment
from analysis._lazy import lazy_import
from analysis.estimability import NotEstimable

sm = lazy_import("statsmodels.api")
linalg = lazy_import("scipy.linalg")
special = lazy_import("scipy.special")
stats = lazy_import("scipy.stats")

__all__ = ["adjusted_effect", "effect_and_se", "MODEL_COLUMNS"]

Kind = Literal["binary", "continuous", "count"]

MODEL_COLUMNS = [
    "outcome", "treatment", "kind", "estimand", "estimate", "ci_low", "ci_high", "p_val",
    "se", "se_scale", "ame", "ame_ci_low", "ame_ci_high", "ame_se", "ame_p_val",
    "n_used", "n_dropped_missing", "n_treated", "n_control",
    "converged", "separation", "warnings", "cov_type", "alpha",
]  # fmt: skip

_ESTIMAND = {"binary": "conditional_or", "continuous": "mean_difference", "count": "rate_ratio"}
_SE_SCALE = {"binary": "log_or", "continuous": "mean_difference", "count": "log_rr"}
# Fitted probabilities this close to 0 or 1 signal (quasi-)complete separation.
_SEPARATION_EPS = 1e-8
# Newton iterations before falling back to statsmodels' IRLS (degenerate fits only).
_NEWTON_MAXITER = 50
# Rows per block in the HC3 sums: small temporaries that stay in the CPU cache.
_BLOCK_ROWS = 1 << 14


@dataclass
class Design:
    """A complete-case design matrix (private helper shared with ``analysis.weighting``)."""

    y: np.ndarray
    X: np.ndarray
    names: list[str]
    treat_col: int | None
    used: pd.Index
    n_dropped: int
    notes: list[str] = field(default_factory=list)


def _levels(values: pd.Series) -> list[Any]:
    """Level order: the declared categories of a Categorical, else sorted codes."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique())
        return [c for c in values.cat.categories if c in present]
    return sorted(values.dropna().unique().tolist())


def _codes_and_levels(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Integer codes into the :func:`_levels` order, for a column without missing values.

    One pass over the column (``pandas.factorize``, or the codes of a Categorical), so
    the dummies are built from integers instead of one comparison per level on the
    original values.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        categories = values.cat.categories
        present = np.flatnonzero(np.bincount(codes, minlength=len(categories)))
        remap = np.full(len(categories), -1, dtype=np.intp)
        remap[present] = np.arange(len(present))
        return remap[codes], list(categories[present])
    codes, uniques = pd.factorize(values, sort=True)
    return codes, uniques.tolist()


def _numeric(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="raise").to_numpy(dtype="float64")


def build_design(
    frame: pd.DataFrame,
    outcome: str,
    treatment: str | None,
    covariates: Sequence[str],
    categorical: Sequence[str] = (),
    fixed_effects: Sequence[str] = (),
) -> Design:
    """Complete-case design: intercept, treatment, numeric covariates, dummies.

    Categorical covariates and fixed effects become 0/1 dummies with the first level
    (declared category order, else the smallest code) as reference; a categorical
    covariate with one level among the complete rows adds no column. The treatment is
    read by :func:`analysis._common.as_treatment` (0/1, booleans, text "0"/"1" or a
    two-level Categorical). Raises ValueError when a column is missing or the treatment
    has another coding (the caller's mistake), and
    :class:`analysis.estimability.NotEstimable` (a ValueError) when the data cannot
    support the model, checked in this order:

    - ``outcome_missing``: the outcome has no value at all, or none in one treatment
      group;
    - ``too_few_respondents``: no complete rows, none in one treatment group, or no
      more complete rows than design columns (parameters);
    - ``constant_covariate``: a numeric covariate takes one value in the complete rows;
    - ``collinear``: any other rank deficiency ("design matrix is rank deficient").

    Notes
    -----
    Built column by column into one float64 array (each column one contiguous write,
    then one transposing copy to row-major order); dummies come from the integer codes
    of ``pandas.factorize`` (or of the Categorical). The rank is checked on the p x p
    cross-product ``X'X``, not by a decomposition of X.
    """
    covariates, categorical = list(covariates), list(categorical)
    fixed_effects = list(fixed_effects)
    unknown = set(categorical) - set(covariates)
    if unknown:
        raise ValueError(f"categorical names must also be covariates: {sorted(unknown)}")
    cols = list(dict.fromkeys([outcome, *([treatment] if treatment else []), *covariates,
                               *fixed_effects]))  # fmt: skip
    absent = [c for c in cols if c not in frame.columns]
    if absent:
        raise ValueError(f"columns not in frame: {absent}")
    complete = np.ones(len(frame), dtype=bool)
    for c in cols:
        complete &= frame[c].notna().to_numpy()
    n_used = int(complete.sum())
    if n_used == 0:
        if not frame[outcome].notna().any():
            raise NotEstimable("outcome_missing", f"{outcome} has no values")
        raise NotEstimable("too_few_respondents", "no complete rows for the model variables")
    everyone = n_used == len(frame)

    def column(name: str) -> pd.Series:
        col = frame[name]
        return col if everyone else col.loc[complete]

    # (name, values) per design column; a dummy is (name, (codes, level index))
    blocks: list[tuple[str, Any]] = [("Intercept", None)]
    treat_col = None
    if treatment:
        t_all = as_treatment(frame[treatment], treatment)  # 0/1, bool, "0"/"1", Categorical
        t = t_all if everyone else t_all[complete]
        _check_groups(frame, outcome, treatment, t, t_all)
        blocks.append((treatment, t))
        treat_col = 1
    for name in [*covariates, *fixed_effects]:
        if name in categorical or name in fixed_effects:
            codes, levels = _codes_and_levels(column(name))
            blocks += [(f"{name}[{lv}]", (codes, k)) for k, lv in enumerate(levels) if k]
        else:
            blocks.append((name, _numeric(column(name))))
    seen: set[str] = set()
    blocks = [b for b in blocks if not (b[0] in seen or seen.add(b[0]))]  # first of a name
    XT = np.empty((len(blocks), n_used), dtype="float64")  # one contiguous row per column
    for j, (_, values) in enumerate(blocks):
        if values is None:
            XT[j] = 1.0
        elif isinstance(values, tuple):
            np.equal(values[0], values[1], out=XT[j], casting="unsafe")
        else:
            XT[j] = values
    if n_used <= len(blocks):
        raise NotEstimable("too_few_respondents",
                           f"{n_used} complete rows for {len(blocks)} parameters")
    constant = [name for name, values in blocks[1:] if isinstance(values, np.ndarray)
                and name != treatment and values.min() == values.max()]  # fmt: skip
    if constant:
        raise NotEstimable("constant_covariate", ", ".join(constant))
    X = np.ascontiguousarray(XT.T)  # row-major (C order), as statsmodels' products prefer
    del XT
    # rank of the small p x p cross-product: the same answer for any design that is not
    # nearly collinear, without a singular value decomposition of the n x p matrix
    # (scaled to unit diagonal first, so covariates in large units are not mistaken
    # for collinear ones)
    xtx = X.T @ X
    root = np.sqrt(np.diag(xtx))
    if np.linalg.matrix_rank(xtx / root / root[:, None], hermitian=True) < X.shape[1]:
        raise NotEstimable(
            "collinear",
            "design matrix is rank deficient (collinear covariates, or a level / unit "
            "that coincides with the treatment)",
        )
    y = _numeric(column(outcome))
    used = frame.index if everyone else frame.index[complete]
    return Design(y=y, X=X, names=[b[0] for b in blocks], treat_col=treat_col, used=used,
                  n_dropped=len(frame) - n_used)  # fmt: skip


def _check_groups(frame: pd.DataFrame, outcome: str, treatment: str, t: np.ndarray,
                  t_all: np.ndarray) -> None:
    """Both treatment groups need complete rows: say why one has none."""
    for code in (1.0, 0.0):
        if (t == code).any():
            continue
        group = t_all == code
        if group.any() and not frame.loc[group, outcome].notna().any():
            raise NotEstimable("outcome_missing",
                               f"{outcome} has no values where {treatment} = {code:g}")
        raise NotEstimable("too_few_respondents",
                           f"no complete rows where {treatment} = {code:g}")


def glm_hc3(
    X: np.ndarray,
    y: np.ndarray,
    mu: np.ndarray,
    var_mu: np.ndarray,
    *,
    bread: np.ndarray | None = None,
) -> np.ndarray:
    """HC3 sandwich covariance of a canonical-link GLM (R ``sandwich::vcovHC(type="HC3")``).

    ``bread = (X' W X)^-1`` with ``W = diag(var_mu)``; the score of row i is
    ``x_i (y_i - mu_i)``; it is inflated by ``1 / (1 - h_ii)`` with the GLM hat values
    ``h_ii = var_mu_i x_i' bread x_i``. ``bread`` may be passed when the caller has it.

    statsmodels' GLM / discrete models accept ``cov_type="HC3"`` but silently compute HC0
    for them (``statsmodels.base.covtype``: only OLS has ``cov_HC3``), hence this helper.

    Computed in blocks of rows with matrix products (BLAS), without an n x n hat matrix
    or any n x p temporary: ``h_ii = var_mu_i q_i' x_i`` with ``q_i = bread x_i`` (rows
    of ``X bread``), and ``meat = sum_i u_i u_i'`` with ``u_i = x_i r_i``,
    ``r_i = (y_i - mu_i) / (1 - h_ii)``; the result is ``bread meat bread``.
    """
    n, p = X.shape
    rows = range(0, n, _BLOCK_ROWS)
    if bread is None:
        xtwx = np.zeros((p, p))
        for i in rows:
            x = X[i : i + _BLOCK_ROWS]
            xtwx += x.T @ (x * var_mu[i : i + _BLOCK_ROWS, None])
        bread = np.linalg.inv(xtwx)
    meat = np.zeros((p, p))
    for i in rows:
        block = slice(i, i + _BLOCK_ROWS)
        x = X[block]
        h = var_mu[block] * np.einsum("ij,ij->i", x @ bread, x)
        u = x * ((y[block] - mu[block]) / (1.0 - h))[:, None]
        meat += u.T @ u
    return bread @ meat @ bread


@dataclass
class _Fit:
    params: np.ndarray
    cov: np.ndarray
    use_t: bool
    df_resid: float
    converged: bool
    separation: bool
    notes: list[str]
    mu: np.ndarray


def _start(start_params: Any, p: int) -> np.ndarray | None:
    """Warm-start values if they fit this design (same number of columns), else None."""
    if start_params is None:
        return None
    start = np.asarray(start_params, dtype="float64").ravel()
    return start if len(start) == p and np.isfinite(start).all() else None


def _fit_ols(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS by the normal equations (Cholesky of X'X, one step of iterative refinement)."""
    xtx = X.T @ X
    factor = linalg.cho_factor(xtx)
    b = linalg.cho_solve(factor, X.T @ y)
    b += linalg.cho_solve(factor, X.T @ (y - X @ b))  # refinement: QR-level accuracy
    return b, linalg.cho_solve(factor, np.eye(len(b)))


def _newton(
    X: np.ndarray, y: np.ndarray, kind: Kind, start: np.ndarray | None
) -> tuple[np.ndarray, list[warnings.WarningMessage]] | None:
    """Newton-Raphson ML fit (statsmodels Logit / Poisson); None when it fails.

    ``X`` has full column rank (checked by :func:`build_design`), so statsmodels' own
    rank check (a QR decomposition of X) is skipped, and so is its per-iteration
    perfect-prediction callback: the caller checks the final fit for that instead.
    Without ``start`` the intercept (column 0) starts at the null model's value,
    the slopes at 0.
    """
    if start is None:
        start = np.zeros(X.shape[1])
        ybar = float(y.mean())
        if kind == "count" and ybar > 0:
            start[0] = np.log(ybar)
        elif kind == "binary" and 0 < ybar < 1:
            start[0] = np.log(ybar / (1 - ybar))
    model_class = sm.Logit if kind == "binary" else sm.Poisson
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            res = model_class(y, X, check_rank=False).fit(
                method="newton", maxiter=_NEWTON_MAXITER, disp=0, start_params=start,
                callback=_no_callback,
            )
        except (np.linalg.LinAlgError, ValueError, OverflowError):
            return None
    params = np.asarray(res.params)
    if not res.mle_retvals.get("converged", False) or not np.isfinite(params).all():
        return None
    return params, caught


def _no_callback(params: np.ndarray) -> None:
    """Replaces statsmodels' per-iteration perfect-prediction check (done once after)."""


def _fit(design: Design, kind: Kind, start_params: Any = None) -> _Fit:
    X, y = design.X, design.y
    notes = list(design.notes)
    if kind == "continuous":
        params, bread = _fit_ols(X, y)
        mu = X @ params
        cov = glm_hc3(X, y, mu, np.ones_like(mu), bread=bread)
        return _Fit(params, cov, True, float(len(y) - X.shape[1]), True, False, notes, mu)
    if kind == "binary":
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("binary outcome must be coded 0/1")
        family: sm.families.Family = sm.families.Binomial()
    elif kind == "count":
        if (y < 0).any() or not np.allclose(y, np.round(y)):
            raise ValueError("count outcome must be non-negative integers")
        family = sm.families.Poisson()
    else:
        raise ValueError("kind must be 'binary', 'continuous' or 'count'")
    fast = _newton(X, y, kind, _start(start_params, X.shape[1]))
    converged = True
    if fast is not None:
        params, caught = fast
        with np.errstate(over="ignore"):
            eta = X @ params
            mu = special.expit(eta) if kind == "binary" else np.exp(eta)
    if fast is not None and (_separated(mu, caught) if kind == "binary"
                             else np.allclose(mu - y, 0)):  # fmt: skip
        fast = None  # degenerate: the statsmodels IRLS path below, as before
    if fast is None:
        with warnings.catch_warnings(record=True) as caught, np.errstate(over="ignore"):
            warnings.simplefilter("always")
            res = sm.GLM(y, X, family=family).fit(maxiter=100)
            mu = np.asarray(res.fittedvalues)
        params, converged = np.asarray(res.params), bool(res.converged)
    separation = False
    for w in caught:
        if issubclass(w.category, PerfectSeparationWarning):
            separation = True
        if issubclass(w.category, (PerfectSeparationWarning, ConvergenceWarning)):
            notes.append(str(w.message).strip().splitlines()[0])
    if kind == "binary":
        if ((mu < _SEPARATION_EPS) | (mu > 1 - _SEPARATION_EPS)).any():
            separation = True
        if separation:
            notes.append("(quasi-)complete separation: some fitted probabilities are 0 or 1")
        var_mu = mu * (1.0 - mu)
    else:
        var_mu = mu
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        try:
            cov = glm_hc3(X, y, mu, var_mu)  # inf / NaN under separation: reported
        except np.linalg.LinAlgError:  # X'WX singular: fitted weights of 0 (separation)
            cov = np.full((X.shape[1], X.shape[1]), np.nan)
            separation = separation or kind == "binary"
            notes.append("singular information matrix: no standard errors")
    if not converged:
        notes.append("IRLS did not converge in 100 iterations")
    return _Fit(params, cov, False, float(len(y) - X.shape[1]), converged, separation, notes,
                mu)  # fmt: skip


def _separated(mu: np.ndarray, caught: list[warnings.WarningMessage]) -> bool:
    return bool(
        any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
        or ((mu < _SEPARATION_EPS) | (mu > 1 - _SEPARATION_EPS)).any()
    )


def _ame(design: Design, fit: _Fit, over: np.ndarray | None = None) -> tuple[float, float]:
    """Counterfactual-prediction AME of the treatment on the probability scale.

    ``AME = mean_i [expit(x_i1'b) - expit(x_i0'b)]``, where ``x_i1`` / ``x_i0`` are row i
    with the treatment set to 1 / 0; delta-method SE from the analytic gradient
    ``mean_i [p_i1 (1 - p_i1) x_i1 - p_i0 (1 - p_i0) x_i0]``. Both linear predictors come
    from one product ``X b`` (no copies of X): ``x_i0'b = x_i'b - t_i b_t`` and
    ``x_i1'b = x_i0'b + b_t``; the gradient is ``X'(d1 - d0) / n`` with its treatment
    entry ``mean(d1)`` (``d = p (1 - p)``). ``over`` (a boolean mask of rows) averages
    over those rows only: the treated rows give the AME over the treated (an ATT on the
    risk-difference scale, model-based); the default averages over everyone (an ATE).
    The SE treats the averaging rows as fixed (the delta method on the coefficients).
    """
    j, b = design.treat_col, fit.params
    X = design.X if over is None else design.X[over]
    eta0 = X @ b - X[:, j] * b[j]
    p1, p0 = special.expit(eta0 + b[j]), special.expit(eta0)
    d1, d0 = p1 * (1 - p1), p0 * (1 - p0)
    grad = (d1 - d0) @ X / len(p1)
    grad[j] = d1.mean()
    with np.errstate(invalid="ignore"):  # NaN under separation: reported, not warned
        se = float(np.sqrt(grad @ fit.cov @ grad))
    return float((p1 - p0).mean()), se


def _check_kind(kind: str) -> None:
    if kind not in _ESTIMAND:
        raise ValueError("kind must be 'binary', 'continuous' or 'count'")


def effect_and_se(
    frame: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    *,
    kind: Kind,
    categorical: Sequence[str] = (),
    fixed_effects: Sequence[str] = (),
    start_params: Sequence[float] | np.ndarray | None = None,
) -> dict[str, Any]:
    """Treatment estimate and SE on the scale where Rubin's rules apply.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per person (e.g. one imputed data set).
    outcome, treatment : str
        Column names; the treatment is coded 0/1.
    covariates : sequence of str
        Adjustment covariates (numeric, or listed in ``categorical``).
    kind : {"binary", "continuous", "count"}
        Outcome type: logit, OLS or Poisson model.
    categorical : sequence of str, default ()
        Covariates entered as dummies (first level is the reference).
    fixed_effects : sequence of str, default ()
        Columns entered as fixed-effect dummies (none unless the caller names them).
    start_params : array-like of float, optional
        Starting values for the logit / Poisson fit, e.g. ``params`` of the fit on the
        previous imputed data set (a warm start saves Newton iterations; the estimate is
        the same maximum). Ignored when its length does not match the design (a level
        absent from this data set) or for OLS.

    Returns
    -------
    dict
        ``estimand``; ``scale`` ("log_or", "mean_difference" or "log_rr");
        ``estimate`` and ``se`` on that scale; ``use_t`` and ``df_resid`` (complete-data
        degrees of freedom, for Barnard-Rubin); ``ame`` and ``ame_se`` (risk-difference
        AME over everyone, an ATE, for binary outcomes, else NaN); ``ame_att`` and
        ``ame_att_se`` (the AME over the treated rows, an ATT; binary only);
        ``n_used``, ``n_dropped_missing``,
        ``converged``, ``separation``, ``warnings``; ``params`` (tuple of all
        coefficients, in design order, for ``start_params`` of the next call).

    Notes
    -----
    Same models and HC3 covariance as :func:`adjusted_effect`; see there.
    """
    _check_kind(kind)
    design = build_design(frame, outcome, treatment, covariates, categorical, fixed_effects)
    fit = _fit(design, kind, start_params)
    j = design.treat_col
    nan = float("nan")
    ame, ame_se = _ame(design, fit) if kind == "binary" else (nan, nan)
    treated = design.X[:, j] == 1
    ame_att, ame_att_se = _ame(design, fit, treated) if kind == "binary" else (nan, nan)
    with np.errstate(invalid="ignore"):  # NaN under separation: reported, not warned
        se = float(np.sqrt(fit.cov[j, j]))
    return {
        "estimand": _ESTIMAND[kind],
        "scale": _SE_SCALE[kind],
        "estimate": float(fit.params[j]),
        "se": se,
        "use_t": fit.use_t,
        "df_resid": fit.df_resid,
        "ame": ame,
        "ame_se": ame_se,
        "ame_att": ame_att,
        "ame_att_se": ame_att_se,
        "n_used": len(design.y),
        "n_dropped_missing": design.n_dropped,
        "n_treated": int(design.X[:, j].sum()),
        "converged": fit.converged,
        "separation": fit.separation,
        "warnings": "; ".join(dict.fromkeys(fit.notes)),
        "params": tuple(float(v) for v in fit.params),
    }


def _interval(est: float, se: float, alpha: float, df: float | None) -> tuple[float, float, float]:
    """CI bounds and two-sided p-value (t with ``df`` if given, else normal)."""
    dist = stats.t(df) if df is not None else stats.norm()
    crit = dist.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = float(2 * dist.sf(abs(est / se)))
    return est - crit * se, est + crit * se, p


def adjusted_effect(
    frame: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    *,
    kind: Kind,
    categorical: Sequence[str] = (),
    fixed_effects: Sequence[str] = (),
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Covariate-adjusted effect of a 0/1 treatment (fixed effects as named by the caller).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per person; not modified.
    outcome, treatment : str
        Column names; the treatment is coded 0/1 (1 = treated).
    covariates : sequence of str
        Adjustment covariates; numeric unless listed in ``categorical``.
    kind : {"binary", "continuous", "count"}
        ``"binary"``: logistic regression -> conditional odds ratio, plus the average
        marginal effect (AME) on the risk-difference scale. ``"continuous"``: OLS ->
        mean difference. ``"count"``: Poisson GLM -> rate ratio.
    categorical : sequence of str, default ()
        Covariates entered as 0/1 dummies, the first level (declared category order of a
        pandas Categorical, else the smallest code) being the reference.
    fixed_effects : sequence of str, default ()
        Columns entered as fixed-effect dummies (same coding); none unless named.
    alpha : float, default 0.05
        Confidence level ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        One row with columns :data:`MODEL_COLUMNS`:

        - ``estimand``: "conditional_or", "mean_difference" or "rate_ratio";
        - ``estimate, ci_low, ci_high, p_val``: on the natural scale (OR, MD, RR);
        - ``se`` on ``se_scale`` ("log_or", "mean_difference", "log_rr");
        - ``ame, ame_ci_low, ame_ci_high, ame_se, ame_p_val``: binary outcomes only
          (else NaN): the treatment AME on the risk-difference scale;
        - ``n_used`` (complete rows), ``n_dropped_missing``, ``n_treated``, ``n_control``;
        - ``converged``, ``separation`` (bool), ``warnings`` (text, "" when none);
        - ``cov_type`` ("HC3"), ``alpha``.

    Notes
    -----
    - Missing data: complete-case analysis over outcome, treatment, covariates and
      fixed effects; dropped rows are counted (use multiple imputation with
      :func:`effect_and_se` to do better).
    - Fitting: logit and Poisson by maximum likelihood with Newton-Raphson (statsmodels
      ``Logit`` / ``Poisson``, ``method="newton"``: analytic Hessian ``X'WX``, no
      decomposition of the n x p design); if that fails, does not converge in 50
      iterations or separates (see below), statsmodels' GLM IRLS (100 iterations) is
      used instead, as in earlier versions. OLS by the normal equations (Cholesky of
      ``X'X``, one refinement step). Estimates agree with statsmodels' GLM / OLS fits to
      about 1e-12 relative.
    - Covariance: HC3 heteroskedasticity-consistent sandwich for every kind, computed with
      GLM hat values (as R's ``sandwich::vcovHC(fit, type = "HC3")``); for OLS this is
      statsmodels' ``cov_type="HC3"``. statsmodels silently returns HC0 when asked for
      HC3 on a GLM, hence the own computation (:func:`glm_hc3`). Cluster-robust SEs
      by unit are NOT used: with five units the cluster sandwich is badly downward biased
      (few-cluster problem; Cameron & Miller 2015) and units are fixed effects anyway.
    - Intervals: Wald, normal for the GLMs (on the log scale, then exponentiated) and t
      with the residual df for OLS.
    - AME: mean over the used rows of the predicted probability with treatment set to 1
      minus that with treatment set to 0; delta-method SE with the analytic gradient and
      the HC3 covariance.
    - Separation: flagged when statsmodels warns of perfect separation or any fitted
      probability is within 1e-8 of 0 or 1; the estimate is then not meaningful (a
      penalised / Firth fit would be needed). Non-convergence is flagged, not raised.
    - Not estimable: data that cannot support the model (too few respondents, an
      outcome missing in a group, a constant covariate, collinearity) raise
      :class:`analysis.estimability.NotEstimable` with the reason
      (:func:`build_design`); so does :func:`effect_and_se`.

    References
    ----------
    Long JS, Ervin LH (2000). Using heteroscedasticity consistent standard errors in the
    linear regression model. The American Statistician 54:217-224.
    Zeileis A (2006). Object-oriented computation of sandwich estimators. Journal of
    Statistical Software 16(9).
    Cameron AC, Miller DL (2015). A practitioner's guide to cluster-robust inference.
    Journal of Human Resources 50:317-372.
    Williams R (2012). Using the margins command to estimate and interpret adjusted
    predictions and marginal effects. Stata Journal 12:308-331.
    """
    _check_kind(kind)
    r = effect_and_se(frame, outcome, treatment, covariates, kind=kind,
                      categorical=categorical, fixed_effects=fixed_effects)  # fmt: skip
    df = r["df_resid"] if r["use_t"] else None
    lo, hi, p = _interval(r["estimate"], r["se"], alpha, df)
    if kind == "continuous":
        est, ci_low, ci_high = r["estimate"], lo, hi
    else:
        est, ci_low, ci_high = float(np.exp(r["estimate"])), float(np.exp(lo)), float(np.exp(hi))
    nan = float("nan")
    ame_lo = ame_hi = ame_p = nan
    if kind == "binary":
        ame_lo, ame_hi, ame_p = _interval(r["ame"], r["ame_se"], alpha, None)
    row = {
        "outcome": outcome, "treatment": treatment, "kind": kind, "estimand": r["estimand"],
        "estimate": est, "ci_low": float(ci_low), "ci_high": float(ci_high), "p_val": p,
        "se": r["se"], "se_scale": r["scale"],
        "ame": r["ame"], "ame_ci_low": ame_lo, "ame_ci_high": ame_hi,
        "ame_se": r["ame_se"], "ame_p_val": ame_p,
        "n_used": r["n_used"], "n_dropped_missing": r["n_dropped_missing"],
        "n_treated": r["n_treated"], "n_control": r["n_used"] - r["n_treated"],
        "converged": r["converged"], "separation": r["separation"], "warnings": r["warnings"],
        "cov_type": "HC3", "alpha": alpha,
    }  # fmt: skip
    return pd.DataFrame([row], columns=MODEL_COLUMNS)
