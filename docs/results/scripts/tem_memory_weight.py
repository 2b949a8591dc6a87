"""How much TEM's inferred g leans on its memory: the precision weight of the memory's g.

Run: PYTHONPATH=. python docs/results/scripts/tem_memory_weight.py CHECKPOINT|pretrained:tem
     [--widths 8 9 10 11] [--steps 2000] [--seed 0]
TEM infers g by precision weighting (docs/zoo.md, TEM): the path-integrated g with its sigma,
and the memory's estimate (``memory_to_g`` of the p its inference memory retrieves from the
senses) with its own. For one walk per width (twice over; fresh hexagonal worlds, the model's
walk statistics), at every revisit and g unit: the weight of the memory's estimate,
``s_mem^-2 / (s_mem^-2 + s_path^-2)`` (median, mean, per-module medians;
``hippocore.zoo._tem_diagnostics.memory_weight``, which ``benchmarks/bench_triple.py`` uses
for TEM-3 too), and the estimate's cosine with
the inferred g, at revisits and first visits. A TEM whose memory corrects path-integration
drift gives its memory weight at revisits and a memory estimate close to g there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remap_tem_t import load  # noqa: E402

from hippocore.envs import make_world  # noqa: E402
from hippocore.zoo._data import action_vocabulary, env_episode  # noqa: E402
from hippocore.zoo._tem_diagnostics import memory_weight  # noqa: E402


@torch.no_grad()
def memory_weights(model, episodes) -> dict[str, np.ndarray]:
    """Per step (b, T, ...): ``weight`` (n_g) of the memory's g, ``cos`` of its g with g."""
    acts = torch.from_numpy(np.stack([e.actions for e in episodes]))
    obs = torch.from_numpy(np.stack([e.observations for e in episodes]))
    b, n = acts.shape
    state, reset = model.initial_state(b), torch.ones(b, dtype=torch.bool)
    p2g_use = model.schedule(model.trained_steps).p2g_use
    chunk = model.config.train.chunk_length
    parts: dict[str, list[np.ndarray]] = {"weight": [], "cos": []}
    for s in range(0, n, chunk):
        sl = slice(s, s + chunk)
        out = model(acts[:, sl], obs[:, sl], state, reset, populations=True)
        reset = torch.zeros_like(reset)
        x = torch.nn.functional.one_hot(obs[:, sl], model.config.env.n_x).float()
        g_prev = torch.cat([state.g[:, None], out.g[:, :-1]], 1)
        g_mem, weight = memory_weight(model, g_prev, out.p_x, x, p2g_use)
        parts["weight"].append(weight.numpy())
        parts["cos"].append(torch.nn.functional.cosine_similarity(g_mem, out.g, dim=-1).numpy())
        state = out.state
    return {k: np.concatenate(v, 1) for k, v in parts.items()}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--widths", type=int, nargs="+", default=[8, 9, 10, 11])
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    model = load(a.model).eval()
    if getattr(model, "model_name", "") != "tem":
        raise SystemExit(f"{a.model} holds a {model.model_name!r} model; this script reads TEM's g")
    rng = np.random.default_rng(a.seed)
    vocab = action_vocabulary(tuple(model.config.env.kinds))
    worlds = [make_world("hexagonal", w) for w in a.widths * 2]
    eps = [env_episode(w, a.steps, vocab, model.config.env, rng=rng) for w in worlds]
    res = memory_weights(model, eps)
    rev = np.stack([e.revisit for e in eps])
    first = ~rev
    first[:, 0] = False  # the first step has no g before it
    w = res["weight"][rev]
    modules = np.repeat(np.arange(len(model.config.model.n_grids)), model.config.model.n_grids)
    per_module = [float(np.median(w[:, modules == f])) for f in np.unique(modules)]
    print(
        f"{a.model} (step {model.trained_steps}): {len(eps)} walks of {a.steps} steps in "
        f"hexagonal worlds {a.widths} wide (x2), seed {a.seed}; {int(rev.sum())} revisits"
    )
    print(f"  memory's weight in g at revisits: median {np.median(w):.4f}, mean {w.mean():.4f}")
    print("  per-module medians: " + ", ".join(f"{v:.4f}" for v in per_module))
    print(
        f"  cosine of the memory's g with the inferred g: revisits {res['cos'][rev].mean():.3f}, "
        f"first visits {res['cos'][first].mean():.3f}"
    )


if __name__ == "__main__":
    main()
