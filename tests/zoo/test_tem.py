"""TEM: memory and retrieval against loop references, TEM = attention, training, export, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _rollout_checks import trained_rollout  # noqa: E402

from hippocore.envs import make_world  # noqa: E402
from hippocore.schema import validate  # noqa: E402
from hippocore.zoo import (  # noqa: E402
    CheckpointError,
    ConfigError,
    as_config,
    config_document,
    evaluate,
    get_model,
    list_models,
    load_checkpoint,
    load_toml,
    rollout,
    train,
)
from hippocore.zoo._config import dump_toml  # noqa: E402
from hippocore.zoo._data import WalkStream, make_episode  # noqa: E402
from hippocore.zoo.tem import (  # noqa: E402
    TEMConfig,
    attention_without_softmax,
    conjunction,
    f_p,
    hebbian_fold,
    memory_readout,
)

# Two modules (9 and 6 g units, 3 and 2 of them indexing memory), 10 observation classes
# two-hot coded on 5 units: p has (3 + 2) * 5 = 25 units. Memory warm-ups are off so a few
# hundred steps show learning.
TINY = {
    "model_name": "tem",
    "env": {"widths": [4, 5], "n_x": 10, "lifetime": "chunks", "chunks_per_env": [4, 8]},
    "model": {
        "n_grids": [9, 6],
        "n_phases": [3, 2],
        "n_x_compressed": 5,
        "filter_init": [0.01, 0.7],
    },
    "train": {
        "n_steps": 200,
        "batch_size": 8,
        "chunk_length": 15,
        "lr": 3e-3,
        "lr_min": 1e-4,
        "log_every": 50,
        "checkpoint_every": 100,
        "hebb_warmup": 1,
        "forget_warmup": 1,
        "loss_warmup": 1,
    },
}


def tiny(**train_overrides):
    d = json.loads(json.dumps(TINY))
    d["train"].update(train_overrides)
    return as_config(d)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny-tem")
    return train(tiny(), out=out, progress=False)


# ----------------------------------------------------------------------------- memory


def _dense_memory(m0, a, b, t, forget, eta, mask=None):
    """M after t of the chunk's memories, one outer product at a time (no clipping)."""
    m = forget**t * m0
    for tau in range(t):
        upd = eta * forget ** (t - 1 - tau) * torch.outer(b[tau], a[tau])
        m = m + (upd if mask is None else upd * mask)
    return m


def _attractor(model, q, m, hierarchical):
    """TEM's attractor for one query, with loops over iterations and modules."""
    cfg = model.config.model
    n_mod, starts = cfg.n_modules, model.p_starts
    h = f_p(q)
    for k in range(n_mod):
        new = h.clone()
        for f in range(n_mod):
            if hierarchical and k >= n_mod - f:  # module f stops after n_mod - f iterations
                continue
            cols = slice(starts[f], starts[f + 1])
            update = sum(h[i] * m[i, cols] for i in range(h.numel()))
            new[cols] = f_p(cfg.kappa * h[cols] + update)
        h = new
    return h


def test_hebbian_fold_equals_one_update_per_step():
    gen = torch.Generator().manual_seed(0)
    n_b, n_t, n = 3, 6, 7
    m0 = torch.randn(n_b, n, n, generator=gen) * 0.5
    a, b = torch.randn(n_b, n_t, n, generator=gen), torch.randn(n_b, n_t, n, generator=gen)
    mask = (torch.rand(n, n, generator=gen) > 0.3).float()
    lam, eta = 0.9, 0.5
    fold = hebbian_fold(
        m0,
        a,
        b,
        eta * lam ** torch.arange(n_t - 1, -1, -1.0),
        lam**n_t,
        mask=mask,
        limit=1.0,
    )
    for i in range(n_b):
        ref = m0[i].clone()
        for tau in range(n_t):  # M <- lambda M + eta (b a^T) * mask, clipped at the end
            ref = lam * ref + eta * torch.outer(b[i, tau], a[i, tau]) * mask
        torch.testing.assert_close(fold[i], ref.clamp(-1, 1), rtol=1e-5, atol=1e-5)
    assert (fold.abs() <= 1).all() and (fold.abs() == 1).any()  # the clip binds here


@pytest.mark.parametrize("hierarchical", [False, True])
def test_retrieval_equals_loop_reference(hierarchical):
    model = get_model("tem", tiny())
    n_p, gen = model.config.model.n_p, torch.Generator().manual_seed(1)
    n_b, n_q, n_s = 2, 4, 5
    mask = model.mask_p if hierarchical else torch.ones(n_p, n_p)
    m0 = torch.randn(n_b, n_p, n_p, generator=gen) * 0.2 * mask
    a, b = torch.randn(n_b, n_s, n_p, generator=gen), torch.randn(n_b, n_s, n_p, generator=gen)
    q = torch.randn(n_b, n_q, n_p, generator=gen)
    lam, eta = 0.8, 0.3
    # Query j sees the matrix decayed j times and the first j + 1 memories (j < n_s).
    n_seen = torch.arange(1, n_q + 1)
    lag = n_seen[:, None] - 1 - torch.arange(n_s)[None, :]
    weights = torch.where(lag >= 0, eta * lam ** lag.clamp_min(0).double(), 0.0).float()
    old_scale = lam ** n_seen.double()
    got = model.retrieve(q, m0, old_scale.float(), a, b, weights, hierarchical=hierarchical)
    for i in range(n_b):
        for j in range(n_q):
            m = _dense_memory(m0[i], a[i], b[i], int(n_seen[j]), lam, eta, mask)
            ref = _attractor(model, q[i, j], m, hierarchical)
            torch.testing.assert_close(got[i, j], ref, rtol=1e-4, atol=1e-5)


def test_forward_memory_and_retrievals_equal_dense_references():
    # Two chunks of one walk: every retrieval of the second chunk must equal the attractor
    # on the dense matrix that one outer-product update per step would have built.
    cfg = tiny()
    model = get_model("tem", cfg)
    model.trained_steps = 20000  # lambda and eta at their full values
    sc = model.schedule(model.trained_steps)
    ep = make_episode(
        make_world("hexagonal", 4),
        30,
        model.actions,
        n_x=10,
        direction_bias=0.2,
        rng=np.random.default_rng(3),
    )
    acts, obs = torch.from_numpy(ep.actions)[None], torch.from_numpy(ep.observations)[None]
    with torch.no_grad():
        first = model(acts[:, :15], obs[:, :15], model.initial_state(1), torch.tensor([True]))
        out = model(acts[:, 15:], obs[:, 15:], first.state, torch.tensor([False]))
    m_gen0, m_inf0 = first.state.memory_gen[0], first.state.memory_inf[0]
    p, p_g, p_x = out.p[0], out.p_g[0], out.p_x[0]
    a_gen, b_gen, a_inf, b_inf = p - p_g, p + p_g, p - p_x, p + p_x
    for t in range(15):
        m_gen = _dense_memory(m_gen0, a_gen, b_gen, t, sc.forget, sc.eta, model.mask_p)
        m_inf = _dense_memory(m_inf0, a_inf, b_inf, t, sc.forget, sc.eta)
        q_x = model.x_to_p(out.x_filtered[0, t])
        q_g, q_gt = model.g_to_p(out.g[0, t]), model.g_to_p(out.g_gen[0, t])
        torch.testing.assert_close(
            p_x[t], _attractor(model, q_x, m_inf, False), atol=2e-5, rtol=1e-4
        )
        torch.testing.assert_close(
            p_g[t], _attractor(model, q_g, m_gen, True), atol=2e-5, rtol=1e-4
        )
        ref_gt = _attractor(model, q_gt, m_gen, True)
        torch.testing.assert_close(out.p_gt[0, t], ref_gt, atol=2e-5, rtol=1e-4)
    full_gen = _dense_memory(m_gen0, a_gen, b_gen, 15, sc.forget, sc.eta, model.mask_p)
    full_inf = _dense_memory(m_inf0, a_inf, b_inf, 15, sc.forget, sc.eta)
    torch.testing.assert_close(out.state.memory_gen[0], full_gen.clamp(-1, 1), atol=2e-5, rtol=1e-4)
    torch.testing.assert_close(out.state.memory_inf[0], full_inf.clamp(-1, 1), atol=2e-5, rtol=1e-4)


def test_transitions_are_hierarchical_and_stay_is_still():
    model = get_model("tem", tiny())
    with torch.no_grad():
        model.transition_out.normal_()  # (zero at initialisation)
    d = model.transition_matrices().detach()  # (n_a + 1, to, from)
    assert torch.all(d[-1] == 0)  # stay: D = 0, g stays where it is
    # module 0 (units 0-8, highest frequency) hears module 1; module 1 does not hear module 0
    assert torch.all(d[:-1, 9:, :9] == 0) and torch.all(d[:-1, :9, 9:] != 0)


def test_schedule_known_answers():
    model = get_model("tem", as_config({"model_name": "tem"}))
    s0 = model.schedule(0)
    assert s0.forget == pytest.approx(0.9999 / 200) and s0.eta == pytest.approx(0.5 / 16000)
    assert s0.p2g_use == pytest.approx(0.5) and s0.temp == pytest.approx(1 / 2000)
    late = model.schedule(100_000)
    assert (late.forget, late.eta, late.temp, late.p_reg) == (0.9999, 0.5, 1.0, 0.0)
    assert late.p2g_use == pytest.approx(1.0) and late.g_reg == pytest.approx(0.01, rel=1e-2)


# ----------------------------------------------------------------------------- TEM = attention


def test_memory_queried_with_a_position_is_attention_without_softmax():
    gen = torch.Generator().manual_seed(2)
    n_t, n_g, n_x = 12, 8, 6
    g = torch.randn(n_t, n_g, generator=gen)
    x = torch.nn.functional.one_hot(torch.randint(n_x, (n_t,), generator=gen), n_x).float()
    q = torch.randn(n_g, generator=gen)
    p_hat, x_hat = memory_readout(g, x, q)
    # retrieved p = attention with query q, keys g_tau, values p_tau = g_tau (x) x_tau
    torch.testing.assert_close(p_hat, attention_without_softmax(q, g, conjunction(x, g)))
    # read out (summed over g): values x_tau scaled by the key's sum ...
    torch.testing.assert_close(x_hat, attention_without_softmax(q, g, g.sum(1, keepdim=True) * x))
    # ... so keys of unit sum (e.g. non-negative rates normalised) give sum_tau (q . g_tau) x_tau
    g1 = torch.rand(n_t, n_g, generator=gen)
    g1 = g1 / g1.sum(1, keepdim=True)
    torch.testing.assert_close(memory_readout(g1, x, q)[1], attention_without_softmax(q, g1, x))
    # graded (not one-hot) x: a factor (1 . x_tau) per memory
    xs = torch.rand(n_t, n_x, generator=gen)
    torch.testing.assert_close(
        memory_readout(g, xs, q)[0],
        attention_without_softmax(q, g, xs.sum(1, keepdim=True) * conjunction(xs, g)),
    )


def test_the_models_own_memory_is_attention_on_a_walk():
    # The model's own tensors on a short walk, module 0 (the one predictions are read
    # from): keys = its memory-indexing g units, values = its sensory input; M built by
    # the model's Hebbian fold (no decay, no clip, p_hat = 0), queried with the model's
    # own grid query g_to_p(g_t) (g repeated over the sensory units: a uniform x).
    model = get_model("tem", tiny())
    cfg = model.config.model
    ep = make_episode(
        make_world("hexagonal", 4),
        15,
        model.actions,
        n_x=10,
        direction_bias=0.2,
        rng=np.random.default_rng(0),
    )
    with torch.no_grad():
        out = model(
            torch.from_numpy(ep.actions)[None],
            torch.from_numpy(ep.observations)[None],
            model.initial_state(1),
            torch.tensor([True]),
        )
    g, x_f = out.g[0], out.x_filtered[0]
    block = slice(model.p_starts[0], model.p_starts[1])
    n_ph = cfg.n_phases[0]
    keys = g[:, model.down_index][:, :n_ph]  # (T, n_ph)
    x = model.sensory_input(x_f)[:, 0]  # (T, n_xc)
    p = (model.g_to_p(g) * model.x_to_p(x_f))[:, block]  # what TEM stores, before f_p
    torch.testing.assert_close(p, conjunction(x, keys))  # p is the conjunction g (x) x
    n_t, n = p.shape
    mem = hebbian_fold(torch.zeros(1, n, n), p[None], p[None], torch.ones(n_t), 1.0)[0]
    for t in (4, n_t - 1):
        retrieved = model.g_to_p(g[t])[block] @ mem
        x_sum = x.sum(1, keepdim=True)
        torch.testing.assert_close(retrieved, attention_without_softmax(keys[t], keys, x_sum * p))
        readout = retrieved.view(n_ph, cfg.n_x_compressed).sum(0)  # summed over g, as read_out
        values = keys.sum(1, keepdim=True) * x_sum * x
        torch.testing.assert_close(readout, attention_without_softmax(keys[t], keys, values))
        torch.testing.assert_close(readout, memory_readout(keys, x, keys[t])[1])


# ----------------------------------------------------------------------------- training


# Bounds are margins over seeds and torch kernel paths: ``tests/zoo/margins.py 0 6 tem``
# under ATEN_CPU_CAPABILITY=default/avx2/avx512 (18 float trajectories, AMD EPYC); the
# range over those runs is quoted beside each bound, which leaves about half as margin.


def test_tiny_tem_trains_through_the_shared_loop(trained):
    first, last = trained.metrics[0], trained.metrics[-1]
    assert trained.step == 200 and [m["step"] for m in trained.metrics] == [50, 100, 150, 200]
    assert last["loss"] < first["loss"] - 0.45  # fell by 0.91-1.94 over the 18 runs
    # chance is 1/10: memory beats it on revisits, not on first visits
    assert last["revisit_accuracy"] > 0.17  # 0.248-0.317
    assert last["first_visit_accuracy"] < 0.16  # 0.081-0.115
    assert (trained.out / "config.toml").read_text().startswith('model_name = "tem"')
    assert as_config(trained.out / "config.toml") == trained.config


def test_checkpoint_round_trip(trained):
    model, cfg = load_checkpoint(trained.out / "checkpoint.pt")
    assert cfg == trained.config and isinstance(cfg, TEMConfig)
    assert model.model_name == "tem" and model.trained_steps == 200
    for (k, a), (k2, b) in zip(
        trained.model.state_dict().items(), model.state_dict().items(), strict=True
    ):
        assert k == k2 and torch.equal(a, b)
    w = make_world("hexagonal", 4)
    assert evaluate(model, w, 60, seed=1) == evaluate(trained.model, w, 60, seed=1)


class _Interrupt(Exception):
    pass


def test_resume_equals_uninterrupted(tmp_path):
    cfg = tiny(n_steps=30, log_every=5, checkpoint_every=10)
    full = train(cfg, out=tmp_path / "full", progress=False)

    def stop_at_25(model, step):
        if step == 25:
            raise _Interrupt
        return {}

    with pytest.raises(_Interrupt):
        train(cfg, out=tmp_path / "cut", progress=False, monitor=stop_at_25, monitor_every=5)
    assert torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)["step"] == 20
    resumed = train(cfg, out=tmp_path / "cut", progress=False)
    for a, b in zip(
        full.model.state_dict().values(), resumed.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    drop = ("steps_per_s", "wall_time_s")
    assert [{k: v for k, v in m.items() if k not in drop} for m in full.metrics] == [
        {k: v for k, v in m.items() if k not in drop} for m in resumed.metrics
    ]


def test_visits_lifetime_follows_the_curriculum_and_resumes():
    d = json.loads(json.dumps(TINY))
    d["env"].update(lifetime="visits", visits_per_node=[4.0, 1.0], visits_jitter=2)
    d["env"]["visits_anneal_steps"] = 10
    cfg = as_config(d)
    model = get_model("tem", cfg)
    stream = WalkStream(cfg.env, model.actions, 2, 15, seed=0)
    lengths = []
    for step in range(40):
        stream.next_chunk(step)
        lengths.append(stream._episodes[0].nodes.size)
    nodes = stream._episodes[0].world.n_nodes
    assert all(n % 15 == 0 for n in lengths)  # whole chunks
    assert lengths[0] >= 15 * ((4 * 16) // 15)  # the first world: >= 4 visits per node of 16
    assert lengths[-1] <= 15 * max(1, (2 * nodes) // 15)  # late: (1 + 0..1) visits per node
    # the stream's state regenerates the same walks (the step a world started is saved)
    saved = stream.state_dict()
    again = WalkStream(cfg.env, model.actions, 2, 15, seed=0)
    again.load_state_dict(json.loads(json.dumps(saved)))
    a, b = stream.next_chunk(40), again.next_chunk(40)
    assert np.array_equal(a.actions, b.actions) and np.array_equal(a.observations, b.observations)


# ----------------------------------------------------------------------------- export


@pytest.mark.parametrize("name", ["tem", "tem-t"])
def test_every_registered_model_rolls_out_to_a_valid_session(name, tmp_path):
    # Add a row here with a new model (the triple-conjunction models' rows:
    # tests/zoo/test_triple.py::test_triple_models_roll_out_to_a_valid_session).
    assert set(list_models()) == {"tem", "tem-t", "tem-3", "tem-t-3"}
    if name == "tem":
        cfg = tiny(n_steps=2, log_every=1)
    else:
        cfg = as_config(
            {
                "env": {"widths": [4, 5], "chunks_per_env": [2, 4]},
                "model": {"n_e": 12, "n_modules": 2, "grid_spacing": [4.0, 6.0]},
                "train": {"n_steps": 2, "log_every": 1, "batch_size": 2, "chunk_length": 20},
            }
        )
    trained_rollout(name, cfg)


def test_tem_rollout_populations_and_modules(trained):
    ds = rollout(trained.model, make_world("hexagonal", 5), 90, seed=2)
    validate(ds, "session")
    pops, module = ds.population.values, ds["module"].values
    cfg = trained.config.model
    assert (pops == "g").sum() == cfg.n_g and (pops == "p").sum() == cfg.n_p
    assert (pops == "x").sum() == cfg.n_modules * cfg.n_x_compressed
    assert module[pops == "g"].tolist() == [0] * 9 + [1] * 6
    assert module[pops == "p"].tolist() == [0] * 15 + [1] * 10
    # unit i of g is the model's g unit i on this walk
    ep = make_episode(
        make_world("hexagonal", 5),
        90,
        trained.model.actions,
        n_x=10,
        direction_bias=0.2,
        rng=np.random.default_rng(2),
    )
    from hippocore.zoo._evaluate import run_episodes

    g = run_episodes(trained.model, [ep], chunk_length=15)["e"][0]
    np.testing.assert_allclose(ds.activity.values[:, pops == "g"], g, rtol=1e-6)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "override, match",
    [
        ({"model": {"n_grids": [9, 6], "n_phases": [3]}}, "n_phases has 1 values"),
        ({"model": {"n_phases": [10, 2]}}, r"n_phases\[0\] \(10\) must be <= model.n_grids"),
        ({"model": {"filter_init": [0.01, 1.0]}}, r"filter_init\[1\] must be < 1"),
        ({"model": {"n_x_compressed": 4}}, "6 two-hot codes, fewer than env.n_x = 10"),
        ({"model": {"prediction_module": 2}}, "prediction_module must be a module index"),
        ({"model": {"kappa": -1.0}}, "kappa must be >= 0"),
        ({"train": {"grad_clip_mode": "sometimes"}}, "grad_clip_mode must be"),
        ({"train": {"hebb_warmup": 0}}, "hebb_warmup must be an integer >= 1"),
        ({"train": {"visited_only": 1}}, "visited_only must be true or false"),
        ({"env": {"lifetime": "forever"}}, "lifetime must be one of"),
        ({"env": {"visits_per_node": [4.0]}}, "visits_per_node must be"),
        ({"model": {"n_e": 12}}, r"unknown key\(s\) \['n_e'\] in config.model"),
    ],
)
def test_bad_tem_config(override, match):
    d = json.loads(json.dumps(TINY))
    for section, values in override.items():
        d[section].update(values)
    with pytest.raises(ConfigError, match=match):
        as_config(d)


def test_model_name_errors(tmp_path):
    with pytest.raises(ConfigError, match="model_name='tem-x' is not a registered model"):
        as_config({"model_name": "tem-x"})
    with pytest.raises(ConfigError, match="for model_name='tem', not 'tem-t'"):
        as_config({"model_name": "tem"}, model_name="tem-t")
    with pytest.raises(TypeError, match="a zoo model's config"):
        as_config(3)
    path = tmp_path / "c.toml"
    path.write_text(dump_toml(config_document(tiny())))
    assert as_config(path) == tiny()


def test_checkpoint_of_another_model_or_a_newer_format(trained, tmp_path):
    ckpt = trained.out / "checkpoint.pt"
    with pytest.raises(CheckpointError, match="holds a 'tem' model, not 'tem-t'"):
        load_checkpoint(ckpt, model="tem-t")
    payload = torch.load(ckpt, weights_only=True)
    torch.save(dict(payload, format_version=payload["format_version"] + 1), tmp_path / "new.pt")
    with pytest.raises(CheckpointError, match="newer"):
        load_checkpoint(tmp_path / "new.pt")
    # a TEM-t run resumed in a folder holding a TEM checkpoint
    other = tmp_path / "run"
    other.mkdir()
    (other / "checkpoint.pt").write_bytes(ckpt.read_bytes())
    with pytest.raises(ValueError, match="holds a 'tem' model, not 'tem-t'"):
        train({"train": {"n_steps": 1}}, out=other, progress=False)
    # fine-tuning TEM-t from a TEM checkpoint
    with pytest.raises(ValueError, match="holds a 'tem' model; this config trains 'tem-t'"):
        train({"train": {"n_steps": 1, "init_from": str(ckpt)}}, progress=False)


def test_documented_tem_configs(tmp_path):
    root = Path(__file__).parents[2] / "docs" / "configs"
    tf2 = as_config(load_toml(root / "tem.toml"))
    assert tf2 == TEMConfig()  # the file shows the defaults
    torch_like = as_config(root / "tem-torch.toml")
    assert (torch_like.env.kinds, torch_like.env.widths) == (("square",), (5, 5))
    assert (torch_like.train.chunk_length, torch_like.train.batch_size) == (20, 16)
    assert get_model("tem", torch_like).config.model.n_modules == 5


def test_cli_trains_tem_from_a_toml_naming_it(tmp_path, capsys):
    from hippocore.cli import main

    cfg = tmp_path / "tem.toml"
    cfg.write_text(dump_toml(config_document(tiny(log_every=2, checkpoint_every=2))))
    out = tmp_path / "run"
    assert main(["train", "--config", str(cfg), "--out", str(out), "--steps", "2", "--quiet"]) == 0
    assert "trained 2 steps" in capsys.readouterr().out
    model, loaded = load_checkpoint(out / "checkpoint.pt", model="tem")
    assert loaded.train.n_steps == 2 and loaded.model == tiny().model


def test_grid_monitor_scores_tems_g_units(trained):
    from hippocore.zoo import grid_summary

    s = grid_summary(trained.model, make_world("hexagonal", 6), 300, seed=0)
    assert s.score.shape == s.is_grid.shape == (trained.config.model.n_g,)
    assert 0 <= s.grid_fraction <= 1 and 0 <= s.shuffle_fraction <= 0.05 + 1e-12


def test_per_tensor_clipping_is_each_tensors_own_clip_grad_norm():
    # TF2 TEM clips each gradient by its own norm; the batched form in the training loop
    # must equal torch's clip_grad_norm_ applied to each tensor alone: large gradients
    # scaled to norm 2, small ones untouched, a None gradient skipped.
    from types import SimpleNamespace

    from hippocore.zoo._train import _clip_gradients

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Linear(7, 3), torch.nn.Linear(2, 2))
    scales = (10.0, 0.01, 3.0, 1e-4)
    for p, s in zip(list(net.parameters())[:4], scales, strict=True):
        p.grad = s * torch.randn_like(p)
    ref = []
    for p in net.parameters():
        if p.grad is None:
            ref.append(None)
            continue
        q = torch.nn.Parameter(p.detach().clone())
        q.grad = p.grad.clone()
        torch.nn.utils.clip_grad_norm_(q, 2.0)
        ref.append(q.grad)
    _clip_gradients(net, SimpleNamespace(grad_clip_mode="per-tensor", grad_clip=2.0))
    for p, r in zip(net.parameters(), ref, strict=True):
        if r is None:
            assert p.grad is None
        else:
            torch.testing.assert_close(p.grad, r, rtol=1e-6, atol=0)
    norms = [float(p.grad.norm()) for p in net.parameters() if p.grad is not None]
    assert max(norms) == pytest.approx(2.0, rel=1e-5) and min(norms) < 0.1


def test_training_uses_torchs_fused_adam_on_cpu():
    from hippocore.zoo._train import _adam

    net = torch.nn.Linear(3, 2)
    opt = _adam(net, 1e-3, torch.device("cpu"))
    assert opt.param_groups[0]["fused"] is True
