"""Axona dacqUSB / TINT recordings: ``.set``, ``.pos``, tetrode files ``.1``-``.N``, ``.cut``/``.clu``.

File format (dacqUSB; read here from the files' own headers):

- ``<trial>.set`` -- text, one ``key value`` per line: trial date and time, experimenter,
  comments, duration (s), the tracking window ``xmin xmax ymin ymax`` (camera pixels),
  ``tracker_pixels_per_metre``, the active LED colours ``colactive_1..4`` ...
- ``<trial>.pos`` and ``<trial>.<N>`` (tetrode N) -- a text header of the same form, the
  marker ``data_start``, big-endian binary records, then ``data_end`` (CR LF before and after).

  * ``.pos`` (``pos_format t,x1,y1,x2,y2,numpix1,numpix2``, 4-byte timestamps, 2-byte
    coordinates): per sample a 4-byte frame counter and eight 16-bit words ``x1 y1 x2 y2
    numpix1 numpix2 total_pixels unused`` = 20 bytes; ``num_pos_samples`` samples at
    ``sample_rate`` (50 Hz). Coordinates are pixels from the tracking window's top-left corner
    (image rows grow downwards); 1023 marks an LED that was not tracked.
  * tetrode files (``spike_format t,ch1,t,ch2,t,ch3,t,ch4``): per spike and channel a 4-byte
    timestamp (``timebase``, 96 kHz) and ``samples_per_spike`` signed bytes; ``num_spikes``
    spikes.
- ``<trial>_<N>.cut`` (TINT) -- text; after the line ``Exact_cut_for: <trial> spikes: <n>`` one
  cluster id per spike of tetrode N. ``<trial>.clu.<N>`` (KlustaKwik) -- the number of
  clusters, then one id per spike. Cluster 0 (cut) / 1 (clu) holds the unassigned spikes and
  is not a unit.
"""

from __future__ import annotations

import json
import os
import re
import uuid
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from hippocore._version import __version__
from hippocore.io._atomic import atomic_path
from hippocore.io._common import DataRepairWarning, combine_leds, drop_nan_samples
from hippocore.io._kavli import clip_to_tracking
from hippocore.schema import make_session

__all__ = ["read_axona", "convert_axona_to_nwb", "UNTRACKED"]

#: Coordinate value of an LED that the tracker did not see.
UNTRACKED = 1023
_DATA_START = b"data_start"
_DATA_END = b"\r\ndata_end"
_POS_FORMAT = "t,x1,y1,x2,y2,numpix1,numpix2"
_TETRODE = re.compile(r"^\d{1,3}$")


# ----------------------------------------------------------------------------- raw files


def _header_text(raw: bytes) -> dict[str, str]:
    header: dict[str, str] = {}
    for line in raw.decode("latin-1").splitlines():
        line = line.strip()
        if not line:
            continue
        key, _, value = line.partition(" ")
        header[key] = value.strip()
    return header


def read_set(path: Path) -> dict[str, str]:
    """The ``key value`` lines of an Axona ``.set`` file.

    Raises
    ------
    FileNotFoundError
        Naming the missing ``.set`` file and what it is needed for.
    """
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: no such file. An Axona session is read from its .set file (it holds the "
            "tracking window and pixels per metre); give the path of <trial>.set, which sits "
            "beside <trial>.pos and the tetrode files <trial>.1, <trial>.2, ..."
        )
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give the path of the trial's .set file.")
    return _header_text(path.read_bytes())


def _binary_file(path: Path) -> tuple[dict[str, str], bytes, bool]:
    """Header, data bytes (between ``data_start`` and ``data_end``) and whether the end marker was found."""
    raw = path.read_bytes()
    start = raw.find(_DATA_START)
    if start < 0:
        raise ValueError(
            f"{path}: no 'data_start' marker, so this is not an Axona data file (or its header "
            "is damaged)."
        )
    header = _header_text(raw[:start])
    body = raw[start + len(_DATA_START) :]
    end = body.rfind(_DATA_END)
    if end < 0:
        return header, body, False
    return header, body[:end], True


def _number(header: Mapping[str, str], key: str, path: Path) -> float:
    """A numeric header value (units such as ``hz`` after the number are ignored)."""
    if key not in header:
        raise ValueError(
            f"{path}: the header has no {key!r} line; the file is not a complete Axona file."
        )
    text = header[key].split()
    try:
        return float(text[0])
    except (IndexError, ValueError):
        raise ValueError(f"{path}: header {key!r} is {header[key]!r}, not a number.") from None


def _check_size(path: Path, n: int, record: int, body: bytes, ended: bool, what: str) -> None:
    expected = n * record
    if ended and len(body) == expected:
        return
    if not ended:
        if len(body) < expected:
            raise ValueError(
                f"{path}: truncated -- the header says {n} {what} ({expected} bytes) but only "
                f"{len(body)} bytes follow 'data_start' and there is no 'data_end'. Copy the "
                "file again from the acquisition machine."
            )
        warnings.warn(
            f"{path}: the 'data_end' marker is missing but all {n} {what} are there; read them.",
            DataRepairWarning,
            stacklevel=5,
        )
        return
    raise ValueError(
        f"{path}: the header says {n} {what} of {record} bytes ({expected} bytes) but "
        f"{len(body)} bytes of data lie between 'data_start' and 'data_end'; the header "
        "disagrees with the file's size (damaged or edited file)."
    )


@dataclass(frozen=True)
class _Pos:
    """A ``.pos`` file as stored: frame counters, raw pixel coordinates, header."""

    counter: NDArray[np.int64]
    xy1: NDArray[np.float64]  # pixels, NaN where untracked
    xy2: NDArray[np.float64] | None
    rate: float
    header: dict[str, str]


def _read_pos(path: Path) -> _Pos:
    header, body, ended = _binary_file(path)
    fmt = header.get("pos_format", "")
    if fmt != _POS_FORMAT:
        raise ValueError(
            f"{path}: pos_format {fmt!r} is not supported; hippocore reads dacqUSB's "
            f"{_POS_FORMAT!r}."
        )
    ts_bytes = int(_number(header, "bytes_per_timestamp", path))
    coord_bytes = int(_number(header, "bytes_per_coord", path))
    if (ts_bytes, coord_bytes) != (4, 2):
        raise ValueError(
            f"{path}: {ts_bytes}-byte timestamps and {coord_bytes}-byte coordinates are not "
            "supported (dacqUSB writes 4 and 2)."
        )
    n = int(_number(header, "num_pos_samples", path))
    rate = _number(header, "sample_rate", path)
    if not rate > 0:
        raise ValueError(f"{path}: sample_rate {header['sample_rate']!r} is not positive.")
    _check_size(path, n, 20, body, ended, "position samples")
    rec = np.frombuffer(body, dtype=np.dtype([("t", ">u4"), ("c", ">i2", (8,))]), count=n)
    coords = rec["c"].astype(np.float64)

    def led(ix: int, iy: int) -> NDArray[np.float64]:
        xy = coords[:, [ix, iy]]
        xy[(xy == UNTRACKED).any(axis=1)] = np.nan
        return xy

    xy2 = led(2, 3)
    return _Pos(
        counter=rec["t"].astype(np.int64),
        xy1=led(0, 1),
        xy2=xy2 if np.isfinite(xy2).any() else None,
        rate=rate,
        header=header,
    )


def _spike_times(path: Path) -> tuple[NDArray[np.float64], float, dict[str, str]]:
    """Spike times (s) of a tetrode file, and its timestamp resolution (s)."""
    header, body, ended = _binary_file(path)
    n = int(_number(header, "num_spikes", path))
    chans = int(_number(header, "num_chans", path))
    ts_bytes = int(_number(header, "bytes_per_timestamp", path))
    samples = int(_number(header, "samples_per_spike", path))
    sample_bytes = int(_number(header, "bytes_per_sample", path))
    timebase = _number(header, "timebase", path)
    if ts_bytes != 4 or sample_bytes not in (1, 2) or chans < 1 or not timebase > 0:
        raise ValueError(
            f"{path}: unsupported tetrode file ({chans} channels, {ts_bytes}-byte timestamps, "
            f"{sample_bytes}-byte samples, timebase {header.get('timebase')!r})."
        )
    block = ts_bytes + samples * sample_bytes
    _check_size(path, n, chans * block, body, ended, "spikes")
    dtype = np.dtype([("t", ">u4"), ("wave", f"V{samples * sample_bytes}")])
    rec = np.frombuffer(body, dtype=dtype, count=n * chans).reshape(n, chans)
    ticks = rec["t"][:, 0].astype(np.int64)
    return ticks / timebase, 1.0 / timebase, header


def _read_cut(path: Path, n_spikes: int, tetrode_file: Path) -> NDArray[np.int64]:
    """Cluster id per spike from a TINT ``.cut`` or KlustaKwik ``.clu.N`` file (0 = unassigned)."""
    text = path.read_text(encoding="latin-1")
    if path.suffix == ".cut":
        m = re.search(r"Exact_cut_for:\s*(\S*)\s+spikes:\s*(\d+)", text)
        if m is None:
            raise ValueError(
                f"{path}: no 'Exact_cut_for: <trial> spikes: <n>' line, so this is not a TINT "
                "cut file (or it is damaged)."
            )
        stated = int(m.group(2))
        tokens = text[m.end() :].split()
        what = f"the line 'spikes: {stated}'"
        offset = 0
    else:
        tokens = text.split()
        if not tokens:
            raise ValueError(f"{path}: empty cluster file.")
        stated, tokens = None, tokens[1:]  # first: the number of clusters
        what = "KlustaKwik .clu"
        offset = 1  # KlustaKwik cluster 1 = noise, as TINT's cluster 0
    try:
        ids = np.array([int(tok) for tok in tokens], dtype=np.int64) - offset
    except ValueError:
        raise ValueError(f"{path}: cluster ids must be integers.") from None
    if ids.size != n_spikes or (stated is not None and stated != n_spikes):
        stated_text = f" ({what} says {stated})" if stated is not None else ""
        raise ValueError(
            f"{path}: holds {ids.size} cluster ids{stated_text} but {tetrode_file.name} has "
            f"{n_spikes} spikes; the cluster file belongs to another recording or tetrode, or "
            "the tetrode file was re-recorded. Re-cut it in TINT, or pass cut_files='none' to "
            "read unsorted spikes."
        )
    if ids.size and ids.min() < 0:
        raise ValueError(f"{path}: negative cluster id {int(ids.min())}.")
    return ids


# ----------------------------------------------------------------------------- the session


@dataclass(frozen=True)
class _Units:
    names: list[str]
    trains: list[NDArray[np.float64]]
    tetrode: list[int]
    cluster: list[int]
    resolution: float | None
    files: list[str]


def _tetrodes(base: Path, wanted: Sequence[int] | None) -> list[int]:
    found = sorted(
        int(f.suffix[1:])
        for f in base.parent.glob(f"{base.name}.*")
        if f.stem == base.name and _TETRODE.match(f.suffix[1:]) and f.is_file()
    )
    if wanted is None:
        return found
    missing = [int(w) for w in wanted if int(w) not in found]
    if missing:
        raise FileNotFoundError(
            f"{base}: no tetrode file(s) {', '.join(f'{base.name}.{m}' for m in missing)}; "
            f"tetrodes present: {found or 'none'}."
        )
    return sorted(int(w) for w in wanted)


def _cut_file(
    base: Path, tetrode: int, cut_files: Mapping[int, str | os.PathLike[str]] | str
) -> Path | None:
    if cut_files == "none":
        return None
    if isinstance(cut_files, Mapping):
        given = cut_files.get(tetrode)
        if given is None:
            return None
        path = Path(given)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such cluster file (cut_files[{tetrode}]).")
        return path
    for candidate in (
        base.parent / f"{base.name}_{tetrode}.cut",
        base.parent / f"{base.name}.clu.{tetrode}",
    ):
        if candidate.exists():
            return candidate
    return None


def _read_units(
    base: Path,
    tetrodes: Sequence[int] | None,
    cut_files: Mapping[int, str | os.PathLike[str]] | str,
) -> _Units:
    names: list[str] = []
    trains: list[NDArray[np.float64]] = []
    tet_of: list[int] = []
    cluster_of: list[int] = []
    files: list[str] = []
    resolution = None
    for tet in _tetrodes(base, tetrodes):
        path = base.parent / f"{base.name}.{tet}"
        times, res, _ = _spike_times(path)
        files.append(path.name)
        if resolution is not None and res != resolution:
            raise ValueError(f"{path}: timebase differs from the other tetrode files.")
        resolution = res
        cut = _cut_file(base, tet, cut_files)
        if cut is None:  # unsorted: all spikes of the tetrode as one multi-unit
            names.append(f"t{tet}")
            trains.append(np.sort(times))
            tet_of.append(tet)
            cluster_of.append(-1)
            continue
        files.append(cut.name)
        ids = _read_cut(cut, times.size, path)
        for c in np.unique(ids[ids > 0]):
            names.append(f"t{tet}c{int(c)}")
            trains.append(np.sort(times[ids == c]))
            tet_of.append(tet)
            cluster_of.append(int(c))
    return _Units(names, trains, tet_of, cluster_of, resolution, files)


@dataclass(frozen=True)
class _Recording:
    """Everything read from an Axona trial, before it becomes a session or an NWB file."""

    base: Path
    settings: dict[str, str]
    time: NDArray[np.float64] | None
    rate: float | None
    led1: NDArray[np.float64] | None  # m, NaN where untracked
    led2: NDArray[np.float64] | None
    pixels_per_metre: float | None
    window: tuple[float, float, float, float] | None
    frame: str | None
    units: _Units
    attrs: dict[str, Any]


def _window(
    settings: Mapping[str, str], pos_header: Mapping[str, str], path: Path
) -> tuple[float, ...]:
    keys = [
        ("xmin", "window_min_x"),
        ("xmax", "window_max_x"),
        ("ymin", "window_min_y"),
        ("ymax", "window_max_y"),
    ]
    out = []
    for set_key, pos_key in keys:
        if set_key in settings:
            out.append(_number(settings, set_key, path.with_suffix(".set")))
        elif pos_key in pos_header:
            out.append(_number(pos_header, pos_key, path))
        else:
            raise ValueError(
                f"{path.with_suffix('.set')}: no tracking window ({set_key}, or {pos_key} in "
                f"{path.name}); it is needed to place the positions."
            )
    if not (out[1] > out[0] and out[3] > out[2]):
        raise ValueError(f"{path.with_suffix('.set')}: tracking window {out} is empty.")
    return tuple(out)


def _start_time(settings: Mapping[str, str], tz: Any) -> datetime | None:
    date, clock = settings.get("trial_date", ""), settings.get("trial_time", "")
    for fmt in ("%A, %d %b %Y %H:%M:%S", "%d %b %Y %H:%M:%S", "%A, %d %B %Y %H:%M:%S"):
        try:
            return datetime.strptime(f"{date} {clock}", fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    return None


def _load(
    set_path: str | os.PathLike[str],
    *,
    tetrodes: Sequence[int] | None,
    cut_files: Mapping[int, str | os.PathLike[str]] | str,
    pixels_per_metre: float | None,
    y_axis: str,
    tz: Any,
) -> _Recording:
    sp = Path(set_path)
    if sp.suffix != ".set":
        sp = sp.with_suffix(".set") if sp.suffix in (".pos", ".cut") else Path(f"{sp}.set")
    settings = read_set(sp)
    base = sp.with_suffix("")
    if y_axis not in ("up", "down"):
        raise ValueError(f"y_axis must be 'up' or 'down'; got {y_axis!r}.")
    if cut_files not in ("auto", "none") and not isinstance(cut_files, Mapping):
        raise ValueError(
            f"cut_files must be 'auto', 'none' or {{tetrode: path}}; got {cut_files!r}."
        )
    attrs: dict[str, Any] = {
        "description": f"Axona dacqUSB recording {base.name}",
        "session_id": base.name,
        "axona_files": sp.name,
    }
    start = _start_time(settings, tz)
    if start is not None:
        attrs["session_start_time"] = start.isoformat()
    if settings.get("experimenter"):
        attrs["experimenter_json"] = json.dumps([settings["experimenter"]])
    if settings.get("comments"):
        attrs["notes"] = settings["comments"]
    if "duration" in settings:
        attrs["axona_duration_s"] = _number(settings, "duration", sp)

    time = led1 = led2 = rate = None
    ppm = window = frame = None
    pos_path = base.with_suffix(".pos")
    if pos_path.exists():
        pos = _read_pos(pos_path)
        set_ppm = settings.get("tracker_pixels_per_metre")
        pos_ppm = pos.header.get("pixels_per_metre")
        if pixels_per_metre is not None:
            ppm = float(pixels_per_metre)
        elif set_ppm is not None:
            ppm = _number(settings, "tracker_pixels_per_metre", sp)
            if pos_ppm is not None and _number(pos.header, "pixels_per_metre", pos_path) != ppm:
                warnings.warn(
                    f"{sp.name}: tracker_pixels_per_metre {ppm:g} differs from {pos_path.name}'s "
                    f"pixels_per_metre {pos_ppm}; the .set value is used (pass pixels_per_metre= "
                    "to choose).",
                    DataRepairWarning,
                    stacklevel=4,
                )
        elif pos_ppm is not None:
            ppm = _number(pos.header, "pixels_per_metre", pos_path)
        else:
            raise ValueError(
                f"{sp}: no tracker_pixels_per_metre (nor pixels_per_metre in {pos_path.name}); "
                "pass pixels_per_metre= to convert pixels to metres."
            )
        if not ppm > 0:
            raise ValueError(f"{sp}: pixels per metre {ppm!r} is not positive.")
        window = _window(settings, pos.header, pos_path)
        height = window[3] - window[2]
        n = pos.counter.size
        rate = pos.rate
        time = np.arange(n) / rate
        # a frame counter that does not step by one marks a repeated or lost frame
        bad = np.flatnonzero(np.diff(pos.counter) != 1) + 1
        if bad.size:
            warnings.warn(
                f"{pos_path.name}: {bad.size} of {n} position samples repeat or skip a camera "
                "frame (the frame counter does not step by one); they are marked untracked.",
                DataRepairWarning,
                stacklevel=4,
            )

        def metres(px: NDArray[np.float64]) -> NDArray[np.float64]:
            xy = px.copy()
            xy[bad] = np.nan
            if y_axis == "up":
                xy[:, 1] = height - xy[:, 1]
            return xy / ppm

        led1 = metres(pos.xy1)
        led2 = metres(pos.xy2) if pos.xy2 is not None else None
        frame = (
            f"metres from the {'bottom' if y_axis == 'up' else 'top'}-left corner of the Axona "
            f"tracking window (camera pixels x {window[0]:g}-{window[1]:g}, y {window[2]:g}-"
            f"{window[3]:g}) at {ppm:g} pixels per metre; y grows "
            f"{'upwards (camera rows flipped)' if y_axis == 'up' else 'downwards (camera rows)'}"
        )
        attrs.update(
            {
                "axona_files": f"{sp.name}, {pos_path.name}",
                "pixels_per_metre": ppm,
                "tracking_window_px": list(window),
                "reference_frame": frame,
                "position_leds": 2 if led2 is not None else 1,
            }
        )
    units = _read_units(base, tetrodes, cut_files)
    if units.files:
        attrs["axona_files"] += ", " + ", ".join(units.files)
    if units.resolution is not None:
        attrs["spike_resolution"] = units.resolution
    return _Recording(base, settings, time, rate, led1, led2, ppm, window, frame, units, attrs)


def read_axona(
    set_path: str | os.PathLike[str],
    *,
    tetrodes: Sequence[int] | None = None,
    cut_files: Mapping[int, str | os.PathLike[str]] | Literal["auto", "none"] = "auto",
    pixels_per_metre: float | None = None,
    y_axis: Literal["up", "down"] = "up",
    population: str = "unknown",
    tz: Any = timezone.utc,
) -> xr.Dataset:
    """Read an Axona dacqUSB / TINT trial into a session (positions in m, times in s).

    Position comes from ``<trial>.pos``: raw pixels divided by the pixels per metre
    (``tracker_pixels_per_metre`` of the ``.set`` file, else the ``.pos`` header), measured from
    the corner of the tracking window (``xmin``/``xmax``/``ymin``/``ymax`` of the ``.set``
    file); with ``y_axis="up"`` the camera's downward rows are flipped (``y = (ymax - ymin -
    y_pixels) / ppm``) so that maps drawn with row 0 at the bottom look like the camera image
    and angles run counter-clockwise as seen from the camera. Sample ``k`` is at ``k /
    sample_rate`` s. Coordinates of 1023 (LED not tracked) and samples whose frame counter does
    not step by one (repeated or lost frames) are untracked. With two LEDs the position is their
    midpoint and the head direction the angle from LED 2 to LED 1 (LED 1, the big light, in
    front); where one LED is missing the other is used and the head direction is NaN.

    Spikes come from the tetrode files ``<trial>.1`` ... : the first timestamp of each spike
    divided by the ``timebase`` (96 kHz). With a cluster file for the tetrode
    (``<trial>_<N>.cut`` from TINT, else ``<trial>.clu.<N>`` from KlustaKwik) every cluster but
    the unassigned one (0 in ``.cut``, 1 in ``.clu``) is a unit ``t<N>c<cluster>``; without one,
    all spikes of the tetrode are one multi-unit ``t<N>`` (``cluster`` -1).

    NaN policy: untracked samples are dropped with a :class:`~hippocore.io.DataRepairWarning`
    (spikes in the gaps are kept); spikes outside ``[0, t_end + 1/sample_rate]`` are dropped
    with the same warning. A trial without a ``.pos`` file gives a session without position
    (``attrs["missing"] == "position"``), as :func:`read_nwb` does for NWB files.

    Parameters
    ----------
    set_path : path-like
        The trial's ``.set`` file (a ``.pos`` path or the bare trial name also work).
    tetrodes : sequence of int, optional
        Tetrodes to read; default every ``<trial>.<N>`` file present.
    cut_files : "auto", "none" or mapping of int to path-like, default "auto"
        "auto": the ``.cut`` / ``.clu.N`` files beside the trial; "none": unsorted multi-units;
        a mapping: the cluster file of each tetrode (others unsorted).
    pixels_per_metre : float, optional
        Override the files' pixels per metre.
    y_axis : {"up", "down"}, default "up"
        Flip the camera's rows so that y grows upwards ("up"), or keep them ("down").
    population : str, default "unknown"
        Population label of every unit (e.g. "MEC").
    tz : tzinfo, default UTC
        Time zone of the ``.set`` file's trial date and time (it records local time without one).

    Returns
    -------
    xarray.Dataset
        A schema session (``source="recording"``): per-unit coordinates ``tetrode``, ``cluster``
        and ``multi_unit``; attrs ``session_id`` (the trial name), ``session_start_time``,
        ``experimenter_json``, ``notes`` (the trial comments), ``pixels_per_metre``,
        ``tracking_window_px``, ``reference_frame``, ``position_leds``, ``spike_resolution``
        (1/timebase s), ``axona_files``.

    Raises
    ------
    FileNotFoundError
        If the ``.set`` file (or a requested tetrode or cluster file) does not exist.
    ValueError
        For a truncated ``.pos`` or tetrode file, a header that disagrees with the file's size,
        a cluster file whose spike count differs from its tetrode file's, or an unsupported
        format; the message names the file.
    """
    rec = _load(
        set_path,
        tetrodes=tetrodes,
        cut_files=cut_files,
        pixels_per_metre=pixels_per_metre,
        y_axis=y_axis,
        tz=tz,
    )
    label = rec.base.name
    u = rec.units
    trains = u.trains
    if rec.time is not None and rec.led1 is not None:
        pos, hd = combine_leds(rec.led1, rec.led2)
        keep = drop_nan_samples(rec.time, pos, f"{label}.pos", stacklevel=3)
        trains = clip_to_tracking(trains, rec.time, label, stacklevel=3) if trains else trains
        time, pos = rec.time[keep], pos[keep]
        hd = hd[keep] if hd is not None else None
    else:
        time, pos, hd = np.zeros(0), None, None
    has_units = bool(u.names)
    return make_session(
        time,
        pos,
        spike_times=trains if has_units else None,
        unit=np.array(u.names, dtype=object) if has_units else None,
        population=population if has_units else None,
        unit_coords={
            "tetrode": np.array(u.tetrode, dtype=np.int64),
            "cluster": np.array(u.cluster, dtype=np.int64),
            "multi_unit": np.array(u.cluster, dtype=np.int64) < 0,
        }
        if has_units
        else None,
        head_direction=hd,
        source="recording",
        attrs=rec.attrs,
    )


def convert_axona_to_nwb(
    set_path: str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    tetrodes: Sequence[int] | None = None,
    cut_files: Mapping[int, str | os.PathLike[str]] | Literal["auto", "none"] = "auto",
    pixels_per_metre: float | None = None,
    y_axis: Literal["up", "down"] = "up",
    subject: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    tz: Any = timezone.utc,
    overwrite: bool = False,
) -> Path:
    """Convert an Axona trial to NWB: positions in metres and seconds, spikes per cluster.

    Layout: ``processing/behavior/Position/SpatialSeriesLED1`` (and ``SpatialSeriesLED2``
    when a second LED was tracked) in metres (converted as in :func:`read_axona`, NaN where
    untracked, every sample kept), ``starting_time`` 0 and ``rate`` = the ``.pos`` sample rate;
    ``units`` with ``spike_times`` (s), ``unit_name``, ``tetrode``, ``cluster``,
    ``multi_unit`` and ``resolution`` = 1/timebase. :func:`read_nwb` of the file gives the
    session :func:`read_axona` gives. Unlike neuroconv 0.8's Axona interface, values are metres
    (not pixels) and times seconds (not milliseconds).

    Parameters
    ----------
    set_path : path-like
        The trial's ``.set`` file.
    path : path-like
        Target ``.nwb`` file (written atomically).
    tetrodes, cut_files, pixels_per_metre, y_axis, tz
        As in :func:`read_axona`.
    subject : mapping, optional
        NWB ``Subject`` fields (``subject_id``, ``species``, ``sex``, ``age`` ...); Axona files
        record none. Without it the file has no subject (DANDI requires one).
    metadata : mapping, optional
        NWBFile fields overriding those taken from the ``.set`` file (``session_description``,
        ``session_start_time``, ``session_id``, ``experimenter``, ``institution``, ``lab``,
        ``keywords`` ...).
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from pynwb import NWBHDF5IO, H5DataIO, NWBFile
    from pynwb.behavior import Position, SpatialSeries
    from pynwb.file import Subject
    from pynwb.misc import Units

    from hippocore.io._nwb_meta import metadata_from_attrs
    from hippocore.io._nwb_write_meta import META_KEYS, SUBJECT_KEYS

    for given, allowed, what in (
        (metadata, META_KEYS, "metadata"),
        (subject, SUBJECT_KEYS, "subject"),
    ):
        unknown = sorted(set(given or {}) - set(allowed))
        if unknown:
            raise ValueError(f"{what} has unknown key(s) {unknown}; allowed: {list(allowed)}.")
    rec = _load(
        set_path,
        tetrodes=tetrodes,
        cut_files=cut_files,
        pixels_per_metre=pixels_per_metre,
        y_axis=y_axis,
        tz=tz,
    )
    meta = metadata_from_attrs(rec.attrs)
    meta.setdefault(
        "session_description",
        f"Axona dacqUSB recording {rec.base.name}, converted by hippocore {__version__}",
    )
    meta.setdefault("session_start_time", datetime(1900, 1, 1, tzinfo=timezone.utc))
    meta.update(metadata or {})
    if isinstance(meta.get("session_start_time"), str):
        meta["session_start_time"] = datetime.fromisoformat(meta["session_start_time"])
    for key in ("experimenter", "keywords", "related_publications"):
        if isinstance(meta.get(key), str):
            meta[key] = [meta[key]]
    nwbfile = NWBFile(
        identifier=str(uuid.uuid4()),
        subject=Subject(**{k: str(v) for k, v in subject.items()}) if subject else None,
        was_generated_by=[["hippocore", __version__]],
        source_script=f"hippocore {__version__}: hippocore.io.convert_axona_to_nwb",
        source_script_file_name="hippocore/io/_axona.py",
        **meta,
    )
    if rec.time is not None and rec.led1 is not None:
        behavior = nwbfile.create_processing_module(
            name="behavior", description="Axona tracking (.pos), converted to metres"
        )
        n = rec.time.size
        chunk = min(n, 1 << 16) or 1
        leds = [rec.led1] + ([rec.led2] if rec.led2 is not None else [])
        series = [
            SpatialSeries(
                name=f"SpatialSeriesLED{k}",
                description=(
                    f"tracking LED {k} from {rec.base.name}.pos: pixels / {rec.pixels_per_metre:g} "
                    "pixels per metre; NaN where the LED was not tracked (1023) or the camera "
                    "frame was repeated or lost"
                ),
                data=H5DataIO(led, compression="gzip", chunks=(chunk, 2)),
                unit="meters",
                reference_frame=str(rec.frame),
                starting_time=0.0,
                rate=float(rec.rate),
            )
            for k, led in enumerate(leds, start=1)
        ]
        behavior.add(Position(name="Position", spatial_series=series))
    u = rec.units
    if u.names:
        units = Units(
            name="units",
            description=(
                "Axona tetrode spikes: one unit per TINT/KlustaKwik cluster (unit_name "
                "t<tetrode>c<cluster>), or all spikes of an unsorted tetrode as one multi-unit "
                "(t<tetrode>, cluster -1)"
            ),
            resolution=u.resolution,
        )
        units.add_column(
            name="unit_name", description="t<tetrode>c<cluster>, or t<tetrode> unsorted"
        )
        units.add_column(name="tetrode", description="tetrode number (file <trial>.<tetrode>)")
        units.add_column(name="cluster", description="cluster id in the cut file; -1 unsorted")
        units.add_column(name="multi_unit", description="all spikes of an unsorted tetrode")
        for name, train, tet, clu in zip(u.names, u.trains, u.tetrode, u.cluster, strict=True):
            units.add_unit(
                spike_times=train, unit_name=name, tetrode=tet, cluster=clu, multi_unit=clu < 0
            )
        nwbfile.units = units
    with atomic_path(path, overwrite=overwrite) as tmp:
        with NWBHDF5IO(str(tmp), mode="w") as io:
            io.write(nwbfile)
    return Path(path)
