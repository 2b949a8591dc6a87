import numpy as np
import pytest
from scipy import ndimage
from skimage.morphology import reconstruction

from hippocore.analysis import autocorrelogram, placefield_adaptive
from hippocore.analysis._adaptive import Grower, grow_fields
from hippocore.analysis._morphology import open_by_reconstruction
from hippocore.testing import grid_map, place_map

from ._bnt_inputs import bnt_gauss2d


def test_stacked_opening_equals_skimage_reconstruction():
    rng = np.random.default_rng(0)
    stack = np.stack(
        [autocorrelogram(grid_map(orientation=o) + rng.random((40, 40))) for o in (0.1, 0.5)]
    )
    stack = np.concatenate([stack, rng.random((2, 71, 71))])
    ours = open_by_reconstruction(stack)
    cross = ndimage.generate_binary_structure(2, 1)
    for k in range(stack.shape[0]):
        ero = ndimage.grey_erosion(stack[k], footprint=cross, mode="nearest")
        ref = reconstruction(ero, stack[k], method="dilation", footprint=np.ones((3, 3)))
        np.testing.assert_array_equal(ours[k], ref)


def test_windowed_regions_equal_whole_map_regions(monkeypatch):
    rng = np.random.default_rng(5)
    maps = [autocorrelogram(grid_map(spacing=s) + rng.gamma(1, 2, (40, 40))) for s in (0.3, 0.5)]
    for ac in maps:
        ac = ac / ac.max()
        opened = open_by_reconstruction(ac[None])[0]
        small = grow_fields(ac, opened, [(35, 35)], 0.0)
        monkeypatch.setattr(Grower.__init__, "__defaults__", (10**6,))
        whole = grow_fields(ac, opened, [(35, 35)], 0.0)
        monkeypatch.undo()
        np.testing.assert_array_equal(small, whole)


def test_single_gaussian_field_is_found_once():
    # BNT PlacefieldTester's map (Gaussian 30x30, mu 15, gauss2d 'sigma' 7), scaled to Hz
    m = 10 * bnt_gauss2d([[15, 15]], [7], (30, 30))
    labels, fields = placefield_adaptive(m)
    assert len(fields) == 1
    f = fields[0]
    assert f.peak_bin == (14, 14) and f.peak == pytest.approx(10)
    assert labels.max() == 1 and np.count_nonzero(labels) == f.n_bins > 9


def test_two_fields_and_nan_policy():
    m = place_map((40, 40), centres=((0.25, 0.25), (0.75, 0.7)), sigma=0.06, peak_rate=8.0)
    m[0, :] = np.nan
    before = m.copy()
    labels, fields = placefield_adaptive(m)
    np.testing.assert_array_equal(m, before)
    assert len(fields) == 2
    # field centres at (0.25, 0.25) and (0.75, 0.7) m = between bins (9, 10) and (27, 28)/(29, 30)
    np.testing.assert_allclose(
        sorted(f.centroid_bin for f in fields), [(9.5, 9.5), (27.5, 29.5)], atol=0.5
    )
    assert fields[0].n_bins == fields[1].n_bins  # same field shape
    assert placefield_adaptive(np.full((5, 5), np.nan))[1] == []
    assert placefield_adaptive(np.zeros((5, 5)))[1] == []
