"""TEM's memory: Hebbian matrices, the attractor that retrieves from them, TEM = attention.

Each environment holds two matrices over the place units p; within a chunk the new
memories are kept as scalar products (low rank) and folded into the matrices at the
chunk's end. Retrieval is an attractor ``h <- f_p(kappa h + h M)``. The functions here are
the torch version; ``_tem_kernel`` runs the same attractor compiled, one environment at a
time. The model that uses them: :mod:`hippocore.zoo.tem`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "f_p",
    "hebbian_fold",
    "conjunction",
    "attention_without_softmax",
    "memory_readout",
    "low_rank",
    "attract",
    "iteration_cols",
]


def f_p(z: Tensor) -> Tensor:
    """Place-unit activation ``leaky_relu(clip(z, -1, 1), 0.01)``."""
    return F.leaky_relu(z.clamp(-1.0, 1.0), 0.01)


def hebbian_fold(
    memory: Tensor,
    a: Tensor,
    b: Tensor,
    weights: Tensor,
    decay: float,
    *,
    mask: Tensor | None = None,
    limit: float = math.inf,
) -> Tensor:
    """Fold a chunk's Hebbian updates into the memory matrix (TF2 ``final_hebbian``).

    ``M_new = clip(decay * M + sum_tau weights[tau] * b_tau a_tau^T (* mask), -limit, limit)``
    with entry ``M[i, j]`` the connection from unit i to unit j (retrieval is ``h M``).

    Parameters
    ----------
    memory : Tensor (batch, n, n)
        Memory at the chunk's start.
    a, b : Tensor (batch, T, n)
        The chunk's memories (TEM: ``a = p - p_hat``, ``b = p + p_hat``).
    weights : Tensor (T,)
        Weight of each memory at the chunk's end (TEM: ``eta * lambda ** (T - 1 - tau)``).
    decay : float
        Factor on the old memory (TEM: ``lambda ** T``).
    mask : Tensor (n, n), optional
        Connectivity (1 = allowed) applied to the new part.
    limit : float, default inf
        Clip bound.

    Returns
    -------
    Tensor (batch, n, n)
    """
    update = torch.bmm((b * weights[None, :, None]).transpose(1, 2), a)
    if mask is not None:
        update.mul_(mask)
    # in place: three passes over the new matrix and no further (batch, n, n) allocations
    return update.add_(memory, alpha=decay).clamp_(-limit, limit)


def conjunction(x: Tensor, g: Tensor) -> Tensor:
    """TEM's p layout of the outer product of g and x: ``p[i * n_x + s] = g[i] * x[s]``.

    Parameters
    ----------
    x : Tensor (..., n_x)
    g : Tensor (..., n_g)

    Returns
    -------
    Tensor (..., n_g * n_x)
    """
    return (g[..., :, None] * x[..., None, :]).flatten(-2)


def attention_without_softmax(query: Tensor, keys: Tensor, values: Tensor) -> Tensor:
    """Dot-product attention with no softmax: ``sum_tau (query . keys_tau) values_tau``.

    Parameters
    ----------
    query : Tensor (..., d)
    keys : Tensor (..., T, d)
    values : Tensor (..., T, v)

    Returns
    -------
    Tensor (..., v)
    """
    scores = (keys * query[..., None, :]).sum(-1)  # (..., T)
    return (scores[..., None] * values).sum(-2)


def memory_readout(g_keys: Tensor, x_values: Tensor, g_query: Tensor) -> tuple[Tensor, Tensor]:
    """Query TEM's memory with a position alone; return the retrieved p and x.

    Builds ``M = sum_tau p_tau p_tau^T`` with ``p_tau = g_tau (x) x_tau`` (no decay, no
    clipping), queries it with ``q = g_query (x) 1`` (the query TEM's generative memory
    gets: g repeated, sensory part uniform) and reads x out of the retrieved p by summing
    over the g axis (TEM's ``W_tile^T``).

    Parameters
    ----------
    g_keys : Tensor (T, n_g)
    x_values : Tensor (T, n_x)
    g_query : Tensor (n_g,)

    Returns
    -------
    p : Tensor (n_g * n_x,)
        ``q M`` = ``sum_tau (g_query . g_tau)(1 . x_tau) p_tau``.
    x : Tensor (n_x,)
        ``p`` summed over g: ``sum_tau (g_query . g_tau)(1 . x_tau)(1 . g_tau) x_tau``.

    Notes
    -----
    ``q . p_tau = (g_query . g_tau)(1 . x_tau)``: dot-product attention without softmax,
    query ``g_query``, keys ``g_tau``, values ``p_tau`` (or, read out, ``x_tau`` scaled by
    ``(1 . x_tau)(1 . g_tau)``: 1 for one-hot x and keys of unit sum). docs/zoo.md derives it.
    """
    p = conjunction(x_values, g_keys)  # (T, n_g * n_x)
    memory = p.T @ p  # sum_tau p_tau p_tau^T
    q = conjunction(torch.ones_like(x_values[0]), g_query)
    retrieved = q @ memory
    return retrieved, retrieved.view(g_keys.shape[-1], x_values.shape[-1]).sum(0)


def low_rank(
    h: Tensor,
    a: Tensor,
    b: Tensor,
    weights: Tensor,
    *,
    suffix_mask: Tensor | None = None,
    unit_mask: Tensor | None = None,
) -> Tensor:
    """``h`` times the chunk's not-yet-folded memories, by scalar products.

    ``out[q, j] = sum_s weights[q, s] (h_q . b_s)_j a_s[j]`` where ``(h . b)_j`` sums over
    the units that may connect to unit j: all, or (hierarchical, ``suffix_mask`` given)
    those of modules of the same or lower frequency than j's.

    Parameters
    ----------
    h : Tensor (b, Q, n_p)
    a, b : Tensor (b, S, n_p)
    weights : Tensor (Q, S)
        Zero where a memory is not yet written.
    suffix_mask : Tensor (n_modules, n_p), optional
        Row f: 1 on the units of modules f, f + 1, ... (what module f hears).
    unit_mask : Tensor (n_modules, n_p), optional
        Row f: 1 on module f's units (with ``suffix_mask``).

    Returns
    -------
    Tensor (b, Q, n_p)
    """
    if suffix_mask is None or unit_mask is None:
        scores = torch.bmm(h, b.transpose(1, 2)) * weights  # (b, Q, S)
        return torch.bmm(scores, a)
    # Module f hears units from its own start on: one product of the suffix-masked
    # queries with the memories gives every module's scores.
    n_batch, n_q, n_mod = h.shape[0], h.shape[1], suffix_mask.shape[0]
    masked = (h[:, None] * suffix_mask[:, None, :]).flatten(1, 2)  # (b, n_mod * Q, n_p)
    heard = torch.bmm(masked, b.transpose(1, 2)).view(n_batch, n_mod, n_q, -1) * weights
    out = torch.bmm(heard.flatten(1, 2), a).view(n_batch, n_mod, n_q, -1)
    return (out * unit_mask[:, None, :]).sum(1)  # unit j keeps its module's row


def attract(
    query: Tensor,
    memory: Tensor,
    old_scale: Tensor,
    a: Tensor,
    b: Tensor,
    weights: Tensor,
    *,
    cols: list[int],
    kappa: float,
    first: Tensor | None = None,
    suffix_mask: Tensor | None = None,
    unit_mask: Tensor | None = None,
) -> Tensor:
    """TEM's attractor ``h <- f_p(kappa h + h M)``, one iteration per entry of ``cols``.

    ``h M = old_scale * (h @ memory) + low-rank part`` (the matrix at the chunk's start,
    decayed, plus the chunk's memories: :func:`low_rank`); iteration k updates the first
    ``cols[k]`` units only (TEM's per-module early stop in the generative memory).

    Parameters
    ----------
    query : Tensor (b, Q, n_p)
    memory : Tensor (b, n_p, n_p)
    old_scale : Tensor (Q,)
    a, b : Tensor (b, S, n_p)
    weights : Tensor (Q, S)
    cols : list of int
    kappa : float
    first : Tensor (b, Q, n_p), optional
        ``f_p(query) @ memory`` if already known.
    suffix_mask, unit_mask : Tensor (n_modules, n_p), optional
        Hierarchical connectivity (:func:`low_rank`).

    Returns
    -------
    Tensor (b, Q, n_p)
    """
    h = f_p(query)
    for k, n in enumerate(cols):
        if k == 0 and first is not None:
            old = first[..., :n]
        else:
            old = torch.matmul(h, memory[:, :, :n])
        upd = old_scale[:, None] * old
        if a.shape[1]:
            lr = low_rank(h, a, b, weights, suffix_mask=suffix_mask, unit_mask=unit_mask)
            upd = upd + lr[..., :n]
        new = f_p(kappa * h[..., :n] + upd)
        h = new if n == h.shape[-1] else torch.cat([new, h[..., n:]], -1)
    return h


def iteration_cols(p_starts: list[int], *, hierarchical: bool) -> list[int]:
    """Units updating at each of the ``n_modules`` attractor iterations (the first ``cols[k]``).

    All of them; or, hierarchical (the generative memory), module f stops after ``n_modules
    - f`` iterations. ``p_starts``: first unit of each module, then ``n_p``.
    """
    n_mod = len(p_starts) - 1
    return [p_starts[n_mod - k] if hierarchical else p_starts[-1] for k in range(n_mod)]
