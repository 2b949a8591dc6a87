"""TEM-3's place-from-(x, c) recall and the benchmark's decoders of it (bench_triple.py).

Known answers: a hand-built inference memory holding a few triples p = g (x) x (x) c, queried
the way TEM-3 queries it (x (x) c tiled over the phases); walks on which every (x, c) pair
belongs to one node, so that the stored pattern the memory returns names the node; and TEM's
precision weighting, which the benchmark's memory weight must reproduce.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hippocore.envs import make_world  # noqa: E402
from hippocore.zoo import get_model  # noqa: E402
from hippocore.zoo._data import make_episode  # noqa: E402
from hippocore.zoo.tem import conjunction  # noqa: E402

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_triple.py"

# A tiny TEM-3 whose two modules both see the current observation (no sensory history), with
# as many observation classes as a 4x4 world has nodes: 16 classes on 7 two-hot units.
TINY = {
    "model_name": "tem-3",
    "env": {"widths": [4, 4], "n_x": 16, "n_c": 3, "chunks_per_env": [4, 8]},
    "model": {
        "n_grids": [9, 6],
        "n_phases": [3, 2],
        "n_x_compressed": 7,
        "filter_init": [0.01, 0.01],
        "n_c": 3,
    },
    "train": {"batch_size": 2, "chunk_length": 10},
}


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_triple", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def model():
    return get_model("tem-3", TINY).eval()


def _query(model, x: int, c: int) -> torch.Tensor:
    """TEM-3's inference query for (x, c): the joint two-hot code as p sees it, (1, 1, n_p)."""
    n_c, n_mod = model.config.model.n_c, model.config.model.n_modules
    code = model.tem.two_hot[x * n_c + c]  # the joint class, as TEM3.forward builds it
    with torch.no_grad():
        return model.tem.x_to_p(code.expand(n_mod, -1))[None, None]


def _stored(model, place: int, x: int, c: int) -> torch.Tensor:
    """p = g (x) x (x) c built by hand in TEM-3's layout: unit (phase * n_xc + s) * n_c + c,
    g one-hot on the phase ``place``, x its two-hot pair (TEM's code), c one-hot."""
    m = model.config.model
    pair = list(itertools.combinations(range(m.n_x_compressed), 2))[x]
    x_code = torch.zeros(m.n_x_compressed)
    x_code[list(pair)] = 1.0
    c_code, g = torch.eye(m.n_c)[c], torch.eye(sum(m.n_phases))[place]
    return conjunction(conjunction(c_code, x_code), g)


def test_hand_built_memory_returns_the_node_stored_with_x_and_c(model, bench):
    """Four triples (place = one phase); the (x, c) query retrieves its own place's pattern.

    x = 0 and x = 11 are each stored at two places, in different contexts: x alone is
    ambiguous, (x, c) is not. The patterns are built by hand and the query by the model's
    own joint code (class ``x * n_c + c``), so a wrong index order fails. Read out two ways:
    the retrieved p's phase profile (its sum over sensory units, what TEM's memory-to-g
    network reads) and the stored pattern nearest the retrieved one (``g|x,c stored p``).
    """
    m, tem = model.config.model, model.tem
    n_phase, n_s = sum(m.n_phases), tem.config.model.n_x_compressed
    # (place = phase, x, c); x = 0 and 11 have disjoint two-hot pairs, (0, 1) and (2, 3)
    stored = [(0, 0, 0), (3, 0, 1), (1, 11, 0), (4, 11, 2)]
    patterns = torch.stack([_stored(model, *triple) for triple in stored])
    memory = (patterns.T @ patterns)[None]
    empty = torch.zeros(1, 0, m.n_p)
    for place, x, c in stored:
        with torch.no_grad():
            h = tem.retrieve(
                _query(model, x, c), memory, torch.ones(1), empty, empty, torch.zeros(1, 0),
                hierarchical=False,
            )[0]  # fmt: skip
        assert int(h.view(n_phase, n_s).sum(-1).argmax()) == place
        keys = torch.cat([patterns, h]).numpy()  # the stored patterns, then the retrieval
        nearest = bench.nearest_earlier(keys, keys)[-1]
        assert stored[nearest][0] == place


def _unique_pair_walks(model, n_walks: int, n_steps: int) -> list:
    """Walks in a 4x4 world where observation = node, whatever the context (x, c) -> node."""
    env = model.config.env
    rng = np.random.default_rng(0)
    world = make_world("hexagonal", 4)
    eps = []
    for _ in range(n_walks):
        ep = make_episode(
            world, n_steps, model.actions, n_x=env.n_x, direction_bias=env.direction_bias,
            rng=rng, n_c=env.n_c, context_switch=env.context_switch,
        )  # fmt: skip
        eps.append(dataclasses.replace(ep, observations=ep.nodes.copy()))
    return eps


def test_stored_pattern_decoder_names_the_node_when_x_and_c_do(model, bench):
    """On walks where every (x, c) pair belongs to one node the retrieved p's nearest stored
    p is at that node at every pair revisit, even untrained (the structure of p = g (x) x (x)
    c); the memory-to-g route of the untrained model does not find it (its g never moves)."""
    eps = _unique_pair_walks(model, 2, 80)
    res = bench.recalls(model, eps)
    assert {"query", "p_x", "p", "g", "g_hat", "memory_weight"} <= set(res)
    for b, ep in enumerate(eps):
        rev = ep.revisit
        stored_p = ep.nodes[bench.nearest_earlier(res["p_x"][b], res["p"][b])]
        assert np.array_equal(stored_p[rev], ep.nodes[rev])
        g_route = ep.nodes[bench.nearest_earlier(res["g_hat"][b], res["g"][b])]
        assert (g_route[rev] == ep.nodes[rev]).mean() < 0.5


def test_memory_weight_is_tems_precision_weighting(bench):
    """g = w g_hat + (1 - w) g_path per unit, with the benchmark's w (after p2g's warm-up)."""
    model = get_model("tem-3", TINY).eval()
    model.trained_steps = 5000  # p2g_use ~ 1: the memory's sigma without its offset
    eps = _unique_pair_walks(model, 2, 30)
    obs = torch.from_numpy(np.stack([ep.observations for ep in eps]))
    ctx = torch.from_numpy(np.stack([ep.contexts for ep in eps]))
    acts = torch.from_numpy(np.stack([ep.actions for ep in eps]))
    state = model.initial_state(2)
    with torch.no_grad():
        first = model(
            acts[:, :10], obs[:, :10], state, torch.ones(2, dtype=torch.bool), context=ctx[:, :10]
        )
        out = model(
            acts[:, 10:20],
            obs[:, 10:20],
            first.state,
            torch.zeros(2, dtype=torch.bool),
            context=ctx[:, 10:20],
        )
        parts = bench.tem3_parts(model, out, obs[:, 10:20], ctx[:, 10:20], first.state.g)
    w = parts["memory_weight"]
    assert float(w.max()) > 1e-3  # the memory weighs (else the identity below is trivial)
    mixed = w * parts["g_hat"] + (1 - w) * out.joint.g_gen
    torch.testing.assert_close(mixed, out.joint.g, atol=1e-5, rtol=1e-4)


def test_completion_reports_each_place_decoder_with_the_same_oracle(model, bench):
    rec = bench.completion(model, 2, 45, seed=0, n_c=0)
    rows = rec["recalls"]
    names = ["g|x,c", "g|x,c stored p", "g|x,c query only"]
    assert len({(rows[k]["oracle"], rows[k]["n"], rows[k]["chance"]) for k in names}) == 1
    assert rows["g|own g"]["oracle"] == 1.0 and rows["g|own g"]["n"] == rows["g|x,c"]["n"]
    diag = rec["tem3_place_diagnostics"]
    assert diag["g_units"] == model.config.model.n_g
    assert 0.0 <= diag["memory_weight_median"] <= 1.0
