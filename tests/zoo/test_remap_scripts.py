"""The remapping and gallery scripts (docs/results/scripts/remap_tem_t.py, gallery_tem_t.py).

The measures must tell a model that learned to path-integrate from one that did not. The
free-rotation model (``pretrained("tem-t-bands")``, which learned its W_a) keeps its
within-module unit-pair structure across worlds walked from different start nodes (>= 0.5;
measured ~1.0) and its memory neurons have one field at the node where the memory was
written (>= 90 %); its untrained twin has neither (measured ~0.1 and ~0.2). The default
``pretrained("tem-t")`` path-integrates by construction (lattice step vectors), so there
only the memory fields are checked; its pair structure is reported on the results page.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hippocore.envs import make_world  # noqa: E402
from hippocore.zoo import get_model, pretrained  # noqa: E402

SCRIPTS = Path(__file__).resolve().parents[2] / "docs" / "results" / "scripts"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def remap():
    return _script("remap_tem_t")


@pytest.fixture(scope="module")
def models():
    model = pretrained("tem-t-bands")
    return model, get_model("tem-t", model.config).eval()


def test_memory_unit_j_is_written_at_step_j(remap, models):
    # The wiring the memory measure rests on: unit j's one field holds nodes[j].
    model, _ = models
    world = make_world("hexagonal", 7)
    nodes, _, mem = remap.walk(model, world, 20 * world.n_nodes, seed=3, start=0, n_mem=64)
    fields, hit = remap.memory_lifetimes(model, world, nodes, mem)
    assert [j for j, _ in fields] == list(range(64))
    assert hit.mean() >= 0.9
    shifted = np.mean([f.one_field_at([nodes[j + 1]])[0] for j, f in fields])
    assert shifted < hit.mean()  # the node of the next step is not where it was written


def test_default_memory_neurons_have_one_field_at_the_write_node(remap):
    model = pretrained("tem-t")
    world = make_world("hexagonal", 9)
    args = argparse.Namespace(steps_per_node=20, memory_units=64)
    pairs = remap.start_pairs(world, 1, 3.0, seed=2024)
    trained = remap.measure(model, world, pairs, [(1, 2)], args)
    assert min(trained["memory_one_field"]) >= 0.9
    assert trained["naive_same_start"][0] > 0.9  # same start: the maps themselves agree


def test_learned_path_integrator_keeps_pairs_and_memory_fields_untrained_does_not(remap, models):
    model, twin = models
    world = make_world("hexagonal", 9)
    args = argparse.Namespace(steps_per_node=20, memory_units=64)
    pairs = remap.start_pairs(world, 1, 3.0, seed=2024)
    a, b = pairs[0]
    assert np.linalg.norm(world.coords[a] - world.coords[b]) >= 3 * world.spacing
    trained = remap.measure(model, world, pairs, [(1, 2)], args)
    untrained = remap.measure(twin, world, pairs, [(1, 2)], args)
    assert trained["pairs_module"][0] >= 0.5
    assert min(trained["memory_one_field"]) >= 0.9
    assert trained["naive_same_start"][0] > 0.9  # same start: the maps themselves agree
    assert abs(untrained["pairs_module"][0]) < 0.5
    assert max(untrained["memory_one_field"]) < 0.6


def test_gallery_script_writes_a_small_png(tmp_path):
    pytest.importorskip("matplotlib")
    gallery = _script("gallery_tem_t")
    out = tmp_path / "g.png"
    gallery.main(
        [
            "pretrained:tem-t",
            "--world",
            "hexagonal:6",
            "--steps-per-node",
            "10",
            "--out",
            str(out),
            "--dpi",
            "40",
        ]
    )
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size < 300_000


def test_context_memory_measures_on_units_with_a_known_home_and_field():
    # Unit j fires only at the node and in the context of step j (a perfect context-gated
    # memory neuron), then also at half its peak everywhere in the other context.
    rc = _script("remap_contexts_tem_t3")
    world = make_world("hexagonal", 5)
    rng = np.random.default_rng(0)
    n_steps, n_mem, n_c = 2000, 4, 2
    nodes = rng.integers(0, world.n_nodes, n_steps)
    ctx = np.r_[[0, 1, 0, 0], rng.integers(0, n_c, n_steps - 4)]
    mem = np.zeros((n_steps, n_mem))
    later = np.arange(n_steps)[:, None] > np.arange(n_mem)[None]
    for j in range(n_mem):
        mem[(nodes == nodes[j]) & (ctx == ctx[j]) & later[:, j], j] = 1.0
    out = rc.memory_measures(world, nodes, ctx, mem, 10_000, n_c)
    assert out["mem_home_share"] == 1.0 and out["mem_one_field"] == 1.0
    assert out["mem_rate_ratio"] == 0.0 and out["mem_scored"] == 4
    mem += 0.5 * ((ctx[:, None] != ctx[None, :n_mem]) & later)
    out = rc.memory_measures(world, nodes, ctx, mem, 10_000, n_c)
    assert out["mem_rate_ratio"] == 0.5 and out["mem_home_share"] < 0.5
    assert out["mem_one_field"] == 1.0  # the home-context field is unchanged
    assert np.isnan(out["mem_unit_r"]) and out["mem_r_undefined"] == 1.0  # flat away maps


def test_place_rows_known_answer():
    # Unit 0 fires at one node (one field of 1 node), unit 1 everywhere (one field of all
    # nodes), unit 2 never (inactive): 2 active units, both with one field.
    rt = _script("remap_tem")
    world = make_world("hexagonal", 5)
    nodes = np.tile(np.arange(world.n_nodes), 4)
    act = np.zeros((nodes.size, 3))
    act[nodes == 7, 0] = 1.0
    act[:, 1] = 0.5
    rows = rt.place_rows(world, nodes, act)
    assert rows["place_active"] == pytest.approx(2 / 3)
    assert rows["place_one_field"] == 1.0
    assert rows["place_field_share"] == pytest.approx((1 / world.n_nodes + 1.0) / 2)


def test_place_measures_known_answer():
    # Two contexts; unit 0 (home 0) fires at node 3 in context 0 only, unit 1 (home 1) at
    # every node in context 1 and at a quarter of that in context 0.
    rc = _script("remap_contexts_tem_t3")
    world = make_world("hexagonal", 5)
    nodes = np.tile(np.arange(world.n_nodes), 6)
    ctx = np.tile(np.repeat([0, 1], world.n_nodes), 3)
    p = np.zeros((nodes.size, 2))
    p[(nodes == 3) & (ctx == 0), 0] = 1.0
    p[ctx == 1, 1] = 1.0
    p[ctx == 0, 1] = 0.25
    out = rc.place_measures(world, nodes, ctx, p, np.array([0, 1]), 2)
    assert out["p_home_share"] == pytest.approx(np.median([1.0, 1 / 1.25]))
    assert out["p_one_field"] == 1.0 and out["p_scored"] == 2.0
    assert out["p_field_share"] == pytest.approx(np.median([1 / world.n_nodes, 1.0]))


def test_fourier_calls_of_measure_script_tell_bands_from_grids():
    # measure_tem_t.fourier_labels is what the results pages' band counts rest on: single
    # plane waves must be called "band", ideal grids "grid", with each unit's own shuffles.
    from hippocore.testing import lattice_controls

    measure = _script("measure_tem_t")
    world = make_world("hexagonal", 11)
    nodes = np.arange(world.n_nodes)
    rng = np.random.default_rng(5)
    for kind in ("band", "grid"):
        c = lattice_controls(world, kind, 6, seed=3)
        labels = measure.fourier_labels(world, nodes, c.activity, rng, n_shuffles=10)
        assert labels.count(kind) >= 5, (kind, labels)
    flat = np.zeros((world.n_nodes, 1))
    assert measure.fourier_labels(world, nodes, flat, rng, n_shuffles=10) == ["none"]


def test_drift_script_tells_a_stable_code_from_a_drifting_one():
    # g_drift_tem.pair_correlations: a code that is a function of the node alone returns the
    # same vector at every return (r = 1 at every lag); adding a random walk to it (drift)
    # must lower the same-node r as the lag grows, and different nodes stay below.
    drift = _script("g_drift_tem")
    rng = np.random.default_rng(0)
    nodes = rng.integers(0, 40, 6000)
    code = rng.normal(size=(40, 60))[nodes]
    stable = drift.pair_correlations(code, nodes, np.random.default_rng(1))
    np.testing.assert_allclose(stable[0], 1.0, atol=1e-12)
    assert np.all(stable[1] < 0.2)
    moving = code + np.cumsum(rng.normal(scale=0.05, size=code.shape), 0)
    same = drift.pair_correlations(moving, nodes, np.random.default_rng(1))[0]
    assert same[0] > 0.9 and same[-1] < 0.5 and np.all(np.diff(same) < 0), same
