"""Schema datasets to and from netCDF (h5netcdf engine)."""

from __future__ import annotations

import os
from pathlib import Path

import xarray as xr

from hippocore.io._atomic import atomic_path
from hippocore.schema import validate

__all__ = ["to_netcdf", "open_dataset"]


def to_netcdf(ds: xr.Dataset, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write a schema dataset to netCDF-4 (h5netcdf engine), atomically, with compression.

    Parameters
    ----------
    ds : xarray.Dataset
        A session, rate-map or scores dataset (validated first).
    path : path-like
        Target ``.nc`` file.
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    validate(ds)
    encoding = {
        name: {"compression": "gzip", "compression_opts": 4}
        for name, var in ds.data_vars.items()
        if var.dtype.kind in "fiu" and var.size > 0
    }
    with atomic_path(path, overwrite=overwrite) as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf", encoding=encoding)
    return Path(path)


def open_dataset(
    path: str | os.PathLike[str], *, chunks: dict[str, int] | None = None
) -> xr.Dataset:
    """Open a schema dataset written by :func:`to_netcdf`, and validate it.

    Parameters
    ----------
    path : path-like
        A ``.nc`` file.
    chunks : dict, optional
        Dask chunks for lazy reading (e.g. ``{"time": 100_000}``); default: load eagerly.

    Returns
    -------
    xarray.Dataset
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    try:
        if chunks is None:
            with xr.open_dataset(p, engine="h5netcdf") as ds:
                out = ds.load()
        else:
            out = xr.open_dataset(p, engine="h5netcdf", chunks=chunks)
    except OSError as exc:
        raise OSError(
            f"{p} is not a readable netCDF/HDF5 file (truncated or another format?): {exc}"
        ) from exc
    return validate(out)
