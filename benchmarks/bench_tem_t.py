"""Steps/s of TEM-t training (default config) on this machine, 1 and 2 torch threads.

Run: PYTHONPATH=. python benchmarks/bench_tem_t.py [n_steps] [--warmup N] [--config TOML]
     [--record PATH | --no-record]
(default config unless a TOML is given, e.g. docs/configs/tem-t-v2.toml). Times the real
training loop: ``hippocore.zoo.train`` with ``train.log_every = 1`` and ``train.n_threads``
set, no run folder, so every metrics line times exactly one gradient step as the loop takes
it (next chunk of walks, forward, loss, backward, clipping, Adam step, post-step hook and the
step's accuracy bookkeeping; logging and checkpoints are outside the timed span). Prints the
median time per step over the steps after warm-up, and the time to generate one chunk of
walks (the same stream, timed alone) as a share of it. Writes a JSON record
(``benchmarks/_record.py``).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from hippocore.zoo import TEMTConfig, as_config, get_model, load_toml, train
from hippocore.zoo._data import WalkStream


def step_seconds(cfg: TEMTConfig, n_threads: int, n_steps: int, warmup: int) -> np.ndarray:
    """Seconds of each of the ``n_steps`` gradient steps of ``train`` after ``warmup`` steps."""
    tc = dataclasses.replace(cfg.train, n_steps=warmup + n_steps, log_every=1, n_threads=n_threads)
    result = train(dataclasses.replace(cfg, train=tc), progress=False)
    rates = np.array([line["steps_per_s"] for line in result.metrics[warmup:]], dtype=float)
    return 1.0 / rates


def chunk_seconds(cfg: TEMTConfig, n_steps: int) -> float:
    """Median seconds to generate one chunk of walks of the training stream, timed alone."""
    tc = cfg.train
    actions = get_model("tem-t", cfg).actions
    stream = WalkStream(cfg.env, actions, tc.batch_size, tc.chunk_length, tc.seed)
    times = []
    for i in range(n_steps):
        t0 = time.perf_counter()
        stream.next_chunk(i)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_steps", type=int, nargs="?", default=100, help="timed steps")
    parser.add_argument("--warmup", type=int, default=100, help="untimed steps first")
    parser.add_argument("--config", default=None, help="TEM-t config TOML (default: defaults)")
    args = parser.parse_args()
    cfg = TEMTConfig() if args.config is None else as_config(load_toml(args.config))
    data = chunk_seconds(cfg, args.n_steps)
    figures = {"chunk_ms": data * 1e3}
    for threads in (1, 2):
        med = float(np.median(step_seconds(cfg, threads, args.n_steps, args.warmup)))
        tc, m = cfg.train, cfg.model
        print(
            f"threads={threads} batch={tc.batch_size} chunk={tc.chunk_length} n_e={m.n_e}: "
            f"{1 / med:.2f} steps/s (median {med * 1e3:.1f} ms/step over {args.n_steps} steps "
            f"after {args.warmup} warm-up; data generation {100 * data / med:.1f}%)"
        )
        figures[f"ms_per_step_{threads}_threads"] = med * 1e3
    return figures


if __name__ == "__main__":
    from _record import recording

    with recording("bench_tem_t") as rec:
        rec.figures.update(main())
