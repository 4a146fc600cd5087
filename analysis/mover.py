"""MOVER intervals: the interval of a difference built from the intervals of its two
parts (Zou & Donner 2008's "method of variance estimates recovery").

The chapter uses it for the risk difference of a propensity-score weighted comparison
below the sandwich's effective-size threshold: the difference of the treated mean and
the weighted control mean, each a proportion with an interval on the logit scale (Wald,
with the stratified bootstrap's SE of the logit). A heavily weighted control mean is
bounded and skewed; the Wald interval of the difference ignores both and was too narrow
in the project's simulation study (type-I error 7.2% at the example's size, see
``docs/method_validation.md``), the logit scale of each part respects them. Newcombe's
(1998) hybrid score interval for two independent proportions is the same construction
with Wilson intervals for the parts.

References
----------
Zou GY, Donner A (2008). Construction of confidence limits about effect measures: a
general approach. Statistics in Medicine 27:1693-1702.
Newcombe RG (1998). Interval estimation for the difference between independent
proportions. Statistics in Medicine 17:873-890.
"""

from __future__ import annotations

import math

import numpy as np

from analysis._lazy import lazy_import

optimize = lazy_import("scipy.optimize")
special = lazy_import("scipy.special")
stats = lazy_import("scipy.stats")

__all__ = ["mover_difference", "logit_interval", "mover_logit_difference", "replicate_correlation"]

#: Smallest p-value reported: the level at which the interval is searched first.
P_FLOOR = 1e-15


def mover_difference(
    theta1: float, ci1: tuple[float, float], theta0: float, ci0: tuple[float, float],
    r: float = 0.0,
) -> tuple[float, float]:  # fmt: skip
    """Interval of ``theta1 - theta0`` from the intervals ``ci1`` and ``ci0`` of its parts.

    ``L = d - sqrt((theta1 - l1)^2 + (u0 - theta0)^2 - 2 r (theta1 - l1)(u0 - theta0))``
    and ``U = d + sqrt((u1 - theta1)^2 + (theta0 - l0)^2 - 2 r (u1 - theta1)(theta0 - l0))``
    with ``d = theta1 - theta0`` and ``r`` the correlation of the two estimates (0 when
    they are independent; Zou & Donner 2008, eq. 6).
    """
    (l1, u1), (l0, u0) = ci1, ci0
    d = theta1 - theta0
    a, b = theta1 - l1, u0 - theta0
    c, e = u1 - theta1, theta0 - l0
    low = d - math.sqrt(max(a * a + b * b - 2 * r * a * b, 0.0))
    high = d + math.sqrt(max(c * c + e * e - 2 * r * c * e, 0.0))
    return low, high


def logit_interval(p: float, se_logit: float, crit: float) -> tuple[float, float]:
    """Wald interval of a proportion on the logit scale, back-transformed:
    ``expit(logit(p) -/+ crit * se_logit)``."""
    x = float(special.logit(p))
    return float(special.expit(x - crit * se_logit)), float(special.expit(x + crit * se_logit))


def mover_logit_difference(
    p1: float, se1: float, p0: float, se0: float, *, r: float = 0.0,
    df1: float = math.inf, df0: float = math.inf, alpha: float = 0.05,
) -> dict[str, float]:  # fmt: skip
    """Interval and p-value of ``p1 - p0`` by MOVER from logit-scale intervals of the two
    proportions.

    ``se1``, ``se0``: SEs of ``logit(p1)`` and ``logit(p0)``; ``df1``, ``df0``: degrees of
    freedom of each part's t quantile (infinite: normal; after multiple imputation,
    Rubin's); ``r``: the correlation of the two estimates. The p-value inverts the
    interval: the ``alpha'`` at which the ``1 - alpha'`` interval's bound nearer zero
    reaches zero (a test of ``p1 = p0`` that agrees with the interval at every level;
    floored at :data:`P_FLOOR`). Returns ``estimate, ci_low, ci_high, p_val``; all but
    the estimate NaN when a proportion is 0 or 1 or an SE is not finite and positive.
    """
    d = p1 - p0
    nan = float("nan")
    if not (0 < p1 < 1 and 0 < p0 < 1 and all(math.isfinite(s) and s > 0 for s in (se1, se0))):
        return {"estimate": d, "ci_low": nan, "ci_high": nan, "p_val": nan}

    def bounds(level_alpha: float) -> tuple[float, float]:
        q1 = float(stats.t.ppf(1 - level_alpha / 2, df1))
        q0 = float(stats.t.ppf(1 - level_alpha / 2, df0))
        return mover_difference(p1, logit_interval(p1, se1, q1), p0,
                                logit_interval(p0, se0, q0), r)  # fmt: skip

    low, high = bounds(alpha)
    if d == 0:
        p_val = 1.0
    else:
        # the bound facing zero moves monotonically from beyond zero (alpha' -> 0) to d
        # (alpha' -> 1): its root in alpha' is the p-value
        def facing(a: float) -> float:
            lo, hi = bounds(a)
            return lo if d > 0 else -hi

        if facing(P_FLOOR) >= 0:
            p_val = P_FLOOR
        else:
            p_val = float(optimize.brentq(facing, P_FLOOR, 1.0 - 1e-12, xtol=1e-14,
                                          rtol=1e-12))  # fmt: skip
    return {"estimate": d, "ci_low": low, "ci_high": high, "p_val": p_val}


def replicate_correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two estimates' bootstrap replicates (finite pairs); 0 when
    either does not vary."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3 or x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])
