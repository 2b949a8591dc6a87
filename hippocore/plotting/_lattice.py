"""Node maps of units on a graph world's geometry: one hexagon or square cell per node."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore._checks import as_float_array
from hippocore.plotting._mpl import axes_or_new

__all__ = ["plot_lattice_map", "node_cells"]


def _check_world(world: object) -> NDArray[np.float64]:
    if getattr(world, "kind", None) not in ("square", "hexagonal", "eight") or not hasattr(
        world, "coords"
    ):
        raise TypeError(f"world must be a hippocore.envs.World; got {type(world).__name__}.")
    return np.asarray(world.coords, dtype=float)


def node_cells(world: object) -> NDArray[np.float64]:
    """Polygon of each node's cell: the lattice's Voronoi cells.

    Parameters
    ----------
    world : hippocore.envs.World
        The lattice (uses ``kind``, ``coords`` and ``spacing``).

    Returns
    -------
    ndarray of shape (n_nodes, n_corners, 2)
        Corners (m), columns (x, y): pointy-top regular hexagons of circumradius
        ``spacing / sqrt(3)`` on hexagonal worlds (they tile the triangular lattice),
        squares of side ``spacing`` on square and eight-connected worlds.
    """
    coords = _check_world(world)
    sp = float(world.spacing)
    if world.kind == "hexagonal":
        angles = np.deg2rad(30.0 + 60.0 * np.arange(6))
        corner = sp / math.sqrt(3) * np.column_stack([np.cos(angles), np.sin(angles)])
    else:
        corner = sp / 2 * np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    return coords[:, None, :] + corner[None]


def plot_lattice_map(
    world: object,
    values: ArrayLike,
    *,
    ax: Any = None,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    nan_color: str = "0.85",
    colorbar: bool = False,
    title: str | None = None,
) -> Any:
    """Draw one value per node of a lattice world on its geometry.

    Each node is drawn as its cell (a hexagon on hexagonal worlds, a square otherwise,
    :func:`node_cells`) coloured by its value, with equal x and y scales, so a map looks as
    the world is laid out (hexagonal worlds are not squeezed onto a square grid).

    Parameters
    ----------
    world : hippocore.envs.World
        The lattice (uses ``kind``, ``coords`` in m and ``spacing``).
    values : array_like of shape (n_nodes,)
        Value per node, e.g. a unit's mean activity per node
        (:func:`hippocore.analysis.lattice_node_means`); NaN = unvisited.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure (``collection.figure``), made without pyplot.
    cmap : str, default "viridis"
        Colormap name.
    vmin, vmax : float, optional
        Colour limits; default the finite values' min and max.
    nan_color : str, default "0.85"
        Colour of NaN (unvisited) nodes.
    colorbar : bool, default False
        Add a colorbar beside the axes.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.collections.PolyCollection
        One polygon per node; ``get_array()`` is ``values`` (masked where NaN).

    Raises
    ------
    TypeError
        If ``world`` is not a lattice world.
    ValueError
        If ``values`` does not hold one finite-or-NaN value per node.
    """
    import matplotlib as mpl
    from matplotlib.collections import PolyCollection

    cells = node_cells(world)
    v = as_float_array(values, "values", ndim=1)
    if np.isinf(v).any():
        raise ValueError("values contains infinite values; use NaN for unvisited nodes.")
    if v.size != cells.shape[0]:
        raise ValueError(
            f"values must hold one value per node ({cells.shape[0]}); got {v.size}. Pass "
            "e.g. lattice_node_means(world, nodes, activity) for one unit."
        )
    ax = axes_or_new(ax, (3.0, 3.0))
    finite = v[np.isfinite(v)]
    lo = float(finite.min()) if vmin is None and finite.size else vmin
    hi = float(finite.max()) if vmax is None and finite.size else vmax
    colormap = mpl.colormaps[cmap].with_extremes(bad=nan_color)
    coll = PolyCollection(cells, cmap=colormap, edgecolors="face", linewidths=0.2)
    coll.set_array(np.ma.masked_invalid(v))
    coll.set_clim(lo, hi)
    ax.add_collection(coll)
    lo_xy = cells.reshape(-1, 2).min(axis=0)
    hi_xy = cells.reshape(-1, 2).max(axis=0)
    ax.set_xlim(lo_xy[0], hi_xy[0])
    ax.set_ylim(lo_xy[1], hi_xy[1])
    ax.set_aspect("equal")
    if title is not None:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(coll, ax=ax)
    return coll
