"""Maps and head-direction counts of circularly time-shifted spikes (or activity traces).

Everything a shift leaves unchanged (the bin of every sample, the dwell times, the occupancy
and the head-direction occupancy) is computed once per session; a shift only re-bins the
shifted spikes (``np.bincount`` on precomputed indices, all units at once).
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage, sparse

from hippocore.analysis._ratemap import (
    UntrackedPositionWarning,
    _bins,
    _kernel,
    rate_map,
    smooth_map,
)
from hippocore.analysis._samples import dwell_times

__all__ = ["ShiftEngine", "smooth_core", "TAIL_CUTOFF"]

_EPS = np.finfo(float).eps
#: Largest number of (shift, spike) keys binned in one pass (bounds memory: 32 MB of int64).
_KEYS_PER_PASS = 4_000_000
#: Null maps only: kernel weights below this fraction of the centre weight are left out of
#: the smoothing (sigma = 1 bin: +-8 of BNT's +-n bins). Each dropped product is < 1e-17 of
#: its bin's value, so a bin changes at most in its last bits, and only where the map is ~0.
TAIL_CUTOFF = 1e-17


class ShiftEngine:
    """Per-session state that no shift changes, and the maps of shifted spikes or activity.

    Parameters
    ----------
    t : ndarray of shape (n,)
        Tracking times (s).
    pos : ndarray of shape (n, 2)
        Positions (m), NaN where untracked.
    bin_size, limits, smooth, max_gap
        As in :func:`~hippocore.analysis.rate_map`.
    units : tuple of (samples, unit), or None
        The sample of every spike and its unit (spike trains), or None for ``activity``.
    activity : ndarray of shape (n, unit), or None
        Continuous activity (model units) instead of spikes.
    """

    def __init__(self, t, pos, *, bin_size, limits, smooth, max_gap, units, activity):  # noqa: ANN001
        n = t.size
        with warnings.catch_warnings():  # shuffle_scores warns the caller itself
            warnings.simplefilter("ignore", UntrackedPositionWarning)
            base = rate_map(
                t, pos, activity=np.zeros(n), bin_size=bin_size, limits=limits, smooth=smooth,
                max_gap=max_gap,
            )  # fmt: skip
        self.x, self.y = base.x, base.y
        self.shape = (base.y.size, base.x.size)
        self.n_bins = self.shape[0] * self.shape[1]
        ny, nx = self.shape
        ix = _bins(pos[:, 0], float(base.x_edges[0]), nx, bin_size)
        iy = _bins(pos[:, 1], float(base.y_edges[0]), ny, bin_size)
        self.lin = np.where((ix >= 0) & (iy >= 0), iy * nx + ix, -1)
        self.time_raw = np.nan_to_num(base.occupancy_raw, nan=0.0)
        self.unvisited = self.time_raw == 0
        self.occupancy = base.occupancy  # smoothed, NaN where unvisited
        self.smooth = smooth
        self.dwell = dwell_times(t, max_gap)
        self.n = n
        self.samples, self.units = units if units is not None else (None, None)
        self.activity = activity
        if activity is not None:  # sample -> bin matrix weighted by dwell
            inside = self.lin >= 0
            self.weights = sparse.csr_matrix(
                (self.dwell[inside], (np.flatnonzero(inside), self.lin[inside])),
                shape=(n, self.n_bins),
            )

    def maps(self, shifts: NDArray[np.intp], n_units: int):
        """(raw, smoothed) rate maps ``(len(shifts) * n_units, y, x)``, shift-major, NaN unvisited."""
        if self.activity is not None:
            amount = np.concatenate(
                [(self.weights.T @ np.roll(self.activity, int(s), axis=0)).T for s in shifts]
            )
            with np.errstate(invalid="ignore", divide="ignore"):
                raw = np.where(
                    self.time_raw > 0,
                    amount.reshape(-1, *self.shape) / np.where(self.time_raw > 0, self.time_raw, 1),
                    0.0,
                )
        else:
            raw = self._spike_counts(shifts, n_units).reshape(-1, *self.shape)
            raw = raw / (self.time_raw + _EPS)
        # the observed maps (shift 0) with BNT's whole kernel, the shuffles' with its core
        observed = np.repeat(np.asarray(shifts) == 0, n_units)
        smoothed = np.empty(raw.shape)
        if observed.any():
            smoothed[observed] = smooth_map(raw[observed], self.smooth)
        if not observed.all():
            smoothed[~observed] = smooth_core(raw[~observed], self.smooth)
        smoothed[:, self.unvisited] = np.nan
        raw = raw.copy()
        raw[:, self.unvisited] = np.nan
        return raw, smoothed

    def _spike_counts(self, shifts: NDArray[np.intp], n_units: int) -> NDArray[np.int64]:
        """Spikes per (shift, unit, bin) after each shift, ``(len(shifts) * n_units, n_bins)``.

        The bin of every spike after every shift is counted in one ``bincount`` over
        (shift, unit, bin) keys, for as many shifts at once as keep the keys under
        :data:`_KEYS_PER_PASS`; counts are integers, so the grouping changes no number.
        """
        per_shift = n_units * self.n_bins
        out = np.empty((shifts.size, per_shift), dtype=np.int64)
        unit_key = self.units * self.n_bins
        step = max(1, _KEYS_PER_PASS // max(self.samples.size, 1))
        for lo in range(0, shifts.size, step):
            s = shifts[lo : lo + step].astype(np.intp)
            b = self.lin[(self.samples[None, :] + s[:, None]) % self.n]  # (k, n_spikes)
            key = unit_key[None, :] + b
            key += (np.arange(s.size) * per_shift)[:, None]
            counts = np.bincount(key[b >= 0], minlength=s.size * per_shift)
            out[lo : lo + s.size] = counts.reshape(s.size, per_shift)
        return out.reshape(shifts.size * n_units, self.n_bins)

    def direction_amounts(self, hd_bin: NDArray[np.intp], shift: int, n_units: int, n_bins: int):
        """Spikes (or activity x dwell) per head-direction bin after one shift, ``(unit, n_bins)``."""
        if self.activity is not None:
            shifted = np.roll(self.activity, int(shift), axis=0)
            ok = hd_bin >= 0
            w = shifted[ok] * self.dwell[ok, None]
            onehot = sparse.csr_matrix(
                (np.ones(ok.sum()), (np.arange(ok.sum()), hd_bin[ok])), shape=(ok.sum(), n_bins)
            )
            return np.asarray((onehot.T @ w).T)
        b = hd_bin[(self.samples + int(shift)) % self.n]
        keep = b >= 0
        return np.bincount(self.units[keep] * n_bins + b[keep], minlength=n_units * n_bins).reshape(
            n_units, n_bins
        )


def smooth_core(maps: NDArray[np.float64], smooth: float) -> NDArray[np.float64]:
    """:func:`~hippocore.analysis.smooth_map` of a finite stack with the kernel's tail left out.

    The weights are BNT's normalised kernel, bit for bit, less those below
    :data:`TAIL_CUTOFF` of the centre weight; scipy sums the terms of a symmetric kernel
    from the centre outwards, so a bin's sum differs from the whole kernel's only by the
    dropped products (last bits, where the map is ~0). For shuffled maps only: observed maps
    keep the whole kernel.

    Parameters
    ----------
    maps : ndarray of shape (k, y, x)
        Finite maps (unvisited bins 0).
    smooth : float
        Standard deviation (bins); 0 returns the maps.

    Returns
    -------
    ndarray of shape (k, y, x)
    """
    if smooth == 0 or maps.size == 0:
        return maps
    a = maps
    for axis in (-2, -1):
        n = a.shape[axis]
        k = _kernel(n, smooth)
        centre = k.size // 2
        half = int(np.flatnonzero(k >= TAIL_CUTOFF * k[centre])[-1]) - centre
        a = ndimage.convolve1d(a, k[centre - half : centre + half + 1], axis=axis, mode="reflect")
    return a
