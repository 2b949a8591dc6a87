"""Head-direction tuning curves and their statistics (BNT ``turningCurve``/``tcStatistics``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from hippocore._checks import as_float_array, as_positions, as_times, check_positive
from hippocore.analysis._samples import as_activity, as_spike_list, dwell_times, spike_samples
from hippocore.analysis._stack import reject_inf
from hippocore.schema import led_head_direction

__all__ = [
    "HeadDirectionTuning",
    "HeadDirectionStats",
    "head_direction_from_leds",
    "head_direction_tuning",
    "head_direction_stats",
]


@dataclass(frozen=True)
class HeadDirectionTuning:
    """Head-direction tuning curve(s).

    Attributes
    ----------
    curve : ndarray of shape (n_bins,) or (unit, n_bins)
        Rate per direction bin (Hz, or the activity's units); NaN where never sampled.
    bin_centres : ndarray of shape (n_bins,)
        Bin centres (rad, counter-clockwise from +x, in [0, 2 pi)).
    occupancy : ndarray of shape (n_bins,)
        Time spent facing each bin (s).
    """

    curve: NDArray[np.float64]
    bin_centres: NDArray[np.float64]
    occupancy: NDArray[np.float64]


@dataclass(frozen=True)
class HeadDirectionStats:
    """Statistics of a tuning curve (BNT ``tcStatistics``); floats or ``(unit,)`` arrays.

    Attributes
    ----------
    mean_vector_length : float or ndarray
        Rate-weighted mean resultant length ``r`` in [0, 1].
    mean_direction : float or ndarray
        Direction of the mean vector (rad, [0, 2 pi)).
    std : float or ndarray
        Angular deviation ``sqrt(2 (1 - r))`` (rad; Zar eq. 26.20).
    peak_rate : float or ndarray
        Highest value of the curve.
    peak_direction : float or ndarray
        Bin centre of the peak (rad).
    mean_rate : float or ndarray
        Mean of the curve over sampled bins.
    """

    mean_vector_length: float | NDArray[np.float64]
    mean_direction: float | NDArray[np.float64]
    std: float | NDArray[np.float64]
    peak_rate: float | NDArray[np.float64]
    peak_direction: float | NDArray[np.float64]
    mean_rate: float | NDArray[np.float64]


def head_direction_from_leds(front: ArrayLike, back: ArrayLike | None) -> NDArray[np.float64]:
    """Head direction from two tracked LEDs: the direction from the back LED to the front LED.

    This is BNT ``calcHeadDirection`` (LED 1 in front, LED 2 behind), in radians.

    Parameters
    ----------
    front : array_like of shape (n, 2)
        Front-LED positions (m), columns (x, y); NaN where untracked.
    back : array_like of shape (n, 2)
        Back-LED positions (m); NaN where untracked.

    Returns
    -------
    ndarray of shape (n,)
        Direction (rad, counter-clockwise from +x, in (-pi, pi]: the schema's convention,
        :func:`hippocore.schema.led_head_direction`, which the readers use too); NaN where
        either LED is missing. Tuning curves bin it on BNT's [0, 2 pi) axis.

    Raises
    ------
    ValueError
        If ``back`` is missing, empty or never tracked: head direction needs two LEDs (pass a
        direction series to :func:`head_direction_tuning` instead).
    """
    f = as_positions(front, "front", allow_nan=True)
    if back is None or np.size(back) == 0:
        raise ValueError(
            "back (the second LED) is missing: head direction needs two tracked LEDs. For a "
            "one-LED recording pass a measured direction series to head_direction_tuning, or "
            "use the moving direction (np.arctan2 of the position differences) knowingly."
        )
    b = as_positions(back, "back", allow_nan=True)
    if b.shape != f.shape:
        raise ValueError(f"front and back must have the same shape; got {f.shape} and {b.shape}.")
    if not np.isfinite(b).all(axis=1).any():
        raise ValueError(
            "back (the second LED) has no tracked sample (all NaN): head direction needs two "
            "LEDs. Pass a measured direction series to head_direction_tuning instead."
        )
    return led_head_direction(f, b)


def _circular_smooth(curves: NDArray[np.float64], sigma_bins: float) -> NDArray[np.float64]:
    if sigma_bins <= 0:
        return curves
    return ndimage.gaussian_filter1d(curves, sigma_bins, axis=-1, mode="wrap", truncate=4.0)


def head_direction_tuning(
    times: ArrayLike,
    directions: ArrayLike,
    spike_times: ArrayLike | Sequence[ArrayLike] | None = None,
    *,
    activity: ArrayLike | None = None,
    n_bins: int = 120,
    smooth: float = 1.0,
    max_gap: float = 0.1,
) -> HeadDirectionTuning:
    """Head-direction tuning curve(s) from spikes or continuous activity (BNT ``turningCurve``).

    Each sample is credited ``min(t[i+1] - t[i], max_gap)`` seconds (the last sample repeats
    the previous interval); a spike belongs to the sample at or before it, as in
    :func:`~hippocore.analysis.rate_map`. The curve is spikes (or activity x time) per bin over time per bin;
    with ``smooth > 0`` it is smoothed by a circular Gaussian of ``smooth`` bins. BNT's
    default is 3° bins and 1 bin of smoothing; BNT pads by mirroring, we wrap around the
    circle.

    Parameters
    ----------
    times : array_like of shape (n,)
        Sample times (s), strictly increasing.
    directions : array_like of shape (n,)
        Head direction per sample (rad); NaN samples (e.g. a lost LED) are left out, with
        their time and spikes. For two LEDs use :func:`head_direction_from_leds` first.
    spike_times : array_like or sequence of array_like, optional
        One spike train (s) or one per unit.
    activity : array_like of shape (n,) or (n, unit), optional
        Continuous activity instead of spikes (model units).
    n_bins : int, default 120
        Direction bins over the circle (120 = 3° bins).
    smooth : float, default 1.0
        Gaussian smoothing (bins); 0 for none.
    max_gap : float, default 0.1
        Longest time credited to one sample (s).

    Returns
    -------
    HeadDirectionTuning
        ``curve`` is 1-D for one spike train or a 1-D activity, else ``(unit, n_bins)``.
    """
    t = as_times(times, "times")
    if t.size < 2:
        raise ValueError(f"times needs at least 2 samples; got {t.size}.")
    hd = as_float_array(directions, "directions", ndim=1)
    if hd.shape != t.shape:
        raise ValueError(
            f"directions must have one value per sample ({t.size}); got shape {hd.shape}."
        )
    if (spike_times is None) == (activity is None):
        raise ValueError("give exactly one of spike_times or activity.")
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 3:
        raise ValueError(f"n_bins must be an integer >= 3; got {n_bins!r}.")
    check_positive(smooth, "smooth", allow_zero=True)
    max_gap = check_positive(max_gap, "max_gap")
    ok = np.isfinite(hd)
    if not ok.any():
        raise ValueError("directions has no finite sample; nothing to tune against.")
    bin_of = np.full(t.size, -1)
    bin_of[ok] = np.minimum(
        (np.mod(hd[ok], 2 * np.pi) / (2 * np.pi) * n_bins).astype(int), n_bins - 1
    )
    dwell_all = dwell_times(t, max_gap)
    dwell = np.where(ok, dwell_all, 0.0)
    occ = np.bincount(bin_of[ok], weights=dwell[ok], minlength=n_bins)
    if activity is not None:
        act, single = as_activity(activity, t.size)
        w = np.where(ok[:, None], act * dwell[:, None], 0.0)
        w = np.nan_to_num(w, nan=0.0)
        amount = np.stack(
            [np.bincount(bin_of[ok], weights=w[ok, u], minlength=n_bins) for u in range(w.shape[1])]
        )
    else:
        trains, single = as_spike_list(spike_times)
        amount = np.zeros((len(trains), n_bins))
        for u, s in enumerate(trains):
            b = bin_of[spike_samples(t, s, t[-1] + dwell_all[-1])]
            amount[u] = np.bincount(b[b >= 0], minlength=n_bins)
    rate = amount / (occ + np.finfo(float).eps)
    rate = _circular_smooth(rate, float(smooth))
    rate[:, occ == 0] = np.nan
    centres = (np.arange(n_bins) + 0.5) * 2 * np.pi / n_bins
    return HeadDirectionTuning(
        curve=rate[0] if single else rate, bin_centres=centres, occupancy=occ
    )


def head_direction_stats(curve: ArrayLike, bin_centres: ArrayLike) -> HeadDirectionStats:
    """Mean vector length, mean direction and angular deviation of tuning curve(s) (BNT ``tcStatistics``).

    ``r = |sum_k c_k exp(i theta_k)| / sum_k c_k`` over the sampled (non-NaN) bins, the mean
    direction is the angle of that sum, and ``std = sqrt(2 (1 - r))``.

    Parameters
    ----------
    curve : array_like of shape (n_bins,) or (unit, n_bins)
        Non-negative tuning curve(s); NaN bins are left out, infinite ones raise.
    bin_centres : array_like of shape (n_bins,)
        Bin centres (rad).

    Returns
    -------
    HeadDirectionStats
        NaN statistics for a curve that is all NaN or all zero.

    References
    ----------
    BNT ``analyses.tcStatistics`` (github.com/brkanter/BNT @ a872035); Zar, Biostatistical
    Analysis, eq. 26.20.
    """
    c = as_float_array(curve, "curve", ndim=(1, 2))
    reject_inf(c, "curve", fix="replace them with NaN (unsampled) or fix the zero dwell time")
    single = c.ndim == 1
    c = c[None] if single else c
    theta = as_float_array(bin_centres, "bin_centres", ndim=1, allow_nan=False)
    if theta.size != c.shape[1]:
        raise ValueError(
            f"bin_centres has {theta.size} values but the curve has {c.shape[1]} bins."
        )
    if np.any(c[np.isfinite(c)] < 0):
        raise ValueError("curve must be non-negative (rates).")
    valid = np.isfinite(c)
    w = np.where(valid, c, 0.0)
    total = w.sum(axis=1)
    vec = (w * np.exp(1j * theta)).sum(axis=1)
    ok = total > 0
    r = np.where(ok, np.abs(vec) / np.where(ok, total, 1.0), np.nan)
    mean_dir = np.where(ok, np.mod(np.angle(vec), 2 * np.pi), np.nan)
    has = valid.any(axis=1)
    peak_idx = np.argmax(np.where(valid, c, -np.inf), axis=1)
    peak = np.where(has, c[np.arange(c.shape[0]), peak_idx], np.nan)
    peak_dir = np.where(has, theta[peak_idx], np.nan)
    n_valid = valid.sum(axis=1)
    mean_rate = np.where(has, w.sum(axis=1) / np.maximum(n_valid, 1), np.nan)
    std = np.sqrt(2 * (1 - r))
    if single:
        vals = [float(v[0]) for v in (r, mean_dir, std, peak, peak_dir, mean_rate)]
        return HeadDirectionStats(*vals)
    return HeadDirectionStats(r, mean_dir, std, peak, peak_dir, mean_rate)
