"""Score many session files into one table: in process, or on Dask, with a results cache."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

import pandas as pd

from hippocore.workflows._plan import ScoreOptions, Task, plan_tasks
from hippocore.workflows._score import PROVENANCE, TaskResult, run_task, run_tasks

__all__ = ["FileFailure", "ScoreRun", "score_files"]


@dataclass(frozen=True)
class FileFailure:
    """A file that could not be scored, and why (one line)."""

    path: str
    reason: str


@dataclass(frozen=True)
class ScoreRun:
    """The result of :func:`score_files`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per unit, in file order then unit order: provenance columns (``file``,
        ``session``, ``unit``, ``unit_index``, ``population``, ``source``, ``variable``,
        ``session_seed``), then every score ``s`` with ``s_p95``, ``s_p99`` (shuffle
        thresholds) and ``s_n_finite`` (shuffles with a defined score), ``n_spikes``,
        ``n_fields``, ``note``, ``classify_note``, ``band_label``, ``label`` and ``is_<label>``.
    failures : tuple of FileFailure
        Files skipped, with the reason.
    warnings : tuple of (str, str)
        ``(file, message)`` for each warning raised while reading or scoring.
    ignored : tuple of str
        Files in the folders given that are not sessions.
    parameters : dict
        Every option that changes a number.
    n_files : int
        Session files attempted.
    n_cached : int
        Tasks whose rows came from the cache (not recomputed).
    """

    table: pd.DataFrame
    failures: tuple[FileFailure, ...] = ()
    warnings: tuple[tuple[str, str], ...] = ()
    ignored: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    n_files: int = 0
    n_cached: int = 0

    def summary(self) -> str:
        """A few lines: what was scored, what failed and why."""
        ok = self.n_files - len(self.failures)
        lines = [
            f"scored {len(self.table)} unit(s) from {ok} of {self.n_files} file(s)"
            + (f" ({self.n_cached} chunk(s) from the cache)" if self.n_cached else "")
        ]
        if self.failures:
            lines.append(f"{len(self.failures)} file(s) failed and were skipped:")
            lines += [
                f"  {f.reason}" if f.path in f.reason else f"  {f.path}: {f.reason}"
                for f in self.failures
            ]
        return "\n".join(lines)


class _Cache:
    """Finished task results, one pickle per task key, in a folder (None: no cache)."""

    def __init__(self, folder: str | os.PathLike[str] | None) -> None:
        self.folder = Path(folder) if folder is not None else None

    def get(self, task: Task) -> pd.DataFrame | None:
        if self.folder is None:
            return None
        part = self.folder / f"{task.key}.pkl"
        if not part.is_file():
            return None
        try:
            return pd.read_pickle(part)
        except Exception:  # a part from another pandas version: recompute it
            return None

    def put(self, result: TaskResult) -> None:
        if self.folder is None or result.rows is None:
            return
        from hippocore.io._atomic import atomic_path

        self.folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.folder / f"{result.task.key}.pkl", overwrite=True) as tmp:
            result.rows.to_pickle(tmp)


def _bar(total: int, progress: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="scoring", unit="chunk", disable=not progress)


def _in_process(todo: list[Task], options: ScoreOptions, cache: _Cache, bar: Any) -> Iterator:
    for _, group in groupby(todo, key=lambda t: t.index):
        tasks = list(group)
        for result in run_tasks(tasks, options):
            cache.put(result)
            bar.update()
            yield result


def _on_dask(
    todo: list[Task], options: ScoreOptions, cache: _Cache, bar: Any, n_jobs: int, scheduler
) -> Iterator:
    from hippocore.workflows._dask import dask_client, require_distributed

    distributed = require_distributed()
    with dask_client(n_jobs, scheduler) as client:
        futures = {client.submit(run_task, t, options, pure=False): t for t in todo}
        for future in distributed.as_completed(futures):
            task = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # a worker died or the task could not run there
                result = TaskResult(task, error=f"Dask task failed ({type(exc).__name__}: {exc})")
            cache.put(result)
            bar.update()
            yield result


def _assemble(tasks: list[Task], results: dict[str, TaskResult]) -> pd.DataFrame:
    frames = [results[t.key].rows for t in tasks if results[t.key].rows is not None]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(PROVENANCE))
    table = pd.concat(frames, ignore_index=True)
    for name in table.columns:  # a test some sessions could not run: True/False/<NA>
        if name.startswith("is_") and table[name].dtype == object:
            table[name] = table[name].astype("boolean")
    return table


def score_files(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    bin_size: float,
    smooth: float = 1.0,
    limits: Sequence[float] | None = None,
    n_shuffles: int = 100,
    seed: int = 0,
    populations: Sequence[str] | None = None,
    negative_activity: str = "error",
    unit_chunk: int = 100,
    n_jobs: int = 1,
    scheduler: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    gridness_method: str = "bnt",
    null: str = "per-unit",
) -> ScoreRun:
    """Score and classify every unit of many session files (lab recordings or model exports).

    Each file is read with :func:`hippocore.io.read_session` (NWB, Kavli ``.mat``, Axona,
    netCDF, zarr; folders give the session files in them) and scored with
    :func:`hippocore.analysis.ds.classify`: BNT rate maps, every score, a circular
    time-shift null per unit and the label. Recordings are scored on their spikes, model
    sessions (``source="model"``, or activity without spikes) on their activity.

    The work is split into tasks -- one per session, or per ``unit_chunk`` units of a larger
    one -- that depend only on the files and the options. Each session's seed comes from
    ``seed`` and the file name (:func:`~hippocore.workflows.session_seed`) and every chunk of a
    session uses it, so the shifts are the same for all its units and the numbers do not
    depend on ``n_jobs``, the scheduler or the order the tasks finish in.

    Parameters
    ----------
    paths : path-like or iterable of path-like
        Session files and folders of session files.
    bin_size : float
        Map bin side (m), e.g. 0.025 for a 1 m box; the node spacing for lattice models.
    smooth : float, default 1.0
        Map smoothing (bins, BNT kernel).
    limits : (x_min, x_max, y_min, y_max), optional
        Arena limits (m) of every session; default each session's data range.
    n_shuffles : int, default 100
        Circular time shifts per session (the null of each unit).
    seed : int, default 0
        Seed of the run; sessions' seeds are derived from it.
    populations : sequence of str, optional
        Score only the units of these populations (e.g. ``["position_encoding"]``).
    negative_activity : {"error", "rectify"}, default "error"
        Model activity below 0: the file fails with a message, or is scored as
        ``max(activity, 0)`` (recorded in the ``activity_transform`` column).
    unit_chunk : int, default 100
        Units per task in sessions whose unit count the file header gives (NWB, netCDF,
        zarr); smaller sessions, Kavli and Axona files are one task.
    n_jobs : int, default 1
        Processes. 1 runs here; more start a ``dask.distributed.LocalCluster`` of ``n_jobs``
        single-threaded worker processes (needs ``pip install hippocore[dask]``).
    scheduler : str, optional
        Address of a running Dask scheduler to run on instead (``n_jobs`` is then unused).
    cache_dir : path-like, optional
        Folder for finished tasks' rows (one file per task, keyed by the file's path, size
        and modification time, the unit range and a hash of the options and hippocore
        version); a rerun skips them, so an interrupted run continues where it stopped.
        Default: no cache.
    progress : bool, default True
        Show a tqdm progress bar over the tasks.
    gridness_method : {"bnt", "deepmind"}, default "bnt"
        Grid score: BNT ``gridnessScore`` or DeepMind's grid score (square arenas only);
        recorded in the ``gridness_method`` column.
    null : {"per-unit", "pooled"}, default "per-unit"
        Thresholds (``s_p95``, ``s_p99``, the labels) from each unit's own shuffles, or one
        per score from the shuffles of all scored units of the session pooled (Langston et
        al. 2010); a session is then one task (``unit_chunk`` unused). Recorded in the
        ``null`` column.

    Returns
    -------
    ScoreRun
        ``table`` (one row per unit), ``failures`` (files skipped, with the reason),
        ``warnings``, ``parameters``, ``summary()``.

    Raises
    ------
    ValueError
        For invalid options.
    ImportError
        If ``n_jobs > 1`` or ``scheduler`` is given and dask.distributed is not installed.
    """
    from hippocore.io import find_session_files

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    options = ScoreOptions(
        bin_size=float(bin_size) if isinstance(bin_size, (int, float)) else bin_size,
        smooth=float(smooth),
        limits=tuple(float(v) for v in limits) if limits is not None else None,
        n_shuffles=n_shuffles,
        seed=seed,
        populations=tuple(populations) if populations is not None else None,
        negative_activity=negative_activity,
        unit_chunk=unit_chunk,
        gridness_method=gridness_method,
        null=null,
    )
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ValueError(f"n_jobs must be an integer >= 1; got {n_jobs!r}.")
    if n_jobs > 1 or scheduler is not None:
        from hippocore.workflows._dask import require_distributed

        require_distributed()
    files, ignored = find_session_files(paths)
    tasks = plan_tasks(files, options)
    cache = _Cache(cache_dir)
    results: dict[str, TaskResult] = {}
    for task in tasks:
        rows = cache.get(task)
        if rows is not None:
            results[task.key] = TaskResult(task, rows=rows)
    n_cached = len(results)
    todo = [t for t in tasks if t.key not in results]
    with _bar(len(tasks), progress) as bar:
        bar.update(n_cached)
        if todo and (n_jobs > 1 or scheduler is not None):
            stream = _on_dask(todo, options, cache, bar, n_jobs, scheduler)
        else:
            stream = _in_process(todo, options, cache, bar)
        for result in stream:
            results[result.task.key] = result
    return _finish(tasks, results, files, ignored, options, n_cached)


def _finish(tasks, results, files, ignored, options, n_cached) -> ScoreRun:
    failures: dict[str, str] = {}
    messages: dict[tuple[str, str], None] = {}
    for task in tasks:
        r = results[task.key]
        if r.error is not None:
            failures.setdefault(task.path, r.error)
        for m in r.warnings:
            messages[(task.path, m)] = None
    return ScoreRun(
        table=_assemble(tasks, results),
        failures=tuple(FileFailure(p, why) for p, why in failures.items()),
        warnings=tuple(messages),
        ignored=tuple(str(p) for p in ignored),
        parameters=options.parameters(),
        n_files=len(files),
        n_cached=n_cached,
    )
