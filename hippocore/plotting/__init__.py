"""Figures (matplotlib) of maps, autocorrelograms, spectra, scores and runs; the HTML report.

Every function takes data (arrays, a world's geometry, analysis results, metrics lines),
never a model object, and draws on the ``ax=`` (or ``fig=``) it is given, or on a new
:class:`matplotlib.figure.Figure` it creates without pyplot, so no global figure state is
touched. matplotlib is the optional ``plot`` extra (``pip install hippocore[plot]``); it is
imported when a function is first called, so ``import hippocore.plotting`` stays light.
Never torch.
"""

from hippocore.plotting._autocorr import peak_offsets, plot_autocorrelogram
from hippocore.plotting._direction import plot_head_direction
from hippocore.plotting._gallery import unit_gallery
from hippocore.plotting._lattice import plot_lattice_map
from hippocore.plotting._map_gallery import rate_map_gallery, sort_order
from hippocore.plotting._maps import (
    field_outline,
    plot_place_fields,
    plot_rate_map,
    spike_positions,
)
from hippocore.plotting._report import software_versions, write_report
from hippocore.plotting._report_items import ReportItem, auto_bin_size
from hippocore.plotting._scores import plot_score_histogram
from hippocore.plotting._spectrum import component_points, plot_fourier_spectrum
from hippocore.plotting._training import (
    metric_columns,
    plot_grid_fraction,
    plot_learning_curves,
    read_metrics,
)

__all__ = [
    # maps
    "plot_rate_map",
    "spike_positions",
    "plot_place_fields",
    "field_outline",
    "plot_lattice_map",
    # autocorrelograms, spectra, direction
    "plot_autocorrelogram",
    "peak_offsets",
    "plot_fourier_spectrum",
    "component_points",
    "plot_head_direction",
    # populations
    "unit_gallery",
    "rate_map_gallery",
    "sort_order",
    "plot_score_histogram",
    # training runs
    "read_metrics",
    "metric_columns",
    "plot_learning_curves",
    "plot_grid_fraction",
    # the HTML report
    "write_report",
    "ReportItem",
    "auto_bin_size",
    "software_versions",
]
