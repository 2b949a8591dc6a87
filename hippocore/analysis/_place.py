"""Place fields of a rate map: BNT ``placefield`` (threshold) and ``placefieldAdaptive``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage
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


_SLICE_CROSS = np.zeros((3, 3, 3), dtype=bool)  # 4-connectivity within each map of a stack
_SLICE_CROSS[1] = _FOUR

Field = tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]


def _euler8(region: NDArray[np.bool_]) -> int:
    """Euler number (objects minus holes) of a 2-D mask, 8-connected foreground (Gray 1971)."""
    p = np.pad(region, 1).astype(np.int8)
    a, b, c, d = p[:-1, :-1], p[:-1, 1:], p[1:, :-1], p[1:, 1:]
    s = a + b + c + d
    diag = np.count_nonzero((s == 2) & (a == d))
    return int((np.count_nonzero(s == 1) - np.count_nonzero(s == 3) - 2 * diag) // 4)


def _components(labels: NDArray[np.intp], values: NDArray[np.float64]):
    """For every label 1..n: (flat indices sorted by descending value) via one sort."""
    flat = labels.ravel()
    vals = values.ravel()
    order = np.lexsort((-vals, flat))
    order = order[flat[order] > 0]
    bounds = np.flatnonzero(np.diff(flat[order])) + 1
    return np.split(order, bounds) if order.size else []


def _bnt_fields_stack(
    stack: NDArray[np.float64],
    threshold: float,
    min_bins: int,
    min_peak: float,
    min_mean_rate: float,
) -> list[list[Field]]:
    """BNT ``placefield`` on every map of a stack; (rows, cols, values) of every field.

    The first pass is labelled for the whole stack at once (4-connectivity within each map);
    only maps with unclaimed regional maxima go through the per-peak second pass.
    """
    n, ny, nx = stack.shape
    nans = np.isnan(stack)
    z = np.where(nans, 0.0, stack)
    with np.errstate(invalid="ignore"):
        peak = np.where(
            nans.all(axis=(1, 2)), np.nan, np.nanmax(np.where(nans, -np.inf, stack), axis=(1, 2))
        )
    usable = np.isfinite(peak) & (peak != 0)
    out: list[list[Field]] = [[] for _ in range(n)]
    if not usable.any():
        return out
    cand = (z >= (peak * threshold)[:, None, None]) & ~nans & usable[:, None, None]
    labels, _ = ndimage.label(cand, structure=_SLICE_CROSS)
    regional = local_maxima(z, footprint=_SLICE_CROSS, allow_borders=True).astype(bool)
    regional &= (z >= min_peak) & usable[:, None, None]
    claimed = np.zeros(z.shape, dtype=bool)
    in_field = np.zeros(z.shape, dtype=bool)
    per_map = ny * nx
    for idx in _components(labels, z):
        claimed.flat[idx[0]] = True  # the component's peak bin (BNT marks rejected ones too)
        vals = z.flat[idx]
        if vals[0] < min_peak or vals.mean() < min_mean_rate or idx.size < min_bins:
            continue
        m, rc = np.divmod(idx, per_map)
        rows, cols = np.divmod(rc, nx)
        out[int(m[0])].append((rows, cols, vals))
        in_field.flat[idx] = True
    left = regional & ~claimed
    for m in np.flatnonzero(left.any(axis=(1, 2))):
        out[m].extend(
            _second_pass(
                z[m], nans[m], in_field[m], left[m], threshold, min_bins, min_peak, min_mean_rate
            )
        )
    return out


def _second_pass(
    z: NDArray[np.float64],
    nans: NDArray[np.bool_],
    in_field: NDArray[np.bool_],
    left: NDArray[np.bool_],
    threshold: float,
    min_bins: int,
    min_peak: float,
    min_mean_rate: float,
) -> list[Field]:
    """BNT's second pass: a field of its own for each regional maximum no field claimed."""
    z2 = np.where(in_field, 0.0, z)
    peaks = np.argwhere(left)
    if z2[peaks[:, 0], peaks[:, 1]].sum() == 0:
        return []
    final = np.zeros(z.shape, dtype=bool)
    p = z2[peaks[:, 0], peaks[:, 1]]
    keep = p > 0
    peaks, p = peaks[keep], p[keep]
    # All candidate regions at once: one plane per peak, labelled in one call.
    cand = (z2 > (p * threshold)[:, None, None]) & (z2 <= p[:, None, None]) & ~nans
    lab, _ = ndimage.label(cand, structure=_SLICE_CROSS)
    seed = lab[np.arange(p.size), peaks[:, 0], peaks[:, 1]]
    flat = lab.ravel()
    size = np.bincount(flat, minlength=int(seed.max()) + 1)
    rr, cc = np.indices(z.shape)
    row_sum = np.bincount(flat, weights=np.tile(rr.ravel(), p.size), minlength=size.size)
    col_sum = np.bincount(flat, weights=np.tile(cc.ravel(), p.size), minlength=size.size)
    for i in range(p.size):
        s_id = seed[i]
        n = size[s_id]
        if n < min_bins:
            continue
        if np.hypot(row_sum[s_id] / n - peaks[i, 0], col_sum[s_id] / n - peaks[i, 1]) > 4:
            continue
        region = (lab[i] == s_id).reshape(z.shape)
        ys, xs = np.nonzero(region)
        box = region[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        if _euler8(box) < 1:  # a field with holes is rejected
            continue
        final |= region
    fields: list[Field] = []
    labels, _ = ndimage.label(final, structure=_FOUR)
    for idx in _components(labels, z2):
        vals = z2.flat[idx]
        if vals[0] < min_peak or vals.mean() < min_mean_rate:
            continue
        rows, cols = np.divmod(idx, z.shape[1])
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
    if method == "bnt":
        raw = _bnt_fields_stack(
            stack, float(threshold), int(min_bins), float(min_peak), float(min_mean_rate)
        )
        for fl in raw:
            recs = [_record(r, c, v, centres) for r, c, v in fl]
            recs.sort(key=lambda f: -f.peak)
            out.append(recs)
    else:  # pragma: no cover - wired up with Analysis I's placefield_adaptive
        for m in stack:
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
