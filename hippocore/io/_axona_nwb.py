"""Axona trials to NWB files: LEDs in metres and seconds, one unit per cluster (see :mod:`._axona`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from hippocore._version import __version__
from hippocore.io._atomic import atomic_path
from hippocore.io._axona import Recording, load_trial
from hippocore.io._axona_files import TetrodeUnits

__all__ = ["convert_axona_to_nwb"]


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
    from pynwb import NWBHDF5IO

    from hippocore.io._nwb_write_meta import META_KEYS, SUBJECT_KEYS

    for given, allowed, what in (
        (metadata, META_KEYS, "metadata"),
        (subject, SUBJECT_KEYS, "subject"),
    ):
        unknown = sorted(set(given or {}) - set(allowed))
        if unknown:
            raise ValueError(f"{what} has unknown key(s) {unknown}; allowed: {list(allowed)}.")
    rec = load_trial(
        set_path,
        tetrodes=tetrodes,
        cut_files=cut_files,
        pixels_per_metre=pixels_per_metre,
        y_axis=y_axis,
        tz=tz,
    )
    nwbfile = _new_file(rec, subject, metadata)
    if rec.time is not None and rec.led1 is not None:
        _add_leds(nwbfile, rec)
    if rec.units.names:
        _add_units(nwbfile, rec.units)
    with atomic_path(path, overwrite=overwrite) as tmp:
        with NWBHDF5IO(str(tmp), mode="w") as io:
            io.write(nwbfile)
    return Path(path)


def _new_file(
    rec: Recording, subject: Mapping[str, Any] | None, metadata: Mapping[str, Any] | None
) -> Any:
    """The ``NWBFile``: metadata from the ``.set`` file, overridden by ``metadata``."""
    from pynwb import NWBFile
    from pynwb.file import Subject

    from hippocore.io._nwb_meta import metadata_from_attrs

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
    return NWBFile(
        identifier=str(uuid.uuid4()),
        subject=Subject(**{k: str(v) for k, v in subject.items()}) if subject else None,
        was_generated_by=[["hippocore", __version__]],
        source_script=f"hippocore {__version__}: hippocore.io.convert_axona_to_nwb",
        source_script_file_name="hippocore/io/_axona.py",
        **meta,
    )


def _add_leds(nwbfile: Any, rec: Recording) -> None:
    """One ``SpatialSeries`` per tracked LED (m, NaN where untracked) in ``Position``."""
    from pynwb import H5DataIO
    from pynwb.behavior import Position, SpatialSeries

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


def _add_units(nwbfile: Any, u: TetrodeUnits) -> None:
    """The ``units`` table: one row per cluster (or unsorted tetrode), spike times in s."""
    from pynwb.misc import Units

    units = Units(
        name="units",
        description=(
            "Axona tetrode spikes: one unit per TINT/KlustaKwik cluster (unit_name "
            "t<tetrode>c<cluster>), or all spikes of an unsorted tetrode as one multi-unit "
            "(t<tetrode>, cluster -1)"
        ),
        resolution=u.resolution,
    )
    units.add_column(name="unit_name", description="t<tetrode>c<cluster>, or t<tetrode> unsorted")
    units.add_column(name="tetrode", description="tetrode number (file <trial>.<tetrode>)")
    units.add_column(name="cluster", description="cluster id in the cut file; -1 unsorted")
    units.add_column(name="multi_unit", description="all spikes of an unsorted tetrode")
    for name, train, tet, clu in zip(u.names, u.trains, u.tetrode, u.cluster, strict=True):
        units.add_unit(
            spike_times=train, unit_name=name, tetrode=tet, cluster=clu, multi_unit=clu < 0
        )
    nwbfile.units = units
