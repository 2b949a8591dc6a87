"""Grid scores of spatial autocorrelograms, vectorised over a stack of units.

BNT ``gridnessScore`` (2020 mirror) and DeepMind's ``GridScorer`` (Banino et al. 2018).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage
from skimage.morphology import local_maxima

from hippocore._checks import as_float_array, check_choice
from hippocore.analysis._stack import reject_inf

from ._adaptive import (
    _CachedGrower,
    _fields_from,
    _grow_fields,
    _keeps_growing,
    _open_by_reconstruction,
    _windowed_regions,
    placefield_adaptive,
)

__all__ = ["Gridness", "gridness"]

_BNT_ANGLES = (30, 60, 90, 120, 150)
_DM_ANGLES = (30, 45, 60, 90, 120, 135, 150)
# DeepMind train.py rings: inner 0.2 n, outer 0.4 n .. 1.0 n (n = rate-map side)
_DM_RINGS = tuple((0.2, float(e)) for e in np.linspace(0.4, 1.0, 10))
_MIN_ORIENTATION = np.deg2rad(15.0)
_BLOCK = 64  # units per block of the centre-field search
_SQUARE3 = np.ones((3, 3), dtype=bool)
_UNIT_SQUARE3 = np.zeros((3, 3, 3), dtype=bool)  # 8-connected within a unit only
_UNIT_SQUARE3[1] = True


@dataclass(frozen=True)
class Gridness:
    """Grid score and grid geometry of one autocorrelogram or a stack (leading ``unit`` axis).

    Attributes
    ----------
    score : float or ndarray (n_unit,)
        Gridness (BNT: min(r60, r120) - max(r30, r90, r150) averaged over 3 radii, in [-2, 2];
        DeepMind: ``score_60``). NaN where it cannot be computed (see ``reason``).
    spacing : ndarray (3,) or (n_unit, 3)
        Distances (bins of the autocorrelogram = rate-map bins) from the centre to the three
        axis peaks, sorted by orientation; NaN if fewer than the needed peaks were found.
    orientation : ndarray (3,) or (n_unit, 3)
        Angles of those peaks (rad, counter-clockwise from +x, y up), ascending.
    centre_radius : float or ndarray (n_unit,)
        BNT: radius (bins) of the central field, floor(sqrt(area / pi)). DeepMind: inner radius
        of the best ring.
    best_radius : float or ndarray (n_unit,)
        BNT: outer radius (bins) at the centre of the best 3-radius window. DeepMind: outer
        radius of the best ring.
    ellipse : ndarray (5,) or (n_unit, 5)
        Ellipse through the six nearest peaks (BNT ``fitEllipse``): centre column, centre row
        (0-based bins), the two semi-axes (bins) and the axis angle (rad).
    ellipse_theta : float or ndarray (n_unit,)
        BNT's reported ellipse angle: the axis angle wrapped to [-pi, pi] plus pi (rad).
    score_90 : float or ndarray (n_unit,)
        DeepMind ``score_90`` (c90 - (c45 + c135) / 2, max over rings); NaN for BNT.
    reason : str or ndarray of str (n_unit,)
        Empty when everything was computed; otherwise why the score (or the geometry) is NaN.
    method : str
        "bnt" or "deepmind".
    """

    score: NDArray[np.float64] | float
    spacing: NDArray[np.float64]
    orientation: NDArray[np.float64]
    centre_radius: NDArray[np.float64] | float
    best_radius: NDArray[np.float64] | float
    ellipse: NDArray[np.float64]
    ellipse_theta: NDArray[np.float64] | float
    score_90: NDArray[np.float64] | float
    reason: NDArray[np.str_] | str
    method: str


# ----------------------------------------------------------------------------- rotation


@lru_cache(maxsize=16)
def _rotation_matrix(shape: tuple[int, int], angle_deg: float) -> scipy.sparse.csr_matrix:
    """Sparse (P, P) bilinear rotation about the array centre, zero outside the array.

    Same mapping as ``skimage.transform.rotate(img, angle, order=1, mode='constant')``
    (BNT ``imrotate(..., 'bilinear', 'crop')`` for odd sizes, per the team's reference).
    """
    h, w = shape
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    a = np.deg2rad(angle_deg)
    rr, cc = np.mgrid[0:h, 0:w]
    xs = np.cos(a) * (cc - cx) - np.sin(a) * (rr - cy) + cx
    ys = np.sin(a) * (cc - cx) + np.cos(a) * (rr - cy) + cy
    x0, y0 = np.floor(xs).astype(np.int64), np.floor(ys).astype(np.int64)
    fx, fy = xs - x0, ys - y0
    rows, cols, vals = [], [], []
    out = np.arange(h * w)
    for dy, dx, wgt in (
        (0, 0, (1 - fy) * (1 - fx)),
        (0, 1, (1 - fy) * fx),
        (1, 0, fy * (1 - fx)),
        (1, 1, fy * fx),
    ):
        yy, xx = (y0 + dy).ravel(), (x0 + dx).ravel()
        ok = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w) & (wgt.ravel() != 0)
        rows.append(out[ok])
        cols.append(yy[ok] * w + xx[ok])
        vals.append(wgt.ravel()[ok])
    m = scipy.sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(h * w, h * w)
    )
    return m


def _rotate_stack(a: NDArray[np.float64], angle_deg: float) -> NDArray[np.float64]:
    """Rotate every map of a (U, h, w) stack with one sparse product."""
    u, h, w = a.shape
    m = _rotation_matrix((h, w), float(angle_deg))
    return (m @ a.reshape(u, h * w).T).T.reshape(u, h, w)


# ----------------------------------------------------------------------------- BNT


@lru_cache(maxsize=16)
def _shells(shape: tuple[int, int]):
    """Pixel order and shell boundaries for annuli r < d < R with integer r, R.

    Shells: ``open k`` holds d in (k-1, k), ``exact k`` holds d == k. Then the annulus
    r < d < R is exact shells r+1 .. R-1 plus open shells r+1 .. R.
    """
    h, w = shape
    hy, hx = -(-h // 2) - 1, -(-w // 2) - 1  # BNT centre ceil(size/2), 0-based
    rad = min(hy, hx) + 1  # BNT aCorrRad = min(ceil(size/2))
    rr, cc = np.mgrid[0:h, 0:w]
    d = np.sqrt((rr - hy) ** 2.0 + (cc - hx) ** 2.0).ravel()
    exact = d == np.round(d)
    k = np.where(exact, np.round(d), np.ceil(d)).astype(np.int64)
    keep = np.flatnonzero(d < rad)
    # shell id: 2k for exact k, 2k-1 for open k (open k lies between exact k-1 and exact k)
    sid = np.where(exact, 2 * k, 2 * k - 1)[keep]
    order = np.argsort(sid, kind="stable")
    pix = keep[order]
    sid = sid[order]
    n_shell = 2 * rad + 1
    starts = np.searchsorted(sid, np.arange(n_shell))
    return pix, starts, sid, n_shell, rad, (hy, hx), d.reshape(h, w)


@lru_cache(maxsize=16)
def _shell_rotations(shape: tuple[int, int]):
    """The five BNT rotations restricted to the disc's pixels (in shell order), stacked.

    Returns a sparse (5 P_disc, h w) matrix: rows ``k P_disc .. (k+1) P_disc - 1`` give the
    rotation by ``_BNT_ANGLES[k]`` at the disc pixels ``pix`` of :func:`_shells`.
    """
    pix = _shells(shape)[0]
    return scipy.sparse.vstack(
        [_rotation_matrix(shape, float(ang))[pix] for ang in _BNT_ANGLES], format="csr"
    )


@lru_cache(maxsize=16)
def _present_shells(sid_bytes: bytes) -> NDArray[np.int64]:
    """Shell ids that hold at least one pixel (``np.unique`` of the sorted shell ids)."""
    return np.unique(np.frombuffer(sid_bytes, dtype=np.int64))


def _shell_sums(x: NDArray[np.float64], starts, sid, n_shell) -> NDArray[np.float64]:
    """Sum the first axis of x (rows in shell order) per shell id -> (n_shell, ...)."""
    out = np.zeros((n_shell,) + x.shape[1:])
    present = _present_shells(sid.tobytes())
    out[present] = np.add.reduceat(x, starts[present], axis=0)
    return out


def _bnt_radius(acorr: NDArray[np.float64], grower, centre: tuple[int, int]) -> int:  # noqa: ANN001
    """BNT findCentreRadius: adaptive field at the centre, radius floor(sqrt(area / pi)).

    Same steps as :func:`placefield_adaptive` (minPeak 0, minBins 2, peak at the centre), with
    the opening and the windowed regions computed for the whole stack beforehand.
    """
    if acorr[centre] < 0:
        return 0
    found = _grow_fields(acorr, grower.image, [centre], 0.0, grower=grower)
    _, fields = _fields_from(found, acorr, 2, 0.0, 0.0)
    if not fields:
        return 0
    hy, hx = centre
    dist = np.array([(f.peak_row - hy) ** 2 + (f.peak_col - hx) ** 2 for f in fields], float)
    order = np.argsort(dist, kind="stable")
    pick = order[0]
    if order.size >= 2 and abs(dist[order[0]] - dist[order[1]]) < 2:
        pick = order[:2][int(np.argmin([fields[i].area for i in order[:2]]))]
    return int(np.floor(np.sqrt(fields[pick].area / np.pi)))


def _centre_field_area(a: NDArray[np.float64], grower: _CachedGrower, centre: tuple[int, int]):
    """Fast path of :func:`_bnt_radius`: BNT's growth state machine on the cached regions.

    Runs areaChange at 0.96/0.94 and expandField from 0.96 down to 0.20 on the precomputed
    areas and Euler numbers of the centre's windowed regions (a region touching the window
    edge is recomputed on the whole map, as :class:`_CachedGrower` does), builds only the
    final region and applies :func:`_fields_from`'s filters (minBins 2, minPeak 0, mean >= 0)
    to that single 4-connected region. Returns the field's area (0 if it is rejected), or
    None when BNT would fall back to its 0.97-1.0 thresholds; the caller then takes the
    general path (:func:`_bnt_radius`).
    """
    n_th = grower.area.size
    full: dict[int, tuple[int | None, NDArray[np.bool_] | None]] = {}

    def region(k: int) -> int | None:
        if grower.touch[k]:
            if k not in full:
                # the windowed component reaches the window's edge, so (as _Grower.region
                # then does) take the component in the whole map
                v = grower.image[centre] * round((20 + 2 * k) / 100.0, 2)
                pix, euler = grower._component(grower.image, centre, v)
                full[k] = (int(np.count_nonzero(pix)) if euler > 0 else None, pix)
            return full[k][0]
        return None if grower.euler[k] <= 0 else int(grower.area[k])

    top = n_th - 1  # index of threshold 0.96
    if top < 1:
        return None
    a1, a2 = region(top), region(top - 1)
    if a1 is None or a2 is None:
        return None
    initial_change = a2 / a1 * 100.0
    # expandField(start 0.96): thresholds 0.96, 0.94 .. 0.20 (indices top .. 0)
    last_area, last = a2, -1
    n_same = n_decrease = 0
    for k in range(top, -1, -1):
        area = region(k)
        if area is None:
            break
        keep, n_decrease, n_same = _keeps_growing(
            area / last_area * 100.0, initial_change, n_decrease, n_same
        )
        if not keep:
            break
        last_area, last = area, k
    if last < 0:
        return None  # BNT then retries at 0.97: general path
    if last in full:
        vals = a.T[full[last][1].T]  # column-major order, as _fields_from
    else:
        vals = a[grower.ws].T[grower.sel[last].T]
    if vals.size <= 2 or vals.max() < 0 or vals.mean() < 0:
        return 0
    return int(vals.size)


def _bnt_gns(a: NDArray[np.float64], radii: NDArray[np.int64], chunk: int = 16):
    """GNS(r_u, R) for every unit and every outer radius R = 1..rad (NaN where R <= r_u).

    Pixels-major layout: the disc's pixels (in shell order) are rows, units are columns; the
    five rotations are one sparse product, the per-shell sums one ``reduceat`` over rows, and
    the annulus sums differences of cumulative shell sums.
    """
    u, h, w = a.shape
    pix, starts, sid, n_shell, rad, _, _ = _shells((h, w))
    rot = _shell_rotations((h, w))
    n_pix = pix.size
    gns = np.full((u, rad + 1), np.nan)
    big_r = np.arange(rad + 1)
    cnt = _shell_sums(np.ones(n_pix), starts, sid, n_shell)
    ccnt = np.concatenate([[0.0], np.cumsum(cnt)])
    hi_i = np.clip(2 * big_r, 0, n_shell)  # (R,)
    for lo in range(0, u, chunk):
        blk = a[lo : lo + chunk]
        nb = blk.shape[0]
        flat_t = blk.reshape(nb, h * w).T  # (h w, nb)
        x = flat_t[pix]  # (P, nb)
        y = (rot @ flat_t).reshape(len(_BNT_ANGLES), n_pix, nb).transpose(1, 0, 2)  # (P, 5, nb)
        xb = x[:, None, :]
        parts = [
            _shell_sums(x, starts, sid, n_shell)[:, None],
            _shell_sums(x * x, starts, sid, n_shell)[:, None],
            _shell_sums(y, starts, sid, n_shell),
            _shell_sums(y * y, starts, sid, n_shell),
            _shell_sums(xb * y, starts, sid, n_shell),
        ]  # each (n_shell, 1 or 5, nb)
        # cumulative over shells with a leading zero: (n_shell + 1, k, nb)
        cum = [np.concatenate([np.zeros((1,) + p.shape[1:]), np.cumsum(p, 0)], 0) for p in parts]
        # annulus r < d < R  == shells 2r+1 .. 2R-1 (inclusive)  -> cum[2R] - cum[2r+1]
        r = radii[lo : lo + nb]
        lo_i = np.clip(2 * r + 1, 0, n_shell)  # (nb,)
        n = (ccnt[hi_i][None, :] - ccnt[lo_i][:, None])[:, None, :]  # (nb, 1, R)
        cols = np.arange(nb)
        sx, sxx, sy, syy, sxy = (
            c[hi_i].transpose(2, 1, 0) - c[lo_i, :, cols][:, :, None] for c in cum
        )  # each (nb, 1 or 5, R)
        with np.errstate(invalid="ignore", divide="ignore"):
            vx = sxx - sx * sx / n
            vy = syy - sy * sy / n
            cov = sxy - sx * sy / n
            tiny = 1e-12 * np.maximum(n, 1)
            corr = np.where((vx > tiny) & (vy > tiny) & (n >= 2), cov / np.sqrt(vx * vy), np.nan)
        g = np.minimum(corr[:, 1], corr[:, 3]) - np.maximum(
            np.maximum(corr[:, 0], corr[:, 2]), corr[:, 4]
        )
        g[big_r[None, :] <= r[:, None]] = np.nan
        gns[lo : lo + nb] = g
    return gns, rad


def _nanmax_first(v: NDArray[np.float64]) -> tuple[float, int]:
    """MATLAB ``max`` on a vector: ignores NaN, first index; (NaN, 0) if all NaN."""
    if np.all(np.isnan(v)):
        return float("nan"), 0
    i = int(np.nanargmax(v))
    return float(v[i]), i


def _sliding_score(g: NDArray[np.float64]) -> tuple[float, int]:
    """BNT's score from GNS over radSteps: mean over 3 radii, best window (with its off-by-one)."""
    n = g.size
    n_win = max(n - 3, 1)
    ok = ~np.isnan(g)
    if n_win == 1:
        score = float(g[ok].mean()) if ok.any() else float("nan")
        _, loc = _nanmax_first(g)
        return score, loc
    csum = np.concatenate([[0.0], np.cumsum(np.where(ok, g, 0.0))])
    ccnt = np.concatenate([[0], np.cumsum(ok)])
    i = np.arange(n_win)
    cnt = ccnt[i + 3] - ccnt[i]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(cnt > 0, (csum[i + 3] - csum[i]) / np.maximum(cnt, 1), np.nan)
    score, k = _nanmax_first(means)
    return score, k + 1


def _sliding_score_stack(gns: NDArray[np.float64], radii: NDArray[np.int64]):
    """:func:`_sliding_score` of ``gns[j, radii[j] + 1:]`` for every row j -> (score, loc)."""
    u, width = gns.shape
    rad = width - 1
    n = rad - radii  # GNS values per unit (radSteps r+1 .. rad)
    score = np.full(u, np.nan)
    loc = np.zeros(u, dtype=np.int64)
    short = np.flatnonzero(n <= 4)  # a single window: BNT averages all values
    for j in short:
        score[j], loc[j] = _sliding_score(gns[j, radii[j] + 1 :])
    rows = np.flatnonzero(n > 4)
    if rows.size == 0:
        return score, loc
    pos = np.arange(rad)
    vals = np.take_along_axis(gns[rows], np.minimum(radii[rows, None] + 1 + pos, rad), 1)
    ok = (pos[None, :] < n[rows, None]) & ~np.isnan(vals)
    csum = np.concatenate([np.zeros((rows.size, 1)), np.cumsum(np.where(ok, vals, 0.0), 1)], 1)
    ccnt = np.concatenate([np.zeros((rows.size, 1), np.int64), np.cumsum(ok, 1)], 1)
    i = np.arange(rad - 3)
    cnt = ccnt[:, i + 3] - ccnt[:, i]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(cnt > 0, (csum[:, i + 3] - csum[:, i]) / np.maximum(cnt, 1), np.nan)
    means[i[None, :] >= (n[rows, None] - 3)] = np.nan  # windows 0 .. n - 4 only
    some = ~np.all(np.isnan(means), axis=1)
    k = np.zeros(rows.size, dtype=np.int64)
    k[some] = np.nanargmax(means[some], axis=1)
    score[rows[some]] = means[some, k[some]]
    loc[rows] = k + 1
    return score, loc


def _fit_ellipse(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
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


def _dilate(mask: NDArray[np.bool_], *, square: bool) -> NDArray[np.bool_]:
    """Binary dilation by the 3x3 square (or the 4-neighbour cross) of the last two axes."""
    out = mask.copy()
    out[..., 1:, :] |= mask[..., :-1, :]
    out[..., :-1, :] |= mask[..., 1:, :]
    src = out.copy() if square else mask
    out[..., 1:] |= src[..., :-1]
    out[..., :-1] |= src[..., 1:]
    return out


def _regional_max4(best: NDArray[np.float64], inside: NDArray[np.bool_]) -> NDArray[np.bool_]:
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
        touching = _dilate(outer, square=False) & inside
        vals = best[touching]
        if np.any(vals == 0):
            return local_maxima(best, connectivity=1, allow_borders=True)
        if vals.size and np.all(vals < 0):
            out |= outer
    return out


@lru_cache(maxsize=64)
def _geometry_disc(shape: tuple[int, int], best_r: float):
    """Disc d < 1.25 best_r and its crop (bounding box plus a 1-bin frame, within the array)."""
    d = _shells(shape)[6]
    inside = d < best_r * 1.25
    rows, cols = np.nonzero(inside)
    r0, r1 = max(rows.min() - 1, 0), min(rows.max() + 2, shape[0])
    c0, c1 = max(cols.min() - 1, 0), min(cols.max() + 2, shape[1])
    return inside, (r0, r1, c0, c1)


def _bnt_geometry(a: NDArray[np.float64], best_r: float, centre: tuple[int, int], d=None):  # noqa: ANN001
    """BNT grid statistics of one map: spacing, orientation (3 axis peaks), ellipse, reason.

    The one-map reference of :func:`_bnt_geometry_stack` (which must give the same numbers).
    """
    inside, (r0, r1, c0, c1) = _geometry_disc(a.shape, float(best_r))
    best = np.where(inside, a, 0.0)
    # crop to the disc plus a 1-bin frame of zeros: the outer zero plateau keeps the same
    # neighbours, so regional maxima (and hence everything below) are unchanged
    peaks = _regional_max4(best[r0:r1, c0:c1], inside[r0:r1, c0:c1])
    grown = _dilate(peaks, square=True)
    lab, n = ndimage.label(grown.T, structure=_SQUARE3)  # MATLAB column-major order
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
    )  # (row, col) centroids in the full autocorrelogram
    return _geometry_from_peaks(cm, centre)


def _no_geometry(why: str):
    nan3, nan5 = np.full(3, np.nan), np.full(5, np.nan)
    return nan3, nan3.copy(), nan5, np.nan, why


def _bnt_peaks_stack(a: NDArray[np.float64], best_r: float) -> list:
    """Peak centroids (n, 2) as (row, col) of a stack (U, h, w) sharing one best radius.

    The first half of :func:`_bnt_geometry` for a whole stack; a map with fewer than 5 peaks
    gets the reason string instead.

    The disc, its crop, the regional maxima (strict 4-neighbour maxima; maps with ties go
    through the plateau-aware per-map path), the dilation and the labelling are done for the
    whole stack at once (a 3-D label whose structure does not connect units).
    """
    u = a.shape[0]
    inside_full, (r0, r1, c0, c1) = _geometry_disc(a.shape[1:], float(best_r))
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
        touching = _dilate(outer, square=False) & inside
        vals = best[:, touching]
        slow |= np.any(vals == 0, axis=1)
        if vals.shape[1]:
            peaks[np.all(vals < 0, axis=1)] |= outer
    for k in np.flatnonzero(slow):
        peaks[k] = _regional_max4(best[k], inside)
    grown = _dilate(peaks, square=True)
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


def _geometry_from_peaks(cm: NDArray[np.float64], centre: tuple[int, int]):
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
    close = np.triu(np.abs(diff) < _MIN_ORIENTATION, k=1)
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
    ell = _fit_ellipse(cm[idx, 1], cm[idx, 0])
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


def _geometry_from_peaks_stack(cms: list[NDArray[np.float64]], centre: tuple[int, int]) -> list:
    """:func:`_geometry_from_peaks` for many maps at once (peak lists padded to one length)."""
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
            (np.abs(raw) < _MIN_ORIENTATION + 1e-6)
            | (np.abs(raw) > 2 * np.pi - _MIN_ORIENTATION - 1e-6)
        )
    )
    pair = np.zeros_like(cand)
    pair[cand] = np.abs(np.angle(np.exp(1j * raw[cand]))) < _MIN_ORIENTATION
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
            ell[rows] = _fit_ellipse_stack(px[rows, :size], py[rows, :size])
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
            out.append(_no_geometry("geometry: fewer than 4 distinct peaks"))
        else:
            out.append((s3[k], o3[k], ell[k], theta[k], ""))
    return out


def _fit_ellipse_stack(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """:func:`_fit_ellipse` for a stack of point sets (B, m), m >= 5 -> (B, 5)."""
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
    except np.linalg.LinAlgError:  # a singular system somewhere: the one-map path per set
        out[ok] = [_fit_ellipse(xi, yi) for xi, yi in zip(x, y, strict=True)]
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


def _centre_radii(a: NDArray[np.float64], todo: NDArray[np.intp], centre: tuple[int, int]):
    """BNT's centre-field radius of the maps ``todo`` of a normalised stack (0 elsewhere).

    The opening and the windowed regions are computed for blocks of maps at once; the growth
    state machine runs on them (:func:`_centre_field_area`), falling back to the general
    path (:func:`_bnt_radius`) where BNT would retry at its 0.97-1.0 thresholds.
    """
    radii = np.zeros(a.shape[0], dtype=np.int64)
    for lo in range(0, todo.size, _BLOCK):
        blk = todo[lo : lo + _BLOCK]
        opened = _open_by_reconstruction(a[blk])
        # BNT: bins below minPeak (0) are raised to 1.5 x the maximum (as _search_image)
        images = np.where(opened < 0.0, opened.max(axis=(1, 2), keepdims=True) * 1.5, opened)
        ws, area, euler, touch, sel = _windowed_regions(images, centre)
        for j, i in enumerate(blk):
            grower = _CachedGrower(images[j], ws, area[j], euler[j], touch[j], sel[j])
            found = None if a[i][centre] < 0 else _centre_field_area(a[i], grower, centre)
            if found is None:
                radii[i] = _bnt_radius(a[i], grower, centre)
            else:
                radii[i] = int(np.floor(np.sqrt(found / np.pi)))
    return radii


def _check_radii(radii, valid, reasons, rad: int) -> None:  # noqa: ANN001
    """Mark maps whose centre field is missing (radius 0, +-1) or fills the autocorrelogram."""
    for i in np.flatnonzero(valid):
        if radii[i] in (0, 1, -1):
            valid[i] = False
            reasons[i] = (
                f"centre field radius {radii[i]} (no central peak found by placefieldAdaptive)"
            )
        elif radii[i] >= rad:
            valid[i] = False
            reasons[i] = (
                f"centre field radius {radii[i]} fills the autocorrelogram (radius {rad}); "
                "the map is smaller than one grid period"
            )


def _bnt_scores(a, radii, valid, reasons, *, stacked: bool = True):  # noqa: ANN001
    """BNT's score and best radius of the valid maps (NaN elsewhere)."""
    u = a.shape[0]
    score = np.full(u, np.nan)
    best_r = np.full(u, np.nan)
    ok = np.flatnonzero(valid)
    if ok.size:
        gns, _ = _bnt_gns(a[ok], radii[ok])
        if stacked:
            score[ok], loc = _sliding_score_stack(gns, radii[ok])
        else:
            sc = [_sliding_score(gns[j, radii[i] + 1 :]) for j, i in enumerate(ok)]
            score[ok], loc = np.array([v[0] for v in sc]), np.array([v[1] for v in sc])
        best_r[ok] = radii[ok] + 1 + loc  # radSteps = r+1 .. rad
        for i in ok[np.isnan(score[ok])]:
            reasons[i] = "no annulus had a defined correlation (flat autocorrelogram)"
    return score, best_r


def _bnt_geometry_all(a, score, best_r, reasons, centre, *, stacked: bool = True):  # noqa: ANN001
    """Spacing, orientation, ellipse and its angle of every scored map (NaN elsewhere)."""
    u = a.shape[0]
    spacing = np.full((u, 3), np.nan)
    orient = np.full((u, 3), np.nan)
    ellipse = np.full((u, 5), np.nan)
    theta = np.full(u, np.nan)
    geo = np.flatnonzero(np.isfinite(score))
    if stacked:
        units, peaks = [], []
        for radius in np.unique(best_r[geo]):
            group = geo[best_r[geo] == radius]
            for i, res in zip(group, _bnt_peaks_stack(a[group], float(radius)), strict=True):
                if isinstance(res, str):
                    reasons[i] = res
                else:
                    units.append(i)
                    peaks.append(res)
        results = _geometry_from_peaks_stack(peaks, centre)
    else:
        units = list(geo)
        results = [_bnt_geometry(a[i], float(best_r[i]), centre) for i in geo]
    for i, res in zip(units, results, strict=True):
        spacing[i], orient[i], ellipse[i], theta[i], reasons[i] = res
    return spacing, orient, ellipse, theta


def _gridness_bnt(
    a: NDArray[np.float64],
    valid: NDArray[np.bool_],
    reasons: list[str],
    *,
    stacked: bool = True,
):
    """BNT gridnessScore of a normalised stack.

    ``stacked=False`` is the one-map reference path the stacked one is tested against: the
    centre radius from :func:`placefield_adaptive` on each map, BNT's sliding score and the
    grid geometry one map at a time.
    """
    u, h, w = a.shape
    _, _, _, _, rad, centre, _ = _shells((h, w))
    todo = np.flatnonzero(valid)
    if stacked:
        radii = _centre_radii(a, todo, centre)
    else:  # reference: BNT's placefieldAdaptive on each map on its own
        radii = np.zeros(u, dtype=np.int64)
        for i in todo:
            _, fields = placefield_adaptive(a[i], min_peak=0, min_bins=2, peak_coords=[centre])
            radii[i] = int(np.floor(np.sqrt(fields[0].area / np.pi))) if fields else 0
    _check_radii(radii, valid, reasons, rad)
    score, best_r = _bnt_scores(a, radii, valid, reasons, stacked=stacked)
    spacing, orient, ellipse, theta = _bnt_geometry_all(
        a, score, best_r, reasons, centre, stacked=stacked
    )
    cr = np.where(radii > 0, radii.astype(float), np.nan)
    return score, spacing, orient, cr, best_r, ellipse, theta, np.full(u, np.nan)


def _bnt_score_only(acorr: NDArray[np.float64], *, block: int = 256) -> NDArray[np.float64]:
    """BNT gridness score (only) of a stack of autocorrelograms made by :func:`autocorrelogram`.

    The numbers equal ``gridness(acorr).score``; the grid geometry is not computed, the
    input is taken as finite and is normalised in place, block by block (cache-sized).
    """
    u, h, w = acorr.shape
    out = np.full(u, np.nan)
    if h < 3 or w < 3:
        return out
    _, _, _, _, rad, centre, _ = _shells((h, w))
    for lo in range(0, u, block):
        a = acorr[lo : lo + block]
        valid, reasons = _normalise(a)
        radii = _centre_radii(a, np.flatnonzero(valid), centre)
        _check_radii(radii, valid, reasons, rad)
        out[lo : lo + block] = _bnt_scores(a, radii, valid, reasons)[0]
    return out


def _normalise(a: NDArray[np.float64]) -> tuple[NDArray[np.bool_], list[str]]:
    """Divide each map of a finite-or-NaN stack by its peak in place (BNT); flag unusable maps.

    Maps holding NaN or without a positive peak are set to 0 and marked invalid, with the
    reason. Returns ``(valid, reasons)``.
    """
    u = a.shape[0]
    reasons = [""] * u
    peak = a.max(axis=(1, 2)) if a.size else np.zeros(u)  # NaN where a map holds NaN
    has_nan = np.isnan(peak)
    valid = ~has_nan & (peak > 0)
    for i in np.flatnonzero(has_nan):
        reasons[i] = "autocorrelogram contains NaN"
    for i in np.flatnonzero(~has_nan & ~valid):
        reasons[i] = "autocorrelogram has no positive peak (empty, all-NaN or constant map)"
    scale = valid & (peak != 1)
    if scale.any():
        a[scale] /= peak[scale, None, None]
    a[~valid] = 0.0
    return valid, reasons


# ----------------------------------------------------------------------------- DeepMind


def _gridness_deepmind(a: NDArray[np.float64], valid: NDArray[np.bool_], reasons: list[str]):
    u, h, w = a.shape
    n_bins = (h + 1) / 2.0
    sz = h // 2
    coord = np.linspace(-sz, sz, h)
    dist = np.sqrt(coord[None, :] ** 2 + coord[:, None] ** 2)
    rotated = {
        ang: ndimage.rotate(a, ang, axes=(2, 1), reshape=False, order=3) for ang in _DM_ANGLES
    }
    s60 = np.full((u, len(_DM_RINGS)), np.nan)
    s90 = np.full((u, len(_DM_RINGS)), np.nan)
    for k, (lo, hi) in enumerate(_DM_RINGS):
        mask = ((dist <= hi * n_bins) & ~(dist <= lo * n_bins)).astype(float)
        area = mask.sum()
        mean = (a * mask).sum(axis=(1, 2)) / area
        cen = (a - mean[:, None, None]) * mask
        var = (cen**2).sum(axis=(1, 2)) / area + 1e-5
        c = {
            ang: ((cen * (rot - mean[:, None, None]) * mask).sum(axis=(1, 2)) / area) / var
            for ang, rot in rotated.items()
        }
        s60[:, k] = (c[60] + c[120]) / 2 - (c[30] + c[90] + c[150]) / 3
        s90[:, k] = c[90] - (c[45] + c[135]) / 2
    i60 = np.argmax(s60, axis=1)
    i90 = np.argmax(s90, axis=1)
    rings = np.array(_DM_RINGS) * n_bins
    score = np.where(valid, s60[np.arange(u), i60], np.nan)
    score90 = np.where(valid, s90[np.arange(u), i90], np.nan)
    inner = np.where(valid, rings[i60, 0], np.nan)
    outer = np.where(valid, rings[i60, 1], np.nan)
    nan3 = np.full((u, 3), np.nan)
    return (
        score,
        nan3,
        nan3.copy(),
        inner,
        outer,
        np.full((u, 5), np.nan),
        np.full(u, np.nan),
        score90,
    )


# ----------------------------------------------------------------------------- public


def gridness(acorr: ArrayLike, *, method: str = "bnt") -> Gridness:
    """Grid score of a spatial autocorrelogram (or a stack), BNT or DeepMind definition.

    ``method="bnt"`` (default; the rodent-lab standard) is BNT ``analyses.gridnessScore``
    (2020 mirror, brkanter/BNT a872035): normalise by the maximum; centre-field radius r from
    :func:`placefield_adaptive` (minPeak 0, minBins 2, started at the centre); radii
    R = r+1 .. ceil(n/2); bilinear rotations by 30..150 deg; Pearson correlation over each
    annulus r < d < R; GNS(R) = min(r60, r120) - max(r30, r90, r150); score = the best mean of
    GNS over 3 consecutive radii (windows 1 .. n_R-3, BNT's off-by-one; the mean of all GNS if
    there is only one window). Spacing and orientation come from the six peaks nearest the
    centre inside 1.25 x the best radius (regional maxima, 15 deg minimum separation).

    ``method="deepmind"`` is DeepMind's ``GridScorer`` (grid-cells ``scores.py``, d1a2304):
    cubic-spline rotations (scipy ``ndimage.rotate``, order 3) by 30, 45, 60, 90, 120, 135,
    150 deg; ten rings with inner radius 0.2 n and outer radius 0.4 n .. 1.0 n (n = rate-map
    side, inferred as (m + 1) / 2 from the autocorrelogram side m); its asymmetric ring
    correlation (rotated map centred with the original's mean, divided by the original's
    variance + 1e-5); ``score`` = max over rings of (c60 + c120)/2 - (c30 + c90 + c150)/3 and
    ``score_90`` = max over rings of c90 - (c45 + c135)/2. For DeepMind's exact numbers pass
    the uncropped autocorrelogram (``autocorrelogram(rate, crop=False)``); spacing and
    orientation are not part of that method (NaN). Its values are generally higher than BNT's:
    never mix the thresholds of the two.

    Parameters
    ----------
    acorr : array_like of shape (m_y, m_x) or (n_unit, m_y, m_x)
        Autocorrelograms from :func:`autocorrelogram` (zero lag at the centre).
    method : {"bnt", "deepmind"}, default "bnt"
        Which published definition to compute.

    Returns
    -------
    Gridness
        Scalars / per-unit arrays (a leading unit axis when given a stack).

    Notes
    -----
    NaN policy: an autocorrelogram containing NaN, with no positive maximum (all-zero,
    e.g. from an empty or constant map), or too small (a side < 3, or a centre field that
    fills it) gets a NaN score with the reason in ``reason``; nothing raises for such maps.
    An infinite value raises ``ValueError``: :func:`autocorrelogram` never makes one, so it
    means the input is not an autocorrelogram (e.g. a rate map divided by zero occupancy).
    Non-square autocorrelograms are allowed for BNT (radii up to ceil(min side / 2));
    DeepMind's rings need a square, odd-sized one (ValueError otherwise). The input is never
    modified.
    """
    method = check_choice(method, "method", ("bnt", "deepmind"))
    a = as_float_array(acorr, "acorr", ndim=(2, 3))
    reject_inf(
        a, "acorr", fix="pass autocorrelogram(rate) of a finite rate map (values in [-1, 1])"
    )
    single = a.ndim == 2
    if single:
        a = a[None]
    u, h, w = a.shape
    if method == "deepmind" and (h != w or h % 2 == 0):
        raise ValueError(
            f"method='deepmind' needs a square autocorrelogram of odd side; got {h}x{w}. "
            "Use autocorrelogram(rate, crop=False) of a square rate map."
        )
    if u and (h < 3 or w < 3):
        valid = np.zeros(u, dtype=bool)
        reasons = [f"autocorrelogram {h}x{w} is too small (needs at least 3x3)"] * u
        a[:] = 0.0
    else:
        valid, reasons = _normalise(a)
    impl = _gridness_bnt if method == "bnt" else _gridness_deepmind
    out = impl(a, valid, reasons)
    reason = np.array(reasons, dtype=str)
    fields = dict(
        zip(  # noqa: B905 - both sides have eight entries
            (
                "score",
                "spacing",
                "orientation",
                "centre_radius",
                "best_radius",
                "ellipse",
                "ellipse_theta",
                "score_90",
            ),
            out,
        )
    )
    if single:
        fields = {k: (v[0] if np.ndim(v) > 1 else float(v[0])) for k, v in fields.items()}
        return Gridness(**fields, reason=str(reason[0]), method=method)
    return Gridness(**fields, reason=reason, method=method)
