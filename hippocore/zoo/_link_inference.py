"""Link inference against the node and edge agents (TEM, Whittington et al. 2020, Fig. 3).

On a walk through a world with random observations, an agent that remembers the observation
at every node it has visited (the *node agent*) predicts every revisit, even one reached
through an edge it never took; an agent that remembers only the outcome of each (node, action)
edge it took (the *edge agent*) cannot predict a node reached through a new edge. Both guess
at chance otherwise. A model that has learned the world's structure predicts like the node
agent: its accuracy, against the fraction of the world's nodes visited so far, follows the
node agent's curve, not the edge agent's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hippocore._checks import as_rng
from hippocore.envs import World
from hippocore.zoo._data import Episode, env_episode
from hippocore.zoo._evaluate import _as_worlds, _check_model, _check_steps, run_episodes
from hippocore.zoo._protocol import ZooModel

__all__ = ["LinkInference", "agent_accuracy", "link_inference"]


@dataclass(frozen=True)
class LinkInference:
    """Prediction accuracy against the fraction of the world's nodes visited so far.

    Attributes
    ----------
    fraction_visited : ndarray (n_bins,)
        Bin centres: the fraction of the world's nodes visited before the step.
    model : ndarray (n_bins,)
        The model's accuracy over the bin's steps (NaN for an empty bin).
    node_agent, edge_agent : ndarray (n_bins,)
        Expected accuracy of the two agents over the same steps (:func:`agent_accuracy`).
    chance : float
        1 / n_x.
    n_steps : ndarray of int (n_bins,)
        Steps in each bin (all walks pooled).
    zero_shot_model : float
        The model's accuracy at the zero-shot steps (a visited node through a new edge), where
        the node agent is right and the edge agent at chance; NaN without such steps.
    n_zero_shot : int
        Number of those steps.
    """

    fraction_visited: NDArray[np.float64]
    model: NDArray[np.float64]
    node_agent: NDArray[np.float64]
    edge_agent: NDArray[np.float64]
    chance: float
    n_steps: NDArray[np.int64]
    zero_shot_model: float
    n_zero_shot: int


def agent_accuracy(episode: Episode, n_x: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Expected accuracy of the node agent and the edge agent at each step of a walk.

    Parameters
    ----------
    episode : Episode
        A two-stream walk (``episode.contexts is None``).
    n_x : int
        Number of observation classes (the agents guess at 1 / n_x).

    Returns
    -------
    node, edge : ndarray (n_steps,)
        1 where the agent knows the observation, 1 / n_x where it guesses. The node agent
        knows every node visited before; the edge agent knows a node reached through a
        (node, action) edge it took before, or by staying put (step 0 is a guess for both).

    Raises
    ------
    ValueError
        For a walk with a context stream or ``n_x`` < 1.
    """
    if episode.contexts is not None:
        raise ValueError(
            "agent_accuracy takes a two-stream walk; this one has a context stream, where the "
            "observation depends on (node, context): use evaluate() for three-stream models."
        )
    if isinstance(n_x, bool) or not isinstance(n_x, (int, np.integer)) or n_x < 1:
        raise ValueError(f"n_x must be a positive integer (observation classes); got {n_x!r}.")
    # Derived from the walk's own flags: a revisit is known to the node agent; the edge agent
    # knows it unless it came through a never-taken edge (TEM's zero-shot step). A first visit
    # is new to both (a new node is never reached by an old edge or by staying put).
    chance = 1.0 / n_x
    node = np.where(episode.revisit, 1.0, chance)
    edge = np.where(episode.revisit & ~episode.zero_shot, 1.0, chance)
    return node, edge


def _fraction_visited(episode: Episode) -> NDArray[np.float64]:
    """Fraction of the world's nodes visited before each step (0 at step 0)."""
    seen = np.cumsum(~episode.revisit)  # distinct nodes up to and including each step
    return np.concatenate([[0], seen[:-1]]) / episode.world.n_nodes


def link_inference(
    model: ZooModel,
    worlds: World | Sequence[World],
    n_steps: int,
    seed: int | np.random.Generator | None = None,
    *,
    n_bins: int = 10,
    n_threads: int | None = None,
) -> LinkInference:
    """A model's prediction accuracy beside the node and edge agents, on fresh walks.

    Parameters
    ----------
    model : ZooModel
        A two-stream zoo model (TEM, TEM-t).
    worlds : World or sequence of World
        Worlds of a kind the model was trained on; each gets fresh observations and a walk.
    n_steps : int
        Steps per walk.
    seed : int or Generator, optional
        Randomness of observations and walks.
    n_bins : int, default 10
        Equal bins of the fraction of nodes visited, over [0, 1].
    n_threads : int or None, default None
        torch intra-op threads, as in :func:`hippocore.zoo.evaluate`.

    Returns
    -------
    LinkInference

    Raises
    ------
    TypeError, ValueError
        As :func:`hippocore.zoo.evaluate` for the model, worlds and ``n_steps``; ValueError
        for ``n_bins`` < 1 and for a three-stream model (the agents are defined on nodes).
    """
    _check_model(model)
    items = _as_worlds(worlds)
    n_steps = _check_steps(n_steps)
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}.")
    env = model.config.env
    if env.n_c:
        raise ValueError(
            f"link_inference compares with agents that remember nodes; this {model.model_name} "
            f"model has a context stream (env.n_c = {env.n_c}): use evaluate() for it."
        )
    rng = as_rng(seed)
    eps = [env_episode(w, n_steps, model.actions, env, rng=rng) for w in items]
    res = run_episodes(
        model, eps, chunk_length=model.config.train.chunk_length, n_threads=n_threads
    )
    correct = (res["logits"].argmax(-1) == np.stack([ep.observations for ep in eps])).ravel()
    frac = np.concatenate([_fraction_visited(ep) for ep in eps])
    agents = [agent_accuracy(ep, env.n_x) for ep in eps]
    node = np.concatenate([a[0] for a in agents])
    edge = np.concatenate([a[1] for a in agents])
    zero = np.concatenate([ep.zero_shot for ep in eps])
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(frac, edges) - 1, 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins)

    def mean(values: NDArray) -> NDArray[np.float64]:
        total = np.bincount(which, weights=values.astype(float), minlength=n_bins)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    return LinkInference(
        fraction_visited=(edges[:-1] + edges[1:]) / 2,
        model=mean(correct),
        node_agent=mean(node),
        edge_agent=mean(edge),
        chance=1.0 / env.n_x,
        n_steps=count.astype(np.int64),
        zero_shot_model=float(correct[zero].mean()) if zero.any() else float("nan"),
        n_zero_shot=int(zero.sum()),
    )
