"""Figures of rate maps, lattice maps, autocorrelograms and unit galleries (matplotlib).

Every function takes data (arrays, a world's geometry, analysis results), never a model
object, and draws on the ``ax=`` (or ``fig=``) it is given, or on a new
:class:`matplotlib.figure.Figure` it creates without pyplot, so no global figure state is
touched. matplotlib is the optional ``plot`` extra (``pip install hippocore[plot]``); it is
imported when a function is first called, so ``import hippocore.plotting`` stays light.
Never torch.
"""

from hippocore.plotting._autocorr import plot_autocorrelogram
from hippocore.plotting._gallery import unit_gallery
from hippocore.plotting._lattice import plot_lattice_map

__all__ = ["plot_lattice_map", "plot_autocorrelogram", "unit_gallery"]
