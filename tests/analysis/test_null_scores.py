"""The registry behind shuffle_scores: each entry gives its public score function's numbers."""

import inspect

import numpy as np
import pytest

import hippocore.analysis as ha
from hippocore.analysis._null_scores import REGISTRY, SCORES
from hippocore.schema import spike_trains
from hippocore.testing import synthetic_recording


@pytest.fixture(scope="module")
def session():
    ds = synthetic_recording(120, n_grid=2, n_band=1, n_place=1, n_uniform=1, seed=5)
    t, pos, trains = ds.time.values, ds.position.values, spike_trains(ds)
    kw = dict(bin_size=0.05, limits=(0, 1, 0, 1), n_shuffles=4, min_shift=10.0, seed=2)
    sh = ha.shuffle_scores(
        t, pos, trains, head_direction=ds.head_direction.values, speed=ds.speed.values, **kw
    )
    return ds, sh


def test_scores_are_the_registry_entries_in_order():
    assert ha.SCORES == SCORES == tuple(n for e in REGISTRY for n in e.names)
    assert {e.needs for e in REGISTRY} == {None, "head_direction", "speed"}


def test_defaults_come_from_the_score_functions():
    sig = inspect.signature(ha.shuffle_scores).parameters
    own = {
        "border_threshold": (ha.border_score, "threshold"),
        "hd_bins": (ha.head_direction_tuning, "n_bins"),
        "speed_range": (ha.speed_score, "speed_range"),
        "speed_variant": (ha.speed_score, "variant"),
        "fft_size": (ha._band.max_fourier_power, "fft_size"),
    }
    for name, (func, param) in own.items():
        assert sig[name].default == inspect.signature(func).parameters[param].default, name


def test_observed_scores_equal_the_public_functions_bit_for_bit(session):
    ds, sh = session
    obs = sh.observed
    t = ds.time.values
    occupancy = ha.rate_map(
        t, ds.position.values, activity=np.zeros(t.size), bin_size=0.05, limits=(0, 1, 0, 1)
    ).occupancy
    ms = ha.map_stats(sh.rate, occupancy)
    expected = {
        "gridness": ha.gridness(ha.autocorrelogram(sh.rate)).score,
        "information_rate": ms.information_rate,
        "information_content": ms.information_content,
        "selectivity": ms.selectivity,
        "coherence": ha.coherence(sh.rate_raw),
        "border": ha.border_score(sh.rate, threshold=0.3, min_peak=1.0).score,
        "band_power": ha._band.max_fourier_power(sh.rate_raw, bin_size=0.05),
    }
    for name, values in expected.items():
        np.testing.assert_array_equal(obs[name], values, err_msg=name)
    tc = ha.head_direction_tuning(ds.time.values, ds.head_direction.values, spike_trains(ds))
    mvl = ha.head_direction_stats(tc.curve, tc.bin_centres).mean_vector_length
    np.testing.assert_allclose(obs["head_direction"], mvl, rtol=1e-12)


def test_each_null_column_scores_the_maps_of_its_shift(session):
    ds, sh = session
    t, pos, trains = ds.time.values, ds.position.values, spike_trains(ds)
    for j, shift in enumerate(sh.shifts):
        k = int(round(shift / np.median(np.diff(t))))
        moved = [t[(np.searchsorted(t, s, side="right") - 1 + k) % t.size] for s in trains]
        m = ha.rate_map(t, pos, moved, bin_size=0.05, limits=(0, 1, 0, 1))
        np.testing.assert_allclose(
            sh.null["coherence"][:, j], ha.coherence(m.rate_raw), rtol=1e-9, err_msg=str(j)
        )
        np.testing.assert_allclose(
            sh.null["band_power"][:, j],
            ha._band.max_fourier_power(m.rate_raw, bin_size=0.05),
            rtol=1e-9,
        )
