"""Synthetic data with known answers, for tests, docs and sanity checks on real pipelines.

Tuning functions (:func:`grid_rate`, :func:`band_rate`, :func:`place_rate`,
:func:`square_grid_rate`), the same evaluated on map bins (:func:`grid_map`,
:func:`band_map`, :func:`place_map`), and lab-like recordings with Poisson spikes
(:func:`synthetic_recording`), the same written as an Axona trial (:func:`write_axona_trial`),
and control patterns on lattice worlds for the grid-unit test (:func:`lattice_controls`: ideal
grids, bands, smooth noise). All randomness is explicit (``seed``).
"""

from hippocore.testing._axona import AxonaTrial, write_axona_trial, write_tetrode_file
from hippocore.testing._lattice import (
    CONTROL_KINDS,
    LatticeControls,
    lattice_controls,
    plane_wave_grid_rate,
    smooth_noise_on_nodes,
)
from hippocore.testing._maps import (
    band_map,
    band_rate,
    bin_centres,
    grid_map,
    grid_rate,
    on_bins,
    place_map,
    place_rate,
    square_grid_rate,
)
from hippocore.testing._recordings import poisson_spikes, synthetic_recording

__all__ = [
    "grid_rate",
    "square_grid_rate",
    "band_rate",
    "place_rate",
    "bin_centres",
    "on_bins",
    "grid_map",
    "band_map",
    "place_map",
    "plane_wave_grid_rate",
    "smooth_noise_on_nodes",
    "CONTROL_KINDS",
    "LatticeControls",
    "lattice_controls",
    "poisson_spikes",
    "synthetic_recording",
    "AxonaTrial",
    "write_axona_trial",
    "write_tetrode_file",
]
