"""Continuous-arena trajectories with rat-like speed and turning statistics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hippocore._checks import as_rng, check_positive

__all__ = ["Trajectory", "arena_trajectory", "check_limits"]


@dataclass(frozen=True)
class Trajectory:
    """A trajectory in a continuous arena.

    Attributes
    ----------
    time : ndarray of shape (n,)
        Sample times (s), starting at 0.
    positions : ndarray of shape (n, 2)
        Positions (m), columns (x, y).
    head_direction : ndarray of shape (n,)
        Heading (rad, counter-clockwise from +x, in [-pi, pi)).
    speed : ndarray of shape (n,)
        Running speed (m/s).
    limits : tuple of float
        (x_min, x_max, y_min, y_max) of the arena (m).
    """

    time: NDArray[np.float64]
    positions: NDArray[np.float64]
    head_direction: NDArray[np.float64]
    speed: NDArray[np.float64]
    limits: tuple[float, float, float, float]


def check_limits(
    limits: Sequence[float], name: str = "limits"
) -> tuple[float, float, float, float]:
    """Validate arena limits ``(x_min, x_max, y_min, y_max)`` in metres.

    Parameters
    ----------
    limits : sequence of 4 floats
        Arena extent (m).
    name : str, default "limits"
        Argument name for error messages.

    Returns
    -------
    tuple of 4 floats
    """
    try:
        vals = tuple(float(v) for v in limits)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be 4 numbers (x_min, x_max, y_min, y_max); got {limits!r}."
        ) from exc
    if len(vals) != 4 or not all(np.isfinite(vals)):
        raise ValueError(
            f"{name} must be 4 finite numbers (x_min, x_max, y_min, y_max); got {limits!r}."
        )
    if not (vals[1] > vals[0] and vals[3] > vals[2]):
        raise ValueError(f"{name} must satisfy x_min < x_max and y_min < y_max; got {vals}.")
    return vals  # type: ignore[return-value]


def _ou(n: int, dt: float, tau: float, rng: np.random.Generator) -> NDArray[np.float64]:
    """Stationary unit-variance Ornstein-Uhlenbeck process sampled every ``dt``."""
    a = np.exp(-dt / tau)
    noise = rng.standard_normal(n) * np.sqrt(1 - a * a)
    out = np.empty(n)
    out[0] = rng.standard_normal()
    for i in range(1, n):
        out[i] = a * out[i - 1] + noise[i]
    return out


def arena_trajectory(
    duration: float,
    *,
    dt: float = 0.02,
    limits: Sequence[float] = (0.0, 1.0, 0.0, 1.0),
    mean_speed: float = 0.15,
    speed_cv: float = 0.6,
    speed_tau: float = 0.7,
    turn_std: float = 2.0,
    turn_tau: float = 0.1,
    seed: int | np.random.Generator | None = None,
) -> Trajectory:
    """Simulate a rat-like trajectory in a rectangular box.

    Speed is log-normal (mean ``mean_speed``, coefficient of variation ≈ ``speed_cv``) with
    Ornstein-Uhlenbeck correlations over ``speed_tau``; the turning rate is an OU process with
    standard deviation ``turn_std`` rad/s and correlation time ``turn_tau``. A move that
    would leave the box stops at the wall and turns the heading along it, so the animal
    follows walls for a while, as rats do, without crossing them. The defaults give speeds like rats foraging
    in a 1 m box (10-20 cm/s on average) and cover such a box within about 10 minutes.

    Parameters
    ----------
    duration : float
        Length (s).
    dt : float, default 0.02
        Sampling interval (s); 0.02 s = 50 Hz tracking.
    limits : sequence of 4 floats, default (0, 1, 0, 1)
        Arena (x_min, x_max, y_min, y_max) in m.
    mean_speed : float, default 0.15
        Mean running speed (m/s).
    speed_cv : float, default 0.6
        Spread of the log-normal speed (its log-standard deviation).
    speed_tau : float, default 0.7
        Speed correlation time (s).
    turn_std : float, default 2.0
        Standard deviation of the turning rate (rad/s).
    turn_tau : float, default 0.1
        Turning-rate correlation time (s).
    seed : int or Generator, optional
        Randomness.

    Returns
    -------
    Trajectory
    """
    duration = check_positive(duration, "duration")
    dt = check_positive(dt, "dt")
    lim = check_limits(limits)
    for name, value in (
        ("mean_speed", mean_speed),
        ("speed_cv", speed_cv),
        ("speed_tau", speed_tau),
        ("turn_std", turn_std),
        ("turn_tau", turn_tau),
    ):
        check_positive(value, name)
    n = int(round(duration / dt))
    if n < 2:
        raise ValueError(f"duration/dt gives {n} sample(s); at least 2 are needed.")
    rng = as_rng(seed)
    sigma = float(speed_cv)
    mu = np.log(mean_speed) - sigma**2 / 2
    speed = np.exp(mu + sigma * _ou(n, dt, speed_tau, rng))
    omega = turn_std * _ou(n, dt, turn_tau, rng)
    lo = np.array([lim[0], lim[2]])
    hi = np.array([lim[1], lim[3]])
    pos = np.empty((n, 2))
    heading = np.empty(n)
    pos[0] = lo + (hi - lo) * rng.uniform(0.2, 0.8, 2)
    heading[0] = rng.uniform(-np.pi, np.pi)
    for i in range(1, n):
        h = heading[i - 1] + omega[i] * dt
        p = pos[i - 1]
        step = speed[i] * dt * np.array([np.cos(h), np.sin(h)])
        new = p + step
        out = (new < lo) | (new > hi)
        if out.any():
            # At a wall: stop at it and turn the heading along it (thigmotaxis); in a corner,
            # turn back.
            direction = np.where(out, 0.0, step)
            if not direction.any():
                direction = -step
            h = np.arctan2(direction[1], direction[0])
        pos[i] = np.clip(new, lo, hi)
        heading[i] = h
    heading = np.angle(np.exp(1j * heading))
    # Report the speed actually run (slower than commanded while sliding along a wall).
    moved = np.linalg.norm(np.diff(pos, axis=0), axis=1) / dt
    speed = np.concatenate([moved[:1], moved])
    time = np.arange(n) * dt
    return Trajectory(time=time, positions=pos, head_direction=heading, speed=speed, limits=lim)
