"""Maps and autocorrelograms of chosen units of a model, with how the grid test calls them.

Run: PYTHONPATH=. python docs/results/scripts/grid_unit_maps.py CHECKPOINT|pretrained:NAME
     --units 36 65 66 67 108 [--width 15] [--seed 0] --out FIG.png
One walk of 50 x n_nodes steps in a fresh hexagonal world (``grid_summary``'s walk for that
seed). For each unit: its lattice rate map over its autocorrelogram, titled with its BNT
gridness, its own null threshold, the three autocorrelogram axes (deg, mod 180; BNT's grid
orientation) and the calls of the score-only rule (``max_axis_deviation=None``) and of the
default rule (hexagonal axes required). Made for the band-like TEM units that passed the
score-only rule (docs/results/tem-vs-tem-t.md, session 10).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remap_tem_t import load  # noqa: E402

from hippocore.analysis import autocorrelogram, gridness  # noqa: E402
from hippocore.envs import make_world  # noqa: E402
from hippocore.zoo import grid_summary  # noqa: E402


def draw_units(rate, units, titles, out: str, suptitle: str, dpi: int = 80) -> None:
    """Each unit's rate map (``rate[u]``, titled ``titles[k]``) over its autocorrelogram,
    titled with its three axes (deg, mod 180) and their largest deviation from 60 deg."""
    ac = autocorrelogram(rate[list(units)])  # one stacked call
    g = gridness(ac)
    fig, ax = plt.subplots(2, len(units), figsize=(2.3 * len(units), 5.0), squeeze=False)
    for k, u in enumerate(units):
        ax[0, k].imshow(rate[u], origin="lower", cmap="jet")
        ax[0, k].set_title(titles[k], fontsize=7)
        ax[1, k].imshow(ac[k], origin="lower", cmap="jet")
        axes = np.sort(np.mod(np.degrees(g.orientation[k]), 180))
        text = (
            ", ".join(f"{v:.0f}" for v in axes) + f" (off 60: {g.axis_deviation[k]:.1f})"
            if np.isfinite(axes).all()
            else "no 6 peaks"
        )
        ax[1, k].set_title(f"axes {text}", fontsize=7)
        for x in ax[:, k]:
            x.set_xticks([])
            x.set_yticks([])
    fig.suptitle(suptitle, fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=dpi)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--units", type=int, nargs="+", required=True)
    p.add_argument("--width", type=int, default=15)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    model = load(a.model).eval()
    world = make_world("hexagonal", a.width)
    steps = 50 * world.n_nodes
    loose = grid_summary(model, world, steps, a.seed, max_axis_deviation=None).test
    strict = loose.with_max_axis_deviation(15.0)  # the default rule, same scores and nulls
    units = [u for u in a.units if 0 <= u < loose.rate.shape[0]]
    if not units:
        raise SystemExit(
            f"--units: none of {a.units} is a unit of this model (0-{loose.rate.shape[0] - 1})"
        )
    titles = [
        f"unit {u}: {loose.score[u]:.2f} (null {loose.threshold[u]:.2f})\n"
        f"score-only: {'grid' if loose.is_grid[u] else 'no'}; "
        f"hexagonal: {'grid' if strict.is_grid[u] else 'no'}"
        for u in units
    ]
    title = f"{a.model}: hexagonal {a.width}x{a.width}, {steps} steps, seed {a.seed}"
    draw_units(loose.rate, units, titles, a.out, title)
    print(f"wrote {a.out}: units {units}")
    for u in units:
        print(
            f"  unit {u}: gridness {loose.score[u]:.3f}, threshold {loose.threshold[u]:.3f}, "
            f"score-only {bool(loose.is_grid[u])}, with hexagonal axes {bool(strict.is_grid[u])}"
        )
    print(
        "command: PYTHONPATH=. python docs/results/scripts/grid_unit_maps.py "
        + " ".join(sys.argv[1:] if argv is None else argv)
    )


if __name__ == "__main__":
    main()
