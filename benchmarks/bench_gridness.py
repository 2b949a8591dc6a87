"""Benchmark: autocorrelogram + BNT gridness of 1,000 40x40 maps, hippocore vs opexebo.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_gridness.py [--units 1000] [--chunk 100] [--hippocore-only]

opexebo 0.7.2 crashes on numpy >= 2.4, so it runs in its own virtualenv
(``benchmarks/.venv-opexebo``, created on first use with ``pip install opexebo "numpy<2.4"``)
in a subprocess, on the very same maps (passed through a temporary .npy file). Both sides
are timed per unit (opexebo: ``analysis.autocorrelation`` + ``analysis.grid_score``, which
also computes its grid statistics, one unit at a time; hippocore: ``autocorrelogram`` +
``gridness`` on the chunk as one stack, spacing and orientation included). The maps are
processed in chunks, each timed by both tools back to back, so that a shared machine's load
affects both alike; the speed-up is the median of the per-chunk ratios. Both wall-clock and
CPU time (``time.process_time``, which other processes' load inflates less) are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import hippocore
from hippocore.analysis import autocorrelogram, gridness
from hippocore.testing import grid_map

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-opexebo"

OPEXEBO_RUNNER = r"""
import json, sys, time, warnings
import numpy as np
import opexebo
warnings.simplefilter("ignore")
maps = np.load(sys.argv[1])
scores = []
t0, c0 = time.perf_counter(), time.process_time()
for m in maps:
    ac = opexebo.analysis.autocorrelation(m)
    gs, _stats = opexebo.analysis.grid_score(ac)
    scores.append(float(gs))
dt, dc = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"seconds": dt, "cpu_seconds": dc, "scores": scores,
                  "version": opexebo.__version__, "numpy": np.__version__}))
"""


def make_maps(n: int, seed: int = 0) -> np.ndarray:
    """n 40x40 maps: ideal grids (random spacing, orientation, phase) plus noise, some NaN bins."""
    rng = np.random.default_rng(seed)
    maps = np.empty((n, 40, 40))
    for i in range(n):
        s = rng.uniform(0.3, 0.6)
        m = grid_map(
            (40, 40),
            spacing=s,
            orientation=rng.uniform(0, np.pi / 3),
            phase=tuple(rng.uniform(0, 1, 2)),
            field_sigma=0.2 * s,
        )
        maps[i] = m + rng.gamma(1.0, rng.uniform(0.2, 4.0), m.shape)
    maps[:, :2, :2] = np.nan  # an unvisited corner, as in real maps
    return maps


def ensure_venv() -> Path:
    py = VENV / "bin" / "python"
    if not py.exists():
        print(f"creating {VENV} (opexebo + numpy<2.4) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "opexebo", "numpy<2.4"], check=True)
    return py


def run_opexebo(py: Path, maps: np.ndarray) -> dict:
    """Time opexebo on ``maps`` in its own interpreter (import time excluded)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "maps.npy"
        np.save(path, maps)
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH="")
        out = subprocess.run(
            [str(py), "-c", OPEXEBO_RUNNER, str(path)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def hippocore_only(maps: np.ndarray, chunk: int) -> None:
    """Time autocorrelogram + gridness per chunk, as in the paired run, and print the medians."""
    wall, cpu = [], []
    for lo in range(0, len(maps), chunk):
        part = maps[lo : lo + chunk]
        t0, c0 = time.perf_counter(), time.process_time()
        gridness(autocorrelogram(part))
        wall.append((time.perf_counter() - t0) / len(part))
        cpu.append((time.process_time() - c0) / len(part))
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"hippocore: {np.median(wall) * 1e3:.3f} ms/unit wall, {np.median(cpu) * 1e3:.3f} ms/unit "
        f"CPU (medians over {len(wall)} chunks of {chunk}); load average {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--chunk", type=int, default=100, help="units per paired timing")
    ap.add_argument(
        "--hippocore-only",
        action="store_true",
        help="time hippocore alone (no opexebo virtualenv): for before/after comparisons",
    )
    args = ap.parse_args()
    maps = make_maps(args.units)
    if args.hippocore_only:
        hippocore_only(maps, args.chunk)
        return
    py = ensure_venv()

    # Paired timings: each chunk of maps is scored by hippocore and then by opexebo, so both
    # see the same machine load (this 2-core VM is shared); the ratio is taken per chunk.
    ours, theirs, ours_cpu, theirs_cpu, ope_scores, scores = [], [], [], [], [], []
    ope = {}
    for lo in range(0, args.units, args.chunk):
        chunk = maps[lo : lo + args.chunk]
        t0, c0 = time.perf_counter(), time.process_time()
        g = gridness(autocorrelogram(chunk))
        ours.append((time.perf_counter() - t0) / len(chunk))
        ours_cpu.append((time.process_time() - c0) / len(chunk))
        scores.append(g.score)
        ope = run_opexebo(py, chunk)
        theirs.append(ope["seconds"] / len(chunk))
        theirs_cpu.append(ope["cpu_seconds"] / len(chunk))
        ope_scores.extend(ope["scores"])
    ours_a, theirs_a = np.array(ours), np.array(theirs)
    ratio = theirs_a / ours_a
    ours_c, theirs_c = np.array(ours_cpu), np.array(theirs_cpu)
    ratio_c = theirs_c / ours_c
    a, b = np.concatenate(scores), np.array(ope_scores)
    both = np.isfinite(a) & np.isfinite(b)
    close = np.abs(a[both] - b[both]) < 1e-6
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"hippocore {hippocore.__version__}, numpy {np.__version__}; "
        f"opexebo {ope['version']}, numpy {ope['numpy']}"
    )
    print(f"maps: {args.units} x 40x40, {ours_a.size} paired chunks of {args.chunk}")
    print(
        f"hippocore: {np.median(ours_a) * 1e3:.3f} ms/unit median over chunks "
        f"(range {ours_a.min() * 1e3:.3f}-{ours_a.max() * 1e3:.3f}); total {np.sum(ours_a) * args.chunk:.2f} s"
    )
    print(
        f"opexebo  : {np.median(theirs_a) * 1e3:.3f} ms/unit median over chunks "
        f"(range {theirs_a.min() * 1e3:.3f}-{theirs_a.max() * 1e3:.3f}); total {np.sum(theirs_a) * args.chunk:.2f} s"
    )
    print(
        f"speed-up per unit (paired chunks): median {np.median(ratio):.1f}x "
        f"(range {ratio.min():.1f}-{ratio.max():.1f}x); totals {theirs_a.sum() / ours_a.sum():.1f}x"
    )
    print(
        f"CPU time per unit: hippocore {np.median(ours_c) * 1e3:.3f} ms, "
        f"opexebo {np.median(theirs_c) * 1e3:.3f} ms (medians over chunks); speed-up median "
        f"{np.median(ratio_c):.1f}x (range {ratio_c.min():.1f}-{ratio_c.max():.1f}x)"
    )
    print(
        f"scores: hippocore NaN {int(np.isnan(a).sum())}, opexebo NaN {int(np.isnan(b).sum())}; "
        f"both finite {int(both.sum())}, identical (|diff| < 1e-6) {int(close.sum())}, "
        f"median |diff| {np.median(np.abs(a[both] - b[both])):.2e}, "
        f"Pearson r {np.corrcoef(a[both], b[both])[0, 1]:.4f}"
    )


if __name__ == "__main__":
    from _record import recording

    with recording("bench_gridness"):
        main()
