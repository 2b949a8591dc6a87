"""Grid units of a position code scored on many short walks from the world's centre.

Run: PYTHONPATH=. python docs/results/scripts/aligned_grid_tem.py CHECKPOINT|pretrained:NAME [--untrained]
     [--widths 15 11] [--walks 512] [--steps 300] [--seeds 0 1 2] [--tolerances 5 15 30 none]
     [--maps FILE.png [--units 84 85 ...]] [--detail]

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
above their autocorrelograms. ``--detail``: on the first seed, Krupic Fourier calls per
module and, for units with gridness > 0.3, axis deviation and ellipse axis ratio.
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
from grid_unit_maps import draw_units  # noqa: E402

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
    """Maps of ``units`` (default: the 12 with the highest gridness) over their
    autocorrelograms (``grid_unit_maps.draw_units``), titled with gridness and verdict."""
    if units is None:
        units = np.argsort(np.nan_to_num(res.score, nan=-9))[::-1][:12]
    units = [int(u) for u in units]
    titles = [
        f"unit {u}\n{res.score[u]:.2f} ({'grid' if res.is_grid[u] else 'not grid'})" for u in units
    ]
    draw_units(res.rate, units, titles, path, title, dpi=90)
    print(f"  maps: {path}")


def detail(model, world, nodes, code, res) -> None:
    """Per module: Krupic Fourier calls of every unit (``measure_tem_t.fourier_labels``, 20
    node-permutation shuffles); per unit with gridness > 0.3: its threshold, axis deviation,
    ellipse axis ratio (BNT's ellipse through the six peaks) and call."""
    from measure_tem_t import fourier_labels, module_of_units

    from hippocore.analysis import autocorrelogram, gridness

    labels = np.array(fourier_labels(world, nodes, code, np.random.default_rng(1), 20))
    g = gridness(autocorrelogram(res.rate))
    semi = g.ellipse[:, 2:4]
    ratio = semi.max(1) / semi.min(1)
    modules = module_of_units(model)
    for f in np.unique(modules):
        in_f = np.flatnonzero(modules == f)
        calls = {k: int((labels[in_f] == k).sum()) for k in ("band", "grid", "other", "none")}
        print(f"    module {f} ({in_f.size} units): Fourier calls {calls}")
        for u in in_f[res.score[in_f] > 0.3]:
            print(
                f"      unit {u}: gridness {res.score[u]:.2f} (threshold {res.threshold[u]:.2f}), "
                f"axes off 60 by {res.axis_deviation[u]:.1f} deg, ellipse ratio {ratio[u]:.2f}, "
                f"Fourier {labels[u]}, grid unit {bool(res.is_grid[u])}"
            )


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
    p.add_argument(
        "--detail", action="store_true",
        help="first seed of each width: Fourier calls per module, units with gridness > 0.3",
    )  # fmt: skip
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
            finite = res.score[np.isfinite(res.score)]
            best = f"{finite.max():.2f}" if finite.size else "nan (no unit has a score)"
            print(
                f"  hexagonal {width}x{width}, seed {seed}: grid units {res.n_grid} of "
                f"{res.n_units} ({res.grid_fraction:.3f}); null maps passing "
                f"{res.false_positive_rate:.4f}; median gridness {res.score_median:.2f}, best "
                f"{best}; finite null maps per unit (median) "
                f"{int(np.median(res.n_finite_shuffles))} of {res.n_shuffles}; nodes visited {np.unique(nodes).size} of "
                f"{world.n_nodes} [{time.perf_counter() - t0:.0f} s]"
            )
            if a.detail and seed == a.seeds[0]:
                detail(model, world, nodes, code, res)
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
