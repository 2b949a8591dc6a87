"""Spike trains sampled from model rates on a fine clock (for NWB ``Units`` tables)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["sample_spikes"]


def _distinct_slots(
    interval: NDArray[np.int64],
    unit: NDArray[np.int64],
    n_slot: NDArray[np.int64],
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """Draw one slot per spike so that spikes of one unit in one interval never share a slot.

    Sequential rejection: every spike draws a uniform slot in ``[0, n_slot)``, and spikes that
    land on an occupied slot draw again. The result is a uniform random set of distinct slots
    per (unit, interval) -- the same law as choosing without replacement.
    """
    slot = rng.integers(0, n_slot)
    while True:
        key = np.stack([unit, interval, slot])
        order = np.lexsort(key[::-1])
        k = key[:, order]
        dup = np.zeros(slot.size, dtype=bool)
        if slot.size > 1:
            dup[order[1:]] = np.all(k[:, 1:] == k[:, :-1], axis=0)
        if not dup.any():
            return slot
        slot[dup] = rng.integers(0, n_slot[dup])


def sample_spikes(
    time: NDArray[np.float64],
    get_rates: Callable[[int, int], NDArray[np.floating]],
    n_unit: int,
    *,
    resolution: float,
    rng: np.random.Generator,
    block: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Sample spikes of every unit from rates held constant over each sample interval.

    The process is the Bernoulli discretisation of an inhomogeneous Poisson process at
    ``resolution``: each sample interval ``[t_i, t_{i+1})`` is cut into
    ``m_i = floor(dt_i / resolution)`` slots (at least one) and each slot holds a spike with
    probability ``1 - exp(-rate_i * resolution)``, independently. The count per interval is
    therefore ``Binomial(m_i, p_i)`` and the occupied slots a uniform random subset. Spike
    times are ``t_i + slot * resolution``, so two spikes of one unit are never closer than
    ``resolution``. The mean count ``m_i p_i`` equals ``rate_i dt_i`` to first order (relative
    bias about ``rate * resolution / 2``, 0.5 % at 10 Hz and 1 ms). The last interval lasts the
    median sample interval. Rates are read block by block, so memory is bounded by ``block``.

    Parameters
    ----------
    time : ndarray of shape (n_time,)
        Sample times (s), strictly increasing.
    get_rates : callable ``(start, stop) -> ndarray (stop - start, n_unit)``
        Rates (Hz) of a block of samples; must be finite and non-negative.
    n_unit : int
        Number of units.
    resolution : float
        Slot width (s).
    rng : numpy.random.Generator
        Randomness.
    block : int
        Samples per block.

    Returns
    -------
    spike_time : ndarray of float64
        Spike times (s), grouped by unit (ascending unit), ascending within a unit.
    spike_unit : ndarray of int64
        Unit index of each spike.

    Raises
    ------
    ValueError
        If a rate is negative or not finite.
    """
    n = time.size
    dt = np.diff(time)
    dt = np.append(dt, np.median(dt) if dt.size else resolution)
    slots = np.maximum(np.floor(dt / resolution + 1e-9).astype(np.int64), 1)
    times, owners = [], []
    for start in range(0, n, block):
        stop = min(start + block, n)
        rate = np.asarray(get_rates(start, stop), dtype=np.float64)
        if not np.all(np.isfinite(rate)) or np.any(rate < 0):
            raise ValueError(
                "activity must be finite and non-negative rates (Hz) to sample spikes; samples "
                f"{start}..{stop - 1} hold negative or NaN values."
            )
        p = -np.expm1(-rate * resolution)
        counts = rng.binomial(slots[start:stop, None], p)
        i, u = np.nonzero(counts)
        c = counts[i, u]
        i = np.repeat(i + start, c)
        u = np.repeat(u, c)
        slot = _distinct_slots(i, u, slots[i], rng)
        times.append(time[i] + slot * resolution)
        owners.append(u)
    if not times:
        return np.zeros(0), np.zeros(0, np.int64)
    t = np.concatenate(times)
    owner = np.concatenate(owners).astype(np.int64)
    order = np.lexsort((t, owner))
    return t[order], owner[order]
