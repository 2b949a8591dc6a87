"""Polar head-direction tuning curve."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from hippocore._checks import as_float_array
from hippocore.plotting._mpl import require_matplotlib

__all__ = ["plot_head_direction"]


def _polar_axes(ax: Any) -> Any:
    require_matplotlib()
    if ax is None:
        from matplotlib.figure import Figure

        return Figure(figsize=(3.0, 3.0)).add_subplot(projection="polar")
    if getattr(ax, "name", None) != "polar":
        raise TypeError(
            "ax must be polar axes (fig.add_subplot(projection='polar')) or None; got "
            f"{type(ax).__name__} with projection {getattr(ax, 'name', None)!r}."
        )
    return ax


def plot_head_direction(
    curve: ArrayLike,
    directions: ArrayLike,
    *,
    ax: Any = None,
    color: str = "k",
    mean_vector: bool = True,
    title: str | None = None,
) -> Any:
    """Draw one head-direction tuning curve on polar axes (0 rad = +x, counter-clockwise).

    Parameters
    ----------
    curve : array_like of shape (n_bins,)
        Rate per direction bin (Hz or the activity's units), NaN where never sampled (a gap
        in the line), e.g. ``scores["hd_curve"][u]`` of
        :func:`hippocore.analysis.ds.head_direction_tuning`.
    directions : array_like of shape (n_bins,)
        Bin centres (rad), e.g. ``scores["direction"]``.
    ax : matplotlib.projections.polar.PolarAxes, optional
        Polar axes to draw on; default a new figure's polar axes (without pyplot).
    color : str, default "k"
        Line colour.
    mean_vector : bool, default True
        Also draw the rate-weighted mean vector (length ``r`` x the peak rate), labelled
        "mean vector".
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.lines.Line2D
        The closed curve (the first bin repeated at the end), labelled "tuning"; its
        ``get_xdata()`` are angles (rad) and ``get_ydata()`` rates.
    """
    c = as_float_array(curve, "curve", ndim=1)
    d = as_float_array(directions, "directions", ndim=1, allow_nan=False)
    if c.shape != d.shape or c.size < 3:
        raise ValueError(
            f"curve and directions must have the same length (>= 3 bins); got {c.size} and "
            f"{d.size}."
        )
    ax = _polar_axes(ax)
    (line,) = ax.plot(np.append(d, d[0]), np.append(c, c[0]), color=color, label="tuning")
    finite = np.isfinite(c)
    if mean_vector and finite.any() and np.nansum(c) > 0:
        w = np.where(finite, c, 0.0)
        z = np.sum(w * np.exp(1j * d)) / np.sum(w)
        ax.plot([np.angle(z)] * 2, [0.0, abs(z) * np.nanmax(c)], color="C3", linewidth=1.5,
                label="mean vector")  # fmt: skip
    ax.set_ylim(0, None)
    ax.set_yticklabels([])
    if title is not None:
        ax.set_title(title)
    return line
