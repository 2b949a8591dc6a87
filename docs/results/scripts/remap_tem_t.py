"""Remapping of a TEM-t model beside the same architecture untrained (issue 12, item 4).

Run: PYTHONPATH=. python docs/results/scripts/remap_tem_t.py [CHECKPOINT|pretrained:NAME] [--untrained]
     [--world hexagonal:11] [--seeds 5] [--steps-per-node 30] [--memory-units 512]
(default: pretrained:tem-t). For each seed, two worlds of the same shape with different
observations, walked from two different start nodes at least 3 node spacings apart
(``--min-distance``); the same seeds and starts for the model and its untrained twin
(``get_model("tem-t", model.config)``, fresh weights from the config's seed).

(a) Position code: unit-pair structure across the two worlds
    (``hippocore.analysis.pair_structure`` of the per-node maps): within modules (pairs
    of units of the same module) and over all pairs; the split-half form (pair
    correlations between the first and the second half of each walk's maps, which a
    network's fixed weights do not keep without a place-locked code) and the units'
    split-half map correlation; the pairs' spatial relation
    (``pair_offset_structure``: their lattice cross-correlograms at displacements
    0 < |d| <= 4 spacings, zero lag left out because a network keeps it without space;
    within modules); beside it the naive per-unit map
    correlation of the same maps (``spatial_correlation``), which a moved start sends to
    about 0 or below even for a perfect path integrator, and that naive correlation for one
    pair of worlds walked from the same node (a reference, not a measure).
(b) Memory neurons: fraction with exactly one field, containing the node where the memory
    was written (``lattice_fields(...).one_field_at``). Unit j = the memory written at step
    j; it is scored over its lifetime, steps j + 1 .. j + memory_capacity (before, it does
    not exist; after, its ring-buffer slot is reused). Both worlds of every seed count.
(c) Memory neurons: per-unit map correlation across the two worlds (unit j in world A vs
    unit j in world B, lifetime node maps); the memory of step j is written at unrelated
    nodes in the two walks, so about 0 is expected trained or not.
Values: mean +- sd over seeds (n = seeds; for (b) n = 2 x seeds worlds).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

import numpy as np
import torch

from hippocore.analysis import (
    lattice_fields,
    lattice_node_means,
    pair_offset_structure,
    pair_structure,
    spatial_correlation,
)
from hippocore.envs import make_world
from hippocore.zoo import get_model, load_checkpoint, model_name_of, pretrained, rollout


def load(src: str):
    """A model from ``pretrained:NAME`` or a checkpoint path."""
    if src.startswith("pretrained:"):
        return pretrained(src.split(":", 1)[1])
    return load_checkpoint(src)[0]


def parse_world(text: str):
    kind, _, width = text.partition(":")
    return make_world(kind, int(width or 11))


def start_pairs(world, n: int, min_distance: float, seed: int) -> list[tuple[int, int]]:
    """``n`` pairs of distinct start nodes at least ``min_distance`` node spacings apart."""
    rng = np.random.default_rng(seed)
    pairs = []
    while len(pairs) < n:
        a, b = rng.integers(0, world.n_nodes, 2)
        if np.linalg.norm(world.coords[a] - world.coords[b]) >= min_distance * world.spacing:
            pairs.append((int(a), int(b)))
    return pairs


def walk(model, world, n_steps: int, seed: int, start: int, n_mem: int):
    """Nodes, position-unit and memory-unit activity of one walk (the model's populations)."""
    nodes, pos, mem, _ = walk_modules(model, world, n_steps, seed, start, n_mem)
    return nodes, pos, mem


def walk_modules(model, world, n_steps: int, seed: int, start: int, n_mem: int):
    """As :func:`walk`, and the module of each position unit."""
    ds = rollout(model, world, n_steps, seed=seed, start=start, n_memory_units=n_mem)
    pop = ds.population.values
    act = ds.activity.values.astype(float)
    is_pos = pop == ds.attrs["grid_population"]
    is_mem = pop == ds.attrs["memory_population"]
    if "module" in ds.coords:  # TEM: g units of unequal modules
        modules = ds.module.values[is_pos]
    else:  # TEM-t: n_e units in equal modules, in order
        n_e, n_mod = model.config.model.n_e, model.config.model.n_modules
        modules = np.arange(n_e) // (n_e // n_mod)
    return ds.node.values, act[:, is_pos], act[:, is_mem], modules


def halves(world, nodes, act):
    """Node maps of the first and the second half of a walk."""
    h = len(nodes) // 2
    return lattice_node_means(world, nodes[:h], act[:h]), lattice_node_means(
        world, nodes[h:], act[h:]
    )


def memory_lifetimes(model, world, nodes, mem):
    """Per memory unit: lifetime LatticeFields and whether it has one field at its write node."""
    cap = model.config.model.memory_capacity
    fields, hit = [], []
    for j in range(mem.shape[1]):
        life = slice(j + 1, j + 1 + cap)
        if nodes[life].size == 0:
            continue
        f = lattice_fields(world, nodes[life], mem[life, j])
        fields.append((j, f))
        hit.append(bool(f.one_field_at([nodes[j]])[0]))
    return fields, np.array(hit)


def position_rows(world, na, pa, nb, pb, modules) -> dict[str, float]:
    """Measures (a) of the position units for one pair of walks (nodes, activity each)."""
    maps_a = lattice_node_means(world, na, pa)
    maps_b = lattice_node_means(world, nb, pb)
    (a1, a2), (b1, b2) = halves(world, na, pa), halves(world, nb, pb)
    split = pair_structure(a1, b1, groups=modules, second_a=a2, second_b=b2)
    return {
        "pairs_module": pair_structure(maps_a, maps_b, groups=modules).r,
        "pairs_module_split": split.r,
        "split_half_reliability": float(
            np.nanmedian(np.r_[np.diag(split.corr_a), np.diag(split.corr_b)])
        ),
        "pairs_all": pair_structure(maps_a, maps_b).r,
        "offsets_module": pair_offset_structure(world, maps_a, world, maps_b, groups=modules).r,
        "naive": float(np.nanmean(spatial_correlation(maps_a[:, None], maps_b[:, None]))),
    }


def same_start_walks(model, world, n_steps: int, seeds: tuple[int, int]):
    """Two walks (nodes, position activity, memory activity) from the world's centre node."""
    centre = int(np.argmin(np.linalg.norm(world.coords - world.coords.mean(0), axis=1)))
    return tuple(walk(model, world, n_steps, seed, centre, 1) for seed in seeds)


def naive_r(world, na, act_a, nb, act_b) -> float:
    """Mean per-unit map r between two walks' node maps (NaN-skipping)."""
    maps_a = lattice_node_means(world, na, act_a)
    maps_b = lattice_node_means(world, nb, act_b)
    return float(np.nanmean(spatial_correlation(maps_a[:, None], maps_b[:, None])))


def same_start_naive(model, world, n_steps: int, seeds: tuple[int, int]) -> float:
    """Reference: naive per-unit map r of the position units, both walks from the centre."""
    (na, pa, _), (nb, pb, _) = same_start_walks(model, world, n_steps, seeds)
    return naive_r(world, na, pa, nb, pb)


def measure(model, world, pairs, seeds, args) -> dict[str, list[float]]:
    n_steps = args.steps_per_node * world.n_nodes
    out: dict[str, list[float]] = {k: [] for k in ROWS}
    for (sa, sb), (seed_a, seed_b) in zip(pairs, seeds, strict=True):
        na, pa, ma, modules = walk_modules(model, world, n_steps, seed_a, sa, args.memory_units)
        nb, pb, mb, _ = walk_modules(model, world, n_steps, seed_b, sb, args.memory_units)
        for key, value in position_rows(world, na, pa, nb, pb, modules).items():
            out[key].append(value)
        fa, hit_a = memory_lifetimes(model, world, na, ma)
        fb, hit_b = memory_lifetimes(model, world, nb, mb)
        out["memory_one_field"] += [float(hit_a.mean()), float(hit_b.mean())]
        rate_a = {j: f.node_rate[0] for j, f in fa}
        common = [(rate_a[j], f.node_rate[0]) for j, f in fb if j in rate_a]
        r = spatial_correlation(
            np.stack([a for a, _ in common])[:, None], np.stack([b for _, b in common])[:, None]
        )
        out["memory_maps"].append(float(np.nanmean(r)))
    out["naive_same_start"].append(same_start_naive(model, world, n_steps, seeds[0]))
    return out


ROWS = {
    "pairs_module": "(a) position: unit-pair structure r, within modules",
    "pairs_module_split": "(a) position: split-half unit-pair structure r, within modules",
    "split_half_reliability": "    position units' split-half map r (median)",
    "pairs_all": "(a) position: unit-pair structure r, all pairs",
    "offsets_module": "(a) position: pair cross-correlograms r (0<|d|<=4), within modules",
    "naive": "(a) position: naive per-unit map r (moved start)",
    "naive_same_start": "    reference: naive per-unit map r, same start (1 pair)",
    "memory_one_field": "(b) memory: share with one field at the write node",
    "memory_maps": "(c) memory: per-unit map r across worlds",
}


def cell(values: list[float]) -> str:
    v = np.asarray(values, float)
    if v.size == 1:
        return f"{v[0]:.3f}"
    return f"{np.nanmean(v):.3f} +- {np.nanstd(v):.3f}"


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("source", nargs="?", default="pretrained:tem-t")
    p.add_argument("--untrained", action="store_true", help="also measure the untrained twin")
    p.add_argument("--world", default=None, help="KIND:WIDTH (default: <model kind>:11)")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--steps-per-node", type=int, default=30)
    p.add_argument("--memory-units", type=int, default=512)
    p.add_argument("--min-distance", type=float, default=3.0, help="node spacings")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    model = load(args.source)
    world = parse_world(args.world or f"{model.config.env.kinds[0]}:11")
    pairs = start_pairs(world, args.seeds, args.min_distance, seed=2024)
    seeds = [(2 * k + 1, 2 * k + 2) for k in range(args.seeds)]
    models = {f"{args.source} (step {getattr(model, 'trained_steps', '?')})": model}
    if args.untrained:
        models["untrained twin"] = get_model(model_name_of(model.config), model.config).eval()
    note = f"; {args.memory_units} memory units"
    report(models, measure, ROWS, world, pairs, seeds, args, note)
    print("command: PYTHONPATH=. python docs/results/scripts/remap_tem_t.py " + shlex.join(argv))


def report(models, measure_fn, rows, world, pairs, seeds, args, note: str = "") -> None:
    """Measure every model on the same walks and print the table (rows x models)."""
    cols = {}
    for name, m in models.items():
        t0 = time.perf_counter()
        cols[name] = measure_fn(m, world, pairs, seeds, args)
        print(f"measured {name} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    dist = [np.linalg.norm(world.coords[a] - world.coords[b]) / world.spacing for a, b in pairs]
    print(
        f"{world.kind} {world.width}x{world.height}, {args.steps_per_node * world.n_nodes} steps "
        f"per walk, {args.seeds} pairs of worlds (seeds {seeds}), start distance "
        f"{min(dist):.1f}-{max(dist):.1f} node spacings{note}"
    )
    width = max(len(v) for v in rows.values())
    names = list(cols)
    col = max(16, *(len(n) for n in names))
    print(f"{'measure':<{width}} | " + " | ".join(f"{n:>{col}}" for n in names))
    for key, label in rows.items():
        print(f"{label:<{width}} | " + " | ".join(f"{cell(cols[n][key]):>{col}}" for n in names))


if __name__ == "__main__":
    main(sys.argv[1:])
