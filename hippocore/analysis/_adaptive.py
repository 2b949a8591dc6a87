"""BNT ``analyses.placefieldAdaptive`` (2020 mirror): fields grown by an adaptive threshold.

Shared by the grid score (centre field of the autocorrelogram) and place-field detection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage
from skimage.morphology import local_maxima, reconstruction

from hippocore._checks import as_float_array, check_positive

__all__ = ["AdaptiveField", "placefield_adaptive"]

_CROSS = ndimage.generate_binary_structure(2, 1)  # strel('disk', 1) and 4-connectivity
_SQUARE = ndimage.generate_binary_structure(2, 2)  # 8-connectivity


@dataclass(frozen=True)
class AdaptiveField:
    """One field found by :func:`placefield_adaptive` (indices 0-based, row = y).

    Attributes
    ----------
    rows, cols : ndarray of int
        Bins of the field, in column-major (MATLAB) order.
    area : int
        Number of bins.
    peak : float
        Highest map value in the field.
    peak_row, peak_col : int
        Bin of that peak (first in column-major order on ties).
    centroid : (float, float)
        Mean (row, col) of the field's bins.
    mean_rate : float
        Mean map value over the field's bins (NaN bins count as 0, as in BNT).
    """

    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    area: int
    peak: float
    peak_row: int
    peak_col: int
    centroid: tuple[float, float]
    mean_rate: float


def _euler8(region: NDArray[np.bool_]) -> int:
    """Euler number with 8-connected foreground (Gray's 2x2 quad counts, as BNT's lookup table)."""
    p = np.pad(region, 1).astype(np.int8)
    a, b, c, d = p[:-1, :-1], p[:-1, 1:], p[1:, :-1], p[1:, 1:]
    s = a + b + c + d
    q1 = np.count_nonzero(s == 1)
    q3 = np.count_nonzero(s == 3)
    qd = np.count_nonzero((s == 2) & (a == d))
    return (q1 - q3 - 2 * qd) // 4


class _Grower:
    """Thresholded 4-connected regions around a peak, with BNT's hole and other-peak checks."""

    def __init__(self, image: NDArray[np.float64], others: NDArray[np.int64]):
        self.image = image
        self.flat = image.ravel(order="F")
        self.others = others

    def region(self, peak: int, th: float) -> tuple[int | None, NDArray[np.int64], bool]:
        """Area (None if the region has holes), column-major pixel indices, touches another peak."""
        img = self.image
        mask = img >= self.flat[peak] * th
        labels, _ = ndimage.label(mask, structure=_CROSS)
        pr, pc = np.unravel_index(peak, img.shape, order="F")
        sel = labels == labels[pr, pc]  # label 0 (background) if the peak is below threshold
        if _euler8(sel) <= 0:
            return None, np.zeros(0, dtype=np.int64), False
        pixels = np.flatnonzero(sel.ravel(order="F"))
        bad = bool(self.others.size and np.isin(self.others, pixels).any())
        return pixels.size, pixels, bad

    def change(self, peak: int, first: float, second: float):
        """BNT areaChange: area ratio (%) between two thresholds, or None."""
        a1, p1, bad = self.region(peak, first)
        if a1 is None or bad:
            return None, a1, None, p1
        a2, _, bad = self.region(peak, second)
        if a2 is None or bad:
            return None, a1, a2, p1
        return a2 / a1 * 100.0, a1, a2, p1

    def expand(self, peak: int, initial_change: float, initial_area: int, start: float):
        """BNT expandField: lower the threshold by 0.02 until the area jumps, shrinks or stalls."""
        last_area = initial_area
        last_pixels = np.zeros(0, dtype=np.int64)
        pixel_list = np.zeros(0, dtype=np.int64)
        n_same = 0
        n_decrease = 0
        n_steps = int(np.floor((start - 0.2) / 0.02 + 1e-9)) + 1
        for k in range(n_steps):
            th = start - 0.02 * k
            area, pixels, bad = self.region(peak, th)
            if area is None or bad:
                pixel_list = last_pixels
                break
            cur = area / last_area * 100.0
            n_decrease = n_decrease + 1 if cur < 100 else 0
            if np.floor(cur / initial_change) <= 2 and n_decrease < 3:
                n_same = n_same + 1 if cur == 100 else 0
                if n_same < 10:
                    last_area, last_pixels = area, pixels
                    continue
            pixel_list = last_pixels
            break
        if np.any(last_pixels == peak):
            pixel_list = last_pixels
        return pixel_list


def placefield_adaptive(
    rate: ArrayLike,
    *,
    min_peak: float = 1.0,
    min_bins: int = 9,
    min_mean_rate: float = 0.0,
    peak_coords: ArrayLike | None = None,
) -> tuple[NDArray[np.int64], list[AdaptiveField]]:
    """Place fields with BNT's adaptive threshold (``analyses.placefieldAdaptive``, 2020 mirror).

    Steps (BNT): NaN -> 0; opening by reconstruction (erosion with a 3x3 cross, then
    reconstruction by dilation); candidate peaks = rounded centroids of the regional maxima of
    that image (or ``peak_coords``); peaks below ``min_peak`` dropped; bins below ``min_peak``
    set to 1.5 x the maximum. For each peak the 4-connected region >= th x peak is grown from
    th = 0.96 down to 0.2 in steps of 0.02 and stops when its area jumps (more than 2x the
    first relative change), shrinks 3 times in a row, stays the same 10 times, gets a hole
    (8-connected Euler number <= 0) or reaches another peak. Fields (4-connected components of
    all grown regions) with <= ``min_bins`` bins, a peak below ``min_peak`` or a mean below
    ``min_mean_rate`` are dropped.

    Parameters
    ----------
    rate : array_like of shape (n_y, n_x)
        One map (e.g. Hz, or an autocorrelogram); row 0 is the lowest y.
    min_peak : float, default 1.0
        Minimum peak value of a field (map units).
    min_bins : int, default 9
        A field needs more than this many bins (BNT's strict ``<=`` rejection).
    min_mean_rate : float, default 0.0
        Minimum mean value over a field.
    peak_coords : array_like of shape (k, 2), optional
        Start peaks as 0-based (row, col) bins instead of the detected maxima.

    Returns
    -------
    labels : ndarray of int, shape (n_y, n_x)
        0 outside fields, ``i + 1`` inside ``fields[i]``.
    fields : list of AdaptiveField
        In MATLAB's column-major component order.

    Notes
    -----
    NaN policy (BNT): NaN bins count as 0, both in the search and in ``mean_rate``.
    A map whose maximum is NaN or 0 has no fields. The input is never modified.
    """
    m = as_float_array(rate, "rate", ndim=2)
    min_peak = check_positive(min_peak, "min_peak", allow_zero=True)
    min_mean_rate = check_positive(min_mean_rate, "min_mean_rate", allow_zero=True)
    if int(min_bins) != min_bins or min_bins < 0:
        raise ValueError(f"min_bins must be a non-negative integer; got {min_bins!r}.")
    labels_out = np.zeros(m.shape, dtype=np.int64)
    fields: list[AdaptiveField] = []
    if m.size == 0 or not np.any(np.isfinite(m)):
        return labels_out, fields
    global_peak = np.nanmax(m)
    if global_peak == 0:
        return labels_out, fields
    nan_mask = ~np.isfinite(m)
    m[nan_mask] = 0.0
    h, w = m.shape

    eroded = ndimage.grey_erosion(m, footprint=_CROSS, mode="nearest")
    opened = reconstruction(eroded, m, method="dilation", footprint=_SQUARE)

    if peak_coords is None:
        regional = local_maxima(opened, connectivity=2, allow_borders=True)
        lab, n = ndimage.label(regional.T, structure=_SQUARE)  # column-major component order
        lab = lab.T
        if n:
            cent = np.array(ndimage.center_of_mass(np.ones_like(m), lab, np.arange(1, n + 1)))
            peaks_rc = np.floor(cent + 0.5).astype(np.int64)
        else:
            peaks_rc = np.zeros((0, 2), dtype=np.int64)
    else:
        peaks_rc = np.rint(as_float_array(peak_coords, "peak_coords", ndim=2, allow_nan=False))
        if peaks_rc.shape[1] != 2:
            raise ValueError(f"peak_coords must be (k, 2) as (row, col); got {peaks_rc.shape}.")
        peaks_rc = peaks_rc.astype(np.int64)
    peaks_rc[:, 0] = np.clip(peaks_rc[:, 0], 0, h - 1)
    peaks_rc[:, 1] = np.clip(peaks_rc[:, 1], 0, w - 1)
    peak_lin = peaks_rc[:, 1] * h + peaks_rc[:, 0]  # column-major linear indices
    peak_lin = peak_lin[m.ravel(order="F")[peak_lin] >= min_peak]

    image = opened.copy()
    max_value = image.max()
    image[image < min_peak] = max_value * 1.5
    found = np.zeros(m.shape, dtype=bool)
    for i, peak in enumerate(peak_lin):
        others = np.delete(peak_lin, i)
        grower = _Grower(image, others)
        used = 0.96
        change, _, area2, _ = grower.change(peak, 0.96, 0.94)
        if change is None:
            area1, first_pixels = None, np.zeros(0, dtype=np.int64)
            for j in (0.97, 0.98, 0.99, 1.0):
                change, area1, area2, first_pixels = grower.change(peak, j, j - 0.01)
                if change is not None:
                    used = j - 0.01
                    break
            if change is None:
                if area1 is not None:
                    _mark(image, found, first_pixels, max_value)
                continue
        pixels = grower.expand(peak, change, area2, used)
        if pixels.size == 0:
            _, pixels, _ = grower.region(peak, used + 0.01)
        _mark(image, found, pixels, max_value)

    comp, n = ndimage.label(found.T, structure=_CROSS)  # column-major order
    comp = comp.T
    flat_comp = comp.ravel(order="F")
    flat_map = m.ravel(order="F")
    for label in range(1, n + 1):
        idx = np.flatnonzero(flat_comp == label)
        values = flat_map[idx]
        k = int(np.argmax(values))
        peak_value = float(values[k])
        mean_rate = float(values.mean())  # NaN bins were set to 0 (BNT)
        if idx.size <= min_bins or peak_value < min_peak or mean_rate < min_mean_rate:
            continue
        rows, cols = idx % h, idx // h
        fields.append(
            AdaptiveField(
                rows=rows,
                cols=cols,
                area=int(idx.size),
                peak=peak_value,
                peak_row=int(rows[k]),
                peak_col=int(cols[k]),
                centroid=(float(rows.mean()), float(cols.mean())),
                mean_rate=mean_rate,
            )
        )
        labels_out[rows, cols] = len(fields)
    return labels_out, fields


def _mark(image, found, pixels, max_value) -> None:  # noqa: ANN001
    if pixels.size:
        h = image.shape[0]
        rows, cols = pixels % h, pixels // h
        image[rows, cols] = max_value * 1.5
        found[rows, cols] = True
