"""How many imputations and how many MICE cycles: von Hippel's two-stage rule and a
Gelman-Rubin convergence check of the chains.

Both are pure functions of numbers the imputation run already has (a pilot's fraction of
missing information, the chains' trace of the imputed values); the run itself is
:mod:`analysis.pmm`, the pooling :mod:`analysis.pooling`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis._lazy import lazy_import

stats = lazy_import("scipy.stats")

__all__ = ["imputations_needed", "gelman_rubin", "burn_in_needed"]

IMPUTATIONS_COLUMNS = ["fmi", "m_pilot", "alpha", "fmi_upper", "cv", "m_rule", "m_min",
                       "m_max", "m"]  # fmt: skip
#: The rule as the report prints it.
RULE = "m = 1 + ½ (FMI / CV)²"
BURN_IN_COLUMNS = ["burn_in", "converged", "r_hat", "threshold", "iterations", "chains"]


def imputations_needed(
    fmi: float, m_pilot: int, *, cv: float = 0.05, alpha: float = 0.05, m_min: int = 2,
    m_max: int = 100,
) -> pd.DataFrame:  # fmt: skip
    """The number of imputations by von Hippel's (2020) two-stage quadratic rule.

    Parameters
    ----------
    fmi : float
        The fraction of missing information estimated from a pilot of ``m_pilot``
        imputations (take the largest over the estimates that matter).
    m_pilot : int
        Imputations in the pilot (at least 2).
    cv : float, default 0.05
        Target coefficient of variation of the standard error across re-imputations: with
        ``cv = 0.05`` a standard error would change by about 5% if the data were imputed
        again.
    alpha : float, default 0.05
        The FMI's upper bound is that of a two-sided ``1 - alpha`` interval.
    m_min, m_max : int
        Bounds on the result (the analysis plan's).

    Returns
    -------
    pandas.DataFrame
        One row: ``fmi, m_pilot, alpha, fmi_upper, cv, m_rule, m_min, m_max, m``.

    Notes
    -----
    von Hippel (2020), eq. (4) and the two-stage procedure of his section 5::

        fmi_upper = logistic(logit(fmi) + z_{1 - alpha/2} * sqrt(2 / m_pilot))
        m_rule    = ceil(1 + 1/2 * (fmi_upper / cv)^2)
        m         = min(max(m_rule, m_min, m_pilot), m_max)

    The upper bound makes the second stage conservative (the pilot's FMI is itself an
    estimate, with SE of about ``sqrt(2 / m_pilot)`` on the logit scale). The pilot's
    imputations count towards ``m`` (so ``m >= m_pilot``). The same computation as R's
    ``howManyImputations::how_many_imputations(model, cv, alpha)``. An FMI of 0 (no
    between-imputation variance) gives ``m_rule = 1``; 1 gives ``fmi_upper = 1``.

    References
    ----------
    von Hippel PT (2020). How many imputations do you need? A two-stage calculation
    using a quadratic rule. Sociological Methods & Research 49(3):699-718.
    """
    if m_pilot < 2:
        raise ValueError("the pilot needs at least two imputations")
    if not 0 < cv:
        raise ValueError("cv must be positive")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    if not 1 <= m_min <= m_max:
        raise ValueError("need 1 <= m_min <= m_max")
    if not (math.isfinite(fmi) and 0.0 <= fmi <= 1.0):
        raise ValueError(f"fmi must be a fraction between 0 and 1, not {fmi!r}")
    if fmi == 0.0 or fmi == 1.0:
        upper = fmi
    else:
        z = float(stats.norm.ppf(1.0 - alpha / 2.0))
        logit = math.log(fmi / (1.0 - fmi)) + z * math.sqrt(2.0 / m_pilot)
        upper = 1.0 / (1.0 + math.exp(-logit))
    m_rule = int(math.ceil(1.0 + 0.5 * (upper / cv) ** 2 - 1e-12))
    m = min(max(m_rule, m_min, m_pilot), m_max)
    row = {"fmi": float(fmi), "m_pilot": int(m_pilot), "alpha": float(alpha),
           "fmi_upper": upper, "cv": float(cv), "m_rule": m_rule, "m_min": int(m_min),
           "m_max": int(m_max), "m": int(m)}  # fmt: skip
    return pd.DataFrame([row], columns=IMPUTATIONS_COLUMNS)


def gelman_rubin(trace: np.ndarray) -> np.ndarray:
    """Gelman and Rubin's (1992) potential scale reduction factor, per variable.

    ``trace`` has shape (chains, iterations, variables): one value per chain, iteration
    and traced quantity (e.g. the mean of a column's imputed values after each MICE
    cycle, what mice's trace plots show). With ``n`` iterations and ``W`` the mean of the
    chains' variances, ``B / n`` the variance of the chains' means (both ``ddof=1``)::

        var_plus = (n - 1) / n * W + B / n,     R_hat = sqrt(var_plus / W)

    (BDA3 §11.4, without splitting the chains). A quantity that does not move at all
    (``W = B = 0``, e.g. one missing value always given the same donor value) has
    ``R_hat = 1``; ``W = 0 < B`` gives infinity. Needs at least two chains and two
    iterations.
    """
    x = np.asarray(trace, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError("trace must have shape (chains, iterations, variables)")
    chains, n, _ = x.shape
    if chains < 2 or n < 2:
        raise ValueError("need at least two chains and two iterations")
    w = x.var(axis=1, ddof=1).mean(axis=0)
    b_over_n = x.mean(axis=1).var(axis=0, ddof=1)
    var_plus = (n - 1) / n * w + b_over_n
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.sqrt(var_plus / w)
    r = np.where(w > 0, r, np.where(b_over_n > 0, np.inf, 1.0))
    return r


def burn_in_needed(trace: np.ndarray, *, threshold: float = 1.1, minimum: int = 5) -> pd.DataFrame:
    """The number of MICE cycles after which the chains have mixed.

    ``trace`` as for :func:`gelman_rubin` (chains, cycles, variables), one entry per cycle
    from the first. The burn-in is the smallest ``t >= minimum`` such that every
    variable's R-hat over the second half of the first ``t`` cycles (cycles
    ``t // 2 + 1 .. t``: the first half is discarded, as Gelman and Rubin do) is below
    ``threshold``. When no ``t`` up to the traced length qualifies, the burn-in is the
    traced length and ``converged`` is False.

    Returns one row: ``burn_in, converged, r_hat`` (the largest R-hat at that burn-in),
    ``threshold, iterations`` (traced cycles), ``chains``.
    """
    x = np.asarray(trace, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError("trace must have shape (chains, iterations, variables)")
    chains, iterations, _ = x.shape
    if minimum < 1:
        raise ValueError("minimum must be at least 1")
    burn_in, r_max, converged = iterations, float("nan"), False
    for t in range(max(minimum, 4), iterations + 1):  # >= 2 cycles in the second half
        r = gelman_rubin(x[:, t // 2 : t, :])
        r_max = float(r.max()) if r.size else 1.0
        if r_max < threshold:
            burn_in, converged = t, True
            break
    row = {"burn_in": max(burn_in, minimum) if converged else iterations,
           "converged": converged, "r_hat": r_max, "threshold": float(threshold),
           "iterations": iterations, "chains": chains}  # fmt: skip
    return pd.DataFrame([row], columns=BURN_IN_COLUMNS)
