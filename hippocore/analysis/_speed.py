"""Speed score (Kropff et al. 2015): correlation of running speed with instantaneous rate."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from hippocore._checks import as_float_array, as_times, check_choice, check_positive
from hippocore.analysis._samples import as_activity, as_spike_list, spike_samples
from hippocore.analysis._stack import unit_values

__all__ = ["speed_score", "instantaneous_rate", "shifted_speed_scores"]


def instantaneous_rate(
    times: NDArray[np.float64], trains: list[NDArray[np.float64]]
) -> NDArray[np.float64]:
    """Spikes per tracking sample over the sample's duration, ``(unit, n_time)`` in Hz."""
    dt = np.diff(times)
    dt = np.append(dt, dt[-1])
    out = np.empty((len(trains), times.size))
    for u, s in enumerate(trains):
        out[u] = np.bincount(spike_samples(times, s, times[-1] + dt[-1]), minlength=times.size) / dt
    return out


def _smooth(a: NDArray[np.float64], sigma_samples: float) -> NDArray[np.float64]:
    """The speed score's Gaussian along the last axis: truncated at 3 sigma, mirrored ends."""
    return ndimage.gaussian_filter1d(a, sigma_samples, axis=-1, mode="reflect", truncate=3.0)


def _correlation(speed: NDArray[np.float64], rates: NDArray[np.float64]) -> NDArray[np.float64]:
    """Pearson r of ``speed (n,)`` with each row of ``rates (k, n)``; NaN below 3 samples."""
    if speed.size < 3:
        return np.full(rates.shape[0], np.nan)
    x = speed - speed.mean()
    y = rates - rates.mean(axis=1, keepdims=True)
    den = np.sqrt((x * x).sum() * (y * y).sum(axis=1))
    ok = den > 0
    return np.where(ok, (y @ x) / np.where(ok, den, 1.0), np.nan)


def _used_samples(
    valid: NDArray[np.bool_], sigma_samples: float, variant: str
) -> NDArray[np.bool_]:
    """Samples entering the correlation (2016: valid ones; 2015: fully valid windows).

    In the 2015 variant NaN at invalid speeds spreads over the smoothing kernel's reach.
    """
    if variant == "2016":
        return valid
    return valid & (_smooth((~valid).astype(float), sigma_samples) < 1e-12)


def shifted_speed_scores(
    rates: NDArray[np.float64],
    speed: NDArray[np.float64],
    valid: NDArray[np.bool_],
    sigma_samples: float,
    variant: str,
    shifts: NDArray[np.intp],
) -> NDArray[np.float64]:
    """Speed scores of every row of ``rates`` circularly shifted by every shift, via FFT.

    On the samples that enter the correlation, the smoothed rate does not depend on the
    masking of invalid speeds (for 2015 their whole window is valid), so the smoothed rate is
    computed once and each shift's Pearson r comes from circular cross-correlations of it (and
    its square) with the masked speed: ``O(n log n)`` per unit for all shifts together. A
    shifted train smoothed after the shift differs only within 3 sigma of the wrap point.

    Returns
    -------
    ndarray of shape (unit, len(shifts))
    """
    use = _used_samples(valid, sigma_samples, variant)
    m = use.astype(float)
    n_use = m.sum()
    if n_use < 3:
        return np.full((rates.shape[0], len(shifts)), np.nan)
    sm = _smooth(rates, sigma_samples)
    x = np.where(use, speed, 0.0)
    sx, sxx = x.sum(), (x * x).sum()
    n = rates.shape[1]

    def xcorr(f: NDArray[np.float64], g: NDArray[np.float64]) -> NDArray[np.float64]:
        # c[s] = sum_t f[t] g[t - s]  (circular), for every row of g
        return np.fft.irfft(np.fft.rfft(f) * np.conj(np.fft.rfft(g, axis=-1)), n=n, axis=-1)

    idx = np.asarray(shifts) % n
    a = xcorr(x, sm)[:, idx]
    b = xcorr(m, sm)[:, idx]
    c = xcorr(m, sm * sm)[:, idx]
    cov = a - sx * b / n_use
    var_y = c - b * b / n_use
    var_x = sxx - sx * sx / n_use
    den = np.sqrt(np.clip(var_x * var_y, 0, None))
    ok = den > 1e-12 * max(1.0, float(np.abs(c).max(initial=0)))
    return np.where(ok, cov / np.where(ok, den, 1.0), np.nan)


def speed_score(
    times: ArrayLike,
    speed: ArrayLike,
    spike_times: ArrayLike | Sequence[ArrayLike] | None = None,
    *,
    activity: ArrayLike | None = None,
    sigma: float = 0.4,
    speed_range: tuple[float, float] = (0.02, 0.5),
    variant: str = "2015",
) -> float | NDArray[np.float64]:
    """Speed score: Pearson r of running speed and smoothed instantaneous rate (Kropff 2015).

    The instantaneous rate is the spike count of each tracking sample over its duration (or the
    activity itself for model units), smoothed by a Gaussian of ``sigma`` seconds (truncated at
    3 sigma; the rate is mirrored at the session ends, where BNT's ``conv`` pads zeros and so
    drags the first and last 3 sigma towards 0). Only samples with speed inside ``speed_range`` enter
    the correlation. ``variant="2015"`` (Kropff et al. 2015; BNT ``speedScore`` score15) sets
    the rate to NaN at invalid speeds before smoothing, so samples near them are dropped too;
    ``variant="2016"`` (BNT score16) smooths the full rate and then keeps valid samples.

    Parameters
    ----------
    times : array_like of shape (n,)
        Sample times (s), strictly increasing, evenly spaced.
    speed : array_like of shape (n,)
        Running speed (m/s); NaN samples are invalid.
    spike_times : array_like or sequence of array_like, optional
        One spike train (s) or one per unit.
    activity : array_like of shape (n,) or (n, unit), optional
        Continuous activity instead of spikes.
    sigma : float, default 0.4
        Smoothing standard deviation (s).
    speed_range : (float, float), default (0.02, 0.5)
        Valid speeds (m/s), inclusive: 2-50 cm/s.
    variant : {"2015", "2016"}, default "2015"
        How invalid-speed samples are handled (see above).

    Returns
    -------
    float or ndarray of shape (unit,)
        NaN for a unit that never fires or when fewer than 3 samples are valid.

    References
    ----------
    Kropff, Carmichael, Moser & Moser (2015), Nature 523:419. BNT ``analyses.speedScore``.
    """
    t = as_times(times, "times")
    v = as_float_array(speed, "speed", ndim=1)
    if v.shape != t.shape:
        raise ValueError(f"speed must have one value per sample ({t.size}); got {v.shape}.")
    if t.size < 3:
        raise ValueError(f"times needs at least 3 samples; got {t.size}.")
    if (spike_times is None) == (activity is None):
        raise ValueError("give exactly one of spike_times or activity.")
    check_choice(variant, "variant", ("2015", "2016"))
    sigma = check_positive(sigma, "sigma")
    lo, hi = _check_range(speed_range)
    if activity is not None:
        act, single = as_activity(activity, t.size)
        rates = np.nan_to_num(act.T, nan=0.0)
    else:
        trains, single = as_spike_list(spike_times)
        rates = instantaneous_rate(t, trains)
    valid = np.isfinite(v) & (v >= lo) & (v <= hi)
    sigma_samples = sigma / float(np.median(np.diff(t)))
    # 2015: the rate at invalid speeds is NaN before smoothing (0 here, and every sample
    # within the kernel's reach of one is left out); 2016: smooth all, keep valid samples.
    smoothed = _smooth(np.where(valid, rates, 0.0) if variant == "2015" else rates, sigma_samples)
    use = _used_samples(valid, sigma_samples, variant)
    return unit_values(_correlation(v[use], smoothed[:, use]), single)


def _check_range(speed_range: tuple[float, float]) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in speed_range)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"speed_range must be (low, high) in m/s; got {speed_range!r}.") from exc
    if not (0 <= lo < hi):
        raise ValueError(f"speed_range must satisfy 0 <= low < high (m/s); got {speed_range!r}.")
    return lo, hi
