"""Firing fields of model units on graph-world lattices, counted on the nodes themselves.

BNT's field rule (:func:`hippocore.analysis.place_fields`) needs at least ``min_bins``
(default 9) contiguous bins at or above 20% of the peak. On a lattice the world's resolution
is one node: a unit that fires at a single node (a TEM-t memory neuron) covers one bin of a
square-lattice map, and about 5-8 interpolated half-spacing bins of a hexagonal map, so BNT
drops its real field and counts low-level ripples elsewhere instead. Here fields are counted
on the per-node mean map, contiguity is the world's own adjacency, and one node is a field.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from hippocore.analysis._ratemap import check_lattice_inputs

__all__ = ["LatticeFields", "lattice_fields", "lattice_node_means"]


@dataclass(frozen=True)
class LatticeFields:
    """Fields of units on a lattice world (result of :func:`lattice_fields`).

    Attributes
    ----------
    node_rate : ndarray of shape (n_unit, n_nodes)
        Mean activity per node (units of the activity); NaN at unvisited nodes.
    occupancy : ndarray of shape (n_nodes,)
        Time steps spent at each node.
    peak_node : ndarray of int, shape (n_unit,)
        Node with the highest mean activity; -1 for a silent unit (peak <= ``min_peak``).
    n_fields : ndarray of int, shape (n_unit,)
        Number of fields.
    fields : tuple of tuple of ndarray
        ``fields[u][k]``: node indices of unit u's k-th field, fields sorted by peak rate,
        highest first (so ``fields[u][0]`` holds ``peak_node[u]``).
    """

    node_rate: NDArray[np.float64]
    occupancy: NDArray[np.float64]
    peak_node: NDArray[np.int64]
    n_fields: NDArray[np.int64]
    fields: tuple[tuple[NDArray[np.int64], ...], ...]

    def one_field_at(self, nodes: ArrayLike) -> NDArray[np.bool_]:
        """Which units have exactly one field, and that field contains a given node.

        The test for a memory neuron (or any unit expected to fire at one known place, e.g.
        where its memory was written): a unit passes when it has one field and no other,
        and ``nodes[u]`` belongs to it.

        Parameters
        ----------
        nodes : array_like of int, shape (n_unit,)
            The node expected inside each unit's field.

        Returns
        -------
        ndarray of bool, shape (n_unit,)
            False for silent units and for units with 0 or several fields.

        Raises
        ------
        ValueError
            For a length other than the number of units or a node outside the world.
        """
        n_unit, n_nodes = self.node_rate.shape
        nd = np.asarray(nodes)
        if nd.shape != (n_unit,):
            raise ValueError(
                f"nodes must give one node per unit, shape ({n_unit},); got shape {nd.shape}."
            )
        if not np.issubdtype(nd.dtype, np.integer) or (
            nd.size and (nd.min() < 0 or nd.max() >= n_nodes)
        ):
            raise ValueError(f"nodes must be integers in 0..{n_nodes - 1}; got {nodes!r}.")
        return np.array(
            [
                self.n_fields[u] == 1 and bool(np.isin(nd[u], self.fields[u][0]))
                for u in range(n_unit)
            ],
            dtype=bool,
        )


def _node_means(
    nd: NDArray[np.int64], a2: NDArray[np.float64], n_nodes: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Visits per node (n_nodes,) and mean activity per node (n_unit, n_nodes), NaN unvisited."""
    occupancy = np.bincount(nd, minlength=n_nodes).astype(float)
    # Sum activity per node for all units at once: (n_nodes, n_steps) one-hot @ (n_steps, n_unit).
    onehot = coo_matrix(
        (np.ones(nd.size), (nd, np.arange(nd.size))), shape=(n_nodes, nd.size)
    ).tocsr()
    sums = np.asarray(onehot @ a2).T
    with np.errstate(invalid="ignore", divide="ignore"):
        node_rate = np.where(occupancy > 0, sums / occupancy, np.nan)
    return occupancy, node_rate


def lattice_node_means(
    world,  # noqa: ANN001 - a hippocore.envs.World (duck-typed: analysis does not import envs)
    nodes: ArrayLike,
    activity: ArrayLike,
) -> NDArray[np.float64]:
    """Mean activity of each unit at each node of a lattice world: the node map.

    The map on the world's own resolution (one value per node, no interpolation): what
    :func:`lattice_fields` counts fields on and :func:`pair_structure` correlates.
    :func:`lattice_rate_map` gives the same values on square worlds and interpolates them
    onto square bins on hexagonal ones (for autocorrelograms).

    Parameters
    ----------
    world : hippocore.envs.World
        The lattice (uses ``coords``).
    nodes : array_like of int, shape (n_steps,)
        Node visited at each time step.
    activity : array_like of shape (n_steps,) or (n_steps, n_unit)
        Activity of each unit at each step (any units).

    Returns
    -------
    ndarray of shape (n_nodes,) or (n_unit, n_nodes)
        Mean activity over the steps spent at each node; NaN at unvisited nodes.

    Raises
    ------
    ValueError
        For nodes outside the world, NaN activity or mismatched lengths.
    """
    coords, nd, act = check_lattice_inputs(world, nodes, activity)
    _, node_rate = _node_means(nd, act[:, None] if act.ndim == 1 else act, coords.shape[0])
    return node_rate[0] if act.ndim == 1 else node_rate


def lattice_fields(
    world,  # noqa: ANN001 - a hippocore.envs.World (duck-typed: analysis does not import envs)
    nodes: ArrayLike,
    activity: ArrayLike,
    *,
    threshold: float = 0.2,
    min_nodes: int = 1,
    min_peak: float = 0.0,
) -> LatticeFields:
    """Count each unit's firing fields on the nodes of a lattice world.

    Rule (BNT ``analyses.placefield``'s first pass, 2020 mirror, moved from bins to nodes):
    the map is the mean activity per node; a unit's candidate nodes are the visited nodes
    with a mean at or above ``threshold`` times its peak; a field is a connected set of
    candidate nodes, connected through the world's edges (4, 6 or 8 neighbours for square,
    hexagonal and eight worlds), with at least ``min_nodes`` nodes. Units whose peak is not
    above ``min_peak`` are silent and have no field. BNT's second pass (sub-peaks inside a
    region) is not applied: on a lattice a node is the smallest resolvable place.

    Parameters
    ----------
    world : hippocore.envs.World
        The lattice (uses ``coords`` and ``transitions``).
    nodes : array_like of int, shape (n_steps,)
        Node visited at each time step.
    activity : array_like of shape (n_steps,) or (n_steps, n_unit)
        Activity of each unit at each step (e.g. attention weights of memory neurons).
    threshold : float, default 0.2
        Fraction of the peak a node must reach to belong to a field (BNT: 0.2).
    min_nodes : int, default 1
        Smallest field, in nodes.
    min_peak : float, default 0
        A unit whose peak node mean is not above this is silent (no fields).

    Returns
    -------
    LatticeFields

    Raises
    ------
    ValueError
        For nodes outside the world, NaN activity, mismatched lengths or a threshold
        outside (0, 1].

    Notes
    -----
    NaN policy: NaN activity is rejected; unvisited nodes are NaN in ``node_rate`` and never
    belong to a field. Negative activity is allowed (the threshold is relative to the peak,
    so use non-negative rates for a meaningful count).
    """
    coords, nd, act = check_lattice_inputs(world, nodes, activity)
    transitions = np.asarray(world.transitions)
    n_nodes = coords.shape[0]
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1]; got {threshold!r}.")
    if isinstance(min_nodes, bool) or not isinstance(min_nodes, (int, np.integer)) or min_nodes < 1:
        raise ValueError(f"min_nodes must be an integer >= 1; got {min_nodes!r}.")
    occupancy, node_rate = _node_means(nd, act[:, None] if act.ndim == 1 else act, n_nodes)

    src, act_idx = np.nonzero(transitions >= 0)
    dst = transitions[src, act_idx]
    keep = src != dst  # a stay action is not an edge
    src, dst = src[keep], dst[keep]

    n_unit = node_rate.shape[0]
    filled = np.where(np.isfinite(node_rate), node_rate, -np.inf)
    peak_node = np.argmax(filled, axis=1)
    peak = filled[np.arange(n_unit), peak_node]
    silent = ~(peak > min_peak)
    peak_node = np.where(silent, -1, peak_node).astype(np.int64)
    candidate = (filled >= threshold * peak[:, None]) & ~silent[:, None]

    fields: list[tuple[NDArray[np.int64], ...]] = []
    for u in range(n_unit):
        if silent[u]:
            fields.append(())
            continue
        ok = candidate[u]
        e = ok[src] & ok[dst]
        graph = coo_matrix((np.ones(int(e.sum())), (src[e], dst[e])), shape=(n_nodes, n_nodes))
        _, label = connected_components(graph, directed=False)
        comps = [np.flatnonzero(ok & (label == lab)) for lab in np.unique(label[ok])]
        comps = [c for c in comps if c.size >= min_nodes]
        comps.sort(key=lambda c: -np.max(node_rate[u, c]))
        fields.append(tuple(comps))
    n_fields = np.array([len(f) for f in fields], dtype=np.int64)
    return LatticeFields(
        node_rate=node_rate,
        occupancy=occupancy,
        peak_node=peak_node,
        n_fields=n_fields,
        fields=tuple(fields),
    )
