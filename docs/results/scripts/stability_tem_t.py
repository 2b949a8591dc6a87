"""Position-unit maps of a TEM-t checkpoint: stable within a world, and across two worlds?

Run: PYTHONPATH=. python docs/results/scripts/stability_tem_t.py [checkpoint] [--modules] [--causes]
(default: the shipped ``pretrained("tem-t")``). 9x9 world of the model's first lattice kind,
walks of 40 x n_nodes steps from node 0; mean per-unit map correlation between two worlds
(different observations and walks, seeds 0 and 1) and between the two halves of one walk.
``--modules`` adds three pairs of worlds (seeds 0/1, 2/3, 4/5), the across-world
correlation per position-code module and each module's spatial spread: the median over its
units of the standard deviation across nodes of the unit's mean rate per node (a module
whose code sits still has a flat map, spread ~0, and its correlation is noise).
``--causes`` separates walk from observations: the maps of walk A with world A's
observations against (1) walk A with other observations and (2) walk B with world A's
observations (one batch through the model; node-mean maps).
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from hippocore.analysis import lattice_rate_map, spatial_correlation
from hippocore.envs import make_world
from hippocore.zoo import load_checkpoint, pretrained, rollout


def main(argv: list[str]) -> None:
    paths = [a for a in argv if not a.startswith("--")]
    model = load_checkpoint(paths[0])[0] if paths else pretrained("tem-t")
    torch.set_num_threads(1)
    world = make_world(model.config.env.kinds[0], 9)
    n = 40 * world.n_nodes
    runs = [rollout(model, world, n, seed=k, n_memory_units=16, start=0) for k in (0, 1)]
    idx = np.flatnonzero(runs[0].population.values == "position_encoding")

    def rate(ds, sl=slice(None)):
        return lattice_rate_map(world, ds["node"].values[sl], ds.activity.values[sl][:, idx]).rate

    across = spatial_correlation(rate(runs[0]), rate(runs[1]))
    half = n // 2
    within = spatial_correlation(rate(runs[0], slice(0, half)), rate(runs[0], slice(half, None)))
    print(
        f"position units, {world.kind} 9x9, {n} steps: map correlation across two worlds "
        f"{np.nanmean(across):.3f}; between the halves of one walk {np.nanmean(within):.3f}"
    )
    if "--causes" in argv:
        causes(model, world, n)
    if "--modules" in argv:
        pairs = [across]
        for seeds in ((2, 3), (4, 5)):
            a, b = (rollout(model, world, n, seed=k, n_memory_units=16, start=0) for k in seeds)
            pairs.append(spatial_correlation(rate(a), rate(b)))
        corr = np.stack(pairs)  # (pair, unit)
        n_mod = model.config.model.n_modules
        per_module = np.nanmean(corr.reshape(len(pairs), n_mod, -1), axis=(0, 2))
        print(f"  per pair (seeds 0/1, 2/3, 4/5): {np.round(np.nanmean(corr, axis=1), 3).tolist()}")
        print(f"  per module: {np.round(per_module, 3).tolist()}")
        e = runs[0].activity.values[:, idx].astype(float)
        node = runs[0]["node"].values
        sums = np.zeros((world.n_nodes, e.shape[1]))
        np.add.at(sums, node, e)
        node_mean = sums / np.bincount(node, minlength=world.n_nodes)[:, None]
        spread = np.median(node_mean.std(axis=0).reshape(n_mod, -1), axis=1)
        print(f"  spatial spread per module (seed 0): {np.round(spread, 2).tolist()}")


def causes(model, world, n: int) -> None:
    """Map correlation when only the observations, or only the walk, differ."""
    from hippocore.zoo._data import Episode, assign_observations, make_episode
    from hippocore.zoo._evaluate import run_episodes

    env = model.config.env
    a, b = (
        make_episode(
            world,
            n,
            model.actions,
            n_x=env.n_x,
            direction_bias=env.direction_bias,
            rng=np.random.default_rng(k),
            start=0,
        )
        for k in (0, 1)
    )
    obs_a = np.zeros(world.n_nodes, dtype=np.int64)
    obs_a[a.nodes] = a.observations
    obs_c = assign_observations(world, env.n_x, seed=np.random.default_rng(99))

    def relabel(ep, obs):
        return Episode(ep.world, ep.nodes, ep.actions, obs[ep.nodes], ep.revisit, ep.zero_shot)

    eps = [a, relabel(a, obs_c), relabel(b, obs_a)]
    e = run_episodes(model, eps, chunk_length=model.config.train.chunk_length)["e"]
    maps = [lattice_rate_map(world, ep.nodes, e[i]).rate for i, ep in enumerate(eps)]
    same_walk = np.nanmean(spatial_correlation(maps[0], maps[1]))
    same_obs = np.nanmean(spatial_correlation(maps[0], maps[2]))
    print(
        f"  same walk, other observations: {same_walk:.3f}; "
        f"same observations, other walk: {same_obs:.3f}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
