import numpy as np
import pytest
from scipy import ndimage

from hippocore.schema import spike_trains, validate
from hippocore.testing import (
    band_map,
    band_rate,
    grid_map,
    grid_rate,
    place_map,
    poisson_spikes,
    square_grid_rate,
    synthetic_recording,
)


def _local_maxima(m, thresh):
    peaks = (m == ndimage.maximum_filter(m, size=3)) & (m > thresh)
    return np.argwhere(peaks)


def test_grid_rate_fields_sit_on_a_triangular_lattice():
    spacing, theta, phase = 0.4, np.deg2rad(20), (0.13, 0.07)
    basis = spacing * np.array(
        [[np.cos(theta + k * np.pi / 3), np.sin(theta + k * np.pi / 3)] for k in range(6)]
    )
    centre = np.array([phase])
    assert np.isclose(
        grid_rate(centre, spacing=spacing, orientation=theta, phase=phase, peak_rate=7), 7
    )
    # All six neighbours of a field are fields too, at exactly `spacing`.
    nb = grid_rate(centre + basis, spacing=spacing, orientation=theta, phase=phase, peak_rate=7)
    assert np.allclose(nb, 7)
    # Halfway between two fields the rate is low.
    mid = grid_rate(centre + basis[:1] / 2, spacing=spacing, orientation=theta, phase=phase)
    assert mid[0] < 1.0


def test_grid_map_spacing_in_bins():
    m = grid_map((80, 80), bin_size=0.025, spacing=0.5, orientation=0.0)
    peaks = _local_maxima(m, 5)
    d = np.linalg.norm(peaks[:, None] - peaks[None], axis=-1)
    d[d == 0] = np.inf
    assert np.median(d.min(axis=1)) == pytest.approx(0.5 / 0.025, abs=1)


def test_square_lattice_has_four_nearest_neighbours():
    p0 = np.array([[0.0, 0.0]])
    steps = 0.3 * np.array([[1, 0], [0, 1], [-1, 0], [0, -1]])
    assert np.allclose(square_grid_rate(p0 + steps, spacing=0.3), 10)
    assert (
        square_grid_rate(
            p0 + 0.3 * np.array([[np.cos(np.pi / 3), np.sin(np.pi / 3)]]), spacing=0.3
        )[0]
        < 5
    )


def test_band_rate_is_a_plane_wave():
    theta, lam = np.deg2rad(30), 0.3
    k = np.array([np.cos(theta), np.sin(theta)])
    perp = np.array([-k[1], k[0]])
    x0 = np.array([[0.2, 0.1]])
    r0 = band_rate(x0, wavelength=lam, orientation=theta)
    assert np.allclose(band_rate(x0 + lam * k, wavelength=lam, orientation=theta), r0)
    assert np.allclose(band_rate(x0 + 0.77 * perp, wavelength=lam, orientation=theta), r0)
    m = band_map((40, 40), wavelength=lam)
    assert m.max() <= 10 and m.min() >= 0
    assert np.allclose(m, m[:1])  # orientation 0: constant along y


def test_place_map_peaks_at_its_centres():
    centres = [(0.2125, 0.3125), (0.8125, 0.7125)]  # bin centres of a 2.5-cm grid
    m = place_map((40, 40), bin_size=0.025, centres=centres, sigma=0.05)
    peaks = _local_maxima(m, 5)
    assert len(peaks) == 2
    got = sorted(((c + 0.5) * 0.025, (r + 0.5) * 0.025) for r, c in peaks)
    assert np.allclose(got, centres)
    assert m.max() == pytest.approx(10)


def test_generators_bad_input():
    with pytest.raises(ValueError, match="spacing"):
        grid_rate(np.zeros((1, 2)), spacing=-1)
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        grid_rate(np.zeros((4, 3)), spacing=1)
    with pytest.raises(ValueError, match="wavelength"):
        band_rate(np.zeros((1, 2)), wavelength=0)
    with pytest.raises(ValueError, match="shape"):
        grid_map((0, 4))


def test_poisson_spikes_have_poisson_counts():
    rng = np.random.default_rng(0)
    t = np.arange(0, 2000, 0.02)
    rate = 5 + 4 * np.sin(t)
    spikes = poisson_spikes(t, rate, seed=rng)
    expected = np.sum(rate * 0.02)
    assert abs(spikes.size - expected) < 4 * np.sqrt(expected)
    assert np.all(np.diff(spikes) >= 0) and spikes.min() >= 0
    # Rate modulation shows up in the spike density.
    hi = np.sin(spikes) > 0.5
    assert hi.mean() > 0.4
    with pytest.raises(ValueError, match="non-negative"):
        poisson_spikes(t[:3], np.array([1.0, -1.0, 1.0]))


def test_synthetic_recording_known_answers():
    ds = synthetic_recording(600, seed=1)
    validate(ds)
    assert (
        list(ds.cell_type.values) == ["grid"] * 4 + ["band"] * 2 + ["place"] * 2 + ["uniform"] * 2
    )
    trains = spike_trains(ds)
    rates = np.array([s.size for s in trains]) / 600
    # Untuned cells fire at peak/5 + baseline = 2.1 Hz.
    assert np.allclose(rates[-2:], 2.1, rtol=0.1)
    # Spikes of a place cell concentrate near its field.
    pos = ds.position.values
    idx = np.searchsorted(ds.time.values, trains[6], side="right") - 1
    spike_pos = pos[idx]
    spread_spikes = np.linalg.norm(spike_pos - np.median(spike_pos, axis=0), axis=1)
    spread_all = np.linalg.norm(pos - np.median(spike_pos, axis=0), axis=1)
    assert np.median(spread_spikes) < 0.5 * np.median(spread_all)
    again = synthetic_recording(600, seed=1)
    assert np.array_equal(again.spike_time.values, ds.spike_time.values)
    with pytest.raises(ValueError, match="at least one cell"):
        synthetic_recording(10, n_grid=0, n_band=0, n_place=0, n_uniform=0)


def test_plane_wave_grid_is_hexagonal_non_negative_and_peaks_at_its_phase():
    from hippocore.testing import plane_wave_grid_rate

    lam, theta, phase = 0.5, np.deg2rad(17), np.array([0.3, -0.2])
    rng = np.random.default_rng(0)
    pts = rng.uniform(-2, 2, size=(500, 2))
    r = plane_wave_grid_rate(pts, wavelength=lam, orientation=theta, phase=phase)
    assert r.min() >= 0 and r.max() <= 1 + 1e-12
    assert plane_wave_grid_rate(phase[None], wavelength=lam, orientation=theta, phase=phase)[
        0
    ] == pytest.approx(1.0)
    # Invariant under 60-degree rotations about a field and translation by the field spacing.
    rot = np.array([[0.5, -np.sqrt(3) / 2], [np.sqrt(3) / 2, 0.5]])
    turned = (pts - phase) @ rot.T + phase
    kw = dict(wavelength=lam, orientation=theta, phase=phase)
    np.testing.assert_allclose(plane_wave_grid_rate(turned, **kw), r, atol=1e-9)
    spacing = lam * 2 / np.sqrt(3)
    step = spacing * np.array([np.cos(theta + np.pi / 6), np.sin(theta + np.pi / 6)])
    np.testing.assert_allclose(plane_wave_grid_rate(pts + step, **kw), r, atol=1e-9)


def test_lattice_controls_shapes_ranges_and_reproducibility():
    from hippocore.envs import make_world
    from hippocore.testing import CONTROL_KINDS, lattice_controls, smooth_noise_on_nodes

    world = make_world("hexagonal", 9)
    for kind in CONTROL_KINDS:
        c = lattice_controls(world, kind, 5, seed=1)
        assert c.kind == kind and c.activity.shape == (world.n_nodes, 5)
        assert c.activity.min() >= 0 and c.activity.max() <= 1 + 1e-12
        np.testing.assert_array_equal(c.activity, lattice_controls(world, kind, 5, seed=1).activity)
        if kind == "noise":
            assert np.all((c.sigma >= 1) & (c.sigma <= 2)) and np.isnan(c.wavelength).all()
        else:
            assert np.all((c.wavelength >= 4) & (c.wavelength <= 7)) and np.isnan(c.sigma).all()
    band = lattice_controls(world, "band", 3, seed=2)
    # A band is constant along its crests: project the nodes on the wave vector.
    k = np.array([np.cos(band.orientation[0]), np.sin(band.orientation[0])])
    along = world.coords @ k / world.spacing
    expected = (1 + np.cos(2 * np.pi * along / band.wavelength[0] - band.phase[0, 0])) / 2
    np.testing.assert_allclose(band.activity[:, 0], expected, atol=1e-12)
    # Smoother noise has more correlated neighbours.
    adj = world.adjacency
    rough = smooth_noise_on_nodes(world, sigma=0.5, n_units=20, seed=0)
    smooth = smooth_noise_on_nodes(world, sigma=2.0, n_units=20, seed=0)

    def neighbour_corr(f):
        i, j = np.nonzero(adj)
        return np.mean([np.corrcoef(f[i, u], f[j, u])[0, 1] for u in range(f.shape[1])])

    assert neighbour_corr(smooth) > neighbour_corr(rough) + 0.2
    with pytest.raises(ValueError, match="kind"):
        lattice_controls(world, "place", 2)
    with pytest.raises(ValueError, match="n_units"):
        lattice_controls(world, "grid", 0)
    with pytest.raises(ValueError, match="wavelength"):
        lattice_controls(world, "grid", 2, wavelength=(7, 4))
    with pytest.raises(TypeError, match="World"):
        lattice_controls(world.coords, "grid", 2)


def test_stretched_grid_controls_are_ellipses_of_the_same_grid():
    from hippocore.analysis import autocorrelogram, gridness, lattice_rate_map
    from hippocore.envs import make_world
    from hippocore.testing import lattice_controls
    from hippocore.testing._lattice import _squeeze

    # the squeeze: a point s*d along the direction lands d along it; across it, unmoved
    centre, psi = np.array([0.3, -0.2]), np.radians(35.0)
    u, v = np.array([np.cos(psi), np.sin(psi)]), np.array([-np.sin(psi), np.cos(psi)])
    pts = centre + np.array([1.3 * 0.5 * u, 0.7 * v, 1.3 * 0.2 * u + 0.4 * v])
    want = centre + np.array([0.5 * u, 0.7 * v, 0.2 * u + 0.4 * v])
    np.testing.assert_allclose(_squeeze(pts, 1.3, psi, centre), want, atol=1e-12)

    world = make_world("hexagonal", 15)
    plain = lattice_controls(world, "grid", 12, seed=5)
    # stretch 1 draws nothing extra: the same patterns as before the option existed
    same = lattice_controls(world, "grid", 12, seed=5, stretch=1.0)
    np.testing.assert_array_equal(plain.activity, same.activity)
    # stretched grids are ellipses: their autocorrelogram axes leave 60 deg further apart
    dev = []
    for stretch in (1.0, 1.5):
        c = lattice_controls(world, "grid", 12, seed=5, stretch=stretch)
        maps = lattice_rate_map(world, np.arange(world.n_nodes), c.activity).rate
        dev.append(np.nanmedian(gridness(autocorrelogram(maps)).axis_deviation))
    assert dev[0] < 5.0 < 10.0 < dev[1]  # medians over seeds 5-8: 1.9-2.1 and 18.3-20.7 deg
    assert lattice_controls(world, "grid", 2, seed=1, stretch=1.3).parameters["stretch"] == 1.3
    with pytest.raises(ValueError, match="stretch must be a number >= 1"):
        lattice_controls(world, "grid", 2, stretch=0.8)
    with pytest.raises(ValueError, match="grids only"):
        lattice_controls(world, "band", 2, stretch=1.2)
