"""Seconds per training step of TEM at torch_tem's default configuration, on one thread.

Run: PYTHONPATH=. python benchmarks/bench_tem.py [n_steps] [--warmup N] [--config TOML]

Default config: docs/configs/tem-torch.toml (torch_tem's defaults: batch 16, 20-step
rollouts, 5 modules, 5x5 square world). A step is what ``hippocore.zoo.train`` does per
gradient step: next chunk of walks, forward, loss, backward, gradient clipping, Adam step,
post-step hook. Prints one line per timed step, then the median; the last line reads
``tem: <seconds> s/step (batch 16, rollout 20, 5 modules)``. torch_tem's own step, timed
the same way, and both commands: docs/results/tem-speed.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from hippocore.zoo import as_config, get_model
from hippocore.zoo._data import WalkStream
from hippocore.zoo._train import train_step

TORCH_TEM = Path(__file__).parents[1] / "docs" / "configs" / "tem-torch.toml"


def bench(config: Path, n_steps: int, warmup: int) -> float:
    """Median wall seconds per training step after ``warmup`` untimed steps."""
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)  # as train() does
    cfg = as_config(config)
    tc = cfg.train
    model = get_model("tem", cfg)
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr)
    stream = WalkStream(cfg.env, model.actions, tc.batch_size, tc.chunk_length, tc.seed)
    state = model.initial_state(tc.batch_size)
    times = []
    for step in range(warmup + n_steps):
        t0 = time.perf_counter()
        chunk = stream.next_chunk(step)
        out, _, _ = train_step(model, opt, cfg, chunk, state, step, torch.device("cpu"))
        state = out.state.detach()
        dt = time.perf_counter() - t0
        if step >= warmup:
            times.append(dt)
            print(f"step {step}: {dt:.3f} s", flush=True)
    torch.set_flush_denormal(False)
    return float(np.median(times))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_steps", nargs="?", type=int, default=20, help="timed steps")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--config", type=Path, default=TORCH_TEM, help="TEM config TOML")
    args = parser.parse_args()
    cfg = as_config(args.config)
    seconds = bench(args.config, args.n_steps, args.warmup)
    print(
        f"tem: {seconds:.3f} s/step (batch {cfg.train.batch_size}, rollout "
        f"{cfg.train.chunk_length}, {cfg.model.n_modules} modules)"
    )
