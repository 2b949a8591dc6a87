"""The one data contract shared by model export, lab readers and analysis.

Three kinds of :class:`xarray.Dataset` travel through hippocore. Each carries its kind in
``ds.attrs["hippocore_kind"]`` and can be checked with :func:`validate`.

**Session** (``"session"``): a model rollout or a real recording.

=====================  ===================  ===========================================
name                   dims                 meaning / units
=====================  ===================  ===========================================
``time``               coord (time)         sample times, s, strictly increasing
``axis``               coord (axis)         ``["x", "y"]``
``unit``               coord (unit)         unit ids (int or str)
``population``         coord (unit)         population label, e.g. ``"MEC"``, ``"memory"``
``position``           (time, axis)         m, finite (absent only when ``attrs["missing"]`` names it)
``activity``           (time, unit)         optional; ``attrs["units"]`` in Hz, count, a.u.
``spike_time``         (spike)              optional; spike times, s
``spike_unit``         (spike)              optional; index (0..n_unit-1) of each spike's unit
``head_direction``     (time)               optional; rad in (-pi, pi], counter-clockwise from +x
``speed``              (time)               optional; m/s
``environment``        coord (time)         optional; integer environment id per sample
=====================  ===================  ===========================================

A recording without tracking (e.g. units in one file, tracking in another) has no ``position``
and says so: ``attrs["missing"] == "position"`` (a comma-separated list of the absent required
variables). Its ``time`` is then the clock of whatever behaviour exists (head direction,
speed), or empty; analyses that need position raise an error naming what is missing
(:func:`require`).

Attributes: ``source`` (``"model"``, ``"recording"`` or ``"synthetic"``), ``hippocore_version``,
``schema_version`` and free provenance (``model``, ``config_json``, ``seed`` ...). Several
environments are described by ``attrs["environments_json"]`` (a JSON list of dicts with an
``id`` each). Attribute values must be netCDF-safe: str, int, float or 1-D numeric lists;
dictionaries are stored as JSON strings.

**Rate maps** (``"rate_maps"``): ``rate (unit, y, x)`` (Hz for spikes, the activity's units
otherwise; NaN where unvisited), ``occupancy (y, x)`` in s, coords ``y`` and ``x`` = bin centres
in m (ascending, evenly spaced; row 0 is the lowest y), attrs ``bin_size`` (m) and the map
parameters.

**Scores** (``"scores"``): one variable per score along ``unit``; attrs record every parameter
that changes a number.

Everything inside is SI (m, s, Hz, rad); cm, degrees and other conventions appear only at the
io boundaries. Head direction, as data, is one convention everywhere: radians in (-pi, pi],
counter-clockwise from +x, NaN where unknown; from two LEDs it is the direction from the back
LED to the front one (:func:`led_head_direction`, used by the readers and by
``hippocore.analysis.head_direction_from_leds`` alike).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from hippocore._checks import as_float_array, as_positions, as_times
from hippocore._version import __version__

__all__ = [
    "SCHEMA_VERSION",
    "SchemaError",
    "TIME",
    "UNIT",
    "AXIS",
    "SPIKE",
    "X",
    "Y",
    "SOURCES",
    "ACTIVITY_UNITS",
    "make_session",
    "make_rate_maps",
    "make_scores",
    "spike_trains",
    "validate",
    "kind_of",
    "environments",
    "missing",
    "require",
    "led_head_direction",
]

SCHEMA_VERSION = "1"
TIME, UNIT, AXIS, SPIKE, X, Y = "time", "unit", "axis", "spike", "x", "y"
SOURCES = ("model", "recording", "synthetic")
ACTIVITY_UNITS = ("Hz", "count", "a.u.")
Kind = Literal["session", "rate_maps", "scores"]
_KINDS = ("session", "rate_maps", "scores")


def led_head_direction(front: np.ndarray, back: np.ndarray) -> np.ndarray:
    """Head direction from two tracked LEDs, in the schema's convention.

    Parameters
    ----------
    front, back : ndarray of shape (n, 2)
        Front and back LED positions (any length unit), columns (x, y); NaN where untracked.

    Returns
    -------
    ndarray of shape (n,)
        ``atan2(y_front - y_back, x_front - x_back)``: radians in (-pi, pi], counter-clockwise
        from +x; NaN where either LED is untracked.
    """
    both = np.isfinite(front).all(axis=1) & np.isfinite(back).all(axis=1)
    out = np.full(front.shape[0], np.nan)
    d = front[both] - back[both]
    out[both] = np.arctan2(d[:, 1], d[:, 0])
    return out


class SchemaError(ValueError):
    """A dataset does not follow the hippocore schema.

    Attributes
    ----------
    problems : list of str
        Every problem found, not only the first.
    """

    def __init__(self, problems: Sequence[str], kind: str = "dataset"):
        self.problems = list(problems)
        listed = "; ".join(self.problems)  # one line; each problem is also in .problems
        super().__init__(
            f"{kind} does not follow the hippocore schema ({len(problems)} problem(s)): {listed}"
        )


# ----------------------------------------------------------------------------- builders


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
        act = as_float_array(activity, "activity", ndim=2)
        if act.shape[0] != t.size:
            raise ValueError(
                f"activity must have shape (n_time, n_unit) = ({t.size}, n_unit); got {act.shape}."
            )
        if activity_units not in ACTIVITY_UNITS:
            raise ValueError(
                f"activity_units must be one of {list(ACTIVITY_UNITS)}; got {activity_units!r}."
            )
        n_unit = act.shape[1]
        data_vars["activity"] = ((TIME, UNIT), act.astype(np.float32), {"units": activity_units})
    if spike_times is not None:
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
        n_unit = len(trains)
        flat = np.concatenate([np.sort(s) for s in trains]) if trains else np.zeros(0)
        owner = (
            np.concatenate([np.full(s.size, i, np.int32) for i, s in enumerate(trains)])
            if trains
            else np.zeros(0, np.int32)
        )
        data_vars["spike_time"] = ((SPIKE,), flat, {"units": "s"})
        data_vars["spike_unit"] = ((SPIKE,), owner, {"long_name": "index of the spike's unit"})
    coords: dict[str, Any] = {
        TIME: (TIME, t, {"units": "s", "long_name": "time"}),
        AXIS: (AXIS, np.array(["x", "y"], dtype=object)),
    }
    if n_unit is None and (unit is not None or population is not None):
        raise ValueError("unit/population given but no activity or spike_times to attach them to.")
    if n_unit is not None:
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
            raise ValueError(
                f"population must be a string or have shape ({n_unit},); got {pop.shape}."
            )
        coords[UNIT] = (UNIT, ids)
        coords["population"] = (UNIT, pop.astype(str).astype(object))
        for name, values in (unit_coords or {}).items():
            v = np.asarray(values)
            if v.shape != (n_unit,):
                raise ValueError(
                    f"unit_coords[{name!r}] must have shape ({n_unit},); got {v.shape}."
                )
            coords[name] = (UNIT, v.astype(object) if v.dtype.kind in "US" else v)
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
    all_attrs = _base_attrs("session", attrs)
    if source not in SOURCES:
        raise ValueError(f"source must be one of {list(SOURCES)}; got {source!r}.")
    all_attrs["source"] = source
    gone = _parse_missing(all_attrs.get("missing"))
    if position is None and "position" not in gone:
        all_attrs["missing"] = ", ".join(["position", *gone])
    elif position is not None and "position" in gone:
        raise ValueError(
            "attrs['missing'] names 'position' but a position was given; drop one of them."
        )
    if environments is not None:
        all_attrs["environments_json"] = json.dumps([dict(e) for e in environments])
    return xr.Dataset(data_vars, coords=coords, attrs=all_attrs)


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


# ----------------------------------------------------------------------------- accessors


def spike_trains(ds: xr.Dataset) -> list[np.ndarray]:
    """Per-unit spike times of a session dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        A session dataset with ``spike_time`` and ``spike_unit``.

    Returns
    -------
    list of ndarray
        One sorted array of spike times (s) per unit, in the order of ``ds.unit``.

    Raises
    ------
    ValueError
        If the session holds no spikes.
    """
    if "spike_time" not in ds or "spike_unit" not in ds:
        raise ValueError("this session holds no spikes (no spike_time/spike_unit variables).")
    n_unit = ds.sizes.get(UNIT, 0)
    times = np.asarray(ds["spike_time"].values, dtype=np.float64)
    owner = np.asarray(ds["spike_unit"].values, dtype=np.int64)
    order = np.lexsort((times, owner))
    times, owner = times[order], owner[order]
    bounds = np.searchsorted(owner, np.arange(n_unit + 1))
    return [times[bounds[i] : bounds[i + 1]] for i in range(n_unit)]


def environments(ds: xr.Dataset) -> list[dict[str, Any]]:
    """Descriptions of the environments of a session (empty if none are recorded).

    Parameters
    ----------
    ds : xarray.Dataset
        A session dataset.

    Returns
    -------
    list of dict
    """
    text = ds.attrs.get("environments_json")
    return json.loads(text) if text else []


def _parse_missing(value: Any) -> list[str]:
    if value is None:
        return []
    return [v.strip() for v in str(value).split(",") if v.strip()]


def missing(ds: xr.Dataset) -> list[str]:
    """Required variables a session does not hold because its source had none.

    Parameters
    ----------
    ds : xarray.Dataset
        A session dataset.

    Returns
    -------
    list of str
        The names in ``attrs["missing"]`` (e.g. ``["position"]`` for a recording without
        tracking); empty when nothing is missing.
    """
    return _parse_missing(ds.attrs.get("missing"))


def require(ds: xr.Dataset, *names: str, purpose: str) -> xr.Dataset:
    """Check that a session holds the variables an analysis needs; say clearly what is missing.

    Parameters
    ----------
    ds : xarray.Dataset
        A session dataset.
    *names : str
        Variables the analysis needs (e.g. ``"position"``, ``"head_direction"``).
    purpose : str
        What needs them, named in the error (e.g. ``"rate maps"``).

    Returns
    -------
    xarray.Dataset
        ``ds`` itself.

    Raises
    ------
    ValueError
        Naming the first absent variable, why it is absent (``attrs["missing"]``, the source
        file when known) and what to do.
    """
    for name in names:
        if name in ds.variables:
            continue
        source = ds.attrs.get("nwb_file") or ds.attrs.get("source_file")
        origin = f" (source: {source})" if source else ""
        if name in missing(ds):
            raise ValueError(
                f"{purpose} need '{name}', and this session has none: its source recorded no "
                f"{name.replace('_', ' ')}{origin}, as attrs['missing'] says. Add it from the "
                f"file that holds it (session.assign({name}=...), then delete "
                "attrs['missing']) or use an analysis that does not need it (head-direction and "
                "speed scores need only their own variable)."
            )
        raise ValueError(
            f"{purpose} need '{name}', and this session has none{origin}; add it "
            f"(session.assign({name}=...)) first."
        )
    return ds


def kind_of(ds: xr.Dataset) -> str:
    """Return the kind of a dataset (``"session"``, ``"rate_maps"`` or ``"scores"``).

    Uses ``attrs["hippocore_kind"]`` when present, otherwise infers it from the variables.

    Parameters
    ----------
    ds : xarray.Dataset

    Returns
    -------
    str

    Raises
    ------
    SchemaError
        If the kind cannot be told.
    """
    kind = ds.attrs.get("hippocore_kind")
    if kind in _KINDS:
        return str(kind)
    if "position" in ds:
        return "session"
    if "rate" in ds and "occupancy" in ds:
        return "rate_maps"
    if UNIT in ds.dims and ds.data_vars:
        return "scores"
    raise SchemaError(
        [
            "cannot tell the dataset's kind: set attrs['hippocore_kind'] to one of "
            f"{list(_KINDS)}, or build it with hippocore.schema.make_session/make_rate_maps/make_scores"
        ]
    )


# ----------------------------------------------------------------------------- validation


def _check_attrs(ds: xr.Dataset, problems: list[str]) -> None:
    for key, value in ds.attrs.items():
        ok = isinstance(value, (str, int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)
        )
        if isinstance(value, (list, tuple)):
            ok = all(
                isinstance(v, (int, float, str, np.integer, np.floating))
                and not isinstance(v, bool)
                for v in value
            )
        if isinstance(value, np.ndarray):
            ok = value.ndim == 1 and value.dtype.kind in "iuf"
        if not ok:
            problems.append(
                f"attrs[{key!r}] is a {type(value).__name__}; attributes must be str, int, float or a "
                "flat numeric list (store dicts as JSON strings, drop None and bool)"
            )


def _monotonic(values: np.ndarray) -> bool:
    return values.size < 2 or bool(np.all(np.diff(values) > 0))


def _validate_session(ds: xr.Dataset, problems: list[str]) -> None:
    if TIME not in ds.coords:
        problems.append("missing coordinate 'time' (s)")
    else:
        t = np.asarray(ds[TIME].values)
        if t.ndim != 1 or t.dtype.kind != "f":
            problems.append(f"coordinate 'time' must be 1-D float seconds; got dtype {t.dtype}")
        elif not np.all(np.isfinite(t)):
            problems.append("coordinate 'time' contains NaN or infinite values")
        elif not _monotonic(t):
            problems.append("coordinate 'time' must be strictly increasing (no duplicates)")
        if ds[TIME].attrs.get("units") != "s":
            problems.append("coordinate 'time' must have attrs['units'] == 's'")
    if "position" not in ds:
        if "position" not in missing(ds):
            problems.append(
                "missing variable 'position' (time, axis) in m (a recording without tracking "
                "says so with attrs['missing'] = 'position')"
            )
    else:
        if "position" in missing(ds):
            problems.append("attrs['missing'] names 'position' but the session holds one")
        p = ds["position"]
        if p.dims != (TIME, AXIS):
            problems.append(f"'position' must have dims ('time', 'axis'); got {p.dims}")
        if AXIS in ds.coords and list(np.asarray(ds[AXIS].values).astype(str)) != ["x", "y"]:
            problems.append(f"coordinate 'axis' must be ['x', 'y']; got {list(ds[AXIS].values)}")
        if p.attrs.get("units") != "m":
            problems.append(
                f"'position' must be in metres (attrs['units'] == 'm'); got {p.attrs.get('units')!r}"
            )
        if p.size and not np.all(np.isfinite(np.asarray(p.values, dtype=float))):
            problems.append("'position' contains NaN or infinite samples; drop them at the reader")
    if "activity" in ds:
        a = ds["activity"]
        if a.dims != (TIME, UNIT):
            problems.append(f"'activity' must have dims ('time', 'unit'); got {a.dims}")
        if a.attrs.get("units") not in ACTIVITY_UNITS:
            problems.append(
                f"'activity' attrs['units'] must be one of {list(ACTIVITY_UNITS)}; got {a.attrs.get('units')!r}"
            )
    has_t, has_u = "spike_time" in ds, "spike_unit" in ds
    if has_t != has_u:
        problems.append("'spike_time' and 'spike_unit' must be given together")
    elif has_t:
        st, su = ds["spike_time"], ds["spike_unit"]
        if st.dims != (SPIKE,) or su.dims != (SPIKE,):
            problems.append("'spike_time' and 'spike_unit' must both have dims ('spike',)")
        if not np.all(np.isfinite(np.asarray(st.values, dtype=float))):
            problems.append("'spike_time' contains NaN or infinite values")
        idx = np.asarray(su.values)
        n_unit = ds.sizes.get(UNIT, 0)
        if idx.dtype.kind not in "iu":
            problems.append(f"'spike_unit' must be integer indices; got dtype {idx.dtype}")
        elif idx.size and (idx.min() < 0 or idx.max() >= n_unit):
            problems.append(f"'spike_unit' must index the unit dim (0..{n_unit - 1})")
    if UNIT in ds.dims:
        if "activity" not in ds and "spike_time" not in ds:
            problems.append("the session has a 'unit' dim but neither 'activity' nor spikes")
        if "population" not in ds.coords:
            problems.append("missing per-unit coordinate 'population'")
        elif ds["population"].dims != (UNIT,):
            problems.append("'population' must have dims ('unit',)")
    for name, units in (("head_direction", "rad"), ("speed", "m/s")):
        if name in ds:
            if ds[name].dims != (TIME,):
                problems.append(f"'{name}' must have dims ('time',)")
            if ds[name].attrs.get("units") != units:
                problems.append(f"'{name}' must have attrs['units'] == {units!r}")
    if "environment" in ds.coords:
        env = ds["environment"]
        if env.dims != (TIME,) or np.asarray(env.values).dtype.kind not in "iu":
            problems.append("'environment' must be an integer coordinate along 'time'")
    if ds.attrs.get("source") not in SOURCES:
        problems.append(
            f"attrs['source'] must be one of {list(SOURCES)}; got {ds.attrs.get('source')!r}"
        )
    if "environments_json" in ds.attrs:
        try:
            envs = json.loads(ds.attrs["environments_json"])
            if not isinstance(envs, list) or not all(
                isinstance(e, dict) and "id" in e for e in envs
            ):
                raise ValueError
        except (ValueError, TypeError):
            problems.append(
                "attrs['environments_json'] must be a JSON list of objects, each with an 'id'"
            )


def _validate_rate_maps(ds: xr.Dataset, problems: list[str]) -> None:
    if "rate" not in ds:
        problems.append("missing variable 'rate' (unit, y, x)")
    elif ds["rate"].dims != (UNIT, Y, X):
        problems.append(f"'rate' must have dims ('unit', 'y', 'x'); got {ds['rate'].dims}")
    if "occupancy" not in ds:
        problems.append("missing variable 'occupancy' (y, x) in s")
    else:
        if ds["occupancy"].dims != (Y, X):
            problems.append(f"'occupancy' must have dims ('y', 'x'); got {ds['occupancy'].dims}")
        if ds["occupancy"].attrs.get("units") != "s":
            problems.append("'occupancy' must have attrs['units'] == 's'")
    for c in (X, Y):
        if c not in ds.coords:
            problems.append(f"missing coordinate '{c}' (bin centres, m)")
            continue
        v = np.asarray(ds[c].values, dtype=float)
        if not _monotonic(v):
            problems.append(f"coordinate '{c}' must be strictly increasing bin centres")
        elif v.size > 2 and not np.allclose(np.diff(v), np.diff(v)[0], rtol=1e-6, atol=1e-12):
            problems.append(f"coordinate '{c}' must be evenly spaced")
    bs = ds.attrs.get("bin_size")
    if not isinstance(bs, (int, float, np.floating, np.integer)) or not bs > 0:
        problems.append(f"attrs['bin_size'] must be a positive number (m); got {bs!r}")


def _validate_scores(ds: xr.Dataset, problems: list[str]) -> None:
    if UNIT not in ds.dims:
        problems.append("missing dim 'unit'")
        return
    for name, var in ds.data_vars.items():
        if not var.dims or var.dims[0] != UNIT:
            problems.append(f"score {name!r} must have 'unit' as its first dim; got {var.dims}")


def validate(ds: xr.Dataset, kind: Kind | None = None) -> xr.Dataset:
    """Check a dataset against the schema and report every problem at once.

    Parameters
    ----------
    ds : xarray.Dataset
        The dataset to check.
    kind : {"session", "rate_maps", "scores"}, optional
        Expected kind; default: ``ds.attrs["hippocore_kind"]`` or inferred.

    Returns
    -------
    xarray.Dataset
        ``ds`` itself, unchanged, so calls can be chained.

    Raises
    ------
    SchemaError
        Listing every problem found.
    TypeError
        If ``ds`` is not an ``xarray.Dataset``.
    """
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"validate expects an xarray.Dataset; got {type(ds).__name__}.")
    if kind is not None and kind not in _KINDS:
        raise ValueError(f"kind must be one of {list(_KINDS)}; got {kind!r}.")
    kind = kind or kind_of(ds)  # type: ignore[assignment]
    problems: list[str] = []
    declared = ds.attrs.get("hippocore_kind")
    if declared is not None and declared != kind:
        problems.append(
            f"attrs['hippocore_kind'] is {declared!r} but a {kind!r} dataset was expected"
        )
    {"session": _validate_session, "rate_maps": _validate_rate_maps, "scores": _validate_scores}[
        kind
    ](ds, problems)
    _check_attrs(ds, problems)
    if problems:
        raise SchemaError(problems, kind=f"{kind} dataset")
    return ds
