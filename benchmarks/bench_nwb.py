"""Benchmark: export a 1-hour, 50 Hz session with 1,000 model units to NWB and read it back.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_nwb.py [--minutes 60] [--units 1000] [--out DIR]

The session's activity (place-field-like rates, 1,000 units x 180,000 samples, 720 MB as
float32) is simulated once into an HDF5 file (not timed) and handed to the writer as a dask
array over that file -- the way a model rollout saved to disk is exported -- so the writer
never holds it whole: it streams the activity through hdmf's GenericDataChunkIterator and
samples Poisson (1 ms Bernoulli) spikes block by block. Each phase runs in its own process so that its peak memory
(``ru_maxrss``) is its own: ``write``, ``read`` (everything into memory) and ``read-lazy``
(activity as dask, reduced chunk by chunk).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process, including its threads (dask)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def build_source(path: Path, minutes: float, n_units: int, seed: int = 0) -> None:
    """Simulate a rollout once and store it in an HDF5 file (not timed): the model's output."""
    import h5py

    from hippocore.envs import arena_trajectory

    traj = arena_trajectory(minutes * 60.0, dt=0.02, seed=seed)
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.0, 1.0, (n_units, 2))
    pos = traj.positions
    n = pos.shape[0]
    with h5py.File(path, "w") as f:
        for name in ("time", "positions", "head_direction", "speed"):
            f[name] = getattr(traj, name)
        act = f.create_dataset("activity", (n, n_units), dtype=np.float32, chunks=(4096, n_units))
        for a in range(0, n, 4096):
            b = min(a + 4096, n)
            d2 = ((pos[a:b, None, :] - centres[None]) ** 2).sum(-1)
            act[a:b] = 0.2 + 12.0 * np.exp(-d2 / (2 * 0.1**2))


def build_session(source: Path, seed: int = 0):
    """The session as a model export sees it: activity is a dask array over the HDF5 file."""
    import dask.array as da
    import h5py

    from hippocore.schema import make_session

    f = h5py.File(source, "r")
    n_units = f["activity"].shape[1]
    activity = da.from_array(f["activity"], chunks=(16384, n_units))
    session = make_session(
        f["time"][:],
        f["positions"][:],
        head_direction=f["head_direction"][:],
        speed=f["speed"][:],
        source="model",
        attrs={"model": "benchmark", "seed": seed, "config_json": json.dumps({"n": n_units})},
    )
    n_mem = int(round(0.2 * n_units))
    population = np.array(["memory"] * n_mem + ["position_encoding"] * (n_units - n_mem), object)
    session = session.assign_coords(
        unit=("unit", np.arange(n_units)), population=("unit", population)
    )
    session["activity"] = (("time", "unit"), activity, {"units": "Hz"})
    return session


def phase_write(path: Path, source: Path, level: int) -> dict:
    from hippocore.io import write_nwb

    session = build_session(source)
    t0, c0 = time.perf_counter(), _cpu_s()
    write_nwb(
        session,
        path,
        sample_spikes_from_activity=True,
        seed=1,
        overwrite=True,
        compression_level=level,
    )
    return {
        "seconds": time.perf_counter() - t0,
        "cpu": _cpu_s() - c0,
        "maxrss_mb": _maxrss_mb(),
    }


def phase_read(path: Path) -> dict:
    from hippocore.io import read_nwb

    t0, c0 = time.perf_counter(), _cpu_s()
    ds = read_nwb(path)
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "cpu": _cpu_s() - c0,
        "maxrss_mb": _maxrss_mb(),
        "n_time": ds.sizes["time"],
        "n_unit": ds.sizes["unit"],
        "n_spikes": ds.sizes["spike"],
        "activity_mb": ds.activity.nbytes / 2**20,
    }


def phase_read_lazy(path: Path) -> dict:
    from hippocore.io import read_nwb

    t0, c0 = time.perf_counter(), _cpu_s()
    ds = read_nwb(path, lazy=True)
    mean = ds.activity.mean("time").compute()
    return {
        "seconds": time.perf_counter() - t0,
        "cpu": _cpu_s() - c0,
        "maxrss_mb": _maxrss_mb(),
        "mean_rate_hz": float(mean.mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--level", type=int, default=4, help="gzip level (write_nwb default 4)")
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for the file (default: temp)"
    )
    parser.add_argument("--phase", choices=["write", "read", "read-lazy"], default=None)
    parser.add_argument("--path", type=Path, default=None)
    args = parser.parse_args()
    if args.phase:
        fn = {
            "write": lambda: phase_write(
                args.path, args.path.with_suffix(".source.h5"), args.level
            ),
            "read": lambda: phase_read(args.path),
            "read-lazy": lambda: phase_read_lazy(args.path),
        }[args.phase]
        print(json.dumps(fn()))
        return
    folder = Path(args.out or tempfile.mkdtemp(prefix="hc_bench_nwb_"))
    path = folder / "bench.nwb"
    source = path.with_suffix(".source.h5")
    t0 = time.perf_counter()
    build_source(source, args.minutes, args.units)
    print(f"simulated the source rollout in {time.perf_counter() - t0:.1f} s (not timed below)")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    load = os.getloadavg()[0]
    results = {}
    for phase in ("write", "read", "read-lazy"):
        cmd = [sys.executable, __file__, "--phase", phase, "--path", str(path)]
        cmd += ["--minutes", str(args.minutes), "--units", str(args.units)]
        cmd += ["--level", str(args.level), "--no-record"]  # the parent records the run
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if out.returncode:
            sys.exit(f"phase {phase} failed:\n{out.stderr}")
        results[phase] = json.loads(out.stdout.strip().splitlines()[-1])
    size_mb = path.stat().st_size / 2**20
    n_time = int(args.minutes * 60 / 0.02)
    print(f"session: {args.minutes:g} min at 50 Hz = {n_time} samples x {args.units} units")
    print(f"gzip level {args.level}")
    print(f"python {platform.python_version()}, {platform.platform()}, {os.cpu_count()} cores")
    print(f"file: {path} ({size_mb:.1f} MiB)")
    w, r, lz = results["write"], results["read"], results["read-lazy"]
    print(f"load average before: {load:.1f} (other jobs share the cores; CPU time is ours alone)")
    print("phase                              wall s   CPU s   peak RSS MiB")
    print(
        f"write (activity + Poisson spikes)  {w['seconds']:6.1f}  {w['cpu']:6.1f}   {w['maxrss_mb']:6.0f}"
    )
    print(
        f"read (all in memory)               {r['seconds']:6.1f}  {r['cpu']:6.1f}   {r['maxrss_mb']:6.0f}"
    )
    print(
        f"read lazy + mean over time         {lz['seconds']:6.1f}  {lz['cpu']:6.1f}   {lz['maxrss_mb']:6.0f}"
    )
    print(
        f"write + read: {w['seconds'] + r['seconds']:.1f} s wall, {w['cpu'] + r['cpu']:.1f} s CPU "
        f"(goal < 60 s); activity in memory {r['activity_mb']:.0f} MiB, {r['n_spikes']} spikes"
    )
    source.unlink()
    if args.out is None:
        path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    from _record import recording

    with recording("bench_nwb"):
        main()
