"""xarray forms, part 1: dataset checks, the per-unit ``apply_ufunc`` helper, rate maps and gridness.

The functions here are the implementations behind :mod:`hippocore.analysis.ds`; their options
have no defaults because the public signatures are generated from the numpy functions
(``_spec.py``), which hold every default once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from hippocore._checks import check_choice
from hippocore.schema import UNIT, X, Y, kind_of, make_rate_maps, make_scores, require
from hippocore.schema import spike_trains as schema_spike_trains

from ._autocorr import autocorrelogram
from ._gridness import gridness
from ._ratemap import rate_map

__all__ = [
    "as_rate_maps",
    "as_session",
    "population_of",
    "units_of",
    "per_unit",
    "scores_from",
    "rate_map_of_session",
    "gridness_of_maps",
]


def as_rate_maps(ds: xr.Dataset, name: str = "rate_maps") -> xr.Dataset:
    """``ds`` if it is a schema rate-map dataset, else a one-line ``TypeError``."""
    if not isinstance(ds, xr.Dataset) or "rate" not in ds or kind_of(ds) != "rate_maps":
        raise TypeError(
            f"{name} must be a hippocore rate-map dataset (see hippocore.analysis.ds.rate_map "
            "or session.hc.rate_map)."
        )
    return ds


def as_session(ds: xr.Dataset, purpose: str | None = None) -> xr.Dataset:
    """``ds`` if it is a session; with ``purpose``, also require its position."""
    if not isinstance(ds, xr.Dataset) or "time" not in ds.coords or kind_of(ds) != "session":
        raise TypeError("session must be a hippocore session dataset (see schema.make_session).")
    return ds if purpose is None else require(ds, "position", purpose=purpose)


def population_of(ds: xr.Dataset) -> np.ndarray | None:
    """The ``population`` coordinate's values, or None."""
    return ds["population"].values if "population" in ds.coords else None


def units_of(session: xr.Dataset, variable: str) -> tuple[list | None, np.ndarray | None]:
    """``(spike_times or None, activity (time, unit) or None)`` of a session."""
    check_choice(variable, "variable", ("spikes", "activity"))
    if variable == "activity":
        if "activity" not in session:
            raise ValueError("this session holds no 'activity'; use variable='spikes'.")
        return None, session["activity"].transpose("time", UNIT).values.astype(np.float64)
    trains = schema_spike_trains(session)
    if not trains:
        raise ValueError("this session has no units.")
    return list(trains), None


def per_unit(
    func: Callable[..., tuple[np.ndarray, ...]],
    maps: Sequence[xr.DataArray],
    outputs: dict[str, tuple[type | np.dtype, int]],
) -> dict[str, xr.DataArray]:
    """Apply ``func`` to maps ``(unit, y, x)`` one unit-chunk at a time (``xr.apply_ufunc``).

    ``func(*stacks)`` gets numpy stacks ``(n, y, x)`` and returns one array per output, in the
    order of ``outputs`` (name -> (dtype, k): shape ``(n,)`` for k = 0, ``(n, k)`` else, the
    extra dim named ``<name>_dim1`` as :func:`~hippocore.schema.make_scores` names it).
    Dask-backed maps stay lazy (``dask="parallelized"``, one task per unit chunk).
    """
    maps = [m.chunk({Y: -1, X: -1}) if m.chunks is not None else m for m in maps]
    core = [[f"{n}_dim1"] if k else [] for n, (_, k) in outputs.items()]
    sizes = {f"{n}_dim1": k for n, (_, k) in outputs.items() if k}
    res = xr.apply_ufunc(
        func,
        *maps,
        input_core_dims=[[Y, X]] * len(maps),
        output_core_dims=core,
        dask="parallelized",
        output_dtypes=[dt for dt, _ in outputs.values()],
        dask_gufunc_kwargs={"output_sizes": sizes},
    )
    res = res if isinstance(res, tuple) else (res,)
    return {n: r.reset_coords(drop=True) for n, r in zip(outputs, res, strict=True)}


def scores_from(ds: xr.Dataset, variables: dict[str, Any], *, attrs: dict[str, Any]) -> xr.Dataset:
    """A schema scores dataset on ``ds``'s units from arrays and (possibly lazy) DataArrays."""
    eager = {k: v for k, v in variables.items() if not isinstance(v, xr.DataArray)}
    out = make_scores(ds[UNIT].values, eager, population=population_of(ds), attrs=attrs)
    lazy = {k: v for k, v in variables.items() if isinstance(v, xr.DataArray)}
    out = out.assign(lazy)
    return out[[*variables]]


def rate_map_of_session(
    session: xr.Dataset,
    *,
    bin_size: float,
    limits: Sequence[float] | None,
    smooth: float,
    max_gap: float,
    max_bins: int,
    variable: str,
) -> xr.Dataset:
    """Rate maps of every unit of a session (BNT ``analyses.map``, as :func:`~hippocore.analysis.rate_map`).

    All samples of the session are pooled; for a session with several environments, select
    one first (e.g. ``session.isel(time=session.environment == 0)``).

    Returns
    -------
    xarray.Dataset
        A schema rate-map dataset: ``rate (unit, y, x)`` NaN where unvisited, ``rate_raw``
        (unsmoothed), ``occupancy (y, x)`` = raw dwell time in s (0 where unvisited) and
        ``occupancy_smoothed``; attrs record method, bin size, smoothing, max gap, limits and
        the variable (spike trains in Hz, or continuous activity in its own units).
    """
    check_choice(variable, "variable", ("spikes", "activity"))
    as_session(session, "rate maps")
    t = session["time"].values
    pos = session["position"].transpose("time", "axis").values
    units = session[UNIT].values if UNIT in session.coords else np.arange(0)
    trains, act = units_of(session, variable)
    opts = dict(bin_size=bin_size, limits=limits, smooth=smooth, max_gap=max_gap, max_bins=max_bins)
    m = rate_map(t, pos, trains, activity=act, **opts)
    value_units = str(session["activity"].attrs.get("units", "a.u.")) if act is not None else "Hz"
    lim = [float(v) for v in (m.x_edges[0], m.x_edges[-1], m.y_edges[0], m.y_edges[-1])]
    return make_rate_maps(
        m.rate,
        np.nan_to_num(m.occupancy_raw, nan=0.0),
        x=m.x,
        y=m.y,
        bin_size=m.bin_size,
        units=value_units,
        unit=units,
        population=population_of(session),
        extra={"rate_raw": m.rate_raw, "occupancy_smoothed": m.occupancy},
        attrs={
            "method": "BNT analyses.map (2020 mirror)",
            "smooth_bins": float(smooth),
            "max_gap_s": float(max_gap),
            "limits_m": lim,
            "variable": variable,
        },
    )


_GRID_OUTPUTS: dict[str, tuple[type | np.dtype, int]] = {
    "gridness": (np.float64, 0),
    "grid_spacing": (np.float64, 3),
    "grid_orientation": (np.float64, 3),
    "grid_centre_radius": (np.float64, 0),
    "grid_best_radius": (np.float64, 0),
    "gridness_90": (np.float64, 0),
    "gridness_reason": (object, 0),
}


def _grid_block(rate: np.ndarray, *, method: str, bin_size: float) -> tuple[np.ndarray, ...]:
    g = gridness(autocorrelogram(rate, crop=method == "bnt"), method=method)
    return (
        g.score,
        g.spacing * bin_size,
        g.orientation,
        g.centre_radius * bin_size,
        g.best_radius * bin_size,
        g.score_90,
        np.asarray(g.reason, dtype=object),
    )


def gridness_of_maps(rate_maps: xr.Dataset, *, method: str) -> xr.Dataset:
    """Grid scores of every unit of a rate-map dataset (:func:`autocorrelogram` + :func:`gridness`).

    DeepMind's method scores the uncropped autocorrelogram. Dask-backed rate maps are scored
    chunk by chunk and stay lazy until computed.

    Returns
    -------
    xarray.Dataset
        A schema scores dataset with ``gridness``, ``grid_spacing`` (unit, 3) in m,
        ``grid_orientation`` (unit, 3) in rad, ``grid_centre_radius`` and
        ``grid_best_radius`` in m, ``gridness_90`` (DeepMind only, else NaN) and
        ``gridness_reason``; attrs: method, bin size, smoothing and the map's provenance.
        NaN policy as :func:`~hippocore.analysis.gridness`.
    """
    check_choice(method, "method", ("bnt", "deepmind"))
    ds = as_rate_maps(rate_maps)
    bs = float(ds.attrs["bin_size"])
    block = lambda r: _grid_block(r, method=method, bin_size=bs)  # noqa: E731
    return scores_from(
        ds,
        per_unit(block, [ds["rate"]], _GRID_OUTPUTS),
        attrs={
            "gridness_method": {
                "bnt": "BNT gridnessScore (2020 mirror)",
                "deepmind": "DeepMind GridScorer (Banino 2018)",
            }[method],
            "bin_size": bs,
            "smooth_bins": float(ds.attrs.get("smooth_bins", np.nan)),
            "rate_map_method": str(ds.attrs.get("method", "unknown")),
            "max_gap_s": float(ds.attrs.get("max_gap_s", np.nan)),
        },
    )
