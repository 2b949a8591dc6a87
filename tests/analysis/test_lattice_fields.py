"""Fields counted on lattice nodes (hippocore.analysis.lattice_fields)."""

from __future__ import annotations

import numpy as np
import pytest

from hippocore.analysis import lattice_fields, lattice_rate_map, place_fields
from hippocore.envs import make_world


def _tour(world, repeats: int = 3) -> np.ndarray:
    return np.tile(np.arange(world.n_nodes), repeats)


@pytest.mark.parametrize("kind", ["square", "hexagonal", "eight"])
def test_single_node_unit_has_one_field(kind):
    world = make_world(kind, 9)
    nodes = _tour(world)
    act = (nodes == 40).astype(float)
    f = lattice_fields(world, nodes, act)
    assert f.n_fields.tolist() == [1]
    assert f.peak_node.tolist() == [40]
    assert f.fields[0][0].tolist() == [40]
    assert f.node_rate.shape == (1, world.n_nodes)


def test_hexagonal_single_node_field_is_lost_by_bnt_bins():
    # The reason this function exists: on half-spacing interpolated maps a one-node field
    # covers fewer bins than BNT's 9-bin minimum.
    world = make_world("hexagonal", 9)
    nodes = _tour(world)
    act = (nodes == 40).astype(float)
    rm = lattice_rate_map(world, nodes, act)
    assert place_fields(rm.rate_raw, min_peak=0.0) == []
    assert lattice_fields(world, nodes, act).n_fields[0] == 1


def test_neighbours_join_and_distant_nodes_split():
    world = make_world("square", 9)  # node = row * 9 + col
    nodes = _tour(world)
    rates = np.zeros(world.n_nodes)
    rates[[40, 41]] = 1.0  # adjacent: one field
    rates[0] = 0.5  # far corner: a second, weaker field
    rates[80] = 0.1  # below 20% of the peak: not a field
    act = np.stack([rates[nodes], (nodes == 40) * 1.0 + (nodes == 50) * 1.0], axis=1)
    f = lattice_fields(world, nodes, act)
    assert f.n_fields.tolist() == [2, 2]  # 40 and 50 are not neighbours in a 4-connected world
    assert sorted(f.fields[0][0].tolist()) == [40, 41]
    assert f.fields[0][1].tolist() == [0]
    # in an 8-connected world 40 and 50 (diagonal) are neighbours
    f8 = lattice_fields(make_world("eight", 9), nodes, act[:, 1])
    assert f8.n_fields.tolist() == [1]


def test_silent_unvisited_and_min_nodes():
    world = make_world("square", 5)
    nodes = np.array([0, 1, 2, 1, 0])
    act = np.stack([np.zeros(5), np.array([1.0, 0.0, 1.0, 0.0, 1.0])], axis=1)
    f = lattice_fields(world, nodes, act)
    assert f.peak_node[0] == -1 and f.n_fields[0] == 0
    assert np.isnan(f.node_rate[:, 3:]).all()
    assert f.occupancy[:3].tolist() == [2.0, 2.0, 1.0]
    assert f.n_fields[1] == 2  # nodes 0 and 2, not adjacent through node 1 (rate 0)
    assert lattice_fields(world, nodes, act, min_nodes=2).n_fields[1] == 0


def test_bad_input():
    world = make_world("square", 5)
    with pytest.raises(ValueError, match="nodes must be integers"):
        lattice_fields(world, [0, 25], [1.0, 1.0])
    with pytest.raises(ValueError, match="threshold"):
        lattice_fields(world, [0, 1], [1.0, 1.0], threshold=0.0)
    with pytest.raises(ValueError, match="steps"):
        lattice_fields(world, [0, 1], [1.0])
    with pytest.raises(ValueError, match="min_nodes"):
        lattice_fields(world, [0, 1], [1.0, 1.0], min_nodes=0)
    with pytest.raises(TypeError, match="World"):
        lattice_fields(object(), [0, 1], [1.0, 1.0])
