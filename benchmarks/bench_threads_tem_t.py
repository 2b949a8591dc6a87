"""torch threads for the zoo's small models: evaluate on a quiet vs a loaded core (issue 11).

Run: OMP_NUM_THREADS= PYTHONPATH=. python benchmarks/bench_threads_tem_t.py [--repeats N]

Times one ``evaluate`` call of the shipped TEM-t (3 hexagonal 9x9 worlds x 1000 steps, as
the demo does) with hippocore's thread choice (``n_threads=None``: 1 unless
OMP_NUM_THREADS says otherwise) and with two threads (torch's default on this 2-core
machine, i.e. what evaluate did before issue 11), each once with the machine as it is and
once while a second process spins on a core (a pure-Python busy loop). Prints the median
wall time of each case and the loaded/unloaded ratio. The demo as a whole is timed from
outside, alternating runs under ``/usr/bin/time -v`` (docs/results/threads.md).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np
import torch

from hippocore.envs import make_world
from hippocore.zoo import evaluate, pretrained


def _time_evaluate(model, n_threads: int | None, repeats: int) -> float:
    worlds = [make_world("hexagonal", 9) for _ in range(3)]
    times = []
    for r in range(repeats):
        t0 = time.perf_counter()
        evaluate(model, worlds, 1000, seed=r, n_threads=n_threads)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    if os.environ.get("OMP_NUM_THREADS"):
        sys.exit("unset OMP_NUM_THREADS (run with OMP_NUM_THREADS= ...): it would decide n_threads")
    torch.set_num_threads(2)  # the caller's setting, as torch starts on this machine
    model = pretrained("tem-t")
    rows = []
    for label, n in (("hippocore default (1 thread)", None), ("2 threads (before)", 2)):
        quiet = _time_evaluate(model, n, args.repeats)
        spin = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            time.sleep(0.5)
            loaded = _time_evaluate(model, n, args.repeats)
        finally:
            spin.kill()
            spin.wait()
        rows.append((label, quiet, loaded))
    print(f"evaluate(pretrained('tem-t'), 3 x hexagonal 9x9, 1000 steps), median of {args.repeats}")
    print(f"{'threads':32s} {'as is (s)':>10s} {'+1 busy core (s)':>17s} {'ratio':>6s}")
    for label, quiet, loaded in rows:
        print(f"{label:32s} {quiet:10.3f} {loaded:17.3f} {loaded / quiet:6.2f}")
    print(f"torch threads after the calls: {torch.get_num_threads()} (the caller's 2)")


if __name__ == "__main__":
    from _record import recording

    with recording("bench_threads_tem_t"):
        main()
