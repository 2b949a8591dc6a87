"""DeepMind's grid score (``GridScorer``, Banino et al. 2018), vectorised over a stack.

Cubic-spline rotations of the autocorrelogram by 30-150 deg, ten rings, DeepMind's
asymmetric ring correlation; ``score_60`` and ``score_90`` are the best over the rings.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

__all__ = ["gridness_deepmind"]

_DM_ANGLES = (30, 45, 60, 90, 120, 135, 150)
# DeepMind train.py rings: inner 0.2 n, outer 0.4 n .. 1.0 n (n = rate-map side)
_DM_RINGS = tuple((0.2, float(e)) for e in np.linspace(0.4, 1.0, 10))


def gridness_deepmind(a: NDArray[np.float64], valid: NDArray[np.bool_], reasons: list[str]):
    """DeepMind scores of a normalised stack; the same eight outputs as the BNT path."""
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
