"""Spatial analysis of model units and real recordings with the rodent-lab methods.

Rate maps, spatial autocorrelograms and BNT gridness; place fields, spatial information,
border, head-direction, speed, remapping (map, population-vector and unit-pair structure)
and band (Fourier) scores; shuffles and classification. numpy, scipy, scikit-image and
xarray only: never torch, io or plotting.

One name per concept: ``hippocore.analysis.<name>`` takes numpy arrays,
``hippocore.analysis.ds.<name>`` takes schema datasets (sessions, rate maps) and
``dataset.hc.<name>`` is the same call, with the same options (docs/analysis.md). The results
have a unit axis exactly when the input has one.
"""

import warnings
from typing import Any

from hippocore.analysis import ds
from hippocore.analysis._adaptive import placefield_adaptive
from hippocore.analysis._autocorr import autocorrelogram
from hippocore.analysis._band import BandScore, FourierComponents, band_score, fourier_components
from hippocore.analysis._border import BorderScore, border_score
from hippocore.analysis._classify import Classification, classify
from hippocore.analysis._direction import (
    HeadDirectionTuning,
    head_direction_from_leds,
    head_direction_stats,
    head_direction_tuning,
)
from hippocore.analysis._field import PlaceField
from hippocore.analysis._gridness import Gridness, gridness
from hippocore.analysis._lattice_fields import LatticeFields, lattice_fields, lattice_node_means
from hippocore.analysis._lattice_grid import LatticeGridUnits, lattice_grid_units
from hippocore.analysis._pair_offsets import (
    PairOffsets,
    lattice_cross_correlograms,
    pair_offset_structure,
)
from hippocore.analysis._place import place_fields
from hippocore.analysis._ratemap import (
    PositionsOutsideLimitsWarning,
    RateMap,
    SpikesOutsideTrackingWarning,
    UntrackedPositionWarning,
    lattice_rate_map,
    rate_map,
)
from hippocore.analysis._remap import (
    PairStructure,
    pair_structure,
    population_vector_correlation,
    spatial_correlation,
)
from hippocore.analysis._shuffle import SCORES, ShuffleScores, shuffle_scores
from hippocore.analysis._speed import speed_score
from hippocore.analysis._stability import stability
from hippocore.analysis._stats import (
    MapStats,
    coherence,
    map_stats,
    skaggs_information,
)

__all__: list[str] = [
    # the xarray forms (hippocore.analysis.ds.<name>, also ds.hc.<name>)
    "ds",
    # rate maps, autocorrelograms, gridness
    "RateMap",
    "rate_map",
    "lattice_rate_map",
    "PositionsOutsideLimitsWarning",
    "SpikesOutsideTrackingWarning",
    "UntrackedPositionWarning",
    "LatticeFields",
    "lattice_fields",
    "lattice_node_means",
    "LatticeGridUnits",
    "lattice_grid_units",
    "autocorrelogram",
    "Gridness",
    "gridness",
    # place fields and map statistics
    "PlaceField",
    "place_fields",
    "placefield_adaptive",
    "MapStats",
    "map_stats",
    "skaggs_information",
    "coherence",
    # border, head direction, speed
    "BorderScore",
    "border_score",
    "HeadDirectionTuning",
    "head_direction_from_leds",
    "head_direction_tuning",
    "head_direction_stats",
    "speed_score",
    # remapping and stability
    "spatial_correlation",
    "population_vector_correlation",
    "PairStructure",
    "pair_structure",
    "pair_offset_structure",
    "lattice_cross_correlograms",
    "PairOffsets",
    "stability",
    # band cells
    "BandScore",
    "band_score",
    "FourierComponents",
    "fourier_components",
    # shuffles and classification
    "SCORES",
    "ShuffleScores",
    "shuffle_scores",
    "Classification",
    "classify",
]

#: Old names of the xarray forms -> their name in :mod:`hippocore.analysis.ds`.
_RENAMED_IN_DS = {
    "compute_rate_maps": "rate_map",
    "grid_scores": "gridness",
    "map_scores": "map_stats",
    "place_field_table": "place_fields",
    "head_direction_scores": "head_direction_tuning",
    "speed_scores": "speed_score",
    "stability_scores": "stability",
    "remapping": "remapping",
    "score_session": "classify",
}

#: Helpers that left the public API -> (the private module that keeps them, what to use).
_MADE_PRIVATE = {
    "HippocoreAccessor": ("_accessor", "ds.hc (the class is private)"),
    "autocorrelogram_size": ("_autocorr", "autocorrelogram(m).shape"),
    "border_coverage": ("_border", "border_score(m).coverage"),
    "percentile_nan_low": ("_null", "ShuffleScores.percentile"),
    "count_finite": ("_null", "ShuffleScores.n_finite"),
    "unit_pair_correlations": ("_remap", "pair_structure(a, b).corr_a / .corr_b"),
    "fourier_spectrum": ("_band", "fourier_components(m)"),
    "max_fourier_power": ("_band", "band_score(m) or shuffle_scores"),
    "smooth_map": ("_ratemap", "rate_map(..., smooth=...), which smooths"),
    "SkaggsInformation": ("_stats", "skaggs_information's result"),
    "HeadDirectionStats": ("_direction", "head_direction_stats' result"),
    "LABELS": ("_classify", "Classification.label's values"),
    "MAX_MAP_BINS": ("_ratemap", "rate_map's error message (the limit)"),
    "MIN_LATTICE_SHUFFLES": ("_lattice_grid", "lattice_grid_units' n_shuffles (at least 100)"),
}

#: Old names that still work for one release: old name -> (where the new one lives, its name,
#: the hint the warning gives). ``ds`` means :mod:`hippocore.analysis.ds` (the xarray forms);
#: a leading ``_`` a private module (helpers that left the public API: the hint says what to
#: use instead).
DEPRECATED: dict[str, tuple[str, str, str]] = {
    **{old: ("ds", new, f"hippocore.analysis.ds.{new}") for old, new in _RENAMED_IN_DS.items()},
    "AdaptiveField": ("_field", "PlaceField", "hippocore.analysis.PlaceField"),
    **{old: (module, old, hint) for old, (module, hint) in _MADE_PRIVATE.items()},
}


def __getattr__(name: str) -> Any:
    """Old names: warn (``FutureWarning``: users' scripts should see it) and return the new object."""
    if name not in DEPRECATED:
        raise AttributeError(f"module 'hippocore.analysis' has no attribute {name!r}")
    module, new, hint = DEPRECATED[name]
    warnings.warn(
        f"hippocore.analysis.{name} is deprecated and goes in the next release; use {hint}.",
        FutureWarning,
        stacklevel=2,
    )
    from importlib import import_module

    return getattr(import_module(f"hippocore.analysis.{module}"), new)
