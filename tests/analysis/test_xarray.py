import numpy as np
import pytest

import hippocore.analysis as ha
from hippocore.schema import validate
from hippocore.testing import synthetic_recording


@pytest.fixture(scope="module")
def session():
    return synthetic_recording(
        600.0, n_grid=2, n_band=0, n_place=0, n_uniform=2, include_rates=True, seed=4
    )


def test_session_to_rate_maps_to_scores(session):
    maps = ha.ds.rate_map(session, bin_size=0.025, limits=(0, 1, 0, 1), smooth=1.0)
    validate(maps, "rate_maps")
    assert maps["rate"].shape == (4, 40, 40)
    assert maps.attrs["smooth_bins"] == 1.0 and maps.attrs["bin_size"] == 0.025
    scores = ha.ds.gridness(maps)
    validate(scores, "scores")
    assert scores.attrs["gridness_method"].startswith("BNT") and scores.attrs["bin_size"] == 0.025
    g = scores["gridness"].values
    kind = session["cell_type"].values
    # the simulated grid cells score clearly; untuned cells get a low score or NaN with a reason
    # (BNT's centre-field search often fails on the needle-like autocorrelogram of noise)
    assert g[kind == "grid"].min() > 1.0
    u = g[kind == "uniform"]
    assert np.all(np.isnan(u) | (u < 0.3))
    assert all(r for r in scores["gridness_reason"].values[kind == "uniform"][np.isnan(u)])
    true = session["true_spacing"].values[kind == "grid"]
    found = np.median(scores["grid_spacing"].values[kind == "grid"], axis=1)
    np.testing.assert_allclose(found, true, atol=0.025)  # one bin: BNT locates peaks to the bin
    dm = ha.ds.gridness(maps, method="deepmind")["gridness"].values
    assert dm[kind == "grid"].min() > 0.5 > dm[kind == "uniform"].max()


def test_accessor_only_forwards(session):
    maps = session.hc.rate_map(bin_size=0.05, limits=(0, 1, 0, 1))
    direct = ha.ds.rate_map(session, bin_size=0.05, limits=(0, 1, 0, 1))
    np.testing.assert_array_equal(maps["rate"].values, direct["rate"].values)
    s1 = maps.hc.gridness(method="deepmind")
    s2 = ha.ds.gridness(direct, method="deepmind")
    np.testing.assert_array_equal(s1["gridness"].values, s2["gridness"].values)
    assert "DeepMind" in s1.attrs["gridness_method"]


def test_activity_variable_maps_the_true_rates(session):
    maps = ha.ds.rate_map(
        session, bin_size=0.05, limits=(0, 1, 0, 1), variable="activity", smooth=0
    )
    assert maps["rate"].attrs["units"] == "Hz"
    spikes = ha.ds.rate_map(session, bin_size=0.05, limits=(0, 1, 0, 1), smooth=0)
    # Poisson spike maps scatter around the true-rate maps
    r = np.corrcoef(
        np.nan_to_num(maps["rate"].values[0].ravel()),
        np.nan_to_num(spikes["rate"].values[0].ravel()),
    )
    assert r[0, 1] > 0.8


def test_wrong_dataset_kinds_raise(session):
    with pytest.raises(ValueError, match="rate maps need 'position'"):
        ha.ds.rate_map(session.drop_vars("position"), bin_size=0.05)
    with pytest.raises(TypeError, match="session"):
        ha.ds.rate_map(session.drop_vars("time"), bin_size=0.05)
    with pytest.raises(TypeError, match="rate-map"):
        ha.ds.gridness(session)
