"""The plan of a scoring run: options, per-session seeds and the tasks (session x unit chunk).

The plan depends only on the files, their unit counts and the options -- never on how many
workers run it -- so in-process and Dask runs score the same chunks with the same seeds.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ScoreOptions", "Task", "session_seed", "count_units", "plan_tasks", "NEGATIVE"]

#: What to do with negative activity (model units): refuse, or rectify (max(a, 0)).
NEGATIVE = ("error", "rectify")
#: Grid scores and nulls a run can use (``hippocore score --method`` / ``--null``).
METHODS = ("bnt", "deepmind")
NULLS = ("per-unit", "pooled")


@dataclass(frozen=True)
class ScoreOptions:
    """Every option of a scoring run that changes a number (see :func:`score_files`)."""

    bin_size: float
    smooth: float = 1.0
    limits: tuple[float, float, float, float] | None = None
    n_shuffles: int = 100
    seed: int = 0
    populations: tuple[str, ...] | None = None
    negative_activity: str = "error"
    unit_chunk: int = 100
    gridness_method: str = "bnt"
    null: str = "per-unit"

    def __post_init__(self) -> None:
        if not (isinstance(self.bin_size, (int, float)) and self.bin_size > 0):
            raise ValueError(f"bin_size must be a positive length in m; got {self.bin_size!r}.")
        for name in ("n_shuffles", "unit_chunk", "seed"):
            value = getattr(self, name)
            low = 0 if name == "seed" else 1
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
        if self.negative_activity not in NEGATIVE:
            raise ValueError(
                f"negative_activity must be one of {NEGATIVE}; got {self.negative_activity!r}."
            )
        for name, choices in (("gridness_method", METHODS), ("null", NULLS)):
            if getattr(self, name) not in choices:
                raise ValueError(f"{name} must be one of {choices}; got {getattr(self, name)!r}.")
        if self.limits is not None and len(self.limits) != 4:
            raise ValueError(
                f"limits must be (x_min, x_max, y_min, y_max) in m; got {self.limits}."
            )

    def parameters(self) -> dict[str, Any]:
        """The options as a JSON-safe dict (recorded with the results)."""
        out = asdict(self)
        out["limits"] = list(self.limits) if self.limits is not None else None
        out["populations"] = list(self.populations) if self.populations is not None else None
        return out

    def digest(self) -> str:
        """A hash of the options and the hippocore version (keys of the results cache)."""
        from hippocore._version import __version__

        text = json.dumps({**self.parameters(), "hippocore": __version__}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Task:
    """One unit of work: units ``start:stop`` (file order) of one session file.

    Attributes
    ----------
    path : str
        The session file.
    index : int
        Position of the file in the run (rows come out in file order).
    start, stop : int
        Unit range; ``stop`` None means to the last unit.
    seed : int
        The session's seed (:func:`session_seed`); the same for every chunk of the file.
    key : str
        Cache key: file path, size and modification time, unit range and options digest.
    """

    path: str
    index: int
    start: int
    stop: int | None
    seed: int
    key: str


def session_seed(seed: int, path: str | os.PathLike[str]) -> int:
    """The seed of one session: derived from the run's ``seed`` and the file's name.

    Only the file name counts (not its folder), so moving a folder does not change the
    numbers; the derivation is ``numpy.random.SeedSequence([seed, *sha256(name) words])``.

    Parameters
    ----------
    seed : int
        The run's seed.
    path : path-like
        The session file.

    Returns
    -------
    int
        A 32-bit seed.
    """
    digest = hashlib.sha256(Path(path).name.encode()).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    return int(np.random.SeedSequence([int(seed), *words]).generate_state(1)[0])


def count_units(path: str | os.PathLike[str]) -> int | None:
    """Number of units of a session file from its header only; None when it cannot be told.

    Used to split large sessions into unit chunks; a file that cannot be counted (or read)
    becomes one task, and reading it reports the problem.
    """
    import h5py

    from hippocore.io import detect_format

    try:
        fmt, p = detect_format(path)
        if fmt == "nwb":
            with h5py.File(p, "r") as f:
                return int(f["units/id"].shape[0]) if "units/id" in f else 0
        if fmt in ("netcdf", "zarr"):
            import xarray as xr

            opened = (
                xr.open_zarr(p, zarr_format=2)
                if fmt == "zarr"
                else xr.open_dataset(p, engine="h5netcdf")
            )
            with opened as ds:
                return int(ds.sizes.get("unit", 0))
    except (OSError, ValueError, KeyError):
        return None
    return None  # Kavli and Axona sessions are small: one task each


def _file_stamp(path: Path) -> str:
    try:
        st = path.stat()
        return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    except OSError:
        return f"{path.resolve()}|missing"


def plan_tasks(paths: list[Path], options: ScoreOptions) -> list[Task]:
    """Split the files into tasks: one per session, or per ``unit_chunk`` units of a session.

    With a pooled null (``options.null == "pooled"``) every session is one task, so the pool
    holds all its units and the thresholds do not depend on ``unit_chunk``.

    Parameters
    ----------
    paths : list of pathlib.Path
        Session files, in run order.
    options : ScoreOptions
        The run's options.

    Returns
    -------
    list of Task
        In file order, then unit order.
    """
    digest = options.digest()
    tasks = []
    for index, path in enumerate(paths):
        n = count_units(path)
        size = options.unit_chunk
        # a pooled null takes every unit of the session: one task, whatever unit_chunk says
        whole = not n or n <= size or options.null == "pooled"
        bounds = [(0, None)] if whole else [(s, s + size) for s in range(0, n, size)]
        seed = session_seed(options.seed, path)
        stamp = _file_stamp(path)
        for start, stop in bounds:
            text = f"{stamp}|{start}:{stop}|{seed}|{digest}"
            key = hashlib.sha256(text.encode()).hexdigest()[:32]
            tasks.append(Task(str(path), index, start, stop, seed, key))
    return tasks
