"""Fourier spectrum of a rate map with its significant plane-wave components (Krupic 2012)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore._checks import as_float_array, check_positive
from hippocore.plotting._autocorr import score_text
from hippocore.plotting._mpl import axes_or_new

__all__ = ["plot_fourier_spectrum", "component_points"]


def component_points(components: Any) -> NDArray[np.float64]:
    """Wave vectors of the components, both signs (a real map's spectrum is symmetric).

    Parameters
    ----------
    components : hippocore.analysis.FourierComponents or BandScore
        Components of one map (a ``BandScore``'s ``components`` are used).

    Returns
    -------
    ndarray of shape (2 k, 2)
        Spatial frequencies (fx, fy) in cycles/m: ``(cos d, sin d) / wavelength`` for each
        component (strongest first), then the same negated.
    """
    comps = getattr(components, "components", components)
    if not hasattr(comps, "directions") or not hasattr(comps, "wavelengths"):
        raise TypeError(
            "components must be a FourierComponents or BandScore from hippocore.analysis; "
            f"got {type(components).__name__}."
        )
    d = np.asarray(comps.directions, dtype=float)
    f = 1.0 / np.asarray(comps.wavelengths, dtype=float)
    half = np.column_stack([f * np.cos(d), f * np.sin(d)]).reshape(-1, 2)
    return np.concatenate([half, -half])


def plot_fourier_spectrum(
    rate_raw: ArrayLike,
    *,
    bin_size: float,
    ax: Any = None,
    components: Any = None,
    max_frequency: float | None = None,
    fft_size: int = 256,
    cmap: str = "viridis",
    title: bool = True,
) -> Any:
    """Draw the 2-D power spectrum of a rate map and mark its significant components.

    The spectrum is :func:`hippocore.analysis.fourier_spectrum` (mean removed, zero-padded
    to ``fft_size``; Krupic, Burgess & O'Keefe 2012), shown around zero frequency. Each
    component is marked twice (at ``+f`` and ``-f``) with a white circle.

    Parameters
    ----------
    rate_raw : array_like of shape (y, x)
        Unsmoothed rate map (Hz), NaN = unvisited (``rate_maps["rate_raw"][u]``).
    bin_size : float
        Bin side (m).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure (``image.figure``), made without pyplot.
    components : FourierComponents or BandScore, optional
        The components to mark, e.g. ``band_score(rate_raw, bin_size=..., power_threshold=
        scores["band_power_p95"][u])``; default :func:`hippocore.analysis.band_score` without
        a threshold (every spectral peak counts; the title then says "no threshold").
    max_frequency : float, optional
        Half-width of the window shown (cycles/m); default the analysis' highest frequency,
        ``1 / (4 bin_size)``.
    fft_size : int, default 256
        Transform size per axis.
    cmap : str, default "viridis"
        Colormap of the power.
    title : bool, default True
        Title: the band call and dominance (e.g. "band 0.91").

    Returns
    -------
    matplotlib.image.AxesImage
        The power (Hz²) with an extent in cycles/m (x frequency horizontal, y vertical);
        the components are the line labelled "components" (``get_xydata()`` =
        :func:`component_points`).
    """
    from hippocore.analysis import band_score
    from hippocore.analysis._band import fourier_spectrum

    m = as_float_array(rate_raw, "rate_raw", ndim=2)
    bs = check_positive(bin_size, "bin_size")
    power, freqs = fourier_spectrum(m, bin_size=bs, fft_size=fft_size)
    fmax = (
        1.0 / (4 * bs) if max_frequency is None else check_positive(max_frequency, "max_frequency")
    )
    keep = np.flatnonzero(np.abs(freqs) <= fmax + 1e-12)
    df = float(freqs[1] - freqs[0])
    extent = (freqs[keep[0]] - df / 2, freqs[keep[-1]] + df / 2) * 2
    text = None
    if components is None:
        components = band_score(m, bin_size=bs, fft_size=fft_size)
        text = "no threshold"
    ax = axes_or_new(ax, (3.0, 3.0))
    image = ax.imshow(
        power[np.ix_(keep, keep)], origin="lower", extent=extent, cmap=cmap,
        interpolation="nearest",
    )  # fmt: skip
    pts = component_points(components)
    ax.plot(pts[:, 0], pts[:, 1], linestyle="none", marker="o", markersize=7, fillstyle="none",
            markeredgecolor="white", markeredgewidth=1.0, label="components")  # fmt: skip
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("fx (cycles/m)")
    ax.set_ylabel("fy (cycles/m)")
    if title:
        label = getattr(components, "label", f"{pts.shape[0] // 2} component(s)")
        dom = getattr(components, "dominance", None)
        parts = [label] + ([score_text(float(dom))] if dom is not None else [])
        ax.set_title(" ".join(parts + ([f"({text})"] if text else [])), fontsize=9)
    return image
