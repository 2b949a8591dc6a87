"""Unit-pair structure across environments (pair_structure) and lattice node maps."""

import numpy as np
import pytest

from hippocore.analysis import (
    lattice_fields,
    lattice_node_means,
    lattice_rate_map,
    pair_structure,
    spatial_correlation,
)
from hippocore.analysis._remap import unit_pair_correlations
from hippocore.envs import make_world, random_walk
from hippocore.testing import grid_rate

ORI = 0.2  # grid orientation (rad)


def _module(xy, spacing, phases, orientation=ORI):
    """Ideal grid cells of one module (same spacing and orientation), one per phase."""
    return np.stack(
        [
            grid_rate(
                xy, spacing=spacing, orientation=orientation, phase=p, field_sigma=0.2 * spacing
            )
            for p in phases
        ]
    )


def _half_period(spacing, orientation=ORI):
    return spacing / 2 * np.array([np.cos(orientation), np.sin(orientation)])


@pytest.mark.parametrize("spacing", [0.4, 0.5, 0.7])
def test_translated_module_keeps_pairs_while_each_map_anticorrelates(spacing):
    # Every map of the module moves by half a grid period (as when a path integrator
    # starts at another node): each unit's map is anti-correlated with itself, the pair
    # structure is unchanged.
    world = make_world("hexagonal", 11)
    phases = np.random.default_rng(0).uniform(0, 1, (8, 2))
    a = _module(world.coords, spacing, phases)
    b = _module(world.coords, spacing, phases + _half_period(spacing))
    ps = pair_structure(a, b)
    assert ps.r > 0.95
    assert ps.n_pairs == 8 * 7 // 2
    assert np.mean(spatial_correlation(a[:, None], b[:, None])) < -0.1


def test_walks_from_different_start_nodes_keep_pairs_not_maps():
    # Units that path-integrate from the start node: activity = grid of (position - start).
    # Two walks (two worlds) from different start nodes give shifted node maps.
    world = make_world("hexagonal", 11)
    phases = np.random.default_rng(1).uniform(0, 0.5, (6, 2))
    maps = []
    for start, seed in ((5, 0), (115, 1)):
        walk = random_walk(world, 30 * world.n_nodes, start=start, seed=seed)
        rel = world.coords[walk.nodes] - world.coords[start]
        act = _module(rel, 0.5, phases).T  # (n_steps, n_unit)
        maps.append(lattice_node_means(world, walk.nodes, act))
    assert pair_structure(*maps).r > 0.95
    assert np.mean(spatial_correlation(maps[0][:, None], maps[1][:, None])) < 0.5


def test_modules_that_realign_independently_keep_within_module_pairs():
    world = make_world("hexagonal", 11)
    rng = np.random.default_rng(2)
    spacings = (0.4, 0.55, 0.7)
    phases = [rng.uniform(0, 1, (6, 2)) for _ in spacings]
    shifts = [rng.uniform(0, 1, 2) for _ in spacings]  # each module moves its own way
    a = np.concatenate([_module(world.coords, s, p) for s, p in zip(spacings, phases, strict=True)])
    b = np.concatenate(
        [_module(world.coords, s, p + d) for s, p, d in zip(spacings, phases, shifts, strict=True)]
    )
    groups = np.repeat(["m0", "m1", "m2"], 6)
    ps = pair_structure(a, b, groups=groups)
    assert ps.group_labels.tolist() == ["m0", "m1", "m2"]
    assert ps.group_n_pairs.tolist() == [15, 15, 15]
    assert ps.n_pairs == 45
    assert np.all(ps.group_r > 0.95)
    assert ps.r > 0.95


@pytest.mark.parametrize("seed", range(5))
def test_independent_maps_score_about_zero(seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(40, 121))
    b = rng.normal(size=(40, 121))
    assert abs(pair_structure(a, b).r) < 0.15  # sd over 780 pairs is ~0.04


def test_properties_symmetry_affine_and_permutation_invariance():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(12, 50))
    b = a + 0.5 * rng.normal(size=a.shape)
    r = pair_structure(a, b).r
    assert 0.3 < r < 1
    assert pair_structure(b, a).r == pytest.approx(r, abs=1e-12)
    scale = rng.uniform(0.5, 3, (12, 1))
    assert pair_structure(a * scale + 7, b).r == pytest.approx(r, abs=1e-9)
    perm = rng.permutation(12)
    assert pair_structure(a[perm], b[perm]).r == pytest.approx(r, abs=1e-12)
    # a maps stack (unit, y, x) is the same as its flattened (unit, n) form
    assert pair_structure(a.reshape(12, 5, 10), b).r == pytest.approx(r, abs=1e-12)
    # the two environments may have different numbers of samples (rooms of other sizes)
    assert np.isfinite(pair_structure(a, b[:, :30]).r)


def test_unit_pair_correlations_match_numpy_without_nan():
    x = np.random.default_rng(4).normal(size=(9, 40))
    np.testing.assert_allclose(unit_pair_correlations(x), np.corrcoef(x), atol=1e-12)


def test_nan_is_left_out_pairwise():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 30))
    x[0, :5] = np.nan  # unvisited by unit 0 only
    c = unit_pair_correlations(x)
    assert c[0, 1] == pytest.approx(np.corrcoef(x[0, 5:], x[1, 5:])[0, 1], abs=1e-12)
    assert c[2, 3] == pytest.approx(np.corrcoef(x[2], x[3])[0, 1], abs=1e-12)
    np.testing.assert_array_equal(c, c.T)
    original = x.copy()
    pair_structure(x, x)
    np.testing.assert_array_equal(x, original)  # inputs untouched


def test_constant_and_empty_units_leave_their_pairs_out():
    rng = np.random.default_rng(6)
    a = rng.normal(size=(6, 40))
    b = a + 0.3 * rng.normal(size=a.shape)
    a[2] = 3.0  # silent / constant unit
    b[4] = np.nan  # never defined
    ps = pair_structure(a, b)
    assert np.isnan(ps.corr_a[2]).all() and np.isnan(ps.corr_b[4]).all()
    assert ps.n_pairs == 4 * 3 // 2  # pairs among the 4 units defined in both
    assert np.isfinite(ps.r)


def test_too_few_pairs_or_samples_give_nan():
    a = np.array([[0.0, 1, 2, 3], [1.0, 0, 3, 2]])
    assert np.isnan(pair_structure(a, a).r)  # one pair: no correlation across pairs
    x = np.random.default_rng(7).normal(size=(5, 20))
    ps = pair_structure(x, x, min_samples=21)
    assert np.isnan(ps.r) and ps.n_pairs == 0 and np.isnan(ps.corr_a).all()


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "fragment"),
    [
        ((np.zeros((3, 5)), np.zeros((4, 5))), {}, ValueError, "same units"),
        ((np.zeros((1, 5)), np.zeros((1, 5))), {}, ValueError, "at least 2 units"),
        ((np.zeros((3, 5)), np.zeros((3, 5))), {"groups": [0, 1]}, ValueError, "groups"),
        ((np.full((3, 5), np.inf), np.zeros((3, 5))), {}, ValueError, "stack_a"),
        ((np.zeros((3, 5)), np.zeros((3, 5))), {"min_samples": 1}, ValueError, "min_samples"),
        ((np.zeros(5), np.zeros(5)), {}, ValueError, "stack_a"),
    ],
)
def test_bad_input(args, kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        pair_structure(*args, **kwargs)


@pytest.mark.parametrize("kind", ["square", "hexagonal", "eight"])
def test_lattice_node_means(kind):
    world = make_world(kind, 6)
    rng = np.random.default_rng(8)
    nodes = rng.integers(0, world.n_nodes - 1, 400)  # the last node is never visited
    act = rng.normal(size=(400, 3))
    m = lattice_node_means(world, nodes, act)
    assert m.shape == (3, world.n_nodes)
    assert np.isnan(m[:, -1]).all()
    k = nodes[0]
    np.testing.assert_allclose(m[:, k], act[nodes == k].mean(axis=0), atol=1e-12)
    np.testing.assert_array_equal(m, lattice_fields(world, nodes, act).node_rate)
    assert lattice_node_means(world, nodes, act[:, 0]).shape == (world.n_nodes,)
    if kind == "square":  # one bin per node: the rate map holds the same values
        rm = lattice_rate_map(world, nodes, act)
        cols = np.rint(world.coords[:, 0] / world.spacing).astype(int)
        rows = np.rint(world.coords[:, 1] / world.spacing).astype(int)
        np.testing.assert_allclose(rm.rate_raw[:, rows, cols], m, atol=1e-12)


def test_one_field_at():
    world = make_world("square", 9)  # node = row * 9 + col
    nodes = np.tile(np.arange(world.n_nodes), 2)
    one = (nodes == 40) * 1.0
    two = (nodes == 40) * 1.0 + (nodes == 0) * 0.8
    wide = np.isin(nodes, [40, 41, 49]) * 1.0
    silent = np.zeros(nodes.size)
    f = lattice_fields(world, nodes, np.stack([one, one, two, wide, silent], axis=1))
    got = f.one_field_at([40, 41, 40, 49, 40])
    assert got.tolist() == [True, False, False, True, False]
    with pytest.raises(ValueError, match="one node per unit"):
        f.one_field_at([40])
    with pytest.raises(ValueError, match="0..80"):
        f.one_field_at([40, 40, 40, 40, 81])


# -- spatial relation of pairs: lattice cross-correlograms ------------------------------


def _hex_grid(xy, spacing, orientation, phase):
    turns = orientation + np.array([0.0, 2 * np.pi / 3, 4 * np.pi / 3])
    k = 4 * np.pi / (np.sqrt(3) * spacing) * np.stack([np.cos(turns), np.sin(turns)], 1)
    return np.cos((xy - phase) @ k.T).sum(1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pair_offsets_keep_translated_grids_and_drop_a_non_spatial_latent(seed):
    from hippocore.analysis import pair_offset_structure
    from hippocore.envs import make_world

    world = make_world("hexagonal", 11)
    xy = world.coords / world.spacing
    rng = np.random.default_rng(seed)
    phases = rng.uniform(0, 5, (12, 2))
    a = np.stack([_hex_grid(xy, 5.0, 0.3, p) for p in phases])
    shift = rng.uniform(-3, 3, 2)  # the whole module moves (another start node)
    b = np.stack([_hex_grid(xy, 5.0, 0.3, p + shift) for p in phases])
    assert pair_offset_structure(world, a, world, b).r > 0.9
    # Units that read one latent through fixed weights, the latent unrelated to place:
    # the zero-lag pair structure is kept (it is the weights), the spatial relation is not.
    mix = rng.normal(size=(12, 6))
    za, zb = rng.normal(size=(6, world.n_nodes)), rng.normal(size=(6, world.n_nodes))
    assert pair_structure(mix @ za, mix @ zb).r > 0.8
    assert abs(pair_offset_structure(world, mix @ za, world, mix @ zb).r) < 0.2
    # Grids whose phases change independently between the worlds: no kept relation.
    other = np.stack([_hex_grid(xy, 5.0, 0.3, p) for p in rng.uniform(0, 5, (12, 2))])
    assert abs(pair_offset_structure(world, a, world, other).r) < 0.2


def test_pair_offsets_groups_and_bad_input():
    from hippocore.analysis import lattice_cross_correlograms, pair_offset_structure
    from hippocore.envs import make_world

    world = make_world("hexagonal", 9)
    rng = np.random.default_rng(0)
    maps = rng.normal(size=(4, world.n_nodes))
    res = pair_offset_structure(world, maps, world, maps, groups=[0, 0, 1, 1])
    assert res.pairs.tolist() == [[0, 1], [2, 3]]
    np.testing.assert_allclose(res.pair_r, 1.0)  # identical maps: identical correlograms
    xc, disp = lattice_cross_correlograms(world, maps, max_lag=1)
    assert xc.shape == (6, 4, 4) and np.allclose(np.linalg.norm(disp, axis=1), world.spacing)
    with pytest.raises(ValueError, match="node_maps must have shape"):
        pair_offset_structure(world, maps[:, :-1], world, maps)
    with pytest.raises(ValueError, match="same units"):
        pair_offset_structure(world, maps, world, maps[:3])
    with pytest.raises(TypeError, match="lattice world"):
        pair_offset_structure(object(), maps, world, maps)
    with pytest.raises(ValueError, match="same kind and spacing"):
        square = make_world("square", 9)
        pair_offset_structure(world, maps, square, rng.normal(size=(4, square.n_nodes)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_split_half_pair_structure_keeps_space_and_drops_fixed_weights(seed):
    """Split-half pair structure: ~1 for moved grid modules, ~0 for a non-spatial latent.

    Units reading one latent through fixed weights keep their zero-lag pair structure in
    every environment (> 0.8, the weights), spatial or not; computed across two halves of
    each recording only place-locked structure survives.
    """
    from hippocore.envs import make_world

    world = make_world("hexagonal", 11)
    xy = world.coords / world.spacing
    rng = np.random.default_rng(seed)
    phases = rng.uniform(0, 5, (12, 2))
    shift = rng.uniform(-3, 3, 2)
    env_a = np.stack([_hex_grid(xy, 5.0, 0.3, p) for p in phases])
    env_b = np.stack([_hex_grid(xy, 5.0, 0.3, p + shift) for p in phases])

    def halves(maps):  # the same place-locked maps in both halves, plus sampling noise
        return [maps + 0.3 * rng.normal(size=maps.shape) for _ in range(2)]

    (a1, a2), (b1, b2) = halves(env_a), halves(env_b)
    res = pair_structure(a1, b1, second_a=a2, second_b=b2)
    assert res.r > 0.9
    assert np.nanmin(np.diag(res.corr_a)) > 0.8  # each unit's split-half reliability
    # 60 units reading a 40-dimensional latent at 225 nodes: over 100 seeds the zero-lag
    # structure was 0.83-0.92 and the split-half one 0 +- 0.054 (largest |r| 0.164)
    mix = rng.normal(size=(60, 40))
    za = [rng.normal(size=(40, 225)) for _ in range(4)]  # the latent differs in each half
    assert pair_structure(mix @ za[0], mix @ za[2]).r > 0.75  # zero-lag: kept by the weights
    split = pair_structure(mix @ za[0], mix @ za[2], second_a=mix @ za[1], second_b=mix @ za[3])
    assert abs(split.r) < 0.25


def test_split_half_bad_input():
    maps = np.random.default_rng(0).normal(size=(4, 20))
    with pytest.raises(ValueError, match="go together"):
        pair_structure(maps, maps, second_a=maps)
    with pytest.raises(ValueError, match="second_b must hold the same units"):
        pair_structure(maps, maps, second_a=maps, second_b=maps[:3])
    np.testing.assert_allclose(  # identical halves: the split-half structure is the plain one
        pair_structure(maps, maps[::-1], second_a=maps, second_b=maps[::-1]).r,
        pair_structure(maps, maps[::-1]).r,
    )
