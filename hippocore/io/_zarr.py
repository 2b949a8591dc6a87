"""Schema datasets to and from zarr stores (zarr format 2, consolidated metadata)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import xarray as xr

from hippocore.io._atomic import atomic_path
from hippocore.io._netcdf import CHUNK_TIME, normalise_strings
from hippocore.schema import TIME, validate

__all__ = ["to_zarr", "open_zarr"]


def to_zarr(ds: xr.Dataset, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write a schema dataset to a zarr store (format 2, consolidated), atomically.

    Format 2 is used because it reads everywhere (zarr-python 2 and 3, other languages) and
    xarray writes string coordinates to it without unstable-specification warnings. Variables
    along ``time`` are chunked by :data:`~hippocore.io._netcdf.CHUNK_TIME` samples (Blosc
    compression, zarr's default). The store is written to a temporary folder beside ``path``
    and renamed into place when complete.

    Parameters
    ----------
    ds : xarray.Dataset
        A session, rate-map or scores dataset (validated first; never modified).
    path : path-like
        Target folder (``.zarr``).
    overwrite : bool, default False
        Replace an existing store.

    Returns
    -------
    pathlib.Path
        The written store.

    Raises
    ------
    FileExistsError
        If the store exists and ``overwrite`` is False.
    """
    validate(ds)
    encoding = {
        str(name): {
            "chunks": tuple(
                min(n, CHUNK_TIME) if dim == TIME else n
                for dim, n in zip(var.dims, var.shape, strict=True)
            )
        }
        for name, var in ds.data_vars.items()
        if var.dtype.kind in "fiu" and var.size > 0
    }
    plain = ds.copy(deep=False)  # drop encodings inherited from other formats, not the input's
    for var in plain.variables.values():
        var.encoding = {}
    with atomic_path(path, overwrite=overwrite) as tmp:
        plain.to_zarr(tmp, mode="w-", zarr_format=2, consolidated=True, encoding=encoding)
    return Path(path)


def open_zarr(
    path: str | os.PathLike[str], *, chunks: Mapping[str, int] | None = None
) -> xr.Dataset:
    """Open a zarr store written by :func:`to_zarr`.

    Parameters
    ----------
    path : path-like
        The store folder.
    chunks : mapping, optional
        Dask chunks for lazy reading (``{}`` = the stored chunks); default: load eagerly.

    Returns
    -------
    xarray.Dataset
        Validated; string variables as ``object``.

    Raises
    ------
    FileNotFoundError
        If the store does not exist.
    ValueError
        If the folder is not a readable zarr store.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such zarr store: {p}")
    try:
        ds = xr.open_zarr(p, chunks=dict(chunks) if chunks is not None else {}, zarr_format=2)
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{p} is not a readable zarr store: {exc}") from exc
    if chunks is None:
        ds = ds.load()
    return validate(normalise_strings(ds))
