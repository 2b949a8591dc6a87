"""One-map reference path of BNT's grid score: the oracle of the stacked library code.

The library scores a whole stack at once (:mod:`hippocore.analysis._centre_field`,
:mod:`._gridness_bnt`, :mod:`._grid_geometry`). This file keeps the straightforward
one-map-at-a-time path it replaced: the centre radius from ``placefield_adaptive`` on each
map, BNT's sliding score per map and the grid geometry per map (with its own ellipse fit).
Tests check that both give the same numbers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from hippocore.analysis import placefield_adaptive
from hippocore.analysis._grid_geometry import MIN_ORIENTATION, geometry_disc, regional_max4
from hippocore.analysis._gridness_bnt import bnt_gns, check_radii, shells, sliding_score
from hippocore.analysis._morphology import dilate

_SQUARE3 = np.ones((3, 3), dtype=bool)


def gridness_bnt_one_map(a: NDArray[np.float64], valid: NDArray[np.bool_], reasons: list[str]):
    """BNT gridnessScore of a normalised stack, one map at a time (the eight outputs)."""
    u, h, w = a.shape
    _, _, _, _, rad, centre, _ = shells((h, w))
    radii = np.zeros(u, dtype=np.int64)
    for i in np.flatnonzero(valid):
        _, fields = placefield_adaptive(a[i], min_peak=0, min_bins=2, peak_coords=[centre])
        radii[i] = int(np.floor(np.sqrt(fields[0].n_bins / np.pi))) if fields else 0
    check_radii(radii, valid, reasons, rad)
    score = np.full(u, np.nan)
    best_r = np.full(u, np.nan)
    spacing, orient = np.full((u, 3), np.nan), np.full((u, 3), np.nan)
    ellipse, theta = np.full((u, 5), np.nan), np.full(u, np.nan)
    ok = np.flatnonzero(valid)
    if ok.size:
        gns, _ = bnt_gns(a[ok], radii[ok])
        for j, i in enumerate(ok):
            score[i], loc = sliding_score(gns[j, radii[i] + 1 :])
            best_r[i] = radii[i] + 1 + loc
            if np.isnan(score[i]):
                reasons[i] = "no annulus had a defined correlation (flat autocorrelogram)"
    for i in np.flatnonzero(np.isfinite(score)):
        res = bnt_geometry_one_map(a[i], float(best_r[i]), centre)
        spacing[i], orient[i], ellipse[i], theta[i], reasons[i] = res
    cr = np.where(radii > 0, radii.astype(float), np.nan)
    return score, spacing, orient, cr, best_r, ellipse, theta, np.full(u, np.nan)


def bnt_geometry_one_map(a, best_r: float, centre: tuple[int, int]):  # noqa: ANN001
    """BNT grid statistics of one map: spacing, orientation (3 axis peaks), ellipse, reason."""
    inside, (r0, r1, c0, c1) = geometry_disc(a.shape, float(best_r))
    best = np.where(inside, a, 0.0)
    peaks = regional_max4(best[r0:r1, c0:c1], inside[r0:r1, c0:c1])
    lab, n = ndimage.label(dilate(peaks, square=True).T, structure=_SQUARE3)  # column-major
    lab = lab.T
    if n < 5:
        return _no_geometry("geometry: fewer than 5 peaks in the autocorrelogram")
    rr, cc = np.indices(lab.shape)
    flat = lab.ravel()
    cnt = np.bincount(flat, minlength=n + 1)[1:]
    cm = np.column_stack(
        [
            np.bincount(flat, weights=rr.ravel(), minlength=n + 1)[1:] / cnt + r0,
            np.bincount(flat, weights=cc.ravel(), minlength=n + 1)[1:] / cnt + c0,
        ]
    )
    return geometry_from_peaks_one_map(cm, centre)


def _no_geometry(why: str):
    nan3, nan5 = np.full(3, np.nan), np.full(5, np.nan)
    return nan3, nan3.copy(), nan5, np.nan, why


def fit_ellipse_one_map(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """BNT fitEllipse (Fitzgibbon direct least squares, Halir-Flusser split) -> 5 numbers."""
    nan5 = np.full(5, np.nan)
    if x.size < 5:
        return nan5
    mx, my = x.mean(), y.mean()
    sx, sy = (x.max() - x.min()) / 2, (y.max() - y.min()) / 2
    if sx == 0 or sy == 0:
        return nan5
    xn, yn = (x - mx) / sx, (y - my) / sy
    d = np.column_stack([xn * xn, xn * yn, yn * yn, xn, yn, np.ones_like(xn)])
    s = d.T @ d
    c1 = np.array([[0.0, 0, -2], [0, 1, 0], [-2, 0, 0]])
    try:
        e = np.linalg.solve(s[3:, 3:], s[:3, 3:].T)
        ev, vec = np.linalg.eig(np.linalg.solve(c1, s[:3, :3] - s[:3, 3:] @ e))
    except np.linalg.LinAlgError:
        return nan5
    sel = np.flatnonzero((np.real(ev) < 1e-8) & np.isfinite(ev))
    if sel.size != 1:
        return nan5
    a3 = np.real(vec[:, sel[0]])
    a = np.concatenate([a3, -e @ a3])
    par = np.array(
        [
            a[0] * sy * sy,
            a[1] * sx * sy,
            a[2] * sx * sx,
            -2 * a[0] * sy * sy * mx - a[1] * sx * sy * my + a[3] * sx * sy * sy,
            -a[1] * sx * sy * mx - 2 * a[2] * sx * sx * my + a[4] * sx * sx * sy,
            a[0] * sy * sy * mx * mx
            + a[1] * sx * sy * mx * my
            + a[2] * sx * sx * my * my
            - a[3] * sx * sy * sy * mx
            - a[4] * sx * sx * sy * my
            + a[5] * sx * sx * sy * sy,
        ]
    )
    if par[0] + par[2] < 0:  # eigenvector sign is arbitrary: fix it so the semi-axes are positive
        par = -par
    th = 0.5 * np.arctan2(par[1], par[0] - par[2])
    ct, st = np.cos(th), np.sin(th)
    au = par[3] * ct + par[4] * st
    av = -par[3] * st + par[4] * ct
    auu = par[0] * ct * ct + par[2] * st * st + par[1] * st * ct
    avv = par[0] * st * st + par[2] * ct * ct - par[1] * st * ct
    with np.errstate(divide="ignore", invalid="ignore"):
        tu, tv = -au / (2 * auu), -av / (2 * avv)
        wc = par[5] - auu * tu * tu - avv * tv * tv
        uc, vc = tu * ct - tv * st, tu * st + tv * ct
        ru, rv = -wc / auu, -wc / avv
    ru = np.sqrt(abs(ru)) * np.sign(ru)
    rv = np.sqrt(abs(rv)) * np.sign(rv)
    return np.array([uc, vc, ru, rv, th])


def geometry_from_peaks_one_map(cm: NDArray[np.float64], centre: tuple[int, int]):
    """BNT's spacing/orientation/ellipse from the peak centroids ``cm`` (n, 2) as (row, col)."""
    nan3, nan5 = np.full(3, np.nan), np.full(5, np.nan)
    hy, hx = centre
    n = cm.shape[0]
    cy, cx = cm[:, 0] - hy, cm[:, 1] - hx
    orient = np.arctan2(cy, cx)
    dist2 = cx * cx + cy * cy
    zero = np.flatnonzero(orient == 0)
    keep = np.ones(n, bool)
    if zero.size:
        keep[zero[0]] = False
    idx = np.flatnonzero(keep)
    o = orient[idx]
    diff = np.angle(np.exp(1j * (o[:, None] - o[None, :])))
    close = np.triu(np.abs(diff) < MIN_ORIENTATION, k=1)
    ri, ci = np.nonzero(close.T)  # MATLAB find: column-major order
    ri, ci = ci, ri
    if ri.size:
        drop = np.unique(np.where(dist2[idx[ri]] > dist2[idx[ci]], ri, ci))
        idx = np.delete(idx, drop)
        if idx.size < 4:
            return nan3, nan3, nan5, np.nan, "geometry: fewer than 4 distinct peaks"
    idx = idx[np.argsort(dist2[idx], kind="stable")][:6]
    ox, oy = cx[idx], cy[idx]
    ang = np.rad2deg(np.arctan2(oy, ox))
    spacing = np.sqrt(ox * ox + oy * oy)
    ell = fit_ellipse_one_map(cm[idx, 1], cm[idx, 0])
    theta = np.mod(ell[4], 2 * np.pi)
    theta = (theta - 2 * np.pi if theta > np.pi else theta) + np.pi
    first = np.argsort(np.abs(ang), kind="stable")[0]
    three = np.argsort(np.abs(ang - ang[first]), kind="stable")[:3]
    o3, s3 = ang[three], spacing[three]
    srt = np.argsort(o3, kind="stable")
    o3, s3 = np.deg2rad(o3[srt]), s3[srt]
    if o3.size < 3:
        o3 = np.concatenate([o3, np.full(3 - o3.size, np.nan)])
        s3 = np.concatenate([s3, np.full(3 - s3.size, np.nan)])
    return s3, o3, ell, theta, ""
