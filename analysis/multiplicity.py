"""Multiple-testing adjustment of p-value families."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from analysis._lazy import lazy_import

multitest = lazy_import("statsmodels.stats.multitest")

__all__ = ["adjust_pvalues"]


def adjust_pvalues(p: Sequence[float], method: Literal["holm", "fdr_bh", "none"]) -> np.ndarray:
    """Adjust a family of p-values for multiplicity.

    Parameters
    ----------
    p : sequence of float
        Raw p-values in [0, 1]; NaN (or None / pd.NA) marks a test that was not
        performed. It stays NaN and is excluded from the family (the family size is
        the number of non-missing p-values).
    method : {"holm", "fdr_bh", "none"}
        Holm (1979) step-down FWER control, Benjamini-Hochberg (1995) FDR control, or
        no adjustment (a float copy of the input).

    Returns
    -------
    numpy.ndarray
        Adjusted p-values (float64), same order and length as ``p``.

    Notes
    -----
    Uses ``statsmodels.stats.multitest.multipletests(pvals, method=method)[1]``
    (adjusted values are capped at 1 and made monotone as usual).

    References
    ----------
    Holm S (1979). A simple sequentially rejective multiple test procedure. Scand J
    Statist 6:65-70.
    Benjamini Y, Hochberg Y (1995). Controlling the false discovery rate. JRSS B
    57:289-300.
    """
    if method not in ("holm", "fdr_bh", "none"):
        raise ValueError("method must be 'holm', 'fdr_bh' or 'none'")
    arr = pd.Series(list(p), dtype="Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    mask = ~np.isnan(arr)
    if ((arr[mask] < 0) | (arr[mask] > 1)).any():
        raise ValueError("p-values must lie in [0, 1]")
    out = arr.copy()
    if method != "none" and mask.any():
        out[mask] = multitest.multipletests(arr[mask], method=method)[1]
    return out
