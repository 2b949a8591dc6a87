"""The series of an NWB write: behaviour, per-population activity, environments; chunked, gzip'd.

The sample times are written once: ``starting_time`` + ``rate`` for a regular clock, else
timestamps stored with the first series and linked from the others.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from hippocore.io._common import sanitize_name

__all__ = ["block_size", "data_io", "add_behavior", "add_activity", "add_environments"]

_ACTIVITY_NWB_UNIT = {"Hz": "Hz", "count": "count", "a.u.": "a.u."}


def block_size(n_col: int, target: int = 1 << 18) -> int:
    return max(1, target // max(n_col, 1))


def data_io(data: Any, *, level: int, chunks: tuple[int, ...]) -> Any:
    from pynwb import H5DataIO

    return H5DataIO(data, compression="gzip", compression_opts=level, chunks=chunks, shuffle=True)


def _activity_iterator(array: Any, columns: NDArray[np.int64], n_time: int) -> Any:
    """A chunked reader of ``array[:, columns]`` as float32 that never copies the whole array."""
    from hdmf.data_utils import GenericDataChunkIterator

    n_col = int(columns.size)
    chunk_units = min(n_col, 64)
    chunk_time = min(n_time, block_size(chunk_units))
    buffer_time = min(
        n_time, max(chunk_time, (block_size(n_col, 1 << 24) // chunk_time) * chunk_time)
    )

    class _Source(GenericDataChunkIterator):
        def __init__(self) -> None:
            super().__init__(
                chunk_shape=(chunk_time, chunk_units),
                buffer_shape=(buffer_time, n_col),
                display_progress=False,
            )

        def _get_data(self, selection: tuple[slice, ...]) -> np.ndarray:
            rows, cols = selection
            block = array[rows]
            return np.asarray(block[:, columns[cols]], dtype=np.float32)

        def _get_maxshape(self) -> tuple[int, int]:
            return (n_time, n_col)

        def _get_dtype(self) -> np.dtype:
            return np.dtype(np.float32)

    return _Source()


def _environment_rows(
    time: NDArray[np.float64], env: NDArray[np.int64]
) -> list[tuple[float, float, int]]:
    """Contiguous runs of one environment as (start, stop, id); stop sits half-way to the next sample."""
    edges = np.flatnonzero(np.diff(env) != 0) + 1
    starts = np.concatenate([[0], edges])
    stops = np.concatenate([edges, [env.size]])
    dt = np.diff(time)
    last_dt = float(np.median(dt)) if dt.size else 1.0
    rows = []
    for a, b in zip(starts, stops, strict=True):
        gap = (time[b] - time[b - 1]) if b < time.size else last_dt
        rows.append((float(time[a]), float(time[b - 1] + 0.5 * gap), int(env[a])))
    return rows


def add_environments(nwbfile: Any, session: xr.Dataset) -> None:
    from pynwb.epoch import TimeIntervals

    env = np.asarray(session["environment"].values, dtype=np.int64)
    time = np.asarray(session["time"].values, dtype=np.float64)
    described = {int(e["id"]): e for e in json.loads(session.attrs.get("environments_json", "[]"))}
    scalar_keys: list[str] = []
    if described:
        common = set.intersection(*(set(e) for e in described.values())) - {"id"}
        scalar_keys = sorted(
            k
            for k in common
            if all(
                isinstance(e[k], (str, int, float)) and not isinstance(e[k], bool)
                for e in described.values()
            )
            and len({type(e[k]) for e in described.values()}) == 1
        )
    table = TimeIntervals(
        name="environments",
        description=(
            "Visits to each environment (world) of the session: one row per contiguous run of "
            "samples; stop_time lies half-way to the next sample so rows never touch. Scalar "
            "properties of each environment are columns environment_<key>; the full descriptions are in "
            "scratch/hippocore_session (attrs.environments_json)."
        ),
    )
    table.add_column(name="environment_id", description="hippocore environment id")
    for key in scalar_keys:  # prefixed: pynapple refuses metadata named like its attributes
        table.add_column(name=f"environment_{key}", description=f"environment property {key!r}")
    for start, stop, eid in _environment_rows(time, env):
        desc = described.get(eid, {"id": eid})
        row = {f"environment_{key}": desc[key] for key in scalar_keys}
        table.add_interval(
            start_time=start,
            stop_time=stop,
            environment_id=eid,
            **row,
        )
    nwbfile.add_time_intervals(table)


def _timestamps_once(timing: dict[str, Any], series: Any) -> dict[str, Any]:
    """After the first series that holds the timestamps, later ones link to it."""
    if "timestamps" in timing and not hasattr(timing["timestamps"], "timestamps"):
        return {"timestamps": series}
    return timing


def add_behavior(
    nwbfile: Any,
    session: xr.Dataset,
    time: NDArray[np.float64],
    rate: float | None,
    level: int,
) -> dict[str, Any]:
    """Position, head direction and speed in ``processing/behavior``; returns the timing kwargs.

    The timing is ``starting_time`` + ``rate`` for a regular clock, else timestamps written
    once (with the first series) and linked from the others. A session without position (a
    recording without tracking) gets only the behaviour it has.
    """
    from pynwb import TimeSeries
    from pynwb.behavior import CompassDirection, Position, SpatialSeries

    n_time = time.size
    chunk_t = min(n_time, 1 << 16) or 1
    if rate is not None:
        timing: dict[str, Any] = {"starting_time": float(time[0]), "rate": float(rate)}
    else:
        timing = {"timestamps": data_io(time, level=level, chunks=(chunk_t,)) if n_time else time}
    if not any(name in session for name in ("position", "head_direction", "speed")):
        return timing
    behavior = nwbfile.create_processing_module(
        name="behavior", description="position, head direction and speed of the agent/animal"
    )
    if "position" in session:
        pos = np.asarray(session["position"].values, dtype=np.float64)
        ref = str(
            session.attrs.get(
                "reference_frame",
                "x, y in metres in the session's own frame (hippocore schema: columns x, y; "
                "arena origin as given by the model or recording)",
            )
        )
        position_series = SpatialSeries(
            name="position",
            description="position of the agent/animal (x, y)",
            data=data_io(pos, level=level, chunks=(chunk_t, 2)),
            unit="meters",
            reference_frame=ref,
            **timing,
        )
        behavior.add(Position(name="Position", spatial_series=position_series))
        timing = _timestamps_once(timing, position_series)
    if "head_direction" in session:
        hd = np.asarray(session["head_direction"].values, dtype=np.float64)
        hd_series = SpatialSeries(
            name="head_direction",
            description="head direction, counter-clockwise from +x",
            data=data_io(hd, level=level, chunks=(chunk_t,)),
            unit="radians",
            reference_frame="0 rad = +x axis, counter-clockwise positive",
            **timing,
        )
        behavior.add(CompassDirection(name="CompassDirection", spatial_series=hd_series))
        timing = _timestamps_once(timing, hd_series)
    if "speed" in session:
        speed_series = TimeSeries(
            name="speed",
            description="running speed",
            data=data_io(
                np.asarray(session["speed"].values, dtype=np.float64),
                level=level,
                chunks=(chunk_t,),
            ),
            unit="m/s",
            **timing,
        )
        behavior.add(speed_series)
        timing = _timestamps_once(timing, speed_series)
    return timing


def add_activity(
    nwbfile: Any,
    session: xr.Dataset,
    populations: list[str],
    timing: dict[str, Any],
    level: int,
) -> dict[str, str]:
    """One (time x unit) ``TimeSeries`` per population in ``processing/misc``; returns their names."""
    from pynwb import TimeSeries

    n_time = session.sizes["time"]
    order = list(dict.fromkeys(populations))
    activity_series: dict[str, str] = {}
    misc = nwbfile.create_processing_module(
        name="misc", description="continuous activity of model units, one series per population"
    )
    act = session["activity"].data
    units_label = _ACTIVITY_NWB_UNIT[session["activity"].attrs["units"]]
    used: set[str] = set()
    for p in order:
        cols = np.array([i for i, q in enumerate(populations) if q == p], dtype=np.int64)
        name = sanitize_name(f"{p}_activity")
        while name in used:
            name += "_"
        used.add(name)
        activity_series[p] = name
        series = TimeSeries(
            name=name,
            description=(
                f"activity of population {p!r} ({cols.size} units, time x unit); column j "
                f"is the units-table row with population={p!r} and population_index=j"
            ),
            data=data_io(
                _activity_iterator(act, cols, n_time),
                level=level,
                chunks=(min(n_time, block_size(min(cols.size, 64))), min(cols.size, 64)),
            ),
            unit=units_label,
            continuity="continuous",
            **timing,
        )
        misc.add(series)
        timing = _timestamps_once(timing, series)
    return activity_series
