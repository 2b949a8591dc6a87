"""TEM-t's position-code baselines (issue 13 item 6): fixed sinusoids and a learned row per node."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _rollout_checks import one_chunk, trained_rollout  # noqa: E402

from hippocore.envs import make_world  # noqa: E402
from hippocore.zoo import (  # noqa: E402
    ConfigError,
    as_config,
    get_model,
    load_checkpoint,
    rollout,
    train,
)


def small(code: str, **model):
    """A tiny TEM-t (12 units, 2 modules, 2 steps) with ``model.position_code = code``."""
    return as_config(
        {
            "env": {"widths": [4, 5], "chunks_per_env": [2, 4]},
            "model": {
                "n_e": 12,
                "n_modules": 2,
                "grid_spacing": [4.0, 6.0],
                "position_code": code,
                **model,
            },
            "train": {"n_steps": 2, "log_every": 1, "batch_size": 2, "chunk_length": 20},
        }
    )


@pytest.mark.parametrize("code", ["sinusoidal", "embedding"])
def test_baselines_train_through_the_shared_loop_and_roll_out(code):
    cfg = small(code)
    untrained = get_model("tem-t", cfg)
    ds = trained_rollout("tem-t", cfg)
    assert json_code(ds) == code
    model = train(cfg, progress=False).model
    if code == "embedding":  # the table is learned: training moved it
        assert not torch.equal(model.position_embedding, untrained.position_embedding)
    else:  # the sinusoids are fixed: not a parameter, not saved
        names = {n for n, _ in model.named_parameters()} | set(model.state_dict())
        assert not any("wave_vectors_fixed" in n for n in names)


def json_code(ds) -> str:
    import json

    return json.loads(ds.attrs["config_json"])["model"]["position_code"]


def test_sinusoidal_code_is_its_formula_at_known_nodes():
    model = get_model("tem-t", small("sinusoidal", position_correction=False)).eval()
    world = make_world("hexagonal", 5)
    ep, out = one_chunk(model, world)
    code = (out.e_path[0] - model.offset_b).detach()  # e = b + r; r is the code
    # Written out here: n_e = 12 units are 6 wave vectors at 0, 30, ..., 150 degrees, all at
    # one wavelength (one level of the 2-12 series: its longest, 12 node spacings).
    r = world.coords[ep.nodes] / world.spacing  # (time, 2) node spacings
    expected = np.zeros((len(ep.nodes), 12))
    for j in range(6):
        theta = math.pi * j / 6
        k = 2 * math.pi / 12 * np.array([math.cos(theta), math.sin(theta)])
        expected[:, 2 * j] = math.sqrt(2) * np.sin(r @ k)
        expected[:, 2 * j + 1] = math.sqrt(2) * np.cos(r @ k)
    np.testing.assert_allclose(code.numpy(), expected, atol=1e-5)
    # Node 0 sits at the origin: every sine 0, every cosine sqrt(2).
    at0 = code[torch.from_numpy(ep.nodes) == 0]
    if len(at0):
        np.testing.assert_allclose(at0[0, 1::2].numpy(), math.sqrt(2), atol=1e-6)


def test_sinusoidal_wavelengths_span_2_to_12_spacings():
    from hippocore.zoo._tem_t_baselines import sinusoidal_wave_vectors

    k = sinusoidal_wave_vectors(120)
    wavelength = 2 * math.pi / k.norm(dim=1)
    assert k.shape == (60, 2)
    np.testing.assert_allclose(wavelength[[0, 5, 54, 59]].numpy(), [2, 2, 12, 12], rtol=1e-5)
    angles = torch.rad2deg(torch.atan2(k[:6, 1], k[:6, 0])).numpy()
    np.testing.assert_allclose(angles, [0, 30, 60, 90, 120, 150], atol=1e-4)


def test_embedding_code_is_the_same_at_every_visit_to_a_node():
    model = get_model("tem-t", small("embedding", position_correction=False)).eval()
    ep, out = one_chunk(model, make_world("hexagonal", 5), n_steps=80)
    e = out.e_path[0]
    nodes = ep.nodes
    assert len(np.unique(nodes)) < len(nodes)  # the walk revisits
    for node in np.unique(nodes):
        rows = e[torch.from_numpy(nodes == node)]
        assert torch.equal(rows, rows[:1].expand_as(rows))
    # ... and differs between nodes (a random table).
    first = {int(n): e[i] for i, n in reversed(list(enumerate(nodes)))}
    a, b = list(first)[:2]
    assert not torch.allclose(first[a], first[b])


def test_embedding_refuses_a_world_wider_than_its_table():
    model = get_model("tem-t", small("embedding")).eval()
    assert model.position_embedding.shape == (25, 12)  # widths up to 5: 5 x 5 nodes
    with pytest.raises(ValueError, match=r"position embedding's 25 rows.*at most 5 x 5"):
        rollout(model, make_world("hexagonal", 6), 50, seed=0)


def test_checkpoint_without_position_code_loads_as_recurrent(tmp_path):
    cfg = small("recurrent")
    old = train(cfg, out=tmp_path, progress=False)
    path = tmp_path / "checkpoint.pt"
    payload = torch.load(path, weights_only=False)
    del payload["config"]["model"]["position_code"]  # as written before it existed
    torch.save(payload, path)
    model, loaded = load_checkpoint(path)
    assert loaded.model.position_code == "recurrent" and not model.uses_nodes
    a = rollout(model, make_world("hexagonal", 5), 60, seed=1)
    b = rollout(old.model, make_world("hexagonal", 5), 60, seed=1)
    np.testing.assert_array_equal(a.activity.values, b.activity.values)


def test_recurrent_code_ignores_nodes_and_builds_no_baseline_weights():
    cfg = small("recurrent")
    model = get_model("tem-t", cfg)
    assert not hasattr(model, "position_embedding") and not hasattr(model, "wave_vectors_fixed")
    # The baselines add their code last: every other initial weight is the recurrent model's.
    twin = get_model("tem-t", small("embedding"))
    for name, value in model.state_dict().items():
        assert torch.equal(value, twin.state_dict()[name]), name


def test_bad_position_code():
    with pytest.raises(ConfigError, match="position_code must be one of"):
        small("banana")
    with pytest.raises(ConfigError, match="even model.n_e"):
        small("sinusoidal", n_e=13, n_modules=1, transition="orthogonal", grid_spacing=[])
    cfg3 = as_config(
        {
            "model_name": "tem-t-3",
            "env": {"n_c": 2, "widths": [4, 5], "chunks_per_env": [2, 4]},
            "model": {"n_e": 12, "n_modules": 2, "grid_spacing": [4.0, 6.0], "n_c": 2},
        }
    )
    import dataclasses

    bad = dataclasses.replace(
        cfg3, model=dataclasses.replace(cfg3.model, position_code="sinusoidal")
    )
    with pytest.raises(ValueError, match="TEM-t baseline this model does not run"):
        get_model("tem-t-3", bad)
