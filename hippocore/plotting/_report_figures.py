"""Figures of a report, rendered to PNG bytes: unit cards, score histograms, training curves."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from hippocore.plotting._autocorr import plot_autocorrelogram, score_text
from hippocore.plotting._direction import plot_head_direction
from hippocore.plotting._maps import plot_rate_map, spike_positions
from hippocore.plotting._scores import plot_score_histogram
from hippocore.plotting._training import metric_columns, plot_grid_fraction, plot_learning_curves

__all__ = ["png_uri", "unit_card", "histograms", "compare_histogram", "run_figure",
           "HISTOGRAM_SCORES"]  # fmt: skip

#: Scores shown as histograms in a session's section (those present are drawn).
HISTOGRAM_SCORES = ("gridness", "information_rate", "border", "band_power")


def png_uri(fig: Any, *, dpi: int = 72, tight: bool = True) -> str:
    """A figure as a ``data:image/png;base64,...`` URI (embedded, no file, no network).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    dpi : int, default 72
        Resolution.
    tight : bool, default True
        Crop to the drawn content (draws the figure twice).

    Returns
    -------
    str
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight" if tight else None,
                pad_inches=0.03)  # fmt: skip
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _bare(ax: Any) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def unit_card(scored: Any, u: int, hd: Any = None, *, dpi: int = 60) -> str:
    """One unit's panels as a PNG URI: path and spikes, rate map, autocorrelogram, direction.

    Parameters
    ----------
    scored : ScoredSession
        The session, its scores and rate maps.
    u : int
        Unit index.
    hd : xarray.Dataset, optional
        Head-direction scores of the session (a polar panel is added when given).
    dpi : int, default 60
        Resolution.

    Returns
    -------
    str
        PNG data URI.
    """
    from matplotlib.figure import Figure

    from hippocore.analysis import autocorrelogram, gridness

    ses, maps = scored.session, scored.rate_maps
    spikes = scored.variable == "spikes"
    n = 2 + int(spikes) + int(hd is not None)
    fig = Figure(figsize=(1.45 * n, 1.6))
    axes = []
    if spikes:
        ax = fig.add_subplot(1, n, 1, label="path")
        pos = ses["position"].transpose("time", "axis").values
        rate = maps["rate"].isel(unit=u)
        image = plot_rate_map(np.full(rate.shape, np.nan), x=maps["x"].values,
                              y=maps["y"].values, ax=ax, trajectory=pos,
                              spikes=spike_positions(ses, u))  # fmt: skip
        image.set_visible(False)
        ax.set_title(f"{len(ax.lines[-1].get_xdata())} spikes", fontsize=7, pad=2)
        axes.append(ax)
    ax = fig.add_subplot(1, n, len(axes) + 1, label="map")
    plot_rate_map(maps["rate"].isel(unit=u), ax=ax)
    values = maps["rate"].isel(unit=u).values
    peak = float(np.nanmax(values)) if np.isfinite(values).any() else float("nan")
    ax.set_title(f"peak {score_text(peak)}", fontsize=7, pad=2)
    axes.append(ax)
    ax = fig.add_subplot(1, n, len(axes) + 1, label="acorr")
    ac = autocorrelogram(maps["rate"].isel(unit=u).values)
    plot_autocorrelogram(ac, ax=ax, gridness=gridness(ac), title=False)
    ax.set_title(f"gridness {score_text(float(scored.scores['gridness'].values[u]))}"
                 if "gridness" in scored.scores else "", fontsize=7, pad=2)  # fmt: skip
    axes.append(ax)
    if hd is not None:
        ax = fig.add_subplot(1, n, n, projection="polar", label="direction")
        plot_head_direction(hd["hd_curve"].values[u], hd["direction"].values, ax=ax)
        ax.set_title(f"r {score_text(float(hd['hd_mean_vector_length'].values[u]))}",
                     fontsize=7, pad=2)  # fmt: skip
        ax.set_xticklabels([])
    for a in axes:
        _bare(a)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.86, wspace=0.08)
    return png_uri(fig, dpi=dpi, tight=False)


def histograms(scores: Any, *, percentile: float, dpi: int = 72) -> str | None:
    """Histograms of the main scores of one session with each unit's threshold (PNG URI)."""
    from matplotlib.figure import Figure

    names = [s for s in HISTOGRAM_SCORES if s in scores and np.isfinite(scores[s].values).any()]
    if not names:
        return None
    fig = Figure(figsize=(3.0 * len(names), 2.4), layout="constrained")
    for k, name in enumerate(names):
        ax = fig.add_subplot(1, len(names), k + 1)
        plot_score_histogram(scores, name, ax=ax, percentile=percentile)
        ax.legend(fontsize=6, frameon=False)
    return png_uri(fig, dpi=dpi)


def compare_histogram(groups: Sequence[tuple[str, Any]], name: str, *, dpi: int = 72) -> str:
    """One score's distribution for several sources on one axes (model beside lab)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.0, 2.6), layout="constrained")
    ax = fig.add_subplot()
    pool = np.concatenate([np.asarray(v, float) for _, v in groups])
    pool = pool[np.isfinite(pool)]
    edges = np.histogram_bin_edges(pool if pool.size else [0.0, 1.0], bins=20)
    for k, (label, values) in enumerate(groups):
        v = np.asarray(values, float)
        plot_score_histogram(v, name, ax=ax, bins=edges, color=f"C{k}",
                             label=f"{label} (n={int(np.isfinite(v).sum())})")  # fmt: skip
    ax.legend(fontsize=7, frameon=False)
    return png_uri(fig, dpi=dpi)


def run_figure(metrics: Any, *, dpi: int = 72) -> str:
    """Loss, accuracies and (when logged) grid-unit fraction over training (PNG URI)."""
    from matplotlib.figure import Figure

    cols = metric_columns(metrics)
    acc = [k for k in cols if k.endswith("_accuracy")]
    panels = [k for k, ok in (("loss", "loss" in cols), ("acc", bool(acc)),
                              ("grid", "grid_fraction" in cols)) if ok]  # fmt: skip
    if not panels:
        raise ValueError("the run's metrics have no loss, accuracy or grid_fraction to draw.")
    fig = Figure(figsize=(3.2 * len(panels), 2.5), layout="constrained")
    for k, what in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        if what == "loss":
            plot_learning_curves(metrics, keys=("loss",), ax=ax)
        elif what == "acc":
            plot_learning_curves(metrics, keys=acc, ax=ax)
            ax.set_ylim(0, 1)
        else:
            plot_grid_fraction(metrics, ax=ax)
        ax.legend(fontsize=6, frameon=False)
    return png_uri(fig, dpi=dpi)
