"""Spatial analysis of model units and real recordings with the rodent-lab methods.

Rate maps, spatial autocorrelograms and BNT gridness; place fields, spatial information,
border, head-direction, speed, remapping and band (Fourier) scores; shuffles and
classification. numpy, scipy, scikit-image and xarray only: never torch, io or plotting.
"""

from hippocore.analysis._band import (
    BandScore,
    FourierComponents,
    band_score,
    fourier_components,
    fourier_spectrum,
    max_fourier_power,
)
from hippocore.analysis._border import BorderScore, border_coverage, border_score
from hippocore.analysis._direction import (
    HeadDirectionStats,
    HeadDirectionTuning,
    head_direction_from_leds,
    head_direction_stats,
    head_direction_tuning,
)
from hippocore.analysis._place import PlaceField, place_fields
from hippocore.analysis._remap import population_vector_correlation, spatial_correlation
from hippocore.analysis._speed import speed_score
from hippocore.analysis._stats import (
    MapStats,
    SkaggsInformation,
    coherence,
    map_stats,
    skaggs_information,
)

__all__: list[str] = [
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
    # remapping
    "spatial_correlation",
    "population_vector_correlation",
    # band cells
    "FourierComponents",
    "BandScore",
    "fourier_spectrum",
    "fourier_components",
    "band_score",
    "max_fourier_power",
]
