"""The centre field of BNT's grid score, found for a whole stack of autocorrelograms at once.

BNT ``gridnessScore`` takes the radius of the central field from ``placefieldAdaptive``
(minPeak 0, minBins 2, grown from the centre). For a stack, the opening and, for every rung
of the threshold ladder, the area, Euler number and edge contact of the centre's region in a
window about the centre are computed together; BNT's growth rule then runs on those numbers
(:func:`centre_field_area`). Maps that leave that path (a region reaching the window's edge,
or BNT's retry at 0.97-1.0) take the one-map path of :mod:`._adaptive`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from hippocore.analysis._adaptive import (
    _CROSS,
    LADDER,
    Grower,
    fields_from,
    grow_fields,
    keeps_growing,
)
from hippocore.analysis._morphology import (
    euler8,
    euler_from_quads,
    open_by_reconstruction,
    open_by_reconstruction_window,
)

__all__ = ["centre_radii", "windowed_regions", "windowed_regions_labelled", "join_levels"]

_BLOCK = 64  # maps per block of the centre-field search
_WINDOW = 10  # half-width of the window about the centre that the cached path reads
_LADDER_INDEX = {float(v): k for k, v in enumerate(LADDER)}


class CachedGrower(Grower):
    """A grower for one peak whose windowed regions were computed beforehand for all thresholds.

    ``area``, ``euler``, ``touch`` and ``sel`` hold the rungs of :data:`LADDER` (the path
    almost every search takes); other thresholds and regions touching the window edge
    are computed on demand as in :class:`Grower`.
    """

    def __init__(self, image, window_slices, area, euler, touch, sel, shape=None):  # noqa: ANN001
        # ``image`` is the search image, or a callable that makes it (then ``shape`` is its
        # shape): the whole image is needed only off the cached path (a region touching the
        # window, BNT's retry)
        made = None if callable(image) else image
        super().__init__(made if made is not None else np.empty(shape), [])
        self._image, self._make = made, (image if made is None else None)
        self.ws = window_slices
        self.area, self.euler, self.touch, self.sel = area, euler, touch, sel

    @property
    def image(self) -> NDArray[np.float64]:  # noqa: D102
        if self._image is None:
            self._image = self._make()
        return self._image

    @image.setter
    def image(self, value: NDArray[np.float64]) -> None:
        self._image = value if value.size else None  # Grower.__init__ passes a stand-in

    def region(self, peak, th):  # noqa: ANN001, D102
        k = _LADDER_INDEX.get(round(th, 2))
        if k is None or self.touch[k]:
            return super().region(peak, th)
        if self.euler[k] <= 0:
            return None, self.empty, False
        full = np.zeros(self.image.shape, dtype=bool)
        full[self.ws] = self.sel[k]
        return int(self.area[k]), full, False


class ThresholdMasks:
    """Masks ``join >= levels[k]`` of one unit, built on demand (indexable like a stack)."""

    def __init__(self, join: NDArray[np.float64], levels: NDArray[np.float64]):
        self.join, self.levels = join, levels

    def __getitem__(self, k: int) -> NDArray[np.bool_]:
        return self.join >= self.levels[k]


def count_at_least(x: NDArray[np.float64], levels: NDArray[np.float64]) -> NDArray[np.int64]:
    """``(x[u, a] >= levels[u, k]).sum(-1)`` for (U, A, n) values and non-decreasing levels.

    -> (U, A, n_th). One binary search per unit (exact comparisons), then counts per level.
    """
    u, n_a = x.shape[:2]
    n_th = levels.shape[1]
    flat = x.reshape(u, -1)
    # b = how many levels are <= x, so x >= levels[k] exactly when b > k
    b = np.stack([np.searchsorted(levels[i], flat[i], side="right") for i in range(u)])
    arr = np.repeat(np.arange(n_a), flat.shape[1] // n_a)
    idx = (np.arange(u)[:, None] * n_a + arr[None, :]) * (n_th + 1) + b
    hist = np.bincount(idx.ravel(), minlength=u * n_a * (n_th + 1)).reshape(u, n_a, n_th + 1)
    # count of b > k for k = 0 .. n_th - 1
    return np.cumsum(hist[..., ::-1], axis=-1)[..., ::-1][..., 1:]


def windowed_regions(images: NDArray[np.float64], centre: tuple[int, int], window: int = 10):
    """Area, Euler number, edge contact and mask of the centre's component for every threshold.

    ``images`` (U, h, w) are the search images (opened, negatives raised); thresholds are
    rungs of :data:`LADDER` x the centre value. The centre's 4-connected component of
    ``sub >= v`` is ``{join >= v}`` with ``join`` from :func:`join_levels`, so all
    thresholds follow from one array per unit: the area and the edge contact are counts of
    ``join >= v``, and the Euler number (8-connected foreground, Gray's 2x2 quads with a zero
    frame) comes from counts of order statistics of the four ``join`` values of every quad.
    The masks are returned as per-unit indexables built on demand.
    """
    u, h, w = images.shape
    r0, c0 = max(centre[0] - window, 0), max(centre[1] - window, 0)
    r1, c1 = min(centre[0] + window + 1, h), min(centre[1] + window + 1, w)
    ws = (slice(r0, r1), slice(c0, c1))
    sub = images[:, r0:r1, c0:c1]
    pr, pc = centre[0] - r0, centre[1] - c0
    levels = images[:, centre[0], centre[1]][:, None] * LADDER[None, :]  # (U, n_th)
    if u == 0 or np.any(images[:, centre[0], centre[1]] < 0):
        # a negative centre (never for search images): label every threshold
        return windowed_regions_labelled(sub, levels, (pr, pc), ws, (h, w))
    join = join_levels(sub, (pr, pc))
    jp = np.pad(join, ((0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    qa, qb, qc, qd = jp[:, :-1, :-1], jp[:, :-1, 1:], jp[:, 1:, :-1], jp[:, 1:, 1:]
    p_, q_ = np.maximum(qa, qb), np.minimum(qa, qb)
    r_, t_ = np.maximum(qc, qd), np.minimum(qc, qd)
    lo_hi, hi_lo = np.minimum(p_, r_), np.maximum(q_, t_)
    min_ad, min_bc = np.minimum(qa, qd), np.minimum(qb, qc)
    edges = []
    if r0 > 0:
        edges.append(join[:, 0])
    if r1 < h:
        edges.append(join[:, -1])
    if c0 > 0:
        edges.append(join[:, :, 0])
    if c1 < w:
        edges.append(join[:, :, -1])
    edge_max = np.max(np.concatenate(edges, 1), 1) if edges else np.full(u, -np.inf)
    n_q = qa.shape[1] * qa.shape[2]
    stats = [
        np.maximum(p_, r_),  # largest of the quad
        np.maximum(lo_hi, hi_lo),  # second
        np.minimum(lo_hi, hi_lo),  # third
        np.minimum(q_, t_),  # smallest
        min_ad,
        np.minimum(min_ad, np.maximum(qb, qc)),
        min_bc,
        np.minimum(min_bc, np.maximum(qa, qd)),
    ]
    # the join levels themselves (for the areas), padded with -inf to the quads' length
    stats.append(
        np.pad(join.reshape(u, -1), ((0, 0), (0, n_q - join[0].size)), constant_values=-np.inf)
    )
    x = np.stack([v.reshape(u, n_q) for v in stats], 1)
    cnt = count_at_least(x, levels)  # (U, 9, n_th)
    q1 = cnt[:, 0] - cnt[:, 1]  # exactly one of the four bins in the region
    q3 = cnt[:, 2] - cnt[:, 3]  # exactly three
    qdiag = (cnt[:, 4] - cnt[:, 5]) + (cnt[:, 6] - cnt[:, 7])  # two, diagonal
    euler = euler_from_quads(q1, q3, qdiag)
    area = cnt[:, 8]
    touch = edge_max[:, None] >= levels
    sel = [ThresholdMasks(join[i], levels[i]) for i in range(u)]
    return ws, area, euler, touch, sel


def windowed_regions_labelled(sub, levels, peak, ws, shape):  # noqa: ANN001
    """:func:`windowed_regions` by labelling every threshold (any sign of the centre value)."""
    u, hs, wsz = sub.shape
    h, w = shape
    n_th = levels.shape[1]
    structure = np.zeros((3, 3, 3), dtype=bool)
    structure[1] = _CROSS
    flat = (sub[:, None] >= levels[..., None, None]).reshape(-1, hs, wsz)
    labels, _ = ndimage.label(flat, structure=structure)
    sel = labels == labels[:, peak[0], peak[1]][:, None, None]
    euler = euler8(sel)
    touch = np.zeros(sel.shape[0], dtype=bool)
    if ws[0].start > 0:
        touch |= sel[:, 0].any(axis=1)
    if ws[0].stop < h:
        touch |= sel[:, -1].any(axis=1)
    if ws[1].start > 0:
        touch |= sel[:, :, 0].any(axis=1)
    if ws[1].stop < w:
        touch |= sel[:, :, -1].any(axis=1)
    area = sel.sum(axis=(1, 2))
    return (
        ws,
        area.reshape(u, n_th),
        euler.reshape(u, n_th),
        touch.reshape(u, n_th),
        sel.reshape(u, n_th, hs, wsz),
    )


def join_levels(sub: NDArray[np.float64], start: tuple[int, int]) -> NDArray[np.float64]:
    """For a stack (U, h, w): the highest threshold at which each bin is 4-connected to ``start``.

    ``join[p]`` = max over 4-connected paths from ``start`` to ``p`` of the lowest value on the
    path (-inf nowhere: every bin is reachable); so ``{join >= v}`` is the 4-connected
    component of ``sub >= v`` holding ``start`` whenever ``sub[start] >= v``. Computed by
    reconstruction by dilation (4-neighbour) from ``start`` under ``sub``: only min and max of
    the input values are taken, so comparisons with it are exact. Propagated by sweeps along
    rows and columns (a path's value reaches the whole path in one round per change of
    direction).
    """
    join = np.full(sub.shape, -np.inf)
    join[:, start[0], start[1]] = sub[:, start[0], start[1]]
    h, w = sub.shape[1:]
    tmp_r = np.empty((sub.shape[0], h))
    tmp_c = np.empty((sub.shape[0], w))
    # sweeps along rows and columns in both directions (each step passes the value on to the
    # next bin), repeated until a round changes nothing
    while True:
        before = join.copy()
        for j in range(1, w):
            np.maximum(join[:, :, j], join[:, :, j - 1], out=tmp_r)
            np.minimum(tmp_r, sub[:, :, j], out=join[:, :, j])
        for j in range(w - 2, -1, -1):
            np.maximum(join[:, :, j], join[:, :, j + 1], out=tmp_r)
            np.minimum(tmp_r, sub[:, :, j], out=join[:, :, j])
        for i in range(1, h):
            np.maximum(join[:, i], join[:, i - 1], out=tmp_c)
            np.minimum(tmp_c, sub[:, i], out=join[:, i])
        for i in range(h - 2, -1, -1):
            np.maximum(join[:, i], join[:, i + 1], out=tmp_c)
            np.minimum(tmp_c, sub[:, i], out=join[:, i])
        if np.array_equal(join, before):
            return join


def bnt_radius(acorr: NDArray[np.float64], grower, centre: tuple[int, int]) -> int:  # noqa: ANN001
    """BNT findCentreRadius: adaptive field at the centre, radius floor(sqrt(area / pi)).

    Same steps as :func:`placefield_adaptive` (minPeak 0, minBins 2, peak at the centre), with
    the opening and the windowed regions computed for the whole stack beforehand.
    """
    if acorr[centre] < 0:
        return 0
    found = grow_fields(acorr, grower.image, [centre], 0.0, grower=grower)
    _, fields = fields_from(found, acorr, 2, 0.0, 0.0)
    if not fields:
        return 0
    hy, hx = centre
    dist = np.array([(f.peak_bin[0] - hy) ** 2 + (f.peak_bin[1] - hx) ** 2 for f in fields], float)
    order = np.argsort(dist, kind="stable")
    pick = order[0]
    if order.size >= 2 and abs(dist[order[0]] - dist[order[1]]) < 2:
        pick = order[:2][int(np.argmin([fields[i].n_bins for i in order[:2]]))]
    return int(np.floor(np.sqrt(fields[pick].n_bins / np.pi)))


def centre_field_area(a: NDArray[np.float64], grower: CachedGrower, centre: tuple[int, int]):
    """Fast path of :func:`bnt_radius`: BNT's growth state machine on the cached regions.

    Runs areaChange at 0.96/0.94 and expandField down the ladder (0.96 .. 0.20) on the precomputed
    areas and Euler numbers of the centre's windowed regions (a region touching the window
    edge is recomputed on the whole map, as :class:`CachedGrower` does), builds only the
    final region and applies :func:`fields_from`'s filters (minBins 2, minPeak 0, mean >= 0)
    to that single 4-connected region. Returns the field's area (0 if it is rejected), or
    None when BNT would fall back to its 0.97-1.0 thresholds; the caller then takes the
    general path (:func:`bnt_radius`).
    """
    n_th = grower.area.size
    full: dict[int, tuple[int | None, NDArray[np.bool_] | None]] = {}

    def region(k: int) -> int | None:
        if grower.touch[k]:
            if k not in full:
                # the windowed component reaches the window's edge, so (as Grower.region
                # then does) take the component in the whole map
                v = grower.image[centre] * LADDER[k]
                pix, euler = grower._component(grower.image, centre, v)
                full[k] = (int(np.count_nonzero(pix)) if euler > 0 else None, pix)
            return full[k][0]
        return None if grower.euler[k] <= 0 else int(grower.area[k])

    top = n_th - 1  # the ladder's top rung (0.96)
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
        keep, n_decrease, n_same = keeps_growing(
            area / last_area * 100.0, initial_change, n_decrease, n_same
        )
        if not keep:
            break
        last_area, last = area, k
    if last < 0:
        return None  # BNT then retries at 0.97: general path
    if last in full:
        vals = a.T[full[last][1].T]  # column-major order, as fields_from
    else:
        vals = a[grower.ws].T[grower.sel[last].T]
    if vals.size <= 2 or vals.max() < 0 or vals.mean() < 0:
        return 0
    return int(vals.size)


def centre_radii(a: NDArray[np.float64], todo: NDArray[np.intp], centre: tuple[int, int]):
    """BNT's centre-field radius of the maps ``todo`` of a normalised stack (0 elsewhere).

    The opening and the windowed regions are computed for blocks of maps at once; the growth
    state machine runs on them for the whole block (:func:`_cached_areas`), then map by map
    (:func:`centre_field_area`) where the block cannot settle a map, falling back to the
    general path (:func:`bnt_radius`) where BNT would retry at its 0.97-1.0 thresholds.
    """
    radii = np.zeros(a.shape[0], dtype=np.int64)
    for lo in range(0, todo.size, _BLOCK):
        blk = todo[lo : lo + _BLOCK]
        images = _windowed_search_images(a[blk], centre)
        ws, area, euler, touch, sel = windowed_regions(images, centre)
        n_bins = _cached_areas(a[blk], ws, area, euler, touch, sel, centre)
        done = n_bins >= 0
        radii[blk[done]] = np.floor(np.sqrt(n_bins[done] / np.pi)).astype(np.int64)
        for j in np.flatnonzero(~done):
            i = blk[j]
            grower = CachedGrower(
                lambda i=i: _search_image_of(a[i]),
                ws, area[j], euler[j], touch[j], sel[j], shape=a.shape[1:],
            )  # fmt: skip
            found = None if a[i][centre] < 0 else centre_field_area(a[i], grower, centre)
            if found is None:
                radii[i] = bnt_radius(a[i], grower, centre)
            else:
                radii[i] = int(np.floor(np.sqrt(found / np.pi)))
    return radii


def _cached_areas(blk, ws, area, euler, touch, sel, centre) -> NDArray[np.int64]:  # noqa: ANN001
    """:func:`centre_field_area` of a block of maps at once, where the cached rungs settle it.

    BNT's growth rule runs on every map's areas and Euler numbers together, rung by rung,
    with the same arithmetic as :func:`keeps_growing`. Returns the field's area (0 when
    rejected) per map, or -1 where the per-map path must decide: a rung read that touches
    the window's edge, a negative centre, BNT's retry at 0.97-1.0, or a field holding a
    negative bin (its mean's sign is then taken in BNT's order, one map at a time).
    """
    u, n_th = area.shape
    out = np.full(u, -1, dtype=np.int64)
    top = n_th - 1
    if u == 0 or top < 1:
        return out
    size = np.where(euler > 0, area, -1).astype(np.int64)  # -1: the region has holes
    a1, a2 = size[:, top], size[:, top - 1]
    live = (blk[:, centre[0], centre[1]] >= 0) & ~touch[:, top] & ~touch[:, top - 1]
    live &= (a1 >= 0) & (a2 >= 0)
    fast = live.copy()  # no touched rung read so far
    with np.errstate(invalid="ignore", divide="ignore"):
        initial = a2 / a1 * 100.0
    last_area, last = a2.copy(), np.full(u, -1)
    n_same, n_decrease = np.zeros(u, dtype=np.int64), np.zeros(u, dtype=np.int64)
    for k in range(top, -1, -1):
        fast &= ~(live & touch[:, k])
        live &= fast & (size[:, k] >= 0)
        if not live.any():
            break
        with np.errstate(invalid="ignore", divide="ignore"):
            change = size[:, k] / last_area * 100.0
        n_decrease = np.where(live, np.where(change < 100, n_decrease + 1, 0), n_decrease)
        grow = live & (np.floor(change / initial) <= 2) & (n_decrease < 3)
        n_same = np.where(grow, np.where(change == 100, n_same + 1, 0), n_same)
        keep = grow & (n_same < 10)
        last_area = np.where(keep, size[:, k], last_area)
        last = np.where(keep, k, last)
        live = keep
    for j in np.flatnonzero(fast & (last >= 0)):
        region = sel[j][last[j]]
        n = int(area[j, last[j]])
        if n <= 2:
            out[j] = 0
        elif blk[j][ws][region].min() >= 0:  # max and mean are then >= 0 too
            out[j] = n
    return out


def _search_image_of(acorr: NDArray[np.float64]) -> NDArray[np.float64]:
    """BNT's search image of one map: its opening, bins below minPeak (0) raised to 1.5 x max."""
    opened = open_by_reconstruction(acorr[None])[0]
    return np.where(opened < 0.0, opened.max() * 1.5, opened)


def _windowed_search_images(stack: NDArray[np.float64], centre: tuple[int, int]):
    """Search images of a stack, exact in the window ``centre +- _WINDOW`` (NaN elsewhere).

    The opening is computed in a window about the centre with an exactness check
    (:func:`open_by_reconstruction_window`); maps where the check fails are opened whole.
    Only the window is read by :func:`windowed_regions`; off the cached path the growers
    make a map's whole search image (:func:`_search_image_of`).
    """
    u, h, w = stack.shape
    vals, exact, peak = open_by_reconstruction_window(stack, centre, _WINDOW)
    r0, c0 = max(centre[0] - _WINDOW, 0), max(centre[1] - _WINDOW, 0)
    win = (slice(None), slice(r0, r0 + vals.shape[1]), slice(c0, c0 + vals.shape[2]))
    if not exact.all():
        vals = vals.copy()
        vals[~exact] = open_by_reconstruction(stack[~exact])[win]
    images = np.full(stack.shape, np.nan)
    images[win] = np.where(vals < 0.0, peak[:, None, None] * 1.5, vals)
    return images
