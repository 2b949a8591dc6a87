"""Shuffled nulls and classification: known cell types, calibration of the null, bad input."""

import numpy as np
import pytest

from hippocore.analysis import (
    SCORES,
    classify,
    rate_map,
    shuffle_scores,
)
from hippocore.schema import spike_trains
from hippocore.testing import grid_rate, synthetic_recording


@pytest.fixture(scope="module")
def recording():
    # 10 min at 50 Hz, 2.5 cm bins: real-length units, kept to 6 cells for speed.
    return synthetic_recording(600, n_grid=2, n_band=1, n_place=2, n_uniform=1, seed=1)


@pytest.fixture(scope="module")
def shuffled(recording):
    ds = recording
    return shuffle_scores(
        ds.time.values,
        ds.position.values,
        spike_trains(ds),
        head_direction=ds.head_direction.values,
        speed=ds.speed.values,
        bin_size=0.025,
        limits=(0, 1, 0, 1),
        n_shuffles=100,
        seed=0,
    )


def test_observed_maps_are_exactly_rate_map(recording, shuffled):
    ds = recording
    m = rate_map(
        ds.time.values, ds.position.values, spike_trains(ds), bin_size=0.025, limits=(0, 1, 0, 1)
    )
    np.testing.assert_array_equal(np.isnan(m.rate), np.isnan(shuffled.rate))
    np.testing.assert_allclose(m.rate, shuffled.rate, equal_nan=True, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(m.rate_raw, shuffled.rate_raw, equal_nan=True, rtol=1e-12)


def test_every_score_has_a_null_per_unit_and_shifts_respect_min_shift(recording, shuffled):
    assert set(shuffled.null) == set(SCORES)
    for name in SCORES:
        assert shuffled.null[name].shape == (6, 100)
        assert shuffled.observed[name].shape == (6,)
    duration = recording.time.values[-1]
    assert shuffled.shifts.min() >= 20.0 and shuffled.shifts.max() <= duration - 20.0
    assert np.unique(shuffled.shifts).size > 90
    assert shuffled.parameters["n_shuffles"] == 100 and shuffled.parameters["seed"] == 0


def test_synthetic_grid_cells_pass_their_99th_percentile(recording, shuffled):
    grid = np.flatnonzero(recording.cell_type.values == "grid")
    assert np.all(shuffled.observed["gridness"][grid] > shuffled.percentile("gridness", 99)[grid])
    c = classify(shuffled, percentile=99)
    assert list(c.label[grid]) == ["grid"] * grid.size


def test_classification_recovers_every_cell_type(recording, shuffled):
    c = classify(shuffled)
    expected = {"grid": "grid", "band": "band", "place": "place", "uniform": "none"}
    assert list(c.label) == [expected[k] for k in recording.cell_type.values]
    assert c.percentile == 95.0
    for score in ("gridness", "band_power", "border", "head_direction", "information_content"):
        np.testing.assert_allclose(c.thresholds[score], shuffled.percentile(score, 95))
    # Grid cells are also spatially informative: 'passed' keeps every test, 'label' the first.
    grid = recording.cell_type.values == "grid"
    assert c.passed["grid"][grid].all() and c.passed["place"][grid].all()
    assert "95th percentile" in c.rules


def test_seeded_shuffles_are_reproducible(recording):
    ds = recording
    kw = dict(bin_size=0.05, limits=(0, 1, 0, 1), n_shuffles=5, scores=["information_content"])
    a = shuffle_scores(ds.time.values, ds.position.values, spike_trains(ds), seed=3, **kw)
    b = shuffle_scores(ds.time.values, ds.position.values, spike_trains(ds), seed=3, **kw)
    np.testing.assert_array_equal(a.shifts, b.shifts)
    np.testing.assert_array_equal(a.null["information_content"], b.null["information_content"])


def test_uninformative_cells_pass_the_95th_percentile_about_5_percent_of_the_time():
    passed, total = 0, 0
    for seed in range(6):
        ds = synthetic_recording(600, n_grid=0, n_band=0, n_place=0, n_uniform=40, seed=seed)
        sh = shuffle_scores(
            ds.time.values,
            ds.position.values,
            spike_trains(ds),
            bin_size=0.1,
            limits=(0, 1, 0, 1),
            n_shuffles=100,
            scores=["information_content", "coherence"],
            seed=100 + seed,
        )
        for name in ("information_content", "coherence"):
            passed += int(np.sum(sh.observed[name] > sh.percentile(name, 95)))
            total += sh.n_units
    rate = passed / total
    # 480 tests: a calibrated null gives 5% (binomial sd 1%); a leaky one far more.
    assert 0.02 <= rate <= 0.09, rate


def test_model_units_shift_their_activity_trace(recording):
    ds = recording
    t, pos = ds.time.values, ds.position.values
    grid = grid_rate(pos, spacing=0.4, orientation=0.3, phase=(0.1, 0.1))
    flat = 2.0 + np.random.default_rng(0).uniform(0, 0.2, t.size)
    act = np.column_stack([grid, flat])
    sh = shuffle_scores(
        t, pos, activity=act, bin_size=0.025, limits=(0, 1, 0, 1), n_shuffles=30, seed=1
    )
    m = rate_map(t, pos, activity=act, bin_size=0.025, limits=(0, 1, 0, 1))
    np.testing.assert_allclose(m.rate, sh.rate, equal_nan=True, rtol=1e-10)
    assert list(sh.n_spikes) == [-1, -1]
    c = classify(sh, percentile=99)
    assert c.label[0] == "grid" and c.label[1] == "none"


def test_silent_sparse_and_one_bin_cells_get_a_clear_note_and_no_label(recording):
    ds = recording
    t, pos = ds.time.values, ds.position.values
    one_bin_time = t[np.argmin(np.linalg.norm(pos - pos[1000], axis=1)) :][:1]
    trains = [
        np.zeros(0),
        np.array([100.0]),
        np.repeat(one_bin_time, 50) + 1e-4,
        spike_trains(ds)[0],
    ]
    sh = shuffle_scores(t, pos, trains, bin_size=0.05, limits=(0, 1, 0, 1), n_shuffles=20, seed=0)
    assert sh.note[0] == "no spikes in the tracking interval"
    assert "only 1 spike" in sh.note[1]
    assert sh.note[2] == "all spikes fall in one bin"
    assert sh.note[3] == ""
    assert np.isnan(sh.observed["gridness"][:2]).all()
    c = classify(sh)
    assert list(c.label[:3]) == ["none", "none", "none"]


def test_bad_input_is_named(recording):
    ds = recording
    t, pos, trains = ds.time.values, ds.position.values, spike_trains(ds)[:1]
    with pytest.raises(ValueError, match="minimum shuffle shift"):
        shuffle_scores(t[:1500], pos[:1500], trains, bin_size=0.05)
    with pytest.raises(ValueError, match="unknown score"):
        shuffle_scores(t, pos, trains, bin_size=0.05, scores=["magic"])
    with pytest.raises(ValueError, match="head_direction"):
        shuffle_scores(t, pos, trains, bin_size=0.05, scores=["head_direction"])
    with pytest.raises(ValueError, match="exactly one"):
        shuffle_scores(t, pos, bin_size=0.05)
    with pytest.raises(ValueError, match="n_shuffles"):
        shuffle_scores(t, pos, trains, bin_size=0.05, n_shuffles=0)
    with pytest.raises(ValueError, match="negative"):
        shuffle_scores(t, pos, activity=-np.ones(t.size), bin_size=0.05)
    with pytest.raises(TypeError, match="ShuffleScores"):
        classify({"gridness": 1})


def test_observed_scores_equal_the_standalone_functions(recording, shuffled):
    import hippocore.analysis as ha

    ds = recording
    t, pos, trains = ds.time.values, ds.position.values, spike_trains(ds)
    m = rate_map(t, pos, trains, bin_size=0.025, limits=(0, 1, 0, 1))
    obs = shuffled.observed
    np.testing.assert_allclose(obs["gridness"], ha.gridness(ha.autocorrelogram(m.rate)).score)
    ms = ha.map_stats(m.rate, m.occupancy)
    np.testing.assert_allclose(obs["information_content"], ms.information_content, rtol=1e-9)
    np.testing.assert_allclose(obs["coherence"], ha.coherence(m.rate_raw), rtol=1e-9)
    np.testing.assert_allclose(obs["border"], ha.border_score(m.rate).score, rtol=1e-9)
    np.testing.assert_allclose(
        obs["band_power"], ha._band.max_fourier_power(m.rate_raw, bin_size=0.025), rtol=1e-9
    )
    tc = ha.head_direction_tuning(t, ds.head_direction.values, trains)
    hd = ha.head_direction_stats(tc.curve, tc.bin_centres).mean_vector_length
    np.testing.assert_allclose(obs["head_direction"], hd, rtol=1e-9)
    np.testing.assert_allclose(obs["speed"], ha.speed_score(t, ds.speed.values, trains), rtol=1e-9)


def _hand_made(observed, null):
    """ShuffleScores with given gridness and information content, for the NaN policy."""
    from hippocore.analysis import ShuffleScores

    n = observed.shape[0]
    return ShuffleScores(
        observed={"gridness": observed, "information_content": np.zeros(n)},
        null={"gridness": null, "information_content": np.zeros_like(null)},
        shifts=np.arange(null.shape[1], dtype=float),
        n_spikes=np.full(n, 100),
        n_fields=np.zeros(n, dtype=int),
        note=np.array([""] * n),
        rate=np.zeros((n, 4, 4)),
        rate_raw=np.zeros((n, 4, 4)),
        x=np.arange(4.0),
        y=np.arange(4.0),
        parameters={"bin_size": 0.025},
    )


def test_nan_shuffles_count_as_not_beating_the_unit():
    # Issue 12: NaN shuffles were dropped, so a threshold rested on the few finite ones.
    rng = np.random.default_rng(0)
    null = rng.normal(0, 0.1, size=(3, 100))
    null[1, :60] = np.nan  # 40 finite: enough (>= 20 % of 100)
    null[2, :90] = np.nan  # 10 finite: too few
    sh = _hand_made(np.array([0.2, 0.2, 0.2]), null)
    np.testing.assert_array_equal(sh.n_finite("gridness"), [100, 40, 10])
    thr = sh.percentile("gridness", 95)
    np.testing.assert_allclose(thr[0], np.percentile(null[0], 95))
    # NaN = lowest: the 95th percentile of the whole null, the 87.6th of the 40 finite ones.
    filled = np.where(np.isnan(null[1]), -1e9, null[1])
    np.testing.assert_allclose(thr[1], np.percentile(filled, 95))
    assert thr[1] < np.nanpercentile(null[1], 95)
    assert np.isnan(thr[2])
    assert not np.isnan(sh.percentile("gridness", 95, min_finite=0.1)[2])
    c = classify(sh)
    np.testing.assert_array_equal(c.n_finite["gridness"], [100, 40, 10])
    assert c.note[0] == c.note[1] == ""
    assert c.note[2] == "gridness: 10 of 100 shuffles finite (< 20): no threshold"
    assert np.isnan(c.thresholds["gridness"][2]) and not c.passed["grid"][2]
    assert c.label[2] != "grid" and c.min_finite == 0.2 and "NaN shuffles" in c.rules
    # A minimum so low that the 95th percentile falls among undefined shuffles: still none.
    null4 = null.copy()
    null4[2, 90:96] = np.nan  # 4 finite of 100
    sh4 = _hand_made(np.array([0.2, 0.2, 0.2]), null4)
    assert np.isnan(sh4.percentile("gridness", 95, min_finite=0.01)[2])
    c4 = classify(sh4, min_finite=0.01)
    assert c4.note[2] == (
        "gridness: 4 of 100 shuffles finite (the 95th percentile is undefined): no threshold"
    )
    with pytest.raises(ValueError, match="min_finite"):
        sh.percentile("gridness", 95, min_finite=20)
    with pytest.raises(ValueError, match="min_finite"):
        classify(sh, min_finite=-0.1)
    with pytest.raises(KeyError, match="no null"):
        sh.n_finite("speed")


def test_threshold_with_nan_shuffles_estimates_one_quantity_whatever_the_shuffle_count():
    # A null that is undefined 70 % of the time: with NaN lowest, the threshold estimates
    # the 95th percentile of the whole null (the 83rd of its finite part), the same quantity
    # for 100 or 400 shuffles, and about 5 % of fresh null draws exceed it.
    rng = np.random.default_rng(1)

    def draw(n_units, n):
        v = rng.normal(size=(n_units, n))
        v[rng.random((n_units, n)) < 0.7] = np.nan
        return v

    big = _hand_made(np.zeros(1), draw(1, 20000)).percentile("gridness", 95)[0]
    assert big == pytest.approx(0.967, abs=0.05)  # normal quantile 1 - 0.05 / 0.3
    for n in (100, 400):
        new = _hand_made(np.zeros(200), draw(200, n)).percentile("gridness", 95)
        assert np.mean(np.isnan(new)) < 0.05  # >= 20 finite of 100 nearly always
        assert abs(np.nanmedian(new) - big) < 0.1
        fresh = draw(200, 1)[:, 0]
        beat = np.isfinite(fresh) & np.isfinite(new) & (fresh > new)
        assert 0.01 <= beat.mean() <= 0.1
