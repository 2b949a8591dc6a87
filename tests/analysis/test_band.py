"""Band cells: the Krupic et al. (2012) 2-D Fourier method on known answers."""

import numpy as np
import pytest

from hippocore.analysis._band import (
    band_score,
    fourier_components,
    fourier_spectrum,
    max_fourier_power,
)
from hippocore.testing import band_map, grid_map, place_map


def _axial(a, b):
    d = abs(a - b) % np.pi
    return min(d, np.pi - d)


@pytest.mark.parametrize("orientation", [0.0, 0.4, 1.2, 2.5])
@pytest.mark.parametrize("wavelength", [0.2, 0.3, 0.45])
def test_plane_wave_gives_one_direction_at_its_wavelength_and_is_a_band(orientation, wavelength):
    m = band_map((40, 40), bin_size=0.025, wavelength=wavelength, orientation=orientation)
    b = band_score(m, bin_size=0.025)
    c = b.components
    assert b.label == "band"
    assert b.n_components == 1
    assert _axial(c.directions[0], orientation) < np.deg2rad(3)
    assert c.wavelengths[0] == pytest.approx(wavelength, rel=0.06)
    assert b.dominance == pytest.approx(1.0)


@pytest.mark.parametrize("orientation", [0.0, 0.3, 0.8])
def test_ideal_grid_gives_three_directions_60_degrees_apart(orientation):
    spacing = 0.4
    m = grid_map((40, 40), bin_size=0.025, spacing=spacing, orientation=orientation)
    b = band_score(m, bin_size=0.025)
    assert b.label == "grid"
    d = b.components.directions[:3]
    for i, j in ((0, 1), (0, 2), (1, 2)):
        assert _axial(d[i], d[j]) == pytest.approx(np.pi / 3, abs=np.deg2rad(4))
    # wave vectors are perpendicular to the lattice axes (orientation + 30° + k 60°)
    for k in range(3):
        assert min(_axial(x, orientation + np.pi / 6 + k * np.pi / 3) for x in d) < np.deg2rad(4)
    np.testing.assert_allclose(b.components.wavelengths[:3], spacing * np.cos(np.pi / 6), rtol=0.06)
    assert b.dominance < 0.5


def test_threshold_above_the_peak_means_not_significant():
    m = band_map((40, 40), bin_size=0.025)
    peak = max_fourier_power(m, bin_size=0.025)
    assert band_score(m, bin_size=0.025, power_threshold=peak * 0.5).significant is True
    b = band_score(m, bin_size=0.025, power_threshold=peak * 1.01)
    assert b.significant is False and b.label == "none" and b.n_components == 0


def test_max_power_is_vectorised_and_matches_the_spectrum():
    maps = np.stack([band_map((30, 30)), place_map((30, 30), centres=[(0.3, 0.4)])])
    stacked = max_fourier_power(maps, bin_size=0.025)
    for m, v in zip(maps, stacked, strict=True):
        power, freqs = fourier_spectrum(m, bin_size=0.025)
        fx, fy = np.meshgrid(freqs, freqs)
        rad = np.hypot(fx, fy)
        keep = (rad > 0) & (rad <= 1 / 0.1 + 1e-12)
        assert v == pytest.approx(power[keep].max())
        assert v == pytest.approx(max_fourier_power(m, bin_size=0.025))


def test_nan_bins_and_mean_removal():
    m = band_map((40, 40), bin_size=0.025, wavelength=0.3, orientation=0.5)
    m[:5, :5] = np.nan
    c = fourier_components(m, bin_size=0.025)
    assert _axial(c.directions[0], 0.5) < np.deg2rad(3)
    # a constant map has no structure at all
    assert max_fourier_power(np.full((20, 20), 4.0), bin_size=0.025) == pytest.approx(0, abs=1e-18)


def test_bad_arguments():
    with pytest.raises(ValueError, match="fft_size"):
        max_fourier_power(np.ones((300, 300)), bin_size=0.01)
    with pytest.raises(ValueError, match="Nyquist"):
        fourier_components(np.ones((10, 10)), bin_size=0.1, min_wavelength=0.1)
    with pytest.raises(ValueError, match="one map"):
        fourier_components(np.ones((2, 10, 10)), bin_size=0.1)
