"""Benchmark: score 10 sessions x 100 units in process and on a 2-worker local Dask cluster.

Ten synthetic recordings (hippocore.testing.synthetic_recording: 40 grid, 20 band, 20 place and
20 untuned cells, 50 Hz tracking, head direction and speed; seeds 0-9) are written to netCDF
in a temporary folder (not timed) and scored with hippocore.workflows.score_files (every score,
100 circular time shifts per session, 2.5 cm bins, no cache): once in process (n_jobs=1), once
with n_jobs=2 (a LocalCluster of 2 single-threaded worker processes, started and closed inside
the timed call). The two tables must be identical (np.testing.assert_array_equal on every
numeric column, equality on the others). Also measured: the CPU time of the in-process run and
of the workers (so cores used = CPU / wall shows how much of the 2 cores the run got beside
other jobs), and the serial parts: starting and closing the cluster alone, reading the 10
files, pickling the results. Run from the repository
root:

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_score_dask.py [--duration 180]

Prints the figures and writes them as JSON to docs/results/score-dask.json.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np


def _write_sessions(folder: Path, n: int, duration: float) -> list[Path]:
    from hippocore.io import to_netcdf
    from hippocore.testing import synthetic_recording

    paths = []
    for seed in range(n):
        ds = synthetic_recording(
            duration, n_grid=40, n_band=20, n_place=20, n_uniform=20, seed=seed
        )
        paths.append(to_netcdf(ds, folder / f"session{seed:02d}.nc"))
    return paths


def _cluster_overhead() -> float:
    from hippocore.workflows._dask import dask_client

    start = time.perf_counter()
    with dask_client(2, None) as client:
        client.submit(sum, [1, 2]).result()
    return time.perf_counter() - start


def _children_cpu() -> float:
    """CPU time (s) of finished child processes: the local cluster's workers, once closed."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
        return out.stdout.strip()
    except OSError:
        return ""


def _same(a, b) -> None:  # two DataFrames
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if x.dtype.kind in "fiub":
            np.testing.assert_array_equal(x, y)
        else:
            assert list(x) == list(y), col


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--duration", type=float, default=180.0, help="session length (s)")
    parser.add_argument("--shuffles", type=int, default=100)
    parser.add_argument("--out", default="docs/results/score-dask.json")
    args = parser.parse_args()

    import dask
    import distributed
    import pandas
    import xarray

    from hippocore import __version__
    from hippocore.io import read_session
    from hippocore.workflows import score_files

    opts = {"bin_size": 0.025, "n_shuffles": args.shuffles, "seed": 0, "progress": False}
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        paths = _write_sessions(Path(tmp), args.sessions, args.duration)
        start = time.perf_counter()
        for p in paths:
            read_session(p)
        t_read = time.perf_counter() - start
        start, cpu = time.perf_counter(), time.process_time()
        here = score_files(paths, **opts)
        t_one, cpu_one = time.perf_counter() - start, time.process_time() - cpu
        start, children = time.perf_counter(), _children_cpu()
        two = score_files(paths, n_jobs=2, **opts)
        t_two, cpu_two = time.perf_counter() - start, _children_cpu() - children
    t_cluster = _cluster_overhead()
    _same(here.table, two.table)
    start = time.perf_counter()
    size = len(pickle.dumps(two.table))
    t_pickle = time.perf_counter() - start
    record = {
        "benchmark": "bench_score_dask",
        "machine": f"{platform.platform()}, {os.cpu_count()} cores, {platform.processor()}",
        "load_average_before": [round(v, 2) for v in load],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "versions": {
            "hippocore": __version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pandas.__version__,
            "xarray": xarray.__version__,
            "dask": dask.__version__,
            "distributed": distributed.__version__,
        },
        "git_commit": _git_commit(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "sessions": args.sessions,
        "units_per_session": 100,
        "session_s": args.duration,
        "shuffles": args.shuffles,
        "rows": len(here.table),
        "identical": True,
        "in_process_s": round(t_one, 2),
        "dask_2_workers_s": round(t_two, 2),
        "speed_up": round(t_one / t_two, 3),
        "in_process_cpu_s": round(cpu_one, 2),
        "dask_workers_cpu_s": round(cpu_two, 2),
        "cores_used_in_process": round(cpu_one / t_one, 2),
        "cores_used_by_dask_workers": round(cpu_two / t_two, 2),
        "cluster_start_and_close_s": round(t_cluster, 2),
        "read_all_files_s": round(t_read, 2),
        "pickle_results_s": round(t_pickle, 4),
        "pickled_results_bytes": size,
    }
    for key, value in record.items():
        print(f"{key}: {value}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"record -> {out}")


if __name__ == "__main__":
    from _record import recording

    with recording("bench_score_dask"):
        main()
