"""``PlaceField``: one firing field, the same record whichever detector found it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["PlaceField", "field_record"]


@dataclass(frozen=True)
class PlaceField:
    """One firing field of a rate map (from :func:`place_fields` or :func:`placefield_adaptive`).

    Attributes
    ----------
    bins : ndarray of int, shape (k, 2)
        (row, col) indices of the field's bins; row 0 is the lowest y. ``placefield_adaptive``
        lists them in MATLAB's column-major order, ``place_fields`` in row-major order.
    n_bins : int
        Number of bins ``k``.
    area : float
        Field area (m²) when bin centres were given, else NaN.
    peak : float
        Highest rate in the field (map units, usually Hz).
    peak_bin : (int, int)
        (row, col) of the peak (the first in ``bins`` order on ties).
    mean_rate : float
        Mean rate over the field's bins (the adaptive detector counts NaN bins as 0, as BNT).
    centroid_bin : (float, float)
        Unweighted centroid of the bins as (row, col).
    centroid : (float, float) or None
        Centroid (x, y) in m when bin centres were given, else None.
    unit : int, default 0
        Index of the map in the stack the field belongs to (0 for one map).
    """

    bins: NDArray[np.intp]
    n_bins: int
    area: float
    peak: float
    peak_bin: tuple[int, int]
    mean_rate: float
    centroid_bin: tuple[float, float]
    centroid: tuple[float, float] | None
    unit: int = 0

    def mask(self, shape: tuple[int, int]) -> NDArray[np.bool_]:
        """Boolean mask ``(y, x)`` of the field's bins on a map of ``shape``."""
        out = np.zeros(shape, dtype=bool)
        out[self.bins[:, 0], self.bins[:, 1]] = True
        return out


def field_record(
    rows: NDArray[np.intp],
    cols: NDArray[np.intp],
    values: NDArray[np.float64],
    centres: tuple[NDArray[np.float64], NDArray[np.float64]] | None,
    *,
    unit: int = 0,
) -> PlaceField:
    """The :class:`PlaceField` of bins ``(rows, cols)`` holding ``values`` (bin centres optional)."""
    k = int(np.argmax(values))
    cr, cc = float(rows.mean()), float(cols.mean())
    area, centroid = float("nan"), None
    if centres is not None:
        xc, yc = centres
        dx = float(xc[1] - xc[0]) if xc.size > 1 else float("nan")
        dy = float(yc[1] - yc[0]) if yc.size > 1 else float("nan")
        area = rows.size * dx * dy
        centroid = (
            float(np.interp(cc, np.arange(xc.size), xc)),
            float(np.interp(cr, np.arange(yc.size), yc)),
        )
    return PlaceField(
        bins=np.column_stack([rows, cols]).astype(np.intp),
        n_bins=int(rows.size),
        area=area,
        peak=float(values[k]),
        peak_bin=(int(rows[k]), int(cols[k])),
        mean_rate=float(values.mean()),
        centroid_bin=(cr, cc),
        centroid=centroid,
        unit=int(unit),
    )
