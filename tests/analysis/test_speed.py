"""Speed score (Kropff et al. 2015)."""

import numpy as np
import pytest

from hippocore.analysis._speed import speed_score
from hippocore.testing import poisson_spikes


def _speed_trace(n=30_000, dt=0.02, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) * dt
    raw = np.convolve(rng.normal(0, 1, n), np.ones(100) / 100, mode="same")
    v = np.clip(0.15 + raw * 1.0, 0.0, 0.6)
    return t, v, rng


def test_speed_cell_scores_high_and_untuned_cell_near_zero():
    t, v, rng = _speed_trace()
    speed_cell = poisson_spikes(t, 2 + 40 * v, seed=rng)
    flat_cell = poisson_spikes(t, np.full(t.size, 8.0), seed=rng)
    for variant in ("2015", "2016"):
        s = speed_score(t, v, [speed_cell, flat_cell], variant=variant)
        assert s[0] > 0.3
        assert abs(s[1]) < 0.05


def test_activity_gives_near_perfect_score_and_negative_tuning_is_negative():
    t, v, _ = _speed_trace()
    s = speed_score(t, v, activity=np.column_stack([1 + v, 5 - v]), variant="2016")
    # Smoothing the rate by 0.4 s (not the speed) keeps r a little below 1.
    assert s[0] > 0.9 and s[1] < -0.9


def test_single_train_returns_float_and_silent_cell_nan():
    t, v, _ = _speed_trace(n=3000)
    assert isinstance(speed_score(t, v, t[::7] + 0.001), float)
    assert np.isnan(speed_score(t, v, np.zeros(0)))


def test_bad_arguments():
    t, v, _ = _speed_trace(n=100)
    with pytest.raises(ValueError, match="speed_range"):
        speed_score(t, v, [0.1], speed_range=(0.5, 0.1))
    with pytest.raises(ValueError, match="variant"):
        speed_score(t, v, [0.1], variant="1999")
    with pytest.raises(ValueError, match="speed"):
        speed_score(t, v[:-1], [0.1])
    with pytest.raises(ValueError, match="exactly one"):
        speed_score(t, v)
