"""CPU time of one TEM-t training chunk (forward + backward) with m memories already stored.

Run: OMP_NUM_THREADS=1 PYTHONPATH=. python docs/results/scripts/tem_t_memory_chunk.py M
     [--repeats 3] [--config docs/configs/tem-t-tem-worlds.toml]

Builds the config's model (seed 0), fills every environment's memory with M random stored
codes and observations (a world late in its life), and times ``--repeats`` chunks of random
actions and observations through the model and a cross-entropy loss's backward on one
thread. Prints the median CPU seconds per chunk, the loss and the sum of |gradient| (two
codes that compute the same thing print the same loss and nearly the same sum).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from hippocore.zoo import as_config, get_model, load_toml, model_name_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("m", type=int, help="memories stored per environment")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--config", default="docs/configs/tem-t-tem-worlds.toml")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cfg = as_config(load_toml(args.config))
    torch.manual_seed(0)
    model = get_model(model_name_of(cfg), cfg)
    b, t_len = cfg.train.batch_size, cfg.train.chunk_length
    gen = torch.Generator().manual_seed(1)
    state = model.initial_state(b)
    state = replace(state, mem_e=0.3 * torch.randn(state.mem_e.shape, generator=gen))
    state.mem_x.random_(0, cfg.env.n_x, generator=gen)
    state.count.fill_(args.m)
    actions = torch.randint(0, 6, (b, t_len), generator=gen)
    obs = torch.randint(0, cfg.env.n_x, (b, t_len), generator=gen)
    reset = torch.zeros(b, dtype=torch.bool)
    times = []
    for _ in range(args.repeats):
        model.zero_grad()
        start = time.process_time()
        out = model(actions, obs, state, reset)
        loss = torch.nn.functional.cross_entropy(out.logits.flatten(0, 1), obs.flatten())
        loss.backward()
        times.append(time.process_time() - start)
    grad = sum(float(p.grad.double().abs().sum()) for p in model.parameters() if p.grad is not None)
    median = sorted(times)[len(times) // 2]
    print(f"m={args.m}: {median:.3f} CPU s/chunk (batch {b}, {t_len} steps); ", end="")
    print(f"loss {loss.item():.9f}, sum |grad| {grad:.9f}")


if __name__ == "__main__":
    main()
