"""TEM-t: the Tolman-Eichenbaum Machine as a transformer (Whittington, Warren & Behrens 2022).

The model, read top-down; its config is in ``_tem_t_config.py`` and its auxiliary
penalties in ``_tem_t_penalties.py`` (every name importable from here).

The agent walks a graph world; each node carries an observation (one of ``n_x`` classes);
at every step the model predicts the observation at the node it arrives at.

- **Position encoding** (medial entorhinal "grid" units), one vector per step:
  ``e_t = f(e_{t-1} W_{a_t})`` with a learned matrix ``W_a`` per action and ``f`` linear or
  ReLU. After ``f`` the vector is rescaled to norm ``sqrt(n_e)`` (our choice: it keeps the
  recurrence bounded over thousands of steps; the key/query LayerNorm is scale-free anyway).
  By default (``transition="plane-waves"``) ``W_a`` rotates each module's three plane-wave
  phases by the phase a wave advances over the action's step (path integration by
  rotations), seen through a learned mixing; ``"orthogonal"`` is a free rotation
  ``expm(A_a - A_a^T)`` per action.
- **Baselines** (``model.position_code``, ``_tem_t_baselines.py``): e_t given instead as
  fixed 2-D sinusoids of the node's coordinates or a learned vector per node, oracles of
  position that keep everything below.
- **Memory** (hippocampus): after each step the pair (key from ``e_t``, value from ``x_t``)
  is stored; memory is cleared when the agent enters a new environment and persists
  across truncated-backprop chunks within one.
- **Attention**: keys and queries come from position encodings only,
  ``k = q = LN(e) W_e / sqrt(n_k)`` (LN = LayerNorm with fixed unit weight and zero bias,
  i.e. a z-score); values from the observation only (one-hot ``x``; the value projection
  ``W_x`` is folded into the read-out). Causal softmax attention over the memories stored so
  far in this environment, with inverse temperature ``beta * log(n_memories + 2)``; a
  "null" memory with score ``beta * log(n + 2) * c_null`` and zero value lets the model say
  "no memory here" (first visits). The attention weights are the **memory neurons**.
- **Position correction** (optional): after observing ``x_t`` the same memory is queried
  again with an extra bonus ``gamma`` for memories whose stored observation equals ``x_t``;
  the retrieved stored positions ``e_hat`` pull the path-integrated code towards the stored
  one, ``e_t <- e_t + alpha (e_hat - e_t)``. This is TEM's inference of g from memory
  (p -> g) in attention form and stops path-integration drift on long loops.

References
----------
Whittington, Warren & Behrens (2022), "Relating transformers to models and neural
representations of the hippocampal formation", ICLR, arXiv:2112.04035.
Whittington et al. (2020), "The Tolman-Eichenbaum Machine", Cell 183:1249.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hippocore.zoo._config import EnvConfig
from hippocore.zoo._data import action_vocabulary
from hippocore.zoo._late_grad import LateKeyScores
from hippocore.zoo._protocol import Batch, Population, ZooModel
from hippocore.zoo._registry import register_model
from hippocore.zoo._tem_t_baselines import PositionOracle
from hippocore.zoo._tem_t_config import (
    LEGACY_MODEL_VALUES,
    LEGACY_TRAIN_VALUES,
    ModelConfig,
    TEMTConfig,
    TrainConfig,
    action_displacements,
    cyclic_order,
)
from hippocore.zoo._tem_t_penalties import (
    centering_penalty,
    commutation_penalty,
    smoothness_penalty,
)
from hippocore.zoo._tem_t_waves import PlaneWaveTransition

__all__ = [
    "EnvConfig",
    "LEGACY_MODEL_VALUES",
    "LEGACY_TRAIN_VALUES",
    "action_displacements",
    "cyclic_order",
    "commutation_penalty",
    "centering_penalty",
    "smoothness_penalty",
    "ModelConfig",
    "TrainConfig",
    "TEMTConfig",
    "TEMT",
    "TEMTState",
    "TEMTOutput",
]


# ----------------------------------------------------------------------------- model


@dataclass
class TEMTState:
    """Recurrent state carried across chunks (one row per batch element / environment).

    Attributes
    ----------
    e : Tensor (batch, n_e)
        Last position encoding (its recurrent part r when ``model.offset``).
    mem_e : Tensor (batch, capacity, n_e)
        Stored (corrected) position encodings (recurrent parts r when ``model.offset``);
        slot = write index mod capacity.
    mem_x : Tensor of long (batch, capacity)
        Stored observation classes.
    count : Tensor of long (batch,)
        Memories written in the current environment.
    """

    e: Tensor
    mem_e: Tensor
    mem_x: Tensor
    count: Tensor

    def detach(self) -> TEMTState:
        """Cut the graph (truncated backprop)."""
        return TEMTState(self.e.detach(), self.mem_e.detach(), self.mem_x, self.count)


@dataclass
class TEMTOutput:
    """What one forward pass over a chunk returns.

    Attributes
    ----------
    logits : Tensor (batch, time, n_x)
        Predicted observation logits at the node arrived at.
    e : Tensor (batch, time, n_e)
        Position encodings (rates ``b + r`` with ``model.offset``) after correction (the
        ones stored in memory).
    e_path : Tensor (batch, time, n_e)
        Path-integrated position encodings before correction (used for prediction).
    memory_weights : Tensor (batch, time, capacity) or None
        Attention weight on each memory slot (memory-neuron activity); only when requested.
    state : TEMTState
        State after the chunk.
    """

    logits: Tensor
    e: Tensor
    e_path: Tensor
    memory_weights: Tensor | None
    state: TEMTState


def _slot_weights(w: Tensor, count: Tensor, m_used: int, cap: int) -> Tensor:
    """Attention weights per memory-buffer slot, shape (b, cap).

    ``w`` (b, m_used + t): weights on the m_used old memories (slots 0..m_used-1), then on
    this chunk's t new ones, which sit at ring-buffer slots ``(count + i) % cap``.
    """
    b, t = w.shape[0], w.shape[1] - m_used
    mw = torch.zeros(b, cap, dtype=w.dtype, device=w.device)
    mw[:, :m_used] = w[:, :m_used]
    if t:
        slots = (count[:, None] + torch.arange(t, device=w.device)[None]) % cap
        mw = mw.scatter_add(1, slots, w[:, m_used:])
    return mw


def _write_memories(
    state: TEMTState, e_chunk: Tensor, observations: Tensor, count: Tensor, cap: int
) -> TEMTState:
    """The next state: the chunk's (e, x) written into the ring buffer, detached.

    Truncated backprop: stored codes carry no gradient into the next chunk.
    """
    b, t_len = observations.shape
    slots = (count[:, None] + torch.arange(t_len, device=observations.device)[None]) % cap
    mem_e = state.mem_e.detach().clone()
    mem_x = state.mem_x.clone()
    rows = torch.arange(b, device=observations.device)[:, None].expand_as(slots)
    mem_e[rows, slots] = e_chunk.detach()
    mem_x[rows, slots] = observations
    return TEMTState(e=e_chunk[:, -1], mem_e=mem_e, mem_x=mem_x, count=count + t_len)


def _orthogonal(n: int, m: int, generator: torch.Generator) -> Tensor:
    q, r = torch.linalg.qr(torch.randn(max(n, m), min(n, m), generator=generator))
    q = q * torch.sign(torch.diagonal(r))
    return q if n >= m else q.T


class TEMT(PlaneWaveTransition, PositionOracle, ZooModel):
    """TEM-t (see the module docstring). Build with ``hippocore.zoo.get_model("tem-t", cfg)``.

    Parameters
    ----------
    config : TEMTConfig
        The full config (weights are seeded by ``config.train.seed``).
    """

    state_type = TEMTState
    grid_population = "position_encoding"
    memory_population = "memory"
    memory = (
        "a ring buffer of (position encoding, observation) pairs, one slot per step in the "
        "current world; memory neurons are the attention weights on the slots"
    )
    # fixed_phase_step constrains training, it does not change the architecture: a model
    # trained without it may be fine-tuned with it (post_step applies it at once).
    training_only_fields = ("fixed_phase_step",)
    # The model.position_code values this class runs (its forward reads the baselines' code).
    position_codes: tuple[str, ...] = ("recurrent", "sinusoidal", "embedding")

    def __init__(self, config: TEMTConfig):
        super().__init__()
        self.config = config
        m = config.model
        self.actions = action_vocabulary(config.env.kinds)
        n_a, n_e, n_k, n_x = len(self.actions), m.n_e, m.n_k, config.env.n_x
        g = torch.Generator().manual_seed(config.train.seed)
        if m.transition == "plane-waves":
            self._init_plane_waves(g)
        elif m.transition == "orthogonal":
            # W_a = expm(A - A^T): a rotation; small A = near-identity start.
            self.transition_param = nn.Parameter(
                0.3 / math.sqrt(n_e) * torch.randn(n_a, n_e, n_e, generator=g)
            )
        else:
            eye = torch.eye(n_e).expand(n_a, n_e, n_e)
            self.transition_param = nn.Parameter(
                eye + 0.3 / math.sqrt(n_e) * torch.randn(n_a, n_e, n_e, generator=g)
            )
        e0 = torch.randn(n_e, generator=g)
        if m.transition == "plane-waves":
            # Every rotation plane starts with the same amplitude (random phases), so each
            # module carries all of its waves from the start. (The draw above is discarded
            # but kept: it fixes the generator's sequence, which the shipped run depends on.)
            e0 = self._equal_plane_start(g)
        if m.activation == "relu":
            e0 = e0.abs()
        self.e_init = nn.Parameter(e0 * math.sqrt(n_e) / e0.norm())
        n_mod = m.n_modules
        block = torch.block_diag(*[torch.ones(n_e // n_mod, n_e // n_mod)] * n_mod)
        # Not saved (persistent=False): it follows from the config, and checkpoints of
        # single-module models stay loadable.
        self.register_buffer("module_mask", block, persistent=False)
        if n_mod > 1:  # (one module: e0 is already at norm sqrt(n_e); kept bit-identical)
            with torch.no_grad():
                self.e_init.copy_(self._f(self.e_init))
        self.project_(to_cap=True)
        if m.offset:
            self.offset_b = nn.Parameter(torch.ones(n_e))  # firing-rate baseline b
        self.w_e = nn.Parameter(_orthogonal(n_e, n_k, g))  # W_e: shared key/query projection
        self.beta_raw = nn.Parameter(torch.tensor(math.log(math.expm1(m.beta_init))))
        self.c_null = nn.Parameter(torch.tensor(0.5))  # null-memory score (a cosine threshold)
        self.readout = nn.Linear(n_x, n_x)  # from retrieved observation distribution to logits
        with torch.no_grad():
            self.readout.weight.copy_(5.0 * torch.eye(n_x))
            self.readout.bias.zero_()
        if m.position_correction:
            self.gamma = nn.Parameter(torch.tensor(0.5))  # bonus for a matching observation
            self.c_null_corr = nn.Parameter(torch.tensor(1.0))
            self.alpha_raw = nn.Parameter(torch.tensor(1.0))  # correction gate, sigmoid
        if m.position_code not in self.position_codes:
            raise ValueError(
                f"model.position_code = {m.position_code!r} is a TEM-t baseline this model does "
                f"not run; use one of {list(self.position_codes)}."
            )
        # The baselines' code, drawn last: every other weight is the recurrent model's.
        self._init_position_oracle(g)

    def transition_matrices(self) -> Tensor:
        """W_a for every action plus the identity for stay (last), shape (n_a + 1, n_e, n_e)."""
        transition = self.config.model.transition
        if transition == "plane-waves":
            w = self._plane_wave_transitions()
        else:
            p = self.transition_param
            if self.config.model.n_modules > 1:
                p = p * self.module_mask
            w = torch.linalg.matrix_exp(p - p.transpose(1, 2)) if transition == "orthogonal" else p
        eye = torch.eye(w.shape[-1], dtype=w.dtype, device=w.device)
        return torch.cat([w, eye[None]], dim=0)

    @torch.no_grad()
    def project_(self, *, to_cap: bool = False) -> None:
        """Enforce ``model.max_phase_step`` (called by ``train`` after each optimiser step).

        Each module's generator ``A - A^T`` is scaled down, per action, until its largest
        rotation angle (spectral norm) is at most the module's cap; nothing happens below it.
        With ``model.fixed_phase_step``, or ``to_cap`` (used once, at initialisation), it is
        scaled to the cap exactly, up or down, so a module starts at (and, fixed, keeps) its
        own spatial scale.
        """
        caps = self.config.model.max_phase_step
        if not caps:
            return
        n_mod = self.config.model.n_modules
        size = self.config.model.n_e // n_mod
        # A loop over modules on purpose: one batched matrix_norm over all blocks changed the
        # last bits of the angles, and with them the shipped run's bit-for-bit retraining.
        for m, cap in enumerate(caps * n_mod if len(caps) == 1 else caps):
            sl = slice(m * size, (m + 1) * size)
            p = self.transition_param[:, sl, sl]
            angle = torch.linalg.matrix_norm(p - p.transpose(1, 2), ord=2)  # (n_a,)
            shrink = cap / angle.clamp_min(1e-12)
            if not (to_cap or self.config.model.fixed_phase_step):
                shrink = shrink.clamp(max=1.0)
            # Scaling p scales A - A^T by the same factor.
            self.transition_param[:, sl, sl] = p * shrink[:, None, None]

    def _f(self, e: Tensor) -> Tensor:
        """Apply f, then rescale each module to norm ``sqrt(units per module)``."""
        if self.config.model.activation == "relu":
            e = F.relu(e)
        n_mod = self.config.model.n_modules
        if n_mod == 1:
            return e * (math.sqrt(e.shape[-1]) / e.norm(dim=-1, keepdim=True).clamp_min(1e-6))
        blocks = e.unflatten(-1, (n_mod, e.shape[-1] // n_mod))
        norm = blocks.norm(dim=-1, keepdim=True).clamp_min(1e-6)
        return (blocks * (math.sqrt(blocks.shape[-1]) / norm)).flatten(-2)

    def rates(self, r: Tensor) -> Tensor:
        """Position-unit rates ``e = b + r`` from the recurrent part r (``e = r`` without offset)."""
        return r + self.offset_b if self.config.model.offset else r

    def keys(self, e: Tensor) -> Tensor:
        """Keys/queries ``LN(e) W_e / sqrt(n_k)`` (fixed-weight LayerNorm = z-score), shape (..., n_k)."""
        z = F.layer_norm(e, (e.shape[-1],))
        return z @ self.w_e / math.sqrt(self.w_e.shape[1])

    def initial_state(self, batch_size: int) -> TEMTState:
        """An empty state (every element at the start of a fresh environment).

        Parameters
        ----------
        batch_size : int
            Number of environments.

        Returns
        -------
        TEMTState
        """
        c, n_e = self.config.model.memory_capacity, self.config.model.n_e
        dev = self.e_init.device
        return TEMTState(
            e=self.e_init.detach().expand(batch_size, n_e).clone(),
            mem_e=torch.zeros(batch_size, c, n_e, device=dev),
            mem_x=torch.zeros(batch_size, c, dtype=torch.long, device=dev),
            count=torch.zeros(batch_size, dtype=torch.long, device=dev),
        )

    # -- forward over a chunk ---------------------------------------------------------

    def _correct(
        self,
        e: Tensor,
        scores: Tensor,
        match: Tensor,
        e_mem: tuple[Tensor, Tensor | None],
        scale: Tensor,
        keep: Tensor,
    ) -> Tensor:
        """Position correction: pull e towards the stored codes of memories matching x_t.

        ``scores`` (b, m) are the query's key scores for the m memories (old ones masked),
        ``match`` (b, m) marks memories whose stored observation equals x_t (bonus
        ``gamma``), ``e_mem`` their stored codes as two blocks, the m_old memories of earlier
        chunks (b, m_old, n_e; no gradient) and this chunk's (b, m - m_old, n_e) or None,
        ``keep`` (b, 1 + m) which entries (null first) may be attended to; ``scale`` (b, 1)
        the inverse temperature. The blocks are read in place, not concatenated: the old
        block holds up to ``memory_capacity`` codes, and a copy of it per time step (and the
        gradient of that copy) was most of a step's cost in long-lived worlds.
        """
        b = e.shape[0]
        neg = torch.finfo(scores.dtype).min
        s_all = scores + self.gamma * match.to(scores.dtype)
        att_c = torch.cat([self.c_null_corr.expand(b, 1), s_all], 1) * scale
        att_c = att_c.masked_fill(~keep, neg)
        w_c = torch.softmax(att_c, dim=1)
        old, new = e_mem
        m_old = old.shape[1]
        e_hat = w_c[:, :1] * e + torch.bmm(w_c[:, None, 1 : 1 + m_old], old)[:, 0]
        if new is not None:
            e_hat = e_hat + torch.bmm(w_c[:, None, 1 + m_old :], new)[:, 0]
        return self._f(e + torch.sigmoid(self.alpha_raw) * (e_hat - e))

    def forward(
        self,
        actions: Tensor,
        observations: Tensor,
        state: TEMTState,
        reset: Tensor,
        *,
        return_memory_weights: bool = False,
        populations: bool = False,
        nodes: Tensor | None = None,
        positions: Tensor | None = None,
    ) -> TEMTOutput:
        """Run one chunk.

        Parameters
        ----------
        actions : Tensor of long (batch, time)
            Global action index (``self.actions``; ``len(self.actions)`` = stay) taken to
            arrive at step t's node. Ignored at t = 0 where ``reset``.
        observations : Tensor of long (batch, time)
            Observation class at step t's node (used only after predicting it).
        state : TEMTState
            State from the previous chunk (or :meth:`initial_state`).
        reset : Tensor of bool (batch,)
            Elements entering a fresh environment at t = 0: e starts at ``e_init`` and
            memory is cleared.
        return_memory_weights : bool, default False
            Also return attention weight per memory slot (batch, time, capacity).
        populations : bool, default False
            Everything :meth:`populations` exports (the same as ``return_memory_weights``).
        nodes : Tensor of long (batch, time), optional
            Node index at each step: read only by the baselines (``model.position_code``
            ``"embedding"`` or ``"sinusoidal"``; :attr:`uses_nodes`).
        positions : Tensor (batch, time, 2), optional
            Node coordinates at each step (node spacings); read only by the baselines.

        Returns
        -------
        TEMTOutput
        """
        cfg = self.config.model
        return_memory_weights = return_memory_weights or populations
        b, t_len = actions.shape
        cap = cfg.memory_capacity
        w_all = self.transition_matrices()
        count = torch.where(reset, torch.zeros_like(state.count), state.count)
        n_old = count.clamp(max=cap)
        m_used = int(n_old.max()) if b else 0
        # Old memories (previous chunks of this environment): keys once per chunk.
        mem_e_old = state.mem_e[:, :m_used]
        mem_x_old = state.mem_x[:, :m_used]
        k_old = self.keys(self.rates(mem_e_old))  # (b, m, n_k)
        score_old = LateKeyScores(k_old, t_len)  # the keys' gradient in one product
        valid_old = torch.arange(m_used, device=actions.device)[None] < n_old[:, None]
        neg = torch.finfo(k_old.dtype).min
        beta = F.softplus(self.beta_raw)
        keep_null = torch.ones(b, 1, dtype=torch.bool, device=actions.device)
        keep_new = torch.ones(b, t_len, dtype=torch.bool, device=actions.device)
        e_prev = torch.where(reset[:, None], self.e_init.expand(b, -1), state.e)
        oracle = self.oracle_code(nodes, positions) if self.uses_nodes else None
        new_e: list[Tensor] = []
        new_k: list[Tensor] = []
        new_x: list[Tensor] = []
        logits_out, e_out, e_path_out, mw_out = [], [], [], []
        for t in range(t_len):
            a = actions[:, t]
            if oracle is not None:  # the baselines: the code of the node itself
                e = oracle[:, t]
            else:
                e = self._f(torch.bmm(e_prev[:, None], w_all[a])[:, 0])
                if t == 0:
                    e = torch.where(reset[:, None], self.e_init.expand(b, -1), e)
            q = self.keys(self.rates(e))
            s_old = score_old(t, q)  # (b, m)
            s_new = torch.bmm(torch.stack(new_k, 1), q[:, :, None])[:, :, 0] if t else q[:, :0]
            n_mem = (n_old + t).to(q.dtype)
            scale = beta * torch.log(n_mem + 2.0)[:, None]
            s_old_m = s_old.masked_fill(~valid_old, neg)
            scores = torch.cat([s_old_m, s_new], 1)
            keep = torch.cat([keep_null, valid_old, keep_new[:, :t]], 1)
            att = torch.cat([self.c_null.expand(b, 1), scores], 1) * scale
            att = att.masked_fill(~keep, neg)
            w = torch.softmax(att, dim=1)
            # Values: one-hot observations; retrieved distribution over classes.
            x_mem = torch.cat([mem_x_old, torch.stack(new_x, 1)], 1) if t else mem_x_old
            p_x = torch.zeros(b, self.config.env.n_x, dtype=w.dtype, device=w.device)
            p_x = p_x.scatter_add(1, x_mem, w[:, 1:])
            logits_out.append(self.readout(p_x))
            e_path_out.append(self.rates(e))
            if return_memory_weights:
                mw_out.append(_slot_weights(w[:, 1:], count, m_used, cap))
            x_t = observations[:, t]
            if cfg.position_correction:
                e_mem = (mem_e_old, torch.stack(new_e, 1) if t else None)
                e = self._correct(e, scores, x_mem == x_t[:, None], e_mem, scale, keep)
            new_e.append(e)
            new_k.append(self.keys(self.rates(e)))
            new_x.append(x_t)
            e_out.append(e)
            e_prev = e
        e_chunk = torch.stack(e_out, 1)  # recurrent part r (what memory stores)
        new_state = _write_memories(state, e_chunk, observations, count, cap)
        return TEMTOutput(
            logits=torch.stack(logits_out, 1),
            e=self.rates(e_chunk),
            e_path=torch.stack(e_path_out, 1),
            memory_weights=torch.stack(mw_out, 1) if return_memory_weights else None,
            state=new_state,
        )

    # -- the zoo protocol: loss, post-step hook, export ---------------------------------

    @property
    def max_chunk_length(self) -> int:
        """Longest chunk a forward call accepts: the memory capacity."""
        return self.config.model.memory_capacity

    def loss(self, out: TEMTOutput, batch: Batch) -> Tensor:
        """The loss ``train`` minimises for one chunk.

        Parameters
        ----------
        out : TEMTOutput
            The model's output for the chunk.
        batch : Batch
            The chunk (its observations are what was predicted).

        Returns
        -------
        Tensor
            Scalar: cross-entropy of every prediction plus the penalties of the ``train``
            section, weighted.
        """
        tc = self.config.train
        observations = batch.observations
        e = out.e
        loss = F.cross_entropy(
            out.logits.reshape(-1, out.logits.shape[-1]), observations.reshape(-1)
        )
        if tc.path_loss:
            drift = (out.e_path - e.detach()).pow(2).sum(-1).mean() / e.shape[-1]
            loss = loss + tc.path_loss * drift
        if tc.nonneg_loss:
            loss = loss + tc.nonneg_loss * F.relu(-e).pow(2).mean()
        if tc.activity_loss:
            loss = loss + tc.activity_loss * e.pow(2).mean()
        if tc.smooth_loss:
            loss = loss + smoothness_penalty(e, self.config.model.n_modules, tc.smooth_loss)
        if tc.commute_loss:
            loss = loss + tc.commute_loss * commutation_penalty(self)
        if tc.center_loss:
            r = e - self.offset_b if self.config.model.offset else e
            loss = loss + tc.center_loss * centering_penalty(r, self.config.model.n_modules)
        return loss

    def post_step(self) -> None:
        """Enforce ``model.max_phase_step`` after an optimiser step (:meth:`project_`)."""
        self.project_()

    def populations(self, out: TEMTOutput, observations: Tensor) -> dict[str, Tensor]:
        """Exported activity of a chunk, each (batch, time, units).

        ``position_encoding`` (e), ``memory`` (attention weight per slot, when computed)
        and ``sensory`` (one-hot observation).
        """
        pops = {"position_encoding": out.e}
        if out.memory_weights is not None:
            pops["memory"] = out.memory_weights
        pops["sensory"] = F.one_hot(observations, self.config.env.n_x).to(out.e.dtype)
        return pops

    def export_populations(
        self, arrays: Mapping[str, np.ndarray], *, n_memory_units: int | None
    ) -> tuple[list[Population], dict[str, Any]]:
        """Position-encoding (with each unit's ``module``), memory and sensory units of one walk.

        Memory unit j is the memory written at step j: silent before it is written and
        after step ``j + memory_capacity`` (its ring-buffer slot is reused by a newer
        memory, whose weight would give unit j a second, unrelated field).
        """
        e, mem = arrays["position_encoding"], arrays["memory"]
        n_steps, cap = e.shape[0], self.config.model.memory_capacity
        n_mem = min(n_steps, cap) if n_memory_units is None else min(n_memory_units, n_steps, cap)
        mem = mem[:, :n_mem]
        # Slot j holds the memory of step j until step j + cap writes over it; from step
        # j + cap + 1 on its weight belongs to that newer memory, so unit j (the memory of
        # step j) falls silent there instead of taking on a second memory's field.
        steps = np.arange(n_steps)[:, None]
        mem = np.where(steps > np.arange(n_mem)[None] + cap, 0.0, mem).astype(mem.dtype)
        m = self.config.model
        per = m.n_e // m.n_modules if m.n_e % m.n_modules == 0 else 0
        # each module is a block of n_e / n_modules position units (its own rotation planes)
        coords = {"module": np.repeat(np.arange(m.n_modules), per)} if per else {}
        pops = [
            Population("position_encoding", e, coords),
            Population("memory", mem),
            Population("sensory", arrays["sensory"]),
        ]
        attrs = {
            "memory_slot_rule": (
                "unit j = memory written at step j; silent before step j + 1 and after step "
                "j + memory_capacity (its ring-buffer slot is reused)"
            )
        }
        return pops, attrs


register_model("tem-t", config=TEMTConfig)(TEMT)
