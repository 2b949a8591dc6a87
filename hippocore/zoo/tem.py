"""TEM: the Tolman-Eichenbaum Machine (Whittington et al., Cell 2020), as its TF2 code runs it.

One file, read top-down: the config, the memory (Hebbian matrices and attractor), the
model. Every number and rule follows the authors' TensorFlow 2 code
(``djcrw/generalising-structural-knowledge``, ``tem_tf2``); where we depart, the code
says so and docs/zoo.md lists why.

The agent walks a graph world; each node carries an observation (one of ``n_x`` classes);
at every step the model predicts the observation at the node it arrives at.

- **g** (medial entorhinal "grid" units): ``n_modules`` frequency modules. Path
  integration ``g_gen = clip(g + D_a g, -1, 1)`` with ``D_a`` = MLP(one-hot action),
  zero-initialised output, masked so a module hears only modules of its own or lower
  frequency. Stay-still is the all-zero action (``D = 0``).
- **x** (lateral entorhinal, sensory): the one-hot observation is compressed to a fixed
  two-hot code (``n_x_compressed`` units), temporally filtered per module with a learnable
  rate ``x_f <- a x_f + (1 - a) x``, ``a = sigmoid(gamma_f)``, demeaned, rectified and
  normalised.
- **p** (hippocampal place units): per module the outer product of the first ``n_phases``
  units of g (downsampled g) and the filtered x: ``p = f_p(repeat(g_down) * tile(x))``
  with ``f_p(z) = leaky_relu(clip(z, -1, 1), 0.01)``.
- **Memory**: two Hebbian matrices over p, ``M <- clip(lambda M + eta (p + p_hat)
  (p - p_hat)^T, -1, 1)``: a generative one (``p_hat = p_g``, hierarchical: a module
  hears modules of its own or lower frequency) and an inference one (``p_hat = p_x``,
  all-to-all). Within a chunk they are kept as low-rank scalar products and folded into
  the matrices at the chunk's end (as the TF2 code does). Retrieval is an attractor,
  ``h <- f_p(kappa h + h M)`` for ``n_modules`` iterations; in the generative memory
  module f stops after ``n_modules - f`` of them.
- **Inference of g**: the path-integrated prior (inference sigma from a per-module MLP) and
  an estimate from memory (retrieve p from the sensory input, sum over sensory units, MLP;
  its sigma from the retrieved memory's quality) are combined by precision weighting.
- **Predictions** of x (read out from the highest-frequency module): ``x_p`` from the
  inferred p, ``x_g`` from memory queried with the inferred g, ``x_gt`` from memory queried
  with the path-integrated g (the true prediction, made before seeing x: what the
  accuracies score).

References
----------
Whittington, Muller, Mark, Chen, Barry, Burgess & Behrens (2020), "The Tolman-Eichenbaum
Machine: unifying space and relational memory through generalization in the hippocampal
formation", Cell 183:1249.
Ba, Hinton, Mnih, Leibo & Ionescu (2016), "Using fast weights to attend to the recent
past", NeurIPS (the scalar-product form of the within-chunk Hebbian memory).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hippocore.zoo._config import CommonTrainConfig, _check_int, _check_real
from hippocore.zoo._config import EnvConfig as _EnvConfig
from hippocore.zoo._data import action_vocabulary
from hippocore.zoo._protocol import Batch, Population, ZooModel
from hippocore.zoo._registry import register_model

__all__ = [
    "EnvConfig",
    "ModelConfig",
    "TrainConfig",
    "TEMConfig",
    "TEM",
    "TEMState",
    "TEMOutput",
    "hebbian_fold",
    "attention_without_softmax",
    "conjunction",
    "memory_readout",
]


# ----------------------------------------------------------------------------- config


@dataclass(frozen=True, kw_only=True)
class EnvConfig(_EnvConfig):
    """TEM's worlds and walks: the shared env section with the TF2 hexagonal setting.

    Hexagonal (6-connected, stay-still allowed) worlds of 64-121 nodes (widths 8-11; the
    TF2 code's hexagon-shaped worlds 9-13 nodes across have 61-127), TEM's straight-biased
    walk with bias 0.2, and TEM's walk-length curriculum (``lifetime = "visits"``: (40
    falling to 5 over 15000 steps, plus 0-29) visits per node). Fields and their meaning:
    :class:`hippocore.zoo._config.EnvConfig`.
    """

    widths: tuple[int, int] = (8, 11)
    lifetime: Literal["chunks", "visits"] = "visits"


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """TEM's sizes and constants (defaults: the TF2 code's ``parameters.py``).

    Attributes
    ----------
    n_grids : tuple of int, default (30, 30, 24, 18, 18)
        g units per frequency module (``n_grids_all``); module 0 has the highest frequency.
    n_phases : tuple of int, default (10, 10, 8, 6, 6)
        Units of each module that index memory (the first ``n_phases[f]`` of module f:
        g downsampled, ``n_phases_all``); p has ``n_phases[f] * n_x_compressed`` units
        per module.
    n_x_compressed : int, default 10
        Two-hot code size for the observations (``s_size_comp``); ``C(n, 2)`` must be at
        least ``env.n_x``.
    filter_init : tuple of float, default (0.01, 0.7, 0.91, 0.97, 0.99)
        Initial smoothing constant ``a`` of each module's temporal filter of x
        (``freqs``); learned as ``a = sigmoid(gamma)``. Higher = slower.
    transition_hidden : int, default 20
        Hidden units of the transition MLP ``a -> D_a`` (``d_mixed_size``).
    kappa : float, default 0.8
        Attractor decay kappa in ``h <- f_p(kappa h + h M)``.
    hebb_forget : float, default 0.9999
        Hebbian forgetting lambda (``lambd``).
    hebb_rate : float, default 0.5
        Hebbian learning rate eta.
    hebb_limit : float, default 1.0
        Memory entries are clipped to ``[-hebb_limit, hebb_limit]`` (``hebb_lim``).
    logsig_ratio, logsig_offset : float, default 6.0, -2.0
        ``log sigma = logsig_ratio * tanh(MLP) + logsig_offset`` for the learned sigmas.
    p2g_sigma_offset : float, default 10000.0
        Added to the memory estimate's sigma early in training, times ``1 - p2g_use``
        (``p2g_sig_val``).
    g_init_std : float, default 0.5
        Std of the truncated-normal start of the prior on g (mean and log sigma).
    p2g_init_std : float, default 0.1
        Std of the truncated-normal start of the output layer of the memory-to-g MLP.
    prediction_module : int, default 0
        The module whose p units the predictions of x are read from.
    """

    n_grids: tuple[int, ...] = (30, 30, 24, 18, 18)
    n_phases: tuple[int, ...] = (10, 10, 8, 6, 6)
    n_x_compressed: int = 10
    filter_init: tuple[float, ...] = (0.01, 0.7, 0.91, 0.97, 0.99)
    transition_hidden: int = 20
    kappa: float = 0.8
    hebb_forget: float = 0.9999
    hebb_rate: float = 0.5
    hebb_limit: float = 1.0
    logsig_ratio: float = 6.0
    logsig_offset: float = -2.0
    p2g_sigma_offset: float = 10000.0
    g_init_std: float = 0.5
    p2g_init_std: float = 0.1
    prediction_module: int = 0

    def __post_init__(self) -> None:
        n = len(self.n_grids)
        if n < 1:
            raise ValueError("model.n_grids must list at least one module's size.")
        for name in ("n_phases", "filter_init"):
            if len(getattr(self, name)) != n:
                raise ValueError(
                    f"model.{name} has {len(getattr(self, name))} values; give one per "
                    f"module (model.n_grids has {n})."
                )
        for f, (ng, nph) in enumerate(zip(self.n_grids, self.n_phases, strict=True)):
            _check_int(ng, f"model.n_grids[{f}]", 1)
            _check_int(nph, f"model.n_phases[{f}]", 1)
            if nph > ng:
                raise ValueError(
                    f"model.n_phases[{f}] ({nph}) must be <= model.n_grids[{f}] ({ng}): the "
                    "phases are the first units of the module."
                )
        for f, a in enumerate(self.filter_init):
            _check_real(a, f"model.filter_init[{f}]", low=0, high=1, strict=True)
            if a >= 1:
                raise ValueError(f"model.filter_init[{f}] must be < 1; got {a!r}.")
        _check_int(self.n_x_compressed, "model.n_x_compressed", 2)
        _check_int(self.transition_hidden, "model.transition_hidden", 1)
        _check_real(self.kappa, "model.kappa", low=0)
        _check_real(self.hebb_forget, "model.hebb_forget", low=0, high=1)
        _check_real(self.hebb_rate, "model.hebb_rate", low=0)
        _check_real(self.hebb_limit, "model.hebb_limit", low=0, strict=True)
        _check_real(self.logsig_ratio, "model.logsig_ratio", low=0)
        _check_real(self.logsig_offset, "model.logsig_offset", low=-math.inf)
        _check_real(self.p2g_sigma_offset, "model.p2g_sigma_offset", low=0)
        _check_real(self.g_init_std, "model.g_init_std", low=0)
        _check_real(self.p2g_init_std, "model.p2g_init_std", low=0)
        if not (isinstance(self.prediction_module, int) and 0 <= self.prediction_module < n):
            raise ValueError(
                f"model.prediction_module must be a module index in 0..{n - 1}; got "
                f"{self.prediction_module!r}."
            )

    @property
    def n_modules(self) -> int:
        """Number of frequency modules."""
        return len(self.n_grids)

    @property
    def n_g(self) -> int:
        """Number of g units (120 by default)."""
        return sum(self.n_grids)

    @property
    def n_p(self) -> int:
        """Number of p units (400 by default)."""
        return sum(self.n_phases) * self.n_x_compressed


@dataclass(frozen=True, kw_only=True)
class TrainConfig(CommonTrainConfig):
    """TEM's optimisation, loss weights and schedules (defaults: the TF2 code).

    The shared options (:class:`~hippocore.zoo._config.CommonTrainConfig`) with TF2's
    values: Adam lr ``(9.4e-4 - 8e-5) * 0.5 ** (step / 4000) + 8e-5``, each gradient
    clipped to norm 2 on its own, batch 16, 75-step chunks.

    Attributes
    ----------
    loss_warmup : int, default 2000
        Steps over which the weight of the p, g and p_x losses rises linearly to 1
        (``temp_it``).
    forget_warmup : int, default 200
        Steps over which lambda rises linearly to ``model.hebb_forget`` (``forget_it``).
    hebb_warmup : int, default 16000
        Steps over which eta rises linearly to ``model.hebb_rate`` (``hebb_learn_it``).
    p2g_start, p2g_scale : int, float, default 0, 200
        ``p2g_use = sigmoid((step - p2g_start) / p2g_scale)`` weighs the p_x loss and
        removes the offset on the memory estimate's sigma (``p2g_use_it``, ``p2g_scale``).
    g_reg, p_reg : float, default 0.01, 0.02
        Weights of ``sum g^2`` and ``sum |p|`` (``g_reg_pen``, ``p_reg_pen``).
    g_reg_decay, p_reg_decay : int, default 40000000, 4000
        Steps over which those weights fall linearly to 0 (``g_reg_it``, ``p_reg_it``).
    visited_only : bool, default True
        Count only steps at nodes visited before in this world
        (``train_on_visited_states_only``).
    """

    n_steps: int = 50000
    chunk_length: int = 75
    lr: float = 9.4e-4
    lr_min: float = 8e-5
    lr_half_life: int = 4000
    grad_clip: float = 2.0
    grad_clip_mode: Literal["global", "per-tensor", "none"] = "per-tensor"
    checkpoint_every: int = 500
    loss_warmup: int = 2000
    forget_warmup: int = 200
    hebb_warmup: int = 16000
    p2g_start: int = 0
    p2g_scale: float = 200.0
    g_reg: float = 0.01
    p_reg: float = 0.02
    g_reg_decay: int = 40_000_000
    p_reg_decay: int = 4000
    visited_only: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("loss_warmup", "forget_warmup", "hebb_warmup", "g_reg_decay", "p_reg_decay"):
            _check_int(getattr(self, name), f"train.{name}", 1)
        _check_int(self.p2g_start, "train.p2g_start", 0)
        _check_real(self.p2g_scale, "train.p2g_scale", low=0, strict=True)
        _check_real(self.g_reg, "train.g_reg", low=0)
        _check_real(self.p_reg, "train.p_reg", low=0)
        if not isinstance(self.visited_only, bool):
            raise ValueError(
                f"train.visited_only must be true or false; got {self.visited_only!r}."
            )


@dataclass(frozen=True, kw_only=True)
class TEMConfig:
    """Full TEM config: ``env``, ``model`` and ``train`` sections (TOML tables)."""

    env: EnvConfig = field(default_factory=EnvConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        pairs = math.comb(self.model.n_x_compressed, 2)
        if pairs < self.env.n_x:
            raise ValueError(
                f"model.n_x_compressed = {self.model.n_x_compressed} gives {pairs} two-hot "
                f"codes, fewer than env.n_x = {self.env.n_x} observations; raise it."
            )


@dataclass(frozen=True)
class _Schedule:
    """Values that follow training progress (TF2 ``get_scaling_parameters``)."""

    forget: float  # lambda in use
    eta: float  # eta in use
    p2g_use: float
    temp: float  # weight of the p, g, p_x losses
    g_reg: float
    p_reg: float


# ----------------------------------------------------------------------------- memory


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
        update = update * mask
    return (decay * memory + update).clamp(-limit, limit)


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


# ----------------------------------------------------------------------------- model


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


def _dense(n_in: int, n_out: int, g: torch.Generator, std: float | None = None) -> nn.Parameter:
    """Kernel (n_in, n_out): Glorot-uniform (Keras default) or truncated normal (±2 std)."""
    w = torch.empty(n_in, n_out)
    if std is None:
        nn.init.xavier_uniform_(w, generator=g)
    else:
        nn.init.trunc_normal_(w, std=std, a=-2 * std, b=2 * std, generator=g)
    return nn.Parameter(w)


class _ModuleMLPs(nn.Module):
    """One two-layer MLP per module (TF2 keeps one Keras model per module), run at once.

    Each module has its own weights (so per-tensor gradient clipping sees the same
    variables as TF2); a forward call assembles them block-diagonally, so all modules go
    through two matrix products.
    """

    def __init__(
        self,
        n_in: list[int],
        n_hidden: list[int],
        n_out: list[int],
        g: torch.Generator,
        *,
        out_std: float | None = None,
        out_tanh: bool = False,
    ):
        super().__init__()
        self.w1 = nn.ParameterList(_dense(i, h, g) for i, h in zip(n_in, n_hidden, strict=True))
        self.b1 = nn.ParameterList(nn.Parameter(torch.zeros(h)) for h in n_hidden)
        self.w2 = nn.ParameterList(
            _dense(h, o, g, out_std) for h, o in zip(n_hidden, n_out, strict=True)
        )
        self.b2 = nn.ParameterList(nn.Parameter(torch.zeros(o)) for o in n_out)
        self.out_tanh = out_tanh

    def assemble(self) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Block-diagonal weights and concatenated biases of all modules (once per chunk)."""
        return (
            torch.block_diag(*self.w1),
            torch.cat(list(self.b1)),
            torch.block_diag(*self.w2),
            torch.cat(list(self.b2)),
        )

    def forward(self, x: Tensor, weights: tuple[Tensor, ...] | None = None) -> Tensor:
        """x: (..., sum n_in) with modules concatenated -> (..., sum n_out)."""
        w1, b1, w2, b2 = self.assemble() if weights is None else weights
        y = F.elu(x @ w1 + b1) @ w2 + b2
        return torch.tanh(y) if self.out_tanh else y


class TEM(ZooModel):
    """TEM (see the module docstring). Build with ``hippocore.zoo.get_model("tem", cfg)``.

    Parameters
    ----------
    config : TEMConfig
        The full config (weights are seeded by ``config.train.seed``).
    """

    state_type = TEMState
    grid_population = "g"
    memory_population = "p"
    memory = (
        "two Hebbian matrices over the place units p (generative: hierarchical across "
        "modules; inference: all-to-all), cleared when a world starts; p units are the "
        "memory (place) neurons"
    )

    def __init__(self, config: TEMConfig):
        super().__init__()
        self.config = config
        m = config.model
        self.actions = action_vocabulary(config.env.kinds)
        n_a, n_x, n_xc = len(self.actions), config.env.n_x, m.n_x_compressed
        n_mod, grids, phases = m.n_modules, list(m.n_grids), list(m.n_phases)
        n_g, n_phase, n_p = m.n_g, sum(phases), m.n_p
        gen = torch.Generator().manual_seed(config.train.seed)
        self._build_buffers()
        # Temporal filters (gamma = logit of the smoothing constant), per module.
        self.gamma = nn.ParameterList(
            nn.Parameter(torch.tensor(math.log(a / (1 - a)))) for a in m.filter_init
        )
        self.w_x = nn.Parameter(torch.tensor(1.0))  # read-out gain
        self.b_x = nn.Parameter(torch.zeros(n_xc))  # read-out bias
        self.w_p = nn.ParameterList(nn.Parameter(torch.tensor(1.0)) for _ in range(n_mod))
        std = m.g_init_std
        self.g_prior_mu = nn.Parameter(
            nn.init.trunc_normal_(torch.empty(n_g), std=std, a=-2 * std, b=2 * std, generator=gen)
        )
        self.g_prior_logsig = nn.Parameter(
            nn.init.trunc_normal_(torch.empty(n_g), std=std, a=-2 * std, b=2 * std, generator=gen)
        )
        # Transition MLP: one-hot action -> tanh hidden -> D_a (n_g x n_g), no biases, the
        # output layer zero-initialised (so g starts by staying put).
        self.transition_hidden = _dense(n_a, m.transition_hidden, gen)
        self.transition_out = nn.Parameter(torch.zeros(m.transition_hidden, n_g * n_g))
        # Memory -> g: mean from the retrieved p summed over sensory units; sigma from
        # [|mean|^2, error of x predicted from the retrieved p].
        self.p2g_mu = _ModuleMLPs(
            phases, [2 * k for k in grids], grids, gen, out_std=m.p2g_init_std
        )
        self.p2g_logsig = _ModuleMLPs(
            [2] * n_mod, [2 * k for k in grids], grids, gen, out_tanh=True
        )
        # Path-integration sigma of the inference network, from the previous g.
        self.g2g_logsig = _ModuleMLPs(grids, [2 * k for k in grids], grids, gen, out_tanh=True)
        # Decompression of the read-out to observation logits.
        hidden = 20 * n_xc
        self.c_star_w1 = _dense(n_xc, hidden, gen)
        self.c_star_b1 = nn.Parameter(torch.zeros(hidden))
        self.c_star_w2 = _dense(hidden, n_x, gen)
        self.c_star_b2 = nn.Parameter(torch.zeros(n_x))
        assert n_phase * n_xc == n_p

    def _build_buffers(self) -> None:
        """Index maps and masks that follow from the config (not saved in checkpoints)."""
        m, n_x = self.config.model, self.config.env.n_x
        n_mod, n_xc = m.n_modules, m.n_x_compressed
        grids, phases = list(m.n_grids), list(m.n_phases)
        g_module = torch.repeat_interleave(torch.arange(n_mod), torch.tensor(grids))
        phase_module = torch.repeat_interleave(torch.arange(n_mod), torch.tensor(phases))
        p_module = phase_module.repeat_interleave(n_xc)
        starts_g = np.concatenate([[0], np.cumsum(grids)])
        down = torch.cat([torch.arange(starts_g[f], starts_g[f] + phases[f]) for f in range(n_mod)])
        p_sizes = [k * n_xc for k in phases]
        self.p_starts = [int(v) for v in np.concatenate([[0], np.cumsum(p_sizes)])]
        # Transitions: module i hears module j iff j has the same or a lower frequency
        # (j >= i). D[to, from].
        mask_g = (g_module[None, :] >= g_module[:, None]).float()
        # Generative memory: M[from i, to j] allowed iff module(i) >= module(j).
        mask_p = (p_module[:, None] >= p_module[None, :]).float()
        codes = list(itertools.combinations(range(n_xc), 2))[:n_x]
        two_hot = torch.zeros(n_x, n_xc)
        for k, (i, j) in enumerate(codes):
            two_hot[k, i] = two_hot[k, j] = 1.0
        for name, value in {
            "g_member": F.one_hot(g_module, n_mod).float(),
            "down_index": down,
            "phase_module": phase_module,
            "mask_g": mask_g,
            "mask_p": mask_p,
            "phase_member": F.one_hot(phase_module, n_mod).float(),
            "unit_mask": F.one_hot(p_module, n_mod).float().T,  # (n_mod, n_p)
            "suffix_mask": (p_module[None, :] >= torch.arange(n_mod)[:, None]).float(),
            "two_hot": two_hot,
        }.items():
            self.register_buffer(name, value, persistent=False)

    # -- building blocks --------------------------------------------------------------

    def schedule(self, step: int) -> _Schedule:
        """Annealed constants at gradient ``step`` (TF2 ``get_scaling_parameters``)."""
        tc, m = self.config.train, self.config.model
        ramp = lambda n: min((step + 1) / n, 1.0)  # noqa: E731
        z = (step - tc.p2g_start) / tc.p2g_scale
        return _Schedule(
            forget=m.hebb_forget * ramp(tc.forget_warmup),
            eta=m.hebb_rate * ramp(tc.hebb_warmup),
            p2g_use=0.5 * (1.0 + math.tanh(z / 2)),  # sigmoid without overflow
            temp=ramp(tc.loss_warmup),
            g_reg=tc.g_reg * (1.0 - ramp(tc.g_reg_decay)),
            p_reg=tc.p_reg * (1.0 - ramp(tc.p_reg_decay)),
        )

    def transition_matrices(self) -> Tensor:
        """``D_a`` for every action plus zeros for stay (last): (n_a + 1, n_g, n_g), [to, from]."""
        n_g = self.config.model.n_g
        hidden = torch.tanh(self.transition_hidden)  # one-hot actions: rows of W1
        d = (hidden @ self.transition_out).view(-1, n_g, n_g) * self.mask_g
        return torch.cat([d, d.new_zeros(1, n_g, n_g)], 0)

    def sensory_input(self, x_filtered: Tensor, w_p: Tensor | None = None) -> Tensor:
        """Each module's x as p sees it: demeaned, rectified, normalised, weighted.

        (..., n_modules, n_x_compressed) -> the same shape; :meth:`x_to_p` tiles it.
        ``w_p``: the weights ``sigmoid(w_p)`` (n_modules, 1) if already computed.
        """
        x = F.relu(x_filtered - x_filtered.mean(-1, keepdim=True))
        x = x * torch.rsqrt((x * x).sum(-1, keepdim=True).clamp_min(1e-12))
        if w_p is None:
            w_p = torch.sigmoid(torch.stack(list(self.w_p)))[:, None]
        return x * w_p

    def x_to_p(self, x_filtered: Tensor) -> Tensor:
        """Sensory input to p: :meth:`sensory_input` tiled once per phase, (..., n_p)."""
        x = self.sensory_input(x_filtered)
        return x[..., self.phase_module, :].flatten(-2)

    def g_to_p(self, g: Tensor) -> Tensor:
        """Grid input to p: the downsampled g, each unit repeated n_x_compressed times."""
        g_down = g[..., self.down_index]
        n_xc = self.config.model.n_x_compressed
        return g_down[..., None].expand(*g_down.shape, n_xc).flatten(-2)

    def read_out(self, p: Tensor) -> Tensor:
        """Observation logits from p: the prediction module's p summed over phases."""
        m = self.config.model
        f = m.prediction_module
        block = p[..., self.p_starts[f] : self.p_starts[f + 1]]
        x = block.unflatten(-1, (m.n_phases[f], m.n_x_compressed)).sum(-2)
        h = F.elu((self.w_x * x + self.b_x) @ self.c_star_w1 + self.c_star_b1)
        return h @ self.c_star_w2 + self.c_star_b2

    def _row_sums(self, memory: Tensor) -> tuple[Tensor, Tensor]:
        """The memory's rows summed over what a structured query repeats.

        A sensory query (x tiled over a module's phases) or a grid query (g repeated over
        the sensory units) stays structured through ``f_p``, so its first product with the
        memory only needs the rows summed within each repeat: ``by_sense`` (b, n_modules *
        n_x_compressed, n_p) sums each module's phases, ``by_phase`` (b, total phases, n_p)
        each phase's sensory units. One pass over the memory per chunk instead of one per
        step.
        """
        m = self.config.model
        rows = memory.unflatten(1, (sum(m.n_phases), m.n_x_compressed))  # (b, phase, s, n_p)
        by_phase = rows.sum(2)
        by_sense = self.phase_member.T @ rows.flatten(2)  # (b, n_mod, s * n_p)
        return by_sense.view(memory.shape[0], -1, memory.shape[-1]), by_phase

    def _low_rank(
        self, h: Tensor, a: Tensor, b: Tensor, weights: Tensor, hierarchical: bool
    ) -> Tensor:
        """``h`` times the chunk's not-yet-folded memories, by scalar products.

        ``out[q, j] = sum_s weights[q, s] (h_q . b_s)_j a_s[j]`` where ``(h . b)_j`` sums
        over the units that may connect to unit j (all; or, hierarchical, those of modules
        of the same or lower frequency than j's). h: (b, Q, n_p); a, b: (b, S, n_p);
        weights: (Q, S) (zero where a memory is not yet written).
        """
        if not hierarchical:
            scores = torch.bmm(h, b.transpose(1, 2)) * weights  # (b, Q, S)
            return torch.bmm(scores, a)
        # Module f hears units from its own start on (modules f, f + 1, ...): one product
        # of the suffix-masked queries with the memories gives every module's scores.
        n_batch, n_q, n_mod = h.shape[0], h.shape[1], self.config.model.n_modules
        masked = (h[:, None] * self.suffix_mask[:, None, :]).flatten(1, 2)  # (b, n_mod*Q, n_p)
        heard = torch.bmm(masked, b.transpose(1, 2)).view(n_batch, n_mod, n_q, -1) * weights
        out = torch.bmm(heard.flatten(1, 2), a).view(n_batch, n_mod, n_q, -1)
        return (out * self.unit_mask[:, None, :]).sum(1)  # unit j keeps its module's row

    def retrieve(
        self,
        query: Tensor,
        memory: Tensor,
        old_scale: Tensor,
        a: Tensor,
        b: Tensor,
        weights: Tensor,
        *,
        hierarchical: bool,
        first_product: Tensor | None = None,
    ) -> Tensor:
        """Attractor retrieval ``h <- f_p(kappa h + h M)``, ``n_modules`` iterations.

        ``h M = old_scale * (h @ memory) + low-rank part`` (the matrix at the chunk's start
        decayed, plus the chunk's memories). With ``hierarchical`` (generative memory) the
        modules stop early: module f is updated in the first ``n_modules - f`` iterations
        only, and hears modules of its own or lower frequency.

        Parameters
        ----------
        query : Tensor (b, Q, n_p)
        memory : Tensor (b, n_p, n_p)
        old_scale : Tensor (Q,)
        a, b : Tensor (b, S, n_p)
        weights : Tensor (Q, S)
        first_product : Tensor (b, Q, n_p), optional
            ``f_p(query) @ memory`` if already known (structured queries: :meth:`_row_sums`).

        Returns
        -------
        Tensor (b, Q, n_p)
        """
        m = self.config.model
        kappa, n_mod = m.kappa, m.n_modules
        h = f_p(query)
        for k in range(n_mod):
            n = self.p_starts[n_mod - k] if hierarchical else m.n_p  # units still updating
            if k == 0 and first_product is not None:
                old = first_product[..., :n]
            else:
                old = torch.matmul(h, memory[:, :, :n])
            upd = old_scale[:, None] * old
            if a.shape[1]:
                upd = upd + self._low_rank(h, a, b, weights, hierarchical)[..., :n]
            new = f_p(kappa * h[..., :n] + upd)
            h = new if n == m.n_p else torch.cat([new, h[..., n:]], -1)
        return h

    def memory_to_g(
        self,
        p_x: Tensor,
        x_onehot: Tensor,
        p2g_use: float,
        weights: tuple[tuple[Tensor, ...], tuple[Tensor, ...]] | None = None,
    ) -> tuple[Tensor, Tensor]:
        """The estimate of g from memory retrieved by the senses: mean and sigma, (b, n_g) each.

        ``weights``: the assembled ``p2g_mu`` and ``p2g_logsig`` weights, if already built.
        """
        m = self.config.model
        w_mu, w_sig = weights if weights is not None else (None, None)
        g_down = p_x.unflatten(-1, (sum(m.n_phases), m.n_x_compressed)).mean(-1)
        mu_raw = self.p2g_mu(g_down, w_mu)
        x_hat = torch.softmax(self.read_out(p_x), -1)
        err = 0.5 * (x_onehot - x_hat).pow(2).sum(-1, keepdim=True)  # (b, 1)
        norm = mu_raw.pow(2) @ self.g_member  # (b, n_mod)
        quality = torch.stack([norm, err.expand_as(norm)], -1).flatten(-2).detach()
        logsig = self.p2g_logsig(quality, w_sig) * m.logsig_ratio + m.logsig_offset
        sigma = torch.exp(logsig) + (1.0 - p2g_use) * m.p2g_sigma_offset
        return mu_raw.clamp(-1.0, 1.0), sigma

    def initial_state(self, batch_size: int) -> TEMState:
        """An empty state (every element at the start of a fresh environment).

        Parameters
        ----------
        batch_size : int
            Number of environments.

        Returns
        -------
        TEMState
        """
        m = self.config.model
        dev = self.g_prior_mu.device
        return TEMState(
            g=torch.zeros(batch_size, m.n_g, device=dev),
            x_filtered=torch.zeros(batch_size, m.n_modules, m.n_x_compressed, device=dev),
            memory_gen=torch.zeros(batch_size, m.n_p, m.n_p, device=dev),
            memory_inf=torch.zeros(batch_size, m.n_p, m.n_p, device=dev),
        )

    # -- forward over a chunk ---------------------------------------------------------

    def forward(
        self,
        actions: Tensor,
        observations: Tensor,
        state: TEMState,
        reset: Tensor,
        *,
        populations: bool = False,
    ) -> TEMOutput:
        """Run one chunk.

        Parameters
        ----------
        actions : Tensor of long (batch, time)
            Global action index (``self.actions``; ``len(self.actions)`` = stay) taken to
            arrive at step t's node. At t = 0 where ``reset`` g starts from the prior.
        observations : Tensor of long (batch, time)
            Observation class at step t's node.
        state : TEMState
            State from the previous chunk (or :meth:`initial_state`).
        reset : Tensor of bool (batch,)
            Elements entering a fresh environment at t = 0: memories and filtered x are
            cleared, g starts from its learned prior.
        populations : bool, default False
            Unused (every exported population is always in the output).

        Returns
        -------
        TEMOutput

        Notes
        -----
        Three passes over the chunk, each as the TF2 step computes it: (1) inference, step
        by step (path integration, sensory filtering, retrieval from the inference memory,
        precision-weighted g, p): it never reads the generative memory; (2) the generative
        retrieval with the inferred g, step by step (its memories feed the next steps);
        (3) the retrieval with the path-integrated g for every step at once (it feeds no
        memory). Memories within the chunk are scalar products; the matrices are updated
        once, at the end.
        """
        m, sc = self.config.model, self.schedule(self.trained_steps)
        b, t_len = actions.shape
        dev = self.g_prior_mu.device
        keep = (~reset).to(self.g_prior_mu.dtype)
        g_prev = state.g * keep[:, None]
        xf_prev = state.x_filtered * keep[:, None, None]
        mem_gen = state.memory_gen * keep[:, None, None]
        mem_inf = state.memory_inf * keep[:, None, None]
        # Memory weights: at step t the chunk's memory tau < t counts eta * lambda^(t-1-tau),
        # the matrix lambda^t.
        t = torch.arange(t_len, device=dev, dtype=torch.float64)
        lag = t[:, None] - 1 - t[None, :]
        weights = torch.where(lag >= 0, sc.eta * sc.forget ** lag.clamp_min(0), 0.0).float()
        old_scale = (sc.forget**t).float()
        d_flat = self.transition_matrices().flatten(0, 1)  # (n_actions * n_g, n_g)
        rows = torch.arange(b, device=dev)
        x_c = self.two_hot[observations]  # (b, T, n_xc)
        x_onehot = F.one_hot(observations, self.config.env.n_x).to(x_c.dtype)
        smooth = torch.sigmoid(torch.stack(list(self.gamma)))[:, None]  # (n_mod, 1)
        w_p = torch.sigmoid(torch.stack(list(self.w_p)))[:, None]
        mlp_mem = (self.p2g_mu.assemble(), self.p2g_logsig.assemble())
        mlp_path = self.g2g_logsig.assemble()
        prior_sigma = torch.exp(self.g_prior_logsig + m.logsig_offset)
        inf_by_sense, _ = self._row_sums(mem_inf)
        _, gen_by_phase = self._row_sums(mem_gen)

        # (1) inference, step by step
        gs, g_gens, ps, p_xs, xfs, a_inf, b_inf = [], [], [], [], [], [], []
        for step in range(t_len):
            # D_a g for every action in one product, then each element's own action.
            path = (g_prev @ d_flat.T).view(b, -1, m.n_g)[rows, actions[:, step]]
            g_gen = (g_prev + path).clamp(-1.0, 1.0)
            logsig = self.g2g_logsig(g_prev.detach(), mlp_path) * m.logsig_ratio + m.logsig_offset
            sigma_gen = torch.exp(logsig)
            if step == 0:  # a fresh world: the prior on g
                g_gen = torch.where(reset[:, None], self.g_prior_mu, g_gen)
                sigma_gen = torch.where(reset[:, None], prior_sigma, sigma_gen)
            xf = smooth * xf_prev + (1 - smooth) * x_c[:, step, None, :]
            x_in = self.sensory_input(xf, w_p)  # (b, n_mod, n_xc)
            x2p = x_in[:, self.phase_module, :].flatten(-2)  # tiled over phases
            mem_a = torch.stack(a_inf, 1) if step else x2p.new_zeros(b, 0, m.n_p)
            mem_b = torch.stack(b_inf, 1) if step else mem_a
            p_x = self.retrieve(
                x2p[:, None],
                mem_inf,
                old_scale[step : step + 1],
                mem_a,
                mem_b,
                weights[step : step + 1, :step],
                hierarchical=False,
                first_product=f_p(x_in).flatten(-2)[:, None] @ inf_by_sense,
            )[:, 0]
            mu_mem, sigma_mem = self.memory_to_g(p_x, x_onehot[:, step], sc.p2g_use, mlp_mem)
            inv_gen, inv_mem = sigma_gen.pow(-2), sigma_mem.pow(-2)
            g = (g_gen * inv_gen + mu_mem * inv_mem) / (inv_gen + inv_mem)
            p = f_p(self.g_to_p(g) * x2p)
            a_inf.append(p - p_x)
            b_inf.append(p + p_x)
            gs.append(g)
            g_gens.append(g_gen)
            ps.append(p)
            p_xs.append(p_x)
            xfs.append(xf)
            g_prev, xf_prev = g, xf
        g_all, p_all = torch.stack(gs, 1), torch.stack(ps, 1)
        g_gen_all = torch.stack(g_gens, 1)

        # (2) generative memory queried with the inferred g, step by step
        p_gs, a_gen, b_gen = [], [], []
        for step in range(t_len):
            mem_a = torch.stack(a_gen, 1) if step else p_all.new_zeros(b, 0, m.n_p)
            mem_b = torch.stack(b_gen, 1) if step else mem_a
            g_down = gs[step][:, self.down_index]
            p_g = self.retrieve(
                self.g_to_p(gs[step])[:, None],
                mem_gen,
                old_scale[step : step + 1],
                mem_a,
                mem_b,
                weights[step : step + 1, :step],
                hierarchical=True,
                first_product=(f_p(g_down)[:, None] @ gen_by_phase),
            )[:, 0]
            a_gen.append(ps[step] - p_g)
            b_gen.append(ps[step] + p_g)
            p_gs.append(p_g)
        a_gen_all, b_gen_all = torch.stack(a_gen, 1), torch.stack(b_gen, 1)

        # (3) generative memory queried with the path-integrated g, all steps at once
        p_gt = self.retrieve(
            self.g_to_p(g_gen_all),
            mem_gen,
            old_scale,
            a_gen_all,
            b_gen_all,
            weights,
            hierarchical=True,
            first_product=f_p(g_gen_all[..., self.down_index]) @ gen_by_phase,
        )
        p_g_all = torch.stack(p_gs, 1)

        # Fold the chunk's memories into the matrices (detached: truncated backprop).
        with torch.no_grad():
            fold = (sc.eta * sc.forget ** (t_len - 1 - t)).float()
            decay = sc.forget**t_len
            new_gen = hebbian_fold(
                mem_gen,
                a_gen_all.detach(),
                b_gen_all.detach(),
                fold,
                decay,
                mask=self.mask_p,
                limit=m.hebb_limit,
            )
            new_inf = hebbian_fold(
                mem_inf,
                torch.stack(a_inf, 1).detach(),
                torch.stack(b_inf, 1).detach(),
                fold,
                decay,
                limit=m.hebb_limit,
            )
        new_state = TEMState(
            g=g_prev.detach(), x_filtered=xf_prev.detach(), memory_gen=new_gen, memory_inf=new_inf
        )
        return TEMOutput(
            logits=self.read_out(p_gt),
            logits_p=self.read_out(p_all),
            logits_g=self.read_out(p_g_all),
            g=g_all,
            g_gen=g_gen_all,
            p=p_all,
            p_g=p_g_all,
            p_gt=p_gt,
            p_x=torch.stack(p_xs, 1),
            x_filtered=torch.stack(xfs, 1),
            state=new_state,
        )

    # -- the zoo protocol: loss, export -------------------------------------------------

    def loss(self, out: TEMOutput, batch: Batch) -> Tensor:
        """TEM's loss for one chunk (TF2 ``compute_losses``).

        ``lx_p + lx_g + lx_gt`` (cross-entropy of the three predictions) ``+ temp (lp +
        lg) + temp * p2g_use * lp_x`` (half squared errors ``|p - p_g|^2``, ``|g -
        g_gen|^2``, ``|p - p_x|^2``) ``+ g_reg |g|^2 + p_reg |p|_1``, each step's terms
        averaged over the batch elements at already-visited nodes (``train.visited_only``)
        and the steps averaged: ``sum_t sum_b l * v / (sum_b v + 1e-8) / T``.

        Parameters
        ----------
        out : TEMOutput
            The model's output for the chunk.
        batch : Batch
            The chunk (observations and revisit flags).

        Returns
        -------
        Tensor
            Scalar.
        """
        sc = self.schedule(self.trained_steps)
        obs = batch.observations
        t_len = obs.shape[1]
        visited = (
            batch.revisit if self.config.train.visited_only else torch.ones_like(batch.revisit)
        )
        v = visited.to(out.g.dtype)
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

    def populations(self, out: TEMOutput, observations: Tensor) -> dict[str, Tensor]:
        """``g`` (inferred), ``p`` (inferred) and ``x`` (filtered sensory), (batch, time, units)."""
        return {"g": out.g, "p": out.p, "x": out.x_filtered.flatten(-2)}

    def export_populations(
        self, arrays: Mapping[str, np.ndarray], *, n_memory_units: int | None
    ) -> tuple[list[Population], dict[str, Any]]:
        """``g``, ``p`` and ``x`` units of one walk, each with its frequency ``module``.

        ``n_memory_units`` does not apply (TEM's memories are matrices, not slots).
        """
        m = self.config.model
        g_module = np.repeat(np.arange(m.n_modules), m.n_grids)
        p_module = np.repeat(np.arange(m.n_modules), np.asarray(m.n_phases) * m.n_x_compressed)
        x_module = np.repeat(np.arange(m.n_modules), m.n_x_compressed)
        pops = [
            Population("g", arrays["g"], {"module": g_module}),
            Population("p", arrays["p"], {"module": p_module}),
            Population("x", arrays["x"], {"module": x_module}),
        ]
        return pops, {"memory": self.memory}


register_model("tem", config=TEMConfig)(TEM)
