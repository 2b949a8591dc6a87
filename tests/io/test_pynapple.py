"""pynapple (the lab's everyday reader) loads hippocore's NWB exports."""

from __future__ import annotations

import numpy as np
import pytest

from hippocore.io import write_nwb
from hippocore.schema import make_session, spike_trains
from hippocore.testing import synthetic_recording

nap = pytest.importorskip("pynapple")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    rec = synthetic_recording(600.0, include_rates=True, seed=4)
    ds = make_session(
        rec.time.values,
        rec.position.values,
        activity=rec.activity.values,
        activity_units="Hz",
        population=["grid"] * 4 + ["other"] * 6,
        source="model",
        attrs={"model": "toy"},
    )
    path = write_nwb(
        ds, tmp_path_factory.mktemp("nap") / "toy.nwb", sample_spikes_from_activity=True, seed=0
    )
    return ds, path


def test_pynapple_finds_position_units_and_activity(exported):
    from hippocore.io import read_nwb

    ds, path = exported
    data = nap.load_file(str(path))
    assert {"position", "units", "grid_activity", "other_activity"} <= set(data.keys())
    pos = data["position"]
    assert list(pos.columns) == ["x", "y"]
    np.testing.assert_allclose(pos.values, ds.position.values)
    np.testing.assert_allclose(pos.times(), ds.time.values, atol=1e-9)
    grid = data["grid_activity"]
    np.testing.assert_allclose(grid.values, ds.activity.values[:, :4], rtol=1e-6)
    other = data["other_activity"]
    np.testing.assert_allclose(other.values, ds.activity.values[:, 4:], rtol=1e-6)
    units = data["units"]
    assert len(units) == 10
    assert list(units.metadata["population"]) == ["grid"] * 4 + ["other"] * 6
    assert list(units.metadata["population_index"]) == [0, 1, 2, 3, 0, 1, 2, 3, 4, 5]
    back = spike_trains(read_nwb(path))
    for k in range(10):
        np.testing.assert_allclose(units[k].times(), back[k])


def test_pynapple_loads_every_object_of_a_model_export(tmp_path, make_model_session):
    ds = make_model_session()
    path = write_nwb(ds, tmp_path / "model.nwb")
    data = nap.load_file(str(path))  # warnings are errors: nothing may fail to build
    keys = set(data.keys())
    assert {"position", "head_direction", "speed", "environments"} <= keys
    assert {"position_encoding_activity", "memory_activity"} <= keys
    envs = data["environments"]
    assert list(envs.get_info("environment_id")) == [0, 1, 0]
    assert list(envs.get_info("environment_lattice")) == ["square", "hexagonal", "square"]
    np.testing.assert_allclose(data["head_direction"].values, ds.head_direction.values)


def test_pynapple_tuning_curves_match_unsmoothed_rate_maps(exported):
    from hippocore.analysis import rate_map

    ds, path = exported
    data = nap.load_file(str(path))
    bins, lo, hi = 20, 0.0, 1.0
    tc = nap.compute_tuning_curves(
        data["grid_activity"], data["position"], bins=[bins, bins], range=[(lo, hi), (lo, hi)]
    )
    assert tc.dims == ("unit", "x", "y")
    ours = rate_map(
        ds.time.values,
        ds.position.values,
        activity=ds.activity.values[:, :4],
        bin_size=(hi - lo) / bins,
        limits=(lo, hi, lo, hi),
        smooth=0.0,
    )
    theirs = np.transpose(tc.values, (0, 2, 1))  # pynapple (unit, x, y) -> ours (unit, y, x)
    np.testing.assert_allclose(ours.x, tc.coords["x"].values)
    np.testing.assert_allclose(ours.y, tc.coords["y"].values)
    visited = np.isfinite(ours.rate_raw)
    np.testing.assert_array_equal(visited, np.isfinite(theirs))
    assert visited.mean() > 0.9
    # regular 50 Hz clock: pynapple's per-sample mean equals BNT's dwell-time-weighted mean
    np.testing.assert_allclose(ours.rate_raw[visited], theirs[visited], rtol=1e-9)
    assert np.nanstd(theirs) > 0.5  # the maps are tuned, so agreement is not trivial
