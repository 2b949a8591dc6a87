"""Figures: what is drawn is the data given (values, scores, radii, panels), not just pixels."""

import io
import math

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.figure import Figure  # noqa: E402

from hippocore.analysis import (  # noqa: E402
    autocorrelogram,
    gridness,
    lattice_node_means,
    lattice_rate_map,
)
from hippocore.envs import make_world, random_walk  # noqa: E402
from hippocore.plotting import plot_autocorrelogram, plot_lattice_map, unit_gallery  # noqa: E402
from hippocore.plotting._lattice import node_cells  # noqa: E402
from hippocore.testing import grid_rate  # noqa: E402


def _area(poly):
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))


@pytest.fixture(scope="module")
def grids():
    """Ideal grid cells walked on an 11x11 hexagonal world: 3 modules x 4 units."""
    world = make_world("hexagonal", 11)
    walk = random_walk(world, 40 * world.n_nodes, seed=0)
    xy = world.coords[walk.nodes]
    rng = np.random.default_rng(0)
    spacings = np.repeat([0.6, 0.7, 0.8], 4)
    act = np.stack(
        [grid_rate(xy, spacing=s, orientation=0.3, phase=rng.uniform(0, 1, 2)) for s in spacings],
        axis=1,
    )
    node_maps = lattice_node_means(world, walk.nodes, act)
    acorr = autocorrelogram(lattice_rate_map(world, walk.nodes, act).rate)
    groups = np.repeat(["module 0", "module 1", "module 2"], 4)
    return world, node_maps, acorr, groups


@pytest.mark.parametrize(
    ("kind", "corners", "area"),
    [("hexagonal", 6, math.sqrt(3) / 2), ("square", 4, 1.0), ("eight", 4, 1.0)],
)
def test_node_cells_tile_the_lattice(kind, corners, area):
    world = make_world(kind, 5)
    cells = node_cells(world)
    assert cells.shape == (world.n_nodes, corners, 2)
    np.testing.assert_allclose(cells.mean(axis=1), world.coords, atol=1e-12)
    # each cell has the area of one lattice node (Voronoi cell): they tile without gaps
    np.testing.assert_allclose([_area(c) for c in cells], area * world.spacing**2, rtol=1e-9)


def test_lattice_map_draws_the_node_values(grids):
    world, node_maps, _, _ = grids
    values = node_maps[0].copy()
    values[3] = np.nan  # an unvisited node
    coll = plot_lattice_map(world, values, colorbar=True, title="u0")
    assert isinstance(coll.figure, Figure)
    drawn = coll.get_array()
    assert drawn.shape == (world.n_nodes,)
    assert drawn.mask.tolist() == np.isnan(values).tolist()
    np.testing.assert_array_equal(drawn.data[~drawn.mask], values[~np.isnan(values)])
    assert len(coll.get_paths()) == world.n_nodes
    assert coll.get_clim() == (np.nanmin(values), np.nanmax(values))
    ax = coll.axes
    assert ax.get_aspect() == 1.0 and ax.get_title() == "u0"
    assert len(coll.figure.axes) == 2  # the map and its colorbar


def test_lattice_map_draws_on_the_given_axes(grids):
    world, node_maps, _, _ = grids
    fig = Figure()
    ax = fig.add_subplot()
    coll = plot_lattice_map(world, node_maps[1], ax=ax, vmin=0, vmax=20)
    assert coll.axes is ax and coll.get_clim() == (0, 20)


@pytest.mark.parametrize(
    ("world", "values", "error", "fragment"),
    [
        (make_world("hexagonal", 4), np.zeros(15), ValueError, "one value per node"),
        (make_world("hexagonal", 4), np.full(16, np.inf), ValueError, "infinite"),
        ("hexagonal", np.zeros(16), TypeError, "World"),
    ],
)
def test_lattice_map_bad_input(world, values, error, fragment):
    with pytest.raises(error, match=fragment):
        plot_lattice_map(world, values)


def test_autocorrelogram_title_and_annulus_are_the_scores(grids):
    _, _, acorr, _ = grids
    for u in range(acorr.shape[0]):
        g = gridness(acorr[u])
        image = plot_autocorrelogram(acorr[u], bin_size=0.05)
        np.testing.assert_array_equal(image.get_array(), acorr[u])
        ax = image.axes
        text = ax.get_title().removeprefix("gridness ")
        if np.isnan(g.score):
            assert text == "n/a"
            continue
        assert float(text) == round(float(g.score), 2)
        radii = {p.get_label(): p.get_radius() for p in ax.patches}
        assert radii == pytest.approx(
            {"centre radius": 0.05 * g.centre_radius, "best radius": 0.05 * g.best_radius}
        )
        # zero lag is drawn at (0, 0)
        x0, x1, y0, y1 = image.get_extent()
        assert (x0 + x1, y0 + y1) == pytest.approx((0, 0))
    assert np.isfinite(gridness(acorr).score).sum() >= 6  # the fixture has real grid scores


def test_autocorrelogram_with_a_plain_score_has_no_annulus():
    acorr = np.zeros((9, 9))
    acorr[4, 4] = 1
    image = plot_autocorrelogram(acorr, gridness=0.4567)
    assert image.axes.get_title() == "gridness 0.46"
    assert len(image.axes.patches) == 0
    image = plot_autocorrelogram(acorr, gridness=float("nan"), title=True)
    assert image.axes.get_title() == "gridness n/a"


def test_gallery_has_a_map_and_an_autocorrelogram_per_unit(grids):
    world, node_maps, acorr, groups = grids
    fig = unit_gallery(world, node_maps, acorr, groups=groups, title="ideal grids")
    assert isinstance(fig, Figure)
    by_label = {ax.get_label(): ax for ax in fig.axes}
    n = node_maps.shape[0]
    assert sorted(by_label) == sorted(
        [f"map {u}" for u in range(n)] + [f"acorr {u}" for u in range(n)]
    )
    score = gridness(acorr).score
    for u in range(n):
        drawn = by_label[f"map {u}"].collections[0].get_array()
        np.testing.assert_array_equal(drawn.data, node_maps[u])
        np.testing.assert_array_equal(by_label[f"acorr {u}"].images[0].get_array(), acorr[u])
        title = by_label[f"acorr {u}"].get_title()
        assert title == ("n/a" if np.isnan(score[u]) else f"{score[u]:.2f}")
        assert by_label[f"map {u}"].get_title() == f"u{u}"
    # one row per module: the maps of a module share a row, and modules go down the page
    rows = [by_label[f"map {u}"].get_position().y0 for u in range(n)]
    for m in range(3):
        assert len(set(np.round(rows[4 * m : 4 * m + 4], 6))) == 1
    assert rows[0] > rows[4] > rows[8]
    assert [by_label[f"map {4 * m}"].get_ylabel() for m in range(3)] == list(groups[::4])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gallery_sorting_wrapping_labels_and_given_scores(grids):
    world, node_maps, acorr, _ = grids
    n = node_maps.shape[0]
    key = np.arange(n, dtype=float)
    key[5] = np.nan
    fig = unit_gallery(
        world,
        node_maps,
        acorr,
        score=np.linspace(-1, 1, n),
        labels=[f"L{u}" for u in range(n)],
        sort_by=key,
        n_cols=5,
    )
    maps = [ax for ax in fig.axes if ax.get_label().startswith("map ")]
    order = [int(ax.get_label().split()[1]) for ax in maps]  # in drawing order
    assert order == [11, 10, 9, 8, 7, 6, 4, 3, 2, 1, 0, 5]  # highest first, NaN last
    assert len({round(ax.get_position().y0, 6) for ax in maps}) == 3  # 12 units, 5 per row
    by_label = {ax.get_label(): ax for ax in fig.axes}
    assert by_label["map 7"].get_title() == "u7 L7"
    assert by_label["acorr 0"].get_title() == "-1.00"


def test_gallery_draws_on_a_given_figure(grids):
    world, node_maps, acorr, _ = grids
    fig = Figure(figsize=(6, 6))
    assert unit_gallery(world, node_maps[:2], acorr[:2], fig=fig) is fig
    assert len(fig.axes) == 4


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"acorr": np.zeros((3, 9, 9))}, "one autocorrelogram per unit"),
        ({"score": np.zeros(3)}, "score must have one value per unit"),
        ({"groups": [0, 1]}, "groups must have one value per unit"),
        ({"labels": ["a"]}, "labels must have one string per unit"),
        ({"n_cols": 0}, "n_cols"),
    ],
)
def test_gallery_bad_input(grids, kwargs, fragment):
    world, node_maps, acorr, _ = grids
    args = {"acorr": acorr, **kwargs}
    with pytest.raises(ValueError, match=fragment):
        unit_gallery(world, node_maps, args.pop("acorr"), **args)
