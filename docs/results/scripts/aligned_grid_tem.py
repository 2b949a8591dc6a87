"""Grid units of a position code scored on many short walks from the world's centre.

Run: PYTHONPATH=. python docs/results/scripts/aligned_grid_tem.py CHECKPOINT|pretrained:NAME [--untrained]
     [--widths 15 11] [--walks 512] [--steps 300] [--seeds 0 1 2] [--tolerances 5 15 30 none]
     [--maps FILE.png [--units 84 85 ...]]

TEM's g drifts over a long walk (docs/results/scripts/g_drift_tem.py: same-node
correlation 0.82 after 300-999 steps, 0.54 after 3000), so a rate map of one long walk
mixes phases. This asks what its path integration alone lays out: ``--walks`` walks of
``--steps`` steps, each in a fresh copy of the world (new observations, so memory starts
empty and g starts at the model's prior) and each starting at the centre node, pooled into
one lattice rate map per unit and scored by ``lattice_grid_units`` (per-unit spectral null,
100 maps, the default 15 deg geometry rule; other tolerances re-decided from the same
scores). Every walk starts from the same g and the same place, so drift is short and the
maps are aligned: the "aligned walks" maps of ../shared/reference/tem.md, which a
well-corrected model should not need. Report them as that, beside the long-walk test.
``--seeds``: independent sets of walks (walk and null randomness). ``--maps``: a figure of
the 12 units with the highest gridness (or ``--units``) on the first width and seed, maps
above their autocorrelograms.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grid_seeds_tem_t import _tolerance, load, print_tolerances  # noqa: E402

from hippocore.analysis import lattice_grid_units  # noqa: E402
from hippocore.envs import make_world  # noqa: E402
from hippocore.zoo._data import env_episode, node_positions  # noqa: E402
from hippocore.zoo._evaluate import run_episodes  # noqa: E402


def centre_node(world) -> int:
    """The node nearest the centre of the world's node positions."""
    xy = node_positions(world, np.arange(world.n_nodes))
    return int(np.argmin(np.linalg.norm(xy - xy.mean(0), axis=1)))


def aligned_walks(model, world, n_walks: int, n_steps: int, rng, batch: int = 64):
    """Nodes (n_walks * n_steps,) and position code (n_walks * n_steps, n_units)."""
    start = centre_node(world)
    nodes, codes = [], []
    for lo in range(0, n_walks, batch):
        eps = [
            env_episode(world, n_steps, model.actions, model.config.env, rng=rng, start=start)
            for _ in range(min(batch, n_walks - lo))
        ]
        e = run_episodes(model, eps, chunk_length=model.config.train.chunk_length)["e"]
        nodes.append(np.concatenate([ep.nodes for ep in eps]))
        codes.append(e.reshape(-1, e.shape[-1]))
    return np.concatenate(nodes), np.concatenate(codes).astype(np.float64)


def save_maps(res, path: str, title: str, units=None) -> None:
    """Maps of ``units`` (default: the 12 with the highest gridness) and, under each, its
    autocorrelogram with gridness, axis deviation and the test's verdict."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hippocore.analysis import autocorrelogram, gridness

    if units is None:
        units = np.argsort(np.nan_to_num(res.score, nan=-9))[::-1][:12]
    units = list(units)
    ac = autocorrelogram(res.rate[units])
    g = gridness(ac)
    fig, axes = plt.subplots(2, len(units), figsize=(1.9 * len(units), 4.2), squeeze=False)
    for k, u in enumerate(units):
        axes[0, k].imshow(res.rate[u], origin="lower", cmap="jet")
        verdict = "grid" if res.is_grid[u] else "not grid"
        axes[0, k].set_title(f"unit {u}\n{res.score[u]:.2f} ({verdict})", fontsize=7)
        axes[1, k].imshow(ac[k], origin="lower", cmap="jet")
        axes[1, k].set_title(f"axes off 60: {g.axis_deviation[k]:.1f} deg", fontsize=7)
    for a in axes.ravel():
        a.axis("off")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    print(f"  maps: {path}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint")
    p.add_argument("--untrained", action="store_true")
    p.add_argument("--widths", type=int, nargs="+", default=[15, 11])
    p.add_argument("--walks", type=int, default=512)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--tolerances", nargs="+", default=[], type=_tolerance)
    p.add_argument("--maps")
    p.add_argument("--units", type=int, nargs="+", help="units to draw (default: top 12)")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    model, name = load(a.checkpoint, a.untrained)
    model.eval()
    print(f"{name}: {a.walks} walks of {a.steps} steps from the centre, fresh observations each")
    for width in a.widths:
        world = make_world("hexagonal", width)
        tests = []
        for seed in a.seeds:
            t0 = time.perf_counter()
            rng = np.random.default_rng(seed)
            nodes, code = aligned_walks(model, world, a.walks, a.steps, rng)
            res = lattice_grid_units(world, nodes, code, seed=rng)
            tests.append(res)
            print(
                f"  hexagonal {width}x{width}, seed {seed}: grid units {res.n_grid} of "
                f"{res.n_units} ({res.grid_fraction:.3f}); null maps passing "
                f"{res.false_positive_rate:.4f}; median gridness {res.score_median:.2f}, best "
                f"{np.nanmax(res.score):.2f}; nodes visited {np.unique(nodes).size} of "
                f"{world.n_nodes} [{time.perf_counter() - t0:.0f} s]"
            )
            if a.maps and width == a.widths[0] and seed == a.seeds[0]:
                title = (
                    f"{name}: {a.walks} walks of {a.steps} steps from the centre, hexagonal "
                    f"{width}x{width}, seed {seed}; BNT gridness (the test's verdict)"
                )
                save_maps(res, a.maps, title, a.units)
        passes = np.array([t.is_grid for t in tests])
        print(
            f"  units passing on every seed: {int(passes.all(0).sum())}; on any: "
            f"{int(passes.any(0).sum())}"
        )
        if a.tolerances:
            print_tolerances(tests, a.tolerances)


if __name__ == "__main__":
    main()
