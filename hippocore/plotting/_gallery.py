"""A unit gallery: every unit's lattice map beside its autocorrelogram, one row per group."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from hippocore._checks import as_float_array
from hippocore.plotting._autocorr import plot_autocorrelogram, score_text
from hippocore.plotting._lattice import plot_lattice_map
from hippocore.plotting._mpl import require_matplotlib

__all__ = ["unit_gallery"]


def unit_gallery(
    world: object,
    node_maps: ArrayLike,
    acorr: ArrayLike,
    *,
    score: ArrayLike | None = None,
    groups: ArrayLike | None = None,
    labels: Sequence[str] | None = None,
    sort_by: ArrayLike | None = None,
    n_cols: int | None = None,
    fig: Any = None,
    panel_size: float = 0.9,
    cmap: str = "viridis",
    title: str | None = None,
) -> Any:
    """Every unit's lattice map and autocorrelogram in a grid of panels, a row per group.

    Each unit gets two adjacent panels: its node map on the world's geometry
    (:func:`plot_lattice_map`, colours scaled to that unit's own range; title = unit index
    and its label) and its autocorrelogram (:func:`plot_autocorrelogram`, title = its
    gridness, two decimals). Each group (e.g. a grid module) starts a new row, named on the
    left; a group wider than ``n_cols`` units continues on the next row.

    Parameters
    ----------
    world : hippocore.envs.World
        The lattice the maps were recorded on.
    node_maps : array_like of shape (n_unit, n_nodes)
        Mean activity per node of each unit (NaN = unvisited), e.g.
        :func:`hippocore.analysis.lattice_node_means`.
    acorr : array_like of shape (n_unit, m_y, m_x)
        Autocorrelogram of each unit's rate map
        (``autocorrelogram(lattice_rate_map(...).rate)``).
    score : array_like of shape (n_unit,), optional
        Gridness of each unit (shown above its autocorrelogram); default BNT's gridness of
        ``acorr`` (:func:`hippocore.analysis.gridness`).
    groups : array_like of shape (n_unit,), optional
        Group of each unit; groups appear in the order of their first unit. Default: one
        group.
    labels : sequence of str, optional
        Text added to each unit's map title (e.g. a class label "band").
    sort_by : array_like of shape (n_unit,), optional
        Order units within each group by this value, highest first (NaN last); default the
        given order.
    n_cols : int, optional
        Units per row; default the largest group (or about sqrt(n_unit) without groups).
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw on; default a new one (without pyplot) sized to the grid.
    panel_size : float, default 0.9
        Side of one panel (inches) for a new figure.
    cmap : str, default "viridis"
        Colormap of the lattice maps.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Axes labelled ``"map <u>"`` and ``"acorr <u>"`` (u = unit index in the input), so
        that a panel can be found with ``[a for a in fig.axes if a.get_label() == "map 3"]``.

    Raises
    ------
    ValueError
        When the inputs do not hold the same number of units or have the wrong shapes.
    """
    require_matplotlib()
    from matplotlib.figure import Figure

    maps = as_float_array(node_maps, "node_maps", ndim=2)
    ac = as_float_array(acorr, "acorr", ndim=3)
    n_unit = maps.shape[0]
    if ac.shape[0] != n_unit:
        raise ValueError(
            f"acorr must hold one autocorrelogram per unit ({n_unit}); got {ac.shape[0]}."
        )
    if score is None:
        from hippocore.analysis import gridness

        sc = np.atleast_1d(np.asarray(gridness(ac).score, dtype=float))
    else:
        sc = as_float_array(score, "score", ndim=1)
    g = np.zeros(n_unit, dtype=int) if groups is None else np.asarray(groups)
    key = None if sort_by is None else as_float_array(sort_by, "sort_by", ndim=1)
    for name, arr in (("score", sc), ("groups", g), ("sort_by", key)):
        if arr is not None and arr.shape != (n_unit,):
            raise ValueError(f"{name} must have one value per unit ({n_unit}); got {arr.shape}.")
    if labels is not None and len(labels) != n_unit:
        raise ValueError(f"labels must have one string per unit ({n_unit}); got {len(labels)}.")

    rows, n_cols = _rows(g, key, n_cols=n_cols, grouped=groups is not None)

    if fig is None:
        fig = Figure(
            figsize=(2 * n_cols * panel_size + 0.6, len(rows) * panel_size * 1.08 + 0.5),
            layout=None,
        )
    spec = fig.add_gridspec(
        len(rows),
        2 * n_cols,
        left=0.6 / fig.get_figwidth(),
        right=0.995,
        bottom=0.01,
        top=1 - 0.5 / fig.get_figheight(),
        wspace=0.08,
        hspace=0.3,
    )
    for r, (grp, units) in enumerate(rows):
        for c, u in enumerate(units):
            ax_map = fig.add_subplot(spec[r, 2 * c], label=f"map {u}")
            text = f"u{u}" + (f" {labels[u]}" if labels is not None else "")
            plot_lattice_map(world, maps[u], ax=ax_map, cmap=cmap)
            ax_map.set_title(text, fontsize=7, pad=2)
            ax_ac = fig.add_subplot(spec[r, 2 * c + 1], label=f"acorr {u}")
            plot_autocorrelogram(ac[u], ax=ax_ac, gridness=float(sc[u]), annulus=False, title=False)
            ax_ac.set_title(score_text(float(sc[u])), fontsize=7, pad=2)
            for ax in (ax_map, ax_ac):
                ax.set_xticks([])
                ax.set_yticks([])
                for side in ax.spines.values():
                    side.set_linewidth(0.3)
            if c == 0 and grp is not None and groups is not None:
                ax_map.set_ylabel(str(grp), fontsize=7)
    if title is not None:
        fig.suptitle(title, fontsize=8, y=1 - 0.12 / fig.get_figheight())
    return fig


def _rows(
    g: np.ndarray, key: np.ndarray | None, *, n_cols: int | None, grouped: bool
) -> tuple[list[tuple[Any, np.ndarray]], int]:
    """The gallery's rows ``(group name or None when continuing, units)`` and its width."""
    n_unit = g.size
    _, first = np.unique(g, return_index=True)
    order_groups = [g[i] for i in np.sort(first)]
    members = []
    for grp in order_groups:
        units = np.flatnonzero(g == grp)
        if key is not None:
            units = units[
                np.argsort(np.where(np.isnan(key[units]), np.inf, -key[units]), kind="stable")
            ]
        members.append(units)
    if n_cols is None:
        widest = max(len(m) for m in members)
        n_cols = widest if grouped else max(1, math.ceil(math.sqrt(n_unit)))
    elif isinstance(n_cols, bool) or not isinstance(n_cols, (int, np.integer)) or n_cols < 1:
        raise ValueError(f"n_cols must be a positive integer; got {n_cols!r}.")
    rows = []  # (group name or None when continuing, units in the row)
    for grp, units in zip(order_groups, members, strict=True):
        for k in range(0, len(units), n_cols):
            rows.append((grp if k == 0 else None, units[k : k + n_cols]))
    return rows, n_cols
