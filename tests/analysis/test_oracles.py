"""Sped-up internals equal the implementations they replaced (kept in ``_oracles.py``)."""

import numpy as np
import pytest
from scipy import ndimage

from hippocore.analysis import autocorrelogram, gridness
from hippocore.analysis._gridness_bnt import bnt_score_only
from hippocore.analysis._place import _label_stats

from ._oracles import label_stats_lexsort
from .test_fast_paths import _varied_maps


@pytest.mark.parametrize("seed", [0, 1])
def test_label_stats_equal_the_lexsort_version(seed):
    rng = np.random.default_rng(seed)
    values = np.round(rng.gamma(1.0, 2.0, (30, 20, 20)), 1)  # ties inside labels
    structure = np.zeros((3, 3, 3), bool)
    structure[1] = True  # 8-connected within each map
    labels, _ = ndimage.label(values > 2.0, structure=structure)
    holes = np.where(labels % 4 == 0, 0, labels)  # empty labels, as after filtering
    for lab in (labels, holes, np.zeros_like(labels)):
        for new, old in zip(
            _label_stats(lab, values), label_stats_lexsort(lab, values), strict=True
        ):
            np.testing.assert_array_equal(new, old)


def test_score_only_path_equals_gridness_score():
    ac = autocorrelogram(_varied_maps(120, 21))
    ac[3] = np.nan  # an unusable map in the stack
    expected = gridness(ac).score
    np.testing.assert_array_equal(bnt_score_only(ac.copy(), block=32), expected)
    assert np.isfinite(expected).sum() > 30


@pytest.mark.parametrize(
    ("threshold", "min_bins", "min_peak", "min_mean"), [(0.3, 9, 1.0, 0.0), (0.2, 4, 0.5, 0.8)]
)
def test_bnt_field_labels_equal_the_per_candidate_version(threshold, min_bins, min_peak, min_mean):
    from hippocore.analysis._place import _bnt_field_labels

    from ._oracles import bnt_field_labels_per_candidate

    rng = np.random.default_rng(4)
    maps = ndimage.gaussian_filter(rng.gamma(0.5, 4.0, (40, 30, 30)), (0, 1, 1))
    maps[::3, 5:9, 10:20] = np.nan  # unvisited blocks
    maps[5] = np.nan
    maps[6] = 0.0
    got = _bnt_field_labels(maps, threshold, min_bins, min_peak, min_mean, chunk=64)
    ref = bnt_field_labels_per_candidate(maps, threshold, min_bins, min_peak, min_mean)
    np.testing.assert_array_equal(got, ref)
    assert (got.max(axis=(1, 2)) >= 2).sum() > 10  # second-pass fields are exercised


@pytest.mark.parametrize(("shape", "fft_size"), [((40, 40), 256), ((25, 31), 64)])
def test_max_fourier_power_equals_the_strided_version(shape, fft_size):
    from hippocore.analysis._band import max_fourier_power

    from ._oracles import max_fourier_power_strided

    rng = np.random.default_rng(7)
    maps = ndimage.gaussian_filter(rng.gamma(0.5, 4.0, (70,) + shape), (0, 1, 1))
    maps[::4, 3:8, 2:9] = np.nan  # unvisited blocks
    maps[9] = 2.0  # flat
    got = max_fourier_power(maps, bin_size=0.03, fft_size=fft_size)
    np.testing.assert_array_equal(
        got, max_fourier_power_strided(maps, bin_size=0.03, fft_size=fft_size)
    )


def test_second_pass_in_windows_equals_labelling_whole_maps():
    # every regional maximum of varied maps is a candidate: regions inside the 17 x 17
    # window, regions that reach its edge (with and without a hole there), map edges, NaN
    from skimage.morphology import local_maxima

    from hippocore.analysis._place import _second_pass_regions, _second_pass_windowed

    from ._oracles import _SLICE_CROSS

    rng = np.random.default_rng(11)
    maps = ndimage.gaussian_filter(rng.gamma(0.4, 4.0, (150, 36, 40)), (0, 1.2, 1.2))
    maps[::5, 10:14, 3:30] = -np.inf  # unvisited bars
    peaks = np.nonzero(local_maxima(maps, footprint=_SLICE_CROSS, allow_borders=True))
    peaks = (*peaks, maps[peaks])
    for threshold in (0.3, 0.5):
        got = _second_pass_windowed(maps, peaks, threshold, 9, 64)
        np.testing.assert_array_equal(got, _second_pass_regions(maps, peaks, threshold, 9, 64))
        assert got.any(axis=(1, 2)).sum() > 20
