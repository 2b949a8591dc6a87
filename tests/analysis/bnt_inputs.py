"""Re-creations of BNT's synthetic test inputs (``helpers.gauss2d``, ``helpers.hexGrid``).

These rebuild the *inputs* that BNT's own unit tests (github.com/brkanter/BNT @ a872035,
``+tests/+analysesTests``) feed to the functions, from their documented behaviour, so that our
implementations can be checked against BNT's published expected values.
"""

from __future__ import annotations

import numpy as np


def gauss2d(mu, variance, shape, amplitude=None):
    """BNT ``helpers.gauss2d``: sum of Gaussians on 1-based (row, col) pixel coordinates.

    ``mu`` holds (x = column, y = row) pairs. As in BNT, the squared distance is divided by
    ``2 * variance`` (BNT calls it sigma, but it is a variance). Centres with NaN are skipped.
    """
    mu = np.atleast_2d(np.asarray(mu, dtype=float))
    var = np.broadcast_to(np.asarray(variance, dtype=float), (mu.shape[0],))
    amp = np.ones(mu.shape[0]) if amplitude is None else np.asarray(amplitude, dtype=float)
    rows, cols = np.meshgrid(np.arange(1, shape[0] + 1), np.arange(1, shape[1] + 1), indexing="ij")
    out = np.zeros(shape)
    for (xc, yc), v, a in zip(mu, var, amp, strict=True):
        if np.isnan(xc) or np.isnan(yc):
            continue
        out += a * np.exp(-((cols - xc) ** 2 / (2 * v) + (rows - yc) ** 2 / (2 * v)))
    return out


def hex_grid(rect, size):
    """Points of BNT ``helpers.hexGrid(rect, size)`` (hexagon vertices plus centres), no NaN."""
    x, y, w, h = rect
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    xlist = np.arange(0, w - size * (1 + s) + 1e-12, size * (2 + 2 * s))
    ylist = np.arange(0, h + 1e-12, size * c)
    off_x = np.tile(xlist[:, None], (1, ylist.size))
    off_y = np.tile(ylist[None, :], (xlist.size, 1))
    off_x[:, 1::2] += size * (1 + s)
    x0 = size * np.cumsum([0, s, 1, s])
    y0 = size * np.array([0, c, c, 0])
    ox, oy = off_x.ravel(order="F"), off_y.ravel(order="F")
    pts = [
        np.column_stack(
            [
                (x + x0[:, None] + ox[None, :]).ravel(order="F"),
                (y + y0[:, None] + oy[None, :]).ravel(order="F"),
            ]
        )
    ]
    y_step = ylist[1]
    numy = int(np.round(h / y_step))
    y_centres = (np.arange(numy + 1) * y_step)[::2]
    x_left = np.unique(off_x) - size / 2
    x_centres = list(x_left[1:])
    if xlist.size > 1:
        x_right = xlist[1] + x_left
    else:
        x_right = np.array([size * 2 + size / 2] * 2)
    x_centres = np.unique(np.concatenate([x_centres, x_right[:-1]]))[::2]
    even_x = x_centres + size + size / 2
    even_y = (y_centres + y_step)[:-1]
    for xs, ys in ((x_centres, y_centres), (even_x, even_y)):
        xx, yy = np.meshgrid(xs, ys, indexing="ij")
        pts.append(np.column_stack([xx.ravel(), yy.ravel()]))
    return np.unique(np.concatenate(pts), axis=0)
