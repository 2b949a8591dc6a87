"""Place fields: BNT placefield's published expectations and known answers."""

import numpy as np
import pytest

from hippocore.analysis import PlaceField
from hippocore.analysis._place import fields_per_map, place_fields
from hippocore.testing import bin_centres, place_map

from ._bnt_inputs import bnt_gauss2d as gauss2d


def test_bnt_single_gaussian_one_field_69_bins_mean_05059():
    # BNT PlacefieldTester.oneInTheMiddle: gauss2d([15 15], 7, [30 30]) with default options.
    fields = place_fields(gauss2d([15, 15], 7, (30, 30)))
    assert len(fields) == 1
    assert fields[0].n_bins == 69
    assert round(fields[0].mean_rate * 10000) == 5059


def test_bnt_field_below_20_percent_found_by_second_pass():
    # BNT PlacefieldTester.fieldBelow20: two fields, peaks 20 (21 bins) and 6 (9 bins).
    m = np.array(
        [
            [2, 3, 5, 5, 5, 5, 3, 2, 2, 3, 3, 3, 3, 2],
            [2, 3, 5, 17, 19, 17, 3, 2, 2, 3, 4, 5, 4, 2],
            [2, 3, 5, 19, 20, 19, 3, 2, 2, 3, 5, 6, 5, 2],
            [2, 3, 5, 17, 19, 17, 3, 2, 2, 3, 4, 5, 4, 2],
            [2, 3, 5, 5, 5, 5, 3, 2, 2, 3, 3, 3, 3, 2],
            [2, 3, 5, 2, 3, 2, 3, 2, 2, 3, 2, 2, 2, 2],
        ],
        dtype=float,
    )
    fields = place_fields(m, threshold=0.2, min_bins=0, min_peak=0)
    assert [(f.peak, f.n_bins) for f in fields] == [(20.0, 21), (6.0, 9)]


BNT_PTS = [[5, 5], [20.5, 9], [30, 15], [12.5, 22.5]]


def test_bnt_several_fields_below_20_percent():
    m = gauss2d(BNT_PTS, 5, (35, 35), [20, 3.9, 3.5, 3])
    fields = place_fields(m, threshold=0.2, min_bins=0, min_peak=0)
    assert len(fields) == 4
    peaks = [f.peak for f in fields]
    assert len(set(np.round(peaks, 9))) == 4


def test_bnt_min_peak_and_min_bins():
    m = gauss2d(BNT_PTS, 5, (35, 35), [20, 6, 10, 3])
    fields = place_fields(m, threshold=0.2, min_bins=0, min_peak=9)
    assert [round(f.peak) for f in fields] == [20, 10]
    assert len(place_fields(m, threshold=0.2, min_bins=13, min_peak=0)) == 3


@pytest.mark.parametrize("method", ["bnt", "adaptive"])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_k_separated_gaussian_fields_give_k_fields_at_their_centres(k, method):
    a, b = 0.2125, 0.7875  # bin centres, so each field peaks on a bin
    centres = np.array([[a, a], [b, b], [a, b], [b, a]])[:k]
    m = place_map((40, 40), bin_size=0.025, centres=centres, sigma=0.06, peak_rate=8.0)
    x, y = bin_centres((40, 40), 0.025)
    fields = place_fields(m, method=method, x=x, y=y)
    assert len(fields) == k
    found = np.array([f.centroid for f in fields])
    for c in centres:
        assert np.min(np.linalg.norm(found - c, axis=1)) < 0.02
    for f in fields:
        assert f.peak == pytest.approx(8.0, rel=0.02)
        assert f.area == pytest.approx(f.n_bins * 0.025**2)
        assert f.mask((40, 40)).sum() == f.n_bins


def test_nan_bins_never_join_a_field_and_stack_returns_one_flat_list():
    m = place_map((30, 30), bin_size=0.025, centres=[(0.375, 0.375)], sigma=0.08)
    m_nan = m.copy()
    m_nan[15, 10:20] = np.nan
    flat = place_fields(np.stack([m, m_nan, np.zeros_like(m), np.full_like(m, np.nan)]))
    assert all(isinstance(f, PlaceField) for f in flat)  # the same type as for one map
    assert [f.unit for f in flat] == [0, 1]
    assert [f.unit for f in place_fields(m)] == [0]
    out = fields_per_map(flat, 4)
    assert len(out[0]) == 1 and len(out[1]) == 1
    assert out[1][0].n_bins == out[0][0].n_bins - np.sum(m[15, 10:20] >= 0.2 * m.max())
    assert not np.any(out[1][0].mask(m.shape)[15, 10:20])
    assert out[2] == [] and out[3] == []


def test_input_is_not_modified():
    m = place_map((20, 20), bin_size=0.05, centres=[(0.5, 0.5)], sigma=0.1)
    m[0, 0] = np.nan
    before = m.copy()
    place_fields(m)
    np.testing.assert_array_equal(m, before)


def test_bad_arguments_name_the_problem():
    m = np.ones((10, 10))
    with pytest.raises(ValueError, match="method"):
        place_fields(m, method="magic")
    with pytest.raises(ValueError, match="threshold"):
        place_fields(m, threshold=1.5)
    with pytest.raises(ValueError, match="min_bins"):
        place_fields(m, min_bins=-1)
    with pytest.raises(ValueError, match="rate must be 2-D or 3-D"):
        place_fields(np.ones(5))
    with pytest.raises(ValueError, match="bin centres"):
        place_fields(m, x=np.arange(3.0), y=np.arange(10.0))


def _noisy_maps(n=12, seed=0):
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    maps = ndimage.gaussian_filter(rng.poisson(2.0, (n, 30, 30)).astype(float), (0, 1, 1))
    maps[rng.random(maps.shape) < 0.05] = np.nan
    maps[0] = np.nan  # one unvisited map
    maps[1] = 0.0  # one silent map
    return maps


@pytest.mark.parametrize("threshold, min_bins", [(0.2, 9), (0.3, 1), (0.5, 0)])
def test_stack_gives_the_same_fields_as_one_map_at_a_time(threshold, min_bins):
    maps = _noisy_maps()
    together = fields_per_map(place_fields(maps, threshold=threshold, min_bins=min_bins), len(maps))
    for m, fields in zip(maps, together, strict=True):
        alone = place_fields(m, threshold=threshold, min_bins=min_bins)
        assert [f.n_bins for f in alone] == [f.n_bins for f in fields]
        for a, b in zip(alone, fields, strict=True):
            np.testing.assert_array_equal(a.bins, b.bins)
            assert a.peak == b.peak and a.mean_rate == b.mean_rate
    assert together[0] == [] and together[1] == []
    assert all(len(f) > 0 for f in together[2:])  # every noisy map does have fields


def test_fields_never_overlap_and_peaks_are_sorted():
    flat = place_fields(_noisy_maps(seed=1), threshold=0.3, min_bins=2, min_peak=0)
    for fields in fields_per_map(flat, 12):
        seen = set()
        for f in fields:
            bins = set(map(tuple, f.bins))
            assert not bins & seen
            seen |= bins
        assert [f.peak for f in fields] == sorted((f.peak for f in fields), reverse=True)


def test_bnt_small_isolated_peak_gives_no_field_not_an_error():
    # Regression: a map whose only supra-threshold region is smaller than min_bins used to
    # raise IndexError inside the label statistics.
    rate = np.zeros((10, 10))
    rate[4, 4] = 1.0
    rate[4, 5] = 0.5
    assert place_fields(rate, min_peak=0.0) == []
