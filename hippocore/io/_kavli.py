"""The Kavli/Moser MAT format of the public Sargolini et al. (2006) grid-cell data.

Two conventions exist in that release (see the Moser-lab readme):

- one file per cell holding position and spikes: ``t`` (s), ``x1, y1, x2, y2`` (cm, two LEDs),
  ``ts`` (spike times, s); named ``<rat>-<session>_<cell>.mat``, e.g. ``11207-21060501+02_t6c1``;
- a position file ``<rat>-<session>_POS.mat`` with ``post`` (s), ``posx, posy`` and
  ``posx2, posy2`` (cm; empty for one LED) plus one file per cell, ``<rat>-<session>_T3C1.mat``,
  holding ``cellTS`` (s).

Positions are in cm centred on the 1 m box; hippocore converts them to m. The cell id
(``t6c1``, ``T3C1``: tetrode and cell number) is the unit name, spelled as in the file name.
Spike times of this release are integer multiples of 1/96000 s (the Axona 96 kHz clock).
"""

from __future__ import annotations

import os
import re
import uuid
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from hippocore._version import __version__
from hippocore.io._atomic import atomic_path
from hippocore.io._common import (
    DataRepairWarning,
    NoUnitsWarning,
    check_timestamps,
    combine_leds,
    drop_nan_samples,
    regular_rate,
)
from hippocore.schema import make_session

__all__ = ["read_kavli_mat", "convert_kavli_to_nwb", "KAVLI_SPIKE_RESOLUTION"]

#: Spike-time resolution of the Kavli release (s): the Axona 96 kHz timestamp clock.
KAVLI_SPIKE_RESOLUTION = 1.0 / 96000.0
_CM = 0.01
_NAME = re.compile(r"^(?P<rat>\d+)-(?P<session>[0-9+]+)_(?P<cell>.+)$")
_DEFAULT_SUBJECT = {
    "species": "Rattus norvegicus",
    "strain": "Long Evans",
    "sex": "M",
    "age": "P3M/P5M",
    "description": "Male Long Evans rat, 3-5 months old (Sargolini et al. 2006, methods).",
}


@dataclass(frozen=True)
class _Raw:
    """A Kavli recording as stored: times (s), LEDs (cm), spike trains (s)."""

    time: NDArray[np.float64]
    led1_cm: NDArray[np.float64]
    led2_cm: NDArray[np.float64] | None
    names: list[str]
    trains: list[NDArray[np.float64]]
    rat: str | None
    session: str | None
    files: list[str]


def _loadmat(path: Path) -> dict[str, Any]:
    import scipy.io

    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        data = scipy.io.loadmat(str(path), squeeze_me=True)
    except NotImplementedError as exc:
        raise ValueError(
            f"{path} is a MATLAB v7.3 (HDF5) file; save it with MATLAB's -v7 option to read it."
        ) from exc
    except Exception as exc:  # scipy raises MatReadError, IndexError, ... on damaged files
        raise ValueError(
            f"{path} is not a readable MATLAB file (truncated or another format?): "
            f"{type(exc).__name__}: {exc}"
        ) from None
    return {k: v for k, v in data.items() if not k.startswith("__")}


def _vector(data: Mapping[str, Any], key: str, path: Path) -> NDArray[np.float64]:
    try:
        v = np.asarray(data[key], dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: variable {key!r} is not numeric.") from exc
    return v


def _unit_name(path: Path) -> str:
    m = _NAME.match(path.stem)
    return m.group("cell") if m else path.stem


def _led(
    data: Mapping[str, Any], kx: str, ky: str, n: int, path: Path
) -> NDArray[np.float64] | None:
    if kx not in data or ky not in data:
        return None
    x, y = _vector(data, kx, path), _vector(data, ky, path)
    if x.size == 0 and y.size == 0:
        return None
    if x.size != n or y.size != n:
        raise ValueError(
            f"{path}: {kx}/{ky} have {x.size}/{y.size} samples but the timestamps have {n}."
        )
    return np.column_stack([x, y])


def _spikes_of(path: Path, time: NDArray[np.float64]) -> NDArray[np.float64]:
    data = _loadmat(path)
    key = "cellTS" if "cellTS" in data else "ts" if "ts" in data else None
    if key is None:
        raise ValueError(
            f"{path}: no spike times -- expected a variable 'cellTS' (or 'ts'); found {sorted(data)}."
        )
    if "t" in data:
        t = _vector(data, "t", path)
        if t.size != time.size or not np.allclose(t, time, rtol=0, atol=1e-9):
            raise ValueError(f"{path}: its position timestamps differ from the first file's.")
    s = _vector(data, key, path)
    if s.size and not np.all(np.isfinite(s)):
        raise ValueError(f"{path}: {key} holds NaN or infinite spike times.")
    return np.sort(s)


def _discover_cells(pos_file: Path) -> list[Path]:
    prefix = pos_file.stem[: -len("_POS")] if pos_file.stem.upper().endswith("_POS") else None
    if prefix is None:
        return []
    found = []
    for f in sorted(pos_file.parent.glob(f"{prefix}_*.mat")):
        cell = f.stem[len(prefix) + 1 :]
        if f != pos_file and re.fullmatch(r"[tT]\d+[cC]\d+", cell):
            found.append(f)
    return found


def _warn_no_cells(path: Path) -> None:
    """Warn that a Kavli file came without any cell (the session will have 0 units)."""
    stem = path.stem
    expected = (
        f"cell files {stem[: -len('_POS')]}_T<n>C<m>.mat beside it"
        if stem.upper().endswith("_POS")
        else "spike times ('ts') in it"
    )
    warnings.warn(
        f"{path.name}: found no {expected}, so the session has position only (0 units); pass "
        "cell_files=[...] if the cells are elsewhere, or cell_files=[] to read position only.",
        NoUnitsWarning,
        stacklevel=4,
    )


def _load(
    first: str | os.PathLike[str], cell_files: Sequence[str | os.PathLike[str]] | None
) -> _Raw:
    path = Path(first)
    data = _loadmat(path)
    if {"t", "x1", "y1"} <= set(data):
        time = _vector(data, "t", path)
        led1 = _led(data, "x1", "y1", time.size, path)
        led2 = _led(data, "x2", "y2", time.size, path)
        own = [path] if "ts" in data else []
    elif {"post", "posx", "posy"} <= set(data):
        time = _vector(data, "post", path)
        led1 = _led(data, "posx", "posy", time.size, path)
        led2 = _led(data, "posx2", "posy2", time.size, path)
        own = []
    else:
        raise ValueError(
            f"{path}: not a Kavli position or cell file -- expected variables t, x1, y1 (, x2, "
            f"y2, ts) or post, posx, posy (, posx2, posy2); found {sorted(data)}."
        )
    check_timestamps(time, f"{path.name}: position timestamps")
    assert led1 is not None
    if led2 is not None and not np.isfinite(led2).any():
        led2 = None
    extra = [Path(c) for c in cell_files] if cell_files is not None else _discover_cells(path)
    files = own + [c for c in extra if c != path]
    if not files and cell_files is None:
        _warn_no_cells(path)
    names = [_unit_name(f) for f in files]
    if len(set(names)) != len(names):
        raise ValueError(f"cell files give duplicate unit names {names}; pass distinct cells.")
    trains = [_spikes_of(f, time) for f in files]
    m = _NAME.match(path.stem)
    return _Raw(
        time=time,
        led1_cm=led1,
        led2_cm=led2,
        names=names,
        trains=trains,
        rat=m.group("rat") if m else None,
        session=m.group("session") if m else None,
        files=[p.name for p in [path, *[f for f in files if f != path]]],
    )


def clip_to_tracking(
    trains: list[NDArray[np.float64]], time: NDArray[np.float64], label: str, *, stacklevel: int
) -> list[NDArray[np.float64]]:
    """Drop spikes outside ``[t0, t_end + median dt]`` with a :class:`DataRepairWarning`."""
    dt = np.diff(time)
    lo, hi = time[0], time[-1] + (float(np.median(dt)) if dt.size else 0.0)
    out = [s[(s >= lo) & (s <= hi)] for s in trains]
    n_out = sum(a.size - b.size for a, b in zip(trains, out, strict=True))
    if n_out:
        warnings.warn(
            f"{label}: dropped {n_out} spike(s) outside the tracked period [{lo:g}, {hi:g}] s.",
            DataRepairWarning,
            stacklevel=stacklevel,
        )
    return out


def read_kavli_mat(
    position_file_or_cell_file: str | os.PathLike[str],
    cell_files: Sequence[str | os.PathLike[str]] | None = None,
) -> xr.Dataset:
    """Read a Kavli/Moser MAT recording (Sargolini et al. 2006 release) into a session.

    Accepts both conventions of that release: a cell file with its own position
    (``t, x1, y1, x2, y2, ts``) or a position file (``post, posx, posy, posx2, posy2``) with
    cell files (``cellTS``). Positions are converted from cm to m. With two LEDs the position
    is their midpoint and the head direction ``atan2`` of LED1 - LED2 (LED 1 in front); where
    one LED is missing the other is used and the head direction is NaN.

    NaN policy: samples where neither LED is tracked are dropped with a
    :class:`~hippocore.io.DataRepairWarning`; spikes outside ``[t0, t_end + dt]`` are dropped
    with the same warning; spikes inside tracking gaps are kept.

    Parameters
    ----------
    position_file_or_cell_file : path-like
        A ``*_POS.mat`` position file or a cell file with position (``t, x1, ...``).
    cell_files : sequence of path-like, optional
        Further cell files (``cellTS`` or ``ts``). Default: for a ``<rat>-<session>_POS.mat``
        file, every ``<rat>-<session>_T<n>C<m>.mat`` beside it; for a cell file, none.

    Returns
    -------
    xarray.Dataset
        A schema session (``source="recording"``), unit ids = cell names from the file names
        (``"t6c1"``, ``"T3C1"``), population ``"MEC"``; attrs ``subject_id``, ``session_id``,
        ``species``, ``strain``, ``sex``, ``age`` (male Long Evans rats of 3-5 months, per the
        paper's methods), ``kavli_files``, ``spike_resolution`` (1/96000 s).

    Raises
    ------
    FileNotFoundError
        If a file does not exist.
    ValueError
        For files of another format, mismatching lengths, non-monotonic or duplicated
        timestamps, or NaN spike times; the message names the file and variable.

    Warns
    -----
    NoUnitsWarning
        If ``cell_files`` is not given and no cell is found (a position file with no
        ``_T<n>C<m>.mat`` beside it, or a cell file without ``ts``): the session has 0 units.
    """
    raw = _load(position_file_or_cell_file, cell_files)
    label = Path(position_file_or_cell_file).name
    led1 = raw.led1_cm * _CM
    led2 = raw.led2_cm * _CM if raw.led2_cm is not None else None
    pos, hd = combine_leds(led1, led2)
    keep = drop_nan_samples(raw.time, pos, label, stacklevel=3)
    trains = clip_to_tracking(raw.trains, raw.time, label, stacklevel=3)
    attrs: dict[str, Any] = {
        "description": "Kavli/Moser MAT recording (Sargolini et al. 2006, doi:10.1126/science.1125572)",
        "kavli_files": ", ".join(raw.files),
        "species": _DEFAULT_SUBJECT["species"],
        "strain": _DEFAULT_SUBJECT["strain"],
        "sex": _DEFAULT_SUBJECT["sex"],
        "age": _DEFAULT_SUBJECT["age"],
        "spike_resolution": KAVLI_SPIKE_RESOLUTION,
        "position_leds": 2 if led2 is not None else 1,
    }
    if raw.rat:
        attrs["subject_id"] = raw.rat
    if raw.session:
        attrs["session_id"] = raw.session
    has_units = bool(raw.names)
    return make_session(
        raw.time[keep],
        pos[keep],
        spike_times=trains if has_units else None,
        unit=np.array(raw.names, dtype=object) if has_units else None,
        population="MEC" if has_units else None,
        head_direction=hd[keep] if hd is not None else None,
        source="recording",
        attrs=attrs,
    )


def convert_kavli_to_nwb(
    position_file_or_cell_file: str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    cell_files: Sequence[str | os.PathLike[str]] | None = None,
    subject: Mapping[str, Any] | None = None,
    session_start_time: datetime | None = None,
    timestamps: Literal["auto", "explicit"] = "auto",
    overwrite: bool = False,
) -> Path:
    """Convert a Kavli/Moser MAT recording to NWB in the layout of DANDI:000582.

    Layout (as catalystneuro's ``sargolini-to-nwb``): ``processing/behavior/Position`` holds
    ``SpatialSeriesLED1`` (and ``SpatialSeriesLED2`` when a second LED was tracked) with the
    raw cm values, ``unit="meters"``, ``conversion=0.01``, ``reference_frame="(0,0) is not
    known."``; the ``units`` table holds ``spike_times`` and a ``unit_name`` column (the cell
    id from the file name) with ``resolution`` 1/96000 s; ``session_id`` and ``subject_id`` come
    from the file name (``10073-17010302`` -> subject ``10073``, session ``17010302``);
    ``session_start_time`` defaults to 1900-01-01 Europe/Oslo (unknown; DANDI's choice). Raw
    values are stored unchanged, NaN (untracked) samples included: :func:`read_nwb` repairs
    them exactly as :func:`read_kavli_mat` does.

    Parameters
    ----------
    position_file_or_cell_file : path-like
        As for :func:`read_kavli_mat`.
    path : path-like
        Target ``.nwb`` file (written atomically).
    cell_files : sequence of path-like, optional
        As for :func:`read_kavli_mat`.
    subject : mapping, optional
        NWB Subject fields overriding the defaults (species Rattus norvegicus, strain Long
        Evans, sex M, age P3M/P5M, as in the paper's methods; subject_id from the file name).
    session_start_time : datetime, optional
        Timezone-aware start; default 1900-01-01 00:00 Europe/Oslo.
    timestamps : {"auto", "explicit"}, default "auto"
        "explicit" stores a timestamps vector exactly like DANDI:000582 (nwbinspector then
        suggests ``rate`` for a regular clock, a BEST_PRACTICE_VIOLATION); "auto" stores
        ``starting_time`` + ``rate`` when the clock is regular to 1e-6 of a sample, else
        timestamps.
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from zoneinfo import ZoneInfo

    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.file import Subject
    from pynwb.misc import Units

    if timestamps not in ("auto", "explicit"):
        raise ValueError(f"timestamps must be 'auto' or 'explicit'; got {timestamps!r}.")
    raw = _load(position_file_or_cell_file, cell_files)
    subj = dict(_DEFAULT_SUBJECT)
    subj["subject_id"] = raw.rat or Path(position_file_or_cell_file).stem.split("_")[0]
    subj.update(subject or {})
    start = session_start_time or datetime(1900, 1, 1, tzinfo=ZoneInfo("Europe/Oslo"))
    if start.tzinfo is None:
        raise ValueError("session_start_time must be timezone-aware.")
    nwbfile = NWBFile(
        session_description=(
            "Rat foraging in a 1 m x 1 m box; medial entorhinal cortex units (Sargolini et al. "
            f"2006). Converted from the Kavli MAT files {', '.join(raw.files)} by hippocore."
        ),
        identifier=str(uuid.uuid4()),
        session_start_time=start,
        session_id=raw.session or Path(position_file_or_cell_file).stem,
        institution="Kavli Institute for Systems Neuroscience, NTNU",
        lab="Moser",
        related_publications=["doi:10.1126/science.1125572"],
        keywords=["grid cells", "medial entorhinal cortex", "Sargolini 2006"],
        experiment_description=(
            "Data from https://www.ntnu.edu/kavli/research/grid-cell-data (Kavli/NTNU); cite "
            "Sargolini et al. (2006)."
        ),
        subject=Subject(**{k: str(v) for k, v in subj.items()}),
        was_generated_by=[["hippocore", __version__]],
    )
    _add_leds(nwbfile, raw, timestamps)
    if raw.names:
        units = Units(
            name="units",
            description="sorted units (Kavli release); spike times in s",
            resolution=KAVLI_SPIKE_RESOLUTION,
        )
        units.add_column(name="unit_name", description="cell id from the file name (tetrode, cell)")
        for name, train in zip(raw.names, raw.trains, strict=True):
            units.add_unit(spike_times=train, unit_name=name)
        nwbfile.units = units
    with atomic_path(path, overwrite=overwrite) as tmp:
        with NWBHDF5IO(str(tmp), mode="w") as io:
            io.write(nwbfile)
    return Path(path)


def _add_leds(nwbfile: Any, raw: _Raw, timestamps: str) -> None:
    """The LEDs in raw cm (``conversion`` 0.01), on ``starting_time`` + ``rate`` or timestamps."""
    from pynwb import H5DataIO
    from pynwb.behavior import Position, SpatialSeries

    behavior = nwbfile.create_processing_module(name="behavior", description="tracking data")
    rate = regular_rate(raw.time) if timestamps == "auto" else None
    n = raw.time.size
    chunk = (min(n, 1 << 16) or 1,)
    timing: dict[str, Any] = (
        {"starting_time": float(raw.time[0]), "rate": rate}
        if rate is not None
        else {"timestamps": H5DataIO(raw.time, compression="gzip", chunks=chunk)}
    )
    leds = [raw.led1_cm] + ([raw.led2_cm] if raw.led2_cm is not None else [])
    series = []
    for k, led in enumerate(leds, start=1):
        ss = SpatialSeries(
            name=f"SpatialSeriesLED{k}",
            description=f"position of tracking LED {k} (raw cm; conversion 0.01 gives metres)",
            data=H5DataIO(led, compression="gzip", chunks=(chunk[0], 2)),
            unit="meters",
            conversion=_CM,
            reference_frame="(0,0) is not known.",
            **timing,
        )
        series.append(ss)
        if rate is None:
            timing = {"timestamps": series[0]}
    behavior.add(Position(name="Position", spatial_series=series))
