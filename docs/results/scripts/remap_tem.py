"""Place units and remapping of a TEM model beside its untrained twin (issue 13).

Run: PYTHONPATH=. python docs/results/scripts/remap_tem.py CHECKPOINT|pretrained:tem
     [--untrained] [--world hexagonal:11] [--seeds 5] [--steps-per-node 30]
The walks are those of ``remap_tem_t.py``: for each seed two worlds of the same shape with
different observations, walked from start nodes at least 3 node spacings apart; the same
walks for the model and its untrained twin.

(a) g units: the position-code measures of ``remap_tem_t.py`` (unit-pair structure across
    the two worlds within TEM's frequency modules, its split-half form, the units'
    split-half map r, pair cross-correlograms, naive per-unit map r and its same-start
    reference).
(b) p units, place-like: over each whole walk, ``lattice_fields`` (a field is a connected
    set of nodes at >= 20 % of the unit's peak mean, peak above 0): the share of active units
    with exactly one field, and the median field size as a share of the world's nodes.
    TEM's p is a rectified conjunction of g and x; a unit with one field covering a small
    part of the world is a place unit, one covering most of it is not.
(c) p units, remapping: per-unit map r across the two worlds, from moved starts and from
    the same start (where g's maps agree when g path-integrates: compare (a)'s same-start
    reference), beside p's split-half map r within a world. A unit that remaps keeps its
    map within a world (split-half r high) but not across worlds. (p's unit-pair structure
    across worlds is not reported: p = g_down * x, so units that share an x factor co-vary
    in every world by wiring; the untrained twin scores high on it.)
Values: mean +- sd over seeds (for (b): both worlds of every seed).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remap_tem_t import (  # noqa: E402
    halves,
    load,
    naive_r,
    parse_world,
    position_rows,
    report,
    same_start_walks,
    start_pairs,
    walk_modules,
)

from hippocore.analysis import (  # noqa: E402
    lattice_fields,
    lattice_node_means,
    pair_structure,
    spatial_correlation,
)
from hippocore.zoo import get_model, model_name_of  # noqa: E402

ROWS = {
    "pairs_module": "(a) g: unit-pair structure r, within modules",
    "pairs_module_split": "(a) g: split-half unit-pair structure r, within modules",
    "split_half_reliability": "    g units' split-half map r (median)",
    "pairs_all": "(a) g: unit-pair structure r, all pairs",
    "offsets_module": "(a) g: pair cross-correlograms r (0<|d|<=4), within modules",
    "naive": "(a) g: naive per-unit map r (moved start)",
    "naive_same_start": "    reference: g naive per-unit map r, same start (1 pair)",
    "place_one_field": "(b) p: share of active units with one field",
    "place_field_share": "(b) p: field size / nodes (median over one-field units)",
    "place_active": "    p: share of units active (peak mean > 0)",
    "place_maps": "(c) p: per-unit map r across worlds (moved start)",
    "place_maps_same_start": "    reference: p per-unit map r across worlds, same start",
    "place_split_reliability": "    p units' split-half map r within a world (median)",
}


def place_rows(world, nodes, act) -> dict[str, float]:
    """Measures (b) of the p units on one walk."""
    f = lattice_fields(world, nodes, act)
    active = np.nanmax(f.node_rate, axis=1) > 0
    one = active & (f.n_fields == 1)
    sizes = [len(f.fields[i][0]) / world.n_nodes for i in np.flatnonzero(one)]
    return {
        "place_one_field": float(one.sum() / max(active.sum(), 1)),
        "place_field_share": float(np.median(sizes)) if sizes else float("nan"),
        "place_active": float(active.mean()),
    }


def p_remap_rows(world, na, ma, nb, mb) -> dict[str, float]:
    """Measures (c) of the p units for one pair of walks."""
    maps_a = lattice_node_means(world, na, ma)
    maps_b = lattice_node_means(world, nb, mb)
    (a1, a2), (b1, b2) = halves(world, na, ma), halves(world, nb, mb)
    split = pair_structure(a1, b1, second_a=a2, second_b=b2)
    return {
        "place_maps": float(np.nanmean(spatial_correlation(maps_a[:, None], maps_b[:, None]))),
        "place_split_reliability": float(
            np.nanmedian(np.r_[np.diag(split.corr_a), np.diag(split.corr_b)])
        ),
    }


def measure(model, world, pairs, seeds, args) -> dict[str, list[float]]:
    n_steps = args.steps_per_node * world.n_nodes
    out: dict[str, list[float]] = {k: [] for k in ROWS}
    for (sa, sb), (seed_a, seed_b) in zip(pairs, seeds, strict=True):
        na, ga, ma, modules = walk_modules(model, world, n_steps, seed_a, sa, 1)
        nb, gb, mb, _ = walk_modules(model, world, n_steps, seed_b, sb, 1)
        rows = position_rows(world, na, ga, nb, gb, modules) | p_remap_rows(world, na, ma, nb, mb)
        for nodes, act in ((na, ma), (nb, mb)):
            for key, value in place_rows(world, nodes, act).items():
                out[key].append(value)
        for key, value in rows.items():
            out[key].append(value)
    (na, ga, ma), (nb, gb, mb) = same_start_walks(model, world, n_steps, seeds[0])
    out["naive_same_start"].append(naive_r(world, na, ga, nb, gb))
    out["place_maps_same_start"].append(naive_r(world, na, ma, nb, mb))
    return out


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("source", help="CHECKPOINT or pretrained:NAME of a TEM model")
    p.add_argument("--untrained", action="store_true", help="also measure the untrained twin")
    p.add_argument("--world", default="hexagonal:11", help="KIND:WIDTH")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--steps-per-node", type=int, default=30)
    p.add_argument("--min-distance", type=float, default=3.0, help="node spacings")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    model = load(args.source)
    if model_name_of(model.config) != "tem":
        raise SystemExit(
            f"{args.source} is a {model_name_of(model.config)!r} model; use remap_tem_t.py"
        )
    world = parse_world(args.world)
    pairs = start_pairs(world, args.seeds, args.min_distance, seed=2024)
    seeds = [(2 * k + 1, 2 * k + 2) for k in range(args.seeds)]
    models = {f"{args.source} (step {getattr(model, 'trained_steps', '?')})": model}
    if args.untrained:
        models["untrained twin"] = get_model("tem", model.config).eval()
    report(models, measure, ROWS, world, pairs, seeds, args)
    print("command: PYTHONPATH=. python docs/results/scripts/remap_tem.py " + shlex.join(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
