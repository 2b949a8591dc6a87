"""Gridness and axis deviation of real grid cells (Sargolini et al. 2006) at several bin sizes.

Run: PYTHONPATH=. python docs/results/scripts/axis_deviation_sargolini.py [--data ../shared/data/sargolini2006]
     [--bins 0.025 0.03 0.04 0.05]
Session 10073-17010302 (8 cells, 10 min, 1 m box; five clear grid cells, T3C4 a non-grid
control) and cell 11207 t6c1 (20 min): BNT gridness of the rate map (1-bin smoothing) and
``Gridness.axis_deviation``, the largest deviation from 60 deg of the gaps between the three
autocorrelogram axes, which the lattice grid-unit test requires to be at most 15 deg. The
data are read from the shared folder (never copied); cite Sargolini et al., Science 312:758
(2006) and https://www.ntnu.edu/kavli/research/grid-cell-data.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import scipy.io

import hippocore.analysis as ha

CELLS = ("T1C1", "T2C1", "T2C3", "T3C1", "T3C2", "T3C3", "T3C4", "T4C1")
BOX = (-0.5, 0.5, -0.5, 0.5)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="../shared/data/sargolini2006")
    p.add_argument("--bins", type=float, nargs="+", default=[0.025, 0.03, 0.04, 0.05])
    a = p.parse_args(argv)
    folder = Path(a.data)
    if not (folder / "10073-17010302_POS.mat").exists():
        raise SystemExit(f"Sargolini 2006 data not found in {folder}; pass --data FOLDER")
    pos = scipy.io.loadmat(folder / "10073-17010302_POS.mat", squeeze_me=True)
    xy = np.column_stack([pos["posx"], pos["posy"]]) / 100.0  # cm -> m
    trains = [
        np.atleast_1d(
            scipy.io.loadmat(folder / f"10073-17010302_{c}.mat", squeeze_me=True)["cellTS"]
        ).astype(float)
        for c in CELLS
    ]
    one = scipy.io.loadmat(folder / "11207-21060501+02_t6c1.mat", squeeze_me=True)
    print("bin (cm) | " + " | ".join(CELLS) + " | 11207 t6c1   (gridness / axis deviation, deg)")
    for bs in a.bins:
        m = ha.rate_map(np.asarray(pos["post"], float), xy, trains, bin_size=bs, limits=BOX,
                        smooth=1.0)  # fmt: skip
        g = ha.gridness(ha.autocorrelogram(m.rate))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ha.UntrackedPositionWarning)  # 2 NaN samples
            m1 = ha.rate_map(one["t"], np.column_stack([one["x1"], one["y1"]]) / 100.0,
                             one["ts"].astype(float), bin_size=bs, limits=BOX, smooth=1.0)  # fmt: skip
        g1 = ha.gridness(ha.autocorrelogram(m1.rate))
        cells = [f"{s:.2f} / {d:.1f}" for s, d in zip(g.score, g.axis_deviation, strict=True)]
        print(
            f"{bs * 100:g} | " + " | ".join(cells) + f" | {g1.score:.2f} / {g1.axis_deviation:.1f}"
        )


if __name__ == "__main__":
    main()
