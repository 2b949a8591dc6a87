"""BNT ``analyses.placefieldAdaptive`` (2020 mirror): fields grown by an adaptive threshold.

Shared by the grid score (centre field of the autocorrelogram) and place-field detection.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage
from skimage.morphology import local_maxima

from hippocore._checks import as_float_array, check_positive
from hippocore.analysis._field import PlaceField, field_record
from hippocore.analysis._morphology import euler8, open_by_reconstruction
from hippocore.analysis._stack import as_bin_centres, reject_inf

__all__ = [
    "placefield_adaptive",
    "LADDER",
    "ladder",
    "Grower",
    "grow_fields",
    "fields_from",
    "keeps_growing",
]

_CROSS = ndimage.generate_binary_structure(2, 1)  # strel('disk', 1) and 4-connectivity
_SQUARE = ndimage.generate_binary_structure(2, 2)  # 8-connectivity


def ladder(start: float) -> NDArray[np.float64]:
    """BNT ``expandField``'s thresholds: ``start``, ``start - 0.02`` ... down to 0.2.

    Fractions of the peak, rounded to hundredths (BNT's thresholds are multiples of 0.01;
    rounding avoids the drift of repeated subtraction). The usual search starts at 0.96.
    """
    n = int(np.floor((start - 0.2) / 0.02 + 1e-9)) + 1
    return np.round(start - 0.02 * np.arange(n), 2)


#: The usual threshold ladder (expandField started at 0.96), ascending: 0.20, 0.22 .. 0.96.
LADDER = ladder(0.96)[::-1]


def keeps_growing(
    change: float, initial_change: float, n_decrease: int, n_same: int
) -> tuple[bool, int, int]:
    """BNT ``expandField``'s rule for lowering the threshold one more step.

    Parameters
    ----------
    change : float
        Area at the new threshold as a percentage of the area kept so far.
    initial_change : float
        The same percentage for the first step.
    n_decrease, n_same : int
        Consecutive steps so far in which the area shrank / stayed the same.

    Returns
    -------
    keep : bool
        Accept the new area and go on.
    n_decrease, n_same : int
        Updated counters.
    """
    n_decrease = n_decrease + 1 if change < 100 else 0
    if np.floor(change / initial_change) <= 2 and n_decrease < 3:
        n_same = n_same + 1 if change == 100 else 0
        if n_same < 10:
            return True, n_decrease, n_same
    return False, n_decrease, n_same


class Grower:
    """Thresholded 4-connected regions around a peak, with BNT's hole and other-peak checks.

    Regions are boolean masks; ``peak`` and ``others`` are (row, col) bins.
    """

    def __init__(self, image: NDArray[np.float64], others: list[tuple[int, int]], window: int = 10):
        self.image = image
        self.others = others
        self.window = window
        self.empty = np.zeros(image.shape, dtype=bool)

    def _component(self, img, peak, v):
        """Mask of the 4-connected component of img >= v holding peak, and its Euler number."""
        labels, _ = ndimage.label(img >= v, structure=_CROSS)
        sel = labels == labels[peak]  # label 0 (background) if the peak is below threshold
        return sel, int(euler8(sel[None])[0])

    def region(
        self, peak: tuple[int, int], th: float
    ) -> tuple[int | None, NDArray[np.bool_], bool]:
        """Area (None if the region has holes), region mask, whether it holds another peak.

        Tried first in a window around the peak: a component that does not touch the window's
        edge is the same (with the same holes) in the whole map; otherwise the whole map is used.
        """
        img = self.image
        th = round(th, 2)  # BNT's thresholds are multiples of 0.01; avoid colon-rounding drift
        v = img[peak] * th
        h, w = img.shape
        r0, c0 = max(peak[0] - self.window, 0), max(peak[1] - self.window, 0)
        r1, c1 = min(peak[0] + self.window + 1, h), min(peak[1] + self.window + 1, w)
        sel = None
        if (r1 - r0, c1 - c0) != (h, w) and v <= img[peak]:
            sub, euler = self._component(img[r0:r1, c0:c1], (peak[0] - r0, peak[1] - c0), v)
            inner = (
                not (sub[0].any() and r0 > 0)
                and not (sub[-1].any() and r1 < h)
                and not (sub[:, 0].any() and c0 > 0)
                and not (sub[:, -1].any() and c1 < w)
            )
            if inner:
                sel = np.zeros((h, w), dtype=bool)
                sel[r0:r1, c0:c1] = sub
        if sel is None:
            sel, euler = self._component(img, peak, v)
        if euler <= 0:
            return None, self.empty, False
        bad = any(sel[o] for o in self.others)
        return int(np.count_nonzero(sel)), sel, bad

    def change(self, peak: tuple[int, int], first: float, second: float):
        """BNT areaChange: area ratio (%) between two thresholds, or None."""
        a1, p1, bad = self.region(peak, first)
        if a1 is None or bad:
            return None, a1, None, p1
        a2, _, bad = self.region(peak, second)
        if a2 is None or bad:
            return None, a1, a2, p1
        return a2 / a1 * 100.0, a1, a2, p1

    def expand(self, peak: tuple[int, int], initial_change: float, initial_area: int, start: float):
        """BNT expandField: lower the threshold by 0.02 until the area jumps, shrinks or stalls."""
        last_area = initial_area
        last_pixels = self.empty
        pixel_list = self.empty
        n_same = 0
        n_decrease = 0
        for th in ladder(start):
            area, pixels, bad = self.region(peak, float(th))
            if area is None or bad:
                pixel_list = last_pixels
                break
            keep, n_decrease, n_same = keeps_growing(
                area / last_area * 100.0, initial_change, n_decrease, n_same
            )
            if keep:
                last_area, last_pixels = area, pixels
                continue
            pixel_list = last_pixels
            break
        if last_pixels[peak]:
            pixel_list = last_pixels
        return pixel_list


def _search_image(opened: NDArray[np.float64], min_peak: float) -> NDArray[np.float64]:
    """BNT: bins below ``min_peak`` are raised to 1.5 x the maximum (they join every region)."""
    image = opened.copy()
    image[image < min_peak] = image.max() * 1.5
    return image


def grow_fields(
    m: NDArray[np.float64],
    opened: NDArray[np.float64],
    peaks: list[tuple[int, int]],
    min_peak: float,
    grower: Grower | None = None,
) -> NDArray[np.bool_]:
    """BNT's per-peak adaptive growth on the opened image; returns the union of all fields."""
    image = grower.image if grower is not None else _search_image(opened, min_peak)
    max_value = opened.max()
    found = np.zeros(m.shape, dtype=bool)
    for i, peak in enumerate(peaks):
        if grower is None or len(peaks) > 1:
            grower = Grower(image, peaks[:i] + peaks[i + 1 :])
        used = 0.96
        change, _, area2, _ = grower.change(peak, 0.96, 0.94)
        if change is None:
            area1, first = None, grower.empty
            for j in (0.97, 0.98, 0.99, 1.0):
                change, area1, area2, first = grower.change(peak, j, j - 0.01)
                if change is not None:
                    used = j - 0.01
                    break
            if change is None:
                if area1 is not None:
                    image[first] = max_value * 1.5
                    found |= first
                continue
        pixels = grower.expand(peak, change, area2, used)
        if not pixels.any():
            _, pixels, _ = grower.region(peak, used + 0.01)
        image[pixels] = max_value * 1.5
        found |= pixels
    return found


def placefield_adaptive(
    rate: ArrayLike,
    *,
    min_peak: float = 1.0,
    min_bins: int = 9,
    min_mean_rate: float = 0.0,
    peak_coords: ArrayLike | None = None,
    x: ArrayLike | None = None,
    y: ArrayLike | None = None,
) -> tuple[NDArray[np.int64], list[PlaceField]]:
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
    x, y : array_like, optional
        Bin centres (m) along x (n_x,) and y (n_y,); give them to get ``area`` and
        ``centroid`` in metres.

    Returns
    -------
    labels : ndarray of int, shape (n_y, n_x)
        0 outside fields, ``i + 1`` inside ``fields[i]``.
    fields : list of PlaceField
        In MATLAB's column-major component order; the same record as
        :func:`place_fields` returns (bins in column-major order, ``unit`` 0).

    Notes
    -----
    NaN policy (BNT): NaN bins count as 0, both in the search and in ``mean_rate``; an
    infinite bin raises ``ValueError``.
    A map whose maximum is NaN or 0 has no fields. The input is never modified.
    """
    m = as_float_array(rate, "rate", ndim=2)
    reject_inf(m, "rate")
    min_peak = check_positive(min_peak, "min_peak", allow_zero=True)
    min_mean_rate = check_positive(min_mean_rate, "min_mean_rate", allow_zero=True)
    if int(min_bins) != min_bins or min_bins < 0:
        raise ValueError(f"min_bins must be a non-negative integer; got {min_bins!r}.")
    centres = as_bin_centres(x, y, m.shape)
    labels_out = np.zeros(m.shape, dtype=np.int64)
    fields: list[PlaceField] = []
    if m.size == 0 or not np.any(np.isfinite(m)):
        return labels_out, fields
    global_peak = np.nanmax(m)
    if global_peak == 0:
        return labels_out, fields
    nan_mask = ~np.isfinite(m)
    m[nan_mask] = 0.0
    h, w = m.shape

    opened = open_by_reconstruction(m[None])[0]

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
    keep = m[peaks_rc[:, 0], peaks_rc[:, 1]] >= min_peak
    peaks = [(int(r), int(c)) for r, c in peaks_rc[keep]]
    found = grow_fields(m, opened, peaks, min_peak)

    return fields_from(found, m, min_bins, min_peak, min_mean_rate, centres)


def fields_from(
    found: NDArray[np.bool_],
    m: NDArray[np.float64],
    min_bins: int,
    min_peak: float,
    min_mean: float,
    centres: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> tuple[NDArray[np.int64], list[PlaceField]]:
    """BNT's final step: 4-connected components of the grown regions, filtered."""
    h = m.shape[0]
    labels_out = np.zeros(m.shape, dtype=np.int64)
    fields: list[PlaceField] = []
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
        if idx.size <= min_bins or peak_value < min_peak or mean_rate < min_mean:
            continue
        rows, cols = idx % h, idx // h
        fields.append(field_record(rows, cols, values, centres))
        labels_out[rows, cols] = len(fields)
    return labels_out, fields
