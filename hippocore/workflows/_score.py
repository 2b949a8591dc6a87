"""Score one task: read a session file, pick its units, score them, return table rows.

These functions are pure (the result depends only on the task and the options), so any
engine -- a loop here, or Dask workers -- can run them and get the same numbers.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from hippocore.workflows._plan import ScoreOptions, Task

__all__ = [
    "TaskResult",
    "run_task",
    "score_chunk",
    "units_of",
    "lattice_columns",
    "PROVENANCE",
]

#: Provenance columns, first in every table.
PROVENANCE = (
    "file",
    "session",
    "unit",
    "unit_index",
    "population",
    "source",
    "variable",
    "session_seed",
)


@dataclass(frozen=True)
class TaskResult:
    """What a task returns: rows, or the reason it failed, and the warnings raised."""

    task: Task
    rows: pd.DataFrame | None = None
    error: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)


def units_of(session: xr.Dataset, index: np.ndarray) -> xr.Dataset:
    """The session restricted to the units at ``index`` (their spikes re-indexed).

    Parameters
    ----------
    session : xarray.Dataset
        A schema session.
    index : ndarray of int
        Unit positions to keep, increasing.

    Returns
    -------
    xarray.Dataset
    """
    out = session.isel(unit=index)
    if "spike_unit" in session:
        owner = np.asarray(session["spike_unit"].values)
        new = np.full(session.sizes["unit"], -1)
        new[index] = np.arange(index.size)
        keep = np.flatnonzero(new[owner] >= 0) if owner.size else np.zeros(0, int)
        out = out.isel(spike=keep)
        out = out.assign(spike_unit=("spike", new[owner[keep]], session["spike_unit"].attrs))
    return out


def _variable(session: xr.Dataset) -> str:
    """Model sessions are scored on their activity, recordings on their spikes."""
    if "activity" in session and (
        "spike_time" not in session or session.attrs.get("source") == "model"
    ):
        return "activity"
    return "spikes"


def _chosen_units(session: xr.Dataset, task: Task, options: ScoreOptions) -> np.ndarray:
    n = session.sizes.get("unit", 0)
    index = np.arange(n)[task.start : task.stop]
    if options.populations is not None:
        if "population" not in session.coords:
            raise ValueError(
                f"{task.path}: has no population labels; drop the population selection."
            )
        pops = session["population"].values
        known = sorted({str(p) for p in pops})
        if not set(options.populations) & set(known):
            raise ValueError(
                f"{task.path}: none of the populations {list(options.populations)} is in the "
                f"file; it has {known}."
            )
        index = index[np.isin(pops[index].astype(str), list(options.populations))]
    return index


def score_chunk(session: xr.Dataset, task: Task, options: ScoreOptions) -> pd.DataFrame:
    """Score the units of ``task`` in an already read session; one row per unit.

    Parameters
    ----------
    session : xarray.Dataset
        The session of ``task.path``.
    task : Task
        Which units, and the session seed.
    options : ScoreOptions
        Map, shuffle and selection options.

    Returns
    -------
    pandas.DataFrame
        Provenance columns (:data:`PROVENANCE`), then the columns of
        :func:`hippocore.analysis.ds.classify` (every score, ``_p95``, ``_p99``,
        ``_n_finite``, ``n_spikes``, ``n_fields``, notes, labels).
    """
    import hippocore.analysis as ha

    index = _chosen_units(session, task, options)
    if index.size == 0:
        return pd.DataFrame(columns=list(PROVENANCE))
    part = units_of(session, index)
    variable = _variable(part)
    lattice = lattice_columns(part, index, n_shuffles=options.n_shuffles, seed=task.seed)
    if variable == "activity":
        act = part["activity"]
        negative = np.asarray(act.min("time").values) < 0
        if negative.any() and options.negative_activity == "error":
            pops = sorted({str(p) for p in part["population"].values[negative]})
            raise ValueError(
                f"{task.path}: the activity of {int(negative.sum())} unit(s) (population(s) "
                f"{pops}) is negative; spatial information needs rates >= 0. Score it "
                "rectified (negative_activity='rectify', --negative-activity rectify) or "
                "choose other populations (--population)."
            )
        if negative.any():
            part = part.assign(activity=np.maximum(act, 0))
    scores = ha.ds.classify(
        part,
        bin_size=options.bin_size,
        limits=options.limits,
        smooth=options.smooth,
        variable=variable,
        n_shuffles=options.n_shuffles,
        seed=task.seed,
        gridness_method=options.gridness_method,
        null=options.null,
    )
    table = scores.drop_vars([v for v in scores.coords if v != "unit"]).to_dataframe()
    table = table.reset_index(drop=True)
    pops = part["population"].values if "population" in part.coords else [""] * index.size
    head = pd.DataFrame(
        {
            "file": str(task.path),
            "session": str(session.attrs.get("session_id") or Path(task.path).stem),
            "unit": [str(u) for u in part["unit"].values],
            "unit_index": index,
            "population": [str(p) for p in pops],
            "source": str(session.attrs.get("source", "")),
            "variable": variable,
            "session_seed": task.seed,
        }
    )
    if variable == "activity":
        head["activity_transform"] = "rectified" if options.negative_activity == "rectify" else ""
    return pd.concat([head, table] + ([lattice] if lattice is not None else []), axis=1)


def lattice_world(session: xr.Dataset) -> Any | None:
    """The hexagonal lattice a model session was walked on, or None for any other session.

    A session qualifies when its ``environments_json`` attribute (written by
    :func:`hippocore.zoo.rollout`, kept in NWB and netCDF exports) describes exactly one
    hexagonal world; the world is rebuilt from that description.
    """
    import json

    from hippocore.envs import make_world

    if "environments_json" not in session.attrs:
        return None
    envs = json.loads(session.attrs["environments_json"])
    if len(envs) != 1 or envs[0].get("kind") != "hexagonal":
        return None
    e = envs[0]
    return make_world(
        "hexagonal",
        int(e["width"]),
        int(e.get("height", e["width"])),
        stay=bool(e.get("stay", True)),
        spacing=float(e.get("spacing_m", 0.1)),
    )


def lattice_nodes(session: xr.Dataset, world: Any) -> np.ndarray | None:
    """The node of every step: the ``node`` coordinate, or the node at each position.

    NWB exports keep position, not the node index; a model's positions are the node
    coordinates exactly, so each is matched to its node (within 0.1 % of a spacing). None
    when a position is off every node (not a walk of this world).
    """
    if "node" in session.coords:
        return np.asarray(session["node"].values)
    from scipy.spatial import cKDTree

    pos = session["position"].transpose("time", "axis").values
    dist, nodes = cKDTree(np.asarray(world.coords)).query(pos)
    if not np.all(dist <= 1e-3 * world.spacing):
        return None
    return np.asarray(nodes)


def lattice_columns(
    part: xr.Dataset, index: np.ndarray, *, n_shuffles: int, seed: int
) -> pd.DataFrame | None:
    """The controlled lattice grid-unit test of model units on a hexagonal world.

    Rate-map scores of a lattice session (one bin per node) are not the test the zoo's
    results use: :func:`hippocore.analysis.lattice_grid_units` scores gridness on the
    world's own geometry against a rotated-spectrum null (issue 12). For a session of one
    hexagonal world (:func:`lattice_world`) with ``activity``, this adds ``lattice_gridness``,
    ``lattice_gridness_p95`` (the unit's null threshold), ``lattice_n_finite`` (finite
    shuffles of the ``lattice_n_shuffles`` run) and ``is_lattice_grid``; None otherwise. With
    fewer than 100 shuffles (the test's minimum) the columns are NaN / False and
    ``lattice_note`` says why. Each unit's null is drawn from its own seed (the session seed
    and the unit's index in the session), so the result does not depend on how the units
    were chunked.
    """
    from hippocore.analysis import lattice_grid_units
    from hippocore.analysis._lattice_grid import MIN_LATTICE_SHUFFLES

    world = lattice_world(part)
    if world is None or "activity" not in part:
        return None
    n = part.sizes["unit"]
    if n_shuffles < MIN_LATTICE_SHUFFLES:
        return pd.DataFrame(
            {
                "lattice_gridness": np.full(n, np.nan),
                "lattice_gridness_p95": np.full(n, np.nan),
                "lattice_n_finite": np.zeros(n, dtype=int),
                "lattice_n_shuffles": n_shuffles,
                "is_lattice_grid": np.zeros(n, dtype=bool),
                "lattice_note": f"lattice grid test not run: it needs >= "
                f"{MIN_LATTICE_SHUFFLES} shuffles, got {n_shuffles}",
            }
        )
    nodes = lattice_nodes(part, world)
    if nodes is None:
        return None
    act = part["activity"].transpose("time", "unit").values.astype(float)
    # one call for all units; each unit's null comes from its own seed (the session seed and
    # its index in the session), so chunks of a session give the numbers of the whole
    res = lattice_grid_units(
        world, nodes, act, n_shuffles=n_shuffles, seed=seed, unit_seeds=np.asarray(index)
    )
    return pd.DataFrame(
        {
            "lattice_gridness": res.score,
            "lattice_gridness_p95": res.null_threshold,
            "lattice_n_finite": res.n_finite_shuffles.astype(int),
            "lattice_n_shuffles": n_shuffles,
            "is_lattice_grid": res.is_grid.astype(bool),
            "lattice_note": "",
        }
    )


def read_for_scoring(path: str) -> xr.Dataset:
    """Read a session file for scoring (position and units required)."""
    from hippocore.io import read_session

    return read_session(path, require=("position", "units"))


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, (ValueError, FileNotFoundError, OSError)) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run_tasks(
    tasks: list[Task], options: ScoreOptions, session: xr.Dataset | None = None
) -> list[TaskResult]:
    """Run the tasks of one file: read it once (unless given) and score each chunk.

    Errors are returned, not raised (a batch goes on); ``KeyboardInterrupt`` propagates.
    """
    out = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = session if session is not None else read_for_scoring(tasks[0].path)
        except Exception as exc:  # any failure of one file is reported, not fatal
            return [TaskResult(t, error=_reason(exc), warnings=_messages(caught)) for t in tasks]
        read_warnings = _messages(caught)
        for task in tasks:
            del caught[:]
            rows, error = None, None
            try:
                rows = score_chunk(ds, task, options)
            except Exception as exc:  # as above: reported per file
                error = _reason(exc)
            out.append(TaskResult(task, rows, error, read_warnings + _messages(caught)))
    return out


def _messages(caught: list[warnings.WarningMessage]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))


def run_task(task: Task, options: ScoreOptions) -> TaskResult:
    """Run one task from scratch (read its file, score its units); what Dask workers run."""
    return run_tasks([task], options)[0]
