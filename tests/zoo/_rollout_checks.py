"""Shared zoo test helpers: what every model's rollout must be, and one walk through a model."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from hippocore.envs import make_world
from hippocore.schema import validate
from hippocore.zoo import config_to_dict, rollout, train
from hippocore.zoo._data import make_episode


def trained_rollout(name: str, cfg) -> xr.Dataset:  # noqa: ANN001 - a zoo config
    """Train ``cfg`` 2 steps, roll out 120 steps in a 5-wide hexagonal world, check the session.

    Checks: a ``validate``-clean session naming the model, its step and its exact config, the
    grid and memory populations present, positions at the visited nodes' coordinates.
    """
    model = train(cfg, progress=False).model
    w = make_world("hexagonal", 5)
    ds = rollout(model, w, 120, seed=4)
    validate(ds, "session")
    assert ds.attrs["model"] == name and ds.attrs["step"] == 2
    assert json.loads(ds.attrs["config_json"]) == config_to_dict(cfg)
    pops = set(ds.population.values)
    assert ds.attrs["grid_population"] in pops and ds.attrs["memory_population"] in pops
    np.testing.assert_allclose(ds.position.values, w.coords[ds.node.values])
    return ds


def one_chunk(model, world, n_steps: int = 60, seed: int = 0):  # noqa: ANN001, ANN201
    """One walk of ``n_steps`` through ``world`` (45 observations) and a TEM-t-like model's
    output on it as one chunk from a fresh state; nodes and coordinates are passed too (read
    only by the position-code baselines). Returns ``(episode, output)``."""
    torch = pytest.importorskip("torch")
    ep = make_episode(
        world, n_steps, model.actions, n_x=45, direction_bias=0.2, rng=np.random.default_rng(seed)
    )
    pos = torch.from_numpy(world.coords[ep.nodes] / world.spacing).float()[None]
    with torch.no_grad():
        out = model(
            torch.from_numpy(ep.actions)[None],
            torch.from_numpy(ep.observations)[None],
            model.initial_state(1),
            torch.ones(1, dtype=torch.bool),
            nodes=torch.from_numpy(ep.nodes)[None],
            positions=pos,
        )
    return ep, out
