"""NWB files (lab recordings and hippocore exports) to session datasets, read lazily.

The series readers live in :mod:`hippocore.io._nwb_series`, the units readers in
:mod:`hippocore.io._nwb_units`; this module opens the file and assembles the session.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from hippocore.io._common import combine_leds, drop_nan_samples
from hippocore.io._nwb_meta import metadata_attrs, subject_attrs
from hippocore.io._nwb_series import (
    compass_series,
    head_direction_at,
    metres,
    one_column,
    position_series,
    sample_ranges,
    series_time,
    speed_at,
    speed_series,
)
from hippocore.io._nwb_tables import Selector, intervals_json, select_rows
from hippocore.io._nwb_units import UnitsRead, read_activity, read_units
from hippocore.io._nwb_write import LAYOUT_SCRATCH
from hippocore.schema import TIME, UNIT, make_session, validate

__all__ = ["read_nwb"]


def open_nwb(path: Path) -> Any:
    import h5py
    from pynwb import NWBHDF5IO

    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not an NWB (HDF5) file.")
    if not h5py.is_hdf5(path):
        raise ValueError(f"{path} is not an HDF5 file, so not an NWB 2 file (wrong format?).")
    try:
        with h5py.File(path, "r") as f:
            if "nwb_version" not in f.attrs:
                raise ValueError(
                    f"{path} is an HDF5 file but not NWB (no 'nwb_version' attribute)."
                )
            _preflight(f, path.name)
    except OSError as exc:
        raise ValueError(
            f"{path} could not be opened: the HDF5 file is truncated or corrupt ({exc})."
        ) from exc
    return NWBHDF5IO(str(path), mode="r")


def _preflight(f: Any, label: str) -> None:
    """Catch the common file defects with h5py (metadata only) before pynwb trips over them."""
    import h5py

    def visit(name: str, obj: Any) -> None:
        if not isinstance(obj, h5py.Group) or "data" not in obj:
            return
        kind = obj.attrs.get("neurodata_type")
        kind = kind.decode() if isinstance(kind, bytes) else str(kind)
        if not kind.endswith("Series"):
            return
        if "timestamps" not in obj and "starting_time" not in obj:
            raise ValueError(
                f"{label}: {kind} '/{name}' has neither timestamps nor a sampling rate, so its "
                "samples have no times."
            )
        data = obj["data"]
        if kind == "SpatialSeries" and data.ndim == 2 and data.shape[1] > 3:
            raise ValueError(
                f"{label}: SpatialSeries '/{name}' has {data.shape[1]} columns; NWB allows at "
                "most 3 (x, y, z). Store each tracked LED or body part as its own SpatialSeries."
            )

    f.visititems(visit)


def _short(exc: Exception) -> str:
    """The useful part of an hdmf construct error: the object path and the reason."""
    text = str(exc)
    where = re.search(r"root(/[^\s]+) GroupBuilder", text)
    why = re.search(r"due to: (.*?)[\"']?\)+$", text, flags=re.S)
    if where and why:
        return f"{where.group(1)}: {why.group(1)}"
    return text if len(text) < 400 else text[:400] + "..."


# ----------------------------------------------------------------------------- helpers


def _exact_time(nwbfile: Any, layout: dict[str, Any] | None) -> NDArray[np.float64] | None:
    """The session's exact sample times, when the writer stored them beside a rounded rate."""
    name = (layout or {}).get("time_scratch")
    if not name or name not in nwbfile.scratch:
        return None
    return np.asarray(nwbfile.get_scratch(name)[:], dtype=np.float64)


def session_layout(nwbfile: Any) -> dict[str, Any] | None:
    if LAYOUT_SCRATCH not in nwbfile.scratch:
        return None
    raw = nwbfile.get_scratch(LAYOUT_SCRATCH)
    text = raw.item() if isinstance(raw, np.ndarray) else raw
    if isinstance(text, bytes):
        text = text.decode()
    return json.loads(text)


# ----------------------------------------------------------------------------- the reader


def read_nwb(
    path: str | os.PathLike[str],
    *,
    units: Selector = None,
    epochs: Selector = None,
    interval_table: str = "epochs",
    position: str | Sequence[str] | None = None,
    outside_tracking: Literal["drop", "keep", "raise"] = "drop",
    lazy: bool = False,
) -> xr.Dataset:
    """Read an NWB file into a schema session, loading only what is asked for.

    Position is found **by type** (every ``pynwb.behavior.Position`` in ``processing`` or
    ``acquisition``), never by name, and converted to metres with the series' ``conversion`` and
    ``offset`` (``data * conversion + offset``, as ``SpatialSeries.get_data_in_units``) and its
    ``unit`` (m, cm or mm). One series is the position; two series are two LEDs (taken in name
    order, LED 1 first): their midpoint is the position and ``atan2`` of LED1 - LED2 the head
    direction; two one-column series are x and y. Otherwise head direction comes from a
    ``CompassDirection`` (radians or degrees; interpolated circularly when on another clock),
    and speed from a ``TimeSeries`` named like "speed" (m/s, cm/s or mm/s). Sample times come
    from ``timestamps`` or ``starting_time`` + ``rate``. Spike times and every scalar column of
    the ``units`` table become per-unit coordinates; interval tables (epochs, trials, ...) are
    returned in ``attrs["intervals_json"]``; the file's and subject's metadata become attrs
    (see :mod:`hippocore.io._nwb_meta`) that :func:`write_nwb` writes back, and
    ``units.resolution`` becomes ``attrs["spike_resolution"]``. Files written by
    :func:`write_nwb` come back identical (activity, populations, environments, attrs, sample
    times bit for bit).

    A file without position (units in one file, tracking in another; head direction or speed
    only) reads too: the session has no ``position``, ``attrs["missing"] == "position"``, its
    ``time`` is the clock of the head direction, else of the speed, else empty, and spikes are
    kept as recorded. Analyses that need position then raise an error naming it.

    Lazy: the units' index and the selected units' spike-time ranges are read, not the whole
    spike table; position, activity and head direction are read only for the sample ranges of
    the chosen epochs, and activity only for the chosen units' columns.

    NaN policy: position samples with NaN coordinates (untracked) are dropped with a
    :class:`DataRepairWarning` (spikes in the gaps are kept); head direction may hold NaN where
    one LED is missing.

    Parameters
    ----------
    path : path-like
        An NWB 2 (HDF5) file.
    units : sequence or mapping, optional
        Which units to read. A sequence of names (``unit_name`` column) or table ids; or a
        mapping ``{column: value or list of values}`` (all conditions must hold), e.g.
        ``{"population": "memory"}``. Default: all.
    epochs : sequence or mapping, optional
        Which rows of ``interval_table`` bound the read: names (matched against ``tags``),
        row ids, or ``{column: value(s)}``. Samples and spikes outside the chosen intervals are
        not read. Default: the whole recording.
    interval_table : str, default "epochs"
        The ``TimeIntervals`` table ``epochs`` selects from (e.g. "trials", "environments").
    position : str or pair of str, optional
        Name (or path) of the position SpatialSeries; or two names: two LED series (2-3
        columns each) or an (x, y) pair of one-column series, in that order. Needed when the
        file has more than two position series.
    outside_tracking : {"drop", "keep", "raise"}, default "drop"
        Spikes before the first or after the last tracked sample (plus one sample interval):
        dropped with a :class:`DataRepairWarning`, kept, or an error.
    lazy : bool, default False
        Return ``activity`` as a dask array that reads the file's chunks on demand (the file
        stays open, read-only, while the array is alive); position and spikes are read now.

    Returns
    -------
    xarray.Dataset
        A schema session (``validate``-clean). ``attrs`` record ``nwb_file``,
        ``position_series``, the file's metadata (``description``, ``session_id``,
        ``experimenter_json``, ``institution`` ...), the subject's fields, ``spike_resolution``,
        the intervals and, for a file without tracking, ``missing``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        For a file that is not NWB, truncated, holds nothing hippocore reads (no position, head
        direction, speed or units), a position with more than 3 columns or in unconvertible
        units, non-monotonic or duplicated timestamps, a series without timestamps or rate, or
        a selection that matches nothing. The message names the object.
    """
    p = Path(path)
    if outside_tracking not in ("drop", "keep", "raise"):
        raise ValueError(
            f"outside_tracking must be 'drop', 'keep' or 'raise'; got {outside_tracking!r}."
        )
    io = open_nwb(p)
    with io:
        try:
            nwbfile = io.read()
        except Exception as exc:  # hdmf raises many types on a damaged file; name the file
            raise ValueError(
                f"{p} could not be read as NWB ({type(exc).__name__}: {_short(exc)}). The file "
                "may be truncated, damaged or written with an unknown extension."
            ) from exc
        return _read(nwbfile, p, units, epochs, interval_table, position, outside_tracking, lazy)


@dataclass(frozen=True)
class _Samples:
    """The samples a read covers: the clock, the chosen row ranges and epochs, their times."""

    t_all: NDArray[np.float64]  # every sample time of the session's clock
    ranges: list[tuple[int, int]]  # the chosen rows of the clock
    windows: list[tuple[float, float]] | None  # the chosen epochs, s (None: all)
    epoch_rows: list[dict[str, Any]] | None
    t: NDArray[np.float64]  # the chosen sample times


@dataclass(frozen=True)
class _Behaviour:
    """Position (m), head direction (rad), speed (m/s) on the chosen samples; ``keep``: tracked."""

    pos: NDArray[np.float64] | None
    hd: NDArray[np.float64] | None
    speed: NDArray[np.float64] | None
    keep: NDArray[np.bool_]


def _read(
    nwbfile: Any,
    p: Path,
    units_sel: Selector,
    epochs_sel: Selector,
    interval_table: str,
    position: str | Sequence[str] | None,
    outside_tracking: str,
    lazy: bool,
) -> xr.Dataset:
    label = p.name
    layout = session_layout(nwbfile)
    chosen, mode = position_series(nwbfile, position, label)
    compass = compass_series(nwbfile, label)
    speed_found = speed_series(nwbfile, label)
    samples = _samples(
        nwbfile, label, layout, chosen, compass, speed_found, epochs_sel, interval_table
    )
    beh = _behaviour(chosen, mode, compass, speed_found, samples, label)
    tracked = samples.t_all if beh.pos is not None else None  # no tracking: keep every spike
    units = read_units(
        nwbfile, layout, units_sel, samples.windows, tracked, outside_tracking, label
    )
    activity: Any = None
    if layout is not None and units.ids is not None and layout.get("activity_series"):
        activity = read_activity(
            nwbfile, units.table, units.rows, units.population, layout, samples.ranges,
            samples.t.size, p, lazy,
        )  # fmt: skip
    attrs = _attrs(nwbfile, layout, p, [w for w, _ in chosen], samples.epoch_rows, interval_table)
    with_units = units.ids is not None and units.trains is not None
    if beh.pos is None and beh.hd is None and beh.speed is None and not with_units:
        if activity is None:
            _nothing_to_read(nwbfile, label)
    return _assemble(nwbfile, layout, samples.t, beh, units, activity, attrs)


def _clock(
    nwbfile: Any,
    label: str,
    layout: dict[str, Any] | None,
    chosen: list[tuple[str, Any]],
    compass: tuple[str, Any] | None,
    speed_found: tuple[str, Any, float] | None,
) -> tuple[NDArray[np.float64], tuple[str, Any] | None]:
    """The session's clock: position, else head direction, else speed, else activity."""
    clock: tuple[str, Any] | None = chosen[0] if chosen else compass
    if clock is None and speed_found is not None:
        clock = speed_found[:2]
    if clock is None and layout is not None and layout.get("activity_series"):
        name = next(iter(layout["activity_series"].values()))
        clock = (f"processing/misc/{name}", nwbfile.processing["misc"][name])
    t_all = np.zeros(0) if clock is None else series_time(clock[1], f"{label}: {clock[0]}")
    if len(chosen) == 2:
        where1, where2 = chosen[0][0], chosen[1][0]
        t2 = series_time(chosen[1][1], f"{label}: {where2}")
        if t2.size != t_all.size or not np.allclose(t2, t_all, rtol=0, atol=1e-9):
            raise ValueError(
                f"{label}: the two position series {where1} and {where2} have different "
                "timestamps; choose one with position='name'."
            )
    exact = _exact_time(nwbfile, layout)
    if exact is not None:
        if exact.size != t_all.size:
            raise ValueError(
                f"{label}: scratch/{layout['time_scratch']} holds {exact.size} sample times for "
                f"{t_all.size} samples of {clock[0] if clock else 'no series'}; the file is "
                "inconsistent."
            )
        t_all = exact
    return t_all, clock


def _samples(
    nwbfile: Any,
    label: str,
    layout: dict[str, Any] | None,
    chosen: list[tuple[str, Any]],
    compass: tuple[str, Any] | None,
    speed_found: tuple[str, Any, float] | None,
    epochs_sel: Selector,
    interval_table: str,
) -> _Samples:
    """The clock's samples inside the epochs ``epochs_sel`` chooses from ``interval_table``."""
    t_all, clock = _clock(nwbfile, label, layout, chosen, compass, speed_found)
    windows = None
    epoch_rows: list[dict[str, Any]] | None = None
    if epochs_sel is not None:
        if interval_table not in nwbfile.intervals:
            raise ValueError(
                f"{label}: no interval table {interval_table!r}; tables: {list(nwbfile.intervals)}."
            )
        table = nwbfile.intervals[interval_table]
        by = "tags" if "tags" in table.colnames else None
        rows = select_rows(table, epochs_sel, what=f"{label}: intervals/{interval_table}", by=by)
        starts = np.asarray(table["start_time"].data[:], dtype=np.float64)[rows]
        stops = np.asarray(table["stop_time"].data[:], dtype=np.float64)[rows]
        windows = list(zip(starts.tolist(), stops.tolist(), strict=True))
        epoch_rows = [{"start_time": a, "stop_time": b} for a, b in windows]
    ranges = sample_ranges(t_all, windows) if t_all.size else []
    if t_all.size and not ranges:
        raise ValueError(f"{label}: the chosen epochs contain no sample of {clock[0]}.")
    t = np.concatenate([t_all[a:b] for a, b in ranges]) if ranges else np.zeros(0)
    return _Samples(t_all, ranges, windows, epoch_rows, t)


def _behaviour(
    chosen: list[tuple[str, Any]],
    mode: str,
    compass: tuple[str, Any] | None,
    speed_found: tuple[str, Any, float] | None,
    samples: _Samples,
    label: str,
) -> _Behaviour:
    """Position, head direction and speed on the chosen samples; untracked samples marked."""
    t, ranges, t_all = samples.t, samples.ranges, samples.t_all
    pos: NDArray[np.float64] | None = None
    hd: NDArray[np.float64] | None = None
    if mode in ("one", "leds"):
        where1, s1 = chosen[0]
        led1 = metres(s1, f"{label}: {where1}", ranges)
        led2 = None
        if mode == "leds":
            led2 = metres(chosen[1][1], f"{label}: {chosen[1][0]}", ranges)
        pos, hd = combine_leds(led1, led2)
    elif mode == "xy":
        (wx, sx), (wy, sy) = chosen
        pos = np.column_stack(
            [one_column(sx, f"{label}: {wx}", ranges), one_column(sy, f"{label}: {wy}", ranges)]
        )
    if hd is None and compass is not None:
        hd = head_direction_at(compass, t, ranges, t_all, label)
    if pos is not None:
        keep = drop_nan_samples(t, pos, f"{label}: {chosen[0][0]}", stacklevel=6)
    else:
        keep = np.ones(t.size, dtype=bool)
    speed = speed_at(speed_found, t, ranges, t_all, label) if speed_found is not None else None
    return _Behaviour(pos, hd, speed, keep)


def _environment(
    nwbfile: Any, layout: dict[str, Any] | None, t: NDArray[np.float64]
) -> NDArray[np.int64] | None:
    """A hippocore export's environment label per sample (-1: none), from its intervals."""
    if layout is None or "environments" not in nwbfile.intervals:
        return None
    table = nwbfile.intervals["environments"]
    env = np.full(t.size, -1, dtype=np.int64)
    for a, b, e in zip(
        table["start_time"].data[:],
        table["stop_time"].data[:],
        table["environment_id"].data[:],
        strict=True,
    ):
        env[(t >= a) & (t <= b)] = int(e)
    return env


def _nothing_to_read(nwbfile: Any, label: str) -> None:
    objects = sorted(
        f"processing/{m}/{o}" for m, mod in nwbfile.processing.items() for o in mod.data_interfaces
    ) + sorted(f"acquisition/{o}" for o in nwbfile.acquisition)
    raise ValueError(
        f"{label}: nothing hippocore can read -- no position (pynwb.behavior.Position), head "
        "direction (CompassDirection), speed series, units with spike times or hippocore "
        f"activity (objects present: {objects or 'none'})."
    )


def _assemble(
    nwbfile: Any,
    layout: dict[str, Any] | None,
    t: NDArray[np.float64],
    beh: _Behaviour,
    units: UnitsRead,
    activity: Any,
    attrs: dict[str, Any],
) -> xr.Dataset:
    """The validated session from what was read (an export gets its layout's attrs back)."""
    keep = beh.keep
    env = _environment(nwbfile, layout, t)
    with_units = units.ids is not None and units.trains is not None
    population = units.population
    ds = make_session(
        t[keep],
        beh.pos[keep] if beh.pos is not None else None,
        spike_times=units.trains if with_units else None,
        unit=units.ids if with_units else None,
        population=(population if population is not None else "unknown") if with_units else None,
        unit_coords=units.coords if with_units else None,
        head_direction=beh.hd[keep] if beh.hd is not None else None,
        speed=beh.speed[keep] if beh.speed is not None else None,
        environment=env[keep] if env is not None else None,
        source=str(attrs.pop("source", "recording")),
        attrs=attrs,
    )
    if activity is not None:
        if not with_units:  # units known only through their activity: attach them here
            pop = np.asarray(population, dtype=object).astype(str).astype(object)
            coords: dict[str, Any] = {UNIT: (UNIT, units.ids), "population": (UNIT, pop)}
            for name, values in units.coords.items():
                v = np.asarray(values)
                coords[name] = (UNIT, v.astype(object) if v.dtype.kind in "USO" else v)
            ds = ds.assign_coords(coords)
        if not keep.all():
            activity = activity[np.flatnonzero(keep)]
        units_attr = layout["var_attrs"].get("activity", {}).get("units", "a.u.")
        ds["activity"] = ((TIME, UNIT), activity, {"units": units_attr})
    if layout is not None:
        ds.attrs.update(layout["attrs"])
        for name, var_attrs in layout.get("var_attrs", {}).items():
            if name in ds.variables:
                ds[name].attrs = dict(var_attrs)
        for name, info in layout.get("unit_coords", {}).items():
            if name in ds.coords:
                ds[name].attrs = dict(info.get("attrs", {}))
    return validate(ds, "session")


def _attrs(
    nwbfile: Any,
    layout: dict[str, Any] | None,
    p: Path,
    series: list[str],
    epoch_rows: list[dict[str, Any]] | None,
    interval_table: str,
) -> dict[str, Any]:
    resolution = None
    if nwbfile.units is not None and nwbfile.units.resolution is not None:
        res = float(nwbfile.units.resolution)
        if np.isfinite(res) and res > 0:
            resolution = res
    if layout is not None:
        attrs = {
            k: v
            for k, v in layout["attrs"].items()
            if k not in ("hippocore_kind", "schema_version", "hippocore_version")
        }
        # files written before write_nwb recorded an explicit spike_resolution: the units
        # table states it, and a recording cannot be re-exported without it
        if (
            resolution is not None
            and "spike_resolution" not in attrs
            and not layout.get("sampled_spikes")
            and attrs.get("source") == "recording"
        ):
            attrs["spike_resolution"] = resolution
    else:
        attrs = {"source": "recording", "nwb_file": p.name}
        if series:
            attrs["position_series"] = ", ".join(series)
        attrs.update(metadata_attrs(nwbfile))
        attrs.update(subject_attrs(nwbfile.subject))
        if resolution is not None:
            attrs["spike_resolution"] = resolution
        intervals = intervals_json(nwbfile, skip=set())
        if intervals:
            attrs["intervals_json"] = intervals
    if epoch_rows is not None:
        attrs["selected_intervals_json"] = json.dumps(
            {"table": interval_table, "intervals": epoch_rows}
        )
    if layout is not None and layout.get("sampled_spikes"):
        sampled = layout["sampled_spikes"]
        attrs["spikes_sampled_resolution"] = float(sampled["resolution"])
        if sampled.get("seed") is not None:
            attrs["spikes_sampled_seed"] = int(sampled["seed"])
    return attrs
