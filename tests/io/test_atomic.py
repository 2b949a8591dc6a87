"""Interrupted writes: a killed writer's part is removed by the next write, a live one is kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from hippocore.io import open_dataset, to_netcdf, to_zarr
from hippocore.io._atomic import STALE_AFTER_S, _host_tag, stale_parts
from hippocore.schema import make_session

REPO = Path(__file__).resolve().parents[2]


def _session():
    rng = np.random.default_rng(0)
    return make_session(
        np.arange(50) * 0.02,
        rng.random((50, 2)),
        activity=rng.random((50, 3)),
        activity_units="a.u.",
        source="model",
    )


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _plant(folder: Path, name: str, *, age: float = 0.0) -> Path:
    part = folder / name
    part.write_bytes(b"\x89HDF partial")
    if age:
        t = time.time() - age
        os.utime(part, (t, t))
    return part


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
def test_part_of_a_writer_killed_midway_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "s.nc"
    to_netcdf(_session(), target)
    before = target.read_bytes()
    child = textwrap.dedent(
        f"""
        import sys, time
        from hippocore.io._atomic import atomic_path
        with atomic_path({str(target)!r}, overwrite=True) as tmp:
            tmp.write_bytes(b"half a file")
            print("writing", flush=True)
            time.sleep(60)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", child], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "writing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    parts = [p for p in tmp_path.iterdir() if p.name.endswith(".part.nc")]
    assert len(parts) == 1 and f".{proc.pid}." in parts[0].name  # the killed writer's
    assert target.read_bytes() == before  # the previous file is intact
    assert stale_parts(target) == parts

    to_netcdf(_session(), target, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.nc"]
    assert open_dataset(target).sizes["time"] == 50


def test_running_writers_and_other_targets_keep_their_parts(tmp_path):
    host, dead = _host_tag(), _dead_pid()
    live = _plant(tmp_path, f".s.{host}.{os.getpid()}.abc123.part.nc")  # a running writer
    other_host = _plant(tmp_path, f".s.elsewhere.{dead}.abc123.part.nc")  # cannot be checked
    other_target = _plant(tmp_path, f".t.{host}.{dead}.abc123.part.nc")
    other_format = _plant(tmp_path, f".s.{host}.{dead}.abc123.part.nwb")
    dead_here = _plant(tmp_path, f".s.{host}.{dead}.abc123.part.nc")
    old_elsewhere = _plant(tmp_path, f".s.elsewhere.{dead}.def456.part.nc", age=STALE_AFTER_S + 60)
    legacy_old = _plant(tmp_path, ".s.k2j4_x9q.part.nc", age=STALE_AFTER_S + 60)  # no pid
    legacy_new = _plant(tmp_path, ".s.a8b7c6d5.part.nc")
    assert stale_parts(tmp_path / "s.nc") == sorted([dead_here, old_elsewhere, legacy_old])

    to_netcdf(_session(), tmp_path / "s.nc")
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {
        "s.nc",
        *(p.name for p in (live, other_host, other_target, other_format, legacy_new)),
    }


def test_a_folder_hidden_by_a_killed_swap_is_put_back(tmp_path):
    target = tmp_path / "s.zarr"
    to_zarr(_session(), target)
    aside = tmp_path / f".s.zarr.{_host_tag()}.{_dead_pid()}.old"
    os.replace(target, aside)  # killed between "old aside" and "new in"
    with pytest.raises(FileExistsError, match="overwrite=True"):
        to_zarr(_session(), target)
    assert target.is_dir() and not aside.exists()
