"""Measure a TEM-t checkpoint: accuracy criterion, path integration, remapping, grid units.

Run: PYTHONPATH=. python docs/results/scripts/measure_tem_t.py [checkpoint] [--grid] [--band] [--place]
(default checkpoint: the shipped one). Prints every number docs/results/tem-t.md quotes.
``--band-only``: only the Fourier band/grid calls of the checkpoint's grid population (any
zoo model, per module) and of its untrained twin; ``--band-controls``: the same calls on
ideal grids, single plane waves and smooth noise (no checkpoint).
Worlds are of the first lattice kind the model was trained on (hexagonal for the default).
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import torch

from hippocore.envs import make_world
from hippocore.zoo import evaluate, load_checkpoint, pretrained, rollout


def node_means(ds, n_nodes: int, population: str) -> np.ndarray:
    """Mean activity per node (n_unit, n_nodes), NaN at unvisited nodes."""
    act = ds.activity.values[:, ds.population.values == population].astype(float)
    nodes = ds.node.values
    visits = np.bincount(nodes, minlength=n_nodes).astype(float)
    sums = np.stack([np.bincount(nodes, weights=a, minlength=n_nodes) for a in act.T])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(visits > 0, sums / visits, np.nan)


def map_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation per unit over nodes defined in both (NaN if a map is flat)."""
    out = np.full(a.shape[0], np.nan)
    for i in range(a.shape[0]):
        ok = np.isfinite(a[i]) & np.isfinite(b[i])
        x, y = a[i, ok], b[i, ok]
        if ok.sum() > 2 and x.std() > 0 and y.std() > 0:
            out[i] = np.corrcoef(x, y)[0, 1]
    return out


def loop_error(model, world, loop) -> float:
    index = {n: model.actions.index(f"{world.kind}:{n}") for n in world.actions if n != "stay"}
    with torch.no_grad():
        w_all = model.transition_matrices()
        e = e0 = model.e_init[None]
        for name in loop:
            e = model._f(e @ w_all[index[name]])
        return float(1 - torch.nn.functional.cosine_similarity(e, e0).item())


def main(argv: list[str]) -> None:
    args = [a for a in argv if not a.startswith("--")]
    if "--band-controls" in argv:  # the Fourier calls' controls alone
        band_controls()
        return
    model = load_checkpoint(args[0])[0] if args else pretrained("tem-t")
    torch.set_num_threads(1)
    if "--band-only" in argv:  # the Fourier calls alone, for the model and its untrained twin
        from hippocore.zoo import get_model, model_name_of

        print(f"checkpoint: {args[0] if args else 'pretrained(tem-t)'}, step {model.trained_steps}")
        band_counts(model.eval())
        print("untrained twin:")
        band_counts(get_model(model_name_of(model.config), model.config).eval())
        return
    kind = model.config.env.kinds[0]
    print(
        f"checkpoint: {args[0] if args else 'pretrained(tem-t)'}, step {model.trained_steps}, "
        f"{kind} worlds"
    )

    # 1. learning criterion on fresh worlds of the training distribution
    for n_steps in (600, 2000):
        worlds = [make_world(kind, w) for w in (6, 7, 8, 9) for _ in range(4)]
        t0 = time.perf_counter()
        r = evaluate(model, worlds, n_steps, seed=2024)
        print(
            f"evaluate 16 {kind} worlds (6-9 wide) x {n_steps} steps, seed 2024: "
            f"revisit {r.revisit_accuracy:.4f} (n={r.n_revisits}), zero-shot "
            f"{r.zero_shot_accuracy:.4f} (n={r.n_zero_shot}), first visit "
            f"{r.first_visit_accuracy:.4f} (n={r.n_first_visits}) [{time.perf_counter() - t0:.1f} s]"
        )

    def where(width: int) -> str:
        widest = model.config.env.widths[1]
        return "larger than training" if width > widest else f"within training, up to {widest}"

    for width in (11, 15):
        r = evaluate(model, [make_world(kind, width)] * 4, 3000, seed=7)
        print(
            f"evaluate 4 {kind} worlds {width} wide x 3000 steps ({where(width)}): "
            f"revisit {r.revisit_accuracy:.4f}, zero-shot {r.zero_shot_accuracy:.4f}"
        )

    # 2. path integration with W_a alone (no correction)
    w = make_world(kind, 9)
    loops = {
        "E-W": ["east", "west"],
        "triangle": ["east", "north-west", "south-west"],
        "hexagon": ["north-east", "north-west", "west", "south-west", "south-east", "east"],
        "3x3 triangle": ["north-east"] * 3 + ["south-east"] * 3 + ["west"] * 3,
        "open E-E": ["east", "east"],
        "open NE-NE-NE": ["north-east"] * 3,
    }
    if kind == "hexagonal":
        print(
            "loop error (1 - cos(e_end, e_start)), W_a only: "
            + ", ".join(f"{k} {loop_error(model, w, v):.4f}" for k, v in loops.items())
        )

    # 3. remapping: two worlds of the same shape, different observations, same start node
    n_steps = 40 * w.n_nodes
    start = w.n_nodes // 2
    a = rollout(model, w, n_steps, seed=1, start=start)
    b = rollout(model, w, n_steps, seed=2, start=start)
    for pop in ("position_encoding", "memory"):
        c = map_correlations(node_means(a, w.n_nodes, pop), node_means(b, w.n_nodes, pop))
        print(
            f"remapping {kind} 9x9, {n_steps} steps, same start: {pop} map correlation across "
            f"worlds mean {np.nanmean(c):.3f} (median {np.nanmedian(c):.3f}, "
            f"{np.isfinite(c).sum()} units with defined maps)"
        )

    if "--place" in argv:
        place_stats(model, kind)
    if "--band" in argv:
        band_counts(model, kind)
    if "--grid" in argv:
        from hippocore.zoo import grid_summary

        if kind != "hexagonal":
            print(f"grid units: not measured ({kind} worlds; the grid-unit test needs hexagonal)")
            return
        for width in (11, 15):
            t0 = time.perf_counter()
            g = grid_summary(model, make_world(kind, width), 50 * width * width, 0)
            print(
                f"grid units {kind} {width}x{width}, {50 * width * width} steps, walk seed 0 "
                f"(lattice_grid_units: gridness > 0.3 and > 95th pct of 100 rotated-spectrum "
                f"null maps, NaN null = not beating): {g.is_grid.sum()}/{g.is_grid.size} = "
                f"{g.grid_fraction:.3f} (null maps passing {g.shuffle_fraction:.4f}; finite "
                f"scores {np.isfinite(g.score).sum()}; median score {g.score_median:.3f}; "
                f"finite null maps per unit median {np.median(g.n_finite_shuffles):.0f}/100) "
                f"[{time.perf_counter() - t0:.0f} s]"
            )
            grid_by_module(model, g, kind)
        print(
            "  (controls on the same worlds: PYTHONPATH=. python docs/results/scripts/grid_controls.py)"
        )


def grid_by_module(model, g, kind: str) -> None:
    """Grid units and their spacing (node spacings, BNT) per position-code module."""
    from hippocore.analysis import autocorrelogram, gridness

    n_mod = model.config.model.n_modules
    # lattice_rate_map bins: half a node spacing on hexagonal worlds, one node otherwise.
    per_node = 2 if kind == "hexagonal" else 1
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # units without any spacing: NaN
        spacing = np.nanmean(gridness(autocorrelogram(g.rate)).spacing, axis=-1) / per_node
    size = g.is_grid.size // n_mod
    for m in range(n_mod):
        sl = slice(m * size, (m + 1) * size)
        sp = spacing[sl][g.is_grid[sl]]
        print(
            f"  module {m}: grid units {g.is_grid[sl].sum()}/{size}, median gridness "
            f"{np.nanmedian(g.score[sl]) if np.isfinite(g.score[sl]).any() else float('nan'):.2f}, "
            f"median spacing of its grid units "
            f"{np.nanmedian(sp) if np.isfinite(sp).any() else float('nan'):.2f} node spacings"
        )


def fourier_labels(world, nodes, activity, rng, n_shuffles: int = 20) -> list[str]:
    """Fourier band/grid call (Krupic 2012) of each unit's lattice rate map (unsmoothed).

    ``activity`` (n_steps, n_units) at ``nodes`` (n_steps,); each unit's power threshold is
    the 95th percentile of its maximum Fourier power over ``n_shuffles`` node-permutation
    shuffles of the walk. Labels: "band", "grid", "other", "none" (not significant).
    """
    from hippocore.analysis import band_score, lattice_rate_map

    def centred(m, u):
        return np.nan_to_num(m.rate_raw[u] - np.nanmean(m.rate_raw[u]))

    maps = lattice_rate_map(world, nodes, activity)
    null = np.zeros((n_shuffles, activity.shape[1]))
    for s in range(n_shuffles):
        m = lattice_rate_map(world, rng.permutation(world.n_nodes)[nodes], activity)
        for u in range(activity.shape[1]):
            null[s, u] = band_score(centred(m, u), bin_size=m.bin_size).components.max_power
    thr = np.percentile(null, 95, axis=0)
    return [
        band_score(centred(maps, u), bin_size=maps.bin_size, power_threshold=thr[u]).label
        for u in range(activity.shape[1])
    ]


def _counts(labels) -> dict[str, int]:
    labels = list(labels)
    return {k: labels.count(k) for k in ("band", "grid", "other", "none")}


def module_of_units(model) -> np.ndarray:
    """Module of each unit of the grid population: TEM's g sizes, or TEM-t's equal modules."""
    m = model.config.model
    if hasattr(m, "n_grids"):  # TEM
        return np.repeat(np.arange(len(m.n_grids)), m.n_grids)
    return np.repeat(np.arange(m.n_modules), m.n_e // m.n_modules)


def band_counts(model, kind: str = "hexagonal", width: int = 11, n_shuffles: int = 20) -> None:
    """Fourier band/grid calls of the grid population on a 50 x n_nodes walk, per module."""
    from hippocore.zoo._data import make_episode
    from hippocore.zoo._evaluate import run_episodes

    w = make_world(kind, width)
    rng = np.random.default_rng(0)
    env = model.config.env
    ep = make_episode(
        w, 50 * w.n_nodes, model.actions, n_x=env.n_x, direction_bias=env.direction_bias, rng=rng
    )
    e = run_episodes(model, [ep])["e"][0]
    labels = np.array(fourier_labels(w, ep.nodes, e, rng, n_shuffles))
    print(
        f"Fourier calls of {e.shape[1]} position units, {kind} {width}x{width}, {n_shuffles} shuffles: {_counts(labels)}"
    )
    modules = module_of_units(model)
    if modules.size == labels.size:
        for f in np.unique(modules):
            print(f"  module {f}: {_counts(labels[modules == f])}")


def band_controls(width: int = 11, n_units: int = 30, seeds=range(4), n_shuffles: int = 20) -> None:
    """The same Fourier calls on ``hippocore.testing.lattice_controls`` patterns (ideal grids,
    single plane waves, smooth noise; each node visited once), to quote beside a model's."""
    from hippocore.testing import lattice_controls

    w = make_world("hexagonal", width)
    nodes = np.arange(w.n_nodes)
    for kind in ("grid", "band", "noise"):
        labels = []
        for seed in seeds:
            c = lattice_controls(w, kind, n_units, seed=seed)
            labels += fourier_labels(
                w, nodes, c.activity, np.random.default_rng(1000 + seed), n_shuffles
            )
        print(
            f"controls, {kind} patterns ({n_units} x {len(seeds)} seeds), hexagonal {width}x{width}: "
            f"{_counts(labels)}"
        )


def place_stats(model, kind: str = "hexagonal") -> None:
    """Memory neurons vs position units: spatial information and field counts (9x9 world).

    Two field counts: BNT ``placefield`` on the interpolated lattice maps (half-spacing bins,
    9-bin minimum: a one-node field covers fewer bins than that on hexagonal maps, so BNT
    drops it), and :func:`hippocore.analysis.lattice_fields` on the per-node maps (one node
    is a field; contiguity = the world's edges). Each memory neuron is scored over its
    lifetime: the steps after its memory was written (before, it does not exist) up to the
    step that reuses its ring-buffer slot (the walk, 40 x 81 steps, is longer than the
    capacity of 2048). Spatial information is
    Skaggs' on the per-node maps (occupancy = steps per node).
    """
    import warnings

    from hippocore.analysis import (
        lattice_fields,
        lattice_rate_map,
        place_fields,
        skaggs_information,
    )

    w = make_world(kind, 9)
    n_steps = 40 * w.n_nodes
    ds = rollout(model, w, n_steps, seed=1, start=40, n_memory_units=512)
    pop = ds.population.values
    nodes = ds.node.values
    for name in ("memory", "position_encoding"):
        act = ds.activity.values[:, pop == name].astype(float)
        if name == "position_encoding":
            act = act - act.min(0)  # information needs non-negative rates
        maps = lattice_rate_map(w, nodes, act)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bnt = np.array(
                [len(f) for f in place_fields(np.nan_to_num(maps.rate_raw), min_peak=0.0)]
            )
        if name == "memory":
            # Unit j exists from step j + 1 (its memory is written at step j) to step j + cap
            # (then its ring-buffer slot is reused and rollout silences it): its lifetime.
            cap = model.config.model.memory_capacity
            per_unit = [
                lattice_fields(w, nodes[j + 1 : j + cap + 1], act[j + 1 : j + cap + 1, j])
                for j in range(act.shape[1])
            ]
            n = np.array([f.n_fields[0] for f in per_unit])
            size = np.array([f.fields[0][0].size if f.n_fields[0] else 0 for f in per_unit])
            rates = [f.node_rate[0] for f in per_unit]
            occs = [f.occupancy for f in per_unit]
            info = np.array(
                [
                    skaggs_information(r[None, None], o[None]).content[0]
                    if np.nanmax(r) > 0
                    else np.nan
                    for r, o in zip(rates, occs, strict=True)
                ]
            )
            at_write = np.mean([f.peak_node[0] == nodes[j] for j, f in enumerate(per_unit)])
            second = np.array(
                [
                    np.nanmax(f.node_rate[0, f.fields[0][1]]) / np.nanmax(f.node_rate[0])
                    for f in per_unit
                    if f.n_fields[0] > 1
                ]
            )
            mass = np.array(
                [
                    np.nansum((f.node_rate[0] * f.occupancy)[f.fields[0][0]])
                    / np.nansum(f.node_rate[0] * f.occupancy)
                    for f in per_unit
                    if f.n_fields[0]
                ]
            )
            dist = np.array(
                [
                    np.linalg.norm(w.coords[f.fields[0][1][0]] - w.coords[f.peak_node[0]])
                    / w.spacing
                    for f in per_unit
                    if f.n_fields[0] > 1
                ]
            )
            print(
                f"memory: share of a neuron's activity (rate x occupancy) in its main field: "
                f"median {np.median(mass):.2f} (quartiles {np.quantile(mass, 0.25):.2f}-"
                f"{np.quantile(mass, 0.75):.2f})"
            )
            if second.size:
                print(
                    f"memory: second-field peak / main peak: median {np.median(second):.2f} "
                    f"(quartiles {np.quantile(second, 0.25):.2f}-{np.quantile(second, 0.75):.2f}); "
                    f"distance of the second field from the peak (node spacings): median "
                    f"{np.median(dist):.1f}, adjacent (1 spacing) {np.mean(np.isclose(dist, 1)):.1%}"
                )
        else:
            lf = lattice_fields(w, nodes, act)
            n = lf.n_fields
            size = np.array([f[0].size if f else 0 for f in lf.fields])
            info = np.asarray(skaggs_information(lf.node_rate[:, None], lf.occupancy[None]).content)
            at_write = np.nan
        sparsity_nodes = np.median(size[n > 0]) if (n > 0).any() else np.nan
        print(
            f"{name} ({kind} 9x9, {n_steps} steps): {act.shape[1]} units, Skaggs information "
            f"(node maps) median {np.nanmedian(info):.2f} bits per unit of activity "
            f"(uniform-occupancy bound log2({w.n_nodes}) = {np.log2(w.n_nodes):.2f}); "
            f"BNT fields on half-spacing maps: 1 field {np.mean(bnt == 1):.1%} "
            f"(0: {(bnt == 0).sum()}, 1: {(bnt == 1).sum()}, 2: {(bnt == 2).sum()}, >2: {(bnt > 2).sum()}); "
            f"lattice_fields on node maps: 1 field {np.mean(n == 1):.1%} "
            f"(0: {(n == 0).sum()}, 1: {(n == 1).sum()}, 2: {(n == 2).sum()}, >2: {(n > 2).sum()}), "
            f"median nodes in the main field {sparsity_nodes:.0f}"
            + (
                f", peak at the node where the memory was written {at_write:.1%}"
                if name == "memory"
                else ""
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:])
