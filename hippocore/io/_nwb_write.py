"""Session datasets (model rollouts, recordings) to NWB files that pass nwbinspector.

Layout (one file per session)::

    processing/behavior/Position/position          SpatialSeries (time, 2), metres
    processing/behavior/CompassDirection/head_direction   SpatialSeries (time,), radians
    processing/behavior/speed                       TimeSeries (time,), m/s
    processing/misc/<population>_activity           TimeSeries (time, n_unit_in_population)
    units                                           one row per unit: population, population_index,
                                                    per-unit coords, spike_times (when the session
                                                    has spikes, or they are sampled)
    processing/misc/model_units                     the same table without spike_times, used
                                                    instead of ``units`` when there are no spikes
    intervals/environments                          one row per visit of an environment
    scratch/hippocore_config                        the model configuration (JSON)
    scratch/hippocore_session                       everything else needed to read back losslessly

Column ``j`` of ``<population>_activity`` is the unit whose ``population`` is that population and
whose ``population_index`` is ``j``.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from hippocore._checks import as_rng, check_positive
from hippocore._version import __version__
from hippocore.io._atomic import atomic_path
from hippocore.io._common import REGULAR_RTOL, regular_rate, sanitize_name
from hippocore.io._nwb_meta import (
    LIST_FIELDS,
    TEXT_FIELDS,
    metadata_args_as_attrs,
    metadata_from_attrs,
    subject_args_as_attrs,
    subject_from_attrs,
)
from hippocore.io._spikes import sample_spikes
from hippocore.schema import UNIT, validate

__all__ = [
    "write_nwb",
    "IN_SILICO_SPECIES",
    "LAYOUT_SCRATCH",
    "CONFIG_SCRATCH",
    "UNITS_TABLE_NO_SPIKES",
    "TIME_SCRATCH",
    "regular_clock",
]

#: NCBI Taxonomy "synthetic construct" (taxid 32630): the default species of an in-silico agent.
IN_SILICO_SPECIES = "http://purl.obolibrary.org/obo/NCBITaxon_32630"
LAYOUT_SCRATCH = "hippocore_session"
#: Name of the per-unit table in ``processing/misc`` when a session has activity but no spikes.
UNITS_TABLE_NO_SPIKES = "model_units"
CONFIG_SCRATCH = "hippocore_config"
#: Scratch dataset with the exact sample times when ``starting_time`` + ``rate`` is not exact.
TIME_SCRATCH = "hippocore_time"
LAYOUT_VERSION = 1
#: ``units.resolution`` (s) stated for in-silico spike times computed in float64.
CONTINUOUS_SPIKE_RESOLUTION = 1e-6

_META_KEYS = (
    "session_description",
    "identifier",
    "session_start_time",
    "timestamps_reference_time",
    *LIST_FIELDS,
    *TEXT_FIELDS,
)
_SUBJECT_KEYS = (
    "subject_id",
    "species",
    "sex",
    "age",
    "date_of_birth",
    "description",
    "strain",
    "genotype",
    "weight",
    "age__reference",
)
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
_ACTIVITY_NWB_UNIT = {"Hz": "Hz", "count": "count", "a.u.": "a.u."}
_SPECIES_FORM = re.compile(r"([A-Z][a-z]* [a-z]+)|(http://purl\.obolibrary\.org/obo/NCBITaxon_\d+)")
_AGE_FORM = re.compile(r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?")


def _json_safe(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _block_size(n_col: int, target: int = 1 << 18) -> int:
    return max(1, target // max(n_col, 1))


def _data_io(data: Any, *, level: int, chunks: tuple[int, ...]) -> Any:
    from pynwb import H5DataIO

    return H5DataIO(data, compression="gzip", compression_opts=level, chunks=chunks, shuffle=True)


def _activity_iterator(array: Any, columns: NDArray[np.int64], n_time: int) -> Any:
    """A chunked reader of ``array[:, columns]`` as float32 that never copies the whole array."""
    from hdmf.data_utils import GenericDataChunkIterator

    n_col = int(columns.size)
    chunk_units = min(n_col, 64)
    chunk_time = min(n_time, _block_size(chunk_units))
    buffer_time = min(
        n_time, max(chunk_time, (_block_size(n_col, 1 << 24) // chunk_time) * chunk_time)
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


def _subject(
    session: xr.Dataset, subject: Mapping[str, Any] | None, *, dandi: bool
) -> dict[str, Any]:
    given = dict(subject or {})
    unknown = sorted(set(given) - set(_SUBJECT_KEYS))
    if unknown:
        raise ValueError(f"subject has unknown field(s) {unknown}; allowed: {list(_SUBJECT_KEYS)}.")
    attrs = session.attrs
    in_silico = attrs.get("source") in ("model", "synthetic")
    fields: dict[str, Any] = subject_from_attrs(attrs)
    if in_silico:
        label = attrs.get("model", "synthetic")
        seed = attrs.get("seed")
        default_id = sanitize_name(f"{label}-seed{seed}" if seed is not None else str(label))
        fields.setdefault("subject_id", default_id.replace("_", "-"))
        fields.setdefault("species", IN_SILICO_SPECIES)
        fields.setdefault("sex", "O")
        fields.setdefault("age", "P0D")
        fields.setdefault(
            "description",
            f"In-silico agent (hippocore source {attrs.get('source')!r}, model {label!r}). "
            "Species is NCBI Taxonomy 'synthetic construct'; sex 'O' (other) and age 'P0D' "
            "are placeholders, not biological facts.",
        )
    fields.update(given)
    fields = {k: v if k in ("weight", "date_of_birth") else str(v) for k, v in fields.items()}
    fields = {k: v for k, v in fields.items() if v is not None}
    if isinstance(fields.get("date_of_birth"), str):
        fields["date_of_birth"] = datetime.fromisoformat(fields["date_of_birth"])
    missing = [k for k in ("subject_id", "species", "sex", "age") if k not in fields]
    if missing and "date_of_birth" in fields and "age" in missing:
        missing.remove("age")
    if missing:
        raise ValueError(
            f"the subject needs {missing} (nwbinspector treats a missing subject, subject_id, "
            "sex or age as CRITICAL). Pass subject={'subject_id': '...', 'species': "
            "'Rattus norvegicus', 'sex': 'M', 'age': 'P90D'} (lab recordings), or set "
            "session.attrs['source'] to 'model' for in-silico defaults."
        )
    problems = []
    if "/" in fields["subject_id"]:
        problems.append(f"subject_id {fields['subject_id']!r} contains '/'")
    if fields["sex"] not in ("M", "F", "U", "O"):
        problems.append(f"sex {fields['sex']!r} is not one of 'M', 'F', 'U', 'O'")
    if dandi:
        if not _SPECIES_FORM.fullmatch(fields["species"]):
            problems.append(
                f"species {fields['species']!r} is neither a Latin binomial ('Rattus norvegicus') "
                "nor an NCBITaxon IRI"
            )
        age = fields.get("age")
        if age is not None and not all(
            part == "" or _AGE_FORM.fullmatch(part) for part in age.split("/")
        ):
            problems.append(f"age {age!r} is not an ISO-8601 duration such as 'P90D' or 'P3M/P5M'")
    if problems:
        raise ValueError("subject is not valid: " + "; ".join(problems) + ".")
    return fields


def _metadata(
    session: xr.Dataset, metadata: Mapping[str, Any] | None, *, dandi: bool
) -> dict[str, Any]:
    given = dict(metadata or {})
    unknown = sorted(set(given) - set(_META_KEYS))
    if unknown:
        raise ValueError(f"metadata has unknown key(s) {unknown}; allowed: {list(_META_KEYS)}.")
    attrs = session.attrs
    model = attrs.get("model")
    out: dict[str, Any] = {
        "session_description": attrs.get("description")
        or (
            f"hippocore {attrs.get('source')} session"
            + (f" of model {model}" if model else "")
            + " exported by hippocore.io.write_nwb"
        ),
        "identifier": str(uuid.uuid4()),
        "keywords": ["hippocore"] + (["simulation", str(model)] if model else []),
    }
    out.update(metadata_from_attrs(attrs))  # what a reader kept (see hippocore.io._nwb_meta)
    out.update(given)
    start = out.get("session_start_time") or datetime.now(timezone.utc).replace(microsecond=0)
    if isinstance(start, str):
        start = datetime.fromisoformat(start)
    if not isinstance(start, datetime):
        raise TypeError(
            f"metadata['session_start_time'] must be a datetime or ISO string; got {start!r}."
        )
    if start.tzinfo is None:
        raise ValueError(
            "metadata['session_start_time'] must be timezone-aware, e.g. "
            "datetime(2024, 1, 1, tzinfo=timezone.utc)."
        )
    out["session_start_time"] = start
    if isinstance(out.get("timestamps_reference_time"), str):
        out["timestamps_reference_time"] = datetime.fromisoformat(out["timestamps_reference_time"])
    for key in LIST_FIELDS:
        if isinstance(out.get(key), str):
            out[key] = [out[key]]
    if "session_id" in out:
        out["session_id"] = str(out["session_id"])
        if "/" in out["session_id"]:
            raise ValueError(f"session_id {out['session_id']!r} must not contain '/'.")
    if dandi and "session_id" not in out:
        raise ValueError(
            "DANDI mode needs a session id: pass metadata={'session_id': '...'} "
            "(or set session.attrs['session_id'])."
        )
    return out


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


def _add_environments(nwbfile: Any, session: xr.Dataset) -> None:
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
            data=_data_io(spike_t, level=level, chunks=(max(1, min(spike_t.size, 1 << 16)),))
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


def regular_clock(time: NDArray[np.float64]) -> tuple[float | None, bool]:
    """The rate to store for a clock, and whether ``t0 + arange(n) / rate`` gives it back exactly.

    A regular clock (see :func:`~hippocore.io._common.regular_rate`) is stored as
    ``starting_time`` + ``rate``; the rate is the fitted one rounded to 10 significant digits
    (50.0, not 50.00000000000001) when that is as regular. Readers (pynwb, pynapple,
    :func:`read_nwb`) rebuild ``starting_time + arange(n) / rate``; when that is not
    bit-identical to ``time`` (clocks computed another way, e.g. the Kavli ``post``), the
    second value is False and the writer also stores the exact times.

    Parameters
    ----------
    time : ndarray of shape (n,)
        Sample times (s).

    Returns
    -------
    rate : float or None
        None for an irregular clock (store timestamps).
    exact : bool
    """
    fitted = regular_rate(time)
    if fitted is None:
        return None, True
    k = np.arange(time.size)
    rounded = float(f"{fitted:.10g}")
    candidates = [rounded, fitted] if rounded != fitted else [fitted]
    for rate in candidates:
        if np.array_equal(k / rate + time[0], time):
            return rate, True
    rebuilt = k / rounded + time[0]
    if np.max(np.abs(rebuilt - time)) <= REGULAR_RTOL / rounded:
        return rounded, False
    return fitted, False


def _timestamps_once(timing: dict[str, Any], series: Any) -> dict[str, Any]:
    """After the first series that holds the timestamps, later ones link to it."""
    if "timestamps" in timing and not hasattr(timing["timestamps"], "timestamps"):
        return {"timestamps": series}
    return timing


def _add_behavior(
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
        timing = {"timestamps": _data_io(time, level=level, chunks=(chunk_t,)) if n_time else time}
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
            data=_data_io(pos, level=level, chunks=(chunk_t, 2)),
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
            data=_data_io(hd, level=level, chunks=(chunk_t,)),
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
            data=_data_io(
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


def _add_activity(
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
            data=_data_io(
                _activity_iterator(act, cols, n_time),
                level=level,
                chunks=(min(n_time, _block_size(min(cols.size, 64))), min(cols.size, 64)),
            ),
            unit=units_label,
            continuity="continuous",
            **timing,
        )
        misc.add(series)
        timing = _timestamps_once(timing, series)
    return activity_series


def _inspect_dandi(path: Path) -> None:
    try:
        from nwbinspector import Importance, inspect_nwbfile, load_config
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "dandi=True checks the file with nwbinspector; install it (pip install nwbinspector)."
        ) from exc
    messages = [
        m
        for m in inspect_nwbfile(
            nwbfile_path=str(path),
            config=load_config("dandi"),
            importance_threshold=Importance.BEST_PRACTICE_VIOLATION,
        )
    ]
    if messages:
        lines = "\n".join(
            f"  - {m.importance.name} {m.check_function_name} at {m.location}: {m.message}"
            for m in messages
        )
        raise ValueError(f"the file would not pass DANDI's nwbinspector configuration:\n{lines}")


def write_nwb(
    session: xr.Dataset,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    subject: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    sample_spikes_from_activity: bool = False,
    spike_resolution: float | None = None,
    seed: int | np.random.Generator | None = None,
    dandi: bool = False,
    compression_level: int = 4,
) -> Path:
    """Write a session dataset to an NWB 2 file (HDF5), atomically.

    Layout: position as a ``SpatialSeries`` named ``position`` (metres) in
    ``processing/behavior/Position``; head direction (if any) in ``CompassDirection`` (radians);
    speed as a ``TimeSeries``; each population's activity as its own 2-D ``TimeSeries``
    ``<population>_activity`` (time x unit, float32) in ``processing/misc``; a ``units`` table
    with one row per unit (``population``, ``population_index`` = column in the population's
    activity, every per-unit coordinate, spike times when present or sampled) -- or, when there
    are no spikes, the same table without spike times as ``processing/misc/model_units``
    (nwbinspector rejects a ``Units`` table without spike times as CRITICAL); an
    ``environments`` interval table when the session has an ``environment`` coordinate;
    ``was_generated_by``, the configuration JSON (``scratch/hippocore_config``) and everything
    needed for a lossless read-back (``scratch/hippocore_session``). A regular clock is stored as
    ``starting_time`` + ``rate`` (the rate rounded to 10 digits when as regular), an irregular
    one as timestamps (written once and linked); when ``starting_time + arange(n) / rate`` does
    not rebuild the times bit for bit, they are also stored in ``scratch/hippocore_time`` (see
    :func:`regular_clock`). A session without position (``attrs["missing"]``) gets only the
    behaviour it has.

    Metadata comes from the session's attrs (as :func:`read_nwb` stores a lab file's: see
    :mod:`hippocore.io._nwb_meta`), overridden by ``metadata`` and ``subject``. What is given
    in ``metadata``, ``subject`` and ``spike_resolution`` is recorded in the file, so the
    session :func:`read_nwb` gives back re-exports without those arguments.
    Datasets are gzip-compressed and chunked; activity is streamed chunk by chunk
    (``GenericDataChunkIterator``), so a dask-backed session is never loaded whole.

    The file passes ``pynwb.validate`` and nwbinspector with no CRITICAL or
    BEST_PRACTICE_VIOLATION message, provided there are more samples than units (else
    nwbinspector's ``check_data_orientation`` complains).

    Parameters
    ----------
    session : xarray.Dataset
        A schema session (validated first; never modified).
    path : path-like
        Target ``.nwb`` file. Written to a temporary file in the same folder and renamed into
        place when complete; a failed write leaves no partial file and any old file intact (a
        killed one leaves a hidden part, removed by the next write: see ``docs/io.md``).
    overwrite : bool, default False
        Replace an existing file.
    subject : mapping, optional
        NWB ``Subject`` fields (``subject_id``, ``species``, ``sex``, ``age``, ``date_of_birth``,
        ``description``, ``strain``, ``genotype``, ``weight``). Missing fields come from the
        session attrs; in-silico sessions (``source`` "model" or "synthetic") default to species
        NCBITaxon 32630 "synthetic construct", sex "O", age "P0D" (placeholders, described as
        such). Recordings must give species, sex and age.
    metadata : mapping, optional
        NWBFile fields: ``session_description``, ``identifier``, ``session_start_time``
        (tz-aware datetime or ISO string; default now, UTC), ``session_id``, ``experimenter``,
        ``institution``, ``lab``, ``experiment_description``, ``keywords``,
        ``related_publications``, ``notes``.
    sample_spikes_from_activity : bool, default False
        Add spike times sampled from the activity (must be in Hz) as a Bernoulli
        discretisation of an inhomogeneous Poisson process at ``spike_resolution``
        (see :func:`hippocore.io._spikes.sample_spikes`). Not allowed when the session already
        holds spikes.
    spike_resolution : float, optional
        ``units.resolution`` (s), the smallest possible difference between two spike times.
        Default: 0.001 for sampled spikes; for existing spikes
        ``session.attrs["spike_resolution"]``, else 1e-6 s for in-silico sessions (spike times
        computed in float64, not on an acquisition clock); a recording without it raises.
    seed : int or Generator, optional
        Randomness of the sampled spikes (recorded in the file when an int).
    dandi : bool, default False
        DANDI-ready mode: require a ``session_id``, a Latin-binomial or NCBITaxon species and
        an ISO-8601 age, and check the finished file with nwbinspector's "dandi" configuration
        before it is moved into place (raises, leaving no file, if any CRITICAL or
        BEST_PRACTICE_VIOLATION message remains).
    compression_level : int, default 4
        gzip level (1-9).

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    ValueError
        If the session, subject or metadata cannot be written as asked (message says why).
    """
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.file import Subject

    if not isinstance(session, xr.Dataset):
        raise TypeError(f"session must be an xarray.Dataset; got {type(session).__name__}.")
    validate(session, "session")
    if not (isinstance(compression_level, int) and 1 <= compression_level <= 9):
        raise ValueError(f"compression_level must be an int in 1..9; got {compression_level!r}.")
    has_spikes = "spike_time" in session
    has_activity = "activity" in session
    if sample_spikes_from_activity:
        if not has_activity:
            raise ValueError("sample_spikes_from_activity=True needs an 'activity' variable.")
        if has_spikes:
            raise ValueError(
                "the session already holds spikes; drop them (session.drop_vars(['spike_time', "
                "'spike_unit'])) or keep sample_spikes_from_activity=False."
            )
        if session["activity"].attrs.get("units") != "Hz":
            raise ValueError(
                "spikes can only be sampled from activity in Hz; this activity is in "
                f"{session['activity'].attrs.get('units')!r}. Rescale it to rates and set "
                "ds['activity'].attrs['units'] = 'Hz'."
            )
    resolution = spike_resolution
    if resolution is None:
        if sample_spikes_from_activity:
            resolution = 0.001
        elif "spike_resolution" in session.attrs:
            resolution = float(session.attrs["spike_resolution"])
        elif "spikes_sampled_resolution" in session.attrs:  # a read-back sampled export
            resolution = float(session.attrs["spikes_sampled_resolution"])
        elif session.attrs.get("source") in ("model", "synthetic"):
            resolution = CONTINUOUS_SPIKE_RESOLUTION
        elif has_spikes:
            raise ValueError(
                "the resolution of this recording's spike times is unknown; pass "
                "spike_resolution=1/sampling_rate (e.g. 1/30000 for a 30 kHz system) or set "
                "session.attrs['spike_resolution'] (s)."
            )
        else:
            resolution = 0.001  # unused: no spikes are written
    resolution = check_positive(resolution, "spike_resolution")
    level = compression_level

    subj = _subject(session, subject, dandi=dandi)
    meta = _metadata(session, metadata, dandi=dandi)
    attrs = {k: _json_safe(v) for k, v in session.attrs.items()}
    # what the caller passed is recorded too, so that read_nwb gives a session that
    # re-exports without the arguments (identifier excepted: a new file gets a new one)
    attrs.update(subject_args_as_attrs(subject or {}))
    attrs.update(metadata_args_as_attrs(metadata or {}))
    if spike_resolution is not None and has_spikes:
        attrs["spike_resolution"] = float(resolution)
    time = np.asarray(session["time"].values, dtype=np.float64)
    rate, exact_clock = regular_clock(time)

    nwbfile = NWBFile(
        **meta,
        subject=Subject(**subj),
        was_generated_by=[["hippocore", __version__]],
        source_script=f"hippocore {__version__}: hippocore.io.write_nwb",
        source_script_file_name="hippocore/io/_nwb_write.py",
    )
    if "config_json" in attrs:
        nwbfile.add_scratch(
            str(attrs["config_json"]),
            name=CONFIG_SCRATCH,
            description="model configuration (JSON) that produced this session",
        )

    time_scratch = None
    if not exact_clock:  # the rate rebuilds the times to < 1e-6 of a sample, not bit for bit
        time_scratch = TIME_SCRATCH
        from pynwb.core import ScratchData

        nwbfile.add_scratch(
            ScratchData(
                name=TIME_SCRATCH,
                data=_data_io(time, level=level, chunks=(min(time.size, 1 << 16),)),
                description=(
                    "exact sample times (s) of the session; the series store starting_time + "
                    "rate, which rebuild them to within 1e-6 of a sample"
                ),
            )
        )
    timing = _add_behavior(nwbfile, session, time, rate, level)
    n_unit = session.sizes.get(UNIT, 0)
    populations = [str(p) for p in np.asarray(session["population"].values)] if n_unit else []
    order: list[str] = list(dict.fromkeys(populations))
    pop_index = np.zeros(n_unit, dtype=np.int64)
    for p in order:
        members = [i for i, q in enumerate(populations) if q == p]
        pop_index[members] = np.arange(len(members))
    activity_series: dict[str, str] = {}
    if has_activity and n_unit:
        activity_series = _add_activity(nwbfile, session, populations, timing, level)

    spike_t: np.ndarray | None = None
    spike_u: np.ndarray | None = None
    sampled: dict[str, Any] | None = None
    if sample_spikes_from_activity and n_unit:
        act = session["activity"].data
        spike_t, spike_u = sample_spikes(
            time,
            lambda a, b: np.asarray(act[a:b]),
            n_unit,
            resolution=resolution,
            rng=as_rng(seed),
            block=_block_size(n_unit, 1 << 22),
        )
        sampled = {"resolution": resolution, "seed": seed if isinstance(seed, int) else None}
    elif has_spikes:
        spike_t = np.asarray(session["spike_time"].values, dtype=np.float64)
        spike_u = np.asarray(session["spike_unit"].values, dtype=np.int64)
        order_s = np.lexsort((spike_t, spike_u))
        spike_t, spike_u = spike_t[order_s], spike_u[order_s]

    id_kind = "id"
    extra_cols: dict[str, np.ndarray] = {}
    if n_unit:
        ids = np.asarray(session[UNIT].values)
        id_kind, table_ids, names = _unit_ids(ids)
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

    if "environment" in session.coords:
        _add_environments(nwbfile, session)

    layout = {
        "layout_version": LAYOUT_VERSION,
        "attrs": attrs,
        "var_attrs": {
            name: {k: _json_safe(v) for k, v in session[name].attrs.items()}
            for name in ("time", "position", "activity", "head_direction", "speed")
            if name in session.variables
        },
        "unit_id": id_kind,
        "unit_coords": {
            name: {
                "dtype": str(np.asarray(session[name].values).dtype),
                "attrs": {k: _json_safe(v) for k, v in session[name].attrs.items()},
            }
            for name in extra_cols
        },
        "activity_series": activity_series,
        "has_spikes": bool(has_spikes),
        "sampled_spikes": sampled,
        "time_scratch": time_scratch,
    }
    nwbfile.add_scratch(
        json.dumps(layout),
        name=LAYOUT_SCRATCH,
        description="hippocore schema metadata used to read this file back losslessly (JSON)",
    )

    with atomic_path(path, overwrite=overwrite) as tmp:
        with NWBHDF5IO(str(tmp), mode="w") as io:
            io.write(nwbfile)
        if dandi:
            _inspect_dandi(tmp)
    return Path(path)
