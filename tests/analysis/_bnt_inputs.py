"""Re-creations of the synthetic inputs of BNT's own unit tests (brkanter/BNT a872035).

Facts only: the maps are built here from the tests' description (``helpers.gauss2d``,
``helpers.hexGrid``), not translated from BNT's code.
"""

from __future__ import annotations

import numpy as np


def bnt_gauss2d(mu, sigma, shape, amplitude=None):
    """Sum of Gaussians as BNT ``helpers.gauss2d`` computes it.

    ``mu`` rows are (x, y) = (column, row), 1-based. BNT's quirk: the exponent divides the
    squared distance by ``2 * sigma`` (not ``2 * sigma**2``), so ``sigma`` acts as a variance.
    Points with a NaN coordinate are skipped; ``amplitude`` (one per point, default 1) scales
    each Gaussian, as BNT's optional fourth argument.
    """
    mu = np.atleast_2d(np.asarray(mu, float))
    sigma = np.broadcast_to(np.asarray(sigma, float).reshape(-1), (mu.shape[0],))
    rows, cols = np.mgrid[1 : shape[0] + 1, 1 : shape[1] + 1].astype(float)
    out = np.zeros(shape)
    amp = np.ones(mu.shape[0]) if amplitude is None else np.asarray(amplitude, float)
    for (xc, yc), s, a in zip(mu, sigma, amp, strict=True):
        if np.isnan(xc) or np.isnan(yc):
            continue
        out += a * np.exp(-((cols - xc) ** 2 / (2 * s) + (rows - yc) ** 2 / (2 * s)))
    return out


def bnt_hex_points(width: float, height: float, side: float) -> np.ndarray:
    """Field centres of BNT ``helpers.hexGrid([0 0 width height], side)``.

    hexGrid tiles the rectangle with hexagons of side ``side`` (columns ``3 side`` apart,
    rows ``side cos30`` apart, odd rows shifted by ``1.5 side``), returns the hexagons'
    lower-half vertices plus the hexagon centres, i.e. a triangular lattice of spacing
    ``side``. Vertex coordinates are formed as log(exp(a) exp(b)) as BNT does, so that the
    duplicate removal behaves the same (float-equal duplicates are merged).
    """
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    xlist = np.arange(0, width - side * (1 + s) + 1e-12, side * (2 + 2 * s))
    ylist = np.arange(len(np.arange(0, height + 1e-12, side * c))) * (side * c)
    off_x = np.repeat(xlist[:, None], ylist.size, 1)
    off_x[:, 1::2] += side * (1 + s)
    off_y = np.repeat(ylist[None, :], xlist.size, 0)
    x0 = side * np.cumsum([0, s, 1, s])
    y0 = side * np.array([0, c, c, 0])
    ox, oy = off_x.ravel(order="F"), off_y.ravel(order="F")
    vx = np.log(np.exp(x0[:, None]) * np.exp(ox[None, :])).ravel(order="F")
    vy = np.log(np.exp(y0[:, None]) * np.exp(oy[None, :])).ravel(order="F")
    pts = [np.column_stack([vx, vy])]
    y_step = ylist[1]
    tmpy = np.arange(int(np.floor(height / y_step + 0.5)) + 1) * y_step
    y_centres = tmpy[::2]
    x_left = np.unique(off_x) - side / 2
    x_centres = x_left[1:]
    x_right = xlist[1] + x_left if xlist.size > 1 else np.array([side * 2 + side / 2] * 2)
    x_centres = np.unique(np.concatenate([x_centres, x_right[:-1]]))[::2]
    even_x = x_centres + 1.5 * side
    even_y = (y_centres + y_step)[:-1]
    pts.append(np.array([(x, y) for x in x_centres for y in y_centres]).reshape(-1, 2))
    pts.append(np.array([(x, y) for x in even_x for y in even_y]).reshape(-1, 2))
    return np.unique(np.concatenate(pts), axis=0)


def bnt_hex_map() -> np.ndarray:
    """BNT GridnessScoreTester.perfectScore input: hexGrid([0 0 50 50], 15), gauss2d(5), 50x50."""
    pts = bnt_hex_points(50, 50, 15)
    return bnt_gauss2d(pts, 5.0, (50, 50))


def bnt_three_fields_map() -> np.ndarray:
    """BNT threeFieldsMap input (25x25)."""
    return bnt_gauss2d([[14, 11], [5, 18], [12, 21]], [8, 4, 3], (25, 25))


def bnt_rectangular_map() -> np.ndarray:
    """BNT rectangularMap input (50 rows x 25 columns)."""
    return bnt_gauss2d([[11, 25], [4, 5]], [8, 2], (50, 25))
