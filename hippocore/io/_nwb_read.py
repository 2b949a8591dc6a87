"""NWB files (lab recordings and hippocore exports) to session datasets, read lazily."""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from hippocore.io._common import (
    DataRepairWarning,
    check_timestamps,
    combine_leds,
    drop_nan_samples,
)
from hippocore.io._nwb_meta import metadata_attrs, subject_attrs
from hippocore.io._nwb_tables import (
    Selector,
    intervals_json,
    scalar_columns,
    select_rows,
    table_column,
)
from hippocore.io._nwb_write import LAYOUT_SCRATCH, UNITS_TABLE_NO_SPIKES
from hippocore.schema import TIME, UNIT, make_session, validate

__all__ = ["read_nwb"]

_TO_METRES = {
    "m": 1.0,
    "meter": 1.0,
    "meters": 1.0,
    "metre": 1.0,
    "metres": 1.0,
    "cm": 0.01,
    "centimeter": 0.01,
    "centimeters": 0.01,
    "centimetre": 0.01,
    "centimetres": 0.01,
    "mm": 0.001,
    "millimeter": 0.001,
    "millimeters": 0.001,
    "millimetre": 0.001,
    "millimetres": 0.001,
}
_TO_M_PER_S = {
    "m/s": 1.0,
    "meters/second": 1.0,
    "metres/second": 1.0,
    "cm/s": 0.01,
    "centimeters/second": 0.01,
    "centimetres/second": 0.01,
    "mm/s": 0.001,
}
_TO_RAD = {"radian": 1.0, "radians": 1.0, "rad": 1.0, "degree": np.pi / 180, "degrees": np.pi / 180}


# ----------------------------------------------------------------------------- opening


def _open(path: Path) -> Any:
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


def _series_time(series: Any, what: str) -> NDArray[np.float64]:
    n = _length(series, what)
    if series.timestamps is not None:
        t = np.asarray(series.get_timestamps()[:], dtype=np.float64)
        if t.size != n:
            raise ValueError(
                f"{what}: {t.size} timestamps for {n} data samples; the file is inconsistent."
            )
    elif series.rate is not None:
        if not series.rate > 0:
            raise ValueError(f"{what}: sampling rate {series.rate!r} is not positive.")
        t = float(series.starting_time or 0.0) + np.arange(n) / float(series.rate)
    else:
        raise ValueError(
            f"{what} has neither timestamps nor a sampling rate, so its samples have no times."
        )
    return check_timestamps(t, what)


def _length(series: Any, what: str) -> int:
    data = series.data
    if data is None or not hasattr(data, "shape"):
        raise ValueError(f"{what} has no data array.")
    return int(data.shape[0]) if len(data.shape) else 0


def _read_rows(data: Any, ranges: list[tuple[int, int]], cols: Any = None) -> np.ndarray:
    """Concatenate ``data[a:b]`` (optionally ``[:, cols]``) over ``ranges``; reads only those."""
    parts = []
    for a, b in ranges:
        block = data[a:b] if cols is None else data[a:b, cols]
        parts.append(np.asarray(block))
    if not parts:
        shape = (0,) + tuple(data.shape[1:]) if cols is None else (0, len(cols))
        return np.zeros(shape)
    return np.concatenate(parts, axis=0)


def _ranges(
    t: NDArray[np.float64], windows: list[tuple[float, float]] | None
) -> list[tuple[int, int]]:
    if windows is None:
        return [(0, t.size)]
    out: list[tuple[int, int]] = []
    for start, stop in sorted(windows):
        a = int(np.searchsorted(t, start, side="left"))
        b = int(np.searchsorted(t, stop, side="right"))
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _find_by_type(nwbfile: Any, cls: type) -> list[tuple[str, Any]]:
    found = []
    for mod_name, module in nwbfile.processing.items():
        for obj in module.data_interfaces.values():
            if isinstance(obj, cls):
                found.append((f"processing/{mod_name}/{obj.name}", obj))
    for obj in nwbfile.acquisition.values():
        if isinstance(obj, cls):
            found.append((f"acquisition/{obj.name}", obj))
    return found


def _columns(series: Any) -> int:
    shape = tuple(series.data.shape)
    return 1 if len(shape) == 1 else int(shape[1])


def _position_series(
    nwbfile: Any, position: str | Sequence[str] | None, label: str
) -> tuple[list[tuple[str, Any]], str]:
    """The chosen position series and how to read them: "one", "leds" or "xy" ("none": absent).

    Two series with one column each are (x, y); two with two or three columns are two LEDs.
    """
    from pynwb.behavior import Position

    containers = _find_by_type(nwbfile, Position)
    series = [
        (f"{where}/{name}", ss)
        for where, pos in containers
        for name, ss in sorted(pos.spatial_series.items())
    ]
    if not series:
        if position is None:
            return [], "none"
        raise ValueError(
            f"{label}: position={position!r} was given but the file holds no "
            "pynwb.behavior.Position container with a SpatialSeries."
        )
    if position is not None:
        wanted = [position] if isinstance(position, str) else list(position)
        if not 1 <= len(wanted) <= 2:
            raise ValueError(
                f"position must name one series, two LEDs or an (x, y) pair; got {position!r}."
            )
        chosen = []
        for w in wanted:
            hits = [(p, s) for p, s in series if s.name == w or p == w]
            if len(hits) != 1:
                raise ValueError(
                    f"{label}: position={w!r} matches {len(hits)} SpatialSeries; available: "
                    f"{[p for p, _ in series]}."
                )
            chosen.append(hits[0])
    elif len(series) <= 2:
        chosen = series
        if len(chosen) == 2 and all(_columns(s) == 1 for _, s in chosen):
            names = [s.name.lower().rstrip("_ ") for _, s in chosen]
            if not (names[0].endswith("x") and names[1].endswith("y")):
                raise ValueError(
                    f"{label}: two one-column position series {[p for p, _ in chosen]}; say "
                    "which is x and which is y with position=('x series', 'y series')."
                )
    else:
        raise ValueError(
            f"{label}: {len(series)} position SpatialSeries found ({[p for p, _ in series]}); "
            "choose one (position='name'), two LEDs (position=('LED1', 'LED2')) or two "
            "one-column series as (x, y) (position=('X', 'Y'))."
        )
    cols = [_columns(s) for _, s in chosen]
    if len(chosen) == 1:
        if cols[0] == 1:
            raise ValueError(
                f"{label}: {chosen[0][0]} has one column; hippocore needs x and y. If x and y "
                "are separate one-column series, pass position=('X series', 'Y series')."
            )
        return chosen, "one"
    if cols == [1, 1]:
        return chosen, "xy"
    if min(cols) >= 2:
        return chosen, "leds"
    raise ValueError(
        f"{label}: {chosen[0][0]} has {cols[0]} column(s) and {chosen[1][0]} has {cols[1]}; "
        "give two LED series (2-3 columns each) or two one-column series as (x, y)."
    )


def _to_metres(series: Any, where: str) -> float:
    unit = str(series.unit).strip().lower()
    if unit not in _TO_METRES:
        raise ValueError(
            f"{where}: position unit {series.unit!r} cannot be converted to metres (known: m, cm, "
            "mm). Convert pixel or arbitrary units before reading."
        )
    return _TO_METRES[unit]


def _metres(series: Any, where: str, ranges: list[tuple[int, int]]) -> NDArray[np.float64]:
    shape = series.data.shape
    if len(shape) != 2 or shape[1] < 2:
        raise ValueError(
            f"{where}: position has shape {tuple(shape)}; hippocore needs at least 2 columns (x, y)."
        )
    if shape[1] > 3:
        raise ValueError(
            f"{where}: position has {shape[1]} columns; NWB allows at most 3 (x, y, z). Store each "
            "tracked LED or body part as its own SpatialSeries."
        )
    scale = _to_metres(series, where)
    raw = _read_rows(series.data, ranges).astype(np.float64)
    if shape[1] == 3:
        warnings.warn(
            f"{where}: position has 3 columns (x, y, z); z is dropped (hippocore sessions are 2-D).",
            DataRepairWarning,
            stacklevel=4,
        )
    xy = raw[:, :2]
    return (xy * float(series.conversion) + float(series.offset)) * scale


def _one_column(series: Any, where: str, ranges: list[tuple[int, int]]) -> NDArray[np.float64]:
    """A one-column coordinate series (x or y alone) in metres."""
    scale = _to_metres(series, where)
    raw = _read_rows(series.data, ranges).astype(np.float64).reshape(-1)
    return (raw * float(series.conversion) + float(series.offset)) * scale


def _compass_series(nwbfile: Any, label: str) -> tuple[str, Any] | None:
    """The first ``CompassDirection`` SpatialSeries (checked: 1-D, radians or degrees)."""
    from pynwb.behavior import CompassDirection

    found = [
        (f"{where}/{name}", ss)
        for where, cd in _find_by_type(nwbfile, CompassDirection)
        for name, ss in sorted(cd.spatial_series.items())
    ]
    if not found:
        return None
    where, ss = found[0]
    unit = str(ss.unit).strip().lower()
    if unit not in _TO_RAD:
        raise ValueError(f"{label}: {where} has unit {ss.unit!r}; expected radians or degrees.")
    shape = tuple(ss.data.shape)
    if len(shape) > 1 and shape[1] != 1:
        raise ValueError(f"{label}: {where} must be 1-D head direction; got shape {shape}.")
    return where, ss


def _speed_series(nwbfile: Any, label: str) -> tuple[str, Any, float] | None:
    """A 1-D ``TimeSeries`` named like "speed" in ``processing`` (m/s, cm/s or mm/s), if any.

    ``processing/behavior`` is searched first; a speed series in another unit is skipped with a
    :class:`DataRepairWarning`.
    """
    from pynwb import TimeSeries
    from pynwb.behavior import SpatialSeries

    modules = sorted(nwbfile.processing.items(), key=lambda kv: kv[0] != "behavior")
    for mod_name, module in modules:
        for obj in module.data_interfaces.values():
            if not isinstance(obj, TimeSeries) or isinstance(obj, SpatialSeries):
                continue
            if "speed" not in obj.name.lower() or obj.data is None:
                continue
            where = f"processing/{mod_name}/{obj.name}"
            shape = tuple(obj.data.shape)
            unit = str(obj.unit).strip().lower().replace(" ", "")
            if (len(shape) > 1 and shape[1] != 1) or unit not in _TO_M_PER_S:
                warnings.warn(
                    f"{label}: {where} (unit {obj.unit!r}, shape {shape}) is not read as speed; "
                    "hippocore reads 1-D speed in m/s, cm/s or mm/s.",
                    DataRepairWarning,
                    stacklevel=5,
                )
                continue
            return where, obj, _TO_M_PER_S[unit]
    return None


def _on_clock(
    series: Any,
    where: str,
    convert: Any,
    t: NDArray[np.float64],
    ranges: list[tuple[int, int]],
    t_all: NDArray[np.float64],
    *,
    circular: bool,
) -> NDArray[np.float64]:
    """A 1-D series' values (converted) at the session's sample times ``t``.

    On the session's clock the chosen ranges are read; on another clock the whole series is
    read and interpolated linearly (cos and sin for angles), NaN outside its span.
    """
    ts = _series_time(series, where)

    def values(raw: Any) -> NDArray[np.float64]:
        return convert(np.asarray(raw, dtype=np.float64).reshape(-1))

    if ts.size == t_all.size and np.allclose(ts, t_all, rtol=0, atol=1e-9):
        v = values(_read_rows(series.data, ranges))
        if circular:  # wrap into (-pi, pi]; values already there stay bit-identical
            out = (v > np.pi) | (v <= -np.pi)
            v[out] = np.angle(np.exp(1j * v[out]))
        return v
    v_all = values(series.data[:])
    ok = np.isfinite(v_all)
    if not circular:
        return np.interp(t, ts[ok], v_all[ok], left=np.nan, right=np.nan)
    c = np.interp(t, ts[ok], np.cos(v_all[ok]), left=np.nan, right=np.nan)
    s = np.interp(t, ts[ok], np.sin(v_all[ok]), left=np.nan, right=np.nan)
    return np.arctan2(s, c)


def _head_direction(
    found: tuple[str, Any],
    t: NDArray[np.float64],
    ranges: list[tuple[int, int]],
    t_all: NDArray[np.float64],
    label: str,
) -> NDArray[np.float64]:
    where, ss = found
    scale = _TO_RAD[str(ss.unit).strip().lower()]

    def radians(v: NDArray[np.float64]) -> NDArray[np.float64]:  # data * conversion + offset
        return (v * float(ss.conversion) + float(ss.offset)) * scale

    return _on_clock(ss, f"{label}: {where}", radians, t, ranges, t_all, circular=True)


def _speed(
    found: tuple[str, Any, float],
    t: NDArray[np.float64],
    ranges: list[tuple[int, int]],
    t_all: NDArray[np.float64],
    label: str,
) -> NDArray[np.float64]:
    where, ts, scale = found

    def metres_per_second(v: NDArray[np.float64]) -> NDArray[np.float64]:
        return (v * float(ts.conversion) + float(ts.offset)) * scale

    return _on_clock(ts, f"{label}: {where}", metres_per_second, t, ranges, t_all, circular=False)


def _exact_time(nwbfile: Any, layout: dict[str, Any] | None) -> NDArray[np.float64] | None:
    """The session's exact sample times, when the writer stored them beside a rounded rate."""
    name = (layout or {}).get("time_scratch")
    if not name or name not in nwbfile.scratch:
        return None
    return np.asarray(nwbfile.get_scratch(name)[:], dtype=np.float64)


def _layout(nwbfile: Any) -> dict[str, Any] | None:
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
    io = _open(p)
    with io:
        try:
            nwbfile = io.read()
        except Exception as exc:  # hdmf raises many types on a damaged file; name the file
            raise ValueError(
                f"{p} could not be read as NWB ({type(exc).__name__}: {_short(exc)}). The file "
                "may be truncated, damaged or written with an unknown extension."
            ) from exc
        return _read(nwbfile, p, units, epochs, interval_table, position, outside_tracking, lazy)


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
    layout = _layout(nwbfile)
    chosen, mode = _position_series(nwbfile, position, label)
    compass = _compass_series(nwbfile, label)
    speed_found = _speed_series(nwbfile, label)

    # ---- the session's clock: position, else head direction, else speed, else activity
    clock: tuple[str, Any] | None = chosen[0] if chosen else compass
    if clock is None and speed_found is not None:
        clock = speed_found[:2]
    if clock is None and layout is not None and layout.get("activity_series"):
        name = next(iter(layout["activity_series"].values()))
        clock = (f"processing/misc/{name}", nwbfile.processing["misc"][name])
    t_all = np.zeros(0) if clock is None else _series_time(clock[1], f"{label}: {clock[0]}")
    if len(chosen) == 2:
        where1, where2 = chosen[0][0], chosen[1][0]
        t2 = _series_time(chosen[1][1], f"{label}: {where2}")
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
    ranges = _ranges(t_all, windows) if t_all.size else []
    if t_all.size and not ranges:
        raise ValueError(f"{label}: the chosen epochs contain no sample of {clock[0]}.")
    t = np.concatenate([t_all[a:b] for a, b in ranges]) if ranges else np.zeros(0)

    pos: NDArray[np.float64] | None = None
    hd: NDArray[np.float64] | None = None
    if mode in ("one", "leds"):
        where1, s1 = chosen[0]
        led1 = _metres(s1, f"{label}: {where1}", ranges)
        led2 = None
        if mode == "leds":
            led2 = _metres(chosen[1][1], f"{label}: {chosen[1][0]}", ranges)
        pos, hd = combine_leds(led1, led2)
    elif mode == "xy":
        (wx, sx), (wy, sy) = chosen
        pos = np.column_stack(
            [_one_column(sx, f"{label}: {wx}", ranges), _one_column(sy, f"{label}: {wy}", ranges)]
        )
    if hd is None and compass is not None:
        hd = _head_direction(compass, t, ranges, t_all, label)
    if pos is not None:
        keep = drop_nan_samples(t, pos, f"{label}: {chosen[0][0]}", stacklevel=5)
    else:
        keep = np.ones(t.size, dtype=bool)
    speed = _speed(speed_found, t, ranges, t_all, label) if speed_found is not None else None

    # ---- units
    unit_table = nwbfile.units
    if (
        unit_table is None
        and layout is not None
        and "misc" in nwbfile.processing
        and UNITS_TABLE_NO_SPIKES in nwbfile.processing["misc"].data_interfaces
    ):
        unit_table = nwbfile.processing["misc"][UNITS_TABLE_NO_SPIKES]
    unit_rows = np.zeros(0, np.int64)
    trains: list[np.ndarray] | None = None
    ids: np.ndarray | None = None
    unit_coords: dict[str, np.ndarray] = {}
    population: np.ndarray | None = None
    if units_sel is not None and (unit_table is None or not len(unit_table)):
        raise ValueError(f"{label}: units={units_sel!r} was given but the file has no units.")
    if unit_table is not None and len(unit_table):
        by = "unit_name" if "unit_name" in unit_table.colnames else None
        unit_rows = select_rows(unit_table, units_sel, what=f"{label}: units", by=by)
        table_ids = np.asarray(unit_table.id.data[:])[unit_rows]
        cols = {c: table_column(unit_table, c)[unit_rows] for c in scalar_columns(unit_table)}
        id_kind = layout.get("unit_id", "id") if layout else ("name" if by else "id")
        if id_kind in ("name", "name_int") and "unit_name" in cols:
            ids = cols.pop("unit_name")
            if id_kind == "name_int":
                ids = ids.astype(np.int64)
        elif by is not None and len(set(cols["unit_name"].tolist())) == len(unit_rows):
            ids = cols.pop("unit_name").astype(str).astype(object)
        else:
            ids = table_ids
        population = cols.pop("population", None)
        if layout is not None:
            cols.pop("population_index", None)
            for name, info in layout.get("unit_coords", {}).items():
                if name in cols:
                    dtype = np.dtype(info["dtype"])
                    cols[name] = (
                        cols[name].astype(object)
                        if dtype.kind in "OUS"
                        else cols[name].astype(dtype)
                    )
        unit_coords = cols
        if "spike_times" in unit_table.colnames:
            tracked = t_all if pos is not None else None  # no tracking: keep every spike
            trains = _spike_trains(unit_table, unit_rows, windows, tracked, outside_tracking, label)
        elif layout is None or not layout.get("activity_series"):
            warnings.warn(
                f"{label}: the units table has no spike_times column and the file holds no "
                "activity; the units are not read.",
                DataRepairWarning,
                stacklevel=4,
            )
            ids = None
            unit_rows = np.zeros(0, np.int64)

    activity: Any = None
    activity_units = "a.u."
    if layout is not None and ids is not None and layout.get("activity_series"):
        activity = _activity(
            nwbfile, unit_table, unit_rows, population, layout, ranges, t.size, p, lazy
        )
        activity_units = layout["var_attrs"].get("activity", {}).get("units", "a.u.")

    env = None
    if layout is not None and "environments" in nwbfile.intervals:
        table = nwbfile.intervals["environments"]
        env = np.full(t.size, -1, dtype=np.int64)
        for a, b, e in zip(
            table["start_time"].data[:],
            table["stop_time"].data[:],
            table["environment_id"].data[:],
            strict=True,
        ):
            env[(t >= a) & (t <= b)] = int(e)

    attrs = _attrs(nwbfile, layout, p, [w for w, _ in chosen], epoch_rows, interval_table)
    with_units = ids is not None and trains is not None
    if pos is None and hd is None and speed is None and not with_units and activity is None:
        objects = sorted(
            f"processing/{m}/{o}"
            for m, mod in nwbfile.processing.items()
            for o in mod.data_interfaces
        ) + sorted(f"acquisition/{o}" for o in nwbfile.acquisition)
        raise ValueError(
            f"{label}: nothing hippocore can read -- no position (pynwb.behavior.Position), head "
            "direction (CompassDirection), speed series, units with spike times or hippocore "
            f"activity (objects present: {objects or 'none'})."
        )
    ds = make_session(
        t[keep],
        pos[keep] if pos is not None else None,
        spike_times=trains if with_units else None,
        unit=ids if with_units else None,
        population=(population if population is not None else "unknown") if with_units else None,
        unit_coords=unit_coords if with_units else None,
        head_direction=hd[keep] if hd is not None else None,
        speed=speed[keep] if speed is not None else None,
        environment=env[keep] if env is not None else None,
        source=str(attrs.pop("source", "recording")),
        attrs=attrs,
    )
    if activity is not None:
        if not with_units:  # units known only through their activity: attach them here
            pop = np.asarray(population, dtype=object).astype(str).astype(object)
            coords: dict[str, Any] = {UNIT: (UNIT, ids), "population": (UNIT, pop)}
            for name, values in unit_coords.items():
                v = np.asarray(values)
                coords[name] = (UNIT, v.astype(object) if v.dtype.kind in "USO" else v)
            ds = ds.assign_coords(coords)
        if not keep.all():
            activity = activity[np.flatnonzero(keep)]
        ds["activity"] = ((TIME, UNIT), activity, {"units": activity_units})
    if layout is not None:
        ds.attrs.update(layout["attrs"])
        for name, var_attrs in layout.get("var_attrs", {}).items():
            if name in ds.variables:
                ds[name].attrs = dict(var_attrs)
        for name, info in layout.get("unit_coords", {}).items():
            if name in ds.coords:
                ds[name].attrs = dict(info.get("attrs", {}))
    return validate(ds, "session")


def _activity(
    nwbfile: Any,
    unit_table: Any,
    unit_rows: NDArray[np.int64],
    population: Any,
    layout: dict[str, Any],
    ranges: list[tuple[int, int]],
    n_time: int,
    p: Path,
    lazy: bool,
) -> Any:
    """The chosen units' activity (time x unit, float32): read now, or as a lazy dask array."""
    misc = nwbfile.processing["misc"]
    pop_index = np.asarray(unit_table["population_index"].data[:])[unit_rows]
    out = None if lazy else np.empty((n_time, unit_rows.size), dtype=np.float32)
    blocks, where = [], []
    for pop, series_name in layout["activity_series"].items():
        members = np.flatnonzero(population == pop)
        if members.size == 0:
            continue
        data = misc[series_name].data
        cols = np.sort(pop_index[members])
        members = members[np.argsort(pop_index[members])]
        if not lazy:
            _read_columns_into(out, members, data, ranges, cols)
            continue
        import dask.array as da
        import h5py

        handle = h5py.File(p, "r")  # kept open by the dask graph while the data are used
        dset = handle[data.name]
        full = da.from_array(dset, chunks=dset.chunks or "auto")
        parts = [full[a:b] for a, b in ranges]
        block = da.concatenate(parts, axis=0) if len(parts) > 1 else parts[0]
        if cols.size != dset.shape[1] or np.any(cols != np.arange(cols.size)):
            block = block[:, cols]
        blocks.append(block)
        where.append(members)
    if not lazy:
        return out
    import dask.array as da

    order = np.argsort(np.concatenate(where))
    stacked = da.concatenate(blocks, axis=1) if len(blocks) > 1 else blocks[0]
    return stacked if np.all(order == np.arange(order.size)) else stacked[:, order]


def _read_columns_into(
    out: np.ndarray,
    members: NDArray[np.int64],
    data: Any,
    ranges: list[tuple[int, int]],
    cols: NDArray[np.int64],
    *,
    rows_per_read: int = 16384,
) -> None:
    """``out[:, members] = data[ranges, cols]``, read in row blocks of the columns' bounding range.

    h5py's per-column (fancy) selection is slow for many columns, so the contiguous range
    ``cols[0]..cols[-1]`` is read and subset in memory when that is cheaper; memory stays
    bounded by one row block.
    """
    lo, hi = int(cols[0]), int(cols[-1]) + 1
    contiguous = hi - lo == cols.size
    use_range = contiguous or cols.size > 16
    row = 0
    for a, b in ranges:
        for start in range(a, b, rows_per_read):
            stop = min(start + rows_per_read, b)
            if use_range:
                block = np.asarray(data[start:stop, lo:hi])
                if not contiguous:
                    block = block[:, cols - lo]
            else:
                block = np.asarray(data[start:stop, cols.tolist()])
            if members.size == out.shape[1] and np.all(members == np.arange(members.size)):
                out[row : row + stop - start] = block
            else:
                out[row : row + stop - start, members] = block
            row += stop - start


def _spike_trains(
    table: Any,
    rows: NDArray[np.int64],
    windows: list[tuple[float, float]] | None,
    t_all: NDArray[np.float64] | None,
    outside_tracking: str,
    label: str,
) -> list[np.ndarray]:
    """The rows' spike trains; with ``t_all`` (the tracking clock) spikes outside it are handled."""
    ends = np.asarray(table["spike_times"].data[:], dtype=np.int64)  # VectorIndex: cumulative ends
    data = table["spike_times"].target.data
    starts = np.concatenate([[0], ends[:-1]])
    lo, hi = -np.inf, np.inf
    if t_all is not None and t_all.size:
        dt = np.diff(t_all)
        lo = t_all[0]
        hi = t_all[-1] + (float(np.median(dt)) if dt.size else 0.0)
    trains = []
    n_out = 0
    for r in rows:
        s = np.asarray(data[starts[r] : ends[r]], dtype=np.float64)
        if s.size and not np.all(np.isfinite(s)):
            raise ValueError(f"{label}: units row {int(r)} has NaN or infinite spike times.")
        if s.size > 1 and np.any(np.diff(s) < 0):
            s = np.sort(s)
        out = (s < lo) | (s > hi)
        if out.any():
            n_out += int(out.sum())
            if outside_tracking == "raise":
                raise ValueError(
                    f"{label}: units row {int(r)} has {int(out.sum())} spike(s) outside the "
                    f"tracked period [{lo:g}, {hi:g}] s; pass outside_tracking='drop' or 'keep'."
                )
            if outside_tracking == "drop":
                s = s[~out]
        if windows is not None:
            inside = np.zeros(s.size, dtype=bool)
            for a, b in windows:
                inside |= (s >= a) & (s <= b)
            s = s[inside]
        trains.append(s)
    if n_out and outside_tracking == "drop":
        warnings.warn(
            f"{label}: dropped {n_out} spike(s) outside the tracked period [{lo:g}, {hi:g}] s.",
            DataRepairWarning,
            stacklevel=5,
        )
    return trains


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
