"""Remapping across contexts of a TEM-t-3 or TEM-3 model beside its untrained twin (issue 16).

Run: PYTHONPATH=. python docs/results/scripts/remap_contexts_tem_t3.py CHECKPOINT [--untrained]
     [--world hexagonal:11] [--seeds 3] [--steps-per-node 30] [--memory-units 512]
For each walk seed (0 .. seeds-1): one walk of steps-per-node x n_nodes steps in the world,
from the centre node, with the model's context stream (a fresh context at every step when
``env.context_switch = 1``); the same walks for the model and its untrained twin
(``get_model("tem-t-3", model.config)``, fresh weights from the config's seed).

(a) Position units (``grid_population``), node maps per context (``lattice_node_means``
    over the steps in that context):
    - per-unit map r between contexts (``spatial_correlation`` unit by unit, median over
      units and context pairs);
    - split-half unit-pair structure between contexts (``pair_structure`` with
      ``second_a``/``second_b``: first-half maps of context a and b, second-half maps as
      the second parts), within modules and over all pairs; mean over context pairs;
    - the units' split-half map r within a context (median), the reliability the two
      above are bounded by.
(b) Memory neurons (unit j = the memory written at step j, scored over its lifetime,
    steps j + 1 .. j + memory_capacity):
    - home share: the fraction of a unit's activity that falls at steps in the context its
      memory was written in (1 / n_c for a context-blind unit), median over active units;
    - the rate ratio: a unit's highest node-map peak in any other context over its peak in
      the home context (median over units; 0 for a unit silent away from home);
    - per-unit map r between contexts (lifetime node maps per context; median over the
      defined pairs, and the fraction undefined: a map flat in a context has no r). Pearson
      r ignores scale: a unit that fires at the same node in every context at a rate
      1e-6 times lower away from home scores 1 (rate remapping, not global remapping);
    - one field at the write node in the home context (``lattice_fields(...).one_field_at``
      on the lifetime steps in the home context; units whose write node is revisited in the
      home context within the lifetime, since a unit is silent at its own write step).
(b') TEM-3 instead: its p units (``p = g_down * x * c``), each bound to one context
    (``home_context`` on the exported units): home-context share of |activity| (median over
    active units; TEM's temporal filter of x carries a context's input a few steps past a
    switch), and the fields of each unit on its home context's node map (``lattice_fields``:
    share of active units with exactly one field, median field size / nodes).
Values: mean +- sd over walk seeds.
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
    pair_structure,
    spatial_correlation,
)
from hippocore.envs import make_world
from hippocore.zoo import get_model, load_checkpoint, model_name_of, rollout


def _median(values) -> float:
    """Median of the finite values (NaN, without a warning, when there are none)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else float("nan")


def context_maps(world, nodes, ctx, act, n_c: int) -> list[np.ndarray]:
    """Node maps (n_unit, n_nodes) of each context."""
    return [lattice_node_means(world, nodes[ctx == k], act[ctx == k]) for k in range(n_c)]


def position_measures(world, nodes, ctx, pos, modules, n_c: int) -> dict[str, float]:
    """Per-unit r and split-half pair structure of the position units between contexts."""
    maps = context_maps(world, nodes, ctx, pos, n_c)
    h = len(nodes) // 2
    first = context_maps(world, nodes[:h], ctx[:h], pos[:h], n_c)
    second = context_maps(world, nodes[h:], ctx[h:], pos[h:], n_c)
    pairs = [(a, b) for a in range(n_c) for b in range(a + 1, n_c)]
    r_unit = [spatial_correlation(maps[a][:, None], maps[b][:, None]) for a, b in pairs]
    split_mod, split_all, reliab = [], [], []
    for a, b in pairs:
        kw = {"second_a": second[a], "second_b": second[b]}
        s = pair_structure(first[a], first[b], groups=modules, **kw)
        split_mod.append(s.r)
        split_all.append(pair_structure(first[a], first[b], **kw).r)
        reliab.append(np.nanmedian(np.r_[np.diag(s.corr_a), np.diag(s.corr_b)]))
    return {
        "pos_unit_r": float(np.nanmedian(np.concatenate(r_unit))),
        "pos_pairs_module_split": float(np.nanmean(split_mod)),
        "pos_pairs_all_split": float(np.nanmean(split_all)),
        "pos_split_half": float(np.nanmedian(reliab)),
    }


def memory_measures(world, nodes, ctx, mem, cap: int, n_c: int) -> dict[str, float]:
    """Home-context share, per-unit r across contexts and home-context fields of memory units."""
    n_steps, n_mem = mem.shape
    home = ctx[:n_mem]  # unit j = the memory written at step j, in context ctx[j]
    t = np.arange(n_steps)[:, None]
    alive = (t > np.arange(n_mem)[None]) & (t <= np.arange(n_mem)[None] + cap)
    act = np.abs(mem) * alive
    in_home = ctx[:, None] == home[None]
    total = act.sum(0)
    active = total > 1e-9
    share = (act * in_home).sum(0)[active] / total[active]
    r, hit, ratio = [], [], []
    for j in np.flatnonzero(active):
        life = alive[:, j]
        maps = [
            lattice_node_means(world, nodes[life & (ctx == k)], act[life & (ctx == k), j])
            for k in range(n_c)
        ]
        peak = [np.nanmax(m) if np.isfinite(m).any() else np.nan for m in maps]
        away = max(
            (p for k, p in enumerate(peak) if k != home[j] and np.isfinite(p)), default=np.nan
        )
        ratio.append(away / peak[home[j]] if peak[home[j]] > 0 else np.nan)
        r += [
            float(spatial_correlation(maps[a][None], maps[b][None]))
            for a in range(n_c)
            for b in range(a + 1, n_c)
        ]
        steps = life & in_home[:, j]
        if (nodes[steps] == nodes[j]).any():  # the write node revisited in the home context
            f = lattice_fields(world, nodes[steps], act[steps, j])
            hit.append(bool(f.one_field_at([nodes[j]])[0]))
    r = np.asarray(r, float)
    return {
        "mem_home_share": float(np.median(share)),
        "mem_rate_ratio": _median(ratio),
        "mem_unit_r": _median(r),
        "mem_r_undefined": float(np.isnan(r).mean()),
        "mem_one_field": float(np.mean(hit)) if hit else float("nan"),
        "mem_scored": float(len(hit)),
    }


def place_measures(world, nodes, ctx, p, home, n_c: int) -> dict[str, float]:
    """TEM-3's p units: home-context share of activity and fields in the home context."""
    act = np.abs(p)
    total = act.sum(0)
    active = total > 1e-9
    share = (act * (ctx[:, None] == home[None])).sum(0)[active] / total[active]
    one, size, scored = [], [], 0
    for k in range(n_c):
        units = home == k
        f = lattice_fields(world, nodes[ctx == k], p[ctx == k][:, units])
        on = np.nanmax(f.node_rate, axis=1) > 0
        scored += int(on.sum())
        one += list(f.n_fields[on] == 1)
        size += [
            len(f.fields[i][0]) / world.n_nodes for i in np.flatnonzero(on & (f.n_fields == 1))
        ]
    return {
        "p_home_share": float(np.median(share)),
        "p_one_field": float(np.mean(one)) if one else float("nan"),
        "p_field_share": _median(size),
        "p_scored": float(scored),
    }


def measure(model, world, seeds: list[int], args) -> dict[str, list[float]]:
    n_steps = args.steps_per_node * world.n_nodes
    m = model.config.model
    n_c = model.config.env.n_c
    tem3 = model_name_of(model.config) == "tem-3"
    centre = int(np.argmin(np.linalg.norm(world.coords - world.coords.mean(0), axis=1)))
    out: dict[str, list[float]] = {k: [] for k in rows_of(model)}
    for seed in seeds:
        ds = rollout(
            model, world, n_steps, seed=seed, start=centre, n_memory_units=args.memory_units
        )
        pop, act = ds.population.values, ds.activity.values.astype(float)
        nodes, ctx = ds.node.values, ds.context.values
        is_pos = pop == ds.attrs["grid_population"]
        is_mem = pop == ds.attrs["memory_population"]
        pos, mem = act[:, is_pos], act[:, is_mem]
        if tem3:  # g units in modules of unequal size; p units, each bound to one context
            row = position_measures(world, nodes, ctx, pos, ds.module.values[is_pos], n_c)
            row.update(place_measures(world, nodes, ctx, mem, ds.home_context.values[is_mem], n_c))
        else:
            modules = np.arange(m.n_e) // (m.n_e // m.n_modules)
            row = position_measures(world, nodes, ctx, pos, modules, n_c)
            row.update(memory_measures(world, nodes, ctx, mem, m.memory_capacity, n_c))
        for k, v in row.items():
            out[k].append(v)
    return out


POSITION_ROWS = {
    "pos_unit_r": "(a) position: per-unit map r between contexts (median)",
    "pos_pairs_module_split": "(a) position: split-half pair structure r between contexts, modules",
    "pos_pairs_all_split": "(a) position: split-half pair structure r between contexts, all",
    "pos_split_half": "    position units' split-half map r within a context (median)",
}
MEMORY_ROWS = {
    "mem_home_share": "(b) memory: home-context share of activity (median)",
    "mem_rate_ratio": "(b) memory: peak rate away from home / at home (median)",
    "mem_unit_r": "(b) memory: per-unit map r between contexts (median, defined)",
    "mem_r_undefined": "    memory: share of unit x context pairs with no r (flat map)",
    "mem_one_field": "(b) memory: one field at the write node, home context",
    "mem_scored": "    memory units scored for fields",
}
PLACE_ROWS = {
    "p_home_share": "(b) p: home-context share of |activity| (median)",
    "p_one_field": "(b) p: share of active units with one field, home context",
    "p_field_share": "(b) p: field size / nodes (median, one-field units)",
    "p_scored": "    p units active in their home context",
}
ROWS = POSITION_ROWS | MEMORY_ROWS


def rows_of(model) -> dict[str, str]:
    """The table's rows for this model: memory neurons (TEM-t-3) or p units (TEM-3)."""
    tem3 = model_name_of(model.config) == "tem-3"
    return POSITION_ROWS | (PLACE_ROWS if tem3 else MEMORY_ROWS)


def cell(values: list[float]) -> str:
    v = np.asarray(values, float)
    mean = np.nanmean(v)
    fmt = ".1e" if 0 < abs(mean) < 1e-2 else ".3f"  # rate ratios can be tiny
    if v.size == 1:
        return f"{v[0]:{fmt}}"
    return f"{mean:{fmt}} +- {np.nanstd(v):{fmt}}"


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("checkpoint")
    p.add_argument("--untrained", action="store_true", help="also measure the untrained twin")
    p.add_argument("--world", default="hexagonal:11", help="KIND:WIDTH")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--steps-per-node", type=int, default=30)
    p.add_argument("--memory-units", type=int, default=512)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    model = load_checkpoint(args.checkpoint)[0]
    if not model.config.env.n_c:
        raise SystemExit(f"{args.checkpoint} is a two-stream model; it has no contexts.")
    kind, _, width = args.world.partition(":")
    world = make_world(kind, int(width or 11))
    seeds = list(range(args.seeds))
    models = {f"trained (step {getattr(model, 'trained_steps', '?')})": model}
    if args.untrained:
        models["untrained twin"] = get_model(model_name_of(model.config), model.config).eval()
    cols = {}
    for name, net in models.items():
        t0 = time.perf_counter()
        cols[name] = measure(net, world, seeds, args)
        print(f"measured {name} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    memory = (
        f", {args.memory_units} memory units, capacity {model.config.model.memory_capacity}"
        if hasattr(model.config.model, "memory_capacity")
        else ""
    )
    print(
        f"{world.kind} {world.width}x{world.height}, {args.steps_per_node * world.n_nodes} steps "
        f"per walk from the centre, walk seeds {seeds}, {model.config.env.n_c} contexts{memory}"
    )
    rows = rows_of(model)
    width = max(len(v) for v in rows.values())
    col = max(16, *(len(n) for n in cols))
    print(f"{'measure':<{width}} | " + " | ".join(f"{n:>{col}}" for n in cols))
    for key, label in rows.items():
        print(f"{label:<{width}} | " + " | ".join(f"{cell(cols[n][key]):>{col}}" for n in cols))
    print(
        "command: PYTHONPATH=. python docs/results/scripts/remap_contexts_tem_t3.py "
        + shlex.join(argv)
    )


if __name__ == "__main__":
    main(sys.argv[1:])
