"""Evaluation (accuracies on fresh walks) and export of a rollout as a schema session."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import xarray as xr

from hippocore._checks import as_rng, check_positive
from hippocore.envs import World
from hippocore.schema import make_session
from hippocore.zoo._config import config_to_dict
from hippocore.zoo._data import Episode, env_episode, node_positions
from hippocore.zoo._protocol import (
    ZooModel,
    concat_populations,
    context_kwargs,
    model_device,
    node_kwargs,
)
from hippocore.zoo._threads import torch_threads

__all__ = ["EvalResult", "evaluate", "rollout", "run_episodes"]


@dataclass(frozen=True)
class EvalResult:
    """Prediction accuracy of a model on fresh walks.

    Attributes
    ----------
    revisit_accuracy : float
        Fraction of correct predictions at nodes visited before (chance 1/n_x for a model
        without memory; ~1 for a perfect node learner).
    zero_shot_accuracy : float
        Accuracy at revisits reached through a never-taken (node, action) edge (link
        inference; stay excluded). NaN if there was no such step.
    first_visit_accuracy : float
        Accuracy at first visits (chance: nothing to remember).
    loss : float
        Mean cross-entropy (nats) over all steps.
    n_revisits, n_zero_shot, n_first_visits : int
        Number of steps behind each accuracy.
    complete_revisit_accuracy : float
        Three-stream worlds (``env.n_c > 0``; there ``revisit`` means a revisit of the
        (node, context) pair): accuracy at nodes already visited under every context, where
        a context-blind predictor is capped by ``hippocore.envs.context_blind_cap``. None in
        two-stream worlds (NaN without such steps).
    n_complete : int
        Steps behind ``complete_revisit_accuracy``.
    """

    revisit_accuracy: float
    zero_shot_accuracy: float
    first_visit_accuracy: float
    loss: float
    n_revisits: int
    n_zero_shot: int
    n_first_visits: int
    complete_revisit_accuracy: float | None = None
    n_complete: int = 0


def _check_model(model: object) -> None:
    """TypeError unless ``model`` is a zoo model (a ZooModel with a config and actions)."""
    if not (
        isinstance(model, ZooModel)
        and hasattr(model, "config")
        and hasattr(model, "actions")
        and model.model_name
    ):
        raise TypeError(
            f"model must be a hippocore zoo model (pretrained('tem-t'), load_checkpoint(path)[0] "
            f"or train(...).model); got {type(model).__name__}."
        )


def _as_worlds(worlds: World | Sequence[World], name: str = "worlds") -> list[World]:
    if not isinstance(worlds, (World, list, tuple)):
        raise TypeError(
            f"{name} must be a hippocore.envs.World (make_world(...)) or a list of them; got "
            f"{type(worlds).__name__}."
        )
    items = [worlds] if isinstance(worlds, World) else list(worlds)
    if not items:
        raise ValueError(f"{name} is empty; pass a World or a non-empty list of Worlds.")
    for w in items:
        if not isinstance(w, World):
            raise TypeError(
                f"worlds must be hippocore.envs.World objects (make_world(...)); got {type(w).__name__}."
            )
        if w.n_edges == 0:
            raise ValueError(
                f"world {w.describe()} has no edges between distinct nodes; the agent cannot move."
            )
    return items


def _check_steps(n_steps: int) -> int:
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer; got {n_steps!r}.")
    return int(n_steps)


@torch.no_grad()
def run_episodes(
    model: torch.nn.Module,
    episodes: Sequence[Episode],
    *,
    chunk_length: int = 50,
    populations: bool = False,
    n_threads: int | None = None,
) -> dict[str, np.ndarray]:
    """Run a model over equal-length episodes in one batch (no gradients).

    Parameters
    ----------
    model : ZooModel
        The model.
    episodes : sequence of Episode
        Walks of equal length.
    chunk_length : int, default 50
        Steps per forward call (at most the model's ``max_chunk_length``).
    populations : bool, default False
        Run the model with ``populations=True``: every exported population (e.g. TEM-t's
        memory neurons) is returned, not only the cheap ones.
    n_threads : int or None, default None
        torch intra-op threads for the run (restored afterwards); None: ``OMP_NUM_THREADS``
        if set, else 1, the fastest for models of this size (``hippocore.zoo._threads``).

    Returns
    -------
    dict of ndarray
        ``logits (batch, time, n_x)``, each population the model returns
        (``model.populations``: name -> (batch, time, units)), and ``e``: the position
        code scored for grid cells (the population ``model.grid_population``: TEM-t's
        ``position_encoding``, TEM's ``g``).
    """
    with torch_threads(n_threads):
        return _run_episodes(model, episodes, chunk_length, populations)


def _run_episodes(
    model: torch.nn.Module, episodes: Sequence[Episode], chunk_length: int, populations: bool
) -> dict[str, np.ndarray]:
    device = model_device(model)
    acts = torch.from_numpy(np.stack([ep.actions for ep in episodes])).to(device)
    obs = torch.from_numpy(np.stack([ep.observations for ep in episodes])).to(device)
    ctx = None
    if all(ep.contexts is not None for ep in episodes):
        ctx = torch.from_numpy(np.stack([ep.contexts for ep in episodes])).to(device)
    nodes = torch.from_numpy(np.stack([ep.nodes for ep in episodes])).to(device)
    pos = np.stack([node_positions(ep.world, ep.nodes) for ep in episodes])
    positions = torch.from_numpy(pos).to(device)
    b, n = acts.shape
    longest = model.max_chunk_length
    chunk = max(1, chunk_length if longest is None else min(chunk_length, longest))
    state = model.initial_state(b)
    reset = torch.ones(b, dtype=torch.bool, device=device)
    parts: dict[str, list[np.ndarray]] = {"logits": []}
    for s in range(0, n, chunk):
        kwargs = {"populations": True} if populations else {}
        kwargs.update(context_kwargs(model, None if ctx is None else ctx[:, s : s + chunk]))
        kwargs.update(node_kwargs(model, nodes[:, s : s + chunk], positions[:, s : s + chunk]))
        out = model(acts[:, s : s + chunk], obs[:, s : s + chunk], state, reset, **kwargs)
        reset = torch.zeros_like(reset)
        state = out.state
        parts["logits"].append(out.logits.float().cpu().numpy())
        for name, value in model.populations(out, obs[:, s : s + chunk]).items():
            parts.setdefault(name, []).append(value.float().cpu().numpy())
    res = {k: np.concatenate(v, 1) for k, v in parts.items()}
    res["e"] = res[model.grid_population]
    return res


def evaluate(
    model: torch.nn.Module,
    worlds: World | Sequence[World],
    n_steps: int,
    seed: int | np.random.Generator | None = None,
    *,
    n_threads: int | None = None,
) -> EvalResult:
    """Accuracy of a model on fresh TEM walks (new observations) in the given worlds.

    Parameters
    ----------
    model : ZooModel
        A trained model (e.g. ``pretrained("tem-t")``).
    worlds : World or sequence of World
        Worlds from ``hippocore.envs.make_world``, of a kind the model was trained on; each
        gets its own random observations and a walk of ``n_steps`` steps, run in one batch.
    n_steps : int
        Steps per walk.
    seed : int or Generator, optional
        Randomness of observations and walks.
    n_threads : int or None, default None
        torch intra-op threads (restored afterwards); None: ``OMP_NUM_THREADS`` if set,
        else 1.

    Returns
    -------
    EvalResult

    Raises
    ------
    TypeError
        If ``model`` is not a zoo model or ``worlds`` holds something other than Worlds.
    ValueError
        For an empty list, a world with no edges, a kind the model does not know or a
        non-positive ``n_steps``.

    Notes
    -----
    Walks use the model's training policy (TEM's straight-biased walk with
    ``config.env.direction_bias``). TEM-t: a walk longer than ``model.memory_capacity``
    overwrites its oldest memories (ring buffer).
    """
    _check_model(model)
    items = _as_worlds(worlds)
    n_steps = _check_steps(n_steps)
    rng = as_rng(seed)
    env = model.config.env
    eps = [env_episode(w, n_steps, model.actions, env, rng=rng) for w in items]
    res = run_episodes(
        model, eps, chunk_length=model.config.train.chunk_length, n_threads=n_threads
    )
    logits = torch.from_numpy(res["logits"])
    obs = np.stack([ep.observations for ep in eps])
    loss = float(
        torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), torch.from_numpy(obs).reshape(-1)
        )
    )
    correct = res["logits"].argmax(-1) == obs
    revisit = np.stack([ep.revisit for ep in eps])
    zero = np.stack([ep.zero_shot for ep in eps])

    def frac(mask: np.ndarray) -> float:
        return float(correct[mask].mean()) if mask.any() else float("nan")

    complete = np.stack([ep.complete for ep in eps]) if env.n_c else np.zeros_like(revisit)
    return EvalResult(
        revisit_accuracy=frac(revisit),
        zero_shot_accuracy=frac(zero),
        first_visit_accuracy=frac(~revisit),
        loss=loss,
        n_revisits=int(revisit.sum()),
        n_zero_shot=int(zero.sum()),
        n_first_visits=int((~revisit).sum()),
        complete_revisit_accuracy=frac(complete) if env.n_c else None,
        n_complete=int(complete.sum()),
    )


def rollout(
    model: torch.nn.Module,
    world: World,
    n_steps: int,
    seed: int | np.random.Generator | None = None,
    *,
    dt: float = 0.1,
    n_memory_units: int | None = 512,
    start: int | None = None,
    n_threads: int | None = None,
) -> xr.Dataset:
    """Walk a model through a world and export its units as a schema session dataset.

    Parameters
    ----------
    model : ZooModel
        The model.
    world : World
        A world of a kind the model was trained on.
    n_steps : int
        Steps of the walk (one sample per step).
    seed : int or Generator, optional
        Randomness of observations and walk.
    dt : float, default 0.1
        Duration of one step (s), to give the session a time axis.
    n_memory_units : int or None, default 512
        TEM-t: memory slots exported (slots ``0..n-1``); None exports every slot up to
        ``min(n_steps, memory_capacity)``. Models without memory slots ignore it.
    start : int, optional
        Start node (default: uniform at random). The position code starts from the same
        vector wherever the walk starts, so compare maps across worlds from the same start.
    n_threads : int or None, default None
        torch intra-op threads (restored afterwards); None: ``OMP_NUM_THREADS`` if set,
        else 1.

    Returns
    -------
    xarray.Dataset
        Session (``source="model"``): ``position (time, axis)`` = node coordinates (m);
        ``activity (time, unit)`` (a.u.) with coords ``population`` and ``index`` (the
        unit's index within its population) and any per-unit metadata the model exports
        (e.g. TEM's ``module``); coord ``node`` (time), and ``context`` (time) in
        three-stream worlds; attrs ``model``, ``config_json``,
        ``seed``, ``step``, ``grid_population``, ``memory_population``.

    Notes
    -----
    TEM-t (populations ``position_encoding``, ``memory``, ``sensory``):

    - ``position_encoding``: e after position correction (what is stored in memory), one
      unit per dimension of e.
    - ``memory``: the attention weight of the prediction query on each memory slot
      (memory neurons). Slot j holds the j-th memory written in this environment, i.e. the
      (e, x) pair of step j. Because unit j is "the memory made at step j", the same unit
      in two environments is comparable: this is how remapping is measured. A unit is
      silent (0) before its memory is written and after it is overwritten: memory is a
      ring buffer (slot = write index mod ``memory_capacity``), so in a walk longer than
      the capacity step j + capacity reuses slot j, and unit j is silent from the step
      after that on (exporting the new memory's weights under the old unit would give it
      a second, unrelated field). The model may still attend to the old memory until the
      end of that chunk, where both share the slot; those few steps are not exported.
    - ``sensory``: the one-hot observation at the current node (n_x units).

    TEM (populations ``g``, ``p``, ``x``; coord ``module``): see
    :meth:`hippocore.zoo.tem.TEM.export_populations`.
    """
    _check_model(model)
    items = _as_worlds(world, "world")
    if len(items) != 1:
        raise TypeError("rollout takes one World; call it once per world.")
    n_steps = _check_steps(n_steps)
    check_positive(dt, "dt")  # step duration (s)
    rng_seed = seed if isinstance(seed, (int, np.integer)) else None
    rng = as_rng(seed)
    ep = env_episode(items[0], n_steps, model.actions, model.config.env, rng=rng, start=start)
    res = run_episodes(
        model,
        [ep],
        chunk_length=model.config.train.chunk_length,
        populations=True,
        n_threads=n_threads,
    )
    arrays = {k: v[0] for k, v in res.items() if k not in ("logits", "e")}
    n_mem = None if n_memory_units is None else int(n_memory_units)
    pops, extra = model.export_populations(arrays, n_memory_units=n_mem)
    activity, labels, coords = concat_populations(pops)
    ds = make_session(
        np.arange(n_steps) * float(dt),
        items[0].coords[ep.nodes],
        activity=activity,
        activity_units="a.u.",
        population=labels,
        unit_coords=coords,
        environment=np.zeros(n_steps, dtype=np.int64),
        environments=[{"id": 0, **items[0].describe()}],
        source="model",
        attrs={
            "model": model.model_name,
            "config_json": json.dumps(config_to_dict(model.config)),
            "seed": -1 if rng_seed is None else int(rng_seed),
            "step": int(getattr(model, "trained_steps", 0)),
            "dt_s": float(dt),
            "grid_population": model.grid_population,
            "memory_population": model.memory_population,
            **extra,
        },
    )
    ds = ds.assign_coords(node=("time", ep.nodes.astype(np.int64)))
    if ep.contexts is not None:  # three-stream worlds: the context at each step
        ds = ds.assign_coords(context=("time", ep.contexts.astype(np.int64)))
    return ds
