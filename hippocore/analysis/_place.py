"""Place fields of a rate map: BNT ``placefield`` (threshold) and ``placefieldAdaptive``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage
from skimage.measure import euler_number
from skimage.morphology import local_maxima

from hippocore._checks import check_choice, check_positive
from hippocore.analysis._stack import as_bin_centres, as_map_stack

__all__ = ["PlaceField", "place_fields", "fields_from_mask"]

_FOUR = ndimage.generate_binary_structure(2, 1)


@dataclass(frozen=True)
class PlaceField:
    """One firing field of a rate map.

    Attributes
    ----------
    bins : ndarray of int, shape (k, 2)
        (row, col) indices of the field's bins; row 0 is the lowest y.
    n_bins : int
        Number of bins ``k``.
    area : float
        Field area (m²) when bin centres were given, else NaN.
    peak : float
        Highest rate in the field (map units, usually Hz).
    peak_bin : (int, int)
        (row, col) of the peak.
    mean_rate : float
        Mean rate over the field's bins.
    centroid_bin : (float, float)
        Unweighted centroid of the bins as (row, col).
    centroid : (float, float) or None
        Centroid (x, y) in m when bin centres were given, else None.
    """

    bins: NDArray[np.intp]
    n_bins: int
    area: float
    peak: float
    peak_bin: tuple[int, int]
    mean_rate: float
    centroid_bin: tuple[float, float]
    centroid: tuple[float, float] | None

    def mask(self, shape: tuple[int, int]) -> NDArray[np.bool_]:
        """Boolean mask ``(y, x)`` of the field's bins on a map of ``shape``."""
        out = np.zeros(shape, dtype=bool)
        out[self.bins[:, 0], self.bins[:, 1]] = True
        return out


def _record(
    rows: NDArray[np.intp],
    cols: NDArray[np.intp],
    values: NDArray[np.float64],
    centres: tuple[NDArray[np.float64], NDArray[np.float64]] | None,
) -> PlaceField:
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
    )


def fields_from_mask(
    rate: ArrayLike,
    labels: ArrayLike,
    *,
    x: ArrayLike | None = None,
    y: ArrayLike | None = None,
) -> list[PlaceField]:
    """Field records from a label image (0 = background, 1..n = fields).

    Parameters
    ----------
    rate : array_like of shape (y, x)
        The rate map the fields belong to.
    labels : array_like of int, shape (y, x)
        Field label of every bin.
    x, y : array_like, optional
        Bin centres (m).

    Returns
    -------
    list of PlaceField
        In label order.
    """
    m = np.asarray(rate, dtype=float)
    lab = np.asarray(labels)
    centres = as_bin_centres(x, y, m.shape)
    out = []
    for k in range(1, int(lab.max(initial=0)) + 1):
        rows, cols = np.nonzero(lab == k)
        if rows.size:
            out.append(_record(rows, cols, m[rows, cols], centres))
    return out


def _bnt_fields(
    m: NDArray[np.float64],
    threshold: float,
    min_bins: int,
    min_peak: float,
    min_mean_rate: float,
) -> list[tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]]:
    """BNT ``placefield`` on one map; returns (rows, cols, values) of every field."""
    nans = np.isnan(m)
    if nans.all():
        return []
    peak = float(np.nanmax(m))
    if peak == 0:
        return []
    z = np.where(nans, 0.0, m)
    regional = local_maxima(z, connectivity=1, allow_borders=True).astype(bool)
    regional &= z >= min_peak
    claimed = np.zeros_like(regional)  # the peak bin of every first-pass component
    fields: list[tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]] = []
    in_field = np.zeros(z.shape, dtype=bool)

    # First pass: 4-connected regions above threshold * global peak.
    labels, n = ndimage.label((z >= peak * threshold) & ~nans, structure=_FOUR)
    for k in range(1, n + 1):
        rows, cols = np.nonzero(labels == k)
        vals = z[rows, cols]
        top = int(np.argmax(vals))
        claimed[rows[top], cols[top]] = True
        if vals[top] < min_peak or vals.mean() < min_mean_rate or rows.size < min_bins:
            continue
        fields.append((rows, cols, vals))
        in_field[rows, cols] = True

    # Second pass: regional maxima that no first-pass field claimed get a field of their own,
    # thresholded at ``threshold`` times their own peak.
    left = regional & ~claimed
    if not left.any():
        return fields
    z2 = np.where(in_field, 0.0, z)
    peaks = np.argwhere(left)
    if z2[peaks[:, 0], peaks[:, 1]].sum() == 0:
        return fields
    final = np.zeros(z.shape, dtype=bool)
    for r, c in peaks:
        p = z2[r, c]
        cand = (z2 > p * threshold) & (z2 <= p) & ~nans
        if not cand[r, c]:
            continue
        lab, _ = ndimage.label(cand, structure=_FOUR)
        region = lab == lab[r, c]
        rr, cc = np.nonzero(region)
        if rr.size < min_bins:
            continue
        if np.hypot(rr.mean() - r, cc.mean() - c) > 4:
            continue
        if euler_number(region, connectivity=2) < 1:  # a field with holes is rejected
            continue
        final |= region
    labels, n = ndimage.label(final, structure=_FOUR)
    for k in range(1, n + 1):
        rows, cols = np.nonzero(labels == k)
        vals = z2[rows, cols]
        if vals.max() < min_peak or vals.mean() < min_mean_rate:
            continue
        fields.append((rows, cols, vals))
    return fields


def place_fields(
    rate: ArrayLike,
    *,
    method: str = "bnt",
    threshold: float = 0.2,
    min_bins: int = 9,
    min_peak: float = 1.0,
    min_mean_rate: float = 0.0,
    x: ArrayLike | None = None,
    y: ArrayLike | None = None,
) -> list[PlaceField] | list[list[PlaceField]]:
    """Detect the firing fields of a rate map (BNT ``placefield`` / ``placefieldAdaptive``).

    ``method="bnt"`` follows BNT ``analyses.placefield`` (2020 mirror): bins at or above
    ``threshold`` times the map's peak form 4-connected candidate fields, kept when they have
    at least ``min_bins`` bins, a peak of at least ``min_peak`` and a mean of at least
    ``min_mean_rate``. A second pass gives every 4-connected regional maximum (peak
    ``>= min_peak``) that is not the peak of a first-pass region a field of its own at
    ``threshold`` times its own peak, when that region has ``>= min_bins`` bins, its centroid
    lies within 4 bins of the peak and it has no holes. ``method="adaptive"`` uses
    :func:`hippocore.analysis.placefield_adaptive` (BNT ``placefieldAdaptive``).

    Differences from BNT, on purpose: maxima below ``min_peak`` are dropped one by one (BNT's
    matrix indexing also drops unrelated maxima that share their rows and columns), and
    fields are returned sorted by peak rate, highest first.

    Parameters
    ----------
    rate : array_like of shape (y, x) or (unit, y, x)
        Smoothed rate map(s) (Hz). NaN marks unvisited bins: they never belong to a field.
    method : {"bnt", "adaptive"}, default "bnt"
        Field detection algorithm.
    threshold : float, default 0.2
        Fraction of the peak that bounds a field (``"bnt"`` only), in [0, 1].
    min_bins : int, default 9
        Smallest field (bins).
    min_peak : float, default 1.0
        Smallest field peak (map units, Hz).
    min_mean_rate : float, default 0.0
        Smallest mean rate over the field (``"bnt"`` only).
    x, y : array_like, optional
        Bin centres (m) along x (n_x,) and y (n_y,); give them to get ``area`` and
        ``centroid`` in metres.

    Returns
    -------
    list of PlaceField, or list of such lists for a stack
        Fields sorted by peak rate (highest first). A map that is all NaN or all zero has no
        fields.

    References
    ----------
    BNT ``analyses.placefield`` (github.com/brkanter/BNT @ a872035).
    """
    check_choice(method, "method", ("bnt", "adaptive"))
    stack, single = as_map_stack(rate, "rate")
    if not (0 <= threshold <= 1) or isinstance(threshold, bool):
        raise ValueError(f"threshold must be a fraction of the peak in [0, 1]; got {threshold!r}.")
    if isinstance(min_bins, bool) or not isinstance(min_bins, (int, np.integer)) or min_bins < 0:
        raise ValueError(f"min_bins must be a non-negative integer; got {min_bins!r}.")
    check_positive(min_peak, "min_peak", allow_zero=True)
    check_positive(min_mean_rate, "min_mean_rate", allow_zero=True)
    centres = as_bin_centres(x, y, stack.shape[1:])
    out: list[list[PlaceField]] = []
    for m in stack:
        if method == "bnt":
            raw = _bnt_fields(m, float(threshold), int(min_bins), float(min_peak), min_mean_rate)
            recs = [_record(r, c, v, centres) for r, c, v in raw]
        else:  # pragma: no cover - wired up with Analysis I's placefield_adaptive
            recs = _adaptive_fields(m, int(min_bins), float(min_peak), centres)
        recs.sort(key=lambda f: -f.peak)
        out.append(recs)
    return out[0] if single else out


def _adaptive_fields(
    m: NDArray[np.float64],
    min_bins: int,
    min_peak: float,
    centres: tuple[NDArray[np.float64], NDArray[np.float64]] | None,
) -> list[PlaceField]:
    raise NotImplementedError("method='adaptive' needs Analysis I's placefield_adaptive.")
