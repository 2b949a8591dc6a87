"""Schema datasets to and from netCDF and zarr; lazy opening; many sessions as one dataset."""

from __future__ import annotations

import os

import numpy as np
import pytest
import xarray as xr

from hippocore.io import open_dataset, open_sessions, open_zarr, to_netcdf, to_zarr
from hippocore.schema import SchemaError, make_rate_maps, make_scores, validate
from hippocore.testing import synthetic_recording


def _assert_identical(a: xr.Dataset, b: xr.Dataset) -> None:
    xr.testing.assert_identical(a, b)
    for name in b.variables:
        assert a[name].dtype == b[name].dtype, (name, a[name].dtype, b[name].dtype)


def _rate_maps():
    rng = np.random.default_rng(0)
    rate = rng.uniform(0, 5, (3, 4, 5))
    rate[:, 0, 0] = np.nan
    return make_rate_maps(
        rate,
        rng.uniform(0, 1, (4, 5)),
        x=np.arange(5) * 0.05 + 0.025,
        y=np.arange(4) * 0.05 + 0.025,
        bin_size=0.05,
        unit=[10, 11, 12],
        population=["a", "a", "b"],
        extra={"rate_raw": rate},
        attrs={"smooth": 1.0, "method": "BNT"},
    )


def _scores():
    return make_scores(
        [10, 11, 12],
        {
            "grid_score": [0.5, -0.1, np.nan],
            "label": np.array(["grid", "none", "none"], dtype=object),
        },
        attrs={"shuffles": 100},
    )


@pytest.mark.parametrize("fmt", ["netcdf", "zarr"])
def test_round_trips_are_identity(tmp_path, fmt, make_model_session):
    write, read = (to_netcdf, open_dataset) if fmt == "netcdf" else (to_zarr, open_zarr)
    suffix = ".nc" if fmt == "netcdf" else ".zarr"
    datasets = {
        "model": make_model_session(),
        "recording": synthetic_recording(60.0, include_rates=True, seed=1),
        "rate_maps": _rate_maps(),
        "scores": _scores(),
    }
    for name, ds in datasets.items():
        before = ds.copy(deep=True)
        path = write(ds, tmp_path / f"{name}{suffix}")
        xr.testing.assert_identical(ds, before)
        back = read(path)
        _assert_identical(back, ds)
        assert open_dataset(path).attrs == ds.attrs  # open_dataset reads both formats


@pytest.mark.parametrize("fmt", ["netcdf", "zarr"])
def test_lazy_opening_gives_dask_chunks(tmp_path, fmt, make_model_session):
    import dask.array as da

    ds = make_model_session(n_time=3000)
    path = (to_netcdf if fmt == "netcdf" else to_zarr)(ds, tmp_path / f"s.{fmt}")
    lazy = open_dataset(path, chunks={})
    assert isinstance(lazy.activity.data, da.Array)
    np.testing.assert_array_equal(lazy.activity[100:200].values, ds.activity[100:200].values)
    # a lazy dataset writes back without being loaded whole
    again = to_netcdf(lazy, tmp_path / "again.nc")
    _assert_identical(open_dataset(again), ds)


def test_open_sessions_stacks_along_session(tmp_path):
    a = synthetic_recording(30.0, include_rates=True, seed=1)
    b = synthetic_recording(30.0, include_rates=True, seed=2).assign_coords(time=a.time)
    pa, pb = to_netcdf(a, tmp_path / "a.nc"), to_zarr(b, tmp_path / "b.zarr")
    both = open_sessions([pa, pb], names=["seed1", "seed2"])
    assert both.sizes["session"] == 2 and both.attrs["hippocore_kind"] == "sessions"
    assert list(both.session.values) == ["seed1", "seed2"]
    assert list(both.seed.values) == [1, 2]  # differing attrs become coordinates
    assert both.attrs["arena_limits_m"] == a.attrs["arena_limits_m"]  # shared attrs stay
    np.testing.assert_array_equal(both.activity.sel(session="seed2").values, b.activity.values)
    n_a, n_b = a.sizes["spike"], b.sizes["spike"]
    assert both.sizes["spike"] == max(n_a, n_b)
    one = both.sel(session="seed1")
    keep = one.spike_unit.values >= 0
    assert keep.sum() == n_a
    np.testing.assert_array_equal(one.spike_time.values[keep], a.spike_time.values)
    c = synthetic_recording(20.0, include_rates=True, seed=3)
    pc = to_netcdf(c, tmp_path / "c.nc")
    with pytest.raises(ValueError, match="different 'time' coordinate"):
        open_sessions([pa, pc])
    outer = open_sessions([pa, pc], join="outer")
    assert (
        outer.sizes["time"] == a.sizes["time"]
        and np.isnan(outer.position.sel(session="c").values[-1]).all()
    )
    with pytest.raises(ValueError, match="unique label"):
        open_sessions([pa, pa])
    with pytest.raises(ValueError, match="not a session"):
        open_sessions([pa, to_netcdf(_scores(), tmp_path / "scores.nc")])


@pytest.mark.parametrize("fmt", ["netcdf", "zarr"])
def test_writers_are_atomic_and_never_overwrite_silently(
    tmp_path, fmt, monkeypatch, make_model_session
):
    write = to_netcdf if fmt == "netcdf" else to_zarr
    path = tmp_path / ("s.nc" if fmt == "netcdf" else "s.zarr")
    ds = make_model_session(n_time=300)
    write(ds, path)
    snapshot = sorted(os.listdir(tmp_path))
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write(ds, path)
    method = "to_netcdf" if fmt == "netcdf" else "to_zarr"

    def half_then_fail(self, target, *args, **kwargs):
        if fmt == "netcdf":  # a partial file exists when the failure comes
            target.write_bytes(b"\x89HDF partial")
        else:
            target.mkdir()
            (target / ".zgroup").write_text("{}")
        raise OSError("disk full")

    monkeypatch.setattr(xr.Dataset, method, half_then_fail)
    other = make_model_session(n_time=300, seed=5)
    with pytest.raises(OSError, match="disk full"):
        write(other, path, overwrite=True)
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == snapshot  # no temporary left behind
    _assert_identical((open_dataset if fmt == "netcdf" else open_zarr)(path), ds)  # old intact
    write(other, path, overwrite=True)
    _assert_identical(open_dataset(path), other)


def test_unreadable_and_invalid_files_are_clear_errors(tmp_path, make_model_session):
    bad = tmp_path / "bad.nc"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(ValueError, match="not a readable netCDF"):
        open_dataset(bad)
    with pytest.raises(FileNotFoundError):
        open_dataset(tmp_path / "missing.nc")
    broken = make_model_session(n_time=100)
    broken.attrs["source"] = "dream"
    with pytest.raises(SchemaError, match="source"):
        to_netcdf(broken, tmp_path / "x.nc")
    assert not (tmp_path / "x.nc").exists()
    plain = xr.Dataset({"a": ("t", np.ones(3))}, attrs={"hippocore_kind": "session"})
    plain.to_netcdf(tmp_path / "plain.nc", engine="h5netcdf")
    with pytest.raises(SchemaError):
        open_dataset(tmp_path / "plain.nc")
    validate(make_model_session(n_time=10))
