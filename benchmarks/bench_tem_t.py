"""Steps/s of TEM-t training (default config) on this machine, 1 and 2 torch threads.

Run: PYTHONPATH=. python benchmarks/bench_tem_t.py [n_steps] [--config TOML]
(default config unless a TOML is given, e.g. docs/configs/tem-t-v2.toml). Prints the median time per gradient step over the timed steps (after warm-up) and the
share of data generation.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch

from hippocore.zoo import TEMTConfig, as_config, get_model, load_toml
from hippocore.zoo._data import WalkStream
from hippocore.zoo._train import train_step


def bench(n_threads: int, n_steps: int, cfg: TEMTConfig, warmup: int = 100) -> None:
    torch.set_num_threads(n_threads)
    torch.set_flush_denormal(True)
    tc = cfg.train
    model = get_model("tem-t", cfg)
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr)
    stream = WalkStream(cfg.env, model.actions, tc.batch_size, tc.chunk_length, 0)
    state = model.initial_state(tc.batch_size)
    times, data_times = [], []
    for i in range(warmup + n_steps):
        t0 = time.perf_counter()
        chunk = stream.next_chunk(i)
        t1 = time.perf_counter()
        out, _, _ = train_step(model, opt, cfg, chunk, state, i, torch.device("cpu"))
        state = out.state.detach()
        t2 = time.perf_counter()
        if i >= warmup:
            times.append(t2 - t0)
            data_times.append(t1 - t0)
    med = float(np.median(times))
    print(
        f"threads={n_threads} batch={tc.batch_size} chunk={tc.chunk_length} n_e={cfg.model.n_e}: "
        f"{1 / med:.2f} steps/s (median {med * 1e3:.1f} ms/step over {n_steps} steps after "
        f"{warmup} warm-up; data generation {100 * np.sum(data_times) / np.sum(times):.1f}%)"
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    config = TEMTConfig()
    if "--config" in args:
        i = args.index("--config")
        config = as_config(load_toml(args[i + 1]))
        del args[i : i + 2]
    n = int(args[0]) if args else 100
    for threads in (1, 2):
        bench(threads, n, config)
