"""Training sweeps (configs x seeds), in process or on Dask; finished runs are skipped.

torch is imported only inside the functions (by ``hippocore.zoo``), never by importing this
module.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SweepRun", "train_sweep", "FINISHED"]

#: Written into a run folder when its training completed (config, step, last metrics).
FINISHED = "finished.json"


@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep.

    Attributes
    ----------
    config : str
        The config file ("" for the default config).
    seed : int
    folder : str
        Its run folder.
    status : {"trained", "skipped", "failed"}
        "skipped": the folder already held a finished run of the same config and seed.
    step : int or None
        Steps trained.
    metrics : dict
        The last metrics line.
    reason : str
        Why it failed.
    """

    config: str
    seed: int
    folder: str
    status: str
    step: int | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


def _document(config: str, seed: int, steps: int | None) -> dict[str, Any]:
    from hippocore.zoo import as_config, config_document

    doc = config_document(as_config(config or None))
    doc["train"]["seed"] = int(seed)
    if steps is not None:
        doc["train"]["n_steps"] = int(steps)
    return doc


def _finished(folder: Path, doc: dict[str, Any]) -> dict[str, Any] | None:
    marker = folder / FINISHED
    if not marker.is_file():
        return None
    try:
        record = json.loads(marker.read_text())
    except (OSError, ValueError):
        return None
    return record if record.get("config") == doc else None


def _train_one(config: str, seed: int, folder: str, doc: dict[str, Any]) -> SweepRun:
    """Train one run (what a worker runs); errors are returned, not raised."""
    from hippocore.io._atomic import atomic_path
    from hippocore.zoo import train

    try:
        result = train(doc, out=folder, resume=True, progress=False)
    except Exception as exc:  # one run's failure is reported; the sweep goes on
        return SweepRun(config, seed, folder, "failed", reason=f"{type(exc).__name__}: {exc}")
    last = {k: v for k, v in (result.metrics[-1] if result.metrics else {}).items()}
    record = {"config": doc, "step": int(result.step), "metrics": last}
    with atomic_path(Path(folder) / FINISHED, overwrite=True) as tmp:
        tmp.write_text(json.dumps(record, default=float))
    return SweepRun(config, seed, folder, "trained", int(result.step), last)


def train_sweep(
    configs: Sequence[str | os.PathLike[str] | None],
    *,
    seeds: Sequence[int],
    out: str | os.PathLike[str],
    steps: int | None = None,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = True,
) -> tuple[SweepRun, ...]:
    """Train every config with every seed, each run in its own folder; skip finished runs.

    Run ``(config, seed)`` trains in ``out/<config stem>-seed<seed>`` (``default`` for the
    default config) with :func:`hippocore.zoo.train` (resumed from a checkpoint there). When
    it completes, ``finished.json`` records its config (seed and steps included), step and
    last metrics; a later sweep skips a run whose folder holds that record for the same
    config. Runs are independent, so they run on Dask as they do here.

    Parameters
    ----------
    configs : sequence of path-like or None
        TOML config files (None: the default config of TEM-t).
    seeds : sequence of int
        ``train.seed`` of each run.
    out : path-like
        Parent folder of the run folders.
    steps : int, optional
        Override ``train.n_steps`` of every config.
    n_jobs : int, default 1
        Processes; more than one starts a local Dask cluster (``pip install hippocore[dask]``).
    scheduler : str, optional
        Address of a running Dask scheduler instead.
    progress : bool, default True
        One progress bar over the runs.

    Returns
    -------
    tuple of SweepRun
        In config order, then seed order.
    """
    from tqdm.auto import tqdm

    if not seeds:
        raise ValueError("seeds is empty; give at least one seed (e.g. --seeds 0 1 2).")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ValueError(f"n_jobs must be an integer >= 1; got {n_jobs!r}.")
    if n_jobs > 1 or scheduler is not None:
        from hippocore.workflows._dask import require_distributed

        require_distributed()
    parent = Path(out)
    plan = []
    for config in configs:
        name = str(config) if config else ""
        stem = Path(name).stem if name else "default"
        for seed in seeds:
            folder = str(parent / f"{stem}-seed{seed}")
            plan.append((name, int(seed), folder, _document(name, seed, steps)))
    runs: dict[int, SweepRun] = {}
    todo = []
    for i, (name, seed, folder, doc) in enumerate(plan):
        record = _finished(Path(folder), doc)
        if record is not None:
            runs[i] = SweepRun(name, seed, folder, "skipped", record["step"], record["metrics"])
        else:
            todo.append(i)
    with tqdm(total=len(plan), desc="training", unit="run", disable=not progress) as bar:
        bar.update(len(runs))
        if todo and (n_jobs > 1 or scheduler is not None):
            from hippocore.workflows._dask import dask_client, require_distributed

            distributed = require_distributed()
            with dask_client(n_jobs, scheduler) as client:
                futures = {client.submit(_train_one, *plan[i], pure=False): i for i in todo}
                for future in distributed.as_completed(futures):
                    i = futures[future]
                    try:
                        runs[i] = future.result()
                    except Exception as exc:  # the worker died
                        runs[i] = SweepRun(*plan[i][:3], "failed", reason=f"Dask: {exc}")
                    bar.update()
        else:
            for i in todo:
                runs[i] = _train_one(*plan[i])
                bar.update()
    return tuple(runs[i] for i in range(len(plan)))
