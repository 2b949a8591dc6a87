"""Unit gallery of a zoo model's position units, and of its untrained twin (issues 12, 13).

Run: PYTHONPATH=. python docs/results/scripts/gallery_tem_t.py [CHECKPOINT|pretrained:NAME] [--untrained]
     [--world hexagonal:11] [--steps-per-node 50] [--seed 0] [--out docs/results/img/NAME.png]
     [--dpi 90] [--population NAME] [--units N]
(default: pretrained:tem-t -> docs/results/img/tem-t.png). One walk of steps-per-node x
n_nodes steps from the centre node; every position unit's node map (mean activity per node,
on the world's geometry) beside its autocorrelogram (``autocorrelogram`` of the
``lattice_rate_map``, half-spacing bins on hexagonal worlds) with its BNT gridness above;
one row per module. ``--untrained`` also draws the untrained twin (``get_model`` of the
registered model the source holds, e.g. tem-t or tem-t-3, with its config; same walk and
observations) into ``<out stem>-untrained.png``. PNGs are written with 256 colours
(readable; 200-260 kB for 60 units at dpi 90). ``--population`` draws another population
(e.g. TEM's ``p``), ``--units N`` N of its units evenly spaced; rows are the units' modules.
"""

from __future__ import annotations

import argparse
import io
import os
import shlex
import sys

import numpy as np
import torch

from hippocore.analysis import autocorrelogram, gridness, lattice_node_means, lattice_rate_map
from hippocore.envs import make_world
from hippocore.plotting import unit_gallery
from hippocore.zoo import get_model, load_checkpoint, model_name_of, pretrained, rollout


def load(src: str):
    """A model from ``pretrained:NAME`` or a checkpoint path."""
    if src.startswith("pretrained:"):
        return pretrained(src.split(":", 1)[1])
    return load_checkpoint(src)[0]


def save_png(fig, out: str, dpi: int) -> None:
    """Write ``fig`` as a 256-colour PNG (a third of the RGBA file; the maps need no more)."""
    from PIL import Image  # Pillow: a matplotlib dependency

    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi, format="png")
    buf.seek(0)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    image = Image.open(buf).convert("RGB").quantize(256, dither=Image.Dither.NONE)
    image.save(out, format="PNG", optimize=True)


def draw(model, world, n_steps: int, seed: int, title: str, out: str, dpi: int, args) -> None:
    centre = int(np.argmin(np.linalg.norm(world.coords - world.coords.mean(0), axis=1)))
    ds = rollout(model, world, n_steps, seed=seed, start=centre, n_memory_units=1)
    population = args.population or ds.attrs["grid_population"]
    is_pop = ds.population.values == population
    if not is_pop.any():
        raise SystemExit(f"no population {population!r}: {sorted(set(ds.population.values))}")
    act = ds.activity.values[:, is_pop].astype(float)
    if "module" in ds.coords and (ds.module.values[is_pop] >= 0).all():
        module = ds.module.values[is_pop]
    else:  # TEM-t: equal modules in order
        n_e, n_mod = act.shape[1], model.config.model.n_modules
        module = np.arange(n_e) // (n_e // n_mod)
    keep = np.arange(act.shape[1])
    if args.units and args.units < keep.size:  # evenly spaced units, all modules kept
        keep = np.unique(np.linspace(0, keep.size - 1, args.units).round().astype(int))
    act, module = act[:, keep], module[keep]
    nodes = ds.node.values
    acorr = autocorrelogram(lattice_rate_map(world, nodes, act).rate)
    score = np.asarray(gridness(acorr).score, dtype=float)
    med = np.nanmedian(score) if np.isfinite(score).any() else float("nan")
    best = np.nanmax(score) if np.isfinite(score).any() else float("nan")
    fig = unit_gallery(
        world,
        lattice_node_means(world, nodes, act),
        acorr,
        score=score,
        groups=[f"module {m}" for m in module],
        title=f"{title}: {keep.size} {population} units, {world.kind} {world.width}x"
        f"{world.height}, {n_steps} steps (seed {seed}); node maps | autocorrelograms with BNT "
        f"gridness (median {med:.2f}, best {best:.2f})",
    )
    save_png(fig, out, dpi)
    print(
        f"{out}: {os.path.getsize(out) / 1024:.0f} kB, {keep.size} {population} units; gridness "
        f"median {med:.3f}, max {best:.3f}, >= 0.3: {int(np.sum(score >= 0.3))}, "
        f"NaN: {int(np.isnan(score).sum())}"
    )


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("source", nargs="?", default="pretrained:tem-t")
    p.add_argument("--untrained", action="store_true", help="also draw the untrained twin")
    p.add_argument("--world", default=None, help="KIND:WIDTH (default: <model kind>:11)")
    p.add_argument("--steps-per-node", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None)
    p.add_argument("--dpi", type=int, default=90)
    p.add_argument("--population", help="population to draw (default: the grid population)")
    p.add_argument("--units", type=int, default=0, help="draw this many, evenly spaced")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    model = load(args.source)
    kind, _, width = (args.world or f"{model.config.env.kinds[0]}:11").partition(":")
    world = make_world(kind, int(width or 11))
    name = os.path.splitext(os.path.basename(args.source.split(":", 1)[-1]))[0]
    out = args.out or os.path.join("docs", "results", "img", f"{name}.png")
    n_steps = args.steps_per_node * world.n_nodes
    step = getattr(model, "trained_steps", "?")
    draw(model, world, n_steps, args.seed, f"{args.source} (step {step})", out, args.dpi, args)
    if args.untrained:
        twin = get_model(model_name_of(model.config), model.config).eval()
        stem, ext = os.path.splitext(out)
        draw(
            twin,
            world,
            n_steps,
            args.seed,
            "untrained twin",
            f"{stem}-untrained{ext}",
            args.dpi,
            args,
        )
    print("command: PYTHONPATH=. python docs/results/scripts/gallery_tem_t.py " + shlex.join(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
