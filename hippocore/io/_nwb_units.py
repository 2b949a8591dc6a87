"""The units of an NWB file (spike trains, per-unit columns, hippocore activity), read lazily."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hippocore.io._common import DataRepairWarning
from hippocore.io._nwb_tables import Selector, scalar_columns, select_rows, table_column
from hippocore.io._nwb_write_units import UNITS_TABLE_NO_SPIKES

__all__ = ["UnitsRead", "read_units", "read_activity"]


@dataclass(frozen=True)
class UnitsRead:
    """The chosen units: their table and rows, ids, per-unit columns and spike trains.

    ``ids`` is None when no unit is read; ``trains`` is None when the table has no spike times
    (model units known through their activity).
    """

    table: Any = None
    rows: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    ids: np.ndarray | None = None
    coords: dict[str, np.ndarray] = field(default_factory=dict)
    population: np.ndarray | None = None
    trains: list[np.ndarray] | None = None


def _unit_table(nwbfile: Any, layout: dict[str, Any] | None) -> Any:
    """``units``, or a hippocore export's spike-less model-units table."""
    unit_table = nwbfile.units
    if (
        unit_table is None
        and layout is not None
        and "misc" in nwbfile.processing
        and UNITS_TABLE_NO_SPIKES in nwbfile.processing["misc"].data_interfaces
    ):
        unit_table = nwbfile.processing["misc"][UNITS_TABLE_NO_SPIKES]
    return unit_table


def _ids_and_columns(
    unit_table: Any, unit_rows: NDArray[np.int64], layout: dict[str, Any] | None, by: str | None
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
    """The rows' unit ids, scalar columns (as written, for an export) and population."""
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
                    cols[name].astype(object) if dtype.kind in "OUS" else cols[name].astype(dtype)
                )
    return ids, cols, population


def read_units(
    nwbfile: Any,
    layout: dict[str, Any] | None,
    units_sel: Selector,
    windows: list[tuple[float, float]] | None,
    tracked: NDArray[np.float64] | None,
    outside_tracking: str,
    label: str,
) -> UnitsRead:
    """The units ``units_sel`` chooses, their spikes inside ``windows``.

    ``tracked`` is the tracking clock (spikes outside it follow ``outside_tracking``), or None
    to keep every spike.
    """
    unit_table = _unit_table(nwbfile, layout)
    if units_sel is not None and (unit_table is None or not len(unit_table)):
        raise ValueError(f"{label}: units={units_sel!r} was given but the file has no units.")
    if unit_table is None or not len(unit_table):
        return UnitsRead(table=unit_table)
    by = "unit_name" if "unit_name" in unit_table.colnames else None
    unit_rows = select_rows(unit_table, units_sel, what=f"{label}: units", by=by)
    ids, cols, population = _ids_and_columns(unit_table, unit_rows, layout, by)
    trains = None
    if "spike_times" in unit_table.colnames:
        trains = _spike_trains(unit_table, unit_rows, windows, tracked, outside_tracking, label)
    elif layout is None or not layout.get("activity_series"):
        warnings.warn(
            f"{label}: the units table has no spike_times column and the file holds no "
            "activity; the units are not read.",
            DataRepairWarning,
            stacklevel=5,
        )
        ids = None
        unit_rows = np.zeros(0, np.int64)
    return UnitsRead(unit_table, unit_rows, ids, cols, population, trains)


def read_activity(
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
            stacklevel=6,
        )
    return trains
