"""The ``.hc`` dataset accessor: forwards to the analysis functions, holds no logic.

Add further methods here (one per analysis) so that ``ds.hc.<name>(...)`` stays discoverable.
"""

from __future__ import annotations

from collections.abc import Sequence

import xarray as xr

from ._xarray import compute_rate_maps, grid_scores

__all__ = ["HippocoreAccessor"]


@xr.register_dataset_accessor("hc")
class HippocoreAccessor:
    """``ds.hc``: hippocore analyses on schema datasets (sessions and rate maps)."""

    def __init__(self, ds: xr.Dataset):
        self._ds = ds

    def rate_maps(
        self,
        *,
        bin_size: float,
        limits: Sequence[float] | None = None,
        smooth: float = 1.0,
        max_gap: float = 0.1,
        variable: str = "spikes",
    ) -> xr.Dataset:
        """Rate maps of a session; see :func:`hippocore.analysis.compute_rate_maps`.

        Parameters
        ----------
        bin_size, limits, smooth, max_gap, variable
            As in :func:`hippocore.analysis.compute_rate_maps`.

        Returns
        -------
        xarray.Dataset
        """
        return compute_rate_maps(
            self._ds,
            bin_size=bin_size,
            limits=limits,
            smooth=smooth,
            max_gap=max_gap,
            variable=variable,
        )

    def grid_scores(self, *, method: str = "bnt") -> xr.Dataset:
        """Grid scores of a rate-map dataset; see :func:`hippocore.analysis.grid_scores`.

        Parameters
        ----------
        method : {"bnt", "deepmind"}, default "bnt"

        Returns
        -------
        xarray.Dataset
        """
        return grid_scores(self._ds, method=method)
