"""Scores of a chunk's queries against fixed keys, with the keys' gradient taken once.

TEM-t scores each step's query q_t (b, n_k) against the keys of the memories of earlier
chunks, k (b, m, n_k), a matrix that does not change within the chunk: s_t = k q_t. Autograd
would form the keys' gradient as one outer product dS_t q_tᵀ (b, m, n_k) per time step and
add them up, streaming a tensor of the size of the memory through main memory twice per
step. The keys' gradient is Σ_t dS_t q_tᵀ = dSᵀ Q, one batched product over the chunk:
:class:`LateKeyGrad` gives the scores' path to the keys as T zero tensors, one added to each
step's scores (adding 0.0 leaves the scores as they are), and turns their T gradients into
that one product when the chunk's backward reaches it. The step's own product uses the
detached keys, so it carries the query's gradient only.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


class LateKeyGrad(torch.autograd.Function):
    """T zero tensors (b, m) whose gradients become the keys' gradient ``dSᵀ Q``.

    ``forward(keys, queries, n_steps)``: ``keys`` (b, m, n_k); ``queries`` a list that the
    caller fills with the T detached queries (b, n_k) before the backward pass runs.
    """

    @staticmethod
    def forward(ctx: Any, keys: Tensor, queries: list[Tensor], n_steps: int) -> tuple[Tensor, ...]:
        ctx.queries = queries
        b, m, _ = keys.shape
        return tuple(keys.new_zeros(b, m) for _ in range(n_steps))

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> tuple[Tensor, None, None]:
        if len(ctx.queries) != len(grads):
            raise RuntimeError(
                f"LateKeyGrad: {len(ctx.queries)} queries recorded for {len(grads)} steps; "
                "append one detached query per step before calling backward."
            )
        d_scores = torch.stack(grads, 2)  # (b, m, T)
        q = torch.stack(ctx.queries, 1)  # (b, T, n_k)
        return torch.bmm(d_scores, q), None, None


class LateKeyScores:
    """Score each step's query against fixed keys, the keys' gradient taken once per chunk.

    Parameters
    ----------
    keys : Tensor (b, m, n_k)
        The keys, fixed within the chunk (a function of parameters).
    n_steps : int
        Steps of the chunk; call the object once per step, in order.

    Notes
    -----
    Without a gradient to take (no grad mode, keys without grad, no keys) it is a plain
    ``bmm(keys, q)``.
    """

    def __init__(self, keys: Tensor, n_steps: int) -> None:
        self._queries: list[Tensor] = []
        late = torch.is_grad_enabled() and keys.requires_grad and n_steps and keys.shape[1]
        self._taps = LateKeyGrad.apply(keys, self._queries, n_steps) if late else None
        self._keys = keys.detach() if late else keys

    def __call__(self, t: int, q: Tensor) -> Tensor:
        """Scores (b, m) of step ``t``'s query ``q`` (b, n_k)."""
        scores = torch.bmm(self._keys, q[:, :, None])[:, :, 0]
        if self._taps is None:
            return scores
        self._queries.append(q.detach())
        return scores + self._taps[t]
