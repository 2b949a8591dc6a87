"""TEM-3: TEM whose place units bind three streams, p = g (x) x (x) c.

One file, read top-down: the config, then the model. TEM (``tem.py``) binds the grid code
g and the sensory code x by an outer product; TEM-3 binds the context c as well. It is TEM
run on the **joint sensory stream** ``s = x (x) c``: each observation's two-hot code
(``n_x_compressed`` units) placed in the block of the current context (one-hot over
``n_c``), ``n_x_compressed * n_c`` sensory units per module. Everything else is TEM's, unchanged
(the model holds a :class:`~hippocore.zoo.tem.TEM` built on the joint stream and calls it):

- **p** per module: downsampled g (``n_phases``) times the filtered joint code, so
  ``p = g_down (x) x (x) c`` with ``sum(n_phases) * n_x_compressed * n_c`` units: the
  hippocampal layer grows **multiplicatively** with ``n_c``.
- **Memory**: TEM's generative and inference Hebbian matrices over p (``n_p^2`` each per
  environment), low-rank within a chunk and folded at its end; attractor retrieval.
- **Recalls**: the generative memory queried with g retrieves the stored triples at that
  place, superposed, and the read-out decodes the joint (x, c) logits from them (the outer
  product keeps which x went with which c). The prediction of x is the joint read-out
  conditioned on the perceived context, ``log p(x | g, c_t)`` (the recall (g, c) -> x); the
  same read-out conditioned on x gives (g, x) -> c; the inference memory queried with
  ``x (x) c`` gives TEM's estimate of g from memory, (x, c) -> g.
- **Losses**: TEM's, on the joint stream: the cross-entropies are those of the joint
  (x, c), i.e. of c given g plus of x given (g, c).

References
----------
Whittington et al. (2020), Cell 183:1249 (TEM). Whittington, Warren & Behrens (2022), ICLR,
arXiv:2112.04035 (the multiplicative cost of a third region in TEM).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from hippocore.zoo._config import check_context_streams
from hippocore.zoo._protocol import Batch, Population, ZooModel
from hippocore.zoo._registry import register_model
from hippocore.zoo.tem import TEM, TEMConfig, TEMOutput, TEMState, TrainConfig
from hippocore.zoo.tem import EnvConfig as _TEMEnvConfig
from hippocore.zoo.tem import ModelConfig as _TEMModelConfig

__all__ = ["TEM3EnvConfig", "TEM3ModelConfig", "TEM3Config", "TEM3", "TEM3Output"]


# ----------------------------------------------------------------------------- config


@dataclass(frozen=True, kw_only=True)
class TEM3EnvConfig(_TEMEnvConfig):
    """TEM's env section on a three-stream world: 5 contexts, small worlds, chunk lifetimes.

    Hexagonal worlds 4-6 nodes wide, a fresh context at every step, each environment 4-12
    chunks long (TEM's visits curriculum would give thousands of steps per world, too long
    for TEM-3's step cost). Fields: :class:`~hippocore.zoo.EnvConfig`.
    """

    widths: tuple[int, int] = (4, 6)
    lifetime: Literal["chunks", "visits"] = "chunks"
    n_c: int = 5


@dataclass(frozen=True, kw_only=True)
class TEM3ModelConfig(_TEMModelConfig):
    """TEM's model section plus the context stream.

    Attributes
    ----------
    n_c : int, default 5
        Context units (one-hot; must equal ``env.n_c``). p has ``sum(n_phases) *
        n_x_compressed * n_c`` units. Other fields: :class:`hippocore.zoo.tem.ModelConfig`.
    """

    n_c: int = 5

    @property
    def n_p(self) -> int:
        """Number of p units (``sum(n_phases) * n_x_compressed * n_c``)."""
        return sum(self.n_phases) * self.n_x_compressed * self.n_c


@dataclass(frozen=True, kw_only=True)
class TEM3Config:
    """Full TEM-3 config: ``env`` (three-stream), ``model`` and ``train`` (TEM's) sections."""

    env: TEM3EnvConfig = field(default_factory=TEM3EnvConfig)
    model: TEM3ModelConfig = field(default_factory=TEM3ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        check_context_streams(self.env, self.model.n_c, "tem-3")
        pairs = math.comb(self.model.n_x_compressed, 2)
        if pairs < self.env.n_x:
            raise ValueError(
                f"model.n_x_compressed = {self.model.n_x_compressed} gives {pairs} two-hot "
                f"codes, fewer than env.n_x = {self.env.n_x} observations; raise it."
            )
        self.joint_config()  # TEM's own checks, on the joint stream

    def joint_config(self) -> TEMConfig:
        """The TEM config of the joint stream: ``n_x * n_c`` classes, ``n_xc * n_c`` units."""
        env = dataclasses.asdict(self.env)
        env.update(n_x=self.env.n_x * self.env.n_c, n_c=0, context_switch=1.0)
        model = {k: v for k, v in dataclasses.asdict(self.model).items() if k != "n_c"}
        model["n_x_compressed"] = self.model.n_x_compressed * self.model.n_c
        return TEMConfig(env=_TEMEnvConfig(**env), model=_TEMModelConfig(**model), train=self.train)


# ----------------------------------------------------------------------------- model


@dataclass
class TEM3Output:
    """One chunk's output.

    Attributes
    ----------
    logits : Tensor (batch, time, n_x)
        ``log p(x | g_gen, c_t)`` up to a constant: x recalled from (path-integrated g, c).
    logits_c : Tensor (batch, time, n_c)
        ``log p(c | g_gen, x_t)``: c recalled from (g, x).
    joint : TEMOutput
        TEM's output on the joint stream (its logits over ``n_x * n_c`` joint classes).
    context : Tensor (batch, time, n_c)
        One-hot context (the c units).
    state : TEMState
    """

    logits: Tensor
    logits_c: Tensor
    joint: TEMOutput
    context: Tensor
    state: TEMState


class TEM3(ZooModel):
    """TEM-3 (see the module docstring). ``hippocore.zoo.get_model("tem-3", cfg)``.

    Parameters
    ----------
    config : TEM3Config
        The full config (weights seeded by ``config.train.seed``).
    """

    state_type = TEMState
    uses_context = True
    grid_population = "g"
    memory_population = "p"
    memory = (
        "two Hebbian matrices over the place units p = g (x) x (x) c (generative: "
        "hierarchical; inference: all-to-all), cleared when a world starts"
    )

    def __init__(self, config: TEM3Config):
        super().__init__()
        self.config = config
        self.tem = TEM(config.joint_config())
        self.actions = self.tem.actions
        m = config.model
        # The joint code: x's two-hot code (a pair of active units per class) in the block
        # of its context: joint class ``x * n_c + c``, unit ``s * n_c + c``.
        pairs = list(itertools.combinations(range(m.n_x_compressed), 2))[: config.env.n_x]
        two_hot = torch.zeros(config.env.n_x, m.n_x_compressed)
        for k, pair in enumerate(pairs):
            two_hot[k, list(pair)] = 1.0
        self.tem.two_hot = torch.kron(two_hot, torch.eye(m.n_c))

    def initial_state(self, batch_size: int) -> TEMState:
        """An empty state (TEM's, sized for the joint stream)."""
        return self.tem.initial_state(batch_size)

    def forward(
        self,
        actions: Tensor,
        observations: Tensor,
        state: TEMState,
        reset: Tensor,
        *,
        context: Tensor | None = None,
        populations: bool = False,
    ) -> TEM3Output:
        """Run one chunk (TEM on the joint stream ``x * n_c + c``).

        Parameters
        ----------
        actions, observations : Tensor of long (batch, time)
            As for TEM.
        state : TEMState
        reset : Tensor of bool (batch,)
        context : Tensor of long (batch, time)
            Context class at each step.
        populations : bool, default False
            Unused (every population is always computed).

        Returns
        -------
        TEM3Output
        """
        n_x, n_c = self.config.env.n_x, self.config.model.n_c
        if context is None or context.shape != observations.shape:
            raise ValueError(
                "tem-3 needs context= (batch, time) long context classes of the observations' "
                f"shape {tuple(observations.shape)}; got "
                f"{None if context is None else tuple(context.shape)}."
            )
        if context.numel() and (int(context.min()) < 0 or int(context.max()) >= n_c):
            raise ValueError(
                f"context holds classes in {int(context.min())}..{int(context.max())} but the "
                f"model has n_c = {n_c} context units; use a world with env.n_c = {n_c}."
            )
        self.tem.trained_steps = self.trained_steps
        out = self.tem(actions, observations * n_c + context, state, reset)
        joint = out.logits.unflatten(-1, (n_x, n_c))  # (b, T, n_x, n_c)
        logits = joint.gather(-1, context[..., None, None].expand(*context.shape, n_x, 1))[..., 0]
        logits_c = joint.gather(-2, observations[..., None, None].expand(*context.shape, 1, n_c))
        return TEM3Output(
            logits=logits,
            logits_c=logits_c[..., 0, :],
            joint=out,
            context=F.one_hot(context, n_c).to(out.g.dtype),
            state=out.state,
        )

    def loss(self, out: TEM3Output, batch: Batch) -> Tensor:
        """TEM's loss on the joint stream (cross-entropies of the joint (x, c) class)."""
        joint = dataclasses.replace(
            batch, observations=batch.observations * self.config.model.n_c + batch.context
        )
        return self.tem.loss(out.joint, joint)

    def populations(self, out: TEM3Output, observations: Tensor) -> dict[str, Tensor]:
        """``g``, ``p`` (TEM's), ``x`` (filtered sensory code, summed over contexts), ``c``."""
        m = self.config.model
        xf = out.joint.x_filtered.unflatten(-1, (m.n_x_compressed, m.n_c)).sum(-1)
        return {"g": out.joint.g, "p": out.joint.p, "x": xf.flatten(-2), "c": out.context}

    def export_populations(
        self, arrays: Mapping[str, np.ndarray], *, n_memory_units: int | None
    ) -> tuple[list[Population], dict[str, Any]]:
        """``g``, ``p`` and ``x`` units with their frequency ``module``, and the ``c`` units.

        Each p unit also carries its ``home_context``: p unit ``phase * n_s + s`` binds the
        joint sensory unit ``s = x_k * n_c + c``, so it can fire only in context ``s % n_c``.
        """
        m = self.config.model
        g_module = np.repeat(np.arange(m.n_modules), m.n_grids)
        n_p = int(np.sum(m.n_phases)) * m.n_x_compressed * m.n_c
        p_module = np.repeat(
            np.arange(m.n_modules), np.asarray(m.n_phases) * m.n_x_compressed * m.n_c
        )
        x_module = np.repeat(np.arange(m.n_modules), m.n_x_compressed)
        pops = [
            Population("g", arrays["g"], {"module": g_module}),
            Population(
                "p", arrays["p"], {"module": p_module, "home_context": np.arange(n_p) % m.n_c}
            ),
            Population("x", arrays["x"], {"module": x_module}),
            Population("c", arrays["c"]),
        ]
        return pops, {"memory": self.memory}


register_model("tem-3", config=TEM3Config)(TEM3)
