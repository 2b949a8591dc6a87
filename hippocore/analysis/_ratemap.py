"""Occupancy-normalised rate maps.

BNT ``analyses.map`` (2020 mirror) for spikes and continuous activity (model units), and a
documented rule for graph-world lattices.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from hippocore._checks import as_float_array, as_positions, as_times, check_positive
from hippocore.analysis._stack import reject_inf

__all__ = [
    "RateMap",
    "rate_map",
    "lattice_rate_map",
    "smooth_map",
    "MAX_MAP_BINS",
    "PositionsOutsideLimitsWarning",
    "SpikesOutsideTrackingWarning",
    "UntrackedPositionWarning",
]

#: Largest map :func:`rate_map` builds by default (bins per map, n_y * n_x): 4 million, i.e.
#: 2000 x 2000 bins or a 50 m square in 2.5 cm bins. Positions in cm with a bin size in m
#: (a 1 m box read as 100 "m") give 16 million bins of 2.5 cm; this limit stops that before
#: gigabytes are allocated.
MAX_MAP_BINS = 4_000_000

_EPS = np.finfo(float).eps


class SpikesOutsideTrackingWarning(UserWarning):
    """Spikes before the first or after the last position sample were dropped."""


class UntrackedPositionWarning(UserWarning):
    """Position samples with NaN coordinates were left out of the map."""


class PositionsOutsideLimitsWarning(UserWarning):
    """Tracked position samples outside the given ``limits`` were left out of the map."""


@dataclass(frozen=True)
class RateMap:
    """A binned rate map (BNT ``analyses.map`` output), ``(y, x)`` or ``(unit, y, x)``.

    Attributes
    ----------
    rate : ndarray
        Smoothed rate (Hz for spikes; the activity's units for ``activity``); NaN where the
        raw occupancy is 0. Row 0 is the lowest y.
    rate_raw : ndarray
        Unsmoothed rate, NaN where unvisited.
    occupancy : ndarray (y, x)
        Smoothed dwell time (s), NaN where unvisited.
    occupancy_raw : ndarray (y, x)
        Dwell time per bin (s), NaN where unvisited (BNT's ``timeRaw``).
    spike_count_raw : ndarray
        Spikes per bin, NaN where unvisited; for ``activity`` the number of samples per bin.
    x_edges, y_edges : ndarray (n_x + 1,), (n_y + 1,)
        Bin edges (m).
    x, y : ndarray (n_x,), (n_y,)
        Bin centres (m).
    bin_size : float
        Bin side (m).
    smooth : float
        Gaussian smoothing standard deviation (bins); 0 = none.
    """

    rate: NDArray[np.float64]
    rate_raw: NDArray[np.float64]
    occupancy: NDArray[np.float64]
    occupancy_raw: NDArray[np.float64]
    spike_count_raw: NDArray[np.float64]
    x_edges: NDArray[np.float64]
    y_edges: NDArray[np.float64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    bin_size: float
    smooth: float


def _kernel(n: int, sigma: float) -> NDArray[np.float64]:
    """BNT general.smooth kernel: Gaussian (std sigma bins) over +-min(n, 1001) bins, normalised."""
    half = min(n, 1001)
    r = np.arange(-half, half + 1) / half
    k = np.exp(-(r**2) / (sigma / half + _EPS) ** 2 / 2)
    return k / k.sum()


def smooth_map(values: ArrayLike, smooth: float) -> NDArray[np.float64]:
    """Gaussian smoothing of maps as BNT ``general.smooth`` does it.

    Separable Gaussian with standard deviation ``smooth`` bins on each axis, support of
    +-min(n, 1001) bins, normalised; the map is mirror-padded (edge bin repeated) by the kernel
    half-width before convolving, so edges are not pulled towards zero.

    Parameters
    ----------
    values : array_like of shape (..., n_y, n_x)
        Maps to smooth (the last two axes). BNT smooths zero-filled maps: a NaN bin spreads
        NaN over the kernel's support, and an infinite bin raises ``ValueError``.
    smooth : float
        Standard deviation (bins); 0 returns a copy.

    Returns
    -------
    ndarray of the same shape
    """
    a = as_float_array(values, "values")
    reject_inf(a, "values")
    s = check_positive(smooth, "smooth", allow_zero=True)
    if s == 0 or a.size == 0:
        return a
    for axis in (-2, -1):
        n = a.shape[axis]
        # scipy's "reflect" is the half-sample mirror (d c b a | a b c d) BNT pads with; the
        # kernel never reaches beyond one mirrored copy (half-width <= n).
        a = ndimage.convolve1d(a, _kernel(n, s), axis=axis, mode="reflect")
    return a


def _bins(v: NDArray[np.float64], lo: float, n: int, bw: float) -> NDArray[np.int64]:
    """histcounts-style bin index (last edge inclusive); -1 outside."""
    with np.errstate(invalid="ignore"):
        frac = (v - lo) / bw
        idx = np.floor(frac)
    # the last edge is inclusive, with _n_bins' tolerance (the data maximum is always inside)
    on_edge = np.isclose(v, lo + n * bw, rtol=0, atol=1e-12 * max(1.0, abs(bw)))
    idx = np.where(on_edge | ((idx == n) & (frac <= n + 1e-9)), n - 1, idx)
    ok = np.isfinite(idx) & (idx >= 0) & (idx < n)
    return np.where(ok, idx, -1).astype(np.int64)


def _limits(pos: NDArray[np.float64], limits) -> tuple[float, float, float, float]:
    if limits is None:
        if not np.any(np.isfinite(pos).all(axis=1)):
            raise ValueError("positions has no finite sample; cannot infer limits.")
        lo = np.nanmin(pos, axis=0)
        hi = np.nanmax(pos, axis=0)
        return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])
    lim = as_float_array(limits, "limits", ndim=1, allow_nan=False)
    if lim.size != 4 or lim[1] <= lim[0] or lim[3] <= lim[2]:
        raise ValueError(
            f"limits must be (x_min, x_max, y_min, y_max) in m with min < max; got {limits!r}."
        )
    return tuple(float(v) for v in lim)  # type: ignore[return-value]


def _n_bins(lo: float, hi: float, bw: float, axis: str) -> int:
    # ceil(range / bin) as BNT, with a tolerance for metres-as-floats (1.0 / 0.025 = 40.000...01)
    n = math.ceil((hi - lo) / bw - 1e-9)
    if n < 1:
        raise ValueError(
            f"the {axis} range [{lo}, {hi}] m gives no bins of {bw} m; pass limits or check "
            "that the animal moved."
        )
    return n


def _check_size(nx: int, ny: int, bw: float, limits: tuple, max_bins: int) -> None:
    """Refuse maps with more than ``max_bins`` bins, naming the likely cm / m mix-up."""
    if nx * ny <= max_bins:
        return
    x0, x1, y0, y1 = limits
    raise ValueError(
        f"rate map would have {ny} x {nx} = {nx * ny:,} bins (max_bins={max_bins:,}): the "
        f"positions span {x1 - x0:.4g} x {y1 - y0:.4g} m in bins of {bw} m. If the positions "
        "are in cm, divide them by 100 (hippocore works in metres; the io readers convert); "
        "otherwise pass a larger bin_size, tighter limits or a larger max_bins."
    )


def _user_stacklevel() -> int:
    """``stacklevel`` that points a warning at the first caller outside the hippocore package.

    Call it in the function that calls ``warnings.warn``; wrappers (``ds.rate_map``,
    the ``.hc`` accessor, ``stability``) then need no stacklevel bookkeeping of their own.
    """
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    frame = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame = frame.f_back
        level += 1
    return level


def _inside_or_raise(inside: NDArray[np.bool_], pos: NDArray[np.float64], limits) -> None:
    """Warn about tracked samples outside ``limits``; raise when no sample is left."""
    tracked = np.isfinite(pos).all(axis=1)
    n_tracked = int(tracked.sum())
    n_out = int((tracked & ~inside).sum())
    if n_tracked == 0:
        raise ValueError(
            "positions has no finite sample; a rate map needs tracked positions (x, y) in m."
        )
    if n_out == 0:
        return
    lo, hi = pos[tracked].min(axis=0), pos[tracked].max(axis=0)
    span = f"the positions span x [{lo[0]:.4g}, {hi[0]:.4g}], y [{lo[1]:.4g}, {hi[1]:.4g}] m"
    lim = tuple(float(v) for v in limits)
    if n_out == n_tracked:
        raise ValueError(
            f"all {n_tracked} tracked position samples fall outside limits={lim}; {span}: "
            "pass limits that cover them (or limits=None for the data range)."
        )
    centred = (
        " (the data are zero-centred: use limits around 0)"
        if (lo[0] < 0 <= lim[0] or lo[1] < 0 <= lim[2])
        else ""
    )
    warnings.warn(
        f"{n_out} of {n_tracked} tracked position samples ({n_out / n_tracked:.1%}) fall "
        f"outside limits={lim} and were dropped with their spikes; {span}: pass limits that "
        f"cover the arena{centred}.",
        PositionsOutsideLimitsWarning,
        stacklevel=_user_stacklevel(),
    )


def _smooth_blank(raw, unvisited, sigma):  # noqa: ANN001, ANN202
    """Smooth ``raw`` (unvisited = 0), then NaN ``unvisited`` in it and in a raw copy (BNT order)."""
    rate = smooth_map(raw, sigma)
    rate_raw = raw.copy()
    rate[..., unvisited] = np.nan
    rate_raw[..., unvisited] = np.nan
    return rate, rate_raw


def _finish(raw, time_raw, count_raw, sigma):
    """Smooth raw maps (unvisited = 0), then blank unvisited bins (BNT order)."""
    unvisited = time_raw == 0
    occ = smooth_map(time_raw, sigma)
    rate, rate_raw = _smooth_blank(raw, unvisited, sigma)
    count_raw[..., unvisited] = np.nan
    occ[unvisited] = np.nan
    time_nan = time_raw.copy()
    time_nan[unvisited] = np.nan
    return rate, rate_raw, occ, time_nan, count_raw


def warn_untracked(pos: NDArray[np.float64], *, stacklevel: int) -> None:
    """Warn (:class:`UntrackedPositionWarning`) when position samples are NaN (BNT: no time)."""
    untracked = ~np.isfinite(pos).all(axis=1)
    if untracked.any():
        warnings.warn(
            f"{int(untracked.sum())} of {pos.shape[0]} position samples are NaN; they add no "
            "time and spikes at them are dropped.",
            UntrackedPositionWarning,
            stacklevel=stacklevel,
        )


def _unit_sums(index: NDArray[np.int64], weights: NDArray[np.float64], n: int) -> NDArray:
    """``weights (samples, unit)`` summed into ``n`` bins by ``index``: ``(unit, n)``."""
    return np.stack(
        [np.bincount(index, weights=weights[:, u], minlength=n) for u in range(weights.shape[1])]
    )


def _mean_where_counted(total, count, *, empty: float) -> NDArray[np.float64]:  # noqa: ANN001
    """``total / count`` where ``count > 0``, ``empty`` elsewhere (no division warnings)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.where(count > 0, count, 1.0), empty)


def _activity_maps(activity: ArrayLike, t: NDArray[np.float64], binned):  # noqa: ANN001
    """Time-weighted mean activity per bin ``(unit, y, x)``, samples per bin, and ``single``."""
    lin, inside, dt, time_raw, (ny, nx) = binned
    act = as_float_array(activity, "activity", ndim=(1, 2), allow_nan=False)
    if act.shape[0] != t.size:
        raise ValueError(
            f"activity has {act.shape[0]} samples but times has {t.size}; they must match."
        )
    single = act.ndim == 1
    act2 = act[:, None] if single else act
    total = _unit_sums(lin[inside], act2[inside] * dt[inside, None], nx * ny).reshape(-1, ny, nx)
    samples = np.bincount(lin[inside], minlength=nx * ny).reshape(ny, nx).astype(float)
    raw = _mean_where_counted(total, time_raw, empty=0.0)
    return raw, np.broadcast_to(samples, raw.shape).copy(), single


def _spike_maps(spike_times, t: NDArray[np.float64], binned):  # noqa: ANN001
    """Spike rate per bin ``(unit, y, x)``, spikes per bin, and ``single`` (one train given)."""
    lin, _, dt, time_raw, (ny, nx) = binned
    single = not (
        isinstance(spike_times, list | tuple)
        and len(spike_times) > 0
        and all(np.ndim(s) == 1 for s in spike_times)
    )
    trains = [spike_times] if single else list(spike_times)
    counts = []
    n_out = 0
    t_end = t[-1] + dt[-1]  # the last sample's dwell interval still counts
    for k, train in enumerate(trains):
        s = as_float_array(train, "spike_times" if single else f"spike_times[{k}]", ndim=1)
        if not np.all(np.isfinite(s)):
            raise ValueError("spike_times contains NaN or infinite values; remove them first.")
        out = (s < t[0]) | (s > t_end)
        n_out += int(out.sum())
        sample = np.searchsorted(t, s[~out], side="right") - 1
        b = lin[sample]
        counts.append(np.bincount(b[b >= 0], minlength=nx * ny).reshape(ny, nx))
    if n_out:
        warnings.warn(
            f"{n_out} spike(s) fall outside the tracking interval [{t[0]}, {t_end}] s and "
            "were dropped.",
            SpikesOutsideTrackingWarning,
            stacklevel=3,
        )
    count = np.stack(counts).astype(float)
    return count / (time_raw + _EPS), count, single


def rate_map(
    times: ArrayLike,
    positions: ArrayLike,
    spike_times: ArrayLike | Sequence[ArrayLike] | None = None,
    *,
    activity: ArrayLike | None = None,
    bin_size: float,
    limits: Sequence[float] | None = None,
    smooth: float = 1.0,
    max_gap: float = 0.1,
    max_bins: int = MAX_MAP_BINS,
) -> RateMap:
    """Occupancy-normalised rate map with BNT ``analyses.map`` semantics (2020 mirror).

    Bins: ``n = ceil(range / bin_size)`` per axis from ``limits`` (default: the data's min and
    max), edges ``lo + k * bin_size``, a sample on the last edge goes in the last bin; samples
    outside are ignored. Dwell time of each position sample = time to the next sample (the
    last sample repeats the previous interval), clipped at ``max_gap``; bin times are rounded
    to 1e-7 s as BNT does. Each spike is counted at the position sample at or before it
    (MATLAB ``histc``); spikes before the first sample or after the end of the last sample's
    dwell interval (``t[-1] + dwell[-1]``, BNT's ``getSpikePositions`` window) are dropped. Raw rate = count / (time + eps), so unvisited bins are 0; the smoothed
    rate is BNT's Gaussian (:func:`smooth_map`) of that raw rate map, and bins with zero raw
    time are NaN afterwards (in ``rate``, ``rate_raw``, ``occupancy``, ``occupancy_raw`` and
    ``spike_count_raw``). ``occupancy`` is the separately smoothed dwell time.

    With ``activity`` instead of spikes (model units, calcium traces), the raw map is the
    time-weighted mean activity per bin, sum(a dt) / sum(dt), smoothed and blanked the same
    way, so real cells and model units go through one code path.

    Parameters
    ----------
    times : array_like of shape (n,)
        Position sample times (s), strictly increasing.
    positions : array_like of shape (n, 2)
        Positions (m), columns (x, y).
    spike_times : array_like of shape (k,), or a sequence of them, optional
        Spike times (s) of one unit, or one array per unit (gives a stack).
    activity : array_like of shape (n,) or (n, n_unit), optional
        Continuous activity at each position sample (instead of ``spike_times``).
    bin_size : float
        Bin side (m). BNT's default is 2.5 cm (0.025).
    limits : (x_min, x_max, y_min, y_max), optional
        Arena limits (m); default the data range.
    smooth : float, default 1.0
        Gaussian standard deviation in bins (BNT default 1); 0 for none.
    max_gap : float, default 0.1
        Longest dwell credited to one sample (s); BNT default 0.1 s.
    max_bins : int, default MAX_MAP_BINS (4 million)
        Largest map built (n_y * n_x); larger ones raise ``ValueError`` before any memory is
        allocated, because they nearly always mean positions in cm with a bin size in m.

    Returns
    -------
    RateMap
        ``rate`` is ``(n_y, n_x)`` for one spike train or 1-D activity, ``(n_unit, n_y, n_x)``
        for a list of trains or 2-D activity.

    Warns
    -----
    UntrackedPositionWarning
        When some positions are NaN: those samples add no time and their spikes are dropped
        (BNT's rule), and their neighbours' dwell times are unchanged.
    SpikesOutsideTrackingWarning
        When spikes fall before the first sample or after ``t[-1] + dwell[-1]``; they are
        dropped.
    PositionsOutsideLimitsWarning
        When some tracked positions fall outside ``limits``: they add no time and their
        spikes are dropped; the message gives the count, the fraction and the data range.

    Raises
    ------
    ValueError
        For empty or mismatched inputs, non-increasing times, both or neither of
        ``spike_times`` and ``activity``, NaN activity, a range with no bins, no tracked
        position inside ``limits``, or a map of more than ``max_bins`` bins.
    """
    t = as_times(times, "times")
    pos = as_positions(positions, "positions", allow_nan=True)
    if t.size == 0:
        raise ValueError("times is empty; a rate map needs at least one position sample.")
    if pos.shape[0] != t.size:
        raise ValueError(
            f"positions has {pos.shape[0]} samples but times has {t.size}; they must match."
        )
    if (spike_times is None) == (activity is None):
        raise ValueError("pass exactly one of spike_times (spikes) or activity (continuous).")
    bw = check_positive(bin_size, "bin_size")
    sigma = check_positive(smooth, "smooth", allow_zero=True)
    gap = check_positive(max_gap, "max_gap")

    warn_untracked(pos, stacklevel=3)
    if isinstance(max_bins, bool) or not isinstance(max_bins, numbers.Integral) or max_bins < 1:
        raise ValueError(f"max_bins must be a positive integer; got {max_bins!r}.")
    x0, x1, y0, y1 = _limits(pos, limits)
    nx, ny = _n_bins(x0, x1, bw, "x"), _n_bins(y0, y1, bw, "y")
    _check_size(nx, ny, bw, (x0, x1, y0, y1), max_bins)
    ix = _bins(pos[:, 0], x0, nx, bw)
    iy = _bins(pos[:, 1], y0, ny, bw)
    inside = (ix >= 0) & (iy >= 0)
    _inside_or_raise(inside, pos, (x0, x1, y0, y1))
    lin = np.where(inside, iy * nx + ix, -1)

    dt = np.diff(t)
    dt = np.append(dt, dt[-1]) if dt.size else np.zeros(1)
    dt = np.minimum(dt, gap)
    time_raw = np.bincount(lin[inside], weights=dt[inside], minlength=nx * ny).reshape(ny, nx)
    time_raw = np.round(time_raw * 1e7) / 1e7

    binned = (lin, inside, dt, time_raw, (ny, nx))
    if activity is not None:
        raw, count, single = _activity_maps(activity, t, binned)
    else:
        raw, count, single = _spike_maps(spike_times, t, binned)
    xe = x0 + bw * np.arange(nx + 1)
    ye = y0 + bw * np.arange(ny + 1)
    centres = ((xe[:-1] + xe[1:]) / 2, (ye[:-1] + ye[1:]) / 2)
    maps = _finish(raw, time_raw, count, sigma)
    return _result(maps, (xe, ye), centres, bin_size=bw, smooth=sigma, single=single)


def _result(maps, edges, centres, *, bin_size: float, smooth: float, single: bool) -> RateMap:  # noqa: ANN001
    """A RateMap from stacks (rate, rate_raw, occupancy, occupancy_raw, count); ``single`` squeezes."""
    rate, rate_raw, occ, occ_raw, count = maps
    if single:
        rate, rate_raw = rate[0], rate_raw[0]
        count = count[0] if count.ndim == 3 else count
    return RateMap(
        rate=rate,
        rate_raw=rate_raw,
        occupancy=occ,
        occupancy_raw=occ_raw,
        spike_count_raw=count,
        x_edges=edges[0],
        y_edges=edges[1],
        x=centres[0],
        y=centres[1],
        bin_size=bin_size,
        smooth=smooth,
    )


def lattice_rate_map(
    world,  # noqa: ANN001 - a hippocore.envs.World (duck-typed: analysis does not import envs)
    nodes: ArrayLike,
    activity: ArrayLike,
    *,
    bin_size: float | None = None,
    smooth: float = 0.0,
) -> RateMap:
    """Rate maps of model units on a graph world, without artificial holes.

    Rule:

    - ``square`` and ``eight`` worlds: one bin per node, bins centred on the nodes at the node
      spacing (``bin_size`` is ignored), value = mean activity over the time steps spent at
      that node. Only nodes never visited are NaN.
    - ``hexagonal`` worlds (rows offset by half a spacing, so nodes do not fall on a square
      grid): the mean per node as above, then piecewise-linear interpolation of the node values
      (Delaunay triangulation of the node coordinates) onto a square grid of ``bin_size``
      (default half the node spacing) covering the lattice's bounding box. Bins inside the
      lattice's convex hull get a value unless a triangle corner is an unvisited node; bins
      outside the hull (the small corner triangles left by the row offsets) are NaN.

    Optional smoothing applies BNT's kernel (:func:`smooth_map`) to the map with unvisited /
    outside bins at 0, then blanks them again (as :func:`rate_map`).

    Parameters
    ----------
    world : hippocore.envs.World
        The lattice (uses ``kind``, ``width``, ``height``, ``spacing`` and ``coords``).
    nodes : array_like of int, shape (n_steps,)
        Node visited at each time step.
    activity : array_like of shape (n_steps,) or (n_steps, n_unit)
        Activity of each unit at each step.
    bin_size : float, optional
        Hexagonal worlds only: side of the square bins (m); default ``world.spacing / 2``.
    smooth : float, default 0
        Gaussian standard deviation (bins).

    Returns
    -------
    RateMap
        ``rate`` of shape (n_y, n_x) or (n_unit, n_y, n_x); ``occupancy``/``occupancy_raw``
        are visits (time steps) per bin, NaN where unvisited (for hexagonal worlds, the number
        of steps at the nearest node); ``spike_count_raw`` holds the same visit counts.
    """
    coords, nd, act = check_lattice_inputs(world, nodes, activity)
    kind = world.kind
    n_nodes = coords.shape[0]
    single = act.ndim == 1
    a2 = act[:, None] if single else act
    sigma = check_positive(smooth, "smooth", allow_zero=True)
    visits = np.bincount(nd, minlength=n_nodes).astype(float)
    node_mean = _mean_where_counted(_unit_sums(nd, a2, n_nodes), visits, empty=np.nan)  # (U, N)
    sp = float(world.spacing)
    if kind in ("square", "eight"):
        h, w = int(world.height), int(world.width)
        cols = np.rint(coords[:, 0] / sp).astype(np.int64)
        rows = np.rint(coords[:, 1] / sp).astype(np.int64)
        raw = np.full((node_mean.shape[0], h, w), np.nan)
        raw[:, rows, cols] = node_mean
        occ = np.full((h, w), 0.0)
        occ[rows, cols] = visits
        bw = sp
        x = np.arange(w) * sp
        y = np.arange(h) * sp
    else:
        from scipy.interpolate import LinearNDInterpolator, NearestNDInterpolator

        bw = check_positive(sp / 2 if bin_size is None else bin_size, "bin_size")
        x0, x1 = coords[:, 0].min(), coords[:, 0].max()
        y0, y1 = coords[:, 1].min(), coords[:, 1].max()
        x = np.arange(x0, x1 + bw * 1e-9, bw)
        y = np.arange(y0, y1 + bw * 1e-9, bw)
        gx, gy = np.meshgrid(x, y)
        q = np.column_stack([gx.ravel(), gy.ravel()])
        interp = LinearNDInterpolator(coords, node_mean.T, fill_value=np.nan)
        raw = interp(q).T.reshape(-1, y.size, x.size)
        nearest = NearestNDInterpolator(coords, visits)(q).reshape(y.size, x.size)
        hull = np.isfinite(LinearNDInterpolator(coords, np.zeros(n_nodes))(q)).reshape(
            y.size, x.size
        )
        occ = np.where(hull, nearest, 0.0)
    unvisited = ~np.isfinite(raw).all(axis=0) | (occ == 0)
    rate, rate_raw = _smooth_blank(np.where(unvisited, 0.0, raw), unvisited, sigma)
    occ_nan = np.where(unvisited, np.nan, occ)
    edges = (np.append(x - bw / 2, x[-1] + bw / 2), np.append(y - bw / 2, y[-1] + bw / 2))
    maps = (rate, rate_raw, occ_nan, occ_nan.copy(), occ_nan.copy())
    return _result(maps, edges, (x, y), bin_size=bw, smooth=sigma, single=single)


def check_lattice_inputs(
    world: object, nodes: ArrayLike, activity: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """Validate a lattice walk: world, node index per step and activity per step.

    Shared by :func:`lattice_rate_map` and :func:`~hippocore.analysis.lattice_fields`.

    Parameters
    ----------
    world : hippocore.envs.World
        The graph world.
    nodes : array_like of int, shape (n_steps,)
        Node visited at each step.
    activity : array_like of shape (n_steps,) or (n_steps, n_unit)
        Activity at each step.

    Returns
    -------
    coords : ndarray of shape (n_nodes, 2)
        Node coordinates (m).
    nodes : ndarray of int, shape (n_steps,)
    activity : ndarray of float, shape (n_steps,) or (n_steps, n_unit)
    """
    if getattr(world, "kind", None) not in ("square", "hexagonal", "eight") or not hasattr(
        world, "coords"
    ):
        raise TypeError(f"world must be a hippocore.envs.World; got {type(world).__name__}.")
    coords = np.asarray(world.coords, float)
    n_nodes = coords.shape[0]
    nd = as_float_array(nodes, "nodes", ndim=1, allow_nan=False)
    if nd.size == 0:
        raise ValueError("nodes is empty; a lattice walk needs at least one step.")
    if np.any(nd != np.round(nd)) or nd.min() < 0 or nd.max() >= n_nodes:
        raise ValueError(f"nodes must be integers in 0..{n_nodes - 1}; got {nd.min()}..{nd.max()}.")
    act = as_float_array(activity, "activity", ndim=(1, 2), allow_nan=False)
    if act.shape[0] != nd.size:
        raise ValueError(f"activity has {act.shape[0]} steps but nodes has {nd.size}.")
    return coords, nd.astype(np.int64), act
