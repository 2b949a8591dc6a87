import warnings

import numpy as np
import pytest

from hippocore.analysis import (
    SpikesOutsideTrackingWarning,
    UntrackedPositionWarning,
    lattice_rate_map,
    rate_map,
)
from hippocore.analysis._ratemap import smooth_map
from hippocore.envs import make_world

# BNT MapTester (brkanter/BNT a872035, +tests/+analysesTests/MapTester.m): 50 samples at 50 Hz,
# positions in cm, and 25 spike times, given inline in that test.
_T = np.arange(50) * 0.02
_XY = np.array(
    [
        [-7.4654, -5.1228],
        [-7.0599, -5.7310],
        [-6.5438, -6.2456],
        [-6.2488, -6.7135],
        [-5.5853, -6.9006],
        [-4.5899, -6.9006],
        [-3.5576, -6.8538],
        [-2.8940, -6.7602],
        [-2.5253, -5.9649],
        [-2.2304, -5.3567],
        [-1.7512, -6.1520],
        [-0.9032, -6.4327],
        [0.6452, -6.4795],
        [1.1982, -5.6842],
        [0.7926, -4.5614],
        [2.8571, -4.8421],
        [3.5945, -5.7778],
        [4.9217, -5.8713],
        [5.9908, -5.6842],
        [5.6590, -4.6550],
        [4.1475, -4.5614],
        [3.0783, -3.6725],
        [1.7880, -3.7193],
        [1.1982, -4.0936],
        [0.7189, -2.8304],
        [0.4608, -0.8187],
        [-0.2028, 0.5848],
        [-0.8664, -0.0234],
        [-0.6820, -1.7076],
        [-1.1982, -3.0175],
        [-3.0783, -3.1579],
        [-3.1889, -3.7661],
        [-3.9631, -4.1871],
        [-4.8479, -3.7661],
        [-5.5484, -3.6725],
        [-5.6959, -2.7368],
        [-6.3963, -2.2222],
        [-6.7281, -1.4269],
        [-6.8387, -0.9591],
        [-5.3641, -0.6316],
        [-5.0691, -1.1462],
        [-4.5899, -2.0351],
        [-4.4793, -2.9708],
        [-3.4470, -2.7368],
        [-3.1521, -2.7836],
        [-2.1567, -1.9883],
        [-2.3410, -1.4737],
        [-2.9677, -1.0058],
        [-3.4839, -0.5848],
        [-4.2949, -0.1637],
    ]
)
_SPIKES = np.array(
    [
        0.0623, 0.1037, 0.1075, 0.1168, 0.2143, 0.2595, 0.3117, 0.3585, 0.3965, 0.4394,
        0.4699, 0.5120, 0.5299, 0.5330, 0.5338, 0.5706, 0.6153, 0.6265, 0.6326, 0.6344,
        0.7066, 0.7482, 0.8525, 0.9210, 0.9738,
    ]
)  # fmt: skip


def _bnt_map_tester():
    # BNT's test first moves each spike to its nearest position sample (data.getSpikePositions,
    # knnsearch) and passes those sample times; positions cm -> m, rate units unchanged (Hz).
    nearest = np.abs(_T[None, :] - _SPIKES[:, None]).argmin(axis=1)
    return rate_map(
        _T, _XY / 100, _T[nearest], bin_size=0.05, smooth=1, limits=(-0.075, 0.075, -0.075, 0.075)
    )


def test_bnt_map_tester_counts_times_and_peak():
    m = _bnt_map_tester()
    nan = np.nan
    np.testing.assert_array_equal(m.spike_count_raw, [[10, 5, 3], [2, 5, nan], [nan, nan, nan]])
    np.testing.assert_array_equal(
        np.round(m.occupancy_raw / 0.02), [[18, 10, 7], [9, 6, nan], [nan, nan, nan]]
    )
    # BNT: find(isnan(map.z)) == [3 6 8 9]' (column-major, 1-based)
    assert list(np.flatnonzero(np.isnan(m.rate).ravel(order="F")) + 1) == [3, 6, 8, 9]
    assert np.floor(np.nanmax(m.rate) * 10000) / 10000 == pytest.approx(22.7853, abs=1e-9)
    assert m.x_edges.size == 4 and m.y_edges.size == 4
    np.testing.assert_allclose(m.x, [-0.05, 0.0, 0.05], atol=1e-12)


def test_smooth_map_matches_explicit_mirror_padded_convolution():
    rng = np.random.default_rng(0)
    a = rng.random((7, 5))
    out = smooth_map(a, 1.5)
    # direct: pad each axis by its length with the edge-including mirror, convolve, crop
    for axis in (0, 1):
        n = a.shape[axis]
        r = np.arange(-n, n + 1) / n
        k = np.exp(-(r**2) / (1.5 / n + np.finfo(float).eps) ** 2 / 2)
        k /= k.sum()
        pad = [(0, 0), (0, 0)]
        pad[axis] = (n, n)
        p = np.pad(a, pad, mode="symmetric")
        a = np.apply_along_axis(lambda v, k=k: np.convolve(v, k, mode="valid"), axis, p)
    np.testing.assert_allclose(out, a, atol=1e-13)
    assert np.array_equal(smooth_map(a, 0), a)


def test_activity_map_is_time_weighted_mean_and_stacks_units():
    t = np.array([0.0, 0.1, 0.3, 0.4])
    pos = np.array([[0.01, 0.01], [0.01, 0.01], [0.03, 0.01], [0.03, 0.01]])
    act = np.column_stack([[1.0, 3.0, 2.0, 2.0], [0.0, 0.0, 5.0, 5.0]])
    m = rate_map(t, pos, activity=act, bin_size=0.02, limits=(0, 0.04, 0, 0.02), smooth=0)
    assert m.rate.shape == (2, 1, 2)
    # dwell: 0.1, 0.1 (0.2 clipped to max_gap), 0.1, 0.1 (last repeats previous)
    np.testing.assert_allclose(m.rate[0, 0], [(1 * 0.1 + 3 * 0.1) / 0.2, 2.0])
    np.testing.assert_allclose(m.rate[1, 0], [0.0, 5.0])
    np.testing.assert_allclose(m.occupancy_raw, [[0.2, 0.2]])


def test_spike_trains_list_gives_stack_and_histc_rule():
    t = np.arange(5) * 0.1
    pos = np.column_stack([np.arange(5) * 0.01 + 0.005, np.full(5, 0.005)])
    # a spike exactly at a sample counts there; between samples it counts at the earlier one
    m = rate_map(
        t, pos, [[0.1, 0.15, 0.4], [0.0]], bin_size=0.01, limits=(0, 0.05, 0, 0.01), smooth=0
    )
    assert m.spike_count_raw.shape == (2, 1, 5)
    np.testing.assert_array_equal(m.spike_count_raw[0, 0], [0, 2, 0, 0, 1])
    np.testing.assert_array_equal(m.spike_count_raw[1, 0], [1, 0, 0, 0, 0])


def test_spikes_outside_tracking_are_dropped_with_warning():
    t = np.arange(5) * 0.1
    pos = np.column_stack([np.arange(5) * 0.01 + 0.005, np.full(5, 0.005)])
    with pytest.warns(SpikesOutsideTrackingWarning, match="2 spike"):
        m = rate_map(
            t, pos, [-0.1, 0.2, 0.45, 0.5, 0.51], bin_size=0.01, smooth=0, limits=(0, 0.05, 0, 0.01)
        )
    # 0.45 and 0.5 fall in the last sample's dwell interval [0.4, 0.5] and count there
    np.testing.assert_array_equal(m.spike_count_raw[0], [0, 0, 1, 0, 2])


def test_nan_positions_dropped_with_warning_and_inputs_untouched():
    rng = np.random.default_rng(1)
    t = np.arange(200) * 0.02
    pos = rng.random((200, 2))
    pos[5] = np.nan
    spikes = np.sort(rng.random(30) * 3.9)
    pos0, spikes0 = pos.copy(), spikes.copy()
    with pytest.warns(UntrackedPositionWarning, match="1 of 200"):
        m = rate_map(t, pos, spikes, bin_size=0.1, limits=(0, 1, 0, 1))
    np.testing.assert_array_equal(pos, pos0)
    np.testing.assert_array_equal(spikes, spikes0)
    assert np.nansum(m.occupancy_raw) == pytest.approx(0.02 * 199)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(times=[], positions=np.zeros((0, 2)), spike_times=[]), "empty"),
        (dict(times=[0, 1], positions=np.zeros((3, 2)), spike_times=[]), "must match"),
        (dict(times=[1, 0], positions=np.zeros((2, 2)), spike_times=[]), "increasing"),
        (dict(times=[0, 1], positions=np.zeros((2, 2))), "exactly one"),
        (dict(times=[0, 1], positions=np.zeros((2, 2)), spike_times=[0.5]), "no bins"),
    ],
)
def test_bad_input_raises_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rate_map(**kwargs, bin_size=0.1)


def test_one_metre_box_in_2p5_cm_bins_has_40_bins():
    t = np.arange(3) * 0.02
    pos = np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]])
    m = rate_map(t, pos, [0.02], bin_size=0.025)
    assert m.rate.shape == (40, 40)


@pytest.mark.parametrize("kind", ["square", "hexagonal", "eight"])
def test_lattice_maps_have_no_holes_inside_the_hull(kind):
    world = make_world(kind, 9, 8, spacing=0.1)
    nodes = np.tile(np.arange(world.n_nodes), 3)
    x, y = world.coords[nodes].T
    k = 2 * np.pi / 0.3
    act = np.column_stack([np.cos(k * x) + np.cos(k * y), np.sin(k * x)])
    m = lattice_rate_map(world, nodes, act)
    assert m.rate.shape[0] == 2
    if kind == "hexagonal":
        from scipy.spatial import Delaunay

        gx, gy = np.meshgrid(m.x, m.y)
        inside = Delaunay(world.coords).find_simplex(np.column_stack([gx.ravel(), gy.ravel()])) >= 0
        inside = inside.reshape(gx.shape)
        assert inside.sum() > 0.8 * inside.size
        assert np.all(np.isfinite(m.rate[:, inside]))
        # node values are reproduced exactly at the nodes that fall on the grid
        on = np.isclose(gx, 0.0) & np.isclose(gy, 0.0)
        np.testing.assert_allclose(m.rate[0][on], act[0, 0])
    else:
        assert m.rate.shape[1:] == (8, 9)
        assert np.all(np.isfinite(m.rate))
        np.testing.assert_allclose(m.rate[0].ravel(), act[: world.n_nodes, 0])


def test_lattice_unvisited_nodes_are_nan():
    world = make_world("square", 4, spacing=0.1)
    nodes = np.arange(world.n_nodes - 1)
    m = lattice_rate_map(world, nodes, np.ones(nodes.size))
    assert np.isnan(m.rate).sum() == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="nodes must be integers"):
            lattice_rate_map(world, [99], [1.0])
