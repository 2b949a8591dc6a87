"""Spatial analysis of model units and real recordings with the rodent-lab methods.

Rate maps, spatial autocorrelograms and BNT gridness; place fields, spatial information,
border, head-direction, speed, remapping and band (Fourier) scores; shuffles and
classification. numpy, scipy, scikit-image and xarray only: never torch, io or plotting.
"""

from hippocore.analysis._accessor import HippocoreAccessor
from hippocore.analysis._adaptive import AdaptiveField, placefield_adaptive
from hippocore.analysis._autocorr import autocorrelogram, autocorrelogram_size
from hippocore.analysis._gridness import Gridness, gridness
from hippocore.analysis._ratemap import (
    RateMap,
    SpikesOutsideTrackingWarning,
    UntrackedPositionWarning,
    lattice_rate_map,
    rate_map,
    smooth_map,
)
from hippocore.analysis._xarray import compute_rate_maps, grid_scores

__all__: list[str] = [
    "RateMap",
    "rate_map",
    "lattice_rate_map",
    "smooth_map",
    "SpikesOutsideTrackingWarning",
    "UntrackedPositionWarning",
    "autocorrelogram",
    "autocorrelogram_size",
    "Gridness",
    "gridness",
    "AdaptiveField",
    "placefield_adaptive",
    "compute_rate_maps",
    "grid_scores",
    "HippocoreAccessor",
]
