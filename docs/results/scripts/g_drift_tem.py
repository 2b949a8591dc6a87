"""How stable a model's position code is over one long walk: the code at returns to a node.

Run: PYTHONPATH=. python docs/results/scripts/g_drift_tem.py CHECKPOINT|pretrained:NAME [more ...]
     [--width 11] [--visits 50] [--seeds 3] [--untrained]
For each model (and, with ``--untrained``, the first one's untrained twin) and walk seed:
one walk of ``visits`` x n_nodes steps in a fresh hexagonal world (the model's own walk
statistics and observation classes, ``env_episode``). For every pair of steps at the same
node, the Pearson correlation of the position code (``model.grid_population``: TEM's g,
TEM-t's position encoding) across units, binned by the time between the two steps; beside
it, the same for pairs at two different nodes at the same lags (the floor) and the
prediction accuracy at revisits in the same bins of walk time (from the walk's start).
A code that path-integrates without drift gives the same vector at every return
(correlation near 1 at every lag); a code that drifts loses it as the lag grows, and rate
maps averaged over a long walk blur. The correlations are printed for the whole code and
for each module's units alone (modules as ``measure_tem_t.module_of_units``; the same pairs).
An untrained TEM's g does not move (its transition starts at zero), so its correlations
are 1 at every lag for any two steps: no position code. Values: mean over walk seeds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure_tem_t import module_of_units  # noqa: E402
from remap_tem_t import load  # noqa: E402

from hippocore.envs import make_world  # noqa: E402
from hippocore.zoo import get_model, model_name_of  # noqa: E402
from hippocore.zoo._data import action_vocabulary, env_episode  # noqa: E402
from hippocore.zoo._evaluate import run_episodes  # noqa: E402

EDGES = (1, 30, 100, 300, 1000, 3000, 10**9)
LABELS = ("same node r", "other node r", "revisit acc by walk time")


def lag_bins() -> list[str]:
    """Labels of the lag bins (steps)."""
    return [
        f"{a}-{b - 1}" if b < 10**9 else f">={a}"
        for a, b in zip(EDGES[:-1], EDGES[1:], strict=True)
    ]


def pair_correlations(code: np.ndarray, nodes: np.ndarray, rng, n_pairs: int = 20000):
    """Mean correlation of the code between two steps, same node vs other node, per lag bin.

    ``code`` (n_steps, n_units); returns two arrays (n_bins,) (NaN where a bin is empty).
    """
    z = code - code.mean(1, keepdims=True)
    z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    n = len(nodes)
    i = rng.integers(0, n, 40 * n_pairs)
    j = rng.integers(0, n, 40 * n_pairs)
    keep = i < j
    i, j = i[keep], j[keep]
    same = nodes[i] == nodes[j]
    lag = j - i
    r = np.sum(z[i] * z[j], 1)
    out = np.full((2, len(EDGES) - 1), np.nan)
    for b, (lo, hi) in enumerate(zip(EDGES[:-1], EDGES[1:], strict=True)):
        in_bin = (lag >= lo) & (lag < hi)
        for k, sel in enumerate((same, ~same)):
            s = np.flatnonzero(in_bin & sel)[:n_pairs]
            if s.size:
                out[k, b] = r[s].mean()
    return out


def revisit_accuracy_by_time(correct: np.ndarray, revisit: np.ndarray) -> np.ndarray:
    """Accuracy at revisits in the lag bins' ranges of walk time (steps from the start)."""
    t = np.arange(len(correct))
    out = np.full(len(EDGES) - 1, np.nan)
    for b, (lo, hi) in enumerate(zip(EDGES[:-1], EDGES[1:], strict=True)):
        sel = revisit & (t >= lo) & (t < hi)
        if sel.any():
            out[b] = correct[sel].mean()
    return out


def measure(model, width: int, visits: int, seeds: int) -> dict[str, np.ndarray]:
    """``"all"``: (3, n_bins) same-node r, other-node r, revisit accuracy by walk time;
    ``"module f"``: (2, n_bins) the correlations of module f's units alone. Means over seeds."""
    world = make_world("hexagonal", width)
    vocab = action_vocabulary(tuple(model.config.env.kinds))
    rows = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        ep = env_episode(world, visits * world.n_nodes, vocab, model.config.env, rng=rng)
        res = run_episodes(model, [ep], chunk_length=model.config.train.chunk_length)
        code = res["e"][0].astype(np.float64)
        correct = res["logits"][0].argmax(-1) == ep.observations
        state = rng.bit_generator.state  # every module sees the same pairs
        row = {
            "all": np.vstack(
                [
                    pair_correlations(code, ep.nodes, rng),
                    revisit_accuracy_by_time(correct, ep.revisit),
                ]
            )
        }
        modules = module_of_units(model)
        for f in np.unique(modules) if modules.size == code.shape[1] else []:
            rng.bit_generator.state = state
            row[f"module {f}"] = pair_correlations(code[:, modules == f], ep.nodes, rng)
        rows.append(row)
    with np.errstate(invalid="ignore"):
        return {k: np.nanmean(np.stack([r[k] for r in rows]), 0) for k in rows[0]}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+")
    p.add_argument("--width", type=int, default=11)
    p.add_argument("--visits", type=int, default=50)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--untrained", action="store_true")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    models = [(src, load(src).eval()) for src in a.models]
    if a.untrained:
        first = models[0][1]
        models.append(
            ("untrained twin", get_model(model_name_of(first.config), first.config).eval())
        )
    print(
        f"hexagonal {a.width}x{a.width}, walks of {a.visits} x n_nodes steps, seeds 0-{a.seeds - 1}; "
        "lag bins (steps): " + ", ".join(lag_bins())
    )
    for name, model in models:
        res = measure(model, a.width, a.visits, a.seeds)
        steps = getattr(model, "trained_steps", 0)
        print(f"{name} (step {steps}):")
        for label, row in zip(LABELS, res.pop("all"), strict=True):
            print(f"  {label:26s}" + " ".join(f"{v:7.3f}" for v in row))
        for key, (same, other) in res.items():
            print(f"  {key + ': same node r':26s}" + " ".join(f"{v:7.3f}" for v in same))
            print(f"  {key + ': other node r':26s}" + " ".join(f"{v:7.3f}" for v in other))


if __name__ == "__main__":
    main()
