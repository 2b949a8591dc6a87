"""The stacked fast paths of the grid score equal the one-map reference paths, map for map.

Several hundred varied maps (noisy grids, pure noise, band maps, place maps, maps with
plateaus from rounding, NaN holes, a non-square batch) go through ``gridness`` (stacked) and
through the reference path in ``_gridness_oracle.py`` (BNT's placefieldAdaptive per map,
sliding score and grid geometry one map at a time); the annulus correlations are checked
against their direct definition.
"""

import numpy as np
import pytest
from scipy import ndimage
from skimage.morphology import reconstruction
from skimage.transform import rotate

from hippocore.analysis import autocorrelogram, gridness
from hippocore.analysis._adaptive import _CROSS, LADDER
from hippocore.analysis._autocorr import _box_sums
from hippocore.analysis._centre_field import (
    count_at_least,
    join_levels,
    windowed_regions,
    windowed_regions_labelled,
)
from hippocore.analysis._gridness_bnt import BNT_ANGLES, bnt_gns, shells
from hippocore.analysis._morphology import open_by_reconstruction
from hippocore.testing import band_map, grid_map, place_map

from ._gridness_oracle import gridness_bnt_one_map


def _varied_maps(n: int, seed: int, shape=(40, 40)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        kind = i % 5
        if kind == 0:  # noisy grids of any spacing, orientation, field width
            s = rng.uniform(0.25, 0.7)
            m = grid_map(
                shape,
                spacing=s,
                orientation=rng.uniform(0, np.pi),
                phase=tuple(rng.uniform(0, 1, 2)),
                field_sigma=rng.uniform(0.1, 0.3) * s,
            ) + rng.gamma(1.0, rng.uniform(0, 4), shape)
        elif kind == 1:  # noise only
            m = rng.gamma(1.0, 2.0, shape)
        elif kind == 2:
            m = band_map(
                shape,
                wavelength=rng.uniform(0.15, 0.6),
                orientation=rng.uniform(0, np.pi),
                phase=rng.uniform(0, 1),
            ) + rng.gamma(1.0, rng.uniform(0, 2), shape)
        elif kind == 3:
            m = place_map(
                shape,
                centres=rng.uniform(0.1, 0.9, (int(rng.integers(1, 4)), 2)),
                sigma=rng.uniform(0.05, 0.2),
            ) + rng.gamma(1.0, rng.uniform(0, 1), shape)
        else:  # rounded rates: plateaus and ties everywhere
            s = rng.uniform(0.3, 0.6)
            m = grid_map(shape, spacing=s, orientation=rng.uniform(0, np.pi))
            m = np.round(m + rng.gamma(1.0, 1.0, shape))
        if rng.random() < 0.5:  # an unvisited block
            r0, c0 = rng.integers(0, min(shape) - 8, 2)
            m[r0 : r0 + rng.integers(2, 8), c0 : c0 + rng.integers(2, 8)] = np.nan
        out.append(m)
    return np.stack(out)


def _reference(ac: np.ndarray):
    """The one-map reference path on the same normalised autocorrelograms as ``gridness``."""
    peak = ac.max(axis=(1, 2))
    reasons = [""] * ac.shape[0]
    valid = peak > 0
    a = np.where(valid[:, None, None], ac / np.where(valid, peak, 1.0)[:, None, None], 0.0)
    for i in np.flatnonzero(~valid):
        reasons[i] = "autocorrelogram has no positive peak (empty, all-NaN or constant map)"
    out = gridness_bnt_one_map(a, valid, reasons)
    return out, np.array(reasons)


@pytest.mark.parametrize(("n", "seed", "shape"), [(300, 5, (40, 40)), (60, 7, (30, 45))])
def test_stacked_gridness_equals_one_map_reference(n, seed, shape):
    ac = autocorrelogram(_varied_maps(n, seed, shape))
    g = gridness(ac)
    (score, spacing, orient, cr, best_r, ellipse, _, _), reasons = _reference(ac)
    np.testing.assert_array_equal(g.reason, reasons)
    for fast, ref in (
        (g.score, score),
        (g.spacing, spacing),
        (g.orientation, orient),
        (g.ellipse, ellipse),
    ):
        np.testing.assert_array_equal(np.isnan(fast), np.isnan(ref))
        np.testing.assert_allclose(fast, ref, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(g.centre_radius, cr)
    np.testing.assert_array_equal(g.best_radius, best_r)
    # the mix must exercise every outcome: scored grids, geometry failures, no centre field
    assert np.isfinite(g.spacing).all(axis=1).sum() > n // 4
    assert any("radius" in r for r in reasons) and any("geometry" in r for r in reasons)


def test_annulus_correlations_equal_direct_definition():
    rng = np.random.default_rng(3)
    ac = autocorrelogram(_varied_maps(12, 11))
    ac /= ac.max(axis=(1, 2), keepdims=True)
    radii = rng.integers(2, 12, ac.shape[0])
    gns, rad = bnt_gns(ac, radii)
    d = shells(ac.shape[1:])[6]
    for k in range(ac.shape[0]):
        rot = {
            ang: rotate(ac[k], ang, order=1, mode="constant", cval=0, preserve_range=True)
            for ang in BNT_ANGLES
        }
        for big_r in range(radii[k] + 1, rad + 1):
            ring = (d > radii[k]) & (d < big_r)
            c = {ang: np.corrcoef(ac[k][ring], r[ring])[0, 1] for ang, r in rot.items()}
            ref = min(c[60], c[120]) - max(c[30], c[90], c[150])
            assert gns[k, big_r] == pytest.approx(ref, abs=1e-9)
        assert np.all(np.isnan(gns[k, : radii[k] + 1]))


def test_windowed_regions_equal_labelling_every_threshold():
    ac = autocorrelogram(_varied_maps(60, 13))
    ac /= ac.max(axis=(1, 2), keepdims=True)
    opened = open_by_reconstruction(ac)
    images = np.where(opened < 0, opened.max(axis=(1, 2), keepdims=True) * 1.5, opened)
    centre = (35, 35)
    ws, area, euler, touch, sel = windowed_regions(images, centre)
    ths = LADDER
    levels = images[:, 35, 35][:, None] * ths[None, :]
    ref = windowed_regions_labelled(images[:, ws[0], ws[1]], levels, (10, 10), ws, (71, 71))
    np.testing.assert_array_equal(area, ref[1])
    np.testing.assert_array_equal(euler, ref[2])
    np.testing.assert_array_equal(touch, ref[3])
    for k in range(images.shape[0]):
        for t in range(ths.size):
            np.testing.assert_array_equal(sel[k][t], ref[4][k, t])
    assert (euler <= 0).any() and touch.any() and (~touch).any()  # all cases present


def test_join_levels_and_level_counts():
    rng = np.random.default_rng(1)
    sub = np.round(rng.random((20, 15, 17)), 1)  # ties included
    join = join_levels(sub, (7, 8))
    structure = np.zeros((3, 3, 3), bool)
    structure[1] = _CROSS
    for v in np.unique(sub):
        lab, _ = ndimage.label(sub >= v, structure=structure)
        comp = lab == lab[:, 7, 8][:, None, None]
        holds = sub[:, 7, 8] >= v
        np.testing.assert_array_equal((join >= v)[holds], comp[holds])
    levels = np.sort(rng.random((20, 9)), axis=1)
    levels[0] = 0.0  # all-equal levels
    x = rng.random((20, 3, 40))
    x[1, 0, :5] = -np.inf
    x[2, 1, :9] = levels[2]  # exact ties with the levels
    ref = (x[..., None] >= levels[:, None, None, :]).sum(2)
    np.testing.assert_array_equal(count_at_least(x, levels), ref)


def test_stacked_opening_equals_skimage_on_varied_maps():
    ac = autocorrelogram(_varied_maps(40, 17))
    ours = open_by_reconstruction(ac)
    for k in range(ac.shape[0]):
        ero = ndimage.grey_erosion(ac[k], footprint=_CROSS, mode="nearest")
        ref = reconstruction(ero, ac[k], method="dilation", footprint=np.ones((3, 3)))
        np.testing.assert_array_equal(ours[k], ref)


def test_box_sums_equal_direct_window_sums():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(3, 6, 9))
    out = _box_sums(a)
    m, n = a.shape[1:]
    for i in range(2 * m - 1):
        for j in range(2 * n - 1):
            rows = slice(max(0, i - m + 1), min(i, m - 1) + 1)
            cols = slice(max(0, j - n + 1), min(j, n - 1) + 1)
            np.testing.assert_allclose(out[:, i, j], a[:, rows, cols].sum(axis=(1, 2)), atol=1e-12)
