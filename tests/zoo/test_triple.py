"""Triple-conjunction models (TEM-t-3, TEM-3) on three-stream worlds."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _rollout_checks import trained_rollout  # noqa: E402

from hippocore.envs import make_world  # noqa: E402
from hippocore.zoo import (  # noqa: E402
    as_config,
    evaluate,
    get_model,
    load_checkpoint,
    rollout,
    train,
)
from hippocore.zoo._data import WalkStream, episode_flags, make_episode  # noqa: E402

TINY_T3 = {
    "model_name": "tem-t-3",
    "env": {"widths": [4, 4], "chunks_per_env": [3, 6], "n_c": 3},
    "model": {
        "n_c": 3,
        "memory_capacity": 128,
        "n_e": 12,
        "n_modules": 2,
        "n_k": 16,
        "grid_spacing": [4.0, 6.0],
    },
    "train": {"n_steps": 40, "batch_size": 4, "chunk_length": 20, "log_every": 10, "seed": 1},
}

# TEM's tiny setting (tests/zoo/test_tem.py) with 3 contexts: p has (3 + 2) * 5 * 3 = 75 units.
TINY_TEM3 = {
    "model_name": "tem-3",
    "env": {"widths": [4, 5], "n_x": 10, "n_c": 3, "chunks_per_env": [4, 8]},
    "model": {
        "n_grids": [9, 6],
        "n_phases": [3, 2],
        "n_x_compressed": 5,
        "filter_init": [0.01, 0.7],
        "n_c": 3,
    },
    "train": {
        "n_steps": 150,
        "batch_size": 8,
        "chunk_length": 15,
        "lr": 3e-3,
        "lr_min": 1e-4,
        "log_every": 50,
        "hebb_warmup": 1,
        "forget_warmup": 1,
        "loss_warmup": 1,
    },
}


def _with(base, **sections):
    return {
        k: ({**v, **sections.get(k, {})} if isinstance(v, dict) else v) for k, v in base.items()
    }


# ----------------------------------------------------------------------------- data


def test_three_stream_walks_carry_contexts_and_pair_revisits():
    cfg = as_config(TINY_T3)
    stream = WalkStream(cfg.env, get_model("tem-t-3", cfg).actions, 3, 20, 0)
    chunk = stream.next_chunk()
    assert chunk.context.shape == (3, 20) and chunk.context.max() < 3
    ep = make_episode(
        make_world("hexagonal", 4),
        300,
        get_model("tem-t-3", cfg).actions,
        n_x=45,
        direction_bias=0.2,
        rng=np.random.default_rng(0),
        n_c=3,
    )
    pair_revisit, _ = episode_flags(ep.nodes * 3 + ep.contexts, ep.actions, 99)
    assert np.array_equal(ep.revisit, pair_revisit)
    # The same (node, context) always shows the same observation; a node does not.
    pairs = {}
    for n, c, x in zip(ep.nodes, ep.contexts, ep.observations, strict=True):
        assert pairs.setdefault((n, c), x) == x
    assert ep.complete.sum() > 0 and not ep.complete[~ep.revisit].any()


def test_two_stream_episodes_unchanged_by_the_context_option():
    w = make_world("hexagonal", 5)
    a = make_episode(
        w,
        50,
        get_model("tem-t").actions,
        n_x=45,
        direction_bias=0.2,
        rng=np.random.default_rng(4),
    )
    assert a.contexts is None and a.complete is None


# ----------------------------------------------------------------------------- TEM-t-3


def _toy_memory(model):
    """Four memories at two places (A, B), two contexts; each query needs two streams."""
    n_e = model.config.model.n_e
    gen = torch.Generator().manual_seed(0)
    e_a, e_b = torch.randn(2, n_e, generator=gen)
    mem_e = torch.stack([e_a, e_a, e_b, e_b])[None]  # (1, 4, n_e)
    mem_x = torch.tensor([[1, 2, 3, 1]])
    mem_c = torch.tensor([[0, 1, 0, 1]])
    return e_a[None], e_b[None], mem_e, mem_x, mem_c


def _set_recall_constants(model):
    with torch.no_grad():
        for name in ("gain_c_for_x", "gain_x_for_c", "gamma", "gamma_c"):
            getattr(model, name).fill_(1.0)
        model.c_null.fill_(1.5)
        model.c_null_c.fill_(1.5)
        model.c_null_corr.fill_(1.5)


def test_tem_t3_recalls_each_stream_from_a_pair_on_a_toy_memory():
    model = get_model("tem-t-3", TINY_T3).eval()
    _set_recall_constants(model)
    e_a, e_b, mem_e, mem_x, mem_c = _toy_memory(model)
    # Position keys of A and B must differ for the test to mean anything.
    with torch.no_grad():
        k = model.keys(model.rates(torch.cat([e_a, e_b])))
    assert float(k[0] @ k[1]) < 0.5 * float(k[0] @ k[0])
    with torch.no_grad():
        w, p_x = model.recall("x", mem_e, mem_x, mem_c, e=e_a, c=torch.tensor([1]))
        assert int(p_x.argmax()) == 2 and float(p_x[0, 2]) > 0.9  # memory 1
        w, p_c = model.recall("c", mem_e, mem_x, mem_c, e=e_b, x=torch.tensor([1]))
        assert int(p_c.argmax()) == 1 and float(p_c[0, 1]) > 0.9  # memory 3
        w, e_hat = model.recall("e", mem_e, mem_x, mem_c, x=torch.tensor([1]), c=torch.tensor([0]))
        assert int(w[0, 1:].argmax()) == 0 and float(w[0, 1]) > 0.9  # memory 0, at A
        assert torch.allclose(e_hat / w[0, 1:].sum(), e_a, atol=0.1 * float(e_a.norm()))


def test_tem_t3_one_stream_alone_is_ambiguous_on_the_toy_memory():
    """The control: each single stream leaves two memories tied, so the pairs are needed."""
    model = get_model("tem-t-3", TINY_T3).eval()
    _set_recall_constants(model)
    e_a, e_b, mem_e, mem_x, mem_c = _toy_memory(model)
    with torch.no_grad():
        _, p_x = model.recall("x", mem_e, mem_x, mem_c, e=e_a)
        assert float(p_x[0, 1]) == pytest.approx(float(p_x[0, 2]), rel=1e-4)
        _, p_c = model.recall("c", mem_e, mem_x, mem_c, x=torch.tensor([1]))
        assert float(p_c[0, 0]) == pytest.approx(float(p_c[0, 1]), rel=1e-4)
        w, _ = model.recall("e", mem_e, mem_x, mem_c, c=torch.tensor([0]))
        assert float(w[0, 1]) == pytest.approx(float(w[0, 3]), rel=1e-4)


def test_tem_t3_shapes_counts_and_export():
    model = get_model("tem-t-3", TINY_T3)
    m = model.config.model
    b, t = 2, 7
    state = model.initial_state(b)
    assert state.mem_c.shape == (b, m.memory_capacity) == state.mem_x.shape
    acts = torch.zeros(b, t, dtype=torch.long)
    obs = torch.randint(45, (b, t))
    ctx = torch.randint(3, (b, t))
    out = model(acts, obs, state, torch.ones(b, dtype=torch.bool), context=ctx, populations=True)
    assert out.logits.shape == (b, t, 45) and out.logits_c.shape == (b, t, 3)
    assert out.memory_weights.shape == out.place_weights.shape == (b, t, m.memory_capacity)
    assert int(out.state.count[0]) == t
    assert torch.equal(out.state.mem_c[:, :t], ctx)
    # Memory neurons: one per stored memory, whatever n_c.
    big = get_model("tem-t-3", _with(TINY_T3, env={"n_c": 20}, model={"n_c": 20}))
    assert big.initial_state(1).mem_e.shape == model.initial_state(1).mem_e.shape
    ds = rollout(model, make_world("hexagonal", 4), 60, seed=0, n_memory_units=30)
    pops = ds["population"].values
    assert (pops == "c").sum() == 3 and (pops == "memory").sum() == 30
    assert (pops == "position_encoding").sum() == m.n_e and (pops == "sensory").sum() == 45
    c_units = ds["activity"].values[:, pops == "c"]
    assert np.array_equal(c_units.argmax(1), ds["context"].values)


def _checkpoint_round_trip(res):
    model, cfg = load_checkpoint(res.out / "checkpoint.pt")
    assert cfg == res.config and model.model_name == res.model.model_name
    w = make_world("hexagonal", 4)
    a, b = evaluate(model, w, 150, seed=2), evaluate(res.model, w, 150, seed=2)
    assert a == b and a.n_complete > 0 and a.complete_revisit_accuracy is not None


def test_tem_t3_tiny_config_trains_loss_falls_and_round_trips(tmp_path):
    res = train(TINY_T3, out=tmp_path, progress=False)
    losses = [line["loss"] for line in res.metrics]
    assert len(losses) == 4
    assert losses[-1] < losses[0] - 0.2
    _checkpoint_round_trip(res)


# ----------------------------------------------------------------------------- TEM-3


def _triple(g, x, c):
    """p = g (x) x (x) c in TEM-3's layout (g-major, then x, then c)."""
    from hippocore.zoo.tem import conjunction

    return conjunction(conjunction(c, x), g)


def test_triple_hebbian_memory_recalls_each_stream_from_a_pair():
    """M = sum p p^T, p = g (x) x (x) c: a query by two streams, the third uniform, returns
    the memory that matches both (linear memory; TEM-3's own attractor next test)."""
    eye = torch.eye
    g, x, c = eye(4), eye(6), eye(3)
    stored = [(0, 1, 0), (0, 2, 1), (1, 3, 0), (1, 1, 1)]  # (place, x, c): pairs needed
    p = torch.stack([_triple(g[a], x[b], c[k]) for a, b, k in stored])
    memory = p.T @ p

    def read(q):
        return (q @ memory).view(4, 6, 3)

    ones_g, ones_x, ones_c = torch.ones(4), torch.ones(6), torch.ones(3)
    assert int(read(_triple(g[0], ones_x, c[1])).sum((0, 2)).argmax()) == 2  # (g, c) -> x
    assert int(read(_triple(g[1], x[1], ones_c)).sum((0, 1)).argmax()) == 1  # (g, x) -> c
    assert int(read(_triple(ones_g, x[1], c[0])).sum((1, 2)).argmax()) == 0  # (x, c) -> g
    # One stream alone ties two memories (the control).
    alone = read(_triple(g[0], ones_x, ones_c)).sum((0, 2))
    assert float(alone[1]) == pytest.approx(float(alone[2]))


def test_tem3_attractor_completes_a_pair_query_on_a_toy_memory():
    model = get_model("tem-3", TINY_TEM3)
    m = model.config.model
    n_phase, n_xc, n_c = sum(m.n_phases), m.n_x_compressed, m.n_c
    eye = torch.eye
    stored = [(0, 1, 0), (0, 2, 1), (3, 3, 0), (3, 1, 1)]
    p = torch.stack([_triple(eye(n_phase)[a], eye(n_xc)[b], eye(n_c)[k]) for a, b, k in stored])
    memory = (p.T @ p)[None]
    query = _triple(eye(n_phase)[0], torch.ones(n_xc), eye(n_c)[1])[None, None]
    empty = torch.zeros(1, 0, m.n_p)
    with torch.no_grad():
        h = model.tem.retrieve(
            query, memory, torch.ones(1), empty, empty, torch.zeros(1, 0), hierarchical=False
        )
    assert int(h.view(n_phase, n_xc, n_c).sum((0, 2)).argmax()) == 2


def test_tem3_shapes_counts_joint_code_and_export():
    model = get_model("tem-3", TINY_TEM3)
    m = model.config.model
    assert m.n_p == 5 * 5 * 3 == model.tem.config.model.n_p
    state = model.initial_state(2)
    assert state.memory_gen.shape == (2, 75, 75) == state.memory_inf.shape
    code = model.tem.two_hot  # joint class x * n_c + c -> 2 active units, both in block c
    assert code.shape == (30, 15)
    for j in range(30):
        units = torch.nonzero(code[j])[:, 0]
        assert len(units) == 2 and bool((units % 3 == j % 3).all())
    # Multiplicative: doubling n_c doubles p and quadruples each memory matrix.
    big = get_model("tem-3", _with(TINY_TEM3, env={"n_c": 6}, model={"n_c": 6}))
    assert big.initial_state(1).memory_gen.numel() == 4 * model.initial_state(1).memory_gen.numel()
    b, t = 2, 5
    ctx = torch.randint(3, (b, t))
    obs = torch.randint(10, (b, t))
    out = model(
        torch.zeros(b, t, dtype=torch.long),
        obs,
        state,
        torch.ones(b, dtype=torch.bool),
        context=ctx,
    )
    assert out.logits.shape == (b, t, 10) and out.logits_c.shape == (b, t, 3)
    joint = out.joint.logits.view(b, t, 10, 3)
    assert torch.equal(out.logits[0, 0], joint[0, 0, :, ctx[0, 0]])
    assert torch.equal(out.logits_c[1, 2], joint[1, 2, obs[1, 2], :])
    ds = rollout(model, make_world("hexagonal", 4), 40, seed=0)
    pops = ds["population"].values
    assert [(pops == k).sum() for k in ("g", "p", "x", "c")] == [15, 75, 10, 3]
    assert np.array_equal(ds["activity"].values[:, pops == "c"].argmax(1), ds["context"].values)


def test_tem3_tiny_config_trains_loss_falls_and_round_trips(tmp_path):
    res = train(TINY_TEM3, out=tmp_path, progress=False)
    losses = [line["loss"] for line in res.metrics]
    assert losses[-1] < losses[0] - 0.3
    _checkpoint_round_trip(res)


# ----------------------------------------------------------------------------- both


@pytest.mark.parametrize("name", ["tem-3", "tem-t-3"])
def test_triple_models_roll_out_to_a_valid_session(name):
    """The row tests/zoo/test_tem.py asks of every registered model, for the triple ones."""
    base = TINY_T3 if name == "tem-t-3" else TINY_TEM3
    cfg = as_config(_with(base, train={"n_steps": 2, "log_every": 1}))
    ds = trained_rollout(name, cfg)
    assert "c" in set(ds.population.values) and ds["context"].shape == (120,)


@pytest.mark.parametrize("name", ["tem-t-3", "tem-3"])
def test_grid_summary_and_monitor_walk_the_triple_models_with_contexts(name):
    # A walk for the grid test must carry the context stream a triple model binds (it
    # failed with "the data has none" when the monitor drew a two-stream walk).
    from hippocore.zoo import grid_monitor, grid_summary

    model = get_model(name, TINY_T3 if name == "tem-t-3" else TINY_TEM3).eval()
    n_units = model.config.model.n_e if name == "tem-t-3" else sum(model.config.model.n_grids)
    s = grid_summary(model, make_world("hexagonal", 6), 200, seed=0)
    assert s.score.shape == s.threshold.shape == s.is_grid.shape == (n_units,)
    assert s.rate.shape[0] == n_units and 0 <= s.grid_fraction <= 1
    line = grid_monitor(width=5, steps_per_node=8)(model, 0)
    assert 0 <= line["grid_fraction"] <= 1


def test_tem_t3_rollout_on_an_11_wide_world_carries_contexts_and_validates():
    from hippocore.schema import validate

    model = get_model("tem-t-3", TINY_T3).eval()
    ds = rollout(model, make_world("hexagonal", 11), 400, seed=3, n_memory_units=64)
    validate(ds, "session")
    pops = ds["population"].values
    assert [(pops == k).sum() for k in ("position_encoding", "memory", "c")] == [12, 64, 3]
    ctx = ds["context"].values
    assert ctx.shape == (400,) and set(np.unique(ctx)) == {0, 1, 2}
    assert np.array_equal(ds["activity"].values[:, pops == "c"].argmax(1), ctx)


def test_tem_t3_defaults_to_tem_ts_position_code():
    from hippocore.zoo import TEMT3Config, TEMTConfig

    t3, t = TEMT3Config().model, TEMTConfig().model
    for key in ("n_e", "n_modules", "action_geometry", "direction_spread", "direction_rate"):
        assert getattr(t3, key) == getattr(t, key), key
    assert t3.ordered_start == t.ordered_start and t3.grid_spacing == t.grid_spacing
    assert t3.n_e == 120 and t3.action_geometry == "directions"


def test_tem_t3_lattice_config_and_first_checkpoints_keep_the_lattice_code(tmp_path):
    from pathlib import Path

    from hippocore.zoo import load_toml

    configs = Path(__file__).parents[2] / "docs" / "configs"
    lattice = as_config(load_toml(configs / "tem-t-3-lattice.toml")).model
    assert (lattice.n_e, lattice.action_geometry) == (60, "lattice")
    # A checkpoint written before the direction options existed (TEM-t-3's first runs):
    # it has n_e and action_geometry, and must read the missing keys as TEM-t's legacy.
    cfg = _with(TINY_T3, model={"action_geometry": "lattice"})
    cfg = _with(cfg, train={"n_steps": 2, "log_every": 1, "checkpoint_every": 2})
    res = train(cfg, out=tmp_path, progress=False)
    path = tmp_path / "checkpoint.pt"
    payload = torch.load(path, weights_only=False)
    for key in ("direction_spread", "direction_rate", "ordered_start"):
        del payload["config"]["model"][key]
    torch.save(payload, path)
    model, loaded = load_checkpoint(path)
    m = loaded.model
    assert (m.action_geometry, m.direction_rate, m.ordered_start) == ("lattice", 1.0, False)
    assert m.direction_spread == pytest.approx(np.pi)
    w = make_world("hexagonal", 4)
    assert evaluate(model, w, 100, seed=1) == evaluate(res.model, w, 100, seed=1)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("name", "override", "match"),
    [
        ("tem-t-3", {"env": {"n_c": 0}}, "two-stream world; set env.n_c = 3"),
        (
            "tem-t-3",
            {"model": {"n_c": 4}},
            "model.n_c = 4 context units but the world has env.n_c = 3",
        ),
    ],
)
def test_streams_that_do_not_match_the_world_fail_at_construction(name, override, match):
    base = TINY_T3
    cfg = {
        k: ({**base[k], **override.get(k, {})} if isinstance(base[k], dict) else base[k])
        for k in base
    }
    with pytest.raises(ValueError, match=match):
        get_model(name, cfg)


@pytest.mark.parametrize("name", ["tem-t-3", "tem-3"])
def test_forward_without_or_with_bad_contexts(name):
    model = get_model(name, TINY_T3 if name == "tem-t-3" else TINY_TEM3)
    acts = torch.zeros(1, 3, dtype=torch.long)
    state, reset = model.initial_state(1), torch.ones(1, dtype=torch.bool)
    with pytest.raises(ValueError, match="needs context="):
        model(acts, acts, state, reset)
    with pytest.raises(ValueError, match="n_c = 3 context units"):
        model(acts, acts, state, reset, context=torch.full((1, 3), 5))
