"""Synthetic data with known answers, for tests, docs and sanity checks on real pipelines.

Tuning functions (:func:`grid_rate`, :func:`band_rate`, :func:`place_rate`,
:func:`square_grid_rate`), the same evaluated on map bins (:func:`grid_map`,
:func:`band_map`, :func:`place_map`), and lab-like recordings with Poisson spikes
(:func:`synthetic_recording`), and the same written as an Axona trial
(:func:`write_axona_trial`). All randomness is explicit (``seed``).
"""

from hippocore.testing._axona import AxonaTrial, write_axona_trial, write_tetrode_file
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
    "poisson_spikes",
    "synthetic_recording",
    "AxonaTrial",
    "write_axona_trial",
    "write_tetrode_file",
]
