"""The schema's rules: :func:`validate` lists every problem of a dataset at once."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from hippocore.schema._access import kind_of, missing
from hippocore.schema._names import (
    ACTIVITY_UNITS,
    AXIS,
    KINDS,
    SOURCES,
    SPIKE,
    TIME,
    UNIT,
    Kind,
    SchemaError,
    X,
    Y,
)

__all__ = ["validate"]


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
    _check_time(ds, problems)
    _check_position(ds, problems)
    _check_units(ds, problems)
    _check_behaviour_and_environments(ds, problems)


def _check_time(ds: xr.Dataset, problems: list[str]) -> None:
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


def _check_position(ds: xr.Dataset, problems: list[str]) -> None:
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


def _check_units(ds: xr.Dataset, problems: list[str]) -> None:
    """Activity, spikes and the per-unit coordinates."""
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


def _check_behaviour_and_environments(ds: xr.Dataset, problems: list[str]) -> None:
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
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}; got {kind!r}.")
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
