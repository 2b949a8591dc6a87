import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage
from skimage.transform import rotate

from hippocore.analysis import autocorrelogram, gridness
from hippocore.analysis._gridness_bnt import rotate_stack
from hippocore.testing import grid_map, on_bins, square_grid_rate

from ._bnt_inputs import bnt_hex_map, bnt_rectangular_map, bnt_three_fields_map

# ----------------------------------------------------------------------------- BNT's own tests


def test_bnt_perfect_hexagonal_map_scores_1382():
    g = gridness(autocorrelogram(bnt_hex_map()))
    assert round(g.score * 1000) / 1000 == 1.382
    assert g.reason == ""
    # BNT's hexGrid side 15 -> a triangular lattice of spacing 15 bins, one axis along +x
    np.testing.assert_allclose(g.spacing, 15, atol=0.5)
    np.testing.assert_allclose(g.orientation, [-np.pi / 3, 0, np.pi / 3], atol=np.deg2rad(3))
    # the six nearest peaks lie on a near-circle of radius 15 about the centre bin (44, 44)
    np.testing.assert_allclose(g.ellipse[:2], 44, atol=1e-6)
    np.testing.assert_allclose(g.ellipse[2:4], 15, atol=0.5)


def test_bnt_three_fields_map_scores_minus_02114():
    g = gridness(autocorrelogram(bnt_three_fields_map()))
    assert round(g.score * 10000) / 10000 == -0.2114


def test_bnt_rectangular_map_and_its_transpose_score_minus_00064():
    ac = autocorrelogram(bnt_rectangular_map())
    assert ac.shape == (89, 45)
    s1 = gridness(ac).score
    s2 = gridness(ac.T).score
    assert round(s1 * 10000) / 10000 == -0.0064
    assert round(s2 * 10000) / 10000 == -0.0064


@pytest.mark.parametrize("fill", [0.0, np.nan])
def test_bnt_zero_and_nan_maps_give_nan_with_reason(fill):
    g = gridness(autocorrelogram(np.full((50, 50), fill)))
    assert np.isnan(g.score) and "no positive peak" in g.reason
    g = gridness(np.full((51, 51), np.nan))
    assert np.isnan(g.score) and "NaN" in g.reason


def test_deepmind_mode_matches_the_reference_numbers():
    # reference (analysis.md section 4): DeepMind GridScorer score_60 on BNT's test maps
    g = gridness(autocorrelogram(bnt_hex_map(), crop=False), method="deepmind")
    assert g.score == pytest.approx(1.5984, abs=5e-5)
    g3 = gridness(autocorrelogram(bnt_three_fields_map(), crop=False), method="deepmind")
    assert g3.score == pytest.approx(0.2265, abs=5e-5)
    assert g3.method == "deepmind" and np.isfinite(g3.score_90)


# ----------------------------------------------------------------------------- building blocks


@pytest.mark.parametrize("angle", [30, 60, 90, 120, 150])
def test_sparse_rotation_equals_skimage_bilinear(angle):
    rng = np.random.default_rng(angle)
    a = rng.random((2, 35, 35))
    ours = rotate_stack(a, angle)
    for k in range(2):
        ref = rotate(a[k], angle, order=1, mode="constant", cval=0, preserve_range=True)
        np.testing.assert_allclose(ours[k], ref, atol=1e-12)


def test_deepmind_stack_rotation_equals_per_map_rotation():
    rng = np.random.default_rng(0)
    a = rng.random((3, 21, 21))
    stack = ndimage.rotate(a, 30, axes=(2, 1), reshape=False, order=3)
    for k in range(3):
        np.testing.assert_allclose(stack[k], ndimage.rotate(a[k], 30, reshape=False), atol=1e-12)


# ----------------------------------------------------------------------------- known answers


def _grid(theta, spacing, phase):
    return grid_map(
        (40, 40), spacing=spacing, orientation=theta, phase=phase, field_sigma=0.2 * spacing
    )


@settings(max_examples=15, deadline=None)
@given(
    theta=st.floats(0, np.pi / 3),
    spacing=st.floats(0.3, 0.45),
    px=st.floats(0, 1),
    py=st.floats(0, 1),
)
def test_ideal_grid_recovers_spacing_and_orientation(theta, spacing, px, py):
    g = gridness(autocorrelogram(_grid(theta, spacing, (px, py))))
    assert g.score > 1.0
    # BNT locates peaks to the bin (regional maxima, 3x3-dilated centroids), so the resolution
    # is one bin: spacing within 1 bin, each axis within asin(1 / spacing_in_bins) of a lattice
    # axis theta + k 60 deg (3.5-5.7 deg for these 12-18-bin spacings)
    d = spacing / 0.025
    np.testing.assert_allclose(g.spacing, d, atol=1.0)
    off = np.angle(np.exp(1j * 6 * (g.orientation - theta))) / 6
    assert np.all(np.abs(off) < np.arcsin(1 / d))
    # the three axes are three different lattice directions
    axes = np.round((g.orientation - theta - off) / (np.pi / 3)) % 3
    assert sorted(axes) == [0, 1, 2]
    # so the gaps between axes are 60 deg within twice that resolution
    assert g.axis_deviation <= 2 * np.degrees(np.arcsin(1 / d))


def test_axis_deviation_of_a_square_lattice_and_of_no_geometry():
    # a square lattice (two plane waves 90 deg apart): its axes are not 60 deg apart
    y, x = np.mgrid[0:40, 0:40] * 0.025
    square = np.cos(2 * np.pi * x / 0.35) + np.cos(2 * np.pi * y / 0.35)
    g = gridness(autocorrelogram(np.stack([square, _grid(0.2, 0.35, (0.3, 0.6))])))
    assert g.axis_deviation[0] >= 25.0 and g.axis_deviation[1] < 10.0
    flat = gridness(autocorrelogram(_grid(0.2, 0.35, (0, 0))), method="deepmind")
    assert np.isnan(flat.axis_deviation)  # DeepMind's method has no geometry


@settings(max_examples=15, deadline=None)
@given(theta=st.floats(0, np.pi / 3), px=st.floats(0, 1), py=st.floats(0, 1))
def test_rotating_a_grid_by_60_degrees_keeps_its_score(theta, px, py):
    # the whole firing pattern rotated by 60 deg about the box centre: the same lattice, but a
    # different phase relative to the bins; scores may differ only by discretisation
    c = np.array([0.5, 0.5])
    r = np.array([[0.5, -np.sqrt(3) / 2], [np.sqrt(3) / 2, 0.5]])
    p2 = r @ (np.array([px, py]) - c) + c
    maps = np.stack([_grid(theta, 0.35, (px, py)), _grid(theta + np.pi / 3, 0.35, tuple(p2))])
    s = gridness(autocorrelogram(maps)).score
    assert abs(s[0] - s[1]) < 0.1


@settings(max_examples=15, deadline=None)
@given(theta=st.floats(0, np.pi / 3), scale=st.floats(1e-3, 1e3))
def test_scaling_rates_leaves_score_unchanged(theta, scale):
    m = _grid(theta, 0.35, (0.2, 0.3))
    g = gridness(autocorrelogram(np.stack([m, m * scale])))
    assert g.score[0] == pytest.approx(g.score[1], abs=1e-9)
    np.testing.assert_allclose(g.spacing[0], g.spacing[1], atol=1e-9)


def test_rot90_of_autocorrelogram_gives_identical_score():
    ac = autocorrelogram(_grid(0.25, 0.35, (0.1, 0.7)))
    g = gridness(np.stack([ac, np.rot90(ac), ac.T]))
    np.testing.assert_allclose(g.score, g.score[0], atol=1e-10)


def test_square_lattice_scores_below_zero_in_both_definitions():
    rng = np.random.default_rng(1)
    maps = np.stack(
        [
            on_bins(
                square_grid_rate,
                (40, 40),
                0.025,
                spacing=s,
                orientation=o,
                phase=(0.3, 0.4),
                field_sigma=0.2 * s,
            )
            for s, o in zip(rng.uniform(0.25, 0.45, 8), rng.uniform(0, np.pi / 2, 8), strict=True)
        ]
    )
    ac = autocorrelogram(maps)
    bnt = gridness(ac).score
    assert np.all(bnt[np.isfinite(bnt)] < 0) and np.isfinite(bnt).sum() >= 6
    assert np.all(gridness(autocorrelogram(maps, crop=False), method="deepmind").score < 0)


def test_stack_equals_single_calls_and_input_untouched():
    maps = np.stack([_grid(t, 0.35, (0.2, 0.3)) for t in (0.0, 0.4, 0.9)])
    ac = autocorrelogram(maps)
    before = ac.copy()
    g = gridness(ac)
    np.testing.assert_array_equal(ac, before)
    assert g.score.shape == (3,) and g.spacing.shape == (3, 3) and g.ellipse.shape == (3, 5)
    for k in range(3):
        gk = gridness(ac[k])
        assert gk.score == pytest.approx(g.score[k], abs=1e-12)
        np.testing.assert_allclose(gk.spacing, g.spacing[k])


# ----------------------------------------------------------------------------- bad input


def test_bad_maps_give_nan_with_reasons_not_exceptions():
    too_small = autocorrelogram(np.random.default_rng(0).random((3, 3)))
    constant = autocorrelogram(np.full((30, 30), 2.0))
    # BNT scores even a 5x5 autocorrelogram (one ring); a defined number in [-2, 2], no geometry
    g = gridness(too_small)
    assert -2 <= g.score <= 2 and np.all(np.isnan(g.spacing)) and "fewer than 5 peaks" in g.reason
    g = gridness(constant)
    assert np.isnan(g.score) and "no positive peak" in g.reason
    g = gridness(np.ones((2, 2)))
    assert np.isnan(g.score) and "too small" in g.reason


def test_map_smaller_than_one_period_gives_nan_or_low_score():
    # one field filling a 12x12 map: no grid period fits; BNT finds no rings outside the centre
    m = grid_map((12, 12), spacing=0.6, phase=(0.15, 0.15))
    g = gridness(autocorrelogram(m))
    assert np.isnan(g.score) or g.score < 0.3


def test_deepmind_needs_square_odd_and_method_is_checked():
    with pytest.raises(ValueError, match="square"):
        gridness(np.zeros((5, 7)), method="deepmind")
    with pytest.raises(ValueError, match="method"):
        gridness(np.zeros((5, 5)), method="opexebo")


def test_stacked_centre_radius_equals_placefield_adaptive():
    # gridness precomputes the centre-field search for the whole stack; it must agree with the
    # one-map reference implementation of BNT's placefieldAdaptive
    from hippocore.analysis import placefield_adaptive

    rng = np.random.default_rng(11)
    maps = np.stack(
        [
            _grid(rng.uniform(0, 1), rng.uniform(0.25, 0.6), tuple(rng.uniform(0, 1, 2)))
            for _ in range(12)
        ]
        + [rng.gamma(1.0, 2.0, (40, 40)) for _ in range(4)]
    )
    maps[:6] += rng.gamma(1.0, 3.0, (6, 40, 40))
    ac = autocorrelogram(maps)
    g = gridness(ac)
    for k in range(ac.shape[0]):
        _, fields = placefield_adaptive(
            ac[k] / ac[k].max(), min_peak=0, min_bins=2, peak_coords=[(35, 35)]
        )
        r = int(np.floor(np.sqrt(fields[0].n_bins / np.pi))) if fields else 0
        if r > 1:
            assert g.centre_radius[k] == r
        else:
            assert np.isnan(g.score[k]) and "radius" in g.reason[k]


def test_fast_regional_maxima_equal_skimage():
    from skimage.morphology import local_maxima

    from hippocore.analysis._grid_geometry import regional_max4

    rng = np.random.default_rng(2)
    yy, xx = np.mgrid[-20:21, -20:21]
    inside = np.hypot(yy, xx) < 15
    for k in range(30):
        a = autocorrelogram(
            _grid(rng.uniform(0, 1), rng.uniform(0.25, 0.5), (0.3, 0.2)) + rng.random((40, 40))
        )
        best = np.where(inside, a[15:56, 15:56], 0.0)
        if k % 3 == 0:
            best[inside] = np.round(best[inside], 1)  # plateaus force the exact fallback
        if k % 5 == 0:
            best[inside] = -np.abs(best[inside]) - 0.01  # outer zero plateau is a maximum
        ref = local_maxima(best, connectivity=1, allow_borders=True)
        np.testing.assert_array_equal(regional_max4(best, inside), ref)


@pytest.mark.parametrize("square", [True, False])
def test_slice_dilation_equals_scipy(square):
    from hippocore.analysis._morphology import dilate

    m = np.random.default_rng(0).random((30, 31)) > 0.7
    structure = np.ones((3, 3), bool) if square else ndimage.generate_binary_structure(2, 1)
    np.testing.assert_array_equal(
        dilate(m, square=square), ndimage.binary_dilation(m, structure=structure)
    )
