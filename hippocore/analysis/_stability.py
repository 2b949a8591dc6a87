"""Within-session stability: the spatial correlation of the first and second half's maps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore._checks import as_positions, as_times
from hippocore.analysis._ratemap import rate_map
from hippocore.analysis._remap import spatial_correlation
from hippocore.analysis._samples import as_spike_list
from hippocore.analysis._stack import unit_values

__all__ = ["stability"]


def stability(
    times: ArrayLike,
    positions: ArrayLike,
    spike_times: ArrayLike | Sequence[ArrayLike] | None = None,
    *,
    activity: ArrayLike | None = None,
    bin_size: float,
    limits: Sequence[float] | None = None,
    smooth: float = 1.0,
    max_gap: float = 0.1,
) -> float | NDArray[np.float64]:
    """Within-session stability: spatial correlation of the first and second half's rate maps.

    The session is cut at the middle of its time span; each half gets a rate map
    (:func:`~hippocore.analysis.rate_map`, same bins: ``limits`` default to the whole
    session's range) and the two are correlated over bins visited in both
    (:func:`spatial_correlation`, BNT ``spatialCrossCorrelation``).

    Parameters
    ----------
    times : array_like of shape (n,)
        Tracking times (s).
    positions : array_like of shape (n, 2)
        Positions (m).
    spike_times : array_like or sequence of array_like, optional
        One spike train (s) or one per unit.
    activity : array_like of shape (n,) or (n, unit), optional
        Continuous activity instead of spikes.
    bin_size : float
        Bin side (m).
    limits : (x_min, x_max, y_min, y_max), optional
        Arena limits (m); default the whole session's range.
    smooth : float, default 1.0
        Map smoothing (bins).
    max_gap : float, default 0.1
        Longest dwell per sample (s).

    Returns
    -------
    float or ndarray of shape (unit,)
        Pearson r; NaN for a unit that is silent in either half.

    Notes
    -----
    NaN policy: untracked (NaN) positions add no time and their spikes are dropped (with
    :class:`~hippocore.analysis.UntrackedPositionWarning`, as in ``rate_map``); bins unvisited
    in either half are left out of the correlation.
    """
    t = as_times(times, "times")
    pos = as_positions(positions, "positions", allow_nan=True)
    if pos.shape[0] != t.size:
        raise ValueError(f"positions has {pos.shape[0]} samples but times has {t.size}.")
    if t.size < 4:
        raise ValueError(f"stability needs at least 4 samples (2 per half); got {t.size}.")
    if (spike_times is None) == (activity is None):
        raise ValueError("give exactly one of spike_times or activity.")
    if limits is None:
        ok = np.isfinite(pos).all(axis=1)
        if not ok.any():
            raise ValueError("positions has no finite sample; cannot infer limits.")
        lo, hi = pos[ok].min(axis=0), pos[ok].max(axis=0)
        limits = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
    mid = t[0] + (t[-1] - t[0]) / 2
    first = t < mid
    halves = (first, ~first)
    maps = []
    if activity is not None:
        act = np.asarray(activity, dtype=float)
        if act.shape[:1] != t.shape:
            raise ValueError(f"activity must have {t.size} rows; got shape {act.shape}.")
        single = act.ndim == 1
        for h in halves:
            maps.append(
                rate_map(
                    t[h], pos[h], activity=act[h], bin_size=bin_size, limits=limits,
                    smooth=smooth, max_gap=max_gap,
                ).rate
            )  # fmt: skip
    else:
        trains, single = as_spike_list(spike_times)
        boundary = t[~first][0]  # spikes before the second half's first sample: first half
        for k, h in enumerate(halves):
            part = [s[s < boundary] if k == 0 else s[s >= boundary] for s in trains]
            maps.append(
                rate_map(
                    t[h], pos[h], part, bin_size=bin_size, limits=limits, smooth=smooth,
                    max_gap=max_gap,
                ).rate
            )  # fmt: skip
    a, b = (m[None] if m.ndim == 2 else m for m in maps)
    r = spatial_correlation(a, b)
    return unit_values(r, single)
