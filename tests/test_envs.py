import numpy as np
import pytest

from hippocore.envs import arena_trajectory, assign_observations, make_world, random_walk, tem_walk


@pytest.mark.parametrize(
    ("kind", "n_dirs", "interior_degree", "edges_3x3"),
    [("square", 4, 4, 12), ("hexagonal", 6, 6, 16), ("eight", 8, 8, 20)],
)
def test_lattice_degrees_and_edges(kind, n_dirs, interior_degree, edges_3x3):
    w = make_world(kind, 7)
    deg = w.adjacency.sum(axis=1)
    assert deg.max() == interior_degree
    inner = (w.coords[:, 0] > 1.5 * w.spacing) & (w.coords[:, 0] < w.extent[1] - 1.5 * w.spacing)
    inner &= (w.coords[:, 1] > 1.5 * w.spacing) & (w.coords[:, 1] < w.extent[3] - 1.5 * w.spacing)
    assert np.all(deg[inner] == interior_degree)
    assert make_world(kind, 3).n_edges == edges_3x3
    assert w.n_actions == n_dirs + 1 and w.actions[-1] == "stay"
    assert np.allclose(w.adjacency, w.adjacency.T)


@pytest.mark.parametrize("kind", ["square", "hexagonal", "eight"])
def test_actions_move_in_their_direction_by_the_lattice_distance(kind):
    w = make_world(kind, 6, 5, spacing=0.2)
    for a, angle in enumerate(w.action_angles):
        src = np.flatnonzero(w.transitions[:, a] >= 0)
        dst = w.transitions[src, a]
        step = w.coords[dst] - w.coords[src]
        if np.isnan(angle):
            assert np.all(dst == src)
            continue
        length = np.linalg.norm(step, axis=1)
        expected = 0.2 * (np.sqrt(2) if kind == "eight" and a % 2 == 1 else 1.0)
        assert np.allclose(length, expected)
        assert np.allclose(np.arctan2(step[:, 1], step[:, 0]) % (2 * np.pi), angle % (2 * np.pi))


def test_direction_indices_do_not_depend_on_stay_or_size():
    a = make_world("hexagonal", 4, stay=False)
    b = make_world("hexagonal", 9, stay=True)
    assert a.actions == b.actions[:-1]
    assert a.n_actions == 6 and "stay" not in a.actions


def test_hexagonal_coordinates_are_equilateral():
    w = make_world("hexagonal", 5, spacing=1.0)
    d = np.linalg.norm(w.coords[:, None] - w.coords[None], axis=-1)
    assert np.allclose(d[w.adjacency], 1.0)
    # Every pair at unit distance is connected: no missing edges.
    assert np.array_equal(np.isclose(d, 1.0), w.adjacency)


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        (("triangle", 5), ValueError, "unknown lattice kind"),
        (("square", 1), ValueError, "at least 2"),
        (("square", -3), ValueError, "at least 2"),
        (("square", 4.5), TypeError, "integer"),
        (("square", 4, 0), ValueError, "at least 2"),
    ],
)
def test_make_world_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        make_world(*args)


def test_make_world_bad_spacing():
    with pytest.raises(ValueError, match="spacing"):
        make_world("square", 4, spacing=-1)


def test_observations_iid_and_seeded():
    w = make_world("square", 30)
    a = assign_observations(w, 45, seed=3)
    assert np.array_equal(a, assign_observations(w, 45, seed=3))
    assert a.min() >= 0 and a.max() < 45
    counts = np.bincount(a, minlength=45)
    # 900 nodes over 45 classes: chi-square with 44 dof stays far below 100.
    chi2 = np.sum((counts - 20) ** 2 / 20)
    assert chi2 < 100
    with pytest.raises(ValueError, match="n_x"):
        assign_observations(w, 1)


def test_random_walk_is_valid_uniform_and_seeded():
    w = make_world("square", 6)
    walk = random_walk(w, 20000, seed=1)
    assert np.array_equal(w.transitions[walk.nodes[:-1], walk.actions], walk.nodes[1:])
    assert np.array_equal(walk.nodes, random_walk(w, 20000, seed=1).nodes)
    # Interior nodes: every one of the 5 actions (4 moves + stay) equally likely.
    inner = np.isin(walk.nodes[:-1], np.flatnonzero(w.adjacency.sum(1) == 4))
    freq = np.bincount(walk.actions[inner], minlength=5) / inner.sum()
    assert np.allclose(freq, 0.2, atol=0.02)
    # Stationary distribution of a uniform walk is proportional to the number of actions.
    visits = np.bincount(walk.nodes, minlength=w.n_nodes) / walk.nodes.size
    expected = w.available.sum(1) / w.available.sum()
    assert np.allclose(visits, expected, atol=0.015)


def test_tem_walk_runs_straighter_than_random():
    w = make_world("hexagonal", 15)
    rw = random_walk(w, 20000, seed=2)
    tw = tem_walk(w, 20000, seed=2, direction_bias=0.25)
    assert np.array_equal(w.transitions[tw.nodes[:-1], tw.actions], tw.nodes[1:])

    def repeat_rate(walk):
        a = walk.actions
        return np.mean(a[1:] == a[:-1])

    # Uniform: P(repeat) = 1/7 (6 moves + stay). Biased: a fraction `direction_bias` of steps
    # follow the heading, which mostly repeats the last move: 0.25 * ~0.9 + 0.75 / 7 ~ 0.33.
    assert repeat_rate(rw) == pytest.approx(1 / 7, abs=0.015)
    assert 0.25 < repeat_rate(tw) < 0.36
    strong = tem_walk(w, 20000, seed=3, direction_bias=1.0)
    assert repeat_rate(strong) > 0.8
    assert len(np.unique(tw.nodes)) == w.n_nodes  # still explores everything


def test_walk_bad_input():
    w = make_world("square", 3)
    with pytest.raises(ValueError, match="n_steps"):
        random_walk(w, -1)
    with pytest.raises(ValueError, match="start"):
        random_walk(w, 5, start=99)
    with pytest.raises(ValueError, match="direction_bias"):
        tem_walk(w, 5, direction_bias=2.0)
    with pytest.raises(TypeError, match="World"):
        random_walk("square", 5)


def test_arena_trajectory_is_rat_like():
    tr = arena_trajectory(600, seed=0, limits=(-0.5, 0.5, -0.5, 0.5))
    assert tr.time.size == 30000 and np.allclose(np.diff(tr.time), 0.02)
    assert tr.positions.min() >= -0.5 and tr.positions.max() <= 0.5
    assert 0.10 < tr.speed.mean() < 0.20  # rats forage at 10-20 cm/s
    assert np.percentile(tr.speed, 95) < 0.6
    h, _, _ = np.histogram2d(*tr.positions.T, bins=20, range=[[-0.5, 0.5], [-0.5, 0.5]])
    assert (h > 0).mean() > 0.95  # 5-cm bins of a 1-m box covered in 10 minutes
    # Heading changes smoothly: 50-Hz turning is rarely more than 45 degrees.
    turn = np.abs(np.angle(np.exp(1j * np.diff(tr.head_direction))))
    assert np.mean(turn > np.pi / 4) < 0.05
    same = arena_trajectory(10, seed=4)
    assert np.array_equal(same.positions, arena_trajectory(10, seed=4).positions)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"duration": -1}, "duration"),
        ({"duration": 1, "limits": (0, -1, 0, 1)}, "x_min < x_max"),
        ({"duration": 1, "dt": 0}, "dt"),
        ({"duration": 0.01}, "at least 2"),
    ],
)
def test_arena_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        arena_trajectory(**kwargs)
