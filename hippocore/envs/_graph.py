"""Graph worlds: square (4-connected), hexagonal (6-connected) and 8-connected lattices."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from hippocore._checks import as_rng, check_positive

__all__ = ["World", "make_world", "WORLD_KINDS", "assign_observations"]

# Action sets: a fixed index per direction, whatever the world's size; "stay" (when enabled)
# is always the last action so that the direction indices never move.
_DIRECTIONS: dict[str, tuple[tuple[str, float], ...]] = {
    "square": (("east", 0.0), ("north", 90.0), ("west", 180.0), ("south", 270.0)),
    "hexagonal": (
        ("east", 0.0),
        ("north-east", 60.0),
        ("north-west", 120.0),
        ("west", 180.0),
        ("south-west", 240.0),
        ("south-east", 300.0),
    ),
    "eight": (
        ("east", 0.0),
        ("north-east", 45.0),
        ("north", 90.0),
        ("north-west", 135.0),
        ("west", 180.0),
        ("south-west", 225.0),
        ("south", 270.0),
        ("south-east", 315.0),
    ),
}
_ALIASES = {
    "square": "square",
    "square4": "square",
    "4-connected": "square",
    "hexagonal": "hexagonal",
    "hex": "hexagonal",
    "hex6": "hexagonal",
    "6-connected": "hexagonal",
    "eight": "eight",
    "square8": "eight",
    "8-connected": "eight",
    "octile": "eight",
}
WORLD_KINDS: tuple[str, ...] = ("square", "hexagonal", "eight")


@dataclass(frozen=True, eq=False)
class World:
    """A graph world: nodes on a lattice, joined by actions with a fixed index per direction.

    Build one with :func:`make_world`.

    Attributes
    ----------
    kind : {"square", "hexagonal", "eight"}
        Lattice type (4-, 6- or 8-connected).
    width, height : int
        Nodes per row and number of rows.
    spacing : float
        Distance between neighbouring nodes along a lattice axis (m).
    stay : bool
        Whether a stay-still action exists (always the last action).
    coords : ndarray of shape (n_nodes, 2)
        Node positions (m), columns (x, y); the lowest-left node is at (0, 0).
    actions : tuple of str
        Action names; ``actions[k]`` is action index k.
    action_angles : ndarray of shape (n_actions,)
        Direction of each action (rad, counter-clockwise from +x); NaN for stay.
    transitions : ndarray of int, shape (n_nodes, n_actions)
        ``transitions[node, action]`` is the node reached, or -1 where the action is unavailable
        (a wall).
    """

    kind: str
    width: int
    height: int
    spacing: float
    stay: bool
    coords: NDArray[np.float64] = field(repr=False)
    actions: tuple[str, ...]
    action_angles: NDArray[np.float64] = field(repr=False)
    transitions: NDArray[np.int64] = field(repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.coords.shape[0])

    @property
    def n_actions(self) -> int:
        """Number of actions (including stay when enabled)."""
        return len(self.actions)

    @property
    def available(self) -> NDArray[np.bool_]:
        """Boolean mask (n_nodes, n_actions) of actions that lead somewhere."""
        return self.transitions >= 0

    @property
    def adjacency(self) -> NDArray[np.bool_]:
        """Symmetric boolean adjacency matrix (n_nodes, n_nodes) without self-loops."""
        adj = np.zeros((self.n_nodes, self.n_nodes), dtype=bool)
        src, act = np.nonzero(self.available)
        dst = self.transitions[src, act]
        adj[src, dst] = True
        np.fill_diagonal(adj, False)
        return adj

    @property
    def n_edges(self) -> int:
        """Number of undirected edges between distinct nodes."""
        return int(self.adjacency.sum() // 2)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(x_min, x_max, y_min, y_max) of the node coordinates (m)."""
        lo, hi = self.coords.min(axis=0), self.coords.max(axis=0)
        return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))

    def neighbours(self, node: int) -> NDArray[np.int64]:
        """Distinct nodes reachable from ``node`` in one step (stay excluded).

        Parameters
        ----------
        node : int
            Node index.

        Returns
        -------
        ndarray of int
        """
        if not 0 <= node < self.n_nodes:
            raise ValueError(f"node must be in 0..{self.n_nodes - 1}; got {node}.")
        dst = self.transitions[node]
        return np.unique(dst[(dst >= 0) & (dst != node)])

    def describe(self) -> dict[str, object]:
        """A JSON-serialisable description (for provenance and the schema's environments).

        Returns
        -------
        dict
        """
        return {
            "kind": self.kind,
            "width": self.width,
            "height": self.height,
            "spacing_m": self.spacing,
            "stay": self.stay,
            "n_nodes": self.n_nodes,
        }


def _canonical_kind(kind: str) -> str:
    key = str(kind).strip().lower()
    if key not in _ALIASES:
        raise ValueError(
            f"unknown lattice kind {kind!r}; use one of {list(WORLD_KINDS)} "
            "(aliases: square4, hex, hex6, square8, octile, 4-/6-/8-connected)."
        )
    return _ALIASES[key]


def _check_size(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer number of nodes; got {value!r}.")
    if value < 2:
        raise ValueError(f"{name} must be at least 2 nodes (a world needs edges); got {value}.")
    return int(value)


def make_world(
    kind: str,
    width: int,
    height: int | None = None,
    *,
    stay: bool = True,
    spacing: float = 0.1,
) -> World:
    """Build a lattice world.

    Parameters
    ----------
    kind : {"square", "hexagonal", "eight"}
        ``"square"``: 4-connected square lattice; ``"hexagonal"``: 6-connected triangular
        lattice (rows offset by half a spacing, row pitch ``spacing * sqrt(3) / 2``);
        ``"eight"``: 8-connected square lattice (diagonals have length ``spacing * sqrt(2)``).
    width : int
        Nodes per row (>= 2).
    height : int, optional
        Number of rows (>= 2); default ``width``.
    stay : bool, default True
        Add a stay-still action (the last action index).
    spacing : float, default 0.1
        Distance between neighbouring nodes (m).

    Returns
    -------
    World

    Raises
    ------
    ValueError
        For an unknown kind, fewer than 2 nodes per side or a non-positive spacing.

    Examples
    --------
    >>> from hippocore.envs import make_world
    >>> w = make_world("hexagonal", 5)
    >>> w.n_nodes, w.actions[:2]
    (25, ('east', 'north-east'))
    """
    kind = _canonical_kind(kind)
    width = _check_size(width, "width")
    height = width if height is None else _check_size(height, "height")
    spacing = check_positive(spacing, "spacing")
    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    cols, rows = cols.ravel(), rows.ravel()
    if kind == "hexagonal":
        # Offset rows: odd rows shifted by half a spacing, so each node has six neighbours.
        x = (cols + 0.5 * (rows % 2)) * spacing
        y = rows * spacing * math.sqrt(3) / 2
    else:
        x = cols * spacing
        y = rows * spacing
    coords = np.column_stack([x, y]).astype(np.float64)
    names = [n for n, _ in _DIRECTIONS[kind]]
    angles = np.deg2rad([a for _, a in _DIRECTIONS[kind]])
    index = -np.ones((height, width), dtype=np.int64)
    index[rows, cols] = np.arange(rows.size)
    transitions = np.empty((rows.size, len(names) + int(stay)), dtype=np.int64)
    for k, (name, _) in enumerate(_DIRECTIONS[kind]):
        dc, dr = _offsets(kind, name, rows)
        r2, c2 = rows + dr, cols + dc
        inside = (r2 >= 0) & (r2 < height) & (c2 >= 0) & (c2 < width)
        dest = np.full(rows.size, -1, dtype=np.int64)
        dest[inside] = index[r2[inside], c2[inside]]
        transitions[:, k] = dest
    if stay:
        transitions[:, -1] = np.arange(rows.size)
        names.append("stay")
        angles = np.append(angles, np.nan)
    return World(
        kind=kind,
        width=width,
        height=height,
        spacing=spacing,
        stay=stay,
        coords=coords,
        actions=tuple(names),
        action_angles=angles,
        transitions=transitions,
    )


def _offsets(
    kind: str, name: str, rows: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Column and row offsets of one action for every node (hex offsets depend on row parity)."""
    straight = {
        "east": (1, 0),
        "north": (0, 1),
        "west": (-1, 0),
        "south": (0, -1),
        "north-east": (1, 1),
        "north-west": (-1, 1),
        "south-west": (-1, -1),
        "south-east": (1, -1),
    }
    zeros = np.zeros_like(rows)
    if kind != "hexagonal" or name in ("east", "west"):
        dc, dr = straight[name]
        return zeros + dc, zeros + dr
    odd = rows % 2
    # Odd rows sit half a spacing to the right: their diagonal neighbours are at columns
    # c and c+1 of the next row; even rows' at c-1 and c.
    dr = 1 if name.startswith("north") else -1
    dc = odd if name.endswith("east") else odd - 1
    return dc, zeros + dr


def assign_observations(
    world: World, n_x: int = 45, *, seed: int | np.random.Generator | None = None
) -> NDArray[np.int64]:
    """Draw one observation class per node, i.i.d. uniform over ``n_x`` classes.

    Parameters
    ----------
    world : World
        The world whose nodes get observations.
    n_x : int, default 45
        Number of observation classes.
    seed : int or Generator, optional
        Randomness (pass an int for reproducibility).

    Returns
    -------
    ndarray of int, shape (n_nodes,)
        Observation class of each node, in ``0..n_x-1`` (classes may repeat).
    """
    if isinstance(n_x, bool) or not isinstance(n_x, (int, np.integer)) or n_x < 2:
        raise ValueError(f"n_x must be an integer >= 2; got {n_x!r}.")
    return as_rng(seed).integers(0, n_x, size=world.n_nodes)
