"""What TEM carries across chunks (state), returns per chunk (output, loss), reads per step."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from hippocore.zoo._tem_config import _Schedule

__all__ = ["TEMState", "TEMOutput", "chunk_loss"]


@dataclass
class TEMState:
    """Recurrent state carried across chunks (one row per batch element / environment).

    Attributes
    ----------
    g : Tensor (batch, n_g)
        Last inferred g.
    x_filtered : Tensor (batch, n_modules, n_x_compressed)
        Temporally filtered sensory input of each module.
    memory_gen : Tensor (batch, n_p, n_p)
        Generative Hebbian memory (hierarchical).
    memory_inf : Tensor (batch, n_p, n_p)
        Inference Hebbian memory (all-to-all).
    """

    g: Tensor
    x_filtered: Tensor
    memory_gen: Tensor
    memory_inf: Tensor

    def detach(self) -> TEMState:
        """Cut the graph (truncated backprop)."""
        return TEMState(
            self.g.detach(),
            self.x_filtered.detach(),
            self.memory_gen.detach(),
            self.memory_inf.detach(),
        )


@dataclass
class TEMOutput:
    """What one forward pass over a chunk returns (time-major per batch element).

    Attributes
    ----------
    logits : Tensor (batch, time, n_x)
        ``x_gt``: prediction from memory queried with the path-integrated g, before x is seen.
    logits_p, logits_g : Tensor (batch, time, n_x)
        ``x_p`` (from the inferred p) and ``x_g`` (memory queried with the inferred g).
    g, g_gen : Tensor (batch, time, n_g)
        Inferred and path-integrated g.
    p, p_g, p_gt, p_x : Tensor (batch, time, n_p)
        Inferred p, and p retrieved from memory with the inferred g, the path-integrated g
        and the sensory input.
    x_filtered : Tensor (batch, time, n_modules, n_x_compressed)
        Filtered sensory input.
    state : TEMState
        State after the chunk.
    """

    logits: Tensor
    logits_p: Tensor
    logits_g: Tensor
    g: Tensor
    g_gen: Tensor
    p: Tensor
    p_g: Tensor
    p_gt: Tensor
    p_x: Tensor
    x_filtered: Tensor
    state: TEMState


@dataclass(frozen=True)
class _Chunk:
    """What every step of a chunk reads, computed once per chunk (:meth:`TEM._chunk`).

    Memories are the state's, cleared where ``reset``; ``weights`` (T, T) and ``old_scale``
    (T,) weigh the chunk's memories and the matrix at each step. The senses do not depend
    on g, so they are filtered for all steps first: ``x_filtered`` (b, T, n_mod, n_xc),
    the query of the inference memory ``x2p`` (b, T, n_p) and its first attractor product
    ``first_inf`` (b, T, n_p); ``gen_by_phase``: the generative matrix's rows summed per
    phase (for the first products of grid queries).
    """

    schedule: _Schedule
    actions: Tensor
    reset: Tensor
    g_start: Tensor
    mem_gen: Tensor
    mem_inf: Tensor
    weights: Tensor
    old_scale: Tensor
    x_onehot: Tensor
    x_filtered: Tensor
    x2p: Tensor
    first_inf: Tensor
    gen_by_phase: Tensor


def chunk_loss(out: TEMOutput, obs: Tensor, visited: Tensor | None, sc: _Schedule) -> Tensor:
    """TEM's loss for one chunk (TF2 ``compute_losses``); :meth:`TEM.loss` documents it.

    ``obs`` (b, T) observations; ``visited`` (b, T) bool, the steps that count (``None``:
    all); ``sc`` the schedule at this step.
    """
    t_len = obs.shape[1]
    v = torch.ones_like(obs, dtype=out.g.dtype) if visited is None else visited.to(out.g.dtype)
    norm = 1.0 / ((v.sum(0) + 1e-8) * t_len)  # (T,)

    def mean(term: Tensor) -> Tensor:  # term (b, T)
        return ((term * v).sum(0) * norm).sum()

    def ce(logits: Tensor) -> Tensor:
        return F.cross_entropy(logits.transpose(1, 2), obs, reduction="none")

    def half_sq(u: Tensor, w: Tensor) -> Tensor:
        return 0.5 * (u - w).pow(2).sum(-1)

    loss = mean(ce(out.logits_p)) + mean(ce(out.logits_g)) + mean(ce(out.logits))
    loss = loss + sc.temp * (mean(half_sq(out.p, out.p_g)) + mean(half_sq(out.g, out.g_gen)))
    loss = loss + sc.temp * sc.p2g_use * mean(half_sq(out.p, out.p_x))
    loss = loss + sc.g_reg * mean(out.g.pow(2).sum(-1))
    loss = loss + sc.p_reg * mean(out.p.abs().sum(-1))
    return loss
