"""What a zoo model provides, so that one training loop, evaluation, export and CLI serve all.

A zoo model is a :class:`ZooModel` (a ``torch.nn.Module``) registered with
``@register_model(name, config=ConfigClass)``. Its config is a frozen dataclass with the
sections ``env`` (:class:`~hippocore.zoo._config.EnvConfig`), ``model`` (its own) and
``train`` (a subclass of :class:`~hippocore.zoo._config.CommonTrainConfig`). The model
provides:

``initial_state(batch_size)``
    The recurrent state at the start of a fresh environment: a dataclass of tensors, one
    row per batch element (the model's ``state_type``), with a ``detach()`` method.
    :func:`state_to_tensors` / :func:`state_from_tensors` (de)serialise it for resuming.
``forward(actions, observations, state, reset, *, populations=False)``
    One truncated-BPTT chunk (tensors of shape (batch, time); ``reset`` (batch,) marks
    elements that enter a fresh world at the chunk's first step). Returns an output with
    at least ``logits`` (batch, time, n_x), the prediction of each step's observation made
    before seeing it (what the accuracies score), and ``state`` (after the chunk). With
    ``populations=True`` the output also carries what :meth:`ZooModel.populations` needs.
    Schedules that depend on training progress (TEM's annealing) read
    ``self.trained_steps``, which ``train`` sets to the current step before each forward
    and ``load_checkpoint`` to the checkpoint's step.
``loss(out, batch)``
    The scalar the training loop minimises for one chunk (:class:`Batch` holds the chunk's
    tensors: observations, revisit and zero-shot flags, actions, reset).
``post_step()``
    Optional hook after each optimiser step (TEM-t's angle projection); default: nothing.
``populations(out, observations)``
    Unit activity for export: name -> tensor (batch, time, units).
``export_populations(arrays, n_memory_units=...)``
    Turns one walk's arrays (name -> (time, units)) into the exported
    :class:`Population` list with per-unit metadata (e.g. TEM's module of each g unit, or
    TEM-t's memory-slot rule) and session attrs.

and class attributes: ``uses_context`` (True for models of three-stream worlds: their
``forward`` also takes ``context=`` (batch, time) long, the context class at each step, and
their config must have ``env.n_c >= 2``), ``uses_nodes`` (True, possibly per instance, for
models given the position itself: their ``forward`` also takes ``nodes=`` (batch, time) long
and ``positions=`` (batch, time, 2), node coordinates in node spacings; TEM-t's baselines),
``grid_population`` (the population scored for grid cells: the
position code), ``memory_population`` (the population whose units are memories, for
remapping), ``memory`` (one sentence: what memory means for the model),
``training_only_fields`` (``model`` config keys that constrain training without changing
the architecture, so fine-tuning may change them) and ``max_chunk_length`` (longest chunk
a forward call accepts; None: any).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor, nn

__all__ = [
    "ZooModel",
    "Batch",
    "Population",
    "state_to_tensors",
    "state_from_tensors",
    "model_device",
    "concat_populations",
    "context_kwargs",
    "node_kwargs",
]


def context_kwargs(model: Any, context: Tensor | None) -> dict[str, Tensor]:
    """``{"context": context}`` for a model that reads the context stream, else ``{}``.

    Raises
    ------
    ValueError
        If the model reads contexts and there are none (a two-stream world).
    """
    if not getattr(model, "uses_context", False):
        return {}
    if context is None:
        raise ValueError(
            f"model {model.model_name!r} binds a context stream c but the data has none; run it "
            "on a three-stream world (env.n_c >= 2)."
        )
    return {"context": context}


def node_kwargs(model: Any, nodes: Tensor | None, positions: Tensor | None) -> dict[str, Any]:
    """``{"nodes": nodes, "positions": positions}`` for a model that reads them, else ``{}``.

    Models whose ``uses_nodes`` is true (TEM-t's position-code baselines) are given the node
    index (batch, time) and its coordinates (batch, time, 2), in node spacings.
    """
    if not getattr(model, "uses_nodes", False):
        return {}
    return {"nodes": nodes, "positions": positions}


@dataclass(frozen=True)
class Batch:
    """One training chunk as tensors of shape (batch, time) (``reset``: (batch,)).

    Attributes
    ----------
    actions : Tensor of long
        Global action index that led to each step's node.
    observations : Tensor of long
        Observation class at each step's node.
    revisit : Tensor of bool
        The node was visited before in this environment.
    zero_shot : Tensor of bool
        A revisit through a never-taken (node, action) edge.
    reset : Tensor of bool (batch,)
        The element enters a fresh environment at the chunk's first step.
    context : Tensor of long or None
        Three-stream worlds (``env.n_c > 0``): the context class at each step; None in
        two-stream worlds.
    nodes : Tensor of long or None
        Node index at each step (read by models with ``uses_nodes``).
    positions : Tensor (batch, time, 2) or None
        Node coordinates at each step, node spacings (read by models with ``uses_nodes``).
    """

    actions: Tensor
    observations: Tensor
    revisit: Tensor
    zero_shot: Tensor
    reset: Tensor
    context: Tensor | None = None
    nodes: Tensor | None = None
    positions: Tensor | None = None

    @classmethod
    def from_chunk(cls, chunk: Any, device: torch.device) -> Batch:
        """Tensors of a :class:`~hippocore.zoo._data.Chunk` on ``device``."""
        values = {f.name: getattr(chunk, f.name, None) for f in dataclasses.fields(cls)}
        return cls(
            **{k: None if v is None else torch.from_numpy(v).to(device) for k, v in values.items()}
        )

    def forward_kwargs(self, model: Any) -> dict[str, Tensor]:
        """Extra keyword arguments of ``model.forward`` for this batch (context, nodes)."""
        return {
            **context_kwargs(model, self.context),
            **node_kwargs(model, self.nodes, self.positions),
        }


@dataclass(frozen=True)
class Population:
    """Exported units of one population over a walk.

    Attributes
    ----------
    name : str
        Population label in the session (``population`` coord).
    activity : ndarray (time, units)
        Activity (a.u.).
    coords : dict of str to ndarray (units,)
        Per-unit metadata beyond ``index`` (the unit's index within its population, always
        added); populations without a coord another population has get -1 there.
    """

    name: str
    activity: NDArray[np.floating]
    coords: dict[str, NDArray[Any]] = field(default_factory=dict)


class ZooModel(nn.Module):
    """Base class of zoo models (see the module docstring for the protocol)."""

    model_name: ClassVar[str] = ""  # set by register_model
    uses_context: ClassVar[bool] = False  # forward takes context= (three-stream worlds)
    uses_nodes: bool = False  # forward takes nodes= and positions= (an oracle of position)
    state_type: ClassVar[type] = object
    grid_population: ClassVar[str] = ""
    memory_population: ClassVar[str] = ""
    memory: ClassVar[str] = ""
    training_only_fields: ClassVar[tuple[str, ...]] = ()
    trained_steps: int = 0  # gradient steps taken (set by train and load_checkpoint)

    config: Any
    actions: tuple[str, ...]

    @property
    def max_chunk_length(self) -> int | None:
        """Longest chunk one forward call accepts (None: any)."""
        return None

    def initial_state(self, batch_size: int) -> Any:  # pragma: no cover - abstract
        """Recurrent state at the start of a fresh environment, for ``batch_size`` elements."""
        raise NotImplementedError

    def loss(self, out: Any, batch: Batch) -> Tensor:  # pragma: no cover - abstract
        """Scalar training loss of one chunk."""
        raise NotImplementedError

    def post_step(self) -> None:
        """Hook called by ``train`` after every optimiser step (default: nothing)."""

    def populations(self, out: Any, observations: Tensor) -> dict[str, Tensor]:
        """Unit activity of a chunk run with ``populations=True``: name -> (batch, time, units)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def export_populations(
        self, arrays: Mapping[str, NDArray[Any]], *, n_memory_units: int | None
    ) -> tuple[list[Population], dict[str, Any]]:
        """One walk's populations (name -> (time, units)) as exported units, plus session attrs.

        The default exports every population as it is, with no extra metadata.
        """
        return [Population(k, np.asarray(v)) for k, v in arrays.items()], {}


def model_device(model: nn.Module) -> torch.device:
    """Device of a model's first parameter (CPU for a model without parameters)."""
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def state_to_tensors(state: Any) -> dict[str, Tensor]:
    """A recurrent state (dataclass of tensors) as a name -> tensor dict, on CPU, detached."""
    return {
        f.name: getattr(state, f.name).detach().cpu().clone() for f in dataclasses.fields(state)
    }


def state_from_tensors(
    model: ZooModel, tensors: Mapping[str, Tensor], device: torch.device | str = "cpu"
) -> Any:
    """Rebuild a model's recurrent state from :func:`state_to_tensors`."""
    return model.state_type(**{k: v.to(device) for k, v in tensors.items()})


def concat_populations(
    pops: Sequence[Population],
) -> tuple[NDArray[np.floating], NDArray[np.str_], dict[str, NDArray[Any]]]:
    """Activity (time, units), population labels and per-unit coords of several populations."""
    activity = np.concatenate([p.activity for p in pops], axis=1)
    labels = np.concatenate([np.full(p.activity.shape[1], p.name) for p in pops])
    names = list(dict.fromkeys(k for p in pops for k in p.coords))
    coords: dict[str, NDArray[Any]] = {
        "index": np.concatenate([np.arange(p.activity.shape[1]) for p in pops])
    }
    for k in names:
        coords[k] = np.concatenate(
            [
                np.asarray(p.coords[k]) if k in p.coords else np.full(p.activity.shape[1], -1)
                for p in pops
            ]
        )
    return activity, labels, coords
