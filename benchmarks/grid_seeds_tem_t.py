"""Fraction of grid units of a TEM-t checkpoint over several test walks and two world sizes.

Run: PYTHONPATH=. python benchmarks/grid_seeds_tem_t.py [checkpoint]
(default: the shipped ``pretrained("tem-t")``). For each width (11, 15) and seed (0-4):
``grid_summary`` on a walk of 50 x n_nodes steps, 50 node-permutation shuffles per unit.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from hippocore.envs import make_world
from hippocore.zoo import grid_summary, load_checkpoint, pretrained


def main(argv: list[str]) -> None:
    model = load_checkpoint(argv[0])[0] if argv else pretrained("tem-t")
    torch.set_num_threads(1)
    kind = model.config.env.kinds[0]
    for width in (11, 15):
        world = make_world(kind, width)
        fractions, false_pos = [], []
        for seed in range(5):
            g = grid_summary(model, world, 50 * world.n_nodes, seed, n_shuffles=50)
            fractions.append(g.grid_fraction)
            false_pos.append(g.shuffle_fraction)
        print(
            f"{kind} {width}x{width}, 50 x n_nodes steps, 50 shuffles, seeds 0-4: grid fraction "
            f"{np.round(fractions, 3).tolist()} mean {np.mean(fractions):.3f}; shuffle "
            f"false-positive rate mean {np.mean(false_pos):.3f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
