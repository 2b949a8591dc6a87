"""TEM-t: the Tolman-Eichenbaum Machine as a transformer (Whittington, Warren & Behrens 2022).

One file, read top-down: the config, then the model.

The agent walks a graph world; each node carries an observation (one of ``n_x`` classes);
at every step the model predicts the observation at the node it arrives at.

- **Position encoding** (medial entorhinal "grid" units), one vector per step:
  ``e_t = f(e_{t-1} W_{a_t})`` with a learned matrix ``W_a`` per action and ``f`` linear or
  ReLU. After ``f`` the vector is rescaled to norm ``sqrt(n_e)`` (our choice: it keeps the
  recurrence bounded over thousands of steps; the key/query LayerNorm is scale-free anyway).
  With ``transition="orthogonal"`` (default) ``W_a = expm(A_a - A_a^T)`` is a rotation.
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
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hippocore.envs import WORLD_KINDS, make_world
from hippocore.zoo._config import CommonTrainConfig, EnvConfig, _check_int, _check_real
from hippocore.zoo._data import action_vocabulary
from hippocore.zoo._protocol import Batch, Population, ZooModel
from hippocore.zoo._registry import register_model

__all__ = [
    "EnvConfig",
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


# ----------------------------------------------------------------------------- config

LEGACY_MODEL_VALUES: dict[str, Any] = {
    "n_modules": 1,
    "offset": False,
    "max_phase_step": [],
    "fixed_phase_step": False,
    "grid_spacing": [],
}
"""What a checkpoint's ``[model]`` means when it lacks these keys: it was written before
they existed, when the model had one module, no baseline and no angle cap (their defaults
changed since; ``beta_init`` and ``n_e`` were always saved)."""

LEGACY_TRAIN_VALUES: dict[str, Any] = {
    "activity_loss": 0.0,
    "commute_loss": 0.0,
    "center_loss": 0.0,
    "smooth_loss": [],
}
"""What a checkpoint's ``[train]`` means when it lacks these penalties: it was trained
before they existed, without them (``path_loss`` and ``nonneg_loss`` were always saved)."""


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """TEM-t sizes and switches.

    The defaults are the grid-cell setting (docs/results/tem-t.md): 10 modules of 6 units
    whose transitions are plane-wave path integrators (``transition = "plane-waves"``: three
    rotation planes per module, wave vectors a triad 120 degrees apart, five spatial scales
    of 4-8 node spacings, two modules each, the lattice's own action displacements), a
    learned mixing of each module's planes into its units, a firing-rate baseline, and a
    sharp start for the attention (``beta_init = 8``: low-frequency codes need a high
    inverse temperature to tell neighbouring nodes apart, and learning it up from 2 took
    thousands of steps). With the non-negativity and activity penalties of
    :class:`TrainConfig` training mixes each module's three waves into hexagonal grid
    units; the previous default (held rotation angles, free ``W_a`` per action) made band
    units only and is ``docs/configs/tem-t-bands.toml``. Checkpoints written before these
    fields existed load with their old behaviour (see :data:`LEGACY_MODEL_VALUES`).

    Attributes
    ----------
    n_e : int, default 60
        Position-encoding units (dimension of e, "g" in TEM).
    n_k : int, default 64
        Key/query dimension (columns of W_e).
    activation : {"linear", "relu"}, default "linear"
        f in e_t = f(e_{t-1} W_a). The paper reports grid cells with a linear f.
    transition : {"orthogonal", "free", "plane-waves"}, default "plane-waves"
        W_a parameterisation: ``expm(A - A^T)`` (a rotation), an unconstrained matrix
        initialised near the identity, or ``"plane-waves"``: per module,
        ``W_a = U R(K d_a) U^T``, rotations of the module's planes by the phase ``k_j . d_a``
        that a plane wave of wave vector ``k_j`` advances for the action's displacement
        ``d_a``, seen through a learned orthogonal mixing ``U`` (which unit reads which
        planes). A module's W_a then commute and integrate 2-D paths exactly (path
        integration by rotations; Dorrell et al. 2023). See ``grid_spacing``,
        ``wave_geometry``, ``action_geometry`` and ``mixing_init``.
    position_correction : bool, default True
        Correct e_t from stimulus memory after observing x_t.
    memory_capacity : int, default 2048
        Memories kept per environment (a ring buffer: memory slot = write index mod capacity).
        Set it >= the longest environment lifetime so training never overwrites.
    beta_init : float, default 8.0
        Initial attention inverse-temperature factor beta (the scale is beta * log(n + 2)).
    n_modules : int, default 10
        Position-encoding modules (TEM's frequency modules): e is split into ``n_modules``
        equal blocks, ``W_a`` is block-diagonal (a module integrates its own path) and each
        block is rescaled to norm ``sqrt(n_e / n_modules)`` after ``f``, so every module
        weighs the same in the keys. ``n_e`` must be a multiple of it.
    offset : bool, default True
        Rates are ``e = b + r``: a learned constant per unit ``b`` (firing-rate baseline,
        initialised at 1) plus the recurrent, path-integrated part ``r`` (what ``W_a`` and
        the per-module rescaling act on). Without it ``e = r``. With the non-negativity and
        activity penalties of :class:`TrainConfig` this is the "non-negative and efficient"
        setting in which Dorrell et al. (2023) derive grid cells.
    max_phase_step : tuple of float, default ()
        Per-module largest rotation angle (radians) of ``W_a`` (orthogonal transition
        only): after every optimiser step the generator ``A_a - A_a^T`` of each module is
        scaled so that its largest rotation angle, the phase a plane wave of that module
        advances per step, equals this value (``fixed_phase_step``) or is at most it (a
        cap, without ``fixed_phase_step``). It sets the module's smallest spatial period:
        about ``2 pi / cap`` steps along the fastest direction (hexagonal lattice:
        ``2 pi cos(30 deg) / cap`` node spacings or more). One value applies to every module;
        empty: no cap.
    fixed_phase_step : bool, default False
        Hold each action's largest rotation angle at the module's ``max_phase_step`` (scale
        the generator to it after every optimiser step, up or down) instead of only capping
        it. A module then keeps its spatial scale: the non-negativity and activity penalties
        cannot flatten it into a constant code (W_a -> I), which otherwise happens to the
        modules prediction does not need, and which also lets ``train.path_loss`` be used
        without collapsing the code.
    grid_spacing : tuple of float, default (4, 4, 5, 5, 6, 6, 7, 7, 8, 8)
        ``transition = "plane-waves"`` only: each module's spatial period in node spacings
        (one value per module, or one for all). A module's wave vectors have length
        ``4 pi / (sqrt(3) * spacing)``, the length at which three waves 60 degrees apart
        sum to a hexagonal grid of that spacing.
    wave_geometry : {"triad", "free"}, default "triad"
        ``transition = "plane-waves"`` only: a module's three wave vectors are a triad
        (120 degrees apart, so ``k1 + k2 + k3 = 0``; one learned orientation per module),
        or each wave vector has its own learned direction (length held).
    action_geometry : {"lattice", "learned", "directions"}, default "lattice"
        ``transition = "plane-waves"`` only: each action's displacement ``d_a`` (2-D) is
        the lattice's own (unit steps at the action's angle; diagonals of 8-connected worlds
        have length sqrt 2), a learned 2-D vector (``"learned"``: started at random
        directions with length 0.1, so that early codes change slowly with position; the
        module's actual period is then ``grid_spacing / |d_a|`` node spacings), or the
        lattice's step length with a learned direction (``"directions"``: each action's
        angle starts at the lattice's plus a uniform error of up to ``direction_spread``, so
        an untrained model does not path-integrate and training must find the geometry; the
        length is held, as a path loss alone would shrink learned steps towards a constant
        code).
    direction_spread : float, default pi
        ``action_geometry = "directions"`` only: largest error (radians) of each action's
        starting angle; pi (the default) starts every direction uniformly at random.
    mixing_init : float, default 0.1
        ``transition = "plane-waves"`` only: standard deviation of the entries of S at
        initialisation (``U = expm(S - S^T)``). Near 0 every unit starts as one plane
        coordinate, a band; exactly 0 is a stationary point of the non-negativity penalty
        (a unit that reads one plane gains nothing on average from a little of another), so
        a small value breaks the symmetry and training has to do the mixing.
    """

    n_e: int = 60
    n_k: int = 64
    activation: Literal["linear", "relu"] = "linear"
    transition: Literal["orthogonal", "free", "plane-waves"] = "plane-waves"
    position_correction: bool = True
    memory_capacity: int = 2048
    beta_init: float = 8.0
    n_modules: int = 10
    offset: bool = True
    max_phase_step: tuple[float, ...] = ()
    fixed_phase_step: bool = False
    grid_spacing: tuple[float, ...] = (4.0, 4.0, 5.0, 5.0, 6.0, 6.0, 7.0, 7.0, 8.0, 8.0)
    wave_geometry: Literal["triad", "free"] = "triad"
    action_geometry: Literal["lattice", "learned", "directions"] = "lattice"
    mixing_init: float = 0.1
    direction_spread: float = math.pi

    def __post_init__(self) -> None:
        _check_int(self.n_e, "model.n_e", 2)
        _check_int(self.n_modules, "model.n_modules", 1)
        if self.n_e % self.n_modules or self.n_e // self.n_modules < 2:
            raise ValueError(
                f"model.n_e ({self.n_e}) must be a multiple of model.n_modules "
                f"({self.n_modules}) with at least 2 units per module."
            )
        self._check_plane_waves()
        if self.fixed_phase_step and not self.max_phase_step:
            raise ValueError(
                "model.fixed_phase_step holds the rotation angles at model.max_phase_step; "
                "give max_phase_step too."
            )
        if self.max_phase_step:
            if len(self.max_phase_step) not in (1, self.n_modules):
                raise ValueError(
                    f"model.max_phase_step has {len(self.max_phase_step)} values; give one per "
                    f"module (model.n_modules = {self.n_modules}) or a single one for all."
                )
            if not all(
                isinstance(c, (int, float)) and not isinstance(c, bool) and 0 < c <= math.pi
                for c in self.max_phase_step
            ):
                raise ValueError(
                    f"model.max_phase_step values must be in (0, pi] radians; got "
                    f"{self.max_phase_step!r}."
                )
            if self.transition != "orthogonal":
                raise ValueError(
                    "model.max_phase_step needs model.transition = 'orthogonal' (it caps "
                    "rotation angles)."
                )
        _check_int(self.n_k, "model.n_k", 1)
        _check_int(self.memory_capacity, "model.memory_capacity", 1)
        if self.activation not in ("linear", "relu"):
            raise ValueError(
                f"model.activation must be 'linear' or 'relu'; got {self.activation!r}."
            )
        if self.transition not in ("orthogonal", "free", "plane-waves"):
            raise ValueError(
                "model.transition must be 'orthogonal', 'free' or 'plane-waves'; got "
                f"{self.transition!r}."
            )
        _check_real(self.beta_init, "model.beta_init", low=0, strict=True)

    def _check_plane_waves(self) -> None:
        """The plane-wave transition's own fields (and that no other transition uses them)."""
        if self.transition != "plane-waves":
            if self.grid_spacing:
                raise ValueError(
                    "model.grid_spacing applies to model.transition = 'plane-waves' only; "
                    f"remove it or set the transition (got transition={self.transition!r})."
                )
            return
        size = self.n_e // self.n_modules
        if size % 2:
            raise ValueError(
                f"model.transition = 'plane-waves' needs an even number of units per module "
                f"(rotation planes of 2 units); got {size} (n_e={self.n_e}, "
                f"n_modules={self.n_modules})."
            )
        if self.wave_geometry not in ("triad", "free"):
            raise ValueError(
                f"model.wave_geometry must be 'triad' or 'free'; got {self.wave_geometry!r}."
            )
        if self.wave_geometry == "triad" and size % 6:
            raise ValueError(
                f"model.wave_geometry = 'triad' needs a multiple of 6 units per module (three "
                f"rotation planes, read by 6, 12, ... units); got {size}. Use n_e = 6 * k * "
                "n_modules or wave_geometry = 'free'."
            )
        if self.action_geometry not in ("lattice", "learned", "directions"):
            raise ValueError(
                "model.action_geometry must be 'lattice', 'learned' or 'directions'; got "
                f"{self.action_geometry!r}."
            )
        if self.max_phase_step or self.fixed_phase_step:
            raise ValueError(
                "model.max_phase_step / fixed_phase_step act on the 'orthogonal' transition; "
                "the 'plane-waves' transition sets its scales with model.grid_spacing "
                "(set max_phase_step = [] and fixed_phase_step = false)."
            )
        if not (
            isinstance(self.direction_spread, (int, float))
            and 0 <= self.direction_spread <= math.pi
        ):
            raise ValueError(
                f"model.direction_spread is the largest error of a starting action angle, in "
                f"radians, and must be in [0, pi]; got {self.direction_spread!r}."
            )
        if not (math.isfinite(self.mixing_init) and self.mixing_init >= 0):
            raise ValueError(
                f"model.mixing_init must be a finite standard deviation >= 0; got "
                f"{self.mixing_init!r}."
            )
        if len(self.grid_spacing) not in (1, self.n_modules):
            raise ValueError(
                f"model.grid_spacing has {len(self.grid_spacing)} values; give one per module "
                f"(model.n_modules = {self.n_modules}) or a single one for all."
            )
        if not all(math.isfinite(v) and v >= 2 for v in self.grid_spacing):
            raise ValueError(
                "model.grid_spacing values are grid periods in node spacings and must be "
                f"finite and >= 2 (a shorter period aliases on the lattice); got "
                f"{self.grid_spacing!r}."
            )


@dataclass(frozen=True, kw_only=True)
class TrainConfig(CommonTrainConfig):
    """Optimisation and bookkeeping: the shared options plus TEM-t's penalty weights.

    The options every model shares are in :class:`~hippocore.zoo._config.CommonTrainConfig`
    (seed, n_steps, batch_size, chunk_length, lr, lr_min, lr_half_life, grad_clip,
    grad_clip_mode, log_every, checkpoint_every, n_threads, device, init_from).

    Attributes
    ----------
    n_steps : int, default 2000
        Gradient steps (TEM-t's default; the shared options' is 4000).
    path_loss : float, default 1.0
        Weight of a path-integration loss ``mean ||e_path - sg(e)||^2 / n_e`` (the
        path-integrated code should already be where position correction puts it; TEM's
        ``lg`` term). It trains ``W_a`` to give a node the same code whatever the path to
        it, so the code lands at the same place in every world. Its trivial minimum, a
        constant code (``W_a -> I``), needs ``model.fixed_phase_step`` to be ruled out: a
        weight of 1 collapsed a model without it.
    nonneg_loss : float, default 1.0
        Weight of a non-negativity penalty ``mean(relu(-e)^2)`` on the position code (firing
        rates are non-negative; non-negativity is what turns plane-wave codes into hexagonal
        grids in Dorrell et al. 2023 and Sorscher et al. 2023). 0 turns it off.
    activity_loss : float, default 0.1
        Weight of an activity (energy) penalty ``mean(e^2)`` on the position code. With
        ``model.offset`` it keeps the baseline ``b`` from simply growing until every rate is
        positive, so that non-negativity has to shape the code instead. 0 turns it off.
    commute_loss : float, default 0.0
        Weight of a commutation penalty ``mean_{a<b} ||W_a W_b - W_b W_a||_F^2 / n_e`` over
        the actions of a lattice kind: moves on a lattice are translations, which commute,
        so a path integrator's ``W_a`` should too (then the order of the moves does not
        matter; which moves were taken still does: closing a loop also needs opposite moves
        to cancel, which ``path_loss`` trains). 0 turns it off.
    center_loss : float, default 1.0
        Weight of a centring penalty on each module's recurrent part r: the squared mean
        of r over the chunk (batch and time), per unit (:func:`centering_penalty`). It
        makes ``b`` the mean rate and ``r`` the modulation around it. Without it the
        activity penalty rewards a module that parks r at one vector opposite ``b`` (lower
        rates everywhere): such a module stops coding position, its maps are flat, and
        their correlation across worlds is noise. 0 turns it off.
    smooth_loss : tuple of float, default ()
        Per-module weights of a smoothness penalty ``mean ||e_t - e_{t-1}||^2 / n`` over
        consecutive steps of a chunk (n = units per module): it penalises spatial frequency
        (a plane wave of wave vector k changes by about ``|k . d|^2`` per step d), so
        different weights pull modules to different grid scales. One value applies to all
        modules; empty turns it off.
    """

    n_steps: int = 2000
    path_loss: float = 1.0
    nonneg_loss: float = 1.0
    activity_loss: float = 0.1
    commute_loss: float = 0.0
    center_loss: float = 1.0
    smooth_loss: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("path_loss", "nonneg_loss", "activity_loss", "commute_loss", "center_loss"):
            _check_real(getattr(self, name), f"train.{name}", low=0)
        if not all(
            isinstance(w, (int, float)) and not isinstance(w, bool) and 0 <= w < math.inf
            for w in self.smooth_loss
        ):
            raise ValueError(
                f"train.smooth_loss weights must be >= 0 and finite; got {self.smooth_loss!r}."
            )


@dataclass(frozen=True, kw_only=True)
class TEMTConfig:
    """Full TEM-t config: ``env``, ``model`` and ``train`` sections (TOML tables)."""

    env: EnvConfig = field(default_factory=EnvConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    #: Values a saved config means when it lacks a key (:data:`LEGACY_MODEL_VALUES`,
    #: :data:`LEGACY_TRAIN_VALUES`);
    #: ``read_checkpoint`` fills them in for any registered config class that has them.
    legacy_values: ClassVar[dict[str, dict[str, Any]]] = {
        "model": LEGACY_MODEL_VALUES,
        "train": LEGACY_TRAIN_VALUES,
    }

    def __post_init__(self) -> None:
        n_smooth = len(self.train.smooth_loss)
        if n_smooth not in (0, 1, self.model.n_modules):
            raise ValueError(
                f"train.smooth_loss has {n_smooth} weights; give one per module "
                f"(model.n_modules = {self.model.n_modules}), a single weight for all, or none."
            )
        longest = self.env.max_steps(self.train.chunk_length)
        if self.model.memory_capacity < self.train.chunk_length:
            raise ValueError(
                f"model.memory_capacity ({self.model.memory_capacity}) must be at least "
                f"train.chunk_length ({self.train.chunk_length})."
            )
        if longest > self.model.memory_capacity:
            rule = (
                "env.chunks_per_env[1] * train.chunk_length"
                if self.env.lifetime == "chunks"
                else "env.visits_per_node, env.visits_jitter and env.widths[1]"
            )
            raise ValueError(
                f"the longest environment lifetime ({rule} = {longest} steps) exceeds "
                f"model.memory_capacity "
                f"({self.model.memory_capacity}); raise the capacity or shorten the lifetimes."
            )

    @property
    def longest_env_steps(self) -> int:
        """Longest environment lifetime (steps)."""
        return self.env.chunks_per_env[1] * self.train.chunk_length


def action_displacements(kinds: tuple[str, ...]) -> list[tuple[float, float]]:
    """Each action's displacement on its lattice, in node spacings, in vocabulary order.

    Parameters
    ----------
    kinds : tuple of str
        Canonical lattice kinds.

    Returns
    -------
    list of (float, float)
        ``(dx, dy)`` per action of :func:`action_vocabulary` (unit length; diagonals of
        8-connected worlds sqrt 2).
    """
    out = []
    for kind in WORLD_KINDS:
        if kind in kinds:
            w = make_world(kind, 5, stay=False)
            centre = 2 * 5 + 2  # row 2, column 2: every neighbour exists
            for k in range(len(w.actions)):
                d = (w.coords[w.transitions[centre, k]] - w.coords[centre]) / w.spacing
                out.append((float(d[0]), float(d[1])))
    return out


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


def _orthogonal(n: int, m: int, generator: torch.Generator) -> Tensor:
    q, r = torch.linalg.qr(torch.randn(max(n, m), min(n, m), generator=generator))
    q = q * torch.sign(torch.diagonal(r))
    return q if n >= m else q.T


class TEMT(ZooModel):
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

    def _init_plane_waves(self, g: torch.Generator) -> None:
        """Parameters of the plane-wave transition (``model.transition = "plane-waves"``)."""
        m = self.config.model
        n_mod, size = m.n_modules, m.n_e // m.n_modules
        n_planes = self._planes_per_module()
        spacing = torch.tensor(m.grid_spacing, dtype=torch.float32).expand(n_mod)
        # |k| at which three waves 60 degrees apart make a hexagonal grid of this spacing.
        self.register_buffer("wave_length", 4 * math.pi / (math.sqrt(3) * spacing))
        # U_m = expm(S - S^T): which unit reads which plane. A small S starts near the
        # identity: every unit (nearly) one plane coordinate, i.e. a band, so whether a unit
        # combines its module's waves into a grid is learned, not given (a random U mixes).
        self.mixing_param = nn.Parameter(
            m.mixing_init * torch.randn(n_mod, size, size, generator=g)
        )
        if m.wave_geometry == "triad":
            self.wave_orientation = nn.Parameter(2 * math.pi * torch.rand(n_mod, generator=g))
        else:
            self.wave_direction = nn.Parameter(
                2 * math.pi * torch.rand(n_mod, n_planes, generator=g)
            )
        disp = torch.as_tensor(action_displacements(self.config.env.kinds), dtype=torch.float32)
        if m.action_geometry == "lattice":
            self.register_buffer("action_displacement", disp)
        elif m.action_geometry == "directions":
            self.register_buffer("action_length", disp.norm(dim=1))
            lattice = torch.atan2(disp[:, 1], disp[:, 0])
            jitter = m.direction_spread * (2 * torch.rand(len(disp), generator=g) - 1)
            self.action_angle = nn.Parameter(lattice + jitter)
        else:
            angle = 2 * math.pi * torch.rand(len(disp), generator=g)
            start = 0.1 * torch.stack([angle.cos(), angle.sin()], 1)
            self.action_displacement = nn.Parameter(start)

    def _equal_plane_start(self, g: torch.Generator) -> Tensor:
        """A start vector with every rotation plane at amplitude sqrt(2), random phases."""
        m = self.config.model
        n_planes = m.n_modules * self._planes_per_module()
        phase = 2 * math.pi * torch.rand(n_planes, generator=g)
        z = math.sqrt(2) * torch.stack([phase.cos(), phase.sin()], 1).reshape(-1)
        u = self.mixing().detach()  # (n_mod, size, 2 * planes)
        blocks = z.reshape(m.n_modules, -1)
        e0 = torch.einsum("mij,mj->mi", u, blocks)
        # With more units than plane coordinates, U has orthonormal columns and the units'
        # norm is sqrt(2 * planes) per module; the module rescaling after f restores it.
        return e0.reshape(-1)

    # -- building blocks --------------------------------------------------------------

    def _planes_per_module(self) -> int:
        """Plane-wave transition: rotation planes per module (3 for a triad)."""
        m = self.config.model
        return 3 if m.wave_geometry == "triad" else m.n_e // m.n_modules // 2

    def mixing(self) -> Tensor:
        """Plane-wave transition: each module's mixing U, shape (n_modules, n, 2 * planes).

        ``U = expm(S - S^T) U_0``: orthonormal columns, one per plane coordinate. With as
        many units as plane coordinates ``U_0 = I`` (U is a rotation); with k times as many,
        unit i starts reading plane coordinate ``i mod (2 * planes)`` (``U_0`` scaled by
        ``1 / sqrt(k)`` to keep the columns orthonormal), so every unit starts as a band and
        k units share each coordinate until training mixes them.
        """
        s = self.mixing_param
        u = torch.linalg.matrix_exp(s - s.transpose(1, 2))
        n_coord = 2 * self._planes_per_module()
        size = u.shape[-1]
        if size == n_coord:
            return u
        u0 = torch.eye(n_coord, dtype=u.dtype, device=u.device).repeat(size // n_coord, 1)
        return u @ (u0 / math.sqrt(size // n_coord))

    def displacements(self) -> Tensor:
        """Plane-wave transition: each action's displacement (node spacings), shape (n_a, 2)."""
        if self.config.model.action_geometry == "directions":
            a = self.action_angle
            return torch.stack([a.cos(), a.sin()], -1) * self.action_length[:, None]
        return self.action_displacement

    def wave_vectors(self) -> Tensor:
        """Plane-wave transition: wave vectors (rad per node spacing), (n_modules, n_planes, 2)."""
        m = self.config.model
        if m.wave_geometry == "triad":
            turns = torch.arange(3, dtype=self.wave_length.dtype, device=self.wave_length.device)
            angle = self.wave_orientation[:, None] + 2 * math.pi / 3 * turns
        else:
            angle = self.wave_direction
        unit = torch.stack([angle.cos(), angle.sin()], -1)
        return unit * self.wave_length[:, None, None]

    def _plane_wave_transitions(self) -> Tensor:
        """``W_a = U R(K d_a) U^T`` per module, block-diagonal, shape (n_a, n_e, n_e)."""
        phase = torch.einsum("mpd,ad->amp", self.wave_vectors(), self.displacements())
        c, s = phase.cos(), phase.sin()
        # 2x2 rotation per plane (row-vector convention: e_next = e @ W).
        rot = torch.stack([torch.stack([c, s], -1), torch.stack([-s, c], -1)], -2)
        n_a, n_mod, n_planes = phase.shape
        eye_p = torch.eye(n_planes, dtype=c.dtype, device=c.device)
        # Block-diagonal over planes: (n_a, n_mod, 2p, 2p).
        blocks = torch.einsum("ampij,pq->ampiqj", rot, eye_p).reshape(
            n_a, n_mod, 2 * n_planes, 2 * n_planes
        )
        u = self.mixing()
        w_mod = u[None] @ blocks @ u.transpose(1, 2)[None]  # (n_a, n_mod, size, size)
        eye_m = torch.eye(n_mod, dtype=c.dtype, device=c.device)
        # Block-diagonal over modules in one product (no Python loop over actions).
        size = u.shape[1]
        return torch.einsum("amij,mn->aminj", w_mod, eye_m).reshape(n_a, n_mod * size, n_mod * size)

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

    def forward(
        self,
        actions: Tensor,
        observations: Tensor,
        state: TEMTState,
        reset: Tensor,
        *,
        return_memory_weights: bool = False,
        populations: bool = False,
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
        valid_old = torch.arange(m_used, device=actions.device)[None] < n_old[:, None]
        neg = torch.finfo(k_old.dtype).min
        beta = F.softplus(self.beta_raw)
        keep_null = torch.ones(b, 1, dtype=torch.bool, device=actions.device)
        keep_new = torch.ones(b, t_len, dtype=torch.bool, device=actions.device)
        e_prev = torch.where(reset[:, None], self.e_init.expand(b, -1), state.e)
        new_e: list[Tensor] = []
        new_k: list[Tensor] = []
        new_x: list[Tensor] = []
        logits_out, e_out, e_path_out, mw_out = [], [], [], []
        for t in range(t_len):
            a = actions[:, t]
            e = self._f(torch.bmm(e_prev[:, None], w_all[a])[:, 0])
            if t == 0:
                e = torch.where(reset[:, None], self.e_init.expand(b, -1), e)
            q = self.keys(self.rates(e))
            s_old = torch.bmm(k_old, q[:, :, None])[:, :, 0]  # (b, m)
            s_new = torch.bmm(torch.stack(new_k, 1), q[:, :, None])[:, :, 0] if t else q[:, :0]
            n_mem = (n_old + t).to(q.dtype)
            scale = beta * torch.log(n_mem + 2.0)[:, None]
            s_old_m = s_old.masked_fill(~valid_old, neg)
            att = torch.cat([self.c_null.expand(b, 1), s_old_m, s_new], 1) * scale
            att = att.masked_fill(~torch.cat([keep_null, valid_old, keep_new[:, :t]], 1), neg)
            w = torch.softmax(att, dim=1)
            # Values: one-hot observations; retrieved distribution over classes.
            x_mem = torch.cat([mem_x_old, torch.stack(new_x, 1)], 1) if t else mem_x_old
            p_x = torch.zeros(b, self.config.env.n_x, dtype=w.dtype, device=w.device)
            p_x = p_x.scatter_add(1, x_mem, w[:, 1:])
            logits_out.append(self.readout(p_x))
            e_path_out.append(self.rates(e))
            if return_memory_weights:
                mw = torch.zeros(b, cap, dtype=w.dtype, device=w.device)
                mw[:, :m_used] = w[:, 1 : 1 + m_used]
                if t:
                    slots = (count[:, None] + torch.arange(t, device=w.device)[None]) % cap
                    mw = mw.scatter_add(1, slots, w[:, 1 + m_used :])
                mw_out.append(mw)
            x_t = observations[:, t]
            if cfg.position_correction:
                match = (x_mem == x_t[:, None]).to(w.dtype)
                s_all = torch.cat([s_old_m, s_new], 1) + self.gamma * match
                att_c = torch.cat([self.c_null_corr.expand(b, 1), s_all], 1) * scale
                att_c = att_c.masked_fill(
                    ~torch.cat([keep_null, valid_old, keep_new[:, :t]], 1), neg
                )
                w_c = torch.softmax(att_c, dim=1)
                e_mem = torch.cat([mem_e_old, torch.stack(new_e, 1)], 1) if t else mem_e_old
                e_hat = w_c[:, :1] * e + torch.bmm(w_c[:, None, 1:], e_mem)[:, 0]
                e = self._f(e + torch.sigmoid(self.alpha_raw) * (e_hat - e))
            new_e.append(e)
            new_k.append(self.keys(self.rates(e)))
            new_x.append(x_t)
            e_out.append(e)
            e_prev = e
        e_chunk = torch.stack(e_out, 1)  # recurrent part r (what memory stores)
        # Write the chunk's memories into the ring buffer (detached: truncated backprop).
        slots = (count[:, None] + torch.arange(t_len, device=actions.device)[None]) % cap
        mem_e = state.mem_e.detach().clone()
        mem_x = state.mem_x.clone()
        rows = torch.arange(b, device=actions.device)[:, None].expand_as(slots)
        mem_e[rows, slots] = e_chunk.detach()
        mem_x[rows, slots] = observations
        new_state = TEMTState(e=e_prev, mem_e=mem_e, mem_x=mem_x, count=count + t_len)
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
        """Position-encoding, memory and sensory units of one walk.

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
        pops = [
            Population("position_encoding", e),
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


# ----------------------------------------------------------------------------- penalties


def commutation_penalty(model: torch.nn.Module) -> torch.Tensor:
    """``mean ||W_a W_b - W_b W_a||_F^2 / n_e`` over pairs of actions of the same lattice kind.

    Parameters
    ----------
    model : TEMT
        The model (its ``transition_matrices()`` and ``actions``).

    Returns
    -------
    Tensor
        Scalar penalty (0 for commuting transitions).
    """
    w = model.transition_matrices()[:-1]  # without stay (the identity commutes)
    kinds = [name.split(":", 1)[0] for name in model.actions]
    terms = []
    for kind in dict.fromkeys(kinds):
        idx = [i for i, k in enumerate(kinds) if k == kind]
        wk = w[idx]
        ab = torch.einsum("aij,bjk->abik", wk, wk)
        comm = ab - ab.transpose(0, 1)  # [W_a, W_b] for every ordered pair
        upper = torch.triu_indices(len(idx), len(idx), offset=1)
        terms.append(comm[upper[0], upper[1]].pow(2).sum(dim=(-2, -1)) / w.shape[-1])
    return torch.cat(terms).mean()


def centering_penalty(r: torch.Tensor, n_modules: int) -> torch.Tensor:
    """Mean over modules of ``||mean r||^2 / n``, the mean taken over batch and time.

    Parameters
    ----------
    r : Tensor (batch, time, n_e)
        Recurrent parts of the position encodings of one chunk (rates minus baseline).
    n_modules : int
        Modules (equal blocks of n units, each of norm ``sqrt(n)`` at every step).

    Returns
    -------
    Tensor
        Scalar in [0, 1]: 0 when every module's r averages to zero over the chunk (it
        moves with position), 1 when every module sits at one vector (a constant code).
    """
    blocks = r.unflatten(-1, (n_modules, r.shape[-1] // n_modules))
    mean = blocks.mean(dim=(0, 1))  # (n_modules, n)
    return mean.pow(2).sum(-1).mean() / blocks.shape[-1]


def smoothness_penalty(e: torch.Tensor, n_modules: int, weights: tuple[float, ...]) -> torch.Tensor:
    """Weighted per-module ``mean ||e_t - e_{t-1}||^2 / n`` over consecutive steps.

    Parameters
    ----------
    e : Tensor (batch, time, n_e)
        Position encodings of one chunk (one environment per row: worlds change only
        between chunks).
    n_modules : int
        Modules (equal blocks of units).
    weights : tuple of float
        One weight per module, or one for all.

    Returns
    -------
    Tensor
        Scalar penalty.
    """
    d = (e[:, 1:] - e[:, :-1]).unflatten(-1, (n_modules, e.shape[-1] // n_modules))
    per_module = d.pow(2).mean(dim=(0, 1, 3))  # (n_modules,)
    w = torch.as_tensor(weights, dtype=e.dtype, device=e.device).expand(n_modules)
    return (w * per_module).sum()


register_model("tem-t", config=TEMTConfig)(TEMT)
