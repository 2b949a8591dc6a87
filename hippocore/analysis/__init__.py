"""Spatial analysis of model units and real recordings with the rodent-lab methods.

Rate maps, spatial autocorrelograms and BNT gridness; place fields, spatial information,
border, head-direction, speed, remapping (map, population-vector and unit-pair structure)
and band (Fourier) scores; shuffles and classification. numpy, scipy, scikit-image and
xarray only: never torch, io or plotting.
"""

from hippocore.analysis._accessor import HippocoreAccessor
from hippocore.analysis._adaptive import AdaptiveField, placefield_adaptive
from hippocore.analysis._autocorr import autocorrelogram, autocorrelogram_size
from hippocore.analysis._band import (
    BandScore,
    FourierComponents,
    band_score,
    fourier_components,
    fourier_spectrum,
    max_fourier_power,
)
from hippocore.analysis._border import BorderScore, border_coverage, border_score
from hippocore.analysis._classify import LABELS, Classification, classify
from hippocore.analysis._direction import (
    HeadDirectionStats,
    HeadDirectionTuning,
    head_direction_from_leds,
    head_direction_stats,
    head_direction_tuning,
)
from hippocore.analysis._gridness import Gridness, gridness
from hippocore.analysis._lattice_fields import LatticeFields, lattice_fields, lattice_node_means
from hippocore.analysis._lattice_grid import (
    MIN_LATTICE_SHUFFLES,
    LatticeGridUnits,
    lattice_grid_units,
)
from hippocore.analysis._null import count_finite, percentile_nan_low
from hippocore.analysis._pair_offsets import (
    PairOffsets,
    lattice_cross_correlograms,
    pair_offset_structure,
)
from hippocore.analysis._place import PlaceField, place_fields
from hippocore.analysis._ratemap import (
    MAX_MAP_BINS,
    PositionsOutsideLimitsWarning,
    RateMap,
    SpikesOutsideTrackingWarning,
    UntrackedPositionWarning,
    lattice_rate_map,
    rate_map,
    smooth_map,
)
from hippocore.analysis._remap import (
    PairStructure,
    pair_structure,
    population_vector_correlation,
    spatial_correlation,
    unit_pair_correlations,
)
from hippocore.analysis._shuffle import SCORES, ShuffleScores, shuffle_scores
from hippocore.analysis._speed import speed_score
from hippocore.analysis._stability import stability
from hippocore.analysis._stats import (
    MapStats,
    SkaggsInformation,
    coherence,
    map_stats,
    skaggs_information,
)
from hippocore.analysis._xarray import compute_rate_maps, grid_scores
from hippocore.analysis._xscores import (
    head_direction_scores,
    map_scores,
    place_field_table,
    remapping,
    score_session,
    speed_scores,
    stability_scores,
)

__all__: list[str] = [
    # rate maps, autocorrelograms, gridness
    "RateMap",
    "rate_map",
    "lattice_rate_map",
    "LatticeFields",
    "lattice_fields",
    "lattice_node_means",
    "LatticeGridUnits",
    "lattice_grid_units",
    "MIN_LATTICE_SHUFFLES",
    "smooth_map",
    "MAX_MAP_BINS",
    "PositionsOutsideLimitsWarning",
    "SpikesOutsideTrackingWarning",
    "UntrackedPositionWarning",
    "autocorrelogram",
    "autocorrelogram_size",
    "Gridness",
    "gridness",
    "AdaptiveField",
    "placefield_adaptive",
    # place fields and map statistics
    "PlaceField",
    "place_fields",
    "MapStats",
    "map_stats",
    "SkaggsInformation",
    "skaggs_information",
    "coherence",
    # border, head direction, speed
    "BorderScore",
    "border_score",
    "border_coverage",
    "HeadDirectionTuning",
    "HeadDirectionStats",
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
    "unit_pair_correlations",
    "stability",
    # band cells
    "FourierComponents",
    "BandScore",
    "fourier_spectrum",
    "fourier_components",
    "band_score",
    "max_fourier_power",
    # shuffles and classification
    "SCORES",
    "ShuffleScores",
    "shuffle_scores",
    "percentile_nan_low",
    "count_finite",
    "LABELS",
    "Classification",
    "classify",
    # xarray layer and accessor
    "compute_rate_maps",
    "grid_scores",
    "map_scores",
    "place_field_table",
    "head_direction_scores",
    "speed_scores",
    "remapping",
    "stability_scores",
    "score_session",
    "HippocoreAccessor",
]
