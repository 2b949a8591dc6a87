"""Synthetic lab-like recordings: a rat-like trajectory plus Poisson spikes from known maps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from hippocore._checks import as_rng, check_positive
from hippocore.envs import arena_trajectory
from hippocore.schema import make_session
from hippocore.testing._maps import band_rate, grid_rate, place_rate

__all__ = ["poisson_spikes", "synthetic_recording"]


def poisson_spikes(
    time: NDArray[np.float64],
    rate: NDArray[np.float64],
    *,
    seed: int | np.random.Generator | None = None,
) -> NDArray[np.float64]:
    """Sample an inhomogeneous Poisson spike train from a rate sampled on a clock.

    The rate is held constant over each sample interval ``[t_i, t_{i+1})`` (the last interval
    has the median sample interval); spike times are uniform within their interval.

    Parameters
    ----------
    time : ndarray of shape (n,)
        Sample times (s), strictly increasing.
    rate : ndarray of shape (n,)
        Rate at each sample (Hz), non-negative.
    seed : int or Generator, optional
        Randomness.

    Returns
    -------
    ndarray
        Sorted spike times (s).
    """
    time = np.asarray(time, dtype=float)
    rate = np.asarray(rate, dtype=float)
    if time.shape != rate.shape or time.ndim != 1:
        raise ValueError(
            f"time and rate must be 1-D of equal length; got {time.shape} and {rate.shape}."
        )
    if np.any(rate < 0) or not np.all(np.isfinite(rate)):
        raise ValueError("rate must be finite and non-negative (Hz).")
    if time.size == 0:
        return np.zeros(0)
    rng = as_rng(seed)
    dt = np.diff(time)
    dt = np.append(dt, np.median(dt) if dt.size else 1.0)
    counts = rng.poisson(rate * dt)
    starts = np.repeat(time, counts)
    widths = np.repeat(dt, counts)
    return np.sort(starts + rng.random(starts.size) * widths)


def synthetic_recording(
    duration: float = 600.0,
    *,
    dt: float = 0.02,
    limits: Sequence[float] = (0.0, 1.0, 0.0, 1.0),
    n_grid: int = 4,
    n_band: int = 2,
    n_place: int = 2,
    n_uniform: int = 2,
    peak_rate: float = 10.0,
    baseline_rate: float = 0.1,
    include_rates: bool = False,
    seed: int | np.random.Generator | None = 0,
) -> xr.Dataset:
    """A lab-like recording with known answers: grid, band, place and untuned cells.

    A rat-like trajectory (:func:`hippocore.envs.arena_trajectory`) is sampled at ``1/dt``
    and every cell fires Poisson spikes at ``baseline_rate + tuning(position)``. Grid cells get
    spacings cycling through 0.3, 0.4, 0.5 and 0.6 m with random orientation and phase; band
    cells wavelengths of 0.25-0.4 m; place cells one field each (sigma 0.08 m); untuned cells
    fire at a constant rate of ``peak_rate / 5``.

    Parameters
    ----------
    duration : float, default 600
        Length (s).
    dt : float, default 0.02
        Tracking interval (s).
    limits : sequence of 4 floats, default (0, 1, 0, 1)
        Arena (x_min, x_max, y_min, y_max), m.
    n_grid, n_band, n_place, n_uniform : int
        Number of cells of each kind.
    peak_rate : float, default 10
        Peak of the tuning (Hz).
    baseline_rate : float, default 0.1
        Added everywhere (Hz).
    include_rates : bool, default False
        Also store the true rates as ``activity`` (Hz).
    seed : int or Generator, default 0
        Randomness (trajectory, parameters, spikes).

    Returns
    -------
    xarray.Dataset
        A schema session (``source="synthetic"``) with spikes, ``head_direction`` and
        ``speed``; per-unit coords ``cell_type`` and the ground truth ``true_spacing`` (m, grid),
        ``true_orientation`` (rad, grid and band) and ``true_wavelength`` (m, band); NaN
        where not applicable.
    """
    counts = {"grid": n_grid, "band": n_band, "place": n_place, "uniform": n_uniform}
    for name, n in counts.items():
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n_{name} must be a non-negative integer; got {n!r}.")
    if sum(counts.values()) == 0:
        raise ValueError(
            "a recording needs at least one cell: set n_grid, n_band, n_place or n_uniform > 0."
        )
    check_positive(peak_rate, "peak_rate")
    check_positive(baseline_rate, "baseline_rate", allow_zero=True)
    rng = as_rng(seed)
    traj = arena_trajectory(duration, dt=dt, limits=limits, seed=rng)
    pos = traj.positions
    lo = np.array([traj.limits[0], traj.limits[2]])
    size = np.array([traj.limits[1] - traj.limits[0], traj.limits[3] - traj.limits[2]])
    rate, truth = _tuned_rates(pos, lo, size, counts, peak_rate=peak_rate, rng=rng)
    rate = rate + baseline_rate
    trains = [poisson_spikes(traj.time, rate[:, k], seed=rng) for k in range(rate.shape[1])]
    attrs = {
        "description": "synthetic recording from hippocore.testing.synthetic_recording",
        "arena_limits_m": list(traj.limits),
    }
    if isinstance(seed, (int, np.integer)):
        attrs["seed"] = int(seed)
    return make_session(
        traj.time,
        pos,
        activity=rate if include_rates else None,
        activity_units="Hz",
        spike_times=trains,
        population="synthetic",
        unit_coords=truth,
        head_direction=traj.head_direction,
        speed=traj.speed,
        source="synthetic",
        attrs=attrs,
    )


def _tuned_rates(
    pos: NDArray[np.float64],
    lo: NDArray[np.float64],
    size: NDArray[np.float64],
    counts: dict[str, int],
    *,
    peak_rate: float,
    rng: np.random.Generator,
) -> tuple[NDArray[np.float64], dict[str, NDArray]]:
    """Each cell's rate (Hz, ``(time, cell)``, no baseline) and its ground truth per unit."""
    n_grid, n_band, n_place, n_uniform = (counts[k] for k in ("grid", "band", "place", "uniform"))
    rates, kinds, spacing, orient, wavelength = [], [], [], [], []
    for i in range(n_grid):
        s = (0.3, 0.4, 0.5, 0.6)[i % 4]
        o = rng.uniform(0, np.pi / 3)
        rates.append(
            grid_rate(
                pos, spacing=s, orientation=o, phase=lo + rng.uniform(0, s, 2), peak_rate=peak_rate
            )
        )
        kinds.append("grid"), spacing.append(s), orient.append(o), wavelength.append(np.nan)
    for _ in range(n_band):
        lam = rng.uniform(0.25, 0.4)
        o = rng.uniform(0, np.pi)
        rates.append(
            band_rate(
                pos,
                wavelength=lam,
                orientation=o,
                phase=rng.uniform(0, 2 * np.pi),
                peak_rate=peak_rate,
            )
        )
        kinds.append("band"), spacing.append(np.nan), orient.append(o), wavelength.append(lam)
    for _ in range(n_place):
        centre = lo + size * rng.uniform(0.2, 0.8, 2)
        rates.append(place_rate(pos, centres=centre, sigma=0.08, peak_rate=peak_rate))
        (
            kinds.append("place"),
            spacing.append(np.nan),
            orient.append(np.nan),
            wavelength.append(np.nan),
        )
    for _ in range(n_uniform):
        rates.append(np.full(pos.shape[0], peak_rate / 5))
        (
            kinds.append("uniform"),
            spacing.append(np.nan),
            orient.append(np.nan),
            wavelength.append(np.nan),
        )
    truth = {
        "cell_type": np.array(kinds, dtype=object),
        "true_spacing": np.array(spacing),
        "true_orientation": np.array(orient),
        "true_wavelength": np.array(wavelength),
    }
    return np.column_stack(rates), truth
