"""Training and test data: walks through random worlds, with first-visit and zero-shot flags.

Every environment is generated from its own seed ``(seed, element, env_index)``, so a
stream's whole state is two small integer arrays (which environment each batch element is
in and how far along) and resuming from a checkpoint regenerates identical data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from hippocore.envs import (
    WORLD_KINDS,
    World,
    assign_context_observations,
    assign_observations,
    complete_revisits,
    draw_contexts,
    make_world,
    tem_walk,
)

if TYPE_CHECKING:
    from hippocore.zoo._config import EnvConfig

__all__ = [
    "Episode",
    "make_episode",
    "env_episode",
    "episode_flags",
    "WalkStream",
    "Chunk",
    "global_actions",
    "action_vocabulary",
    "node_positions",
]


@dataclass(frozen=True)
class Episode:
    """One environment's walk, laid out step by step as the model sees it.

    Attributes
    ----------
    world : World
        The world.
    nodes : ndarray of int (n_steps,)
        Node at each step.
    actions : ndarray of int (n_steps,)
        Global action index that led to ``nodes[t]`` (``actions[0]`` is meaningless: start).
    observations : ndarray of int (n_steps,)
        Observation class at ``nodes[t]``.
    revisit : ndarray of bool (n_steps,)
        ``nodes[t]`` was visited before step t.
    zero_shot : ndarray of bool (n_steps,)
        A revisit reached through a (node, action) edge never taken before in this
        environment (stay excluded): TEM's ``inference_opportunity``.
    contexts : ndarray of int (n_steps,) or None
        Three-stream worlds: the context class at each step (None in two-stream worlds).
        There ``revisit`` and ``zero_shot`` refer to the (node, context) pair: the
        observation is determined by it.
    complete : ndarray of bool (n_steps,) or None
        Three-stream worlds: the node was visited before under every context
        (``hippocore.envs.complete_revisits``; where the context-blind cap applies).
    """

    world: World
    nodes: NDArray[np.int64]
    actions: NDArray[np.int64]
    observations: NDArray[np.int64]
    revisit: NDArray[np.bool_]
    zero_shot: NDArray[np.bool_]
    contexts: NDArray[np.int64] | None = None
    complete: NDArray[np.bool_] | None = None


def action_vocabulary(kinds: tuple[str, ...]) -> tuple[str, ...]:
    """Global action names ``"kind:direction"`` for the given kinds (stay excluded).

    Parameters
    ----------
    kinds : tuple of str
        Canonical lattice kinds.

    Returns
    -------
    tuple of str
    """
    names = []
    for kind in WORLD_KINDS:
        if kind in kinds:
            w = make_world(kind, 2, stay=False)
            names.extend(f"{kind}:{a}" for a in w.actions)
    return tuple(names)


def global_actions(world: World, vocabulary: tuple[str, ...]) -> NDArray[np.int64]:
    """Map a world's action indices to the model's global action indices (stay = last).

    Parameters
    ----------
    world : World
        The world.
    vocabulary : tuple of str
        The model's ``"kind:direction"`` action names.

    Returns
    -------
    ndarray of int (n_actions,)

    Raises
    ------
    ValueError
        If the world's kind is not one the model was built for.
    """
    out = np.empty(world.n_actions, dtype=np.int64)
    for i, name in enumerate(world.actions):
        if name == "stay":
            out[i] = len(vocabulary)
            continue
        key = f"{world.kind}:{name}"
        if key not in vocabulary:
            kinds = sorted({v.split(":")[0] for v in vocabulary})
            raise ValueError(
                f"the model was trained on {kinds} worlds and has no action {key!r}; "
                f"use a world of kind {kinds} (got kind {world.kind!r})."
            )
        out[i] = vocabulary.index(key)
    return out


def episode_flags(
    nodes: NDArray[np.int64], actions: NDArray[np.int64], stay_index: int
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Revisit and zero-shot flags of a walk (vectorised).

    Parameters
    ----------
    nodes : ndarray of int (n,)
        Node at each step.
    actions : ndarray of int (n,)
        Action arriving at each step (entry 0 ignored).
    stay_index : int
        The stay action's index (never a zero-shot opportunity).

    Returns
    -------
    revisit, zero_shot : ndarray of bool (n,)
    """
    n = nodes.size
    first = np.zeros(n, dtype=bool)
    first[np.unique(nodes, return_index=True)[1]] = True
    revisit = ~first
    zero_shot = np.zeros(n, dtype=bool)
    if n > 1:
        edge = nodes[:-1] * (int(actions.max()) + 1) + actions[1:]
        new_edge = np.zeros(n - 1, dtype=bool)
        new_edge[np.unique(edge, return_index=True)[1]] = True
        zero_shot[1:] = revisit[1:] & new_edge & (actions[1:] != stay_index)
    return revisit, zero_shot


@lru_cache(maxsize=64)
def _world(kind: str, width: int, spacing: float) -> World:
    return make_world(kind, width, spacing=spacing)


def make_episode(
    world: World,
    n_steps: int,
    vocabulary: tuple[str, ...],
    *,
    n_x: int,
    direction_bias: float,
    rng: np.random.Generator,
    start: int | None = None,
    n_c: int = 0,
    context_switch: float = 1.0,
) -> Episode:
    """Draw observations and a TEM walk of ``n_steps`` steps in ``world``.

    Parameters
    ----------
    world : World
        The world (must have edges).
    n_steps : int
        Steps (nodes visited, start included).
    vocabulary : tuple of str
        Model action names.
    n_x : int
        Observation classes.
    direction_bias : float
        TEM walk straight-line bias.
    rng : Generator
        Randomness.
    start : int, optional
        Start node (default: uniform at random).
    n_c : int, default 0
        Context classes: 0 for a two-stream world, else a three-stream world (observations
        per (context, node), contexts drawn with ``context_switch``).
    context_switch : float, default 1.0
        Probability per step of redrawing the context.

    Returns
    -------
    Episode
    """
    if world.n_edges == 0:
        raise ValueError(
            f"world {world.describe()} has no edges between distinct nodes; the agent cannot move."
        )
    gmap = global_actions(world, vocabulary)
    if n_c:
        table = assign_context_observations(world, n_x, n_c, seed=rng)
    else:
        obs = assign_observations(world, n_x, seed=rng)
    walk = tem_walk(world, n_steps - 1, direction_bias=direction_bias, start=start, seed=rng)
    actions = np.concatenate([[len(vocabulary)], gmap[walk.actions]])
    if not n_c:
        revisit, zero_shot = episode_flags(walk.nodes, actions, len(vocabulary))
        return Episode(world, walk.nodes, actions, obs[walk.nodes], revisit, zero_shot)
    contexts = draw_contexts(n_steps, n_c, switch_prob=context_switch, seed=rng)
    # Revisits of the (node, context) pair; zero-shot: such a revisit through an edge never
    # taken before (what episode_flags marks for the nodes, minus its node-revisit part).
    revisit, _ = episode_flags(walk.nodes * n_c + contexts, actions, len(vocabulary))
    node_revisit, node_zero = episode_flags(walk.nodes, actions, len(vocabulary))
    zero_shot = revisit & node_zero  # (a pair revisit is a node revisit)
    complete = complete_revisits(walk.nodes, contexts, n_c)
    obs_ctx = table[contexts, walk.nodes]
    return Episode(world, walk.nodes, actions, obs_ctx, revisit, zero_shot, contexts, complete)


def env_episode(
    world: World,
    n_steps: int,
    vocabulary: tuple[str, ...],
    env: EnvConfig,
    *,
    rng: np.random.Generator,
    start: int | None = None,
) -> Episode:
    """:func:`make_episode` with the walk and streams of a config's ``env`` section.

    Observation classes, walk bias and, in a three-stream world (``env.n_c > 0``), the
    context stream come from ``env``, so every model gets the streams it was trained on
    (a model that binds contexts cannot run without them). The two-stream draw is
    :func:`make_episode`'s, unchanged.

    Parameters
    ----------
    world : World
        The world (of any size: ``env.widths`` is not applied).
    n_steps : int
        Steps (nodes visited, start included).
    vocabulary : tuple of str
        Model action names.
    env : EnvConfig
        The model's env section (``n_x``, ``direction_bias``, ``n_c``, ``context_switch``).
    rng : Generator
        Randomness.
    start : int, optional
        Start node (default: uniform at random).

    Returns
    -------
    Episode
    """
    return make_episode(
        world,
        n_steps,
        vocabulary,
        n_x=env.n_x,
        direction_bias=env.direction_bias,
        rng=rng,
        start=start,
        n_c=env.n_c,
        context_switch=env.context_switch,
    )


@dataclass(frozen=True)
class Chunk:
    """One training chunk for the whole batch (arrays of shape (batch, time)).

    ``nodes`` (node index) and ``positions`` ((batch, time, 2) node coordinates in node
    spacings, float32) are read only by models whose ``uses_nodes`` is true (TEM-t's
    position-code baselines).
    """

    actions: NDArray[np.int64]
    observations: NDArray[np.int64]
    revisit: NDArray[np.bool_]
    zero_shot: NDArray[np.bool_]
    reset: NDArray[np.bool_]
    context: NDArray[np.int64] | None = None
    nodes: NDArray[np.int64] | None = None
    positions: NDArray[np.float32] | None = None


def node_positions(world: World, nodes: NDArray[np.int64]) -> NDArray[np.float32]:
    """Coordinates of ``nodes`` in node spacings, shape (..., 2), float32."""
    return (world.coords[nodes] / world.spacing).astype(np.float32)


class WalkStream:
    """Batch of environments walked in parallel, each switching to a fresh world independently.

    An environment's walk length follows ``env.lifetime`` (a number of chunks, or TEM's
    visits-per-node curriculum, which depends on the gradient step the environment starts
    at: :meth:`next_chunk` takes that step).

    Parameters
    ----------
    env : EnvConfig
        World and walk settings.
    vocabulary : tuple of str
        Model action names.
    batch_size, chunk_length : int
        Batch and chunk sizes.
    seed : int
        Base seed.
    """

    def __init__(self, env, vocabulary, batch_size: int, chunk_length: int, seed: int):
        self.env, self.vocabulary = env, vocabulary
        self.batch_size, self.chunk_length, self.seed = batch_size, chunk_length, seed
        self.env_index = np.full(batch_size, -1, dtype=np.int64)
        self.position = np.zeros(batch_size, dtype=np.int64)  # steps consumed in the current env
        self.start_step = np.zeros(batch_size, dtype=np.int64)  # gradient step the env began at
        self._episodes: list[Episode | None] = [None] * batch_size

    def state_dict(self) -> dict[str, list[int]]:
        """Resumable state (JSON-safe)."""
        state = {"env_index": self.env_index.tolist(), "position": self.position.tolist()}
        if self.env.lifetime != "chunks":  # (chunk lifetimes do not depend on the step)
            state["start_step"] = self.start_step.tolist()
        return state

    def load_state_dict(self, state: dict[str, list[int]]) -> None:
        """Restore :meth:`state_dict` (episodes are regenerated from their seeds)."""
        self.env_index = np.asarray(state["env_index"], dtype=np.int64)
        self.position = np.asarray(state["position"], dtype=np.int64)
        start = state.get("start_step", [0] * self.batch_size)
        self.start_step = np.asarray(start, dtype=np.int64)
        self._episodes = [None] * self.batch_size

    def _episode(self, b: int) -> Episode:
        ep = self._episodes[b]
        if ep is None:
            rng = np.random.default_rng([self.seed, b, int(self.env_index[b])])
            kind = self.env.kinds[int(rng.integers(len(self.env.kinds)))]
            width = int(rng.integers(self.env.widths[0], self.env.widths[1] + 1))
            world = _world(kind, width, self.env.spacing)
            if self.env.lifetime == "chunks":
                lo, hi = self.env.chunks_per_env
                n_chunks = int(rng.integers(lo, hi + 1))
            else:  # TEM's curriculum: (visits per node + jitter) x nodes, whole chunks
                jitter = int(rng.integers(self.env.visits_jitter))
                visits = self.env.visits_at(int(self.start_step[b])) + jitter
                n_chunks = max(1, int(visits * world.n_nodes) // self.chunk_length)
            ep = env_episode(
                world, n_chunks * self.chunk_length, self.vocabulary, self.env, rng=rng
            )
            self._episodes[b] = ep
        return ep

    def next_chunk(self, step: int = 0) -> Chunk:
        """The next ``chunk_length`` steps of every batch element.

        Parameters
        ----------
        step : int, default 0
            The gradient step this chunk is for (sets the walk length of environments that
            start now when ``env.lifetime = "visits"``).

        Returns
        -------
        Chunk
        """
        t_len = self.chunk_length
        keys = ["actions", "observations", "revisit", "zero_shot", "nodes", "positions"]
        if self.env.n_c:
            keys.append("context")
        out: dict[str, list[np.ndarray]] = {k: [] for k in keys}
        reset = np.zeros(self.batch_size, dtype=bool)
        for b in range(self.batch_size):
            ep = self._episode(b) if self.env_index[b] >= 0 else None
            if ep is None or self.position[b] >= ep.nodes.size:
                self.env_index[b] += 1
                self.position[b] = 0
                self.start_step[b] = step
                self._episodes[b] = None
                ep = self._episode(b)
            p = int(self.position[b])
            reset[b] = p == 0
            sl = slice(p, p + t_len)
            out["actions"].append(ep.actions[sl])
            out["observations"].append(ep.observations[sl])
            out["revisit"].append(ep.revisit[sl])
            out["zero_shot"].append(ep.zero_shot[sl])
            out["nodes"].append(ep.nodes[sl])
            out["positions"].append(node_positions(ep.world, ep.nodes[sl]))
            if self.env.n_c:
                out["context"].append(ep.contexts[sl])
            self.position[b] = p + t_len
        return Chunk(**{k: np.stack(v) for k, v in out.items()}, reset=reset)
