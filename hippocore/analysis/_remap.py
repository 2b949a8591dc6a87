"""Remapping measures: spatial and population-vector correlation (BNT), unit-pair structure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore._checks import as_float_array
from hippocore.analysis._stack import as_map_stack, reject_inf, unit_values

__all__ = [
    "spatial_correlation",
    "population_vector_correlation",
    "PairStructure",
    "pair_structure",
    "unit_pair_correlations",
]


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
    return unit_values(r, single_a and single_b)


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


@dataclass(frozen=True)
class PairStructure:
    """How well two environments keep the correlations between pairs of units.

    Result of :func:`pair_structure`.

    Attributes
    ----------
    r : float
        Pearson r, across unit pairs, between the pair correlations in environment a and in
        environment b (over the pairs used: within groups when ``groups`` was given). NaN
        when fewer than 3 pairs are defined in both or either set of pair correlations is
        constant.
    n_pairs : int
        Pairs that entered ``r`` (defined in both environments).
    group_labels : ndarray of shape (n_group,)
        The distinct group labels, sorted (``[0]`` when no groups were given).
    group_r : ndarray of shape (n_group,)
        ``r`` computed within each group alone (NaN for groups with fewer than 3 pairs).
    group_n_pairs : ndarray of int, shape (n_group,)
        Pairs that entered each ``group_r``.
    corr_a, corr_b : ndarray of shape (n_unit, n_unit)
        Unit-by-unit Pearson correlation of the maps in each environment (symmetric, 1 on
        the diagonal of defined units, NaN for undefined pairs). Split-half (``second_a``
        / ``second_b`` given): the symmetrised cross-part correlations, and on the diagonal
        each unit's split-half reliability ``r(first_i, second_i)``.
    """

    r: float
    n_pairs: int
    group_labels: NDArray
    group_r: NDArray[np.float64]
    group_n_pairs: NDArray[np.int64]
    corr_a: NDArray[np.float64]
    corr_b: NDArray[np.float64]


def _as_unit_stack(value: ArrayLike, name: str) -> NDArray[np.float64]:
    """A float copy of shape (n_unit, n_samples) from (unit, n) or (unit, y, x) maps."""
    arr = as_float_array(value, name, ndim=(2, 3))
    reject_inf(arr, name)
    if arr.shape[0] < 2:
        raise ValueError(
            f"{name} must hold at least 2 units (unit, ...); got shape {arr.shape}. A pair "
            "structure needs pairs."
        )
    return arr.reshape(arr.shape[0], -1)


def unit_pair_correlations(stack: ArrayLike, *, min_samples: int = 3) -> NDArray[np.float64]:
    """Pearson correlation between every pair of units' maps, pairwise-complete.

    Parameters
    ----------
    stack : array_like of shape (n_unit, n_nodes) or (n_unit, y, x)
        Maps of the units in one environment: per-node means on a lattice or binned rate
        maps (any units; NaN = unvisited).
    min_samples : int, default 3
        Fewest nodes / bins valid in both maps for a pair to be defined.

    Returns
    -------
    ndarray of shape (n_unit, n_unit)
        Symmetric; NaN for pairs with fewer than ``min_samples`` shared valid samples or
        where either map is constant over them.

    Notes
    -----
    NaN policy: a sample (node or bin) that is NaN in either unit of a pair is left out of
    that pair only (pairwise-complete, as :func:`spatial_correlation` does for one unit in
    two sessions). A map whose values over the shared samples vary by less than about
    1e-12 of its magnitude counts as constant.
    """
    x = _as_unit_stack(stack, "stack")
    if isinstance(min_samples, bool) or not isinstance(min_samples, (int, np.integer)):
        raise TypeError(f"min_samples must be an integer; got {min_samples!r}.")
    if min_samples < 2:
        raise ValueError(f"min_samples must be at least 2; got {min_samples}.")
    return _pair_corr(x, int(min_samples))


def _pair_corr(x: NDArray[np.float64], min_samples: int) -> NDArray[np.float64]:
    r, ok = _cross_corr(x, x, min_samples)
    r = (r + r.T) / 2  # exact symmetry (the two triangles differ by rounding only)
    np.fill_diagonal(r, np.where(np.diag(ok), 1.0, np.nan))
    return r


def _pair_corr_of(
    first: NDArray[np.float64], second: ArrayLike | None, env: str, min_samples: int
) -> NDArray[np.float64]:
    """Pair correlations of one environment: within ``first``, or split-half with ``second``."""
    if second is None:
        return _pair_corr(first, min_samples)
    y = _as_unit_stack(second, f"second_{env}")
    if y.shape != first.shape:
        raise ValueError(
            f"second_{env} must hold the same units and samples as stack_{env}, shape "
            f"{first.shape} after flattening; got {y.shape}. Pass both parts' maps on the "
            "same nodes or bins."
        )
    r, _ = _cross_corr(first, y, min_samples)
    return (r + r.T) / 2  # NaN where either order is undefined; diagonal: r(first_i, second_i)


def _cross_corr(
    x: NDArray[np.float64], y: NDArray[np.float64], min_samples: int
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Pearson r of unit i's map in ``x`` with unit j's map in ``y``, pairwise-complete.

    Returns r, shape (n_unit, n_unit), NaN where undefined, and the mask of defined pairs.
    """
    vx, vy = np.isfinite(x), np.isfinite(y)
    mx, my = vx.astype(float), vy.astype(float)
    x0, sx, flat_x = _centred(x, vx)
    y0, sy, flat_y = _centred(y, vy)
    n = mx @ my.T  # shared samples of (i in x, j in y)
    s_x = x0 @ my.T  # sum of unit i (x) over the samples shared with j (y)
    s_y = mx @ y0.T  # sum of unit j (y) over the samples shared with i (x)
    ss_x = (x0 * x0) @ my.T
    ss_y = mx @ (y0 * y0).T
    sxy = x0 @ y0.T
    with np.errstate(invalid="ignore", divide="ignore"):
        nn = np.where(n > 0, n, 1.0)
        cov = sxy - s_x * s_y / nn
        var_x = ss_x - s_x * s_x / nn
        var_y = ss_y - s_y * s_y / nn
        eps = 1e3 * np.finfo(float).eps
        tol_x, tol_y = n * (eps * sx[:, None]) ** 2, n * (eps * sy[None, :]) ** 2
        ok = (n >= min_samples) & (var_x > tol_x) & (var_y > tol_y)
        ok &= ~flat_x[:, None] & ~flat_y[None, :]
        r = np.where(ok, cov / np.sqrt(np.where(ok, var_x * var_y, 1.0)), np.nan)
    return np.clip(r, -1.0, 1.0), ok


def _centred(
    x: NDArray[np.float64], valid: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Each unit minus its own mean (0 at invalid samples), its magnitude, and flatness."""
    n_valid = valid.sum(axis=1)
    # Centre each unit on its own mean first so the sums of _cross_corr do not cancel.
    mean = np.where(n_valid > 0, np.where(valid, x, 0.0).sum(1) / np.maximum(n_valid, 1), 0.0)
    x0 = np.where(valid, x - mean[:, None], 0.0)
    scale = np.max(np.abs(np.where(valid, x, 0.0)), axis=1)
    lo = np.min(np.where(valid, x, np.inf), axis=1)
    hi = np.max(np.where(valid, x, -np.inf), axis=1)
    return x0, scale, ~(hi > lo)  # flat: constant (or empty) over all, so over any subset


def _pearson(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    if a.size < 3:
        return float("nan")
    da, db = a - a.mean(), b - b.mean()
    den = np.sqrt((da * da).sum() * (db * db).sum())
    if not den > 0:
        return float("nan")
    return float(np.clip((da * db).sum() / den, -1.0, 1.0))


def pair_structure(
    stack_a: ArrayLike,
    stack_b: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    min_samples: int = 3,
    second_a: ArrayLike | None = None,
    second_b: ArrayLike | None = None,
) -> PairStructure:
    """Correlation between two environments' unit-by-unit correlation matrices.

    Grid cells remap by moving their maps, but cells of one module move together: the
    spatial relation of a pair of cells is kept across rooms even when each cell's map
    shifts (Fyhn et al. 2007; Yoon et al. 2013). This measures that. In each environment
    the Pearson correlation of every pair of units' maps is computed
    (:func:`unit_pair_correlations`); the result is the Pearson r, across pairs (upper
    triangle, i < j), between the two environments' pair correlations. A population whose
    maps all translate together scores about 1, while a map-by-map correlation
    (:func:`spatial_correlation`) of the same units can be about 0 or negative; independent
    maps in the two environments score about 0.

    The maps of the two environments need not share nodes or bins (the rooms may differ in
    size): only the units must be the same, in the same order.

    Parameters
    ----------
    stack_a, stack_b : array_like of shape (n_unit, n_nodes) or (n_unit, y, x)
        Maps of the same units in environment a and b (per-node means on a lattice, e.g.
        :func:`lattice_node_means`, or rate maps; NaN = unvisited).
    groups : array_like of shape (n_unit,), optional
        Group label of each unit (e.g. its grid module). When given, only pairs within a
        group are used, and ``group_r`` gives each group's own r. Default: all pairs, one
        group.
    min_samples : int, default 3
        Fewest samples valid in both maps of a pair for its correlation to be defined.
    second_a, second_b : array_like, optional
        Maps of the same units from a second, disjoint part of the recording in each
        environment (e.g. ``stack_a`` from the first half of the walk, ``second_a`` from
        the second), same shape as ``stack_a`` / ``stack_b``; give both or neither. Each
        environment's pair correlation is then the **split-half** one, ``(r(first_i,
        second_j) + r(first_j, second_i)) / 2``, which keeps only relations that are
        reproducible in space: units that read one shared latent through fixed weights
        correlate within a part whether or not the latent depends on place, but across
        parts only when it does. Use it when the units come from a network (an untrained
        model keeps its weights' pair structure in every environment).

    Returns
    -------
    PairStructure

    Raises
    ------
    ValueError
        When the stacks hold different numbers of units or fewer than 2, ``groups`` has the
        wrong length, or a map holds an infinite value.

    Notes
    -----
    NaN policy: within an environment a sample NaN in either unit of a pair is left out of
    that pair (pairwise-complete); a pair undefined in either environment (too few shared
    samples, a constant map) is left out of ``r`` and not counted in ``n_pairs``; with
    fewer than 3 pairs left, ``r`` is NaN. Inputs are never modified.

    References
    ----------
    Fyhn M, Hafting T, Treves A, Moser M-B, Moser EI (2007) Hippocampal remapping and grid
    realignment in entorhinal cortex. Nature 446:190-194.
    Yoon K, Buice MA, Barry C, Hayman R, Burgess N, Fiete IR (2013) Specific evidence of
    low-dimensional continuous attractor dynamics in grid cells. Nat Neurosci 16:1077-1084.
    """
    a = _as_unit_stack(stack_a, "stack_a")
    b = _as_unit_stack(stack_b, "stack_b")
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"stack_a and stack_b must hold the same units; got {a.shape[0]} and {b.shape[0]} "
            "units. Pass the maps of the same units, in the same order, in both environments."
        )
    if isinstance(min_samples, bool) or not isinstance(min_samples, (int, np.integer)):
        raise TypeError(f"min_samples must be an integer; got {min_samples!r}.")
    if min_samples < 2:
        raise ValueError(f"min_samples must be at least 2; got {min_samples}.")
    if (second_a is None) != (second_b is None):
        raise ValueError(
            "second_a and second_b go together: give the second part's maps of both "
            "environments for the split-half pair structure, or neither."
        )
    n_unit = a.shape[0]
    if groups is None:
        g = np.zeros(n_unit, dtype=np.int64)
    else:
        g = np.asarray(groups)
        if g.shape != (n_unit,):
            raise ValueError(
                f"groups must have one label per unit, shape ({n_unit},); got shape {g.shape}."
            )
    corr_a = _pair_corr_of(a, second_a, "a", int(min_samples))
    corr_b = _pair_corr_of(b, second_b, "b", int(min_samples))
    i, j = np.triu_indices(n_unit, 1)
    ca, cb = corr_a[i, j], corr_b[i, j]
    use = (g[i] == g[j]) & np.isfinite(ca) & np.isfinite(cb)
    labels = np.unique(g)
    group_r = np.array(
        [_pearson(ca[use & (g[i] == lab)], cb[use & (g[i] == lab)]) for lab in labels]
    )
    group_n = np.array([int((use & (g[i] == lab)).sum()) for lab in labels], dtype=np.int64)
    return PairStructure(
        r=_pearson(ca[use], cb[use]),
        n_pairs=int(use.sum()),
        group_labels=labels,
        group_r=group_r,
        group_n_pairs=group_n,
        corr_a=corr_a,
        corr_b=corr_b,
    )
