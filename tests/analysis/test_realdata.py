"""End to end on Sargolini et al. (2006) recordings (read from ../shared/data, never copied)."""

import numpy as np
import pytest
import scipy.io

import hippocore.analysis as ha

pytestmark = pytest.mark.realdata

CELLS = ("T1C1", "T2C1", "T2C3", "T3C1", "T3C2", "T3C3", "T3C4", "T4C1")
BOX = (-0.5, 0.5, -0.5, 0.5)  # 1 m x 1 m box, positions centred on 0


def _session_10073(folder):
    pos = scipy.io.loadmat(folder / "10073-17010302_POS.mat", squeeze_me=True)
    xy = np.column_stack([pos["posx"], pos["posy"]]) / 100.0  # cm -> m
    trains = [
        np.atleast_1d(
            scipy.io.loadmat(folder / f"10073-17010302_{c}.mat", squeeze_me=True)["cellTS"]
        ).astype(float)
        for c in CELLS
    ]
    return np.asarray(pos["post"], float), xy, trains


@pytest.mark.parametrize("bin_size", [0.025, 0.04])
def test_session_10073_separates_grid_cells_from_controls(sargolini_dir, bin_size):
    t, xy, trains = _session_10073(sargolini_dir)
    m = ha.rate_map(t, xy, trains, bin_size=bin_size, limits=BOX, smooth=1.0)
    assert m.rate.shape == (8, round(1 / bin_size), round(1 / bin_size))
    g = ha.gridness(ha.autocorrelogram(m.rate))
    score = dict(zip(CELLS, g.score, strict=True))
    # Found by computing (BNT definition, 2.5 cm and 4 cm bins, 1-bin smoothing): five cells
    # with clear hexagonal autocorrelograms, and T3C4 with none. The test asserts the gap.
    grid = ("T1C1", "T2C1", "T2C3", "T3C1", "T3C3")
    assert min(score[c] for c in grid) > 0.5
    assert score["T3C4"] < 0
    assert min(score[c] for c in grid) - score["T3C4"] > 0.8
    # the clear grid cells share one module: spacings agree within 15 % (about 0.5-0.56 m)
    spacing = np.array([np.mean(g.spacing[CELLS.index(c)]) for c in grid]) * bin_size
    assert np.ptp(spacing) / np.mean(spacing) < 0.15
    assert 0.4 < np.mean(spacing) < 0.65
    # DeepMind's definition ranks them the same way, on its own (higher) scale
    dm = ha.gridness(ha.autocorrelogram(m.rate, crop=False), method="deepmind").score
    assert min(dm[CELLS.index(c)] for c in grid) > dm[CELLS.index("T3C4")] + 0.5


def test_grid_cell_11207_with_untracked_samples(sargolini_dir):
    path = sargolini_dir / "11207-21060501+02_t6c1.mat"
    if not path.exists():
        pytest.skip(f"{path.name} not found in {sargolini_dir}")
    d = scipy.io.loadmat(path, squeeze_me=True)
    xy = np.column_stack([d["x1"], d["y1"]]) / 100.0
    with pytest.warns(ha.UntrackedPositionWarning, match="2 of 59712"):
        m = ha.rate_map(d["t"], xy, d["ts"].astype(float), bin_size=0.025, limits=BOX)
    g = ha.gridness(ha.autocorrelogram(m.rate))
    assert g.score > 0.5
    assert 0.4 < np.mean(g.spacing) * 0.025 < 0.65


@pytest.mark.parametrize("bin_size", [0.03, 0.04])
def test_real_grid_cells_pass_the_lattice_tests_geometry_rule(sargolini_dir, bin_size):
    # The lattice grid-unit test asks for three autocorrelogram axes 60 deg apart, each gap
    # within 15 deg (lattice_grid_units' default, set on model units). Real grid cells must
    # not fail it at the bin sizes recommended for 10-min sessions (3-5 cm): the five clear
    # grid cells of session 10073 measured 5.1-11.3 deg at 3 and 4 cm. (At 2.5 cm T3C3 is
    # 18.3 deg: docs/analysis.md quotes it.)
    t, xy, trains = _session_10073(sargolini_dir)
    m = ha.rate_map(t, xy, trains, bin_size=bin_size, limits=BOX, smooth=1.0)
    g = ha.gridness(ha.autocorrelogram(m.rate))
    dev = dict(zip(CELLS, g.axis_deviation, strict=True))
    assert all(0 <= dev[c] <= 15.0 for c in ("T1C1", "T2C1", "T2C3", "T3C1", "T3C3"))
    # one autocorrelogram gives a float, the same number as in the stack
    one = ha.gridness(ha.autocorrelogram(m.rate[CELLS.index("T3C1")]))
    assert isinstance(one.axis_deviation, float)
    assert one.axis_deviation == pytest.approx(dev["T3C1"], abs=1e-9)
