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

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from hippocore._checks import as_rng, check_positive
from hippocore._version import __version__
from hippocore.io._atomic import atomic_path
from hippocore.io._common import REGULAR_RTOL, regular_rate
from hippocore.io._nwb_meta import metadata_args_as_attrs, subject_args_as_attrs
from hippocore.io._nwb_write_meta import IN_SILICO_SPECIES, file_metadata, subject_fields
from hippocore.io._nwb_write_series import (
    add_activity,
    add_behavior,
    add_environments,
    block_size,
    data_io,
)
from hippocore.io._nwb_write_units import UNITS_TABLE_NO_SPIKES, add_units, populations_of
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


LAYOUT_SCRATCH = "hippocore_session"
CONFIG_SCRATCH = "hippocore_config"
#: Scratch dataset with the exact sample times when ``starting_time`` + ``rate`` is not exact.
TIME_SCRATCH = "hippocore_time"
LAYOUT_VERSION = 1
#: ``units.resolution`` (s) stated for in-silico spike times computed in float64.
CONTINUOUS_SPIKE_RESOLUTION = 1e-6


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
    from pynwb import NWBHDF5IO

    if not isinstance(session, xr.Dataset):
        raise TypeError(f"session must be an xarray.Dataset; got {type(session).__name__}.")
    validate(session, "session")
    if not (isinstance(compression_level, int) and 1 <= compression_level <= 9):
        raise ValueError(f"compression_level must be an int in 1..9; got {compression_level!r}.")
    _check_sampling(session, sample_spikes_from_activity)
    has_spikes = "spike_time" in session
    resolution = _spike_resolution(session, spike_resolution, sample_spikes_from_activity)
    level = compression_level
    subj = subject_fields(session, subject, dandi=dandi)
    meta = file_metadata(session, metadata, dandi=dandi)
    attrs = {k: _json_safe(v) for k, v in session.attrs.items()}
    # what the caller passed is recorded too, so that read_nwb gives a session that
    # re-exports without the arguments (identifier excepted: a new file gets a new one)
    attrs.update(subject_args_as_attrs(subject or {}))
    attrs.update(metadata_args_as_attrs(metadata or {}))
    if spike_resolution is not None and has_spikes:
        attrs["spike_resolution"] = float(resolution)
    time = np.asarray(session["time"].values, dtype=np.float64)
    rate, exact_clock = regular_clock(time)
    nwbfile = _new_file(meta, subj, attrs)
    time_scratch = None if exact_clock else _add_exact_time(nwbfile, time, level)
    timing = add_behavior(nwbfile, session, time, rate, level)
    activity_series: dict[str, str] = {}
    if "activity" in session and session.sizes.get(UNIT, 0):
        activity_series = add_activity(nwbfile, session, populations_of(session)[0], timing, level)
    spike_t, spike_u, sampled = _spikes(
        session, time, sample=sample_spikes_from_activity, resolution=resolution, seed=seed
    )
    id_kind, extra_cols = add_units(
        nwbfile, session, spike_t=spike_t, spike_u=spike_u, sampled=sampled,
        resolution=resolution, level=level,
    )  # fmt: skip
    if "environment" in session.coords:
        add_environments(nwbfile, session)
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


def _check_sampling(session: xr.Dataset, sample: bool) -> None:
    """Spikes can be sampled only from activity in Hz, and only when there are none yet."""
    if not sample:
        return
    if "activity" not in session:
        raise ValueError("sample_spikes_from_activity=True needs an 'activity' variable.")
    if "spike_time" in session:
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


def _spike_resolution(session: xr.Dataset, given: float | None, sample: bool) -> float:
    """``units.resolution`` (s): given, else 1 ms for sampled spikes, else what the session says."""
    resolution = given
    if resolution is None:
        if sample:
            resolution = 0.001
        elif "spike_resolution" in session.attrs:
            resolution = float(session.attrs["spike_resolution"])
        elif "spikes_sampled_resolution" in session.attrs:  # a read-back sampled export
            resolution = float(session.attrs["spikes_sampled_resolution"])
        elif session.attrs.get("source") in ("model", "synthetic"):
            resolution = CONTINUOUS_SPIKE_RESOLUTION
        elif "spike_time" in session:
            raise ValueError(
                "the resolution of this recording's spike times is unknown; pass "
                "spike_resolution=1/sampling_rate (e.g. 1/30000 for a 30 kHz system) or set "
                "session.attrs['spike_resolution'] (s)."
            )
        else:
            resolution = 0.001  # unused: no spikes are written
    return check_positive(resolution, "spike_resolution")


def _new_file(meta: dict[str, Any], subj: dict[str, Any], attrs: Mapping[str, Any]) -> Any:
    """The ``NWBFile`` with its metadata, subject, provenance and the model's configuration."""
    from pynwb import NWBFile
    from pynwb.file import Subject

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
    return nwbfile


def _add_exact_time(nwbfile: Any, time: NDArray[np.float64], level: int) -> str:
    """Store the exact sample times (the rate rebuilds them to < 1e-6 of a sample, not bit for bit)."""
    from pynwb.core import ScratchData

    nwbfile.add_scratch(
        ScratchData(
            name=TIME_SCRATCH,
            data=data_io(time, level=level, chunks=(min(time.size, 1 << 16),)),
            description=(
                "exact sample times (s) of the session; the series store starting_time + "
                "rate, which rebuild them to within 1e-6 of a sample"
            ),
        )
    )
    return TIME_SCRATCH


def _spikes(
    session: xr.Dataset,
    time: NDArray[np.float64],
    *,
    sample: bool,
    resolution: float,
    seed: int | np.random.Generator | None,
) -> tuple[np.ndarray | None, np.ndarray | None, dict[str, Any] | None]:
    """Spike times and unit indices to write (sorted by unit, then time), and how they were sampled."""
    n_unit = session.sizes.get(UNIT, 0)
    if sample and n_unit:
        act = session["activity"].data
        spike_t, spike_u = sample_spikes(
            time,
            lambda a, b: np.asarray(act[a:b]),
            n_unit,
            resolution=resolution,
            rng=as_rng(seed),
            block=block_size(n_unit, 1 << 22),
        )
        return (
            spike_t,
            spike_u,
            {"resolution": resolution, "seed": seed if isinstance(seed, int) else None},
        )
    if "spike_time" in session:
        spike_t = np.asarray(session["spike_time"].values, dtype=np.float64)
        spike_u = np.asarray(session["spike_unit"].values, dtype=np.int64)
        order_s = np.lexsort((spike_t, spike_u))
        return spike_t[order_s], spike_u[order_s], None
    return None, None, None
