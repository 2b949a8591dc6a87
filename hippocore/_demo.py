"""The main job, on built-in defaults: what ``make demo`` / ``hippocore demo`` runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from hippocore.io import open_dataset, to_netcdf
from hippocore.schema import spike_trains
from hippocore.testing import synthetic_recording

__all__ = ["run_demo", "unit_table"]


def unit_table(session: xr.Dataset) -> str:
    """Format a per-unit summary of a session as a text table.

    Parameters
    ----------
    session : xarray.Dataset
        A schema session with spikes.

    Returns
    -------
    str
    """
    duration = float(session.time[-1] - session.time[0])
    trains = spike_trains(session)
    extra = "cell_type" if "cell_type" in session.coords else None
    head = (
        f"{'unit':>5}  {'population':<12}"
        + (f"  {'truth':<8}" if extra else "")
        + f"  {'spikes':>7}  {'mean Hz':>8}"
    )
    lines = [head, "-" * len(head)]
    for k, unit in enumerate(session.unit.values):
        row = f"{unit!s:>5}  {session.population.values[k]!s:<12}"
        if extra:
            row += f"  {session[extra].values[k]!s:<8}"
        row += f"  {trains[k].size:>7d}  {trains[k].size / duration:>8.2f}"
        lines.append(row)
    return "\n".join(lines)


def run_demo(out: str | Path = "demo-output", *, seed: int = 0) -> Path:
    """Generate a synthetic recording, write it, read it back and print a unit table.

    Parameters
    ----------
    out : path-like, default "demo-output"
        Folder for the outputs (created if missing).
    seed : int, default 0
        Seed of the synthetic recording.

    Returns
    -------
    pathlib.Path
        The output folder.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    session = synthetic_recording(600.0, seed=seed)
    path = to_netcdf(session, folder / "synthetic_session.nc", overwrite=True)
    back = open_dataset(path)
    same = np.allclose(back.position.values, session.position.values) and np.array_equal(
        back.spike_time.values, session.spike_time.values
    )
    print(
        f"synthetic 10-min recording, {session.sizes['unit']} units -> {path} "
        f"({path.stat().st_size / 1e6:.2f} MB); read back identical: {same}"
    )
    print(unit_table(back))
    return folder
