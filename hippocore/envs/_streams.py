"""Three-stream worlds: a context stream c beside position and observations x.

Each step of a walk carries a context ``c_t`` (one of ``n_c`` classes) and the observation
at a node depends on the node *and* the context: ``x_t = table[c_t, node_t]``, with one
i.i.d. uniform draw over ``n_x`` classes per (context, node) pair. A context is a cue the
agent perceives (a light colour, an odour, a task rule) that changes what the places look
like; predicting x at a revisited place needs position, the x seen there before and the
context bound together.

Contexts follow a Markov chain: ``c_0`` is uniform and at every later step, with
probability ``switch_prob``, the context is redrawn uniformly over all ``n_c`` classes (it
may be redrawn unchanged); otherwise it is kept. ``switch_prob = 1`` draws an independent
context at every visit; smaller values give blocks of mean length ``1 / switch_prob``.

The cap of a context-blind predictor (:func:`context_blind_cap`)
-----------------------------------------------------------------
Score predictions at *complete revisits*: steps at a node already visited under every one of
the ``K = n_c`` contexts (then whatever the context, its observation there was seen). Take
any predictor that sees the nodes and observations of the past but not the contexts, and
even knows the whole table. Whether a step is a complete revisit depends on the past only,
so given the past the current context follows the chain's transition law.

- ``switch_prob = 1``: ``c_t`` is uniform and independent of the past, so the predictor's
  best guess at node n is the most frequent entry of ``table[:, n]`` and its accuracy is
  ``E[M_K] / K``, where ``M_K`` is the largest multiplicity among K i.i.d. uniform draws over
  ``n_x`` classes (computed exactly). Since ``M_K <= 1 + (number of equal pairs)``,
  ``E[M_K] / K <= 1 / K + (K - 1) / (2 n_x)``: 0.244 for K = 5, n_x = 45.
- ``switch_prob = s < 1``: even knowing ``c_{t-1}`` (which the past cannot tell better),
  ``c_t = c_{t-1}`` with probability ``q = 1 - s + s / K`` and is otherwise uniform over the
  other ``K - 1``; so accuracy ``<= q + (1 - q) E[M_{K-1}] / (K - 1)``. Long blocks let a
  blind predictor infer the context from recent observations: the cap rises towards 1.

A predictor that knows the context scores 1 at complete revisits (the table is
deterministic). :func:`count_oracle` gives both kinds of count-based predictor.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from hippocore._checks import as_rng
from hippocore.envs._graph import World

__all__ = [
    "assign_context_observations",
    "draw_contexts",
    "context_blind_cap",
    "expected_max_multiplicity",
    "complete_revisits",
    "count_oracle",
]


def _check_classes(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
        raise ValueError(f"{name} must be an integer >= 2; got {value!r}.")
    return int(value)


def _check_switch(switch_prob: float) -> float:
    if (
        isinstance(switch_prob, bool)
        or not isinstance(switch_prob, (int, float, np.floating))
        or not 0.0 < float(switch_prob) <= 1.0
    ):
        raise ValueError(
            f"switch_prob must be a probability in (0, 1] (1: a new context at every step); "
            f"got {switch_prob!r}."
        )
    return float(switch_prob)


def assign_context_observations(
    world: World,
    n_x: int = 45,
    n_c: int = 5,
    *,
    seed: int | np.random.Generator | None = None,
) -> NDArray[np.int64]:
    """Draw one observation class per (context, node) pair, i.i.d. uniform over ``n_x``.

    Parameters
    ----------
    world : World
        The world.
    n_x : int, default 45
        Observation classes.
    n_c : int, default 5
        Context classes.
    seed : int or Generator, optional
        Randomness.

    Returns
    -------
    ndarray of int, shape (n_c, n_nodes)
        ``table[c, node]``: the observation at ``node`` under context ``c``.
    """
    if not isinstance(world, World):
        raise TypeError(f"world must be a hippocore.envs.World; got {type(world).__name__}.")
    n_x, n_c = _check_classes(n_x, "n_x"), _check_classes(n_c, "n_c")
    return as_rng(seed).integers(0, n_x, size=(n_c, world.n_nodes))


def draw_contexts(
    n_steps: int,
    n_c: int = 5,
    *,
    switch_prob: float = 1.0,
    seed: int | np.random.Generator | None = None,
) -> NDArray[np.int64]:
    """A context sequence: uniform start, redrawn uniformly with probability ``switch_prob``.

    Parameters
    ----------
    n_steps : int
        Length of the sequence.
    n_c : int, default 5
        Context classes.
    switch_prob : float, default 1.0
        Probability per step of redrawing the context (uniform over all ``n_c``, so it may
        stay); 1 gives an independent context at every step.
    seed : int or Generator, optional
        Randomness.

    Returns
    -------
    ndarray of int, shape (n_steps,)
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise ValueError(f"n_steps must be a non-negative integer; got {n_steps!r}.")
    n_c, s = _check_classes(n_c, "n_c"), _check_switch(switch_prob)
    rng = as_rng(seed)
    draws = rng.integers(0, n_c, size=n_steps)
    if s == 1.0 or n_steps == 0:
        return draws
    switch = rng.random(n_steps) < s
    switch[0] = True
    # Each step takes the draw of the last step that switched.
    last = np.maximum.accumulate(np.where(switch, np.arange(n_steps), 0))
    return draws[last]


def expected_max_multiplicity(n_draws: int, n_classes: int) -> float:
    """``E[M]``: expected largest multiplicity among ``n_draws`` i.i.d. uniform draws.

    Exact up to float rounding: ``P(M <= m) = n! [z^n] (sum_{j<=m} z^j / j!)^k / k^n`` with
    ``k = n_classes`` (labelled draws into labelled classes, each at most m), and
    ``E[M] = sum_m P(M > m)``.

    Parameters
    ----------
    n_draws : int
        Number of draws (>= 1).
    n_classes : int
        Number of equally likely classes (>= 1).

    Returns
    -------
    float
    """
    n, k = int(n_draws), int(n_classes)
    if n < 1 or k < 1:
        raise ValueError(f"n_draws and n_classes must be >= 1; got {n_draws!r}, {n_classes!r}.")
    total = 0.0
    for m in range(n):  # P(M > m) for m = 0 .. n - 1
        # Truncated exponential series in z / k, raised to the k-th power (degree <= n).
        base = np.array(
            [(1.0 / k) ** j / math.factorial(j) if j <= m else 0.0 for j in range(n + 1)]
        )
        result = np.zeros(n + 1)
        result[0] = 1.0
        power, e = base, k
        while e:
            if e & 1:
                result = np.convolve(result, power)[: n + 1]
            power = np.convolve(power, power)[: n + 1]
            e >>= 1
        p_le = min(1.0, result[n] * math.factorial(n))
        total += 1.0 - p_le
    return total


def context_blind_cap(n_x: int, n_c: int, *, switch_prob: float = 1.0) -> float:
    """Best accuracy at complete revisits of any predictor that does not see the context.

    See the module docstring for the derivation: ``E[M_K] / K`` for ``switch_prob = 1``
    (exact), ``q + (1 - q) E[M_{K-1}] / (K - 1)`` with ``q = 1 - s + s / K`` otherwise (an
    upper bound).

    Parameters
    ----------
    n_x : int
        Observation classes.
    n_c : int
        Context classes (K).
    switch_prob : float, default 1.0
        The context chain's redraw probability s.

    Returns
    -------
    float
        In (0, 1]. A context-aware predictor reaches 1 at complete revisits.
    """
    n_x, k = _check_classes(n_x, "n_x"), _check_classes(n_c, "n_c")
    s = _check_switch(switch_prob)
    if s == 1.0:
        return expected_max_multiplicity(k, n_x) / k
    q = 1.0 - s + s / k
    return q + (1.0 - q) * expected_max_multiplicity(k - 1, n_x) / (k - 1)


def complete_revisits(
    nodes: NDArray[np.integer], contexts: NDArray[np.integer], n_c: int
) -> NDArray[np.bool_]:
    """Steps at a node already visited under every one of the ``n_c`` contexts.

    Parameters
    ----------
    nodes, contexts : ndarray of int (n_steps,)
        Node and context at each step.
    n_c : int
        Context classes.

    Returns
    -------
    ndarray of bool (n_steps,)
    """
    nodes, contexts = np.asarray(nodes), np.asarray(contexts)
    if nodes.shape != contexts.shape or nodes.ndim != 1:
        raise ValueError(
            f"nodes and contexts must be 1-D arrays of equal length; got shapes {nodes.shape} "
            f"and {contexts.shape}."
        )
    n = nodes.size
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    pair = nodes.astype(np.int64) * n_c + contexts
    first = np.zeros(n, dtype=bool)
    first[np.unique(pair, return_index=True)[1]] = True
    # Distinct contexts seen at each node before step t: within each node's steps (in time
    # order), the number of earlier first visits of a (node, context) pair.
    order = np.argsort(nodes, kind="stable")
    f = first[order].astype(np.int64)
    before = np.cumsum(f) - f  # first visits strictly earlier in the sorted order
    group_start = np.searchsorted(nodes[order], nodes[order], side="left")
    out[order] = before - before[group_start] >= n_c
    return out


def count_oracle(
    nodes: NDArray[np.integer],
    observations: NDArray[np.integer],
    contexts: NDArray[np.integer] | None,
    *,
    n_x: int,
) -> NDArray[np.int64]:
    """Predict each step's observation from counts of what was seen before at the same key.

    The key is (node, context) when ``contexts`` is given (a context-aware predictor) and
    the node alone when it is None (context-blind). The prediction is the most frequent
    observation seen before at the key (ties: the lowest class), -1 where the key is new.

    Parameters
    ----------
    nodes, observations : ndarray of int (n_steps,)
        Walk and observations.
    contexts : ndarray of int (n_steps,) or None
        Contexts, or None to ignore them.
    n_x : int
        Observation classes.

    Returns
    -------
    ndarray of int (n_steps,)
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    obs = np.asarray(observations, dtype=np.int64)
    key = nodes if contexts is None else nodes * (int(np.max(contexts)) + 1) + contexts
    _, key = np.unique(key, return_inverse=True)
    counts = np.zeros((int(key.max()) + 1 if key.size else 0, n_x), dtype=np.int64)
    pred = np.full(nodes.size, -1, dtype=np.int64)
    for t in range(nodes.size):
        row = counts[key[t]]
        if row.any():
            pred[t] = int(np.argmax(row))
        row[obs[t]] += 1
    return pred
