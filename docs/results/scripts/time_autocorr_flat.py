"""CPU time of ``autocorrelogram`` on maps nearly flat where visited, with unvisited bins.

Run: PYTHONPATH=. python docs/results/scripts/time_autocorr_flat.py [--kind flat|grid] [--repeats 3]
``flat``: 40 lattice rate maps of a 15x15 hexagonal world (25x30 bins, 4 unvisited corner
bins) of activity 0.3 varying by about 1e-5 over the nodes (a smooth random walk across
them), as an untrained model's g gives. ``grid``: 200 ideal 40x40 grid maps with a 3x3
unvisited corner (the common case, to show it is not slowed). Prints CPU ms per map
(``time.process_time``). Pair it with the same command at another commit (e.g. a
``git worktree`` on ``PYTHONPATH``), run alternately as whole processes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hippocore.analysis import autocorrelogram, lattice_rate_map
from hippocore.envs import make_world
from hippocore.testing import grid_map


def maps_of(kind: str) -> np.ndarray:
    rng = np.random.default_rng(0)
    if kind == "flat":
        world = make_world("hexagonal", 15)
        act = 0.3 + 1e-6 * rng.standard_normal((world.n_nodes, 40)).cumsum(axis=0)
        return lattice_rate_map(world, np.arange(world.n_nodes), act).rate
    maps = np.stack([grid_map(orientation=o) for o in rng.uniform(0, 1, 200)])
    maps[:, :3, :3] = np.nan
    return maps


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kind", choices=("flat", "grid"), default="flat")
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args(argv)
    maps = maps_of(a.kind)
    autocorrelogram(maps[:2])  # warm caches
    t = time.process_time()
    for _ in range(a.repeats):
        autocorrelogram(maps)
    ms = (time.process_time() - t) / a.repeats / len(maps) * 1e3
    print(f"{a.kind}: {maps.shape[0]} maps of {maps.shape[1]}x{maps.shape[2]}: {ms:.3f} ms/map CPU")


if __name__ == "__main__":
    main()
