"""Controls of the lattice grid-unit test on a world size: ideal grids, bands, smooth noise.

Run: PYTHONPATH=. python docs/results/scripts/grid_controls.py [--widths 11 15] [--units 30]
     [--seeds 0 1 ... 7] [--null per-unit] [--shuffle spectral] [--bin-size-spacings 0.5]
     [--wavelength 4 7] [--kinds grid band noise] [--stretch 1.0] [--tolerances 5 15 none]

Each control population (``hippocore.testing.lattice_controls``: three plane waves 60 deg
apart with wavelengths 4-7 node spacings; single plane waves with the same wavelengths;
Gaussian-smoothed white noise on the nodes, sigma 1-2 spacings) is evaluated at the node
coordinates of a hexagonal world and goes through exactly the pipeline model units go
through (``hippocore.analysis.lattice_grid_units``: lattice rate map, BNT gridness, > 0.3
and > the 95th percentile of 100 null maps per unit). Prints the fraction passing per seed
and overall, to quote beside a model's grid fraction (positive control: grids; negative
controls: bands, noise). ``control_fractions`` is importable.

Batches of 120 smooth-noise fields vary: on 15x15 worlds seeds 0-3 pass 5-7 of 120 (with
null seeds 100+ or 1000+) while 17 other seeds pass 16 of 510. The per-unit null is
calibrated (about 5 % of null-like maps beat their own 95th percentile; the 0.3 floor removes
some), so quote pass rates over at least 8 seeds (240 patterns).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np

from hippocore.analysis import lattice_grid_units
from hippocore.envs import make_world
from hippocore.testing import CONTROL_KINDS, lattice_controls


def control_fractions(
    width: int,
    *,
    seeds: Sequence[int] = tuple(range(8)),
    n_units: int = 30,
    null: str = "per-unit",
    shuffle: str = "spectral",
    bin_size: float | None = None,
    tolerances: Sequence[float | None] = (),
    wavelength: tuple[float, float] = (4.0, 7.0),
    kinds: Sequence[str] = CONTROL_KINDS,
    stretch: float = 1.0,
) -> dict[str, dict[str, object]]:
    """Fraction of each control kind that passes the grid-unit test on a hexagonal world.

    Parameters
    ----------
    width : int
        World width (nodes), e.g. 11 or 15.
    seeds : sequence of int, default 0-7
        One population of ``n_units`` per seed and kind (patterns from ``seed``, null maps
        from ``1000 + seed``).
    n_units : int, default 30
        Patterns per seed and kind.
    null, shuffle, bin_size
        As in :func:`hippocore.analysis.lattice_grid_units` (bin size in m).
    tolerances : sequence of float or None, optional
        Other ``max_axis_deviation`` values (degrees; None: no geometry requirement) at
        which to count passes too, re-decided from the same scores and null maps
        (``LatticeGridUnits.with_max_axis_deviation``).
    wavelength : (float, float), default (4, 7)
        Plane-wave wavelengths of the grids and bands, in node spacings
        (``lattice_controls``), e.g. (10, 30) for wide bands.
    kinds : sequence of str, default all of ``CONTROL_KINDS``
        Which controls to run.
    stretch : float, default 1
        Grids stretched by this factor along a random direction (elliptical grids,
        ``lattice_controls(..., stretch=)``).

    Returns
    -------
    dict
        ``{kind: {"per_seed": [fraction, ...], "passed": int, "total": int, "fraction":
        float, "median_score": float, "median_finite_null": float, "by_tolerance":
        {tolerance: passed}}}``.
    """
    world = make_world("hexagonal", width)
    nodes = np.arange(world.n_nodes)
    out: dict[str, dict[str, object]] = {}
    for kind in kinds:
        per_seed, passed, scores, finite = [], 0, [], []
        by_tol = dict.fromkeys(tolerances, 0)
        for seed in seeds:
            extra = {"stretch": stretch} if kind == "grid" else {}
            c = lattice_controls(world, kind, n_units, seed=seed, wavelength=wavelength, **extra)
            r = lattice_grid_units(
                world, nodes, c.activity, null=null, shuffle=shuffle, bin_size=bin_size,
                seed=1000 + seed,
            )  # fmt: skip
            per_seed.append(r.grid_fraction)
            passed += r.n_grid
            scores.append(r.score)
            finite.append(r.n_finite_shuffles)
            for tol in tolerances:
                by_tol[tol] += r.with_max_axis_deviation(tol).n_grid
        total = n_units * len(seeds)
        out[kind] = {
            "per_seed": per_seed,
            "passed": passed,
            "total": total,
            "fraction": passed / total,
            "median_score": float(np.nanmedian(np.concatenate(scores))),
            "median_finite_null": float(np.median(np.concatenate(finite))),
            "by_tolerance": by_tol,
        }
    return out


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--widths", type=int, nargs="+", default=[11, 15])
    p.add_argument("--units", type=int, default=30)
    p.add_argument("--seeds", type=int, nargs="+", default=list(range(8)))
    p.add_argument("--null", default="per-unit", choices=["per-unit", "pooled"])
    p.add_argument("--shuffle", default="spectral", choices=["spectral", "nodes"])
    p.add_argument("--bin-size-spacings", type=float, default=None, help="map bin / spacing")
    p.add_argument(
        "--wavelength", type=float, nargs=2, default=[4.0, 7.0], metavar=("LO", "HI"),
        help="plane-wave wavelengths of grids and bands, node spacings",
    )  # fmt: skip
    p.add_argument("--kinds", nargs="+", default=list(CONTROL_KINDS), choices=CONTROL_KINDS)
    p.add_argument("--stretch", type=float, default=1.0, help="grids stretched by this factor")
    p.add_argument("--tolerances", nargs="+", default=[], help="geometry tolerances (deg|none)")
    a = p.parse_args(argv)
    tols = [None if t.lower() == "none" else float(t) for t in a.tolerances]
    for width in a.widths:
        t0 = time.perf_counter()
        bs = None if a.bin_size_spacings is None else a.bin_size_spacings * 0.1  # spacing 0.1 m
        res = control_fractions(
            width, seeds=a.seeds, n_units=a.units, null=a.null, shuffle=a.shuffle, bin_size=bs,
            wavelength=tuple(a.wavelength), kinds=a.kinds, stretch=a.stretch, tolerances=tols,
        )  # fmt: skip
        print(
            f"hexagonal {width}x{width}, {a.null} null, {a.shuffle} null maps, 100 per unit, "
            f"seeds {a.seeds} x {a.units} patterns, wavelengths {a.wavelength[0]:g}-"
            f"{a.wavelength[1]:g} spacings, grids stretched {a.stretch:g} "
            f"[{time.perf_counter() - t0:.0f} s]:"
        )
        for kind, r in res.items():
            print(
                f"  {kind:5s} pass {r['passed']}/{r['total']} = {r['fraction']:.3f} "
                f"(per seed {np.round(r['per_seed'], 3).tolist()}); median gridness "
                f"{r['median_score']:.2f}, median finite null maps {r['median_finite_null']:.0f}"
                + "".join(
                    f"; at {'none' if t is None else f'{t:g} deg'}: {n}"
                    for t, n in r["by_tolerance"].items()
                )
            )


if __name__ == "__main__":
    main()
