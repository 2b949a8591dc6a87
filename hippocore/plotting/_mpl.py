"""matplotlib, imported on first use, and new axes on a pyplot-free Figure."""

from __future__ import annotations

from typing import Any

__all__ = ["require_matplotlib", "axes_or_new"]


def require_matplotlib() -> None:
    """Import matplotlib or raise an ImportError that says how to install it."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "hippocore.plotting needs matplotlib: pip install 'hippocore[plot]' "
            "(or pip install matplotlib)."
        ) from exc


def axes_or_new(ax: Any, figsize: tuple[float, float]) -> Any:
    """``ax`` itself, or the axes of a new :class:`matplotlib.figure.Figure` (no pyplot).

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axes to draw on.
    figsize : (float, float)
        Size (inches) of the new figure when ``ax`` is None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    require_matplotlib()
    if ax is not None:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            raise TypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}.")
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=figsize).add_subplot()
