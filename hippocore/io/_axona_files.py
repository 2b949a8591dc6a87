"""Axona raw files: ``.set`` text, ``.pos`` and tetrode binary records, ``.cut``/``.clu`` clusters.

The layout of each file is described in :mod:`hippocore.io._axona`; everything here reads one
file (or one tetrode's pair of files) as stored, in file units, and names the file in its errors.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from hippocore.io._common import DataRepairWarning

__all__ = [
    "UNTRACKED",
    "read_set",
    "binary_file",
    "header_number",
    "Pos",
    "read_pos",
    "TetrodeUnits",
    "tetrode_numbers",
    "read_units",
]

#: Coordinate value of an LED that the tracker did not see.
UNTRACKED = 1023
_DATA_START = b"data_start"
_DATA_END = b"\r\ndata_end"
_POS_FORMAT = "t,x1,y1,x2,y2,numpix1,numpix2"
_TETRODE = re.compile(r"^\d{1,3}$")


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


def binary_file(path: Path) -> tuple[dict[str, str], bytes, bool]:
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


def header_number(header: Mapping[str, str], key: str, path: Path) -> float:
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
class Pos:
    """A ``.pos`` file as stored: frame counters, raw pixel coordinates, header."""

    counter: NDArray[np.int64]
    xy1: NDArray[np.float64]  # pixels, NaN where untracked
    xy2: NDArray[np.float64] | None
    rate: float
    header: dict[str, str]


def read_pos(path: Path) -> Pos:
    header, body, ended = binary_file(path)
    fmt = header.get("pos_format", "")
    if fmt != _POS_FORMAT:
        raise ValueError(
            f"{path}: pos_format {fmt!r} is not supported; hippocore reads dacqUSB's "
            f"{_POS_FORMAT!r}."
        )
    ts_bytes = int(header_number(header, "bytes_per_timestamp", path))
    coord_bytes = int(header_number(header, "bytes_per_coord", path))
    if (ts_bytes, coord_bytes) != (4, 2):
        raise ValueError(
            f"{path}: {ts_bytes}-byte timestamps and {coord_bytes}-byte coordinates are not "
            "supported (dacqUSB writes 4 and 2)."
        )
    n = int(header_number(header, "num_pos_samples", path))
    rate = header_number(header, "sample_rate", path)
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
    return Pos(
        counter=rec["t"].astype(np.int64),
        xy1=led(0, 1),
        xy2=xy2 if np.isfinite(xy2).any() else None,
        rate=rate,
        header=header,
    )


def _spike_times(path: Path) -> tuple[NDArray[np.float64], float, dict[str, str]]:
    """Spike times (s) of a tetrode file, and its timestamp resolution (s)."""
    header, body, ended = binary_file(path)
    n = int(header_number(header, "num_spikes", path))
    chans = int(header_number(header, "num_chans", path))
    ts_bytes = int(header_number(header, "bytes_per_timestamp", path))
    samples = int(header_number(header, "samples_per_spike", path))
    sample_bytes = int(header_number(header, "bytes_per_sample", path))
    timebase = header_number(header, "timebase", path)
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


@dataclass(frozen=True)
class TetrodeUnits:
    names: list[str]
    trains: list[NDArray[np.float64]]
    tetrode: list[int]
    cluster: list[int]
    resolution: float | None
    files: list[str]


def tetrode_numbers(base: Path, wanted: Sequence[int] | None) -> list[int]:
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


def read_units(
    base: Path,
    tetrodes: Sequence[int] | None,
    cut_files: Mapping[int, str | os.PathLike[str]] | str,
) -> TetrodeUnits:
    names: list[str] = []
    trains: list[NDArray[np.float64]] = []
    tet_of: list[int] = []
    cluster_of: list[int] = []
    files: list[str] = []
    resolution = None
    for tet in tetrode_numbers(base, tetrodes):
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
    return TetrodeUnits(names, trains, tet_of, cluster_of, resolution, files)
