"""What every registered zoo model's rollout must be (shared by test_tem.py and test_triple.py)."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from hippocore.envs import make_world
from hippocore.schema import validate
from hippocore.zoo import config_to_dict, rollout, train


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
