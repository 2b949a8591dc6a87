"""Pieces shared by the io readers and writers: warning category, time grids, names, LEDs."""

from __future__ import annotations

import re
import warnings

import numpy as np
from numpy.typing import NDArray

from hippocore.schema import led_head_direction

__all__ = [
    "DataRepairWarning",
    "NoUnitsWarning",
    "regular_rate",
    "sanitize_name",
    "combine_leds",
    "drop_nan_samples",
    "check_timestamps",
]

#: Relative tolerance (of one sample interval) under which a clock counts as regular.
REGULAR_RTOL = 1e-6


class DataRepairWarning(UserWarning):
    """A reader repaired its input in a documented way (e.g. dropped untracked NaN samples)."""


class NoUnitsWarning(UserWarning):
    """A reader found no units (cells) where some were expected; the session has position only."""


def regular_rate(time: NDArray[np.float64]) -> float | None:
    """Sampling rate (Hz) if ``time`` is a regular clock, else None.

    A clock is regular when every sample lies within ``1e-6`` of one interval of
    ``time[0] + i / rate`` with ``rate = (n - 1) / (time[-1] - time[0])``.

    Parameters
    ----------
    time : ndarray of shape (n,)
        Sample times (s), strictly increasing.

    Returns
    -------
    float or None
    """
    n = time.size
    if n < 2:
        return None
    span = float(time[-1] - time[0])
    if span <= 0:
        return None
    rate = (n - 1) / span
    ideal = time[0] + np.arange(n) / rate
    if np.max(np.abs(ideal - time)) <= REGULAR_RTOL / rate:
        return rate
    return None


def sanitize_name(label: str) -> str:
    """An NWB-safe object name: no ``/`` or ``:``, no spaces at the ends, never empty."""
    name = re.sub(r"[/:]+", "_", str(label)).strip()
    return name or "unnamed"


def check_timestamps(t: NDArray[np.float64], what: str) -> NDArray[np.float64]:
    """Check that sample times are finite and strictly increasing.

    Parameters
    ----------
    t : ndarray of shape (n,)
        Times (s).
    what : str
        The object the times belong to, named in the error.

    Returns
    -------
    ndarray
        ``t`` itself.

    Raises
    ------
    ValueError
        Naming ``what``, the first offending index and the kind of problem.
    """
    if t.ndim != 1:
        raise ValueError(f"{what}: timestamps must be 1-D; got shape {t.shape}.")
    if t.size and not np.all(np.isfinite(t)):
        bad = int(np.count_nonzero(~np.isfinite(t)))
        raise ValueError(f"{what}: {bad} timestamp(s) are NaN or infinite.")
    if t.size > 1:
        d = np.diff(t)
        dup = np.flatnonzero(d == 0)
        back = np.flatnonzero(d < 0)
        if back.size:
            i = int(back[0])
            raise ValueError(
                f"{what}: timestamps are not monotonic: t[{i}]={t[i]!r} > t[{i + 1}]={t[i + 1]!r} "
                f"({back.size} backward step(s)). The file's clock is corrupt or the samples are "
                "out of order; sort them (and their data) before use."
            )
        if dup.size:
            i = int(dup[0])
            raise ValueError(
                f"{what}: timestamps are duplicated: t[{i}] == t[{i + 1}] == {t[i]!r} "
                f"({dup.size} duplicate(s)). Remove the duplicated samples before use."
            )
    return t


def combine_leds(
    led1: NDArray[np.float64], led2: NDArray[np.float64] | None
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Position and head direction from one or two tracking LEDs.

    With two LEDs the position is their midpoint and the head direction the angle of the
    vector from LED 2 to LED 1, ``atan2(y1 - y2, x1 - x2)`` in (-pi, pi] rad, counter-clockwise
    from +x (LED 1 taken as the front LED, as in the Kavli/Axona convention). Where only one
    LED is tracked its position is used and the head direction is NaN. Where neither is
    tracked the position is NaN (the caller drops those samples).

    Parameters
    ----------
    led1 : ndarray of shape (n, 2)
        LED 1 positions (m).
    led2 : ndarray of shape (n, 2) or None
        LED 2 positions (m), or None for one LED.

    Returns
    -------
    position : ndarray of shape (n, 2)
    head_direction : ndarray of shape (n,) or None
        None when only one LED is given.
    """
    if led2 is None:
        return led1.copy(), None
    ok1 = np.isfinite(led1).all(axis=1)
    ok2 = np.isfinite(led2).all(axis=1)
    pos = np.where(ok1[:, None], led1, led2)
    both = ok1 & ok2
    pos[both] = 0.5 * (led1[both] + led2[both])
    return pos, led_head_direction(led1, led2)


def drop_nan_samples(
    time: NDArray[np.float64], position: NDArray[np.float64], what: str, *, stacklevel: int = 3
) -> NDArray[np.bool_]:
    """Mask of tracked samples; warns (:class:`DataRepairWarning`) when some are dropped.

    Parameters
    ----------
    time : ndarray of shape (n,)
        Sample times (s).
    position : ndarray of shape (n, 2)
        Positions (m), NaN where untracked.
    what : str
        The object named in the warning.
    stacklevel : int, default 3
        Passed to :func:`warnings.warn` so the warning points at the user's call.

    Returns
    -------
    ndarray of bool, shape (n,)
        True for samples to keep.
    """
    keep = np.isfinite(position).all(axis=1)
    n_bad = int(keep.size - np.count_nonzero(keep))
    if n_bad:
        warnings.warn(
            f"{what}: dropped {n_bad} of {keep.size} position sample(s) with NaN coordinates "
            "(untracked). Spikes in those gaps are kept; activity and other per-sample "
            "variables lose the same samples.",
            DataRepairWarning,
            stacklevel=stacklevel,
        )
    return keep
