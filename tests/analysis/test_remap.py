"""Remapping: BNT spatial cross-correlation and population-vector correlation."""

import numpy as np
import pytest

from hippocore.analysis._remap import population_vector_correlation, spatial_correlation
from hippocore.testing import grid_map, place_map


def _magic6():
    # MATLAB magic(6), the second map of BNT SpatialCrossCorrelationTester.single
    return np.array(
        [
            [35, 1, 6, 26, 19, 24],
            [3, 32, 7, 21, 23, 25],
            [31, 9, 2, 22, 27, 20],
            [8, 28, 33, 17, 10, 15],
            [30, 5, 34, 12, 14, 16],
            [4, 36, 29, 13, 18, 11],
        ],
        dtype=float,
    )


BNT_MAP1 = np.array(
    [
        [0.6948, 0.7655, 0.7094, 0.1190, 0.7513, 0.5472],
        [0.3171, 0.7952, 0.7547, 0.4984, 0.2551, 0.1386],
        [0.9502, 0.1869, 0.2760, 0.9597, 0.5060, 0.1493],
        [0.0344, 0.4898, 0.6797, 0.3404, 0.6991, 0.2575],
        [0.4387, 0.4456, 0.6551, 0.5853, 0.8909, 0.8407],
        [0.3816, 0.6463, 0.1626, 0.2238, 0.9593, 0.2543],
    ]
)


def test_bnt_spatial_cross_correlation_0172():
    assert spatial_correlation(_magic6() + 10, _magic6()) == pytest.approx(1.0)
    assert round(spatial_correlation(BNT_MAP1, _magic6()), 4) == 0.172


def test_nan_bins_of_either_map_are_left_out():
    a, b = BNT_MAP1.copy(), _magic6()
    a[0, 0] = np.nan
    b[5, 5] = np.nan
    keep = np.isfinite(a) & np.isfinite(b)
    expect = np.corrcoef(a[keep], b[keep])[0, 1]
    assert spatial_correlation(a, b) == pytest.approx(expect)
    assert np.isnan(spatial_correlation(np.full((3, 3), np.nan), np.ones((3, 3))))


def test_cell_vs_spatially_shuffled_copy_is_near_zero():
    rng = np.random.default_rng(3)
    maps = [grid_map((40, 40), spacing=s, orientation=o) for s, o in ((0.3, 0.1), (0.5, 0.7))]
    maps.append(place_map((40, 40), centres=[(0.3, 0.6)], sigma=0.1))
    stack = np.stack(maps)
    shuffled = np.stack([rng.permutation(m.ravel()).reshape(m.shape) for m in stack])
    r = spatial_correlation(stack, shuffled)
    assert r.shape == (3,)
    assert np.all(np.abs(r) < 0.1)
    assert np.allclose(spatial_correlation(stack, stack), 1.0)


def test_population_vector_correlation_same_and_remapped_populations():
    rng = np.random.default_rng(0)
    centres = rng.uniform(0.1, 0.9, (30, 2))
    a = np.stack([place_map((20, 20), bin_size=0.05, centres=[c], sigma=0.1) for c in centres])
    remapped = a[rng.permutation(30)]
    same = population_vector_correlation(a, a + rng.normal(0, 0.01, a.shape))
    diff = population_vector_correlation(a, remapped)
    assert same.shape == (20, 20)
    assert np.nanmean(same) > 0.95
    assert abs(np.nanmean(diff)) < 0.2
    a_nan = a.copy()
    a_nan[0, 3, 3] = np.nan
    assert np.isnan(population_vector_correlation(a_nan, a)[3, 3])


def test_shape_mismatches_are_named():
    with pytest.raises(ValueError, match="same shape"):
        spatial_correlation(np.ones((5, 5)), np.ones((5, 6)))
    with pytest.raises(ValueError, match="stacks"):
        population_vector_correlation(np.ones((5, 5)), np.ones((5, 5)))
    with pytest.raises(ValueError, match="same shape"):
        population_vector_correlation(np.ones((3, 5, 5)), np.ones((4, 5, 5)))
