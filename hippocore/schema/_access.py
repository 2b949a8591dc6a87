"""Reading a schema dataset: spike trains, environments, what is missing, its kind; LED head direction."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr

from hippocore.schema._names import KINDS, UNIT, SchemaError

__all__ = [
    "led_head_direction",
    "spike_trains",
    "environments",
    "parse_missing",
    "missing",
    "require",
    "kind_of",
]


def led_head_direction(front: np.ndarray, back: np.ndarray) -> np.ndarray:
    """Head direction from two tracked LEDs, in the schema's convention.

    Parameters
    ----------
    front, back : ndarray of shape (n, 2)
        Front and back LED positions (any length unit), columns (x, y); NaN where untracked.

    Returns
    -------
    ndarray of shape (n,)
        ``atan2(y_front - y_back, x_front - x_back)``: radians in (-pi, pi], counter-clockwise
        from +x; NaN where either LED is untracked.
    """
    both = np.isfinite(front).all(axis=1) & np.isfinite(back).all(axis=1)
    out = np.full(front.shape[0], np.nan)
    d = front[both] - back[both]
    out[both] = np.arctan2(d[:, 1], d[:, 0])
    return out


def spike_trains(ds: xr.Dataset) -> list[np.ndarray]:
    """Per-unit spike times of a session dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        A session dataset with ``spike_time`` and ``spike_unit``.

    Returns
    -------
    list of ndarray
        One sorted array of spike times (s) per unit, in the order of ``ds.unit``.

    Raises
    ------
    ValueError
        If the session holds no spikes.
    """
    if "spike_time" not in ds or "spike_unit" not in ds:
        raise ValueError("this session holds no spikes (no spike_time/spike_unit variables).")
    n_unit = ds.sizes.get(UNIT, 0)
    times = np.asarray(ds["spike_time"].values, dtype=np.float64)
    owner = np.asarray(ds["spike_unit"].values, dtype=np.int64)
    order = np.lexsort((times, owner))
    times, owner = times[order], owner[order]
    bounds = np.searchsorted(owner, np.arange(n_unit + 1))
    return [times[bounds[i] : bounds[i + 1]] for i in range(n_unit)]


def environments(ds: xr.Dataset) -> list[dict[str, Any]]:
    """Descriptions of the environments of a session (empty if none are recorded).

    Parameters
    ----------
    ds : xarray.Dataset
        A session dataset.

    Returns
    -------
    list of dict
    """
    text = ds.attrs.get("environments_json")
    return json.loads(text) if text else []


def parse_missing(value: Any) -> list[str]:
    if value is None:
        return []
    return [v.strip() for v in str(value).split(",") if v.strip()]


def missing(ds: xr.Dataset) -> list[str]:
    """Required variables a session does not hold because its source had none.

    Parameters
    ----------
    ds : xarray.Dataset
        A session dataset.

    Returns
    -------
    list of str
        The names in ``attrs["missing"]`` (e.g. ``["position"]`` for a recording without
        tracking); empty when nothing is missing.
    """
    return parse_missing(ds.attrs.get("missing"))


def require(ds: xr.Dataset, *names: str, purpose: str) -> xr.Dataset:
    """Check that a session holds the variables an analysis needs; say clearly what is missing.

    Parameters
    ----------
    ds : xarray.Dataset
        A session dataset.
    *names : str
        Variables the analysis needs (e.g. ``"position"``, ``"head_direction"``).
    purpose : str
        What needs them, named in the error (e.g. ``"rate maps"``).

    Returns
    -------
    xarray.Dataset
        ``ds`` itself.

    Raises
    ------
    ValueError
        Naming the first absent variable, why it is absent (``attrs["missing"]``, the source
        file when known) and what to do.
    """
    for name in names:
        if name in ds.variables:
            continue
        source = ds.attrs.get("nwb_file") or ds.attrs.get("source_file")
        origin = f" (source: {source})" if source else ""
        if name in missing(ds):
            raise ValueError(
                f"{purpose} need '{name}', and this session has none: its source recorded no "
                f"{name.replace('_', ' ')}{origin}, as attrs['missing'] says. Add it from the "
                f"file that holds it (session.assign({name}=...), then delete "
                "attrs['missing']) or use an analysis that does not need it (head-direction and "
                "speed scores need only their own variable)."
            )
        raise ValueError(
            f"{purpose} need '{name}', and this session has none{origin}; add it "
            f"(session.assign({name}=...)) first."
        )
    return ds


def kind_of(ds: xr.Dataset) -> str:
    """Return the kind of a dataset (``"session"``, ``"rate_maps"`` or ``"scores"``).

    Uses ``attrs["hippocore_kind"]`` when present, otherwise infers it from the variables.

    Parameters
    ----------
    ds : xarray.Dataset

    Returns
    -------
    str

    Raises
    ------
    SchemaError
        If the kind cannot be told.
    """
    kind = ds.attrs.get("hippocore_kind")
    if kind in KINDS:
        return str(kind)
    if "position" in ds:
        return "session"
    if "rate" in ds and "occupancy" in ds:
        return "rate_maps"
    if UNIT in ds.dims and ds.data_vars:
        return "scores"
    raise SchemaError(
        [
            "cannot tell the dataset's kind: set attrs['hippocore_kind'] to one of "
            f"{list(KINDS)}, or build it with hippocore.schema.make_session/make_rate_maps/make_scores"
        ]
    )
