"""Tracking-clock helpers: dwell time per sample and the sample each spike falls in."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore._checks import as_float_array

__all__ = ["dwell_times", "spike_samples", "as_spike_list", "as_activity"]


def dwell_times(times: NDArray[np.float64], max_gap: float) -> NDArray[np.float64]:
    """Time credited to each sample: ``diff(t)`` with the last value repeated, clipped at ``max_gap``.

    This is BNT ``analyses.map``'s dwell time.
    """
    if times.size < 2:
        return np.full(times.size, max_gap)
    dt = np.diff(times)
    return np.minimum(np.append(dt, dt[-1]), max_gap)


def spike_samples(
    times: NDArray[np.float64], spikes: NDArray[np.float64], end: float
) -> NDArray[np.intp]:
    """Index of the sample each spike belongs to: the last sample at or before it (BNT ``histc``).

    Spikes before the first sample or after ``end`` are dropped; pass
    ``end = times[-1] + dwell[-1]`` so that the last sample's dwell interval counts, as in
    :func:`hippocore.analysis.rate_map`.
    """
    keep = (spikes >= times[0]) & (spikes <= end)
    return np.searchsorted(times, spikes[keep], side="right") - 1


def as_spike_list(spike_times: ArrayLike | Sequence[ArrayLike], name: str = "spike_times"):
    """Return (list of 1-D float arrays, single) from one spike train or a sequence of them."""
    if isinstance(spike_times, np.ndarray) and spike_times.dtype != object:
        if spike_times.ndim != 1:
            raise ValueError(
                f"{name} must be one 1-D array of spike times (s) or a list of them (one per "
                f"unit); got an array of shape {spike_times.shape}."
            )
        return [as_float_array(spike_times, name, ndim=1, allow_nan=False)], True
    if isinstance(spike_times, (list, tuple)) and all(
        np.ndim(s) == 0 for s in spike_times
    ):  # a plain list of numbers is one train
        return [as_float_array(spike_times, name, ndim=1, allow_nan=False)], True
    trains = [
        as_float_array(s, f"{name}[{i}]", ndim=1, allow_nan=False)
        for i, s in enumerate(spike_times)
    ]
    return [np.sort(t) for t in trains], False


def as_activity(activity: ArrayLike, n_time: int) -> tuple[NDArray[np.float64], bool]:
    """Return ``(activity (n_time, n_unit), single)`` from a (n_time,) or (n_time, n_unit) array."""
    act = as_float_array(activity, "activity", ndim=(1, 2))
    if act.shape[0] != n_time:
        raise ValueError(
            f"activity must have one row per sample ({n_time}); got shape {act.shape}."
        )
    single = act.ndim == 1
    return (act[:, None] if single else act), single
