"""What the grid test's passes are: their Fourier call and how striped their autocorrelogram is.

Run: PYTHONPATH=. python docs/results/scripts/grid_pass_structure.py CHECKPOINT|pretrained:NAME
     [--seeds 0 1 2] [--width 11] [--maps FIG.png]
     PYTHONPATH=. python docs/results/scripts/grid_pass_structure.py --controls [--seeds 0 1]
For each walk (``grid_summary``'s walk of 50 x n_nodes steps for that seed, the default
rule: gridness > 0.3 and > the unit's 95th null percentile, axes within 15 deg of 60 deg
apart), every unit that passes is cross-tabulated with

- its Fourier call (Krupic et al. 2012, ``measure_tem_t.fourier_labels``: band, grid,
  other or not significant, against 20 node-permutation shuffles of the same walk), and
- the **stripe coherence** of its autocorrelogram: (l1 - l2) / (l1 + l2) of the gradient
  structure tensor (the eigenvalues l1 >= l2 of the summed outer products of the
  autocorrelogram's gradient) inside BNT's best disc (``Gridness.best_radius``, the disc the
  score was taken in). A regular hexagon has coherence 0 (any 2-D tensor with six-fold
  symmetry is isotropic), a single plane wave 1, and a hexagon stretched by ``s`` about
  (s^2 - 1) / (s^2 + 1): 0.18 at 1.2, 0.38 at 1.5.

``--controls`` scores the same on ideal grids (stretch 1 and 1.2), bands and smooth noise
(``hippocore.testing.lattice_controls``, 30 per seed). ``--maps`` draws the passes the Fourier
call labels band, and the two passes of median coherence, map over autocorrelogram.
Diagnostic: it does not change the test.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grid_unit_maps import draw_units  # noqa: E402
from measure_tem_t import fourier_labels  # noqa: E402
from remap_tem_t import load  # noqa: E402

from hippocore.analysis import autocorrelogram, gridness, lattice_grid_units  # noqa: E402
from hippocore.envs import make_world  # noqa: E402
from hippocore.testing import lattice_controls  # noqa: E402
from hippocore.zoo import grid_summary  # noqa: E402

LABELS = ("grid", "band", "other", "none")


def stripe_coherence(rate: np.ndarray) -> np.ndarray:
    """Coherence in [0, 1] of each map's autocorrelogram inside BNT's best disc.

    ``rate`` (n, h, w) rate maps; returns (n,), NaN where gridness found no best radius.
    """
    ac = autocorrelogram(rate)
    radius = np.asarray(gridness(ac).best_radius, float)
    n, h, w = ac.shape
    gy, gx = np.gradient(np.nan_to_num(ac), axis=(1, 2))
    yy, xx = np.mgrid[:h, :w]
    disc = np.hypot(yy - h // 2, xx - w // 2)[None] <= radius[:, None, None]
    disc &= np.isfinite(ac)
    jxx, jyy, jxy = ((a * b * disc).sum((1, 2)) for a, b in ((gx, gx), (gy, gy), (gx, gy)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (jxx + jyy)


def cross_tab(name: str, world, nodes, activity, test, fourier_seed: int) -> dict:
    """Print the passes by Fourier call and coherence; return the per-unit arrays."""
    labels = np.array(fourier_labels(world, nodes, activity, np.random.default_rng(fourier_seed)))
    coh = stripe_coherence(test.rate)
    passed = test.is_grid
    parts = []
    for lab in LABELS:
        c = coh[passed & (labels == lab)]
        if c.size:
            parts.append(f"{lab} {c.size} (coherence {np.nanmin(c):.2f}-{np.nanmax(c):.2f})")
    q = np.nanpercentile(coh[passed], [50, 90]) if passed.any() else [np.nan, np.nan]
    print(
        f"{name}: {passed.sum()} of {passed.size} pass; by Fourier call: "
        + (", ".join(parts) or "-")
        + f"; coherence of passes median {q[0]:.2f}, 90th pct {q[1]:.2f}"
    )
    return {"labels": labels, "coherence": coh, "passed": passed, "score": test.score}


def run_model(src: str, seeds, width: int, maps: str | None) -> None:
    torch.set_num_threads(1)
    model = load(src).eval()
    totals = dict.fromkeys(LABELS, 0)
    for seed in seeds:
        world = make_world("hexagonal", width)
        s = grid_summary(model, world, 50 * world.n_nodes, seed)
        name = f"{src} {width}x{width} seed {seed}"
        r = cross_tab(name, world, s.nodes, s.activity, s.test, 1000 + seed)
        for lab in LABELS:
            totals[lab] += int((r["passed"] & (r["labels"] == lab)).sum())
        if maps and seed == seeds[0]:
            draw_passes(s.test.rate, r, maps, f"{src}: hexagonal {width}x{width}, seed {seed}")
    print(f"total passes by Fourier call over seeds {list(seeds)}: {totals}")


def draw_passes(rate, r, out: str, title: str) -> None:
    """The band-called passes (up to 6) and the two passes of median coherence."""
    passed = np.flatnonzero(r["passed"])
    band = [u for u in passed[np.argsort(-r["coherence"][passed])] if r["labels"][u] == "band"]
    rest = passed[np.argsort(r["coherence"][passed])]
    mid = [u for u in rest[len(rest) // 2 - 1 : len(rest) // 2 + 1] if u not in band]
    units = band[:6] + mid
    if not units:
        print(f"--maps: no passes to draw in {title}")
        return
    titles = [
        f"unit {u}: {r['labels'][u]}, gridness {r['score'][u]:.2f}\n"
        f"coherence {r['coherence'][u]:.2f}"
        for u in units
    ]
    draw_units(rate, units, titles, out, title)
    print(f"wrote {out}: units {units}")


def run_controls(seeds, width: int) -> None:
    world = make_world("hexagonal", width)
    nodes = np.arange(world.n_nodes)
    for kind, stretch in (("grid", 1.0), ("grid", 1.2), ("band", 1.0), ("noise", 1.0)):
        for seed in seeds:
            c = lattice_controls(world, kind, 30, seed=seed, stretch=stretch)
            test = lattice_grid_units(world, nodes, c.activity, seed=1000 + seed)
            name = f"{kind} (stretch {stretch:g}) {width}x{width} seed {seed}"
            cross_tab(name, world, nodes, c.activity, test, 2000 + seed)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", nargs="?")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--width", type=int, default=11)
    p.add_argument("--controls", action="store_true")
    p.add_argument("--maps")
    a = p.parse_args(argv)
    if a.controls:
        run_controls(a.seeds, a.width)
    elif a.model:
        run_model(a.model, a.seeds, a.width, a.maps)
    else:
        p.error("give a checkpoint or pretrained:NAME, or --controls")
    print(
        "command: PYTHONPATH=. python docs/results/scripts/grid_pass_structure.py "
        + " ".join(sys.argv[1:] if argv is None else argv)
    )


if __name__ == "__main__":
    main()
