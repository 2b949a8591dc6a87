"""Geometry of the lattice grid-unit test: a map's three autocorrelogram axes 60° apart.

BNT's grid geometry gives the three axis peaks nearest the centre of a map's
autocorrelogram. A hexagonal grid has them 60° apart; bands and kinked bands can score a
high gridness with axes far from that (TEM's g units at step 32,500,
docs/results/tem-vs-tem-t.md). :func:`hippocore.analysis.lattice_grid_units` requires each
gap within ``max_axis_deviation`` of 60°.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def _axis_deviation(
    orientation: NDArray[np.float64], reason: NDArray[np.str_]
) -> NDArray[np.float64]:
    """Largest deviation (degrees) from 60° of the gaps between each map's three axis peaks.

    ``orientation`` (n, 3) rad, the three axis peaks' angles (BNT's grid orientation), taken
    mod 180°. NaN where BNT found no grid geometry (``reason`` not empty).
    """
    axes = np.sort(np.mod(np.degrees(orientation), 180.0), axis=-1)
    gaps = np.stack(
        [axes[:, 1] - axes[:, 0], axes[:, 2] - axes[:, 1], 180.0 - (axes[:, 2] - axes[:, 0])], -1
    )
    dev = np.max(np.abs(gaps - 60.0), axis=-1)
    return np.where(np.asarray(reason) == "", dev, np.nan)


def _is_hexagonal(deviation: NDArray[np.float64], max_deviation: float | None) -> NDArray:
    """``deviation <= max_deviation`` (NaN: False); all True when ``max_deviation`` is None."""
    if max_deviation is None:
        return np.ones(np.shape(deviation), bool)
    with np.errstate(invalid="ignore"):
        return np.isfinite(deviation) & (deviation <= max_deviation)


def _geometry_text(max_axis_deviation: float | None) -> str:
    """``parameters["geometry"]`` of a tolerance."""
    if max_axis_deviation is None:
        return "none (score and null only)"
    return (
        "hexagonal: three autocorrelogram axes 60 deg apart, each gap within "
        f"{float(max_axis_deviation):g} deg (BNT grid geometry)"
    )


def _check_axis_deviation(value: object) -> float | None:
    """``max_axis_deviation`` of :func:`lattice_grid_units` as a float in [0, 60), or None."""
    if value is None:
        return None
    try:
        dev = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        dev = float("nan")
    if not 0 <= dev < 60:
        raise ValueError(
            f"max_axis_deviation must be in [0, 60) degrees, e.g. 15, or None for the "
            f"score-only rule; got {value!r}."
        )
    return dev
