"""Classification of real cells: Sargolini et al. (2006), read from ../shared/data, never copied."""

import warnings

import numpy as np
import pytest
import scipy.io

import hippocore.analysis as ha

pytestmark = pytest.mark.realdata

CELLS = ("T1C1", "T2C1", "T2C3", "T3C1", "T3C2", "T3C3", "T3C4", "T4C1")
BOX = (-0.5, 0.5, -0.5, 0.5)  # 1 m box, positions centred on 0 (cm in the files)


def test_session_10073_grid_cells_are_labelled_grid(sargolini_dir):
    pos = scipy.io.loadmat(sargolini_dir / "10073-17010302_POS.mat", squeeze_me=True)
    xy = np.column_stack([pos["posx"], pos["posy"]]) / 100.0
    trains = [
        np.atleast_1d(
            scipy.io.loadmat(sargolini_dir / f"10073-17010302_{c}.mat", squeeze_me=True)["cellTS"]
        ).astype(float)
        for c in CELLS
    ]
    sh = ha.shuffle_scores(
        np.asarray(pos["post"], float), xy, trains, bin_size=0.025, limits=BOX, n_shuffles=100,
        seed=0,
    )  # fmt: skip
    label = dict(zip(CELLS, ha.classify(sh, percentile=99).label, strict=True))
    # The five cells with clear hexagonal autocorrelograms (see test_realdata.py) pass their
    # own 99th percentile; T3C4, the non-grid control, does not.
    for cell in ("T1C1", "T2C1", "T2C3", "T3C1", "T3C3"):
        assert label[cell] == "grid", cell
    assert label["T3C4"] != "grid"
    # One LED only: head direction cannot be computed and says why.
    with pytest.raises(ValueError, match="second LED"):
        ha.head_direction_from_leds(
            xy, np.column_stack([np.atleast_1d(pos["posx2"]), np.atleast_1d(pos["posy2"])])
        )


def test_cell_11207_is_a_conjunctive_grid_by_head_direction_cell(sargolini_dir):
    path = sargolini_dir / "11207-21060501+02_t6c1.mat"
    if not path.exists():
        pytest.skip(f"{path.name} not found in {sargolini_dir}")
    d = scipy.io.loadmat(path, squeeze_me=True)
    front = np.column_stack([d["x1"], d["y1"]]) / 100.0
    back = np.column_stack([d["x2"], d["y2"]]) / 100.0
    hd = ha.head_direction_from_leds(front, back)
    assert np.isnan(hd).sum() == np.sum(~np.isfinite(front).all(1) | ~np.isfinite(back).all(1))
    with pytest.warns(ha.UntrackedPositionWarning):
        sh = ha.shuffle_scores(
            d["t"], front, [d["ts"].astype(float)], head_direction=hd, bin_size=0.025,
            limits=BOX, n_shuffles=100, seed=0,
        )  # fmt: skip
    c = ha.classify(sh, percentile=99)
    assert c.label[0] == "grid"
    assert c.passed["head-direction"][0]  # Sargolini 2006: conjunctive grid x direction cell
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tc = ha.head_direction_tuning(d["t"], hd, d["ts"].astype(float))
    stats = ha.head_direction_stats(tc.curve, tc.bin_centres)
    assert stats.mean_vector_length == pytest.approx(sh.observed["head_direction"][0], rel=1e-9)
