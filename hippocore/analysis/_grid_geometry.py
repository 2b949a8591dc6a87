"""Grid geometry of BNT ``gridnessScore``: spacing, orientation and the ellipse of the peaks.

The six autocorrelogram peaks nearest the centre inside 1.25 x the best radius (regional
maxima, 3x3-dilated, centroids; peaks within 15 deg of a nearer one dropped) give the
spacing and orientation of the three axes and an ellipse fit (BNT ``fitEllipse``:
Fitzgibbon's direct least squares with Halir and Flusser's split). Vectorised over a stack.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from skimage.morphology import local_maxima

from hippocore.analysis._gridness_bnt import shells
from hippocore.analysis._morphology import dilate

__all__ = ["bnt_geometry", "regional_max4", "geometry_disc", "fit_ellipse", "MIN_ORIENTATION"]

MIN_ORIENTATION = np.deg2rad(15.0)
_UNIT_SQUARE3 = np.zeros((3, 3, 3), dtype=bool)  # 8-connected within a unit only
_UNIT_SQUARE3[1] = True


def regional_max4(best: NDArray[np.float64], inside: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """MATLAB ``imregionalmax(best, 4)`` where ``best`` is 0 outside the disc ``inside``.

    Fast exact path: strict 4-neighbour maxima inside the disc, plus the outer zero plateau when
    all its neighbours are negative; any other tie falls back to skimage's plateau-aware
    ``local_maxima``.
    """
    pad = np.pad(best, 1, constant_values=-np.inf)
    c = pad[1:-1, 1:-1]
    nbrs = (pad[:-2, 1:-1], pad[2:, 1:-1], pad[1:-1, :-2], pad[1:-1, 2:])
    gt = np.logical_and.reduce([c > n for n in nbrs])
    ge = np.logical_and.reduce([c >= n for n in nbrs])
    if np.any(ge & ~gt & inside):
        return local_maxima(best, connectivity=1, allow_borders=True)
    out = gt & inside
    outer = ~inside
    if outer.any():
        touching = dilate(outer, square=False) & inside
        vals = best[touching]
        if np.any(vals == 0):
            return local_maxima(best, connectivity=1, allow_borders=True)
        if vals.size and np.all(vals < 0):
            out |= outer
    return out


@lru_cache(maxsize=64)
def geometry_disc(shape: tuple[int, int], best_r: float):
    """Disc d < 1.25 best_r and its crop (bounding box plus a 1-bin frame, within the array)."""
    d = shells(shape)[6]
    inside = d < best_r * 1.25
    rows, cols = np.nonzero(inside)
    r0, r1 = max(rows.min() - 1, 0), min(rows.max() + 2, shape[0])
    c0, c1 = max(cols.min() - 1, 0), min(cols.max() + 2, shape[1])
    return inside, (r0, r1, c0, c1)


def no_geometry(why: str):
    nan3, nan5 = np.full(3, np.nan), np.full(5, np.nan)
    return nan3, nan3.copy(), nan5, np.nan, why


def peaks_stack(a: NDArray[np.float64], best_r: float) -> list:
    """Peak centroids (n, 2) as (row, col) of a stack (U, h, w) sharing one best radius.

    BNT's peaks: regional maxima (4-connected) of the autocorrelogram inside the disc
    d < 1.25 ``best_r`` (0 outside), dilated by a 3x3 square, their centroids in MATLAB's
    column-major component order; a map with fewer than 5 peaks gets the reason instead.

    The disc, its crop, the regional maxima (strict 4-neighbour maxima; maps with ties go
    through the plateau-aware per-map path), the dilation and the labelling are done for the
    whole stack at once (a 3-D label whose structure does not connect units).
    """
    u = a.shape[0]
    inside_full, (r0, r1, c0, c1) = geometry_disc(a.shape[1:], float(best_r))
    inside = inside_full[r0:r1, c0:c1]
    best = np.where(inside, a[:, r0:r1, c0:c1], 0.0)
    pad = np.pad(best, ((0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    c = pad[:, 1:-1, 1:-1]
    nbrs = (pad[:, :-2, 1:-1], pad[:, 2:, 1:-1], pad[:, 1:-1, :-2], pad[:, 1:-1, 2:])
    gt = np.logical_and.reduce([c > nb for nb in nbrs])
    ge = np.logical_and.reduce([c >= nb for nb in nbrs])
    slow = np.any(ge & ~gt & inside, axis=(1, 2))
    peaks = gt & inside
    outer = ~inside
    if outer.any():
        touching = dilate(outer, square=False) & inside
        vals = best[:, touching]
        slow |= np.any(vals == 0, axis=1)
        if vals.shape[1]:
            peaks[np.all(vals < 0, axis=1)] |= outer
    for k in np.flatnonzero(slow):
        peaks[k] = regional_max4(best[k], inside)
    grown = dilate(peaks, square=True)
    lab, _ = ndimage.label(grown.transpose(0, 2, 1), structure=_UNIT_SQUARE3)
    lab = lab.transpose(0, 2, 1)  # labels run unit by unit, column-major within a unit
    top = np.maximum.accumulate(lab.reshape(u, -1).max(axis=1))
    first = np.concatenate([[0], top[:-1]])  # unit k holds labels first[k]+1 .. top[k]
    n_all = int(top[-1]) if u else 0
    hc, wc = lab.shape[1:]
    rr, cc = np.indices((hc, wc))
    flat = lab.ravel()
    cnt = np.bincount(flat, minlength=n_all + 1)[1:]
    sr = np.bincount(flat, weights=np.tile(rr.ravel(), u), minlength=n_all + 1)[1:]
    sc = np.bincount(flat, weights=np.tile(cc.ravel(), u), minlength=n_all + 1)[1:]
    cm_all = np.column_stack([sr / cnt + r0, sc / cnt + c0])
    return [
        cm_all[first[k] : top[k]]
        if top[k] - first[k] >= 5
        else "geometry: fewer than 5 peaks in the autocorrelogram"
        for k in range(u)
    ]


def geometry_from_peaks(cms: list[NDArray[np.float64]], centre: tuple[int, int]) -> list:
    """BNT's spacing, orientation and ellipse from each map's peak centroids (row, col).

    Per map: the peak at orientation exactly 0 is dropped; of two peaks closer than 15 deg in
    orientation the farther (the later on a tie) is dropped; the six nearest remain. Their
    ellipse is fitted; the three axis peaks are the one nearest 0 deg and the two next to it
    in angle. The maps' peak lists are padded to one length and handled together.

    Returns
    -------
    list of (spacing (3,), orientation (3,), ellipse (5,), theta, reason)
    """
    u = len(cms)
    if u == 0:
        return []
    hy, hx = centre
    n = np.array([c.shape[0] for c in cms])
    width = int(n.max())
    valid = np.arange(width)[None, :] < n[:, None]
    cm = np.zeros((u, width, 2))
    cm[valid] = np.concatenate(cms)
    cy, cx = cm[..., 0] - hy, cm[..., 1] - hx
    orient = np.arctan2(cy, cx)
    dist2 = cx * cx + cy * cy
    keep = valid.copy()
    zero = valid & (orient == 0)
    has_zero = zero.any(axis=1)
    keep[has_zero, np.argmax(zero, axis=1)[has_zero]] = False
    # pairs i < j of kept peaks closer than 15 deg in orientation: drop the farther one
    # (the later one on a tie), as BNT
    # the wrapped difference is evaluated exactly as the reference, but only where it can be
    # near the limit (|raw| within 1e-6 rad of [0, 15 deg] or of [345 deg, 360 deg])
    raw = orient[:, :, None] - orient[:, None, :]
    cand = (
        keep[:, :, None]
        & keep[:, None, :]
        & np.triu(np.ones((width, width), bool), k=1)[None]
        & (
            (np.abs(raw) < MIN_ORIENTATION + 1e-6)
            | (np.abs(raw) > 2 * np.pi - MIN_ORIENTATION - 1e-6)
        )
    )
    pair = np.zeros_like(cand)
    pair[cand] = np.abs(np.angle(np.exp(1j * raw[cand]))) < MIN_ORIENTATION
    farther = dist2[:, :, None] > dist2[:, None, :]
    keep &= ~np.any(pair & farther, axis=2) & ~np.any(pair & ~farther, axis=1)
    n_keep = keep.sum(axis=1)
    few = pair.any(axis=(1, 2)) & (n_keep < 4)
    order = np.argsort(np.where(keep, dist2, np.inf), axis=1, kind="stable")[:, :6]
    n6 = np.minimum(n_keep, 6)
    m6 = np.arange(order.shape[1])[None, :] < n6[:, None]
    ox = np.take_along_axis(cx, order, 1)
    oy = np.take_along_axis(cy, order, 1)
    ang = np.where(m6, np.rad2deg(np.arctan2(oy, ox)), np.nan)
    spacing = np.where(m6, np.sqrt(ox * ox + oy * oy), np.nan)
    ell = np.full((u, 5), np.nan)
    px = np.take_along_axis(cm[..., 1], order, 1)
    py = np.take_along_axis(cm[..., 0], order, 1)
    for size in (5, 6):
        rows = np.flatnonzero((n6 == size) & ~few)
        if rows.size:
            ell[rows] = fit_ellipse(px[rows, :size], py[rows, :size])
    theta = np.mod(ell[:, 4], 2 * np.pi)
    theta = np.where(theta > np.pi, theta - 2 * np.pi, theta) + np.pi
    key = np.where(m6, np.abs(ang), np.inf)
    first = np.argmin(key, axis=1)
    ang_first = ang[np.arange(u), first]
    key3 = np.where(m6, np.abs(ang - ang_first[:, None]), np.inf)
    three = np.argsort(key3, axis=1, kind="stable")[:, :3]
    o3 = np.take_along_axis(ang, three, 1)
    s3 = np.take_along_axis(spacing, three, 1)
    srt = np.argsort(o3, axis=1, kind="stable")
    o3 = np.deg2rad(np.take_along_axis(o3, srt, 1))
    s3 = np.take_along_axis(s3, srt, 1)
    out = []
    for k in range(u):
        if few[k]:
            out.append(no_geometry("geometry: fewer than 4 distinct peaks"))
        else:
            out.append((s3[k], o3[k], ell[k], theta[k], ""))
    return out


def fit_ellipse(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """BNT ``fitEllipse`` of each point set of a stack ``(B, m)``, m >= 5 -> ``(B, 5)``.

    Fitzgibbon's direct least-squares ellipse with Halir and Flusser's split, on coordinates
    centred and scaled per set; returns the centre column, centre row, the two semi-axes and
    the axis angle (rad), NaN for a set that is degenerate (no spread, a singular system, or
    not exactly one elliptic solution).
    """
    b = x.shape[0]
    out = np.full((b, 5), np.nan)
    mx, my = x.mean(axis=1), y.mean(axis=1)
    sx = (x.max(axis=1) - x.min(axis=1)) / 2
    sy = (y.max(axis=1) - y.min(axis=1)) / 2
    ok = (sx != 0) & (sy != 0)
    if not ok.any():
        return out
    x, y, mx, my, sx, sy = x[ok], y[ok], mx[ok], my[ok], sx[ok], sy[ok]
    xn, yn = (x - mx[:, None]) / sx[:, None], (y - my[:, None]) / sy[:, None]
    d = np.stack([xn * xn, xn * yn, yn * yn, xn, yn, np.ones_like(xn)], axis=-1)
    s = d.transpose(0, 2, 1) @ d
    c1 = np.array([[0.0, 0, -2], [0, 1, 0], [-2, 0, 0]])
    try:
        e = np.linalg.solve(s[:, 3:, 3:], s[:, :3, 3:].transpose(0, 2, 1))
        ev, vec = np.linalg.eig(np.linalg.solve(c1[None], s[:, :3, :3] - s[:, :3, 3:] @ e))
    except np.linalg.LinAlgError:  # a singular system somewhere: fit the sets one by one
        if x.shape[0] > 1:
            out[ok] = np.concatenate(
                [fit_ellipse(x[i : i + 1], y[i : i + 1]) for i in range(len(x))]
            )
        return out
    sel = (np.real(ev) < 1e-8) & np.isfinite(ev)
    one = sel.sum(axis=1) == 1
    a3 = np.real(vec[np.arange(vec.shape[0]), :, np.argmax(sel, axis=1)])  # (B, 3)
    a = np.concatenate([a3, -(e @ a3[:, :, None])[:, :, 0]], axis=1)
    par = np.stack(
        [
            a[:, 0] * sy * sy,
            a[:, 1] * sx * sy,
            a[:, 2] * sx * sx,
            -2 * a[:, 0] * sy * sy * mx - a[:, 1] * sx * sy * my + a[:, 3] * sx * sy * sy,
            -a[:, 1] * sx * sy * mx - 2 * a[:, 2] * sx * sx * my + a[:, 4] * sx * sx * sy,
            a[:, 0] * sy * sy * mx * mx
            + a[:, 1] * sx * sy * mx * my
            + a[:, 2] * sx * sx * my * my
            - a[:, 3] * sx * sy * sy * mx
            - a[:, 4] * sx * sx * sy * my
            + a[:, 5] * sx * sx * sy * sy,
        ],
        axis=1,
    )
    par = np.where((par[:, 0] + par[:, 2] < 0)[:, None], -par, par)
    th = 0.5 * np.arctan2(par[:, 1], par[:, 0] - par[:, 2])
    ct, st = np.cos(th), np.sin(th)
    au = par[:, 3] * ct + par[:, 4] * st
    av = -par[:, 3] * st + par[:, 4] * ct
    auu = par[:, 0] * ct * ct + par[:, 2] * st * st + par[:, 1] * st * ct
    avv = par[:, 0] * st * st + par[:, 2] * ct * ct - par[:, 1] * st * ct
    with np.errstate(divide="ignore", invalid="ignore"):
        tu, tv = -au / (2 * auu), -av / (2 * avv)
        wc = par[:, 5] - auu * tu * tu - avv * tv * tv
        uc, vc = tu * ct - tv * st, tu * st + tv * ct
        ru, rv = -wc / auu, -wc / avv
    ru = np.sqrt(abs(ru)) * np.sign(ru)
    rv = np.sqrt(abs(rv)) * np.sign(rv)
    res = np.stack([uc, vc, ru, rv, th], axis=1)
    res[~one] = np.nan
    out[ok] = res
    return out


def bnt_geometry(a, score, best_r, reasons, centre):  # noqa: ANN001
    """Spacing, orientation, ellipse and its angle of every scored map (NaN elsewhere)."""
    u = a.shape[0]
    spacing = np.full((u, 3), np.nan)
    orient = np.full((u, 3), np.nan)
    ellipse = np.full((u, 5), np.nan)
    theta = np.full(u, np.nan)
    geo = np.flatnonzero(np.isfinite(score))
    units, peaks = [], []
    for radius in np.unique(best_r[geo]):
        group = geo[best_r[geo] == radius]
        for i, res in zip(group, peaks_stack(a[group], float(radius)), strict=True):
            if isinstance(res, str):
                reasons[i] = res
            else:
                units.append(i)
                peaks.append(res)
    results = geometry_from_peaks(peaks, centre)
    for i, res in zip(units, results, strict=True):
        spacing[i], orient[i], ellipse[i], theta[i], reasons[i] = res
    return spacing, orient, ellipse, theta
