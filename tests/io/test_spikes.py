"""The 1 ms Bernoulli spike sampler follows its stated law exactly."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from hippocore.io._spikes import sample_spikes


def test_counts_and_slots_follow_the_bernoulli_law():
    n, dt, res, rate = 40000, 0.02, 0.001, 150.0  # high rate: many intervals hold several spikes
    time = np.arange(n) * dt
    rates = np.full((n, 1), rate)
    t, owner = sample_spikes(
        time, lambda a, b: rates[a:b], 1, resolution=res, rng=np.random.default_rng(0), block=7000
    )
    assert np.all(owner == 0)
    interval = np.floor(t / dt + 1e-9).astype(int)
    slot = np.round((t - interval * dt) / res).astype(int)
    assert slot.min() >= 0 and slot.max() <= 19
    assert np.all(np.diff(t) > res - 1e-9)  # distinct slots
    m, p = 20, -np.expm1(-rate * res)
    counts = np.bincount(interval, minlength=n)
    mean, var = m * p, m * p * (1 - p)
    assert abs(counts.mean() - mean) < 4 * np.sqrt(var / n)
    assert abs(counts.var() - var) < 0.05 * var
    # P(count = 0) = (1-p)^m exactly
    p0 = (1 - p) ** m
    assert abs(np.mean(counts == 0) - p0) < 4 * np.sqrt(p0 * (1 - p0) / n)
    # every slot equally likely (chi-square bound, 19 dof: 99.9 % quantile is 43.8)
    hist = np.bincount(slot, minlength=20)
    expected = hist.sum() / 20
    assert ((hist - expected) ** 2 / expected).sum() < 43.8


def test_zero_rate_gives_no_spikes_and_units_are_independent():
    time = np.arange(1000) * 0.02
    rates = np.zeros((1000, 3))
    rates[:, 1] = 50.0
    t, owner = sample_spikes(
        time, lambda a, b: rates[a:b], 3, resolution=0.001, rng=np.random.default_rng(1), block=333
    )
    assert set(owner.tolist()) == {1}
    assert np.all(np.diff(owner) >= 0)  # grouped by unit
    assert abs(t.size - 50.0 * 20) < 5 * np.sqrt(1000)


def test_io_does_not_import_pynwb_until_used():
    code = "import sys, hippocore.io; print('pynwb' in sys.modules, 'torch' in sys.modules)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["False", "False"]
