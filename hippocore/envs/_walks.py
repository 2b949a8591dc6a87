"""Walk policies on graph worlds: uniform random walk and TEM's straight-line-biased walk."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hippocore._checks import as_rng
from hippocore.envs._graph import World

__all__ = ["Walk", "random_walk", "tem_walk"]


@dataclass(frozen=True)
class Walk:
    """A walk through a graph world.

    Attributes
    ----------
    nodes : ndarray of int, shape (n_steps + 1,)
        Node visited at each step; ``nodes[0]`` is the start.
    actions : ndarray of int, shape (n_steps,)
        ``actions[t]`` leads from ``nodes[t]`` to ``nodes[t + 1]``.
    """

    nodes: NDArray[np.int64]
    actions: NDArray[np.int64]

    def positions(self, world: World) -> NDArray[np.float64]:
        """Node coordinates along the walk, shape (n_steps + 1, 2), in m.

        Parameters
        ----------
        world : World
            The world the walk was taken in.

        Returns
        -------
        ndarray of float, shape (n_steps + 1, 2)
        """
        return world.coords[self.nodes]


def _check_walk_args(
    world: World, n_steps: int, start: int | None, rng: np.random.Generator
) -> int:
    if not isinstance(world, World):
        raise TypeError(f"world must be a hippocore.envs.World; got {type(world).__name__}.")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise ValueError(f"n_steps must be a non-negative integer; got {n_steps!r}.")
    if world.n_edges == 0:
        raise ValueError("the world has no edges between distinct nodes; a walk cannot move.")
    if start is None:
        return int(rng.integers(world.n_nodes))
    if not 0 <= int(start) < world.n_nodes:
        raise ValueError(f"start must be a node index in 0..{world.n_nodes - 1}; got {start!r}.")
    return int(start)


def random_walk(
    world: World,
    n_steps: int,
    *,
    start: int | None = None,
    seed: int | np.random.Generator | None = None,
) -> Walk:
    """Uniform random walk: each step picks uniformly among the available actions.

    Stay-still counts as an action when the world has it.

    Parameters
    ----------
    world : World
        Graph world.
    n_steps : int
        Number of steps.
    start : int, optional
        Start node; default uniform at random.
    seed : int or Generator, optional
        Randomness.

    Returns
    -------
    Walk
    """
    rng = as_rng(seed)
    node = _check_walk_args(world, n_steps, start, rng)
    avail = world.available
    counts = avail.sum(axis=1)
    # Column index of the k-th available action of each node, for O(1) sampling.
    ranked = np.argsort(~avail, axis=1, kind="stable")
    u = rng.random(n_steps)
    nodes = np.empty(n_steps + 1, dtype=np.int64)
    actions = np.empty(n_steps, dtype=np.int64)
    nodes[0] = node
    for t in range(n_steps):
        a = ranked[node, int(u[t] * counts[node])]
        actions[t] = a
        node = world.transitions[node, a]
        nodes[t + 1] = node
    return Walk(nodes, actions)


def tem_walk(
    world: World,
    n_steps: int,
    *,
    direction_bias: float = 0.25,
    heading_noise: float = 0.4,
    start: int | None = None,
    seed: int | np.random.Generator | None = None,
) -> Walk:
    """TEM's straight-line-biased random walk.

    A heading drifts by ``U(-heading_noise, heading_noise)`` rad per step. With probability
    ``direction_bias`` the walker takes the available move closest to its heading, if that
    move is within pi/4 of it; otherwise (or if no move is that close) it picks uniformly among
    the available actions, stay included. After a move the heading points the way the walker
    moved (our choice where the TEM description is silent: a heading that ignored the moves
    would keep pointing into a wall and pin the walker there), so biased steps string together
    into straight runs that turn at walls. The defaults follow TEM's rectangle worlds (0.25; TEM
    uses 0.2 for hexagonal worlds).

    Parameters
    ----------
    world : World
        Graph world.
    n_steps : int
        Number of steps.
    direction_bias : float, default 0.25
        Probability of following the heading, in [0, 1].
    heading_noise : float, default 0.4
        Half-width of the uniform heading drift per step (rad).
    start : int, optional
        Start node; default uniform at random.
    seed : int or Generator, optional
        Randomness.

    Returns
    -------
    Walk

    References
    ----------
    Whittington et al. (2020), Cell 183:1249, and the public TEM code's ``bias_type='angle'``.
    """
    if not 0.0 <= float(direction_bias) <= 1.0:
        raise ValueError(f"direction_bias must be a probability in [0, 1]; got {direction_bias!r}.")
    if not np.isfinite(heading_noise) or heading_noise < 0:
        raise ValueError(
            f"heading_noise must be a non-negative angle (rad); got {heading_noise!r}."
        )
    rng = as_rng(seed)
    node = _check_walk_args(world, n_steps, start, rng)
    avail = world.available
    counts = avail.sum(axis=1)
    ranked = np.argsort(~avail, axis=1, kind="stable")
    angles = world.action_angles
    moving = np.isfinite(angles)
    heading = rng.uniform(-np.pi, np.pi)
    u_choice, u_bias = rng.random(n_steps), rng.random(n_steps)
    drift = rng.uniform(-heading_noise, heading_noise, n_steps)
    nodes = np.empty(n_steps + 1, dtype=np.int64)
    actions = np.empty(n_steps, dtype=np.int64)
    nodes[0] = node
    for t in range(n_steps):
        heading += drift[t]
        a = -1
        if u_bias[t] < direction_bias:
            ok = avail[node] & moving
            if ok.any():
                diff = np.abs(np.angle(np.exp(1j * (angles - heading))))
                diff[~ok] = np.inf
                best = int(np.argmin(diff))
                if diff[best] <= np.pi / 4:
                    a = best
        if a < 0:
            a = int(ranked[node, int(u_choice[t] * counts[node])])
        if moving[a]:
            heading = angles[a]
        actions[t] = a
        node = world.transitions[node, a]
        nodes[t + 1] = node
    return Walk(nodes, actions)
