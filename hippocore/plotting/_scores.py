"""Histogram of one score over units, with its shuffle thresholds."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from hippocore._checks import as_float_array
from hippocore.plotting._mpl import axes_or_new

__all__ = ["plot_score_histogram"]


def _values_and_thresholds(values: Any, name: str | None, thresholds: Any, percentile: float):
    """Observed values and per-unit thresholds from arrays or a scores dataset."""
    if hasattr(values, "data_vars"):  # a scores dataset
        if name is None or name not in values:
            have = sorted(v for v in values.data_vars if f"{v}_p95" in values)
            raise ValueError(f"name must be a score of this dataset, one of {have}; got {name!r}.")
        key = f"{name}_p{percentile:g}"
        if thresholds is None and key in values:
            thresholds = values[key].values
        values = values[name].values
    v = as_float_array(values, "values", ndim=1)
    thr = None if thresholds is None else as_float_array(thresholds, "thresholds", ndim=1)
    if thr is not None and thr.shape != v.shape:
        raise ValueError(f"thresholds must hold one value per unit ({v.size}); got {thr.size}.")
    return v, thr


def plot_score_histogram(
    values: Any,
    name: str | None = None,
    *,
    ax: Any = None,
    thresholds: ArrayLike | None = None,
    null: ArrayLike | None = None,
    percentile: float = 95.0,
    bins: int | ArrayLike = 20,
    color: str = "C0",
    label: str | None = None,
) -> Any:
    """Draw the distribution of a score over units and the shuffle thresholds it is tested on.

    Parameters
    ----------
    values : array_like of shape (n_unit,) or xarray.Dataset
        Observed scores (NaN ignored), or a scores dataset of
        :func:`hippocore.analysis.ds.classify` with ``name`` (its ``<name>_p<percentile>``
        then gives ``thresholds``).
    name : str, optional
        The score (x-axis label; required with a dataset).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure, made without pyplot.
    thresholds : array_like of shape (n_unit,), optional
        Each unit's own null percentile (per-unit shuffles): drawn as ticks under the axis
        ("unit thresholds") and a dashed line at their median ("median unit p95").
    null : array_like, optional
        Pooled shuffled scores (any shape; NaN ignored): drawn as a grey histogram scaled to
        the units' count ("null") and a solid line at its ``percentile`` ("null p95"), the
        pooled threshold of Sargolini et al. (2006).
    percentile : float, default 95.0
        Null percentile for the threshold lines and their labels.
    bins : int or array_like, default 20
        Histogram bins (shared by units and null).
    color : str, default "C0"
        Colour of the units' histogram (draw several sources on one axes with their own).
    label : str, optional
        Legend label of the units' histogram; default "units (n=<finite count>)".

    Returns
    -------
    matplotlib.axes.Axes
        The axes; its artists carry the labels above (``ax.get_legend_handles_labels()``),
        the threshold lines are vertical ``Line2D`` at the threshold; the null's bars have
        gid "null".
    """
    if not 0 < percentile < 100:
        raise ValueError(f"percentile must be in (0, 100); got {percentile!r}.")
    v, thr = _values_and_thresholds(values, name, thresholds, percentile)
    ax = axes_or_new(ax, (4.0, 2.6))
    finite = v[np.isfinite(v)]
    nul = None if null is None else as_float_array(null, "null").ravel()
    nul = None if nul is None else nul[np.isfinite(nul)]
    pool = np.concatenate([finite] + ([nul] if nul is not None else []))
    edges = np.histogram_bin_edges(pool if pool.size else [0.0, 1.0], bins=bins)
    if nul is not None and nul.size:
        w = np.full(nul.size, max(finite.size, 1) / nul.size)
        *_, bars = ax.hist(nul, bins=edges, weights=w, color="0.75", label="null")
        for bar in bars:
            bar.set_gid("null")
        at = float(np.percentile(nul, percentile))
        ax.axvline(at, color="k", linewidth=1.2, label=f"null p{percentile:g}")
    ax.hist(finite, bins=edges, histtype="step", linewidth=1.5, color=color,
            label=label if label is not None else f"units (n={finite.size})")  # fmt: skip
    if thr is not None and np.isfinite(thr).any():
        t = thr[np.isfinite(thr)]
        ax.plot(t, np.zeros_like(t), linestyle="none", marker="|", markersize=10, color=color,
                clip_on=False, label="unit thresholds")  # fmt: skip
        ax.axvline(float(np.median(t)), color=color, linestyle="--", linewidth=1.0,
                   label=f"median unit p{percentile:g}")  # fmt: skip
    ax.set_xlabel(name if name is not None else "score")
    ax.set_ylabel("units")
    return ax
