"""Map statistics: spatial information (BNT and Skaggs), sparsity, selectivity, coherence."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hippocore.analysis._stats import coherence, map_stats, skaggs_information
from hippocore.testing import place_map

from ._bnt_inputs import bnt_gauss2d as gauss2d
from ._bnt_inputs import bnt_hex_points


def test_uniform_map_carries_zero_bits():
    rate = np.full((20, 20), 3.0)
    occ = np.random.default_rng(0).uniform(0.5, 2.0, (20, 20))
    s = map_stats(rate, occ)
    assert s.information_rate == pytest.approx(0.0, abs=1e-12)
    assert s.information_content == pytest.approx(0.0, abs=1e-12)
    assert s.sparsity == pytest.approx(1.0)
    assert s.selectivity == pytest.approx(1.0)
    assert s.mean_rate == pytest.approx(3.0)
    sk = skaggs_information(rate, occ)
    assert sk.rate == pytest.approx(0.0, abs=1e-12) and sk.content == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("n", [4, 25, 400])
def test_one_bin_map_carries_log2_n_bits_per_spike(n):
    side = int(np.sqrt(n))
    rate = np.zeros((side, side))
    rate[1, 1] = 7.0
    occ = np.ones((side, side))
    s = map_stats(rate, occ)
    assert s.information_content == pytest.approx(np.log2(n))
    assert s.information_rate == pytest.approx(7.0 / n * np.log2(n))
    assert s.sparsity == pytest.approx(1 / n)
    assert s.selectivity == pytest.approx(n)
    assert skaggs_information(rate, occ).content == pytest.approx(np.log2(n))


def test_bnt_clipped_information_exceeds_textbook_when_bins_are_below_the_mean():
    rate = place_map((20, 20), bin_size=0.05, centres=[(0.5, 0.5)], sigma=0.2) + 1.0
    occ = np.ones((20, 20))
    bnt = map_stats(rate, occ).information_rate
    textbook = skaggs_information(rate, occ).rate
    assert bnt > textbook > 0
    # textbook form by hand
    p = occ / occ.sum()
    mean = (p * rate).sum()
    assert textbook == pytest.approx((p * rate * np.log2(rate / mean)).sum())


def test_nan_bins_are_left_out_and_stacks_vectorise():
    rate = place_map((20, 20), bin_size=0.05, centres=[(0.5, 0.5)], sigma=0.1)
    occ = np.ones((20, 20))
    with_nan = rate.copy()
    with_nan[0, :] = np.nan
    cut = map_stats(rate[1:], occ[1:])
    s = map_stats(np.stack([rate, with_nan]), occ)
    assert s.information_content[1] == pytest.approx(cut.information_content)
    assert s.information_content[0] == pytest.approx(map_stats(rate, occ).information_content)
    assert s.peak_rate.shape == (2,)


def test_silent_map_gives_nan_not_an_error():
    s = map_stats(np.zeros((5, 5)), np.ones((5, 5)))
    assert np.isnan(s.information_content) and np.isnan(s.selectivity)
    assert s.mean_rate == 0.0


def test_occupancy_shape_mismatch_is_named():
    with pytest.raises(ValueError, match="occupancy"):
        map_stats(np.ones((5, 5)), np.ones((4, 5)))
    with pytest.raises(ValueError, match="non-negative"):
        skaggs_information(-np.ones((5, 5)), np.ones((5, 5)))


def test_bnt_coherence_of_the_hexagonal_map_is_2_2424():
    # BNT CoherenceTester.perfectGrid: hexGrid([0 0 50 50], 15), gauss2d(sigma 5), 50x50.
    m = gauss2d(bnt_hex_points(50, 50, 15), 5, (50, 50))
    assert round(coherence(m), 4) == 2.2424


def test_bnt_coherence_small_cases():
    assert coherence(np.array([[1.0, 2.0, 3.0]])) == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(coherence(np.zeros((10, 10))))
    assert np.isnan(coherence(np.full((10, 10), np.nan)))


def test_coherence_smooth_map_beats_noise_and_stack_matches_singles():
    rng = np.random.default_rng(1)
    smooth = place_map((20, 20), bin_size=0.05, centres=[(0.5, 0.5)], sigma=0.15)
    noise = rng.uniform(0, 1, (20, 20))
    both = coherence(np.stack([smooth, noise]))
    assert both[0] > 1.5 and abs(both[1]) < 0.3
    assert both[0] == pytest.approx(coherence(smooth))
    assert coherence(smooth, normalize=False) == pytest.approx(np.tanh(both[0]))


@settings(max_examples=30, deadline=None)
@given(scale=st.floats(0.01, 100), seed=st.integers(0, 10_000))
def test_information_content_is_scale_free_and_rate_scales(scale, seed):
    rng = np.random.default_rng(seed)
    rate = rng.gamma(1.0, 2.0, (8, 8))
    occ = rng.uniform(0.1, 1.0, (8, 8))
    a, b = map_stats(rate, occ), map_stats(rate * scale, occ)
    assert b.information_content == pytest.approx(a.information_content, rel=1e-9, abs=1e-12)
    assert b.information_rate == pytest.approx(a.information_rate * scale, rel=1e-9, abs=1e-12)
    assert b.sparsity == pytest.approx(a.sparsity, rel=1e-9)
    sk = skaggs_information(rate, occ)
    assert 0 <= sk.content <= a.information_content + 1e-12
