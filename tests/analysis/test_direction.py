"""Head direction: BNT tcStatistics expectations, tuning curves from spikes, LEDs and activity."""

import warnings

import numpy as np
import pytest

from hippocore.analysis._direction import (
    head_direction_from_leds,
    head_direction_stats,
    head_direction_tuning,
)

BNT_CURVE = np.array([0, 6, 9, 13, 15, 22, 17, 12, 8, 3, 0, 0], dtype=float)
BNT_AXIS = np.deg2rad(np.arange(12) * 30 + 15)


def test_bnt_tc_statistics_r_05506_mean_162_std_09480():
    s = head_direction_stats(BNT_CURVE, BNT_AXIS)
    assert round(s.mean_vector_length, 4) == 0.5506
    assert round(np.rad2deg(s.mean_direction)) == 162
    assert round(s.std, 4) == 0.9480
    assert s.peak_rate == 22 and s.peak_direction == pytest.approx(np.deg2rad(165))
    assert s.mean_rate == pytest.approx(BNT_CURVE.mean())


def test_bnt_tc_statistics_with_a_nan_bin():
    c = BNT_CURVE.copy()
    c[1] = np.nan
    s = head_direction_stats(c, BNT_AXIS)
    assert round(s.mean_vector_length, 4) == 0.6135
    assert round(np.rad2deg(s.mean_direction)) == 167
    assert round(s.std, 4) == 0.8792


def test_flat_and_empty_curves():
    s = head_direction_stats(np.full(12, 4.0), BNT_AXIS)
    assert s.mean_vector_length == pytest.approx(0.0, abs=1e-12)
    e = head_direction_stats(np.full(12, np.nan), BNT_AXIS)
    assert np.isnan(e.mean_vector_length)


def _session(seed=0, n=60_000, dt=0.02):
    rng = np.random.default_rng(seed)
    t = np.arange(n) * dt
    hd = np.mod(np.cumsum(rng.normal(0, 0.15, n)), 2 * np.pi)
    return t, hd, rng


def test_tuning_recovers_a_von_mises_cell_and_a_flat_cell():
    t, hd, rng = _session()
    pref = 1.0
    rate = 20 * np.exp(3 * (np.cos(hd - pref) - 1))
    tuned = np.sort(t[rng.random(t.size) < rate * 0.02] + 0.001)
    flat = np.sort(t[rng.random(t.size) < 5 * 0.02] + 0.001)
    tc = head_direction_tuning(t, hd, [tuned, flat])
    assert tc.curve.shape == (2, 120)
    assert tc.occupancy.sum() == pytest.approx(t.size * 0.02, rel=1e-6)
    s = head_direction_stats(tc.curve, tc.bin_centres)
    assert abs(np.angle(np.exp(1j * (s.mean_direction[0] - pref)))) < np.deg2rad(5)
    assert s.mean_vector_length[0] > 0.6 and s.mean_vector_length[1] < 0.1
    # Continuous activity gives the noise-free curve.
    tca = head_direction_tuning(t, hd, activity=rate, smooth=0)
    expect = 20 * np.exp(3 * (np.cos(tca.bin_centres - pref) - 1))
    ok = tca.occupancy > 1
    np.testing.assert_allclose(tca.curve[ok], expect[ok], rtol=0.1)


def test_two_leds_give_the_direction_from_back_to_front():
    back = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [np.nan, 0.0]])
    front = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 1.0]])
    hd = head_direction_from_leds(front, back)
    np.testing.assert_allclose(hd[:3], [0.0, np.pi / 2, np.pi])
    assert np.isnan(hd[3])


def test_missing_second_led_is_a_clear_error():
    front = np.zeros((5, 2))
    with pytest.raises(ValueError, match="second LED"):
        head_direction_from_leds(front, None)
    with pytest.raises(ValueError, match="second LED"):
        head_direction_from_leds(front, np.zeros((0, 2)))
    with pytest.raises(ValueError, match="second LED"):
        head_direction_from_leds(front, np.full((5, 2), np.nan))


def test_nan_directions_drop_their_time_and_spikes():
    t, hd, _ = _session(n=1000)
    hd2 = hd.copy()
    hd2[:500] = np.nan
    spikes = t[::10] + 0.001
    tc = head_direction_tuning(t, hd2, spikes, smooth=0)
    assert tc.occupancy.sum() == pytest.approx(500 * 0.02)
    with pytest.raises(ValueError, match="no finite sample"):
        head_direction_tuning(t, np.full(t.size, np.nan), spikes)


def test_bad_arguments():
    t = np.arange(10) * 0.02
    with pytest.raises(ValueError, match="exactly one"):
        head_direction_tuning(t, np.zeros(10))
    with pytest.raises(ValueError, match="directions"):
        head_direction_tuning(t, np.zeros(9), [0.1])
    with pytest.raises(ValueError, match="bin_centres"):
        head_direction_stats(BNT_CURVE, BNT_AXIS[:5])


def _kavli_cell_file(path, front_cm, back_cm, t):
    import scipy.io

    scipy.io.savemat(
        path,
        {
            "t": t,
            "x1": front_cm[:, 0],
            "y1": front_cm[:, 1],
            "x2": back_cm[:, 0],
            "y2": back_cm[:, 1],
            "ts": np.sort(np.random.default_rng(0).uniform(t[0], t[-1], 50)),
        },
    )


def test_one_head_direction_convention_for_readers_and_analysis(tmp_path):
    # The Kavli reader (io) and head_direction_from_leds (analysis) both use the schema's
    # helper: radians in (-pi, pi], the same numbers bit for bit, NaN where an LED is lost.
    from hippocore.io import read_kavli_mat
    from hippocore.schema import led_head_direction

    n = 400
    t = np.arange(n) * 0.02
    angle = np.linspace(-3 * np.pi, 3 * np.pi, n)  # every quadrant, both signs of the wrap
    back = np.column_stack([50 + 20 * np.cos(t), 50 + 20 * np.sin(t)])
    front = back + 5 * np.column_stack([np.cos(angle), np.sin(angle)])
    front[10:15] = np.nan  # front LED lost: direction unknown
    back[30:33] = np.nan
    front[60:62] = back[60:62] = np.nan  # both lost: the reader drops the samples
    _kavli_cell_file(tmp_path / "11111-01010101_t1c1.mat", front, back, t)
    with pytest.warns(UserWarning):  # the reader reports the two dropped samples
        ds = read_kavli_mat(tmp_path / "11111-01010101_t1c1.mat")
    keep = np.isfinite(front).all(axis=1) | np.isfinite(back).all(axis=1)
    expected = head_direction_from_leds(front * 0.01, back * 0.01)[keep]
    np.testing.assert_array_equal(ds.head_direction.values, expected)
    np.testing.assert_array_equal(expected, led_head_direction(front * 0.01, back * 0.01)[keep])
    finite = expected[np.isfinite(expected)]
    assert finite.min() < -3 and finite.max() > 3  # both ends of the range are used
    assert np.all((finite > -np.pi) & (finite <= np.pi))
    assert np.isnan(expected[10:15]).all() and np.isnan(expected[30:33]).all()


def test_real_kavli_session_head_direction_matches_analysis(sargolini_dir):
    import scipy.io

    from hippocore.io import read_kavli_mat

    path = sargolini_dir / "11207-21060501+02_t6c1.mat"
    if not path.exists():
        pytest.skip(f"{path.name} not found in {sargolini_dir}")
    d = scipy.io.loadmat(path, squeeze_me=True)
    front = np.column_stack([d["x1"], d["y1"]]) * 0.01
    back = np.column_stack([d["x2"], d["y2"]]) * 0.01
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = read_kavli_mat(path)
    keep = np.isfinite(front).all(axis=1) | np.isfinite(back).all(axis=1)
    np.testing.assert_array_equal(
        ds.head_direction.values, head_direction_from_leds(front, back)[keep]
    )
