"""Many session files opened as one dataset with a ``session`` dimension."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr

from hippocore.io._netcdf import CHUNK_TIME, _open_one
from hippocore.schema import SPIKE, kind_of, validate

__all__ = ["open_sessions", "SESSION"]

SESSION = "session"


def _pad_spikes(ds: xr.Dataset, n: int) -> xr.Dataset:
    have = ds.sizes.get(SPIKE, 0)
    if "spike_time" not in ds or have == n:
        return ds
    padded = {
        "spike_time": ds["spike_time"].pad({SPIKE: (0, n - have)}, constant_values=np.nan),
        "spike_unit": ds["spike_unit"].pad({SPIKE: (0, n - have)}, constant_values=-1),
    }
    return ds.drop_vars(["spike_time", "spike_unit"]).assign(padded)


def open_sessions(
    paths: Sequence[str | os.PathLike[str]],
    *,
    names: Sequence[str] | None = None,
    chunks: Mapping[str, int] | None = None,
    join: Literal["exact", "outer"] = "exact",
) -> xr.Dataset:
    """Open several session files (netCDF or zarr) lazily as one dataset along ``session``.

    Every file is validated as a schema session and opened with dask chunks, so nothing is
    loaded until computed. Sessions are stacked along a new ``session`` dimension (coordinate:
    ``names`` or the file stems). Spike variables, whose length differs between sessions, are
    padded at the end to the longest: ``spike_time`` with NaN and ``spike_unit`` with -1 (drop
    those with ``ds.spike_unit >= 0``). Attributes that agree across sessions are kept;
    scalar attributes that differ (e.g. ``seed``) become coordinates along ``session``.

    The result is a *collection* of sessions, not a schema session itself
    (``attrs["hippocore_kind"] == "sessions"``); ``.isel(session=i)`` plus dropping the
    padding gives session ``i`` back.

    Parameters
    ----------
    paths : sequence of path-like
        Session files written by :func:`to_netcdf` or :func:`to_zarr`.
    names : sequence of str, optional
        One label per file; default the file stems (must be unique).
    chunks : mapping, optional
        Dask chunks; default ``{"time": 65536}``.
    join : {"exact", "outer"}, default "exact"
        "exact" requires identical ``time`` and ``unit`` coordinates (e.g. seeds of one model
        on one walk) and raises otherwise; "outer" takes their union and fills missing values
        with NaN (integer variables then become float).

    Returns
    -------
    xarray.Dataset
        Dimensions ``session``, ``time``, ``unit``, ``spike``, ``axis``.

    Raises
    ------
    ValueError
        If ``paths`` is empty, names are not unique, a file is not a session, or (``"exact"``)
        the time or unit coordinates differ; the message names the file.
    """
    files = [Path(p) for p in paths]
    if not files:
        raise ValueError("paths is empty; give at least one session file.")
    labels = [f.stem for f in files] if names is None else [str(n) for n in names]
    if len(labels) != len(files) or len(set(labels)) != len(labels):
        raise ValueError(
            f"names must give one unique label per file; got {labels} for {len(files)} file(s)."
        )
    if join not in ("exact", "outer"):
        raise ValueError(f"join must be 'exact' or 'outer'; got {join!r}.")
    opened = []
    for f in files:
        ds = _open_one(f, dict(chunks) if chunks is not None else {"time": CHUNK_TIME})
        if kind_of(ds) != "session":
            raise ValueError(f"{f} holds a {kind_of(ds)!r} dataset, not a session.")
        opened.append(validate(ds, "session"))
    if join == "exact":
        ref = opened[0]
        for f, ds in zip(files[1:], opened[1:], strict=True):
            for coord in ("time", "unit"):
                a, b = ref.get(coord), ds.get(coord)
                same = (a is None and b is None) or (
                    a is not None
                    and b is not None
                    and a.shape == b.shape
                    and bool(np.all(np.asarray(a.values) == np.asarray(b.values)))
                )
                if not same:
                    raise ValueError(
                        f"{f} has a different {coord!r} coordinate from {files[0]}; pass "
                        "join='outer' to take the union (missing values become NaN)."
                    )
    n_spike = max(ds.sizes.get(SPIKE, 0) for ds in opened)
    opened = [_pad_spikes(ds, n_spike) for ds in opened]
    keys = set().union(*(ds.attrs for ds in opened))
    common: dict[str, Any] = {}
    varying: dict[str, list[Any]] = {}
    for key in sorted(keys):
        values = [ds.attrs.get(key) for ds in opened]
        first = values[0]
        if all(
            v is not None
            and type(v) is type(first)
            and np.array_equal(np.asarray(v, dtype=object), np.asarray(first, dtype=object))
            for v in values
        ):
            common[key] = first
        elif all(isinstance(v, (str, int, float, np.integer, np.floating)) for v in values):
            varying[key] = values
    stripped = [ds.copy(deep=False) for ds in opened]
    for ds in stripped:
        ds.attrs = {}
    out = xr.concat(
        stripped,
        dim=SESSION,
        join=join,
        combine_attrs="drop",
        coords="different",
        compat="equals",
        data_vars="all",
    )
    out = out.assign_coords({SESSION: (SESSION, np.array(labels, dtype=object))})
    for key, values in varying.items():
        arr = np.array(values)
        out = out.assign_coords(
            {key: (SESSION, arr.astype(object) if arr.dtype.kind == "U" else arr)}
        )
    out.attrs = {**common, "hippocore_kind": "sessions"}
    return out
