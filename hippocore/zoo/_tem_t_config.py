"""TEM-t's config: the model's sizes and switches, its training options, the full config.

Split from ``tem_t.py`` (the model) to keep each file readable; every name here is also
importable from :mod:`hippocore.zoo.tem_t`. The action geometry helpers
(:func:`action_displacements`, :func:`cyclic_order`) live here because the config's checks
and the model's start both use them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import torch
from torch import Tensor

from hippocore.envs import WORLD_KINDS, make_world
from hippocore.zoo._config import CommonTrainConfig, EnvConfig, _check_int, _check_real
from hippocore.zoo._tem_t_baselines import POSITION_CODES

__all__ = [
    "LEGACY_MODEL_VALUES",
    "LEGACY_TRAIN_VALUES",
    "ModelConfig",
    "TrainConfig",
    "TEMTConfig",
    "action_displacements",
    "cyclic_order",
]


LEGACY_MODEL_VALUES: dict[str, Any] = {
    "n_modules": 1,
    "offset": False,
    "max_phase_step": [],
    "fixed_phase_step": False,
    "grid_spacing": [],
    "action_geometry": "lattice",
    "direction_spread": math.pi,
    "direction_rate": 1.0,  # a stored action_angle is then in radians, as it was written
    "ordered_start": False,
    "position_code": "recurrent",
}
"""What a checkpoint's ``[model]`` means when it lacks these keys: it was written before
they existed, when the model had one module, no baseline, no angle cap, the lattice's own
action displacements and only the recurrent position code (their defaults changed since;
``beta_init`` and ``n_e`` were always saved)."""

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

    The defaults are the grid-cell setting (docs/results/tem-t.md): 10 modules of 12 units
    whose transitions are plane-wave path integrators (``transition = "plane-waves"``: three
    rotation planes per module, wave vectors a triad 120 degrees apart, five spatial scales
    of 4-8 node spacings, two modules each), a learned mixing of each module's six plane
    coordinates into its 12 units, a firing-rate baseline, and a sharp start for the
    attention (``beta_init = 8``: low-frequency codes need a high inverse temperature to tell
    neighbouring nodes apart, and learning it up from 2 took thousands of steps). Each
    action's step has the lattice's length and a **learned direction**, started up to 90
    degrees off the lattice's (in the lattice's cyclic order, moved 10 times faster than the
    other parameters), so the untrained model does not path-integrate and training finds
    the geometry. With the non-negativity and activity penalties of :class:`TrainConfig`
    training mixes each module's three waves into hexagonal grid units. The previous
    default (6 units per module, the lattice's own displacements; its units' pair
    correlations are ~0 by construction) is ``pretrained("tem-t-lattice")``; the one before
    (held rotation angles, free ``W_a`` per action) made band units only and is
    ``docs/configs/tem-t-bands.toml``. Checkpoints written before these fields existed load
    with their old behaviour (see :data:`LEGACY_MODEL_VALUES`).

    Attributes
    ----------
    n_e : int, default 120
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
    action_geometry : {"lattice", "learned", "directions"}, default "directions"
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
    direction_spread : float, default pi / 2
        ``action_geometry = "directions"`` only: largest error (radians) of each action's
        starting angle (each drawn uniformly within it). pi starts every direction uniformly
        at random; with ``ordered_start`` and ``direction_rate = 10`` that left one action
        stuck 78 degrees off in one run (docs/results/tem-t.md).
    ordered_start : bool, default True
        ``action_geometry = "directions"`` only: deal the jittered start angles out in the
        lattice's cyclic order (each world kind's angles sorted around the circle and given
        to its actions in order of their lattice angle), so no two actions start swapped: a
        swapped pair is a local minimum training does not leave. Nothing changes while no
        pair is swapped (always for ``direction_spread`` < pi / 6 on hexagonal worlds).
    direction_rate : float, default 10.0
        ``action_geometry = "directions"`` only: how many times faster than the other
        parameters the optimiser moves the action angles. The parameter ``action_angle``
        holds each angle divided by this factor (Adam's step is about ``lr`` in parameter
        units whatever the gradient's size); :meth:`TEMT.action_angles` gives radians.
    mixing_init : float, default 0.1
        ``transition = "plane-waves"`` only: standard deviation of the entries of S at
        initialisation (``U = expm(S - S^T)``). Near 0 every unit starts as one plane
        coordinate, a band; exactly 0 is a stationary point of the non-negativity penalty
        (a unit that reads one plane gains nothing on average from a little of another), so
        a small value breaks the symmetry and training has to do the mixing.
    position_code : {"recurrent", "sinusoidal", "embedding"}, default "recurrent"
        The position code e_t. ``"recurrent"``: TEM-t's, path-integrated from the actions.
        The two baselines of issue 13 keep everything else and replace it with an oracle of
        position (``hippocore.zoo._tem_t_baselines``): ``"sinusoidal"``, fixed 2-D
        sinusoids of the node's coordinates (6 orientations x wavelengths 2-12 node
        spacings; ``n_e`` even), or ``"embedding"``, a learned vector per node index (one
        row per node of the widest world, ``env.widths[1] ** 2`` rows). The transition
        parameters stay in the model, unused.
    """

    n_e: int = 120
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
    action_geometry: Literal["lattice", "learned", "directions"] = "directions"
    mixing_init: float = 0.1
    direction_spread: float = math.pi / 2
    direction_rate: float = 10.0
    ordered_start: bool = True
    position_code: Literal["recurrent", "sinusoidal", "embedding"] = "recurrent"

    def __post_init__(self) -> None:
        _check_int(self.n_e, "model.n_e", 2)
        if self.position_code not in POSITION_CODES:
            raise ValueError(
                f"model.position_code must be one of {list(POSITION_CODES)}; got "
                f"{self.position_code!r}."
            )
        if self.position_code == "sinusoidal" and self.n_e % 2:
            raise ValueError(
                f"model.position_code = 'sinusoidal' needs an even model.n_e (a sin and a cos "
                f"unit per wave vector); got {self.n_e}."
            )
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
        _check_real(self.direction_rate, "model.direction_rate", low=0, strict=True)
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
    n_steps : int, default 1000
        Gradient steps (TEM-t's default: the shipped model's run, which meets the learning
        criterion by step 200; the shared options' default is 4000).
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

    n_steps: int = 1000
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


def cyclic_order(lattice: Tensor, start: Tensor, sizes: list[int]) -> Tensor:
    """Start angles dealt out in the lattice's cyclic order, one group of actions at a time.

    Parameters
    ----------
    lattice, start : Tensor of shape (n_actions,)
        Each action's lattice angle and its (jittered) start angle, radians.
    sizes : list of int
        Consecutive group sizes (one group per world kind); sum is ``n_actions``.

    Returns
    -------
    Tensor of shape (n_actions,)
        Within each group, the start angles sorted around the circle and assigned to the
        actions in increasing lattice angle, beginning with the action whose start angle is
        smallest modulo 2 pi. Equals ``start`` when no two actions are swapped in it.
    """
    out = start.clone()
    two_pi = 2 * math.pi
    first = 0
    for size in sizes:
        idx = torch.arange(first, first + size)
        first += size
        wrapped = torch.remainder(start[idx], two_pi)
        by_start = torch.argsort(wrapped)
        by_lattice = torch.argsort(torch.remainder(lattice[idx], two_pi))
        k = int((by_lattice == by_start[0]).nonzero()[0, 0])  # lowest start's lattice rank
        order = torch.roll(by_lattice, -k)
        if torch.equal(order, by_start):
            continue  # already in the lattice's cyclic order: the angles as drawn
        out[idx[order]] = wrapped[by_start]
    return out
