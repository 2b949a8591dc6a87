"""Map statistics: spatial information (BNT and Skaggs forms), sparsity, selectivity, coherence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from hippocore._checks import as_float_array
from hippocore.analysis._stack import as_map_stack, unit_values

__all__ = ["MapStats", "SkaggsInformation", "map_stats", "skaggs_information", "coherence"]


@dataclass(frozen=True)
class MapStats:
    """Statistics of rate maps (BNT ``mapStatsPDF``); floats for one map, ``(unit,)`` arrays for a stack.

    Attributes
    ----------
    information_rate : float or ndarray
        Spatial information rate (bits/s), BNT clipped form: ``sum p_i r_i log2(max(r_i/r, 1))``.
    information_content : float or ndarray
        ``information_rate / mean_rate`` (bits/spike).
    sparsity : float or ndarray
        ``mean_rate**2 / sum p_i r_i**2``, in (0, 1].
    selectivity : float or ndarray
        ``peak_rate / mean_rate``.
    mean_rate : float or ndarray
        Occupancy-weighted mean rate ``sum p_i r_i`` (Hz).
    peak_rate : float or ndarray
        Highest rate in the map (Hz).
    """

    information_rate: float | NDArray[np.float64]
    information_content: float | NDArray[np.float64]
    sparsity: float | NDArray[np.float64]
    selectivity: float | NDArray[np.float64]
    mean_rate: float | NDArray[np.float64]
    peak_rate: float | NDArray[np.float64]


@dataclass(frozen=True)
class SkaggsInformation:
    """Textbook Skaggs et al. (1993) spatial information; floats or ``(unit,)`` arrays.

    Attributes
    ----------
    rate : float or ndarray
        ``sum p_i r_i log2(r_i / r)`` (bits/s), negative terms included.
    content : float or ndarray
        ``rate / mean_rate`` (bits/spike).
    """

    rate: float | NDArray[np.float64]
    content: float | NDArray[np.float64]


def _occupancy_pdf(
    stack: NDArray[np.float64], occupancy: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return (rates with invalid bins as 0, occupancy probability with invalid bins as 0)."""
    occ = as_float_array(occupancy, "occupancy", ndim=(2, 3))
    if occ.shape[-2:] != stack.shape[-2:] or (occ.ndim == 3 and occ.shape != stack.shape):
        raise ValueError(
            f"occupancy must have the map's shape {stack.shape[-2:]} (or the stack's "
            f"{stack.shape}); got {occ.shape}."
        )
    if np.any(occ[np.isfinite(occ)] < 0) or np.isinf(occ).any():
        raise ValueError("occupancy must be non-negative finite times (s) or NaN.")
    occ = np.broadcast_to(occ, stack.shape)
    valid = np.isfinite(stack) & np.isfinite(occ)
    t = np.where(valid, occ, 0.0)
    total = t.sum(axis=(1, 2), keepdims=True)
    p = t / (total + np.finfo(float).eps)
    return np.where(valid, stack, 0.0), p


def map_stats(rate: ArrayLike, occupancy: ArrayLike) -> MapStats:
    """Spatial information, sparsity, selectivity, mean and peak rate (BNT ``mapStatsPDF``).

    With ``p_i = t_i / sum t`` the occupancy probability and ``r = sum p_i r_i`` the mean rate,
    the information rate is ``sum p_i r_i log2(max(r_i / r, 1))`` bits/s: BNT clips the log
    argument at 1, so bins below the mean add nothing. For the textbook form that keeps the
    negative terms use :func:`skaggs_information`. BNT computes these on the *smoothed* map
    and smoothed occupancy.

    Parameters
    ----------
    rate : array_like of shape (y, x) or (unit, y, x)
        Rate map(s) (Hz).
    occupancy : array_like of shape (y, x)
        Time spent in each bin (s); one map shared by the stack, or a stack of the same shape.

    Returns
    -------
    MapStats
        Floats for one map, ``(unit,)`` arrays for a stack. A silent map (mean rate 0) has
        NaN information, selectivity and sparsity, like BNT.

    Notes
    -----
    NaN policy: bins where the rate or the occupancy is NaN are left out of every sum.

    References
    ----------
    BNT ``analyses.mapStatsPDF`` (github.com/brkanter/BNT @ a872035); Skaggs et al. (1993).
    """
    stack, single = as_map_stack(rate, "rate")
    z, p = _occupancy_pdf(stack, occupancy)
    mean = (z * p).sum(axis=(1, 2))
    mean_sq = (z**2 * p).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        peak = np.nanmax(np.where(np.isfinite(stack), stack, -np.inf), axis=(1, 2))
    peak = np.where(np.isfinite(peak), peak, np.nan)
    silent = ~(mean > 0)
    safe_mean = np.where(silent, 1.0, mean)[:, None, None]
    log_arg = np.maximum(z / safe_mean, 1.0)
    info = (p * z * np.log2(log_arg)).sum(axis=(1, 2))
    info = np.where(silent, np.nan, info)
    with np.errstate(invalid="ignore", divide="ignore"):
        sparsity = np.where(mean_sq > 0, mean**2 / np.where(mean_sq > 0, mean_sq, 1.0), np.nan)
        selectivity = np.where(silent, np.nan, peak / np.where(silent, 1.0, mean))
        content = np.where(silent, np.nan, info / np.where(silent, 1.0, mean))
    return MapStats(
        information_rate=unit_values(info, single),
        information_content=unit_values(content, single),
        sparsity=unit_values(sparsity, single),
        selectivity=unit_values(selectivity, single),
        mean_rate=unit_values(mean, single),
        peak_rate=unit_values(peak, single),
    )


def skaggs_information(rate: ArrayLike, occupancy: ArrayLike) -> SkaggsInformation:
    """Textbook Skaggs spatial information, negative terms included.

    ``I = sum p_i r_i log2(r_i / r)`` bits/s and ``I / r`` bits/spike, with ``0 log 0 = 0``.
    It is never larger than the BNT clipped form of :func:`map_stats`.

    Parameters
    ----------
    rate : array_like of shape (y, x) or (unit, y, x)
        Rate map(s) (Hz), non-negative.
    occupancy : array_like of shape (y, x)
        Time per bin (s).

    Returns
    -------
    SkaggsInformation
        NaN for a silent map.

    Notes
    -----
    NaN policy: bins where the rate or the occupancy is NaN are left out.

    References
    ----------
    Skaggs, McNaughton, Gothard & Markus (1993), NIPS 5, 1030-1037.
    """
    stack, single = as_map_stack(rate, "rate")
    if np.any(stack[np.isfinite(stack)] < 0):
        raise ValueError("rate must be non-negative for spatial information; got negative bins.")
    z, p = _occupancy_pdf(stack, occupancy)
    mean = (z * p).sum(axis=(1, 2))
    silent = ~(mean > 0)
    ratio = z / np.where(silent, 1.0, mean)[:, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(ratio > 0, p * z * np.log2(np.where(ratio > 0, ratio, 1.0)), 0.0)
    info = np.where(silent, np.nan, terms.sum(axis=(1, 2)))
    content = np.where(silent, np.nan, info / np.where(silent, 1.0, mean))
    return SkaggsInformation(rate=unit_values(info, single), content=unit_values(content, single))


_NEIGHBOURS = np.full((1, 3, 3), 0.125)
_NEIGHBOURS[0, 1, 1] = 0.0


def coherence(rate_raw: ArrayLike, *, normalize: bool = True) -> float | NDArray[np.float64]:
    """Spatial coherence (BNT ``coherence``): Pearson r of each bin with its 8-neighbour mean.

    NaN bins are set to 0, the mean of the 8 neighbours is taken with zero padding outside
    the map, and Pearson's r is computed over all bins; with ``normalize=True`` (BNT default)
    the result is Fisher-transformed, ``atanh(r)``. Kavli computes it on the *unsmoothed*
    map (BNT ``map.zRaw``).

    Parameters
    ----------
    rate_raw : array_like of shape (y, x) or (unit, y, x)
        Unsmoothed rate map(s) (Hz).
    normalize : bool, default True
        Apply ``atanh``.

    Returns
    -------
    float or ndarray of shape (unit,)
        NaN for a constant (e.g. all-zero or all-NaN) map.

    References
    ----------
    BNT ``analyses.coherence`` (github.com/brkanter/BNT @ a872035); Muller & Kubie (1989).
    """
    stack, single = as_map_stack(rate_raw, "rate_raw")
    z = np.nan_to_num(stack, nan=0.0)
    avg = ndimage.correlate(z, _NEIGHBOURS, mode="constant", cval=0.0)
    r = _pearson_rows(z.reshape(z.shape[0], -1), avg.reshape(z.shape[0], -1))
    if normalize:
        with np.errstate(divide="ignore"):
            r = np.arctanh(r)
    return unit_values(r, single)


def _pearson_rows(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Pearson r of matching rows of ``a`` and ``b`` (NaN where either row is constant)."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    num = (a * b).sum(axis=1)
    den = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    ok = den > 0
    return np.clip(np.where(ok, num / np.where(ok, den, 1.0), np.nan), -1.0, 1.0)
