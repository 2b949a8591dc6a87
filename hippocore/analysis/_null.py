"""Percentiles of shuffled nulls in which an undefined (NaN) shuffle never beats the unit.

Scores such as BNT gridness are NaN for many shuffled maps (no central autocorrelogram
peak). Dropping those shuffles builds a unit's threshold from whatever few finite values
remain, so the threshold, and the fraction of units that pass, depend on how many shuffles
were drawn (issue 12). For scores where higher means more tuned, a shuffle whose score is
undefined did not beat the unit: it is placed below every number (NaN -> -inf) and kept.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["percentile_nan_low", "count_finite"]


def percentile_nan_low(values: ArrayLike, q: float, *, axis: int = -1) -> NDArray[np.float64]:
    """``q``-th percentile along ``axis`` with NaN counted as lower than every number.

    NaN values are replaced by -inf (never dropped), then the percentile is taken with
    linear interpolation between the two nearest ranks (numpy's default method, so the
    result equals ``np.percentile`` when every value is finite). Where the lower rank is
    -inf and the upper one a number, the upper one is returned (the unit must beat a real
    shuffle score: the conservative side); where both are -inf, -inf is returned, meaning
    more than ``100 - q`` % of the values are undefined and the null does not bind.

    Parameters
    ----------
    values : array_like
        Null scores (e.g. ``(unit, n_shuffles)``), higher = more tuned.
    q : float
        Percentile in [0, 100].
    axis : int, default -1
        Axis of the shuffles.

    Returns
    -------
    ndarray
        ``values`` with ``axis`` removed; -inf where the percentile falls among NaN values,
        NaN where ``axis`` is empty.
    """
    v = np.array(values, dtype=np.float64, copy=True)
    if not 0 <= q <= 100:
        raise ValueError(f"q must be a percentile in [0, 100]; got {q!r}.")
    v[np.isnan(v)] = -np.inf
    v = np.moveaxis(v, axis, -1)
    n = v.shape[-1]
    if n == 0:
        return np.full(v.shape[:-1], np.nan)
    s = np.sort(v, axis=-1)
    pos = q / 100.0 * (n - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, n - 1)
    frac = pos - lo
    a, b = s[..., lo], s[..., hi]
    with np.errstate(invalid="ignore"):
        out = a + (b - a) * frac
    out = np.where(np.isneginf(a), np.where(frac > 0, b, a), out)
    out = np.where(a == b, a, out)  # also exact for equal ranks and +-inf pairs
    return out


def count_finite(values: ArrayLike, *, axis: int = -1) -> NDArray[np.int64]:
    """Number of finite values along ``axis`` (shuffles with a defined score).

    Parameters
    ----------
    values : array_like
        Null scores.
    axis : int, default -1
        Axis of the shuffles.

    Returns
    -------
    ndarray of int
    """
    return np.isfinite(np.asarray(values, dtype=np.float64)).sum(axis=axis).astype(np.int64)
