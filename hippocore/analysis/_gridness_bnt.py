"""BNT ``gridnessScore`` (2020 mirror): the score of a stack of autocorrelograms.

Normalise by the peak, take the centre field's radius (:mod:`._centre_field`), correlate
each annulus with its rotations by 30-150 deg (one sparse product for the whole stack) and
take the best mean over three consecutive radii. The grid geometry is in
:mod:`._grid_geometry`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.sparse
from numpy.typing import NDArray

from hippocore.analysis._centre_field import centre_radii

__all__ = [
    "BNT_ANGLES",
    "normalise",
    "rotate_stack",
    "shells",
    "bnt_gns",
    "sliding_score",
    "check_radii",
    "bnt_scores",
    "bnt_score_only",
]

BNT_ANGLES = (30, 60, 90, 120, 150)


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


def rotate_stack(a: NDArray[np.float64], angle_deg: float) -> NDArray[np.float64]:
    """Rotate every map of a (U, h, w) stack with one sparse product."""
    u, h, w = a.shape
    m = _rotation_matrix((h, w), float(angle_deg))
    return (m @ a.reshape(u, h * w).T).T.reshape(u, h, w)


@lru_cache(maxsize=16)
def shells(shape: tuple[int, int]):
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
    rotation by ``BNT_ANGLES[k]`` at the disc pixels ``pix`` of :func:`shells`.
    """
    pix = shells(shape)[0]
    return scipy.sparse.vstack(
        [_rotation_matrix(shape, float(ang))[pix] for ang in BNT_ANGLES], format="csr"
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


def bnt_gns(a: NDArray[np.float64], radii: NDArray[np.int64], chunk: int = 16):
    """GNS(r_u, R) for every unit and every outer radius R = 1..rad (NaN where R <= r_u).

    Pixels-major layout: the disc's pixels (in shell order) are rows, units are columns; the
    five rotations are one sparse product, the per-shell sums one ``reduceat`` over rows, and
    the annulus sums differences of cumulative shell sums.
    """
    u, h, w = a.shape
    pix, starts, sid, n_shell, rad, _, _ = shells((h, w))
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
        y = (rot @ flat_t).reshape(len(BNT_ANGLES), n_pix, nb).transpose(1, 0, 2)  # (P, 5, nb)
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


def sliding_score(g: NDArray[np.float64]) -> tuple[float, int]:
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


def sliding_score_stack(gns: NDArray[np.float64], radii: NDArray[np.int64]):
    """:func:`sliding_score` of ``gns[j, radii[j] + 1:]`` for every row j -> (score, loc)."""
    u, width = gns.shape
    rad = width - 1
    n = rad - radii  # GNS values per unit (radSteps r+1 .. rad)
    score = np.full(u, np.nan)
    loc = np.zeros(u, dtype=np.int64)
    short = np.flatnonzero(n <= 4)  # a single window: BNT averages all values
    for j in short:
        score[j], loc[j] = sliding_score(gns[j, radii[j] + 1 :])
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


def check_radii(radii, valid, reasons, rad: int) -> None:  # noqa: ANN001
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


def bnt_scores(a, radii, valid, reasons):  # noqa: ANN001
    """BNT's score and best radius of the valid maps (NaN elsewhere)."""
    u = a.shape[0]
    score = np.full(u, np.nan)
    best_r = np.full(u, np.nan)
    ok = np.flatnonzero(valid)
    if ok.size:
        gns, _ = bnt_gns(a[ok], radii[ok])
        score[ok], loc = sliding_score_stack(gns, radii[ok])
        best_r[ok] = radii[ok] + 1 + loc  # radSteps = r+1 .. rad
        for i in ok[np.isnan(score[ok])]:
            reasons[i] = "no annulus had a defined correlation (flat autocorrelogram)"
    return score, best_r


def bnt_score_only(acorr: NDArray[np.float64], *, block: int = 256) -> NDArray[np.float64]:
    """BNT gridness score (only) of a stack of autocorrelograms made by :func:`autocorrelogram`.

    The numbers equal ``gridness(acorr).score``; the grid geometry is not computed, the
    input is taken as finite and is normalised in place, block by block (cache-sized).
    """
    u, h, w = acorr.shape
    out = np.full(u, np.nan)
    if h < 3 or w < 3:
        return out
    _, _, _, _, rad, centre, _ = shells((h, w))
    for lo in range(0, u, block):
        a = acorr[lo : lo + block]
        valid, reasons = normalise(a)
        radii = centre_radii(a, np.flatnonzero(valid), centre)
        check_radii(radii, valid, reasons, rad)
        out[lo : lo + block] = bnt_scores(a, radii, valid, reasons)[0]
    return out


def normalise(a: NDArray[np.float64]) -> tuple[NDArray[np.bool_], list[str]]:
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
