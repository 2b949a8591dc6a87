"""Gridness and axis deviation of real grid cells (Sargolini et al. 2006) at several bin sizes.

Run: PYTHONPATH=. python docs/results/scripts/axis_deviation_sargolini.py [--data ../shared/data/sargolini2006]
     [--bins 0.025 0.03 0.04 0.05]
Session 10073-17010302 (8 cells, 10 min, 1 m box; five clear grid cells, T3C4 a non-grid
control) and cell 11207 t6c1 (20 min), read with ``hippocore.io.read_kavli_mat``: BNT gridness
of the rate map (1-bin smoothing) and
``Gridness.axis_deviation``, the largest deviation from 60 deg of the gaps between the three
autocorrelogram axes, which the lattice grid-unit test requires to be at most 15 deg. The
data are read from the shared folder (never copied); cite Sargolini et al., Science 312:758
(2006) and https://www.ntnu.edu/kavli/research/grid-cell-data.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import hippocore.analysis as ha
from hippocore.io import read_kavli_mat
from hippocore.schema import spike_trains

BOX = (-0.5, 0.5, -0.5, 0.5)  # the whole 1 m box, m


def scored(session, bin_size: float) -> ha.Gridness:
    """BNT gridness of every unit's rate map (1-bin smoothing)."""
    m = ha.rate_map(session.time.values, session.position.values, spike_trains(session),
                    bin_size=bin_size, limits=BOX, smooth=1.0)  # fmt: skip
    return ha.gridness(ha.autocorrelogram(m.rate))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="../shared/data/sargolini2006")
    p.add_argument("--bins", type=float, nargs="+", default=[0.025, 0.03, 0.04, 0.05])
    a = p.parse_args(argv)
    folder = Path(a.data)
    if not (folder / "10073-17010302_POS.mat").exists():
        raise SystemExit(f"Sargolini 2006 data not found in {folder}; pass --data FOLDER")
    session = read_kavli_mat(folder / "10073-17010302_POS.mat")
    one = read_kavli_mat(folder / "11207-21060501+02_t6c1.mat")  # warns: 2 untracked samples
    cells = [str(u) for u in session.unit.values] + [str(u) for u in one.unit.values]
    print("bin (cm) | " + " | ".join(cells) + "   (gridness / axis deviation, deg)")
    for bs in a.bins:
        g, g1 = scored(session, bs), scored(one, bs)
        pairs = list(zip(g.score, g.axis_deviation, strict=True))
        pairs += list(zip(g1.score, g1.axis_deviation, strict=True))
        print(f"{bs * 100:g} | " + " | ".join(f"{s:.2f} / {d:.1f}" for s, d in pairs))


if __name__ == "__main__":
    main()
