"""Benchmark: full classification (all scores + 100 shuffles each) of 100 real-length units.

A 10-minute synthetic session at 50 Hz (hippocore.testing.synthetic_recording: 40 grid, 20 band,
20 place and 20 untuned cells, head direction and speed included) is scored with
hippocore.analysis.shuffle_scores (every score, 100 circular time shifts of >= 20 s) and
labelled with classify. Run from the repository root:

    PYTHONPATH=. python benchmarks/bench_classify.py [--bin-size 0.025] [--units 100]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from hippocore.analysis import classify, shuffle_scores
from hippocore.schema import spike_trains
from hippocore.testing import synthetic_recording

#: The figure before the issue-15 speed work, on this 2-core VM (docs/results/classification-benchmark.md).
PREVIOUS = "40.8 s wall, 40.0 s CPU (commit 5d8bd69, 2026-11-21, load average 1.9)"
GOAL_S = 20.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-size", type=float, default=0.025, help="map bin side (m)")
    parser.add_argument("--units", type=int, default=100, help="number of units (multiple of 5)")
    parser.add_argument("--shuffles", type=int, default=100)
    args = parser.parse_args()
    k = args.units // 5
    ds = synthetic_recording(600, n_grid=2 * k, n_band=k, n_place=k, n_uniform=k, seed=0)
    trains = spike_trains(ds)
    n_spikes = sum(s.size for s in trains)
    start, cpu_start = time.perf_counter(), time.process_time()
    sh = shuffle_scores(
        ds.time.values,
        ds.position.values,
        trains,
        head_direction=ds.head_direction.values,
        speed=ds.speed.values,
        bin_size=args.bin_size,
        limits=(0, 1, 0, 1),
        n_shuffles=args.shuffles,
        seed=0,
    )
    labels = classify(sh).label
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    truth = np.array([{"uniform": "none"}.get(c, c) for c in ds.cell_type.values])
    n_maps = sh.n_units * (args.shuffles + 1)
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"units: {sh.n_units}, samples: {ds.sizes['time']} (10 min at 50 Hz), spikes: {n_spikes}, "
        f"bin size: {args.bin_size} m, map: {sh.rate.shape[1]}x{sh.rate.shape[2]}, "
        f"shuffles: {args.shuffles}, scores: {len(sh.observed)}"
    )
    print(
        f"full classification: {elapsed:.1f} s wall, {cpu:.1f} s CPU "
        f"({elapsed / n_maps * 1e3:.1f} ms per map); load average {os.getloadavg()[0]:.1f}"
    )
    print(f"previous measurement: {PREVIOUS}; goal (issue 15): <= {GOAL_S:.0f} s")
    print(f"labels matching the ground truth: {np.mean(labels == truth) * 100:.0f}%")
    for kind in ("grid", "band", "place", "none"):
        got = labels[truth == kind]
        counts = {k: int(np.sum(got == k)) for k in np.unique(got)}
        print(f"  true {kind}: {counts}")


if __name__ == "__main__":
    from _record import recording

    with recording("bench_classify"):
        main()
