"""Earlier implementations kept as oracles: the faster code that replaced them must agree.

Each function here is the version the library used before a speed-up (issue 15); tests
compare the library's current code with it on varied inputs, value for value.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from skimage.morphology import local_maxima

_SLICE_CROSS = np.zeros((3, 3, 3), dtype=bool)  # 4-connectivity within each map of a stack
_SLICE_CROSS[1] = ndimage.generate_binary_structure(2, 1)


def label_stats_lexsort(labels: np.ndarray, values: np.ndarray):
    """Per label 0..n: size, mean, max value and flat index of the max (by one lexsort)."""
    flat = labels.ravel()
    idx = np.flatnonzero(flat)
    n = int(flat.max(initial=0)) + 1
    size = np.bincount(flat[idx], minlength=n)
    total = np.bincount(flat[idx], weights=values.ravel()[idx], minlength=n)
    order = idx[np.lexsort((-values.ravel()[idx], flat[idx]))]
    top = np.zeros(n, dtype=np.intp)
    if order.size:
        first = np.flatnonzero(np.r_[True, np.diff(flat[order]) != 0])
        top[flat[order[first]]] = order[first]
    peak = np.zeros(n)
    peak[1:] = values.ravel()[top[1:]]
    mean = total / np.maximum(size, 1)
    return size, mean, peak, top


def euler8_quads(regions: np.ndarray) -> np.ndarray:
    """Euler number of each mask of a stack, 8-connected foreground (Gray's 2x2 quads)."""
    p = np.pad(regions, ((0, 0), (1, 1), (1, 1))).astype(np.int8)
    a, b, c, d = p[:, :-1, :-1], p[:, :-1, 1:], p[:, 1:, :-1], p[:, 1:, 1:]
    s = a + b + c + d
    q1 = np.count_nonzero(s == 1, axis=(1, 2))
    q3 = np.count_nonzero(s == 3, axis=(1, 2))
    qd = np.count_nonzero((s == 2) & (a == d), axis=(1, 2))
    return (q1 - q3 - 2 * qd) // 4


def bnt_field_labels_per_candidate(
    stack: NDArray[np.float64],
    threshold: float,
    min_bins: int,
    min_peak: float,
    min_mean_rate: float,
    chunk: int = 1024,
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
    size, mean, top_val, top = label_stats_lexsort(lab, z)
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
    final = np.zeros(z.shape, dtype=bool)
    z2n = np.where(nans, -np.inf, z2)  # unvisited bins never pass the candidate test
    for s0 in range(0, pv.size, chunk):
        m, r, c, p = (
            pm[s0 : s0 + chunk],
            pr[s0 : s0 + chunk],
            pc[s0 : s0 + chunk],
            pv[s0 : s0 + chunk],
        )
        zz = np.take(z2n, m, axis=0)  # np.take copies whole maps much faster than z2n[m]
        cand = (zz > (p * threshold)[:, None, None]) & (zz <= p[:, None, None])
        plab, _ = ndimage.label(cand, structure=_SLICE_CROSS)
        seed = plab[np.arange(p.size), r, c]
        region = plab == seed[:, None, None]
        per_row = np.count_nonzero(region, axis=2)  # (k, ny)
        per_col = np.count_nonzero(region, axis=1)  # (k, nx)
        n_bins = per_row.sum(axis=1)
        cy = per_row @ np.arange(ny) / np.maximum(n_bins, 1)
        cx = per_col @ np.arange(nx) / np.maximum(n_bins, 1)
        good = (seed > 0) & (n_bins >= min_bins) & (np.hypot(cy - r, cx - c) <= 4)
        if good.any():
            good[good] = euler8_quads(region[good]) >= 1
        if good.any():
            np.logical_or.at(final, m[good], region[good])
    if final.any():
        lab2, _ = ndimage.label(final, structure=_SLICE_CROSS)
        size2, mean2, top2, _ = label_stats_lexsort(lab2, z2)
        ok2 = (top2 >= min_peak) & (mean2 >= min_mean_rate)
        ok2[0] = False
        offset = int(first.max(initial=0))
        second = np.where(ok2[lab2], lab2 + offset, 0)
        first = np.where(second > 0, second, first)
    # Renumber 1..k within each map, by descending peak.
    size, _, top_val, top = label_stats_lexsort(first, z)
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


def shifted_spike_counts_per_shift(engine, shifts: np.ndarray, n_units: int) -> np.ndarray:
    """Spikes per (shift, unit, bin) of a ShiftEngine, one ``bincount`` per shift (before #15)."""
    counts = np.zeros((shifts.size * n_units, engine.n_bins))
    for j, s in enumerate(shifts):
        b = engine.lin[(engine.samples + int(s)) % engine.n]
        keep = b >= 0
        counts[j * n_units : (j + 1) * n_units] = np.bincount(
            engine.units[keep] * engine.n_bins + b[keep], minlength=n_units * engine.n_bins
        ).reshape(n_units, engine.n_bins)
    return counts


def centre_radii_full_opening(a: np.ndarray, todo: np.ndarray, centre: tuple[int, int]):
    """BNT centre-field radii with the whole opening of every map (before #15's window)."""
    from hippocore.analysis._centre_field import (
        CachedGrower,
        bnt_radius,
        centre_field_area,
        windowed_regions,
    )
    from hippocore.analysis._morphology import open_by_reconstruction

    radii = np.zeros(a.shape[0], dtype=np.int64)
    for lo in range(0, todo.size, 64):
        blk = todo[lo : lo + 64]
        opened = open_by_reconstruction(a[blk])
        images = np.where(opened < 0.0, opened.max(axis=(1, 2), keepdims=True) * 1.5, opened)
        ws, area, euler, touch, sel = windowed_regions(images, centre)
        for j, i in enumerate(blk):
            grower = CachedGrower(images[j], ws, area[j], euler[j], touch[j], sel[j])
            found = None if a[i][centre] < 0 else centre_field_area(a[i], grower, centre)
            if found is None:
                radii[i] = bnt_radius(a[i], grower, centre)
            else:
                radii[i] = int(np.floor(np.sqrt(found / np.pi)))
    return radii


def max_fourier_power_strided(stack: np.ndarray, *, bin_size: float, fft_size: int = 256):
    """Largest in-band Fourier power of each map: 256 maps a transform, rows picked by index."""
    from hippocore.analysis._band import _frequency_mask, _prepare

    _, _, mask = _frequency_mask(fft_size, bin_size, 4 * bin_size, half=True)
    keep_x = np.flatnonzero(mask.any(axis=0))
    keep_y = np.flatnonzero(mask.any(axis=1))
    sub = mask[np.ix_(keep_y, keep_x)]
    out = np.empty(stack.shape[0])
    for start in range(0, stack.shape[0], 256):
        z = _prepare(stack[start : start + 256], fft_size)
        f = np.fft.rfft(z, n=fft_size, axis=-1)[..., keep_x]
        f = np.fft.fft(f, n=fft_size, axis=-2)[:, keep_y]
        p = f.real**2 + f.imag**2
        out[start : start + 256] = p[:, sub].max(axis=1)
    return out
