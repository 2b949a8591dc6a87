"""Grid units of a TEM-t checkpoint over several test walks and two world sizes (issue 12).

Run: PYTHONPATH=. python docs/results/scripts/grid_seeds_tem_t.py [checkpoint | --untrained [--config TOML]] [--seeds N]
     [--null per-unit|pooled] [--controls] [--widths 11 15] [--visits 50]
     [--tolerances 5 10 15 20 25 30 none]
(default: the shipped ``pretrained("tem-t")``; ``--untrained``: ``get_model("tem-t",
TEMTConfig())`` at its seed). For each width (``--widths``, default 11 and 15; a model with
a learned row per node, ``model.position_code = "embedding"``, runs only in worlds up to its
widest training world) and walk seed (0 .. N-1, default 5):
``grid_summary`` on a walk of 50 x n_nodes steps (``--visits``: other lengths), i.e. ``hippocore.analysis.
lattice_grid_units``: BNT gridness > 0.3 and > the 95th percentile of 100 rotated-spectrum
null maps per unit, NaN null scores counted as not beating the unit. ``--controls`` adds the
controls' pass rates on the same world sizes (docs/results/scripts/grid_controls.py).
``--tolerances``: also the test decided at other hexagonal-geometry tolerances
(``max_axis_deviation`` in degrees, ``none`` for the score-only rule) from the same scores
and null maps, for the model, its null maps and (with ``--controls``) the controls.
"""

from __future__ import annotations

import argparse
import time
import warnings

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


def consistency(model, passes: np.ndarray, scores: np.ndarray, null_rate: float) -> None:
    """Which units pass on how many walks, by module.

    ``passes``, ``scores``: (n_walks, n_units). A unit that passes on at least half the
    walks is counted as a consistent grid unit (listed, with its module, when there are at
    most 12); beside the count, what the null's
    false-positive rate would give if each walk's passes were independent draws at that rate
    (the expected number of units passing on that many walks by chance).
    """
    from math import comb

    from measure_tem_t import module_of_units

    n_walks, n_units = passes.shape
    k = (n_walks + 1) // 2
    hits = passes.sum(0)
    chance = n_units * sum(
        comb(n_walks, j) * null_rate**j * (1 - null_rate) ** (n_walks - j)
        for j in range(k, n_walks + 1)
    )
    modules = module_of_units(model)
    keep = hits >= k
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # units with no defined score
        med = np.nanmedian(scores, 0)
    print(
        f"    units passing on >= {k} of {n_walks} walks: {int(keep.sum())} of {n_units} "
        f"(chance at the null's rate, walks independent: {chance:.2f})"
        + (
            "; units "
            + ", ".join(
                f"{u} (module {modules[u]}, {hits[u]}/{n_walks}, median gridness {med[u]:.2f})"
                for u in np.flatnonzero(keep)
            )
            if 0 < keep.sum() <= 12 and modules.size == n_units
            else ""
        )
    )
    if modules.size == n_units:
        per = {int(f): int(passes[:, modules == f].sum()) for f in np.unique(modules)}
        print(f"    passes summed over walks, by module: {per}")


def _tolerance(text: str) -> float | None:
    """A ``--tolerances`` value: degrees, or ``none`` for the score-only rule."""
    return None if text.lower() == "none" else float(text)


def _label(tol: float | None) -> str:
    return "none (score only)" if tol is None else f"{tol:g} deg"


def print_tolerances(tests: list, tolerances: list[float | None]) -> None:
    """Units passing and null maps passing, over the walks, at each geometry tolerance."""
    for tol in tolerances:
        redo = [t.with_max_axis_deviation(tol) for t in tests]
        frac = np.mean([r.grid_fraction for r in redo])
        fpr = np.mean([r.false_positive_rate for r in redo])
        print(
            f"    tolerance {_label(tol)}: grid fraction mean {frac:.3f} "
            f"(per walk {[r.n_grid for r in redo]}), null maps passing {fpr:.4f}"
        )


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
    p.add_argument(
        "--tolerances", nargs="+", default=[], type=_tolerance,
        help="geometry tolerances (degrees, or none) to decide the test at as well",
    )  # fmt: skip
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
        fr, fp, med, fin, best, passes, scores, tests = [], [], [], [], [], [], [], []
        t0 = time.perf_counter()
        for seed in range(a.seeds):
            g = grid_summary(model, world, visits * world.n_nodes, seed, null=a.null)
            fr.append(g.grid_fraction)
            fp.append(g.shuffle_fraction)
            med.append(g.score_median)
            fin.append(float(np.median(g.n_finite_shuffles)))
            best.append(float(np.nanmax(g.score)) if np.isfinite(g.score).any() else np.nan)
            passes.append(g.is_grid)
            scores.append(g.score)
            tests.append(g.test)
        print(
            f"  hexagonal {width}x{width}, {visits} x n_nodes steps, walk seeds 0-{a.seeds - 1}: grid "
            f"fraction {np.round(fr, 3).tolist()} mean {np.mean(fr):.3f}; median gridness "
            f"{np.round(med, 2).tolist()}; best unit {np.round(best, 2).tolist()}; null maps "
            f"passing (false-positive rate) mean {np.mean(fp):.4f}; finite null maps per unit "
            f"(median) {np.round(fin).astype(int).tolist()} of 100 "
            f"[{time.perf_counter() - t0:.0f} s]"
        )
        consistency(model, np.array(passes), np.array(scores), float(np.mean(fp)))
        if a.tolerances:
            print_tolerances(tests, a.tolerances)
    if a.controls:
        from grid_controls import control_fractions

        for width in a.widths:
            res = control_fractions(width, null=a.null, tolerances=a.tolerances)
            print(
                f"  controls {width}x{width} (8 seeds x 30): "
                + ", ".join(f"{k} {r['passed']}/{r['total']}" for k, r in res.items())
            )
            for tol in a.tolerances:
                print(
                    f"    tolerance {_label(tol)}: "
                    + ", ".join(
                        f"{k} {r['by_tolerance'][tol]}/{r['total']}" for k, r in res.items()
                    )
                )


if __name__ == "__main__":
    main()
