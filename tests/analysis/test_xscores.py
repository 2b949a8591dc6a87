"""xarray layer and .hc accessor for Analysis II; within-session stability."""

import numpy as np
import pytest
import xarray as xr

import hippocore.analysis  # noqa: F401  (registers the .hc accessor)
import hippocore.analysis as ha
from hippocore.analysis import band_score, place_fields, stability
from hippocore.schema import make_session, spike_trains, validate
from hippocore.testing import grid_rate, poisson_spikes, synthetic_recording


@pytest.fixture(scope="module")
def session():
    return synthetic_recording(600, n_grid=2, n_band=1, n_place=2, n_uniform=1, seed=4)


@pytest.fixture(scope="module")
def maps(session):
    return session.hc.rate_map(bin_size=0.025, limits=(0, 1, 0, 1))


def test_map_scores_match_the_array_functions(maps):
    s = maps.hc.map_stats()
    validate(s, "scores")
    rate = maps["rate"].values
    fields = place_fields(rate)
    assert list(s["n_fields"].values) == [
        sum(f.unit == u for f in fields) for u in range(len(rate))
    ]
    b = band_score(maps["rate_raw"].values[2], bin_size=0.025)
    assert s["band_label"].values[2] == b.label == "band"
    kinds = maps["unit"].values
    assert s["information_content"].values[3] > s["information_content"].values[5]
    assert s["skaggs_information_content"].values[3] <= s["information_content"].values[3]
    assert s.attrs["field_method"] == "BNT placefield" and s.attrs["bin_size"] == 0.025
    assert kinds.size == 6


def test_place_field_table_lists_fields_in_metres(session, maps):
    tab = maps.hc.place_fields()
    place = np.flatnonzero(session["cell_type"].values == "place")
    for u in place:
        rows = tab.where(tab["unit"] == u, drop=True)
        assert rows.sizes["field"] >= 1
        best = int(np.argmax(rows["peak"].values))
        assert 0 < rows["centroid_x"].values[best] < 1 and 0 < rows["centroid_y"].values[best] < 1
    assert tab.attrs["method"] == "BNT placefield"
    assert ha.ds.place_fields(maps).sizes["field"] == tab.sizes["field"]


def test_head_direction_scores_and_missing_direction(session):
    hd = session.hc.head_direction_tuning()
    validate(hd, "scores")
    assert hd["hd_curve"].dims == ("unit", "direction")
    assert hd.sizes["direction"] == 120
    assert np.all(hd["hd_mean_vector_length"].values < 0.3)  # no cell is direction-tuned
    with pytest.raises(ValueError, match="head_direction"):
        ha.ds.head_direction_tuning(session.drop_vars("head_direction"))


def test_speed_scores(session):
    s = session.hc.speed_score()
    assert s["speed_score"].shape == (6,)
    assert np.all(np.abs(s["speed_score"].values) < 0.2)


def test_remapping_same_maps_and_shuffled_units(maps):
    same = maps.hc.remapping(maps)
    np.testing.assert_allclose(same["spatial_correlation"].values, 1.0)
    assert same.attrs["mean_pv_correlation"] == pytest.approx(1.0)
    other = maps.assign_coords(unit=maps["unit"].values[::-1])
    with pytest.raises(ValueError, match="same units"):
        ha.ds.remapping(maps, other)


def test_stability_high_for_a_grid_cell_and_low_for_noise():
    ds = synthetic_recording(1200, n_grid=1, n_band=0, n_place=0, n_uniform=1, seed=2)
    r = stability(
        ds.time.values, ds.position.values, spike_trains(ds), bin_size=0.05, limits=(0, 1, 0, 1)
    )
    assert r[0] > 0.6 and abs(r[1]) < 0.25
    st = ds.hc.stability(bin_size=0.05, limits=(0, 1, 0, 1))
    np.testing.assert_allclose(st["stability"].values, r)
    t, pos = ds.time.values, ds.position.values
    act = grid_rate(pos, spacing=0.4)
    assert stability(t, pos, activity=act, bin_size=0.05) > 0.95


def test_score_session_holds_scores_percentiles_label_and_parameters(session, tmp_path):
    s = session.hc.classify(bin_size=0.025, limits=(0, 1, 0, 1), n_shuffles=100, seed=0)
    validate(s, "scores")
    for name in ("gridness", "information_content", "border", "band_power", "head_direction"):
        assert f"{name}_p95" in s and f"{name}_p99" in s and f"{name}_n_finite" in s
        p95, p99 = s[f"{name}_p95"].values, s[f"{name}_p99"].values
        # Issue 12: a unit with too few finite shuffles has no threshold at any percentile.
        np.testing.assert_array_equal(np.isnan(p95), np.isnan(p99))
        ok = np.isfinite(p95)
        assert np.all(p99[ok] >= p95[ok])
        n_fin = s[f"{name}_n_finite"].values
        assert n_fin.dtype.kind == "i" and np.all((n_fin >= 0) & (n_fin <= 100))
        np.testing.assert_array_equal(np.isnan(p95), n_fin < 20)
    # The untuned unit's gridness (undefined for most shifted maps) has no threshold here;
    # its own score is NaN too, so it needs no classify note.
    assert "classify_note" in s and s.attrs["classify_min_finite"] == 0.2
    expected = {"grid": "grid", "band": "band", "place": "place", "uniform": "none"}
    assert list(s["label"].values) == [expected[k] for k in session["cell_type"].values]
    assert s["is_grid"].dtype == bool
    assert s.attrs["shuffle_n_shuffles"] == 100 and s.attrs["shuffle_seed"] == 0
    assert s.attrs["classify_percentile"] == 95.0 and s.attrs["shuffle_min_shift"] == 20.0
    # The scores dataset survives a netCDF round trip (labels, flags, notes, parameters).
    from hippocore.io import open_dataset, to_netcdf

    back = open_dataset(to_netcdf(s, tmp_path / "scores.nc"))
    assert list(back["label"].values) == list(s["label"].values)
    np.testing.assert_array_equal(back["is_grid"].values, s["is_grid"].values)
    xr.testing.assert_allclose(back["gridness_p99"], s["gridness_p99"])
    assert back.attrs["classify_rules"] == s.attrs["classify_rules"]


def test_score_session_on_model_activity():
    rng = np.random.default_rng(0)
    ds = synthetic_recording(600, n_grid=1, n_band=0, n_place=0, n_uniform=1, seed=5)
    t, pos = ds.time.values, ds.position.values
    act = np.column_stack([grid_rate(pos, spacing=0.5), 1 + 0.1 * rng.random(t.size)])
    model = make_session(t, pos, activity=act, activity_units="Hz", source="model")
    s = ha.ds.classify(
        model, bin_size=0.025, limits=(0, 1, 0, 1), variable="activity", n_shuffles=40, seed=1
    )
    assert list(s["label"].values) == ["grid", "none"]
    assert list(s["n_spikes"].values) == [-1, -1]


def test_wrappers_reject_the_wrong_dataset(session, maps):
    with pytest.raises(TypeError, match="rate-map dataset"):
        ha.ds.map_stats(session)
    with pytest.raises(TypeError, match="session"):
        ha.ds.classify(maps, bin_size=0.05)
    with pytest.raises(ValueError, match="activity"):
        ha.ds.classify(session, bin_size=0.05, variable="activity")


def test_sparse_spikes_on_a_short_recording():
    t = np.arange(0, 60, 0.02)
    pos = np.column_stack([0.5 + 0.4 * np.cos(t / 3), 0.5 + 0.4 * np.sin(t / 5)])
    spikes = poisson_spikes(t, np.full(t.size, 1.0), seed=0)
    ds = make_session(t, pos, spike_times=[spikes, np.zeros(0)], source="synthetic")
    with pytest.raises(ValueError, match="minimum shuffle shift"):
        ds.hc.classify(bin_size=0.05, min_shift=40.0)
    s = ds.hc.classify(bin_size=0.05, n_shuffles=10, seed=0)
    assert s["note"].values[1] == "no spikes in the tracking interval"
    assert s["label"].values[1] == "none"
