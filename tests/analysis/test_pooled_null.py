"""The pooled population null (Langston et al. 2010) and the DeepMind grid score in shuffles."""

import numpy as np
import pytest

from hippocore.analysis import autocorrelogram, classify, gridness, shuffle_scores
from hippocore.schema import spike_trains
from hippocore.testing import synthetic_recording

from .test_shuffle import _hand_made


def test_pooled_threshold_is_the_percentile_of_every_scored_units_shuffles():
    # Known answer: unit 0's shuffles are 0..99, unit 1's 100..199; pooled, the 95th
    # percentile of 0..199 is 0.95 * 199 = 189.05 (linear interpolation), for both units.
    null = np.stack([np.arange(100.0), np.arange(100.0, 200.0)])
    sh = _hand_made(np.array([150.0, 190.0]), null)
    np.testing.assert_allclose(sh.pooled_percentile("gridness", 95), [189.05, 189.05])
    np.testing.assert_allclose(sh.percentile("gridness", 95), [94.05, 194.05])
    c = classify(sh, null="pooled")
    np.testing.assert_allclose(c.thresholds["gridness"], [189.05, 189.05])
    np.testing.assert_array_equal(c.passed["grid"], [False, True])  # per unit: [True, False]
    np.testing.assert_array_equal(classify(sh).passed["grid"], [True, False])
    assert c.null == "pooled" and "pooled" in c.rules and classify(sh).null == "per-unit"


def test_pooled_null_leaves_out_unscored_units_and_counts_nan_as_low():
    null = np.stack([np.arange(100.0), np.full(100, np.nan), np.arange(100.0)])
    null[2, :50] = np.nan
    sh = _hand_made(np.array([1.0, np.nan, 1.0]), null)
    sh = type(sh)(
        **{**sh.__dict__, "note": np.array(["", "no spikes in the tracking interval", ""])}
    )
    pool = sh.pooled_null("gridness")
    assert pool.size == 200 and np.isnan(pool).sum() == 50  # unit 1 left out
    # NaN shuffles are the lowest values of the pool, never dropped
    expected = np.percentile(np.where(np.isnan(pool), -1e9, pool), 95)
    np.testing.assert_allclose(sh.pooled_percentile("gridness", 95), np.full(3, expected))
    # too few finite shuffles in the pool: no threshold, and classify notes it
    sparse = _hand_made(
        np.array([1.0, 1.0]), np.where(np.arange(100) < 95, np.nan, 0.5)[None].repeat(2, 0)
    )
    assert np.isnan(sparse.pooled_percentile("gridness", 95)).all()
    c = classify(sparse, null="pooled")
    assert c.note[0] == "gridness: 10 of 200 pooled shuffles finite (< 40): no threshold"
    with pytest.raises(ValueError, match="null must be one of"):
        classify(sparse, null="global")


def test_deepmind_gridness_in_shuffles_equals_the_standalone_score():
    ds = synthetic_recording(120, n_grid=2, n_band=0, n_place=0, n_uniform=1, seed=2)
    kwargs = dict(bin_size=0.05, limits=(0, 1, 0, 1), n_shuffles=5, min_shift=5.0, seed=0)
    args = (ds.time.values, ds.position.values, spike_trains(ds))
    dm = shuffle_scores(*args, gridness_method="deepmind", scores=["gridness"], **kwargs)
    bnt = shuffle_scores(*args, scores=["gridness"], **kwargs)
    expected = gridness(autocorrelogram(dm.rate), method="deepmind").score
    np.testing.assert_allclose(dm.observed["gridness"], expected, rtol=0, atol=1e-12)
    assert dm.parameters["gridness_method"] == "deepmind"
    assert bnt.parameters["gridness_method"] == "bnt"
    assert not np.allclose(dm.observed["gridness"], bnt.observed["gridness"], equal_nan=True)
    np.testing.assert_array_equal(dm.shifts, bnt.shifts)
    with pytest.raises(ValueError, match="gridness_method must be one of"):
        shuffle_scores(*args, gridness_method="fourier", **kwargs)
