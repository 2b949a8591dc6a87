"""One reader for every format: what a file is (:func:`detect_format`) and its session.

Detection lives here only: :func:`~hippocore.io.inspect_file`, :func:`read_session` and
:func:`find_session_files` (which files of a folder are sessions) all ask
:func:`detect_format`.
"""

from __future__ import annotations

import inspect
import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import xarray as xr

from hippocore.io._common import NoUnitsWarning

__all__ = ["FORMATS", "detect_format", "find_session_files", "read_session"]

#: Formats hippocore reads, as :func:`detect_format` names them.
FORMATS = ("nwb", "kavli-mat", "axona", "netcdf", "zarr")

Format = Literal["nwb", "kavli-mat", "axona", "netcdf", "zarr"]

_KNOWN = "NWB (.nwb), Kavli .mat, Axona .set/.pos, hippocore netCDF (.nc) or zarr (.zarr)"
_CELL = re.compile(r"^(?P<prefix>.+)_[tT]\d+[cC]\d+$")
_REQUIRABLE = ("position", "units")


def _is_zarr(p: Path) -> bool:
    return (p / ".zgroup").exists() or (p / "zarr.json").exists()


def detect_format(path: str | os.PathLike[str]) -> tuple[Format, Path]:
    """Say which format a file is in, from its name and (for HDF5) its header.

    Parameters
    ----------
    path : path-like
        A file, an Axona trial (``.set``/``.pos`` file or the bare trial name) or a zarr
        folder.

    Returns
    -------
    format : {"nwb", "kavli-mat", "axona", "netcdf", "zarr"}
    path : pathlib.Path
        The path to read (an Axona trial's ``.set`` file; otherwise ``path``).

    Raises
    ------
    FileNotFoundError
        If nothing exists at ``path``.
    ValueError
        If it is a folder that is not a zarr store, or a file in no format hippocore reads.
    """
    import h5py

    p = Path(path)
    if p.suffix in (".set", ".pos") or (not p.exists() and p.with_suffix(".set").exists()):
        return "axona", p.with_suffix(".set")
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    if p.is_dir():
        if _is_zarr(p):
            return "zarr", p
        raise ValueError(f"{p} is a folder but not a zarr store; give a file.")
    if p.suffix.lower() == ".mat":
        return "kavli-mat", p
    if h5py.is_hdf5(p):
        try:
            with h5py.File(p, "r") as f:
                is_nwb = "nwb_version" in f.attrs
        except OSError as exc:
            raise ValueError(f"{p}: an HDF5 file that cannot be opened ({exc}).") from None
        return ("nwb" if is_nwb else "netcdf"), p
    raise ValueError(f"{p}: not a format hippocore reads ({_KNOWN}).")


def _folder_sessions(folder: Path) -> tuple[list[Path], list[Path]]:
    """Session files in one folder (not recursive) and the files that are not sessions."""
    sessions, other = [], []
    entries = sorted(folder.iterdir())
    names = {e.name for e in entries}
    for e in entries:
        if e.name.startswith("."):
            continue
        suffix = e.suffix.lower()
        if e.is_dir():
            (sessions if _is_zarr(e) else other).append(e)
        elif suffix in (".nwb", ".nc", ".set"):
            sessions.append(e)
        elif suffix == ".mat":
            cell = _CELL.match(e.stem)
            # A cell file of a <prefix>_POS.mat session is read with its position file.
            if cell and f"{cell.group('prefix')}_POS.mat" in names:
                continue
            sessions.append(e)
        elif suffix == ".pos" or re.fullmatch(r"\.(\d+|cut|clu(\.\d+)?)", suffix) is not None:
            continue  # parts of an Axona trial, read through its .set file
        else:
            other.append(e)
    return sessions, other


def find_session_files(
    paths: Iterable[str | os.PathLike[str]],
) -> tuple[list[Path], list[Path]]:
    """Expand files and folders into the session files they hold, in a stable order.

    A file is kept as given (its format is checked when it is read). A folder contributes
    (not recursively) its ``.nwb``, ``.nc`` and ``.set`` files, its zarr stores and its
    ``.mat`` files except the cell files ``<prefix>_T<n>C<m>.mat`` of a ``<prefix>_POS.mat``
    beside them (they are read with it); Axona trial parts (``.pos``, ``.1`` ..., ``.cut``)
    are read through their ``.set`` file.

    Parameters
    ----------
    paths : iterable of path-like
        Files and folders.

    Returns
    -------
    sessions : list of pathlib.Path
        Session files, each once, folders' files sorted by name.
    ignored : list of pathlib.Path
        Files of the folders that are no session (e.g. README files).

    Raises
    ------
    FileNotFoundError
        If a folder given does not exist (missing files are reported when read).
    """
    sessions: list[Path] = []
    ignored: list[Path] = []
    for path in paths:
        p = Path(path)
        if p.is_dir() and not _is_zarr(p):
            found, other = _folder_sessions(p)
            sessions += found
            ignored += other
        else:
            sessions.append(p)
    unique = list(dict.fromkeys(sessions))
    return unique, ignored


def _reader(fmt: Format) -> Callable[..., xr.Dataset]:
    from hippocore.io import _axona, _kavli, _netcdf, _nwb_read, _zarr

    return {
        "nwb": _nwb_read.read_nwb,
        "kavli-mat": _kavli.read_kavli_mat,
        "axona": _axona.read_axona,
        "netcdf": _netcdf.open_dataset,
        "zarr": _zarr.open_zarr,
    }[fmt]


def _check_options(reader: Callable[..., Any], fmt: str, options: dict[str, Any]) -> None:
    accepted = [
        name
        for name, par in list(inspect.signature(reader).parameters.items())[1:]
        if par.kind in (par.KEYWORD_ONLY, par.POSITIONAL_OR_KEYWORD)
    ]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"option(s) {unknown} do not apply to {fmt} files (read by "
            f"hippocore.io.{reader.__name__}); it accepts {accepted}."
        )


def _has_units(ds: xr.Dataset) -> bool:
    return ds.sizes.get("unit", 0) > 0 and ("spike_time" in ds or "activity" in ds)


def read_session(
    path: str | os.PathLike[str],
    *,
    require: Sequence[str] = ("position", "units"),
    **options: Any,
) -> xr.Dataset:
    """Read any session file hippocore knows, choosing the reader from what the file is.

    NWB -> :func:`read_nwb`; Kavli ``.mat`` -> :func:`read_kavli_mat` (a ``*_POS.mat`` finds
    its cell files ``<prefix>_T<n>C<m>.mat`` beside it; a cell file with its own position is a
    session alone); Axona ``.set`` (or ``.pos``, or the trial name) -> :func:`read_axona`;
    ``.nc`` -> :func:`open_dataset`; zarr -> :func:`open_zarr`. The format is told by
    :func:`detect_format`.

    Parameters
    ----------
    path : path-like
        The session file (or zarr folder).
    require : sequence of {"position", "units"}, default ("position", "units")
        What the session must hold: ``"position"`` (tracking) and ``"units"`` (at least one
        unit with spikes or activity). Give ``()`` to read whatever the file holds.
    **options
        Keyword options of the chosen reader (e.g. ``units=[...]`` for NWB, ``cell_files=``
        for Kavli, ``tetrodes=`` for Axona, ``chunks=`` for netCDF/zarr); an option the reader
        does not take raises an error that lists those it does.

    Returns
    -------
    xarray.Dataset
        The session, as the chosen reader returns it.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        For an unknown format, an option the reader does not take, a dataset that is not a
        session, or a session without a required part (the message names the file and what
        is missing).
    """
    bad = sorted(set(require) - set(_REQUIRABLE))
    if bad:
        raise ValueError(f"require={list(require)} has unknown part(s) {bad}; use {_REQUIRABLE}.")
    fmt, p = detect_format(path)
    reader = _reader(fmt)
    _check_options(reader, fmt, options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NoUnitsWarning)
        ds = reader(p, **options)
    no_units = [w for w in caught if issubclass(w.category, NoUnitsWarning)]
    for w in caught:  # pass every other warning on to the caller
        if "units" not in require or w not in no_units:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    from hippocore.schema import kind_of

    kind = kind_of(ds)
    if kind != "session":
        raise ValueError(f"{p}: holds a {kind} dataset, not a session; give a session file.")
    if "position" in require and "position" not in ds:
        raise ValueError(
            f"{p}: no position (tracking) found; this file cannot be scored spatially "
            "(`hippocore inspect` says what it holds)."
        )
    if "units" in require and not _has_units(ds):
        why = str(no_units[0].message) if no_units else "it holds no spikes or activity"
        raise ValueError(f"{p}: no units: {why}")
    return ds
