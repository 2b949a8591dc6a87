"""Shuffled null distributions of every score: circular time shifts of spikes or activity."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore._checks import (
    as_float_array,
    as_positions,
    as_rng,
    as_times,
    check_choice,
    check_positive,
)
from hippocore.analysis._band import max_fourier_power
from hippocore.analysis._border import border_score
from hippocore.analysis._direction import head_direction_tuning
from hippocore.analysis._null import count_finite, percentile_nan_low
from hippocore.analysis._null_scores import REGISTRY, SCORES, Block, Context, default_of
from hippocore.analysis._place import count_fields, place_fields
from hippocore.analysis._ratemap import SpikesOutsideTrackingWarning, warn_untracked
from hippocore.analysis._samples import as_activity, as_spike_list, dwell_times, spike_samples
from hippocore.analysis._shift_maps import ShiftEngine
from hippocore.analysis._speed import _check_range, speed_score

__all__ = ["SCORES", "MIN_FINITE_FRACTION", "ShuffleScores", "shuffle_scores", "scored_units"]

#: Default smallest fraction of finite shuffles for a threshold (see ShuffleScores.percentile).
MIN_FINITE_FRACTION = 0.2
#: Maps scored together per chunk of shifts (all units of a shift stay in one chunk). Every
#: score is computed map by map and no chunk holds a lone map (numpy sums a one-map stack in
#: another order), so the chunking changes no number (tested). 256-map chunks lowered the
#: classification benchmark's peak memory from 483 to 343 MiB but cost ~1.2 s more system
#: time (page faults of the many fresh temporaries): 2000 is kept for speed.
_MAPS_PER_CHUNK = 2000


@dataclass(frozen=True)
class ShuffleScores:
    """Observed scores and their shuffled nulls, per unit.

    Attributes
    ----------
    observed : dict of str to ndarray of shape (unit,)
        Each score on the real data. ``head_direction`` is the tuning curve's mean vector
        length, ``band_power`` the largest Fourier power (Hz²), ``speed`` the Kropff score.
    null : dict of str to ndarray of shape (unit, n_shuffles)
        The same scores after each circular time shift.
    shifts : ndarray of shape (n_shuffles,)
        The shifts (s); the same shifts are used for every unit.
    n_spikes : ndarray of int, shape (unit,)
        Spikes inside the tracking interval (-1 for continuous activity).
    n_fields : ndarray of int, shape (unit,)
        Place fields (BNT ``placefield``) of the observed smoothed map.
    note : ndarray of str, shape (unit,)
        Why a unit's scores are missing or suspect (``""`` when fine).
    rate : ndarray of shape (unit, y, x)
        Observed smoothed rate maps.
    rate_raw : ndarray of shape (unit, y, x)
        Observed unsmoothed rate maps (for the Fourier components).
    x, y : ndarray
        Bin centres (m).
    parameters : dict
        Every parameter that changes a number (bin size, smoothing, shifts, seed ...).
    """

    observed: dict[str, NDArray[np.float64]]
    null: dict[str, NDArray[np.float64]]
    shifts: NDArray[np.float64]
    n_spikes: NDArray[np.int64]
    n_fields: NDArray[np.int64]
    note: NDArray[np.str_]
    rate: NDArray[np.float64] = field(repr=False)
    rate_raw: NDArray[np.float64] = field(repr=False)
    x: NDArray[np.float64] = field(repr=False)
    y: NDArray[np.float64] = field(repr=False)
    parameters: dict[str, float | int | str] = field(default_factory=dict)

    @property
    def n_units(self) -> int:
        """Number of units."""
        return int(self.note.size)

    def n_finite(self, name: str) -> NDArray[np.int64]:
        """Shuffles of each unit whose score ``name`` is defined (finite).

        Parameters
        ----------
        name : str
            A key of ``null``.

        Returns
        -------
        ndarray of int, shape (unit,)
        """
        if name not in self.null:
            raise KeyError(f"no null for {name!r}; available: {sorted(self.null)}.")
        return count_finite(self.null[name], axis=1)

    def percentile(
        self, name: str, q: float, *, min_finite: float = MIN_FINITE_FRACTION
    ) -> NDArray[np.float64]:
        """Per-unit ``q``-th percentile of the null of score ``name``; NaN shuffles never beat.

        NaN policy (issue 12): every score here is "higher = more tuned", and a shuffle whose
        score is undefined (NaN, e.g. BNT gridness of a map without a central
        autocorrelogram peak) did not beat the unit. It is kept and counted below every
        number (NaN -> -inf, :func:`~hippocore.analysis.percentile_nan_low`), never dropped:
        dropping NaN shuffles built thresholds from the few finite values left, so they
        rose with the number of shuffles drawn. A unit with fewer than ``min_finite`` x
        ``n_shuffles`` finite shuffles (and at least one) gets NaN: no threshold, and
        :func:`classify` notes it instead of testing the unit on that score.

        Why 0.2 by default: with a fraction f of finite shuffles counted as the top of the
        null, the q-th percentile of the whole null is the (100 - (100 - q) / f)-th
        percentile of the finite part. At f >= 0.2 the 95th percentile stays at or above the
        75th percentile of the real (finite) scores, and the 99th at or above their 95th;
        below that it slides towards the smallest finite score and the test degenerates
        into "the score is defined" (which is how plane waves passed on lattice maps).
        Higher minima would drop real grid cells: time-shifted maps of synthetic grid cells
        with 2.5 cm bins have 41-69 % finite gridness, the Sargolini et al. (2006) cells of
        session 10073 63-79 %, untuned synthetic cells 11-27 %.

        Parameters
        ----------
        name : str
            A key of ``null``.
        q : float
            Percentile in [0, 100], e.g. 95 or 99.
        min_finite : float, default 0.2
            Smallest fraction of finite shuffles, in [0, 1], for a threshold.

        Returns
        -------
        ndarray of shape (unit,)
            NaN where too few shuffles are finite (or, with a ``min_finite`` below
            ``1 - q / 100``, where the percentile falls among the undefined shuffles).
        """
        if name not in self.null:
            raise KeyError(f"no null for {name!r}; available: {sorted(self.null)}.")
        if not 0 <= q <= 100:
            raise ValueError(f"q must be a percentile in [0, 100]; got {q!r}.")
        if not 0 <= min_finite <= 1:
            raise ValueError(
                f"min_finite must be a fraction of the shuffles in [0, 1], e.g. 0.2; got "
                f"{min_finite!r}."
            )
        null = self.null[name]
        out = percentile_nan_low(null, q, axis=1)
        enough = count_finite(null, axis=1) >= max(1, math.ceil(min_finite * null.shape[1]))
        # With a very low min_finite the percentile can fall among the undefined shuffles
        # (-inf); that is no threshold either.
        return np.where(enough & np.isfinite(out), out, np.nan)

    def pooled_null(self, name: str) -> NDArray[np.float64]:
        """Every shuffle of score ``name`` of every scored unit, pooled into one 1-D null.

        Units left unscored (no spikes, fewer than ``min_spikes``: a ``note`` other than
        "all spikes fall in one bin") have no shuffles and stay out of the pool.

        Parameters
        ----------
        name : str
            A key of ``null``.

        Returns
        -------
        ndarray of shape (n_scored_units * n_shuffles,)
        """
        if name not in self.null:
            raise KeyError(f"no null for {name!r}; available: {sorted(self.null)}.")
        return self.null[name][scored_units(self.note)].ravel()

    def pooled_percentile(
        self, name: str, q: float, *, min_finite: float = MIN_FINITE_FRACTION
    ) -> NDArray[np.float64]:
        """One population threshold: the ``q``-th percentile of all scored units' shuffles.

        The pooled null of the rodent literature (Langston et al. 2010; Wills et al. 2010):
        the shuffles of every scored unit (:meth:`pooled_null`) form one distribution and its
        ``q``-th percentile is every unit's threshold. NaN shuffles count as not beating a
        unit, as in :meth:`percentile`; with fewer than ``min_finite`` of the pooled shuffles
        finite there is no threshold (NaN).

        Parameters
        ----------
        name : str
            A key of ``null``.
        q : float
            Percentile in [0, 100].
        min_finite : float, default 0.2
            Smallest fraction of finite pooled shuffles, in [0, 1], for a threshold.

        Returns
        -------
        ndarray of shape (unit,)
            The pooled threshold repeated for every unit (NaN when none).
        """
        if not 0 <= q <= 100:
            raise ValueError(f"q must be a percentile in [0, 100]; got {q!r}.")
        if not 0 <= min_finite <= 1:
            raise ValueError(
                f"min_finite must be a fraction of the shuffles in [0, 1], e.g. 0.2; got "
                f"{min_finite!r}."
            )
        pool = self.pooled_null(name)
        value = float(percentile_nan_low(pool, q)) if pool.size else float("nan")
        enough = pool.size and count_finite(pool) >= max(1, math.ceil(min_finite * pool.size))
        return np.full(self.n_units, value if enough and np.isfinite(value) else np.nan)


def scored_units(note: NDArray[np.str_]) -> NDArray[np.bool_]:
    """Units :func:`shuffle_scores` scored: no note, or only the one-bin warning."""
    notes = np.asarray(note, dtype=str)
    return np.array([not n or n.startswith("all spikes") for n in notes], dtype=bool)


def _check_count(value: int, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
    return int(value)


def shuffle_scores(
    times: ArrayLike,
    positions: ArrayLike,
    spike_times: ArrayLike | Sequence[ArrayLike] | None = None,
    *,
    activity: ArrayLike | None = None,
    head_direction: ArrayLike | None = None,
    speed: ArrayLike | None = None,
    bin_size: float,
    limits: Sequence[float] | None = None,
    smooth: float = 1.0,
    max_gap: float = 0.1,
    n_shuffles: int = 100,
    min_shift: float = 20.0,
    scores: Sequence[str] | None = None,
    min_spikes: int = 10,
    border_threshold: float = default_of(border_score, "threshold"),
    field_min_peak: float | None = None,
    hd_bins: int = default_of(head_direction_tuning, "n_bins"),
    speed_range: tuple[float, float] = default_of(speed_score, "speed_range"),
    speed_variant: str = default_of(speed_score, "variant"),
    fft_size: int = default_of(max_fourier_power, "fft_size"),
    gridness_method: str = "bnt",
    seed: int | np.random.Generator | None = None,
    progress: bool = False,
) -> ShuffleScores:
    """Every score of every unit, and its null distribution from circular time shifts.

    Each shuffle shifts all spike trains (or activity traces, for model units) circularly in
    time by the same random amount, uniform between ``min_shift`` and the session length minus
    ``min_shift`` (Krupic et al. 2012; Langston et al. 2010), and recomputes every score. The
    position, head-direction and speed series stay put, so the shift keeps each unit's firing
    statistics and breaks only its relation to behaviour.

    Nothing that a shift leaves unchanged is rebuilt: the bin of every sample, the dwell
    times, the occupancy and the head-direction occupancy are computed once; a shuffle only
    re-bins the shifted spikes (``np.bincount`` on precomputed indices, all units at once), and
    the maps of all units are smoothed, autocorrelated and scored as one stack.

    Scores (``scores``; default all that the inputs allow): ``gridness`` (BNT gridness of the
    smoothed map), ``information_rate``, ``information_content`` and ``selectivity`` (BNT
    ``mapStatsPDF`` on the smoothed map and occupancy), ``coherence`` (BNT, unsmoothed map),
    ``border`` (Solstad/BNT, fields at ``border_threshold``), ``band_power`` (largest Fourier
    power of the unsmoothed map, Krupic et al. 2012), ``head_direction`` (mean vector length
    of the tuning curve; needs ``head_direction``) and ``speed`` (Kropff 2015; needs
    ``speed``).

    Parameters
    ----------
    times : array_like of shape (n,)
        Tracking times (s), strictly increasing, evenly sampled.
    positions : array_like of shape (n, 2)
        Positions (m); NaN samples add no time (as in :func:`rate_map`).
    spike_times : array_like or sequence of array_like, optional
        One spike train (s) or one per unit.
    activity : array_like of shape (n,) or (n, unit), optional
        Continuous activity instead of spikes; shuffles shift the trace circularly.
    head_direction : array_like of shape (n,), optional
        Head direction (rad), NaN where unknown.
    speed : array_like of shape (n,), optional
        Running speed (m/s).
    bin_size : float
        Map bin side (m).
    limits : (x_min, x_max, y_min, y_max), optional
        Arena limits (m); default the data range.
    smooth : float, default 1.0
        Map smoothing (bins, BNT kernel).
    max_gap : float, default 0.1
        Longest dwell credited to one sample (s).
    n_shuffles : int, default 100
        Number of shifts.
    min_shift : float, default 20.0
        Smallest shift (s); the session must last more than twice this.
    scores : sequence of str, optional
        Subset of :data:`SCORES` to compute.
    min_spikes : int, default 10
        Units with fewer spikes get NaN scores and a note (spike trains only).
    border_threshold : float, default 0.3
        Field threshold of the border score (fraction of the peak).
    field_min_peak : float, optional
        Smallest field peak for place fields and border fields; default 1 Hz for spikes and 0
        for activity (arbitrary units).
    hd_bins : int, default 120
        Head-direction bins (3°).
    speed_range : (float, float), default (0.02, 0.5)
        Valid speeds (m/s) for the speed score.
    speed_variant : {"2015", "2016"}, default "2015"
        Speed-score variant (see :func:`speed_score`); rates smoothed by 0.4 s.
    fft_size : int, default 256
        Fourier transform size of the band power.
    gridness_method : {"bnt", "deepmind"}, default "bnt"
        Grid score of the observed and shuffled maps: BNT ``gridnessScore`` or DeepMind's
        ``GridScorer`` (:func:`~hippocore.analysis.gridness`; needs a square arena, e.g.
        ``limits`` with equal sides). Never compare thresholds across methods.
    seed : int or Generator, optional
        Randomness of the shifts.
    progress : bool, default False
        Show a tqdm progress bar.

    Returns
    -------
    ShuffleScores

    Raises
    ------
    ValueError
        If the session is not longer than ``2 * min_shift``, or a score needs an input that
        was not given.
    """
    t, pos = _check_tracking(times, positions, spike_times, activity)
    n_shuffles = _check_count(n_shuffles, "n_shuffles", 1)
    min_spikes = _check_count(min_spikes, "min_spikes", 0)
    min_shift = check_positive(min_shift, "min_shift")
    bin_size = check_positive(bin_size, "bin_size")
    _check_duration(t, min_shift)
    hd = _optional_series(head_direction, "head_direction", t)
    v = _optional_series(speed, "speed", t)
    entries, wanted = _wanted(scores, {"head_direction": hd, "speed": v})
    check_choice(speed_variant, "speed_variant", ("2015", "2016"))
    gridness_method = check_choice(gridness_method, "gridness_method", ("bnt", "deepmind"))
    lo_v, hi_v = _check_range(speed_range) if v is not None else (None, None)
    rng = as_rng(seed)
    warn_untracked(pos, stacklevel=3)
    dt = float(np.median(np.diff(t)))
    shift_samples = _draw_shifts(rng, t.size, dt, min_shift, n_shuffles)
    engine, n_units, n_spikes, note, min_peak = _engine(
        t, pos, spike_times, activity, field_min_peak, min_spikes,
        dict(bin_size=bin_size, limits=limits, smooth=smooth, max_gap=max_gap),
    )  # fmt: skip
    options = {
        "bin_size": bin_size, "border_threshold": border_threshold, "field_min_peak": min_peak,
        "hd_bins": hd_bins, "speed_range": (lo_v, hi_v), "speed_variant": speed_variant,
        "fft_size": fft_size, "gridness_method": gridness_method,
    }  # fmt: skip
    ctx = Context(t, engine, np.concatenate([[0], shift_samples]), n_units, hd, v, options)
    results, observed_maps = _run(ctx, entries, wanted, progress)
    bad = ~scored_units(note)
    for name in wanted:
        results[name][bad] = np.nan
    raw_obs, smooth_obs = observed_maps
    n_fields = count_fields(place_fields(smooth_obs, min_peak=min_peak), len(smooth_obs))
    n_fields[bad] = 0
    parameters = _parameters(
        bin_size=bin_size, smooth=smooth, max_gap=max_gap, n_shuffles=n_shuffles,
        min_shift=min_shift, min_spikes=min_spikes, border_threshold=border_threshold,
        field_min_peak=min_peak, hd_bins=hd_bins, speed_range=speed_range,
        speed_variant=speed_variant, fft_size=fft_size, scores=",".join(wanted), seed=seed,
        gridness_method=gridness_method,
    )  # fmt: skip
    return ShuffleScores(
        observed={s: results[s][:, 0].copy() for s in wanted},
        null={s: results[s][:, 1:].copy() for s in wanted},
        shifts=shift_samples * dt,
        n_spikes=n_spikes,
        n_fields=n_fields,
        note=note.astype(str),
        rate=smooth_obs,
        rate_raw=raw_obs,
        x=engine.x,
        y=engine.y,
        parameters=parameters,
    )


def _parameters(**p) -> dict[str, float | int | str]:  # noqa: ANN003
    """Every parameter that changes a number, as ShuffleScores.parameters records them."""
    out: dict[str, float | int | str] = {
        "bin_size": p["bin_size"],
        "smooth": float(p["smooth"]),
        "max_gap": float(p["max_gap"]),
        "n_shuffles": p["n_shuffles"],
        "min_shift": p["min_shift"],
        "shuffle": "circular time shift of spikes (or activity), same shifts for all units",
        "min_spikes": p["min_spikes"],
        "border_threshold": float(p["border_threshold"]),
        "field_min_peak": p["field_min_peak"],
        "hd_bins": int(p["hd_bins"]),
        "hd_smooth_bins": float(default_of(head_direction_tuning, "smooth")),
        "speed_sigma_s": float(default_of(speed_score, "sigma")),
        "speed_range": f"{p['speed_range'][0]}-{p['speed_range'][1]} m/s",
        "speed_variant": p["speed_variant"],
        "fft_size": int(p["fft_size"]),
        "gridness_method": p["gridness_method"],
        "scores": p["scores"],
    }
    seed = p["seed"]
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        out["seed"] = int(seed)
    return out


def _check_tracking(times, positions, spike_times, activity):  # noqa: ANN001
    """Times and positions as arrays, checked against each other and the data given."""
    t = as_times(times, "times")
    pos = as_positions(positions, "positions", allow_nan=True)
    if pos.shape[0] != t.size:
        raise ValueError(f"positions has {pos.shape[0]} samples but times has {t.size}.")
    if (spike_times is None) == (activity is None):
        raise ValueError("give exactly one of spike_times or activity.")
    return t, pos


def _check_duration(t: NDArray[np.float64], min_shift: float) -> None:
    duration = float(t[-1] - t[0]) if t.size > 1 else 0.0
    if duration <= 2 * min_shift:
        raise ValueError(
            f"the session lasts {duration:.1f} s, not longer than twice the minimum shuffle "
            f"shift (min_shift={min_shift} s); shuffles would not break the relation to "
            "behaviour. Use a longer session or a smaller min_shift."
        )


def _optional_series(value: ArrayLike | None, name: str, t: NDArray[np.float64]):
    """A behavioural series with one value per sample, or None."""
    if value is None:
        return None
    out = as_float_array(value, name, ndim=1)
    if out.shape != t.shape:
        raise ValueError(f"{name} must have {t.size} samples; got {out.shape}.")
    return out


def _wanted(scores: Sequence[str] | None, given: dict[str, object]):
    """The registry entries and score names to compute: the request, or all the inputs allow."""
    available = [e for e in REGISTRY if e.needs is None or given[e.needs] is not None]
    if scores is None:
        wanted = [name for e in available for name in e.names]
    else:
        wanted = list(scores)
        for s in wanted:
            if s not in SCORES:
                raise ValueError(f"unknown score {s!r}; choose from {list(SCORES)}.")
            entry = next(e for e in REGISTRY if s in e.names)
            if entry not in available:
                raise ValueError(f"score {s!r} needs the {entry.needs} argument.")
    if not wanted:
        raise ValueError("scores is empty; ask for at least one score.")
    return [e for e in REGISTRY if set(e.names) & set(wanted)], wanted


def _draw_shifts(rng, n: int, dt: float, min_shift: float, n_shuffles: int):  # noqa: ANN001
    """Shifts (samples), uniform between min_shift and the session length minus min_shift."""
    lo = max(1, math.ceil(min_shift / dt))
    hi = n - lo
    if hi < lo:
        raise ValueError(f"the session ({n} samples) is too short for min_shift={min_shift} s.")
    return rng.integers(lo, hi + 1, size=n_shuffles)


def _engine(t, pos, spike_times, activity, field_min_peak, min_spikes, map_options):  # noqa: ANN001
    """The shift engine, with each unit's spike count, note and smallest field peak."""
    if activity is not None:
        act, _ = as_activity(activity, t.size)
        if not np.isfinite(act).all():
            raise ValueError("activity contains NaN or infinite values; fill or drop them first.")
        if np.any(act < 0):
            raise ValueError(
                "activity has negative values; spatial information and head-direction tuning "
                "need non-negative rates. Rectify (np.maximum(activity, 0)) or shift it first."
            )
        n_units = act.shape[1]
        engine = ShiftEngine(t, pos, units=None, activity=act, **map_options)
        note = np.array([""] * n_units, dtype=object)
        min_peak = 0.0 if field_min_peak is None else float(field_min_peak)
        return engine, n_units, np.full(n_units, -1), note, min_peak
    trains, _ = as_spike_list(spike_times)
    n_units = len(trains)
    end = t[-1] + dwell_times(t, map_options["max_gap"])[-1]
    per_unit = [spike_samples(t, s, end) for s in trains]
    n_out = sum(int(s.size) for s in trains) - sum(p.size for p in per_unit)
    if n_out:
        warnings.warn(
            f"{n_out} spike(s) fall outside the tracking interval [{t[0]}, {end}] s and "
            "were dropped.",
            SpikesOutsideTrackingWarning,
            stacklevel=3,
        )
    n_spikes = np.array([p.size for p in per_unit])
    samples = np.concatenate(per_unit) if per_unit else np.zeros(0, int)
    units = (samples, np.repeat(np.arange(n_units), n_spikes))
    engine = ShiftEngine(t, pos, units=units, activity=None, **map_options)
    note = np.array([""] * n_units, dtype=object)
    for u, k in enumerate(n_spikes):
        if k == 0:
            note[u] = "no spikes in the tracking interval"
        elif k < min_spikes:
            note[u] = f"only {k} spike(s), fewer than min_spikes={min_spikes}"
        else:
            bins = engine.lin[per_unit[u]]
            if np.unique(bins[bins >= 0]).size == 1:
                note[u] = "all spikes fall in one bin"
    min_peak = 1.0 if field_min_peak is None else float(field_min_peak)
    return engine, n_units, n_spikes, note, min_peak


def _run(ctx: Context, entries, wanted: list[str], progress: bool):  # noqa: ANN001
    """Every wanted score for every shift: ``{name: (unit, n_shifts)}`` and the observed maps."""
    n_units, shifts = ctx.n_units, ctx.shifts
    states = {e.names: e.start(ctx) if e.start is not None else None for e in entries}
    results = {s: np.full((n_units, shifts.size), np.nan) for s in wanted}
    per_chunk = max(1, _MAPS_PER_CHUNK // max(n_units, 1))
    bounds = [(lo, min(lo + per_chunk, shifts.size)) for lo in range(0, shifts.size, per_chunk)]
    if n_units == 1 and len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        # never a one-map chunk: numpy sums a one-map stack in another order (last bits)
        bounds[-2:] = [(bounds[-2][0], bounds[-1][1])]
    if progress:
        from tqdm.auto import tqdm

        bounds = tqdm(bounds, desc="shuffles", unit="chunk")
    observed_maps = None
    for col, stop in bounds:
        chunk = shifts[col:stop]
        raw, smoothed = ctx.engine.maps(chunk, n_units)
        if observed_maps is None:
            observed_maps = (raw[:n_units].copy(), smoothed[:n_units].copy())
        block = Block(chunk, col, raw, smoothed)
        for entry in entries:
            for name, values in entry.score(ctx, states[entry.names], block).items():
                if name in results:
                    results[name][:, col : col + chunk.size] = (
                        np.asarray(values).reshape(chunk.size, n_units).T
                    )
    return results, observed_maps
