"""The scores :func:`~hippocore.analysis.shuffle_scores` builds nulls for: one registry entry each.

An entry names the score(s) it fills, the input it needs beyond the maps (head direction or
speed), and how it scores a block of shifted maps. Options that belong to a score function
(head-direction bins and smoothing, the speed score's smoothing, range and variant, the
border threshold, the Fourier size) are read from that function's own signature, so each
default is written once, where the score is defined.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hippocore.analysis._autocorr import autocorrelogram
from hippocore.analysis._band import max_fourier_power
from hippocore.analysis._border import border_score
from hippocore.analysis._direction import (
    _circular_smooth,
    head_direction_stats,
    head_direction_tuning,
)
from hippocore.analysis._gridness import gridness
from hippocore.analysis._gridness_bnt import bnt_score_only
from hippocore.analysis._shift_maps import ShiftEngine
from hippocore.analysis._speed import shifted_speed_scores, speed_score
from hippocore.analysis._stats import coherence, map_stats

__all__ = ["NullScore", "Context", "Block", "REGISTRY", "SCORES", "default_of"]

_EPS = np.finfo(float).eps
_ACORR_BLOCK = 256  # maps autocorrelated, or searched for fields, together (cache-sized)


def default_of(func: Callable[..., Any], name: str) -> Any:
    """The default value of parameter ``name`` of ``func``: the one place it is written."""
    return inspect.signature(func).parameters[name].default


@dataclass(frozen=True)
class Context:
    """What every score may read: the session, its shifts and the caller's options.

    Attributes
    ----------
    times : ndarray of shape (n,)
        Tracking times (s).
    engine : ShiftEngine
        Bins, dwell and occupancy of the session; makes the maps of a shift.
    shifts : ndarray of int, shape (n_shifts,)
        Every shift (samples), 0 (the observed data) first.
    n_units : int
        Units scored.
    head_direction, speed : ndarray of shape (n,), or None
        The behavioural series, when given.
    options : dict
        The caller's options by ``shuffle_scores`` parameter name (``field_min_peak`` resolved).
    """

    times: NDArray[np.float64]
    engine: ShiftEngine
    shifts: NDArray[np.intp]
    n_units: int
    head_direction: NDArray[np.float64] | None
    speed: NDArray[np.float64] | None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Block:
    """A chunk of shifts and their maps, shift-major: ``maps[j * n_units + u]``.

    Attributes
    ----------
    shifts : ndarray of int, shape (k,)
        The shifts (samples).
    column : int
        Index of the first of them in :attr:`Context.shifts`.
    raw, smoothed : ndarray of shape (k * n_units, y, x)
        Unsmoothed and smoothed rate maps, NaN where unvisited.
    """

    shifts: NDArray[np.intp]
    column: int
    raw: NDArray[np.float64]
    smoothed: NDArray[np.float64]


@dataclass(frozen=True)
class NullScore:
    """One registry entry: how one score function scores blocks of shifted maps.

    Attributes
    ----------
    names : tuple of str
        The scores it fills (one computation can give several, e.g. ``map_stats``).
    score : callable
        ``score(context, state, block) -> {name: ndarray of shape (k * n_units,)}``.
    needs : str or None
        The ``shuffle_scores`` argument it needs (``"head_direction"``, ``"speed"``).
    start : callable or None
        ``start(context) -> state``, run once before the blocks (e.g. all shifts at once).
    """

    names: tuple[str, ...]
    score: Callable[[Context, Any, Block], dict[str, NDArray[np.float64]]]
    needs: str | None = None
    start: Callable[[Context], Any] | None = None


def _blocks(n: int, size: int) -> list[tuple[int, int]]:
    """``(start, stop)`` blocks of at most ``size`` maps, none leaving one map alone.

    ``autocorrelogram`` works 16 maps at a time, and numpy sums a one-map stack in another
    order than a stack of several (last-bit differences); blocks whose length is 1 modulo
    16 would put a map alone. The last block then gives 8 maps to the one before it.
    """
    bounds = [(lo, min(lo + size, n)) for lo in range(0, n, size)]
    lo, hi = bounds[-1] if bounds else (0, 0)
    if (hi - lo) % 16 == 1 and n > 1:  # split as (..., 8): neither part is 1 modulo 16
        start = bounds[-2][0] if hi - lo == 1 else lo
        bounds[-2 if hi - lo == 1 else -1 :] = [(start, hi - 8), (hi - 8, hi)]
    return bounds


def _gridness(ctx: Context, state: None, block: Block) -> dict[str, NDArray[np.float64]]:
    sm = block.smoothed
    out = np.empty(sm.shape[0])
    deepmind = ctx.options.get("gridness_method", "bnt") == "deepmind"
    for lo, hi in _blocks(sm.shape[0], _ACORR_BLOCK):
        acorr = autocorrelogram(sm[lo:hi])
        if deepmind:
            out[lo:hi] = gridness(acorr, method="deepmind").score
        else:
            out[lo:hi] = bnt_score_only(acorr)
    return {"gridness": out}


def _in_blocks(
    score: Callable[[NDArray[np.float64]], dict[str, NDArray[np.float64]]],
    maps: NDArray[np.float64],
) -> dict[str, NDArray[np.float64]]:
    """``score`` of a stack of maps, :data:`_ACORR_BLOCK` maps at a time.

    Every score here is computed map by map and no block holds a lone map, so the numbers
    are those of one call on the whole stack; the blocks' arrays stay in cache (the border
    score ran ~6 % faster than on 2000-map chunks).
    """
    parts = [score(maps[lo:hi]) for lo, hi in _blocks(maps.shape[0], _ACORR_BLOCK)]
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def _map_stats(ctx: Context, state: None, block: Block) -> dict[str, NDArray[np.float64]]:
    def score(maps: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
        ms = map_stats(maps, ctx.engine.occupancy)
        return {
            "information_rate": ms.information_rate,
            "information_content": ms.information_content,
            "selectivity": ms.selectivity,
        }

    return _in_blocks(score, block.smoothed)


def _coherence(ctx: Context, state: None, block: Block) -> dict[str, NDArray[np.float64]]:
    return _in_blocks(lambda maps: {"coherence": coherence(maps)}, block.raw)


def _border(ctx: Context, state: None, block: Block) -> dict[str, NDArray[np.float64]]:
    threshold, min_peak = ctx.options["border_threshold"], ctx.options["field_min_peak"]
    return _in_blocks(
        lambda maps: {"border": border_score(maps, threshold=threshold, min_peak=min_peak).score},
        block.smoothed,
    )


def _band_power(ctx: Context, state: None, block: Block) -> dict[str, NDArray[np.float64]]:
    opts = ctx.options
    power = max_fourier_power(block.raw, bin_size=opts["bin_size"], fft_size=opts["fft_size"])
    return {"band_power": power}


def _direction_start(ctx: Context) -> dict[str, Any]:
    """Direction bin of every sample and the time spent facing each bin (as in the tuning)."""
    n_bins = int(ctx.options["hd_bins"])
    hd = ctx.head_direction
    ok = np.isfinite(hd)
    b = np.full(hd.size, -1)
    b[ok] = np.minimum((np.mod(hd[ok], 2 * np.pi) / (2 * np.pi) * n_bins).astype(int), n_bins - 1)
    dwell = ctx.engine.dwell
    return {
        "bin": b,
        "occupancy": np.bincount(b[ok], weights=dwell[ok], minlength=n_bins),
        "centres": (np.arange(n_bins) + 0.5) * 2 * np.pi / n_bins,
        "n_bins": n_bins,
        "smooth": float(default_of(head_direction_tuning, "smooth")),
    }


def _direction(ctx: Context, state: dict, block: Block) -> dict[str, NDArray[np.float64]]:
    """Mean vector length of every unit's head-direction tuning curve, for every shift."""
    out = []
    for s in block.shifts:
        amount = ctx.engine.direction_amounts(state["bin"], int(s), ctx.n_units, state["n_bins"])
        curve = _circular_smooth(amount / (state["occupancy"] + _EPS), state["smooth"])
        curve[:, state["occupancy"] == 0] = np.nan
        out.append(head_direction_stats(curve, state["centres"]).mean_vector_length)
    return {"head_direction": np.concatenate(out)}


def _speed_start(ctx: Context) -> NDArray[np.float64]:
    """Kropff speed scores of every unit for every shift at once (``(unit, n_shifts)``)."""
    t, v, eng = ctx.times, ctx.speed, ctx.engine
    lo, hi = ctx.options["speed_range"]
    valid = np.isfinite(v) & (v >= lo) & (v <= hi)
    dt = float(np.median(np.diff(t)))
    if eng.activity is not None:
        inst = eng.activity.T.copy()
    else:  # instantaneous rate: spikes per sample over the sample's duration
        inst = np.zeros((ctx.n_units, t.size))
        np.add.at(inst, (eng.units, eng.samples), 1.0)
        gaps = np.diff(t)
        inst /= np.append(gaps, gaps[-1])
    sigma_samples = float(default_of(speed_score, "sigma")) / dt
    variant = ctx.options["speed_variant"]
    return shifted_speed_scores(inst, np.nan_to_num(v), valid, sigma_samples, variant, ctx.shifts)


def _speed(ctx: Context, state: NDArray, block: Block) -> dict[str, NDArray[np.float64]]:
    k = block.shifts.size
    return {"speed": state[:, block.column : block.column + k].T.ravel()}


#: Every score ``shuffle_scores`` can build a null for, in output order.
REGISTRY: tuple[NullScore, ...] = (
    NullScore(("gridness",), _gridness),
    NullScore(("information_rate", "information_content", "selectivity"), _map_stats),
    NullScore(("coherence",), _coherence),
    NullScore(("border",), _border),
    NullScore(("band_power",), _band_power),
    NullScore(("head_direction",), _direction, "head_direction", _direction_start),
    NullScore(("speed",), _speed, "speed", _speed_start),
)

#: The score names of :data:`REGISTRY` (higher = more tuned, for all).
SCORES: tuple[str, ...] = tuple(name for entry in REGISTRY for name in entry.names)
