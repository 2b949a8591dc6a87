"""The units table of an NWB write: ids, populations, per-unit columns and spike times.

Units with spike times go into NWB's ``units`` table; units without (model units known through
their activity) into a plain table ``processing/misc/model_units`` beside their activity, since
nwbinspector treats a ``Units`` table without spike times as CRITICAL misuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from hippocore.io._nwb_write_series import data_io
from hippocore.schema import UNIT

__all__ = ["UNITS_TABLE_NO_SPIKES", "populations_of", "add_units"]

#: Name of the per-unit table in ``processing/misc`` when a session has activity but no spikes.
UNITS_TABLE_NO_SPIKES = "model_units"
_RESERVED_COLUMNS = {
    "id",
    "spike_times",
    "obs_intervals",
    "electrodes",
    "electrode_group",
    "waveform_mean",
    "waveform_sd",
    "waveforms",
    "unit_name",
    "population",
    "population_index",
}


def _unit_table_columns(session: xr.Dataset) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {}
    for name, coord in session.coords.items():
        if name in (UNIT, "population") or coord.dims != (UNIT,):
            continue
        if name in _RESERVED_COLUMNS:
            raise ValueError(
                f"per-unit coordinate {name!r} clashes with a reserved NWB units column; "
                f"rename it (e.g. session.rename({{'{name}': 'my_{name}'}}))."
            )
        values = np.asarray(coord.values)
        if values.dtype.kind not in "biufOU":
            raise TypeError(
                f"per-unit coordinate {name!r} has dtype {values.dtype}; only numbers, booleans "
                "and strings can be stored in an NWB units table."
            )
        cols[str(name)] = values
    return cols


def _unit_ids(ids: np.ndarray) -> tuple[str, list[int] | None, list[str] | None]:
    if ids.dtype.kind in "iu" and (ids.size == 0 or ids.min() >= 0):
        return "id", [int(i) for i in ids], None
    kind = "name_int" if ids.dtype.kind in "iu" else "name"
    return kind, None, [str(i) for i in ids]


def _unit_table(
    session: xr.Dataset,
    *,
    description: str,
    populations: list[str],
    pop_index: NDArray[np.int64],
    table_ids: list[int] | None,
    names: list[str] | None,
    extra_cols: Mapping[str, np.ndarray],
    spike_t: NDArray[np.float64] | None,
    spike_u: NDArray[np.int64] | None,
    resolution: float,
    level: int,
) -> Any:
    """The per-unit table, built column-wise (row-wise ``add_unit`` is slow for many spikes)."""
    from hdmf.common import DynamicTable, ElementIdentifiers, VectorData, VectorIndex
    from pynwb.misc import Units

    n_unit = len(populations)
    columns: list[Any] = []
    if spike_t is not None and spike_u is not None:
        ends = np.searchsorted(spike_u, np.arange(1, n_unit + 1)).astype(np.int64)
        times = VectorData(
            name="spike_times",
            description="spike times (s)",
            data=data_io(spike_t, level=level, chunks=(max(1, min(spike_t.size, 1 << 16)),))
            if spike_t.size
            else spike_t,
        )
        columns += [times, VectorIndex(name="spike_times_index", data=ends, target=times)]
    columns.append(
        VectorData(
            name="population",
            description="population the unit belongs to",
            data=list(populations),
        )
    )
    columns.append(
        VectorData(
            name="population_index",
            description="column of the unit in processing/misc/<population>_activity",
            data=np.asarray(pop_index, dtype=np.int64),
        )
    )
    if names is not None:
        columns.append(
            VectorData(name="unit_name", description="unit id in the hippocore session", data=names)
        )
    for name, values in extra_cols.items():
        long = session[name].attrs.get("long_name") or session[name].attrs.get("description")
        data: Any = [str(v) for v in values] if values.dtype.kind in "OUS" else np.asarray(values)
        columns.append(
            VectorData(
                name=name,
                description=str(long or f"per-unit coordinate {name!r} (hippocore)"),
                data=data,
            )
        )
    ids = ElementIdentifiers(
        name="id", data=np.asarray(table_ids if table_ids is not None else np.arange(n_unit))
    )
    if spike_t is not None:
        return Units(
            name="units",
            description=description,
            resolution=resolution,
            id=ids,
            columns=columns,
        )
    # nwbinspector treats a Units table without spike times as CRITICAL misuse, so units
    # without spikes are described in a plain table beside their activity.
    return DynamicTable(
        name=UNITS_TABLE_NO_SPIKES,
        description=description + " (no spike times; their activity is in processing/misc)",
        id=ids,
        columns=columns,
    )


def populations_of(session: xr.Dataset) -> tuple[list[str], NDArray[np.int64]]:
    """Each unit's population and its column in that population's activity series."""
    n_unit = session.sizes.get(UNIT, 0)
    populations = [str(p) for p in np.asarray(session["population"].values)] if n_unit else []
    pop_index = np.zeros(n_unit, dtype=np.int64)
    for p in dict.fromkeys(populations):
        members = [i for i, q in enumerate(populations) if q == p]
        pop_index[members] = np.arange(len(members))
    return populations, pop_index


def add_units(
    nwbfile: Any,
    session: xr.Dataset,
    *,
    spike_t: NDArray[np.float64] | None,
    spike_u: NDArray[np.int64] | None,
    sampled: Mapping[str, Any] | None,
    resolution: float,
    level: int,
) -> tuple[str, dict[str, np.ndarray]]:
    """Add the session's units (``units``, or ``processing/misc/model_units`` without spikes).

    Returns how unit ids are stored (``"id"``, ``"name"``, ``"name_int"``) and the per-unit
    columns written beside population and population index.
    """
    if not session.sizes.get(UNIT, 0):
        return "id", {}
    populations, pop_index = populations_of(session)
    id_kind, table_ids, names = _unit_ids(np.asarray(session[UNIT].values))
    extra_cols = _unit_table_columns(session)
    desc = "one row per unit of the hippocore session"
    if sampled:
        desc += (
            f"; spike_times sampled from the activity (Bernoulli discretisation of an "
            f"inhomogeneous Poisson process at {resolution} s, seed {sampled['seed']})"
        )
    units = _unit_table(
        session,
        description=desc,
        populations=populations,
        pop_index=pop_index,
        table_ids=table_ids,
        names=names,
        extra_cols=extra_cols,
        spike_t=spike_t,
        spike_u=spike_u,
        resolution=resolution,
        level=level,
    )
    if spike_t is not None:
        nwbfile.units = units
    else:
        nwbfile.processing["misc"].add(units)
    return id_kind, extra_cols
