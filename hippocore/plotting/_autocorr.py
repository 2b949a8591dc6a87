"""Spatial autocorrelogram with its gridness score and annulus."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore._checks import as_float_array, check_positive
from hippocore.plotting._mpl import axes_or_new

__all__ = ["plot_autocorrelogram", "score_text", "peak_offsets"]


def score_text(score: float, *, digits: int = 2) -> str:
    """The score as drawn in titles: fixed-point with ``digits`` decimals, "n/a" for NaN.

    Parameters
    ----------
    score : float
        A score (e.g. gridness).
    digits : int, default 2
        Decimals.

    Returns
    -------
    str
    """
    return "n/a" if not math.isfinite(score) else f"{score:.{digits}f}"


def peak_offsets(gridness: Any) -> NDArray[np.float64]:
    """The six peaks around the centre of an autocorrelogram, from its ``Gridness``.

    BNT reports the three axis peaks (``spacing``, ``orientation``); an autocorrelogram is
    point-symmetric, so the other three sit opposite them.

    Parameters
    ----------
    gridness : hippocore.analysis.Gridness
        Of one autocorrelogram (``spacing`` and ``orientation`` of shape (3,)).

    Returns
    -------
    ndarray of shape (6, 2)
        Offsets (x, y) from the centre in bins (lags), the three axis peaks first and then
        their mirror images; NaN rows where BNT found no geometry.
    """
    spacing = np.asarray(gridness.spacing, dtype=float)
    angle = np.asarray(gridness.orientation, dtype=float)
    if spacing.shape != (3,) or angle.shape != (3,):
        raise ValueError(
            "gridness must describe one autocorrelogram (spacing and orientation of shape "
            f"(3,)); got {spacing.shape} and {angle.shape}. Pass gridness(acorr[u])."
        )
    half = np.column_stack([spacing * np.cos(angle), spacing * np.sin(angle)])
    return np.concatenate([half, -half])


def plot_autocorrelogram(
    acorr: ArrayLike,
    *,
    ax: Any = None,
    gridness: Any = None,
    bin_size: float | None = None,
    annulus: bool = True,
    peaks: bool = True,
    cmap: str = "jet",
    title: bool = True,
) -> Any:
    """Draw a spatial autocorrelogram, its gridness score and the annulus it was scored on.

    Parameters
    ----------
    acorr : array_like of shape (m_y, m_x)
        One autocorrelogram from :func:`hippocore.analysis.autocorrelogram`, zero lag at the
        centre, row 0 = most negative y lag (drawn at the bottom).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure (``image.figure``), made without pyplot.
    gridness : hippocore.analysis.Gridness or float, optional
        Its score: a single-map ``Gridness`` (score and radii), a plain score (title only,
        no annulus), or None to compute BNT's (:func:`hippocore.analysis.gridness`).
    bin_size : float, optional
        Rate-map bin (m): axes in m of lag; default axes in bins.
    annulus : bool, default True
        Draw the BNT annulus as two circles: the centre-field radius (``centre_radius``) and
        the outer radius of the best window (``best_radius``); skipped when NaN or unknown.
    peaks : bool, default True
        Mark the six peaks around the centre (:func:`peak_offsets`) with white crosses;
        skipped when ``gridness`` is a plain score or BNT found no geometry.
    cmap : str, default "jet"
        Colormap (limits fixed at -1 .. 1).
    title : bool, default True
        Title "gridness <score>" (two decimals, "n/a" for NaN).

    Returns
    -------
    matplotlib.image.AxesImage
        The image; ``get_array()`` is ``acorr``. The circles, if drawn, are
        ``ax.patches`` with labels "centre radius" and "best radius"; the peaks, if drawn,
        are the line labelled "peaks" (``get_xydata()`` = offsets in the axes' units).
    """
    from matplotlib.patches import Circle

    a = as_float_array(acorr, "acorr", ndim=2)
    if np.isinf(a).any():
        raise ValueError("acorr contains infinite values; pass autocorrelogram(rate).")
    unit = 1.0 if bin_size is None else check_positive(bin_size, "bin_size")
    if gridness is None:
        from hippocore.analysis import gridness as compute_gridness

        gridness = compute_gridness(a)
    offsets = None
    if isinstance(gridness, (int, float, np.floating, np.integer)):
        score, radii = float(gridness), {}
    else:
        if np.ndim(gridness.score) != 0:
            raise ValueError("gridness must describe one autocorrelogram (a scalar score).")
        score = float(gridness.score)
        radii = {
            "centre radius": float(gridness.centre_radius),
            "best radius": float(gridness.best_radius),
        }
        offsets = peak_offsets(gridness)
    ax = axes_or_new(ax, (3.0, 3.0))
    h, w = a.shape
    extent = (-w / 2 * unit, w / 2 * unit, -h / 2 * unit, h / 2 * unit)
    image = ax.imshow(
        a, origin="lower", extent=extent, cmap=cmap, vmin=-1, vmax=1, interpolation="nearest"
    )
    if annulus:
        for label, radius in radii.items():
            if math.isfinite(radius) and radius > 0:
                ax.add_patch(
                    Circle(
                        (0.0, 0.0),
                        radius * unit,
                        fill=False,
                        edgecolor="white",
                        linewidth=0.8,
                        linestyle="--" if label == "centre radius" else "-",
                        label=label,
                    )
                )
    if peaks and offsets is not None and np.isfinite(offsets).all():
        ax.plot(
            offsets[:, 0] * unit,
            offsets[:, 1] * unit,
            linestyle="none",
            marker="x",
            markersize=5,
            markeredgewidth=1.2,
            color="white",
            label="peaks",
        )
    if title:
        ax.set_title(f"gridness {score_text(score)}")
    return image
