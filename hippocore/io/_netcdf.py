"""Schema datasets (sessions, rate maps, scores) to and from netCDF-4 (h5netcdf engine)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from hippocore.io._atomic import atomic_path
from hippocore.schema import TIME, validate

__all__ = ["to_netcdf", "open_dataset", "normalise_strings", "CHUNK_TIME"]

#: Samples per chunk along ``time`` on disk (and the default dask chunk when opening lazily).
CHUNK_TIME = 65536


def normalise_strings(ds: xr.Dataset) -> xr.Dataset:
    """Undo what netCDF/zarr change in schema datasets: string dtypes and list attributes.

    String variables come back as fixed-width ``<U`` (netCDF) or ``StringDType`` (zarr), and
    lazily opened ones as dask arrays; they are returned as in-memory numpy ``object`` arrays,
    as the schema builders make them (they are small: per-unit labels). 1-D array attributes
    come back as lists, as they were written.
    """
    out = ds.copy(deep=False)
    for name, var in ds.variables.items():
        is_str = var.dtype.kind in "UO" or type(var.dtype).__name__ == "StringDType"
        if is_str and name not in ds.indexes:
            fixed = var.compute().astype(object)
            out = (
                out.assign_coords({name: fixed}) if name in ds.coords else out.assign({name: fixed})
            )
        elif is_str:
            out = out.assign_coords({name: var.astype(object)})
    out.attrs = {
        k: v.tolist() if isinstance(v, np.ndarray) and v.ndim == 1 else v
        for k, v in ds.attrs.items()
    }
    return out


def _encoding(ds: xr.Dataset, level: int) -> dict[str, dict[str, object]]:
    enc: dict[str, dict[str, object]] = {}
    for name, var in ds.variables.items():
        if var.dtype.kind not in "fiu" or var.size == 0:
            continue
        chunks = tuple(
            min(n, CHUNK_TIME) if dim == TIME else n
            for dim, n in zip(var.dims, var.shape, strict=True)
        )
        enc[str(name)] = {
            "compression": "gzip",
            "compression_opts": level,
            "shuffle": True,
            "chunksizes": chunks,
        }
    return enc


def to_netcdf(
    ds: xr.Dataset,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    compression_level: int = 4,
) -> Path:
    """Write a schema dataset to netCDF-4 (h5netcdf engine), atomically, gzip-compressed.

    Variables along ``time`` are chunked by :data:`CHUNK_TIME` samples so lazy reads of a
    window touch only its chunks. A dask-backed dataset is written chunk by chunk. Attributes
    are already netCDF-safe in schema datasets (dicts as JSON strings).

    Parameters
    ----------
    ds : xarray.Dataset
        A session, rate-map or scores dataset (validated first; never modified).
    path : path-like
        Target ``.nc`` file; written to a temporary file beside it and renamed when complete.
    overwrite : bool, default False
        Replace an existing file.
    compression_level : int, default 4
        gzip level (1-9).

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    FileExistsError
        If the file exists and ``overwrite`` is False.
    hippocore.schema.SchemaError
        If ``ds`` is not a valid schema dataset.
    """
    validate(ds)
    if not (isinstance(compression_level, int) and 1 <= compression_level <= 9):
        raise ValueError(f"compression_level must be an int in 1..9; got {compression_level!r}.")
    plain = ds.copy(deep=False)  # drop encodings inherited from other formats, not the input's
    for var in plain.variables.values():
        var.encoding = {}
    with atomic_path(path, overwrite=overwrite) as tmp:
        plain.to_netcdf(tmp, engine="h5netcdf", encoding=_encoding(ds, compression_level))
    return Path(path)


def _open_one(p: Path, chunks: Mapping[str, int] | None) -> xr.Dataset:
    if p.is_dir():
        from hippocore.io._zarr import open_zarr

        return open_zarr(p, chunks=chunks)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    try:
        if chunks is None:
            with xr.open_dataset(p, engine="h5netcdf") as ds:
                out = ds.load()
        else:
            out = xr.open_dataset(p, engine="h5netcdf", chunks=dict(chunks))
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"{p} is not a readable netCDF-4/HDF5 file (truncated or another format?): {exc}"
        ) from exc
    return normalise_strings(out)


def open_dataset(
    path: str | os.PathLike[str], *, chunks: Mapping[str, int] | None = None
) -> xr.Dataset:
    """Open a schema dataset written by :func:`to_netcdf` (or a zarr store by :func:`to_zarr`).

    Parameters
    ----------
    path : path-like
        A ``.nc`` file, or a zarr folder.
    chunks : mapping, optional
        Dask chunks for lazy reading, e.g. ``{"time": 65536}`` (``{}`` = the on-disk chunks);
        default: load eagerly and close the file.

    Returns
    -------
    xarray.Dataset
        Validated; string variables as ``object``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is unreadable (truncated, another format).
    hippocore.schema.SchemaError
        If the content is not a schema dataset.
    """
    out = _open_one(Path(path), chunks)
    return validate(out)
