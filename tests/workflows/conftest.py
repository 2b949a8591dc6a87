"""Small synthetic session files for the workflow tests (written once per test session)."""

from __future__ import annotations

import numpy as np
import pytest

from hippocore.io import to_netcdf, write_nwb
from hippocore.schema import make_session
from hippocore.testing import synthetic_recording

SCORE = {"bin_size": 0.05, "n_shuffles": 10, "seed": 3, "progress": False}


def small_recording(seed: int, duration: float = 90.0):
    """A 90-s recording with 2 grid, 1 band, 1 place and 1 untuned cell."""
    return synthetic_recording(
        duration, n_grid=2, n_band=1, n_place=1, n_uniform=1, peak_rate=15.0, seed=seed
    )


def model_like(seed: int, *, negative: bool):
    """A model-like session: activity (the true rates), no spikes, source="model"."""
    rec = synthetic_recording(90.0, n_grid=2, n_band=1, n_place=1, n_uniform=1, seed=seed,
                              include_rates=True)  # fmt: skip
    act = rec["activity"].values - (1.0 if negative else 0.0)
    pops = np.array(["position_encoding", "position_encoding", "memory", "memory", "memory"])
    return make_session(
        rec["time"].values,
        rec["position"].transpose("time", "axis").values,
        activity=act,
        activity_units="a.u.",
        population=pops,
        source="model",
    )


def units_only_nwb(path):
    """An NWB file with 3 units and no position."""
    from datetime import datetime, timezone

    from pynwb import NWBHDF5IO, NWBFile

    nwb = NWBFile(
        session_description="units only",
        identifier="u",
        session_start_time=datetime(2020, 1, 1, tzinfo=timezone.utc),
    )
    for k in range(3):
        nwb.add_unit(spike_times=np.arange(1, 6) + 0.1 * k)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory):
    """Two netCDF recordings and one NWB recording in one folder, plus a README."""
    folder = tmp_path_factory.mktemp("sessions")
    to_netcdf(small_recording(0), folder / "a.nc")
    to_netcdf(small_recording(1), folder / "b.nc")
    write_nwb(small_recording(2), folder / "c.nwb", seed=0)
    (folder / "README.md").write_text("not a session")
    return folder
