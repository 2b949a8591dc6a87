"""Building schema datasets from arrays: sessions, rate maps, scores."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from hippocore._checks import as_float_array, as_positions, as_times
from hippocore._version import __version__
from hippocore.schema._access import parse_missing
from hippocore.schema._names import (
    ACTIVITY_UNITS,
    AXIS,
    SCHEMA_VERSION,
    SOURCES,
    SPIKE,
    TIME,
    UNIT,
    X,
    Y,
)

__all__ = ["make_session", "make_rate_maps", "make_scores"]


def _base_attrs(kind: str, extra: Mapping[str, Any] | None) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "hippocore_kind": kind,
        "schema_version": SCHEMA_VERSION,
        "hippocore_version": __version__,
    }
    for key, value in (extra or {}).items():
        attrs[key] = json.dumps(value) if isinstance(value, dict) else value
    return attrs


def make_session(
    time: ArrayLike,
    position: ArrayLike | None,
    *,
    activity: ArrayLike | None = None,
    activity_units: str = "a.u.",
    spike_times: Sequence[ArrayLike] | None = None,
    unit: ArrayLike | None = None,
    population: ArrayLike | str | None = None,
    unit_coords: Mapping[str, ArrayLike] | None = None,
    head_direction: ArrayLike | None = None,
    speed: ArrayLike | None = None,
    environment: ArrayLike | None = None,
    environments: Sequence[Mapping[str, Any]] | None = None,
    source: str = "recording",
    attrs: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Build a schema session dataset from arrays.

    Parameters
    ----------
    time : array_like of shape (n_time,)
        Sample times (s), strictly increasing.
    position : array_like of shape (n_time, 2) or None
        Positions (m), columns (x, y), finite. None for a recording without tracking: the
        session then has no ``position`` and ``attrs["missing"]`` says so.
    activity : array_like of shape (n_time, n_unit), optional
        Continuous activity of each unit (e.g. model rates).
    activity_units : {"Hz", "count", "a.u."}, default "a.u."
        Units of ``activity``.
    spike_times : sequence of array_like, optional
        One 1-D array of spike times (s) per unit.
    unit : array_like of shape (n_unit,), optional
        Unit ids; default ``0..n_unit-1``.
    population : str or array_like of shape (n_unit,), optional
        Population label of each unit (one string applies to all); default ``"unknown"``.
    unit_coords : mapping of str to array_like of shape (n_unit,), optional
        Extra per-unit metadata (e.g. ground-truth spacing).
    head_direction : array_like of shape (n_time,), optional
        Head direction (rad).
    speed : array_like of shape (n_time,), optional
        Running speed (m/s).
    environment : array_like of int, shape (n_time,), optional
        Environment id of each sample.
    environments : sequence of mapping, optional
        Description of each environment (JSON-serialisable dicts, each with an ``id``).
    source : {"model", "recording", "synthetic"}, default "recording"
        Where the data come from.
    attrs : mapping, optional
        Provenance attributes; dict values are stored as JSON strings.

    Returns
    -------
    xarray.Dataset
        A dataset that passes ``validate(ds, "session")``.

    Raises
    ------
    ValueError
        If shapes disagree or values are invalid; the message names the argument.
    """
    t = as_times(time, "time")
    data_vars: dict[str, Any] = {}
    if position is not None:
        pos = as_positions(position, "position")
        if pos.shape[0] != t.size:
            raise ValueError(
                f"position has {pos.shape[0]} samples but time has {t.size}; they must match."
            )
        data_vars["position"] = ((TIME, AXIS), pos, {"units": "m", "long_name": "position"})
    n_unit: int | None = None
    if activity is not None:
        data_vars["activity"] = _activity(activity, activity_units, t.size)
        n_unit = data_vars["activity"][1].shape[1]
    if spike_times is not None:
        n_unit = _add_spikes(data_vars, spike_times, n_unit)
    coords: dict[str, Any] = {
        TIME: (TIME, t, {"units": "s", "long_name": "time"}),
        AXIS: (AXIS, np.array(["x", "y"], dtype=object)),
    }
    if n_unit is None and (unit is not None or population is not None):
        raise ValueError("unit/population given but no activity or spike_times to attach them to.")
    if n_unit is not None:
        coords.update(_unit_coords(n_unit, unit, population, unit_coords))
    for name, values, units in (("head_direction", head_direction, "rad"), ("speed", speed, "m/s")):
        if values is not None:
            v = as_float_array(values, name, ndim=1)
            if v.size != t.size:
                raise ValueError(
                    f"{name} must have one value per time sample ({t.size}); got {v.size}."
                )
            data_vars[name] = ((TIME,), v, {"units": units})
    if environment is not None:
        env = np.asarray(environment)
        if env.shape != t.shape or env.dtype.kind not in "iu":
            raise ValueError(
                f"environment must be an integer array of shape {t.shape}; got {env.dtype} {env.shape}."
            )
        coords["environment"] = (TIME, env.astype(np.int64))
    all_attrs = _session_attrs(attrs, source, has_position=position is not None)
    if environments is not None:
        all_attrs["environments_json"] = json.dumps([dict(e) for e in environments])
    return xr.Dataset(data_vars, coords=coords, attrs=all_attrs)


def _activity(activity: ArrayLike, activity_units: str, n_time: int) -> tuple[Any, ...]:
    """The ``activity`` variable, float32 ``(time, unit)``."""
    act = as_float_array(activity, "activity", ndim=2)
    if act.shape[0] != n_time:
        raise ValueError(
            f"activity must have shape (n_time, n_unit) = ({n_time}, n_unit); got {act.shape}."
        )
    if activity_units not in ACTIVITY_UNITS:
        raise ValueError(
            f"activity_units must be one of {list(ACTIVITY_UNITS)}; got {activity_units!r}."
        )
    return ((TIME, UNIT), act.astype(np.float32), {"units": activity_units})


def _add_spikes(
    data_vars: dict[str, Any], spike_times: Sequence[ArrayLike], n_unit: int | None
) -> int:
    """Add ``spike_time`` and ``spike_unit`` (sorted per unit); return the number of units."""
    if isinstance(spike_times, np.ndarray) and spike_times.dtype != object:
        raise TypeError(
            "spike_times must be a sequence with one 1-D array per unit, not one array."
        )
    trains = [
        as_float_array(s, f"spike_times[{i}]", ndim=1, allow_nan=False)
        for i, s in enumerate(spike_times)
    ]
    if n_unit is not None and len(trains) != n_unit:
        raise ValueError(
            f"spike_times has {len(trains)} units but activity has {n_unit}; they must match."
        )
    flat = np.concatenate([np.sort(s) for s in trains]) if trains else np.zeros(0)
    owner = (
        np.concatenate([np.full(s.size, i, np.int32) for i, s in enumerate(trains)])
        if trains
        else np.zeros(0, np.int32)
    )
    data_vars["spike_time"] = ((SPIKE,), flat, {"units": "s"})
    data_vars["spike_unit"] = ((SPIKE,), owner, {"long_name": "index of the spike's unit"})
    return len(trains)


def _unit_coords(
    n_unit: int,
    unit: ArrayLike | None,
    population: ArrayLike | str | None,
    unit_coords: Mapping[str, ArrayLike] | None,
) -> dict[str, Any]:
    """The ``unit`` ids, ``population`` and extra per-unit coordinates, checked."""
    ids = np.arange(n_unit) if unit is None else np.asarray(unit)
    if ids.shape != (n_unit,):
        raise ValueError(f"unit must have shape ({n_unit},); got {ids.shape}.")
    if len(set(ids.tolist())) != n_unit:
        raise ValueError("unit ids must be unique.")
    if population is None:
        population = "unknown"
    pop = (
        np.full(n_unit, population, dtype=object)
        if isinstance(population, str)
        else np.asarray(population, dtype=object)
    )
    if pop.shape != (n_unit,):
        raise ValueError(f"population must be a string or have shape ({n_unit},); got {pop.shape}.")
    coords: dict[str, Any] = {
        UNIT: (UNIT, ids),
        "population": (UNIT, pop.astype(str).astype(object)),
    }
    for name, values in (unit_coords or {}).items():
        v = np.asarray(values)
        if v.shape != (n_unit,):
            raise ValueError(f"unit_coords[{name!r}] must have shape ({n_unit},); got {v.shape}.")
        coords[name] = (UNIT, v.astype(object) if v.dtype.kind in "US" else v)
    return coords


def _session_attrs(
    attrs: Mapping[str, Any] | None, source: str, *, has_position: bool
) -> dict[str, Any]:
    """The session's attrs: kind, versions, ``source`` and ``missing`` (kept true)."""
    all_attrs = _base_attrs("session", attrs)
    if source not in SOURCES:
        raise ValueError(f"source must be one of {list(SOURCES)}; got {source!r}.")
    all_attrs["source"] = source
    gone = parse_missing(all_attrs.get("missing"))
    if not has_position and "position" not in gone:
        all_attrs["missing"] = ", ".join(["position", *gone])
    elif has_position and "position" in gone:
        raise ValueError(
            "attrs['missing'] names 'position' but a position was given; drop one of them."
        )
    return all_attrs


def make_rate_maps(
    rate: ArrayLike,
    occupancy: ArrayLike,
    *,
    x: ArrayLike,
    y: ArrayLike,
    bin_size: float,
    units: str = "Hz",
    unit: ArrayLike | None = None,
    population: ArrayLike | None = None,
    extra: Mapping[str, ArrayLike] | None = None,
    attrs: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Build a schema rate-map dataset.

    Parameters
    ----------
    rate : array_like of shape (n_unit, n_y, n_x)
        Rates (Hz, or the activity's units), NaN where unvisited. Row 0 is the lowest y.
    occupancy : array_like of shape (n_y, n_x)
        Time spent in each bin (s).
    x, y : array_like of shape (n_x,) and (n_y,)
        Bin centres (m), ascending.
    bin_size : float
        Bin side (m).
    units : str, default "Hz"
        Units of ``rate``.
    unit, population : array_like of shape (n_unit,), optional
        Unit ids and population labels.
    extra : mapping of str to array_like, optional
        Further variables, each of shape (n_unit, n_y, n_x) or (n_y, n_x) (e.g. ``rate_raw``).
    attrs : mapping, optional
        Map parameters (smoothing, method ...).

    Returns
    -------
    xarray.Dataset
    """
    r = as_float_array(rate, "rate", ndim=3)
    occ = as_float_array(occupancy, "occupancy", ndim=2)
    xs = as_float_array(x, "x", ndim=1)
    ys = as_float_array(y, "y", ndim=1)
    if r.shape[1:] != (ys.size, xs.size) or occ.shape != (ys.size, xs.size):
        raise ValueError(
            f"rate must be (n_unit, n_y={ys.size}, n_x={xs.size}) and occupancy (n_y, n_x); "
            f"got rate {r.shape} and occupancy {occ.shape}."
        )
    n_unit = r.shape[0]
    coords: dict[str, Any] = {
        Y: (Y, ys, {"units": "m"}),
        X: (X, xs, {"units": "m"}),
        UNIT: (UNIT, np.arange(n_unit) if unit is None else np.asarray(unit)),
    }
    if population is not None:
        coords["population"] = (UNIT, np.asarray(population, dtype=str).astype(object))
    data_vars: dict[str, Any] = {
        "rate": ((UNIT, Y, X), r, {"units": units}),
        "occupancy": ((Y, X), occ, {"units": "s"}),
    }
    for name, values in (extra or {}).items():
        v = np.asarray(values, dtype=np.float64)
        dims = (UNIT, Y, X) if v.ndim == 3 else (Y, X)
        data_vars[name] = (dims, v)
    all_attrs = _base_attrs("rate_maps", attrs)
    all_attrs["bin_size"] = float(bin_size)
    return xr.Dataset(data_vars, coords=coords, attrs=all_attrs)


def make_scores(
    unit: ArrayLike,
    variables: Mapping[str, ArrayLike],
    *,
    population: ArrayLike | None = None,
    attrs: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Build a schema scores dataset: one variable per score along ``unit``.

    Parameters
    ----------
    unit : array_like of shape (n_unit,)
        Unit ids.
    variables : mapping of str to array_like
        Each value has shape (n_unit,) or (n_unit, k); extra dims are named ``<name>_dim``.
    population : array_like of shape (n_unit,), optional
        Population labels.
    attrs : mapping, optional
        Every parameter that changes a number.

    Returns
    -------
    xarray.Dataset
    """
    ids = np.asarray(unit)
    coords: dict[str, Any] = {UNIT: (UNIT, ids)}
    if population is not None:
        coords["population"] = (UNIT, np.asarray(population, dtype=str).astype(object))
    data_vars: dict[str, Any] = {}
    for name, values in variables.items():
        v = np.asarray(values)
        if v.shape[:1] != ids.shape:
            raise ValueError(
                f"score {name!r} must have {ids.size} values along unit; got shape {v.shape}."
            )
        dims = (UNIT,) + tuple(f"{name}_dim{i}" for i in range(1, v.ndim))
        data_vars[name] = (dims, v.astype(object) if v.dtype.kind in "US" else v)
    return xr.Dataset(data_vars, coords=coords, attrs=_base_attrs("scores", attrs))
