"""Three-stream worlds: contexts, per-context observations and the context-blind cap."""

import numpy as np
import pytest

from hippocore.envs import (
    assign_context_observations,
    complete_revisits,
    context_blind_cap,
    count_oracle,
    draw_contexts,
    expected_max_multiplicity,
    make_world,
    tem_walk,
)


def test_expected_max_multiplicity_known_values_and_simulation():
    # Two draws over k classes: M = 2 with probability 1/k.
    assert expected_max_multiplicity(2, 7) == pytest.approx(1 + 1 / 7)
    # Three draws over two classes: always a pair, all equal with probability 1/4.
    assert expected_max_multiplicity(3, 2) == pytest.approx(2.25)
    assert expected_max_multiplicity(1, 45) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    draws = rng.integers(0, 45, size=(20000, 10))
    sim = np.mean([np.bincount(r, minlength=45).max() for r in draws])
    assert expected_max_multiplicity(10, 45) == pytest.approx(sim, abs=0.02)


@pytest.mark.parametrize("n_c", [5, 10, 20, 45])
def test_cap_is_below_the_pairs_bound_and_above_chance(n_c):
    cap = context_blind_cap(45, n_c)
    assert 1 / n_c < cap <= 1 / n_c + (n_c - 1) / (2 * 45) + 1e-12


def test_cap_rises_with_longer_blocks():
    caps = [context_blind_cap(45, 5, switch_prob=s) for s in (1.0, 0.5, 0.1)]
    assert caps[0] < caps[1] < caps[2] < 1


def test_draw_contexts_blocks_and_switch_rate():
    c = draw_contexts(20000, 4, switch_prob=0.1, seed=0)
    assert set(np.unique(c)) == {0, 1, 2, 3}
    changes = np.mean(c[1:] != c[:-1])
    assert changes == pytest.approx(0.1 * 3 / 4, abs=0.01)
    iid = draw_contexts(20000, 4, seed=1)
    assert np.mean(iid[1:] != iid[:-1]) == pytest.approx(3 / 4, abs=0.01)


def test_complete_revisits_by_hand():
    nodes = np.array([0, 0, 1, 0, 0, 1, 0])
    ctx = np.array([0, 1, 0, 1, 0, 1, 1])
    # node 0 has seen contexts {0, 1} after step 1; step 3 and later at node 0 are complete.
    expect = np.array([False, False, False, True, True, False, True])
    assert np.array_equal(complete_revisits(nodes, ctx, 2), expect)


def test_count_oracles_on_walks_context_aware_perfect_blind_capped():
    """The analytic cap holds on generated walks: the blind count oracle stays at it."""
    n_x, n_c = 45, 5
    world = make_world("hexagonal", 5)
    rng = np.random.default_rng(3)
    hits_blind, hits_aware, n = 0, 0, 0
    for _ in range(40):
        table = assign_context_observations(world, n_x, n_c, seed=rng)
        walk = tem_walk(world, 1499, direction_bias=0.2, seed=rng)
        ctx = draw_contexts(1500, n_c, seed=rng)
        obs = table[ctx, walk.nodes]
        full = complete_revisits(walk.nodes, ctx, n_c)
        aware = count_oracle(walk.nodes, obs, ctx, n_x=n_x)
        blind = count_oracle(walk.nodes, obs, None, n_x=n_x)
        hits_aware += int((aware[full] == obs[full]).sum())
        hits_blind += int((blind[full] == obs[full]).sum())
        n += int(full.sum())
    cap = context_blind_cap(n_x, n_c)
    assert n > 20000
    assert hits_aware == n  # the table is deterministic given (node, context)
    # Binomial standard error ~0.003 at n > 20000; the count oracle can only do worse than
    # the table-knowing optimum, so it may not exceed the cap by more than noise.
    assert hits_blind / n <= cap + 0.01
    assert hits_blind / n > 1 / n_c - 0.01


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: draw_contexts(10, 1), "n_c must be an integer >= 2"),
        (lambda: draw_contexts(10, 3, switch_prob=0.0), "switch_prob must be a probability"),
        (lambda: draw_contexts(-1, 3), "n_steps must be a non-negative integer"),
        (lambda: context_blind_cap(45, 5, switch_prob=1.5), "switch_prob"),
        (lambda: assign_context_observations("w", 45, 5), "world must be"),
        (lambda: complete_revisits([0, 1], [0], 2), "equal length"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
