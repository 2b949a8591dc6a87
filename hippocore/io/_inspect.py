"""What a file holds and what hippocore can compute from it (``hippocore inspect FILE``)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FileSummary", "inspect_file"]

_SPATIAL = (
    "rate maps and spatial autocorrelograms; grid (gridness), band, border and place-field "
    "scores; spatial information; stability; shuffled nulls and cell classification"
)


@dataclass(frozen=True)
class FileSummary:
    """What a file holds, what is missing and what hippocore can compute from it.

    Attributes
    ----------
    path : str
        The file inspected.
    format : str
        "nwb", "axona", "kavli-mat", "netcdf" or "zarr".
    holds : dict of str to str
        One line per kind of content (position, head direction, speed, units, activity,
        intervals, metadata), in words.
    missing : list of str
        What a session of this file will lack (e.g. "position").
    analyses : list of str
        What hippocore can compute from it.
    notes : list of str
        Problems and hints (ambiguous position, unsupported units ...).
    reader : str
        The call that reads the file into a session.
    """

    path: str
    format: str
    holds: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    analyses: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reader: str = ""

    def to_json(self) -> str:
        """The summary as a JSON object."""
        return json.dumps(asdict(self), indent=2)

    def __str__(self) -> str:
        width = max((len(k) for k in self.holds), default=0)
        lines = [f"{self.path} ({self.format})", "holds:"]
        lines += [f"  {k.ljust(width)}  {v}" for k, v in self.holds.items()]
        lines.append("missing: " + (", ".join(self.missing) if self.missing else "nothing"))
        lines.append("hippocore can compute:")
        lines += [f"  - {a}" for a in self.analyses] or ["  - nothing (no units and no position)"]
        lines += [f"note: {n}" for n in self.notes]
        if self.reader:
            lines.append(f"read it with: {self.reader}")
        return "\n".join(lines)


def _analyses(
    *, position: bool, head_direction: bool, speed: bool, units: bool, two_leds: bool = False
) -> list[str]:
    out = []
    if position and units:
        out.append(_SPATIAL + " (position + units)")
    if (head_direction or two_leds) and units:
        out.append(
            "head-direction tuning curves, mean vector length and preferred direction "
            "(head direction + units)"
        )
    if speed and units:
        out.append("speed scores (speed + units)")
    if position and not units:
        out.append("occupancy maps and trajectory (position only; no units to score)")
    if units and not position:
        out.append("spike counts and rates per unit and epoch (units without position)")
    return out


def _missing(*, position: bool, head_direction: bool, speed: bool, units: bool) -> list[str]:
    names = {"position": position, "head direction": head_direction, "speed": speed}
    names["units (spikes or activity)"] = units
    return [k for k, ok in names.items() if not ok]


def _series_words(series: Any) -> str:
    shape = tuple(series.data.shape)
    n = shape[0] if shape else 0
    if series.timestamps is not None:
        ts = series.timestamps
        ts = getattr(ts, "timestamps", ts)  # linked from another series
        span = float(ts[n - 1] - ts[0]) if n else 0.0
        clock = f"timestamps over {span:.1f} s"
    else:
        clock = (
            f"{series.rate:g} Hz from {series.starting_time or 0.0:g} s ({n / series.rate:.1f} s)"
        )
    cols = 1 if len(shape) == 1 else shape[1]
    conv = f", conversion {series.conversion:g}" if series.conversion != 1.0 else ""
    return f"{n} samples, {cols} column(s) in {series.unit}{conv}, {clock}"


_NWB_META_FIELDS = (
    "experimenter",
    "institution",
    "lab",
    "experiment_description",
    "session_id",
    "keywords",
    "related_publications",
    "protocol",
    "notes",
)


def _nwb_position(nwb: Any, label: str, notes: list[str]) -> tuple[str, str]:
    """What the file's position series are, and how read_nwb reads them (its mode)."""
    from pynwb.behavior import Position

    from hippocore.io._nwb_series import find_by_type, position_series

    all_pos = [
        (f"{w}/{n}", s) for w, c in find_by_type(nwb, Position) for n, s in c.spatial_series.items()
    ]
    try:
        mode = position_series(nwb, None, label)[1]
    except ValueError as exc:
        mode = "ambiguous"
        notes.append(str(exc).replace(f"{label}: ", ""))
    if not all_pos:
        return "none", mode
    words = "; ".join(f"{w}: {_series_words(s)}" for w, s in all_pos)
    if mode == "leds":
        words += " (two LEDs: midpoint and head direction)"
    elif mode == "xy":
        words += " (one-column x and y series)"
    return words, mode


def _nwb_units(nwb: Any) -> tuple[str, int]:
    """The units table in words, and its spike count."""
    if nwb.units is None or not len(nwb.units):
        return "none", 0
    n_units = len(nwb.units)
    if "spike_times" not in nwb.units.colnames:
        return f"{n_units} units without spike_times", 0
    ends = nwb.units["spike_times"].data
    n_spikes = int(ends[-1]) if len(ends) else 0
    res = nwb.units.resolution
    res_text = f", resolution {res:g} s" if res is not None and np.isfinite(res) else ""
    return f"{n_units} units, {n_spikes} spikes{res_text}", n_spikes


def _nwb_metadata(nwb: Any) -> str:
    meta = [
        k
        for k in _NWB_META_FIELDS
        if getattr(nwb, k, None) is not None and len(getattr(nwb, k)) > 0
    ]
    if nwb.subject is not None:
        species = nwb.subject.species or "species unknown"
        meta.append(f"subject {nwb.subject.subject_id} ({species})")
    return ", ".join(meta) if meta else "none"


def _inspect_nwb(path: Path) -> FileSummary:
    import warnings

    from hippocore.io._nwb_read import open_nwb, session_layout
    from hippocore.io._nwb_series import compass_series, speed_series

    holds: dict[str, str] = {}
    notes: list[str] = []
    label = path.name
    with open_nwb(path) as io:
        nwb = io.read()
        layout = session_layout(nwb)
        holds["position"], mode = _nwb_position(nwb, label, notes)
        compass = compass_series(nwb, label)
        holds["head direction"] = (
            f"{compass[0]}: {_series_words(compass[1])}" if compass else "none"
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            speed = speed_series(nwb, label)
        notes += [str(w.message).replace(f"{label}: ", "") for w in caught]
        holds["speed"] = f"{speed[0]}: {_series_words(speed[1])}" if speed else "none"
        holds["units"], n_spikes = _nwb_units(nwb)
        activity = bool(layout and layout.get("activity_series"))
        if activity:
            holds["activity"] = ", ".join(
                f"processing/misc/{s}" for s in layout["activity_series"].values()
            )
        tables = [f"{name} ({len(t)} rows)" for name, t in nwb.intervals.items()]
        holds["intervals"] = ", ".join(tables) if tables else "none"
        holds["metadata"] = _nwb_metadata(nwb)
        if layout is not None:
            holds["written by"] = "hippocore.io.write_nwb (reads back identical)"
    position = mode in ("one", "leds", "xy")
    units = n_spikes > 0 or activity
    hd = compass is not None or mode == "leds"
    return FileSummary(
        path=str(path),
        format="nwb",
        holds=holds,
        missing=_missing(
            position=position, head_direction=hd, speed=speed is not None, units=units
        ),
        analyses=_analyses(
            position=position, head_direction=hd, speed=speed is not None, units=units
        ),
        notes=notes,
        reader=f"hippocore.io.read_nwb({str(path)!r})",
    )


def _inspect_axona(path: Path) -> FileSummary:
    from hippocore.io._axona_files import binary_file, header_number, read_set, tetrode_numbers

    set_path = path.with_suffix(".set")
    settings = read_set(set_path)
    base = set_path.with_suffix("")
    holds: dict[str, str] = {}
    notes: list[str] = []
    pos_path = base.with_suffix(".pos")
    position = False
    if pos_path.exists():
        header, _, _ = binary_file(pos_path)
        n = int(header_number(header, "num_pos_samples", pos_path))
        rate = header_number(header, "sample_rate", pos_path)
        ppm = settings.get("tracker_pixels_per_metre") or header.get("pixels_per_metre", "?")
        leds = int(settings.get("colactive_1", "1") == "1") + int(
            settings.get("colactive_2", "0") == "1"
        )
        holds["position"] = (
            f"{pos_path.name}: {n} samples at {rate:g} Hz ({n / rate:.1f} s), {leds} LED(s), "
            f"{ppm} pixels per metre"
        )
        position = n > 0
    else:
        holds["position"] = "none (no .pos file)"
    spikes = []
    for tet in tetrode_numbers(base, None):
        tpath = base.parent / f"{base.name}.{tet}"
        header, _, _ = binary_file(tpath)
        n = int(header_number(header, "num_spikes", tpath))
        cut = base.parent / f"{base.name}_{tet}.cut"
        clu = base.parent / f"{base.name}.clu.{tet}"
        sorted_by = cut.name if cut.exists() else clu.name if clu.exists() else "unsorted"
        spikes.append((tet, n, sorted_by))
    holds["units"] = (
        "; ".join(f"tetrode {t}: {n} spikes ({s})" for t, n, s in spikes) if spikes else "none"
    )
    holds["metadata"] = ", ".join(
        f"{k} {settings[k]!r}"
        for k in ("trial_date", "trial_time", "experimenter", "duration")
        if settings.get(k)
    )
    units = sum(n for _, n, _ in spikes) > 0
    two = position and settings.get("colactive_2", "0") == "1"
    return FileSummary(
        path=str(path),
        format="axona",
        holds=holds,
        missing=_missing(position=position, head_direction=two, speed=False, units=units),
        analyses=_analyses(
            position=position, head_direction=False, speed=False, units=units, two_leds=two
        ),
        notes=notes,
        reader=f"hippocore.io.read_axona({str(set_path)!r})",
    )


def _inspect_mat(path: Path) -> FileSummary:
    from hippocore.io._kavli import _loadmat

    data = _loadmat(path)
    keys = sorted(data)
    position = {"t", "x1", "y1"} <= set(keys) or {"post", "posx", "posy"} <= set(keys)
    units = "ts" in keys or "cellTS" in keys
    holds = {"variables": ", ".join(keys)}
    if position:
        t = np.asarray(data.get("t", data.get("post")), dtype=float).reshape(-1)
        holds["position"] = (
            f"{t.size} samples over {t[-1] - t[0]:.1f} s (cm)" if t.size else "empty"
        )
    cells = []
    if path.stem.upper().endswith("_POS"):
        prefix = path.stem[:-4]
        cells = sorted(p.name for p in path.parent.glob(f"{prefix}_*.mat") if p != path)
        units = units or bool(cells)
    holds["units"] = ", ".join(cells) if cells else ("one cell (ts)" if units else "none")
    second = data.get("x2", data.get("posx2"))
    two = second is not None and bool(np.isfinite(np.asarray(second, dtype=float)).any())
    return FileSummary(
        path=str(path),
        format="kavli-mat",
        holds=holds,
        missing=_missing(position=position, head_direction=two, speed=False, units=units),
        analyses=_analyses(
            position=position, head_direction=False, speed=False, units=units, two_leds=two
        ),
        reader=f"hippocore.io.read_kavli_mat({str(path)!r})",
    )


def _inspect_dataset(path: Path, fmt: str) -> FileSummary:
    import xarray as xr

    from hippocore.schema import kind_of, missing

    if fmt == "zarr":
        ds = xr.open_zarr(path)
        reader = f"hippocore.io.open_zarr({str(path)!r})"
    else:
        ds = xr.open_dataset(path, engine="h5netcdf")
        reader = f"hippocore.io.open_dataset({str(path)!r})"
    with ds:
        try:
            kind = kind_of(ds)
        except ValueError:
            kind = "unknown"
        holds = {"kind": kind, "dims": ", ".join(f"{k}={v}" for k, v in ds.sizes.items())}
        holds["variables"] = ", ".join(sorted(map(str, ds.data_vars)))
        position = "position" in ds
        units = "spike_time" in ds or "activity" in ds
        hd, speed = "head_direction" in ds, "speed" in ds
        gone = missing(ds) if kind == "session" else []
    analyses = []
    if kind == "session":
        analyses = _analyses(position=position, head_direction=hd, speed=speed, units=units)
    elif kind == "rate_maps":
        analyses = ["grid, band, border and place scores of the maps (ds.hc.gridness, ...)"]
    return FileSummary(
        path=str(path),
        format=fmt,
        holds=holds,
        missing=gone
        or (
            _missing(position=position, head_direction=hd, speed=speed, units=units)
            if kind == "session"
            else []
        ),
        analyses=analyses,
        reader=reader,
    )


def inspect_file(path: str | os.PathLike[str]) -> FileSummary:
    """Say what a file holds and what hippocore can compute from it, without reading its data.

    Recognises NWB 2 files, Axona trials (a ``.set`` or ``.pos`` file, or the trial name),
    Kavli/Moser ``.mat`` files, and hippocore netCDF (``.nc``) and zarr (``.zarr``) datasets.
    Only headers, shapes and metadata are read.

    Parameters
    ----------
    path : path-like
        The file (or zarr folder).

    Returns
    -------
    FileSummary
        ``print(summary)`` gives a readable report; ``summary.to_json()`` the same as JSON.

    Raises
    ------
    FileNotFoundError
        If nothing exists at ``path``.
    ValueError
        If the format is not one hippocore reads (the message names the file and the formats).
    """
    from hippocore.io._read import detect_format

    fmt, p = detect_format(path)
    if fmt == "axona":
        return _inspect_axona(Path(path))
    if fmt == "kavli-mat":
        return _inspect_mat(p)
    if fmt == "nwb":
        return _inspect_nwb(p)
    return _inspect_dataset(p, fmt)
