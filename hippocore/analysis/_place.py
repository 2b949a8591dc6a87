"""Place fields of a rate map: BNT ``placefield`` (threshold) and ``placefieldAdaptive``."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage
from skimage.morphology import local_maxima

from hippocore._checks import check_choice, check_positive
from hippocore.analysis._adaptive import placefield_adaptive
from hippocore.analysis._field import PlaceField, field_record
from hippocore.analysis._morphology import euler8
from hippocore.analysis._stack import as_bin_centres, as_map_stack

__all__ = ["PlaceField", "place_fields", "fields_from_mask", "fields_per_map", "count_fields"]

_FOUR = ndimage.generate_binary_structure(2, 1)


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
            out.append(field_record(rows, cols, m[rows, cols], centres))
    return out


_SLICE_CROSS = np.zeros((3, 3, 3), dtype=bool)  # 4-connectivity within each map of a stack
_SLICE_CROSS[1] = _FOUR

Field = tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]


def _label_stats(labels: NDArray[np.intp], values: NDArray[np.float64]):
    """Per label 0..n: size, mean value, max value and the flat index of the max.

    The max's index is the first (lowest flat index) among equal maxima. Label 0 and labels
    with no bin get size 0, mean 0, index 0 and, for labels >= 1, the value at index 0.
    """
    flat = labels.ravel()
    vals = values.ravel()
    idx = np.flatnonzero(flat)
    lab, v = flat[idx], vals[idx]
    n = int(flat.max(initial=0)) + 1
    size = np.bincount(lab, minlength=n)
    total = np.bincount(lab, weights=v, minlength=n)
    peak = np.full(n, -np.inf)
    np.maximum.at(peak, lab, v)
    at_peak = v == peak[lab]
    top = np.full(n, flat.size, dtype=np.intp)
    np.minimum.at(top, lab[at_peak], idx[at_peak])
    empty = size == 0
    top[empty] = 0
    peak[empty] = vals[0] if vals.size else 0.0
    peak[0] = 0.0
    mean = total / np.maximum(size, 1)
    return size, mean, peak, top


def _second_pass_regions(z2n, peaks, threshold: float, min_bins: int, chunk: int):  # noqa: ANN001
    """BNT placefield's second pass: the union of the kept candidate regions of every map.

    ``peaks`` are the candidates ``(map, row, col, value)``, sorted by map. A candidate's
    region is the 4-connected component holding it of ``value * threshold < z2n <= value``;
    it is kept with >= ``min_bins`` bins, its centroid within 4 bins of the peak and no holes.
    The candidates are labelled ``chunk`` at a time, as planes stacked with a blank row
    between them (a 2-D labelling that never joins two planes).
    """
    pm, pr, pc, pv = peaks
    ny, nx = z2n.shape[1:]
    final = np.zeros(z2n.shape, dtype=bool)
    planes = np.zeros((min(chunk, pv.size), ny + 1, nx), dtype=bool)
    above = np.empty((min(chunk, pv.size), ny, nx), dtype=bool)
    # one label buffer for all chunks (a fresh 1-2 MB output per call cost ~20 % of labelling)
    label_out = np.empty((planes.shape[0] * (ny + 1), nx), dtype=np.int32)
    for s0 in range(0, pv.size, chunk):
        m, r, c, p = (v[s0 : s0 + chunk] for v in peaks)
        zz = np.take(z2n, m, axis=0)  # np.take copies whole maps much faster than z2n[m]
        cand, up = planes[: m.size], above[: m.size]
        np.less_equal(zz, p[:, None, None], out=cand[:, :ny])
        np.greater(zz, (p * threshold)[:, None, None], out=up)
        cand[:, :ny] &= up
        plab = label_out[: m.size * (ny + 1)]
        ndimage.label(cand.reshape(-1, nx), structure=_FOUR, output=plab)
        plab = plab.reshape(cand.shape)
        seed = plab[np.arange(m.size), r, c]
        region = plab[:, :ny] == seed[:, None, None]
        per_row = region.view(np.uint8).sum(axis=2, dtype=np.int32)  # (k, ny) bins per row
        per_col = region.view(np.uint8).sum(axis=1, dtype=np.int32)  # (k, nx)
        n_bins = per_row.sum(axis=1)
        cy = per_row @ np.arange(ny) / np.maximum(n_bins, 1)
        cx = per_col @ np.arange(nx) / np.maximum(n_bins, 1)
        good = (seed > 0) & (n_bins >= min_bins) & (np.hypot(cy - r, cx - c) <= 4)
        if good.any():
            good[good] = euler8(region[good]) >= 1
        if good.any():  # OR the kept regions into their maps (m is sorted)
            mg = m[good]
            starts = np.flatnonzero(np.r_[True, mg[1:] != mg[:-1]])
            final[mg[starts]] |= np.logical_or.reduceat(region[good], starts, axis=0)
    return final


#: Half-widths of the windows about each candidate peak that BNT placefield's second pass
#: labels before the whole map (17 x 17 bins settle ~86 % of the candidates of shuffled
#: 40 x 40 maps, 29 x 29 most of the rest).
_PEAK_WINDOWS = (8, 14)


def _second_pass_windowed(z2n, peaks, threshold, min_bins, chunk, windows=_PEAK_WINDOWS):  # noqa: ANN001
    """:func:`_second_pass_regions`, each candidate labelled in windows about its peak first.

    A candidate's component in the window is its whole region when it does not reach the
    window's edge: it is then tested here (size, centroid, holes). One that reaches the edge
    and already has a hole in the window has a hole in the map too (the region only grows
    around it, never into it), so it is rejected. The rest try the next window, then the
    whole map. Map edges are no window edges: the map is framed by ``-inf``, never part of
    a region.
    """
    if not windows or min(z2n.shape[1:]) <= 2 * windows[0] + 1:
        return _second_pass_regions(z2n, peaks, threshold, min_bins, chunk)
    n, ny, nx = z2n.shape
    w = windows[0]
    side = 2 * w + 1
    framed = np.pad(z2n, ((0, 0), (w, w), (w, w)), constant_values=-np.inf)
    views = sliding_window_view(framed, (side, side), axis=(1, 2))  # [map, r, c]: window
    final = np.zeros(framed.shape, dtype=bool)
    rest = np.zeros(peaks[3].size, dtype=bool)
    per_chunk = max(1, chunk * 1600 // (side * side))  # about as many bins as a chunk of maps
    for s0 in range(0, rest.size, per_chunk):
        m, r, c, p = (v[s0 : s0 + per_chunk] for v in peaks)
        zz = views[m, r, c]
        planes = np.zeros((m.size, side + 1, side), dtype=bool)
        planes[:, :side] = (zz <= p[:, None, None]) & (zz > (p * threshold)[:, None, None])
        labels, _ = ndimage.label(planes.reshape(-1, side), structure=_FOUR)
        labels = labels.reshape(planes.shape)[:, :side]
        region = labels == labels[:, w, w][:, None, None]
        edge = region[:, 0].any(1) | region[:, -1].any(1) | region[:, :, 0].any(1)
        edge |= region[:, :, -1].any(1)
        holes = euler8(region) < 1  # one 4-connected region: holes wherever this is < 1
        rest[s0 : s0 + m.size] = edge & ~holes
        per_row = region.view(np.uint8).sum(axis=2, dtype=np.int32)
        per_col = region.view(np.uint8).sum(axis=1, dtype=np.int32)
        n_bins = per_row.sum(axis=1)
        # centroid in map coordinates: window row i is map row r - w + i (integer sums)
        offsets = np.arange(side)
        cy = (per_row @ offsets + (r - w) * n_bins) / np.maximum(n_bins, 1)
        cx = (per_col @ offsets + (c - w) * n_bins) / np.maximum(n_bins, 1)
        good = ~edge & ~holes & (n_bins >= min_bins) & (np.hypot(cy - r, cx - c) <= 4)
        for j in np.flatnonzero(good):
            final[m[j], r[j] : r[j] + side, c[j] : c[j] + side] |= region[j]
    final = final[:, w : w + ny, w : w + nx]
    if rest.any():
        sub = tuple(v[rest] for v in peaks)
        final |= _second_pass_windowed(z2n, sub, threshold, min_bins, chunk, windows[1:])
    return final


def _bnt_field_labels(
    stack: NDArray[np.float64],
    threshold: float,
    min_bins: int,
    min_peak: float,
    min_mean_rate: float,
    chunk: int = 256,
) -> NDArray[np.intp]:
    """BNT ``placefield`` on every map of a stack, as a field-label image ``(n, y, x)``.

    Labels are 1..k within each map (0 = no field), numbered by descending field peak. The
    whole stack is labelled at once (4-connectivity within each map); BNT's second pass
    labels one candidate plane per unclaimed regional maximum, all maps together.
    """
    n, ny, nx = stack.shape
    nans = np.isnan(stack)
    z = np.where(nans, 0.0, stack)
    all_nan = nans.all(axis=(1, 2))
    peak = np.max(np.where(nans, -np.inf, stack), axis=(1, 2))
    usable = ~all_nan & (peak != 0)
    fields = np.zeros(z.shape, dtype=np.intp)
    if not usable.any():
        return fields
    # First pass: 4-connected regions >= threshold * the map's peak.
    cand = (z >= (np.where(usable, peak, 0) * threshold)[:, None, None]) & ~nans
    cand &= usable[:, None, None]
    lab, _ = ndimage.label(cand, structure=_SLICE_CROSS)
    size, mean, top_val, top = _label_stats(lab, z)
    claimed = np.zeros(z.size, dtype=bool)
    claimed[top[1:]] = True  # the peak bin of every component (BNT marks rejected ones too)
    claimed = claimed.reshape(z.shape)
    ok = (top_val >= min_peak) & (mean >= min_mean_rate) & (size >= min_bins)
    ok[0] = False
    first = np.where(ok[lab], lab, 0)

    # Second pass: every regional maximum (peak >= min_peak) that is not the peak of a
    # first-pass component gets a region at threshold * its own peak; kept when it has
    # >= min_bins bins, its centroid is within 4 bins of the peak and it has no holes.
    regional = local_maxima(z, footprint=_SLICE_CROSS, allow_borders=True).astype(bool)
    regional &= (z >= min_peak) & usable[:, None, None] & ~claimed
    z2 = np.where(first > 0, 0.0, z)
    pm, pr, pc = np.nonzero(regional)
    pv = z2[pm, pr, pc]
    keep = pv > 0
    pm, pr, pc, pv = pm[keep], pr[keep], pc[keep], pv[keep]
    final = _second_pass_windowed(
        np.where(nans, -np.inf, z2), (pm, pr, pc, pv), threshold, min_bins, chunk
    )
    if final.any():
        lab2, _ = ndimage.label(final, structure=_SLICE_CROSS)
        size2, mean2, top2, _ = _label_stats(lab2, z2)
        ok2 = (top2 >= min_peak) & (mean2 >= min_mean_rate)
        ok2[0] = False
        offset = int(first.max(initial=0))
        second = np.where(ok2[lab2], lab2 + offset, 0)
        first = np.where(second > 0, second, first)
    # Renumber 1..k within each map, by descending peak.
    size, _, top_val, top = _label_stats(first, z)
    ids = np.flatnonzero(size[1:] > 0) + 1
    if ids.size == 0:
        return fields
    owner = top[ids] // (ny * nx)
    order = np.lexsort((-top_val[ids], owner))
    ids, owner = ids[order], owner[order]
    start = np.searchsorted(owner, owner, side="left")
    local = np.zeros(int(first.max()) + 1, dtype=np.intp)
    local[ids] = np.arange(ids.size) - start + 1
    return local[first]


def _bnt_fields_stack(
    stack: NDArray[np.float64],
    threshold: float,
    min_bins: int,
    min_peak: float,
    min_mean_rate: float,
) -> list[list[Field]]:
    """BNT ``placefield`` on every map of a stack: (rows, cols, values) of every field."""
    labels = _bnt_field_labels(stack, threshold, min_bins, min_peak, min_mean_rate)
    out: list[list[Field]] = [[] for _ in range(stack.shape[0])]
    ny, nx = stack.shape[1:]
    flat = labels.ravel()
    idx = np.flatnonzero(flat)
    m = idx // (ny * nx)
    key = m * (int(flat.max(initial=0)) + 1) + flat[idx]
    order = np.argsort(key, kind="stable")
    idx, m, key = idx[order], m[order], key[order]
    bounds = np.flatnonzero(np.diff(key)) + 1
    for part in np.split(np.arange(idx.size), bounds) if idx.size else []:
        rc = idx[part] % (ny * nx)
        rows, cols = np.divmod(rc, nx)
        out[int(m[part[0]])].append((rows, cols, stack[m[part[0]], rows, cols]))
    return out


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
) -> list[PlaceField]:
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
        Fraction of the peak that bounds a field (``"bnt"`` only; the adaptive method
        chooses a threshold per field), in [0, 1].
    min_bins : int, default 9
        Smallest field (bins); BNT's adaptive method keeps fields with more than this.
    min_peak : float, default 1.0
        Smallest field peak (map units, Hz).
    min_mean_rate : float, default 0.0
        Smallest mean rate over the field.
    x, y : array_like, optional
        Bin centres (m) along x (n_x,) and y (n_y,); give them to get ``area`` and
        ``centroid`` in metres.

    Returns
    -------
    list of PlaceField
        The same flat list for one map and for a stack: the fields of map 0, then map 1, ...
        (``PlaceField.unit`` says which map; 0 for one map), each map's sorted by peak rate
        (highest first). A map that is all NaN or all zero has no fields. Group them with
        ``[f for f in fields if f.unit == u]``; count them with
        ``np.bincount([f.unit for f in fields], minlength=n_maps)``.

    References
    ----------
    BNT ``analyses.placefield`` (github.com/brkanter/BNT @ a872035).
    """
    check_choice(method, "method", ("bnt", "adaptive"))
    stack, _ = as_map_stack(rate, "rate")
    if not (0 <= threshold <= 1) or isinstance(threshold, bool):
        raise ValueError(f"threshold must be a fraction of the peak in [0, 1]; got {threshold!r}.")
    if isinstance(min_bins, bool) or not isinstance(min_bins, (int, np.integer)) or min_bins < 0:
        raise ValueError(f"min_bins must be a non-negative integer; got {min_bins!r}.")
    check_positive(min_peak, "min_peak", allow_zero=True)
    check_positive(min_mean_rate, "min_mean_rate", allow_zero=True)
    centres = as_bin_centres(x, y, stack.shape[1:])
    out: list[PlaceField] = []
    if method == "bnt":
        raw = _bnt_fields_stack(
            stack, float(threshold), int(min_bins), float(min_peak), float(min_mean_rate)
        )
        for u, fl in enumerate(raw):
            recs = [field_record(r, c, v, centres, unit=u) for r, c, v in fl]
            out.extend(sorted(recs, key=lambda f: -f.peak))
    else:
        for u, m in enumerate(stack):
            _, found = placefield_adaptive(
                m, min_peak=float(min_peak), min_bins=int(min_bins), min_mean_rate=min_mean_rate,
                x=None if centres is None else centres[0],
                y=None if centres is None else centres[1],
            )  # fmt: skip
            recs = [replace(f, unit=u) for f in found]
            out.extend(sorted(recs, key=lambda f: -f.peak))
    return out


def fields_per_map(fields: list[PlaceField], n_maps: int) -> list[list[PlaceField]]:
    """Group the flat list :func:`place_fields` returns into one list per map."""
    out: list[list[PlaceField]] = [[] for _ in range(n_maps)]
    for f in fields:
        out[f.unit].append(f)
    return out


def count_fields(fields: list[PlaceField], n_maps: int) -> NDArray[np.int64]:
    """Number of fields of each of ``n_maps`` maps, from :func:`place_fields`' flat list."""
    return np.bincount(np.array([f.unit for f in fields], dtype=np.intp), minlength=n_maps)
