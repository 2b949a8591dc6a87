"""Link inference of zoo models beside the node and edge agents (TEM Cell 2020, Fig. 3).

Run: PYTHONPATH=. python docs/results/scripts/link_inference.py LABEL=SOURCE [...]
     [--widths 8 11] [--steps 600] [--seed 2024] [--bins 10] [--out PNG]
SOURCE is a checkpoint path or ``pretrained:NAME``. For each source: its model and its
untrained twin (``get_model`` with the same config) on the same 16 fresh hexagonal worlds
(widths from ``--widths LO HI``, four of each in turn when the range holds four; fresh
observations, walks of ``--steps`` steps, ``--seed``), scored by
``hippocore.zoo.link_inference``: accuracy against the fraction of the world's nodes
visited so far, beside the node agent (remembers every visited node) and the edge agent
(remembers every (node, action) edge it took). Prints one table per source and, with
``--out``, draws the curves (one panel per source). Beside each table, the accuracy of the
trained and the untrained model on the same walks split by kind of step: after staying put
(which the edge agent also knows), other revisits, first visits.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import numpy as np
import torch

from hippocore._checks import as_rng
from hippocore.envs import make_world
from hippocore.zoo import get_model, link_inference
from hippocore.zoo._data import env_episode
from hippocore.zoo._evaluate import run_episodes

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remap_tem_t import load  # noqa: E402


def by_step_kind(model, worlds, n_steps: int, seed: int) -> str:
    """Accuracy after staying put, at other revisits and at first visits (the walks of
    ``link_inference`` with the same worlds, steps and seed)."""
    rng = as_rng(seed)
    eps = [env_episode(w, n_steps, model.actions, model.config.env, rng=rng) for w in worlds]
    res = run_episodes(model, eps, chunk_length=model.config.train.chunk_length)
    correct = res["logits"].argmax(-1) == np.stack([ep.observations for ep in eps])
    stay = np.stack([np.r_[False, ep.nodes[1:] == ep.nodes[:-1]] for ep in eps])
    revisit = np.stack([ep.revisit for ep in eps])
    parts = {"after staying put": stay, "other revisits": revisit & ~stay, "first visits": ~revisit}
    return ", ".join(f"{k} {correct[m].mean():.3f} (n = {m.sum()})" for k, m in parts.items())


def table(label: str, model, curves: dict) -> None:
    tr, tw = curves["trained"], curves["untrained"]
    print(f"{label}: {model.model_name}, step {model.trained_steps}")
    print(
        f"  zero-shot steps: trained {tr.zero_shot_model:.3f}, untrained "
        f"{tw.zero_shot_model:.3f} (n = {tr.n_zero_shot}; node agent 1, edge agent "
        f"{tr.chance:.3f})"
    )
    print("  | visited | steps | trained | untrained | node agent | edge agent |")
    print("  |---|---|---|---|---|---|")
    for i, f in enumerate(tr.fraction_visited):
        print(
            f"  | {f:.2f} | {tr.n_steps[i]} | {tr.model[i]:.3f} | {tw.model[i]:.3f} | "
            f"{tr.node_agent[i]:.3f} | {tr.edge_agent[i]:.3f} |"
        )


def draw(results: list, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.6), squeeze=False)
    for ax, (label, model, curves) in zip(axes[0], results, strict=True):
        tr, tw = curves["trained"], curves["untrained"]
        x = tr.fraction_visited
        ax.plot(x, tr.node_agent, "k--", label="node agent")
        ax.plot(x, tr.edge_agent, "k:", label="edge agent")
        ax.plot(x, tr.model, "o-", color="C0", label=f"{label} (step {model.trained_steps})")
        ax.plot(x, tw.model, "s-", color="C7", label="untrained twin")
        ax.axhline(tr.chance, color="0.6", lw=0.8)
        ax.set(xlabel="fraction of nodes visited", ylabel="prediction accuracy", ylim=(0, 1.02))
        ax.set_title(label, fontsize=10)
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", help="LABEL=CHECKPOINT or LABEL=pretrained:NAME")
    parser.add_argument("--widths", nargs=2, type=int, default=[8, 11])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--bins", type=int, default=10)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    lo, hi = args.widths
    widths = np.sort(np.resize(np.arange(lo, hi + 1), 16))
    worlds = [make_world("hexagonal", int(w)) for w in widths]
    results = []
    for item in args.sources:
        label, _, src = item.partition("=")
        if not src:
            raise SystemExit(f"give each source as LABEL=SOURCE; got {item!r}")
        model = load(src).eval()
        twin = get_model(model.model_name, model.config).eval()
        curves = {}
        for name, m in (("trained", model), ("untrained", twin)):
            curves[name] = link_inference(m, worlds, args.steps, seed=args.seed, n_bins=args.bins)
        table(label, model, curves)
        for name, m in (("trained", model), ("untrained", twin)):
            print(f"  {name}: {by_step_kind(m, worlds, args.steps, args.seed)}")
        results.append((label, model, curves))
    if args.out:
        draw(results, args.out)
    print("command: PYTHONPATH=. python " + shlex.join(sys.argv))


if __name__ == "__main__":
    main()
