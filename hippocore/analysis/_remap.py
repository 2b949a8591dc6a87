"""Remapping measures: spatial cross-correlation and population-vector correlation (BNT)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore.analysis._stack import as_map_stack

__all__ = ["spatial_correlation", "population_vector_correlation"]


def spatial_correlation(map_a: ArrayLike, map_b: ArrayLike) -> float | NDArray[np.float64]:
    """Pearson r between two rate maps over the bins valid in both (BNT ``spatialCrossCorrelation``).

    The standard remapping measure: the correlation of a cell's maps in two sessions or
    environments. Stacks are paired unit by unit.

    Parameters
    ----------
    map_a, map_b : array_like of shape (y, x) or (unit, y, x)
        Rate maps of the same shape.

    Returns
    -------
    float or ndarray of shape (unit,)
        NaN when fewer than 2 bins are valid in both maps or either map is constant there.

    Notes
    -----
    NaN policy: a bin that is NaN in either map is left out. Unlike BNT (which warns and
    returns NaN) maps of different shapes raise ``ValueError``.

    References
    ----------
    BNT ``analyses.spatialCrossCorrelation`` (github.com/brkanter/BNT @ a872035).
    """
    a, single_a = as_map_stack(map_a, "map_a")
    b, single_b = as_map_stack(map_b, "map_b")
    if a.shape != b.shape:
        raise ValueError(
            f"map_a and map_b must have the same shape; got {np.shape(map_a)} and "
            f"{np.shape(map_b)}. Build both maps with the same limits and bin size."
        )
    a = a.reshape(a.shape[0], -1)
    b = b.reshape(b.shape[0], -1)
    valid = np.isfinite(a) & np.isfinite(b)
    n = valid.sum(axis=1)
    a0, b0 = np.where(valid, a, 0.0), np.where(valid, b, 0.0)
    nn = np.maximum(n, 1)[:, None]
    da = np.where(valid, a0 - a0.sum(axis=1, keepdims=True) / nn, 0.0)
    db = np.where(valid, b0 - b0.sum(axis=1, keepdims=True) / nn, 0.0)
    den = np.sqrt((da * da).sum(axis=1) * (db * db).sum(axis=1))
    ok = (n >= 2) & (den > 0)
    r = np.clip(np.where(ok, (da * db).sum(axis=1) / np.where(ok, den, 1.0), np.nan), -1, 1)
    return float(r[0]) if single_a and single_b else r


def population_vector_correlation(stack_a: ArrayLike, stack_b: ArrayLike) -> NDArray[np.float64]:
    """Per-bin Pearson r across cells between two stacks (BNT ``populationVectorCorrelation``).

    For each bin, the vector of all cells' rates in ``stack_a`` is correlated with the same
    cells' vector in ``stack_b``.

    Parameters
    ----------
    stack_a, stack_b : array_like of shape (unit, y, x)
        Rate maps of the same cells, in the same order, with the same bins.

    Returns
    -------
    ndarray of shape (y, x)
        NaN where any cell is NaN in that bin or either population vector is constant
        (BNT with ``'rows','all'`` writes 0 there); ``np.nanmean`` of it is the usual summary.

    References
    ----------
    BNT ``analyses.populationVectorCorrelation`` (github.com/brkanter/BNT @ a872035).
    """
    a, single_a = as_map_stack(stack_a, "stack_a")
    b, single_b = as_map_stack(stack_b, "stack_b")
    if single_a or single_b:
        raise ValueError(
            "stack_a and stack_b must be stacks (unit, y, x) of several cells; a population "
            "vector needs at least 2 cells."
        )
    if a.shape != b.shape:
        raise ValueError(
            f"stack_a and stack_b must have the same shape (same cells, same bins); got "
            f"{a.shape} and {b.shape}."
        )
    if a.shape[0] < 2:
        raise ValueError(f"a population vector needs at least 2 cells; got {a.shape[0]}.")
    da = a - a.mean(axis=0)
    db = b - b.mean(axis=0)
    den = np.sqrt((da * da).sum(axis=0) * (db * db).sum(axis=0))
    with np.errstate(invalid="ignore"):
        r = (da * db).sum(axis=0) / np.where(den > 0, den, np.nan)
    return np.clip(r, -1, 1)
