"""read_session: one reader for every format; detect_format and find_session_files."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from hippocore.io import (
    DataRepairWarning,
    detect_format,
    find_session_files,
    read_nwb,
    read_session,
    to_netcdf,
    to_zarr,
    write_nwb,
)
from hippocore.testing import synthetic_recording, write_axona_trial


@pytest.fixture(scope="module")
def rec():
    return synthetic_recording(60.0, n_grid=1, n_band=1, n_place=0, n_uniform=1, seed=4)


def _units_only(path):
    from pynwb import NWBHDF5IO, NWBFile

    nwb = NWBFile(
        session_description="units only",
        identifier="u",
        session_start_time=datetime(2020, 1, 1, tzinfo=timezone.utc),
    )
    nwb.add_unit(spike_times=np.arange(1.0, 6.0))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def test_every_format_reads_through_one_call(rec, tmp_path):
    nwb = write_nwb(rec, tmp_path / "s.nwb", seed=0)
    nc = to_netcdf(rec, tmp_path / "s.nc")
    zarr = to_zarr(rec, tmp_path / "s.zarr")
    for path, fmt in ((nwb, "nwb"), (nc, "netcdf"), (zarr, "zarr")):
        assert detect_format(path)[0] == fmt
        ds = read_session(path)
        np.testing.assert_allclose(ds["position"].values, rec["position"].values)
        assert ds.sizes["unit"] == 3
    trial = write_axona_trial(tmp_path, rec, name="trial", untracked_every=10**6)
    for given in (tmp_path / "trial.set", tmp_path / "trial.pos", tmp_path / "trial"):
        assert detect_format(given) == ("axona", tmp_path / "trial.set")
    with pytest.warns(DataRepairWarning, match="untracked"):  # passed on from read_axona
        ds = read_session(tmp_path / "trial.set")
    assert ds.sizes["unit"] == 3 and "position" in ds  # one cluster per cell
    assert ds.attrs["axona_files"] and trial.set_path.exists()


def test_reader_options_are_passed_on_and_checked(rec, tmp_path):
    nwb = write_nwb(rec, tmp_path / "s.nwb", seed=0)
    one = read_session(nwb, units=[0])
    assert one.sizes["unit"] == 1 and one.equals(read_nwb(nwb, units=[0]))
    nc = to_netcdf(rec, tmp_path / "s.nc")
    with pytest.raises(ValueError, match=r"option\(s\) \['units'\] do not apply to netcdf.*chunks"):
        read_session(nc, units=[0])


def test_missing_parts_and_unknown_formats_are_one_clear_line(rec, tmp_path):
    path = _units_only(tmp_path / "u.nwb")
    with pytest.raises(ValueError, match=r"u\.nwb: no position \(tracking\) found"):
        read_session(path)
    assert read_session(path, require=()).sizes["unit"] == 1
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match=r"notes\.txt: not a format hippocore reads"):
        read_session(tmp_path / "notes.txt")
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_session(tmp_path / "gone.nwb")
    with pytest.raises(ValueError, match="a folder but not a zarr store"):
        read_session(tmp_path)
    with pytest.raises(ValueError, match="unknown part"):
        read_session(path, require=("spikes",))


def test_a_scores_file_is_not_a_session(rec, tmp_path):
    import hippocore.analysis as ha

    scores = ha.ds.classify(rec, bin_size=0.05, n_shuffles=2, seed=0)
    path = to_netcdf(scores, tmp_path / "scores.nc")
    with pytest.raises(ValueError, match="holds a scores dataset, not a session"):
        read_session(path)


@pytest.mark.realdata
def test_kavli_position_file_finds_its_cells_and_a_lone_pos_file_has_no_units(
    sargolini_dir, tmp_path
):
    ds = read_session(sargolini_dir / "10073-17010302_POS.mat")
    assert ds.sizes["unit"] == 8
    alone = tmp_path / "10073-17010302_POS.mat"
    alone.symlink_to(sargolini_dir / "10073-17010302_POS.mat")
    with pytest.raises(ValueError, match=r"no units: .*found no cell files"):
        read_session(alone)
    own = read_session(sargolini_dir / "11207-21060501+02_t6c1.mat")
    assert ds.sizes["unit"] == 8 and own.sizes["unit"] == 1


def test_find_session_files_keeps_sessions_and_leaves_their_parts(tmp_path):
    names = [
        "r1_POS.mat", "r1_T1C1.mat", "r1_T2C3.mat", "lone_t6c1.mat", "a.nwb", "b.nc",
        "trial.set", "trial.pos", "trial.1", "trial_1.cut", "README.md",
    ]  # fmt: skip
    for n in names:
        (tmp_path / n).write_text("")
    (tmp_path / "s.zarr").mkdir()
    (tmp_path / "s.zarr" / ".zgroup").write_text("{}")
    sessions, ignored = find_session_files([tmp_path, tmp_path / "a.nwb"])
    assert [p.name for p in sessions] == [
        "a.nwb", "b.nc", "lone_t6c1.mat", "r1_POS.mat", "s.zarr", "trial.set",
    ]  # fmt: skip
    assert [p.name for p in ignored] == ["README.md"]
