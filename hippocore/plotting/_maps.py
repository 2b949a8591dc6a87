"""Rate maps with the path and the spikes, and place fields outlined on their map."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore._checks import as_float_array
from hippocore.plotting._mpl import axes_or_new

__all__ = ["plot_rate_map", "plot_place_fields", "spike_positions", "field_outline"]


def _centres(values: ArrayLike | None, n: int, name: str) -> NDArray[np.float64]:
    """Bin centres along one axis (m), or 0..n-1 when not given; checked evenly spaced."""
    if values is None:
        return np.arange(n, dtype=float)
    c = as_float_array(values, name, ndim=1, allow_nan=False)
    if c.size != n:
        raise ValueError(f"{name} must hold one bin centre per map column/row ({n}); got {c.size}.")
    if n > 1 and not np.allclose(np.diff(c), c[1] - c[0], rtol=1e-6, atol=1e-12):
        raise ValueError(f"{name} must be evenly spaced bin centres (a rate map's coords).")
    return c


def _map_and_centres(rate: Any, x: ArrayLike | None, y: ArrayLike | None):
    """(map (y, x), x centres, y centres) from an array or a DataArray with x/y coords."""
    coords = getattr(rate, "coords", None)
    if coords is not None and "x" in coords and "y" in coords:
        rate = rate.transpose("y", "x")
        x = rate["x"].values if x is None else x
        y = rate["y"].values if y is None else y
    m = as_float_array(rate, "rate", ndim=2)
    if np.isinf(m).any():
        raise ValueError("rate contains infinite values; use NaN for unvisited bins.")
    return m, _centres(x, m.shape[1], "x"), _centres(y, m.shape[0], "y")


def _step(c: NDArray[np.float64]) -> float:
    return float(c[1] - c[0]) if c.size > 1 else 1.0


def _edges(c: NDArray[np.float64]) -> tuple[float, float]:
    half = _step(c) / 2
    return float(c[0] - half), float(c[-1] + half)


def spike_positions(session: Any, unit: int) -> NDArray[np.float64]:
    """Where the animal was at each spike of one unit (linear interpolation of the path).

    Parameters
    ----------
    session : xarray.Dataset
        A schema session with ``position`` and spikes.
    unit : int
        Index (0..n_unit-1) of the unit in ``session.unit``.

    Returns
    -------
    ndarray of shape (n_spikes, 2)
        Positions (x, y) in m of the unit's spikes inside the tracked time range.
    """
    from hippocore.schema import require, spike_trains

    require(session, "position", purpose="spike positions")
    trains = spike_trains(session)
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)):
        raise TypeError(f"unit must be an integer index; got {unit!r}.")
    if not 0 <= unit < len(trains):
        raise ValueError(f"unit must be in 0..{len(trains) - 1}; got {unit}.")
    t = session["time"].values
    pos = session["position"].transpose("time", "axis").values
    s = trains[unit]
    s = s[(s >= t[0]) & (s <= t[-1])]
    return np.column_stack([np.interp(s, t, pos[:, 0]), np.interp(s, t, pos[:, 1])])


def plot_rate_map(
    rate: Any,
    *,
    x: ArrayLike | None = None,
    y: ArrayLike | None = None,
    ax: Any = None,
    trajectory: ArrayLike | None = None,
    spikes: ArrayLike | None = None,
    cmap: str = "jet",
    vmin: float | None = None,
    vmax: float | None = None,
    nan_color: str = "white",
    colorbar: bool = False,
    title: str | None = None,
) -> Any:
    """Draw a rate map, optionally with the animal's path and the unit's spikes on top.

    Parameters
    ----------
    rate : array_like of shape (y, x), or xarray.DataArray with ``y``/``x`` coords
        One rate map (Hz or the activity's units; NaN = unvisited, drawn in ``nan_color``);
        row 0 is the lowest y (drawn at the bottom), e.g. ``rate_maps["rate"][u]``.
    x, y : array_like, optional
        Bin centres (m); default the DataArray's coords, else bin indices.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure (``image.figure``), made without pyplot.
    trajectory : array_like of shape (n_time, 2), optional
        Positions (x, y) in the map's units, drawn as a thin grey line labelled "trajectory".
    spikes : array_like of shape (n_spikes, 2), optional
        Spike positions (x, y) (e.g. :func:`spike_positions`), red dots labelled "spikes".
    cmap : str, default "jet"
        Colormap (BNT's).
    vmin, vmax : float, optional
        Colour limits; default 0 and the map's finite maximum.
    nan_color : str, default "white"
        Colour of unvisited bins.
    colorbar : bool, default False
        Add a colorbar.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.image.AxesImage
        The map; its extent is the bin edges, ``get_array()`` the map masked where NaN.
    """
    import matplotlib as mpl

    m, xc, yc = _map_and_centres(rate, x, y)
    ax = axes_or_new(ax, (3.0, 3.0))
    finite = m[np.isfinite(m)]
    lo = vmin if vmin is not None else 0.0
    hi = vmax if vmax is not None else (float(finite.max()) if finite.size else 1.0)
    colormap = mpl.colormaps[cmap].with_extremes(bad=nan_color)
    image = ax.imshow(
        np.ma.masked_invalid(m),
        origin="lower",
        extent=(*_edges(xc), *_edges(yc)),
        cmap=colormap,
        vmin=lo,
        vmax=hi if hi > lo else lo + 1.0,
        interpolation="nearest",
    )
    if trajectory is not None:
        path = as_float_array(trajectory, "trajectory", ndim=2)
        if path.shape[1] != 2:
            raise ValueError(f"trajectory must have columns (x, y); got shape {path.shape}.")
        ax.plot(path[:, 0], path[:, 1], color="0.5", linewidth=0.4, label="trajectory")
    if spikes is not None:
        sp = as_float_array(spikes, "spikes", ndim=2)
        if sp.shape[1] != 2:
            raise ValueError(f"spikes must have columns (x, y); got shape {sp.shape}.")
        ax.plot(sp[:, 0], sp[:, 1], linestyle="none", marker=".", markersize=2, color="red",
                label="spikes")  # fmt: skip
    ax.set_xlim(*_edges(xc))
    ax.set_ylim(*_edges(yc))
    ax.set_aspect("equal")
    if colorbar:
        ax.figure.colorbar(image, ax=ax)
    if title is not None:
        ax.set_title(title)
    return image


def _field_mask(field: Any, shape: tuple[int, int], k: int) -> NDArray[np.bool_]:
    if hasattr(field, "mask") and hasattr(field, "bins"):
        return field.mask(shape)
    mask = np.asarray(field)
    if mask.dtype != bool or mask.shape != shape:
        raise TypeError(
            f"fields[{k}] must be a PlaceField or a boolean mask of the map's shape {shape}; "
            f"got {type(field).__name__}."
        )
    return mask


def field_outline(mask: ArrayLike, x: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    """Edges between a field's bins and the rest of the map: the field's exact outline.

    Parameters
    ----------
    mask : array_like of bool, shape (y, x)
        The field's bins.
    x, y : array_like
        Bin centres (m) of the map's columns and rows, evenly spaced.

    Returns
    -------
    ndarray of shape (n_edges, 2, 2)
        Segments ``[(x0, y0), (x1, y1)]`` on the bin edges (m), one per side of a field bin
        whose neighbour is outside the field (or outside the map).
    """
    m = np.asarray(mask, dtype=bool)
    xc, yc = _centres(x, m.shape[1], "x"), _centres(y, m.shape[0], "y")
    xe = xc[0] - _step(xc) / 2 + _step(xc) * np.arange(m.shape[1] + 1)
    ye = yc[0] - _step(yc) / 2 + _step(yc) * np.arange(m.shape[0] + 1)
    p = np.pad(m, 1)
    segs = []
    rows, cols = np.nonzero(p[1:, 1:-1] != p[:-1, 1:-1])  # horizontal edge at ye[rows]
    segs += [[(xe[c], ye[r]), (xe[c + 1], ye[r])] for r, c in zip(rows, cols, strict=True)]
    rows, cols = np.nonzero(p[1:-1, 1:] != p[1:-1, :-1])  # vertical edge at xe[cols]
    segs += [[(xe[c], ye[r]), (xe[c], ye[r + 1])] for r, c in zip(rows, cols, strict=True)]
    return np.asarray(segs, dtype=float).reshape(-1, 2, 2)


def plot_place_fields(
    rate: Any,
    fields: Sequence[Any],
    *,
    x: ArrayLike | None = None,
    y: ArrayLike | None = None,
    ax: Any = None,
    cmap: str = "jet",
    color: str = "white",
    title: str | None = None,
) -> list[Any]:
    """Draw a rate map with each place field outlined along its bins' edges.

    Parameters
    ----------
    rate : array_like of shape (y, x), or xarray.DataArray with ``y``/``x`` coords
        The rate map the fields were found on.
    fields : sequence of PlaceField or of boolean masks (y, x)
        Fields of this map, e.g. ``place_fields(rate)`` (BNT ``placefield``).
    x, y : array_like, optional
        Bin centres (m); default the DataArray's coords, else bin indices.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure, made without pyplot.
    cmap : str, default "jet"
        Colormap of the map.
    color : str, default "white"
        Outline colour.
    title : str, optional
        Axes title; default "<n> field(s)".

    Returns
    -------
    list of matplotlib.collections.LineCollection
        One outline per field, in the order given, labelled ``"field <k>"``; the outline's
        segments are :func:`field_outline` of the field's mask.
    """
    from matplotlib.collections import LineCollection

    m, xc, yc = _map_and_centres(rate, x, y)
    image = plot_rate_map(m, x=xc, y=yc, ax=ax, cmap=cmap)
    ax = image.axes
    outlines = []
    for k, field in enumerate(fields):
        segs = field_outline(_field_mask(field, m.shape, k), xc, yc)
        coll = LineCollection(segs, colors=color, linewidths=1.2, label=f"field {k}")
        ax.add_collection(coll)
        outlines.append(coll)
    ax.set_title(title if title is not None else f"{len(outlines)} field(s)")
    return outlines
