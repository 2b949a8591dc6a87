"""Broken or unusual NWB files give clear errors naming the object, or documented repairs."""

from __future__ import annotations

import os
import warnings
from datetime import datetime, timezone

import h5py
import numpy as np
import pytest

from hippocore.io import DataRepairWarning, read_nwb, write_nwb
from hippocore.schema import spike_trains


def _lab_file(
    path,
    *,
    data=None,
    timestamps=None,
    rate=None,
    unit="meters",
    conversion=1.0,
    spikes=None,
    position=True,
    name="SubjectPosition",
):
    """A lab-style file written with pynwb directly (not by hippocore)."""
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.behavior import Position, SpatialSeries
    from pynwb.file import Subject

    nwb = NWBFile(
        session_description="lab file",
        identifier="x",
        session_start_time=datetime(2020, 1, 1, tzinfo=timezone.utc),
        subject=Subject(subject_id="r1", species="Rattus norvegicus", sex="M", age="P90D"),
    )
    if position:
        n = 1000 if data is None else len(data)
        if data is None:
            t = np.arange(n) * 0.02
            data = np.column_stack([np.cos(t), np.sin(t)]) * 40 + 50
        timing = {"rate": rate, "starting_time": 0.0} if rate else {}
        if not timing:
            timing = {"timestamps": np.arange(n) * 0.02 if timestamps is None else timestamps}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pynwb warns about >3 columns; we test the reader
            ss = SpatialSeries(
                name="led",
                data=data,
                unit=unit,
                conversion=conversion,
                reference_frame="corner",
                **timing,
            )
        mod = nwb.create_processing_module(name="behavior", description="b")
        mod.add(Position(name=name, spatial_series=ss))
    if spikes is not None:
        for s in spikes:
            nwb.add_unit(spike_times=np.asarray(s, dtype=float))
        nwb.units.resolution = 1e-4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBHDF5IO(str(path), "w") as io:
            io.write(nwb)
    return path


def test_position_found_by_type_with_conversion(tmp_path):
    path = _lab_file(tmp_path / "a.nwb", unit="meters", conversion=0.01, spikes=[[1.0, 2.0]])
    ds = read_nwb(path)
    t = np.arange(1000) * 0.02
    np.testing.assert_allclose(ds.position.values[:, 0], (np.cos(t) * 40 + 50) * 0.01)
    assert ds.attrs["position_series"] == "processing/behavior/SubjectPosition/led"
    assert ds.attrs["spike_resolution"] == 1e-4
    np.testing.assert_array_equal(spike_trains(ds)[0], [1.0, 2.0])


def test_centimetre_unit_is_converted(tmp_path):
    ds = read_nwb(_lab_file(tmp_path / "cm.nwb", unit="cm"))
    assert ds.position.values.max() == pytest.approx(0.9, abs=1e-3)


def test_rate_instead_of_timestamps(tmp_path):
    ds = read_nwb(_lab_file(tmp_path / "r.nwb", rate=25.0))
    np.testing.assert_allclose(np.diff(ds.time.values), 0.04)


def test_choosing_units_in_a_file_without_units_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="has no units"):
        read_nwb(_lab_file(tmp_path / "nounits.nwb"), units=["t1c1"])


def test_no_position_reads_units_and_says_position_is_missing(tmp_path):
    path = _lab_file(tmp_path / "nopos.nwb", position=False, spikes=[[1.0]])
    ds = read_nwb(path)
    assert "position" not in ds and ds.attrs["missing"] == "position"
    np.testing.assert_array_equal(spike_trains(ds)[0], [1.0])
    with pytest.raises(ValueError, match="holds no pynwb.behavior.Position"):
        read_nwb(path, position="led")
    empty = _lab_file(tmp_path / "empty.nwb", position=False)
    with pytest.raises(ValueError, match="nothing hippocore can read"):
        read_nwb(empty)


def test_more_than_three_columns_is_a_clear_error(tmp_path):
    path = _lab_file(tmp_path / "four.nwb", data=np.ones((100, 4)))
    with pytest.raises(ValueError, match="4 columns; NWB allows at most 3"):
        read_nwb(path)


def test_three_columns_drop_z_with_a_warning(tmp_path):
    path = _lab_file(tmp_path / "xyz.nwb", data=np.ones((100, 3)))
    with pytest.warns(DataRepairWarning, match="z is dropped"):
        ds = read_nwb(path)
    assert ds.position.shape == (100, 2)


def test_pixel_units_are_refused(tmp_path):
    with pytest.raises(ValueError, match="'pixels' cannot be converted to metres"):
        read_nwb(_lab_file(tmp_path / "px.nwb", unit="pixels"))


def test_nan_gaps_are_dropped_with_a_warning(tmp_path):
    data = np.ones((100, 2))
    data[10:15] = np.nan
    path = _lab_file(tmp_path / "nan.nwb", data=data, spikes=[[0.25, 1.0]])
    with pytest.warns(DataRepairWarning, match="dropped 5 of 100 position sample"):
        ds = read_nwb(path)
    assert ds.sizes["time"] == 95
    assert not np.isin(np.round(np.arange(10, 15) * 0.02, 9), np.round(ds.time.values, 9)).any()
    np.testing.assert_array_equal(spike_trains(ds)[0], [0.25, 1.0])  # spike in the gap kept


@pytest.mark.parametrize(
    ("timestamps", "match"),
    [
        (np.r_[np.arange(50), np.arange(49, 99)] * 0.02, "duplicated"),
        (np.r_[np.arange(50), np.arange(40, 90)] * 0.02, "not monotonic"),
    ],
)
def test_bad_timestamps_are_clear_errors(tmp_path, timestamps, match):
    path = _lab_file(tmp_path / "t.nwb", data=np.ones((100, 2)), timestamps=timestamps)
    with pytest.raises(ValueError, match=match) as info:
        read_nwb(path)
    assert "SubjectPosition/led" in str(info.value)


def test_missing_timestamps_and_rate_is_a_clear_error(tmp_path):
    path = _lab_file(tmp_path / "nots.nwb")
    with h5py.File(path, "a") as f:
        del f["processing/behavior/SubjectPosition/led/timestamps"]
    with pytest.raises(ValueError, match="neither timestamps nor a sampling rate") as info:
        read_nwb(path)
    assert "led" in str(info.value)


def test_units_without_spikes_are_kept_with_zero_spikes(tmp_path):
    path = _lab_file(tmp_path / "empty.nwb", spikes=[[1.0, 3.0], []])
    ds = read_nwb(path)
    trains = spike_trains(ds)
    assert [t.size for t in trains] == [2, 0]


@pytest.mark.parametrize("policy", ["drop", "keep", "raise"])
def test_spikes_outside_tracking(tmp_path, policy):
    path = _lab_file(tmp_path / "out.nwb", spikes=[[-5.0, 1.0, 10.0, 500.0]])
    if policy == "raise":
        with pytest.raises(ValueError, match="outside the tracked period"):
            read_nwb(path, outside_tracking=policy)
        return
    if policy == "drop":
        with pytest.warns(DataRepairWarning, match="dropped 2 spike"):
            ds = read_nwb(path)
        np.testing.assert_array_equal(spike_trains(ds)[0], [1.0, 10.0])
    else:
        ds = read_nwb(path, outside_tracking=policy)
        np.testing.assert_array_equal(spike_trains(ds)[0], [-5.0, 1.0, 10.0, 500.0])


def test_truncated_and_foreign_files_are_clear_errors(tmp_path, make_model_session):
    good = write_nwb(make_model_session(n_time=300), tmp_path / "good.nwb")
    data = good.read_bytes()
    cut = tmp_path / "cut.nwb"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated"):
        read_nwb(cut)
    text = tmp_path / "notes.nwb"
    text.write_text("not an nwb file")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        read_nwb(text)
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as f:
        f["x"] = np.ones(3)
    with pytest.raises(ValueError, match="not NWB"):
        read_nwb(plain)
    with pytest.raises(FileNotFoundError):
        read_nwb(tmp_path / "missing.nwb")


# ----------------------------------------------------------------------------- writer safety


def test_existing_file_is_never_overwritten_unless_asked(tmp_path, make_model_session):
    ds = make_model_session(n_time=300)
    path = write_nwb(ds, tmp_path / "s.nwb")
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_nwb(ds, path)
    assert path.read_bytes() == before
    write_nwb(ds, path, overwrite=True)
    assert path.read_bytes() != before  # a new identifier at least


def test_failed_write_leaves_no_partial_file_and_the_old_one_intact(tmp_path, make_model_session):
    import dask.array as da

    ds = make_model_session(n_time=3000)
    path = write_nwb(ds, tmp_path / "s.nwb")
    before = path.read_bytes()

    def explode(block, block_info=None):
        if block_info[0]["chunk-location"][0] >= 2:
            raise RuntimeError("disk pulled out mid-write")
        return block

    lazy = da.from_array(ds.activity.values, chunks=(500, 8)).map_blocks(explode, dtype=np.float32)
    broken = ds.copy()
    broken["activity"] = (("time", "unit"), lazy, ds.activity.attrs)
    with pytest.raises(RuntimeError, match="mid-write"):
        write_nwb(broken, path, overwrite=True)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["s.nwb"]
    with pytest.raises(RuntimeError, match="mid-write"):
        write_nwb(broken, tmp_path / "new.nwb")
    assert sorted(os.listdir(tmp_path)) == ["s.nwb"]


def test_writer_argument_errors_name_the_problem(tmp_path, make_model_session):
    ds = make_model_session(n_time=300)
    with pytest.raises(ValueError, match="only be sampled from activity in Hz"):
        write_nwb(
            ds.assign(activity=ds.activity.assign_attrs(units="a.u.")),
            tmp_path / "a.nwb",
            sample_spikes_from_activity=True,
        )
    with pytest.raises(ValueError, match="unknown field"):
        write_nwb(ds, tmp_path / "a.nwb", subject={"name": "rat"})
    with pytest.raises(ValueError, match="unknown key"):
        write_nwb(ds, tmp_path / "a.nwb", metadata={"date": "today"})
    with pytest.raises(ValueError, match="timezone-aware"):
        write_nwb(ds, tmp_path / "a.nwb", metadata={"session_start_time": datetime(2020, 1, 1)})
    with pytest.raises(ValueError, match="reserved NWB units column"):
        write_nwb(ds.assign_coords(spike_times=("unit", np.arange(8))), tmp_path / "a.nwb")
    neg = ds.copy()
    neg["activity"] = -ds.activity
    with pytest.raises(ValueError, match="non-negative"):
        write_nwb(neg, tmp_path / "a.nwb", sample_spikes_from_activity=True)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_leaves_nothing(tmp_path, make_model_session):
    import dask.array as da

    ds = make_model_session(n_time=2000)

    def interrupt(block, block_info=None):
        if block_info[0]["chunk-location"][0] == 1:
            raise KeyboardInterrupt
        return block

    lazy = da.from_array(ds.activity.values, chunks=(500, 8)).map_blocks(
        interrupt, dtype=np.float32
    )
    broken = ds.copy()
    broken["activity"] = (("time", "unit"), lazy, ds.activity.attrs)
    with pytest.raises(KeyboardInterrupt):
        write_nwb(broken, tmp_path / "s.nwb")
    assert os.listdir(tmp_path) == []
