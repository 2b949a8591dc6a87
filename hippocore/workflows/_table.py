"""Write a scores table to netCDF, CSV, Parquet or JSON, atomically."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hippocore.workflows._run import ScoreRun

__all__ = ["TABLE_FORMATS", "check_table_path", "write_table"]

#: Output formats by file extension.
TABLE_FORMATS = (".nc", ".csv", ".parquet", ".json")

PYARROW_MISSING = (
    "writing Parquet needs pyarrow, the 'parquet' extra: `pip install hippocore[parquet]` (or "
    "`pip install pyarrow`), or write .csv, .nc or .json."
)


def check_table_path(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Check, before any work, that a table can be written to ``path``.

    Parameters
    ----------
    path : path-like
        Target with extension ``.nc``, ``.csv``, ``.parquet`` or ``.json``.
    overwrite : bool, default False
        Whether an existing file may be replaced.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        For another extension.
    ImportError
        For ``.parquet`` without pyarrow.
    FileExistsError, FileNotFoundError, PermissionError
        As :func:`hippocore.io._atomic.check_target`.
    """
    from hippocore.io._atomic import check_target

    p = Path(path)
    if p.suffix.lower() not in TABLE_FORMATS:
        raise ValueError(
            f"output {p}: unknown extension {p.suffix!r}; use one of {list(TABLE_FORMATS)} "
            "(e.g. -o scores.csv)."
        )
    if p.suffix.lower() == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ImportError(PYARROW_MISSING) from None
    if p.exists() and not overwrite:
        raise FileExistsError(
            f"{p} already exists; pass --overwrite (overwrite=True) to replace it."
        )
    return check_target(p, overwrite=overwrite)


def _json_value(v: Any) -> Any:
    if v is pd.NA or v is None:
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)  # repr round-trips floats exactly
    return v


def _metadata(run: ScoreRun) -> dict[str, Any]:
    from hippocore._version import __version__

    return {
        "hippocore_version": __version__,
        "parameters": run.parameters,
        "failures": [{"file": f.path, "reason": f.reason} for f in run.failures],
    }


def _to_netcdf(run: ScoreRun, tmp: Path) -> None:
    import xarray as xr

    data = {}
    for name in run.table.columns:
        col = run.table[name]
        if isinstance(col.dtype, pd.BooleanDtype):  # NA (test not run) -> NaN, else 1/0
            values = col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            data[name] = ("row", values, {"meaning": "1 passed, 0 failed, NaN test not run"})
        elif col.dtype == object:
            data[name] = ("row", col.fillna("").astype(str).to_numpy(dtype=object))
        else:
            data[name] = ("row", col.to_numpy())
    meta = _metadata(run)
    attrs = {
        "description": "hippocore score: one row per unit",
        "hippocore_version": meta["hippocore_version"],
        "parameters_json": json.dumps(meta["parameters"]),
        "failures_json": json.dumps(meta["failures"]),
    }
    xr.Dataset(data, attrs=attrs).to_netcdf(tmp, engine="h5netcdf")


def write_table(run: ScoreRun, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write the table of a :class:`ScoreRun`; the format comes from the extension.

    ``.csv``: the table (floats written exactly). ``.nc``: one variable per column along
    ``row``, the options and failures as JSON attributes; ``is_<label>`` columns as 1/0/NaN.
    ``.json``: ``{"hippocore_version", "parameters", "failures", "rows": [...]}`` (NaN as
    null). ``.parquet``: the table (needs pyarrow). The file is written beside the target and
    renamed into place when complete, so an interrupted write leaves no partial file.

    Parameters
    ----------
    run : ScoreRun
        The result of :func:`score_files`.
    path : path-like
        Target file.
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
    """
    from hippocore.io._atomic import atomic_path

    target = check_table_path(path, overwrite=overwrite)
    suffix = target.suffix.lower()
    with atomic_path(target, overwrite=overwrite) as tmp:
        if suffix == ".csv":
            run.table.to_csv(tmp, index=False)
        elif suffix == ".parquet":
            run.table.to_parquet(tmp, index=False)
        elif suffix == ".json":
            rows = [
                {k: _json_value(v) for k, v in row.items()}
                for row in run.table.to_dict(orient="records")
            ]
            tmp.write_text(json.dumps({**_metadata(run), "rows": rows}, indent=1))
        else:
            _to_netcdf(run, tmp)
    return target
