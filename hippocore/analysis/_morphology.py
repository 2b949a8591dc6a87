"""Binary and grey morphology on stacks of maps ``(..., y, x)``, shared by the field detectors.

The Euler number of 8-connected regions (Gray 1971: counts of 2x2 quads, as BNT's lookup
table), 3x3 dilation, and opening by reconstruction (MATLAB ``imreconstruct`` of an erosion),
each written once and vectorised over a leading stack axis.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_WCHUNK = 16

__all__ = [
    "euler8",
    "euler_from_quads",
    "dilate",
    "open_by_reconstruction",
    "open_by_reconstruction_window",
    "reconstruct",
]


def euler_from_quads(q1, q3, qd):  # noqa: ANN001, ANN201
    """Euler number (objects minus holes, 8-connected foreground) from 2x2 quad counts.

    ``q1`` and ``q3`` count the quads with exactly one and exactly three foreground bins,
    ``qd`` those with two diagonal ones; the image is framed by background. Works on numbers
    or arrays of counts.
    """
    return (q1 - q3 - 2 * qd) // 4


def euler8(masks: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Euler number of each 2-D mask of a stack ``(k, y, x)`` (8-connected foreground).

    Parameters
    ----------
    masks : ndarray of bool, shape (k, y, x)
        Regions; the frame outside the array is background.

    Returns
    -------
    ndarray of int, shape (k,)
        Objects minus holes of each mask.
    """
    p = np.pad(masks, ((0, 0), (1, 1), (1, 1))).astype(np.int8)
    a, b, c, d = p[:, :-1, :-1], p[:, :-1, 1:], p[:, 1:, :-1], p[:, 1:, 1:]
    s = a + b + c + d
    q1 = np.count_nonzero(s == 1, axis=(1, 2))
    q3 = np.count_nonzero(s == 3, axis=(1, 2))
    qd = np.count_nonzero((s == 2) & (a == d), axis=(1, 2))
    return euler_from_quads(q1, q3, qd)


def dilate(mask: NDArray[np.bool_], *, square: bool) -> NDArray[np.bool_]:
    """Binary dilation by the 3x3 square (or the 4-neighbour cross) of the last two axes."""
    out = mask.copy()
    out[..., 1:, :] |= mask[..., :-1, :]
    out[..., :-1, :] |= mask[..., 1:, :]
    src = out.copy() if square else mask
    out[..., 1:] |= src[..., :-1]
    out[..., :-1] |= src[..., 1:]
    return out


def _erode_cross(stack: NDArray[np.float64]) -> NDArray[np.float64]:
    """Erosion by the 3x3 cross of a (U, h, w) stack, in-bounds neighbours only."""
    r = stack.copy()
    np.minimum(r[:, 1:], stack[:, :-1], out=r[:, 1:])
    np.minimum(r[:, :-1], stack[:, 1:], out=r[:, :-1])
    np.minimum(r[:, :, 1:], stack[:, :, :-1], out=r[:, :, 1:])
    np.minimum(r[:, :, :-1], stack[:, :, 1:], out=r[:, :, :-1])
    return r


def open_by_reconstruction(stack: NDArray[np.float64], chunk: int = 16) -> NDArray[np.float64]:
    """Opening by reconstruction of every map of a (U, h, w) stack, vectorised.

    Erosion with the 3x3 cross (in-bounds bins only, as MATLAB pads erosions with +inf), then
    reconstruction by dilation (8-connected) under the map (:func:`reconstruct`). Equal to
    ``skimage.morphology.reconstruction`` (tested).
    """
    return reconstruct(_erode_cross(stack), stack, chunk=chunk)


def reconstruct(
    marker: NDArray[np.float64], mask: NDArray[np.float64], chunk: int = 16
) -> NDArray[np.float64]:
    """Reconstruction by dilation (8-connected) of ``marker`` under ``mask``, (U, h, w) stacks.

    Repeated 3x3 dilation (separable, -inf outside the map) clipped by the mask until nothing
    changes, in chunks of maps small enough to stay in cache; converged maps leave the chunk.
    Only min and max of the inputs are taken, so the result is exact (any order of
    propagation gives the same numbers). ``marker`` must not exceed ``mask``.
    """
    r = marker.copy()
    u, h, w = marker.shape
    for lo in range(0, u, chunk):
        idx = np.arange(lo, min(lo + chunk, u))
        cur, limit = r[idx], mask[idx]
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
                np.minimum(nxt, limit, out=nxt)
                changed = (nxt != cur).any(axis=(1, 2))
                cur, nxt = nxt, cur
                if not changed.all():
                    break
            r[idx] = cur
            if not changed.any():
                break
            idx, cur, limit = idx[changed], cur[changed], limit[changed]  # drop converged maps
    return r


def open_by_reconstruction_window(
    stack: NDArray[np.float64], centre: tuple[int, int], inner: int, margin: int = 6
):
    """Opening by reconstruction of a (U, h, w) stack on the window ``centre +- inner`` only.

    The reconstruction runs in the larger window ``centre +- (inner + margin)`` twice: with
    the window's outside as -inf (a lower bound: paths from outside are ignored) and with the
    window's edge bins raised to the mask (an upper bound: whatever a path from outside
    brings into the window is at most the mask where it enters). Where the two agree on the
    inner window, the opening there is exact. Returns ``(values, exact, peak)``: the lower
    bound on the inner window ``(U, hi, wi)``, which maps are exact ``(U,)``, and every map's
    largest opened value ``(U,)`` (the erosion's maximum: reconstruction neither creates nor
    loses the highest marker value).
    """
    u, h, w = stack.shape
    marker = _erode_cross(stack)
    peak = marker.max(axis=(1, 2)) if marker.size else np.zeros(u)
    k = inner + margin
    r0, r1 = max(centre[0] - k, 0), min(centre[0] + k + 1, h)
    c0, c1 = max(centre[1] - k, 0), min(centre[1] + k + 1, w)
    mask = stack[:, r0:r1, c0:c1]
    low = marker[:, r0:r1, c0:c1]
    high = low.copy()
    for edge, inside in (
        ((slice(None), 0), r0 > 0),
        ((slice(None), -1), r1 < h),
        ((slice(None), slice(None), 0), c0 > 0),
        ((slice(None), slice(None), -1), c1 < w),
    ):
        if inside:
            high[edge] = mask[edge]
    both = reconstruct(np.concatenate([low, high]), np.concatenate([mask, mask]), chunk=_WCHUNK)
    i0, i1 = max(centre[0] - inner, 0) - r0, min(centre[0] + inner + 1, h) - r0
    j0, j1 = max(centre[1] - inner, 0) - c0, min(centre[1] + inner + 1, w) - c0
    lo_in, hi_in = both[:u, i0:i1, j0:j1], both[u:, i0:i1, j0:j1]
    exact = (lo_in == hi_in).all(axis=(1, 2))
    return lo_in, exact, peak
