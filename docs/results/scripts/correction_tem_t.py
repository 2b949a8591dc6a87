"""How much of a TEM-t's position-map alignment across worlds comes from position correction?

Run: PYTHONPATH=. python docs/results/scripts/correction_tem_t.py [NAME]   (a shipped checkpoint name,
default "tem-t"; e.g. "tem-t-v1"; or a checkpoint file). For the model as shipped, with the observation bonus of
position correction set to 0 (``gamma``), and with the correction gate closed
(``alpha -> 0``): the mean per-unit correlation of the position units' maps across two 9x9
hexagonal worlds (walks of 40 x n_nodes steps from node 0, seeds 0 and 1) and the revisit
accuracy on four 9x9 worlds (1000 steps, seed 3). A diagnostic: the edits are not options.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from hippocore.analysis import lattice_rate_map, spatial_correlation
from hippocore.envs import make_world
from hippocore.zoo import evaluate, load_checkpoint, pretrained, rollout


def main(name: str) -> None:
    torch.set_num_threads(1)
    world = make_world("hexagonal", 9)
    n = 40 * world.n_nodes
    edits = [
        ("as shipped", None, 0.0),
        ("gamma = 0", "gamma", 0.0),
        ("no correction", "alpha_raw", -20.0),
    ]
    for label, param, value in edits:
        model = load_checkpoint(name)[0] if name.endswith(".pt") else pretrained(name)
        if param is not None:
            with torch.no_grad():
                getattr(model, param).fill_(value)
        runs = [rollout(model, world, n, seed=k, n_memory_units=16, start=0) for k in (0, 1)]
        idx = np.flatnonzero(runs[0].population.values == "position_encoding")
        maps = [
            lattice_rate_map(world, r["node"].values, r.activity.values[:, idx]).rate for r in runs
        ]
        corr = spatial_correlation(maps[0], maps[1])
        acc = evaluate(model, [make_world("hexagonal", 9)] * 4, 1000, seed=3)
        print(
            f"{name}, {label}: position maps across worlds {np.nanmean(corr):.3f}; "
            f"revisit accuracy {acc.revisit_accuracy:.3f}"
        )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tem-t")
