"""Benchmark: autocorrelogram + BNT gridness of 1,000 40x40 maps, hippocore vs opexebo.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_gridness.py [--units 1000] [--opexebo-units 1000]

opexebo 0.7.2 crashes on numpy >= 2.4, so it runs in its own virtualenv
(``benchmarks/.venv-opexebo``, created on first use with ``pip install opexebo "numpy<2.4"``)
in a subprocess, on the very same maps (passed through a temporary .npy file). Both sides
are timed per unit (opexebo: ``analysis.autocorrelation`` + ``analysis.grid_score``, which
also computes its grid statistics, timed in chunks of 100 units; hippocore:
``autocorrelogram`` + ``gridness`` on the whole stack, spacing and orientation included,
repeated ``--repeats`` times). On a shared machine report the median and the best of each.
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
scores, chunks = [], []
for lo in range(0, len(maps), 100):
    t0 = time.perf_counter()
    for m in maps[lo:lo + 100]:
        ac = opexebo.analysis.autocorrelation(m)
        gs, _stats = opexebo.analysis.grid_score(ac)
        scores.append(float(gs))
    chunks.append((time.perf_counter() - t0) / len(maps[lo:lo + 100]))
print(json.dumps({"seconds": float(np.sum(chunks) * 100), "chunks": chunks, "scores": scores,
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--opexebo-units", type=int, default=None, help="default: all units")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of hippocore")
    args = ap.parse_args()
    n_ope = args.units if args.opexebo_units is None else min(args.opexebo_units, args.units)

    maps = make_maps(args.units)
    runs = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        g = gridness(autocorrelogram(maps))
        runs.append((time.perf_counter() - t0) / args.units)

    py = ensure_venv()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "maps.npy"
        np.save(path, maps[:n_ope])
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH="")
        out = subprocess.run(
            [str(py), "-c", OPEXEBO_RUNNER, str(path)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
    ope = json.loads(out.stdout.strip().splitlines()[-1])
    ope_scores = np.array(ope["scores"])

    ope_chunks = np.array(ope["chunks"])
    ope_unit = float(np.mean(ope_chunks))
    ours_unit = float(np.median(runs))
    a, b = g.score[:n_ope], ope_scores
    both = np.isfinite(a) & np.isfinite(b)
    close = np.abs(a[both] - b[both]) < 1e-6
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"hippocore {hippocore.__version__}, numpy {np.__version__}; opexebo {ope['version']}, numpy {ope['numpy']}"
    )
    print(f"maps: {args.units} x 40x40 (opexebo on the first {n_ope})")
    print(
        f"hippocore: {ours_unit * 1e3:.3f} ms/unit median of {len(runs)} runs over all units "
        f"(best {min(runs) * 1e3:.3f}, worst {max(runs) * 1e3:.3f}); one stacked call each"
    )
    print(
        f"opexebo  : {ope_unit * 1e3:.3f} ms/unit mean over {n_ope} units "
        f"(best 100-unit chunk {ope_chunks.min() * 1e3:.3f}, worst {ope_chunks.max() * 1e3:.3f})"
    )
    print(
        f"speed-up per unit: {ope_unit / ours_unit:.1f}x (typical/typical), "
        f"{ope_chunks.min() / min(runs):.1f}x (best/best)"
    )
    print(
        f"scores: hippocore NaN {int(np.isnan(a).sum())}, opexebo NaN {int(np.isnan(b).sum())}; "
        f"both finite {int(both.sum())}, identical (|diff| < 1e-6) {int(close.sum())}, "
        f"median |diff| {np.median(np.abs(a[both] - b[both])):.2e}, "
        f"Pearson r {np.corrcoef(a[both], b[both])[0, 1]:.4f}"
    )


if __name__ == "__main__":
    main()
