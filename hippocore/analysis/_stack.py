"""Input handling shared by the map scores: one map ``(y, x)`` or a stack ``(unit, y, x)``.

The rule for every function of :mod:`hippocore.analysis` (docs/analysis.md, "Shapes in, shapes
out"): **the result has a unit axis exactly when the input has one.** One unit in - a 2-D map,
one 1-D spike train (an array or a plain list of numbers), 1-D activity - gives Python floats
(or a frozen dataclass of them); a stack ``(unit, y, x)``, a list or tuple of spike trains
(even of one) or 2-D activity ``(time, unit)`` (even of one column) gives arrays of shape
``(unit,)``. The one exception is :func:`~hippocore.analysis.place_fields`, whose flat list of
fields is the same type either way (each field knows its map).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore._checks import as_float_array

__all__ = ["as_map_stack", "as_bin_centres", "reject_inf", "unit_values"]


def as_map_stack(value: ArrayLike, name: str) -> tuple[NDArray[np.float64], bool]:
    """Return ``(stack, single)``: a float copy of shape ``(n, y, x)`` and whether one map was given.

    Parameters
    ----------
    value : array_like of shape (y, x) or (n, y, x)
        One map or a stack of maps.
    name : str
        Argument name used in error messages.

    Returns
    -------
    stack : ndarray of shape (n, y, x)
    single : bool
        True when ``value`` was a single 2-D map.
    """
    arr = as_float_array(value, name, ndim=(2, 3))
    reject_inf(arr, name)
    if arr.shape[-1] == 0 or arr.shape[-2] == 0:
        raise ValueError(f"{name} has an empty map axis; got shape {arr.shape}.")
    single = arr.ndim == 2
    return (arr[None] if single else arr), single


def unit_values(values: NDArray, single: bool) -> float | NDArray:
    """``values`` (one per unit) as the module rule wants: a Python float for one unit in."""
    return float(values[0]) if single else values


def reject_inf(arr: NDArray[np.float64], name: str, *, fix: str | None = None) -> None:
    """Raise a one-line ``ValueError`` if a map (or stack) holds +-inf.

    Maps are finite numbers with NaN for unvisited bins; an infinite bin usually comes from a
    rate divided by a zero occupancy. Filling it with 0 (as a NaN-to-zero step would) hides
    that, so every map-taking function refuses it.

    Parameters
    ----------
    arr : ndarray
        The map(s), already a float array.
    name : str
        Argument name used in the message.
    fix : str, optional
        The remedy to suggest; default: replace the values or fix the occupancy behind them.
    """
    bad = np.isinf(arr)
    if not bad.any():
        return
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    remedy = fix or (
        "replace them (e.g. np.where(np.isinf(m), np.nan, m) marks them unvisited) or fix "
        "the zero occupancy that produced them"
    )
    raise ValueError(
        f"{name} contains {int(bad.sum())} infinite value(s) (first at index {first}); maps "
        f"must be finite, with NaN for unvisited bins: {remedy}."
    )


def as_bin_centres(
    x: ArrayLike | None, y: ArrayLike | None, shape: tuple[int, int]
) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """Check optional bin-centre vectors against a map shape ``(n_y, n_x)``.

    Parameters
    ----------
    x, y : array_like or None
        Bin centres along x (n_x,) and y (n_y,) in m; both or neither.
    shape : (int, int)
        Map shape (n_y, n_x).

    Returns
    -------
    (x, y) or None
    """
    if x is None and y is None:
        return None
    if x is None or y is None:
        raise ValueError("give both x and y bin centres (m), or neither.")
    xc = as_float_array(x, "x", ndim=1, allow_nan=False)
    yc = as_float_array(y, "y", ndim=1, allow_nan=False)
    if xc.size != shape[1] or yc.size != shape[0]:
        raise ValueError(
            f"x has {xc.size} and y has {yc.size} bin centres but the map shape (y, x) is "
            f"{tuple(shape)}; pass the map's own bin centres."
        )
    for name, c in (("x", xc), ("y", yc)):
        if c.size > 1 and not np.all(np.diff(c) > 0):
            raise ValueError(f"{name} bin centres must be strictly increasing.")
    return xc, yc
