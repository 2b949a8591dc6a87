"""``hippocore inspect FILE``: what a file holds and what hippocore can compute from it."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
import pytest
import scipy.io

from hippocore.cli import main
from hippocore.io import inspect_file, to_netcdf, write_nwb
from hippocore.testing import synthetic_recording, write_axona_trial


def _units_only(path):
    from pynwb import NWBHDF5IO, NWBFile

    nwb = NWBFile(
        session_description="units only",
        identifier="u",
        session_start_time=datetime(2020, 1, 1, tzinfo=timezone.utc),
        experimenter=["Doe, Jane"],
    )
    for k in range(3):
        nwb.add_unit(spike_times=np.arange(1, 6) + 0.1 * k)
    nwb.add_epoch(start_time=0.0, stop_time=3.0, tags=["a"])
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def test_a_units_only_nwb_file(tmp_path):
    s = inspect_file(_units_only(tmp_path / "u.nwb"))
    assert s.format == "nwb"
    assert s.holds["units"] == "3 units, 15 spikes"
    assert s.holds["position"] == "none" and s.holds["intervals"] == "epochs (1 rows)"
    assert "experimenter" in s.holds["metadata"]
    assert s.missing == ["position", "head direction", "speed"]
    assert s.analyses == ["spike counts and rates per unit and epoch (units without position)"]
    assert "read_nwb" in s.reader


def test_a_hippocore_export_with_everything(tmp_path):
    path = write_nwb(synthetic_recording(30.0, seed=0), tmp_path / "rec.nwb")
    s = inspect_file(path)
    assert s.missing == []
    assert s.holds["position"].startswith("processing/behavior/Position/position: 1500 samples")
    assert len(s.analyses) == 3  # spatial, head direction, speed
    assert "hippocore.io.write_nwb" in s.holds["written by"]
    text = str(s)
    assert "hippocore can compute:" in text and "speed scores" in text


def test_an_axona_trial_and_the_command_line(tmp_path, capsys):
    trial = write_axona_trial(tmp_path, synthetic_recording(20.0, seed=1), n_tetrodes=2)
    s = inspect_file(trial.set_path)
    assert s.format == "axona"
    assert s.holds["position"].startswith("trial.pos: 1000 samples at 50 Hz (20.0 s), 2 LED(s)")
    assert "tetrode 1:" in s.holds["units"] and "(trial_1.cut)" in s.holds["units"]
    assert s.missing == ["speed"]
    assert inspect_file(tmp_path / "trial").format == "axona"  # the bare trial name
    assert main(["inspect", str(trial.set_path)]) == 0
    out = capsys.readouterr().out
    assert "hippocore can compute:" in out and "head-direction tuning" in out
    assert main(["inspect", "--json", str(trial.set_path)]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == "axona"


def test_kavli_mat_and_netcdf(tmp_path):
    t = np.arange(100) * 0.02
    scipy.io.savemat(
        tmp_path / "1-2_POS.mat",
        {"post": t, "posx": t, "posy": t, "posx2": np.zeros(0), "posy2": np.zeros(0)},
    )
    scipy.io.savemat(tmp_path / "1-2_T1C1.mat", {"cellTS": np.array([0.5])})
    s = inspect_file(tmp_path / "1-2_POS.mat")
    assert s.format == "kavli-mat" and s.holds["units"] == "1-2_T1C1.mat"
    assert "head direction" in s.missing  # one LED
    nc = to_netcdf(synthetic_recording(10.0, seed=2), tmp_path / "s.nc")
    s = inspect_file(nc)
    assert s.format == "netcdf" and s.holds["kind"] == "session" and s.missing == []


def test_unknown_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        inspect_file(tmp_path / "nothing.nwb")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="notes.txt: not a format hippocore reads"):
        inspect_file(tmp_path / "notes.txt")
