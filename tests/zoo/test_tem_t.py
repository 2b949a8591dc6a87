"""TEM-t: training, checkpoints, resume, export, causality, path integration, bad input."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _rollout_checks import one_chunk  # noqa: E402

from hippocore.envs import World, make_world  # noqa: E402
from hippocore.schema import validate  # noqa: E402
from hippocore.zoo import (  # noqa: E402
    CheckpointError,
    ConfigError,
    TEMTConfig,
    as_config,
    config_to_dict,
    evaluate,
    get_model,
    list_models,
    load_checkpoint,
    load_toml,
    register_model,
    rollout,
    save_checkpoint,
    train,
)
from hippocore.zoo._config import dump_toml  # noqa: E402
from hippocore.zoo._data import episode_flags, make_episode  # noqa: E402
from hippocore.zoo._evaluate import run_episodes  # noqa: E402

# A tiny model with a free rotation W_a per action and held angles (the transition of the
# earlier defaults): most training, checkpoint and resume tests use it. The plane-wave
# transition of today's default has its own tests below (see _plane_waves).
TINY = {
    "env": {"widths": [4, 5], "chunks_per_env": [2, 4]},
    "model": {
        "n_e": 12,
        "n_k": 16,
        "n_modules": 2,
        "transition": "orthogonal",
        "max_phase_step": [1.4, 0.9],
        "fixed_phase_step": True,
        "grid_spacing": [],
        "memory_capacity": 80,
    },
    "train": {
        "n_steps": 300,
        "batch_size": 4,
        "chunk_length": 20,
        "lr": 3e-3,
        "log_every": 50,
        "checkpoint_every": 100,
    },
}


def tiny(**train_overrides):
    d = json.loads(json.dumps(TINY))
    d["train"].update(train_overrides)
    return as_config(d)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    return train(tiny(), out=out, progress=False)


# ----------------------------------------------------------------------------- learning


# Bounds in the training tests are properties with margins, not one machine's numbers:
# ``tests/zoo/margins.py`` reran this tiny training for 6 seeds under 3 of torch's kernel
# paths (ATEN_CPU_CAPABILITY=default/avx2/avx512; "default" reproduced the Intel-only
# failure of an earlier 0.5 bound) - 18 float trajectories on an AMD EPYC. Worst cases
# over those 18 are quoted beside each bound; each bound leaves about half of it as margin.


def test_tiny_config_trains_and_loss_falls(trained):
    first, last = trained.metrics[0], trained.metrics[-1]
    assert trained.step == 300 and len(trained.metrics) == 6
    assert last["loss"] < first["loss"] - 0.2  # fell by 0.41-1.56 over the 18 runs
    # Chance is 1/45; a model that remembers must beat it by far on revisits ...
    assert last["revisit_accuracy"] > 0.4  # 0.58-0.89
    assert last["revisit_accuracy"] > first["revisit_accuracy"] + 0.15  # rose by 0.27-0.58
    # ... and cannot beat it on first visits (nothing to remember).
    assert last["first_visit_accuracy"] < 0.15  # 0.017-0.031
    for key in (
        "loss",
        "first_visit_accuracy",
        "revisit_accuracy",
        "zero_shot_accuracy",
        "steps_per_s",
    ):
        assert key in last
    lines = (trained.out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["step"] for x in lines] == [50, 100, 150, 200, 250, 300]


def test_evaluate_on_fresh_worlds(trained):
    worlds = [make_world("hexagonal", 5), make_world("hex", 4)]
    res = evaluate(trained.model, worlds, 200, seed=3)
    assert res.n_revisits + res.n_first_visits == 400
    assert res.revisit_accuracy > 0.3  # 0.54-0.94 over the 18 runs of margins.py
    assert res.first_visit_accuracy < 0.2  # 0.024-0.073
    assert res == evaluate(trained.model, worlds, 200, seed=3)  # seeded


def test_episode_flags_known_answer():
    # nodes 0 -> 1 -> 0 (back along a new edge: 1 --west--> 0) -> 1 (0 --east--> 1 again)
    nodes = np.array([0, 1, 0, 1, 1])
    actions = np.array([9, 0, 3, 0, 9])  # 9 = stay
    revisit, zero = episode_flags(nodes, actions, stay_index=9)
    assert revisit.tolist() == [False, False, True, True, True]
    assert zero.tolist() == [False, False, True, False, False]


# ----------------------------------------------------------------------------- checkpoints


def test_checkpoint_round_trip(trained, tmp_path):
    model, cfg = load_checkpoint(trained.out / "checkpoint.pt")
    assert cfg == trained.config
    assert model.trained_steps == 300
    for (k, a), (k2, b) in zip(
        trained.model.state_dict().items(), model.state_dict().items(), strict=True
    ):
        assert k == k2 and torch.equal(a, b)
    w = make_world("hexagonal", 5)
    assert evaluate(model, w, 100, seed=1) == evaluate(trained.model, w, 100, seed=1)
    payload = torch.load(trained.out / "checkpoint.pt", weights_only=True)
    for key in (
        "config",
        "seed",
        "step",
        "metrics",
        "hippocore_version",
        "torch_version",
        "format_version",
    ):
        assert key in payload


class _Interrupt(Exception):
    pass


def test_resume_equals_uninterrupted(tmp_path):
    cfg = tiny(n_steps=60, log_every=10, checkpoint_every=20)
    full = train(cfg, out=tmp_path / "full", progress=False)

    def stop_at_50(model, step):
        if step == 50:
            raise KeyboardInterrupt
        return {}

    with pytest.raises(KeyboardInterrupt):
        train(cfg, out=tmp_path / "cut", progress=False, monitor=stop_at_50, monitor_every=10)
    # Only the steps since the last checkpoint (40) are lost.
    assert torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)["step"] == 40
    resumed = train(cfg, out=tmp_path / "cut", progress=False)
    for a, b in zip(
        full.model.state_dict().values(), resumed.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    drop = ("steps_per_s", "wall_time_s")
    strip = [{k: v for k, v in m.items() if k not in drop} for m in full.metrics]
    strip2 = [{k: v for k, v in m.items() if k not in drop} for m in resumed.metrics]
    assert strip == strip2


def test_training_extends_when_n_steps_grows(tmp_path):
    train(tiny(n_steps=20, log_every=10, checkpoint_every=10), out=tmp_path, progress=False)
    res = train(tiny(n_steps=30, log_every=10, checkpoint_every=10), out=tmp_path, progress=False)
    assert res.step == 30 and [m["step"] for m in res.metrics] == [10, 20, 30]


def test_training_leaves_denormals_alone_afterwards():
    # train() flushes denormals for speed; the process-wide flag must be off on return
    train(tiny(n_steps=1, log_every=1), progress=False)
    x = np.array([1e-300]) * np.array([1e-10])
    assert x[0] > 0  # 1e-310 is a denormal; flush-to-zero would give 0


def test_init_from_starts_at_the_checkpoint_weights(trained, tmp_path):
    src = trained.out / "checkpoint.pt"
    res = train(
        tiny(n_steps=1, log_every=1, lr=1e-7, lr_min=1e-8, init_from=str(src)), progress=False
    )
    fresh = get_model("tem-t", tiny())
    for name, p in res.model.state_dict().items():
        ref = trained.model.state_dict()[name]
        assert torch.allclose(p, ref, atol=1e-5), name
    moved = [
        not torch.allclose(p, trained.model.state_dict()[n], atol=1e-5)
        for n, p in fresh.state_dict().items()
        if p.is_floating_point() and p.numel() > 1
    ]
    assert any(moved)  # the check above could fail: fresh weights differ
    # the fine-tuned start remembers: far above chance (1/45) from its first step
    assert res.metrics[0]["revisit_accuracy"] > 0.4  # 0.63-1.0 over the 18 runs of margins.py


def test_init_from_may_add_fixed_phase_step(trained):
    # A training constraint, not another architecture: fine-tuning may switch it on, and
    # the angles move to their values at once.
    src = str(trained.out / "checkpoint.pt")
    d = json.loads(json.dumps(TINY))
    d["model"]["fixed_phase_step"] = True
    d["train"].update(n_steps=1, log_every=1, lr=1e-7, lr_min=1e-8, init_from=src)
    res = train(as_config(d), progress=False)
    w_all = res.model.transition_matrices().detach()[:-1]
    for m, cap in enumerate(TINY["model"]["max_phase_step"]):
        block = w_all[:, 6 * m : 6 * m + 6, 6 * m : 6 * m + 6]
        largest = torch.linalg.eigvals(block).angle().abs().amax(dim=1)
        assert torch.allclose(largest, torch.full_like(largest, cap), atol=1e-4)


def test_init_from_refuses_another_model(trained):
    src = str(trained.out / "checkpoint.pt")
    other = as_config(
        {
            **TINY,
            "model": {**TINY["model"], "n_e": 8},
            "train": {**TINY["train"], "init_from": src},
        }
    )
    with pytest.raises(ValueError, match="another model config"):
        train(other, progress=False)
    with pytest.raises(ConfigError, match="init_from"):
        as_config({"train": {"init_from": ""}})


def test_resume_accepts_checkpoint_written_before_a_new_config_field(tmp_path):
    cfg = tiny(n_steps=10, log_every=10, checkpoint_every=10)
    train(cfg, out=tmp_path, progress=False)
    path = tmp_path / "checkpoint.pt"
    payload = torch.load(path, weights_only=False)
    del payload["config"]["train"]["init_from"]  # as written before train.init_from existed
    torch.save(payload, path)
    res = train(tiny(n_steps=20, log_every=10, checkpoint_every=10), out=tmp_path, progress=False)
    assert res.step == 20 and [m["step"] for m in res.metrics] == [10, 20]


def test_checkpoint_from_before_modules_loads_as_one_module(tmp_path):
    d = json.loads(json.dumps(TINY))
    d["model"] = {"n_e": 16, "n_k": 16, "memory_capacity": 80, "beta_init": 2.0}
    d["model"].update(n_modules=1, offset=False, max_phase_step=[], fixed_phase_step=False)
    d["model"].update(transition="orthogonal", grid_spacing=[])
    d["train"].update(activity_loss=0.0, center_loss=0.0)  # the old behaviour
    d["train"].update(n_steps=10, log_every=10, checkpoint_every=10)
    old = train(as_config(d), out=tmp_path, progress=False)
    path = tmp_path / "checkpoint.pt"
    payload = torch.load(path, weights_only=False)
    for key in ("n_modules", "offset", "max_phase_step", "fixed_phase_step", "grid_spacing"):
        del payload["config"]["model"][key]  # as written before they existed
    for key in ("wave_geometry", "action_geometry", "mixing_init"):
        del payload["config"]["model"][key]
    for key in ("activity_loss", "commute_loss", "center_loss", "smooth_loss"):
        del payload["config"]["train"][key]
    torch.save(payload, path)
    model, cfg = load_checkpoint(path)
    assert (cfg.model.n_modules, cfg.model.offset, cfg.model.max_phase_step) == (1, False, ())
    assert cfg.model.fixed_phase_step is False
    # penalties that did not exist were not used (their defaults are not 0 now)
    assert (cfg.train.activity_loss, cfg.train.center_loss) == (0.0, 0.0)
    assert (cfg.train.commute_loss, cfg.train.smooth_loss) == (0.0, ())
    for name, value in old.model.state_dict().items():
        assert torch.equal(model.state_dict()[name], value)


def test_resume_refuses_another_config(tmp_path):
    train(tiny(n_steps=10, log_every=10, checkpoint_every=10), out=tmp_path, progress=False)
    other = as_config({**TINY, "model": {**TINY["model"], "n_e": 8}})
    with pytest.raises(ValueError, match="another config"):
        train(other, out=tmp_path, progress=False)


def test_bad_checkpoints(trained, tmp_path):
    payload = torch.load(trained.out / "checkpoint.pt", weights_only=True)
    newer = dict(payload, format_version=payload["format_version"] + 1)
    torch.save(newer, tmp_path / "newer.pt")
    with pytest.raises(CheckpointError, match="newer"):
        load_checkpoint(tmp_path / "newer.pt")
    other = dict(payload, model_name="no-such-model")
    torch.save(other, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="no-such-model"):
        load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not 'tem'"):
        load_checkpoint(trained.out / "checkpoint.pt", model="tem")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_checkpoint(tmp_path / "junk.pt")
    torch.save({"weights": 1}, tmp_path / "plain.pt")
    with pytest.raises(CheckpointError, match="not a hippocore checkpoint"):
        load_checkpoint(tmp_path / "plain.pt")
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt")


def test_checkpoint_write_is_atomic(trained, tmp_path):
    target = tmp_path / "c.pt"
    save_checkpoint(target, trained.model, step=1)
    before = target.read_bytes()

    class Boom(torch.nn.Module):
        model_name = "tem-t"
        config = trained.config

        def state_dict(self, *a, **k):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        save_checkpoint(target, Boom(), step=2)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]


# ----------------------------------------------------------------------------- export


def test_rollout_is_a_valid_session(trained):
    w = make_world("hexagonal", 5)
    ds = rollout(trained.model, w, 150, seed=2, n_memory_units=100)
    validate(ds, "session")
    pops = ds.population.values
    assert (pops == "position_encoding").sum() == 12
    assert (pops == "memory").sum() == 80  # bounded by the memory capacity
    assert (pops == "sensory").sum() == 45
    assert ds.attrs["source"] == "model" and ds.attrs["model"] == "tem-t"
    assert ds.attrs["step"] == 300 and ds.attrs["seed"] == 2
    assert json.loads(ds.attrs["config_json"]) == config_to_dict(trained.config)
    # positions are node coordinates (m)
    np.testing.assert_allclose(ds.position.values, w.coords[ds.node.values])
    mem = ds.activity.values[:, pops == "memory"]
    assert mem.min() >= 0 and mem.sum(1).max() <= 1 + 1e-5
    # memory slot j is written at step j, so it is silent at steps <= j
    assert np.all(np.triu(mem[:80, :80]) == 0)
    sens = ds.activity.values[:, pops == "sensory"]
    assert np.all(sens.sum(1) == 1)


def test_rollout_memory_unit_is_one_memory_even_when_its_slot_is_reused(trained):
    # Capacity 80, 150 steps: step j + 80 overwrites slot j. Unit j is the memory of step
    # j, so it is silent after that; before it, it is the slot's attention weight.
    w = make_world("hexagonal", 5)
    ds = rollout(trained.model, w, 150, seed=2, n_memory_units=80)
    mem = ds.activity.values[:, ds.population.values == "memory"]
    t, j = np.meshgrid(np.arange(150), np.arange(80), indexing="ij")
    assert np.all(mem[t > j + 80] == 0)
    env = trained.config.env
    ep = make_episode(
        w,
        150,
        trained.model.actions,
        n_x=env.n_x,
        direction_bias=env.direction_bias,
        rng=np.random.default_rng(2),
    )
    raw = run_episodes(trained.model, [ep], chunk_length=20, populations=True)
    slots = raw["memory"][0, :, :80]
    alive = (t > j) & (t <= j + 80)
    np.testing.assert_allclose(mem[alive], slots[alive], rtol=0, atol=1e-7)
    assert slots[t > j + 80].max() > 0.05  # the reused slots do fire: the mask is needed


# ----------------------------------------------------------------------------- the model


def test_attention_is_causal(trained):
    model = trained.model
    w = make_world("hexagonal", 5)
    ep = make_episode(
        w, 60, model.actions, n_x=45, direction_bias=0.2, rng=np.random.default_rng(0)
    )
    acts = torch.from_numpy(ep.actions)[None]
    obs = torch.from_numpy(ep.observations)[None]
    changed = obs.clone()
    k = 30
    changed[0, k:] = (changed[0, k:] + 7) % 45
    with torch.no_grad():
        state = model.initial_state(1)
        reset = torch.ones(1, dtype=torch.bool)
        a = model(acts, obs, state, reset).logits
        b = model(acts, changed, state, reset).logits
    assert torch.equal(a[:, : k + 1], b[:, : k + 1])  # the prediction at k precedes x_k
    assert not torch.equal(a[:, k + 1 :], b[:, k + 1 :])  # later predictions do see it


def _modular(**train):
    d = json.loads(json.dumps(TINY))
    d["model"].update(n_e=16, n_modules=4, offset=True, max_phase_step=[1.0])
    d["train"].update(train)
    return as_config(d)


def test_modules_integrate_separately_and_keep_their_norm():
    model = get_model("tem-t", _modular())
    w_all = model.transition_matrices().detach()
    n_a, n = w_all.shape[0], 16
    off_block = ~torch.block_diag(*[torch.ones(4, 4, dtype=torch.bool)] * 4)
    assert torch.all(w_all[:, off_block] == 0)  # no module reads another
    eye = torch.eye(n).expand(n_a, n, n)
    assert torch.allclose(w_all @ w_all.transpose(1, 2), eye, atol=1e-5)  # rotations
    _, out = one_chunk(model, make_world("hexagonal", 5), 40, seed=1)
    r = out.e - model.offset_b  # rates are baseline + recurrent part
    norms = r.unflatten(-1, (4, 4)).norm(dim=-1)
    assert torch.allclose(norms, torch.full_like(norms, 2.0), atol=1e-4)  # sqrt(16 / 4)
    assert torch.allclose(out.state.mem_e[0, :40], r[0], atol=1e-6)  # memory stores r


def test_offset_is_invisible_to_keys_until_it_differs_between_units():
    model = get_model("tem-t", _modular())
    r = torch.randn(3, 16)
    # b starts uniform (1 per unit): the z-scoring in the keys removes it.
    assert torch.allclose(model.keys(model.rates(r)), model.keys(r), atol=1e-5)
    with torch.no_grad():
        model.offset_b.add_(torch.linspace(0, 3, 16))
    assert not torch.allclose(model.keys(model.rates(r)), model.keys(r), atol=1e-3)


def test_max_phase_step_caps_every_modules_rotation_angles(tmp_path):
    caps = [1.2, 0.9, 0.6, 0.3]
    d = json.loads(json.dumps(TINY))
    d["model"].update(n_e=16, n_modules=4, max_phase_step=caps)
    d["train"].update(n_steps=60, lr=0.05)  # a large lr pushes the angles against the caps
    result = train(as_config(d), progress=False)
    w_all = result.model.transition_matrices().detach()[:-1]  # without stay
    for m, cap in enumerate(caps):
        block = w_all[:, 4 * m : 4 * m + 4, 4 * m : 4 * m + 4]
        angles = torch.linalg.eigvals(block).angle().abs()  # rotation angles of W_a
        assert angles.max() <= cap + 1e-4
        assert angles.max() > 0.9 * cap  # training does reach the cap (it binds)


def test_fixed_phase_step_holds_every_modules_largest_angle_at_its_value():
    caps = [1.2, 0.9, 0.6, 0.3]
    d = json.loads(json.dumps(TINY))
    d["model"].update(n_e=16, n_modules=4, max_phase_step=caps, fixed_phase_step=True)
    # path_loss pulls W_a towards the identity (a constant code has no drift): without the
    # fixed angle the code collapses; with it, each action's largest angle stays at the value.
    d["train"].update(n_steps=60, lr=0.05, path_loss=5.0, activity_loss=1.0)
    result = train(as_config(d), progress=False)
    w_all = result.model.transition_matrices().detach()[:-1]  # without stay
    for m, cap in enumerate(caps):
        block = w_all[:, 4 * m : 4 * m + 4, 4 * m : 4 * m + 4]
        largest = torch.linalg.eigvals(block).angle().abs().amax(dim=1)  # per action
        assert torch.allclose(largest, torch.full_like(largest, cap), atol=1e-4)


def test_fixed_phase_step_needs_values():
    d = json.loads(json.dumps(TINY))
    d["model"].update(max_phase_step=[], fixed_phase_step=True)
    with pytest.raises(ConfigError, match="give max_phase_step"):
        as_config(d)


def test_commutation_penalty_known_answers():
    from hippocore.zoo.tem_t import commutation_penalty

    model = get_model("tem-t", _modular())
    n_a = len(model.actions)
    # Rotations about one shared set of planes commute: zero penalty.
    with torch.no_grad():
        gen = torch.zeros_like(model.transition_param)
        for a in range(n_a):
            gen[a, 0, 1] = 0.1 * (a + 1)  # every action rotates only the plane of units 0-1
        model.transition_param.copy_(gen)
    assert commutation_penalty(model).item() == pytest.approx(0.0, abs=1e-10)
    # Two actions rotating overlapping planes (0-1 and 1-2) do not commute.
    with torch.no_grad():
        model.transition_param[1].zero_()
        model.transition_param[1, 1, 2] = 0.3
    assert commutation_penalty(model).item() > 1e-4


def test_centering_penalty_known_answers():
    from hippocore.zoo.tem_t import centering_penalty

    # A module parked at one vector of norm sqrt(n) scores 1; one going round a circle
    # (a plane wave over a full period) scores 0; the score is the mean over modules.
    n_t = 12
    phase = torch.arange(n_t) * (2 * torch.pi / n_t)
    circle = torch.stack([phase.cos(), phase.sin()], -1) * 2**0.5  # norm sqrt(2)
    parked = torch.tensor([2**0.5, 0.0]).expand(n_t, 2)
    r = torch.cat([circle, parked], -1)[None]  # (1, time, 4): two modules of 2 units
    assert centering_penalty(r, 2).item() == pytest.approx(0.5, abs=1e-6)
    assert centering_penalty(circle[None], 1).item() == pytest.approx(0.0, abs=1e-6)
    assert centering_penalty(parked[None], 1).item() == pytest.approx(1.0, abs=1e-6)


def test_smoothness_penalty_known_answers():
    from hippocore.zoo.tem_t import smoothness_penalty

    const = torch.ones(2, 5, 4)
    assert smoothness_penalty(const, 2, (1.0, 1.0)).item() == 0.0
    # Module 0 (units 0-1) alternates +1/-1 (each difference 2, squared 4); module 1 is
    # constant: mean over steps and units of module 0 is 4.
    e = torch.zeros(2, 5, 4)
    e[:, :, :2] = torch.tensor([1.0, -1.0, 1.0, -1.0, 1.0])[None, :, None]
    assert smoothness_penalty(e, 2, (0.5, 9.0)).item() == pytest.approx(0.5 * 4.0)
    assert smoothness_penalty(e, 2, (0.25,)).item() == pytest.approx(0.25 * 4.0)


def test_modular_config_with_penalties_trains(tmp_path):
    cfg = _modular(
        n_steps=100,
        commute_loss=0.5,
        center_loss=1.0,
        path_loss=0.5,
        nonneg_loss=1.0,
        activity_loss=0.1,
        smooth_loss=[0.0, 0.1, 0.2, 0.4],
    )
    result = train(cfg, out=tmp_path, progress=False)
    assert result.metrics[-1]["loss"] < result.metrics[0]["loss"]  # fell 0.42-0.65 (margins.py)
    model, _ = load_checkpoint(tmp_path / "checkpoint.pt")
    assert model.config.model.n_modules == 4 and model.config.train.smooth_loss == (
        0.0,
        0.1,
        0.2,
        0.4,
    )
    assert torch.equal(model.offset_b, result.model.offset_b)


# ----------------------------------------------------------------------------- registry/config


@pytest.mark.parametrize(
    "path", sorted((Path(__file__).parents[2] / "docs" / "configs").rglob("*.toml")), ids=str
)
def test_documented_configs_load(path):
    # The TOML files the docs tell users to train with must stay valid as defaults change.
    cfg = as_config(load_toml(path))
    assert cfg.train.n_steps > 0


def test_registry():
    assert "tem-t" in list_models()
    with pytest.raises(ValueError, match="available models"):
        get_model("tem-x")
    with pytest.raises(ValueError, match="already registered"):
        register_model("tem-t", config=TEMTConfig)(type("X", (), {}))
    with pytest.raises(TypeError, match="TEMTConfig"):
        get_model("tem-t", 3)


def test_config_toml_round_trip(tmp_path):
    cfg = tiny()
    p = tmp_path / "c.toml"
    p.write_text(dump_toml(config_to_dict(cfg)))
    assert as_config(p) == cfg
    assert as_config(str(p)) == cfg
    assert dataclasses.is_dataclass(cfg) and cfg.__dataclass_params__.frozen


ORTHO = {"transition": "orthogonal", "grid_spacing": []}  # the earlier transition


@pytest.mark.parametrize(
    "override, match",
    [
        ({"modle": {}}, "unknown key.*modle"),
        ({"model": {"n_units": 3}}, r"unknown key.*n_units.*valid keys"),
        ({"model": {"n_e": 0}}, "n_e must be an integer >= 2"),
        ({"model": {"n_e": 2.5}}, "n_e must be an integer"),
        ({"model": {"activation": "tanh"}}, "activation"),
        ({"env": {"widths": [9, 5]}}, "min <= max"),
        ({"env": {"widths": [1, 5]}}, "widths must be an integer >= 2"),
        ({"env": {"kinds": ["triangle"]}}, "unknown lattice kind"),
        ({"env": {"n_x": 1}}, "n_x"),
        ({"train": {"batch_size": 0}}, "batch_size"),
        ({"train": {"lr": -1.0}}, "lr must be > 0"),
        ({"train": {"nonneg_loss": -1.0}}, "nonneg_loss must be >= 0"),
        ({"train": {"activity_loss": -1.0}}, "activity_loss must be >= 0"),
        ({"train": {"commute_loss": -1.0}}, "commute_loss must be >= 0"),
        ({"train": {"smooth_loss": [0.1, -1.0]}}, "smooth_loss weights must be >= 0"),
        (
            {
                "model": {"n_modules": 4, "n_e": 24, "grid_spacing": [5.0]},
                "train": {"smooth_loss": [0.1, 0.2]},
            },
            "smooth_loss has 2 weights",
        ),
        ({"model": {"n_modules": 7}}, "multiple of model.n_modules"),
        ({"model": {**ORTHO, "n_modules": 4, "max_phase_step": [1.0, 0.5]}}, "2 values"),
        ({"model": {**ORTHO, "max_phase_step": [4.0]}}, r"in \(0, pi\]"),
        ({"model": {**ORTHO, "transition": "free", "max_phase_step": [1.0]}}, "needs model.tra"),
        ({"model": {"n_modules": 120}}, "at least 2 units per module"),
        ({"train": {"n_steps": "many"}}, "n_steps must be an integer"),
        ({"model": {"memory_capacity": 100}}, "exceeds model.memory_capacity"),
    ],
)
def test_bad_config(override, match):
    # (ORTHO: the earlier defaults' transition, for the rows about its own fields.)
    with pytest.raises(ConfigError, match=match):
        as_config(override)


def test_bad_worlds(trained):
    w = make_world("hexagonal", 3)
    stuck = World(
        kind="hexagonal",
        width=1,
        height=1,
        spacing=0.1,
        stay=True,
        coords=np.zeros((1, 2)),
        actions=w.actions,
        action_angles=w.action_angles,
        transitions=np.array([[-1, -1, -1, -1, -1, -1, 0]]),
    )
    with pytest.raises(ValueError, match="no edges"):
        evaluate(trained.model, stuck, 10, seed=0)
    with pytest.raises(ValueError, match="no edges"):
        rollout(trained.model, stuck, 10, seed=0)
    with pytest.raises(ValueError, match="trained on .*hexagonal"):
        evaluate(trained.model, make_world("square", 4), 10, seed=0)
    with pytest.raises(ValueError, match="n_steps"):
        evaluate(trained.model, w, 0, seed=0)
    with pytest.raises(ValueError, match="empty"):
        evaluate(trained.model, [], 10, seed=0)


def test_cli_train(tmp_path, capsys):
    from hippocore.cli import main

    cfg = tmp_path / "c.toml"
    cfg.write_text(dump_toml(config_to_dict(tiny(log_every=10, checkpoint_every=10))))
    assert (
        main(
            [
                "train",
                "--config",
                str(cfg),
                "--out",
                str(tmp_path / "run"),
                "--steps",
                "20",
                "--quiet",
            ]
        )
        == 0
    )
    assert "trained 20 steps" in capsys.readouterr().out
    assert (tmp_path / "run" / "checkpoint.pt").exists()


def test_grid_monitor_runs(trained):
    from hippocore.analysis import lattice_rate_map
    from hippocore.zoo import grid_monitor, grid_summary

    w = make_world("hexagonal", 6)
    s = grid_summary(trained.model, w, 400, seed=0)
    assert s.score.shape == s.threshold.shape == s.is_grid.shape == (12,)
    assert s.rate.shape[0] == 12 and s.test.n_shuffles == 100
    assert np.all(s.n_finite_shuffles <= 100) and np.all(s.threshold >= 0.3)
    assert 0 <= s.grid_fraction <= 1 and 0 <= s.shuffle_fraction <= 0.05 + 1e-12
    assert np.array_equal(s.is_grid, np.isfinite(s.score) & (s.score > s.threshold))
    # the walk it scored comes back: the same maps from its nodes and activity
    assert s.nodes.shape == (400,) and s.activity.shape == (400, 12)
    again = lattice_rate_map(w, s.nodes, s.activity).rate
    np.testing.assert_array_equal(np.isnan(again), np.isnan(s.rate))
    np.testing.assert_allclose(again, s.rate, equal_nan=True)
    line = grid_monitor(width=5, steps_per_node=10)(trained.model, 300)
    assert set(line) == {
        "grid_fraction",
        "grid_shuffle_fraction",
        "grid_score_median",
        "grid_finite_null",
    }
    # Issue 12: fewer than 100 shuffles, or a lattice the grid test's controls fail on, are
    # refused before training starts.
    with pytest.raises(ValueError, match="n_shuffles"):
        grid_monitor(n_shuffles=50)
    with pytest.raises(ValueError, match="hexagonal worlds only"):
        grid_monitor(kind="square")
    with pytest.raises(ValueError, match="n_shuffles"):
        grid_summary(trained.model, w, 400, seed=0, n_shuffles=8)


# ----------------------------------------------------------------------------- plane waves


def _plane_waves(**model):
    d = json.loads(json.dumps(TINY))
    d["model"].update(
        n_e=12,
        n_modules=2,
        transition="plane-waves",
        max_phase_step=[],
        fixed_phase_step=False,
        grid_spacing=[4.0, 6.0],
        action_geometry="lattice",
    )
    d["model"].update(model)
    return as_config(d)


@pytest.mark.parametrize("geometry", ["triad", "free"])
def test_plane_wave_transitions_integrate_lattice_paths_exactly(geometry):
    model = get_model("tem-t", _plane_waves(wave_geometry=geometry))
    w = model.transition_matrices().detach().double()
    east, ne, nw, west, sw, se, stay = w
    eye = torch.eye(12, dtype=w.dtype)
    assert torch.allclose(stay, eye)
    for a in w[:-1]:
        assert torch.allclose(a @ a.T, eye, atol=1e-5)  # rotations
    # Moves that cancel on the lattice cancel in the code, in any order: E + W, and the
    # triangle E - NE + NW (row-vector convention: the code after moves is e @ W1 @ W2 ...).
    assert torch.allclose(east @ west, eye, atol=1e-5)
    assert torch.allclose(east @ ne.T @ nw, eye, atol=1e-5)
    assert torch.allclose(ne @ sw @ se @ nw, eye, atol=1e-5)
    assert torch.allclose(east @ ne, ne @ east, atol=1e-5)
    # No module reads another.
    off = ~torch.block_diag(*[torch.ones(6, 6, dtype=torch.bool)] * 2)
    assert torch.all(w[:, off] == 0)


def test_plane_wave_triad_has_wave_vectors_120_degrees_apart_at_the_spacing_length():
    model = get_model("tem-t", _plane_waves())
    k = model.wave_vectors().detach().double()  # (module, plane, 2)
    assert torch.allclose(k.sum(1), torch.zeros(2, 2, dtype=k.dtype), atol=1e-6)
    lengths = k.norm(dim=-1)
    expected = 4 * math.pi / (math.sqrt(3) * torch.tensor([4.0, 6.0], dtype=k.dtype))
    assert torch.allclose(lengths, expected[:, None].expand(2, 3), atol=1e-5)
    # The start vector gives every rotation plane the same amplitude.
    u = model.mixing().detach()
    z = torch.einsum("mji,mj->mi", u, model.e_init.detach().reshape(2, 6))
    amp = z.reshape(2, 3, 2).norm(dim=-1)
    assert torch.allclose(amp, torch.full_like(amp, math.sqrt(2)), atol=1e-5)


def test_plane_wave_model_trains_and_learned_geometry_is_a_parameter():
    cfg = _plane_waves(action_geometry="learned")
    d = config_to_dict(cfg)
    d["train"].update(n_steps=20, log_every=10)
    res = train(as_config(d), progress=False)
    names = dict(res.model.named_parameters())
    assert "action_displacement" in names and "mixing_param" in names
    assert res.metrics[-1]["loss"] < 10 and np.isfinite(res.metrics[-1]["loss"])
    # Gradients reach the geometry and the mixing: both moved from their start.
    start = dict(get_model("tem-t", res.config).named_parameters())
    for name in ("action_displacement", "mixing_param"):
        assert not torch.allclose(names[name], start[name]), name


def test_plane_waves_with_more_units_than_plane_coordinates_integrate_paths_exactly():
    # 12 units per module read 6 plane coordinates: U has orthonormal columns, W_a = U R U^T
    # is a rotation on U's column space and 0 off it, so paths inside that space close.
    model = get_model("tem-t", _plane_waves(n_e=24))
    u = model.mixing().detach().double()  # (module, unit, coordinate)
    assert u.shape == (2, 12, 6)
    assert torch.allclose(u.transpose(1, 2) @ u, torch.eye(6, dtype=u.dtype), atol=1e-6)
    # Every unit starts reading (nearly) one coordinate, shared by two units: a band.
    assert torch.all((u.abs().argmax(-1) == torch.arange(12) % 6) | (u.abs().max(-1).values < 0.5))
    w = model.transition_matrices().detach().double()
    east, ne, nw, west, sw, se, stay = w
    proj = torch.block_diag(*(u[m] @ u[m].T for m in range(2)))  # onto the planes
    assert torch.allclose(east @ west, proj, atol=1e-5)
    assert torch.allclose(east @ ne.T @ nw, proj, atol=1e-5)
    assert torch.allclose(ne @ sw @ se @ nw, proj, atol=1e-5)
    e0 = model.e_init.detach().double()
    assert torch.allclose(e0 @ proj, e0, atol=1e-5)  # the start lies in the planes


def test_action_directions_keep_the_lattice_step_lengths_and_are_learned():
    cfg = _plane_waves(action_geometry="directions", direction_spread=math.pi)
    model = get_model("tem-t", cfg)
    d = model.displacements().detach()
    assert torch.allclose(d.norm(dim=1), torch.ones(6), atol=1e-6)
    # A spread bounds each start angle's error from the lattice's (60 degree steps).
    near = get_model("tem-t", _plane_waves(action_geometry="directions", direction_spread=0.2))
    lattice = torch.arange(6) * math.pi / 3
    err = torch.remainder(near.action_angles().detach() - lattice + math.pi, 2 * math.pi) - math.pi
    assert err.abs().max() <= 0.2 + 1e-6 and err.abs().max() > 0
    # Random directions: opposite lattice moves do not cancel before training.
    east, _, _, west = model.transition_matrices().detach()[:4]
    assert not torch.allclose(east @ west, torch.eye(12), atol=1e-2)
    dd = config_to_dict(cfg)
    dd["train"].update(n_steps=20, log_every=10)
    res = train(as_config(dd), progress=False)
    trained = dict(res.model.named_parameters())["action_angle"]
    assert not torch.allclose(trained, model.action_angle)
    assert torch.allclose(res.model.displacements().norm(dim=1), torch.ones(6), atol=1e-6)


def test_direction_rate_scales_the_angle_steps_not_the_start():
    # The same start in radians; Adam's first step moves every angle by about lr in parameter
    # units, i.e. by lr * direction_rate radians.
    runs = {}
    for rate in (1.0, 10.0):
        cfg = _plane_waves(action_geometry="directions", direction_spread=1.0, direction_rate=rate)
        start = get_model("tem-t", cfg).action_angles().detach()
        dd = config_to_dict(cfg)
        dd["train"].update(n_steps=1, log_every=1)
        res = train(as_config(dd), progress=False)
        runs[rate] = (start, res.model.action_angles().detach() - start)
    assert torch.allclose(runs[1.0][0], runs[10.0][0], atol=1e-6)
    lr = as_config(config_to_dict(cfg)).train.lr
    slow, fast = runs[1.0][1].abs(), runs[10.0][1].abs()
    assert torch.all(slow <= 1.01 * lr) and slow.max() > 0.5 * lr
    assert torch.all(fast <= 10.1 * lr) and fast.max() > 5 * lr
    with pytest.raises(ValueError, match="direction_rate"):
        _plane_waves(action_geometry="directions", direction_rate=0.0)


@pytest.mark.parametrize(
    ("model", "match"),
    [
        ({"grid_spacing": []}, "grid_spacing has 0 values"),
        ({"grid_spacing": [1.0]}, "grid_spacing values"),
        ({"n_e": 8, "n_modules": 2}, "needs a multiple of 6 units per module"),
        ({"n_e": 16, "n_modules": 2}, "needs a multiple of 6 units per module"),
        ({"action_geometry": "random"}, "action_geometry must be"),
        ({"action_geometry": "directions", "direction_spread": 4.0}, "direction_spread"),
        ({"n_e": 10, "n_modules": 2, "wave_geometry": "free"}, "even number of units"),
        ({"max_phase_step": [1.0]}, "max_phase_step / fixed_phase_step"),
        ({"transition": "orthogonal", "max_phase_step": [1.0]}, "grid_spacing applies to"),
    ],
)
def test_plane_wave_config_errors(model, match):
    with pytest.raises((ValueError, ConfigError), match=match):
        _plane_waves(**model)


def test_ordered_start_deals_angles_out_in_the_lattice_cyclic_order():
    from hippocore.zoo.tem_t import cyclic_order

    g = torch.Generator().manual_seed(0)
    lattice = torch.arange(6, dtype=torch.float64) * math.pi / 3
    for spread in (0.4, 1.0, math.pi):
        for _ in range(20):
            start = lattice + spread * (2 * torch.rand(6, generator=g, dtype=torch.float64) - 1)
            out = cyclic_order(lattice, start, [6])
            wrapped = torch.remainder(out, 2 * math.pi)
            # Same angles (as a set on the circle) ...
            assert torch.allclose(
                wrapped.sort().values, torch.remainder(start, 2 * math.pi).sort().values
            )
            # ... and going around from action 0, every next action is further on, once round.
            steps = torch.remainder(wrapped.roll(-1) - wrapped, 2 * math.pi)
            assert torch.isclose(steps.sum(), torch.tensor(2 * math.pi, dtype=torch.float64))
    near = lattice + 0.4 * torch.tensor([1.0, -1, 1, -1, 1, -1], dtype=torch.float64)
    assert torch.equal(cyclic_order(lattice, near, [6]), near)  # no swap: left as drawn
    swapped = lattice.clone()
    swapped[[2, 3]] = swapped[[3, 2]]
    assert torch.allclose(
        torch.remainder(cyclic_order(lattice, swapped, [6]), 2 * math.pi), lattice
    )
    # Per kind: a second group is ordered on its own.
    two = cyclic_order(torch.cat([lattice, lattice[:4]]), torch.cat([swapped, lattice[:4]]), [6, 4])
    assert torch.equal(two[6:], lattice[:4])


def test_directions_checkpoint_from_before_direction_rate_keeps_its_angles(tmp_path):
    # Such a checkpoint stores action_angle in radians (rate 1): it must not load 10x turned.
    cfg = _plane_waves(action_geometry="directions", direction_spread=0.3, direction_rate=1.0)
    dd = config_to_dict(cfg)
    dd["train"].update(n_steps=2, log_every=2, checkpoint_every=2)
    old = train(as_config(dd), out=tmp_path, progress=False)
    path = tmp_path / "checkpoint.pt"
    payload = torch.load(path, weights_only=False)
    for key in ("direction_rate", "ordered_start"):
        del payload["config"]["model"][key]  # as written before they existed
    torch.save(payload, path)
    model, loaded = load_checkpoint(path)
    assert loaded.model.direction_rate == 1.0 and loaded.model.ordered_start is False
    assert torch.equal(model.displacements(), old.model.displacements())
