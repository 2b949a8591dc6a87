"""Seconds per training step of TEM at torch_tem's default configuration, on one thread.

Run: PYTHONPATH=. python benchmarks/bench_tem.py [n_steps] [--warmup N] [--config TOML]
     [--kernel {auto,torch}] [--profile] [--record PATH | --no-record]

Default config: docs/configs/tem-torch.toml (torch_tem's defaults: batch 16, 20-step
rollouts, 5 modules, 5x5 square world). A step is what ``hippocore.zoo.train`` does per
gradient step: next chunk of walks, forward, loss, backward, gradient clipping, Adam step,
post-step hook. Prints one line per timed step (wall and CPU seconds), then the medians;
the last line reads ``tem: <seconds> s/step (batch 16, rollout 20, 5 modules)`` (wall).
``--kernel torch`` runs the torch code instead of the compiled kernels (the inference pass,
the attractor, the fold). ``--profile`` runs the timed steps under ``torch.profiler`` and
prints its table of operations by self CPU time (the compiled passes show as ``_Infer``,
``_Scan`` and their backwards; the profiler's overhead inflates the timed figures).

Beside the printout it writes a JSON record (``benchmarks/_record.py``: machine, versions,
commit, command, the printout and the figures; ``--record PATH`` / ``--no-record``).
torch_tem's own step, timed the same way, and both commands: docs/results/tem-speed.md.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

import numpy as np
import torch

from hippocore.zoo import as_config, get_model
from hippocore.zoo._data import WalkStream
from hippocore.zoo._train import _adam, train_step

ROOT = Path(__file__).resolve().parents[1]
TORCH_TEM = ROOT / "docs" / "configs" / "tem-torch.toml"


def bench(config: Path, n_steps: int, warmup: int, kernel: str, profile: bool = False) -> dict:
    """Wall and CPU seconds of each training step after ``warmup`` untimed steps."""
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)  # as train() does
    cfg = as_config(config)
    tc = cfg.train
    t0 = time.perf_counter()
    model = get_model("tem", cfg)
    model.kernel = kernel
    compiled = model._layout(False) is not None  # loads (first time: compiles) the kernel
    setup = time.perf_counter() - t0
    opt = _adam(model, tc.lr, torch.device("cpu"))  # the training loop's optimiser
    stream = WalkStream(cfg.env, model.actions, tc.batch_size, tc.chunk_length, tc.seed)
    state = model.initial_state(tc.batch_size)
    wall, cpu = [], []

    def one_step(step: int) -> None:
        nonlocal state
        t0, c0 = time.perf_counter(), time.process_time()
        chunk = stream.next_chunk(step)
        out, _, _ = train_step(model, opt, cfg, chunk, state, step, torch.device("cpu"))
        state = out.state.detach()
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        if step >= warmup:
            wall.append(dt)
            cpu.append(dc)
            print(f"step {step}: {dt:.3f} s (cpu {dc:.3f} s)", flush=True)

    for step in range(warmup):
        one_step(step)
    activities = [torch.profiler.ProfilerActivity.CPU]
    with (
        torch.profiler.profile(activities=activities)
        if profile
        else contextlib.nullcontext() as prof
    ):
        for step in range(warmup, warmup + n_steps):
            one_step(step)
    if profile:
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))
    torch.set_flush_denormal(False)
    return {
        "s_per_step": float(np.median(wall)),
        "cpu_s_per_step": float(np.median(cpu)),
        "wall_s": wall,
        "cpu_s": cpu,
        "warmup_steps": warmup,
        "attractor": "compiled" if compiled else "torch",
        "model_setup_s": setup,
        "batch": tc.batch_size,
        "rollout": tc.chunk_length,
        "modules": cfg.model.n_modules,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_steps", nargs="?", type=int, default=20, help="timed steps")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--config", type=Path, default=TORCH_TEM, help="TEM config TOML")
    parser.add_argument("--kernel", choices=["auto", "torch"], default="auto")
    parser.add_argument(
        "--profile", action="store_true", help="torch.profiler table of the timed steps"
    )
    args = parser.parse_args(argv)
    if args.n_steps < 1 or args.warmup < 0:
        parser.error(f"n_steps must be >= 1 and --warmup >= 0; got {args.n_steps}, {args.warmup}")
    figures = bench(args.config, args.n_steps, args.warmup, args.kernel, args.profile)
    figures["config"] = str(args.config)
    print(f"median cpu {figures['cpu_s_per_step']:.3f} s/step; attractor: {figures['attractor']}")
    print(
        f"tem: {figures['s_per_step']:.3f} s/step (batch {figures['batch']}, rollout "
        f"{figures['rollout']}, {figures['modules']} modules)"
    )
    return figures


if __name__ == "__main__":
    from _record import recording

    with recording("bench_tem") as rec:
        rec.figures.update(main())
