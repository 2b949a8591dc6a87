"""TEM-t-3: TEM-t binding three streams (position e, observation x, context c).

One file, read top-down: the config, then the model. It is TEM-t (``tem_t.py``: the
position code, its path integration and penalties are inherited unchanged) on a
three-stream world (``hippocore.envs._streams``): every step carries a context c (one of
``n_c`` classes) and the observation at a node depends on (node, context).

- **Memory**: one slot per step, holding the triple (e_t, x_t, c_t); the attention weight
  on a slot is a **memory neuron**, one per stored memory, as in TEM-t. A third stream adds
  its ``n_c`` feature units (one-hot c) and nothing to the number of memory neurons.
- **Keys, queries and values from any subset of the streams**: a memory's key is the
  concatenation of its position key ``LN(e) W_e / sqrt(n_k)`` and its one-hot x and c,
  each scaled by a learned gain; a query fills in the streams it has and leaves the others
  at zero, so its score on a memory is the sum of the per-stream matches (position cosine,
  ``gain * [x = x_tau]``, ``gain * [c = c_tau]``). Causal softmax over the memories with
  inverse temperature ``beta * log(n + 2)`` and a null memory, as in TEM-t. Values are any
  stream: the retrieved distribution over x or c classes, or the retrieved position.
- **The three recalls a step makes**: ``(e, c) -> x``, the prediction of the observation
  (made after perceiving the context, before seeing x: what the accuracies score);
  ``(e, x) -> c``, the context recalled from place and sight (an auxiliary loss); and
  ``(e, x, c) -> e``, TEM-t's position correction with both senses. For evaluation the
  forward also runs ``(x, c) -> e`` without the position code (pattern completion of the
  place from the two senses). Each recall has its own gains and null score
  (:meth:`TEMT3.recall` names them).

References
----------
Whittington, Warren & Behrens (2022), ICLR, arXiv:2112.04035 (TEM-t; more than two
regions with linear scaling). Teyler & Rudy (2007), Hippocampus 17:1158 (indexing theory).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hippocore.zoo._config import EnvConfig, _check_real, check_context_streams
from hippocore.zoo._protocol import Batch, Population
from hippocore.zoo._registry import register_model
from hippocore.zoo.tem_t import TEMT, TEMTConfig
from hippocore.zoo.tem_t import ModelConfig as _TEMTModelConfig
from hippocore.zoo.tem_t import TrainConfig as _TEMTTrainConfig

__all__ = [
    "TripleEnvConfig",
    "TEMT3ModelConfig",
    "TEMT3TrainConfig",
    "TEMT3Config",
    "TEMT3",
    "TEMT3State",
    "TEMT3Output",
]

Stream = Literal["e", "x", "c"]

# ----------------------------------------------------------------------------- config


@dataclass(frozen=True, kw_only=True)
class TripleEnvConfig(EnvConfig):
    """A three-stream world: the shared env section with 5 contexts and small worlds.

    Hexagonal worlds 4-6 nodes wide (16-36 nodes), a fresh context at every step
    (``context_switch = 1``): 80-180 (node, context) pairs per world, each revisited a
    few times in an environment's 200-600 steps. Fields: :class:`~hippocore.zoo.EnvConfig`.
    """

    widths: tuple[int, int] = (4, 6)
    n_c: int = 5


@dataclass(frozen=True, kw_only=True)
class TEMT3ModelConfig(_TEMTModelConfig):
    """TEM-t's model section plus the context stream.

    Attributes
    ----------
    n_c : int, default 5
        Context units (one per context class; must equal ``env.n_c``). The other fields are
        TEM-t's (:class:`hippocore.zoo.tem_t.ModelConfig`), its default position code
        included (120 units in 10 plane-wave modules, step directions learned from up to
        90 degrees off), except the memory capacity, lowered to 1024: enough for the
        default world lifetimes. The position code TEM-t-3 was first measured with (60
        units, the lattice's own action displacements) is
        ``docs/configs/tem-t-3-lattice.toml``; checkpoints written before this default
        changed saved ``n_e`` and ``action_geometry`` and load as written.
    """

    memory_capacity: int = 1024
    n_c: int = 5


@dataclass(frozen=True, kw_only=True)
class TEMT3TrainConfig(_TEMTTrainConfig):
    """TEM-t's training options plus the weight of the context recall.

    Attributes
    ----------
    context_loss : float, default 1.0
        Weight of the cross-entropy of the context recalled from (e, x). 0 turns it off.
    """

    context_loss: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_real(self.context_loss, "train.context_loss", low=0)


@dataclass(frozen=True, kw_only=True)
class TEMT3Config(TEMTConfig):
    """Full TEM-t-3 config: ``env`` (three-stream), ``model`` and ``train`` sections."""

    env: TripleEnvConfig = field(default_factory=TripleEnvConfig)
    model: TEMT3ModelConfig = field(default_factory=TEMT3ModelConfig)
    train: TEMT3TrainConfig = field(default_factory=TEMT3TrainConfig)
    #: TEM-t's (:data:`hippocore.zoo.tem_t.LEGACY_MODEL_VALUES`): TEM-t-3 inherits its
    #: model, so a key a checkpoint lacks meant what it meant for TEM-t when it was written
    #: (the first TEM-t-3 checkpoints lack ``direction_spread``, ``direction_rate`` and
    #: ``ordered_start``).
    legacy_values: ClassVar[dict[str, dict[str, Any]]] = TEMTConfig.legacy_values

    def __post_init__(self) -> None:
        check_context_streams(self.env, self.model.n_c, "tem-t-3")
        super().__post_init__()


# ----------------------------------------------------------------------------- model


@dataclass
class TEMT3State:
    """Recurrent state: TEM-t's, plus the stored contexts.

    Attributes
    ----------
    e : Tensor (batch, n_e)
        Last position code (recurrent part).
    mem_e : Tensor (batch, capacity, n_e)
        Stored position codes.
    mem_x, mem_c : Tensor of long (batch, capacity)
        Stored observation and context classes.
    count : Tensor of long (batch,)
        Memories written in the current environment (slot = write index mod capacity).
    """

    e: Tensor
    mem_e: Tensor
    mem_x: Tensor
    mem_c: Tensor
    count: Tensor

    def detach(self) -> TEMT3State:
        """Cut the graph (truncated backprop)."""
        return TEMT3State(self.e.detach(), self.mem_e.detach(), self.mem_x, self.mem_c, self.count)


@dataclass
class TEMT3Output:
    """One chunk's output.

    Attributes
    ----------
    logits : Tensor (batch, time, n_x)
        x recalled from (e_path, c): the prediction.
    logits_c : Tensor (batch, time, n_c)
        c recalled from (e_path, x).
    e, e_path : Tensor (batch, time, n_e)
        Position code after and before correction (rates).
    memory_weights : Tensor (batch, time, capacity) or None
        Memory neurons: the prediction query's weight on each slot (when requested).
    place_weights : Tensor (batch, time, capacity) or None
        The weight of the (x, c) query, without position, on each slot (when requested):
        which memories the two senses alone recall.
    context : Tensor (batch, time, n_c)
        One-hot context (the c units).
    state : TEMT3State
    """

    logits: Tensor
    logits_c: Tensor
    e: Tensor
    e_path: Tensor
    memory_weights: Tensor | None
    place_weights: Tensor | None
    context: Tensor
    state: TEMT3State


def _slot_weights(w: Tensor, m_used: int, count: Tensor, t: int, cap: int) -> Tensor:
    """Attention over (null, old memories, the chunk's first t) as weights per ring slot."""
    b = w.shape[0]
    out = torch.zeros(b, cap, dtype=w.dtype, device=w.device)
    out[:, :m_used] = w[:, 1 : 1 + m_used]
    if t:
        slots = (count[:, None] + torch.arange(t, device=w.device)[None]) % cap
        out = out.scatter_add(1, slots, w[:, 1 + m_used :])
    return out


class TEMT3(TEMT):
    """TEM-t-3 (see the module docstring). ``hippocore.zoo.get_model("tem-t-3", cfg)``.

    Parameters
    ----------
    config : TEMT3Config
    """

    state_type = TEMT3State
    uses_context = True
    position_codes = ("recurrent",)  # TEM-t's baselines are not built into this forward
    memory = (
        "a ring buffer of (position code, observation, context) triples, one slot per step "
        "in the current world; memory neurons are the attention weights on the slots"
    )

    def __init__(self, config: TEMT3Config):
        super().__init__(config)
        n_c = config.model.n_c

        def scalar(v: float) -> nn.Parameter:
            return nn.Parameter(torch.tensor(v))

        # Per recall: gains of the sensory matches and a null score (the position match is
        # a cosine, about [-1, 1]; a full match of position and one sense scores ~1 + gain).
        self.gain_c_for_x = scalar(1.0)  # (e, c) -> x
        with torch.no_grad():
            self.c_null.fill_(1.5)
        self.gain_x_for_c = scalar(1.0)  # (e, x) -> c
        self.c_null_c = scalar(1.5)
        self.gamma_c = scalar(0.5)  # (e, x, c) -> e: context gain beside TEM-t's gamma
        if not config.model.position_correction:
            self.gamma = scalar(0.5)
            self.c_null_corr = scalar(1.0)
        self.readout_c = nn.Linear(n_c, n_c)
        with torch.no_grad():
            self.readout_c.weight.copy_(5.0 * torch.eye(n_c))
            self.readout_c.bias.zero_()

    # -- recall from any subset of streams ---------------------------------------------

    def _recall_params(self, value: Stream) -> tuple[Tensor, Tensor, Tensor]:
        """(gain of an x match, gain of a c match, null score) of the recall of ``value``."""
        zero = self.c_null.new_zeros(())
        if value == "x":
            return zero, self.gain_c_for_x, self.c_null
        if value == "c":
            return self.gain_x_for_c, zero, self.c_null_c
        return self.gamma, self.gamma_c, self.c_null_corr

    def scores(
        self,
        value: Stream,
        mem_k: Tensor,
        mem_x: Tensor,
        mem_c: Tensor,
        *,
        q: Tensor | None = None,
        x: Tensor | None = None,
        c: Tensor | None = None,
    ) -> Tensor:
        """Query-memory scores: the sum of the matches of the streams the query has.

        Parameters
        ----------
        value : {"x", "c", "e"}
            The stream recalled (selects the gains).
        mem_k : Tensor (b, m, n_k)
            Position keys of the memories.
        mem_x, mem_c : Tensor of long (b, m)
            Stored observations and contexts.
        q : Tensor (b, n_k), optional
            Position query (:meth:`keys` of the position code).
        x, c : Tensor of long (b,), optional
            Observation and context of the query.

        Returns
        -------
        Tensor (b, m)
        """
        gain_x, gain_c, _ = self._recall_params(value)
        s = mem_k.new_zeros(mem_k.shape[:2])
        if q is not None:
            s = s + torch.bmm(mem_k, q[:, :, None])[:, :, 0]
        if x is not None:
            s = s + gain_x * (mem_x == x[:, None]).to(s.dtype)
        if c is not None:
            s = s + gain_c * (mem_c == c[:, None]).to(s.dtype)
        return s

    def attend(self, value: Stream, scores: Tensor, valid: Tensor, n_mem: Tensor) -> Tensor:
        """Softmax over (null, memories) with scale ``beta log(n + 2)``: (b, 1 + m)."""
        _, _, null = self._recall_params(value)
        b = scores.shape[0]
        scale = F.softplus(self.beta_raw) * torch.log(n_mem.to(scores.dtype) + 2.0)[:, None]
        att = torch.cat([null.expand(b, 1), scores], 1) * scale
        keep = torch.cat([valid.new_ones(b, 1), valid], 1)
        return torch.softmax(att.masked_fill(~keep, torch.finfo(att.dtype).min), dim=1)

    def recall(
        self,
        value: Stream,
        mem_e: Tensor,
        mem_x: Tensor,
        mem_c: Tensor,
        *,
        e: Tensor | None = None,
        x: Tensor | None = None,
        c: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Recall one stream from a memory with a query made of any subset of the streams.

        Parameters
        ----------
        value : {"x", "c", "e"}
            The stream to recall.
        mem_e : Tensor (b, m, n_e)
            Stored position codes (recurrent parts, as the state holds them).
        mem_x, mem_c : Tensor of long (b, m)
            Stored observations and contexts (all m memories valid).
        e : Tensor (b, n_e), optional
            Position code of the query (recurrent part).
        x, c : Tensor of long (b,), optional
            Observation and context of the query.

        Returns
        -------
        weights : Tensor (b, 1 + m)
            Attention on (null, memories).
        retrieved : Tensor
            ``"x"``: (b, n_x) distribution over classes; ``"c"``: (b, n_c); ``"e"``: (b, n_e),
            the weighted stored codes (the null's share keeps the query's e, or 0 without).
        """
        mem_k = self.keys(self.rates(mem_e))
        q = None if e is None else self.keys(self.rates(e))
        s = self.scores(value, mem_k, mem_x, mem_c, q=q, x=x, c=c)
        valid = torch.ones_like(mem_x, dtype=torch.bool)
        n_mem = torch.full_like(mem_x[:, 0], mem_x.shape[1])
        w = self.attend(value, s, valid, n_mem)
        if value == "e":
            own = e if e is not None else mem_e.new_zeros(mem_e[:, 0].shape)
            return w, w[:, :1] * own + torch.bmm(w[:, None, 1:], mem_e)[:, 0]
        n = self.config.env.n_x if value == "x" else self.config.model.n_c
        stored = mem_x if value == "x" else mem_c
        return w, w.new_zeros(w.shape[0], n).scatter_add(1, stored, w[:, 1:])

    # -- forward over a chunk ---------------------------------------------------------

    def initial_state(self, batch_size: int) -> TEMT3State:
        """An empty state (every element at the start of a fresh environment)."""
        base = super().initial_state(batch_size)
        return TEMT3State(base.e, base.mem_e, base.mem_x, base.mem_x.clone(), base.count)

    def forward(
        self,
        actions: Tensor,
        observations: Tensor,
        state: TEMT3State,
        reset: Tensor,
        *,
        context: Tensor | None = None,
        populations: bool = False,
    ) -> TEMT3Output:
        """Run one chunk.

        Parameters
        ----------
        actions, observations : Tensor of long (batch, time)
            As for TEM-t.
        state : TEMT3State
            State from the previous chunk (or :meth:`initial_state`).
        reset : Tensor of bool (batch,)
            Elements entering a fresh environment at t = 0.
        context : Tensor of long (batch, time)
            Context class at each step, perceived before the observation is predicted.
        populations : bool, default False
            Also compute the memory neurons and the (x, c) -> place weights.

        Returns
        -------
        TEMT3Output
        """
        n_c = self.config.model.n_c
        if context is None or context.shape != observations.shape:
            raise ValueError(
                "tem-t-3 needs context= (batch, time) long context classes of the observations' "
                f"shape {tuple(observations.shape)}; got "
                f"{None if context is None else tuple(context.shape)}."
            )
        if context.numel() and (int(context.min()) < 0 or int(context.max()) >= n_c):
            raise ValueError(
                f"context holds classes in {int(context.min())}..{int(context.max())} but the "
                f"model has n_c = {n_c} context units; use a world with env.n_c = {n_c}."
            )
        cfg = self.config.model
        b, t_len = actions.shape
        cap = cfg.memory_capacity
        w_all = self.transition_matrices()
        count = torch.where(reset, torch.zeros_like(state.count), state.count)
        n_old = count.clamp(max=cap)
        m_used = int(n_old.max()) if b else 0
        old_e = state.mem_e[:, :m_used]
        old = (self.keys(self.rates(old_e)), state.mem_x[:, :m_used], state.mem_c[:, :m_used])
        valid_old = torch.arange(m_used, device=actions.device)[None] < n_old[:, None]
        e_prev = torch.where(reset[:, None], self.e_init.expand(b, -1), state.e)
        new: dict[str, list[Tensor]] = {"e": [], "k": [], "x": [], "c": []}
        out: dict[str, list[Tensor]] = {k: [] for k in ("x", "c", "e", "path", "mw", "pw")}
        for t in range(t_len):
            e = self._f(torch.bmm(e_prev[:, None], w_all[actions[:, t]])[:, 0])
            if t == 0:
                e = torch.where(reset[:, None], self.e_init.expand(b, -1), e)
            e = self._step(
                e, t, old, old_e, valid_old, new, out, observations, context, populations
            )
            out["e"].append(e)
            if populations:
                out["mw"][-1] = _slot_weights(out["mw"][-1], m_used, count, t, cap)
                out["pw"][-1] = _slot_weights(out["pw"][-1], m_used, count, t, cap)
            e_prev = e
        e_chunk = torch.stack(out["e"], 1)
        slots = (count[:, None] + torch.arange(t_len, device=actions.device)[None]) % cap
        rows = torch.arange(b, device=actions.device)[:, None].expand_as(slots)
        mem_e, mem_x, mem_c = state.mem_e.detach().clone(), state.mem_x.clone(), state.mem_c.clone()
        mem_e[rows, slots] = e_chunk.detach()
        mem_x[rows, slots] = observations
        mem_c[rows, slots] = context
        return TEMT3Output(
            logits=torch.stack(out["x"], 1),
            logits_c=torch.stack(out["c"], 1),
            e=self.rates(e_chunk),
            e_path=torch.stack(out["path"], 1),
            memory_weights=torch.stack(out["mw"], 1) if populations else None,
            place_weights=torch.stack(out["pw"], 1) if populations else None,
            context=F.one_hot(context, n_c).to(e_chunk.dtype),
            state=TEMT3State(e_prev, mem_e, mem_x, mem_c, count + t_len),
        )

    def _step(
        self,
        e: Tensor,
        t: int,
        old: tuple[Tensor, Tensor, Tensor],
        old_e: Tensor,
        valid_old: Tensor,
        new: dict[str, list[Tensor]],
        out: dict[str, list[Tensor]],
        observations: Tensor,
        context: Tensor,
        populations: bool,
    ) -> Tensor:
        """One step's recalls and memory write; returns the corrected position code."""
        b = e.shape[0]
        if t:
            mem_k = torch.cat([old[0], torch.stack(new["k"], 1)], 1)
            mem_x = torch.cat([old[1], torch.stack(new["x"], 1)], 1)
            mem_c = torch.cat([old[2], torch.stack(new["c"], 1)], 1)
            mem_e = torch.cat([old_e, torch.stack(new["e"], 1)], 1)
        else:
            mem_k, mem_x, mem_c, mem_e = (*old, old_e)
        valid = torch.cat([valid_old, valid_old.new_ones(b, t)], 1)
        n_mem = valid.sum(1)
        x_t, c_t = observations[:, t], context[:, t]
        q = self.keys(self.rates(e))
        mem = (mem_k, mem_x, mem_c)
        # (e, c) -> x: the prediction, before x is seen.
        w = self.attend("x", self.scores("x", *mem, q=q, c=c_t), valid, n_mem)
        p_x = w.new_zeros(b, self.config.env.n_x).scatter_add(1, mem_x, w[:, 1:])
        out["x"].append(self.readout(p_x))
        out["path"].append(self.rates(e))
        if populations:
            out["mw"].append(w)
        # (e, x) -> c
        w_c = self.attend("c", self.scores("c", *mem, q=q, x=x_t), valid, n_mem)
        p_c = w_c.new_zeros(b, self.config.model.n_c).scatter_add(1, mem_c, w_c[:, 1:])
        out["c"].append(self.readout_c(p_c))
        # (x, c) -> e without the position code: pattern completion of the place.
        if populations:
            s_xc = self.scores("e", *mem, x=x_t, c=c_t)
            out["pw"].append(self.attend("e", s_xc, valid, n_mem))
        # (e, x, c) -> e: position correction.
        if self.config.model.position_correction:
            s = self.scores("e", *mem, q=q, x=x_t, c=c_t)
            w_e = self.attend("e", s, valid, n_mem)
            e_hat = w_e[:, :1] * e + torch.bmm(w_e[:, None, 1:], mem_e)[:, 0]
            e = self._f(e + torch.sigmoid(self.alpha_raw) * (e_hat - e))
        new["e"].append(e)
        new["k"].append(self.keys(self.rates(e)))
        new["x"].append(x_t)
        new["c"].append(c_t)
        return e

    # -- the zoo protocol ---------------------------------------------------------------

    def loss(self, out: TEMT3Output, batch: Batch) -> Tensor:
        """TEM-t's loss (prediction of x and penalties) plus the context recall's.

        Parameters
        ----------
        out : TEMT3Output
        batch : Batch
            Needs ``batch.context``.

        Returns
        -------
        Tensor
            Scalar.
        """
        loss = super().loss(out, batch)
        w = self.config.train.context_loss
        if w:
            logits_c = out.logits_c.reshape(-1, out.logits_c.shape[-1])
            loss = loss + w * F.cross_entropy(logits_c, batch.context.reshape(-1))
        return loss

    def populations(self, out: TEMT3Output, observations: Tensor) -> dict[str, Tensor]:
        """TEM-t's populations (``position_encoding``, ``memory``, ``sensory``) and ``c``."""
        pops = super().populations(out, observations)
        pops["c"] = out.context
        return pops

    def export_populations(
        self, arrays: Mapping[str, np.ndarray], *, n_memory_units: int | None
    ) -> tuple[list[Population], dict[str, Any]]:
        """TEM-t's exported units plus the one-hot context units ``c``."""
        pops, attrs = super().export_populations(arrays, n_memory_units=n_memory_units)
        return [*pops, Population("c", np.asarray(arrays["c"]))], attrs


register_model("tem-t-3", config=TEMT3Config)(TEMT3)
