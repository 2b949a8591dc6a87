"""A gallery of lab (or any arena) rate maps and their autocorrelograms, sorted by a score."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore._checks import as_float_array
from hippocore.plotting._autocorr import plot_autocorrelogram, score_text
from hippocore.plotting._maps import plot_rate_map
from hippocore.plotting._mpl import require_matplotlib

__all__ = ["rate_map_gallery", "sort_order"]


def sort_order(key: ArrayLike, *, descending: bool = True) -> NDArray[np.intp]:
    """Order of units by a score: highest first (or lowest with ``descending=False``), NaN last.

    Parameters
    ----------
    key : array_like of shape (n_unit,)
        The score of each unit.
    descending : bool, default True
        Highest first.

    Returns
    -------
    ndarray of int
        Indices; ties keep their input order (stable).
    """
    k = as_float_array(key, "sort_by", ndim=1)
    v = -k if descending else k
    return np.argsort(np.where(np.isnan(k), np.inf, v), kind="stable")


def _sort_key(sort_by: Any, scores: Any, n_unit: int) -> NDArray[np.float64] | None:
    if sort_by is None:
        return None
    if isinstance(sort_by, str):
        if scores is None or sort_by not in scores:
            raise ValueError(
                f"sort_by={sort_by!r} names no variable of scores; pass scores= (a scores "
                "dataset) holding it, or an array with one value per unit."
            )
        sort_by = scores[sort_by].values
    key = as_float_array(sort_by, "sort_by", ndim=1)
    if key.size != n_unit:
        raise ValueError(f"sort_by must have one value per unit ({n_unit}); got {key.size}.")
    return key


def rate_map_gallery(
    rate_maps: Any,
    *,
    scores: Any = None,
    sort_by: str | ArrayLike | None = None,
    acorr: bool = True,
    max_units: int | None = None,
    n_cols: int | None = None,
    fig: Any = None,
    panel_size: float = 1.1,
    cmap: str = "jet",
    title: str | None = None,
) -> Any:
    """Every unit's rate map (and autocorrelogram with its annulus), sorted by any score.

    Parameters
    ----------
    rate_maps : xarray.Dataset
        A schema rate-map dataset (``rate (unit, y, x)``, :func:`hippocore.analysis.
        hippocore.analysis.ds.rate_map`).
    scores : xarray.Dataset, optional
        Scores of the same units (e.g. :func:`hippocore.analysis.ds.classify`): its
        ``label`` and ``gridness`` are written above the panels.
    sort_by : str or array_like of shape (n_unit,), optional
        A variable of ``scores`` (e.g. ``"gridness"``) or one value per unit; highest first,
        NaN last (:func:`sort_order`). Default: the given order.
    acorr : bool, default True
        Draw each unit's autocorrelogram (BNT gridness annulus and peaks) beside its map.
    max_units : int, optional
        Draw only the first ``max_units`` after sorting.
    n_cols : int, optional
        Units per row; default about sqrt(n_unit).
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw on; default a new one (without pyplot) sized to the grid.
    panel_size : float, default 1.1
        Side of one panel (inches) for a new figure.
    cmap : str, default "jet"
        Colormap of the rate maps.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Axes labelled ``"map <unit id>"`` (and ``"acorr <unit id>"``), added in the sorted
        order, so ``[a.get_label() for a in fig.axes]`` lists the units as drawn.
    """
    require_matplotlib()
    from matplotlib.figure import Figure

    from hippocore.analysis import autocorrelogram, gridness

    if not hasattr(rate_maps, "data_vars") or "rate" not in rate_maps:
        raise TypeError(
            "rate_maps must be a hippocore rate-map dataset (hippocore.analysis.ds.rate_map)."
        )
    ids = rate_maps["unit"].values
    rate = rate_maps["rate"].transpose("unit", "y", "x")
    if scores is not None and not np.array_equal(scores["unit"].values, ids):
        raise ValueError("scores must hold the same units in the same order as rate_maps.")
    key = _sort_key(sort_by, scores, ids.size)
    order = np.arange(ids.size) if key is None else sort_order(key)
    if max_units is not None:
        order = order[: max(int(max_units), 0)]
    n = max(order.size, 1)
    n_cols = max(1, math.ceil(math.sqrt(n))) if n_cols is None else int(n_cols)
    per = 2 if acorr else 1
    n_rows = math.ceil(n / n_cols)
    if fig is None:
        fig = Figure(figsize=(per * n_cols * panel_size + 0.2, n_rows * panel_size * 1.15 + 0.4))
    spec = fig.add_gridspec(n_rows, per * n_cols, left=0.01, right=0.99, bottom=0.01,
                            top=1 - 0.4 / fig.get_figheight(), wspace=0.08, hspace=0.35)  # fmt: skip
    acs = autocorrelogram(rate.values[order]) if acorr and order.size else None
    for k, u in enumerate(order):
        r, c = divmod(k, n_cols)
        ax = fig.add_subplot(spec[r, per * c], label=f"map {ids[u]}")
        plot_rate_map(rate[u], ax=ax, cmap=cmap)
        label = f" {scores['label'].values[u]}" if scores is not None and "label" in scores else ""
        ax.set_title(f"{ids[u]}{label}", fontsize=7, pad=2)
        axes = [ax]
        if acs is not None:
            ax_ac = fig.add_subplot(spec[r, per * c + 1], label=f"acorr {ids[u]}")
            g = gridness(acs[k])
            plot_autocorrelogram(acs[k], ax=ax_ac, gridness=g, title=False)
            ax_ac.set_title(f"g {score_text(float(g.score))}", fontsize=7, pad=2)
            axes.append(ax_ac)
        for a in axes:
            a.set_xticks([])
            a.set_yticks([])
    if title is not None:
        fig.suptitle(title, fontsize=8, y=1 - 0.1 / fig.get_figheight())
    return fig
