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
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from hippocore.io._axona_files import (
    UNTRACKED,
    Pos,
    TetrodeUnits,
    header_number,
    read_pos,
    read_set,
    read_units,
)
from hippocore.io._common import DataRepairWarning, combine_leds, drop_nan_samples
from hippocore.io._kavli import clip_to_tracking
from hippocore.schema import make_session

__all__ = ["read_axona", "UNTRACKED"]


@dataclass(frozen=True)
class Recording:
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
    units: TetrodeUnits
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
            out.append(header_number(settings, set_key, path.with_suffix(".set")))
        elif pos_key in pos_header:
            out.append(header_number(pos_header, pos_key, path))
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


@dataclass(frozen=True)
class _Tracking:
    """The ``.pos`` file's LEDs in metres on the session clock, and how they were placed."""

    time: NDArray[np.float64]
    rate: float
    led1: NDArray[np.float64]  # m, NaN where untracked
    led2: NDArray[np.float64] | None
    pixels_per_metre: float
    window: tuple[float, ...]
    frame: str


def _set_path(set_path: str | os.PathLike[str]) -> Path:
    sp = Path(set_path)
    if sp.suffix != ".set":
        sp = sp.with_suffix(".set") if sp.suffix in (".pos", ".cut") else Path(f"{sp}.set")
    return sp


def _set_attrs(settings: Mapping[str, str], sp: Path, tz: Any) -> dict[str, Any]:
    """Session attrs from the ``.set`` file: trial name, start time, experimenter, comments."""
    base = sp.with_suffix("")
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
        attrs["axona_duration_s"] = header_number(settings, "duration", sp)
    return attrs


def _pixels_per_metre(
    pos: Pos, settings: Mapping[str, str], sp: Path, pos_path: Path, given: float | None
) -> float:
    """Given, else the ``.set`` file's (warning when the ``.pos`` header disagrees), else the ``.pos``'s."""
    set_ppm = settings.get("tracker_pixels_per_metre")
    pos_ppm = pos.header.get("pixels_per_metre")
    if given is not None:
        ppm = float(given)
    elif set_ppm is not None:
        ppm = header_number(settings, "tracker_pixels_per_metre", sp)
        if pos_ppm is not None and header_number(pos.header, "pixels_per_metre", pos_path) != ppm:
            warnings.warn(
                f"{sp.name}: tracker_pixels_per_metre {ppm:g} differs from {pos_path.name}'s "
                f"pixels_per_metre {pos_ppm}; the .set value is used (pass pixels_per_metre= "
                "to choose).",
                DataRepairWarning,
                stacklevel=6,
            )
    elif pos_ppm is not None:
        ppm = header_number(pos.header, "pixels_per_metre", pos_path)
    else:
        raise ValueError(
            f"{sp}: no tracker_pixels_per_metre (nor pixels_per_metre in {pos_path.name}); "
            "pass pixels_per_metre= to convert pixels to metres."
        )
    if not ppm > 0:
        raise ValueError(f"{sp}: pixels per metre {ppm!r} is not positive.")
    return ppm


def _tracking(
    pos: Pos,
    settings: Mapping[str, str],
    sp: Path,
    pos_path: Path,
    *,
    pixels_per_metre: float | None,
    y_axis: str,
) -> _Tracking:
    """The LEDs in metres from the tracking window's corner; bad frames marked untracked."""
    ppm = _pixels_per_metre(pos, settings, sp, pos_path, pixels_per_metre)
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
            stacklevel=5,
        )

    def metres(px: NDArray[np.float64]) -> NDArray[np.float64]:
        xy = px.copy()
        xy[bad] = np.nan
        if y_axis == "up":
            xy[:, 1] = height - xy[:, 1]
        return xy / ppm

    led2 = metres(pos.xy2) if pos.xy2 is not None else None
    frame = (
        f"metres from the {'bottom' if y_axis == 'up' else 'top'}-left corner of the Axona "
        f"tracking window (camera pixels x {window[0]:g}-{window[1]:g}, y {window[2]:g}-"
        f"{window[3]:g}) at {ppm:g} pixels per metre; y grows "
        f"{'upwards (camera rows flipped)' if y_axis == 'up' else 'downwards (camera rows)'}"
    )
    return _Tracking(time, rate, metres(pos.xy1), led2, ppm, window, frame)


def load_trial(
    set_path: str | os.PathLike[str],
    *,
    tetrodes: Sequence[int] | None,
    cut_files: Mapping[int, str | os.PathLike[str]] | str,
    pixels_per_metre: float | None,
    y_axis: str,
    tz: Any,
) -> Recording:
    sp = _set_path(set_path)
    settings = read_set(sp)
    base = sp.with_suffix("")
    if y_axis not in ("up", "down"):
        raise ValueError(f"y_axis must be 'up' or 'down'; got {y_axis!r}.")
    if cut_files not in ("auto", "none") and not isinstance(cut_files, Mapping):
        raise ValueError(
            f"cut_files must be 'auto', 'none' or {{tetrode: path}}; got {cut_files!r}."
        )
    attrs = _set_attrs(settings, sp, tz)
    tr = None
    pos_path = base.with_suffix(".pos")
    if pos_path.exists():
        pos = read_pos(pos_path)
        tr = _tracking(
            pos, settings, sp, pos_path, pixels_per_metre=pixels_per_metre, y_axis=y_axis
        )
        attrs.update(
            {
                "axona_files": f"{sp.name}, {pos_path.name}",
                "pixels_per_metre": tr.pixels_per_metre,
                "tracking_window_px": list(tr.window),
                "reference_frame": tr.frame,
                "position_leds": 2 if tr.led2 is not None else 1,
            }
        )
    units = read_units(base, tetrodes, cut_files)
    if units.files:
        attrs["axona_files"] += ", " + ", ".join(units.files)
    if units.resolution is not None:
        attrs["spike_resolution"] = units.resolution
    if tr is None:
        return Recording(base, settings, None, None, None, None, None, None, None, units, attrs)
    return Recording(
        base, settings, tr.time, tr.rate, tr.led1, tr.led2, tr.pixels_per_metre, tr.window,
        tr.frame, units, attrs,
    )  # fmt: skip


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
    rec = load_trial(
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
