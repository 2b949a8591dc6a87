"""Whether pairs of units keep their *spatial* relation across two lattice worlds.

:func:`~hippocore.analysis.pair_structure` correlates the zero-lag correlations of unit pairs
across environments. That number is a property of the network as much as of space: grid-cell
pairs keep it in sleep, away from any environment (Gardner et al. 2019; Trettel et al. 2019),
and a model whose units read fixed mixtures of one latent code keeps it whether or not that
code is spatial (TEM-t's untrained twin scores 0.84 with maps that do not repeat across two
walks of one world; docs/results/tem-t.md). The spatial relation of a pair is its
cross-correlogram: how unit j's map must be shifted to match unit i's (Fyhn et al. 2007
compared these spatial phase offsets across rooms). Here the cross-correlogram is taken on
the lattice itself, at every lattice displacement up to ``max_lag`` node spacings **except
zero**, so that only spatial structure counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["PairOffsets", "pair_offset_structure", "lattice_cross_correlograms"]


@dataclass(frozen=True)
class PairOffsets:
    """Result of :func:`pair_offset_structure`.

    Attributes
    ----------
    r : float
        Mean over the pairs used of ``pair_r`` (NaN when no pair is defined).
    pair_r : ndarray of shape (n_pairs,)
        Per pair (i < j, within a group when groups were given): Pearson r, across
        displacements, between the pair's cross-correlogram in world a and in world b.
    pairs : ndarray of int, shape (n_pairs, 2)
        The units (i, j) of each entry of ``pair_r``.
    group_labels : ndarray of shape (n_group,)
        Distinct group labels, sorted (``[0]`` without groups).
    group_r : ndarray of shape (n_group,)
        Mean ``pair_r`` within each group (NaN for groups without a defined pair).
    displacements : ndarray of shape (n_lag, 2)
        The displacements used (m), zero excluded.
    """

    r: float
    pair_r: NDArray[np.float64]
    pairs: NDArray[np.int64]
    group_labels: NDArray
    group_r: NDArray[np.float64]
    displacements: NDArray[np.float64]


def _lattice(world: object) -> tuple[NDArray[np.float64], float]:
    coords = getattr(world, "coords", None)
    spacing = getattr(world, "spacing", None)
    if coords is None or spacing is None:
        raise TypeError(
            f"world must be a lattice world with `coords` and `spacing` (e.g. "
            f"hippocore.envs.make_world('hexagonal', 11)); got {type(world).__name__}."
        )
    return np.asarray(coords, dtype=float), float(spacing)


def _shift_table(
    coords: NDArray[np.float64], spacing: float, max_lag: float
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Lattice displacements (0 < |d| <= max_lag spacings) and, per one, each node's target.

    Returns the displacements (n_lag, 2) in m and ``target`` (n_lag, n_nodes): the node at
    ``coords[n] + d``, or -1 where that is off the world.
    """
    key = np.round(coords / (spacing * 1e-3)).astype(np.int64)
    diff = coords[:, None, :] - coords[None, :, :]
    dist = np.linalg.norm(diff, axis=-1) / spacing
    cand = diff[(dist > 1e-6) & (dist <= max_lag + 1e-6)]
    disp, first = np.unique(
        np.round(cand / (spacing * 1e-3)).astype(np.int64), axis=0, return_index=True
    )
    # Look every shifted node up at once: encode integer keys as one int each, sort, search.
    lo = key.min(0) - disp.max(0) - 1
    span = key.max(0) - disp.min(0) + 2 - lo

    def code(k: NDArray[np.int64]) -> NDArray[np.int64]:
        return (k[..., 0] - lo[0]) * span[1] + (k[..., 1] - lo[1])

    order = np.argsort(code(key))
    sorted_codes = code(key)[order]
    want = code(key[None, :, :] + disp[:, None, :])  # (n_lag, n_nodes)
    pos = np.clip(np.searchsorted(sorted_codes, want), 0, key.shape[0] - 1)
    target = np.where(sorted_codes[pos] == want, order[pos], -1).astype(np.int64)
    return cand[first], target


def lattice_cross_correlograms(
    world: object, node_maps: ArrayLike, *, max_lag: float = 4.0, min_nodes: int = 10
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Cross-correlograms of every pair of units' node maps at lattice displacements.

    Parameters
    ----------
    world : hippocore.envs.World
        The lattice (uses ``coords`` and ``spacing``).
    node_maps : array_like of shape (n_unit, n_nodes)
        Per-node maps (e.g. :func:`~hippocore.analysis.lattice_node_means`; NaN = unvisited).
    max_lag : float, default 4.0
        Largest displacement, in node spacings.
    min_nodes : int, default 10
        Fewest node pairs valid in both maps for a displacement to be defined.

    Returns
    -------
    xc : ndarray of shape (n_lag, n_unit, n_unit)
        ``xc[k, i, j]``: Pearson r between ``map_i(n)`` and ``map_j(n + d_k)`` over the nodes
        n where both are visited; NaN where undefined.
    displacements : ndarray of shape (n_lag, 2)
        ``d_k`` in m (zero excluded).
    """
    coords, spacing = _lattice(world)
    maps = np.asarray(node_maps, dtype=float)
    if maps.ndim != 2 or maps.shape[1] != coords.shape[0]:
        raise ValueError(
            f"node_maps must have shape (n_unit, n_nodes={coords.shape[0]}); got {maps.shape}."
        )
    if not max_lag >= 1:
        raise ValueError(f"max_lag must be >= 1 node spacing; got {max_lag!r}.")
    disp, target = _shift_table(coords, spacing, float(max_lag))
    visited = np.all(np.isfinite(maps), axis=0)
    xc = np.full((disp.shape[0], maps.shape[0], maps.shape[0]), np.nan)
    for k in range(disp.shape[0]):
        src = np.flatnonzero((target[k] >= 0) & visited)
        src = src[visited[target[k, src]]]
        if src.size < min_nodes:
            continue
        a, b = maps[:, src], maps[:, target[k, src]]
        za = a - a.mean(1, keepdims=True)
        zb = b - b.mean(1, keepdims=True)
        na, nb = np.linalg.norm(za, axis=1), np.linalg.norm(zb, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            xc[k] = (za @ zb.T) / np.outer(na, nb)
    return np.clip(xc, -1, 1), disp


def pair_offset_structure(
    world_a: object,
    node_maps_a: ArrayLike,
    world_b: object,
    node_maps_b: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    max_lag: float = 4.0,
) -> PairOffsets:
    """How well unit pairs keep their spatial cross-correlogram across two lattice worlds.

    For every pair (i, j) (within a group when ``groups`` is given) the cross-correlogram
    of the two units' node maps is taken in each world at every lattice displacement
    0 < |d| <= ``max_lag`` spacings (:func:`lattice_cross_correlograms`); the pair's score is
    the Pearson r, across displacements, between its two cross-correlograms. Grid cells of
    one module whose maps all translate together score about 1 (the cross-correlogram of a
    pair depends only on their phase offset); maps unrelated between the worlds, or not
    spatially stable, score about 0. Zero displacement is left out: the zero-lag correlation
    of a pair is kept by a network in sleep too, so it is not evidence of a shared spatial
    map (module docstring).

    Parameters
    ----------
    world_a, world_b : hippocore.envs.World
        The two lattices (same kind and spacing; sizes may differ).
    node_maps_a, node_maps_b : array_like of shape (n_unit, n_nodes_a / n_nodes_b)
        Node maps of the same units, in the same order, in each world (NaN = unvisited).
    groups : array_like of shape (n_unit,), optional
        Group label per unit (e.g. module); only pairs within a group are scored.
    max_lag : float, default 4.0
        Largest displacement, in node spacings.

    Returns
    -------
    PairOffsets

    Notes
    -----
    NaN policy: a displacement undefined in either world (fewer than 10 visited node pairs,
    a constant map) is left out of that pair's r; a pair with fewer than 3 defined
    displacements has r = NaN and is left out of the means.

    References
    ----------
    Fyhn M, Hafting T, Treves A, Moser M-B, Moser EI (2007) Nature 446:190-194.
    Gardner RJ, Lu L, Wernle T, Moser M-B, Moser EI (2019) Nat Neurosci 22:598-608.
    Trettel SG, Trimper JB, Hwaun E, Fiete IR, Colgin LL (2019) Nat Neurosci 22:609-617.
    """
    xa, da = lattice_cross_correlograms(world_a, node_maps_a, max_lag=max_lag)
    xb, db = lattice_cross_correlograms(world_b, node_maps_b, max_lag=max_lag)
    if xa.shape[1] != xb.shape[1]:
        raise ValueError(
            f"node_maps_a and node_maps_b must hold the same units; got {xa.shape[1]} and "
            f"{xb.shape[1]}."
        )
    if da.shape != db.shape or not np.allclose(da, db):
        raise ValueError(
            "world_a and world_b must be lattices of the same kind and spacing (their "
            "displacements up to max_lag differ)."
        )
    n_unit = xa.shape[1]
    g = np.zeros(n_unit, dtype=np.int64) if groups is None else np.asarray(groups)
    if g.shape != (n_unit,):
        raise ValueError(f"groups must have shape ({n_unit},); got {g.shape}.")
    i, j = np.triu_indices(n_unit, 1)
    keep = g[i] == g[j]
    i, j = i[keep], j[keep]
    a, b = xa[:, i, j], xb[:, i, j]  # (n_lag, n_pairs)
    ok = np.isfinite(a) & np.isfinite(b)
    n = ok.sum(0)
    a0, b0 = np.where(ok, a, 0.0), np.where(ok, b, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma, mb = a0.sum(0) / n, b0.sum(0) / n
        ca, cb = np.where(ok, a - ma, 0.0), np.where(ok, b - mb, 0.0)
        r = (ca * cb).sum(0) / np.sqrt((ca * ca).sum(0) * (cb * cb).sum(0))
    r = np.where(n >= 3, r, np.nan)
    labels = np.unique(g)
    group_r = np.array(
        [
            np.nanmean(r[g[i] == lab]) if np.isfinite(r[g[i] == lab]).any() else np.nan
            for lab in labels
        ]
    )
    return PairOffsets(
        r=float(np.nanmean(r)) if np.isfinite(r).any() else float("nan"),
        pair_r=r,
        pairs=np.stack([i, j], 1).astype(np.int64),
        group_labels=labels,
        group_r=group_r,
        displacements=da,
    )
