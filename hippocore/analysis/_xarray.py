"""xarray layer: schema session -> rate-map dataset -> scores dataset (thin wrappers)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from hippocore._checks import check_choice
from hippocore.schema import (
    UNIT,
    X,
    Y,
    kind_of,
    make_rate_maps,
    make_scores,
    require,
    spike_trains,
)

from ._autocorr import autocorrelogram
from ._gridness import gridness
from ._ratemap import rate_map

__all__ = ["compute_rate_maps", "grid_scores"]


def compute_rate_maps(
    session: xr.Dataset,
    *,
    bin_size: float,
    limits: Sequence[float] | None = None,
    smooth: float = 1.0,
    max_gap: float = 0.1,
    variable: str = "spikes",
) -> xr.Dataset:
    """Rate maps of every unit of a session dataset (BNT ``analyses.map``, see :func:`rate_map`).

    Parameters
    ----------
    session : xarray.Dataset
        A schema session (``time``, ``position`` and ``spike_time``/``spike_unit`` or
        ``activity``).
    bin_size : float
        Bin side (m).
    limits : (x_min, x_max, y_min, y_max), optional
        Arena limits (m); default the data range.
    smooth : float, default 1.0
        Gaussian standard deviation (bins); 0 for none.
    max_gap : float, default 0.1
        Longest dwell credited to one position sample (s).
    variable : {"spikes", "activity"}, default "spikes"
        Map spike trains (Hz) or continuous activity (its own units).

    Notes
    -----
    All samples of the session are pooled; for a session with several environments, select
    one first (e.g. ``session.isel(time=session.environment == 0)``).

    Returns
    -------
    xarray.Dataset
        A schema rate-map dataset: ``rate (unit, y, x)`` NaN where unvisited, ``rate_raw``
        (unsmoothed), ``occupancy (y, x)`` = raw dwell time in s (0 where unvisited) and
        ``occupancy_smoothed``; attrs record method, bin size, smoothing, max gap, limits and
        the variable. NaN policy and warnings as :func:`rate_map`.
    """
    check_choice(variable, "variable", ("spikes", "activity"))
    if (
        not isinstance(session, xr.Dataset)
        or "time" not in session.coords
        or kind_of(session) != "session"
    ):
        raise TypeError("session must be a hippocore session dataset (see schema.make_session).")
    require(session, "position", purpose="rate maps")
    t = session["time"].values
    pos = session["position"].transpose("time", "axis").values
    units = session[UNIT].values if UNIT in session.coords else np.arange(0)
    if variable == "activity":
        if "activity" not in session:
            raise ValueError("this session holds no 'activity'; use variable='spikes'.")
        act = session["activity"].transpose("time", UNIT).values.astype(np.float64)
        m = rate_map(
            t, pos, activity=act, bin_size=bin_size, limits=limits, smooth=smooth, max_gap=max_gap
        )
        value_units = str(session["activity"].attrs.get("units", "a.u."))
    else:
        trains = spike_trains(session)
        if not trains:
            raise ValueError("this session has no units to map.")
        m = rate_map(
            t, pos, list(trains), bin_size=bin_size, limits=limits, smooth=smooth, max_gap=max_gap
        )
        value_units = "Hz"
    rate = m.rate if m.rate.ndim == 3 else m.rate[None]
    rate_raw = m.rate_raw if m.rate_raw.ndim == 3 else m.rate_raw[None]
    population = session["population"].values if "population" in session.coords else None
    lim = [float(v) for v in (m.x_edges[0], m.x_edges[-1], m.y_edges[0], m.y_edges[-1])]
    return make_rate_maps(
        rate,
        np.nan_to_num(m.occupancy_raw, nan=0.0),
        x=m.x,
        y=m.y,
        bin_size=m.bin_size,
        units=value_units,
        unit=units,
        population=population,
        extra={"rate_raw": rate_raw, "occupancy_smoothed": m.occupancy},
        attrs={
            "method": "BNT analyses.map (2020 mirror)",
            "smooth_bins": float(smooth),
            "max_gap_s": float(max_gap),
            "limits_m": lim,
            "variable": variable,
        },
    )


def grid_scores(rate_maps: xr.Dataset, *, method: str = "bnt") -> xr.Dataset:
    """Grid scores of every unit of a rate-map dataset (:func:`autocorrelogram` + :func:`gridness`).

    Parameters
    ----------
    rate_maps : xarray.Dataset
        A schema rate-map dataset (``rate (unit, y, x)``).
    method : {"bnt", "deepmind"}, default "bnt"
        Grid-score definition (DeepMind scores the uncropped autocorrelogram).

    Returns
    -------
    xarray.Dataset
        A schema scores dataset with ``gridness``, ``grid_spacing`` (unit, 3) in m,
        ``grid_orientation`` (unit, 3) in rad, ``grid_centre_radius`` and
        ``grid_best_radius`` in m, ``gridness_90`` (DeepMind only, else NaN) and
        ``gridness_reason``; attrs: method, bin size, smoothing and the map's provenance.
        NaN policy as :func:`gridness`.
    """
    check_choice(method, "method", ("bnt", "deepmind"))
    if not isinstance(rate_maps, xr.Dataset) or "rate" not in rate_maps:
        raise TypeError("rate_maps must be a hippocore rate-map dataset (see compute_rate_maps).")
    rate = rate_maps["rate"].transpose(UNIT, Y, X).values
    bs = float(rate_maps.attrs["bin_size"])
    g = gridness(autocorrelogram(rate, crop=method == "bnt"), method=method)
    population = rate_maps["population"].values if "population" in rate_maps.coords else None
    return make_scores(
        rate_maps[UNIT].values,
        {
            "gridness": g.score,
            "grid_spacing": g.spacing * bs,
            "grid_orientation": g.orientation,
            "grid_centre_radius": g.centre_radius * bs,
            "grid_best_radius": g.best_radius * bs,
            "gridness_90": g.score_90,
            "gridness_reason": g.reason,
        },
        population=population,
        attrs={
            "gridness_method": {
                "bnt": "BNT gridnessScore (2020 mirror)",
                "deepmind": "DeepMind GridScorer (Banino 2018)",
            }[method],
            "bin_size": bs,
            "smooth_bins": float(rate_maps.attrs.get("smooth_bins", np.nan)),
            "rate_map_method": str(rate_maps.attrs.get("method", "unknown")),
            "max_gap_s": float(rate_maps.attrs.get("max_gap_s", np.nan)),
        },
    )
