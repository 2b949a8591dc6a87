"""Sessions -> NWB -> sessions is the identity; the files pass pynwb and nwbinspector."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import xarray as xr

from hippocore.io import read_nwb, write_nwb
from hippocore.schema import environments, spike_trains, validate
from hippocore.testing import synthetic_recording


def _assert_same_session(back: xr.Dataset, ds: xr.Dataset) -> None:
    validate(back, "session")
    assert set(back.variables) == set(ds.variables)
    assert back.attrs == ds.attrs
    for name in ds.variables:
        a, b = ds[name], back[name]
        assert a.dims == b.dims, name
        assert a.dtype == b.dtype, (name, a.dtype, b.dtype)
        assert a.attrs == b.attrs, name
        if a.dtype.kind == "f":
            np.testing.assert_allclose(b.values, a.values, rtol=1e-6, atol=1e-9, err_msg=name)
        else:
            np.testing.assert_array_equal(b.values, a.values, err_msg=name)


def test_model_session_round_trip_is_identity(tmp_path, make_model_session, assert_clean_nwb):
    ds = make_model_session()
    before = ds.copy(deep=True)
    path = write_nwb(ds, tmp_path / "model.nwb")
    xr.testing.assert_identical(ds, before)  # input untouched
    assert_clean_nwb(path)
    back = read_nwb(path)
    _assert_same_session(back, ds)
    assert environments(back) == environments(ds)
    assert json.loads(back.attrs["config_json"])["n_g"] == [30, 30]


def test_layout_follows_the_nwb_conventions(tmp_path, make_model_session):
    from pynwb import NWBHDF5IO

    ds = make_model_session()
    path = write_nwb(ds, tmp_path / "model.nwb")
    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        pos = nwb.processing["behavior"]["Position"]["position"]
        assert pos.unit == "meters" and pos.rate == pytest.approx(50.0) and pos.timestamps is None
        assert pos.data.compression == "gzip"
        misc = nwb.processing["misc"]
        assert set(misc.data_interfaces) == {
            "position_encoding_activity",
            "memory_activity",
            "model_units",
        }
        mem = misc["memory_activity"]
        assert mem.data.shape == (3000, 3) and mem.unit == "Hz" and mem.data.dtype == np.float32
        assert mem.data.chunks is not None and mem.data.compression == "gzip"
        np.testing.assert_allclose(mem.data[:], ds.activity.values[:, 5:])
        units = misc["model_units"].to_dataframe()
        assert list(units["population"]) == ["position_encoding"] * 5 + ["memory"] * 3
        assert list(units["population_index"]) == [0, 1, 2, 3, 4, 0, 1, 2]
        assert nwb.units is None  # no spikes unless sampled: the table lives in misc
        envs = nwb.intervals["environments"].to_dataframe()
        assert list(envs["environment_id"]) == [0, 1, 0]
        assert list(envs["environment_lattice"]) == ["square", "hexagonal", "square"]
        assert list(envs["environment_size"]) == [10, 12, 10]
        assert (envs["start_time"].values[1:] > envs["stop_time"].values[:-1]).all()  # gaps
        assert [list(g) for g in nwb.was_generated_by][0][0] == "hippocore"
        assert json.loads(nwb.get_scratch("hippocore_config").item()) == {
            "n_g": [30, 30],
            "lr": 0.001,
        }
        assert nwb.subject.species.endswith("NCBITaxon_32630")


def test_irregular_clock_is_stored_as_timestamps(tmp_path, make_model_session, assert_clean_nwb):
    ds = make_model_session(n_time=500)
    t = ds.time.values + np.random.default_rng(1).uniform(0, 0.005, ds.sizes["time"])
    ds = ds.assign_coords(time=("time", t, ds.time.attrs))
    path = write_nwb(ds, tmp_path / "irregular.nwb")
    assert_clean_nwb(path)
    with h5py.File(path, "r") as f:
        assert "timestamps" in f["processing/behavior/Position/position"]
        # written once, linked from the other series
        assert isinstance(
            f["processing/misc/memory_activity"].get("timestamps", getlink=True), h5py.SoftLink
        )
    _assert_same_session(read_nwb(path), ds)


def test_string_unit_ids_round_trip(tmp_path, make_model_session):
    ds = make_model_session()
    ds = ds.assign_coords(unit=np.array([f"u{i}" for i in range(8)], dtype=object))
    back = read_nwb(write_nwb(ds, tmp_path / "named.nwb"))
    _assert_same_session(back, ds)


def test_position_only_session_round_trips(tmp_path, assert_clean_nwb):
    from hippocore.schema import make_session

    t = np.arange(200) * 0.02
    ds = make_session(t, np.column_stack([t, t]) / 10, source="synthetic")
    path = write_nwb(ds, tmp_path / "pos.nwb")
    assert_clean_nwb(path)
    _assert_same_session(read_nwb(path), ds)


@pytest.mark.parametrize("include_rates", [False, True])
def test_recording_with_spikes_round_trips(tmp_path, assert_clean_nwb, include_rates):
    rec = synthetic_recording(120.0, seed=3, include_rates=include_rates)
    path = write_nwb(rec, tmp_path / "rec.nwb")
    assert_clean_nwb(path)
    with h5py.File(path, "r") as f:  # continuous simulated spike times
        assert f["units/spike_times"].attrs["resolution"] == 1e-6
    back = read_nwb(path)
    _assert_same_session(back, rec)
    for a, b in zip(spike_trains(rec), spike_trains(back), strict=True):
        np.testing.assert_array_equal(a, b)


def test_sampled_spikes_follow_the_rates_at_1ms(tmp_path, make_model_session, assert_clean_nwb):
    n = 20000  # 400 s at 50 Hz
    rates = np.tile(np.array([0.5, 5.0, 20.0, 40.0]), (n, 2))
    ds = make_model_session(n_time=n, activity=rates)
    path = write_nwb(ds, tmp_path / "spikes.nwb", sample_spikes_from_activity=True, seed=7)
    assert_clean_nwb(path)
    back = read_nwb(path)
    assert back.attrs["spikes_sampled_seed"] == 7
    trains = spike_trains(back)
    duration = n * 0.02
    for k, train in enumerate(trains):
        expected = rates[0, k] * duration  # Bernoulli at 1 ms: mean = m(1-exp(-r*1ms)) ~ r*dt
        assert abs(train.size - expected) < 5 * np.sqrt(expected) + 1, (k, train.size, expected)
        assert np.all(np.diff(train) >= 0.001 - 1e-9)  # never two spikes in one 1 ms slot
        assert train.min() >= 0 and train.max() < duration
        grid = (train - np.floor(train / 0.02) * 0.02) / 0.001
        np.testing.assert_allclose(grid, np.round(grid), atol=1e-6)  # on the 1 ms grid
    with h5py.File(path, "r") as f:
        assert f["units/spike_times"].attrs["resolution"] == 0.001
    # seeded: the same seed gives the same spikes, another seed others
    again = read_nwb(
        write_nwb(ds, tmp_path / "again.nwb", sample_spikes_from_activity=True, seed=7)
    )
    other = read_nwb(
        write_nwb(ds, tmp_path / "other.nwb", sample_spikes_from_activity=True, seed=8)
    )
    np.testing.assert_array_equal(again.spike_time.values, back.spike_time.values)
    assert other.spike_time.size != back.spike_time.size or not np.array_equal(
        other.spike_time.values, back.spike_time.values
    )


def test_sampled_spike_rate_follows_a_modulated_rate(tmp_path, make_model_session):
    n = 50000
    t = np.arange(n) * 0.02
    rate = 10.0 + 8.0 * np.sin(2 * np.pi * t / 10.0)
    ds = make_model_session(n_time=n, activity=np.tile(rate[:, None], (1, 8)))
    back = read_nwb(write_nwb(ds, tmp_path / "mod.nwb", sample_spikes_from_activity=True, seed=1))
    spikes = np.concatenate(spike_trains(back))
    phase = (spikes % 10.0) / 10.0
    hist, _ = np.histogram(phase, bins=10, range=(0, 1))
    expected = np.array(
        [
            8
            * n
            * 0.02
            / 10
            * (10 + 8 * np.mean(np.sin(2 * np.pi * np.linspace(a, a + 0.1, 200, endpoint=False))))
            for a in np.arange(10) / 10
        ]
    )
    assert np.all(np.abs(hist - expected) < 5 * np.sqrt(expected))


def test_dandi_mode_passes_the_dandi_configuration(tmp_path, make_model_session, assert_clean_nwb):
    ds = make_model_session()
    path = write_nwb(
        ds,
        tmp_path / "dandi.nwb",
        dandi=True,
        sample_spikes_from_activity=True,
        seed=0,
        metadata={"session_id": "tem-seed0-walk1", "experimenter": ["Doe, Jane"]},
        subject={"subject_id": "tem-seed0", "age": "P0D"},
    )
    assert_clean_nwb(path, config="dandi")
    assert_clean_nwb(path)


def test_dandi_mode_refuses_incomplete_metadata(tmp_path, make_model_session):
    ds = make_model_session()
    with pytest.raises(ValueError, match="session id"):
        write_nwb(ds, tmp_path / "x.nwb", dandi=True)
    with pytest.raises(ValueError, match="species"):
        write_nwb(
            ds,
            tmp_path / "x.nwb",
            dandi=True,
            metadata={"session_id": "s1"},
            subject={"species": "simulated agent"},
        )
    assert list(tmp_path.iterdir()) == []


def test_recordings_need_a_described_subject(tmp_path):
    rec = synthetic_recording(30.0, seed=0).assign_attrs(source="recording")
    with pytest.raises(ValueError, match="species"):
        write_nwb(rec, tmp_path / "x.nwb", spike_resolution=1 / 30000)
    subject = {"subject_id": "r1", "species": "Rattus norvegicus", "sex": "M", "age": "P90D"}
    with pytest.raises(ValueError, match="spike_resolution=1/sampling_rate"):
        write_nwb(rec, tmp_path / "x.nwb", subject=subject)
    path = write_nwb(rec, tmp_path / "x.nwb", subject=subject, spike_resolution=1 / 30000)
    back = read_nwb(path)
    assert back.attrs["source"] == "recording"
    with h5py.File(path, "r") as f:
        assert f["units/spike_times"].attrs["resolution"] == pytest.approx(1 / 30000)


def _spy_reads(monkeypatch):
    """Record every (dataset name, selection) read through h5py."""
    reads: list[tuple[str, object]] = []
    original = h5py.Dataset.__getitem__

    def spy(self, args, new_dtype=None):
        reads.append((self.name, args))
        return original(self, args, new_dtype)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", spy)
    return reads


def test_reading_a_few_units_reads_only_their_spikes(tmp_path, monkeypatch):
    rec = synthetic_recording(300.0, seed=5)
    path = write_nwb(rec, tmp_path / "rec.nwb")
    n_total = rec.sizes["spike"]
    reads = _spy_reads(monkeypatch)
    sub = read_nwb(path, units=[2, 7])
    spike_reads = [sel for name, sel in reads if name == "/units/spike_times"]
    read_count = sum(s.stop - s.start for s in spike_reads if isinstance(s, slice))
    assert all(isinstance(s, slice) for s in spike_reads)
    full = spike_trains(rec)
    assert read_count == full[2].size + full[7].size < n_total
    np.testing.assert_array_equal(spike_trains(sub)[1], full[7])
    assert list(sub.unit.values) == [2, 7]
    assert list(sub.cell_type.values) == [rec.cell_type.values[2], rec.cell_type.values[7]]


def test_units_and_epochs_are_chosen_by_name_or_column(tmp_path, make_model_session, monkeypatch):
    from pynwb import NWBHDF5IO

    ds = make_model_session(n_time=6000)
    path = write_nwb(ds, tmp_path / "m.nwb", sample_spikes_from_activity=True, seed=2)
    # add an epochs table with tags, in place (pynwb append mode)
    with NWBHDF5IO(str(path), "a") as io:
        nwb = io.read()
        nwb.add_epoch(start_time=10.0, stop_time=29.99, tags=["sleep"])
        nwb.add_epoch(start_time=40.0, stop_time=59.99, tags=["run"])
        nwb.add_epoch(start_time=80.0, stop_time=99.99, tags=["run"])
        io.write(nwb)
    reads = _spy_reads(monkeypatch)
    sub = read_nwb(path, units={"population": "memory"}, epochs=["run"])
    pos_reads = [sel for name, sel in reads if name.endswith("Position/position/data")]
    assert sum(s.stop - s.start for s in pos_reads if isinstance(s, slice)) == 2000
    assert sub.sizes["time"] == 2000 and list(sub.population.values) == ["memory"] * 3
    t = sub.time.values
    assert ((t >= 40) & (t <= 59.99) | (t >= 80) & (t <= 99.99)).all()
    full = read_nwb(path)
    keep = np.isin(full.time.values, t)
    np.testing.assert_allclose(sub.activity.values, full.activity.values[keep][:, 5:])
    for a, b in zip(spike_trains(sub), spike_trains(full)[5:], strict=True):
        inside = ((b >= 40) & (b <= 59.99)) | ((b >= 80) & (b <= 99.99))
        np.testing.assert_array_equal(a, b[inside])
    intervals = json.loads(sub.attrs["selected_intervals_json"])
    assert intervals["table"] == "epochs" and len(intervals["intervals"]) == 2
    by_env = read_nwb(path, epochs={"environment_id": 1}, interval_table="environments")
    assert set(by_env.environment.values.tolist()) == {1}
    with pytest.raises(ValueError, match="nothing matches 'swim'"):
        read_nwb(path, epochs=["swim"])
    with pytest.raises(ValueError, match="no column 'layer'"):
        read_nwb(path, units={"layer": 3})


def test_lazy_activity_reads_on_demand(tmp_path, make_model_session):
    import dask.array as da

    ds = make_model_session(n_time=6000)
    path = write_nwb(ds, tmp_path / "m.nwb")
    lazy = read_nwb(path, lazy=True)
    assert isinstance(lazy.activity.data, da.Array)
    np.testing.assert_array_equal(lazy.activity.values, ds.activity.values)
    sub = read_nwb(
        path, lazy=True, units=[6, 1], epochs={"environment_id": 1}, interval_table="environments"
    )
    eager = read_nwb(
        path, units=[6, 1], epochs={"environment_id": 1}, interval_table="environments"
    )
    assert isinstance(sub.activity.data, da.Array)
    np.testing.assert_array_equal(sub.activity.values, eager.activity.values)
    assert list(eager.unit.values) == [1, 6]  # table order, whatever the order asked
    keep = ds.environment.values == 1
    np.testing.assert_array_equal(eager.activity.values, ds.activity.values[keep][:, [1, 6]])


def test_dandi_mode_checks_the_finished_file_and_keeps_nothing_on_failure(
    tmp_path, make_model_session
):
    ds = make_model_session(n_time=4)  # 5 units of one population > 4 samples: orientation
    with pytest.raises(ValueError, match="check_data_orientation"):
        write_nwb(ds, tmp_path / "d.nwb", dandi=True, metadata={"session_id": "s1"})
    assert list(tmp_path.iterdir()) == []
