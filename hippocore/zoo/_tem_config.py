"""TEM's config: worlds and walks, sizes and constants, training and schedules.

Defaults follow the authors' TensorFlow 2 code (``tem_tf2/parameters.py``); docs/zoo.md
lists where hippocore departs. The model itself: :mod:`hippocore.zoo.tem`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from hippocore.zoo._config import CommonTrainConfig, _check_int, _check_real
from hippocore.zoo._config import EnvConfig as _EnvConfig

__all__ = ["EnvConfig", "ModelConfig", "TrainConfig", "TEMConfig"]


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
