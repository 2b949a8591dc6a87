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
from hippocore.analysis._stack import reject_inf

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


def _euler8(region: NDArray[np.bool_], buf: NDArray[np.int8] | None = None) -> int:
    """Euler number with 8-connected foreground (Gray's 2x2 quad counts, as BNT's lookup table)."""
    h, w = region.shape
    if buf is None:
        buf = np.zeros((h + 2, w + 2), dtype=np.int8)
    buf[1:-1, 1:-1] = region
    a, b, c, d = buf[:-1, :-1], buf[:-1, 1:], buf[1:, :-1], buf[1:, 1:]
    s = a + b
    s += c
    s += d
    q1 = np.count_nonzero(s == 1)
    q3 = np.count_nonzero(s == 3)
    qd = np.count_nonzero((s == 2) & (a == d))
    return (q1 - q3 - 2 * qd) // 4


def _keeps_growing(
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


class _Grower:
    """Thresholded 4-connected regions around a peak, with BNT's hole and other-peak checks.

    Regions are boolean masks; ``peak`` and ``others`` are (row, col) bins.
    """

    def __init__(self, image: NDArray[np.float64], others: list[tuple[int, int]], window: int = 10):
        self.image = image
        self.others = others
        self.window = window
        self.empty = np.zeros(image.shape, dtype=bool)
        self._bufs: dict[tuple[int, int], NDArray[np.int8]] = {}

    def _component(self, img, peak, v):
        """Mask of the 4-connected component of img >= v holding peak, and its Euler number."""
        labels, _ = ndimage.label(img >= v, structure=_CROSS)
        sel = labels == labels[peak]  # label 0 (background) if the peak is below threshold
        buf = self._bufs.get(sel.shape)
        if buf is None:
            buf = self._bufs[sel.shape] = np.zeros((sel.shape[0] + 2, sel.shape[1] + 2), np.int8)
        return sel, _euler8(sel, buf)

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
        n_steps = int(np.floor((start - 0.2) / 0.02 + 1e-9)) + 1
        for k in range(n_steps):
            th = start - 0.02 * k
            area, pixels, bad = self.region(peak, th)
            if area is None or bad:
                pixel_list = last_pixels
                break
            keep, n_decrease, n_same = _keeps_growing(
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


class _CachedGrower(_Grower):
    """A grower for one peak whose windowed regions were computed beforehand for all thresholds.

    ``area``, ``euler``, ``touch`` and ``sel`` hold the thresholds 0.20, 0.22 .. 0.96 (the
    path almost every search takes); other thresholds and regions touching the window edge
    are computed on demand as in :class:`_Grower`.
    """

    def __init__(self, image, window_slices, area, euler, touch, sel):  # noqa: ANN001
        super().__init__(image, [])
        self.ws = window_slices
        self.area, self.euler, self.touch, self.sel = area, euler, touch, sel

    def region(self, peak, th):  # noqa: ANN001, D102
        h100 = int(round(th * 100))
        k = (h100 - 20) // 2
        if h100 % 2 or not 0 <= k < self.area.size or self.touch[k]:
            return super().region(peak, th)
        if self.euler[k] <= 0:
            return None, self.empty, False
        full = np.zeros(self.image.shape, dtype=bool)
        full[self.ws] = self.sel[k]
        return int(self.area[k]), full, False


class _ThresholdMasks:
    """Masks ``join >= levels[k]`` of one unit, built on demand (indexable like a stack)."""

    def __init__(self, join: NDArray[np.float64], levels: NDArray[np.float64]):
        self.join, self.levels = join, levels

    def __getitem__(self, k: int) -> NDArray[np.bool_]:
        return self.join >= self.levels[k]


def _count_at_least(x: NDArray[np.float64], levels: NDArray[np.float64]) -> NDArray[np.int64]:
    """``(x[u, a] >= levels[u, k]).sum(-1)`` for (U, A, n) values and non-decreasing levels.

    -> (U, A, n_th). One binary search per unit (exact comparisons), then counts per level.
    """
    u, n_a = x.shape[:2]
    n_th = levels.shape[1]
    flat = x.reshape(u, -1)
    # b = how many levels are <= x, so x >= levels[k] exactly when b > k
    b = np.stack([np.searchsorted(levels[i], flat[i], side="right") for i in range(u)])
    arr = np.repeat(np.arange(n_a), flat.shape[1] // n_a)
    idx = (np.arange(u)[:, None] * n_a + arr[None, :]) * (n_th + 1) + b
    hist = np.bincount(idx.ravel(), minlength=u * n_a * (n_th + 1)).reshape(u, n_a, n_th + 1)
    # count of b > k for k = 0 .. n_th - 1
    return np.cumsum(hist[..., ::-1], axis=-1)[..., ::-1][..., 1:]


def _windowed_regions(images: NDArray[np.float64], centre: tuple[int, int], window: int = 10):
    """Area, Euler number, edge contact and mask of the centre's component for every threshold.

    ``images`` (U, h, w) are the search images (opened, negatives raised); thresholds are
    0.20, 0.22 .. 0.96 x the centre value. The centre's 4-connected component of
    ``sub >= v`` is ``{join >= v}`` with ``join`` from :func:`_join_levels`, so all
    thresholds follow from one array per unit: the area and the edge contact are counts of
    ``join >= v``, and the Euler number (8-connected foreground, Gray's 2x2 quads with a zero
    frame) comes from counts of order statistics of the four ``join`` values of every quad.
    The masks are returned as per-unit indexables built on demand.
    """
    u, h, w = images.shape
    r0, c0 = max(centre[0] - window, 0), max(centre[1] - window, 0)
    r1, c1 = min(centre[0] + window + 1, h), min(centre[1] + window + 1, w)
    ws = (slice(r0, r1), slice(c0, c1))
    sub = images[:, r0:r1, c0:c1]
    pr, pc = centre[0] - r0, centre[1] - c0
    ths = np.arange(20, 97, 2) / 100.0
    levels = images[:, centre[0], centre[1]][:, None] * ths[None, :]  # (U, n_th)
    if u == 0 or np.any(images[:, centre[0], centre[1]] < 0):
        # a negative centre (never for search images): label every threshold
        return _windowed_regions_labelled(sub, levels, (pr, pc), ws, (h, w))
    join = _join_levels(sub, (pr, pc))
    jp = np.pad(join, ((0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    qa, qb, qc, qd = jp[:, :-1, :-1], jp[:, :-1, 1:], jp[:, 1:, :-1], jp[:, 1:, 1:]
    p_, q_ = np.maximum(qa, qb), np.minimum(qa, qb)
    r_, t_ = np.maximum(qc, qd), np.minimum(qc, qd)
    lo_hi, hi_lo = np.minimum(p_, r_), np.maximum(q_, t_)
    min_ad, min_bc = np.minimum(qa, qd), np.minimum(qb, qc)
    edges = []
    if r0 > 0:
        edges.append(join[:, 0])
    if r1 < h:
        edges.append(join[:, -1])
    if c0 > 0:
        edges.append(join[:, :, 0])
    if c1 < w:
        edges.append(join[:, :, -1])
    edge_max = np.max(np.concatenate(edges, 1), 1) if edges else np.full(u, -np.inf)
    n_q = qa.shape[1] * qa.shape[2]
    stats = [
        np.maximum(p_, r_),  # largest of the quad
        np.maximum(lo_hi, hi_lo),  # second
        np.minimum(lo_hi, hi_lo),  # third
        np.minimum(q_, t_),  # smallest
        min_ad,
        np.minimum(min_ad, np.maximum(qb, qc)),
        min_bc,
        np.minimum(min_bc, np.maximum(qa, qd)),
    ]
    # the join levels themselves (for the areas), padded with -inf to the quads' length
    stats.append(
        np.pad(join.reshape(u, -1), ((0, 0), (0, n_q - join[0].size)), constant_values=-np.inf)
    )
    x = np.stack([v.reshape(u, n_q) for v in stats], 1)
    cnt = _count_at_least(x, levels)  # (U, 9, n_th)
    q1 = cnt[:, 0] - cnt[:, 1]  # exactly one of the four bins in the region
    q3 = cnt[:, 2] - cnt[:, 3]  # exactly three
    qdiag = (cnt[:, 4] - cnt[:, 5]) + (cnt[:, 6] - cnt[:, 7])  # two, diagonal
    euler = (q1 - q3 - 2 * qdiag) // 4
    area = cnt[:, 8]
    touch = edge_max[:, None] >= levels
    sel = [_ThresholdMasks(join[i], levels[i]) for i in range(u)]
    return ws, area, euler, touch, sel


def _windowed_regions_labelled(sub, levels, peak, ws, shape):  # noqa: ANN001
    """:func:`_windowed_regions` by labelling every threshold (any sign of the centre value)."""
    u, hs, wsz = sub.shape
    h, w = shape
    n_th = levels.shape[1]
    structure = np.zeros((3, 3, 3), dtype=bool)
    structure[1] = _CROSS
    flat = (sub[:, None] >= levels[..., None, None]).reshape(-1, hs, wsz)
    labels, _ = ndimage.label(flat, structure=structure)
    sel = labels == labels[:, peak[0], peak[1]][:, None, None]
    buf = np.zeros((sel.shape[0], hs + 2, wsz + 2), dtype=np.int8)
    buf[:, 1:-1, 1:-1] = sel
    a, b, c, d = buf[:, :-1, :-1], buf[:, :-1, 1:], buf[:, 1:, :-1], buf[:, 1:, 1:]
    q = a + b + c + d
    euler = (
        np.count_nonzero(q == 1, axis=(1, 2))
        - np.count_nonzero(q == 3, axis=(1, 2))
        - 2 * np.count_nonzero((q == 2) & (a == d), axis=(1, 2))
    ) // 4
    touch = np.zeros(sel.shape[0], dtype=bool)
    if ws[0].start > 0:
        touch |= sel[:, 0].any(axis=1)
    if ws[0].stop < h:
        touch |= sel[:, -1].any(axis=1)
    if ws[1].start > 0:
        touch |= sel[:, :, 0].any(axis=1)
    if ws[1].stop < w:
        touch |= sel[:, :, -1].any(axis=1)
    area = sel.sum(axis=(1, 2))
    return (
        ws,
        area.reshape(u, n_th),
        euler.reshape(u, n_th),
        touch.reshape(u, n_th),
        sel.reshape(u, n_th, hs, wsz),
    )


def _join_levels(sub: NDArray[np.float64], start: tuple[int, int]) -> NDArray[np.float64]:
    """For a stack (U, h, w): the highest threshold at which each bin is 4-connected to ``start``.

    ``join[p]`` = max over 4-connected paths from ``start`` to ``p`` of the lowest value on the
    path (-inf nowhere: every bin is reachable); so ``{join >= v}`` is the 4-connected
    component of ``sub >= v`` holding ``start`` whenever ``sub[start] >= v``. Computed by
    reconstruction by dilation (4-neighbour) from ``start`` under ``sub``: only min and max of
    the input values are taken, so comparisons with it are exact. Propagated by sweeps along
    rows and columns (a path's value reaches the whole path in one round per change of
    direction).
    """
    join = np.full(sub.shape, -np.inf)
    join[:, start[0], start[1]] = sub[:, start[0], start[1]]
    h, w = sub.shape[1:]
    tmp_r = np.empty((sub.shape[0], h))
    tmp_c = np.empty((sub.shape[0], w))
    # sweeps along rows and columns in both directions (each step passes the value on to the
    # next bin), repeated until a round changes nothing
    while True:
        before = join.copy()
        for j in range(1, w):
            np.maximum(join[:, :, j], join[:, :, j - 1], out=tmp_r)
            np.minimum(tmp_r, sub[:, :, j], out=join[:, :, j])
        for j in range(w - 2, -1, -1):
            np.maximum(join[:, :, j], join[:, :, j + 1], out=tmp_r)
            np.minimum(tmp_r, sub[:, :, j], out=join[:, :, j])
        for i in range(1, h):
            np.maximum(join[:, i], join[:, i - 1], out=tmp_c)
            np.minimum(tmp_c, sub[:, i], out=join[:, i])
        for i in range(h - 2, -1, -1):
            np.maximum(join[:, i], join[:, i + 1], out=tmp_c)
            np.minimum(tmp_c, sub[:, i], out=join[:, i])
        if np.array_equal(join, before):
            return join


def _search_image(opened: NDArray[np.float64], min_peak: float) -> NDArray[np.float64]:
    """BNT: bins below ``min_peak`` are raised to 1.5 x the maximum (they join every region)."""
    image = opened.copy()
    image[image < min_peak] = image.max() * 1.5
    return image


def _grow_fields(
    m: NDArray[np.float64],
    opened: NDArray[np.float64],
    peaks: list[tuple[int, int]],
    min_peak: float,
    grower: _Grower | None = None,
) -> NDArray[np.bool_]:
    """BNT's per-peak adaptive growth on the opened image; returns the union of all fields."""
    image = grower.image if grower is not None else _search_image(opened, min_peak)
    max_value = opened.max()
    found = np.zeros(m.shape, dtype=bool)
    for i, peak in enumerate(peaks):
        if grower is None or len(peaks) > 1:
            grower = _Grower(image, peaks[:i] + peaks[i + 1 :])
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
    keep = m[peaks_rc[:, 0], peaks_rc[:, 1]] >= min_peak
    peaks = [(int(r), int(c)) for r, c in peaks_rc[keep]]
    found = _grow_fields(m, opened, peaks, min_peak)

    return _fields_from(found, m, min_bins, min_peak, min_mean_rate)


def _fields_from(
    found: NDArray[np.bool_],
    m: NDArray[np.float64],
    min_bins: int,
    min_peak: float,
    min_mean: float,
) -> tuple[NDArray[np.int64], list[AdaptiveField]]:
    """BNT's final step: 4-connected components of the grown regions, filtered."""
    h = m.shape[0]
    labels_out = np.zeros(m.shape, dtype=np.int64)
    fields: list[AdaptiveField] = []
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


def _open_by_reconstruction(stack: NDArray[np.float64], chunk: int = 16) -> NDArray[np.float64]:
    """Opening by reconstruction of every map of a (U, h, w) stack, vectorised.

    Erosion with the 3x3 cross (in-bounds bins only, as MATLAB pads erosions with +inf), then
    reconstruction by dilation (8-connected) under the map: repeated 3x3 dilation (separable,
    -inf outside the map) clipped by the map until nothing changes, in chunks of maps small
    enough to stay in cache; converged maps leave the chunk. Equal to
    ``skimage.morphology.reconstruction`` (tested).
    """
    # erosion by the cross, in-bounds neighbours only
    r = stack.copy()
    np.minimum(r[:, 1:], stack[:, :-1], out=r[:, 1:])
    np.minimum(r[:, :-1], stack[:, 1:], out=r[:, :-1])
    np.minimum(r[:, :, 1:], stack[:, :, :-1], out=r[:, :, 1:])
    np.minimum(r[:, :, :-1], stack[:, :, 1:], out=r[:, :, :-1])
    u, h, w = stack.shape
    for lo in range(0, u, chunk):
        idx = np.arange(lo, min(lo + chunk, u))
        cur, mask = r[idx], stack[idx]
        while True:  # until every map of the chunk has converged
            n = cur.shape[0]
            pad = np.full((n, h + 2, w), -np.inf)  # rows framed by -inf
            rows = np.empty((n, h, w + 2))  # vertical maxima, columns framed by -inf
            rows[:, :, 0] = rows[:, :, -1] = -np.inf
            vert = rows[:, :, 1:-1]
            nxt = np.empty_like(cur)
            while True:
                pad[:, 1:-1] = cur
                np.maximum(pad[:, :-2], pad[:, 2:], out=vert)
                np.maximum(vert, cur, out=vert)
                np.maximum(rows[:, :, :-2], rows[:, :, 2:], out=nxt)
                np.maximum(nxt, vert, out=nxt)
                np.minimum(nxt, mask, out=nxt)
                changed = (nxt != cur).any(axis=(1, 2))
                cur, nxt = nxt, cur
                if not changed.all():
                    break
            r[idx] = cur
            if not changed.any():
                break
            idx, cur, mask = idx[changed], cur[changed], mask[changed]  # drop converged maps
    return r
