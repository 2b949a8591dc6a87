"""Grid units of a TEM-t checkpoint over several test walks and two world sizes (issue 12).

Run: PYTHONPATH=. python docs/results/scripts/grid_seeds_tem_t.py [checkpoint | --untrained [--config TOML]] [--seeds N]
     [--null per-unit|pooled] [--controls] [--widths 11 15] [--visits 50]
(default: the shipped ``pretrained("tem-t")``; ``--untrained``: ``get_model("tem-t",
TEMTConfig())`` at its seed). For each width (``--widths``, default 11 and 15; a model with
a learned row per node, ``model.position_code = "embedding"``, runs only in worlds up to its
widest training world) and walk seed (0 .. N-1, default 5):
``grid_summary`` on a walk of 50 x n_nodes steps (``--visits``: other lengths), i.e. ``hippocore.analysis.
lattice_grid_units``: BNT gridness > 0.3 and > the 95th percentile of 100 rotated-spectrum
null maps per unit, NaN null scores counted as not beating the unit. ``--controls`` adds the
controls' pass rates on the same world sizes (docs/results/scripts/grid_controls.py).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from hippocore.envs import make_world
from hippocore.zoo import grid_summary, load_checkpoint, pretrained


def _trained(checkpoint: str):
    if checkpoint.startswith("pretrained:"):
        return pretrained(checkpoint.split(":", 1)[1])
    return load_checkpoint(checkpoint)[0]


def load(checkpoint: str | None, untrained: bool, config: str | None = None):
    """The model to score and a label for it."""
    if untrained:
        from hippocore.zoo import TEMTConfig, as_config, get_model, model_name_of

        if config:  # the untrained model of a config (an ablation's twin)
            cfg = as_config(config)
            return get_model(model_name_of(cfg), cfg).eval(), f"untrained {config}"
        if checkpoint:  # the untrained twin: same config and seed, fresh weights
            net = _trained(checkpoint)
            twin = get_model(model_name_of(net.config), net.config)
            return twin.eval(), f"untrained twin of {checkpoint}"
        return get_model("tem-t", TEMTConfig()).eval(), "untrained TEM-t (TEMTConfig())"
    if checkpoint:
        return _trained(checkpoint), checkpoint
    return pretrained("tem-t"), 'pretrained("tem-t")'


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint", nargs="?")
    p.add_argument("--untrained", action="store_true")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--null", default="per-unit", choices=["per-unit", "pooled"])
    p.add_argument("--controls", action="store_true")
    p.add_argument("--config", help="with --untrained: the untrained model of this TOML config")
    p.add_argument("--widths", type=int, nargs="+", default=[11, 15], help="world widths")
    p.add_argument(
        "--visits", type=int, nargs="+", default=[50], help="walk lengths, in visits per node"
    )
    a = p.parse_args(argv)
    if a.config and not a.untrained:
        p.error("--config names the untrained model to score; add --untrained")
    model, name = load(a.checkpoint, a.untrained, a.config)
    torch.set_num_threads(1)
    if "hexagonal" not in model.config.env.kinds:
        raise SystemExit(f"{name} knows no hexagonal worlds; the grid-unit test needs them.")
    print(f"{name}: grid units by lattice_grid_units ({a.null} null)")
    for width, visits in ((w, v) for w in a.widths for v in a.visits):
        world = make_world("hexagonal", width)
        fr, fp, med, fin, best = [], [], [], [], []
        t0 = time.perf_counter()
        for seed in range(a.seeds):
            g = grid_summary(model, world, visits * world.n_nodes, seed, null=a.null)
            fr.append(g.grid_fraction)
            fp.append(g.shuffle_fraction)
            med.append(g.score_median)
            fin.append(float(np.median(g.n_finite_shuffles)))
            best.append(float(np.nanmax(g.score)) if np.isfinite(g.score).any() else np.nan)
        print(
            f"  hexagonal {width}x{width}, {visits} x n_nodes steps, walk seeds 0-{a.seeds - 1}: grid "
            f"fraction {np.round(fr, 3).tolist()} mean {np.mean(fr):.3f}; median gridness "
            f"{np.round(med, 2).tolist()}; best unit {np.round(best, 2).tolist()}; null maps "
            f"passing (false-positive rate) mean {np.mean(fp):.4f}; finite null maps per unit "
            f"(median) {np.round(fin).astype(int).tolist()} of 100 "
            f"[{time.perf_counter() - t0:.0f} s]"
        )
    if a.controls:
        from grid_controls import control_fractions

        for width in a.widths:
            res = control_fractions(width, null=a.null)
            print(
                f"  controls {width}x{width} (8 seeds x 30): "
                + ", ".join(f"{k} {r['passed']}/{r['total']}" for k, r in res.items())
            )


if __name__ == "__main__":
    main()
